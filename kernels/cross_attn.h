/* SPDX-License-Identifier: BSD-3-Clause */
/* Softmax attention with query and key lengths apart: softmax_attn.cross,
 * TQ queries over TK keys and values of another sequence, non-causal:
 *   o_i = sum_{j < TK} softmax_j(q_i . k_j / sqrt(D)) v_j.
 * CrossViT's fusion (one CLS query over the other branch's tokens), PVTv2's
 * spatial-reduction attention (N queries over N/sr^2 keys) and FaViT's
 * pooled branches. Layout: q [B][H][TQ][D], k [B][H][TK][D], v [B][H][TK][DV],
 * o [B][H][TQ][DV]. Its kernel is the band kernel of kernels/sliding_attn.sqk
 * with a band that holds every key (kernels/sliding_attn.h). */
#ifndef SQ_CROSS_ATTN_H
#define SQ_CROSS_ATTN_H

#include "kernels/sliding_attn.h"

extern const sq_op sq_op_softmax_attn_cross;

/* Axes of the op, in declaration order (kernels/ops.c; tests/test_cross_attn
 * checks the indices against the names). */
enum { SQ_CX_B, SQ_CX_H, SQ_CX_TQ, SQ_CX_TK, SQ_CX_D, SQ_CX_DV };
/* Tensors (= buffer slots). */
enum { SQ_CX_Q, SQ_CX_K, SQ_CX_V, SQ_CX_O };

static inline int64_t cx_B(const sq_problem *p) { return sq_ax(p, SQ_CX_B); }
static inline int64_t cx_H(const sq_problem *p) { return sq_ax(p, SQ_CX_H); }
static inline int64_t cx_TQ(const sq_problem *p) { return sq_ax(p, SQ_CX_TQ); }
static inline int64_t cx_TK(const sq_problem *p) { return sq_ax(p, SQ_CX_TK); }
static inline int64_t cx_D(const sq_problem *p) { return sq_ax(p, SQ_CX_D); }
static inline int64_t cx_DV(const sq_problem *p) { return sq_ax(p, SQ_CX_DV); }

/* The band of a cross-attention problem: every query sees every key. */
sq_band sq_band_of_cross(const sq_problem *p);

extern const sq_kernel sq_cross_attn_flash;

/* The reference (kernels/cross_attn.c, on sq_band_reference), with the
 * sq_kernel.reference contract: the requested query rows over all TK keys
 * in double precision. */
int sq_cross_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                            double *const *out);
double sq_cross_attn_reference_row_cost(const sq_problem *p);

#endif
