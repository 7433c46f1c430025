/* SPDX-License-Identifier: BSD-3-Clause */
/* Swin and Video Swin window attention (FAMILIES.md §4.2):
 * local_attn.window_2d and local_attn.window_3d. A grid of rank 2 (Hg x Wg)
 * or 3 (Tg x Hg x Wg), flattened row-major, is cut into windows win[a] after
 * a cyclic roll by shift[a] on each axis; token t attends to the tokens of
 * its window whose region (the rho rule) matches its own on every axis,
 *   o_t = sum_{t' in K(t)} softmax_t'(scale q_t . k_t' + bias_tt') v_t',
 * with the optional bias rpb[h][dp_0 + M_0 - 1][dp_1 + M_1 - 1](...) of the
 * in-window offsets dp_a = p_a(t) - p_a(t'). Layout: q, k [B][H][T][D],
 * v, o [B][H][T][DV]; rpb [H][2M_0-1]...[2M_{r-1}-1] (f32).
 *
 * One kernel text (kernels/window_attn.sqk) serves both ranks: the 2D op
 * is the 3D computation over a leading axis of length 1 (window 1, shift 0).
 * The helpers below give every axis as that 3D view. */
#ifndef SQ_WINDOW_ATTN_H
#define SQ_WINDOW_ATTN_H

#include "kernels/kernel.h"

extern const sq_op sq_op_window_2d, sq_op_window_3d;

/* Axes of both ops, in declaration order (kernels/ops.c; the tests check
 * the indices against the names). */
enum { SQ_WN_B, SQ_WN_H, SQ_WN_D, SQ_WN_DV, SQ_WN_GRID, SQ_WN_WIN, SQ_WN_SHIFT, SQ_WN_SCALE, SQ_WN_HAS_RPB };
/* Tensors (= buffer slots). */
enum { SQ_WN_Q, SQ_WN_K, SQ_WN_V, SQ_WN_RPB, SQ_WN_O };

/* The problem as three axes (2D: a leading axis of 1). */
typedef struct sq_windows {
  int64_t B, H, D, DV;
  int64_t L[3], M[3], S[3];  /* grid, window and shift per axis */
  double scale;
  int has_rpb;
} sq_windows;

sq_windows sq_windows_of(const sq_problem *p);
static inline int64_t sq_windows_tokens(const sq_windows *w) { return w->L[0] * w->L[1] * w->L[2]; }
static inline int64_t sq_windows_size(const sq_windows *w) { return w->M[0] * w->M[1] * w->M[2]; }
static inline int64_t sq_windows_count(const sq_windows *w) {
  return (w->L[0] / w->M[0]) * (w->L[1] / w->M[1]) * (w->L[2] / w->M[2]);
}
/* (query, key) pairs per (b, h), FAMILIES.md §4.2's closed form:
 * prod_a P_a, P_a = L_a M_a if s_a = 0, else (L_a/M_a - 1) M_a^2 +
 * (M_a - s_a)^2 + s_a^2. */
double sq_windows_pairs(const sq_windows *w);

extern const sq_kernel sq_window_2d_flash, sq_window_3d_flash;

/* The reference (kernels/window_attn_ref.c), with the sq_kernel.reference
 * contract: each requested token's softmax over exactly K(t), built by the
 * spec's rule (shifted coordinate, window index, region), in double
 * precision. */
int sq_window_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                             double *const *out);
double sq_window_attn_reference_row_cost(const sq_problem *p);

#endif
