#include "cgroups.h"
#include "devices_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const v1_controllers[CGROUP_MAX_CTRL] = {"memory", "cpu", "cpuacct", "pids", "devices"};

/* Always allowed, like runc: the nodes of the minimal /dev, any pts, and mknod (not use) of
 * any device, so images that create nodes still start. */
static const char *const default_devices[] = {
    "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
    "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

bool cgroup_is_v2(void) {
  struct statfs sf;
  return statfs(CGROUP_ROOT, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

void cgroup_init(struct cgroup *cg, bool v2, const char *path) {
  memset(cg, 0, sizeof *cg);
  cg->v2 = v2;
  snprintf(cg->path, sizeof cg->path, "%s", path);
  if (v2) {
    cg->ctrl[0] = "";
    snprintf(cg->dir[0], sizeof cg->dir[0], CGROUP_ROOT "%s", path);
    cg->n = 1;
    return;
  }
  for (int i = 0; i < CGROUP_MAX_CTRL; i++) {
    char mnt[64];
    snprintf(mnt, sizeof mnt, CGROUP_ROOT "/%s", v1_controllers[i]);
    if (access(mnt, F_OK) != 0) continue; /* controller not mounted here */
    cg->ctrl[cg->n] = v1_controllers[i];
    snprintf(cg->dir[cg->n], sizeof cg->dir[0], "%s%s", mnt, path);
    cg->n++;
  }
}

static const char *ctrl_dir(const struct cgroup *cg, const char *ctrl) {
  if (cg->v2) return cg->dir[0];
  for (int i = 0; i < cg->n; i++)
    if (strcmp(cg->ctrl[i], ctrl) == 0) return cg->dir[i];
  return NULL;
}

static void set_value(const char *dir, const char *file, const char *value) {
  char path[1400];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  if (write_file(path, value, strlen(value)) < 0) die_errno("cgroup: write %s to %s", value, path);
}

/* v2 only lets a child use a controller its parent enabled in cgroup.subtree_control. */
static void v2_enable_controllers(const struct cgroup *cg) {
  char dir[1200];
  snprintf(dir, sizeof dir, "%s", CGROUP_ROOT);
  const char *p = cg->path;
  for (;;) {
    while (*p == '/') p++;
    const char *slash = strchr(p, '/');
    if (!slash) break; /* dir is now the leaf's parent */
    char want[64] = "";
    char file[1300];
    snprintf(file, sizeof file, "%s/cgroup.subtree_control", dir);
    char *have = read_file_at(AT_FDCWD, file, NULL);
    snprintf(file, sizeof file, "%s/cgroup.controllers", dir);
    char *avail = read_file_at(AT_FDCWD, file, NULL);
    static const char *const needed[] = {"memory", "cpu", "pids"};
    for (size_t i = 0; i < BR_ARRAY_LEN(needed); i++) {
      if (have && strstr(have, needed[i])) continue;
      if (!avail || !strstr(avail, needed[i])) continue;
      strcat(want, want[0] ? " +" : "+");
      strcat(want, needed[i]);
    }
    free(have);
    free(avail);
    if (want[0]) set_value(dir, "cgroup.subtree_control", want);
    size_t len = strlen(dir);
    snprintf(dir + len, sizeof dir - len, "/%.*s", (int)(slash - p), p);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) die_errno("cgroup: mkdir %s", dir);
    p = slash;
  }
  /* The last parent (the leaf's) too. */
  char file[1300];
  snprintf(file, sizeof file, "%s/cgroup.subtree_control", dir);
  char *have = read_file_at(AT_FDCWD, file, NULL);
  if (have && (!strstr(have, "memory") || !strstr(have, "pids") || !strstr(have, "cpu"))) {
    snprintf(file, sizeof file, "%s/cgroup.controllers", dir);
    char *avail = read_file_at(AT_FDCWD, file, NULL);
    char want[64] = "";
    static const char *const needed[] = {"memory", "cpu", "pids"};
    for (size_t i = 0; i < BR_ARRAY_LEN(needed); i++) {
      if (strstr(have, needed[i]) || !avail || !strstr(avail, needed[i])) continue;
      strcat(want, want[0] ? " +" : "+");
      strcat(want, needed[i]);
    }
    free(avail);
    if (want[0]) set_value(dir, "cgroup.subtree_control", want);
  }
  free(have);
}

/* v1 devices: start from deny-all, apply the config's rules in order, then the defaults. */
static void apply_devices_v1(const char *d, const struct resources *r) {
  set_value(d, "devices.deny", "a");
  for (size_t i = 0; i < r->n_devices; i++) {
    const struct device_rule *rule = &r->devices[i];
    char v[80], maj[24], min[24];
    if (rule->type == 'a' && rule->major < 0 && rule->minor < 0 && strlen(rule->access) == 3) {
      set_value(d, rule->allow ? "devices.allow" : "devices.deny", "a");
      continue;
    }
    snprintf(maj, sizeof maj, rule->major < 0 ? "*" : "%lld", (long long)rule->major);
    snprintf(min, sizeof min, rule->minor < 0 ? "*" : "%lld", (long long)rule->minor);
    snprintf(v, sizeof v, "%c %s:%s %s", rule->type, maj, min, rule->access);
    set_value(d, rule->allow ? "devices.allow" : "devices.deny", v);
  }
  for (size_t i = 0; i < BR_ARRAY_LEN(default_devices); i++) set_value(d, "devices.allow", default_devices[i]);
}

static void apply_v1(const struct cgroup *cg, const struct resources *r) {
  char v[64];
  const char *d;
  if ((d = ctrl_dir(cg, "devices"))) apply_devices_v1(d, r);
  if ((d = ctrl_dir(cg, "memory"))) {
    if (r->memory_limit > 0) {
      snprintf(v, sizeof v, "%lld", (long long)r->memory_limit);
      set_value(d, "memory.limit_in_bytes", v);
    }
    if (r->memory_swap > 0 || r->memory_swap == -1) {
      char p[1400];
      snprintf(p, sizeof p, "%s/memory.memsw.limit_in_bytes", d);
      /* Only when the kernel accounts swap (swapaccount=1) and the config asked for it. */
      if (r->memory_swap > 0 && access(p, F_OK) == 0) {
        snprintf(v, sizeof v, "%lld", (long long)r->memory_swap);
        set_value(d, "memory.memsw.limit_in_bytes", v);
      }
    }
  } else if (r->memory_limit > 0) {
    die("cgroup: memory limit set but the memory controller is not mounted");
  }
  if ((d = ctrl_dir(cg, "cpu"))) {
    if (r->cpu_shares) {
      snprintf(v, sizeof v, "%llu", (unsigned long long)r->cpu_shares);
      set_value(d, "cpu.shares", v);
    }
    if (r->cpu_period) {
      snprintf(v, sizeof v, "%llu", (unsigned long long)r->cpu_period);
      set_value(d, "cpu.cfs_period_us", v);
    }
    if (r->cpu_quota) {
      snprintf(v, sizeof v, "%lld", (long long)(r->cpu_quota < 0 ? -1 : r->cpu_quota));
      set_value(d, "cpu.cfs_quota_us", v);
    }
  }
  if ((d = ctrl_dir(cg, "pids"))) {
    if (r->pids_limit > 0) {
      snprintf(v, sizeof v, "%lld", (long long)r->pids_limit);
      set_value(d, "pids.max", v);
    }
  } else if (r->pids_limit > 0) {
    die("cgroup: pids limit set but the pids controller is not mounted");
  }
}

static void apply_v2(const struct cgroup *cg, const struct resources *r) {
  char v[64];
  const char *d = cg->dir[0];
  if (r->memory_limit > 0) {
    snprintf(v, sizeof v, "%lld", (long long)r->memory_limit);
    set_value(d, "memory.max", v);
    if (r->memory_swap > 0 && r->memory_swap >= r->memory_limit) {
      /* OCI swap is memory+swap; v2 counts swap alone. */
      snprintf(v, sizeof v, "%lld", (long long)(r->memory_swap - r->memory_limit));
      set_value(d, "memory.swap.max", v);
    }
  }
  if (r->cpu_shares) {
    /* The conversion runc and crun use: shares 2..262144 onto weight 1..10000. */
    unsigned long long s = r->cpu_shares < 2 ? 2 : r->cpu_shares > 262144 ? 262144 : r->cpu_shares;
    snprintf(v, sizeof v, "%llu", 1 + ((s - 2) * 9999) / 262142);
    set_value(d, "cpu.weight", v);
  }
  if (r->cpu_quota || r->cpu_period) {
    unsigned long long period = r->cpu_period ? r->cpu_period : 100000;
    if (r->cpu_quota > 0) snprintf(v, sizeof v, "%lld %llu", (long long)r->cpu_quota, period);
    else snprintf(v, sizeof v, "max %llu", period);
    set_value(d, "cpu.max", v);
  }
  if (r->pids_limit > 0) {
    snprintf(v, sizeof v, "%lld", (long long)r->pids_limit);
    set_value(d, "pids.max", v);
  }
  devices_bpf_attach(d, r->devices, r->n_devices, default_devices, BR_ARRAY_LEN(default_devices));
}

void cgroup_create(struct cgroup *cg, const struct resources *res) {
  if (cg->n == 0) die("cgroup: no usable cgroup controllers under " CGROUP_ROOT);
  if (cg->v2) v2_enable_controllers(cg);
  for (int i = 0; i < cg->n; i++)
    if (mkdir_p(cg->dir[i], 0755) < 0) die_errno("cgroup: mkdir %s", cg->dir[i]);
  if (cg->v2) apply_v2(cg, res);
  else apply_v1(cg, res);
}

int cgroup_add_pid(const struct cgroup *cg, pid_t pid, const char **what) {
  char v[32], path[1400];
  static char failed[1400];
  int n = snprintf(v, sizeof v, "%d", (int)pid);
  for (int i = 0; i < cg->n; i++) {
    snprintf(path, sizeof path, "%s/cgroup.procs", cg->dir[i]);
    if (write_file_at(AT_FDCWD, path, v, (size_t)n, 0, 0) < 0) {
      snprintf(failed, sizeof failed, "%s", path);
      *what = failed;
      return -1;
    }
  }
  return 0;
}

int cgroup_join_self_v1(const struct cgroup *cg, const char **what) {
  char path[1400];
  static char failed[1400];
  for (int i = 0; i < cg->n; i++) {
    snprintf(path, sizeof path, "%s/tasks", cg->dir[i]);
    if (write_file_at(AT_FDCWD, path, "0", 1, 0, 0) < 0) {
      snprintf(failed, sizeof failed, "%s", path);
      *what = failed;
      return -1;
    }
  }
  return 0;
}

/* Returns the value of "key N" in a flat-keyed cgroup file, or -1. */
static long long keyed_value(const char *dir, const char *file, const char *key) {
  char path[1400];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  char *text = read_file_at(AT_FDCWD, path, NULL);
  if (!text) return -1;
  long long value = -1;
  size_t klen = strlen(key);
  for (char *line = text; line && *line;) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
      value = strtoll(line + klen + 1, NULL, 10);
      break;
    }
    line = strchr(line, '\n');
    if (line) line++;
  }
  free(text);
  return value;
}

