/* SPDX-License-Identifier: BSD-3-Clause */
/* The reference of gated and decayed linear attention (kernels/
 * gated_attn_ref.c) against cases computed another way: T = 1 by hand, tiny
 * cases by the parallel form of FAMILIES.md §5 written out here as a double
 * sum over (t, s) with the gates' products as exponentials of sums (causal
 * with h0 and ht, and bidirectional with the forward and backward weights),
 * both ops; a sequence split in two with ht passed as h0 equals one run;
 * sampled rows equal the full run's rows; a gate of -1e-7 over 4096 tokens
 * is told from a gate of 0 and matches its geometric series; a gate of -80
 * forgets the past without a NaN; malformed calls are refused; and the
 * ops' input transforms (RetNet's log decays, log-sigmoid gates). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/gated_attn.h"
#include "tests/tap.h"

/* One case: the problem, its inputs as float and the reference's outputs. */
typedef struct tcase {
  sq_problem p;
  sq_ga_slots sl;
  int64_t B, H, T, D, DV;
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

static int64_t elems(const tcase *c, int t) {
  return (int64_t)sq_tensor_elems(&c->p.shape, &c->p.shape.op->tensors[t]);
}

static int present(const tcase *c, int t) {
  return t >= 0 && sq_tensor_present(&c->p.shape, &c->p.shape.op->tensors[t], c->p.causal);
}

/* Parses the shape, allocates every present tensor and fills the inputs:
 * q, k, v, h0 uniform; gates log sigmoid(2r + 3) per element, or `gate`
 * everywhere when it is not NaN (decay: log_gamma[h] = gate - 0.05 h, so
 * heads differ). */
static int tcase_make(tcase *c, const sq_op *op, const char *shape, int causal, double gate) {
  memset(c, 0, sizeof *c);
  if (sq_shape_parse_op(op, shape, causal, "test", &c->p.shape)) return -1;
  c->p.causal = causal;
  c->p.dtype = SQ_F32;
  c->sl = sq_ga_slots_of(&c->p);
  c->B = ga_B(&c->p), c->H = ga_H(&c->p), c->T = ga_T(&c->p), c->D = ga_D(&c->p), c->DV = ga_DV(&c->p);
  for (int t = 0; t < sq_op_ntensors(op); t++) {
    if (!present(c, t)) continue;
    int64_t n = elems(c, t);
    if (op->tensors[t].out) {
      c->out[t] = calloc((size_t)n + 1, sizeof(double));
      continue;
    }
    c->in[t] = malloc(sizeof(float) * ((size_t)n + 1));
    for (int64_t i = 0; i < n; i++) c->in[t][i] = draw();
    if (t == c->sl.gate || t == c->sl.gate_b)
      for (int64_t i = 0; i < n; i++) {
        double g = isnan(gate) ? -log1p(exp(-(2.0 * c->in[t][i] + 3.0))) : gate;
        if (!c->sl.per_channel && !isnan(gate)) g = gate - 0.05 * (double)i;
        c->in[t][i] = (float)g;
      }
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
  return sq_gated_attn_ref(&c->p, (const float *const *)c->in, rows, nrows, c->out);
}

/* ---- the parallel form, independently ------------------------------------ */

/* Log gate of token m, key channel i, in direction dir (0 forward g, 1
 * backward gb; decay: log_gamma[h] both ways). */
static double lg(const tcase *c, int64_t bh, int64_t m, int64_t i, int dir) {
  if (!c->sl.per_channel) return c->in[c->sl.gate][bh % c->H];
  const float *g = c->in[dir ? c->sl.gate_b : c->sl.gate];
  return g[(bh * c->T + m) * c->D + i];
}

/* sum_{m = from .. to} of the log gate (0 when from > to). */
static double lg_sum(const tcase *c, int64_t bh, int64_t from, int64_t to, int64_t i, int dir) {
  double s = 0;
  for (int64_t m = from; m <= to; m++) s += lg(c, bh, m, i, dir);
  return s;
}

static double at(const tcase *c, int slot, int64_t bh, int64_t t, int64_t i, int64_t w) {
  return c->in[slot][(bh * c->T + t) * w + i];
}

/* o_t[j] = scale sum_s (sum_i q_t[i] k_s[i] w_i(t, s)) v_s[j] (+ the h0
 * term, causal): w = exp(sum_{m=s+1..t} g_m) for s <= t, and bidirectional
 * also exp(sum_{m=t..s-1} gb_m) for s >= t (the diagonal twice). */
static double naive_o(const tcase *c, int64_t bh, int64_t t, int64_t j) {
  double o = 0;
  for (int64_t s = 0; s < c->T; s++) {
    double score = 0;
    for (int64_t i = 0; i < c->D; i++) {
      double w = 0;
      if (s <= t) w += exp(lg_sum(c, bh, s + 1, t, i, 0));
      if (!c->p.causal && s >= t) w += exp(lg_sum(c, bh, t, s - 1, i, 1));
      score += at(c, c->sl.q, bh, t, i, c->D) * at(c, c->sl.k, bh, s, i, c->D) * w;
    }
    o += score * at(c, c->sl.v, bh, s, j, c->DV);
  }
  if (ga_state(&c->p))
    for (int64_t i = 0; i < c->D; i++)
      o += at(c, c->sl.q, bh, t, i, c->D) * exp(lg_sum(c, bh, 0, t, i, 0)) *
           c->in[c->sl.h0][(bh * c->D + i) * c->DV + j];
  return ga_scale(&c->p) * o;
}

/* ht[i][j] = sum_s exp(sum_{m=s+1..T-1} g_m[i]) k_s[i] v_s[j] + exp(sum_{m=0..T-1} g_m[i]) h0[i][j]. */
static double naive_ht(const tcase *c, int64_t bh, int64_t i, int64_t j) {
  double h = exp(lg_sum(c, bh, 0, c->T - 1, i, 0)) * c->in[c->sl.h0][(bh * c->D + i) * c->DV + j];
  for (int64_t s = 0; s < c->T; s++)
    h += exp(lg_sum(c, bh, s + 1, c->T - 1, i, 0)) * at(c, c->sl.k, bh, s, i, c->D) *
         at(c, c->sl.v, bh, s, j, c->DV);
  return h;
}

/* max |ref - naive| / max |naive| over o (every row) and ht. */
static double naive_err(const tcase *c) {
  double num = 0, den = 1e-300;
  for (int64_t bh = 0; bh < c->B * c->H; bh++)
    for (int64_t t = 0; t < c->T; t++)
      for (int64_t j = 0; j < c->DV; j++) {
        double want = naive_o(c, bh, t, j), got = c->out[c->sl.o][(bh * c->T + t) * c->DV + j];
        num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
        den = fmax(den, fabs(want));
      }
  double e = num / den;
  if (!ga_state(&c->p)) return e;
  num = 0, den = 1e-300;
  for (int64_t bh = 0; bh < c->B * c->H; bh++)
    for (int64_t i = 0; i < c->D; i++)
      for (int64_t j = 0; j < c->DV; j++) {
        double want = naive_ht(c, bh, i, j), got = c->out[c->sl.ht][(bh * c->D + i) * c->DV + j];
        num = fmax(num, isfinite(got) ? fabs(got - want) : INFINITY);
        den = fmax(den, fabs(want));
      }
  return fmax(e, num / den);
}

static const char *opname(const sq_op *op) { return op == &sq_op_linear_attn_gla ? "gla" : "decay"; }

static void against_naive(const sq_op *op, const char *shape, int causal, double gate) {
  tcase c;
  if (tcase_make(&c, op, shape, causal, gate)) {
    tap_ok(0, "%s %s: shape refused: %s", opname(op), shape, sq_last_error());
    return;
  }
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  double e = rc ? INFINITY : naive_err(&c);
  tap_ok(!rc && e < 1e-12, "%s %s %s gate %s: reference = parallel form (rel err %.2g) %s", opname(op),
         causal ? "causal" : "bidirectional", shape, isnan(gate) ? "log sigmoid" : "fixed", e,
         rc ? sq_last_error() : "");
  free(rows);
  tcase_free(&c);
}

/* ---- T = 1 by hand --------------------------------------------------------- */

static void test_one_token(void) {
  /* D = DV = 1: causal o = scale q (gamma h0 + k v), ht = gamma h0 + k v. */
  tcase c;
  tcase_make(&c, &sq_op_linear_attn_decay, "T=1,D=1,scale=0.5,state=1", 1, NAN);
  float q = 0.75f, k = -0.5f, v = 0.25f, h0 = 2.0f, lgam = -0.25f;
  c.in[SQ_DECAY_Q][0] = q, c.in[SQ_DECAY_K][0] = k, c.in[SQ_DECAY_V][0] = v;
  c.in[SQ_DECAY_H0][0] = h0, c.in[SQ_DECAY_LOG_GAMMA][0] = lgam;
  int64_t row = 0;
  double ht = exp(-0.25) * 2.0 + (-0.5 * 0.25), o = 0.5 * 0.75 * ht;
  int rc = run_ref(&c, &row, 1);
  tap_ok(!rc && fabs(c.out[SQ_DECAY_O][0] - o) < 1e-15 && fabs(c.out[SQ_DECAY_HT][0] - ht) < 1e-15,
         "decay T=1 causal with state: o = %.17g (want %.17g), ht = %.17g (want %.17g)", c.out[SQ_DECAY_O][0], o,
         c.out[SQ_DECAY_HT][0], ht);
  tcase_free(&c);
  /* Bidirectional, D = 2, DV = 1: the diagonal twice, o = 2 scale (q . k) v. */
  tcase_make(&c, &sq_op_linear_attn_gla, "T=1,D=2,DV=1,scale=1", 0, NAN);
  c.in[SQ_GLA_Q][0] = 1, c.in[SQ_GLA_Q][1] = 2, c.in[SQ_GLA_K][0] = 3, c.in[SQ_GLA_K][1] = -1;
  c.in[SQ_GLA_V][0] = 0.5f;
  rc = run_ref(&c, &row, 1);
  tap_ok(!rc && c.out[SQ_GLA_O][0] == 2.0 * (3 - 2) * 0.5, "gla T=1 bidirectional: o = 2 (q.k) v = %g",
         c.out[SQ_GLA_O][0]);
  tcase_free(&c);
}

/* ---- state passing ---------------------------------------------------------- */

/* Tokens [from, from + n) of a [BH][T][w] tensor into a [BH][n][w] one. */
static void slice(const float *src, float *dst, int64_t BH, int64_t T, int64_t from, int64_t n, int64_t w) {
  for (int64_t bh = 0; bh < BH; bh++) memcpy(dst + bh * n * w, src + (bh * T + from) * w, sizeof(float) * (size_t)(n * w));
}

static void test_state_split(const sq_op *op) {
  const int64_t T1 = 6, T2 = 9;
  tcase whole, a, b;
  char s[128];
  snprintf(s, sizeof s, "B=2,H=2,T=%lld,D=3,DV=4,state=1", (long long)(T1 + T2));
  tcase_make(&whole, op, s, 1, NAN);
  snprintf(s, sizeof s, "B=2,H=2,T=%lld,D=3,DV=4,state=1", (long long)T1);
  tcase_make(&a, op, s, 1, NAN);
  snprintf(s, sizeof s, "B=2,H=2,T=%lld,D=3,DV=4,state=1", (long long)T2);
  tcase_make(&b, op, s, 1, NAN);
  const int64_t BH = 4, T = T1 + T2;
  int tok[] = {whole.sl.q, whole.sl.k, whole.sl.v, whole.sl.per_channel ? whole.sl.gate : -1};
  for (int i = 0; i < 4; i++) {
    if (tok[i] < 0) continue;
    int64_t w = tok[i] == whole.sl.v ? 4 : 3;
    slice(whole.in[tok[i]], a.in[tok[i]], BH, T, 0, T1, w);
    slice(whole.in[tok[i]], b.in[tok[i]], BH, T, T1, T2, w);
  }
  if (!whole.sl.per_channel)
    memcpy(a.in[a.sl.gate], whole.in[whole.sl.gate], 2 * sizeof(float)),
        memcpy(b.in[b.sl.gate], whole.in[whole.sl.gate], 2 * sizeof(float));
  memcpy(a.in[a.sl.h0], whole.in[whole.sl.h0], sizeof(float) * 48);
  int64_t *rows = all_rows(T);
  int rc = run_ref(&whole, rows, T) || run_ref(&a, rows, T1);
  /* ht of the first part, as f32 (states are stored f32), is h0 of the second. */
  for (int e = 0; e < 48; e++) b.in[b.sl.h0][e] = (float)a.out[a.sl.ht][e];
  rc = rc || run_ref(&b, rows, T2);
  double err = 0, big = 0;
  for (int64_t bh = 0; bh < BH; bh++)
    for (int64_t t = 0; t < T; t++)
      for (int64_t j = 0; j < 4; j++) {
        double w = whole.out[whole.sl.o][(bh * T + t) * 4 + j];
        double g = t < T1 ? a.out[a.sl.o][(bh * T1 + t) * 4 + j] : b.out[b.sl.o][(bh * T2 + t - T1) * 4 + j];
        err = fmax(err, fabs(w - g)), big = fmax(big, fabs(w));
      }
  for (int e = 0; e < 48; e++)
    err = fmax(err, fabs(whole.out[whole.sl.ht][e] - b.out[b.sl.ht][e])), big = fmax(big, fabs(whole.out[whole.sl.ht][e]));
  /* The f32 rounding of the passed state is the only difference. */
  tap_ok(!rc && err / big < 1e-6,
         "%s: T=%lld then T=%lld with ht passed as h0 = one run over %lld (rel diff %.2g)", opname(op),
         (long long)T1, (long long)T2, (long long)T, err / big);
  free(rows);
  tcase_free(&whole), tcase_free(&a), tcase_free(&b);
}

/* ---- sampled rows ------------------------------------------------------------ */

static void test_sampled_rows(const sq_op *op, int causal, int state) {
  tcase c;
  tcase_make(&c, op, state ? "B=2,H=3,T=40,D=5,DV=3,state=1" : "B=2,H=3,T=40,D=5,DV=3", causal, NAN);
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  int64_t n = c.B * c.H * c.T * c.DV, nh = c.B * c.H * c.D * c.DV;
  double *full = malloc(sizeof(double) * (size_t)n), *full_ht = malloc(sizeof(double) * (size_t)(nh + 1));
  memcpy(full, c.out[c.sl.o], sizeof(double) * (size_t)n);
  if (state) memcpy(full_ht, c.out[c.sl.ht], sizeof(double) * (size_t)nh);
  /* Rows in the middle (both scans stop early), one of them twice. */
  const int64_t pick[] = {3, 11, 11, 20, 31};
  const int64_t np = 5;
  rc = rc || run_ref(&c, pick, np);
  int same = !rc;
  for (int64_t bh = 0; bh < c.B * c.H; bh++)
    for (int64_t r = 0; r < np; r++)
      for (int64_t j = 0; j < c.DV; j++)
        same &= c.out[c.sl.o][(bh * np + r) * c.DV + j] == full[(bh * c.T + pick[r]) * c.DV + j];
  for (int64_t e = 0; state && e < nh; e++) same &= c.out[c.sl.ht][e] == full_ht[e];
  tap_ok(same, "%s %s%s: sampled rows 3, 11, 11, 20, 31 equal the full run's%s", opname(op),
         causal ? "causal" : "bidirectional", state ? " with state" : "", state ? " (and ht)" : "");
  free(rows), free(full), free(full_ht);
  tcase_free(&c);
}

/* ---- weak and strong gates ----------------------------------------------- */

/* q = k = v = 1, D = DV = 1: o_{T-1} = scale sum_n exp(n g) = (1 - e^{Tg}) / (1 - e^g). */
static void test_weak_gate(const sq_op *op) {
  const int64_t T = 4096;
  tcase c, zero;
  tcase_make(&c, op, "T=4096,D=1,scale=1", 1, -1e-7);
  tcase_make(&zero, op, "T=4096,D=1,scale=1", 1, 0.0);
  for (int64_t t = 0; t < T; t++)
    c.in[c.sl.q][t] = c.in[c.sl.k][t] = c.in[c.sl.v][t] = zero.in[c.sl.q][t] = zero.in[c.sl.k][t] =
        zero.in[c.sl.v][t] = 1.0f;
  int64_t last = T - 1;
  int rc = run_ref(&c, &last, 1) || run_ref(&zero, &last, 1);
  double g = (double)(float)-1e-7, want = expm1((double)T * g) / expm1(g);
  double o = c.out[c.sl.o][0], oz = zero.out[c.sl.o][0];
  tap_ok(!rc && fabs(o - want) < 1e-9 * want && oz == (double)T && oz - o > 0.8,
         "%s: gate -1e-7 over T=4096 gives %.12g (series %.12g), gate 0 gives %.12g", opname(op), o, want, oz);
  tcase_free(&c), tcase_free(&zero);
}

/* A gate of -80 (and of -8 against the parallel form): the past is gone,
 * o_t = scale (q_t . k_t) v_t, finite everywhere. */
static void test_strong_gate(const sq_op *op, int causal) {
  tcase c;
  tcase_make(&c, op, "B=1,H=2,T=50,D=4,DV=3", causal, -80.0);
  int64_t *rows = all_rows(c.T);
  int rc = run_ref(&c, rows, c.T);
  int finite = !rc;
  double err = 0;
  for (int64_t bh = 0; bh < 2; bh++)
    for (int64_t t = 0; t < c.T; t++)
      for (int64_t j = 0; j < c.DV; j++) {
        double dot = 0;
        for (int64_t i = 0; i < c.D; i++) dot += at(&c, c.sl.q, bh, t, i, c.D) * at(&c, c.sl.k, bh, t, i, c.D);
        double want = (causal ? 1 : 2) * ga_scale(&c.p) * dot * at(&c, c.sl.v, bh, t, j, c.DV);
        double got = c.out[c.sl.o][(bh * c.T + t) * c.DV + j];
        finite &= isfinite(got);
        err = fmax(err, fabs(got - want));
      }
  tap_ok(finite && err < 1e-14, "%s %s: gate -80 is finite and keeps only the diagonal (err %.2g)", opname(op),
         causal ? "causal" : "bidirectional", err);
  free(rows);
  tcase_free(&c);
}

/* ---- refusals, cost, inputs --------------------------------------------------- */

static void test_refusals(void) {
  tcase c;
  tcase_make(&c, &sq_op_linear_attn_gla, "T=8,D=2", 1, NAN);
  const int64_t out_of_range[] = {2, 8}, unsorted[] = {5, 4};
  tap_ok(run_ref(&c, out_of_range, 2) == SQ_EINVAL && strstr(sq_last_error(), "row 8 outside [0, T=8)"),
         "a row past T is refused (%s)", sq_last_error());
  tap_ok(run_ref(&c, unsorted, 2) == SQ_EINVAL && strstr(sq_last_error(), "not sorted"),
         "unsorted rows are refused (%s)", sq_last_error());
  c.in[SQ_GLA_G][5] = 0.01f;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "g[5]"),
         "a positive log gate is refused (%s)", sq_last_error());
  c.in[SQ_GLA_G][5] = NAN;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL, "a NaN gate is refused (%s)", sq_last_error());
  tcase_free(&c);
  tcase_make(&c, &sq_op_linear_attn_gla, "T=8,D=2", 0, NAN);
  free(c.in[SQ_GLA_GB]);
  c.in[SQ_GLA_GB] = NULL;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "needs gb"),
         "bidirectional gla without gb is refused (%s)", sq_last_error());
  tcase_free(&c);
  tcase_make(&c, &sq_op_linear_attn_decay, "T=8,D=2", 1, NAN);
  c.in[SQ_DECAY_LOG_GAMMA][0] = 1e-3f;
  tap_ok(run_ref(&c, unsorted, 1) == SQ_EINVAL && strstr(sq_last_error(), "log_gamma[0]"),
         "log_gamma > 0 is refused (%s)", sq_last_error());
  tcase_free(&c);
}

