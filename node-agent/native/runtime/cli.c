/* berth-runtime: runs OCI runtime bundles.
 *
 * CLI contract (the TypeScript runtime in node-agent depends on it; keep it stable):
 *
 *   berth-runtime [--root STATE_ROOT] create --bundle DIR [--pid-file FILE] [--container-log FILE] ID
 *       Creates the container and leaves its process blocked before exec until `start`.
 *       Returns once the container exists; a detached monitor process (own session, child
 *       subreaper) stays behind and records the exit. --pid-file gets the init's pid. Without
 *       --container-log the container keeps the caller's stdio (as with runc/crun create), so
 *       a caller that reads its pipes until EOF must pass --container-log.
 *       --log-max-size BYTES [--log-max-files N]: the monitor rotates the container log before a
 *       record would take it past BYTES: FILE.(N-2) becomes FILE.(N-1) (the oldest is replaced),
 *       …, FILE becomes FILE.1, and a new FILE is begun; N (default 5, at least 2) counts FILE
 *       too. Records are never split across files. run takes the same options.
 *   berth-runtime [--root STATE_ROOT] start ID
 *   berth-runtime [--root STATE_ROOT] state ID            prints the state JSON on stdout
 *   berth-runtime [--root STATE_ROOT] kill [--all] ID [SIGNAL]
 *       SIGNAL is a number or a name (TERM, SIGKILL...), default TERM. --all signals every
 *       process in the container's cgroup instead of only its init.
 *   berth-runtime [--root STATE_ROOT] delete [--force] ID
 *       Refuses a running container unless --force (then SIGKILL everything and wait).
 *   berth-runtime [--root STATE_ROOT] run --bundle DIR [--pid-file FILE] [--container-log FILE] ID
 *       create + start, waits and exits with the container's exit code; this process is the
 *       monitor. Without --container-log the container uses the caller's stdio. Like crun and
 *       runc, the container is deleted when it exits.
 *   berth-runtime [--root STATE_ROOT] run --detach --bundle DIR [--pid-file FILE] [--container-log FILE] ID
 *       As runc/crun run --detach: create + start in one command, returning once the container
 *       is released (state running, or already stopped); the detached monitor stays behind and
 *       records the exit exactly as after create + start, and the container is NOT deleted when
 *       it exits. A failed create leaves nothing behind; should the release fail, the container
 *       stays as after a failed `start` (created or stopped): delete it.
 *   berth-runtime mount-overlay --idmap HOSTID:SIZE TARGET DIR LOWER...
 *       Mounts on TARGET an overlay of the LOWER directories (base first, as images list their
 *       layers) with DIR/upper and DIR/work, every lower layer an idmapped mount of a user
 *       namespace mapping ids 0..SIZE-1 to HOSTID..: a file owned by uid 0 on disk shows as
 *       HOSTID, which a container with the same mapping (linux.uidMappings) sees as its root.
 *       DIR/upper's owner is shifted by HOSTID first (it becomes the container's /). (Overlayfs
 *       cannot be idmapped itself.) Exit status 0 once mounted.
 *   berth-runtime [--root STATE_ROOT] list                prints a JSON array of states
 *   berth-runtime [--root STATE_ROOT] exec [--tty] [--tty-size ROWSxCOLS] [--control-fd N] ID [--] COMMAND [ARG...]
 *       Runs COMMAND in the running container ID, as runc exec: in the namespaces of its init
 *       (user, mnt, pid, net, ipc, uts, cgroup, as far as they differ from the caller's), in its
 *       cgroup, under its root, with the rlimits, user, groups, capabilities, no_new_privs, env
 *       and cwd of the container's process (config.json). Exits with COMMAND's exit code, or
 *       128+N when a signal N ended it. Without --tty COMMAND gets this process's stdin, stdout
 *       and stderr, and leads a process group of its own. With --tty it gets a terminal made
 *       inside the container (its /dev/ptmx) as its stdio and controlling terminal, in a new
 *       session, first sized ROWSxCOLS; this process copies its stdin to the terminal and the
 *       terminal's output to its stdout. Either way COMMAND dies with this process.
 *       --control-fd N: N is a stream socket to the caller. This process writes one line to it:
 *       "started <host pid>" once COMMAND runs (execve succeeded), or "error <message>" when it
 *       could not be started (the container is not running, the executable is missing...; then
 *       the exit status is 1 and nothing went to stderr). It reads lines "resize <rows> <cols>"
 *       (with --tty). Its end of file (the caller went away) kills COMMAND's process group.
 *
 * STATE_ROOT defaults to /run/berth-runtime; every state directory is mode 0700. The layout of
 * STATE_ROOT/ID/ is versioned and part of this contract too (state.c): a caller may read a
 * container's state from there instead of running `state` or `list`.
 * State JSON: {"ociVersion","id","status":"created|running|stopped","pid","bundle",
 *   "annotations":{},"created","startedAt"?,"exitCode"?,"oomKilled"?,"finishedAt"?,"monitorPid"}
 *   exitCode is 128+N when the init was killed by signal N.
 * Container log (--container-log): one record per line,
 *   "<RFC3339Nano> <stdout|stderr> <F|P> <text>", P when a line was split (over 16 KiB, or the
 *   stream ended without a newline), as in the CRI log format.
 * Errors: "berth-runtime: <command> <id>: <what failed>: <reason>" on stderr, exit status 1
 * (2 for usage errors). A failed create/run leaves nothing behind (process, cgroup, state).
 *
 * Defaults applied from config.json as runc/crun do: HOME from the container's /etc/passwd
 * when the env has none; device access limited to the minimal /dev plus the config's
 * linux.resources.devices rules (v1 devices controller, v2 BPF program).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli.h"
#include "security.h"
#include "self_exe.h"
#include "state.h"
#include "util.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

void usage(const char *msg) {
  static const char text[] =
      "usage: berth-runtime [--root DIR] COMMAND\n"
      "  create --bundle DIR [--pid-file FILE] [--container-log FILE [--log-max-size BYTES [--log-max-files N]]] ID\n"
      "  run [--detach] --bundle DIR [--pid-file FILE] [--container-log FILE [--log-max-size BYTES [--log-max-files N]]] ID\n"
      "  start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID | list\n"
      "  exec [--tty] [--tty-size ROWSxCOLS] [--control-fd N] ID [--] COMMAND [ARG...]\n"
      "  mount-overlay --idmap HOSTID:SIZE TARGET DIR LOWER...\n";
  if (msg) warnx("%s", msg);
  write_all(2, text, sizeof text - 1);
  exit(2);
}

/* Parses "--name VALUE", "--name=VALUE" and flags; positional arguments fill id then signal. */
static void parse_args(int argc, char **argv, int i, struct opts *o) {
  for (; i < argc; i++) {
    char *a = argv[i];
    const char **target = NULL;
    const char *name = a;
    if (strcmp(a, "--force") == 0 || strcmp(a, "-f") == 0) {
      o->force = true;
      continue;
    }
    if (strcmp(a, "--all") == 0 || strcmp(a, "-a") == 0) {
      o->all = true;
      continue;
    }
    if (strcmp(a, "--detach") == 0 || strcmp(a, "-d") == 0) {
      o->detach = true;
      continue;
    }
    if (strncmp(a, "--bundle", 8) == 0 || strcmp(a, "-b") == 0) target = &o->bundle;
    else if (strncmp(a, "--pid-file", 10) == 0) target = &o->pid_file;
    else if (strncmp(a, "--container-log", 15) == 0) target = &o->container_log;
    else if (strncmp(a, "--log-max-size", 14) == 0) target = &o->log_max_size;
    else if (strncmp(a, "--log-max-files", 15) == 0) target = &o->log_max_files;
    if (target) {
      char *eq = strchr(a, '=');
      if (eq) {
        *target = eq + 1;
      } else {
        if (i + 1 >= argc) usage("missing value for an option");
        *target = argv[++i];
      }
      continue;
    }
    if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
      char msg[300];
      snprintf(msg, sizeof msg, "unknown option %s", name);
      usage(msg);
    }
    if (!o->id) o->id = a;
    else if (!o->signal) o->signal = a;
    else usage("too many arguments");
  }
}

