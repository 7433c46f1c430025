/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptor and reference entry of softmax_attn.cross.flash: the band
 * kernel of kernels/sliding_attn.sqk (descriptor helpers in
 * kernels/sliding_attn.c) with TQ queries, TK keys and a band that holds
 * every key (left = TQ - 1, right = TK - 1), so no tile is masked but the
 * ragged last one. Why one text: a sliding window and cross attention are
 * the same online-softmax loop over key tiles and differ only in which
 * tiles a query block visits. */
#include <math.h>

#include "kernels/cross_attn.h"
#include "kernels/sources.h"

sq_band sq_band_of_cross(const sq_problem *p) {
  sq_band b = {cx_B(p) * cx_H(p), cx_TQ(p), cx_TK(p), cx_D(p), cx_DV(p), cx_TQ(p) - 1, cx_TK(p) - 1,
               1.0 / sqrt((double)cx_D(p))};
  return b;
}

/* As FAMILIES.md §4 counts attention: FLOPs = B H TQ TK (2D + 2DV), exps =
 * B H TQ TK, and the compulsory traffic s B H (TQ (D + DV) + TK (D + DV))
 * (q and o per query, k and v per key). */
static sq_work cross_work(const sq_problem *p) {
  const double bh = (double)(cx_B(p) * cx_H(p)), np = (double)cx_TQ(p) * (double)cx_TK(p);
  const double dd = (double)(cx_D(p) + cx_DV(p));
  sq_work w;
  w.flops = bh * np * 2.0 * dd;
  w.exps = bh * np;
  w.bytes = (double)sq_dtype_size(p->dtype) * bh * ((double)cx_TQ(p) + (double)cx_TK(p)) * dd;
  return w;
}

static int cross_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  const sq_band b = sq_band_of_cross(p);
  return sq_band_check(&b, pv, nset, why, n);
}

static int cross_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  const sq_band b = sq_band_of_cross(p);
  return sq_band_plan(p, &b, pv, out);
}

int sq_cross_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                            double *const *out) {
  const sq_band b = sq_band_of_cross(p);
  return sq_band_reference(&b, in[SQ_CX_Q], in[SQ_CX_K], in[SQ_CX_V], rows, nrows, out[SQ_CX_O]);
}

double sq_cross_attn_reference_row_cost(const sq_problem *p) {
  const sq_band b = sq_band_of_cross(p);
  return sq_band_row_cost(&b);
}

const sq_kernel sq_cross_attn_flash = {
  .name = "softmax_attn.cross.flash",
  .op = &sq_op_softmax_attn_cross,
  .family = "softmax_attn.cross",
  .doc = "softmax attention of TQ queries over TK keys, flash tiles with online softmax",
  .source = &sq_src_sliding_attn,
  .modes = SQ_NONCAUSAL,
  .ref_by_row = 1,
  SQ_BAND_PARAMS,
  .check = cross_check,
  .plan = cross_plan,
  .work = cross_work,
  .reference = sq_cross_attn_reference,
  .reference_row_cost = sq_cross_attn_reference_row_cost,
};
