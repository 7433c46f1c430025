/* SPDX-License-Identifier: BSD-3-Clause */
/* The reference of wkv.rwkv7 (kernels/wkv7_ref.c) against the transition
 * written another way here, S_t = S_{t-1} (diag(d_t) + a_t b_t^T) + v_t k_t^T
 * as a matrix product: ragged sizes with and without h0; T = 1 by hand; a
 * sequence split in two with ht passed as h0 equals one run; sampled rows
 * equal the full run's; with §3.3's init the state stays bounded over 4000
 * steps at N = 64 (max|o| small), while independent uniform a and b blow
 * up; non-causal calls are refused; and the op's axes, tensors and input
 * transforms (a = -κ̂ with unit rows, b = κ̂ η). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/wkv7.h"
#include "tests/tap.h"

typedef struct tcase {
  sq_problem p;
  int64_t B, T, H, N;
  float *in[SQ_OP_MAX_TENSORS];
  double *out[SQ_OP_MAX_TENSORS];
} tcase;

static uint64_t rng = 0x13198a2e03707344ull;

static float draw(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (float)((double)((rng * 0x2545f4914f6cdd1dull) >> 40) / (double)(1u << 23) - 1.0);
}

static int tcase_make(tcase *c, const char *shape) {
  memset(c, 0, sizeof *c);
  if (sq_shape_parse_op(&sq_op_rwkv7, shape, 1, "test", &c->p.shape)) return -1;
  c->p.causal = 1;
  c->p.dtype = SQ_F32;
  c->B = w7_B(&c->p), c->T = w7_T(&c->p), c->H = w7_H(&c->p), c->N = w7_N(&c->p);
  for (int t = 0; t < sq_op_ntensors(&sq_op_rwkv7); t++) {
    const sq_tensor *ts = &sq_op_rwkv7.tensors[t];
    if (!sq_tensor_present(&c->p.shape, ts, 1)) continue;
    int64_t n = (int64_t)sq_tensor_elems(&c->p.shape, ts);
    if (ts->out) {
      c->out[t] = calloc((size_t)n + 1, sizeof(double));
      continue;
    }
    c->in[t] = malloc(sizeof(float) * ((size_t)n + 1));
    for (int64_t i = 0; i < n; i++) c->in[t][i] = draw();
    if (ts->init) ts->init(&c->p.shape, 1, c->in[t], n);
  }
  return 0;
}

static void tcase_free(tcase *c) {
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(c->in[t]), free(c->out[t]);
}

static int run_ref(tcase *c, const int64_t *rows, int64_t nrows) {
  sq_clear_error();
  return sq_wkv7_ref(&c->p, (const float *const *)c->in, rows, nrows, c->out);
}

static int64_t *all_rows(int64_t T) {
  int64_t *r = malloc(sizeof *r * (size_t)T);
  for (int64_t i = 0; i < T; i++) r[i] = i;
  return r;
}

/* The matrix form for every (b, h): M = diag(d) + a b^T, S <- S M + v k^T,
 * o = S r; returns max |ref - this| / max |this| over o and ht. */
