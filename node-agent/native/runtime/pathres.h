/* Resolving paths inside a container root without ever leaving it: `..` at the root stays at
 * the root and absolute symlinks are taken relative to the root, exactly as if the process were
 * chrooted there. Uses openat2(RESOLVE_IN_ROOT) where the kernel has it, else a component walk
 * with O_NOFOLLOW that interprets each symlink itself. */
#ifndef BERTH_PATHRES_H
#define BERTH_PATHRES_H

enum create_kind { CREATE_NONE, CREATE_DIR, CREATE_FILE };

/* Returns an O_PATH|O_CLOEXEC fd for path (absolute or relative, taken inside root), creating
 * missing directories (and the leaf as `create` says). -1 with errno on failure. */
int open_in_root(int rootfd, const char *path, enum create_kind create);

/* "/proc/self/fd/N" for fd: what mount(2) is given so it acts on exactly the resolved inode. */
struct fdpath {
  char s[32];
};
struct fdpath fd_path(int fd);

#endif
