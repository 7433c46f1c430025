/* SPDX-License-Identifier: BSD-3-Clause */
/* Double-precision reference of Swin / Video Swin window attention, written
 * straight from FAMILIES.md §4.2. For a token at original coordinates r_a,
 * on each axis of length L, window M and shift s:
 *   shifted coordinate  r' = (r - s) mod L;  window r' div M;  p = r' mod M;
 *   region rho = 0 if s = 0, else 0 if r' < L-M, 1 if L-M <= r' < L-s, 2 after;
 * K(t) holds the tokens of the same window on every axis whose region
 * matches on every axis; a key's original coordinate is (r'_k + s) mod L.
 * The bias is rpb[h][p_0(t) - p_0(t') + M_0 - 1]... (query minus key). */
#include <math.h>
#include <stdlib.h>

#include "base/error.h"
#include "kernels/window_attn.h"

static int64_t wrap(int64_t x, int64_t L) { return ((x % L) + L) % L; }

static int region(int64_t rs, int64_t L, int64_t M, int64_t S) {
  if (S == 0 || rs < L - M) return 0;
  return rs < L - S ? 1 : 2;
}

/* One token's view per axis: its shifted coordinate's window start and
 * in-window position, and its region. */
typedef struct coord { int64_t start[3], p[3]; int rho[3]; } coord;

static coord coord_of(const sq_windows *w, int64_t t) {
  const int64_t r[3] = {t / (w->L[1] * w->L[2]), t / w->L[2] % w->L[1], t % w->L[2]};
  coord c;
  for (int a = 0; a < 3; a++) {
    const int64_t rs = wrap(r[a] - w->S[a], w->L[a]);
    c.p[a] = rs % w->M[a];
    c.start[a] = rs - c.p[a];
    c.rho[a] = region(rs, w->L[a], w->M[a], w->S[a]);
  }
  return c;
}

/* rpb offset of in-window offsets dp (query minus key): the table's dims
 * are 2M_a - 1 per axis (the 2D table has no leading axis: M_0 = 1). */
static int64_t rpb_index(const sq_windows *w, const int64_t *dp) {
  int64_t i = 0;
  for (int a = 0; a < 3; a++) i = i * (2 * w->M[a] - 1) + dp[a] + w->M[a] - 1;
  return i;
}

/* One output row of one (b, h): scores over K(t), then the weighted sum. */
static void ref_row(const sq_windows *w, const float *q, const float *k, const float *v, const float *rpb,
                    int64_t t, double *s, int64_t *keys, double *o) {
  const coord c = coord_of(w, t);
  const float *qt = q + t * w->D;
  int64_t n = 0;
  double m = -INFINITY;
  for (int64_t j0 = 0; j0 < w->M[0]; j0++)
    for (int64_t j1 = 0; j1 < w->M[1]; j1++)
      for (int64_t j2 = 0; j2 < w->M[2]; j2++) {
        const int64_t pk[3] = {j0, j1, j2};
        int64_t r[3], dp[3];
        int same = 1;
        for (int a = 0; a < 3; a++) {
          const int64_t rs = c.start[a] + pk[a];
          same &= region(rs, w->L[a], w->M[a], w->S[a]) == c.rho[a];
          r[a] = wrap(rs + w->S[a], w->L[a]);
          dp[a] = c.p[a] - pk[a];
        }
        if (!same) continue;
        const int64_t tk = (r[0] * w->L[1] + r[1]) * w->L[2] + r[2];
        const float *kt = k + tk * w->D;
        double dot = 0.0;
        for (int64_t d = 0; d < w->D; d++) dot += (double)qt[d] * (double)kt[d];
        s[n] = w->scale * dot + (rpb ? (double)rpb[rpb_index(w, dp)] : 0.0);
        if (s[n] > m) m = s[n];
        keys[n++] = tk;
      }
  double l = 0.0;
  for (int64_t j = 0; j < n; j++) l += (s[j] = exp(s[j] - m));
  for (int64_t c2 = 0; c2 < w->DV; c2++) o[c2] = 0.0;
  for (int64_t j = 0; j < n; j++) {
    const float *vj = v + keys[j] * w->DV;
    const double wt = s[j] / l;
    for (int64_t c2 = 0; c2 < w->DV; c2++) o[c2] += wt * (double)vj[c2];
  }
}

int sq_window_attn_reference(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                             double *const *out) {
  const sq_windows w = sq_windows_of(p);
  const float *q = in[SQ_WN_Q], *k = in[SQ_WN_K], *v = in[SQ_WN_V], *rpb = in[SQ_WN_RPB];
  double *o = out[SQ_WN_O];
  if (!q || !k || !v || !o || (w.has_rpb && !rpb))
    return sq_fail(SQ_EINVAL, "window attention reference: q, k, v, rpb or o is missing");
  const int64_t T = sq_windows_tokens(&w), nw = sq_windows_size(&w);
  for (int64_t r = 0; r < nrows; r++)
    if (rows[r] < 0 || rows[r] >= T)
      return sq_fail(SQ_EINVAL, "window attention reference: row %lld outside [0, %lld)", (long long)rows[r],
                     (long long)T);
  double *s = malloc((size_t)nw * sizeof *s);
  int64_t *keys = malloc((size_t)nw * sizeof *keys);
  if (!s || !keys) {
    free(s), free(keys);
    return sq_fail(SQ_ENOMEM, "window attention reference: no memory for %lld scores", (long long)nw);
  }
  const int64_t rpb_head = (2 * w.M[0] - 1) * (2 * w.M[1] - 1) * (2 * w.M[2] - 1);
  for (int64_t bh = 0; bh < w.B * w.H; bh++) {
    const float *rh = w.has_rpb ? rpb + (bh % w.H) * rpb_head : NULL;
    for (int64_t r = 0; r < nrows; r++)
      ref_row(&w, q + bh * T * w.D, k + bh * T * w.D, v + bh * T * w.DV, rh, rows[r], s, keys,
              o + (bh * nrows + r) * w.DV);
  }
  free(s), free(keys);
  return 0;
}

/* Scores (2D) and the weighted sum (2DV) over a whole window. */
double sq_window_attn_reference_row_cost(const sq_problem *p) {
  const sq_windows w = sq_windows_of(p);
  return 2.0 * (double)sq_windows_size(&w) * (double)(w.D + w.DV);
}
