/* The container side of creation: the child of clone(2), already in its new namespaces. It
 * waits until the monitor has placed it in its cgroup (and written id maps), builds the
 * container (hostname, mounts, pivot_root, cwd, rlimits, identity, capabilities), reports
 * ready, waits for `start` on the exec fifo (create only) and execs the process.
 *
 * The init is in its cgroup before it does anything else: on v1 it moves itself first thing
 * (see cgroup_join_self_v1), on v2 clone3(CLONE_INTO_CGROUP) started it there, and only on a
 * v2 kernel without clone3 the monitor moves it, while the init builds its mounts; it waits for
 * SYNC_CGROUP before unsharing the cgroup namespace or running anything of the container.
 *
 * Protocol on the SOCK_SEQPACKET sync socket: monitor -> init SYNC_IDMAP once the user
 * namespace id maps are written (sent at once when there are none), then SYNC_CGROUP once the
 * init is surely in its cgroup; init -> monitor INIT_READY, or one message with the error text
 * (also after ready, when exec fails). */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include "cgroups.h"
#include "config.h"
#include "namespaces.h"

#define INIT_READY '\001'
#define SYNC_IDMAP 'U'
#define SYNC_CGROUP 'C'

struct init_args {
  const struct config *c;
  const struct cgroup *cg;
  const struct ns_fds *ns;
  int sync_fd;
  int fifo_fd;  /* -1: exec right after ready (run) */
  int stdio[3]; /* fds to become 0, 1, 2 (-1 = keep) */
  int close_fd; /* a monitor fd the container must not hold even before exec, or -1 */
};

__attribute__((noreturn)) void container_init(const struct init_args *a);

/* Shared with exec (exec_child.c), which starts its process the way the init does. */
/* Resolves args[0] against the container's PATH in the current root; dies when not found. */
const char *find_executable(const struct config *c, char *buf, size_t len);
/* The environment to exec with: HOME added from /etc/passwd (or "/") when missing. */
char **with_home(const struct config *c);
/* Nothing blocked, no signal ignored (ignored dispositions survive exec). */
void reset_signals(void);

#endif
