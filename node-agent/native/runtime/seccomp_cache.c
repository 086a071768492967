/* seccomp_prepare's cache and seccomp_install. An agent passes the same default profile in
 * every bundle, so the program is compiled once per distinct profile and node: the cache file
 * is named by a hash of the profile's canonical text and holds that text too, so a hash
 * collision can only cost a compile, never load another profile's program. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp.h"
#include "util.h"

static uint64_t fnv1a(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

/* File layout: text length (8 bytes), the text, flags (4 bytes), the instructions. */
static struct seccomp_program *load_cached(int dirfd, const char *name, const struct sbuf *text) {
  size_t len;
  char *data = read_file_at(dirfd, name, &len);
  if (!data) return NULL;
  struct seccomp_program *p = NULL;
  uint64_t tlen = 0;
  size_t head = sizeof tlen + text->len + sizeof p->flags;
  if (len >= sizeof tlen) memcpy(&tlen, data, sizeof tlen);
  if (len > head && tlen == text->len && memcmp(data + sizeof tlen, text->data, text->len) == 0 &&
      (len - head) % sizeof(struct sock_filter) == 0 && (len - head) / sizeof(struct sock_filter) <= BPF_MAXINSNS) {
    p = xcalloc(1, sizeof *p);
    memcpy(&p->flags, data + sizeof tlen + text->len, sizeof p->flags);
    p->len = (unsigned short)((len - head) / sizeof(struct sock_filter));
    p->insns = xmalloc(len - head);
    memcpy(p->insns, data + head, len - head);
  }
  free(data);
  return p;
}

/* Best effort: a cache that cannot be written only costs the next container a compile. */
static void store(int dirfd, const char *name, const struct sbuf *text, const struct seccomp_program *p) {
  struct sbuf sb = {0};
  uint64_t tlen = text->len;
  sb_append(&sb, (const char *)&tlen, sizeof tlen);
  sb_append(&sb, text->data, text->len);
  sb_append(&sb, (const char *)&p->flags, sizeof p->flags);
  sb_append(&sb, (const char *)p->insns, p->len * sizeof *p->insns);
  char tmp[96];
  /* A name of our own: containers are created concurrently. */
  snprintf(tmp, sizeof tmp, ".%s.%d.tmp", name, (int)getpid());
  if (write_file_at(dirfd, tmp, sb.data, sb.len, O_CREAT | O_TRUNC | O_EXCL, 0600) == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
    unlinkat(dirfd, tmp, 0);
  sb_free(&sb);
}

struct seccomp_program *seccomp_prepare(const struct json *profile, const char *cache_dir) {
  if (!cache_dir) return seccomp_compile(profile);
  struct sbuf text = {0};
  json_write(&text, profile);
  char name[40];
  snprintf(name, sizeof name, "%016llx.bpf", (unsigned long long)fnv1a(text.data, text.len));
  int dirfd = -1;
  if (mkdir_p(cache_dir, 0700) == 0) dirfd = open(cache_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct seccomp_program *p = dirfd >= 0 ? load_cached(dirfd, name, &text) : NULL;
  if (!p) {
    p = seccomp_compile(profile);
    if (dirfd >= 0) store(dirfd, name, &text, p);
  }
  if (dirfd >= 0) close(dirfd);
  sb_free(&text);
  return p;
}

void seccomp_install(const struct seccomp_program *p) {
  struct sock_fprog prog = {.len = p->len, .filter = p->insns};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog) < 0) die_errno("install the seccomp filter");
}
