/* SPDX-License-Identifier: BSD-3-Clause */
/* local_attn.sliding_1d (FAMILIES.md §4.1): the declaration and the
 * family's enums agree; pairs and work follow the formulas; the reference
 * equals full softmax attention when the window covers the sequence and
 * returns v when it holds only the query; and the flash kernel against the
 * reference on the default OpenCL device: ragged T, causal and
 * non-causal, window_left = 0, asymmetric and one-sided windows, windows
 * wider than T (also against softmax_attn's own reference), D not a power
 * of two, D and DV up to 256, f16 and bf16, a sharper softmax (q = k = 4r)
 * and tile configurations off the default. Verification only, never
 * timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "kernels/sliding_attn.h"
#include "kernels/softmax_attn.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

typedef struct shape { int64_t B, H, T, D, DV, left, right; } shape;

static void problem(const shape *s, int causal, sq_dtype dt, sq_problem *p) {
  char text[200];
  snprintf(text, sizeof text, "B=%lld,H=%lld,T=%lld,D=%lld,DV=%lld,window_left=%lld,window_right=%lld",
           (long long)s->B, (long long)s->H, (long long)s->T, (long long)s->D, (long long)s->DV, (long long)s->left,
           (long long)(causal ? 0 : s->right));
  if (sq_problem_parse(&sq_sliding_1d_flash, text, causal, dt, p)) bail(text, sq_last_error());
}

/* ---- declaration, pairs, work ------------------------------------------ */

static void test_declaration(void) {
  static const char *const axes[] = {"B", "H", "T", "D", "DV", "window_left", "window_right", "scale"};
  static const char *const tensors[] = {"q", "k", "v", "o"};
  const int ax_idx[] = {SQ_SW_B, SQ_SW_H, SQ_SW_T, SQ_SW_D, SQ_SW_DV, SQ_SW_LEFT, SQ_SW_RIGHT, SQ_SW_SCALE};
  const int t_idx[] = {SQ_SW_Q, SQ_SW_K, SQ_SW_V, SQ_SW_O};
  int ok = sq_op_naxes(&sq_op_sliding_1d) == 8 && sq_op_ntensors(&sq_op_sliding_1d) == 4;
  for (int i = 0; ok && i < 8; i++) ok = sq_op_axis_index(&sq_op_sliding_1d, axes[i]) == ax_idx[i];
  for (int i = 0; ok && i < 4; i++) ok = !strcmp(sq_op_sliding_1d.tensors[t_idx[i]].name, tensors[i]);
  tap_ok(ok, "kernels/sliding_attn.h's axis and tensor indices match local_attn.sliding_1d's declaration");
  tap_ok(!sq_op_sliding_1d.causal_key, "case.json of sliding_1d has no causal key (FAMILIES.md §4.1)");
}

/* Pairs counted one row at a time, as the definition of K(i) says. */
static double brute_pairs(const sq_band *b) {
  double n = 0;
  for (int64_t i = 0; i < b->TQ; i++)
    for (int64_t j = 0; j < b->TK; j++) n += j >= i - b->left && j <= i + b->right;
  return n;
}

static void test_pairs(void) {
  static const int64_t bands[][4] = {
    {1, 1, 0, 0}, {10, 10, 0, 0}, {10, 10, 3, 0}, {10, 10, 0, 4}, {10, 10, 9, 9}, {37, 37, 5, 11},
    {100, 100, 99, 0}, {1, 50, 0, 49}, {50, 1, 49, 0}, {200, 49, 199, 48}, {49, 200, 48, 199}, {64, 64, 7, 300},
  };
  int ok = 1;
  for (size_t i = 0; i < sizeof bands / sizeof bands[0]; i++) {
    sq_band b = {1, bands[i][0], bands[i][1], 8, 8, bands[i][2], bands[i][3], 1};
    double got = sq_band_pairs(&b), want = brute_pairs(&b);
    if (got != want) {
      ok = 0;
      tap_diag("TQ=%lld TK=%lld left=%lld right=%lld: %.0f pairs, counted %.0f", (long long)b.TQ, (long long)b.TK,
               (long long)b.left, (long long)b.right, got, want);
    }
  }
  tap_ok(ok, "band pairs in closed form = pairs counted row by row (12 bands, clipped and not)");
  /* FAMILIES.md §4.1 at T = 65536, W = 4096 causal: (L'+1) T - L'(L'+1)/2. */
  sq_problem p;
  problem(&(shape){2, 3, 65536, 64, 32, 4095, 0}, 1, SQ_F16, &p);
  const double np = 4096.0 * 65536 - 4095.0 * 4096 / 2;
  sq_work w = sq_sliding_1d_flash.work(&p);
  tap_ok(w.flops == 6 * np * (2 * 64 + 2 * 32) && w.exps == 6 * np && w.bytes == 2.0 * 6 * 65536 * (2 * 64 + 2 * 32),
         "work at T=65536, W=4096 causal: flops %.4g = B H pairs (2D+2DV), exps %.4g, bytes %.4g = s B H T (2D+2DV)",
         w.flops, w.exps, w.bytes);
  /* A window wider than T clips to T - 1: the full (non-causal) square. */
  problem(&(shape){1, 1, 100, 16, 16, 5000, 7000}, 0, SQ_F32, &p);
  w = sq_sliding_1d_flash.work(&p);
  tap_ok(w.exps == 100.0 * 100, "a window wider than T holds T^2 pairs (%.0f)", w.exps);
}

