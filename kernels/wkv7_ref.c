/* SPDX-License-Identifier: BSD-3-Clause */
/* The double-precision reference of wkv.rwkv7, straight from FAMILIES.md
 * §3.3, per (b, h): S_{-1} = h0 (state) or 0, and for each token
 *   d_j = exp(-exp(w_j)),
 *   S_ij <- S_ij d_j + (Σ_l S_il a_l) b_j + v_i k_j   (the sum over the old S),
 *   o_i = Σ_j S_ij r_j,
 * ht = S_{T-1}. Only the rows asked for are written; the scan stops at the
 * last of them unless the final state is wanted. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/wkv7.h"

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= w7_T(p))
      return sq_fail(SQ_EINVAL, "wkv.rwkv7 reference: row %lld outside [0, T=%lld)", (long long)rows[r],
                     (long long)w7_T(p));
    if (r && rows[r] < rows[r - 1])
      return sq_fail(SQ_EINVAL, "wkv.rwkv7 reference: rows are not sorted at index %lld", (long long)r);
  }
  return 0;
}

static int check_inputs(const sq_problem *p, const float *const *in, double *const *out) {
  static const int need[] = {SQ_W7_R, SQ_W7_W, SQ_W7_K, SQ_W7_V, SQ_W7_A, SQ_W7_BB};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (!in[need[i]])
      return sq_fail(SQ_EINVAL, "wkv.rwkv7 reference: input %s is missing", p->shape.op->tensors[need[i]].name);
  if (!out[SQ_W7_O]) return sq_fail(SQ_EINVAL, "wkv.rwkv7 reference: output o is missing");
  if (!p->causal) return sq_fail(SQ_EINVAL, "wkv.rwkv7 reference: the generalised delta rule is causal only");
  if (w7_state(p) && (!in[SQ_W7_H0] || !out[SQ_W7_HT]))
    return sq_fail(SQ_EINVAL, "wkv.rwkv7 reference: state=1 needs h0 and ht");
  return 0;
}

/* One token's update of S (N x N): w, k, v, a, b are the token's rows. */
static void step(double *S, int64_t N, const float *w, const float *k, const float *v,
                 const float *a, const float *b, double *sa) {
  for (int64_t i = 0; i < N; i++) {
    double s = 0;
    for (int64_t j = 0; j < N; j++) s += S[i * N + j] * a[j];
    sa[i] = s;
  }
  for (int64_t j = 0; j < N; j++) {
    double d = exp(-exp((double)w[j]));
    for (int64_t i = 0; i < N; i++) S[i * N + j] = S[i * N + j] * d + sa[i] * b[j] + (double)v[i] * k[j];
  }
}

int sq_wkv7_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                double *const *out) {
  int rc = check_rows(p, rows, nrows);
  if (!rc) rc = check_inputs(p, in, out);
  if (rc) return rc;
  const int64_t B = w7_B(p), T = w7_T(p), H = w7_H(p), N = w7_N(p), NN = N * N;
  const int state = w7_state(p);
  double *S = malloc(sizeof *S * (size_t)NN), *sa = malloc(sizeof *sa * (size_t)N);
  if (!S || !sa) {
    free(S);
    free(sa);
    return sq_fail(SQ_ENOMEM, "wkv.rwkv7 reference: no memory for a %lldx%lld state", (long long)N, (long long)N);
  }
  int64_t until = state ? T : nrows ? rows[nrows - 1] + 1 : 0;
  for (int64_t b = 0; b < B; b++)
    for (int64_t h = 0; h < H; h++) {
      const int64_t bh = b * H + h;
      for (int64_t e = 0; e < NN; e++) S[e] = state ? in[SQ_W7_H0][bh * NN + e] : 0.0;
      for (int64_t t = 0, r = 0; t < until; t++) {
        int64_t x = ((b * T + t) * H + h) * N;
        const float *rr = in[SQ_W7_R] + x;
        step(S, N, in[SQ_W7_W] + x, in[SQ_W7_K] + x, in[SQ_W7_V] + x, in[SQ_W7_A] + x, in[SQ_W7_BB] + x, sa);
        for (; r < nrows && rows[r] == t; r++) {
          double *o = out[SQ_W7_O] + ((b * nrows + r) * H + h) * N;
          for (int64_t i = 0; i < N; i++) {
            double y = 0;
            for (int64_t j = 0; j < N; j++) y += S[i * N + j] * rr[j];
            o[i] = y;
          }
        }
      }
      if (state) memcpy(out[SQ_W7_HT] + bh * NN, S, sizeof *S * (size_t)NN);
    }
  free(S);
  free(sa);
  return 0;
}

/* Per token of one instance (b, h: H is a batch axis): sa (2 N^2), the
 * update (5 N^2) and the readout of a requested row (2 N^2); the scan runs
 * over every token up to the last requested row. */
double sq_wkv7_ref_row_cost(const sq_problem *p) { return 9.0 * (double)w7_N(p) * (double)w7_N(p); }
