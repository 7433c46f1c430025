/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the kernel descriptors: dtypes, defines, launch plans. */
#include "kernels/kernel.h"

#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "kernels/attention.h"

const char *sq_dtype_name(sq_dtype t) {
  switch (t) {
  case SQ_F16: return "f16";
  case SQ_BF16: return "bf16";
  default: return "f32";
  }
}

int sq_dtype_parse(const char *s, sq_dtype *out) {
  if (!strcmp(s, "f32")) *out = SQ_F32;
  else if (!strcmp(s, "f16")) *out = SQ_F16;
  else if (!strcmp(s, "bf16")) *out = SQ_BF16;
  else return sq_fail(SQ_EINVAL, "unknown dtype '%s' (expected f32, f16 or bf16)", s);
  return 0;
}

size_t sq_dtype_size(sq_dtype t) { return t == SQ_F32 ? 4 : 2; }

void sq_plan_init(sq_plan *pl) { memset(pl, 0, sizeof *pl); }

void sq_plan_define(sq_plan *pl, const char *name, long value) {
  size_t len = strlen(pl->defines);
  snprintf(pl->defines + len, sizeof pl->defines - len, "%s-D%s=%ld", len ? " " : "", name, value);
}

/* A define whose value is text without spaces (a list: 0,1,5,14). */
void sq_plan_define_text(sq_plan *pl, const char *name, const char *value) {
  size_t len = strlen(pl->defines);
  snprintf(pl->defines + len, sizeof pl->defines - len, "%s-D%s=%s", len ? " " : "", name, value);
}

void sq_plan_problem_defines(sq_plan *pl, const sq_problem *p) {
  const sq_op *op = p->shape.op;
  for (int a = 0; a < sq_op_naxes(op); a++)
    if (op->axes[a].define && op->axes[a].kind != SQ_AXIS_REAL && op->axes[a].kind != SQ_AXIS_LIST)
      sq_plan_define(pl, op->axes[a].define, (long)sq_ax(p, a));
  sq_plan_define(pl, "CAUSAL", p->causal);
  sq_plan_define(pl, "DTYPE", p->dtype);
}

sq_launch *sq_plan_launch(sq_plan *pl, const char *entry, size_t g0, size_t g1, size_t g2,
                          size_t l0, size_t l1, size_t l2) {
  if (pl->nlaunch >= SQ_MAX_LAUNCHES) return NULL;
  sq_launch *l = &pl->launch[pl->nlaunch++];
  memset(l, 0, sizeof *l);
  l->entry = entry;
  l->local[0] = l0 ? l0 : 1;
  l->local[1] = l1 ? l1 : 1;
  l->local[2] = l2 ? l2 : 1;
  l->global[0] = sq_round_up(g0 ? g0 : 1, l->local[0]);
  l->global[1] = sq_round_up(g1 ? g1 : 1, l->local[1]);
  l->global[2] = sq_round_up(g2 ? g2 : 1, l->local[2]);
  return l;
}

sq_launch *sq_plan_gemm(sq_plan *pl, const sq_gemm *g) {
  if (pl->nlaunch >= SQ_MAX_LAUNCHES) return NULL;
  sq_launch *l = &pl->launch[pl->nlaunch++];
  memset(l, 0, sizeof *l);
  l->entry = "vendor_gemm";
  l->gemm = *g;
  return l;
}

int sq_plan_scratch(sq_plan *pl, size_t bytes) {
  if (pl->nscratch >= SQ_MAX_SCRATCH) return -1;
  pl->scratch_bytes[pl->nscratch] = bytes;
  return SQ_SLOT_SCRATCH0 + pl->nscratch++;
}

static sq_arg *next_arg(sq_launch *l) {
  return l->nargs < SQ_MAX_ARGS ? &l->args[l->nargs++] : NULL;
}

void sq_arg_buf(sq_launch *l, int slot) {
  sq_arg *a = next_arg(l);
  if (a) *a = (sq_arg){.kind = SQ_ARG_BUF, .slot = slot};
}

void sq_arg_i32(sq_launch *l, int32_t v) {
  sq_arg *a = next_arg(l);
  if (a) *a = (sq_arg){.kind = SQ_ARG_I32, .i = v};
}

void sq_arg_f32(sq_launch *l, float v) {
  sq_arg *a = next_arg(l);
  if (a) *a = (sq_arg){.kind = SQ_ARG_F32, .f = v};
}

size_t sq_round_up(size_t x, size_t m) { return m ? (x + m - 1) / m * m : x; }

void sq_att_problem(sq_problem *p, const sq_op *op, int64_t B, int64_t H, int64_t T, int64_t D, int64_t DV,
                    int causal, sq_dtype dtype) {
  memset(p, 0, sizeof *p);
  sq_shape_defaults(op, &p->shape);
  sq_ax_set(p, SQ_ATT_B, B);
  sq_ax_set(p, SQ_ATT_H, H);
  sq_ax_set(p, SQ_ATT_T, T);
  sq_ax_set(p, SQ_ATT_D, D);
  sq_ax_set(p, SQ_ATT_DV, DV);
  p->causal = causal;
  p->dtype = dtype;
}
