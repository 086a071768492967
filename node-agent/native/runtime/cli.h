/* The berth-runtime commands, one function each; cli.c parses the command line (and documents
 * the contract) and calls them. Each returns the process exit status or dies with a message. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>

/* Options of every command; unset ones are NULL/false. */
struct opts {
  const char *root;
  const char *bundle, *pid_file, *container_log;
  const char *log_max_size, *log_max_files; /* rotation of the container log; unset: none */
  bool force, all, detach;
  const char *id;
  const char *signal;
  /* exec */
  bool tty;
  int control_fd;            /* -1: none */
  unsigned short rows, cols; /* --tty-size */
  char **command;            /* NULL-terminated, after the id */
  /* mount-overlay */
  const char *idmap; /* HOSTID:SIZE */
};

/* Prints the usage (after msg, if any) and exits 2. */
__attribute__((noreturn)) void usage(const char *msg);
/* create.c */
int cmd_create(const struct opts *o, bool run_mode);
/* run --detach: create (the caller side returns instead of exiting), then start. */
int cmd_run_detached(const struct opts *o);
/* commands.c */
int cmd_start(const struct opts *o);
int cmd_state(const struct opts *o);
int cmd_kill(const struct opts *o);
int cmd_delete(const struct opts *o);
int cmd_list(const struct opts *o);
/* exec.c */
int cmd_exec(const struct opts *o);
/* overlay_idmap.c: mount-overlay; its arguments are in o->command (TARGET DIR LOWER...). */
int cmd_mount_overlay(const struct opts *o);

#endif
