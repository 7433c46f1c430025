/* SPDX-License-Identifier: BSD-3-Clause */
/* The double-precision reference of ssm.ssd (Mamba-2 state space duality),
 * straight from FAMILIES.md §2.1, per (b, h):
 *   Delta_t = softplus(dt_t + dt_bias_h) (x > 20: x, as torch's threshold), or
 *         dt_t + dt_bias_h without softplus;
 *   causal:     S_{-1} = h0 (state) or 0,
 *               S_t = exp(Delta_t A_h) S_{t-1} + Delta_t x_t outer B_t[g(h)]   (P x N),
 *               y_t = S_t C_t[g(h)] + Dskip_h x_t,  ht = S_{T-1};
 *   non-causal: y_t = C_t . KV + Dskip_h x_t,  KV = sum_s B_s outer (-A_h Delta_s x_s);
 *   o_t = y_t . z_t sigmoid(z_t) when has_z, else y_t.
 * The decay is applied as S += expm1(Delta A) S + Delta x outer B: a decay of 1 - 1e-9
 * still acts, and Delta A = -1e4 gives exactly the new term, never a NaN. Only
 * the rows asked for are written; the causal scan stops at the last of them
 * unless the final state is wanted. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/ssd.h"

/* One case's sizes and inputs, and the state of the (b, h) being scanned. */
typedef struct ssd_ref {
  const sq_problem *p;
  const float *const *in;
  int64_t B, T, H, P, G, N;
  double *S;      /* P x N, the layout of h0 and ht; the non-causal KV likewise */
} ssd_ref;

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= ssd_T(p))
      return sq_fail(SQ_EINVAL, "ssm.ssd reference: row %lld outside [0, T=%lld)", (long long)rows[r],
                     (long long)ssd_T(p));
    if (r && rows[r] < rows[r - 1])
      return sq_fail(SQ_EINVAL, "ssm.ssd reference: rows are not sorted at index %lld", (long long)r);
  }
  return 0;
}

/* Every tensor the case needs is there, and every A_h is a decay (<= 0). */
static int check_inputs(const sq_problem *p, const float *const *in, double *const *out) {
  static const int need[] = {SQ_SSD_X, SQ_SSD_DT, SQ_SSD_A, SQ_SSD_BM, SQ_SSD_CM, SQ_SSD_DSKIP, SQ_SSD_DT_BIAS};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (!in[need[i]])
      return sq_fail(SQ_EINVAL, "ssm.ssd reference: input %s is missing", p->shape.op->tensors[need[i]].name);
  if (!out[SQ_SSD_O]) return sq_fail(SQ_EINVAL, "ssm.ssd reference: output o is missing");
  if (ssd_has_z(p) && !in[SQ_SSD_Z]) return sq_fail(SQ_EINVAL, "ssm.ssd reference: has_z=1 needs z");
  if (ssd_state(p) && !p->causal) return sq_fail(SQ_EINVAL, "ssm.ssd reference: state=1 needs a causal case");
  if (ssd_state(p) && (!in[SQ_SSD_H0] || !out[SQ_SSD_HT]))
    return sq_fail(SQ_EINVAL, "ssm.ssd reference: state=1 needs h0 and ht");
  if (ssd_G(p) < 1 || ssd_H(p) % ssd_G(p))
    return sq_fail(SQ_EINVAL, "ssm.ssd reference: H=%lld is not a multiple of G=%lld", (long long)ssd_H(p),
                   (long long)ssd_G(p));
  for (int64_t h = 0; h < ssd_H(p); h++)
    if (!(in[SQ_SSD_A][h] <= 0.0f))
      return sq_fail(SQ_EINVAL, "ssm.ssd reference: A[%lld] = %g is not a decay <= 0", (long long)h,
                     (double)in[SQ_SSD_A][h]);
  return 0;
}

/* Delta of token t, head h. */
static double delta(const ssd_ref *x, int64_t b, int64_t t, int64_t h) {
  double v = (double)x->in[SQ_SSD_DT][(b * x->T + t) * x->H + h] + (double)x->in[SQ_SSD_DT_BIAS][h];
  if (!ssd_softplus(x->p)) return v;
  return v > 20.0 ? v : log1p(exp(v));
}

/* Row t's x (or z), head h: P values. */
static const float *token_row(const ssd_ref *x, int slot, int64_t b, int64_t t, int64_t h) {
  return x->in[slot] + ((b * x->T + t) * x->H + h) * x->P;
}

/* Row t's B (or C) of group g: N values. */
static const float *group_row(const ssd_ref *x, int slot, int64_t b, int64_t t, int64_t g) {
  return x->in[slot] + ((b * x->T + t) * x->G + g) * x->N;
}

/* S = decay * S + w x outer B (decay given as expm1: S += a S + w x outer B). */
static void update(ssd_ref *x, double a, double w, const float *xr, const float *br) {
  for (int64_t p = 0; p < x->P; p++) {
    double *row = x->S + p * x->N, wx = w * xr[p];
    for (int64_t n = 0; n < x->N; n++) row[n] += a * row[n] + wx * br[n];
  }
}

