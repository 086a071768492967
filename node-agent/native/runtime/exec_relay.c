/* The caller side of exec once the command runs (exec.h): waits for it, obeys the control
 * socket, and with a terminal copies between this process's stdio and the terminal's master.
 * Nothing here blocks: a caller that stops reading, or a command that stops reading its
 * terminal, never keeps the loop from seeing the control socket close. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "exec.h"
#include "util.h"

/* Once the command has exited, output still arriving within this long is passed on; what
 * holds the terminal longer (a background process) is left behind. */
#define DRAIN_MS 1000

/* One direction of the copy: whatever was read from `from` is written to `to` before more is read. */
struct pump {
  int from, to;
  bool closed;
  size_t off, len;
  char buf[16384];
};

struct loop {
  pid_t child;
  int master, control, sigfd;
  bool exited;
  int status;
  char line[128];
  size_t line_len;
};

/* The command and everything in its process group (it leads one: exec_child.c). */
static void kill_command(struct loop *l) {
  if (kill(-l->child, SIGKILL) < 0 && !l->exited) kill(l->child, SIGKILL);
}

static void apply_line(struct loop *l, const char *line) {
  unsigned rows, cols;
  if (sscanf(line, "resize %u %u", &rows, &cols) == 2 && l->master >= 0 && rows < 65536 && cols < 65536) {
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(l->master, TIOCSWINSZ, &ws);
  }
}

/* Reads control lines; its end (the caller went away) kills the command. */
static void read_control(struct loop *l) {
  char buf[512];
  ssize_t n = read(l->control, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    close(l->control);
    l->control = -1;
    kill_command(l);
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] != '\n') {
      if (l->line_len < sizeof l->line - 1) l->line[l->line_len++] = buf[i];
      continue;
    }
    l->line[l->line_len] = 0;
    apply_line(l, l->line);
    l->line_len = 0;
  }
}

static void read_signals(struct loop *l) {
  struct signalfd_siginfo si;
  while (read(l->sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo != SIGCHLD) {
      kill_command(l); /* TERM, INT, HUP: this process is asked to go; the command goes with it */
      continue;
    }
    int status;
    if (!l->exited && waitpid(l->child, &status, WNOHANG) == l->child) {
      l->exited = true;
      l->status = status;
    }
  }
}

/* Moves data one step; `writer_gone` is set when `to` fails for good (EPIPE: the reader left). */
static void pump_step(struct pump *p, const struct pollfd *from, const struct pollfd *to, bool *writer_gone) {
  if (p->closed) return;
  if (p->len == 0 && from && (from->revents & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t n = read(p->from, p->buf, sizeof p->buf);
    if (n > 0) {
      p->off = 0;
      p->len = (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      p->closed = true; /* EOF, or EIO on a master whose every slave is closed */
    }
  } else if (p->len > 0 && to && (to->revents & (POLLOUT | POLLHUP | POLLERR))) {
    ssize_t n = write(p->to, p->buf + p->off, p->len - p->off);
    if (n > 0) {
      p->off += (size_t)n;
      if (p->off == p->len) p->off = p->len = 0;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      p->closed = true;
      *writer_gone = true;
    }
  }
}

/* Adds the fd a pump waits on (its source when empty, else its destination); returns its slot. */
static int watch_pump(const struct pump *p, struct pollfd *fds, int *n) {
  if (p->closed) return -1;
  fds[*n] = p->len == 0 ? (struct pollfd){.fd = p->from, .events = POLLIN} : (struct pollfd){.fd = p->to, .events = POLLOUT};
  return (*n)++;
}

static int run_loop(struct loop *l) {
  static struct pump in, out;
  in = (struct pump){.from = 0, .to = l->master, .closed = l->master < 0};
  out = (struct pump){.from = l->master, .to = 1, .closed = l->master < 0};
  if (l->master >= 0)
    for (int fd = 0; fd < 2; fd++) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (l->master >= 0) fcntl(l->master, F_SETFL, fcntl(l->master, F_GETFL) | O_NONBLOCK);
  if (l->control >= 0) fcntl(l->control, F_SETFL, fcntl(l->control, F_GETFL) | O_NONBLOCK);
  for (;;) {
    if (l->exited) in.closed = true;
    if (l->exited && out.closed) break;
    struct pollfd fds[4];
    int n = 0;
    fds[n++] = (struct pollfd){.fd = l->sigfd, .events = POLLIN};
    int ctl = l->control >= 0 ? n++ : -1;
    if (ctl >= 0) fds[ctl] = (struct pollfd){.fd = l->control, .events = POLLIN};
    int in_slot = watch_pump(&in, fds, &n), out_slot = watch_pump(&out, fds, &n);
    int r = poll(fds, (nfds_t)n, l->exited ? DRAIN_MS : -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      die_errno("poll");
    }
    if (r == 0) break; /* drained */
    if (fds[0].revents & POLLIN) read_signals(l);
    if (ctl >= 0 && (fds[ctl].revents & (POLLIN | POLLHUP | POLLERR))) read_control(l);
    bool caller_gone = false, ignored = false;
    const struct pollfd *ip = in_slot >= 0 ? &fds[in_slot] : NULL, *op = out_slot >= 0 ? &fds[out_slot] : NULL;
    pump_step(&in, in.len == 0 ? ip : NULL, in.len == 0 ? NULL : ip, &ignored);
    pump_step(&out, out.len == 0 ? op : NULL, out.len == 0 ? NULL : op, &caller_gone);
    if (caller_gone) kill_command(l);
  }
  /* Drain cut short: reap the command if that has not happened yet. */
  while (!l->exited) {
    int status;
    pid_t w = waitpid(l->child, &status, 0);
    if (w == l->child) {
      l->exited = true;
      l->status = status;
    } else if (w < 0 && errno != EINTR) {
      die_errno("wait for the command");
    }
  }
  return l->status;
}

int exec_relay(pid_t child, int master, int control, int sigfd) {
  struct loop l = {.child = child, .master = master, .control = control, .sigfd = sigfd};
  return run_loop(&l);
}

int exec_wait(pid_t child, int control, int sigfd) {
  struct loop l = {.child = child, .master = -1, .control = control, .sigfd = sigfd};
  return run_loop(&l);
}
