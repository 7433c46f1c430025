/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbourhood attention with dilation (FAMILIES.md §4.3, NATTEN):
 * local_attn.neighborhood_2d on an Hg x Wg grid flattened row-major
 * (t = r Wg + c), q, k [B][H][T][D], v, o [B][H][T][DV]. Per axis (length
 * L, kernel size k, dilation d, k d <= L) a coordinate x lies in dilation
 * group g = x mod d at group index x' = x div d; its group holds
 * L_g = ceil((L - g) / d) positions and its window starts at
 *   start(x') = clamp(x' - floor(k/2), 0, L_g - k),
 * the keys on that axis being (start + j) d + g, j = 0 .. k-1. K(t) is the
 * product of the two axes' sets: always kh kw keys, shifted inward at the
 * borders rather than truncated.
 *
 * The kernel text (kernels/neighborhood_attn.sqk) runs one work-group per
 * block of queries of one dilation group; the helpers below are the window
 * arithmetic the descriptor, the reference and the tests share. */
#ifndef SQ_NEIGHBORHOOD_ATTN_H
#define SQ_NEIGHBORHOOD_ATTN_H

#include "kernels/kernel.h"

extern const sq_op sq_op_neighborhood_2d;

/* Axes of the op, in declaration order (kernels/ops.c; tests/
 * test_neighborhood_attn checks the indices against the names). */
enum { SQ_NA_B, SQ_NA_H, SQ_NA_D, SQ_NA_DV, SQ_NA_GRID, SQ_NA_KS, SQ_NA_DIL, SQ_NA_SCALE };
/* Tensors (= buffer slots). */
enum { SQ_NA_Q, SQ_NA_K, SQ_NA_V, SQ_NA_O };

static inline int64_t na_B(const sq_problem *p) { return sq_ax(p, SQ_NA_B); }
static inline int64_t na_H(const sq_problem *p) { return sq_ax(p, SQ_NA_H); }
static inline int64_t na_D(const sq_problem *p) { return sq_ax(p, SQ_NA_D); }
static inline int64_t na_DV(const sq_problem *p) { return sq_ax(p, SQ_NA_DV); }
/* Axis a (0: rows, 1: columns) of the grid, the kernel and the dilation. */
static inline int64_t na_len(const sq_problem *p, int a) { return (int64_t)p->shape.v[SQ_NA_GRID][a]; }
static inline int64_t na_ks(const sq_problem *p, int a) { return (int64_t)p->shape.v[SQ_NA_KS][a]; }
static inline int64_t na_dil(const sq_problem *p, int a) { return (int64_t)p->shape.v[SQ_NA_DIL][a]; }
static inline int64_t na_T(const sq_problem *p) { return na_len(p, 0) * na_len(p, 1); }
static inline double na_scale(const sq_problem *p) { return p->shape.v[SQ_NA_SCALE][0]; }

/* Positions of dilation group g on an axis of length L: ceil((L - g) / d). */
static inline int64_t sq_na_group_len(int64_t L, int64_t d, int64_t g) { return (L - g + d - 1) / d; }
/* First window position, in group indices, of group index x in a group of
 * Lg positions: NATTEN's window_left = floor(k/2) before the query, the
 * window shifted inward where it would cross either end (Lg >= k). */
static inline int64_t sq_na_start(int64_t x, int64_t k, int64_t Lg) {
  int64_t s = x - k / 2;
  if (s > Lg - k) s = Lg - k;
  return s < 0 ? 0 : s;
}

extern const sq_kernel sq_neighborhood_2d_flash;

/* The reference (kernels/neighborhood_attn_ref.c), with the
 * sq_kernel.reference contract: each requested row's softmax over exactly
 * its kh kw keys, in double precision. */
int sq_neighborhood_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                                   double *const *out);
double sq_neighborhood_attn_reference_row_cost(const sq_problem *p);

#endif
