/* SPDX-License-Identifier: BSD-3-Clause */
/* Quadratic softmax-attention baselines: scores materialised (three
 * kernels) and one tiled kernel with online softmax (FlashAttention-style).
 * Both descriptors share one double-precision reference. */
#ifndef SQ_SOFTMAX_ATTN_H
#define SQ_SOFTMAX_ATTN_H

#include "kernels/attention.h"

extern const sq_kernel sq_softmax_attn_naive;
extern const sq_kernel sq_softmax_attn_blas;
extern const sq_kernel sq_softmax_attn_flash;

/* kernels/softmax_attn_ref.c: o_i = sum_j softmax_j(q_i . k_j / sqrt(D)) v_j
 * (j <= i when causal), in double precision, for the requested rows. */
int sq_softmax_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                              double *const *out);
double sq_softmax_attn_reference_row_cost(const sq_problem *p);

#endif
