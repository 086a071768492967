#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "idmap.h"
#include "init.h"
#include "namespaces.h"

pid_t spawn_child_pid;

void spawn_container(struct spawn *s) {
  struct ns_fds ns;
  ns_enter_for_clone(s->c, &ns);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) die_errno("socketpair");

  /* A raw clone behaves like fork but creates the namespaces in the same step (this process
   * is single-threaded, so the child may use libc freely except getpid caches, unused here).
   * On cgroup v2, clone3(CLONE_INTO_CGROUP) starts the child in its cgroup: no migration. */
  bool in_cgroup = false;
  long pid = -1;
  if (s->cg->v2) {
    int cgfd = open(s->cg->dir[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) die_errno("open cgroup %s", s->cg->dir[0]);
    struct clone_args args = {
        .flags = (uint64_t)ns_clone_flags(s->c) | CLONE_INTO_CGROUP,
        .exit_signal = SIGCHLD,
        .cgroup = (uint64_t)cgfd,
    };
    pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid >= 0) in_cgroup = true;
    else if (errno != ENOSYS && errno != E2BIG && errno != EINVAL) die_errno("clone3 into cgroup %s", s->cg->dir[0]);
    if (pid != 0) close(cgfd);
  }
  if (!in_cgroup) pid = syscall(SYS_clone, (unsigned long)ns_clone_flags(s->c) | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0) die_errno("clone");
  if (pid == 0) {
    close(sv[0]);
    struct init_args a = {.c = s->c, .cg = s->cg, .ns = &ns, .sync_fd = sv[1], .fifo_fd = s->fifo_fd, .close_fd = s->close_fd};
    for (int i = 0; i < 3; i++) a.stdio[i] = s->stdio[i];
    container_init(&a);
  }
  spawn_child_pid = (pid_t)pid;
  ns_restore_after_clone(&ns);
  close(sv[1]);
  ns_close(&ns);

  const char *what;
  if (ns_write_id_maps(s->c, (pid_t)pid, &what) < 0) die_errno("write %s", what);
  idmap_send(s->c, (pid_t)pid, sv[0]);
  char msg2 = SYNC_CGROUP;
  /* v1: the init joined by itself (cheaper); v2 without clone3: move it from here. */
  if (!in_cgroup && s->cg->v2 && cgroup_add_pid(s->cg, (pid_t)pid, &what) < 0)
    die_errno("cgroup: add pid %ld to %s", pid, what);
  if (write(sv[0], &msg2, 1) != 1) die_errno("release container init");

  char msg[3072];
  ssize_t n;
  do n = read(sv[0], msg, sizeof msg - 1);
  while (n < 0 && errno == EINTR);
  if (n == 1 && msg[0] == INIT_READY) {
    s->pid = (pid_t)pid;
    s->sync_fd = sv[0];
    return;
  }
  if (n > 0) {
    msg[n] = 0;
    die("%s", msg);
  }
  die("container init exited during setup");
}
