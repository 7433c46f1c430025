/* SPDX-License-Identifier: BSD-3-Clause */
/* The RWKV-6 reference (kernels/wkv6_ref.c) against cases computed another
 * way: T = 1 by hand; tiny cases by the direct O(T^2) form of FAMILIES.md
 * §3.2 written out here (the weight of key s at query t is the product of
 * the decays strictly between them, u on the diagonal; the bidirectional
 * form adds every later key without the bonus), causal with h0 and ht and
 * bidirectional, N = 1 to 5; a sequence split in two with ht passed as h0
 * equals one run; sampled rows equal the full run's rows; the geometric
 * series of a constant decay at T = 65536 for a weak decay (w = -9, d ≈
 * 0.99988) and a strong one (w = 2, d ≈ 6e-4), both modes, and w = 80
 * (d = 0: only neighbours remain) without a NaN; malformed calls are refused; the op's axis and
 * tensor indices and its input transforms (FAMILIES.md §3.2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/wkv6.h"
#include "tests/tap.h"

/* One case: the problem, its inputs as float and the reference's outputs. */
typedef struct tcase {
  sq_problem p;
  int64_t B, T, H, N;
  float *in[SQ_OP_MAX_TENSORS];
  double *out[SQ_OP_MAX_TENSORS];
} tcase;

static uint64_t rng = 0x13198a2e03707344ull;

/* Uniform in [-1, 1) (xorshift64*). */
static float draw(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (float)((double)((rng * 0x2545f4914f6cdd1dull) >> 40) / (double)(1u << 23) - 1.0);
}

/* Parses the shape, allocates every present tensor and fills the inputs
 * uniform in [-1, 1): w in [-6, 1] (decays from 0.066 to 0.9975) unless
 * `w` is not NaN, then w everywhere. */
static int tcase_make(tcase *c, const char *shape, int causal, double w) {
  memset(c, 0, sizeof *c);
  if (sq_shape_parse_op(&sq_op_rwkv6, shape, causal, "test", &c->p.shape)) return -1;
  c->p.causal = causal;
  c->p.dtype = SQ_F32;
  c->B = wkv6_B(&c->p), c->T = wkv6_T(&c->p), c->H = wkv6_H(&c->p), c->N = wkv6_N(&c->p);
  for (int t = 0; t < sq_op_ntensors(&sq_op_rwkv6); t++) {
    const sq_tensor *ts = &sq_op_rwkv6.tensors[t];
    if (!sq_tensor_present(&c->p.shape, ts, causal)) continue;
    int64_t n = (int64_t)sq_tensor_elems(&c->p.shape, ts);
    if (ts->out) {
      c->out[t] = calloc((size_t)n + 1, sizeof(double));
      continue;
    }
    c->in[t] = malloc(sizeof(float) * ((size_t)n + 1));
    for (int64_t i = 0; i < n; i++) c->in[t][i] = draw();
    if (t == SQ_WKV6_W)
      for (int64_t i = 0; i < n; i++) c->in[t][i] = isnan(w) ? (float)(-2.5 + 3.5 * c->in[t][i]) : (float)w;
  }
  return 0;
}

static void tcase_free(tcase *c) {
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(c->in[t]), free(c->out[t]);
}

static int64_t *all_rows(int64_t T) {
  int64_t *r = malloc(sizeof *r * (size_t)T);
  for (int64_t i = 0; i < T; i++) r[i] = i;
  return r;
}

static int run_ref(tcase *c, const int64_t *rows, int64_t nrows) {
  sq_clear_error();
  return sq_wkv6_ref(&c->p, (const float *const *)c->in, rows, nrows, c->out);
}

/* ---- the direct form, independently -------------------------------------- */

/* Element (b, t, h, i) of a [B][T][H][N] input. */
static double at(const tcase *c, int slot, int64_t b, int64_t t, int64_t h, int64_t i) {
  return c->in[slot][((b * c->T + t) * c->H + h) * c->N + i];
}

/* prod_{m = from .. to} d_m[i] = exp(-sum exp(w_m[i])) (1 when from > to). */
static double decay(const tcase *c, int64_t b, int64_t h, int64_t from, int64_t to, int64_t i) {
  double s = 0;
  for (int64_t m = from; m <= to; m++) s += exp(at(c, SQ_WKV6_W, b, m, h, i));
  return exp(-s);
}

