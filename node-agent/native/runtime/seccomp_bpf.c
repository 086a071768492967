#include "seccomp_bpf.h"

#include <stdlib.h>

#include "util.h"

size_t emit(struct prog *p, unsigned short code, unsigned char jt, unsigned char jf, unsigned int k) {
  if (p->len == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 256;
    struct sock_filter *n = realloc(p->insns, p->cap * sizeof *n);
    if (!n) die("out of memory");
    p->insns = n;
  }
  p->insns[p->len] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
  return p->len++;
}

/* One 64-bit comparison as two 32-bit halves: falls through (to PASS) when it holds, jumps to
 * FAIL when not. The block's PASS is its end. */
static void emit_cond(struct prog *p, const struct arg_cond *a, size_t *block_start) {
  *block_start = p->len;
  unsigned int hi = (unsigned int)(a->value >> 32), lo = (unsigned int)a->value;
  const unsigned short JEQ = BPF_JMP | BPF_JEQ | BPF_K, JGT = BPF_JMP | BPF_JGT | BPF_K, JGE = BPF_JMP | BPF_JGE | BPF_K;
  emit(p, LD_WORD(ARG_HI(a->index)));
  switch (a->op) {
    case CMP_EQ: emit(p, JEQ, NEXT, FAIL, hi); emit(p, LD_WORD(ARG_LO(a->index))); emit(p, JEQ, PASS, FAIL, lo); break;
    case CMP_NE: emit(p, JEQ, NEXT, PASS, hi); emit(p, LD_WORD(ARG_LO(a->index))); emit(p, JEQ, FAIL, PASS, lo); break;
    case CMP_MASKED_EQ: {
      unsigned int dhi = (unsigned int)(a->value_two >> 32), dlo = (unsigned int)a->value_two;
      emit(p, BPF_ALU | BPF_AND | BPF_K, NEXT, NEXT, hi);
      emit(p, JEQ, NEXT, FAIL, dhi);
      emit(p, LD_WORD(ARG_LO(a->index)));
      emit(p, BPF_ALU | BPF_AND | BPF_K, NEXT, NEXT, lo);
      emit(p, JEQ, PASS, FAIL, dlo);
      break;
    }
    /* The high halves decide unless equal; then the low halves do. */
    case CMP_GT: case CMP_GE:
      emit(p, JGT, PASS, NEXT, hi); emit(p, JEQ, NEXT, FAIL, hi); emit(p, LD_WORD(ARG_LO(a->index)));
      emit(p, a->op == CMP_GT ? JGT : JGE, PASS, FAIL, lo);
      break;
    case CMP_LT: case CMP_LE:
      emit(p, JGT, FAIL, NEXT, hi); emit(p, JEQ, NEXT, PASS, hi); emit(p, LD_WORD(ARG_LO(a->index)));
      emit(p, a->op == CMP_LT ? JGE : JGT, FAIL, PASS, lo);
      break;
  }
}

/* Rewrites PASS (end of its block) and FAIL (end of the rule) into relative offsets. */
static void resolve(struct prog *p, size_t from, size_t to, size_t pass, size_t fail) {
  for (size_t i = from; i < to; i++) {
    struct sock_filter *f = &p->insns[i];
    if (BPF_CLASS(f->code) != BPF_JMP) continue;
    unsigned char *t[2] = {&f->jt, &f->jf};
    for (int k = 0; k < 2; k++) {
      size_t target = *t[k] == PASS ? pass : *t[k] == FAIL ? fail : i + 1 + *t[k];
      if (target - (i + 1) > 253) die("config.json: linux.seccomp: a rule is too long for a BPF jump");
      *t[k] = (unsigned char)(target - (i + 1));
    }
  }
}

/* A rule with conditions: nr, every condition (all must hold), then the action. The checks
 * load arguments into the accumulator, so a failed rule reloads the number before the next. */
void emit_rule(struct prog *p, int nr, const struct arg_cond *conds, size_t n, unsigned int ret) {
  size_t start = p->len;
  emit(p, BPF_JMP | BPF_JEQ | BPF_K, NEXT, FAIL, (unsigned int)nr);
  size_t blocks[6];
  for (size_t i = 0; i < n; i++) emit_cond(p, &conds[i], &blocks[i]);
  size_t ret_at = emit(p, BPF_RET | BPF_K, NEXT, NEXT, ret);
  size_t reload = emit(p, LD_WORD(offsetof(struct seccomp_data, nr)));
  resolve(p, start, start + 1, reload + 1, reload + 1);
  for (size_t i = 0; i < n; i++) {
    size_t end = i + 1 < n ? blocks[i + 1] : ret_at;
    resolve(p, blocks[i], end, end, reload);
  }
}

/* Names without conditions sharing one action: one comparison each, jumping to a shared return
 * (in chunks, as a BPF jump reaches 255 instructions at most). */
void emit_names(struct prog *p, const int *nrs, size_t n, unsigned int ret) {
  for (size_t at = 0; at < n; at += 200) {
    size_t chunk = n - at < 200 ? n - at : 200;
    size_t start = p->len;
    for (size_t i = 0; i < chunk; i++) emit(p, BPF_JMP | BPF_JEQ | BPF_K, PASS, NEXT, (unsigned int)nrs[at + i]);
    /* None matched: jump over the return. */
    emit(p, BPF_JMP | BPF_JA, NEXT, NEXT, 1);
    emit(p, BPF_RET | BPF_K, NEXT, NEXT, ret);
    resolve(p, start, start + chunk, p->len - 1, p->len);
  }
}