/* exec's options, then the id, then (after an optional "--") the command. */
static void parse_exec_args(int argc, char **argv, int i, struct opts *o) {
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) break;
    if (strcmp(a, "--tty") == 0 || strcmp(a, "-t") == 0) {
      o->tty = true;
    } else if (strcmp(a, "--control-fd") == 0 || strcmp(a, "--tty-size") == 0) {
      if (i + 1 >= argc) usage("missing value for an option");
      const char *v = argv[++i];
      int64_t n;
      unsigned rows, cols;
      char extra;
      if (a[2] == 'c') {
        if (parse_int64(v, &n) < 0 || n < 3 || n > 1 << 20) usage("--control-fd needs a descriptor number of 3 or more");
        o->control_fd = (int)n;
      } else if (sscanf(v, "%ux%u%c", &rows, &cols, &extra) != 2 || rows > 65535 || cols > 65535) {
        usage("--tty-size needs ROWSxCOLS, e.g. 24x80");
      } else {
        o->rows = (unsigned short)rows;
        o->cols = (unsigned short)cols;
      }
    } else {
      char msg[300];
      snprintf(msg, sizeof msg, "unknown option %s", a);
      usage(msg);
    }
  }
  if (i < argc && strcmp(argv[i], "--") == 0) usage("missing container id before --");
  if (i < argc) o->id = argv[i++];
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  if (i < argc) o->command = argv + i;
}

