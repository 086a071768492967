/* The state directory <root>/<id> (mode 0700) is the only source of truth about a container,
 * so any fresh berth-runtime process can answer `state`. Its format is versioned and part of
 * the contract (state.c documents it in full; STATE_FORMAT_VERSION):
 *   state.json  written once by the monitor when the container is created (pid, its start
 *               time, bundle, annotations, monitor pid, cgroup path and layout)
 *   exec.fifo   exists while the container is created and not yet started
 *   started     RFC 3339 time `start` released the container
 *   exit        written by the monitor when init exits (exitCode, oomKilled, finishedAt)
 * Status: exit present -> stopped; init gone or a zombie -> stopped; exec.fifo present ->
 * created; else running. */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "json.h"

#define DEFAULT_STATE_ROOT "/run/berth-runtime"
/* The on-disk format version written into state.json as "stateVersion" (see state.c). */
#define STATE_FORMAT_VERSION 1

enum status { ST_CREATED, ST_RUNNING, ST_STOPPED };

struct state {
  char id[256];
  char dir[4096];
  struct json *doc; /* state.json */
  pid_t pid, monitor_pid;
  unsigned long long pid_start;
  char cgroup_path[1024];
  bool cgroup_v2;
  enum status status;
  bool has_exit;
  int exit_code;
  bool oom_killed;
  char finished_at[64], started_at[64];
};

/* Validates an id (no '/', not "." or "..", printable) and makes <root>/<id>; dies if it exists. */
int state_create_dir(const char *root, const char *id, char *dir, size_t dirlen);
/* Loads; dies with "container does not exist" when missing. */
void state_load(const char *root, const char *id, struct state *st);
void state_free(struct state *st);
void state_to_json(const struct state *st, struct sbuf *sb);
/* Removes every file in the directory, then the directory. */
int state_remove_dir(const char *dir);
/* Start time (clock ticks since boot) of pid from /proc/<pid>/stat, 0 if gone; *zombie set. */
unsigned long long proc_start_time(pid_t pid, bool *zombie);
void state_validate_id(const char *id);
const char *status_name(enum status s);

#endif