/* o_t[j] = sum_s sum_i r_t[i] k_s[i] W_i(t, s) v_s[j] (+ the h0 term,
 * causal): W = prod_{s<m<t} d_m for s < t, u for s = t, and, bidirectional,
 * prod_{t<m<s} d_m for s > t. */
static double direct_o(const tcase *c, int64_t b, int64_t h, int64_t t, int64_t j) {
  double o = 0;
  for (int64_t s = 0; s < c->T; s++) {
    if (c->p.causal && s > t) break;
    double score = 0;
    for (int64_t i = 0; i < c->N; i++) {
      double w = s == t ? c->in[SQ_WKV6_U][h * c->N + i]
                 : s < t ? decay(c, b, h, s + 1, t - 1, i) : decay(c, b, h, t + 1, s - 1, i);
      score += at(c, SQ_WKV6_R, b, t, h, i) * at(c, SQ_WKV6_K, b, s, h, i) * w;
    }
    o += score * at(c, SQ_WKV6_V, b, s, h, j);
  }
  if (wkv6_state(&c->p))
    for (int64_t i = 0; i < c->N; i++)
      o += at(c, SQ_WKV6_R, b, t, h, i) * decay(c, b, h, 0, t - 1, i) *
           c->in[SQ_WKV6_H0][((b * c->H + h) * c->N + i) * c->N + j];
  return o;
}

/* ht[i][j] = sum_s prod_{s<m<T} d_m[i] k_s[i] v_s[j] + prod_{m<T} d_m[i] h0[i][j]. */
static double direct_ht(const tcase *c, int64_t b, int64_t h, int64_t i, int64_t j) {
  double x = decay(c, b, h, 0, c->T - 1, i) * c->in[SQ_WKV6_H0][((b * c->H + h) * c->N + i) * c->N + j];
  for (int64_t s = 0; s < c->T; s++)
    x += decay(c, b, h, s + 1, c->T - 1, i) * at(c, SQ_WKV6_K, b, s, h, i) * at(c, SQ_WKV6_V, b, s, h, j);
  return x;
}

/* max |ref - direct| / max |direct| over o (every row) and ht. */
static double direct_err(const tcase *c) {
  double num = 0, den = 1e-300, e;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t t = 0; t < c->T; t++)
      for (int64_t h = 0; h < c->H; h++)
        for (int64_t j = 0; j < c->N; j++) {
          double want = direct_o(c, b, h, t, j), got = c->out[SQ_WKV6_O][((b * c->T + t) * c->H + h) * c->N + j];
          num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
          den = fmax(den, fabs(want));
        }
  e = num / den;
  if (!wkv6_state(&c->p)) return e;
  num = 0, den = 1e-300;
  for (int64_t b = 0; b < c->B; b++)
    for (int64_t h = 0; h < c->H; h++)
      for (int64_t i = 0; i < c->N; i++)
        for (int64_t j = 0; j < c->N; j++) {
          double want = direct_ht(c, b, h, i, j), got = c->out[SQ_WKV6_HT][((b * c->H + h) * c->N + i) * c->N + j];
          num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
          den = fmax(den, fabs(want));
        }
  return fmax(e, num / den);
}

static void against_direct(const char *shape, int causal, double w) {
  tcase c;
  if (tcase_make(&c, shape, causal, w)) {
    tap_ok(0, "%s: shape refused: %s", shape, sq_last_error());
    return;
  }
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  double e = rc ? INFINITY : direct_err(&c);
  char wtext[32];
  snprintf(wtext, sizeof wtext, isnan(w) ? "in [-6, 1]" : "%g", w);
  tap_ok(!rc && e < 1e-12, "%s %s, w %s: reference = direct O(T^2) form (rel err %.2g) %s",
         causal ? "causal" : "bidirectional", shape, wtext, e, rc ? sq_last_error() : "");
  free(rows);
  tcase_free(&c);
}

/* ---- T = 1 by hand --------------------------------------------------------- */

