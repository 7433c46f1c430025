/* SPDX-License-Identifier: BSD-3-Clause */
/* The double-precision reference of RWKV-6 WKV (FAMILIES.md §3.2), straight
 * from its recurrences, both modes. Causal:
 *   S_{-1} = h0 (state) or 0,
 *   o_t[j] = sum_i r_t[i] (S_{t-1}[i][j] + u[i] k_t[i] v_t[j]),
 *   S_t = diag(d_t) S_{t-1} + k_t v_t^T,  d_t[i] = exp(-exp(w_t[i])),  ht = S_{T-1};
 * bidirectional: that o plus o_t += r_t^T S^b_{t+1}, with S^b_T = 0 and
 * S^b_t = diag(d_t) S^b_{t+1} + k_t v_t^T for t = T-1 .. 0 (no bonus).
 * Each output reads the state before its own token's update. A decay is
 * applied as S += expm1(-exp(w)) S, so d = 1 - 1e-7 is not lost to rounding
 * and w = 80 gives exactly 0 rather than a NaN. Only the rows asked for are
 * written: the causal scan stops at the last of them unless the final state
 * is wanted, and the backward scan stops at the first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/wkv6.h"

/* One (b, h) instance: its inputs and the scratch of a scan. Token t's
 * channel i of r, k, v, w sits at t * tstride + i from the instance's base. */
typedef struct wkv6_ref {
  int64_t T, N, H, tstride;
  const float *r, *k, *v, *w, *u;
  double *S;     /* N x N, key-major */
  double *a;     /* expm1 of this token's log decay, per key channel */
} wkv6_ref;

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= wkv6_T(p))
      return sq_fail(SQ_EINVAL, "wkv.rwkv6 reference: row %lld outside [0, T=%lld)", (long long)rows[r],
                     (long long)wkv6_T(p));
    if (r && rows[r] < rows[r - 1])
      return sq_fail(SQ_EINVAL, "wkv.rwkv6 reference: rows are not sorted at index %lld", (long long)r);
  }
  return 0;
}

