/* The "linux" section of config.json: namespaces, id maps, resources (cgroup limits and device
 * rules), cgroupsPath, masked and read-only paths, rootfs propagation, seccomp. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "config.h"
#include "config_internal.h"
#include "seccomp.h"

static const struct {
  const char *name;
  int flag;
} ns_names[] = {
    {"pid", CLONE_NEWPID},   {"network", CLONE_NEWNET}, {"net", CLONE_NEWNET},   {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP},
};

static void parse_namespaces(struct config *c, const struct json *v) {
  if (!v || v->type == JSON_NULL) return;
  if (v->type != JSON_ARRAY) die("config.json: linux.namespaces: must be an array");
  c->namespaces = xcalloc(v->len, sizeof *c->namespaces);
  for (size_t i = 0; i < v->len; i++) {
    char path[64];
    snprintf(path, sizeof path, "linux.namespaces[%zu].type", i);
    const char *type = str_or_die(json_get(&v->items[i], "type"), path);
    int flag = 0;
    for (size_t k = 0; k < BR_ARRAY_LEN(ns_names); k++)
      if (strcmp(type, ns_names[k].name) == 0) flag = ns_names[k].flag;
    if (!flag) die("config.json: %s: unknown namespace type %s", path, type);
    if (config_ns(c, flag)) die("config.json: %s: namespace %s listed twice", path, type);
    c->namespaces[c->n_namespaces].flag = flag;
    const char *p = json_get_str(&v->items[i], "path");
    c->namespaces[c->n_namespaces].path = p && *p ? (char *)p : NULL;
    c->n_namespaces++;
  }
}

char *parse_id_map(const struct json *v, const char *path) {
  if (!v || v->type == JSON_NULL) return NULL;
  if (v->type != JSON_ARRAY) die("config.json: %s: must be an array", path);
  struct sbuf sb = {0};
  for (size_t i = 0; i < v->len; i++) {
    char p[80];
    snprintf(p, sizeof p, "%s[%zu]", path, i);
    int64_t in = int_or_die(json_get(&v->items[i], "containerID"), p);
    int64_t out = int_or_die(json_get(&v->items[i], "hostID"), p);
    int64_t size = int_or_die(json_get(&v->items[i], "size"), p);
    sb_printf(&sb, "%lld %lld %lld\n", (long long)in, (long long)out, (long long)size);
  }
  return sb.data;
}

static void parse_devices(struct config *c, const struct json *v) {
  if (!v || v->type == JSON_NULL) return;
  if (v->type != JSON_ARRAY) die("config.json: linux.resources.devices: must be an array");
  c->res.devices = xcalloc(v->len, sizeof *c->res.devices);
  for (size_t i = 0; i < v->len; i++) {
    const struct json *d = &v->items[i];
    struct device_rule *r = &c->res.devices[i];
    char path[64];
    snprintf(path, sizeof path, "linux.resources.devices[%zu]", i);
    const struct json *allow = json_get_type(d, "allow", JSON_BOOL);
    if (!allow) die("config.json: %s.allow: required boolean", path);
    r->allow = allow->boolean;
    const char *type = json_get_str(d, "type");
    r->type = type && *type ? type[0] : 'a';
    if (strchr("acb", r->type) == NULL || (type && type[1])) die("config.json: %s.type: must be a, c or b", path);
    const struct json *maj = json_get(d, "major"), *min = json_get(d, "minor");
    r->major = maj && maj->type != JSON_NULL ? int_or_die(maj, path) : -1;
    r->minor = min && min->type != JSON_NULL ? int_or_die(min, path) : -1;
    const char *access = json_get_str(d, "access");
    if (!access || !*access) access = "rwm";
    if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access)) die("config.json: %s.access: must be letters of rwm", path);
    snprintf(r->access, sizeof r->access, "%s", access);
    c->res.n_devices++;
  }
}

static void parse_resources(struct config *c, const struct json *r) {
  c->res.memory_limit = -1;
  c->res.memory_swap = -1;
  if (!r || r->type != JSON_OBJECT) return;
  const struct json *mem = json_get_type(r, "memory", JSON_OBJECT);
  if (mem) {
    const struct json *v = json_get(mem, "limit");
    if (v && v->type != JSON_NULL) c->res.memory_limit = int_or_die(v, "linux.resources.memory.limit");
    v = json_get(mem, "swap");
    if (v && v->type != JSON_NULL) c->res.memory_swap = int_or_die(v, "linux.resources.memory.swap");
  }
  const struct json *cpu = json_get_type(r, "cpu", JSON_OBJECT);
  if (cpu) {
    const struct json *v = json_get(cpu, "shares");
    if (v && v->type != JSON_NULL) c->res.cpu_shares = (uint64_t)int_or_die(v, "linux.resources.cpu.shares");
    v = json_get(cpu, "quota");
    if (v && v->type != JSON_NULL) c->res.cpu_quota = int_or_die(v, "linux.resources.cpu.quota");
    v = json_get(cpu, "period");
    if (v && v->type != JSON_NULL) c->res.cpu_period = (uint64_t)int_or_die(v, "linux.resources.cpu.period");
  }
  parse_devices(c, json_get(r, "devices"));
  const struct json *pids = json_get_type(r, "pids", JSON_OBJECT);
  if (pids) {
    const struct json *v = json_get(pids, "limit");
    if (v && v->type != JSON_NULL) c->res.pids_limit = int_or_die(v, "linux.resources.pids.limit");
  }
}

const struct ns_spec *config_ns(const struct config *c, int flag) {
  for (size_t i = 0; i < c->n_namespaces; i++)
    if (c->namespaces[i].flag == flag) return &c->namespaces[i];
  return NULL;
}

void config_parse_linux(struct config *c, const struct json *linux_) {
  parse_namespaces(c, json_get(linux_, "namespaces"));
  c->uid_map = parse_id_map(json_get(linux_, "uidMappings"), "linux.uidMappings");
  c->gid_map = parse_id_map(json_get(linux_, "gidMappings"), "linux.gidMappings");
  parse_resources(c, json_get(linux_, "resources"));
  c->cgroups_path = (char *)json_get_str(linux_, "cgroupsPath");
  if (c->cgroups_path && (c->cgroups_path[0] != '/' || strstr(c->cgroups_path, "..")))
    die("config.json: linux.cgroupsPath: must be an absolute path without '..' (got %s)", c->cgroups_path);
  c->masked_paths = string_array(json_get(linux_, "maskedPaths"), "linux.maskedPaths", &c->n_masked);
  c->readonly_paths = string_array(json_get(linux_, "readonlyPaths"), "linux.readonlyPaths", &c->n_readonly);
  const char *prop = json_get_str(linux_, "rootfsPropagation");
  c->rootfs_propagation = MS_PRIVATE | MS_REC;
  if (prop && *prop) {
    c->rootfs_propagation = propagation_flag(prop);
    if (!c->rootfs_propagation) die("config.json: linux.rootfsPropagation: unknown value %s", prop);
  }
  const struct json *seccomp = json_get(linux_, "seccomp");
  c->seccomp_profile = seccomp && seccomp->type != JSON_NULL ? seccomp : NULL;
  if ((c->uid_map || c->gid_map) && !config_ns(c, CLONE_NEWUSER))
    die("config.json: linux.uidMappings: given without a user namespace");
}

void config_prepare_seccomp(struct config *c, const char *state_root) {
  if (!c->seccomp_profile) return;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/.seccomp-cache", state_root);
  c->seccomp = seccomp_prepare(c->seccomp_profile, dir);
}
