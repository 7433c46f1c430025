/* SPDX-License-Identifier: BSD-3-Clause */
/* The double-precision reference of the Mamba-1 selective scan, straight
 * from the recurrence of FAMILIES.md §1.1 (mamba_ssm's selective_scan_ref):
 * per (b, d) and direction k, Δ_t = softplus(delta_t + delta_bias) (x > 20
 * passes through, as mamba does, so a delta of 1e4 gives Δ = 1e4 and no
 * Inf), x_t = exp(Δ_t A) x_prev + Δ_t Bm_t u_t, y_k[t] = Cm_t . x_t + Dskip
 * u_t; direction 0 runs t = 0 .. T-1 from h0 (state) or 0, direction 1
 * (K=2) runs t = T-1 .. 0 from 0; o = (y_0 + y_1) silu(z) or without the
 * gate. Only the rows asked for are written: the forward scan stops at the
 * last of them unless the final state is wanted, the backward one at the
 * first. A decay exp(Δ A) of 0 (A Δ far below -745) is exactly 0 in double,
 * never a NaN. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/ssm_scan.h"

/* One (b, d): the inputs of one direction, offset to it, and the state. */
typedef struct ss_ref {
  const sq_problem *p;
  int64_t T, D, N, G, K;
  const float *u, *delta, *A, *Bm, *Cm;   /* u, delta at [b][k][d][0]; A at [k][d][0]; Bm, Cm at [b][k][g][0][0] */
  double bias, dskip;
  double *x;                              /* N */
} ss_ref;

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= ss_T(p))
      return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: row %lld outside [0, T=%lld)", (long long)rows[r],
                     (long long)ss_T(p));
    if (r && rows[r] < rows[r - 1])
      return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: rows are not sorted at index %lld", (long long)r);
  }
  return 0;
}

/* Every tensor the case needs is there; A is a decay (<= 0: A = -exp(A_log)
 * in mamba; a positive A grows without bound and is refused like a NaN). */
static int check_inputs(const sq_problem *p, const float *const *in, double *const *out) {
  static const int need[] = {SQ_SS_U, SQ_SS_DELTA, SQ_SS_A, SQ_SS_BM, SQ_SS_CM, SQ_SS_DSKIP, SQ_SS_DELTA_BIAS};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (!in[need[i]])
      return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: input %s is missing",
                     p->shape.op->tensors[need[i]].name);
  if (!out[SQ_SS_O]) return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: o is missing");
  if (ss_has_z(p) && !in[SQ_SS_Z]) return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: has_z=1 needs z");
  if (ss_state(p) && ss_K(p) != 1)
    return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: state=1 needs K=1");
  if (ss_state(p) && (!in[SQ_SS_H0] || !out[SQ_SS_HT]))
    return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: state=1 needs h0 and ht");
  if (ss_D(p) % ss_G(p))
    return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: D=%lld is not a multiple of G=%lld",
                   (long long)ss_D(p), (long long)ss_G(p));
  int64_t na = ss_K(p) * ss_D(p) * ss_N(p);
  for (int64_t i = 0; i < na; i++)
    if (!(in[SQ_SS_A][i] <= 0.0f))
      return sq_fail(SQ_EINVAL, "ssm.selective_scan reference: A[%lld] = %g is not a decay <= 0", (long long)i,
                     (double)in[SQ_SS_A][i]);
  return 0;
}

/* mamba's softplus: log(1 + e^x), x itself above 20 (the difference is
 * below 3e-9, and e^x never overflows). */
static double softplus(double x) { return x > 20.0 ? x : log1p(exp(x)); }

/* x = exp(Δ A) x + Δ Bm_t u_t for token t; returns Cm_t . x + Dskip u_t. */
static double step(ss_ref *s, int64_t t) {
  double v = (double)s->delta[t] + s->bias;
  double dt = ss_softplus(s->p) ? softplus(v) : v;
  double u = s->u[t], du = dt * u, y = s->dskip * u;
  for (int64_t n = 0; n < s->N; n++) {
    s->x[n] = exp(dt * (double)s->A[n]) * s->x[n] + du * (double)s->Bm[n * s->T + t];
    y += (double)s->Cm[n * s->T + t] * s->x[n];
  }
  return y;
}