static int check_finite(const float *x, int64_t n, const char *name) {
  for (int64_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return sq_fail(SQ_EINVAL, "wkv.rwkv6 reference: %s[%lld] = %g is not finite", name, (long long)i,
                     (double)x[i]);
  return 0;
}

/* Every tensor the case needs is there; w and u are finite (a NaN decay
 * would otherwise pass silently into a zero). */
static int check_inputs(const sq_problem *p, const float *const *in, double *const *out) {
  int state = wkv6_state(p);
  if (state && !p->causal) return sq_fail(SQ_EINVAL, "wkv.rwkv6 reference: state=1 needs a causal case");
  if (!in[SQ_WKV6_R] || !in[SQ_WKV6_K] || !in[SQ_WKV6_V] || !in[SQ_WKV6_W] || !in[SQ_WKV6_U] || !out[SQ_WKV6_O])
    return sq_fail(SQ_EINVAL, "wkv.rwkv6 reference: r, k, v, w, u or o is missing");
  if (state && (!in[SQ_WKV6_H0] || !out[SQ_WKV6_HT]))
    return sq_fail(SQ_EINVAL, "wkv.rwkv6 reference: state=1 needs h0 and ht");
  int64_t n = wkv6_B(p) * wkv6_T(p) * wkv6_H(p) * wkv6_N(p);
  int rc = check_finite(in[SQ_WKV6_W], n, "w");
  return rc ? rc : check_finite(in[SQ_WKV6_U], wkv6_H(p) * wkv6_N(p), "u");
}

/* out[j] += sum_i r_t[i] (S[i][j] + bonus u[i] k_t[i] v_t[j]). */
static void emit(const wkv6_ref *x, int64_t t, int bonus, double *out) {
  const float *r = x->r + t * x->tstride, *k = x->k + t * x->tstride, *v = x->v + t * x->tstride;
  double ruk = 0;
  for (int64_t i = 0; i < x->N; i++) {
    const double *row = x->S + i * x->N;
    double ri = r[i];
    if (bonus) ruk += ri * (double)x->u[i] * k[i];
    for (int64_t j = 0; j < x->N; j++) out[j] += ri * row[j];
  }
  for (int64_t j = 0; j < x->N; j++) out[j] += ruk * v[j];
}

/* S = diag(exp(-exp(w_t))) S + k_t v_t^T. */
static void step(wkv6_ref *x, int64_t t) {
  const float *k = x->k + t * x->tstride, *v = x->v + t * x->tstride, *w = x->w + t * x->tstride;
  for (int64_t i = 0; i < x->N; i++) x->a[i] = expm1(-exp((double)w[i]));
  for (int64_t i = 0; i < x->N; i++) {
    double *row = x->S + i * x->N, ai = x->a[i], ki = k[i];
    for (int64_t j = 0; j < x->N; j++) row[j] += ai * row[j] + ki * v[j];
  }
}

/* One (b, h): o over the requested rows (o rows are [nrows][H][N] apart
 * from the instance's base), and ht when the case has state. */
static void ref_instance(wkv6_ref *x, const sq_problem *p, const float *const *in, int64_t b, int64_t h,
                         const int64_t *rows, int64_t nrows, double *const *out) {
  const int64_t T = x->T, N = x->N, H = x->H, bh = b * H + h;
  const int64_t base = (b * T * H + h) * N;
  x->r = in[SQ_WKV6_R] + base, x->k = in[SQ_WKV6_K] + base, x->v = in[SQ_WKV6_V] + base;
  x->w = in[SQ_WKV6_W] + base, x->u = in[SQ_WKV6_U] + h * N;
  double *o = out[SQ_WKV6_O] + (b * nrows * H + h) * N;
  for (int64_t r = 0; r < nrows; r++) memset(o + r * H * N, 0, sizeof(double) * (size_t)N);
  int state = wkv6_state(p);
  if (state)
    for (int64_t e = 0; e < N * N; e++) x->S[e] = in[SQ_WKV6_H0][bh * N * N + e];
  else
    memset(x->S, 0, sizeof(double) * (size_t)(N * N));
  /* Without a final state to produce, nothing past the last row matters. */
  int64_t until = state ? T : nrows ? rows[nrows - 1] + 1 : 0, r = 0;
  for (int64_t t = 0; t < until; t++) {
    for (; r < nrows && rows[r] == t; r++) emit(x, t, 1, o + r * H * N);
    step(x, t);
  }
  if (state) memcpy(out[SQ_WKV6_HT] + bh * N * N, x->S, sizeof(double) * (size_t)(N * N));
  if (p->causal || !nrows) return;
  memset(x->S, 0, sizeof(double) * (size_t)(N * N));
  r = nrows - 1;
  for (int64_t t = T - 1; r >= 0 && t >= rows[0]; t--) {
    for (; r >= 0 && rows[r] == t; r--) emit(x, t, 0, o + r * H * N);
    step(x, t);
  }
}

int sq_wkv6_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                double *const *out) {
  wkv6_ref x = {.T = wkv6_T(p), .N = wkv6_N(p), .H = wkv6_H(p), .tstride = wkv6_H(p) * wkv6_N(p)};
  int rc = check_rows(p, rows, nrows);
  if (!rc) rc = check_inputs(p, in, out);
  if (rc) return rc;
  x.S = malloc(sizeof(double) * (size_t)(x.N * x.N + x.N));
  if (!x.S) return sq_fail(SQ_ENOMEM, "wkv.rwkv6 reference: no memory for a %lldx%lld state", (long long)x.N,
                           (long long)x.N);
  x.a = x.S + x.N * x.N;
  for (int64_t b = 0; b < wkv6_B(p); b++)
    for (int64_t h = 0; h < x.H; h++) ref_instance(&x, p, in, b, h, rows, nrows, out);
  free(x.S);
  return 0;
}

/* Per token of a scan: the decay (two exps per key channel) and the update
 * S += a S + k v^T (two multiplies and two adds per state element); the
 * bidirectional form scans twice. The output of a requested row comes on
 * top, but the scans run over every token whichever rows are asked for, so
 * this is what sets the cost of a long case, where rows are sampled. */
double sq_wkv6_ref_row_cost(const sq_problem *p) {
  double N = (double)wkv6_N(p), per_scan = 4.0 * N * N + 2.0 * N;
  return p->causal ? per_scan : 2.0 * per_scan;
}
