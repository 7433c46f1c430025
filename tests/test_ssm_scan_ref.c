/* SPDX-License-Identifier: BSD-3-Clause */
/* The selective-scan reference (kernels/ssm_scan_ref.c) against cases
 * computed another way: the header's axis and tensor indices against the
 * declaration; T = 1 by hand; tiny cases against the closed form written
 * out here (y_t as a sum over s of C_t exp(Σ Δ A over the tokens between)
 * Δ_s B_s u_s, with h0's term and ht likewise) over K = 1 and 2, groups,
 * N = 1 and 4, with and without softplus, gate and state; K = 2 equals a
 * K = 1 call on direction 0 plus a K = 1 call on direction 1's inputs
 * flipped in time (its output flipped back), summed and then gated; a
 * sequence split in two with ht passed as h0 equals one run; sampled rows
 * equal the full run's; a strong decay (A Δ = -5000) is finite and forgets
 * the past; a delta of 1e4 passes the softplus through without Inf;
 * malformed calls are refused; the row cost, the useful work of FAMILIES.md
 * §1.4 and the op's input inits (§1.3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/ssm_scan.h"
#include "tests/tap.h"

/* One case: the problem, its inputs as float and the reference's outputs. */
typedef struct tcase {
  sq_problem p;
  int64_t B, D, T, N, G, K;
  float *in[SQ_OP_MAX_TENSORS];
  double *out[SQ_OP_MAX_TENSORS];
} tcase;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* Uniform in [-1, 1) (xorshift64*). */
static float draw(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (float)((double)((rng * 0x2545f4914f6cdd1dull) >> 40) / (double)(1u << 23) - 1.0);
}

static int64_t elems(const tcase *c, int t) {
  return (int64_t)sq_tensor_elems(&c->p.shape, &c->p.shape.op->tensors[t]);
}

/* Parses the shape, allocates every present tensor and fills the inputs
 * from uniform draws through the op's own inits (FAMILIES.md §1.3), so Δ
 * is realistic: 6e-4 .. 0.16. */
static int tcase_make(tcase *c, const char *shape) {
  memset(c, 0, sizeof *c);
  if (sq_shape_parse_op(&sq_op_selective_scan, shape, 1, "test", &c->p.shape)) return -1;
  c->p.causal = 1;
  c->p.dtype = SQ_F32;
  c->B = ss_B(&c->p), c->D = ss_D(&c->p), c->T = ss_T(&c->p), c->N = ss_N(&c->p), c->G = ss_G(&c->p);
  c->K = ss_K(&c->p);
  const sq_op *op = &sq_op_selective_scan;
  for (int t = 0; t < sq_op_ntensors(op); t++) {
    if (!sq_tensor_present(&c->p.shape, &op->tensors[t], 1)) continue;
    int64_t n = elems(c, t);
    if (op->tensors[t].out) {
      c->out[t] = calloc((size_t)n + 1, sizeof(double));
      continue;
    }
    c->in[t] = malloc(sizeof(float) * ((size_t)n + 1));
    for (int64_t i = 0; i < n; i++) c->in[t][i] = draw();
    if (op->tensors[t].init) op->tensors[t].init(&c->p.shape, c->p.causal, c->in[t], n);
  }
  return 0;
}

static void tcase_free(tcase *c) {
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(c->in[t]), free(c->out[t]);
}

static int64_t *all_rows(int64_t T) {
  int64_t *r = malloc(sizeof *r * (size_t)(T ? T : 1));
  for (int64_t i = 0; i < T; i++) r[i] = i;
  return r;
}

static int run_ref(tcase *c, const int64_t *rows, int64_t nrows) {
  sq_clear_error();
  return sq_selective_scan_ref(&c->p, (const float *const *)c->in, rows, nrows, c->out);
}

/* ---- the closed form, independently ---------------------------------------- */

static double in_at(const tcase *c, int t, int64_t i) { return c->in[t][i]; }

/* Δ of (b, k, d) at token m, from the definition. */
static double dlt(const tcase *c, int64_t b, int64_t k, int64_t d, int64_t m) {
  double v = in_at(c, SQ_SS_DELTA, ((b * c->K + k) * c->D + d) * c->T + m) + in_at(c, SQ_SS_DELTA_BIAS, k * c->D + d);
  if (!ss_softplus(&c->p)) return v;
  return v > 20 ? v : log(1 + exp(v));
}

