/* linux.seccomp of config.json (OCI runtime spec semantics) compiled into a classic BPF
 * program without libseccomp. Supported: defaultAction, defaultErrnoRet, architectures (the
 * native one only), flags (TSYNC, LOG, SPEC_ALLOW), syscalls with names, action, errnoRet and
 * args (ops NE, LT, LE, EQ, GE, GT, MASKED_EQ). Anything else is a fatal error naming its JSON
 * path, never ignored. Rules are tried in order and the first that matches decides; a system
 * call no rule matches gets defaultAction. A name Linux defines only on other architectures is
 * skipped (as runc and libseccomp do); a name Linux does not define is an error. */
#ifndef BERTH_SECCOMP_H
#define BERTH_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>

#include "json.h"

/* A compiled filter, ready for seccomp(SECCOMP_SET_MODE_FILTER). */
struct seccomp_program {
  struct sock_filter *insns;
  unsigned short len;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
};

/* Compiles the linux.seccomp object (dies on anything unsupported). */
struct seccomp_program *seccomp_compile(const struct json *profile);
/* The compiled program for profile, from cache_dir when this exact profile was compiled
 * before (the file holds the profile text too, compared byte for byte), else compiled and
 * stored there. cache_dir NULL: compile only. */
struct seccomp_program *seccomp_prepare(const struct json *profile, const char *cache_dir);
/* Installs the filter on the calling thread (on every thread with TSYNC). */
void seccomp_install(const struct seccomp_program *p);

#endif