/* o_t = (S C_t + Dskip x_t) gated, into out (P values). */
static void emit(const ssd_ref *x, int64_t b, int64_t t, int64_t h, int64_t g, double *out) {
  const float *cr = group_row(x, SQ_SSD_CM, b, t, g), *xr = token_row(x, SQ_SSD_X, b, t, h);
  const float *zr = ssd_has_z(x->p) ? token_row(x, SQ_SSD_Z, b, t, h) : NULL;
  double dskip = x->in[SQ_SSD_DSKIP][h];
  for (int64_t p = 0; p < x->P; p++) {
    const double *row = x->S + p * x->N;
    double y = dskip * xr[p];
    for (int64_t n = 0; n < x->N; n++) y += row[n] * cr[n];
    if (zr) y *= (double)zr[p] / (1.0 + exp(-(double)zr[p]));
    out[p] = y;
  }
}

/* The output row of requested row r (token axis cut to nrows). */
static double *out_row(const ssd_ref *x, double *const *out, int64_t b, int64_t r, int64_t nrows, int64_t h) {
  return out[SQ_SSD_O] + ((b * nrows + r) * x->H + h) * x->P;
}

static void causal_instance(ssd_ref *x, double *const *out, int64_t b, int64_t h, const int64_t *rows,
                            int64_t nrows) {
  const int64_t g = ssd_group(x->p, h), PN = x->P * x->N;
  const double A = x->in[SQ_SSD_A][h];
  int state = ssd_state(x->p);
  if (state)
    for (int64_t e = 0; e < PN; e++) x->S[e] = x->in[SQ_SSD_H0][(b * x->H + h) * PN + e];
  else
    memset(x->S, 0, sizeof(double) * (size_t)PN);
  int64_t until = state ? x->T : nrows ? rows[nrows - 1] + 1 : 0, r = 0;
  for (int64_t t = 0; t < until; t++) {
    double d = delta(x, b, t, h);
    update(x, expm1(d * A), d, token_row(x, SQ_SSD_X, b, t, h), group_row(x, SQ_SSD_BM, b, t, g));
    for (; r < nrows && rows[r] == t; r++) emit(x, b, t, h, g, out_row(x, out, b, r, nrows, h));
  }
  if (state) memcpy(out[SQ_SSD_HT] + (b * x->H + h) * PN, x->S, sizeof(double) * (size_t)PN);
}

/* KV over every token (a double sum: exact enough at any T), then the rows. */
static void noncausal_instance(ssd_ref *x, double *const *out, int64_t b, int64_t h, const int64_t *rows,
                               int64_t nrows) {
  const int64_t g = ssd_group(x->p, h);
  const double A = x->in[SQ_SSD_A][h];
  if (!nrows) return;
  memset(x->S, 0, sizeof(double) * (size_t)(x->P * x->N));
  for (int64_t s = 0; s < x->T; s++)
    update(x, 0.0, -A * delta(x, b, s, h), token_row(x, SQ_SSD_X, b, s, h), group_row(x, SQ_SSD_BM, b, s, g));
  for (int64_t r = 0; r < nrows; r++) emit(x, b, rows[r], h, g, out_row(x, out, b, r, nrows, h));
}

int sq_ssd_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
               double *const *out) {
  ssd_ref x = {.p = p, .in = in, .B = ssd_B(p), .T = ssd_T(p), .H = ssd_H(p), .P = ssd_P(p), .G = ssd_G(p),
               .N = ssd_N(p)};
  int rc = check_rows(p, rows, nrows);
  if (!rc) rc = check_inputs(p, in, out);
  if (rc) return rc;
  x.S = malloc(sizeof(double) * (size_t)(x.P * x.N));
  if (!x.S)
    return sq_fail(SQ_ENOMEM, "ssm.ssd reference: no memory for a %lldx%lld state", (long long)x.P,
                   (long long)x.N);
  for (int64_t b = 0; b < x.B; b++)
    for (int64_t h = 0; h < x.H; h++) {
      if (p->causal) causal_instance(&x, out, b, h, rows, nrows);
      else noncausal_instance(&x, out, b, h, rows, nrows);
    }
  free(x.S);
  return 0;
}

/* Per token of the scan, whichever rows are asked for: the update S += a S
 * + (Delta x) outer B (two multiplies and two adds per state element, Delta x per
 * row) in the causal form, the KV sum (a multiply and an add per element)
 * plus an output row's C . KV in the non-causal one. The scan runs over
 * every token up to the last requested row, so this sets the cost of a
 * long case, where the rows are sampled. */
double sq_ssd_ref_row_cost(const sq_problem *p) {
  double PN = (double)ssd_P(p) * (double)ssd_N(p);
  return 4.0 * PN + (double)ssd_P(p);
}
