/* Small helpers shared by every part of berth-runtime: error reporting, whole-file I/O,
 * timestamps and a growable string buffer. Nothing here uses stdio, so the monitor stays small. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Where a fatal error goes. Set once per process role (CLI, monitor reporting to the caller,
 * container init reporting to the monitor). */
enum err_mode {
  ERR_STDERR,     /* "berth-runtime: <cmd> <id>: msg\n" on fd 2 */
  ERR_PIPE,       /* "msg" on err_fd, the reader adds the prefix */
  ERR_CONTROL,    /* "error msg\n" on err_fd: exec's control socket (exec.h) */
};
void err_setup(enum err_mode mode, int fd, const char *cmd, const char *id);
/* Called once before the process exits on a fatal error (undo steps taken so far). */
void err_set_cleanup(void (*fn)(void));

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
/* Like die, appends ": strerror(errno)". */
__attribute__((noreturn, format(printf, 1, 2))) void die_errno(const char *fmt, ...);
/* Formats an error without exiting (for warnings or messages built before cleanup). */
__attribute__((format(printf, 1, 2))) void warnx(const char *fmt, ...);

int write_all(int fd, const void *buf, size_t len);
/* Reads a whole file (NUL-terminated, *len set if non-NULL); NULL on error with errno set. */
char *read_file_at(int dirfd, const char *path, size_t *len);
/* Writes a small file (O_TRUNC). Returns 0 or -1 with errno. */
int write_file(const char *path, const char *data, size_t len);
int write_file_at(int dirfd, const char *path, const char *data, size_t len, int flags, mode_t mode);
/* Writes via a temp name and rename(2) so readers never see a partial file. */
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len);
int mkdir_p(const char *path, mode_t mode);

/* RFC 3339 with nanoseconds in UTC, e.g. 2026-11-30T01:37:02.123456789Z (31 chars + NUL). */
#define TS_LEN 64
void format_rfc3339(char out[TS_LEN], const struct timespec *ts);
void now_rfc3339(char out[TS_LEN]);

/* Growable byte buffer used to build JSON and messages. */
struct sbuf {
  char *data;
  size_t len, cap;
};
void sb_append(struct sbuf *sb, const char *s, size_t n);
void sb_puts(struct sbuf *sb, const char *s);
__attribute__((format(printf, 2, 3))) void sb_printf(struct sbuf *sb, const char *fmt, ...);
void sb_json_string(struct sbuf *sb, const char *s);
void sb_free(struct sbuf *sb);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
char *xstrdup(const char *s);
int parse_int64(const char *s, int64_t *out);

#endif