int main(int argc, char **argv) {
  struct opts o = {.root = DEFAULT_STATE_ROOT, .control_fd = -1};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--root") == 0) {
      if (++i >= argc) usage("--root needs a value");
      o.root = argv[i];
    } else if (strncmp(argv[i], "--root=", 7) == 0) {
      o.root = argv[i] + 7;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(NULL);
    } else {
      char msg[300];
      snprintf(msg, sizeof msg, "unknown global option %s", argv[i]);
      usage(msg);
    }
  }
  if (i >= argc) usage("missing command");
  const char *cmd = argv[i];
  if (strcmp(cmd, "mount-overlay") == 0) {
    err_setup(ERR_STDERR, 2, cmd, NULL);
    if (i + 2 < argc && strcmp(argv[i + 1], "--idmap") == 0) {
      o.idmap = argv[i + 2];
      o.command = argv + i + 3;
    }
    return cmd_mount_overlay(&o);
  }
  if (strcmp(cmd, "exec") == 0) parse_exec_args(argc, argv, i + 1, &o);
  else parse_args(argc, argv, i + 1, &o);
  /* The commands that put a berth-runtime process into a container run from a sealed copy
   * (before anything is closed or marked close-on-exec: the re-execution keeps the fds). */
  if (strcmp(cmd, "create") == 0 || strcmp(cmd, "run") == 0 || strcmp(cmd, "exec") == 0) self_exe_ensure_sealed(argv);
  /* Nothing inherited beyond stdio (and exec's control socket) may reach the monitor or the
   * container (a caller's pipe would otherwise never see EOF). */
  int keep = o.control_fd;
  bool closed = keep >= 3 ? syscall(SYS_close_range, 3, (unsigned)keep - 1, 0) == 0 && syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == 0
                          : syscall(SYS_close_range, 3, ~0U, 0) == 0;
  if (!closed) security_close_fds(keep, -1);
  if (keep >= 0 && fcntl(keep, F_GETFD) < 0) usage("--control-fd names a descriptor that is not open");
  if (keep >= 0) fcntl(keep, F_SETFD, FD_CLOEXEC);
  /* Make sure 0, 1 and 2 are open, so no pipe or file we open lands on them. */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) return 1;
  err_setup(ERR_STDERR, 2, cmd, o.id);
  if (strcmp(cmd, "list") == 0) return cmd_list(&o);
  if (!o.id) usage("missing container id");
  if (strcmp(cmd, "exec") == 0) return cmd_exec(&o);
  if (strcmp(cmd, "kill") != 0 && o.signal) usage("too many arguments");
  if (strcmp(cmd, "create") == 0) return cmd_create(&o, false);
  if (strcmp(cmd, "run") == 0 && o.detach) return cmd_run_detached(&o);
  if (strcmp(cmd, "run") == 0) return cmd_create(&o, true);
  if (strcmp(cmd, "start") == 0) return cmd_start(&o);
  if (strcmp(cmd, "state") == 0) return cmd_state(&o);
  if (strcmp(cmd, "kill") == 0) return cmd_kill(&o);
  if (strcmp(cmd, "delete") == 0) return cmd_delete(&o);
  char msg[300];
  snprintf(msg, sizeof msg, "unknown command %s", cmd);
  usage(msg);
}
