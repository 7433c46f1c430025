/* SPDX-License-Identifier: BSD-3-Clause */
/* The reference of ssm.ssd (kernels/ssd_ref.c) against cases computed
 * another way: T = 1 by hand; tiny cases by the quadratic (duality) form
 * written out here, y_t = sum_{s<=t} (C_t.B_s) exp(A sum_{m=s+1..t} Delta_m)
 * Delta_s x_s plus the h0 term, with ht likewise, and the non-causal form as
 * a double sum over (t, s), with G > 1, the z gate and both step forms; a
 * sequence split in two with ht passed as h0 equals one run; sampled rows
 * equal the full run's; a decay of 1e-7 per step over 4096 tokens matches
 * its geometric series; a decay of -1e3 per step and a step of 1e4 through
 * softplus stay finite and keep only each token's own term; malformed calls
 * are refused; and the op's axes, tensors and input transforms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/ssd.h"
#include "tests/tap.h"

/* One case: the problem, its inputs as float and the reference's outputs. */
typedef struct tcase {
  sq_problem p;
  int64_t B, T, H, P, G, N;
  float *in[SQ_OP_MAX_TENSORS];
  double *out[SQ_OP_MAX_TENSORS];
} tcase;

static uint64_t rng = 0x452821e638d01377ull;

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
 * with uniform draws through the op's transforms (Mamba-2's init); dt is
 * `dt` everywhere when that is not NaN. */
