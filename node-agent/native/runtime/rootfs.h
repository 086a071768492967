/* Building the container's filesystem view inside its new mount namespace: the configured
 * mounts (each target resolved inside the rootfs and mounted through /proc/self/fd/N), a
 * minimal /dev when /dev is a tmpfs, masked and read-only paths, then pivot_root and the
 * read-only root. Runs in the container init, before the identity switch. */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include "cgroups.h"
#include "config.h"
#include "idmap.h"

/* `idmapped`: the detached idmapped mounts the monitor made (idmap.h), attached instead of binds. */
void rootfs_setup(const struct config *c, const struct cgroup *cg, bool in_userns, const struct idmap_fds *idmapped);
/* After pivot_root: change to process.cwd, resolved inside the new root. */
void rootfs_chdir(const struct config *c);

#endif
