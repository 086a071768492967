#include "devices_bpf.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_INSNS 4096

/* One rule in matching form: type 0 = any, else BPF_DEVCG_DEV_*; major/minor -1 = any;
 * access a mask of BPF_DEVCG_ACC_*. */
struct match {
  bool allow;
  int type;
  long long major, minor;
  int access;
};

struct prog {
  struct bpf_insn insn[MAX_INSNS];
  int n;
};

static void emit(struct prog *p, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm) {
  if (p->n >= MAX_INSNS) die("cgroup: too many device rules");
  p->insn[p->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static int access_mask(const char *s) {
  int m = 0;
  for (; *s; s++)
    m |= *s == 'r' ? BPF_DEVCG_ACC_READ : *s == 'w' ? BPF_DEVCG_ACC_WRITE : *s == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return m;
}

static int type_of(char t) {
  return t == 'b' ? BPF_DEVCG_DEV_BLOCK : t == 'c' ? BPF_DEVCG_DEV_CHAR : 0;
}

/* Parses "c 1:3 rwm", "b *:* m" or "a". */
static struct match parse_default(const char *text) {
  struct match m = {.allow = true, .type = type_of(text[0]), .major = -1, .minor = -1, .access = 7};
  if (text[0] == 'a') return m;
  char maj[16], min[16], acc[8];
  if (sscanf(text + 2, "%15[^:]:%15s %7s", maj, min, acc) != 3) die("cgroup: bad device rule %s", text);
  m.major = maj[0] == '*' ? -1 : atoll(maj);
  m.minor = min[0] == '*' ? -1 : atoll(min);
  m.access = access_mask(acc);
  return m;
}

/* Registers: r2 device type, r3 requested access, r4 major, r5 minor (loaded once). Each rule
 * is a block that jumps to the next block when it does not match, else returns its verdict. */
static bool emit_rule(struct prog *p, const struct match *m) {
  int jumps[8], nj = 0;
  if (m->type) {
    jumps[nj++] = p->n;
    emit(p, BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, m->type);
  }
  if (m->allow && m->access != 7) {
    /* Allow only when every requested access is in the rule. */
    jumps[nj++] = p->n;
    emit(p, BPF_JMP | BPF_JSET | BPF_K, 3, 0, 0, ~m->access & 7);
  } else if (!m->allow && m->access != 7) {
    /* Deny when any requested access is in the rule. */
    emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 0, 3, 0, 0);
    emit(p, BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, m->access);
    jumps[nj++] = p->n;
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0, 0);
  }
  if (m->major >= 0) {
    jumps[nj++] = p->n;
    emit(p, BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (__s32)m->major);
  }
  if (m->minor >= 0) {
    jumps[nj++] = p->n;
    emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (__s32)m->minor);
  }
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, m->allow ? 1 : 0);
  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (int i = 0; i < nj; i++) p->insn[jumps[i]].off = (__s16)(p->n - jumps[i] - 1);
  return nj == 0; /* matches everything: nothing after it can be reached */
}

void devices_bpf_attach(const char *cgroup_dir, const struct device_rule *rules, size_t n_rules,
                        const char *const *defaults, size_t n_defaults) {
  size_t total = n_rules + n_defaults;
  struct match *ms = xcalloc(total, sizeof *ms);
  for (size_t i = 0; i < n_rules; i++)
    ms[i] = (struct match){.allow = rules[i].allow, .type = type_of(rules[i].type), .major = rules[i].major,
                           .minor = rules[i].minor, .access = access_mask(rules[i].access)};
  for (size_t i = 0; i < n_defaults; i++) ms[n_rules + i] = parse_default(defaults[i]);

  static struct prog p;
  p.n = 0;
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
  emit(&p, BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF);
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
  emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16);
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, 4, 1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
  emit(&p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
  /* The last rule wins, so test from the last one back; a rule matching everything ends the
   * program (the verifier refuses unreachable code); else no match denies. */
  bool ended = false;
  for (size_t i = total; i-- > 0 && !ended;) ended = emit_rule(&p, &ms[i]);
  if (!ended) {
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
    emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  free(ms);

  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (__u64)(unsigned long)p.insn;
  load.insn_cnt = (__u32)p.n;
  load.license = (__u64)(unsigned long)"Apache-2.0";
  int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
  if (prog < 0 && errno == EINVAL) {
    /* Load again with the verifier's log, to say why. */
    static char log[4096];
    load.log_buf = (__u64)(unsigned long)log;
    load.log_size = sizeof log;
    load.log_level = 1;
    if (syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load) < 0) {
      size_t len = strlen(log);
      while (len && log[len - 1] == '\n') log[--len] = 0;
      /* The reason is the line before the verifier's statistics. */
      char *stats = strstr(log, "\nprocessed ");
      if (stats) *stats = 0;
      const char *reason = strrchr(log, '\n');
      die("cgroup: load the device access program for %s: %s", cgroup_dir, reason ? reason + 1 : log);
    }
  }
  if (prog < 0) die_errno("cgroup: load the device access program for %s", cgroup_dir);
  int dir = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die_errno("cgroup: open %s", cgroup_dir);
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = (__u32)dir;
  attach.attach_bpf_fd = (__u32)prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) < 0)
    die_errno("cgroup: attach the device access program to %s", cgroup_dir);
  /* The attachment keeps the program alive until the cgroup is removed. */
  close(dir);
  close(prog);
}