static void test_one_token(void) {
  /* N = 1, causal with state: o = r (h0 + u k v), ht = d h0 + k v. */
  tcase c;
  tcase_make(&c, "T=1,N=1,state=1", 1, NAN);
  float r = 0.75f, k = -0.5f, v = 0.25f, h0 = 2.0f, w = -1.5f, u = 0.375f;
  c.in[SQ_WKV6_R][0] = r, c.in[SQ_WKV6_K][0] = k, c.in[SQ_WKV6_V][0] = v, c.in[SQ_WKV6_H0][0] = h0;
  c.in[SQ_WKV6_W][0] = w, c.in[SQ_WKV6_U][0] = u;
  int64_t row = 0;
  double o = 0.75 * (2.0 + 0.375 * -0.5 * 0.25), ht = exp(-exp(-1.5)) * 2.0 + -0.5 * 0.25;
  int rc = run_ref(&c, &row, 1);
  tap_ok(!rc && fabs(c.out[SQ_WKV6_O][0] - o) < 1e-15 && fabs(c.out[SQ_WKV6_HT][0] - ht) < 1e-15,
         "T=1 causal with state: o = %.17g (want %.17g), ht = %.17g (want %.17g)", c.out[SQ_WKV6_O][0], o,
         c.out[SQ_WKV6_HT][0], ht);
  tcase_free(&c);
  /* Bidirectional, N = 2: only the bonus, o_j = (sum_i r_i u_i k_i) v_j. */
  tcase_make(&c, "T=1,N=2", 0, NAN);
  const float rv[] = {1, 2}, kv[] = {3, -1}, vv[] = {0.5f, -2}, uv[] = {0.25f, 1};
  for (int i = 0; i < 2; i++)
    c.in[SQ_WKV6_R][i] = rv[i], c.in[SQ_WKV6_K][i] = kv[i], c.in[SQ_WKV6_V][i] = vv[i], c.in[SQ_WKV6_U][i] = uv[i];
  rc = run_ref(&c, &row, 1);
  double ruk = 1 * 0.25 * 3 + 2 * 1 * -1;
  tap_ok(!rc && c.out[SQ_WKV6_O][0] == ruk * 0.5 && c.out[SQ_WKV6_O][1] == ruk * -2,
         "T=1 bidirectional: o = (r.u.k) v = (%g, %g)", c.out[SQ_WKV6_O][0], c.out[SQ_WKV6_O][1]);
  tcase_free(&c);
}

/* ---- state passing ---------------------------------------------------------- */

/* Tokens [from, from + n) of a [B][T][inner] tensor into a [B][n][inner] one. */
static void slice(const float *src, float *dst, int64_t B, int64_t T, int64_t from, int64_t n, int64_t inner) {
  for (int64_t b = 0; b < B; b++)
    memcpy(dst + b * n * inner, src + (b * T + from) * inner, sizeof(float) * (size_t)(n * inner));
}

static void test_state_split(void) {
  const int64_t T1 = 6, T2 = 9, T = T1 + T2, B = 2, H = 2, N = 3, inner = H * N, ns = B * H * N * N;
  tcase whole, a, b;
  tcase_make(&whole, "B=2,T=15,H=2,N=3,state=1", 1, NAN);
  tcase_make(&a, "B=2,T=6,H=2,N=3,state=1", 1, NAN);
  tcase_make(&b, "B=2,T=9,H=2,N=3,state=1", 1, NAN);
  const int tok[] = {SQ_WKV6_R, SQ_WKV6_K, SQ_WKV6_V, SQ_WKV6_W};
  for (int i = 0; i < 4; i++) {
    slice(whole.in[tok[i]], a.in[tok[i]], B, T, 0, T1, inner);
    slice(whole.in[tok[i]], b.in[tok[i]], B, T, T1, T2, inner);
  }
  memcpy(a.in[SQ_WKV6_U], whole.in[SQ_WKV6_U], sizeof(float) * (size_t)inner);
  memcpy(b.in[SQ_WKV6_U], whole.in[SQ_WKV6_U], sizeof(float) * (size_t)inner);
  memcpy(a.in[SQ_WKV6_H0], whole.in[SQ_WKV6_H0], sizeof(float) * (size_t)ns);
  int64_t *rows = all_rows(T);
  int rc = run_ref(&whole, rows, T) || run_ref(&a, rows, T1);
  /* ht of the first part, as f32 (states are stored f32), is h0 of the second. */
  for (int64_t e = 0; e < ns; e++) b.in[SQ_WKV6_H0][e] = (float)a.out[SQ_WKV6_HT][e];
  rc = rc || run_ref(&b, rows, T2);
  double err = 0, big = 0;
  for (int64_t bb = 0; bb < B; bb++)
    for (int64_t t = 0; t < T; t++)
      for (int64_t e = 0; e < inner; e++) {
        double w = whole.out[SQ_WKV6_O][(bb * T + t) * inner + e];
        double g = t < T1 ? a.out[SQ_WKV6_O][(bb * T1 + t) * inner + e]
                          : b.out[SQ_WKV6_O][(bb * T2 + t - T1) * inner + e];
        err = fmax(err, fabs(w - g)), big = fmax(big, fabs(w));
      }
  for (int64_t e = 0; e < ns; e++) {
    err = fmax(err, fabs(whole.out[SQ_WKV6_HT][e] - b.out[SQ_WKV6_HT][e]));
    big = fmax(big, fabs(whole.out[SQ_WKV6_HT][e]));
  }
  /* The f32 rounding of the passed state is the only difference. */
  tap_ok(!rc && err / big < 1e-6, "T=6 then T=9 with ht passed as h0 = one run over 15 (rel diff %.2g)", err / big);
  free(rows);
  tcase_free(&whole), tcase_free(&a), tcase_free(&b);
}

