/* Namespaces of a container: which are created by clone(2), which are joined by path with
 * setns(2), and the user namespace id maps written by the monitor.
 *
 * Order matters. Namespaces joined by path (net, ipc, uts, cgroup, pid) are entered by the
 * monitor just around clone, so the child starts inside them while the monitor still has the
 * host's privileges (a child in a new user namespace could not join a netns owned by the host),
 * and the monitor switches back right after. A user namespace given by path is joined first in
 * the child, which then unshares the rest so that namespace owns them. The cgroup namespace is
 * unshared only after the child sits in its cgroup, so that cgroup becomes its root. */
#ifndef BERTH_NAMESPACES_H
#define BERTH_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

struct ns_fds {
  int n;
  int fd[8], flag[8]; /* namespaces to join */
  int saved[8];       /* the monitor's own, to return to after clone (-1: none) */
};

/* CLONE_NEW* flags for the namespaces to create at clone time. */
int ns_clone_flags(const struct config *c);
/* Monitor, before clone: opens every namespace path and enters all but the user namespace. */
void ns_enter_for_clone(const struct config *c, struct ns_fds *fds);
/* Monitor, after clone: back to its own namespaces. */
void ns_restore_after_clone(struct ns_fds *fds);
/* Child, after the monitor wrote the id maps: joins a user namespace given by path, then
 * unshares the rest. */
void ns_join_child(const struct config *c, const struct ns_fds *fds);
/* Whether the child must unshare a new cgroup namespace (once it sits in its cgroup). */
bool ns_wants_new_cgroupns(const struct config *c);
/* Monitor: writes uid_map/gid_map of pid. -1 and *what set on failure. */
int ns_write_id_maps(const struct config *c, pid_t pid, const char **what);
void ns_close(struct ns_fds *fds);

#endif