static int tcase_make(tcase *c, const char *shape, int causal, double dt) {
  memset(c, 0, sizeof *c);
  if (sq_shape_parse_op(&sq_op_ssd, shape, causal, "test", &c->p.shape)) return -1;
  c->p.causal = causal;
  c->p.dtype = SQ_F32;
  c->B = ssd_B(&c->p), c->T = ssd_T(&c->p), c->H = ssd_H(&c->p);
  c->P = ssd_P(&c->p), c->G = ssd_G(&c->p), c->N = ssd_N(&c->p);
  for (int t = 0; t < sq_op_ntensors(&sq_op_ssd); t++) {
    const sq_tensor *ts = &sq_op_ssd.tensors[t];
    if (!sq_tensor_present(&c->p.shape, ts, causal)) continue;
    int64_t n = elems(c, t);
    if (ts->out) {
      c->out[t] = calloc((size_t)n + 1, sizeof(double));
      continue;
    }
    c->in[t] = malloc(sizeof(float) * ((size_t)n + 1));
    for (int64_t i = 0; i < n; i++) c->in[t][i] = draw();
    if (ts->init) ts->init(&c->p.shape, c->p.causal, c->in[t], n);
    if (t == SQ_SSD_DT && !isnan(dt))
      for (int64_t i = 0; i < n; i++) c->in[t][i] = (float)dt;
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
  return sq_ssd_ref(&c->p, (const float *const *)c->in, rows, nrows, c->out);
}

/* ---- the quadratic form, independently ------------------------------------ */

static double xv(const tcase *c, int t_, int64_t b, int64_t t, int64_t h, int64_t p) {
  return c->in[t_][((b * c->T + t) * c->H + h) * c->P + p];
}

/* B or C of head h's group: heads split evenly over the groups in order. */
static double bc(const tcase *c, int t_, int64_t b, int64_t t, int64_t h, int64_t n) {
  int64_t g = h * c->G / c->H;
  return c->in[t_][((b * c->T + t) * c->G + g) * c->N + n];
}

static double step(const tcase *c, int64_t b, int64_t t, int64_t h) {
  double v = (double)c->in[SQ_SSD_DT][(b * c->T + t) * c->H + h] + (double)c->in[SQ_SSD_DT_BIAS][h];
  return ssd_softplus(&c->p) ? log(1.0 + exp(v)) : v;
}

/* sum of Delta over tokens from..to (0 when from > to). */
static double steps(const tcase *c, int64_t b, int64_t h, int64_t from, int64_t to) {
  double s = 0;
  for (int64_t m = from; m <= to; m++) s += step(c, b, m, h);
  return s;
}

static double cdotb(const tcase *c, int64_t b, int64_t t, int64_t s, int64_t h) {
  double d = 0;
  for (int64_t n = 0; n < c->N; n++) d += bc(c, SQ_SSD_CM, b, t, h, n) * bc(c, SQ_SSD_BM, b, s, h, n);
  return d;
}

static double h0v(const tcase *c, int64_t b, int64_t h, int64_t p, int64_t n) {
  return c->in[SQ_SSD_H0][((b * c->H + h) * c->P + p) * c->N + n];
}

static double naive_o(const tcase *c, int64_t b, int64_t t, int64_t h, int64_t p) {
  double A = c->in[SQ_SSD_A][h], y = c->in[SQ_SSD_DSKIP][h] * xv(c, SQ_SSD_X, b, t, h, p);
  for (int64_t s = 0; s < c->T; s++) {
    double w;
    if (c->p.causal) w = s <= t ? exp(A * steps(c, b, h, s + 1, t)) * step(c, b, s, h) : 0.0;
    else w = -A * step(c, b, s, h);
    if (w != 0.0) y += cdotb(c, b, t, s, h) * w * xv(c, SQ_SSD_X, b, s, h, p);
  }
  if (ssd_state(&c->p)) {
    double ch = 0;
    for (int64_t n = 0; n < c->N; n++) ch += bc(c, SQ_SSD_CM, b, t, h, n) * h0v(c, b, h, p, n);
    y += exp(A * steps(c, b, h, 0, t)) * ch;
  }
  if (ssd_has_z(&c->p)) {
    double z = xv(c, SQ_SSD_Z, b, t, h, p);
    y *= z * 0.5 * (1.0 + tanh(0.5 * z));     /* silu(z) = z sigmoid(z) */
  }
  return y;
}

static double naive_ht(const tcase *c, int64_t b, int64_t h, int64_t p, int64_t n) {
  double A = c->in[SQ_SSD_A][h], s_ = exp(A * steps(c, b, h, 0, c->T - 1)) * h0v(c, b, h, p, n);
  for (int64_t s = 0; s < c->T; s++)
    s_ += exp(A * steps(c, b, h, s + 1, c->T - 1)) * step(c, b, s, h) * xv(c, SQ_SSD_X, b, s, h, p) *
          bc(c, SQ_SSD_BM, b, s, h, n);
  return s_;
}

/* max |ref - naive| / max |naive| over o (every row) and ht. */
static double naive_err(const tcase *c) {
  double num = 0, den = 1e-300;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t t = 0; t < c->T; t++)
      for (int64_t h = 0; h < c->H; h++)
        for (int64_t p = 0; p < c->P; p++) {
          double want = naive_o(c, b, t, h, p), got = c->out[SQ_SSD_O][((b * c->T + t) * c->H + h) * c->P + p];
          num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
          den = fmax(den, fabs(want));
        }
  double e = num / den;
  if (!ssd_state(&c->p)) return e;
  num = 0, den = 1e-300;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t h = 0; h < c->H; h++)
      for (int64_t p = 0; p < c->P; p++)
        for (int64_t n = 0; n < c->N; n++) {
          double want = naive_ht(c, b, h, p, n), got = c->out[SQ_SSD_HT][((b * c->H + h) * c->P + p) * c->N + n];
          num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
          den = fmax(den, fabs(want));
        }
  return fmax(e, num / den);
}

static void against_naive(const char *shape, int causal, double dt) {
  tcase c;
  if (tcase_make(&c, shape, causal, dt)) {
    tap_ok(0, "%s: shape refused: %s", shape, sq_last_error());
    return;
  }
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  double e = rc ? INFINITY : naive_err(&c);
  tap_ok(!rc && e < 1e-12, "%s %s, dt %s: reference = quadratic form (rel err %.2g) %s",
         causal ? "causal" : "non-causal", shape, isnan(dt) ? "drawn" : "fixed", e, rc ? sq_last_error() : "");
  free(rows);
  tcase_free(&c);
}

/* ---- T = 1 by hand ------------------------------------------------------- */