static double a_of(const tcase *c, int64_t k, int64_t d, int64_t n) { return in_at(c, SQ_SS_A, (k * c->D + d) * c->N + n); }

static double bc(const tcase *c, int t, int64_t b, int64_t k, int64_t d, int64_t n, int64_t m) {
  int64_t g = d / (c->D / c->G);
  return in_at(c, t, (((b * c->K + k) * c->G + g) * c->N + n) * c->T + m);
}

static double u_of(const tcase *c, int64_t b, int64_t k, int64_t d, int64_t m) {
  return in_at(c, SQ_SS_U, ((b * c->K + k) * c->D + d) * c->T + m);
}

/* Σ_{m = from .. to} Δ_m A[n] (0 when from > to). */
static double dA_sum(const tcase *c, int64_t b, int64_t k, int64_t d, int64_t n, int64_t from, int64_t to) {
  double s = 0;
  for (int64_t m = from; m <= to; m++) s += dlt(c, b, k, d, m) * a_of(c, k, d, n);
  return s;
}

/* y_k[t] = Σ_n C_t[n] Σ_s w(s, t) Δ_s B_s[n] u_s (+ C_t exp(Σ_0..t) h0) + Dskip u_t,
 * w = exp(Σ_{s+1..t} Δ A) for s <= t (forward) or exp(Σ_{t..s-1} Δ A) for s >= t (backward). */
static double naive_y(const tcase *c, int64_t b, int64_t k, int64_t d, int64_t t) {
  double y = in_at(c, SQ_SS_DSKIP, k * c->D + d) * u_of(c, b, k, d, t);
  for (int64_t n = 0; n < c->N; n++) {
    double x = 0;
    for (int64_t s = 0; s < c->T; s++) {
      double w = k == 0 ? (s <= t ? exp(dA_sum(c, b, k, d, n, s + 1, t)) : 0)
                        : (s >= t ? exp(dA_sum(c, b, k, d, n, t, s - 1)) : 0);
      x += w * dlt(c, b, k, d, s) * bc(c, SQ_SS_BM, b, k, d, n, s) * u_of(c, b, k, d, s);
    }
    if (k == 0 && ss_state(&c->p))
      x += exp(dA_sum(c, b, 0, d, n, 0, t)) * in_at(c, SQ_SS_H0, (b * c->D + d) * c->N + n);
    y += bc(c, SQ_SS_CM, b, k, d, n, t) * x;
  }
  return y;
}

static double naive_o(const tcase *c, int64_t b, int64_t d, int64_t t) {
  double y = 0;
  for (int64_t k = 0; k < c->K; k++) y += naive_y(c, b, k, d, t);
  if (ss_has_z(&c->p)) {
    double z = in_at(c, SQ_SS_Z, (b * c->D + d) * c->T + t);
    y *= z / (1 + exp(-z));
  }
  return y;
}

static double naive_ht(const tcase *c, int64_t b, int64_t d, int64_t n) {
  double h = exp(dA_sum(c, b, 0, d, n, 0, c->T - 1)) * in_at(c, SQ_SS_H0, (b * c->D + d) * c->N + n);
  for (int64_t s = 0; s < c->T; s++)
    h += exp(dA_sum(c, b, 0, d, n, s + 1, c->T - 1)) * dlt(c, b, 0, d, s) * bc(c, SQ_SS_BM, b, 0, d, n, s) *
         u_of(c, b, 0, d, s);
  return h;
}

/* max |ref - naive| / max |naive| over o (every row) and ht. */
static double naive_err(const tcase *c) {
  double num = 0, den = 1e-300;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t d = 0; d < c->D; d++)
      for (int64_t t = 0; t < c->T; t++) {
        double want = naive_o(c, b, d, t), got = c->out[SQ_SS_O][(b * c->D + d) * c->T + t];
        num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
        den = fmax(den, fabs(want));
      }
  double e = num / den;
  if (!ss_state(&c->p)) return e;
  num = 0, den = 1e-300;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t d = 0; d < c->D; d++)
      for (int64_t n = 0; n < c->N; n++) {
        double want = naive_ht(c, b, d, n), got = c->out[SQ_SS_HT][(b * c->D + d) * c->N + n];
        num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
        den = fmax(den, fabs(want));
      }
  return fmax(e, num / den);
}

