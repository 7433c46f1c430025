/* SPDX-License-Identifier: BSD-3-Clause */
/* The reference of wkv.rwkv4 (kernels/wkv4_ref.c) against the formula of
 * FAMILIES.md §3.1 evaluated directly here, a sum over every pair (t, i) in
 * plain double exponentials: causal and Bi-WKV, ragged sizes, T = 1 (o = v),
 * Bi-WKV's growth (w < 0), k = ±100 (the reference must stay finite and
 * exact where e^k overflows f32); sampled rows equal the full run's; a
 * strong decay keeps only the token itself and its predecessor; malformed
 * calls (w <= 0 causal, unsorted rows) are refused; and the op's axes,
 * tensors and input transforms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/wkv4.h"
#include "tests/tap.h"

typedef struct tcase {
  sq_problem p;
  int64_t B, T, C;
  float *in[SQ_OP_MAX_TENSORS];
  double *out[SQ_OP_MAX_TENSORS];
} tcase;

static uint64_t rng = 0x243f6a8885a308d3ull;

/* Uniform in [-1, 1) (xorshift64*). */
static float draw(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (float)((double)((rng * 0x2545f4914f6cdd1dull) >> 40) / (double)(1u << 23) - 1.0);
}

/* Parses the shape and fills the inputs through the op's transforms. */
static int tcase_make(tcase *c, const char *shape, int causal) {
  memset(c, 0, sizeof *c);
  if (sq_shape_parse_op(&sq_op_rwkv4, shape, causal, "test", &c->p.shape)) return -1;
  c->p.causal = causal;
  c->p.dtype = SQ_F32;
  c->B = w4_B(&c->p), c->T = w4_T(&c->p), c->C = w4_C(&c->p);
  for (int t = 0; t < sq_op_ntensors(&sq_op_rwkv4); t++) {
    const sq_tensor *ts = &sq_op_rwkv4.tensors[t];
    int64_t n = (int64_t)sq_tensor_elems(&c->p.shape, ts);
    if (ts->out) {
      c->out[t] = calloc((size_t)n + 1, sizeof(double));
      continue;
    }
    c->in[t] = malloc(sizeof(float) * ((size_t)n + 1));
    for (int64_t i = 0; i < n; i++) c->in[t][i] = draw();
    if (ts->init) ts->init(&c->p.shape, causal, c->in[t], n);
  }
  return 0;
}

static void tcase_free(tcase *c) {
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(c->in[t]), free(c->out[t]);
}

static int run_ref(tcase *c, const int64_t *rows, int64_t nrows) {
  sq_clear_error();
  return sq_wkv4_ref(&c->p, (const float *const *)c->in, rows, nrows, c->out);
}

static int64_t *all_rows(int64_t T) {
  int64_t *r = malloc(sizeof *r * (size_t)T);
  for (int64_t i = 0; i < T; i++) r[i] = i;
  return r;
}

/* The formula: every i (i < t when causal) with e^{-(|t-i|-1)w + k_i},
 * e^{u + k_t} for i = t. Plain exponentials: only for |k| small enough,
 * or shifted by `shift` (the same for every term of a row). */
static double direct(const tcase *c, int64_t b, int64_t t, int64_t ch, double shift) {
  const float *k = c->in[SQ_W4_K], *v = c->in[SQ_W4_V];
  double w = c->in[SQ_W4_W][ch], u = c->in[SQ_W4_U][ch], num = 0, den = 0;
  for (int64_t i = 0; i < c->T; i++) {
    if (c->p.causal && i > t) break;
    int64_t x = (b * c->T + i) * c->C + ch;
    double e = i == t ? u + k[x] : -(double)(llabs(t - i) - 1) * w + k[x];
    e = exp(e - shift);
    num += e * v[x];
    den += e;
  }
  return num / den;
}

/* max |ref - direct| / max |direct| over every output. */
static double direct_err(const tcase *c, double shift) {
  double num = 0, den = 1e-300;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t t = 0; t < c->T; t++)
      for (int64_t ch = 0; ch < c->C; ch++) {
        double want = direct(c, b, t, ch, shift), got = c->out[SQ_W4_O][(b * c->T + t) * c->C + ch];
        num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
        den = fmax(den, fabs(want));
      }
  return num / den;
}

