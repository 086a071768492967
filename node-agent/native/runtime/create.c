/* create and run: the caller side (create forks the detached monitor and waits for its report)
 * and the monitor side (cgroup, clone of the container init, state file, then monitor loop).
 * Every step taken is undone when a later one fails. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups.h"
#include "cli.h"
#include "config.h"
#include "monitor.h"
#include "spawn.h"
#include "state.h"
#include "util.h"

#define REPORT_OK '\001'

static struct {
  char dir[4096];
  struct cgroup cg;
  bool cg_created;
} undo;

/* Undo on failure: the init, its cgroup and the state directory go away. */
static void undo_create(void) {
  if (spawn_child_pid > 0) {
    kill(spawn_child_pid, SIGKILL);
    waitpid(spawn_child_pid, NULL, 0);
    spawn_child_pid = 0;
  }
  if (undo.cg_created) cgroup_destroy(&undo.cg);
  if (undo.dir[0]) state_remove_dir(undo.dir);
}

static void write_pid_file(const char *path, pid_t pid) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", (int)pid);
  if (write_file_at(AT_FDCWD, path, buf, (size_t)n, O_CREAT | O_TRUNC, 0644) < 0) die_errno("write pid file %s", path);
}

static void write_state(int dirfd, const struct config *c, const char *id, pid_t pid, const struct cgroup *cg) {
  struct sbuf sb = {0};
  char ts[TS_LEN];
  now_rfc3339(ts);
  sb_printf(&sb, "{\"stateVersion\":%d,\"ociVersion\":", STATE_FORMAT_VERSION);
  sb_json_string(&sb, c->oci_version);
  sb_puts(&sb, ",\"id\":");
  sb_json_string(&sb, id);
  sb_printf(&sb, ",\"pid\":%d,\"pidStart\":%llu,\"monitorPid\":%d,\"bundle\":", (int)pid, proc_start_time(pid, NULL),
            (int)getpid());
  sb_json_string(&sb, c->bundle);
  sb_puts(&sb, ",\"annotations\":");
  if (c->annotations) json_write(&sb, c->annotations);
  else sb_puts(&sb, "{}");
  sb_puts(&sb, ",\"cgroupsPath\":");
  sb_json_string(&sb, cg->path);
  sb_printf(&sb, ",\"cgroupV2\":%s,\"created\":\"%s\"}", cg->v2 ? "true" : "false", ts);
  if (write_file_atomic(dirfd, "state.json", sb.data, sb.len) < 0) die_errno("write state");
  sb_free(&sb);
}

/* Set by run --detach: the caller side of create returns to it instead of exiting. */
static bool return_after_create;

/* The caller of `create` waits for one report from the monitor: REPORT_OK + pid, or an error.
 * Exits 0 once the container exists, or returns then for run --detach. */