static void test_one_token(void) {
  /* P = 2, N = 1, with h0: Delta = softplus(0.25 + 0.5), S = e^{Delta A} h0 +
   * Delta x B, y = S C + D x, o = y silu(z). */
  tcase c;
  tcase_make(&c, "T=1,P=2,N=1,has_z=1,state=1", 1, NAN);
  const float x[2] = {0.5f, -1.0f}, h0[2] = {2.0f, 0.25f}, z[2] = {1.5f, -0.75f};
  for (int p = 0; p < 2; p++) c.in[SQ_SSD_X][p] = x[p], c.in[SQ_SSD_H0][p] = h0[p], c.in[SQ_SSD_Z][p] = z[p];
  c.in[SQ_SSD_DT][0] = 0.25f, c.in[SQ_SSD_DT_BIAS][0] = 0.5f, c.in[SQ_SSD_A][0] = -3.0f;
  c.in[SQ_SSD_BM][0] = 0.75f, c.in[SQ_SSD_CM][0] = -0.5f, c.in[SQ_SSD_DSKIP][0] = 0.125f;
  int64_t row = 0;
  int rc = run_ref(&c, &row, 1);
  double d = log1p(exp(0.75)), ok = !rc;
  for (int p = 0; p < 2; p++) {
    double s = exp(-3.0 * d) * h0[p] + d * x[p] * 0.75, y = s * -0.5 + 0.125 * x[p];
    y *= z[p] / (1.0 + exp(-z[p]));
    ok = ok && fabs(c.out[SQ_SSD_HT][p] - s) < 1e-15 && fabs(c.out[SQ_SSD_O][p] - y) < 1e-15;
  }
  tap_ok(ok, "T=1 causal with h0, z: o = (%.6g, %.6g), ht = (%.6g, %.6g) by hand", c.out[SQ_SSD_O][0],
         c.out[SQ_SSD_O][1], c.out[SQ_SSD_HT][0], c.out[SQ_SSD_HT][1]);
  tcase_free(&c);
  /* Non-causal, T = 1, no softplus: y = (C.B)(-A Delta) x + D x. */
  tcase_make(&c, "T=1,P=1,N=2,dt_softplus=0", 0, NAN);
  c.in[SQ_SSD_X][0] = 2.0f, c.in[SQ_SSD_DT][0] = 0.25f, c.in[SQ_SSD_DT_BIAS][0] = 0.25f;
  c.in[SQ_SSD_A][0] = -4.0f, c.in[SQ_SSD_DSKIP][0] = 1.0f;
  c.in[SQ_SSD_BM][0] = 1.0f, c.in[SQ_SSD_BM][1] = 0.5f, c.in[SQ_SSD_CM][0] = 3.0f, c.in[SQ_SSD_CM][1] = -2.0f;
  rc = run_ref(&c, &row, 1);
  tap_ok(!rc && c.out[SQ_SSD_O][0] == (3.0 - 1.0) * 2.0 * 2.0 + 2.0,
         "T=1 non-causal without softplus: o = (C.B)(-A Delta) x + D x = %g", c.out[SQ_SSD_O][0]);
  tcase_free(&c);
}

/* ---- state passing ------------------------------------------------------- */

/* Tokens [from, from + n) of a [B][T][w] tensor into a [B][n][w] one. */
static void slice(const float *src, float *dst, int64_t B, int64_t T, int64_t from, int64_t n, int64_t w) {
  for (int64_t b = 0; b < B; b++) memcpy(dst + b * n * w, src + (b * T + from) * w, sizeof(float) * (size_t)(n * w));
}

