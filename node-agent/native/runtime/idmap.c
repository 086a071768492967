#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"
#include "util.h"

/* More than any container needs, and below SCM_RIGHTS' limit of 253 descriptors. */
#define IDMAP_MAX_FDS 200

/* mqueue belongs to the IPC namespace it is mounted from, and only a process privileged over that
 * namespace's owner may mount it: the pod's IPC namespace is the host user namespace's, so the
 * monitor mounts it, from inside that IPC namespace, for an init in a user namespace. */
static bool is_mqueue(const struct mount_spec *m) {
  return !m->bind && m->type && strcmp(m->type, "mqueue") == 0;
}

static int make_mqueue(pid_t pid, const struct mount_spec *m, const char *what) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/ipc", (int)pid);
  int target = open(path, O_RDONLY | O_CLOEXEC), own = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
  if (target < 0 || own < 0) die_errno("%s: open the IPC namespaces", what);
  if (setns(target, CLONE_NEWIPC) < 0) die_errno("%s: enter the container's IPC namespace", what);
  int fs = (int)syscall(SYS_fsopen, "mqueue", FSOPEN_CLOEXEC);
  if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) die_errno("%s: create an mqueue filesystem", what);
  unsigned attrs = (m->flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) | (m->flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
                   (m->flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) | (m->flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0);
  int fd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
  if (fd < 0) die_errno("%s: mount mqueue", what);
  if (setns(own, CLONE_NEWIPC) < 0) die_errno("%s: return to the monitor's IPC namespace", what);
  close(fs);
  close(target);
  close(own);
  return fd;
}

/* Whether the monitor sends mount i. In a user namespace every bind mount is cloned on the host
 * side: the init, no longer privileged there, might not even be allowed to look up its source
 * (a volume under the agent's 0700 state directory). */
static bool sent(const struct config *c, size_t i) {
  const struct mount_spec *m = &c->mounts[i];
  bool userns = config_ns(c, CLONE_NEWUSER) != NULL;
  return m->idmap || (m->bind && userns) || (userns && is_mqueue(m));
}

/* The rootfs too, for the same reason. */
static bool root_sent(const struct config *c) {
  return c->root_idmap || config_ns(c, CLONE_NEWUSER) != NULL;
}

static size_t count_sent(const struct config *c) {
  size_t n = root_sent(c) ? 2 : 0;
  for (size_t i = 0; i < c->n_mounts; i++) n += sent(c, i);
  return n;
}

/* A detached copy of the mount at `path` (its subtree with `recursive`), idmapped with userns_fd
 * unless that is -1. */
int idmap_clone(const char *path, bool recursive, int userns_fd, const char *what) {
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (fd < 0) die_errno("%s: clone the mount of %s", what, path);
  if (userns_fd < 0) return fd;
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)userns_fd};
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    die_errno("%s: idmap the mount of %s (the filesystem must support idmapped mounts)", what, path);
  }
  return fd;
}

void idmap_send(const struct config *c, pid_t pid, int sock) {
  char tag = SYNC_IDMAP;
  struct iovec iov = {&tag, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  int fds[IDMAP_MAX_FDS];
  size_t n = 0;
  if (count_sent(c) > IDMAP_MAX_FDS) die("config.json: mounts: more than %d bind mounts in a user namespace", IDMAP_MAX_FDS);
  if (count_sent(c) > 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    int userns = open(path, O_RDONLY | O_CLOEXEC);
    if (userns < 0) die_errno("open the container's user namespace %s", path);
    if (root_sent(c)) {
      fds[n++] = idmap_clone(c->root_path, !c->root_idmap, c->root_idmap ? userns : -1, "root.path");
      /* Where it goes, opened through the init's root so it is in the init's mount namespace:
       * the init itself may not be allowed to look the path up. */
      char target[4200];
      snprintf(target, sizeof target, "/proc/%d/root%s", (int)pid, c->root_path);
      fds[n] = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fds[n++] < 0) die_errno("root.path: open %s", target);
    }
    for (size_t i = 0; i < c->n_mounts; i++) {
      const struct mount_spec *m = &c->mounts[i];
      if (!sent(c, i)) continue;
      char what[32];
      snprintf(what, sizeof what, "mounts[%zu]", i);
      if (is_mqueue(m)) fds[n++] = make_mqueue(pid, m, what);
      else fds[n++] = idmap_clone(m->source, m->idmap ? m->idmap_recursive : (m->flags & MS_REC) != 0, m->idmap ? userns : -1, what);
    }
    close(userns);
  }
  char *control = NULL;
  if (n > 0) {
    size_t len = CMSG_SPACE(n * sizeof(int));
    control = xcalloc(1, len);
    msg.msg_control = control;
    msg.msg_controllen = len;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
  }
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) die_errno("release container init");
  for (size_t i = 0; i < n; i++) close(fds[i]);
  free(control);
}

void idmap_receive(const struct config *c, int sock, struct idmap_fds *out) {
  char tag = 0;
  struct iovec iov = {&tag, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(IDMAP_MAX_FDS * sizeof(int))];
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r;
  do r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r != 1 || tag != SYNC_IDMAP) _exit(1); /* the monitor gave up */
  int fds[IDMAP_MAX_FDS];
  size_t n = 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    memcpy(fds + n, CMSG_DATA(cm), k * sizeof(int));
    n += k;
  }
  size_t expected = count_sent(c);
  if (n != expected) die("the monitor sent %zu mounts, %zu expected", n, expected);
  size_t next = 0;
  out->root = root_sent(c) ? fds[next++] : -1;
  out->root_target = root_sent(c) ? fds[next++] : -1;
  out->mount = NULL;
  if (expected > (root_sent(c) ? 2u : 0u)) {
    out->mount = xcalloc(c->n_mounts, sizeof(int));
    for (size_t i = 0; i < c->n_mounts; i++) out->mount[i] = sent(c, i) ? fds[next++] : -1;
  }
}