static void against_naive(const char *shape) {
  tcase c;
  if (tcase_make(&c, shape)) {
    tap_ok(0, "%s: shape refused: %s", shape, sq_last_error());
    return;
  }
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  double e = rc ? INFINITY : naive_err(&c);
  tap_ok(!rc && e < 1e-12, "%s: reference = closed form (rel err %.2g) %s", shape, e, rc ? sq_last_error() : "");
  free(rows);
  tcase_free(&c);
}

/* ---- the declaration --------------------------------------------------------- */

static void test_declaration(void) {
  const sq_op *op = &sq_op_selective_scan;
  static const char *const axes[] = {"B", "D", "T", "N", "G", "K", "delta_softplus", "has_z", "state"};
  static const int ax_idx[] = {SQ_SS_B, SQ_SS_D, SQ_SS_T, SQ_SS_N, SQ_SS_G, SQ_SS_K, SQ_SS_SOFTPLUS, SQ_SS_HAS_Z,
                               SQ_SS_STATE};
  int ok = sq_op_naxes(op) == 9;
  for (int a = 0; a < 9; a++) ok &= sq_op_axis_index(op, axes[a]) == ax_idx[a];
  tap_ok(ok, "ssm_scan.h's axes are the declaration's: B D T N G K delta_softplus has_z state");
  static const char *const tensors[] = {"u", "delta", "A", "Bm", "Cm", "Dskip", "delta_bias", "z", "h0", "o", "ht"};
  static const int t_idx[] = {SQ_SS_U, SQ_SS_DELTA, SQ_SS_A, SQ_SS_BM, SQ_SS_CM, SQ_SS_DSKIP, SQ_SS_DELTA_BIAS,
                              SQ_SS_Z, SQ_SS_H0, SQ_SS_O, SQ_SS_HT};
  ok = sq_op_ntensors(op) == 11;
  for (int t = 0; ok && t < 11; t++) ok &= !strcmp(op->tensors[t_idx[t]].name, tensors[t]);
  tap_ok(ok, "and so are its tensors: u delta A Bm Cm Dskip delta_bias z h0 o ht");
  tap_ok(sq_selective_scan_chunked.op == op && (sq_selective_scan_chunked.modes & SQ_CAUSAL) &&
             (sq_selective_scan_chunked.modes & SQ_NONCAUSAL),
         "the chunked kernel computes the op in both of the harness's modes (K, not causal, picks directions)");
}

/* ---- T = 1 by hand ------------------------------------------------------------- */

static void test_one_token(void) {
  /* N = 1, no softplus: Δ = 0.25 + 0.05, x = exp(Δ A) h0 + Δ B u, o = C x + Dskip u. */
  tcase c;
  tcase_make(&c, "T=1,D=1,N=1,delta_softplus=0,state=1");
  c.in[SQ_SS_U][0] = 0.5f, c.in[SQ_SS_DELTA][0] = 0.25f, c.in[SQ_SS_DELTA_BIAS][0] = 0.05f;
  c.in[SQ_SS_A][0] = -2.0f, c.in[SQ_SS_BM][0] = 0.75f, c.in[SQ_SS_CM][0] = -1.5f, c.in[SQ_SS_DSKIP][0] = 0.125f;
  c.in[SQ_SS_H0][0] = 3.0f;
  double dt = (double)0.25f + (double)0.05f;
  double x = exp(-2.0 * dt) * 3.0 + dt * 0.75 * 0.5, o = -1.5 * x + 0.125 * 0.5;
  int64_t row = 0;
  int rc = run_ref(&c, &row, 1);
  tap_ok(!rc && fabs(c.out[SQ_SS_O][0] - o) < 1e-15 && fabs(c.out[SQ_SS_HT][0] - x) < 1e-15,
         "T=1 with state: o = %.17g (want %.17g), ht = %.17g (want %.17g)", c.out[SQ_SS_O][0], o,
         c.out[SQ_SS_HT][0], x);
  tcase_free(&c);
  /* K = 2, T = 1: both directions see only the token; the gate multiplies the sum. */
  tcase_make(&c, "T=1,D=1,N=1,K=2,has_z=1");
  double want = 0;
  for (int k = 0; k < 2; k++) {
    double v = (double)c.in[SQ_SS_DELTA][k] + (double)c.in[SQ_SS_DELTA_BIAS][k];
    double d = log1p(exp(v));
    double u = c.in[SQ_SS_U][k];
    want += c.in[SQ_SS_CM][k] * d * c.in[SQ_SS_BM][k] * u + c.in[SQ_SS_DSKIP][k] * u;
  }
  double z = c.in[SQ_SS_Z][0];
  want *= z / (1 + exp(-z));
  rc = run_ref(&c, &row, 1);
  tap_ok(!rc && fabs(c.out[SQ_SS_O][0] - want) < 1e-15 * fmax(1, fabs(want)),
         "T=1, K=2, gated: o = (y_0 + y_1) silu(z) = %.17g (want %.17g)", c.out[SQ_SS_O][0], want);
  tcase_free(&c);
}