static double matrix_err(const tcase *c) {
  const int64_t N = c->N, NN = N * N;
  double *S = malloc(sizeof(double) * (size_t)NN), *M = malloc(sizeof(double) * (size_t)NN);
  double *X = malloc(sizeof(double) * (size_t)NN);
  double num = 0, den = 1e-300, hnum = 0, hden = 1e-300;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t h = 0; h < c->H; h++) {
      int64_t bh = b * c->H + h;
      for (int64_t e = 0; e < NN; e++) S[e] = w7_state(&c->p) ? c->in[SQ_W7_H0][bh * NN + e] : 0.0;
      for (int64_t t = 0; t < c->T; t++) {
        int64_t x = ((b * c->T + t) * c->H + h) * N;
        const float *w = c->in[SQ_W7_W] + x, *a = c->in[SQ_W7_A] + x, *bb = c->in[SQ_W7_BB] + x;
        for (int64_t l = 0; l < N; l++)
          for (int64_t j = 0; j < N; j++) M[l * N + j] = (l == j ? exp(-exp((double)w[j])) : 0.0) + (double)a[l] * bb[j];
        for (int64_t i = 0; i < N; i++)
          for (int64_t j = 0; j < N; j++) {
            double s = (double)c->in[SQ_W7_V][x + i] * c->in[SQ_W7_K][x + j];
            for (int64_t l = 0; l < N; l++) s += S[i * N + l] * M[l * N + j];
            X[i * N + j] = s;
          }
        memcpy(S, X, sizeof(double) * (size_t)NN);
        for (int64_t i = 0; i < N; i++) {
          double y = 0;
          for (int64_t j = 0; j < N; j++) y += S[i * N + j] * c->in[SQ_W7_R][x + j];
          double got = c->out[SQ_W7_O][x + i];
          num = fmax(num, isfinite(got) ? fabs(got - y) : INFINITY);
          den = fmax(den, fabs(y));
        }
      }
      if (w7_state(&c->p))
        for (int64_t e = 0; e < NN; e++) {
          hnum = fmax(hnum, fabs(c->out[SQ_W7_HT][bh * NN + e] - S[e]));
          hden = fmax(hden, fabs(S[e]));
        }
    }
  free(S);
  free(M);
  free(X);
  return fmax(num / den, hnum / hden);
}

static void against_matrix(const char *shape) {
  tcase c;
  if (tcase_make(&c, shape)) {
    tap_ok(0, "%s: shape refused: %s", shape, sq_last_error());
    return;
  }
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  double e = rc ? INFINITY : matrix_err(&c);
  tap_ok(!rc && e < 1e-12, "%s: reference = the matrix form S (diag(d) + a b^T) + v k^T (rel err %.2g) %s", shape, e,
         rc ? sq_last_error() : "");
  free(rows);
  tcase_free(&c);
}

/* N = 2 from h0 by hand. */
static void one_token(void) {
  tcase c;
  tcase_make(&c, "T=1,N=2,state=1");
  const float r[2] = {0.5f, -1.0f}, w[2] = {-1.0f, 0.5f}, k[2] = {0.25f, 2.0f}, v[2] = {-0.5f, 1.5f};
  const float a[2] = {0.6f, -0.8f}, b[2] = {-0.3f, 0.4f}, h0[4] = {1.0f, -2.0f, 0.5f, 3.0f};
  for (int j = 0; j < 2; j++) {
    c.in[SQ_W7_R][j] = r[j], c.in[SQ_W7_W][j] = w[j], c.in[SQ_W7_K][j] = k[j];
    c.in[SQ_W7_V][j] = v[j], c.in[SQ_W7_A][j] = a[j], c.in[SQ_W7_BB][j] = b[j];
  }
  for (int e = 0; e < 4; e++) c.in[SQ_W7_H0][e] = h0[e];
  int64_t row = 0;
  int rc = run_ref(&c, &row, 1);
  double d = 0;
  for (int i = 0; i < 2; i++) {
    double sa = (double)h0[i * 2] * a[0] + (double)h0[i * 2 + 1] * a[1], y = 0;
    for (int j = 0; j < 2; j++) {
      double s = h0[i * 2 + j] * exp(-exp((double)w[j])) + sa * b[j] + (double)v[i] * k[j];
      d = fmax(d, fabs(c.out[SQ_W7_HT][i * 2 + j] - s));
      y += s * r[j];
    }
    d = fmax(d, fabs(c.out[SQ_W7_O][i] - y));
  }
  tap_ok(!rc && d < 1e-15, "T=1, N=2 from h0 by hand (max diff %.2g)", d);
  tcase_free(&c);
}

