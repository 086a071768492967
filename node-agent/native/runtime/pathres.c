#include "pathres.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_LINKS 40
#define MAX_DEPTH 256

struct fdpath fd_path(int fd) {
  struct fdpath p;
  snprintf(p.s, sizeof p.s, "/proc/self/fd/%d", fd);
  return p;
}

static int openat2_supported = -1; /* unknown until the first call */

static int try_openat2(int rootfd, const char *path) {
  if (openat2_supported == 0) {
    errno = ENOSYS;
    return -1;
  }
  struct open_how how = {
      .flags = O_PATH | O_CLOEXEC,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
  if (fd < 0 && (errno == ENOSYS || errno == E2BIG)) {
    openat2_supported = 0;
    errno = ENOSYS;
  } else {
    openat2_supported = 1;
  }
  return fd;
}

/* The careful walk: a stack of directory fds from the root down, so `..` pops (never above
 * the root) and a symlink's target is spliced in front of the remaining path. */
static int walk(int rootfd, const char *path, enum create_kind create) {
  char rem[PATH_MAX * 2];
  int stack[MAX_DEPTH];
  int depth = 0, links = 0, cur = rootfd, result = -1, saved;
  if (strlen(path) >= sizeof rem) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(rem, path);
  char *p = rem;
  for (;;) {
    while (*p == '/') p++;
    if (!*p) break;
    char *slash = strchr(p, '/');
    char comp[NAME_MAX + 1];
    size_t clen = slash ? (size_t)(slash - p) : strlen(p);
    if (clen > NAME_MAX) {
      errno = ENAMETOOLONG;
      goto out;
    }
    memcpy(comp, p, clen);
    comp[clen] = 0;
    p += clen;
    const char *q = p;
    while (*q == '/') q++;
    int last = *q == 0;
    if (strcmp(comp, ".") == 0) continue;
    if (strcmp(comp, "..") == 0) {
      if (depth > 0) {
        close(cur);
        depth--;
        cur = depth > 0 ? stack[depth - 1] : rootfd;
      }
      continue;
    }
    int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create != CREATE_NONE) {
      if (last && create == CREATE_FILE) {
        int wfd = openat(cur, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (wfd < 0 && errno != EEXIST) goto out;
        if (wfd >= 0) close(wfd);
      } else if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST) {
        goto out;
      }
      fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) goto out;
    struct stat st;
    if (fstat(fd, &st) < 0) {
      close(fd);
      goto out;
    }
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
      close(fd);
      if (n < 0) goto out;
      target[n] = 0;
      if (++links > MAX_LINKS) {
        errno = ELOOP;
        goto out;
      }
      size_t restlen = strlen(p);
      if ((size_t)n + 1 + restlen >= sizeof rem) {
        errno = ENAMETOOLONG;
        goto out;
      }
      char tmp[PATH_MAX * 3];
      snprintf(tmp, sizeof tmp, "%s/%s", target, p);
      strcpy(rem, tmp);
      p = rem;
      if (target[0] == '/') {
        while (depth > 0) close(stack[--depth]);
        cur = rootfd;
      }
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode)) {
      close(fd);
      errno = ENOTDIR;
      goto out;
    }
    if (depth == MAX_DEPTH) {
      close(fd);
      errno = ENAMETOOLONG;
      goto out;
    }
    stack[depth++] = fd;
    cur = fd;
  }
  /* The final fd is the top of the stack (or a fresh handle on the root itself). */
  if (depth > 0) {
    result = stack[--depth];
  } else {
    result = openat(rootfd, ".", O_PATH | O_CLOEXEC);
  }
out:
  saved = errno;
  while (depth > 0) close(stack[--depth]);
  errno = saved;
  return result;
}

int open_in_root(int rootfd, const char *path, enum create_kind create) {
  int fd = try_openat2(rootfd, path);
  if (fd >= 0) return fd;
  if (errno == ENOSYS || (errno == ENOENT && create != CREATE_NONE)) return walk(rootfd, path, create);
  return -1;
}