/* ---- sampled rows ------------------------------------------------------------ */

static void test_sampled_rows(int causal, int state) {
  tcase c;
  tcase_make(&c, state ? "B=2,T=40,H=3,N=4,state=1" : "B=2,T=40,H=3,N=4", causal, NAN);
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  int64_t inner = c.H * c.N, n = c.B * c.T * inner, nh = c.B * c.H * c.N * c.N;
  double *full = malloc(sizeof(double) * (size_t)n), *full_ht = malloc(sizeof(double) * (size_t)(nh + 1));
  memcpy(full, c.out[SQ_WKV6_O], sizeof(double) * (size_t)n);
  if (state) memcpy(full_ht, c.out[SQ_WKV6_HT], sizeof(double) * (size_t)nh);
  /* Rows in the middle (both scans stop early), one of them twice. */
  const int64_t pick[] = {3, 11, 11, 20, 31};
  const int64_t np = 5;
  rc = rc || run_ref(&c, pick, np);
  int same = !rc;
  for (int64_t b = 0; b < c.B; b++)
    for (int64_t r = 0; r < np; r++)
      for (int64_t e = 0; e < inner; e++)
        same &= c.out[SQ_WKV6_O][(b * np + r) * inner + e] == full[(b * c.T + pick[r]) * inner + e];
  for (int64_t e = 0; state && e < nh; e++) same &= c.out[SQ_WKV6_HT][e] == full_ht[e];
  tap_ok(same, "%s%s: sampled rows 3, 11, 11, 20, 31 equal the full run's%s", causal ? "causal" : "bidirectional",
         state ? " with state" : "", state ? " (and ht)" : "");
  free(rows), free(full), free(full_ht);
  tcase_free(&c);
}

/* ---- weak and strong decays at long T -------------------------------------- */

/* r = k = v = 1, N = 1, one w everywhere, u = 0.5: o_t = (1 - d^t)/(1 - d)
 * + u, plus (1 - d^(T-1-t))/(1 - d) bidirectional. Rows 0, T/2 and T-1. */
static void test_series(double w, int causal) {
  const int64_t T = 65536;
  tcase c;
  tcase_make(&c, "T=65536,N=1", causal, w);
  for (int64_t t = 0; t < T; t++) c.in[SQ_WKV6_R][t] = c.in[SQ_WKV6_K][t] = c.in[SQ_WKV6_V][t] = 1.0f;
  c.in[SQ_WKV6_U][0] = 0.5f;
  const int64_t rows[] = {0, T / 2, T - 1};
  int rc = run_ref(&c, rows, 3);
  double ld = -exp((double)(float)w), err = 0;
  int finite = !rc;
  for (int r = 0; r < 3; r++) {
    double t = (double)rows[r];
    double want = expm1(t * ld) / expm1(ld) + 0.5;
    if (!causal) want += expm1((double)(T - 1 - rows[r]) * ld) / expm1(ld);
    double got = c.out[SQ_WKV6_O][r];
    finite &= isfinite(got);
    err = fmax(err, fabs(got - want) / want);
  }
  tap_ok(finite && err < 1e-9, "%s w = %g (d = %.6g) over T=65536: rows 0, T/2, T-1 = the geometric series "
         "(rel err %.2g, o_{T-1} = %.9g)", causal ? "causal" : "bidirectional", w, exp(ld), err,
         c.out[SQ_WKV6_O][2]);
  tcase_free(&c);
}

