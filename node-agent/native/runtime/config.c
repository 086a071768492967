#include "config.h"
#include "config_internal.h"
#include "seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const char *const cap_names[] = {
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
    "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
    "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
    "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
    "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

int cap_from_name(const char *name) {
  if (strncasecmp(name, "CAP_", 4) == 0) name += 4;
  for (size_t i = 0; i < BR_ARRAY_LEN(cap_names); i++)
    if (strcasecmp(name, cap_names[i]) == 0) return (int)i;
  return -1;
}

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK},   {"RLIMIT_CORE", RLIMIT_CORE},       {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_LOCKS", RLIMIT_LOCKS},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},   {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static const struct {
  const char *name;
  bool clear;
  unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},      {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},        {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},      {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},   {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},      {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},  {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME},  {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},      {"loud", true, MS_SILENT},
};

static const struct {
  const char *name;
  unsigned long flag;
} propagation_flags[] = {
    {"private", MS_PRIVATE},   {"rprivate", MS_PRIVATE | MS_REC},  {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE},         {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

unsigned long propagation_flag(const char *name) {
  for (size_t k = 0; k < BR_ARRAY_LEN(propagation_flags); k++)
    if (strcmp(name, propagation_flags[k].name) == 0) return propagation_flags[k].flag;
  return 0;
}

/* Options that only make sense to other runtimes; accepted and ignored. */
static const char *const ignored_options[] = {"tmpcopyup", "notmpcopyup", "copy-symlink", "nocopy-symlink"};

const char *str_or_die(const struct json *v, const char *path) {
  if (!v || v->type != JSON_STRING) die("config.json: %s: must be a string", path);
  return v->string;
}

char **string_array(const struct json *v, const char *path, size_t *count) {
  if (!v || v->type == JSON_NULL) {
    if (count) *count = 0;
    char **out = xcalloc(1, sizeof *out);
    return out;
  }
  if (v->type != JSON_ARRAY) die("config.json: %s: must be an array of strings", path);
  char **out = xcalloc(v->len + 1, sizeof *out);
  for (size_t i = 0; i < v->len; i++) {
    if (v->items[i].type != JSON_STRING) die("config.json: %s[%zu]: must be a string", path, i);
    out[i] = v->items[i].string;
  }
  if (count) *count = v->len;
  return out;
}

int64_t int_or_die(const struct json *v, const char *path) {
  if (!v || v->type != JSON_NUMBER || !v->is_int) die("config.json: %s: must be an integer", path);
  return v->integer;
}

static char *abs_path(const char *base, const char *p) {
  if (p[0] == '/') return xstrdup(p);
  struct sbuf sb = {0};
  sb_puts(&sb, base);
  sb_puts(&sb, "/");
  sb_puts(&sb, p);
  return sb.data;
}

static void parse_caps(struct config *c, const struct json *caps) {
  static const char *const sets[CAP_NSETS] = {"bounding", "effective", "permitted", "inheritable", "ambient"};
  if (!caps || caps->type == JSON_NULL) return;
  if (caps->type != JSON_OBJECT) die("config.json: process.capabilities: must be an object");
  c->has_caps = true;
  for (int s = 0; s < CAP_NSETS; s++) {
    char path[64];
    snprintf(path, sizeof path, "process.capabilities.%s", sets[s]);
    size_t n;
    char **names = string_array(json_get(caps, sets[s]), path, &n);
    for (size_t i = 0; i < n; i++) {
      int cap = cap_from_name(names[i]);
      if (cap < 0) {
        warnx("config.json: %s: unknown capability %s ignored", path, names[i]);
        continue;
      }
      c->caps[s] |= 1ULL << cap;
    }
    free(names);
  }
}

static void parse_rlimits(struct config *c, const struct json *v) {
  if (!v || v->type == JSON_NULL) return;
  if (v->type != JSON_ARRAY) die("config.json: process.rlimits: must be an array");
  c->rlimits = xcalloc(v->len, sizeof *c->rlimits);
  for (size_t i = 0; i < v->len; i++) {
    const struct json *r = &v->items[i];
    char path[64];
    snprintf(path, sizeof path, "process.rlimits[%zu]", i);
    const char *type = str_or_die(json_get(r, "type"), path);
    int res = -1;
    for (size_t k = 0; k < BR_ARRAY_LEN(rlimit_names); k++)
      if (strcmp(type, rlimit_names[k].name) == 0) res = rlimit_names[k].resource;
    if (res < 0) die("config.json: %s.type: unknown rlimit %s", path, type);
    const struct json *soft = json_get(r, "soft"), *hard = json_get(r, "hard");
    if (!soft || soft->type != JSON_NUMBER || !hard || hard->type != JSON_NUMBER)
      die("config.json: %s: soft and hard must be numbers", path);
    /* Values above int64 (e.g. 18446744073709551615 for unlimited) arrive as doubles. */
    c->rlimits[c->n_rlimits].resource = res;
    c->rlimits[c->n_rlimits].soft = soft->is_int ? (rlim_t)soft->integer : (soft->number >= 1.8e19 ? RLIM_INFINITY : (rlim_t)soft->number);
    c->rlimits[c->n_rlimits].hard = hard->is_int ? (rlim_t)hard->integer : (hard->number >= 1.8e19 ? RLIM_INFINITY : (rlim_t)hard->number);
    c->n_rlimits++;
  }
}

static void parse_mount_options(struct mount_spec *m, const struct json *opts, const char *path) {
  size_t n;
  char **list = string_array(opts, path, &n);
  struct sbuf data = {0};
  for (size_t i = 0; i < n; i++) {
    const char *o = list[i];
    bool done = false;
    if (strcmp(o, "bind") == 0) {
      m->bind = true;
      m->flags |= MS_BIND;
      continue;
    }
    if (strcmp(o, "rbind") == 0) {
      m->bind = true;
      m->flags |= MS_BIND | MS_REC;
      continue;
    }
    if (strcmp(o, "rro") == 0) {
      m->recursive_ro = true;
      continue;
    }
    if (strcmp(o, "idmap") == 0 || strcmp(o, "ridmap") == 0) {
      m->idmap = true;
      m->idmap_recursive = o[0] == 'r';
      continue;
    }
    for (size_t k = 0; k < BR_ARRAY_LEN(mount_flags) && !done; k++) {
      if (strcmp(o, mount_flags[k].name) != 0) continue;
      if (mount_flags[k].clear) m->flags &= ~mount_flags[k].flag;
      else m->flags |= mount_flags[k].flag;
      done = true;
    }
    for (size_t k = 0; k < BR_ARRAY_LEN(propagation_flags) && !done; k++) {
      if (strcmp(o, propagation_flags[k].name) != 0) continue;
      m->propagation = propagation_flags[k].flag;
      done = true;
    }
    for (size_t k = 0; k < BR_ARRAY_LEN(ignored_options) && !done; k++)
      if (strcmp(o, ignored_options[k]) == 0) done = true;
    if (done) continue;
    if (data.len) sb_puts(&data, ",");
    sb_puts(&data, o);
  }
  free(list);
  m->data = data.data ? data.data : xstrdup("");
}

static void parse_mounts(struct config *c, const struct json *v) {
  if (!v || v->type == JSON_NULL) return;
  if (v->type != JSON_ARRAY) die("config.json: mounts: must be an array");
  c->mounts = xcalloc(v->len, sizeof *c->mounts);
  for (size_t i = 0; i < v->len; i++) {
    const struct json *j = &v->items[i];
    struct mount_spec *m = &c->mounts[i];
    char path[64];
    snprintf(path, sizeof path, "mounts[%zu]", i);
    if (j->type != JSON_OBJECT) die("config.json: %s: must be an object", path);
    snprintf(path, sizeof path, "mounts[%zu].destination", i);
    m->destination = (char *)str_or_die(json_get(j, "destination"), path);
    if (m->destination[0] != '/') die("config.json: %s: must be an absolute path", path);
    m->type = (char *)json_get_str(j, "type");
    m->source = (char *)json_get_str(j, "source");
    snprintf(path, sizeof path, "mounts[%zu].options", i);
    parse_mount_options(m, json_get(j, "options"), path);
    if (m->type && strcmp(m->type, "bind") == 0) {
      m->bind = true;
      m->flags |= MS_BIND;
    }
    if (!m->type && !m->bind) die("config.json: mounts[%zu]: type is required unless the options say bind", i);
    snprintf(path, sizeof path, "mounts[%zu].uidMappings", i);
    m->uid_map = parse_id_map(json_get(j, "uidMappings"), path);
    snprintf(path, sizeof path, "mounts[%zu].gidMappings", i);
    m->gid_map = parse_id_map(json_get(j, "gidMappings"), path);
    if (m->uid_map || m->gid_map) {
      m->idmap = true;
      m->idmap_recursive = m->idmap_recursive || (m->flags & MS_REC);
    }
    if (m->bind) {
      if (!m->source) die("config.json: mounts[%zu].source: required for a bind mount", i);
      m->source = abs_path(c->bundle, m->source);
    } else if (!m->source) {
      m->source = m->type;
    }
    c->n_mounts++;
  }
}

/* An idmapped mount is made with the container's own user namespace (so its mappings are those
 * of linux.uidMappings/gidMappings): anything else berth-runtime cannot do, and says where. */
static void check_idmaps(struct config *c) {
  const struct ns_spec *user = config_ns(c, CLONE_NEWUSER);
  bool own_userns = user && !user->path && c->uid_map && c->gid_map;
  const char *v = c->annotations ? json_get_str(c->annotations, ROOTFS_IDMAP_ANNOTATION) : NULL;
  if (v && strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
    die("config.json: annotations.%s: must be \"true\" or \"false\" (got %s)", ROOTFS_IDMAP_ANNOTATION, v);
  c->root_idmap = v && strcmp(v, "true") == 0;
  if (c->root_idmap && !own_userns)
    die("config.json: annotations.%s: an idmapped rootfs needs a new user namespace with linux.uidMappings and linux.gidMappings", ROOTFS_IDMAP_ANNOTATION);
  for (size_t i = 0; i < c->n_mounts; i++) {
    const struct mount_spec *m = &c->mounts[i];
    if (!m->idmap) continue;
    if (!m->bind) die("config.json: mounts[%zu].options: idmapped mounts are supported for bind mounts only (type %s)", i, m->type);
    if (!own_userns)
      die("config.json: mounts[%zu].options: an idmapped mount needs a new user namespace with linux.uidMappings and linux.gidMappings", i);
    if (m->uid_map && strcmp(m->uid_map, c->uid_map) != 0)
      die("config.json: mounts[%zu].uidMappings: must equal linux.uidMappings (berth-runtime idmaps mounts with the container's user namespace)", i);
    if (m->gid_map && strcmp(m->gid_map, c->gid_map) != 0)
      die("config.json: mounts[%zu].gidMappings: must equal linux.gidMappings (berth-runtime idmaps mounts with the container's user namespace)", i);
  }
}

struct config *config_load(const char *bundle) {
  struct config *c = xcalloc(1, sizeof *c);
  char buf[PATH_MAX];
  if (!realpath(bundle, buf)) die_errno("bundle %s", bundle);
  c->bundle = xstrdup(buf);
  int dfd = open(c->bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) die_errno("open bundle %s", c->bundle);
  size_t len;
  char *text = read_file_at(dfd, "config.json", &len);
  close(dfd);
  if (!text) die_errno("read %s/config.json", c->bundle);
  char err[256];
  c->json = json_parse(text, len, err, sizeof err);
  free(text);
  if (!c->json) die("%s/config.json: %s", c->bundle, err);
  const struct json *root = c->json;
  if (root->type != JSON_OBJECT) die("config.json: must be a JSON object");

  c->oci_version = (char *)json_get_str(root, "ociVersion");
  if (!c->oci_version) c->oci_version = "1.0.2";

  const struct json *proc = json_get_type(root, "process", JSON_OBJECT);
  if (!proc) die("config.json: process: required");
  if (json_get_bool(proc, "terminal", false)) die("config.json: process.terminal: true is not supported");
  size_t nargs;
  c->args = string_array(json_get(proc, "args"), "process.args", &nargs);
  if (nargs == 0) die("config.json: process.args: must not be empty");
  c->env = string_array(json_get(proc, "env"), "process.env", NULL);
  c->cwd = (char *)json_get_str(proc, "cwd");
  if (!c->cwd) c->cwd = "/";
  if (c->cwd[0] != '/') die("config.json: process.cwd: must be an absolute path");
  const struct json *user = json_get_type(proc, "user", JSON_OBJECT);
  if (user) {
    const struct json *v = json_get(user, "uid");
    if (v) c->uid = (uid_t)int_or_die(v, "process.user.uid");
    v = json_get(user, "gid");
    if (v) c->gid = (gid_t)int_or_die(v, "process.user.gid");
    const struct json *g = json_get(user, "additionalGids");
    if (g && g->type == JSON_ARRAY) {
      c->additional_gids = xcalloc(g->len, sizeof(gid_t));
      for (size_t i = 0; i < g->len; i++)
        c->additional_gids[i] = (gid_t)int_or_die(&g->items[i], "process.user.additionalGids[]");
      c->n_additional_gids = g->len;
    }
  }
  parse_caps(c, json_get(proc, "capabilities"));
  c->no_new_privileges = json_get_bool(proc, "noNewPrivileges", false);
  parse_rlimits(c, json_get(proc, "rlimits"));

  const struct json *rootj = json_get_type(root, "root", JSON_OBJECT);
  if (!rootj) die("config.json: root: required");
  c->root_path = abs_path(c->bundle, str_or_die(json_get(rootj, "path"), "root.path"));
  c->root_readonly = json_get_bool(rootj, "readonly", false);
  c->hostname = (char *)json_get_str(root, "hostname");
  parse_mounts(c, json_get(root, "mounts"));
  c->annotations = json_get_type(root, "annotations", JSON_OBJECT);

  config_parse_linux(c, json_get_type(root, "linux", JSON_OBJECT));
  check_idmaps(c);
  return c;
}

void config_free(struct config *c) {
  if (!c) return;
  /* Strings point into the JSON tree; only the arrays and derived strings are ours. */
  free(c->bundle);
  free(c->args);
  free(c->env);
  free(c->additional_gids);
  free(c->rlimits);
  free(c->res.devices);
  free(c->root_path);
  if (c->seccomp) free(c->seccomp->insns);
  free(c->seccomp);
  for (size_t i = 0; i < c->n_mounts; i++) {
    if (c->mounts[i].bind) free(c->mounts[i].source);
    free(c->mounts[i].data);
    free(c->mounts[i].uid_map);
    free(c->mounts[i].gid_map);
  }
  free(c->mounts);
  free(c->namespaces);
  free(c->uid_map);
  free(c->gid_map);
  free(c->masked_paths);
  free(c->readonly_paths);
  json_free(c->json);
  free(c);
}
