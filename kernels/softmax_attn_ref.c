/* SPDX-License-Identifier: BSD-3-Clause */
/* Double-precision reference of softmax attention (Vaswani et al.), written
 * straight from the equations: for every requested row i of every (b, h),
 * s_ij = scale * q_i . k_j over the keys j the row may see (j <= i when
 * causal, all T otherwise), p_ij = softmax_j(s_ij) and o_i = sum_j p_ij v_j,
 * with scale = 1/sqrt(D). Both descriptors (naive and flash) share it; it is
 * the oracle every kernel result is compared with. */
#include <math.h>
#include <stdlib.h>

#include "base/error.h"
#include "kernels/softmax_attn.h"

/* One output row: scores into s (room for T doubles), then the weighted sum
 * of V rows. Subtracting the row maximum keeps exp() in range, exactly as
 * the softmax definition allows. */
static void ref_row(const sq_problem *p, const float *q, const float *k, const float *v,
                    int64_t i, double *s, double *o) {
  const int64_t T = att_T(p), D = att_D(p), DV = att_DV(p);
  const int64_t n = p->causal ? i + 1 : T;
  const double scale = 1.0 / sqrt((double)D);
  const float *qi = q + i * D;
  double m = -INFINITY;
  for (int64_t j = 0; j < n; j++) {
    const float *kj = k + j * D;
    double dot = 0.0;
    for (int64_t d = 0; d < D; d++) dot += (double)qi[d] * (double)kj[d];
    s[j] = scale * dot;
    if (s[j] > m) m = s[j];
  }
  double l = 0.0;
  for (int64_t j = 0; j < n; j++) {
    s[j] = exp(s[j] - m);
    l += s[j];
  }
  for (int64_t c = 0; c < DV; c++) o[c] = 0.0;
  for (int64_t j = 0; j < n; j++) {
    const float *vj = v + j * DV;
    const double w = s[j] / l;
    for (int64_t c = 0; c < DV; c++) o[c] += w * (double)vj[c];
  }
}

int sq_softmax_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                              double *const *out) {
  const float *q = in[SQ_ATT_Q], *k = in[SQ_ATT_K], *v = in[SQ_ATT_V];
  double *o = out[SQ_ATT_O];
  const int64_t T = att_T(p), D = att_D(p), DV = att_DV(p), BH = att_B(p) * att_H(p);
  double *s = malloc((size_t)T * sizeof *s);
  if (!s) return sq_fail(SQ_ENOMEM, "softmax_attn reference: no memory for %lld scores", (long long)T);
  for (int64_t bh = 0; bh < BH; bh++) {
    const float *qb = q + bh * T * D, *kb = k + bh * T * D, *vb = v + bh * T * DV;
    for (int64_t r = 0; r < nrows; r++)
      ref_row(p, qb, kb, vb, rows[r], s, o + (bh * nrows + r) * DV);
  }
  free(s);
  return 0;
}

/* Scores (2D flops) and the weighted sum (2DV) over all T keys: the
 * non-causal worst case, which is what sampling has to budget for. */
double sq_softmax_attn_reference_row_cost(const sq_problem *p) {
  return 2.0 * (double)att_T(p) * (double)(att_D(p) + att_DV(p));
}
