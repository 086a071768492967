#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int ns_clone_flags(const struct config *c) {
  int flags = 0;
  for (size_t i = 0; i < c->n_namespaces; i++) {
    const struct ns_spec *ns = &c->namespaces[i];
    if (ns->path || ns->flag == CLONE_NEWCGROUP) continue;
    flags |= ns->flag;
  }
  /* Joining a user namespace: create the others after joining it, so it owns them. */
  const struct ns_spec *user = config_ns(c, CLONE_NEWUSER);
  if (user && user->path) flags &= CLONE_NEWPID;
  return flags;
}

static const char *ns_proc_name(int flag) {
  switch (flag) {
    case CLONE_NEWNET: return "net";
    case CLONE_NEWIPC: return "ipc";
    case CLONE_NEWUTS: return "uts";
    case CLONE_NEWCGROUP: return "cgroup";
    case CLONE_NEWPID: return "pid_for_children";
    case CLONE_NEWUSER: return "user";
    default: return "mnt";
  }
}

void ns_enter_for_clone(const struct config *c, struct ns_fds *fds) {
  fds->n = 0;
  for (size_t i = 0; i < c->n_namespaces; i++) {
    const struct ns_spec *ns = &c->namespaces[i];
    if (!ns->path) continue;
    if (ns->flag == CLONE_NEWNS) die("joining a mount namespace by path is not supported");
    int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die_errno("open namespace %s", ns->path);
    int k = fds->n++;
    fds->fd[k] = fd;
    fds->flag[k] = ns->flag;
    fds->saved[k] = -1;
    if (ns->flag == CLONE_NEWUSER) continue; /* the child joins it */
    if (ns->flag != CLONE_NEWPID) {
      char own[64];
      snprintf(own, sizeof own, "/proc/self/ns/%s", ns_proc_name(ns->flag));
      fds->saved[k] = open(own, O_RDONLY | O_CLOEXEC);
      if (fds->saved[k] < 0) die_errno("open %s", own);
    }
    /* For pid this changes only the namespace of children (the container init). */
    if (setns(fd, ns->flag) < 0) die_errno("join namespace %s", ns->path);
  }
}

void ns_restore_after_clone(struct ns_fds *fds) {
  for (int k = 0; k < fds->n; k++) {
    if (fds->saved[k] < 0) continue;
    if (setns(fds->saved[k], fds->flag[k]) < 0) die_errno("return to own %s namespace", ns_proc_name(fds->flag[k]));
    close(fds->saved[k]);
    fds->saved[k] = -1;
  }
}

void ns_join_child(const struct config *c, const struct ns_fds *fds) {
  const struct ns_spec *user = config_ns(c, CLONE_NEWUSER);
  if (user && user->path) {
    for (int k = 0; k < fds->n; k++)
      if (fds->flag[k] == CLONE_NEWUSER && setns(fds->fd[k], CLONE_NEWUSER) < 0)
        die_errno("join user namespace %s", user->path);
    int rest = 0;
    for (size_t i = 0; i < c->n_namespaces; i++)
      if (!c->namespaces[i].path && c->namespaces[i].flag != CLONE_NEWPID && c->namespaces[i].flag != CLONE_NEWCGROUP)
        rest |= c->namespaces[i].flag;
    if (rest && unshare(rest) < 0) die_errno("unshare namespaces");
  }
}

bool ns_wants_new_cgroupns(const struct config *c) {
  const struct ns_spec *cg = config_ns(c, CLONE_NEWCGROUP);
  return cg && !cg->path;
}

int ns_write_id_maps(const struct config *c, pid_t pid, const char **what) {
  static char path[64];
  if (!c->uid_map && !c->gid_map) return 0;
  if (c->gid_map) {
    /* An unprivileged writer would have to deny setgroups first; root does not. */
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    if (write_file(path, c->gid_map, strlen(c->gid_map)) < 0) {
      *what = path;
      return -1;
    }
  }
  if (c->uid_map) {
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    if (write_file(path, c->uid_map, strlen(c->uid_map)) < 0) {
      *what = path;
      return -1;
    }
  }
  return 0;
}

void ns_close(struct ns_fds *fds) {
  for (int i = 0; i < fds->n; i++) {
    close(fds->fd[i]);
    if (fds->saved[i] >= 0) close(fds->saved[i]);
  }
  fds->n = 0;
}
