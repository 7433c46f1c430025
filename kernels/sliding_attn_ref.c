/* SPDX-License-Identifier: BSD-3-Clause */
/* Double-precision reference of banded softmax attention, written straight
 * from FAMILIES.md §4 and §4.1: for every requested query row i of every
 * (b, h), the key set K(i) = { j : i - left <= j <= i + right, 0 <= j < TK }
 * (truncated at the ends, never shifted inward), s_ij = scale q_i . k_j,
 * o_i = sum_{j in K(i)} softmax_j(s_ij) v_j. The softmax is over exactly
 * K(i): a row near an end sees fewer keys and is not normalised by the
 * window. local_attn.sliding_1d is the band of its window over TQ = TK = T;
 * softmax_attn.cross (kernels/cross_attn.c) a band holding every key;
 * softmax_attn.varlen (kernels/varlen_attn.c) a band cut to each row's
 * segment. */
#include <math.h>
#include <stdlib.h>

#include "base/error.h"
#include "kernels/sliding_attn.h"

/* One output row: scores over the row's keys into s, then the weighted sum
 * of their V rows. Subtracting the row maximum keeps exp() in range. */
/* Row i's segment [*start, *end): the whole key range without segments. */
static void segment_of(const sq_band *b, int64_t i, int64_t *start, int64_t *end) {
  *start = 0;
  *end = b->TK;
  for (int s = 0; b->seg && s < b->nseg; s++)
    if (i >= b->seg[s] && i < b->seg[s + 1]) {
      *start = b->seg[s];
      *end = b->seg[s + 1];
    }
}

static void ref_row(const sq_band *b, const float *q, const float *k, const float *v, int64_t i, double *s,
                    double *o) {
  int64_t start, end;
  segment_of(b, i, &start, &end);
  const int64_t lo = i - b->left > start ? i - b->left : start;
  const int64_t hi = i + b->right < end - 1 ? i + b->right : end - 1;
  const float *qi = q + i * b->D;
  double m = -INFINITY;
  for (int64_t j = lo; j <= hi; j++) {
    const float *kj = k + j * b->D;
    double dot = 0.0;
    for (int64_t d = 0; d < b->D; d++) dot += (double)qi[d] * (double)kj[d];
    s[j - lo] = b->scale * dot;
    if (s[j - lo] > m) m = s[j - lo];
  }
  double l = 0.0;
  for (int64_t j = lo; j <= hi; j++) {
    s[j - lo] = exp(s[j - lo] - m);
    l += s[j - lo];
  }
  for (int64_t c = 0; c < b->DV; c++) o[c] = 0.0;
  for (int64_t j = lo; j <= hi; j++) {
    const float *vj = v + j * b->DV;
    const double w = s[j - lo] / l;
    for (int64_t c = 0; c < b->DV; c++) o[c] += w * (double)vj[c];
  }
}

int sq_band_reference(const sq_band *b, const float *q, const float *k, const float *v, const int64_t *rows,
                      int64_t nrows, double *o) {
  if (!q || !k || !v || !o) return sq_fail(SQ_EINVAL, "band attention reference: q, k, v or o is missing");
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= b->TQ)
      return sq_fail(SQ_EINVAL, "band attention reference: row %lld outside [0, %lld)", (long long)rows[r],
                     (long long)b->TQ);
    /* Every K(i) holds a key (the query itself in a sliding window). */
    if (rows[r] - b->left > b->TK - 1 || rows[r] + b->right < 0)
      return sq_fail(SQ_EINVAL, "band attention reference: row %lld sees no key", (long long)rows[r]);
  }
  /* The widest row holds left + right + 1 keys, at most its segment's. */
  const int64_t seg = sq_band_widest_segment(b);
  const int64_t width = b->left + b->right + 1 < seg ? b->left + b->right + 1 : seg;
  double *s = malloc((size_t)width * sizeof *s);
  if (!s) return sq_fail(SQ_ENOMEM, "band attention reference: no memory for %lld scores", (long long)width);
  for (int64_t bh = 0; bh < b->BH; bh++) {
    const float *qb = q + bh * b->TQ * b->D, *kb = k + bh * b->TK * b->D, *vb = v + bh * b->TK * b->DV;
    for (int64_t r = 0; r < nrows; r++) ref_row(b, qb, kb, vb, rows[r], s, o + (bh * nrows + r) * b->DV);
  }
  free(s);
  return 0;
}

int sq_sliding_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                              double *const *out) {
  const sq_band b = sq_band_of_sliding(p);
  return sq_band_reference(&b, in[SQ_SW_Q], in[SQ_SW_K], in[SQ_SW_V], rows, nrows, out[SQ_SW_O]);
}

/* Scores (2D) and the weighted sum (2DV) over the widest row's keys. */
double sq_band_row_cost(const sq_band *b) {
  const double width = fmin((double)(b->left + b->right + 1), (double)sq_band_widest_segment(b));
  return 2.0 * width * (double)(b->D + b->DV);
}

double sq_sliding_attn_reference_row_cost(const sq_problem *p) {
  const sq_band b = sq_band_of_sliding(p);
  return sq_band_row_cost(&b);
}