/* ---- K = 2 as two K = 1 calls ------------------------------------------------ */

/* Copies direction k of a [B][K][X][T] tensor into a [B][1][X][T] one,
 * reversed in t when flip. */
static void take_dir(const float *src, float *dst, int64_t B, int64_t K, int64_t X, int64_t T, int64_t k, int flip) {
  for (int64_t b = 0; b < B; b++)
    for (int64_t x = 0; x < X; x++)
      for (int64_t t = 0; t < T; t++)
        dst[(b * X + x) * T + t] = src[((b * K + k) * X + x) * T + (flip ? T - 1 - t : t)];
}

static void test_two_directions(void) {
  const char *shape2 = "B=2,D=6,T=23,N=3,G=2,K=2,has_z=1", *shape1 = "B=2,D=6,T=23,N=3,G=2,K=1";
  tcase two, fwd, bwd;
  tcase_make(&two, shape2);
  tcase_make(&fwd, shape1);
  tcase_make(&bwd, shape1);
  const int64_t B = 2, D = 6, T = 23, N = 3, G = 2;
  for (int k = 0; k < 2; k++) {
    tcase *one = k ? &bwd : &fwd;
    take_dir(two.in[SQ_SS_U], one->in[SQ_SS_U], B, 2, D, T, k, k);
    take_dir(two.in[SQ_SS_DELTA], one->in[SQ_SS_DELTA], B, 2, D, T, k, k);
    take_dir(two.in[SQ_SS_BM], one->in[SQ_SS_BM], B, 2, G * N, T, k, k);
    take_dir(two.in[SQ_SS_CM], one->in[SQ_SS_CM], B, 2, G * N, T, k, k);
    memcpy(one->in[SQ_SS_A], two.in[SQ_SS_A] + k * D * N, sizeof(float) * (size_t)(D * N));
    memcpy(one->in[SQ_SS_DSKIP], two.in[SQ_SS_DSKIP] + k * D, sizeof(float) * (size_t)D);
    memcpy(one->in[SQ_SS_DELTA_BIAS], two.in[SQ_SS_DELTA_BIAS] + k * D, sizeof(float) * (size_t)D);
  }
  int64_t *rows = all_rows(T);
  int rc = run_ref(&two, rows, T) || run_ref(&fwd, rows, T) || run_ref(&bwd, rows, T);
  double err = 0, big = 0;
  for (int64_t b = 0; b < B; b++)
    for (int64_t d = 0; d < D; d++)
      for (int64_t t = 0; t < T; t++) {
        int64_t i = (b * D + d) * T;
        double z = two.in[SQ_SS_Z][i + t];
        double want = (fwd.out[SQ_SS_O][i + t] + bwd.out[SQ_SS_O][i + T - 1 - t]) * (z / (1 + exp(-z)));
        err = fmax(err, fabs(two.out[SQ_SS_O][i + t] - want)), big = fmax(big, fabs(want));
      }
  tap_ok(!rc && err / big < 1e-14,
         "K=2 = a K=1 call on direction 0 + flip(a K=1 call on direction 1's flipped inputs), then the gate "
         "(rel diff %.2g)",
         err / big);
  free(rows);
  tcase_free(&two), tcase_free(&fwd), tcase_free(&bwd);
}