/* Windows covering the sequence give softmax attention (causal: left >= T-1
 * with right = 0; non-causal: both >= T-1); a window of the query alone
 * gives o = v. */
static void test_reference(void) {
  const int64_t B = 2, H = 2, T = 45, D = 12, DV = 7, n = B * H * T;
  float *q = draws(n * D, 1), *k = draws(n * D, 2), *v = draws(n * DV, 3);
  const float *in[4] = {q, k, v, NULL};
  int64_t rows[T];
  for (int64_t i = 0; i < T; i++) rows[i] = i;
  double *o = malloc(sizeof(double) * (size_t)(n * DV)), *r = malloc(sizeof(double) * (size_t)(n * DV));
  double *out[4] = {NULL, NULL, NULL, o}, *rout[4] = {NULL, NULL, NULL, r};
  for (int causal = 1; causal >= 0; causal--) {
    sq_problem p, s;
    problem(&(shape){B, H, T, D, DV, T + 3, causal ? 0 : 1000}, causal, SQ_F32, &p);
    sq_att_problem(&s, &sq_op_softmax_attn, B, H, T, D, DV, causal, SQ_F32);
    int rc = sq_sliding_attn_reference(&p, in, rows, T, out) || sq_softmax_attn_reference(&s, in, rows, T, rout);
    double e = rc ? INFINITY : max_rel(o, r, n * DV);
    tap_ok(e < 1e-14, "%s reference, window wider than T = softmax_attn's reference (rel %.2g)",
           causal ? "causal" : "non-causal", e);
  }
  sq_problem p;
  problem(&(shape){B, H, T, D, DV, 0, 0}, 0, SQ_F32, &p);
  int rc = sq_sliding_attn_reference(&p, in, rows, T, out);
  double e = 0;
  for (int64_t i = 0; i < n * DV; i++) e = fmax(e, fabs(o[i] - (double)v[i]));
  tap_ok(!rc && e == 0, "window (0, 0): each query sees itself alone, o = v exactly (%.2g)", e);
  /* Rows near the ends see fewer keys and are not normalised by the window:
   * row 0 of a (2, 2) window is the softmax over keys 0..2 only. */
  problem(&(shape){1, 1, T, D, DV, 2, 2}, 0, SQ_F32, &p);
  const int64_t row0 = 0;
  rc = sq_sliding_attn_reference(&p, in, &row0, 1, out);
  double w[3], m = -INFINITY, l = 0;
  for (int j = 0; j < 3; j++) {
    double dot = 0;
    for (int d = 0; d < D; d++) dot += (double)q[d] * (double)k[j * D + d];
    w[j] = dot / sqrt((double)D);
    m = fmax(m, w[j]);
  }
  for (int j = 0; j < 3; j++) l += (w[j] = exp(w[j] - m));
  e = 0;
  for (int c = 0; c < DV; c++) {
    double want = 0;
    for (int j = 0; j < 3; j++) want += w[j] / l * (double)v[j * DV + c];
    e = fmax(e, fabs(o[c] - want));
  }
  tap_ok(!rc && e < 1e-14, "row 0 of a (2, 2) window: softmax over keys 0..2 by hand (%.2g)", e);
  free(q), free(k), free(v), free(o), free(r);
}

/* Runs one case verified; `params` (or NULL: defaults) as "NAME=V,...". */
static int run_case(const sq_problem *p, const char *params, const sq_run_opts *opts, const char *what) {
  return verify_case(&sq_sliding_1d_flash, p, params, opts, what);
}

