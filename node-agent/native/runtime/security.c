#include "security.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

void security_apply_rlimits(const struct config *c) {
  for (size_t i = 0; i < c->n_rlimits; i++) {
    struct rlimit rl = {c->rlimits[i].soft, c->rlimits[i].hard};
    if (setrlimit(c->rlimits[i].resource, &rl) < 0) die_errno("setrlimit %d", c->rlimits[i].resource);
  }
}

static int last_cap(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  /* Probe instead of reading /proc, which may be masked or absent inside the container. */
  int cap = 0;
  while (cap < 64 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0) cap++;
  cached = cap;
  return cap;
}

static void set_caps(const struct config *c) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {{0}};
  for (int i = 0; i < 2; i++) {
    data[i].effective = (uint32_t)(c->caps[CAP_EFFECTIVE] >> (32 * i));
    data[i].permitted = (uint32_t)(c->caps[CAP_PERMITTED] >> (32 * i));
    data[i].inheritable = (uint32_t)(c->caps[CAP_INHERITABLE] >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) < 0) die_errno("capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    die_errno("clear ambient capabilities");
  for (int cap = 0; cap <= last_cap(); cap++) {
    if (!(c->caps[CAP_AMBIENT] & (1ULL << cap))) continue;
    /* Like runc: an ambient capability the other sets do not allow is skipped, not fatal. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM && errno != EINVAL)
      die_errno("raise ambient capability %d", cap);
  }
}

void security_apply_identity(const struct config *c) {
  int top = last_cap();
  for (int cap = 0; cap <= top; cap++) {
    if (c->caps[CAP_BOUNDING] & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die_errno("drop bounding capability %d", cap);
  }
  /* Keep the permitted set across setuid so capset below can still grant it. */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) die_errno("prctl(PR_SET_KEEPCAPS)");
  if (setgroups(c->n_additional_gids, c->additional_gids) < 0) {
    /* In a user namespace with setgroups denied, only an empty list is possible. */
    if (!(errno == EPERM && c->n_additional_gids == 0)) die_errno("setgroups");
  }
  if (setresgid(c->gid, c->gid, c->gid) < 0) die_errno("setgid %u", (unsigned)c->gid);
  if (setresuid(c->uid, c->uid, c->uid) < 0) die_errno("setuid %u", (unsigned)c->uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) die_errno("prctl(PR_SET_KEEPCAPS)");
  set_caps(c);
  if (c->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno("prctl(PR_SET_NO_NEW_PRIVS)");
}

static int close_range_fds(unsigned lo, unsigned hi) {
  if (lo > hi) return 0;
  return (int)syscall(SYS_close_range, lo, hi, 0);
}

/*
 * Closing, not marking close-on-exec: a descriptor of the host (the state directory, a cgroup)
 * still open while the container's path names are resolved is a way out through
 * /proc/self/fd/N/.. (CVE-2024-21626), and close-on-exec only acts once execve succeeded.
 */
void security_close_fds(int keep1, int keep2) {
  int lo = keep1 < keep2 ? keep1 : keep2, hi = keep1 < keep2 ? keep2 : keep1;
  if (lo < 3) lo = hi;
  bool ok = true;
  unsigned from = 3;
  for (int k = 0; k < 2 && ok; k++) {
    int keep = k == 0 ? lo : hi;
    if (keep < 3 || (unsigned)keep < from) continue;
    ok = close_range_fds(from, (unsigned)keep - 1) == 0;
    from = (unsigned)keep + 1;
  }
  if (ok && close_range_fds(from, ~0U) == 0) return;
  /* Old kernels: walk /proc/self/fd (collect first: closing while reading confuses readdir). */
  DIR *d = opendir("/proc/self/fd");
  if (!d) die_errno("open /proc/self/fd to close inherited descriptors");
  int fds[1024], n = 0, dfd = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) && n < (int)BR_ARRAY_LEN(fds)) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] != '.' && fd >= 3 && fd != keep1 && fd != keep2 && fd != dfd) fds[n++] = fd;
  }
  if (e) die("too many open descriptors to close");
  closedir(d);
  for (int i = 0; i < n; i++) close(fds[i]);
}

void security_apply_seccomp(const struct config *c, enum seccomp_point at) {
  if (!c->seccomp) return;
  if ((at == SECCOMP_LAST) == c->no_new_privileges) seccomp_install(c->seccomp);
}
