/* SPDX-License-Identifier: BSD-3-Clause */
/* RWKV-7's generalised delta rule (FAMILIES.md §3.3): wkv.rwkv7, causal.
 * Per batch b and head h an N x N state S (value x key: row i is value
 * channel i), and per token the decay d_t[j] = exp(-exp(w_t[j])):
 *   S_t = S_{t-1} diag(d_t) + (S_{t-1} a_t) b_t^T + v_t k_t^T,   o_t = S_t r_t,
 * from h0 (state) or 0, leaving ht = S_{T-1}. Layout [B][T][H][N] for r, w,
 * k, v, a, b and o (RWKV-CUDA's [B][T][C], C = H N); h0, ht [B][H][N][N]
 * are f32. */
#ifndef SQ_WKV7_H
#define SQ_WKV7_H

#include "kernels/kernel.h"

extern const sq_op sq_op_rwkv7;

/* Axes of the declaration (kernels/ops.c; tests/test_wkv7_ref checks them). */
enum { SQ_W7_B, SQ_W7_T, SQ_W7_H, SQ_W7_N, SQ_W7_STATE };

/* Tensor indices, which are also the buffer slots. */
enum { SQ_W7_R, SQ_W7_W, SQ_W7_K, SQ_W7_V, SQ_W7_A, SQ_W7_BB, SQ_W7_H0, SQ_W7_O, SQ_W7_HT };

static inline int64_t w7_B(const sq_problem *p) { return sq_ax(p, SQ_W7_B); }
static inline int64_t w7_T(const sq_problem *p) { return sq_ax(p, SQ_W7_T); }
static inline int64_t w7_H(const sq_problem *p) { return sq_ax(p, SQ_W7_H); }
static inline int64_t w7_N(const sq_problem *p) { return sq_ax(p, SQ_W7_N); }
static inline int w7_state(const sq_problem *p) { return (int)sq_ax(p, SQ_W7_STATE); }

/* The recurrent kernel (kernels/wkv7.c, text kernels/wkv7.sqk). */
extern const sq_kernel sq_wkv7_recurrent;

/* The reference (kernels/wkv7_ref.c) with the sq_kernel.reference
 * contract: the recurrence in double precision, o over the requested rows
 * and ht in full. */
int sq_wkv7_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                double *const *out);
/* Flops per token of one instance (b, h): the state's update and readout. */
double sq_wkv7_ref_row_cost(const sq_problem *p);

#endif
