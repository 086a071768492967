/* `mount-overlay`: an overlay whose lower layers are idmapped mounts. Overlayfs itself cannot
 * be idmapped, but it can stack idmapped layers: files owned by uid 0 on disk then show as the
 * first id of the range, which a container's user namespace with the same mapping sees as its
 * root. The upper directory is not idmapped (overlay creates its work directory as the mounter,
 * host root, whom the range does not map): it belongs to the range itself, so what the
 * container writes, and what overlay copies up, keeps the ids the container sees, shifted. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "idmap.h"
#include "util.h"

/* A user namespace mapping 0..size-1 to host_id.., held by a child until the caller has its fd. */
static int make_userns(int64_t host_id, int64_t size) {
  int ready[2], done[2];
  if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) die_errno("pipe");
  pid_t pid = fork();
  if (pid < 0) die_errno("fork");
  if (pid == 0) {
    close(ready[0]);
    close(done[1]);
    char b = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'e';
    if (write(ready[1], &b, 1) != 1 || b != 'u') _exit(1);
    if (read(done[0], &b, 1) < 0) _exit(1);
    _exit(0);
  }
  close(ready[1]);
  close(done[0]);
  char b = 0;
  if (read(ready[0], &b, 1) != 1 || b != 'u') die("create a user namespace: unshare failed");
  char path[64], map[64];
  int n = snprintf(map, sizeof map, "0 %lld %lld\n", (long long)host_id, (long long)size);
  for (const char *which = "uid_map"; which; which = which[0] == 'u' ? "gid_map" : NULL) {
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, which);
    if (write_file(path, map, (size_t)n) < 0) die_errno("write %s", path);
  }
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_errno("open %s", path);
  close(done[1]);
  waitpid(pid, NULL, 0);
  close(ready[0]);
  return fd;
}

int cmd_mount_overlay(const struct opts *o) {
  char **args = o->command;
  size_t n = 0;
  while (args && args[n]) n++;
  if (!o->idmap || n < 3) usage("mount-overlay needs --idmap HOSTID:SIZE TARGET DIR LOWER...");
  long long host_id, size;
  char extra;
  if (sscanf(o->idmap, "%lld:%lld%c", &host_id, &size, &extra) != 2 || host_id <= 0 || size <= 0 || host_id + size > 4294967295LL)
    usage("--idmap needs HOSTID:SIZE, a range of host ids above 0");
  const char *target = args[0], *dir = args[1];
  /* ',' and ':' separate overlay's options: such a path cannot be given. */
  if (strpbrk(dir, ",:\\")) die("%s: a path with ',', ':' or '\\' cannot be an overlay option", dir);
  char upper[4200], work[4200];
  snprintf(upper, sizeof upper, "%s/upper", dir);
  snprintf(work, sizeof work, "%s/work", dir);
  struct stat st;
  if (stat(upper, &st) < 0) die_errno("stat %s", upper);
  /* The container's / is the upper directory's owner, shifted into the range like everything else. */
  if (st.st_uid >= (uid_t)size || st.st_gid >= (gid_t)size) die("%s: owner %u:%u is outside the %lld ids mapped", upper, st.st_uid, st.st_gid, size);
  if (chown(upper, (uid_t)(host_id + st.st_uid), (gid_t)(host_id + st.st_gid)) < 0) die_errno("chown %s into the range", upper);
  int userns = make_userns(host_id, size);
  struct sbuf data = {0};
  /* overlay lists lower layers top first; LOWER... come base first, as images list them. */
  sb_puts(&data, "lowerdir=");
  int *lower = xcalloc(n - 2, sizeof *lower);
  for (size_t i = n; i-- > 2;) {
    lower[i - 2] = idmap_clone(args[i], false, userns, "a lower layer");
    sb_printf(&data, "%s/proc/self/fd/%d", i == n - 1 ? "" : ":", lower[i - 2]);
  }
  sb_printf(&data, ",upperdir=%s,workdir=%s", upper, work);
  close(userns);
  if (data.len >= 4096) die("%zu lower layers do not fit in overlay's mount options with idmapped layers", n - 2);
  if (mount("overlay", target, "overlay", 0, data.data) < 0) die_errno("mount the overlay with idmapped layers on %s", target);
  for (size_t i = 0; i < n - 2; i++) close(lower[i]);
  free(lower);
  sb_free(&data);
  return 0;
}
