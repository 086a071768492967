#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* CRI splits lines longer than this into partial (P) records. */
#define LINE_MAX_BYTES 16384
/* After init exits, how long to keep reading output still buffered in the pipes (ms). */
#define DRAIN_MS 100

struct stream {
  int fd;
  const char *name;
  size_t len;
  char buf[LINE_MAX_BYTES];
};

static struct stream streams[2];

void monitor_block_signals(sigset_t *set, bool forward) {
  sigemptyset(set);
  sigaddset(set, SIGCHLD);
  if (forward) {
    static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < BR_ARRAY_LEN(fwd); i++) sigaddset(set, fwd[i]);
  }
  sigprocmask(SIG_BLOCK, set, NULL);
}

/* Rotation as the kubelet does it, but by the only writer and between records, so no record is
 * split or lost: NAME.(N-2) becomes NAME.(N-1) (replacing the oldest), …, NAME becomes NAME.1,
 * and a new NAME is begun. A reader following NAME finishes the renamed file, then goes on
 * in the new one. Should a step fail, writing simply goes on in the current file. */
static void log_rotate(struct monitor *m) {
  char from[PATH_MAX], to[PATH_MAX];
  for (int i = m->log_max_files - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", m->log_name);
    else snprintf(from, sizeof from, "%s.%d", m->log_name, i - 1);
    snprintf(to, sizeof to, "%s.%d", m->log_name, i);
    if (renameat(m->log_dirfd, from, m->log_dirfd, to) < 0 && (errno != ENOENT || i == 1)) {
      warnx("rotate container log: rename %s: %s", from, strerror(errno));
      if (i == 1) return;
    }
  }
  int fd = openat(m->log_dirfd, m->log_name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) {
    warnx("rotate container log: create %s: %s", m->log_name, strerror(errno));
    return;
  }
  close(m->log_fd);
  m->log_fd = fd;
  m->log_size = 0;
}

static void log_record(struct monitor *m, const char *stream, char tag, const char *text, size_t len, const char *ts) {
  if (m->log_fd < 0) return;
  char prefix[80];
  int n = snprintf(prefix, sizeof prefix, "%s %s %c ", ts, stream, tag);
  struct iovec iov[3] = {{prefix, (size_t)n}, {(void *)text, len}, {"\n", 1}};
  size_t total = (size_t)n + len + 1;
  if (m->log_max_size > 0 && m->log_dirfd >= 0 && m->log_size > 0 && m->log_size + (off_t)total > m->log_max_size) log_rotate(m);
  int log_fd = m->log_fd;
  /* One writev per record so concurrent readers never see half a line; short writes are rare
   * (regular file) and retried with a plain write loop. */
  ssize_t w = writev(log_fd, iov, 3);
  if (w >= 0 && (size_t)w < total) {
    size_t done = (size_t)w;
    for (int i = 0; i < 3; i++) {
      if (done >= iov[i].iov_len) {
        done -= iov[i].iov_len;
        continue;
      }
      write_all(log_fd, (char *)iov[i].iov_base + done, iov[i].iov_len - done);
      done = 0;
    }
  }
  if (w >= 0) m->log_size += (off_t)total;
}

/* Reads what is available; returns false on EOF. */
static bool pump(struct stream *s, struct monitor *m) {
  ssize_t n;
  do n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  while (n < 0 && errno == EINTR);
  char ts[TS_LEN];
  now_rfc3339(ts);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return true;
    if (s->len) log_record(m, s->name, 'P', s->buf, s->len, ts);
    s->len = 0;
    return false;
  }
  s->len += (size_t)n;
  char *start = s->buf, *end = s->buf + s->len, *nl;
  while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
    log_record(m, s->name, 'F', start, (size_t)(nl - start), ts);
    start = nl + 1;
  }
  size_t rest = (size_t)(end - start);
  if (rest == sizeof s->buf) {
    log_record(m, s->name, 'P', start, rest, ts);
    rest = 0;
  } else if (rest && start != s->buf) {
    memmove(s->buf, start, rest);
  }
  s->len = rest;
  return true;
}

static int status_to_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int monitor_run(struct monitor *m, const sigset_t *set) {
  int sfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die_errno("signalfd");
  streams[0].fd = m->out_fd;
  streams[0].name = "stdout";
  streams[1].fd = m->err_fd;
  streams[1].name = "stderr";
  bool exited = false;
  int code = 255;

  for (;;) {
    struct pollfd p[4];
    int np = 0, idx_out = -1, idx_err = -1, idx_sync = -1;
    p[np++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (streams[0].fd >= 0) idx_out = np, p[np++] = (struct pollfd){.fd = streams[0].fd, .events = POLLIN};
    if (streams[1].fd >= 0) idx_err = np, p[np++] = (struct pollfd){.fd = streams[1].fd, .events = POLLIN};
    if (m->sync_fd >= 0) idx_sync = np, p[np++] = (struct pollfd){.fd = m->sync_fd, .events = POLLIN};
    if (exited && idx_out < 0 && idx_err < 0) break;
    int r = poll(p, (nfds_t)np, exited ? DRAIN_MS : -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      die_errno("poll");
    }
    if (r == 0) break; /* drained: what is still attached to the pipes outlived init */
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo != SIGCHLD) {
          kill(m->pid, (int)si.ssi_signo);
          continue;
        }
        /* As subreaper we also inherit orphans from the container: reap them all. */
        int status;
        pid_t w;
        while ((w = waitpid(-1, &status, WNOHANG)) > 0)
          if (w == m->pid) {
            exited = true;
            code = status_to_code(status);
          }
      }
    }
    for (int k = 0; k < 2; k++) {
      int idx = k == 0 ? idx_out : idx_err;
      if (idx < 0 || !(p[idx].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (!pump(&streams[k], m)) {
        close(streams[k].fd);
        streams[k].fd = -1;
      }
    }
    if (idx_sync >= 0 && (p[idx_sync].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(m->sync_fd, m->exec_error, sizeof m->exec_error - 1);
      if (n > 0) {
        m->exec_error[n] = 0;
        char ts[TS_LEN];
        now_rfc3339(ts);
        char line[600];
        int len = snprintf(line, sizeof line, "berth-runtime: %s", m->exec_error);
        log_record(m, "stderr", 'F', line, (size_t)len, ts);
      }
      close(m->sync_fd);
      m->sync_fd = -1;
    }
  }
  /* Output still buffered when we stop draining ends as a partial record. */
  for (int k = 0; k < 2; k++) {
    if (streams[k].fd < 0) continue;
    int fl = fcntl(streams[k].fd, F_GETFL);
    fcntl(streams[k].fd, F_SETFL, fl | O_NONBLOCK);
    for (;;) {
      errno = 0;
      if (!pump(&streams[k], m) || errno == EAGAIN) break;
    }
    if (streams[k].len) {
      char ts[TS_LEN];
      now_rfc3339(ts);
      log_record(m, streams[k].name, 'P', streams[k].buf, streams[k].len, ts);
    }
    close(streams[k].fd);
    streams[k].fd = -1;
  }
  close(sfd);

  bool oom = m->cg && cgroup_oom_killed(m->cg);
  if (m->state_dirfd >= 0) {
    char ts[TS_LEN], buf[160];
    now_rfc3339(ts);
    int n = snprintf(buf, sizeof buf, "{\"exitCode\":%d,\"oomKilled\":%s,\"finishedAt\":\"%s\"}", code,
                     oom ? "true" : "false", ts);
    if (write_file_atomic(m->state_dirfd, "exit", buf, (size_t)n) < 0) warnx("record exit: %s", strerror(errno));
  }
  return code;
}
