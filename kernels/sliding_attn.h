/* SPDX-License-Identifier: BSD-3-Clause */
/* Banded softmax attention (FAMILIES.md §4.1): local_attn.sliding_1d,
 *   o_i = sum_{j in K(i)} softmax_j(scale q_i . k_j) v_j,
 *   K(i) = { j : i - window_left <= j <= i + window_right, 0 <= j < T },
 * truncated at the ends (FlashAttention's window_size=(left, right); causal
 * has window_right = 0). Layout as softmax attention: q, k [B][H][T][D],
 * v, o [B][H][T][DV].
 *
 * The kernel text (kernels/sliding_attn.sqk) is one tiled flash kernel over
 * a band of a TQ x TK score matrix; softmax_attn.cross (kernels/cross_attn.h)
 * runs the same text with a band wide enough to hold every key, and
 * softmax_attn.varlen (kernels/varlen_attn.h) with segments cutting the band
 * into blocks on the diagonal. The band helpers below are what the three
 * descriptors share. */
#ifndef SQ_SLIDING_ATTN_H
#define SQ_SLIDING_ATTN_H

#include "kernels/kernel.h"

extern const sq_op sq_op_sliding_1d;

/* Axes of the op, in declaration order (kernels/ops.c; tests/test_sliding_attn
 * checks the indices against the names). */
enum { SQ_SW_B, SQ_SW_H, SQ_SW_T, SQ_SW_D, SQ_SW_DV, SQ_SW_LEFT, SQ_SW_RIGHT, SQ_SW_SCALE };
/* Tensors (= buffer slots). */
enum { SQ_SW_Q, SQ_SW_K, SQ_SW_V, SQ_SW_O };

static inline int64_t sw_B(const sq_problem *p) { return sq_ax(p, SQ_SW_B); }
static inline int64_t sw_H(const sq_problem *p) { return sq_ax(p, SQ_SW_H); }
static inline int64_t sw_T(const sq_problem *p) { return sq_ax(p, SQ_SW_T); }
static inline int64_t sw_D(const sq_problem *p) { return sq_ax(p, SQ_SW_D); }
static inline int64_t sw_DV(const sq_problem *p) { return sq_ax(p, SQ_SW_DV); }
static inline double sw_scale(const sq_problem *p) { return p->shape.v[SQ_SW_SCALE][0]; }
/* The window as it acts: clipped to T - 1 (a wider one sees no more keys),
 * and no keys after the query in the causal form. */
static inline int64_t sw_left(const sq_problem *p) {
  int64_t w = sq_ax(p, SQ_SW_LEFT);
  return w < sw_T(p) - 1 ? w : sw_T(p) - 1;
}
static inline int64_t sw_right(const sq_problem *p) {
  int64_t w = p->causal ? 0 : sq_ax(p, SQ_SW_RIGHT);
  return w < sw_T(p) - 1 ? w : sw_T(p) - 1;
}

/* One band problem, the kernel text's view: BH independent (b, h) pairs of
 * TQ queries over TK keys, query i seeing keys [i - left, i + right] within
 * [0, TK) and, when the band has segments (packed sequences, TQ = TK), within
 * its own segment [seg[s], seg[s+1]): FlashAttention's varlen, with the
 * window inside each segment. seg holds nseg + 1 starts, from 0 to TQ. */
typedef struct sq_band {
  int64_t BH, TQ, TK, D, DV, left, right;
  double scale;
  const int64_t *seg; /* NULL: one segment */
  int nseg;
} sq_band;

/* The largest segment a band holds (TK without segments). */
int64_t sq_band_widest_segment(const sq_band *b);

sq_band sq_band_of_sliding(const sq_problem *p);
/* (query, key) pairs the band holds, per (b, h): sum over i of |K(i)|. */
double sq_band_pairs(const sq_band *b);
/* The flash kernel's tunables (FAMILIES.md §4.1: query and key tile sizes
 * Br x Bc, as softmax_attn.flash's) and its check and plan, for any band;
 * the descriptors' own check and plan call these with their band. */
#define SQ_BAND_PARAMS                                                                                    \
  .nparams = 4,                                                                                           \
  .params = {                                                                                             \
    {"FL_BM", 6, {0, 8, 16, 32, 64, 128}, 0,                                                              \
     "query rows per work-group (Br; 0: 64, or the smallest power of two >= TQ below that)"},             \
    {"FL_BN", 5, {0, 8, 16, 32, 64}, 0,                                                                   \
     "key/value rows per tile staged in local memory (Bc; 0: largest of 32/16/8 that fits)"},            \
    {"FL_SPLIT", 3, {1, 2, 4}, 1, "work-items per query row, splitting its scores and head dim"},         \
    {"FL_KVS", 6, {1, 2, 4, 8, 16, 32}, 1,                                                                \
     "key splits per query block (split-KV), merged by a second kernel: work-groups for few queries"},   \
  }
int sq_band_check(const sq_band *b, const int *pv, int nset, char *why, size_t n);
int sq_band_plan(const sq_problem *p, const sq_band *b, const int *pv, sq_plan *out);

extern const sq_kernel sq_sliding_1d_flash;

/* The reference (kernels/sliding_attn_ref.c), with the sq_kernel.reference
 * contract: each requested row's softmax over exactly its key set, in
 * double precision. sq_band_reference is the same for any band (the cross
 * attention reference is a band holding every key). */
int sq_band_reference(const sq_band *b, const float *q, const float *k, const float *v, const int64_t *rows,
                      int64_t nrows, double *o);
int sq_sliding_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                              double *const *out);
/* Flops per output row and (b, h): the widest row's scores and sum. */
double sq_band_row_cost(const sq_band *b);
double sq_sliding_attn_reference_row_cost(const sq_problem *p);

#endif
