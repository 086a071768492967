#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum err_mode g_mode = ERR_STDERR;
static int g_err_fd = 2;
static const char *g_cmd = "", *g_id = "";
static void (*g_cleanup)(void);

void err_setup(enum err_mode mode, int fd, const char *cmd, const char *id) {
  g_mode = mode;
  g_err_fd = fd;
  if (cmd) g_cmd = cmd;
  if (id) g_id = id;
}

void err_set_cleanup(void (*fn)(void)) { g_cleanup = fn; }

static void emit(const char *msg, int is_warning) {
  char buf[4096];
  int n;
  if (g_mode == ERR_PIPE && !is_warning) {
    write_all(g_err_fd, msg, strlen(msg));
    return;
  }
  if (g_mode == ERR_CONTROL && !is_warning) {
    n = snprintf(buf, sizeof buf - 1, "error %s", msg);
    if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
    /* One line: a newline inside the message would end it early. */
    for (int i = 0; i < n; i++)
      if (buf[i] == '\n') buf[i] = ' ';
    buf[n++] = '\n';
    write_all(g_err_fd, buf, (size_t)n);
    return;
  }
  if (*g_id)
    n = snprintf(buf, sizeof buf, "berth-runtime: %s %s: %s%s\n", g_cmd, g_id, is_warning ? "warning: " : "", msg);
  else if (*g_cmd)
    n = snprintf(buf, sizeof buf, "berth-runtime: %s: %s%s\n", g_cmd, is_warning ? "warning: " : "", msg);
  else
    n = snprintf(buf, sizeof buf, "berth-runtime: %s%s\n", is_warning ? "warning: " : "", msg);
  if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
  write_all(2, buf, (size_t)n);
}

static __attribute__((noreturn)) void vdie(int with_errno, const char *fmt, va_list ap) {
  char msg[3072];
  int saved = errno;
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  if (n < 0) n = 0;
  if (n > (int)sizeof msg - 1) n = sizeof msg - 1;
  if (with_errno) snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(saved));
  void (*cleanup)(void) = g_cleanup;
  g_cleanup = NULL;
  if (cleanup) cleanup();
  emit(msg, 0);
  _exit(1);
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdie(0, fmt, ap);
}

void die_errno(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vdie(1, fmt, ap);
}

void warnx(const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  emit(msg, 1);
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

char *read_file_at(int dirfd, const char *path, size_t *len) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) goto fail;
  for (;;) {
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) goto fail;
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR) continue;
      goto fail;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
fail:;
  int saved = errno;
  free(buf);
  close(fd);
  errno = saved;
  return NULL;
}

int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode) {
  int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | flags, mode);
  if (fd < 0) return -1;
  int r = write_all(fd, data, len);
  int saved = errno;
  if (close(fd) < 0 && r == 0) return -1;
  errno = saved;
  return r;
}

int write_file(const char *path, const char *data, size_t len) {
  return write_file_at(AT_FDCWD, path, data, len, O_TRUNC, 0);
}

int write_file_atomic(int dirfd, const char *name, const char *data, size_t len) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, ".%s.tmp", name);
  if (write_file_at(dirfd, tmp, data, len, O_CREAT | O_TRUNC, 0600) < 0) return -1;
  return renameat(dirfd, tmp, dirfd, name);
}

int mkdir_p(const char *path, mode_t mode) {
  char buf[PATH_MAX];
  size_t len = strlen(path);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, len + 1);
  /* Fast path: usually only the leaf is missing. */
  if (mkdir(buf, mode) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return -1;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
  return 0;
}

void format_rfc3339(char out[TS_LEN], const struct timespec *ts) {
  struct tm tm;
  time_t secs = ts->tv_sec;
  gmtime_r(&secs, &tm);
  snprintf(out, TS_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts->tv_nsec);
}

void now_rfc3339(char out[TS_LEN]) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  format_rfc3339(out, &ts);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory");
  return p;
}

void *xcalloc(size_t n, size_t sz) {
  void *p = calloc(n ? n : 1, sz ? sz : 1);
  if (!p) die("out of memory");
  return p;
}

char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p) die("out of memory");
  return p;
}

static void sb_grow(struct sbuf *sb, size_t extra) {
  if (sb->len + extra + 1 <= sb->cap) return;
  size_t cap = sb->cap ? sb->cap : 256;
  while (cap < sb->len + extra + 1) cap *= 2;
  char *p = realloc(sb->data, cap);
  if (!p) die("out of memory");
  sb->data = p;
  sb->cap = cap;
}

void sb_append(struct sbuf *sb, const char *s, size_t n) {
  sb_grow(sb, n);
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = 0;
}

void sb_puts(struct sbuf *sb, const char *s) { sb_append(sb, s, strlen(s)); }

void sb_printf(struct sbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  sb_grow(sb, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb->len += (size_t)n;
}

void sb_json_string(struct sbuf *sb, const char *s) {
  static const char hex[] = "0123456789abcdef";
  sb_append(sb, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      sb_append(sb, esc, 2);
    } else if (c == '\n') {
      sb_append(sb, "\\n", 2);
    } else if (c == '\t') {
      sb_append(sb, "\\t", 2);
    } else if (c == '\r') {
      sb_append(sb, "\\r", 2);
    } else if (c < 0x20) {
      char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      sb_append(sb, esc, 6);
    } else {
      sb_append(sb, (const char *)p, 1);
    }
  }
  sb_append(sb, "\"", 1);
}

void sb_free(struct sbuf *sb) {
  free(sb->data);
  sb->data = NULL;
  sb->len = sb->cap = 0;
}

int parse_int64(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end) return -1;
  *out = v;
  return 0;
}
