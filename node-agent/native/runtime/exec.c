/* The caller side of exec (exec.h): finds the running container, opens what the child joins,
 * forks it inside the container's pid namespace, reports on the control socket and waits. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"
#include "state.h"
#include "util.h"

/* The namespaces the child joins by setns, in order; pid is joined here, user last by the child. */
static const struct {
  const char *name;
  int flag;
} joined[] = {
    {"net", CLONE_NEWNET}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS},
};

/* An fd for the init's namespace `name`, or -1 when it is this process's own (nothing to join). */
static int open_ns(pid_t pid, const char *name) {
  char path[64], own[64];
  snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
  snprintf(own, sizeof own, "/proc/self/ns/%s", name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_errno("open %s", path);
  struct stat theirs, ours;
  if (fstat(fd, &theirs) < 0) die_errno("stat %s", path);
  if (stat(own, &ours) == 0 && ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev) {
    close(fd);
    return -1;
  }
  return fd;
}

static void open_target(struct exec_target *t, const struct state *st) {
  pid_t pid = st->pid;
  for (size_t i = 0; i < BR_ARRAY_LEN(joined); i++) {
    int fd = open_ns(pid, joined[i].name);
    if (fd < 0) continue;
    t->ns_fd[t->n_ns] = fd;
    t->ns_flag[t->n_ns++] = joined[i].flag;
  }
  t->user_fd = open_ns(pid, "user");
  char root[64];
  snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
  t->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (t->root_fd < 0) die_errno("open %s", root);
  /* Opened by pid: make sure that pid was still the init (not a reuse) once all are open. */
  bool zombie = false;
  if (proc_start_time(pid, &zombie) != st->pid_start || zombie) die("container is not running (its init has exited)");
  cgroup_init(&t->cg, st->cgroup_v2, st->cgroup_path);
}

/* fork, or on cgroup v2 clone3 straight into the container's cgroup (no migration to pay). */
static pid_t fork_child(struct exec_target *t) {
  if (t->cg.v2) {
    int cgfd = open(t->cg.dir[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) die_errno("open cgroup %s", t->cg.dir[0]);
    struct clone_args args = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgfd};
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
      t->in_cgroup = true;
      return 0;
    }
    close(cgfd);
    if (pid > 0) return (pid_t)pid;
    if (errno != ENOSYS && errno != E2BIG && errno != EINVAL) die_errno("clone3 into cgroup %s", t->cg.dir[0]);
  }
  pid_t pid = fork();
  if (pid < 0) die_errno("fork");
  return pid;
}

/* Waits for the child's report: the terminal's master (with a terminal), then an error text or
 * end of file (exec succeeded). Dies with the error. Returns the master or -1. */
static int await_start(int sock, bool tty, pid_t child) {
  int master = -1;
  char msg[3072];
  for (;;) {
    union {
      struct cmsghdr align;
      char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct iovec iov = {msg, sizeof msg - 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
    if (cm && cm->cmsg_type == SCM_RIGHTS && master < 0) {
      memcpy(&master, CMSG_DATA(cm), sizeof(int));
      continue;
    }
    if (n == 0 && (!tty || master >= 0)) return master; /* exec'd: the close-on-exec socket closed */
    waitpid(child, NULL, 0);
    if (n > 0) {
      msg[n] = 0;
      die("%s", msg);
    }
    die("the command's process ended before it could start");
  }
}

static int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int cmd_exec(const struct opts *o) {
  if (!o->command || !o->command[0]) usage("exec needs a command: exec [--tty] ID -- COMMAND [ARG...]");
  if (o->control_fd >= 0) err_setup(ERR_CONTROL, o->control_fd, "exec", o->id);
  /* A caller gone away makes writes fail with EPIPE instead of killing this process. */
  signal(SIGPIPE, SIG_IGN);
  struct state st;
  state_load(o->root, o->id, &st);
  if (st.status != ST_RUNNING) die("container is %s, not running: exec needs a running container", status_name(st.status));
  const char *bundle = json_get_str(st.doc, "bundle");
  if (!bundle) die("state of container %s names no bundle", o->id);
  struct config *c = config_load(bundle);
  config_prepare_seccomp(c, o->root);
  struct exec_target t = {.c = c, .user_fd = -1, .tty = o->tty, .rows = o->rows, .cols = o->cols, .caller = getpid()};
  open_target(&t, &st);

  static const int handled[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};
  sigset_t sigs;
  sigemptyset(&sigs);
  for (size_t i = 0; i < BR_ARRAY_LEN(handled); i++) sigaddset(&sigs, handled[i]);
  sigprocmask(SIG_BLOCK, &sigs, NULL);
  int sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) die_errno("signalfd");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) die_errno("socketpair");
  t.sync_fd = sv[1];
  int pidns = open_ns(st.pid, "pid");
  /* Only this process's future children enter it: the child forked next. */
  if (pidns >= 0 && setns(pidns, CLONE_NEWPID) < 0) die_errno("join the container's pid namespace");

  pid_t child = fork_child(&t);
  if (child == 0) {
    close(sv[0]);
    if (o->control_fd >= 0) close(o->control_fd);
    exec_child(&t, o->command);
  }
  close(sv[1]);
  int master = await_start(sv[0], o->tty, child);
  close(sv[0]);
  if (o->control_fd >= 0) {
    char line[32];
    int n = snprintf(line, sizeof line, "started %d\n", (int)child);
    write_all(o->control_fd, line, (size_t)n);
  }
  if (!o->tty) {
    /* The command has our stdio; our copies must not keep the caller's streams open. */
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null_fd >= 0; fd++) dup2(null_fd, fd);
  }
  int status = o->tty ? exec_relay(child, master, o->control_fd, sigfd) : exec_wait(child, o->control_fd, sigfd);
  return status_to_code(status);
}
