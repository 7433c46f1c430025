/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptor and reference entry of softmax_attn.varlen.flash: the band
 * kernel of kernels/sliding_attn.sqk with a band holding every key (causal:
 * every earlier key) cut to each query's segment. Why the band kernel: a
 * segment table only moves the two ends of each row's key range, and those
 * ends still grow with the row, so a query block's keys stay one run of
 * tiles; the kernel receives the starts as a compile-time list. Work as
 * FAMILIES.md §4 counts attention: FLOPs = B H pairs (2D + 2DV), exps =
 * B H pairs, bytes = s B H T (2D + 2DV), pairs being the (query, key) pairs
 * inside the segments. */
#include <math.h>

#include "kernels/sources.h"
#include "kernels/varlen_attn.h"

static inline int64_t vl_T(const sq_problem *p) { return sq_ax(p, SQ_VL_T); }

sq_band sq_band_of_varlen(const sq_problem *p) {
  const int64_t T = vl_T(p);
  sq_band b = {sq_ax(p, SQ_VL_B) * sq_ax(p, SQ_VL_H), T, T, sq_ax(p, SQ_VL_D), sq_ax(p, SQ_VL_DV), T - 1,
               p->causal ? 0 : T - 1, 1.0 / sqrt((double)sq_ax(p, SQ_VL_D)), NULL, 0};
  b.nseg = sq_varlen_segments(&p->shape, &b.seg);
  return b;
}

static sq_work varlen_work(const sq_problem *p) {
  const sq_band b = sq_band_of_varlen(p);
  const double np = sq_band_pairs(&b), bh = (double)b.BH, dd = (double)(b.D + b.DV);
  sq_work w;
  w.flops = bh * np * 2.0 * dd;
  w.exps = bh * np;
  w.bytes = (double)sq_dtype_size(p->dtype) * bh * (double)b.TQ * 2.0 * dd;
  return w;
}

static int varlen_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  const sq_band b = sq_band_of_varlen(p);
  return sq_band_check(&b, pv, nset, why, n);
}

static int varlen_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  const sq_band b = sq_band_of_varlen(p);
  return sq_band_plan(p, &b, pv, out);
}

int sq_varlen_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                             double *const *out) {
  const sq_band b = sq_band_of_varlen(p);
  return sq_band_reference(&b, in[SQ_VL_Q], in[SQ_VL_K], in[SQ_VL_V], rows, nrows, out[SQ_VL_O]);
}

double sq_varlen_attn_reference_row_cost(const sq_problem *p) {
  const sq_band b = sq_band_of_varlen(p);
  return sq_band_row_cost(&b);
}

const sq_kernel sq_varlen_attn_flash = {
  .name = "softmax_attn.varlen.flash",
  .op = &sq_op_softmax_attn_varlen,
  .family = "softmax_attn.varlen",
  .doc = "block-diagonal softmax attention over packed segments, flash tiles visiting only each block's keys",
  .source = &sq_src_sliding_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .ref_by_row = 1,
  SQ_BAND_PARAMS,
  .check = varlen_check,
  .plan = varlen_plan,
  .work = varlen_work,
  .reference = sq_varlen_attn_reference,
  .reference_row_cost = sq_varlen_attn_reference_row_cost,
};