/* Points s at direction k of (b, d). */
static void at(ss_ref *s, const float *const *in, int64_t b, int64_t k, int64_t d) {
  int64_t g = d / (s->D / s->G);
  int64_t bkd = (b * s->K + k) * s->D + d, bkg = (b * s->K + k) * s->G + g;
  s->u = in[SQ_SS_U] + bkd * s->T;
  s->delta = in[SQ_SS_DELTA] + bkd * s->T;
  s->A = in[SQ_SS_A] + (k * s->D + d) * s->N;
  s->Bm = in[SQ_SS_BM] + bkg * s->N * s->T;
  s->Cm = in[SQ_SS_CM] + bkg * s->N * s->T;
  s->bias = in[SQ_SS_DELTA_BIAS][k * s->D + d];
  s->dskip = in[SQ_SS_DSKIP][k * s->D + d];
}

/* Direction 0 from x (h0 or 0) over t = 0 .. until-1, adding y_0 to the
 * requested rows of y. */
static void scan_forward(ss_ref *s, int64_t until, const int64_t *rows, int64_t nrows, double *y) {
  int64_t r = 0;
  for (int64_t t = 0; t < until; t++) {
    double v = step(s, t);
    for (; r < nrows && rows[r] == t; r++) y[r] += v;
  }
}

/* Direction 1 from 0 over t = T-1 down to the first requested row. */
static void scan_backward(ss_ref *s, const int64_t *rows, int64_t nrows, double *y) {
  memset(s->x, 0, sizeof(double) * (size_t)s->N);
  int64_t r = nrows - 1;
  for (int64_t t = s->T - 1; r >= 0 && t >= rows[0]; t--) {
    double v = step(s, t);
    for (; r >= 0 && rows[r] == t; r--) y[r] += v;
  }
}

/* silu(z) = z / (1 + e^-z), finite for any finite z. */
static double silu(double z) { return z / (1.0 + exp(-z)); }

static void ref_channel(ss_ref *s, const float *const *in, int64_t b, int64_t d, const int64_t *rows, int64_t nrows,
                        double *const *out) {
  const sq_problem *p = s->p;
  int state = ss_state(p);
  double *y = out[SQ_SS_O] + (b * s->D + d) * nrows;
  memset(y, 0, sizeof(double) * (size_t)nrows);
  at(s, in, b, 0, d);
  for (int64_t n = 0; n < s->N; n++) s->x[n] = state ? in[SQ_SS_H0][(b * s->D + d) * s->N + n] : 0.0;
  /* Without a final state to produce, nothing past the last row matters. */
  scan_forward(s, state ? s->T : nrows ? rows[nrows - 1] + 1 : 0, rows, nrows, y);
  if (state) memcpy(out[SQ_SS_HT] + (b * s->D + d) * s->N, s->x, sizeof(double) * (size_t)s->N);
  if (s->K == 2 && nrows) {
    at(s, in, b, 1, d);
    scan_backward(s, rows, nrows, y);
  }
  if (ss_has_z(p)) {
    const float *z = in[SQ_SS_Z] + (b * s->D + d) * s->T;
    for (int64_t r = 0; r < nrows; r++) y[r] *= silu(z[rows[r]]);
  }
}

int sq_selective_scan_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                          double *const *out) {
  ss_ref s = {.p = p, .T = ss_T(p), .D = ss_D(p), .N = ss_N(p), .G = ss_G(p), .K = ss_K(p)};
  int rc = check_rows(p, rows, nrows);
  if (!rc) rc = check_inputs(p, in, out);
  if (rc) return rc;
  s.x = malloc(sizeof(double) * (size_t)s.N);
  if (!s.x) return sq_fail(SQ_ENOMEM, "ssm.selective_scan reference: no memory for a state of %lld", (long long)s.N);
  for (int64_t b = 0; b < ss_B(p); b++)
    for (int64_t d = 0; d < s.D; d++) ref_channel(&s, in, b, d, rows, nrows, out);
  free(s.x);
  return 0;
}

/* Per token, channel and direction: Δ (an add, and a softplus counted as
 * one flop), Δ u, the skip term, and per state n the decay's product, the
 * update (three multiplies and an add) and the output's multiply-add, as
 * the useful work of FAMILIES.md §1.4 counts them; then the sum of the
 * directions and the gate. The output of a requested row comes on top, but
 * the scan runs over every token whichever rows are asked for, so this is
 * what sets the cost of a long case, where the rows are sampled. */
double sq_selective_scan_ref_row_cost(const sq_problem *p) {
  double D = (double)ss_D(p), K = (double)ss_K(p), N = (double)ss_N(p);
  return K * D * (6.0 * N + 4.0 + ss_softplus(p)) + D * ((K - 1.0) + 3.0 * ss_has_z(p));
}