/* w = 80: d = 0 exactly (exp(-exp(80)) underflows): a key reaches only
 * the next query (no decay lies strictly between them), without a NaN:
 * o_t = (r_t . u k_t) v_t + (r_t . k_{t-1}) v_{t-1}, plus (r_t . k_{t+1})
 * v_{t+1} bidirectional. */
static void test_forget(int causal) {
  tcase c;
  tcase_make(&c, "B=1,T=30,H=2,N=3", causal, 80.0);
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  int finite = !rc;
  double err = 0;
  for (int64_t t = 0; t < c.T; t++)
    for (int64_t h = 0; h < 2; h++)
      for (int64_t j = 0; j < 3; j++) {
        double want = 0;
        for (int64_t s = t - 1; s <= t + 1; s++) {
          if (s < 0 || s >= c.T || (causal && s > t)) continue;
          double dot = 0;
          for (int64_t i = 0; i < 3; i++)
            dot += at(&c, SQ_WKV6_R, 0, t, h, i) * at(&c, SQ_WKV6_K, 0, s, h, i) *
                   (s == t ? c.in[SQ_WKV6_U][h * 3 + i] : 1.0);
          want += dot * at(&c, SQ_WKV6_V, 0, s, h, j);
        }
        double got = c.out[SQ_WKV6_O][(t * 2 + h) * 3 + j];
        finite &= isfinite(got);
        err = fmax(err, fabs(got - want));
      }
  tap_ok(finite && err < 1e-14, "%s w = 80 (d = 0): finite, only the diagonal and the %s remain (err %.2g)",
         causal ? "causal" : "bidirectional", causal ? "previous key" : "neighbouring keys", err);
  free(rows);
  tcase_free(&c);
}

/* ---- refusals, cost, declaration, inputs ------------------------------------ */

static void test_refusals(void) {
  tcase c;
  tcase_make(&c, "T=8,N=2", 1, NAN);
  const int64_t out_of_range[] = {2, 8}, unsorted[] = {5, 4};
  tap_ok(run_ref(&c, out_of_range, 2) == SQ_EINVAL && strstr(sq_last_error(), "row 8 outside [0, T=8)"),
         "a row past T is refused (%s)", sq_last_error());
  tap_ok(run_ref(&c, unsorted, 2) == SQ_EINVAL && strstr(sq_last_error(), "not sorted"),
         "unsorted rows are refused (%s)", sq_last_error());
  c.in[SQ_WKV6_W][5] = NAN;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "w[5]"), "a NaN w is refused (%s)",
         sq_last_error());
  c.in[SQ_WKV6_W][5] = 0.0f;
  c.in[SQ_WKV6_U][1] = INFINITY;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "u[1]"), "an infinite u is refused (%s)",
         sq_last_error());
  tcase_free(&c);
  sq_shape s;
  tap_ok(sq_shape_parse_op(&sq_op_rwkv6, "T=8,N=2,state=1", 0, "test", &s) == SQ_EINVAL,
         "state=1 in a bidirectional case is refused (%s)", sq_last_error());
}

static void test_row_cost(void) {
  tcase a, b;
  tcase_make(&a, "T=8,N=64", 1, NAN);
  tcase_make(&b, "T=8,N=64", 0, NAN);
  double ca = sq_wkv6_ref_row_cost(&a.p), cb = sq_wkv6_ref_row_cost(&b.p);
  tap_ok(ca >= 4.0 * 64 * 64 && ca <= 5.0 * 64 * 64 && cb == 2 * ca,
         "row cost: causal %.0f flops per token of the scan and head (4..5 N^2), bidirectional twice (%.0f)", ca, cb);
  tcase_free(&a), tcase_free(&b);
}

