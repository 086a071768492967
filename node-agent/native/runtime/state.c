/* The state directory: how berth-runtime keeps a container's state on disk.
 *
 * ON-DISK STATE FORMAT, VERSION 1 (a documented, versioned part of berth-runtime's contract,
 * like the CLI in cli.c). Readers other than berth-runtime may read it instead of running
 * `berth-runtime state` / `list` (the node agent does: node-agent/runtime/runtime-state-dir.ts),
 * so a change that would make such a reader misread it must raise the version.
 *
 *   <root>/<id>/            mode 0700, made by `create`; its existence alone means the id is taken
 *     state.json   written once by the monitor when the container exists, renamed into place
 *                  (never seen half-written); `create` returns only after it is there. JSON:
 *                  {"stateVersion":1,"ociVersion","id","pid","pidStart","monitorPid","bundle",
 *                   "annotations":{},"cgroupsPath","cgroupV2","created"}
 *                  pidStart = field 22 (starttime) of /proc/<pid>/stat of init, against pid reuse.
 *                  No stateVersion (binaries before it was added) means version 1. A reader
 *                  that finds a version it does not know must ask `berth-runtime state` instead.
 *                  Absent while the container is being created (or when a create died half-way):
 *                  `list` skips such a directory and `state` fails; readers treat it as absent.
 *     exec.fifo    exists from `create` until `start` has released init
 *     started      RFC 3339 time of the release, renamed into place by `start` before it
 *                  removes exec.fifo (`run` writes it too)
 *     exit         renamed into place by the monitor once init has exited and its output is
 *                  drained: {"exitCode","oomKilled","finishedAt"}; exitCode is 128+N for signal N
 *     .<name>.tmp  a file being written; readers ignore names starting with '.'
 *
 * Status (what `state` prints, and what a reader must derive the same way, in this order):
 *   exit present (and valid JSON) -> stopped (with exitCode, oomKilled, finishedAt);
 *   init gone, a zombie, or its starttime != pidStart -> stopped (no exit record: the monitor
 *     is about to write it, or it was killed and never will);
 *   exec.fifo present -> created; else -> running.
 *   pid is reported as 0 once stopped.
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *status_name(enum status s) {
  return s == ST_CREATED ? "created" : s == ST_RUNNING ? "running" : "stopped";
}

void state_validate_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 200 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) die("invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    if (*p == '/' || (unsigned char)*p <= ' ' || *p == 0x7f) die("invalid container id \"%s\": use letters, digits, '.', '-', '_'", id);
}

int state_create_dir(const char *root, const char *id, char *dir, size_t dirlen) {
  state_validate_id(id);
  if (mkdir(root, 0700) < 0 && errno != EEXIST) {
    if (errno != ENOENT || mkdir_p(root, 0700) < 0) die_errno("create state root %s", root);
  }
  snprintf(dir, dirlen, "%s/%s", root, id);
  if (mkdir(dir, 0700) < 0) {
    if (errno == EEXIST) die("container %s already exists (state directory %s)", id, dir);
    die_errno("create state directory %s", dir);
  }
  return 0;
}

unsigned long long proc_start_time(pid_t pid, bool *zombie) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  /* Fields after the command name, which may itself contain spaces and parentheses. */
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* field 3: state */
  if (zombie) *zombie = *p == 'Z' || *p == 'X';
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

static int64_t get_int(const struct json *o, const char *key) {
  const struct json *v = json_get_type(o, key, JSON_NUMBER);
  return v && v->is_int ? v->integer : 0;
}