static void test_state_split(void) {
  const int64_t T1 = 6, T2 = 9, T = T1 + T2, B = 2, H = 4, P = 3, G = 2, N = 5;
  tcase whole, a, b;
  char s[160];
  const char *fmt = "B=2,T=%lld,H=4,P=3,G=2,N=5,has_z=1,state=1";
  snprintf(s, sizeof s, fmt, (long long)T);
  tcase_make(&whole, s, 1, NAN);
  snprintf(s, sizeof s, fmt, (long long)T1);
  tcase_make(&a, s, 1, NAN);
  snprintf(s, sizeof s, fmt, (long long)T2);
  tcase_make(&b, s, 1, NAN);
  const int tok[] = {SQ_SSD_X, SQ_SSD_Z, SQ_SSD_DT, SQ_SSD_BM, SQ_SSD_CM};
  const int64_t width[] = {H * P, H * P, H, G * N, G * N};
  for (int i = 0; i < 5; i++) {
    slice(whole.in[tok[i]], a.in[tok[i]], B, T, 0, T1, width[i]);
    slice(whole.in[tok[i]], b.in[tok[i]], B, T, T1, T2, width[i]);
  }
  const int par[] = {SQ_SSD_A, SQ_SSD_DSKIP, SQ_SSD_DT_BIAS};
  for (int i = 0; i < 3; i++) {
    memcpy(a.in[par[i]], whole.in[par[i]], sizeof(float) * (size_t)H);
    memcpy(b.in[par[i]], whole.in[par[i]], sizeof(float) * (size_t)H);
  }
  const int64_t ns = B * H * P * N;
  memcpy(a.in[SQ_SSD_H0], whole.in[SQ_SSD_H0], sizeof(float) * (size_t)ns);
  int64_t *rows = all_rows(T);
  int rc = run_ref(&whole, rows, T) || run_ref(&a, rows, T1);
  /* ht of the first part, as f32 (states are stored f32), is h0 of the second. */
  for (int64_t e = 0; e < ns; e++) b.in[SQ_SSD_H0][e] = (float)a.out[SQ_SSD_HT][e];
  rc = rc || run_ref(&b, rows, T2);
  double err = 0, big = 0;
  for (int64_t bb = 0; bb < B; bb++)
    for (int64_t t = 0; t < T; t++)
      for (int64_t j = 0; j < H * P; j++) {
        double w = whole.out[SQ_SSD_O][(bb * T + t) * H * P + j];
        double g = t < T1 ? a.out[SQ_SSD_O][(bb * T1 + t) * H * P + j] : b.out[SQ_SSD_O][(bb * T2 + t - T1) * H * P + j];
        err = fmax(err, fabs(w - g)), big = fmax(big, fabs(w));
      }
  for (int64_t e = 0; e < ns; e++)
    err = fmax(err, fabs(whole.out[SQ_SSD_HT][e] - b.out[SQ_SSD_HT][e])), big = fmax(big, fabs(whole.out[SQ_SSD_HT][e]));
  /* The f32 rounding of the passed state is the only difference. */
  tap_ok(!rc && err / big < 1e-6, "T=%lld then T=%lld with ht passed as h0 = one run over %lld (rel diff %.2g)",
         (long long)T1, (long long)T2, (long long)T, err / big);
  free(rows);
  tcase_free(&whole), tcase_free(&a), tcase_free(&b);
}

/* ---- sampled rows ------------------------------------------------------------ */

static void test_sampled_rows(int causal, int state) {
  tcase c;
  tcase_make(&c, state ? "B=2,T=40,H=3,P=4,N=5,state=1" : "B=2,T=40,H=3,P=4,N=5", causal, NAN);
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  const int64_t HP = c.H * c.P, n = c.B * c.T * HP, nh = c.B * c.H * c.P * c.N;
  double *full = malloc(sizeof(double) * (size_t)n), *full_ht = malloc(sizeof(double) * (size_t)(nh + 1));
  memcpy(full, c.out[SQ_SSD_O], sizeof(double) * (size_t)n);
  if (state) memcpy(full_ht, c.out[SQ_SSD_HT], sizeof(double) * (size_t)nh);
  const int64_t pick[] = {3, 11, 11, 20, 31};
  const int64_t np = 5;
  rc = rc || run_ref(&c, pick, np);
  int same = !rc;
  for (int64_t b = 0; b < c.B; b++)
    for (int64_t r = 0; r < np; r++)
      for (int64_t j = 0; j < HP; j++)
        same &= c.out[SQ_SSD_O][(b * np + r) * HP + j] == full[(b * c.T + pick[r]) * HP + j];
  for (int64_t e = 0; state && e < nh; e++) same &= c.out[SQ_SSD_HT][e] == full_ht[e];
  tap_ok(same, "%s%s: sampled rows 3, 11, 11, 20, 31 equal the full run's (layout [B][rows][H][P])%s",
         causal ? "causal" : "non-causal", state ? " with state" : "", state ? " and ht" : "");
  free(rows), free(full), free(full_ht);
  tcase_free(&c);
}

