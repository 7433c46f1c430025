/* SPDX-License-Identifier: BSD-3-Clause */
/* The attention-shaped operators, linear_attn and softmax_attn: q, k
 * [B][H][T][D] and v, o [B][H][T][DV]. Their axes and tensors are declared
 * in kernels/ops.c; the enums below name the declaration's indices (the
 * tests check that they agree), and the accessors read a problem's values
 * so the kernel descriptors read as the equations do. */
#ifndef SQ_ATTENTION_H
#define SQ_ATTENTION_H

#include "kernels/kernel.h"

extern const sq_op sq_op_linear_attn;
extern const sq_op sq_op_softmax_attn;

/* Axes (linear_attn has all seven, softmax_attn the first five). */
enum { SQ_ATT_B, SQ_ATT_H, SQ_ATT_T, SQ_ATT_D, SQ_ATT_DV, SQ_ATT_FEATURE, SQ_ATT_NORMALIZE };
/* Tensors, which are also the buffer slots. */
enum { SQ_ATT_Q, SQ_ATT_K, SQ_ATT_V, SQ_ATT_O };

static inline int64_t att_B(const sq_problem *p) { return sq_ax(p, SQ_ATT_B); }
static inline int64_t att_H(const sq_problem *p) { return sq_ax(p, SQ_ATT_H); }
static inline int64_t att_T(const sq_problem *p) { return sq_ax(p, SQ_ATT_T); }
static inline int64_t att_D(const sq_problem *p) { return sq_ax(p, SQ_ATT_D); }
static inline int64_t att_DV(const sq_problem *p) { return sq_ax(p, SQ_ATT_DV); }
/* Feature map and normaliser: linear_attn only (softmax reads identity). */
static inline sq_fmap att_fmap(const sq_problem *p) {
  return p->shape.op == &sq_op_linear_attn ? (sq_fmap)sq_ax(p, SQ_ATT_FEATURE) : SQ_FMAP_IDENTITY;
}
static inline int att_normalize(const sq_problem *p) {
  return p->shape.op == &sq_op_linear_attn ? (int)sq_ax(p, SQ_ATT_NORMALIZE) : 0;
}

/* A problem of `op` (linear_attn or softmax_attn) with every other axis at
 * its default: the constructor tests and the planner's baselines use. */
void sq_att_problem(sq_problem *p, const sq_op *op, int64_t B, int64_t H, int64_t T, int64_t D, int64_t DV,
                    int causal, sq_dtype dtype);

#endif
