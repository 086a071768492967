#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "idmap.h"
#include "rootfs.h"
#include "security.h"

static const char *env_path(char **env) {
  for (char **e = env; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) return *e + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/* Resolves args[0] like execvp, but against the container's PATH and before `start`, so a
 * missing binary fails `create` instead of the container. */
const char *find_executable(const struct config *c, char *buf, size_t len) {
  const char *name = c->args[0];
  struct stat st;
  if (strchr(name, '/')) {
    if (stat(name, &st) < 0) die_errno("exec %s", name);
    return name;
  }
  const char *p = env_path(c->env);
  while (*p) {
    const char *colon = strchrnul(p, ':');
    snprintf(buf, len, "%.*s/%s", (int)(colon - p), p, name);
    if (colon != p && stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0) return buf;
    p = *colon ? colon + 1 : colon;
  }
  die("exec %s: executable file not found in $PATH", name);
}

/* Like runc and crun: a process without HOME gets the home directory of its uid from the
 * container's /etc/passwd, or "/". Returns the environment to exec with. */
char **with_home(const struct config *c) {
  size_t n = 0;
  for (char **e = c->env; *e; e++, n++)
    if (strncmp(*e, "HOME=", 5) == 0) return c->env;
  const char *home = "/";
  char *passwd = read_file_at(AT_FDCWD, "/etc/passwd", NULL);
  for (char *line = passwd; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = 0;
    /* name:password:uid:gid:gecos:home:shell */
    char *f[7] = {line};
    int k = 1;
    for (char *p = line; *p && k < 7; p++)
      if (*p == ':') {
        *p = 0;
        f[k++] = p + 1;
      }
    if (k >= 6 && strtoul(f[2], NULL, 10) == c->uid && *f[2] && *f[5]) {
      home = f[5];
      break;
    }
    line = next;
  }
  char **env = xcalloc(n + 2, sizeof *env);
  memcpy(env, c->env, n * sizeof *env);
  size_t len = strlen(home) + 6;
  env[n] = xmalloc(len);
  snprintf(env[n], len, "HOME=%s", home);
  return env;
}

static void await_monitor(int fd, char want) {
  char b;
  ssize_t n;
  do n = read(fd, &b, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1 || b != want) _exit(1); /* the monitor gave up */
}

/* The kernel's struct sigaction (x86-64, arm64), for rt_sigaction without glibc in between. */
struct kernel_sigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};

/*
 * The container's process starts with nothing blocked and no signal ignored, whatever its
 * caller ignored. Ignored dispositions survive exec. glibc's sigaction refuses its two internal
 * signals (32 and 33), and its posix_spawn leaves them ignored in the child: the agent starts
 * berth-runtime that way, so the raw system call resets them too.
 */
void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  struct kernel_sigaction dfl = {.handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++) {
    struct kernel_sigaction old;
    if (syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof old.mask) == 0 && old.handler == SIG_IGN)
      syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
  }
}

void container_init(const struct init_args *a) {
  const struct config *c = a->c;
  err_setup(ERR_PIPE, a->sync_fd, NULL, NULL);
  err_set_cleanup(NULL); /* the monitor undoes creation, not us */
  if (a->close_fd >= 0) close(a->close_fd);
  reset_signals();
  /* Until exec, nothing in the container may ptrace us or open our /proc entries. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  for (int i = 0; i < 3; i++)
    if (a->stdio[i] >= 0 && a->stdio[i] != i && dup2(a->stdio[i], i) < 0) die_errno("dup2 stdio");

  if (!a->cg->v2) {
    const char *what;
    if (cgroup_join_self_v1(a->cg, &what) < 0) die_errno("cgroup: join %s", what);
  }
  struct idmap_fds idmapped;
  idmap_receive(c, a->sync_fd, &idmapped);
  const struct ns_spec *user = config_ns(c, CLONE_NEWUSER);
  if (user && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) && c->uid_map)
    die_errno("become root in the user namespace");
  ns_join_child(c, a->ns);
  bool in_cgroup = false;
  if (ns_wants_new_cgroupns(c)) {
    /* The namespace root is the cgroup we sit in when unsharing: wait to be in ours. */
    await_monitor(a->sync_fd, SYNC_CGROUP);
    in_cgroup = true;
    if (unshare(CLONE_NEWCGROUP) < 0) die_errno("unshare cgroup namespace");
  }
  if (c->hostname && *c->hostname) {
    if (!config_ns(c, CLONE_NEWUTS)) die("hostname set without a uts namespace");
    if (sethostname(c->hostname, strlen(c->hostname)) < 0) die_errno("sethostname %s", c->hostname);
  }
  if (!config_ns(c, CLONE_NEWNS)) die("a mount namespace is required");
  umask(0);
  rootfs_setup(c, a->cg, user != NULL, &idmapped);
  /* From here on the container's paths are resolved: no host descriptor may be open. */
  security_close_fds(a->sync_fd, a->fifo_fd);
  rootfs_chdir(c);
  umask(022);
  if (!in_cgroup) await_monitor(a->sync_fd, SYNC_CGROUP);
  security_apply_rlimits(c);
  security_apply_seccomp(c, SECCOMP_BEFORE_IDENTITY);
  security_apply_identity(c);
  char **env = with_home(c);
  char pathbuf[PATH_MAX];
  const char *exe = find_executable(c, pathbuf, sizeof pathbuf);
  security_close_fds(a->sync_fd, a->fifo_fd);
  security_apply_seccomp(c, SECCOMP_LAST);

  char ready = INIT_READY;
  if (write(a->sync_fd, &ready, 1) != 1) _exit(1);
  if (a->fifo_fd >= 0) {
    char b;
    ssize_t n;
    do n = read(a->fifo_fd, &b, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    close(a->fifo_fd);
  }
  /* Left open: the sync socket (close-on-exec), to report a failed exec. */
  execve(exe, c->args, env);
  int e = errno;
  char msg[512];
  int n = snprintf(msg, sizeof msg, "exec %s: %s", c->args[0], strerror(e));
  if (write(a->sync_fd, msg, (size_t)n) < 0) { /* nothing more to tell anyone */ }
  _exit(e == ENOENT ? 127 : 126);
}
