/* The monitor side of creation: opens the namespaces to join, clones the container init into
 * its new namespaces, writes its id maps and cgroup membership, releases it and waits until it
 * reports ready (or fails, which is fatal here). */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include "cgroups.h"
#include "config.h"

struct spawn {
  const struct config *c;
  const struct cgroup *cg;
  int fifo_fd;
  int stdio[3];
  int close_fd; /* closed in the container right after clone, or -1 */
  pid_t pid;   /* out: the container init */
  int sync_fd; /* out: monitor end of the sync socket (exec errors arrive here) */
};

/* The pid being created, for undo-on-failure cleanup (0 when none). */
extern pid_t spawn_child_pid;

void spawn_container(struct spawn *s);

#endif
