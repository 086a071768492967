#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <asm/unistd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "seccomp_bpf.h"
#include "util.h"

#if defined(__x86_64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_X86_64
#define NATIVE_SCMP_ARCH "SCMP_ARCH_X86_64"
/* x32 system calls share x86-64's audit arch and differ by this bit: refused like a foreign arch. */
#define X32_SYSCALL_BIT 0x40000000u
#elif defined(__aarch64__)
#define NATIVE_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_SCMP_ARCH "SCMP_ARCH_AARCH64"
#else
#error "berth-runtime's seccomp compiler knows x86-64 and arm64 only"
#endif

static const struct syscall_name {
  const char *name;
  int nr;
} syscall_names[] = {
#include "syscall_names.h"
};

static int by_name(const void *key, const void *entry) {
  return strcmp(key, ((const struct syscall_name *)entry)->name);
}

/* This architecture's number for name, -1 when only other architectures have it; dies when
 * Linux has no system call of that name. */
static int syscall_nr(const char *name, const char *path) {
  const struct syscall_name *s = bsearch(name, syscall_names, BR_ARRAY_LEN(syscall_names), sizeof *s, by_name);
  if (!s) die("config.json: %s: unknown system call %s", path, name);
  return s->nr;
}

static const struct {
  const char *name;
  unsigned int ret;
  bool takes_errno;
} actions[] = {
    {"SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD, false},   {"SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS, false}, {"SCMP_ACT_TRAP", SECCOMP_RET_TRAP, false},
    {"SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO, true},         {"SCMP_ACT_TRACE", SECCOMP_RET_TRACE, true},
    {"SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW, false},        {"SCMP_ACT_LOG", SECCOMP_RET_LOG, false},
};

/* The filter's return value for an action and its errnoRet (EPERM when not given). */
static unsigned int action(const struct json *obj, const char *key, const char *errno_key, const char *path) {
  char p[96];
  snprintf(p, sizeof p, "%s.%s", path, key);
  const char *name = str_or_die(json_get(obj, key), p);
  const struct json *e = json_get(obj, errno_key);
  for (size_t i = 0; i < BR_ARRAY_LEN(actions); i++) {
    if (strcmp(name, actions[i].name) != 0) continue;
    if (!actions[i].takes_errno) {
      if (e && e->type != JSON_NULL) die("config.json: %s.%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one", path, errno_key);
      return actions[i].ret;
    }
    int64_t value = EPERM;
    if (e && e->type != JSON_NULL) {
      snprintf(p, sizeof p, "%s.%s", path, errno_key);
      value = int_or_die(e, p);
      if (value < 0 || value > SECCOMP_RET_DATA) die("config.json: %s: %lld is out of range", p, (long long)value);
    }
    return actions[i].ret | (unsigned int)value;
  }
  die("config.json: %s: %s is not supported (SCMP_ACT_NOTIFY needs a listener, which berth-runtime does not offer)", p, name);
}

static const char *const cmp_names[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                                        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

static struct arg_cond parse_arg(const struct json *a, const char *path) {
  char p[128];
  struct arg_cond c = {0};
  snprintf(p, sizeof p, "%s.index", path);
  int64_t index = int_or_die(json_get(a, "index"), p);
  if (index < 0 || index > 5) die("config.json: %s: must be 0 to 5", p);
  c.index = (unsigned)index;
  const char *keys[2] = {"value", "valueTwo"};
  uint64_t *dst[2] = {&c.value, &c.value_two};
  for (int k = 0; k < 2; k++) {
    const struct json *v = json_get(a, keys[k]);
    if (!v || v->type == JSON_NULL) continue;
    snprintf(p, sizeof p, "%s.%s", path, keys[k]);
    if (v->type == JSON_NUMBER && !v->is_int && v->number >= 0 && v->number < 18446744073709551616.0 && v->number == (double)(uint64_t)v->number)
      *dst[k] = (uint64_t)v->number; /* above int64: exact only when representable */
    else {
      int64_t x = int_or_die(v, p);
      if (x < 0) die("config.json: %s: must not be negative", p);
      *dst[k] = (uint64_t)x;
    }
  }
  snprintf(p, sizeof p, "%s.op", path);
  const char *op = str_or_die(json_get(a, "op"), p);
  size_t i = 0;
  while (i < BR_ARRAY_LEN(cmp_names) && strcmp(op, cmp_names[i]) != 0) i++;
  if (i == BR_ARRAY_LEN(cmp_names)) die("config.json: %s: unknown operator %s", p, op);
  c.op = (enum cmp)i;
  return c;
}

static void reject_keys(const struct json *obj, const char *path, const char *const *allowed) {
  for (size_t i = 0; i < obj->len; i++) {
    const char *const *a = allowed;
    while (*a && strcmp(*a, obj->keys[i]) != 0) a++;
    /* Fields documentation only: nothing to enforce. */
    if (!*a && strcmp(obj->keys[i], "comment") != 0) die("config.json: %s.%s: not supported by berth-runtime", path, obj->keys[i]);
  }
}

static void compile_syscall(struct prog *p, const struct json *s, const char *path) {
  static const char *const keys[] = {"names", "action", "errnoRet", "args", NULL};
  if (s->type != JSON_OBJECT) die("config.json: %s: must be an object", path);
  reject_keys(s, path, keys);
  unsigned int ret = action(s, "action", "errnoRet", path);
  char np[96];
  snprintf(np, sizeof np, "%s.names", path);
  size_t n_names;
  char **names = string_array(json_get(s, "names"), np, &n_names);
  if (n_names == 0) die("config.json: %s: must name at least one system call", np);
  int *nrs = xcalloc(n_names, sizeof *nrs);
  size_t n_nrs = 0;
  for (size_t i = 0; i < n_names; i++) {
    int nr = syscall_nr(names[i], np);
    if (nr >= 0) nrs[n_nrs++] = nr;
  }
  const struct json *args = json_get(s, "args");
  size_t n_args = 0;
  struct arg_cond conds[6];
  bool same_index = false;
  if (args && args->type != JSON_NULL) {
    if (args->type != JSON_ARRAY) die("config.json: %s.args: must be an array", path);
    if (args->len > 6) die("config.json: %s.args: at most 6 conditions", path);
    unsigned seen = 0;
    for (size_t i = 0; i < args->len; i++) {
      char ap[112];
      snprintf(ap, sizeof ap, "%s.args[%zu]", path, i);
      conds[i] = parse_arg(&args->items[i], ap);
      if (seen & (1u << conds[i].index)) same_index = true;
      seen |= 1u << conds[i].index;
    }
    n_args = args->len;
  }
  if (n_args == 0) emit_names(p, nrs, n_nrs, ret);
  for (size_t i = 0; n_args > 0 && i < n_nrs; i++) {
    /* Like runc: conditions on different arguments must all hold; two on the same argument
     * become separate rules, any of which may match. */
    if (same_index)
      for (size_t k = 0; k < n_args; k++) emit_rule(p, nrs[i], &conds[k], 1, ret);
    else emit_rule(p, nrs[i], conds, n_args, ret);
  }
  free(nrs);
  free(names);
}

static unsigned int parse_flags(const struct json *v) {
  static const struct {
    const char *name;
    unsigned int flag;
  } known[] = {{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
               {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
               {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW}};
  size_t n;
  char **names = string_array(v, "linux.seccomp.flags", &n);
  unsigned int flags = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k = 0;
    while (k < BR_ARRAY_LEN(known) && strcmp(names[i], known[k].name) != 0) k++;
    if (k == BR_ARRAY_LEN(known)) die("config.json: linux.seccomp.flags[%zu]: %s is not supported", i, names[i]);
    flags |= known[k].flag;
  }
  free(names);
  return flags;
}

static void check_architectures(const struct json *v) {
  size_t n;
  char **arches = string_array(v, "linux.seccomp.architectures", &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(arches[i], NATIVE_SCMP_ARCH) != 0)
      die("config.json: linux.seccomp.architectures[%zu]: berth-runtime filters the native architecture (%s) only, not %s",
          i, NATIVE_SCMP_ARCH, arches[i]);
  free(arches);
}

struct seccomp_program *seccomp_compile(const struct json *profile) {
  static const char *const keys[] = {"defaultAction", "defaultErrnoRet", "architectures", "flags", "syscalls", NULL};
  if (profile->type != JSON_OBJECT) die("config.json: linux.seccomp: must be an object");
  for (size_t i = 0; i < profile->len; i++) {
    const char *k = profile->keys[i];
    const struct json *v = &profile->items[i];
    bool empty = v->type == JSON_NULL || (v->type == JSON_STRING && !*v->string) || (v->type == JSON_ARRAY && v->len == 0);
    if ((strcmp(k, "listenerPath") == 0 || strcmp(k, "listenerMetadata") == 0) && !empty)
      die("config.json: linux.seccomp.%s: SCMP_ACT_NOTIFY listeners are not supported by berth-runtime", k);
  }
  for (size_t i = 0; i < profile->len; i++) {
    const char *k = profile->keys[i];
    const char *const *a = keys;
    while (*a && strcmp(*a, k) != 0) a++;
    if (!*a && strcmp(k, "listenerPath") != 0 && strcmp(k, "listenerMetadata") != 0)
      die("config.json: linux.seccomp.%s: not supported by berth-runtime", k);
  }
  check_architectures(json_get(profile, "architectures"));
  struct seccomp_program *out = xcalloc(1, sizeof *out);
  out->flags = parse_flags(json_get(profile, "flags"));
  unsigned int def = action(profile, "defaultAction", "defaultErrnoRet", "linux.seccomp");

  struct prog p = {0};
  /* A foreign architecture (i386 via int 0x80, x32) would read numbers from another table:
   * the process is killed, as libseccomp does by default. */
  emit(&p, LD_WORD(offsetof(struct seccomp_data, arch)));
  emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, NATIVE_AUDIT_ARCH);
  emit(&p, BPF_RET | BPF_K, NEXT, NEXT, SECCOMP_RET_KILL_PROCESS);
  emit(&p, LD_WORD(offsetof(struct seccomp_data, nr)));
#ifdef X32_SYSCALL_BIT
  emit(&p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
  emit(&p, BPF_RET | BPF_K, NEXT, NEXT, SECCOMP_RET_KILL_PROCESS);
#endif
  const struct json *syscalls = json_get(profile, "syscalls");
  if (syscalls && syscalls->type != JSON_NULL) {
    if (syscalls->type != JSON_ARRAY) die("config.json: linux.seccomp.syscalls: must be an array");
    for (size_t i = 0; i < syscalls->len; i++) {
      char path[64];
      snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu]", i);
      compile_syscall(&p, &syscalls->items[i], path);
    }
  }
  emit(&p, BPF_RET | BPF_K, NEXT, NEXT, def);
  if (p.len > BPF_MAXINSNS) die("config.json: linux.seccomp: the filter needs %zu instructions, more than the kernel's %d", p.len, BPF_MAXINSNS);
  out->insns = p.insns;
  out->len = (unsigned short)p.len;
  return out;
}