/* k = ±kmag at random (0: drawn as initialised), w = wset everywhere (NAN:
 * drawn). */
static void against_direct(const char *shape, int causal, double kmag, double wset, const char *what) {
  tcase c;
  if (tcase_make(&c, shape, causal)) {
    tap_ok(0, "%s: shape refused: %s", shape, sq_last_error());
    return;
  }
  if (kmag > 0)
    for (int64_t i = 0; i < c.B * c.T * c.C; i++) c.in[SQ_W4_K][i] = (float)(draw() < 0 ? -kmag : kmag);
  if (!isnan(wset))
    for (int64_t i = 0; i < c.C; i++) c.in[SQ_W4_W][i] = (float)wset;
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  double e = rc ? INFINITY : direct_err(&c, kmag);
  tap_ok(!rc && e < 1e-12, "%s %s %s: reference = direct sum over pairs (rel err %.2g) %s",
         causal ? "causal" : "Bi-WKV", shape, what, e, rc ? sq_last_error() : "");
  free(rows);
  tcase_free(&c);
}

static void one_token(void) {
  for (int causal = 1; causal >= 0; causal--) {
    tcase c;
    tcase_make(&c, "B=2,T=1,C=3", causal);
    int64_t row = 0;
    int rc = run_ref(&c, &row, 1);
    double d = 0;
    for (int i = 0; i < 6; i++) d = fmax(d, fabs(c.out[SQ_W4_O][i] - c.in[SQ_W4_V][i]));
    tap_ok(!rc && d == 0, "%s T=1: o = v exactly (max diff %g)", causal ? "causal" : "Bi-WKV", d);
    tcase_free(&c);
  }
}

/* Rows 0, 5, 17, T-1 alone equal the same rows of the full run. */
static void sampled_rows(void) {
  for (int causal = 1; causal >= 0; causal--) {
    tcase c;
    tcase_make(&c, "B=2,T=40,C=5", causal);
    int64_t *rows = all_rows(40);
    run_ref(&c, rows, 40);
    double *full = malloc(sizeof(double) * 2 * 40 * 5);
    memcpy(full, c.out[SQ_W4_O], sizeof(double) * 2 * 40 * 5);
    const int64_t some[] = {0, 5, 17, 39};
    int rc = run_ref(&c, some, 4);
    double d = 0;
    for (int64_t b = 0; b < 2; b++)
      for (int r = 0; r < 4; r++)
        for (int ch = 0; ch < 5; ch++)
          d = fmax(d, fabs(c.out[SQ_W4_O][(b * 4 + r) * 5 + ch] - full[(b * 40 + some[r]) * 5 + ch]));
    tap_ok(!rc && d == 0, "%s: sampled rows equal the full run's (max diff %g)", causal ? "causal" : "Bi-WKV", d);
    free(full);
    free(rows);
    tcase_free(&c);
  }
}

/* w = 1e4: every earlier token decays to nothing but the one just before
 * (distance 1 has no decay), so o_t mixes v_{t-1} and v_t (and v_{t+1} in
 * Bi-WKV) by their weights e^{k} and e^{u+k}. */
static void strong_decay(void) {
  for (int causal = 1; causal >= 0; causal--) {
    tcase c;
    tcase_make(&c, "B=1,T=30,C=2", causal);
    for (int ch = 0; ch < 2; ch++) c.in[SQ_W4_W][ch] = 1e4f;
    int64_t *rows = all_rows(30);
    int rc = run_ref(&c, rows, 30);
    double d = 0;
    for (int64_t t = 0; t < 30; t++)
      for (int ch = 0; ch < 2; ch++) {
        double num = 0, den = 0;
        for (int64_t i = t - 1; i <= t + (causal ? 0 : 1); i++) {
          if (i < 0 || i >= 30) continue;
          double e = exp((i == t ? c.in[SQ_W4_U][ch] : 0.0) + c.in[SQ_W4_K][i * 2 + ch]);
          num += e * c.in[SQ_W4_V][i * 2 + ch];
          den += e;
        }
        d = fmax(d, fabs(c.out[SQ_W4_O][t * 2 + ch] - num / den));
      }
    tap_ok(!rc && d < 1e-12, "%s w = 1e4: only the neighbours are left (max diff %.2g)",
           causal ? "causal" : "Bi-WKV", d);
    free(rows);
    tcase_free(&c);
  }
}

