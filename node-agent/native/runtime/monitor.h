/* The per-container monitor (like conmon): child subreaper for the container, reader of its
 * stdout/stderr pipes into a CRI-format log file, and the one that records how the container
 * ended (exit code, OOM kill, finish time) in the state directory.
 *
 * It must stay tiny: no stdio, two fixed 16 KiB line buffers, and nothing else allocated
 * while it runs. */
#ifndef BERTH_MONITOR_H
#define BERTH_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroups.h"

struct monitor {
  pid_t pid;          /* container init */
  int out_fd, err_fd; /* read ends of the container's stdout/stderr pipes, or -1 */
  int log_fd;         /* CRI log file, or -1 */
  int log_dirfd;      /* the log's directory, for rotation; -1: never rotate */
  const char *log_name; /* the log's name in log_dirfd */
  off_t log_size;     /* bytes in the current log file */
  off_t log_max_size; /* rotate before a record takes the file past this; 0: never */
  int log_max_files;  /* files kept, the current one included (>= 2) */
  int sync_fd;        /* exec error reports from the init, or -1 */
  int state_dirfd;    /* where "exit" is written, or -1 */
  const struct cgroup *cg;
  bool forward_signals; /* `run`: pass INT/TERM/HUP/QUIT/USR1/USR2 on to the container */
  char exec_error[512]; /* out: set when exec failed after start */
};

/* The signals the monitor takes through its signalfd; block them before cloning the init so
 * none is lost. */
void monitor_block_signals(sigset_t *set, bool forward);
/* Runs until the init has exited and its output is drained; returns the exit code
 * (128+signal when killed) after writing the exit file. */
int monitor_run(struct monitor *m, const sigset_t *set);

#endif