static void test_row_cost(void) {
  tcase a, b;
  tcase_make(&a, &sq_op_linear_attn_gla, "T=8,D=64,DV=128", 1, NAN);
  tcase_make(&b, &sq_op_linear_attn_gla, "T=8,D=64,DV=128", 0, NAN);
  double ca = sq_gated_attn_ref_row_cost(&a.p), cb = sq_gated_attn_ref_row_cost(&b.p);
  tap_ok(ca >= 4.0 * 64 * 128 && ca <= 5.0 * 64 * 128 && cb == 2 * ca,
         "row cost: causal %.0f flops per token of the scan and head (4..5 D DV), bidirectional twice (%.0f)", ca,
         cb);
  tcase_free(&a), tcase_free(&b);
}

/* The ops' initialisers (FAMILIES.md §5): log_gamma = log(1 - 2^(-5-h)),
 * exact where gamma itself is 1 in f32; gates log sigmoid(2r + 3). */
static void test_inits(void) {
  const sq_tensor *lgt = &sq_op_linear_attn_decay.tensors[SQ_DECAY_LOG_GAMMA];
  float v[32];
  sq_shape s;
  sq_shape_parse_op(&sq_op_linear_attn_decay, "H=32,T=4,D=8", 1, "test", &s);
  for (int h = 0; h < 32; h++) v[h] = 0.5f;
  if (lgt->init) lgt->init(&s, 1, v, 32);
  int ok = !!lgt->init;
  for (int h = 0; h < 32; h++) {
    double want = log1p(-ldexp(1.0, -5 - h));
    ok &= v[h] < 0 && fabs(v[h] - want) <= 1e-7 * fabs(want);
  }
  tap_ok(ok && (float)(1.0 - ldexp(1.0, -25)) == 1.0f,
         "log_gamma[h] = log1p(-2^(-5-h)) for h < 32: h=0 %.9g, h=20 %.9g (gamma would be 1 in f32)", v[0],
         v[20]);
  const sq_tensor *g = &sq_op_linear_attn_gla.tensors[SQ_GLA_G], *gb = &sq_op_linear_attn_gla.tensors[SQ_GLA_GB];
  float r[5] = {-1.0f, -0.5f, 0.0f, 0.5f, 0.99999988f}, rb[5];
  memcpy(rb, r, sizeof r);
  ok = g->init && gb->init;
  if (ok) g->init(&s, 1, r, 5), gb->init(&s, 1, rb, 5);
  /* Every value is log sigmoid(2r + 3) to f32 rounding, from -0.31 at
   * r = -1 to -0.0067 at the largest r, and g and gb share the transform. */
  const float r0[5] = {-1.0f, -0.5f, 0.0f, 0.5f, 0.99999988f};
  for (int i = 0; ok && i < 5; i++) {
    double want = -log1p(exp(-(2.0 * r0[i] + 3.0)));
    ok &= r[i] < 0 && fabs(r[i] - want) <= 1e-7 * fabs(want) && r[i] == rb[i];
  }
  ok = ok && r[0] < -0.313 && r[0] > -0.314 && r[4] < -0.0067 && r[4] > -0.0068;
  tap_ok(ok, "g = gb = log sigmoid(2r + 3): r=-1 -> %.6g, r=0 -> %.6g, r->1 -> %.6g", r[0], r[2], r[4]);
  tap_ok(!sq_op_linear_attn_decay.tensors[SQ_DECAY_Q].init && !sq_op_linear_attn_gla.tensors[SQ_GLA_H0].init,
         "q, k, v and h0 are the draws as they are");
}