static void refusals(void) {
  tcase c;
  tcase_make(&c, "B=1,T=10,C=4", 1);
  c.in[SQ_W4_W][2] = 0.0f;
  int64_t rows[] = {3, 1};
  int rc = run_ref(&c, rows, 1);
  tap_ok(rc == SQ_EINVAL && strstr(sq_last_error(), "w[2]"), "causal w = 0 is refused (%s)", sq_last_error());
  c.in[SQ_W4_W][2] = 0.5f;
  rc = run_ref(&c, rows, 2);
  tap_ok(rc == SQ_EINVAL && strstr(sq_last_error(), "sorted"), "unsorted rows are refused (%s)", sq_last_error());
  int64_t far = 10;
  rc = run_ref(&c, &far, 1);
  tap_ok(rc == SQ_EINVAL, "a row past T is refused (%s)", sq_last_error());
  tcase_free(&c);
}

/* kernels/wkv4.h's indices are the declaration's; the inits are §3.1's. */
static void declaration(void) {
  static const char *axes[] = {"B", "T", "C"};
  static const char *tensors[] = {"w", "u", "k", "v", "o"};
  int ok = 1;
  for (int i = 0; ok && i < 3; i++) ok = sq_op_axis_index(&sq_op_rwkv4, axes[i]) == i;
  for (int i = 0; ok && i < 5; i++) ok = !strcmp(sq_op_rwkv4.tensors[i].name, tensors[i]);
  tap_ok(ok && sq_op_rwkv4.causal_key, "kernels/wkv4.h's indices match wkv.rwkv4's declaration; case.json has causal");
  for (int causal = 1; causal >= 0; causal--) {
    tcase c;
    tcase_make(&c, "B=1,T=1000,C=512", causal);
    double wlo = INFINITY, whi = -INFINITY, ulo = INFINITY, uhi = -INFINITY, kmax = 0;
    for (int i = 0; i < 512; i++) {
      wlo = fmin(wlo, c.in[SQ_W4_W][i]), whi = fmax(whi, c.in[SQ_W4_W][i]);
      ulo = fmin(ulo, c.in[SQ_W4_U][i]), uhi = fmax(uhi, c.in[SQ_W4_U][i]);
    }
    for (int i = 0; i < 1000 * 512; i++) kmax = fmax(kmax, fabs(c.in[SQ_W4_K][i]));
    double s = causal ? 1.0 : 1000.0;
    int wok = causal ? wlo >= exp(-4.0) - 1e-6 && whi <= exp(1.0) + 1e-6 && wlo < 0.03 && whi > 2.0
                     : wlo >= -5.0 / s - 1e-9 && whi <= 3.0 / s + 1e-9 && wlo < 0;
    tap_ok(wok && ulo >= -1.7 / s - 1e-7 && uhi <= -0.7 / s + 1e-7 && kmax <= 2.0 && kmax > 1.9,
           "%s init: w in [%.3g, %.3g], u in [%.3g, %.3g], |k| <= %.3g", causal ? "causal" : "Bi-WKV", wlo, whi,
           ulo, uhi, kmax);
    tcase_free(&c);
  }
}

int main(void) {
  declaration();
  one_token();
  static const char *shapes[] = {"B=1,T=2,C=1", "B=2,T=37,C=5", "B=1,T=130,C=3", "B=3,T=64,C=2"};
  for (int causal = 1; causal >= 0; causal--)
    for (int i = 0; i < 4; i++) against_direct(shapes[i], causal, 0, NAN, "drawn");
  against_direct("B=1,T=200,C=4", 0, 0, -0.02, "growth w = -0.02");
  for (int causal = 1; causal >= 0; causal--) against_direct("B=2,T=60,C=3", causal, 100, NAN, "k = ±100");
  against_direct("B=1,T=60,C=3", 0, 100, -0.05, "k = ±100 with growth");
  sampled_rows();
  strong_decay();
  refusals();
  return tap_done();
}