/* ---- weak and strong decays ------------------------------------------------ */

/* P = N = 1, x = B = C = 1, Dskip = 0, Delta = 1e-7 (no softplus):
 * o_{T-1} = Delta sum_k e^{-k Delta} = Delta expm1(-T Delta) / expm1(-Delta);
 * with A = 0 it is T Delta, about 2e-4 relatively more. */
static void test_weak_decay(void) {
  const int64_t T = 4096;
  tcase c[2];
  double o[2];
  int rc = 0;
  for (int i = 0; i < 2; i++) {
    tcase_make(&c[i], "T=4096,P=1,N=1,dt_softplus=0", 1, 0.0);
    for (int64_t t = 0; t < T; t++) c[i].in[SQ_SSD_X][t] = c[i].in[SQ_SSD_BM][t] = c[i].in[SQ_SSD_CM][t] = 1.0f;
    c[i].in[SQ_SSD_DT_BIAS][0] = 1e-7f, c[i].in[SQ_SSD_DSKIP][0] = 0.0f, c[i].in[SQ_SSD_A][0] = i ? 0.0f : -1.0f;
    int64_t last = T - 1;
    rc |= run_ref(&c[i], &last, 1);
    o[i] = c[i].out[SQ_SSD_O][0];
  }
  double d = (double)1e-7f, want = d * expm1(-(double)T * d) / expm1(-d);
  tap_ok(!rc && fabs(o[0] - want) < 1e-10 * want && fabs(o[1] - (double)T * d) < 1e-12 * o[1] &&
             o[1] - o[0] > 1e-4 * o[1],
         "decay 1e-7 per step over T=4096: %.12g (series %.12g); without decay %.12g", o[0], want, o[1]);
  tcase_free(&c[0]), tcase_free(&c[1]);
}

/* dt = 60 (Delta A ~ -60..-960) and dt = 1e4 through softplus (whose
 * exp would be Inf): the past is gone, o_t = Delta_t (C_t.B_t) x_t + D x_t,
 * finite everywhere, and ht = Delta x (x) B of the last token. */
static void test_strong_decay(double dt) {
  tcase c;
  tcase_make(&c, "B=1,T=50,H=2,P=3,N=4,state=1", 1, dt);
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  int finite = !rc;
  double err = 0, big = 0;
  for (int64_t t = 0; t < c.T; t++)
    for (int64_t h = 0; h < c.H; h++)
      for (int64_t p = 0; p < c.P; p++) {
        double d = dt + (double)c.in[SQ_SSD_DT_BIAS][h];
        double want = (d * cdotb(&c, 0, t, t, h) + c.in[SQ_SSD_DSKIP][h]) * xv(&c, SQ_SSD_X, 0, t, h, p);
        double got = c.out[SQ_SSD_O][(t * c.H + h) * c.P + p];
        finite &= isfinite(got);
        err = fmax(err, fabs(got - want)), big = fmax(big, fabs(want));
        for (int64_t n = 0; t == c.T - 1 && n < c.N; n++) {
          double hw = d * xv(&c, SQ_SSD_X, 0, t, h, p) * bc(&c, SQ_SSD_BM, 0, t, h, n);
          double hg = c.out[SQ_SSD_HT][(h * c.P + p) * c.N + n];
          finite &= isfinite(hg);
          err = fmax(err, fabs(hg - hw));
        }
      }
  tap_ok(finite && err <= 1e-12 * big, "dt=%g: finite, each token keeps only its own term (err %.2g of %.2g)", dt,
         err, big);
  free(rows);
  tcase_free(&c);
}

/* ---- refusals, cost, declaration, inputs ---------------------------------------- */

