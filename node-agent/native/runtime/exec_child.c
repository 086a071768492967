/* The child side of exec (exec.h): enters the container and executes the command. Every
 * failure goes to the caller side as text on the sync socket (err mode ERR_PIPE). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "exec.h"
#include "init.h"
#include "rootfs.h"
#include "security.h"
#include "util.h"

/* Sends the terminal's master to the caller side, which copies between it and its stdio. */
static void send_master(int sock, int master) {
  char byte = 'M';
  struct iovec iov = {&byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &master, sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) die_errno("send the terminal to the caller");
}

/* Inside the container's mount namespace and root: a terminal of the container's devpts, its
 * slave as stdin, stdout, stderr and controlling terminal of a new session. */
static void open_terminal(const struct exec_target *t) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) die_errno("open the container's /dev/ptmx");
  if (unlockpt(master) < 0) die_errno("unlockpt");
  char name[64];
  if (ptsname_r(master, name, sizeof name) != 0) die_errno("ptsname");
  int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) die_errno("open %s", name);
  /* Like runc: the terminal belongs to the user the command runs as. */
  if (fchown(slave, t->c->uid, (gid_t)-1) < 0 && errno != EPERM && errno != EINVAL) die_errno("chown %s", name);
  if (t->rows && t->cols) {
    struct winsize ws = {.ws_row = t->rows, .ws_col = t->cols};
    if (ioctl(master, TIOCSWINSZ, &ws) < 0) die_errno("set the terminal size");
  }
  send_master(t->sync_fd, master);
  close(master);
  if (setsid() < 0) die_errno("setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die_errno("make %s the controlling terminal", name);
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) die_errno("dup2 terminal");
  close(slave);
}

/* In the container's pid namespace the caller is outside, so getppid() says 0 while it lives;
 * once it is gone the child has been handed to a reaper inside (1, or a subreaper). */
static bool caller_alive(const struct exec_target *t) {
  pid_t parent = getppid();
  return parent == 0 || parent == t->caller;
}

static void join_cgroup(const struct exec_target *t) {
  if (t->in_cgroup) return;
  const char *what;
  int r = t->cg.v2 ? cgroup_add_pid(&t->cg, 0, &what) : cgroup_join_self_v1(&t->cg, &what);
  if (r < 0) die_errno("cgroup: join %s", what);
}

void exec_child(const struct exec_target *t, char **argv) {
  err_setup(ERR_PIPE, t->sync_fd, NULL, NULL);
  err_set_cleanup(NULL);
  /* Until exec, nothing in the container may ptrace us or open our /proc entries: we still
   * hold host namespaces and directories. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || !caller_alive(t)) _exit(1);
  reset_signals();
  umask(022);
  join_cgroup(t);
  for (int i = 0; i < t->n_ns; i++)
    if (setns(t->ns_fd[i], t->ns_flag[i]) < 0) die_errno("join the container's namespace (%#x)", t->ns_flag[i]);
  /* The init's root, whatever the mount namespace's own root is. */
  if (fchdir(t->root_fd) < 0 || chroot(".") < 0) die_errno("enter the container's root");
  security_apply_rlimits(t->c);
  if (t->user_fd >= 0 && setns(t->user_fd, CLONE_NEWUSER) < 0) die_errno("join the container's user namespace");
  /* The namespace and root descriptors are the host's: gone before any container path. */
  security_close_fds(t->sync_fd, -1);
  if (t->tty) open_terminal(t);
  else if (setpgid(0, 0) < 0) die_errno("setpgid"); /* its own group: the caller kills it whole */
  rootfs_chdir(t->c);
  security_apply_seccomp(t->c, SECCOMP_BEFORE_IDENTITY);
  security_apply_identity(t->c);
  char **env = with_home(t->c);
  struct config c = *t->c;
  c.args = argv;
  char pathbuf[PATH_MAX];
  const char *exe = find_executable(&c, pathbuf, sizeof pathbuf);
  security_close_fds(t->sync_fd, -1);
  /* Changing the identity cleared the parent-death signal: set it again for the command. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || !caller_alive(t)) _exit(1);
  security_apply_seccomp(t->c, SECCOMP_LAST);
  execve(exe, argv, env);
  die_errno("exec %s", argv[0]);
}
