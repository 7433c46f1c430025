/* SPDX-License-Identifier: BSD-3-Clause */
/* Double-precision reference of neighbourhood attention with dilation,
 * written straight from FAMILIES.md §4 and §4.3: for every requested query
 * row t = r Wg + c of every (b, h), the keys on each axis are
 * (start(x') + j) d + g, j = 0 .. k-1, with g = x mod d, x' = x div d and
 * start the window start clamped into the group (kernels/
 * neighborhood_attn.h); K(t) is the product of the rows' and the columns'
 * sets, s_tj = scale q_t . k_j, o_t = sum_{j in K(t)} softmax_j(s_tj) v_j. */
#include <math.h>
#include <stdlib.h>

#include "base/error.h"
#include "kernels/neighborhood_attn.h"

/* The k grid coordinates of axis a that coordinate x sees. */
static void axis_keys(const sq_problem *p, int a, int64_t x, int64_t *keys) {
  const int64_t L = na_len(p, a), k = na_ks(p, a), d = na_dil(p, a), g = x % d;
  const int64_t s = sq_na_start(x / d, k, sq_na_group_len(L, d, g));
  for (int64_t j = 0; j < k; j++) keys[j] = (s + j) * d + g;
}

/* One output row: the scores of its kh kw keys into s, then the weighted
 * sum of their V rows; the row maximum keeps exp() in range. */
static void ref_row(const sq_problem *p, const float *q, const float *k, const float *v, int64_t t,
                    const int64_t *rk, const int64_t *ck, double *s, double *o) {
  const int64_t D = na_D(p), DV = na_DV(p), Wg = na_len(p, 1), kh = na_ks(p, 0), kw = na_ks(p, 1);
  const float *qt = q + t * D;
  double m = -INFINITY;
  for (int64_t i = 0; i < kh; i++)
    for (int64_t j = 0; j < kw; j++) {
      const float *kj = k + (rk[i] * Wg + ck[j]) * D;
      double dot = 0.0;
      for (int64_t e = 0; e < D; e++) dot += (double)qt[e] * (double)kj[e];
      s[i * kw + j] = na_scale(p) * dot;
      if (s[i * kw + j] > m) m = s[i * kw + j];
    }
  double l = 0.0;
  for (int64_t n = 0; n < kh * kw; n++) l += (s[n] = exp(s[n] - m));
  for (int64_t c = 0; c < DV; c++) o[c] = 0.0;
  for (int64_t i = 0; i < kh; i++)
    for (int64_t j = 0; j < kw; j++) {
      const float *vj = v + (rk[i] * Wg + ck[j]) * DV;
      const double w = s[i * kw + j] / l;
      for (int64_t c = 0; c < DV; c++) o[c] += w * (double)vj[c];
    }
}

int sq_neighborhood_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                                   double *const *out) {
  const float *q = in[SQ_NA_Q], *k = in[SQ_NA_K], *v = in[SQ_NA_V];
  double *o = out[SQ_NA_O];
  if (!q || !k || !v || !o) return sq_fail(SQ_EINVAL, "neighborhood attention reference: q, k, v or o is missing");
  const int64_t T = na_T(p), D = na_D(p), DV = na_DV(p), Wg = na_len(p, 1);
  const int64_t kh = na_ks(p, 0), kw = na_ks(p, 1), BH = na_B(p) * na_H(p);
  for (int a = 0; a < 2; a++)
    if (na_ks(p, a) * na_dil(p, a) > na_len(p, a))
      return sq_fail(SQ_EINVAL, "neighborhood attention reference: kernel_size x dilation exceeds the grid on axis %d",
                     a);
  for (int64_t r = 0; r < nrows; r++)
    if (rows[r] < 0 || rows[r] >= T)
      return sq_fail(SQ_EINVAL, "neighborhood attention reference: row %lld outside [0, %lld)", (long long)rows[r],
                     (long long)T);
  double *s = malloc((size_t)(kh * kw) * sizeof *s);
  int64_t *rk = malloc((size_t)(kh + kw) * sizeof *rk);
  if (!s || !rk) {
    free(s), free(rk);
    return sq_fail(SQ_ENOMEM, "neighborhood attention reference: no memory for %lld scores", (long long)(kh * kw));
  }
  int64_t *ck = rk + kh;
  for (int64_t r = 0; r < nrows; r++) {
    axis_keys(p, 0, rows[r] / Wg, rk);
    axis_keys(p, 1, rows[r] % Wg, ck);
    for (int64_t bh = 0; bh < BH; bh++)
      ref_row(p, q + bh * T * D, k + bh * T * D, v + bh * T * DV, rows[r], rk, ck, s, o + (bh * nrows + r) * DV);
  }
  free(s), free(rk);
  return 0;
}

/* Scores (2D) and the weighted sum (2DV) over a row's kh kw keys. */
double sq_neighborhood_attn_reference_row_cost(const sq_problem *p) {
  return 2.0 * (double)(na_ks(p, 0) * na_ks(p, 1)) * (double)(na_D(p) + na_DV(p));
}