bool cgroup_oom_killed(const struct cgroup *cg) {
  if (cg->v2) return keyed_value(cg->dir[0], "memory.events", "oom_kill") > 0;
  const char *d = ctrl_dir(cg, "memory");
  return d && keyed_value(d, "memory.oom_control", "oom_kill") > 0;
}

static const char *procs_dir(const struct cgroup *cg) {
  if (cg->v2) return cg->dir[0];
  const char *d = ctrl_dir(cg, "pids");
  return d ? d : cg->n ? cg->dir[0] : NULL;
}

int cgroup_pids(const struct cgroup *cg, pid_t *pids, int max) {
  const char *d = procs_dir(cg);
  if (!d) return 0;
  char path[1400];
  snprintf(path, sizeof path, "%s/cgroup.procs", d);
  char *text = read_file_at(AT_FDCWD, path, NULL);
  if (!text) return errno == ENOENT ? 0 : -1;
  int n = 0;
  for (char *p = text; *p && n < max;) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p) break;
    pids[n++] = (pid_t)v;
    p = end;
    while (*p == '\n') p++;
  }
  free(text);
  return n;
}

int cgroup_signal_all(const struct cgroup *cg, int sig) {
  pid_t pids[4096];
  int n = cgroup_pids(cg, pids, (int)BR_ARRAY_LEN(pids));
  int sent = 0;
  for (int i = 0; i < n; i++)
    if (kill(pids[i], sig) == 0) sent++;
  return sent;
}

int cgroup_destroy(const struct cgroup *cg) {
  int rc = 0;
  for (int i = 0; i < cg->n; i++) {
    /* Tasks that were just killed leave the cgroup asynchronously: retry EBUSY for ~2 s. */
    for (int attempt = 0;; attempt++) {
      if (rmdir(cg->dir[i]) == 0 || errno == ENOENT) break;
      if (errno != EBUSY || attempt >= 2000) {
        rc = -1;
        break;
      }
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
  return rc;
}
