/* SPDX-License-Identifier: BSD-3-Clause */
/* The Mamba-1 selective scan (FAMILIES.md §1), ssm.selective_scan: per
 * batch b, direction k, channel d and state n,
 *   Δ = softplus(delta + delta_bias)   (or delta + delta_bias),
 *   x_t[n] = exp(Δ A[n]) x_prev[n] + Δ Bm[g(d), n, t] u_t,
 *   y_k[t] = Σ_n Cm[g(d), n, t] x_t[n] + Dskip u_t,
 *   o[t] = (Σ_k y_k[t]) silu(z_t)   (or without the gate),
 * direction 0 causal (from h0 with state, leaving ht), direction 1 (K=2)
 * the anti-causal scan over the same token order. Channels d of group
 * g(d) = d div (D/G) share Bm and Cm. The op's causal flag plays no part:
 * K says how many directions there are, and both modes of the harness run
 * the same computation (the catalog writes K=2 rows, and most K=1 vision
 * rows, with causal 0). */
#ifndef SQ_SSM_SCAN_H
#define SQ_SSM_SCAN_H

#include "kernels/kernel.h"

extern const sq_op sq_op_selective_scan;

/* Axes of the declaration (kernels/ops.c; the tests check the indices). */
enum { SQ_SS_B, SQ_SS_D, SQ_SS_T, SQ_SS_N, SQ_SS_G, SQ_SS_K, SQ_SS_SOFTPLUS, SQ_SS_HAS_Z, SQ_SS_STATE };

/* Tensor indices, which are also the buffer slots. */
enum {
  SQ_SS_U, SQ_SS_DELTA, SQ_SS_A, SQ_SS_BM, SQ_SS_CM, SQ_SS_DSKIP, SQ_SS_DELTA_BIAS, SQ_SS_Z, SQ_SS_H0, SQ_SS_O,
  SQ_SS_HT
};

static inline int64_t ss_B(const sq_problem *p) { return sq_ax(p, SQ_SS_B); }
static inline int64_t ss_D(const sq_problem *p) { return sq_ax(p, SQ_SS_D); }
static inline int64_t ss_T(const sq_problem *p) { return sq_ax(p, SQ_SS_T); }
static inline int64_t ss_N(const sq_problem *p) { return sq_ax(p, SQ_SS_N); }
static inline int64_t ss_G(const sq_problem *p) { return sq_ax(p, SQ_SS_G); }
static inline int64_t ss_K(const sq_problem *p) { return sq_ax(p, SQ_SS_K); }
static inline int ss_softplus(const sq_problem *p) { return (int)sq_ax(p, SQ_SS_SOFTPLUS); }
static inline int ss_has_z(const sq_problem *p) { return (int)sq_ax(p, SQ_SS_HAS_Z); }
static inline int ss_state(const sq_problem *p) { return (int)sq_ax(p, SQ_SS_STATE); }

/* The chunked kernel (kernels/ssm_scan.c, text kernels/ssm_scan.sqk). */
extern const sq_kernel sq_selective_scan_chunked;

/* The reference (kernels/ssm_scan_ref.c) with the sq_kernel.reference
 * contract: the recurrence in double precision, o over the requested rows
 * and ht in full. */
int sq_selective_scan_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                          double *const *out);
/* Flops per token of one batch instance: the scan over every channel and
 * direction, which runs whatever rows are requested. */
double sq_selective_scan_ref_row_cost(const sq_problem *p);

#endif