/* ---- state passing ----------------------------------------------------------- */

/* Tokens [from, from + n) of a [R][T] tensor into a [R][n] one. */
static void slice(const float *src, float *dst, int64_t R, int64_t T, int64_t from, int64_t n) {
  for (int64_t r = 0; r < R; r++) memcpy(dst + r * n, src + r * T + from, sizeof(float) * (size_t)n);
}

static void test_state_split(void) {
  const int64_t T1 = 7, T2 = 12, T = T1 + T2, B = 2, D = 4, N = 3, G = 2;
  tcase whole, a, b;
  tcase_make(&whole, "B=2,D=4,T=19,N=3,G=2,has_z=1,state=1");
  tcase_make(&a, "B=2,D=4,T=7,N=3,G=2,has_z=1,state=1");
  tcase_make(&b, "B=2,D=4,T=12,N=3,G=2,has_z=1,state=1");
  const struct { int t; int64_t rows; } tok[] = {
    {SQ_SS_U, B * D}, {SQ_SS_DELTA, B * D}, {SQ_SS_BM, B * G * N}, {SQ_SS_CM, B * G * N}, {SQ_SS_Z, B * D}};
  for (int i = 0; i < 5; i++) {
    slice(whole.in[tok[i].t], a.in[tok[i].t], tok[i].rows, T, 0, T1);
    slice(whole.in[tok[i].t], b.in[tok[i].t], tok[i].rows, T, T1, T2);
  }
  const int params[] = {SQ_SS_A, SQ_SS_DSKIP, SQ_SS_DELTA_BIAS};
  for (int i = 0; i < 3; i++) {
    size_t n = sizeof(float) * (size_t)elems(&whole, params[i]);
    memcpy(a.in[params[i]], whole.in[params[i]], n);
    memcpy(b.in[params[i]], whole.in[params[i]], n);
  }
  memcpy(a.in[SQ_SS_H0], whole.in[SQ_SS_H0], sizeof(float) * (size_t)(B * D * N));
  int64_t *rows = all_rows(T);
  int rc = run_ref(&whole, rows, T) || run_ref(&a, rows, T1);
  /* ht of the first part, as f32 (states are stored f32), is h0 of the second. */
  for (int64_t e = 0; e < B * D * N; e++) b.in[SQ_SS_H0][e] = (float)a.out[SQ_SS_HT][e];
  rc = rc || run_ref(&b, rows, T2);
  double err = 0, big = 0;
  for (int64_t r = 0; r < B * D; r++)
    for (int64_t t = 0; t < T; t++) {
      double w = whole.out[SQ_SS_O][r * T + t];
      double g = t < T1 ? a.out[SQ_SS_O][r * T1 + t] : b.out[SQ_SS_O][r * T2 + t - T1];
      err = fmax(err, fabs(w - g)), big = fmax(big, fabs(w));
    }
  for (int64_t e = 0; e < B * D * N; e++)
    err = fmax(err, fabs(whole.out[SQ_SS_HT][e] - b.out[SQ_SS_HT][e])), big = fmax(big, fabs(whole.out[SQ_SS_HT][e]));
  tap_ok(!rc && err / big < 1e-6,
         "T=%lld then T=%lld with ht passed as h0 = one run over %lld (rel diff %.2g: the f32 state's rounding)",
         (long long)T1, (long long)T2, (long long)T, err / big);
  free(rows);
  tcase_free(&whole), tcase_free(&a), tcase_free(&b);
}

/* ---- sampled rows -------------------------------------------------------------- */

