#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pathres.h"

/* Flags a bind remount must repeat, or the kernel refuses (in a user ns) or clears them. */
static unsigned long locked_flags(const char *path) {
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(path, &sv) < 0) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

static int resolve_or_die(int rootfd, const char *dest, enum create_kind create) {
  int fd = open_in_root(rootfd, dest, create);
  if (fd < 0) die_errno("resolve mount target %s inside the rootfs", dest);
  return fd;
}

/* Re-resolves dest (now the root of a new mount) and applies flags with a bind remount. */
static void remount_bind(int rootfd, const char *dest, unsigned long flags) {
  int fd = resolve_or_die(rootfd, dest, CREATE_NONE);
  struct fdpath fp = fd_path(fd);
  flags |= locked_flags(fp.s);
  if (mount(NULL, fp.s, NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0) die_errno("remount %s", dest);
  close(fd);
}

static void set_propagation(int rootfd, const char *dest, unsigned long prop) {
  int fd = resolve_or_die(rootfd, dest, CREATE_NONE);
  struct fdpath fp = fd_path(fd);
  if (mount(NULL, fp.s, NULL, prop, NULL) < 0) die_errno("set propagation of %s", dest);
  close(fd);
}

/* Attaches the detached mount `mfd` (a copy of src the monitor made, idmap.c) on dest. */
static void attach_mount(int mfd, int tfd, const char *src, const char *dest) {
  if (syscall(SYS_move_mount, mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    die_errno("attach the idmapped mount of %s on %s", src, dest);
  close(mfd);
}

/* mfd >= 0: the monitor's copy of src (idmapped or not) to attach instead of binding src. */
static void bind_mount_fd(int rootfd, const char *src, const char *dest, unsigned long flags, unsigned long prop, int mfd) {
  int sfd = mfd >= 0 ? dup(mfd) : open(src, O_PATH | O_CLOEXEC);
  if (sfd < 0) die_errno("bind mount source %s", src);
  struct stat st;
  if (fstat(sfd, &st) < 0) die_errno("stat %s", src);
  int tfd = resolve_or_die(rootfd, dest, S_ISDIR(st.st_mode) ? CREATE_DIR : CREATE_FILE);
  struct fdpath sp = fd_path(sfd), tp = fd_path(tfd);
  if (mfd >= 0) attach_mount(mfd, tfd, src, dest);
  else if (mount(sp.s, tp.s, NULL, MS_BIND | (flags & MS_REC), NULL) < 0) die_errno("bind mount %s on %s", src, dest);
  close(sfd);
  close(tfd);
  unsigned long rest = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (rest) remount_bind(rootfd, dest, rest);
  if (prop) set_propagation(rootfd, dest, prop);
}

static void bind_mount(int rootfd, const char *src, const char *dest, unsigned long flags, unsigned long prop) {
  bind_mount_fd(rootfd, src, dest, flags, prop, -1);
}

/* "cgroup" mounts: v2 with a cgroup namespace gets a real cgroup2 mount (it shows only the
 * container's subtree); otherwise the container's own cgroup directories are bound in, so the
 * container never sees its siblings. */
static void mount_cgroup(int rootfd, const struct mount_spec *m, const struct cgroup *cg, bool cgroupns) {
  unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (cg->v2) {
    if (cgroupns) {
      int tfd = resolve_or_die(rootfd, m->destination, CREATE_DIR);
      struct fdpath tp = fd_path(tfd);
      if (mount("cgroup2", tp.s, "cgroup2", flags, NULL) < 0) die_errno("mount cgroup2 on %s", m->destination);
      close(tfd);
    } else {
      bind_mount(rootfd, cg->dir[0], m->destination, flags, 0);
    }
    return;
  }
  int tfd = resolve_or_die(rootfd, m->destination, CREATE_DIR);
  struct fdpath tp = fd_path(tfd);
  if (mount("tmpfs", tp.s, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    die_errno("mount tmpfs on %s", m->destination);
  close(tfd);
  for (int i = 0; i < cg->n; i++) {
    char dest[1200];
    snprintf(dest, sizeof dest, "%s/%s", m->destination, cg->ctrl[i]);
    bind_mount(rootfd, cg->dir[i], dest, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  }
  if (flags & MS_RDONLY) remount_bind(rootfd, m->destination, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/* "rro": MS_RDONLY on a bind remount covers only the top mount; mount_setattr with AT_RECURSIVE
 * makes every mount below dest read-only too (Linux 5.12+). */
static void make_recursively_readonly(int rootfd, const char *dest) {
  int fd = resolve_or_die(rootfd, dest, CREATE_NONE);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    die_errno("make %s read-only recursively", dest);
  close(fd);
}

static void mount_one(int rootfd, const struct mount_spec *m, const struct cgroup *cg, bool cgroupns, int mfd) {
  if (m->bind) {
    bind_mount_fd(rootfd, m->source, m->destination, m->flags, m->propagation, mfd);
    if (m->recursive_ro) make_recursively_readonly(rootfd, m->destination);
    return;
  }
  if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
    mount_cgroup(rootfd, m, cg, cgroupns);
    return;
  }
  int tfd = resolve_or_die(rootfd, m->destination, CREATE_DIR);
  if (mfd >= 0) { /* made by the monitor (idmap.c: mqueue in a user namespace) */
    attach_mount(mfd, tfd, m->type, m->destination);
    close(tfd);
    return;
  }
  struct fdpath tp = fd_path(tfd);
  if (mount(m->source, tp.s, m->type, m->flags & ~MS_REMOUNT, m->data) < 0) {
    /* sysfs cannot be mounted in a user namespace that does not own the network namespace;
     * fall back to a read-only bind of the host's /sys like runc does. */
    if (errno == EPERM && strcmp(m->type, "sysfs") == 0) {
      close(tfd);
      bind_mount(rootfd, "/sys", m->destination, MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
      return;
    }
    die_errno("mount %s on %s", m->type, m->destination);
  }
  close(tfd);
  if (m->propagation) set_propagation(rootfd, m->destination, m->propagation);
}

static const struct {
  const char *name;
  unsigned maj, min;
} devices[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

static const struct {
  const char *target, *name;
} dev_links[] = {{"pts/ptmx", "ptmx"},           {"/proc/self/fd", "fd"},         {"/proc/self/fd/0", "stdin"},
                 {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};

static void make_dev(int rootfd, bool in_userns) {
  int devfd = open_in_root(rootfd, "/dev", CREATE_NONE);
  if (devfd < 0) die_errno("open /dev in the rootfs");
  for (size_t i = 0; i < BR_ARRAY_LEN(devices); i++) {
    if (!in_userns && mknodat(devfd, devices[i].name, S_IFCHR | 0666, makedev(devices[i].maj, devices[i].min)) == 0)
      continue;
    if (!in_userns && errno != EPERM) die_errno("mknod /dev/%s", devices[i].name);
    /* In a user namespace device nodes cannot be created: bind the host's. */
    char src[32], dest[32];
    snprintf(src, sizeof src, "/dev/%s", devices[i].name);
    snprintf(dest, sizeof dest, "/dev/%s", devices[i].name);
    bind_mount(rootfd, src, dest, 0, 0);
  }
  for (size_t i = 0; i < BR_ARRAY_LEN(dev_links); i++)
    if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
      die_errno("symlink /dev/%s", dev_links[i].name);
  for (const char *d = "shm"; d; d = d[0] == 's' ? "pts" : NULL)
    if (mkdirat(devfd, d, 0755) < 0 && errno != EEXIST) die_errno("mkdir /dev/%s", d);
  close(devfd);
}

static void mask_paths(int rootfd, const struct config *c) {
  for (size_t i = 0; i < c->n_masked; i++) {
    const char *p = c->masked_paths[i];
    int fd = open_in_root(rootfd, p, CREATE_NONE);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      die_errno("resolve masked path %s", p);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) die_errno("stat masked path %s", p);
    struct fdpath fp = fd_path(fd);
    int r = S_ISDIR(st.st_mode) ? mount("tmpfs", fp.s, "tmpfs", MS_RDONLY, "size=0")
                                : mount("/dev/null", fp.s, NULL, MS_BIND, NULL);
    if (r < 0) die_errno("mask %s", p);
    close(fd);
    /* A bind mount ignores MS_RDONLY on creation: make the /dev/null stand-in read-only too. */
    if (!S_ISDIR(st.st_mode)) remount_bind(rootfd, p, MS_RDONLY);
  }
}

static void readonly_paths(int rootfd, const struct config *c) {
  for (size_t i = 0; i < c->n_readonly; i++) {
    const char *p = c->readonly_paths[i];
    int fd = open_in_root(rootfd, p, CREATE_NONE);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      die_errno("resolve read-only path %s", p);
    }
    struct fdpath fp = fd_path(fd);
    if (mount(fp.s, fp.s, NULL, MS_BIND | MS_REC, NULL) < 0) die_errno("bind %s read-only", p);
    close(fd);
    remount_bind(rootfd, p, MS_RDONLY);
  }
}

void rootfs_setup(const struct config *c, const struct cgroup *cg, bool in_userns, const struct idmap_fds *idmapped) {
  /* Nothing done below may propagate back to the host. */
  if (mount(NULL, "/", NULL, c->rootfs_propagation, NULL) < 0) die_errno("make / %s", "private");
  int rootfd;
  if (idmapped->root >= 0) {
    /* The monitor's copy of the rootfs goes on the rootfs directory as the monitor opened it in
     * this mount namespace: from a user namespace its path may not even be searchable. */
    if (syscall(SYS_move_mount, idmapped->root, "", idmapped->root_target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      die_errno("attach the rootfs on %s", c->root_path);
    close(idmapped->root_target);
    rootfd = idmapped->root;
  } else {
    if (mount(c->root_path, c->root_path, NULL, MS_BIND | MS_REC, NULL) < 0) die_errno("bind mount rootfs %s", c->root_path);
    rootfd = open(c->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) die_errno("open rootfs %s", c->root_path);
  }
  bool cgroupns = config_ns(c, CLONE_NEWCGROUP) != NULL;
  bool dev_tmpfs = false;
  for (size_t i = 0; i < c->n_mounts; i++) {
    const struct mount_spec *m = &c->mounts[i];
    mount_one(rootfd, m, cg, cgroupns, idmapped->mount ? idmapped->mount[i] : -1);
    if (strcmp(m->destination, "/dev") == 0) dev_tmpfs = !m->bind && strcmp(m->type, "tmpfs") == 0;
  }
  if (dev_tmpfs) make_dev(rootfd, in_userns);
  mask_paths(rootfd, c);
  readonly_paths(rootfd, c);

  if (fchdir(rootfd) < 0) die_errno("chdir to rootfs");
  close(rootfd);
  /* pivot_root(".", ".") stacks the old root under the new one; detaching "." then drops it
   * without needing a directory for it inside the rootfs. */
  if (syscall(SYS_pivot_root, ".", ".") < 0) die_errno("pivot_root into %s", c->root_path);
  if (umount2(".", MNT_DETACH) < 0) die_errno("detach the old root");
  if (chdir("/") < 0) die_errno("chdir /");
  if (c->root_readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags("/"), NULL) < 0)
    die_errno("remount / read-only");
}

void rootfs_chdir(const struct config *c) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) die_errno("open /");
  int fd = open_in_root(root, c->cwd, CREATE_NONE);
  if (fd < 0) die_errno("cwd %s", c->cwd);
  if (fchdir(fd) < 0) die_errno("chdir to cwd %s", c->cwd);
  close(fd);
  close(root);
}