/* T = 50 in one run, then 20 + 30 with ht passed as h0. */
static void split(void) {
  tcase w, a, b;
  tcase_make(&w, "B=2,T=50,H=2,N=6,state=1");
  tcase_make(&a, "B=2,T=20,H=2,N=6,state=1");
  tcase_make(&b, "B=2,T=30,H=2,N=6,state=1");
  const int64_t BH = 4, N = 6, per = N;   /* [B][T][H][N]: a token row of all heads is H N */
  for (int t = 0; t < SQ_W7_H0; t++)
    for (int64_t bb = 0; bb < 2; bb++) {
      memcpy(a.in[t] + bb * 20 * 2 * per, w.in[t] + bb * 50 * 2 * per, sizeof(float) * 20 * 2 * per);
      memcpy(b.in[t] + bb * 30 * 2 * per, w.in[t] + (bb * 50 + 20) * 2 * per, sizeof(float) * 30 * 2 * per);
    }
  memcpy(a.in[SQ_W7_H0], w.in[SQ_W7_H0], sizeof(float) * BH * N * N);
  int64_t *rows = all_rows(50);
  int rc = run_ref(&w, rows, 50) || run_ref(&a, rows, 20);
  for (int64_t e = 0; e < BH * N * N; e++) b.in[SQ_W7_H0][e] = (float)a.out[SQ_W7_HT][e];
  rc = rc || run_ref(&b, rows, 30);
  double d = 0;
  for (int64_t bb = 0; bb < 2; bb++)
    for (int64_t i = 0; i < 50 * 2 * per; i++) {
      double whole = w.out[SQ_W7_O][bb * 50 * 2 * per + i];
      double part = i < 20 * 2 * per ? a.out[SQ_W7_O][bb * 20 * 2 * per + i] : b.out[SQ_W7_O][bb * 30 * 2 * per + i - 20 * 2 * per];
      d = fmax(d, fabs(whole - part));
    }
  for (int64_t e = 0; e < BH * N * N; e++) d = fmax(d, fabs(w.out[SQ_W7_HT][e] - b.out[SQ_W7_HT][e]));
  /* ht passes through f32 as h0 does in the harness. */
  tap_ok(!rc && d < 1e-6, "T=50 as 20 + 30 with ht passed as h0 = one run (max diff %.2g)", d);
  free(rows);
  tcase_free(&w);
  tcase_free(&a);
  tcase_free(&b);
}

static void sampled_rows(void) {
  tcase c;
  tcase_make(&c, "B=2,T=40,H=2,N=5");
  int64_t *rows = all_rows(40);
  run_ref(&c, rows, 40);
  const int64_t n = 2 * 40 * 2 * 5;
  double *full = malloc(sizeof(double) * (size_t)n);
  memcpy(full, c.out[SQ_W7_O], sizeof(double) * (size_t)n);
  const int64_t some[] = {0, 9, 33, 39};
  int rc = run_ref(&c, some, 4);
  double d = 0;
  for (int64_t b = 0; b < 2; b++)
    for (int r = 0; r < 4; r++)
      for (int e = 0; e < 10; e++) d = fmax(d, fabs(c.out[SQ_W7_O][(b * 4 + r) * 10 + e] - full[(b * 40 + some[r]) * 10 + e]));
  tap_ok(!rc && d == 0, "sampled rows equal the full run's (max diff %g)", d);
  free(full);
  free(rows);
  tcase_free(&c);
}

/* §3.3: with the normalised a and b, S stays bounded over 4000 steps. */
static void bounded(void) {
  tcase c;
  tcase_make(&c, "B=1,T=4000,H=1,N=64,state=1");
  int64_t *rows = all_rows(4000);
  int rc = run_ref(&c, rows, 4000);
  double om = 0, sm = 0;
  for (int64_t i = 0; i < 4000 * 64; i++) om = fmax(om, fabs(c.out[SQ_W7_O][i]));
  for (int64_t i = 0; i < 64 * 64; i++) sm = fmax(sm, fabs(c.out[SQ_W7_HT][i]));
  /* |o_i| <= |S_i.| |r| <= max|S| N: bounded by N times a state of order 1. */
  tap_ok(!rc && om < 64 && sm < 10, "N=64, 4000 steps with the init: max|ht| = %.3g, max|o| = %.3g stay small", sm,
         om);
  /* The same with independent uniform a and b: the state blows up. */
  for (int64_t i = 0; i < 4000 * 64; i++) c.in[SQ_W7_A][i] = draw(), c.in[SQ_W7_BB][i] = draw();
  rc = run_ref(&c, rows, 300);
  double bm = 0;
  for (int64_t i = 0; i < 300 * 64; i++) bm = fmax(bm, fabs(c.out[SQ_W7_O][i]));
  tap_ok(!rc && !(bm < 1e20), "uniform a and b instead: max|o| = %.3g within 300 steps", bm);
  free(rows);
  tcase_free(&c);
}