static void ragged(void) {
  static const shape shapes[] = {
    {1, 1, 1, 16, 16, 0, 0},     {1, 1, 1, 16, 16, 5, 5},      {2, 3, 7, 40, 40, 2, 3},
    {1, 2, 65, 40, 24, 0, 9},    {1, 1, 129, 80, 80, 17, 0},   {1, 1, 200, 64, 65, 31, 31},
    {2, 1, 300, 100, 100, 64, 1}, {1, 1, 333, 33, 20, 100, 250}, {1, 1, 97, 256, 256, 40, 12},
    {1, 2, 250, 1, 3, 7, 2},     {1, 1, 1000, 64, 64, 0, 0},   {1, 1, 777, 48, 48, 128, 128},
  };
  for (int causal = 1; causal >= 0; causal--)
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
      sq_problem p;
      problem(&shapes[i], causal, SQ_F32, &p);
      run_case(&p, NULL, NULL, "ragged");
    }
}

static void dtypes(void) {
  static const shape s = {2, 2, 301, 48, 40, 50, 20};
  static const sq_dtype dts[] = {SQ_F16, SQ_BF16};
  for (int causal = 1; causal >= 0; causal--)
    for (int d = 0; d < 2; d++) {
      sq_problem p;
      problem(&s, causal, dts[d], &p);
      run_case(&p, NULL, NULL, "16-bit storage");
    }
  sq_problem p;
  problem(&(shape){1, 1, 90, 256, 256, 30, 30}, 0, SQ_BF16, &p);
  run_case(&p, NULL, NULL, "D = DV = 256 in bf16");
}

/* Tiles off the default: narrow and wide key tiles, split rows, small and
 * large query blocks, key splits (many of them empty or wholly outside some
 * rows' windows); a window narrower than a tile and one spanning many. */
static void configurations(void) {
  static const char *const cfg[] = {"FL_BN=8", "FL_BN=64,FL_BM=16", "FL_SPLIT=2", "FL_SPLIT=4,FL_BM=32",
                                    "FL_BM=8,FL_BN=16", "FL_BM=128,FL_BN=16,FL_SPLIT=2", "FL_KVS=2",
                                    "FL_KVS=32,FL_BN=8", "FL_KVS=4,FL_SPLIT=2,FL_BM=16"};
  static const shape s[] = {{1, 2, 333, 40, 72, 3, 2}, {1, 1, 500, 32, 32, 150, 70}};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    for (int causal = 1; causal >= 0; causal--)
      for (int j = 0; j < 2; j++) {
        sq_problem p;
        problem(&s[j], causal, SQ_F32, &p);
        run_case(&p, cfg[i], NULL, "configuration");
      }
}

static void sharp(void) {
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){sharpen_qk, NULL};
  for (int causal = 1; causal >= 0; causal--) {
    sq_problem p;
    problem(&(shape){1, 2, 400, 64, 64, 100, 33}, causal, SQ_F32, &p);
    run_case(&p, NULL, &o, "q = k = 4r");
  }
}

/* The kernel with a window wider than T against softmax_attn's reference
 * on the very inputs it ran on: full attention, causal and not. */
static void wide_window_is_softmax(void) {
  const int64_t B = 1, H = 2, T = 150, D = 24, DV = 40;
  for (int causal = 1; causal >= 0; causal--) {
    sq_problem p;
    problem(&(shape){B, H, T, D, DV, 4 * T, causal ? 0 : 2 * T}, causal, SQ_F32, &p);
    capture c = {0};
    sq_run_opts o;
    capture_options(&o, &c);
    if (!run_case(&p, NULL, &o, "window wider than T")) {
      free_capture(&c);
      continue;
    }
    double e = softmax_gap(&c, SQ_SW_Q, SQ_SW_K, SQ_SW_V, SQ_SW_O, B, H, T, D, DV, causal);
    tap_ok(e < 1e-5, "%s kernel, window wider than T = softmax_attn's reference (rel %.2g)",
           causal ? "causal" : "non-causal", e);
    free_capture(&c);
  }
}

int main(void) {
  test_declaration();
  test_pairs();
  test_reference();
  if (test_device_open(&dev)) {
    tap_skip("sliding-window kernel", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  ragged();
  dtypes();
  configurations();
  sharp();
  wide_window_is_softmax();
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
