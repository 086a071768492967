/* Container cgroups on either layout, detected at start: cgroup v2 when /sys/fs/cgroup is a
 * cgroup2 mount, otherwise v1 (including the hybrid layout, where the v2 tree at
 * /sys/fs/cgroup/unified is left alone). The container's cgroupsPath names the same relative
 * path under every v1 controller it uses (memory, cpu, cpuacct, pids, devices) or under the v2
 * root. Device access rules are enforced on v1 only (v2 would need a BPF program).
 *
 * Lifecycle: cgroup_init -> cgroup_create (dirs + limits, before the container process exists)
 * -> the container init joins (v1: it moves itself, first thing after clone; v2: clone3 starts
 * it inside, else the monitor moves it while it waits) -> cgroup_oom_killed at exit ->
 * cgroup_destroy on delete. */
#ifndef BERTH_CGROUPS_H
#define BERTH_CGROUPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_MAX_CTRL 5

struct cgroup {
  bool v2;
  char path[1024];                       /* relative, starts with '/' */
  int n;                                 /* number of directories below */
  const char *ctrl[CGROUP_MAX_CTRL];     /* v1 controller names ("" for v2) */
  char dir[CGROUP_MAX_CTRL][1200];       /* absolute directories */
};

bool cgroup_is_v2(void);
/* Fills cg for path on the detected (or given, when reloading from state) layout. */
void cgroup_init(struct cgroup *cg, bool v2, const char *path);
/* Creates the directories (parents as needed) and writes the limits; dies on error. */
void cgroup_create(struct cgroup *cg, const struct resources *res);
/* Moves pid into every directory; -1 with errno and the failing file in *what. */
int cgroup_add_pid(const struct cgroup *cg, pid_t pid, const char **what);
/* v1: the calling single-threaded process moves itself by writing "0" to each "tasks" file.
 * The kernel then skips the global threadgroup lock whose RCU grace period makes every
 * cgroup.procs write cost ~10-20 ms; this costs ~0.1 ms. */
int cgroup_join_self_v1(const struct cgroup *cg, const char **what);
bool cgroup_oom_killed(const struct cgroup *cg);
/* Reads the pids in the container's cgroup; returns count (<= max), -1 on error. */
int cgroup_pids(const struct cgroup *cg, pid_t *pids, int max);
/* Sends sig to every process in the cgroup. Returns number signalled. */
int cgroup_signal_all(const struct cgroup *cg, int sig);
/* Removes the leaf directories, waiting briefly for exiting tasks. -1 on failure. */
int cgroup_destroy(const struct cgroup *cg);

#endif