int main(void) {
  const sq_op *ops[] = {&sq_op_linear_attn_decay, &sq_op_linear_attn_gla};
  test_one_token();
  for (int i = 0; i < 2; i++) {
    against_naive(ops[i], "B=2,H=3,T=13,D=3,DV=5", 1, NAN);
    against_naive(ops[i], "B=2,H=3,T=13,D=3,DV=5,state=1", 1, NAN);
    against_naive(ops[i], "B=1,H=2,T=11,D=4,DV=2,scale=0.7", 0, NAN);
    against_naive(ops[i], "B=1,H=2,T=9,D=2,DV=3,state=1", 1, -8.0);
    against_naive(ops[i], "B=1,H=2,T=9,D=2,DV=3", 0, -8.0);
    against_naive(ops[i], "B=1,H=1,T=9,D=2,DV=3,state=1", 1, 0.0);
    against_naive(ops[i], "B=1,H=1,T=1,D=3,DV=2,state=1", 1, NAN);
    against_naive(ops[i], "B=1,H=1,T=1,D=3,DV=2", 0, NAN);
    test_state_split(ops[i]);
    for (int causal = 1; causal >= 0; causal--) test_sampled_rows(ops[i], causal, 0);
    test_sampled_rows(ops[i], 1, 1);
    test_weak_gate(ops[i]);
    test_strong_gate(ops[i], 1);
    test_strong_gate(ops[i], 0);
  }
  test_refusals();
  test_row_cost();
  test_inits();
  return tap_done();
}
