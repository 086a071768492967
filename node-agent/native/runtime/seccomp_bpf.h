/* The classic BPF emitter behind seccomp.c: a growing program, 64-bit argument comparisons made
 * of 32-bit halves, rules with conditions and runs of plain names. Not an API beyond it. */
#ifndef BERTH_SECCOMP_BPF_H
#define BERTH_SECCOMP_BPF_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* The program being built; jumps in a rule are relative and resolved when the rule ends. */
struct prog {
  struct sock_filter *insns;
  size_t len, cap;
};

/* Jump targets while a rule is emitted; patched into offsets when the rule is complete. */
enum { NEXT = 0, PASS = 254, FAIL = 255 };

#define LD_WORD(off) (BPF_LD | BPF_W | BPF_ABS), NEXT, NEXT, (unsigned int)(off)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4) /* little-endian: x86-64 and arm64 */

enum cmp { CMP_NE, CMP_LT, CMP_LE, CMP_EQ, CMP_GE, CMP_GT, CMP_MASKED_EQ };

struct arg_cond {
  unsigned index;
  uint64_t value, value_two;
  enum cmp op;
};

/* Appends one instruction; returns its index. */
size_t emit(struct prog *p, unsigned short code, unsigned char jt, unsigned char jf, unsigned int k);
/* A rule with conditions: nr, every condition (all must hold), then return ret. */
void emit_rule(struct prog *p, int nr, const struct arg_cond *conds, size_t n, unsigned int ret);
/* Plain names sharing one return value. */
void emit_names(struct prog *p, const int *nrs, size_t n, unsigned int ret);

#endif
