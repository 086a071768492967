/* Idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP): the rootfs and the bind mounts the config
 * marks are seen through the container's user namespace, so a file owned by host uid 0 looks
 * owned by the container's root, and what the container's root writes lands as uid 0 on disk.
 *
 * Only a process privileged over the filesystem (the monitor, in the host user namespace) may
 * idmap a mount, and only once the container's user namespace exists with its maps written;
 * the container init then attaches the detached mounts inside its own mount namespace. So:
 * the monitor makes them (idmap_make) after writing the id maps and sends them with SYNC_IDMAP
 * on the sync socket; the init receives them (idmap_receive) and rootfs.c attaches each with
 * move_mount instead of a bind. In a user namespace the rootfs and the other bind mounts travel
 * the same way, cloned on the host side without an idmap: the init may not be allowed to look
 * their sources up; and so does mqueue, which only the monitor may mount from a pod's IPC
 * namespace (owned by the host user namespace). */
#ifndef BERTH_IDMAP_H
#define BERTH_IDMAP_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* The detached mounts of one container: the root (or -1) and one per config mount (-1
 * for a mount the init makes itself). */
struct idmap_fds {
  int root;
  int root_target; /* with root: the rootfs directory in the init's own mount namespace */
  int *mount; /* c->n_mounts entries, or NULL when nothing is idmapped */
};

/* A detached copy of the mount at `path` (its subtree with `recursive`), idmapped with userns_fd
 * unless that is -1; dies naming `what` when the kernel refuses. */
int idmap_clone(const char *path, bool recursive, int userns_fd, const char *what);
/* Monitor side: makes the detached idmapped mounts for the container init `pid` and sends them
 * with the SYNC_IDMAP message. Dies naming the mount when the kernel refuses one. */
void idmap_send(const struct config *c, pid_t pid, int sock);
/* Init side: waits for SYNC_IDMAP and takes the mounts sent with it. */
void idmap_receive(const struct config *c, int sock, struct idmap_fds *out);

#endif