/* The header's indices name the declaration's axes and tensors. */
static void test_declaration(void) {
  const char *axes[] = {"B", "T", "H", "N", "state"};
  const char *tensors[] = {"r", "k", "v", "w", "u", "h0", "o", "ht"};
  int ok = sq_op_naxes(&sq_op_rwkv6) == 5 && sq_op_ntensors(&sq_op_rwkv6) == 8;
  for (int a = 0; ok && a < 5; a++) ok &= !strcmp(sq_op_rwkv6.axes[a].name, axes[a]);
  for (int t = 0; ok && t < 8; t++) ok &= !strcmp(sq_op_rwkv6.tensors[t].name, tensors[t]);
  ok = ok && sq_op_rwkv6.tensors[SQ_WKV6_U].f32 && sq_op_rwkv6.tensors[SQ_WKV6_H0].f32 &&
       !sq_op_rwkv6.tensors[SQ_WKV6_W].f32 && sq_op_rwkv6.causal_key;
  tap_ok(ok, "wkv.rwkv6 declares B T H N state and r k v w u h0 o ht in the header's order (u, h0 f32; w act)");
}

/* FAMILIES.md §3.2: w = -6 + 2.5 (r + 1) in [-6, -1], u = 0.5 r, the rest
 * (r, k, v, h0) as drawn. */
static void test_inits(void) {
  const sq_tensor *w = &sq_op_rwkv6.tensors[SQ_WKV6_W], *u = &sq_op_rwkv6.tensors[SQ_WKV6_U];
  sq_shape s;
  sq_shape_parse_op(&sq_op_rwkv6, "T=4,N=8", 1, "test", &s);
  float rw[3] = {-1.0f, 0.0f, 0.99999988f}, ru[3] = {-1.0f, 0.5f, 0.99999988f};
  int ok = w->init && u->init;
  if (ok) w->init(&s, 1, rw, 3), u->init(&s, 1, ru, 3);
  ok = ok && rw[0] == -6.0f && rw[1] == -3.5f && rw[2] > -1.000001f && rw[2] < -1.0f;
  ok = ok && ru[0] == -0.5f && ru[1] == 0.25f && ru[2] < 0.5f && ru[2] > 0.4999999f;
  double dlo = exp(-exp(-1.0)), dhi = exp(-exp(-6.0));
  tap_ok(ok && dlo > 0.69 && dlo < 0.70 && dhi > 0.9975 && dhi < 0.9976,
         "w = -6 + 2.5 (r + 1): %g, %g, %.8g (decays %.4f .. %.4f); u = 0.5 r: %g, %g, %.8g", rw[0], rw[1], rw[2],
         dlo, dhi, ru[0], ru[1], ru[2]);
  const int asis[] = {SQ_WKV6_R, SQ_WKV6_K, SQ_WKV6_V, SQ_WKV6_H0};
  ok = 1;
  for (int i = 0; i < 4; i++) ok &= !sq_op_rwkv6.tensors[asis[i]].init;
  tap_ok(ok, "r, k, v and h0 are the draws as they are");
}

int main(void) {
  test_declaration();
  test_one_token();
  against_direct("B=2,T=13,H=2,N=3", 1, NAN);
  against_direct("B=2,T=13,H=2,N=3,state=1", 1, NAN);
  against_direct("B=1,T=11,H=3,N=4", 0, NAN);
  against_direct("B=2,T=9,H=1,N=1,state=1", 1, NAN);
  against_direct("B=1,T=9,H=2,N=1", 0, NAN);
  against_direct("B=1,T=10,H=1,N=5,state=1", 1, -9.0);
  against_direct("B=1,T=10,H=1,N=5", 0, -9.0);
  against_direct("B=1,T=10,H=1,N=2,state=1", 1, 2.0);
  against_direct("B=1,T=10,H=1,N=2", 0, 2.0);
  against_direct("B=1,T=1,H=2,N=3,state=1", 1, NAN);
  against_direct("B=1,T=1,H=2,N=3", 0, NAN);
  test_state_split();
  for (int causal = 1; causal >= 0; causal--) test_sampled_rows(causal, 0);
  test_sampled_rows(1, 1);
  for (int causal = 1; causal >= 0; causal--) {
    test_series(-9.0, causal);
    test_series(2.0, causal);
    test_forget(causal);
  }
  test_refusals();
  test_row_cost();
  test_inits();
  return tap_done();
}
