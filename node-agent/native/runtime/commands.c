/* start, state, kill, delete and list: short-lived commands that work from the state
 * directory alone, so any fresh process can run them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroups.h"
#include "cli.h"
#include "state.h"
#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int cmd_start(const struct opts *o) {
  struct state st;
  state_load(o->root, o->id, &st);
  if (st.status != ST_CREATED) die("container is %s, not created", status_name(st.status));
  char fifo[4200], started[4200];
  snprintf(fifo, sizeof fifo, "%s/exec.fifo", st.dir);
  snprintf(started, sizeof started, "%s/started", st.dir);
  int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die_errno(errno == ENXIO ? "container init is gone" : "open %s", fifo);
  int dfd = open(st.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) die_errno("open %s", st.dir);
  char ts[TS_LEN];
  now_rfc3339(ts);
  /* Renamed into place: readers of the state directory never see it half-written. */
  if (write_file_atomic(dfd, "started", ts, strlen(ts)) < 0) die_errno("write %s", started);
  close(dfd);
  if (write(fd, "1", 1) != 1) {
    unlink(started);
    die_errno("release container");
  }
  close(fd);
  if (unlink(fifo) < 0 && errno != ENOENT) die_errno("remove %s", fifo);
  state_free(&st);
  return 0;
}

int cmd_state(const struct opts *o) {
  struct state st;
  state_load(o->root, o->id, &st);
  struct sbuf sb = {0};
  state_to_json(&st, &sb);
  sb_puts(&sb, "\n");
  write_all(1, sb.data, sb.len);
  sb_free(&sb);
  state_free(&st);
  return 0;
}

int cmd_list(const struct opts *o) {
  struct sbuf sb = {0};
  sb_puts(&sb, "[");
  DIR *d = opendir(o->root);
  if (!d && errno != ENOENT) die_errno("open %s", o->root);
  bool first = true;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s/state.json", o->root, e->d_name);
    if (access(path, F_OK) != 0) continue; /* being created or deleted */
    struct state st;
    state_load(o->root, e->d_name, &st);
    if (!first) sb_puts(&sb, ",");
    first = false;
    state_to_json(&st, &sb);
    state_free(&st);
  }
  if (d) closedir(d);
  sb_puts(&sb, "]\n");
  write_all(1, sb.data, sb.len);
  sb_free(&sb);
  return 0;
}

static const struct {
  const char *name;
  int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},     {"BUS", SIGBUS},     {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},   {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

static int parse_signal(const char *s) {
  if (!s) return SIGTERM;
  int64_t n;
  if (parse_int64(s, &n) == 0) {
    if (n <= 0 || n >= NSIG) die("invalid signal %s", s);
    return (int)n;
  }
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < BR_ARRAY_LEN(signals); i++)
    if (strcasecmp(name, signals[i].name) == 0) return signals[i].sig;
  if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
    int off = name[5] ? atoi(name + 5) : 0;
    int sig = strncasecmp(name, "RTMIN", 5) == 0 ? SIGRTMIN + off : SIGRTMAX + off;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return sig;
  }
  die("invalid signal %s", s);
}

/* Signals the init through a pidfd checked against the recorded start time, so a recycled pid
 * is never hit. */
static int signal_init(const struct state *st, int sig) {
  int pfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (pfd < 0) return -1;
  if (proc_start_time(st->pid, NULL) != st->pid_start) {
    close(pfd);
    errno = ESRCH;
    return -1;
  }
  int r = (int)syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
  close(pfd);
  return r;
}

int cmd_kill(const struct opts *o) {
  int sig = parse_signal(o->signal);
  struct state st;
  state_load(o->root, o->id, &st);
  if (st.status == ST_STOPPED) die("container is not running");
  if (o->all) {
    struct cgroup cg;
    cgroup_init(&cg, st.cgroup_v2, st.cgroup_path);
    if (cgroup_signal_all(&cg, sig) == 0 && signal_init(&st, sig) < 0) die_errno("kill");
  } else if (signal_init(&st, sig) < 0) {
    die_errno("kill pid %d", (int)st.pid);
  }
  state_free(&st);
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

int cmd_delete(const struct opts *o) {
  struct state st;
  char dir[4200], file[4300];
  state_validate_id(o->id);
  snprintf(dir, sizeof dir, "%s/%s", o->root, o->id);
  snprintf(file, sizeof file, "%s/state.json", dir);
  if (o->force && access(dir, F_OK) == 0 && access(file, F_OK) != 0) {
    /* A creation that died half-way (its monitor was killed): nothing runs, drop the rest. */
    if (state_remove_dir(dir) < 0) die_errno("remove state directory %s", dir);
    return 0;
  }
  state_load(o->root, o->id, &st);
  struct cgroup cg;
  cgroup_init(&cg, st.cgroup_v2, st.cgroup_path);
  if (st.status == ST_RUNNING && !o->force) die("container is running: stop it first or use delete --force");
  if (st.status != ST_STOPPED) signal_init(&st, SIGKILL);
  /* Whatever is left in the cgroup (also after a stopped init: orphans without a pid ns). */
  for (int i = 0; i < 5000; i++) {
    if (cgroup_signal_all(&cg, SIGKILL) == 0) break;
    sleep_ms(1);
  }
  /* Let the monitor record the exit and go, so nothing of the container outlives delete. */
  int pfd = st.monitor_pid > 0 ? (int)syscall(SYS_pidfd_open, st.monitor_pid, 0) : -1;
  if (pfd >= 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    poll(&p, 1, 5000);
    close(pfd);
  }
  if (cgroup_destroy(&cg) < 0) die_errno("remove cgroup %s", cg.path);
  if (state_remove_dir(st.dir) < 0) die_errno("remove state directory %s", st.dir);
  state_free(&st);
  return 0;
}