static void test_sampled_rows(const char *shape) {
  tcase c;
  tcase_make(&c, shape);
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  int64_t n = c.B * c.D * c.T, nh = c.B * c.D * c.N;
  double *full = malloc(sizeof(double) * (size_t)n), *full_ht = malloc(sizeof(double) * (size_t)nh);
  memcpy(full, c.out[SQ_SS_O], sizeof(double) * (size_t)n);
  if (ss_state(&c.p)) memcpy(full_ht, c.out[SQ_SS_HT], sizeof(double) * (size_t)nh);
  const int64_t pick[] = {3, 11, 11, 20, 31};
  const int64_t np = 5;
  rc = rc || run_ref(&c, pick, np);
  int same = !rc;
  for (int64_t r = 0; r < c.B * c.D; r++)
    for (int64_t i = 0; i < np; i++) same &= c.out[SQ_SS_O][r * np + i] == full[r * c.T + pick[i]];
  for (int64_t e = 0; ss_state(&c.p) && e < nh; e++) same &= c.out[SQ_SS_HT][e] == full_ht[e];
  tap_ok(same, "%s: sampled rows 3, 11, 11, 20, 31 equal the full run's%s", shape,
         ss_state(&c.p) ? " (and ht)" : "");
  free(rows), free(full), free(full_ht);
  tcase_free(&c);
}

/* ---- strong decay and a large delta ------------------------------------------- */

/* o without memory: Σ_n C_t[n] Δ_t B_t[n] u_t + Dskip u_t per direction, gated. */
static double memoryless(const tcase *c, int64_t b, int64_t d, int64_t t) {
  double y = 0;
  for (int64_t k = 0; k < c->K; k++) {
    double dt = dlt(c, b, k, d, t), u = u_of(c, b, k, d, t);
    y += in_at(c, SQ_SS_DSKIP, k * c->D + d) * u;
    for (int64_t n = 0; n < c->N; n++) y += bc(c, SQ_SS_CM, b, k, d, n, t) * dt * bc(c, SQ_SS_BM, b, k, d, n, t) * u;
  }
  if (ss_has_z(&c->p)) {
    double z = in_at(c, SQ_SS_Z, (b * c->D + d) * c->T + t);
    y *= z / (1 + exp(-z));
  }
  return y;
}

/* Every delta set to `delta` and A scaled by `ascale`; o must be finite and
 * equal the memoryless form (the decays are exactly 0 in double). */
static void forgets(const char *shape, float delta, float ascale, const char *what) {
  tcase c;
  tcase_make(&c, shape);
  for (int64_t i = 0; i < elems(&c, SQ_SS_DELTA); i++) c.in[SQ_SS_DELTA][i] = delta;
  for (int64_t i = 0; i < elems(&c, SQ_SS_A); i++) c.in[SQ_SS_A][i] *= ascale;
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  int finite = !rc;
  double err = 0, big = 0;
  for (int64_t b = 0; b < c.B; b++)
    for (int64_t d = 0; d < c.D; d++)
      for (int64_t t = 0; t < c.T; t++) {
        double got = c.out[SQ_SS_O][(b * c.D + d) * c.T + t], want = memoryless(&c, b, d, t);
        finite &= isfinite(got);
        err = fmax(err, fabs(got - want)), big = fmax(big, fabs(want));
      }
  for (int64_t e = 0; ss_state(&c.p) && e < c.B * c.D * c.N; e++) finite &= isfinite(c.out[SQ_SS_HT][e]);
  tap_ok(finite && err <= 1e-14 * big, "%s %s: finite, and the past is forgotten (rel err %.2g, max |o| %.3g)",
         what, shape, err / big, big);
  free(rows);
  tcase_free(&c);
}

/* ---- refusals, cost, work, inits ----------------------------------------------- */

