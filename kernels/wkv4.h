/* SPDX-License-Identifier: BSD-3-Clause */
/* RWKV-4 WKV and Vision-RWKV Bi-WKV (FAMILIES.md §3.1): wkv.rwkv4. Per
 * batch b and channel c, with a rate w[c] and a bonus u[c],
 *   causal:     o_t = (Σ_{i<t} e^{-(t-1-i)w + k_i} v_i + e^{u+k_t} v_t)
 *                   / (Σ_{i<t} e^{-(t-1-i)w + k_i}     + e^{u+k_t}),
 *   non-causal: the same with Σ_{i≠t} and e^{-(|t-i|-1)w} (Bi-WKV),
 * computed in linear time through running sums kept scaled by their
 * running maximum exponent (RWKV-4's max trick), so no e^k ever overflows.
 * Layout [B][T][C] for k, v and o (RWKV-CUDA's); w and u [C] are f32.
 * Causal cases need w > 0; Bi-WKV allows w <= 0 (growth). */
#ifndef SQ_WKV4_H
#define SQ_WKV4_H

#include "kernels/kernel.h"

extern const sq_op sq_op_rwkv4;

/* Axes of the declaration (kernels/ops.c; tests/test_wkv4_ref checks them). */
enum { SQ_W4_B, SQ_W4_T, SQ_W4_C };

/* Tensor indices, which are also the buffer slots. */
enum { SQ_W4_W, SQ_W4_U, SQ_W4_K, SQ_W4_V, SQ_W4_O };

static inline int64_t w4_B(const sq_problem *p) { return sq_ax(p, SQ_W4_B); }
static inline int64_t w4_T(const sq_problem *p) { return sq_ax(p, SQ_W4_T); }
static inline int64_t w4_C(const sq_problem *p) { return sq_ax(p, SQ_W4_C); }

/* The segmented kernel (kernels/wkv4.c, text kernels/wkv4.sqk). */
extern const sq_kernel sq_wkv4_segmented;

/* The reference (kernels/wkv4_ref.c) with the sq_kernel.reference
 * contract: running sums in double precision, o over the requested rows. */
int sq_wkv4_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                double *const *out);
/* Flops per token of one batch instance: the scans over every channel,
 * which run whatever rows are requested. */
double sq_wkv4_ref_row_cost(const sq_problem *p);

#endif