static void test_refusals(void) {
  tcase c;
  tcase_make(&c, "T=8,H=2,P=2,N=2,state=1", 1, NAN);
  const int64_t out_of_range[] = {2, 8}, unsorted[] = {5, 4};
  tap_ok(run_ref(&c, out_of_range, 2) == SQ_EINVAL && strstr(sq_last_error(), "row 8 outside [0, T=8)"),
         "a row past T is refused (%s)", sq_last_error());
  tap_ok(run_ref(&c, unsorted, 2) == SQ_EINVAL && strstr(sq_last_error(), "not sorted"),
         "unsorted rows are refused (%s)", sq_last_error());
  c.in[SQ_SSD_A][1] = 0.5f;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "A[1]"), "A > 0 is refused (%s)",
         sq_last_error());
  c.in[SQ_SSD_A][1] = -1.0f;
  c.p.causal = 0;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "needs a causal case"),
         "state=1 in a non-causal call is refused (%s)", sq_last_error());
  tcase_free(&c);
  tcase_make(&c, "T=8,H=2,P=2,N=2,has_z=1", 1, NAN);
  free(c.in[SQ_SSD_Z]);
  c.in[SQ_SSD_Z] = NULL;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "needs z"),
         "has_z=1 without z is refused (%s)", sq_last_error());
  tcase_free(&c);
}

static void test_row_cost(void) {
  tcase a;
  tcase_make(&a, "T=8,H=2,P=64,N=128", 1, NAN);
  double cost = sq_ssd_ref_row_cost(&a.p);
  tap_ok(cost >= 4.0 * 64 * 128 && cost <= 5.0 * 64 * 128,
         "row cost: %.0f flops per token and head of the scan (4..5 P N)", cost);
  tcase_free(&a);
}

/* The enums of kernels/ssd.h name the declaration's axes and tensors. */
static void test_declaration(void) {
  static const char *const axes[] = {"B", "T", "H", "P", "G", "N", "dt_softplus", "has_z", "state"};
  static const char *const tensors[] = {"x", "dt", "A", "Bm", "Cm", "Dskip", "dt_bias", "z", "h0", "o", "ht"};
  const int ax_idx[] = {SQ_SSD_B, SQ_SSD_T, SQ_SSD_H, SQ_SSD_P, SQ_SSD_G, SQ_SSD_N, SQ_SSD_DT_SOFTPLUS,
                        SQ_SSD_HAS_Z, SQ_SSD_STATE};
  const int t_idx[] = {SQ_SSD_X, SQ_SSD_DT, SQ_SSD_A, SQ_SSD_BM, SQ_SSD_CM, SQ_SSD_DSKIP, SQ_SSD_DT_BIAS,
                       SQ_SSD_Z, SQ_SSD_H0, SQ_SSD_O, SQ_SSD_HT};
  int ok = sq_op_naxes(&sq_op_ssd) == 9 && sq_op_ntensors(&sq_op_ssd) == 11;
  for (int i = 0; ok && i < 9; i++) ok = sq_op_axis_index(&sq_op_ssd, axes[i]) == ax_idx[i];
  for (int i = 0; ok && i < 11; i++) ok = !strcmp(sq_op_ssd.tensors[t_idx[i]].name, tensors[i]);
  tap_ok(ok, "kernels/ssd.h's axis and tensor indices match ssm.ssd's declaration");
  sq_problem p = {.causal = 1};
  sq_shape_parse_op(&sq_op_ssd, "T=8,H=6,P=2,G=3,N=2", 1, "test", &p.shape);
  tap_ok(ssd_group(&p, 0) == 0 && ssd_group(&p, 1) == 0 && ssd_group(&p, 2) == 1 && ssd_group(&p, 5) == 2,
         "heads 0,1 read group 0, heads 2,3 group 1, heads 4,5 group 2 (h div H/G)");
}

/* FAMILIES.md §2.3: A = -exp((r+1)/2 ln 16), dt = 0.5 r, softplus(dt_bias)
 * = dt0 = exp(ln 1e-3 + (r+1)/2 ln 100); without softplus dt and dt_bias
 * stay positive (§1.3); the other inputs are the draws. */