static void refusals(void) {
  tcase c;
  tcase_make(&c, "B=1,T=10,H=1,N=4");
  c.p.causal = 0;
  int64_t row = 0;
  int rc = run_ref(&c, &row, 1);
  tap_ok(rc == SQ_EINVAL && strstr(sq_last_error(), "causal"), "a non-causal call is refused (%s)", sq_last_error());
  c.p.causal = 1;
  int64_t rows[] = {4, 2};
  rc = run_ref(&c, rows, 2);
  tap_ok(rc == SQ_EINVAL && strstr(sq_last_error(), "sorted"), "unsorted rows are refused (%s)", sq_last_error());
  tcase_free(&c);
  sq_shape s;
  char why[200] = "";
  int prc = sq_shape_parse_op(&sq_op_rwkv7, "T=10", 0, "test", &s);
  snprintf(why, sizeof why, "%s", sq_last_error());
  tap_ok(prc == SQ_EINVAL && strstr(why, "causal only"), "the op refuses a non-causal shape (%s)", why);
}

static void declaration(void) {
  static const char *axes[] = {"B", "T", "H", "N", "state"};
  static const char *tensors[] = {"r", "w", "k", "v", "a", "b", "h0", "o", "ht"};
  int ok = 1;
  for (int i = 0; ok && i < 5; i++) ok = sq_op_axis_index(&sq_op_rwkv7, axes[i]) == i;
  for (int i = 0; ok && i < 9; i++) ok = !strcmp(sq_op_rwkv7.tensors[i].name, tensors[i]);
  tap_ok(ok && !sq_op_rwkv7.causal_key, "kernels/wkv7.h's indices match wkv.rwkv7's declaration; no causal key");
  tcase c;
  tcase_make(&c, "B=2,T=50,H=3,N=16");
  double wlo = INFINITY, whi = -INFINITY, nerr = 0, elo = INFINITY, ehi = -INFINITY;
  for (int64_t g = 0; g < 2 * 50 * 3; g++) {
    double n2 = 0;
    for (int j = 0; j < 16; j++) {
      int64_t i = g * 16 + j;
      double a = c.in[SQ_W7_A][i], b = c.in[SQ_W7_BB][i];
      n2 += a * a;
      wlo = fmin(wlo, c.in[SQ_W7_W][i]), whi = fmax(whi, c.in[SQ_W7_W][i]);
      if (fabs(a) > 1e-6) elo = fmin(elo, -b / a), ehi = fmax(ehi, -b / a);
    }
    nerr = fmax(nerr, fabs(sqrt(n2) - 1.0));
  }
  tap_ok(wlo >= -6.0 && whi <= -0.5 && nerr < 1e-6 && elo > 0.119 && ehi < 0.881,
         "init: w in [%.3g, %.3g], |a| = 1 per (b, t, h) (off by %.2g), b / -a = η in [%.3g, %.3g]", wlo, whi, nerr,
         elo, ehi);
  tcase_free(&c);
}

int main(void) {
  declaration();
  one_token();
  static const char *shapes[] = {"B=1,T=1,H=1,N=1", "B=2,T=13,H=3,N=7", "B=1,T=30,H=2,N=16,state=1",
                                 "B=1,T=9,H=1,N=33,state=1", "B=2,T=5,H=1,N=1,state=1"};
  for (int i = 0; i < 5; i++) against_matrix(shapes[i]);
  split();
  sampled_rows();
  bounded();
  refusals();
  return tap_done();
}