static void test_refusals(void) {
  tcase c;
  tcase_make(&c, "T=8,D=2,N=2,state=1");
  const int64_t out_of_range[] = {2, 8}, unsorted[] = {5, 4};
  tap_ok(run_ref(&c, out_of_range, 2) == SQ_EINVAL && strstr(sq_last_error(), "row 8 outside [0, T=8)"),
         "a row past T is refused (%s)", sq_last_error());
  tap_ok(run_ref(&c, unsorted, 2) == SQ_EINVAL && strstr(sq_last_error(), "not sorted"),
         "unsorted rows are refused (%s)", sq_last_error());
  c.in[SQ_SS_A][3] = 0.5f;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "A[3]"), "a positive A is refused (%s)",
         sq_last_error());
  c.in[SQ_SS_A][3] = NAN;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "A[3]"), "a NaN A is refused (%s)",
         sq_last_error());
  c.in[SQ_SS_A][3] = -1.0f;
  float *h0 = c.in[SQ_SS_H0];
  c.in[SQ_SS_H0] = NULL;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "needs h0"),
         "state=1 without h0 is refused (%s)", sq_last_error());
  c.in[SQ_SS_H0] = h0;
  tcase_free(&c);
  sq_shape s;
  tap_ok(sq_shape_parse_op(&sq_op_selective_scan, "T=8,D=6,G=4", 1, "t", &s) == SQ_EINVAL,
         "D=6, G=4 is refused by the op (D %% G != 0)");
  tap_ok(sq_shape_parse_op(&sq_op_selective_scan, "T=8,D=4,K=2,state=1", 0, "t", &s) == SQ_EINVAL,
         "K=2 with state is refused by the op");
}

static void test_cost_and_work(void) {
  tcase a, b;
  tcase_make(&a, "B=3,T=8,D=64,N=16");
  tcase_make(&b, "B=3,T=8,D=64,N=16,K=2,has_z=1");
  double ca = sq_selective_scan_ref_row_cost(&a.p), cb = sq_selective_scan_ref_row_cost(&b.p);
  tap_ok(ca == 64.0 * 101 && cb == 2 * 64.0 * 101 + 64.0 * 4,
         "row cost: 101 flops per channel and token at N=16 with softplus (%.0f); K=2 with the gate %.0f", ca, cb);
  /* FAMILIES.md §1.4 at B=3, D=64, T=8, N=16, G=1, f32. */
  sq_work w = sq_selective_scan_chunked.work(&a.p);
  double bdt = 3.0 * 64 * 8;
  tap_ok(w.flops == bdt * 101 && w.exps == bdt * 18 &&
             w.bytes == 4 * (2 * bdt + 2 * 3.0 * 16 * 8 + bdt) + 4 * (64 * 16 + 2 * 64),
         "work: 101 flops and 18 exps per (d, t) at N=16 with softplus, bytes per §1.4 (%.0f, %.0f, %.0f)", w.flops,
         w.exps, w.bytes);
  tcase_free(&a), tcase_free(&b);
  tcase_make(&a, "B=2,T=10,D=4,N=2,G=2,K=2,has_z=1,delta_softplus=0");
  a.p.dtype = SQ_BF16;
  w = sq_selective_scan_chunked.work(&a.p);
  double bkdt = 2.0 * 2 * 4 * 10;
  bdt = 2.0 * 4 * 10;
  tap_ok(w.flops == bkdt * 16 + bdt * 4 && w.exps == bkdt * 2 + bdt &&
             w.bytes == 2 * (2 * bkdt + 2 * 2.0 * 2 * 2 * 2 * 10 + 2 * bdt) + 4 * (2 * 4 * 2 + 2 * 2 * 4),
         "work, K=2 with the gate, no softplus, bf16: %.0f flops, %.0f exps, %.0f bytes", w.flops, w.exps, w.bytes);
  tcase_free(&a);
  tcase_make(&a, "B=2,T=10,D=4,N=2,state=1");
  w = sq_selective_scan_chunked.work(&a.p);
  tap_ok(w.bytes == 4 * (2 * 80.0 + 2 * 2 * 2 * 10 + 80) + 4 * (4 * 2 + 2 * 4) + 8 * 2 * 4 * 2,
         "work with state adds 8 B D N bytes (%.0f)", w.bytes);
  tcase_free(&a);
}

/* FAMILIES.md §1.3: delta = 0.5 r, softplus(delta_bias) = dt0 in [1e-3, 0.1]
 * log-uniformly, A = -(n + 1); without softplus delta = 0.02 (r + 1.5) and
 * delta_bias = 0.5 dt0. */
