/* SPDX-License-Identifier: BSD-3-Clause */
/* Mamba-2 state space duality (FAMILIES.md §2): ssm.ssd. Per head h a
 * P x N state and one scalar A_h < 0; heads share B and C in G groups
 * (g(h) = h div (H/G)):
 *   Delta_t = softplus(dt_t + dt_bias_h)  (or without softplus),
 *   causal:     S_t = exp(Delta_t A_h) S_{t-1} + Delta_t x_t outer B_t,  y_t = S_t C_t + Dskip_h x_t,
 *               from h0 (state) or 0, leaving ht = S_{T-1};
 *   non-causal: y_t = C_t . KV + Dskip_h x_t,  KV = sum_s B_s outer (-A_h Delta_s x_s)  (VSSD);
 *   o = y . silu(z) when has_z.
 * Layouts are token-major (mamba_chunk_scan_combined's): x, z, o
 * [B][T][H][P], dt [B][T][H], Bm, Cm [B][T][G][N]; A, Dskip, dt_bias [H] and
 * the states h0, ht [B][H][P][N] are f32. */
#ifndef SQ_SSD_FAMILY_H
#define SQ_SSD_FAMILY_H

#include "kernels/kernel.h"

extern const sq_op sq_op_ssd;

/* Axes of the op, in declaration order (kernels/ops.c; tests/test_ssd_ref
 * checks the indices against the names). */
enum {
  SQ_SSD_B, SQ_SSD_T, SQ_SSD_H, SQ_SSD_P, SQ_SSD_G, SQ_SSD_N, SQ_SSD_DT_SOFTPLUS, SQ_SSD_HAS_Z, SQ_SSD_STATE
};

/* Tensor indices (= buffer slots), in declaration order. */
enum {
  SQ_SSD_X, SQ_SSD_DT, SQ_SSD_A, SQ_SSD_BM, SQ_SSD_CM, SQ_SSD_DSKIP, SQ_SSD_DT_BIAS, SQ_SSD_Z, SQ_SSD_H0,
  SQ_SSD_O, SQ_SSD_HT
};

static inline int64_t ssd_B(const sq_problem *p) { return sq_ax(p, SQ_SSD_B); }
static inline int64_t ssd_T(const sq_problem *p) { return sq_ax(p, SQ_SSD_T); }
static inline int64_t ssd_H(const sq_problem *p) { return sq_ax(p, SQ_SSD_H); }
static inline int64_t ssd_P(const sq_problem *p) { return sq_ax(p, SQ_SSD_P); }
static inline int64_t ssd_G(const sq_problem *p) { return sq_ax(p, SQ_SSD_G); }
static inline int64_t ssd_N(const sq_problem *p) { return sq_ax(p, SQ_SSD_N); }
static inline int ssd_softplus(const sq_problem *p) { return (int)sq_ax(p, SQ_SSD_DT_SOFTPLUS); }
static inline int ssd_has_z(const sq_problem *p) { return (int)sq_ax(p, SQ_SSD_HAS_Z); }
static inline int ssd_state(const sq_problem *p) { return (int)sq_ax(p, SQ_SSD_STATE); }
/* The group whose B and C head h reads: contiguous heads share one. */
static inline int64_t ssd_group(const sq_problem *p, int64_t h) { return h / (ssd_H(p) / ssd_G(p)); }

/* The kernel (kernels/ssd.c): the chunked SSD algorithm (causal) and the
 * VSSD form with a tree-reduced KV (non-causal). */
extern const sq_kernel sq_ssd_chunked;

/* The reference (kernels/ssd_ref.c), with the sq_kernel.reference contract:
 * the recurrence (causal) or the KV sum (non-causal) of FAMILIES.md §2.1
 * in double precision; o over the requested rows, ht in full. */
int sq_ssd_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
               double *const *out);
/* Flops per token and (b, h) of the reference's scan. */
double sq_ssd_ref_row_cost(const sq_problem *p);

#endif
