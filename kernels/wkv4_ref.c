/* SPDX-License-Identifier: BSD-3-Clause */
/* The double-precision reference of wkv.rwkv4, straight from FAMILIES.md
 * §3.1, per (b, c): the prefix sums Σ_{i<t} e^{-(t-1-i)w + k_i} (v_i) and,
 * for Bi-WKV, the suffix sums Σ_{i>t} e^{-(i-t-1)w + k_i} (v_i), each kept
 * as a mantissa and a log scale so that k = ±1e4 or a growth w < 0 over
 * 8M tokens stays finite; then
 *   o_t = (prefix_v + suffix_v + e^{u+k_t} v_t) / (prefix + suffix + e^{u+k_t})
 * with the suffix only in Bi-WKV. Only the rows asked for are written: the
 * forward scan stops at the last of them, the backward one at the first.
 * Causal cases need w > 0 (RWKV-4's rate exp(time_decay)). */
#include <math.h>
#include <stdlib.h>

#include "base/error.h"
#include "kernels/wkv4.h"

/* Σ e^{x_i} v_i = a e^p and Σ e^{x_i} = b e^p; p = -inf when empty. */
typedef struct lsum {
  double a, b, p;
} lsum;

static const lsum empty = {0.0, 0.0, -INFINITY};

/* e^{-x} s + e^k (v, 1). */
static lsum add(lsum s, double x, double k, double v) {
  double q = s.p - x, p = q > k ? q : k;
  double e1 = isinf(q) ? 0.0 : exp(q - p), e2 = exp(k - p);
  return (lsum){e1 * s.a + e2 * v, e1 * s.b + e2, p};
}

/* Scales s to e^m (0 when empty). */
static double scale(const lsum *s, double m) { return isinf(s->p) ? 0.0 : exp(s->p - m); }

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= w4_T(p))
      return sq_fail(SQ_EINVAL, "wkv.rwkv4 reference: row %lld outside [0, T=%lld)", (long long)rows[r],
                     (long long)w4_T(p));
    if (r && rows[r] < rows[r - 1])
      return sq_fail(SQ_EINVAL, "wkv.rwkv4 reference: rows are not sorted at index %lld", (long long)r);
  }
  return 0;
}

/* Every tensor is there; a causal w is a rate > 0 (a growth would make the
 * sum over an unbounded past diverge, and RWKV-4 passes exp(time_decay)). */
static int check_inputs(const sq_problem *p, const float *const *in, double *const *out) {
  static const int need[] = {SQ_W4_W, SQ_W4_U, SQ_W4_K, SQ_W4_V};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (!in[need[i]])
      return sq_fail(SQ_EINVAL, "wkv.rwkv4 reference: input %s is missing", p->shape.op->tensors[need[i]].name);
  if (!out[SQ_W4_O]) return sq_fail(SQ_EINVAL, "wkv.rwkv4 reference: output o is missing");
  for (int64_t c = 0; p->causal && c < w4_C(p); c++)
    if (!(in[SQ_W4_W][c] > 0.0f))
      return sq_fail(SQ_EINVAL, "wkv.rwkv4 reference: w[%lld] = %g is not a rate > 0 (causal)", (long long)c,
                     (double)in[SQ_W4_W][c]);
  return 0;
}

/* One (b, c): pre[r] and (Bi-WKV) suf[r] at the requested rows, then o. */
static void channel(const sq_problem *p, const float *const *in, int64_t b, int64_t c, const int64_t *rows,
                    int64_t nrows, lsum *pre, lsum *suf, double *o) {
  const int64_t T = w4_T(p), C = w4_C(p);
  const float *k = in[SQ_W4_K] + b * T * C + c, *v = in[SQ_W4_V] + b * T * C + c;
  const double w = in[SQ_W4_W][c], u = in[SQ_W4_U][c];
  lsum s = empty;
  for (int64_t t = 0, r = 0; r < nrows; t++) {
    for (; r < nrows && rows[r] == t; r++) pre[r] = s;
    s = add(s, w, k[t * C], v[t * C]);
  }
  if (!p->causal) {
    s = empty;
    for (int64_t t = T - 1, r = nrows - 1; r >= 0; t--) {
      for (; r >= 0 && rows[r] == t; r--) suf[r] = s;
      s = add(s, w, k[t * C], v[t * C]);
    }
  }
  for (int64_t r = 0; r < nrows; r++) {
    double uk = u + (double)k[rows[r] * C], vt = v[rows[r] * C];
    lsum g = p->causal ? empty : suf[r];
    double m = fmax(fmax(pre[r].p, g.p), uk);
    double e1 = scale(&pre[r], m), e2 = scale(&g, m), e3 = exp(uk - m);
    o[(b * nrows + r) * C + c] = (e1 * pre[r].a + e2 * g.a + e3 * vt) / (e1 * pre[r].b + e2 * g.b + e3);
  }
}

int sq_wkv4_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                double *const *out) {
  int rc = check_rows(p, rows, nrows);
  if (!rc) rc = check_inputs(p, in, out);
  if (rc) return rc;
  lsum *pre = malloc(sizeof *pre * (size_t)(nrows + 1)), *suf = malloc(sizeof *suf * (size_t)(nrows + 1));
  if (!pre || !suf) {
    free(pre);
    free(suf);
    return sq_fail(SQ_ENOMEM, "wkv.rwkv4 reference: no memory for %lld rows", (long long)nrows);
  }
  for (int64_t b = 0; b < w4_B(p); b++)
    for (int64_t c = 0; c < w4_C(p); c++) channel(p, in, b, c, rows, nrows, pre, suf, out[SQ_W4_O]);
  free(pre);
  free(suf);
  return 0;
}

/* Per token and channel: the update (2 exps, 6 flops) forward and, in
 * Bi-WKV, backward, and the output's combination; the scans run over
 * (almost) every token whichever rows are asked for. */
double sq_wkv4_ref_row_cost(const sq_problem *p) { return (p->causal ? 19.0 : 34.0) * (double)w4_C(p); }