static void test_inits(void) {
  const sq_op *op = &sq_op_selective_scan;
  sq_shape s, s0;
  sq_shape_parse_op(op, "T=4,D=3,N=5,K=2", 1, "t", &s);
  sq_shape_parse_op(op, "T=4,D=3,N=5,K=2,delta_softplus=0", 1, "t", &s0);
  const float r[5] = {-1.0f, -0.5f, 0.0f, 0.5f, 0.99999988f};
  float v[30];
  int ok = !!op->tensors[SQ_SS_DELTA].init;
  memcpy(v, r, sizeof r);
  if (ok) op->tensors[SQ_SS_DELTA].init(&s, 1, v, 5);
  for (int i = 0; ok && i < 5; i++) ok &= v[i] == 0.5f * r[i];
  memcpy(v, r, sizeof r);
  if (ok) op->tensors[SQ_SS_DELTA].init(&s0, 1, v, 5);
  for (int i = 0; ok && i < 5; i++) ok &= fabs(v[i] - 0.02 * (r[i] + 1.5)) < 1e-8 && v[i] > 0;
  tap_ok(ok, "delta = 0.5 r with softplus, 0.02 (r + 1.5) > 0 without");
  ok = !!op->tensors[SQ_SS_DELTA_BIAS].init;
  double lo = 1, hi = 0;
  memcpy(v, r, sizeof r);
  if (ok) op->tensors[SQ_SS_DELTA_BIAS].init(&s, 1, v, 5);
  for (int i = 0; ok && i < 5; i++) {
    double dt0 = exp(log(1e-3) + 0.5 * (r[i] + 1.0) * log(100.0)), sp = log1p(exp((double)v[i]));
    ok &= fabs(sp - dt0) < 1e-6 * dt0;
    lo = fmin(lo, sp), hi = fmax(hi, sp);
  }
  memcpy(v, r, sizeof r);
  if (ok) op->tensors[SQ_SS_DELTA_BIAS].init(&s0, 1, v, 5);
  for (int i = 0; ok && i < 5; i++) ok &= fabs(v[i] - 0.5 * exp(log(1e-3) + 0.5 * (r[i] + 1.0) * log(100.0))) < 1e-9;
  tap_ok(ok && fabs(lo - 1e-3) < 1e-8 && fabs(hi - 0.1) < 1e-7,
         "softplus(delta_bias) = dt0, from %.6g to %.6g; 0.5 dt0 without softplus", lo, hi);
  ok = !!op->tensors[SQ_SS_A].init;
  for (int i = 0; i < 30; i++) v[i] = 0.3f;
  if (ok) op->tensors[SQ_SS_A].init(&s, 1, v, 30);
  for (int i = 0; ok && i < 30; i++) ok &= v[i] == (float)-(i % 5 + 1);
  tap_ok(ok, "A[k][d][n] = -(n + 1)");
}

int main(void) {
  test_declaration();
  test_one_token();
  const char *tiny[] = {
    "B=1,D=1,T=5,N=1",
    "B=2,D=3,T=9,N=4",
    "B=1,D=4,T=11,N=2,G=2,has_z=1",
    "B=2,D=6,T=8,N=3,G=3,delta_softplus=0",
    "B=1,D=2,T=10,N=4,state=1",
    "B=2,D=4,T=7,N=2,G=2,has_z=1,state=1,delta_softplus=0",
    "B=1,D=2,T=9,N=3,K=2",
    "B=2,D=4,T=6,N=2,G=2,K=2,has_z=1",
    "B=1,D=3,T=8,N=1,G=3,K=2,delta_softplus=0",
  };
  for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) against_naive(tiny[i]);
  test_two_directions();
  test_state_split();
  test_sampled_rows("B=2,D=3,T=40,N=4,G=3,has_z=1,state=1");
  test_sampled_rows("B=2,D=4,T=40,N=2,G=2,K=2,has_z=1");
  forgets("B=2,D=4,T=30,N=4,G=2,has_z=1,state=1", 50.0f, 100.0f, "strong decay (A Delta = -5000 and less)");
  forgets("B=1,D=2,T=30,N=16,K=2", 50.0f, 100.0f, "strong decay, both directions");
  forgets("B=1,D=3,T=20,N=4,has_z=1,state=1", 1e4f, 1.0f, "delta 1e4 through the softplus");
  test_refusals();
  test_cost_and_work();
  test_inits();
  return tap_done();
}
