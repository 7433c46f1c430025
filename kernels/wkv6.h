/* SPDX-License-Identifier: BSD-3-Clause */
/* RWKV-6 WKV (FAMILIES.md §3.2): wkv.rwkv6. Per head an N x N state S
 * (key x value), a data-dependent decay per token and key channel, d_t[i] =
 * exp(-exp(w_t[i])), and a bonus u per head and key channel:
 *   causal:        o_t[j] = sum_i r_t[i] (S_{t-1}[i][j] + u[i] k_t[i] v_t[j]),
 *                  S_t = diag(d_t) S_{t-1} + k_t v_t^T, from h0 (state) or 0,
 *                  leaving ht = S_{T-1};
 *   bidirectional: the causal o (from 0) plus o_t += r_t^T S^b_{t+1}, the
 *                  backward scan S^b_t = diag(d_t) S^b_{t+1} + k_t v_t^T from
 *                  S^b_T = 0, without the bonus (Vision-RWKV-6).
 * Layouts are RWKV-CUDA's: r, k, v, w, o [B][T][H][N] in the storage dtype,
 * u [H][N] and h0, ht [B][H][N][N] in f32. There is no scale. */
#ifndef SQ_WKV6_FAMILY_H
#define SQ_WKV6_FAMILY_H

#include "kernels/kernel.h"

extern const sq_op sq_op_rwkv6;

/* Axes of the op, in declaration order (kernels/ops.c; tests/test_wkv6_ref
 * checks the indices against the names). */
enum { SQ_WKV6_B, SQ_WKV6_T, SQ_WKV6_H, SQ_WKV6_N, SQ_WKV6_STATE };

/* Tensor indices (= buffer slots), in declaration order. */
enum { SQ_WKV6_R, SQ_WKV6_K, SQ_WKV6_V, SQ_WKV6_W, SQ_WKV6_U, SQ_WKV6_H0, SQ_WKV6_O, SQ_WKV6_HT };

static inline int64_t wkv6_B(const sq_problem *p) { return sq_ax(p, SQ_WKV6_B); }
static inline int64_t wkv6_T(const sq_problem *p) { return sq_ax(p, SQ_WKV6_T); }
static inline int64_t wkv6_H(const sq_problem *p) { return sq_ax(p, SQ_WKV6_H); }
static inline int64_t wkv6_N(const sq_problem *p) { return sq_ax(p, SQ_WKV6_N); }
static inline int wkv6_state(const sq_problem *p) { return (int)sq_ax(p, SQ_WKV6_STATE); }

/* The kernels (kernels/wkv6.c), both causal and bidirectional: chunked
 * (GLA's scheme with RWKV-6's exclusive decay and bonus; the op's preferred
 * kernel) and recurrent (one work-item per value column). */
extern const sq_kernel sq_wkv6_chunked;
extern const sq_kernel sq_wkv6_recurrent;

/* The reference (kernels/wkv6_ref.c), with the sq_kernel.reference
 * contract: the recurrences above in double precision, o over the
 * requested rows and ht in full. */
int sq_wkv6_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                double *const *out);
/* Flops per token and (b, h) of the reference's scans. */
double sq_wkv6_ref_row_cost(const sq_problem *p);

#endif