void state_load(const char *root, const char *id, struct state *st) {
  memset(st, 0, sizeof *st);
  state_validate_id(id);
  snprintf(st->id, sizeof st->id, "%s", id);
  snprintf(st->dir, sizeof st->dir, "%s/%s", root, id);
  int dfd = open(st->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == ENOENT) die("container %s does not exist", id);
    die_errno("open state directory %s", st->dir);
  }
  size_t len;
  char *text = read_file_at(dfd, "state.json", &len);
  if (!text) {
    close(dfd);
    if (errno == ENOENT) die("container %s is still being created or its state is incomplete", id);
    die_errno("read %s/state.json", st->dir);
  }
  char err[128];
  st->doc = json_parse(text, len, err, sizeof err);
  free(text);
  if (!st->doc) die("%s/state.json: %s", st->dir, err);
  st->pid = (pid_t)get_int(st->doc, "pid");
  st->monitor_pid = (pid_t)get_int(st->doc, "monitorPid");
  st->pid_start = (unsigned long long)get_int(st->doc, "pidStart");
  st->cgroup_v2 = json_get_bool(st->doc, "cgroupV2", false);
  const char *cg = json_get_str(st->doc, "cgroupsPath");
  snprintf(st->cgroup_path, sizeof st->cgroup_path, "%s", cg ? cg : "");

  text = read_file_at(dfd, "started", NULL);
  if (text) {
    snprintf(st->started_at, sizeof st->started_at, "%s", text);
    free(text);
  }
  text = read_file_at(dfd, "exit", &len);
  if (text) {
    struct json *ex = json_parse(text, len, err, sizeof err);
    free(text);
    if (ex) {
      st->has_exit = true;
      st->exit_code = (int)get_int(ex, "exitCode");
      st->oom_killed = json_get_bool(ex, "oomKilled", false);
      const char *f = json_get_str(ex, "finishedAt");
      snprintf(st->finished_at, sizeof st->finished_at, "%s", f ? f : "");
      json_free(ex);
    }
  }
  if (st->has_exit) {
    st->status = ST_STOPPED;
  } else {
    bool zombie = false;
    unsigned long long start = proc_start_time(st->pid, &zombie);
    if (start == 0 || start != st->pid_start || zombie) st->status = ST_STOPPED;
    else if (faccessat(dfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0) st->status = ST_CREATED;
    else st->status = ST_RUNNING;
  }
  close(dfd);
}

void state_free(struct state *st) {
  json_free(st->doc);
  st->doc = NULL;
}

void state_to_json(const struct state *st, struct sbuf *sb) {
  const char *ver = json_get_str(st->doc, "ociVersion");
  const char *bundle = json_get_str(st->doc, "bundle");
  const struct json *ann = json_get_type(st->doc, "annotations", JSON_OBJECT);
  sb_puts(sb, "{\"ociVersion\":");
  sb_json_string(sb, ver ? ver : "1.0.2");
  sb_puts(sb, ",\"id\":");
  sb_json_string(sb, st->id);
  sb_printf(sb, ",\"status\":\"%s\",\"pid\":%d,\"bundle\":", status_name(st->status),
            st->status == ST_STOPPED ? 0 : (int)st->pid);
  sb_json_string(sb, bundle ? bundle : "");
  sb_puts(sb, ",\"annotations\":");
  if (ann) json_write(sb, ann);
  else sb_puts(sb, "{}");
  const char *created = json_get_str(st->doc, "created");
  if (created) {
    sb_puts(sb, ",\"created\":");
    sb_json_string(sb, created);
  }
  if (st->started_at[0]) {
    sb_puts(sb, ",\"startedAt\":");
    sb_json_string(sb, st->started_at);
  }
  if (st->has_exit) {
    sb_printf(sb, ",\"exitCode\":%d,\"oomKilled\":%s,\"finishedAt\":", st->exit_code, st->oom_killed ? "true" : "false");
    sb_json_string(sb, st->finished_at);
  }
  sb_printf(sb, ",\"monitorPid\":%d}", (int)st->monitor_pid);
}

int state_remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? 0 : -1;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
      closedir(d);
      return -1;
    }
  }
  closedir(d);
  return rmdir(dir) < 0 && errno != ENOENT ? -1 : 0;
}
