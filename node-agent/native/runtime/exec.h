/* exec: runs a command in a running container, as `runc exec` does.
 *
 * Two processes. The caller side (exec.c) stays on the host: it reads the container's state and
 * config.json, opens the namespaces of its init, joins the init's pid namespace for its
 * children only, and forks the command's process. The child (exec_child.c) joins the container's
 * cgroup, then its net, ipc, uts, cgroup and mount namespaces, takes the init's root, its user
 * namespace last (joining it first would cost the host privileges the others need), and starts
 * the command with the identity of the container's process (rlimits, user, groups, capabilities,
 * no_new_privs, env, cwd, all from config.json). Forking after setns(pid) is what puts the
 * command inside the container's pid namespace.
 *
 * With a terminal the child opens /dev/ptmx inside the container (its own devpts instance, as
 * runc does with --console-socket), so the command's terminal is one of the container's and
 * nothing of the host's devpts is exposed; it hands the master to the caller side over the sync
 * socket (SCM_RIGHTS), which then copies between its stdio and the master (exec_relay.c).
 *
 * Sync socket protocol (SOCK_SEQPACKET, child -> caller): with a terminal, one message carrying
 * the master fd; then either one message with an error text (the child could not start the
 * command, and exits) or end of file, which the close-on-exec socket gives when execve
 * succeeded: the command runs. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include <stdbool.h>

#include "cgroups.h"
#include "config.h"

#define EXEC_MAX_NS 6

/* What the child needs to enter the container; every fd is close-on-exec. */
struct exec_target {
  const struct config *c;
  struct cgroup cg;
  bool in_cgroup;           /* clone3(CLONE_INTO_CGROUP) already put the child there */
  int n_ns;                 /* namespaces to join, in this order (never pid or user) */
  int ns_fd[EXEC_MAX_NS], ns_flag[EXEC_MAX_NS];
  int user_fd;              /* the container's user namespace, -1 when it shares the host's */
  int root_fd;              /* the init's root directory */
  int sync_fd;              /* the child's end of the sync socket */
  bool tty;
  unsigned short rows, cols; /* the terminal's first size (0: leave the kernel's default) */
  pid_t caller;             /* the caller side: the child dies with it */
};

__attribute__((noreturn)) void exec_child(const struct exec_target *t, char **argv);

/* Caller side with a terminal: copies stdin to the master and the master to stdout until the
 * command has exited and its output is drained; `control` (or -1) carries resize lines and its
 * end of file kills the command. Returns the command's wait status. */
int exec_relay(pid_t child, int master, int control, int sigfd);
/* Caller side without a terminal: waits for the command, reading `control` as above. */
int exec_wait(pid_t child, int control, int sigfd);

#endif
