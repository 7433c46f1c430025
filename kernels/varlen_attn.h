/* SPDX-License-Identifier: BSD-3-Clause */
/* Block-diagonal softmax attention over packed sequences:
 * softmax_attn.varlen, FlashAttention's varlen with cu_seqlens. Segments
 * [s_k, s_{k+1}) pack along T; query i sees the keys of its own segment
 * (causal: up to itself):
 *   o_i = sum_{j in seg(i), j <= i if causal} softmax_j(q_i . k_j / sqrt(D)) v_j.
 * M-VAR's intra-scale attention over VAR's 10 scales (1, 4, ..., 256 tokens,
 * 680 in all). Layout as softmax attention: q, k [B][H][T][D], v, o
 * [B][H][T][DV]. Its kernel is the band kernel of kernels/sliding_attn.sqk,
 * the band cut to each query's segment (kernels/sliding_attn.h): a query
 * block visits only the key tiles of the segments its rows lie in. */
#ifndef SQ_VARLEN_ATTN_H
#define SQ_VARLEN_ATTN_H

#include "kernels/sliding_attn.h"

extern const sq_op sq_op_softmax_attn_varlen;

/* Axes of the op, in declaration order (kernels/ops.c; tests/test_varlen_attn
 * checks the indices against the names). */
enum { SQ_VL_B, SQ_VL_H, SQ_VL_T, SQ_VL_D, SQ_VL_DV, SQ_VL_SCALES };
/* Tensors (= buffer slots). */
enum { SQ_VL_Q, SQ_VL_K, SQ_VL_V, SQ_VL_O };

/* The segments of the shape's layout (its `scales` key): how many, and
 * their starts in *starts, one more than that, the last the token count. */
int sq_varlen_segments(const sq_shape *s, const int64_t **starts);

/* The band of a varlen problem: every key of a row's segment (causal: up
 * to the row), scale D^-1/2. */
sq_band sq_band_of_varlen(const sq_problem *p);

extern const sq_kernel sq_varlen_attn_flash;

int sq_varlen_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                             double *const *out);
double sq_varlen_attn_reference_row_cost(const sq_problem *p);

#endif