static void test_inits(void) {
  const float r0[5] = {-1.0f, -0.5f, 0.0f, 0.5f, 0.99999988f};
  float a[5], dt[5], bias[5], dt_np[5], bias_np[5];
  sq_shape s, snp;
  sq_shape_parse_op(&sq_op_ssd, "T=5,H=5,P=1", 1, "test", &s);
  sq_shape_parse_op(&sq_op_ssd, "T=5,H=5,P=1,dt_softplus=0", 1, "test", &snp);
  const sq_tensor *ta = &sq_op_ssd.tensors[SQ_SSD_A], *td = &sq_op_ssd.tensors[SQ_SSD_DT];
  const sq_tensor *tb = &sq_op_ssd.tensors[SQ_SSD_DT_BIAS];
  int ok = ta->init && td->init && tb->init;
  memcpy(a, r0, sizeof a), memcpy(dt, r0, sizeof a), memcpy(bias, r0, sizeof a);
  memcpy(dt_np, r0, sizeof a), memcpy(bias_np, r0, sizeof a);
  if (ok) {
    ta->init(&s, 1, a, 5), td->init(&s, 1, dt, 5), tb->init(&s, 1, bias, 5);
    td->init(&snp, 1, dt_np, 5), tb->init(&snp, 1, bias_np, 5);
  }
  for (int i = 0; ok && i < 5; i++) {
    double u = 0.5 * (r0[i] + 1.0), dt0 = 1e-3 * pow(100.0, u);
    ok &= fabs(a[i] + pow(16.0, u)) <= 1e-6 * pow(16.0, u);
    ok &= dt[i] == 0.5f * r0[i];
    ok &= fabs(log1p(exp((double)bias[i])) - dt0) <= 1e-5 * dt0;
    ok &= dt_np[i] > 0 && bias_np[i] > 0 && fabs(bias_np[i] - 0.5 * dt0) <= 1e-6 * dt0;
  }
  tap_ok(ok, "A in [-16, -1] (%.4g .. %.4g), dt = 0.5 r, softplus(dt_bias) in [1e-3, 1e-1] (%.4g .. %.4g)", a[0],
         a[4], log1p(exp((double)bias[0])), log1p(exp((double)bias[4])));
  const int plain[] = {SQ_SSD_X, SQ_SSD_BM, SQ_SSD_CM, SQ_SSD_DSKIP, SQ_SSD_Z, SQ_SSD_H0};
  ok = 1;
  for (int i = 0; i < 6; i++) ok &= !sq_op_ssd.tensors[plain[i]].init;
  tap_ok(ok, "x, Bm, Cm, Dskip, z and h0 are the draws as they are");
}

int main(void) {
  test_declaration();
  test_one_token();
  against_naive("B=2,T=13,H=3,P=3,N=4", 1, NAN);
  against_naive("B=2,T=13,H=3,P=3,N=4,state=1,has_z=1", 1, NAN);
  against_naive("B=1,T=12,H=6,P=2,G=3,N=3,state=1", 1, NAN);
  against_naive("B=2,T=11,H=4,P=3,G=2,N=5,has_z=1", 0, NAN);
  against_naive("B=1,T=9,H=2,P=2,N=3,dt_softplus=0,state=1", 1, NAN);
  against_naive("B=1,T=9,H=2,P=2,N=3,dt_softplus=0", 0, NAN);
  /* Steps of softplus(3 + bias) ~ 3: decays of e^-3 to e^-48 per token. */
  against_naive("B=1,T=10,H=2,P=2,N=2,state=1", 1, 3.0);
  against_naive("B=1,T=1,H=1,P=3,N=2,state=1", 1, NAN);
  against_naive("B=1,T=1,H=1,P=3,N=2", 0, NAN);
  test_state_split();
  for (int causal = 1; causal >= 0; causal--) test_sampled_rows(causal, 0);
  test_sampled_rows(1, 1);
  test_weak_decay();
  test_strong_decay(60.0);
  test_strong_decay(1e4);
  test_refusals();
  test_row_cost();
  test_inits();
  return tap_done();
}