static void await_report(int fd, const struct opts *o) {
  char buf[3100];
  ssize_t n;
  do n = read(fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  if (n <= 0) die("the monitor exited without reporting");
  buf[n] = 0;
  if (buf[0] != REPORT_OK) die("%s", buf);
  pid_t pid = (pid_t)atoi(buf + 1);
  if (o->pid_file) write_pid_file(o->pid_file, pid);
  close(fd);
  if (!return_after_create) exit(0);
}

/* --log-max-size and --log-max-files, checked; max_size 0 means no rotation. */
struct log_rotation {
  off_t max_size;
  int max_files;
};

static struct log_rotation log_rotation_opts(const struct opts *o) {
  struct log_rotation r = {0, 5};
  int64_t n;
  if (o->log_max_size) {
    if (!o->container_log) usage("--log-max-size needs --container-log");
    if (parse_int64(o->log_max_size, &n) < 0 || n < 1) usage("--log-max-size needs a number of bytes, 1 or more");
    r.max_size = (off_t)n;
  }
  if (o->log_max_files) {
    if (!o->log_max_size) usage("--log-max-files needs --log-max-size");
    if (parse_int64(o->log_max_files, &n) < 0 || n < 2 || n > 1000) usage("--log-max-files needs a number from 2 to 1000");
    r.max_files = (int)n;
  }
  return r;
}

static const char *log_base_name(const char *path) {
  if (!path) return NULL;
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The directory of the container log, where rotation renames its files. */
static int open_log_dir(const char *path) {
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, sizeof dir, ".");
  else if (slash == path) snprintf(dir, sizeof dir, "/");
  else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno("open the container log's directory %s", dir);
  return fd;
}

int cmd_create(const struct opts *o, bool run_mode) {
  if (!o->bundle) usage("--bundle is required");
  struct log_rotation rot = log_rotation_opts(o);
  struct config *c = config_load(o->bundle);
  /* Before anything exists: an unsupported profile changes nothing. */
  config_prepare_seccomp(c, o->root);
  state_create_dir(o->root, o->id, undo.dir, sizeof undo.dir);
  err_set_cleanup(undo_create);
  int dirfd = open(undo.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) die_errno("open %s", undo.dir);
  int log_fd = -1;
  off_t log_size = 0;
  if (o->container_log) {
    log_fd = open(o->container_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (log_fd < 0) die_errno("open container log %s", o->container_log);
    struct stat st;
    if (fstat(log_fd, &st) == 0) log_size = st.st_size;
  }
  char cgpath[1024];
  if (c->cgroups_path) snprintf(cgpath, sizeof cgpath, "%s", c->cgroups_path);
  else snprintf(cgpath, sizeof cgpath, "/berth-runtime/%s", o->id);
  cgroup_init(&undo.cg, cgroup_is_v2(), cgpath);

  int report[2] = {-1, -1};
  if (!run_mode) {
    if (mknodat(dirfd, "exec.fifo", S_IFIFO | 0600, 0) < 0) die_errno("create exec fifo");
    if (pipe2(report, O_CLOEXEC) < 0) die_errno("pipe");
    pid_t pid = fork();
    if (pid < 0) die_errno("fork monitor");
    if (pid > 0) {
      /* The monitor now owns the undo steps. */
      err_set_cleanup(NULL);
      close(report[1]);
      await_report(report[0], o);
      return 0; /* run --detach: created; the caller starts it */
    }
    close(report[0]);
    /* Detach: own session and process group, so the caller's signals and exit leave us be. */
    setsid();
    err_setup(ERR_PIPE, report[1], NULL, NULL);
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) die_errno("prctl(PR_SET_CHILD_SUBREAPER)");
  sigset_t sigs;
  monitor_block_signals(&sigs, run_mode);

  cgroup_create(&undo.cg, &c->res);
  undo.cg_created = true;

  struct spawn s = {.c = c, .cg = &undo.cg, .fifo_fd = -1, .stdio = {-1, -1, -1}, .close_fd = report[1]};
  int outp[2] = {-1, -1}, errp[2] = {-1, -1}, null_fd = -1;
  if (log_fd >= 0) {
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) die_errno("pipe");
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) die_errno("open /dev/null");
    s.stdio[0] = null_fd;
    s.stdio[1] = outp[1];
    s.stdio[2] = errp[1];
  }
  if (!run_mode) {
    s.fifo_fd = openat(dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
    if (s.fifo_fd < 0) die_errno("open exec fifo");
  }
  spawn_container(&s);
  /* Opened only now, so the container's process never holds a descriptor of a host directory. */
  int log_dirfd = rot.max_size > 0 ? open_log_dir(o->container_log) : -1;
  if (s.fifo_fd >= 0) close(s.fifo_fd);
  if (log_fd >= 0) {
    close(outp[1]);
    close(errp[1]);
    close(null_fd);
  }
  write_state(dirfd, c, o->id, s.pid, &undo.cg);
  if (run_mode) {
    char ts[TS_LEN];
    now_rfc3339(ts);
    if (write_file_atomic(dirfd, "started", ts, strlen(ts)) < 0) die_errno("write start time");
    if (o->pid_file) write_pid_file(o->pid_file, s.pid);
  } else {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%c%d", REPORT_OK, (int)s.pid);
    write_all(report[1], buf, (size_t)n);
    close(report[1]);
    /* The container is created: from here on it outlives monitor errors. */
    err_set_cleanup(NULL);
    err_setup(ERR_STDERR, 2, "monitor", o->id);
    int fd = open("/dev/null", O_RDWR);
    for (int i = 0; i < 3; i++) dup2(fd, i);
    if (fd > 2) close(fd);
    if (chdir("/") < 0) { /* keeps the caller's cwd busy at worst */ }
  }
  config_free(c);

  struct monitor m = {
      .pid = s.pid, .out_fd = outp[0], .err_fd = errp[0], .log_fd = log_fd, .sync_fd = s.sync_fd,
      .log_dirfd = log_dirfd, .log_name = log_base_name(o->container_log), .log_size = log_size,
      .log_max_size = rot.max_size, .log_max_files = rot.max_files,
      .state_dirfd = dirfd, .cg = &undo.cg, .forward_signals = run_mode,
  };
  spawn_child_pid = 0;
  int code = monitor_run(&m, &sigs);
  if (!run_mode) _exit(0);

  /* run: delete the stopped container, like crun/runc run do. */
  err_set_cleanup(NULL);
  cgroup_signal_all(&undo.cg, SIGKILL);
  if (cgroup_destroy(&undo.cg) < 0) warnx("remove cgroup %s: %s", undo.cg.path, strerror(errno));
  close(dirfd);
  if (state_remove_dir(undo.dir) < 0) warnx("remove %s: %s", undo.dir, strerror(errno));
  if (m.exec_error[0]) die("%s", m.exec_error);
  return code;
}


int cmd_run_detached(const struct opts *o) {
  return_after_create = true;
  cmd_create(o, false);
  /* Only the caller side returns here: the monitor never leaves cmd_create. */
  err_setup(ERR_STDERR, 2, "run", o->id);
  return cmd_start(o);
}
