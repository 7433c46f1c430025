/* SPDX-License-Identifier: BSD-3-Clause */
/* local_attn.neighborhood_2d (FAMILIES.md §4.3): the declaration and the
 * family's enums agree; the window arithmetic of kernels/
 * neighborhood_attn.h against a brute-force enumeration of NATTEN's rule
 * (every axis up to 40 long, every dilation and kernel size allowed, odd and
 * even, every query), |K(t)| = kh kw; the reference's key sets read back
 * through uniform weights and one-hot values; work per FAMILIES.md §4; a
 * kernel covering the whole grid equals softmax attention; kernel_size x
 * dilation past the grid is refused in one line; and the flash kernel
 * against the reference on the default OpenCL device: odd and even,
 * rectangular kernels, dilation 1, 2, 3 and more with grids not a multiple
 * of it, D from 1 to 256 and DV != D, f16 and bf16, B*H > 1, a sharper
 * softmax, and tile configurations off the default (query blocks larger
 * than a dilation group's extent among them). Verification only, never
 * timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "kernels/neighborhood_attn.h"
#include "kernels/softmax_attn.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

typedef struct shape { int64_t B, H, D, DV, Hg, Wg, kh, kw, dh, dw; } shape;

static void shape_text(const shape *s, char *text, size_t n) {
  snprintf(text, n, "B=%lld,H=%lld,D=%lld,DV=%lld,grid=%lldx%lld,kernel_size=%lldx%lld,dilation=%lldx%lld",
           (long long)s->B, (long long)s->H, (long long)s->D, (long long)s->DV, (long long)s->Hg, (long long)s->Wg,
           (long long)s->kh, (long long)s->kw, (long long)s->dh, (long long)s->dw);
}

static void problem(const shape *s, sq_dtype dt, sq_problem *p) {
  char text[200];
  shape_text(s, text, sizeof text);
  if (sq_problem_parse(&sq_neighborhood_2d_flash, text, 0, dt, p)) bail(text, sq_last_error());
}

/* ---- declaration, window arithmetic, work ------------------------------- */

static void test_declaration(void) {
  static const char *const axes[] = {"B", "H", "D", "DV", "grid", "kernel_size", "dilation", "scale"};
  static const char *const tensors[] = {"q", "k", "v", "o"};
  const sq_op *op = &sq_op_neighborhood_2d;
  const int ax_idx[] = {SQ_NA_B, SQ_NA_H, SQ_NA_D, SQ_NA_DV, SQ_NA_GRID, SQ_NA_KS, SQ_NA_DIL, SQ_NA_SCALE};
  const int t_idx[] = {SQ_NA_Q, SQ_NA_K, SQ_NA_V, SQ_NA_O};
  int ok = sq_op_naxes(op) == 8 && sq_op_ntensors(op) == 4;
  for (int i = 0; ok && i < 8; i++) ok = sq_op_axis_index(op, axes[i]) == ax_idx[i];
  for (int i = 0; ok && i < 4; i++) ok = !strcmp(op->tensors[t_idx[i]].name, tensors[i]);
  tap_ok(ok, "kernels/neighborhood_attn.h's axis and tensor indices match local_attn.neighborhood_2d's declaration");
  tap_ok(!op->causal_key && sq_neighborhood_2d_flash.modes == SQ_NONCAUSAL,
         "non-causal only, and case.json has no causal key (FAMILIES.md §4.3)");
  sq_problem p;
  problem(&(shape){1, 1, 16, 16, 9, 9, 3, 3, 1, 1}, SQ_F32, &p);
  tap_ok(na_dil(&p, 0) == 1 && na_dil(&p, 1) == 1 && fabs(na_scale(&p) - 0.25) < 1e-15,
         "dilation defaults to 1x1 and scale to D^-1/2");
}

/* NATTEN's rule on one axis, written as its reference mask states it: the
 * key shares the query's dilation group; the group's length is counted;
 * the window starts floor(k/2) before the query's group index, clipped at
 * 0, and moves back by the overrun when the query's window_right =
 * floor(k/2) + (k mod 2) - 1 keys after it pass the group's end. */
static int natten_sees(int64_t L, int64_t k, int64_t d, int64_t x, int64_t j) {
  if (j % d != x % d) return 0;
  int64_t Lg = 0;
  for (int64_t i = x % d; i < L; i += d) Lg++;
  const int64_t xi = x / d, ji = j / d, wl = k / 2, wr = k / 2 + k % 2 - 1;
  int64_t start = xi - wl > 0 ? xi - wl : 0;
  if (xi + wr >= Lg) start += Lg - wr - xi - 1;
  return ji >= start && ji < start + k;
}

/* Every axis length L <= 40, dilation d, kernel size k with k d <= L and
 * query x: the header's keys (start(x') + i) d + g, i < k, are exactly the
 * brute-force set, k of them. */
static void test_windows(void) {
  long cases = 0, bad = 0;
  for (int64_t L = 1; L <= 40; L++)
    for (int64_t d = 1; d <= L; d++)
      for (int64_t k = 1; k * d <= L; k++)
        for (int64_t x = 0; x < L; x++) {
          const int64_t g = x % d, s = sq_na_start(x / d, k, sq_na_group_len(L, d, g));
          int64_t n = 0, mismatch = 0;
          for (int64_t j = 0; j < L; j++) {
            const int mine = j % d == g && j / d >= s && j / d < s + k;
            n += natten_sees(L, k, d, x, j);
            mismatch += mine != natten_sees(L, k, d, x, j);
          }
          cases++;
          if ((mismatch || n != k) && bad++ < 5)
            tap_diag("L=%lld k=%lld d=%lld x=%lld: %lld keys, %lld differ", (long long)L, (long long)k, (long long)d,
                     (long long)x, (long long)n, (long long)mismatch);
        }
  tap_ok(!bad, "window start and group length = NATTEN's rule by brute force, k keys per axis (%ld queries, "
                "odd and even k, dilations 1..L)", cases);
}

/* The reference's key sets read back: q = 0 makes every weight 1/(kh kw)
 * over K(t), and v one-hot per token (DV = T) makes o_t[j] that weight for
 * j in K(t) and 0 elsewhere. */
static void test_reference_keys(void) {
  static const shape shapes[] = {
    {1, 1, 1, 143, 13, 11, 4, 6, 3, 1}, {1, 1, 1, 144, 12, 12, 3, 2, 4, 5}, {1, 1, 1, 81, 9, 9, 9, 9, 1, 1},
    {1, 1, 1, 70, 10, 7, 1, 7, 10, 1},  {1, 1, 1, 72, 8, 9, 2, 3, 3, 2},    {1, 1, 1, 120, 15, 8, 5, 2, 2, 3},
  };
  int ok = 1;
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    const shape *s = &shapes[i];
    const int64_t T = s->Hg * s->Wg;
    sq_problem p;
    problem(s, SQ_F32, &p);
    float *q = calloc((size_t)T, sizeof(float)), *v = calloc((size_t)(T * T), sizeof(float));
    double *o = malloc(sizeof(double) * (size_t)(T * T));
    int64_t *rows = malloc(sizeof(int64_t) * (size_t)T);
    if (!q || !v || !o || !rows) bail("reference keys", "no memory");
    for (int64_t t = 0; t < T; t++) v[t * T + t] = 1.0f, rows[t] = t;
    const float *in[4] = {q, q, v, NULL};
    double *out[4] = {NULL, NULL, NULL, o};
    int rc = sq_neighborhood_attn_reference(&p, in, rows, T, out);
    const double w = 1.0 / (double)(s->kh * s->kw);
    int64_t wrong = rc ? 1 : 0;
    for (int64_t t = 0; !rc && t < T; t++)
      for (int64_t j = 0; j < T; j++) {
        const int sees = natten_sees(s->Hg, s->kh, s->dh, t / s->Wg, j / s->Wg) &&
                         natten_sees(s->Wg, s->kw, s->dw, t % s->Wg, j % s->Wg);
        wrong += fabs(o[t * T + j] - (sees ? w : 0.0)) > 1e-15;
      }
    if (wrong) {
      ok = 0;
      char text[200];
      shape_text(s, text, sizeof text);
      tap_diag("%s: %lld weights off the brute-force key sets", text, (long long)wrong);
    }
    free(q), free(v), free(o), free(rows);
  }
  tap_ok(ok, "reference key sets = the brute-force product of both axes, weight 1/(kh kw) each (6 grids: even k, "
             "dilations not dividing the grid, kernel = grid)");
}

static void test_work(void) {
  sq_problem p;
  problem(&(shape){2, 3, 64, 32, 256, 200, 7, 9, 4, 2}, SQ_F16, &p);
  const double pairs = 256.0 * 200 * 63, bh = 6;
  sq_work w = sq_neighborhood_2d_flash.work(&p);
  tap_ok(w.flops == bh * pairs * (2 * 64 + 2 * 32) && w.exps == bh * pairs &&
             w.bytes == 2.0 * bh * 256 * 200 * (2 * 64 + 2 * 32),
         "work: flops %.4g = B H T kh kw (2D+2DV), exps %.4g, bytes %.4g = s B H T (2D+2DV)", w.flops, w.exps,
         w.bytes);
}

static void test_refused(void) {
  sq_problem p;
  int rc = sq_problem_parse(&sq_neighborhood_2d_flash, "D=16,grid=20x13,kernel_size=5x5,dilation=2x3", 0, SQ_F32, &p);
  const char *e = sq_last_error();
  tap_ok(rc == SQ_EINVAL && strstr(e, "kernel_size 5 x dilation 3 on axis 1 exceeds the grid (13)") &&
             !strchr(e, '\n'),
         "kernel_size x dilation past the grid is refused in one line (%s)", e);
  rc = sq_problem_parse(&sq_neighborhood_2d_flash, "D=16,grid=20x15,kernel_size=5x5,dilation=2x3", 0, SQ_F32, &p);
  tap_ok(!rc, "kernel_size x dilation equal to the grid is accepted");
  rc = sq_problem_parse(&sq_neighborhood_2d_flash, "D=16,grid=9x9,kernel_size=3x3", 1, SQ_F32, &p);
  tap_ok(rc == SQ_EINVAL, "the causal form is refused (%s)", sq_last_error());
  char why[200] = "";
  int pv[4] = {16, 16, 64, 1};
  problem(&(shape){1, 1, 256, 256, 20, 20, 3, 3, 1, 1}, SQ_F32, &p);
  rc = sq_neighborhood_2d_flash.check(&p, pv, 4, why, sizeof why);
  tap_ok(rc == SQ_EINVAL && strstr(why, "local memory"), "NA_BN=64 at D=DV=256 is over 48 KiB (%s)", why);
  pv[2] = 0, pv[3] = 2;
  why[0] = 0;
  rc = sq_neighborhood_2d_flash.check(&p, pv, 4, why, sizeof why);
  tap_ok(rc == SQ_EINVAL && strstr(why, "work-group"), "a 16x16 block with NA_SPLIT=2 is over 256 work-items (%s)",
         why);
}

/* kernel_size = grid with dilation 1: every query sees every token. */
static void test_reference_full(void) {
  const int64_t B = 2, H = 2, Hg = 6, Wg = 7, T = Hg * Wg, D = 12, DV = 7, n = B * H * T;
  float *q = draws(n * D, 1), *k = draws(n * D, 2), *v = draws(n * DV, 3);
  const float *in[4] = {q, k, v, NULL};
  int64_t rows[T];
  for (int64_t i = 0; i < T; i++) rows[i] = i;
  double *o = malloc(sizeof(double) * (size_t)(n * DV)), *r = malloc(sizeof(double) * (size_t)(n * DV));
  double *out[4] = {NULL, NULL, NULL, o}, *rout[4] = {NULL, NULL, NULL, r};
  sq_problem p, s;
  problem(&(shape){B, H, D, DV, Hg, Wg, Hg, Wg, 1, 1}, SQ_F32, &p);
  sq_att_problem(&s, &sq_op_softmax_attn, B, H, T, D, DV, 0, SQ_F32);
  int rc = sq_neighborhood_attn_reference(&p, in, rows, T, out) || sq_softmax_attn_reference(&s, in, rows, T, rout);
  double e = rc ? INFINITY : max_rel(o, r, n * DV);
  tap_ok(e < 1e-14, "reference, kernel_size = grid = softmax_attn's reference (rel %.2g)", e);
  free(q), free(k), free(v), free(o), free(r);
}

/* Runs one case verified; `params` (or NULL: defaults) as "NAME=V,...". */
static int run_case(const sq_problem *p, const char *params, const sq_run_opts *opts, const char *what) {
  return verify_case(&sq_neighborhood_2d_flash, p, params, opts, what);
}

static void ragged(void) {
  static const shape shapes[] = {
    {1, 1, 16, 16, 1, 1, 1, 1, 1, 1},     {1, 1, 16, 16, 13, 11, 4, 6, 3, 1},  {2, 2, 24, 40, 20, 17, 5, 3, 3, 4},
    {1, 1, 1, 3, 9, 10, 3, 3, 2, 2},      {1, 2, 64, 64, 30, 30, 7, 7, 1, 1},  {1, 1, 80, 80, 25, 23, 6, 4, 2, 3},
    {1, 1, 256, 256, 17, 19, 3, 3, 2, 5}, {1, 1, 16, 16, 7, 40, 7, 1, 1, 1},   {2, 3, 16, 8, 64, 5, 2, 5, 16, 1},
    {1, 1, 33, 20, 31, 29, 7, 7, 3, 2},   {1, 1, 64, 48, 40, 41, 8, 8, 2, 2},  {1, 2, 16, 16, 11, 12, 2, 2, 5, 6},
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    sq_problem p;
    problem(&shapes[i], SQ_F32, &p);
    run_case(&p, NULL, NULL, "ragged");
  }
}

static void dtypes(void) {
  static const shape s = {2, 2, 48, 40, 23, 21, 5, 4, 2, 3};
  static const sq_dtype dts[] = {SQ_F16, SQ_BF16};
  for (int d = 0; d < 2; d++) {
    sq_problem p;
    problem(&s, dts[d], &p);
    run_case(&p, NULL, NULL, "16-bit storage");
  }
  sq_problem p;
  problem(&(shape){1, 1, 256, 256, 14, 12, 5, 6, 2, 1}, SQ_BF16, &p);
  run_case(&p, NULL, NULL, "D = DV = 256 in bf16");
}

/* Tiles off the default: strips, blocks wider and taller than a dilation
 * group's extent (the groups of 29 x 31 at dilation 3 x 4 are 10 x 8
 * long), narrow and wide key tiles, split queries. */
static void configurations(void) {
  static const char *const cfg[] = {
    "NA_QH=1,NA_QW=4",        "NA_QH=16,NA_QW=16",          "NA_QH=4,NA_QW=64",
    "NA_BN=8",                "NA_BN=64,NA_QH=2,NA_QW=8",   "NA_SPLIT=2",
    "NA_SPLIT=4,NA_QH=4,NA_QW=8,NA_BN=16", "NA_QH=2,NA_QW=32,NA_SPLIT=4",
  };
  static const shape s[] = {{1, 2, 40, 72, 29, 31, 7, 5, 3, 4}, {1, 1, 32, 32, 20, 20, 4, 3, 1, 1}};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    for (int j = 0; j < 2; j++) {
      sq_problem p;
      problem(&s[j], SQ_F32, &p);
      run_case(&p, cfg[i], NULL, "configuration");
    }
}

static void sharp(void) {
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){sharpen_qk, NULL};
  sq_problem p;
  problem(&(shape){1, 2, 64, 64, 33, 30, 9, 7, 2, 3}, SQ_F32, &p);
  run_case(&p, NULL, &o, "q = k = 4r");
}

/* The kernel with kernel_size = grid against softmax_attn's reference on
 * the very inputs it ran on: full attention. */
static void whole_grid_is_softmax(void) {
  const int64_t B = 1, H = 2, Hg = 12, Wg = 10, T = Hg * Wg, D = 24, DV = 40;
  sq_problem p;
  problem(&(shape){B, H, D, DV, Hg, Wg, Hg, Wg, 1, 1}, SQ_F32, &p);
  capture c = {0};
  sq_run_opts o;
  capture_options(&o, &c);
  if (!run_case(&p, NULL, &o, "kernel_size = grid")) {
    free_capture(&c);
    return;
  }
  double e = softmax_gap(&c, SQ_NA_Q, SQ_NA_K, SQ_NA_V, SQ_NA_O, B, H, T, D, DV, 0);
  tap_ok(e < 1e-5, "kernel, kernel_size = grid = softmax_attn's reference (rel %.2g)", e);
  free_capture(&c);
}

int main(void) {
  test_declaration();
  test_windows();
  test_reference_keys();
  test_work();
  test_refused();
  test_reference_full();
  if (test_device_open(&dev)) {
    tap_skip("neighbourhood attention kernel", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  ragged();
  dtypes();
  configurations();
  sharp();
  whole_grid_is_softmax();
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
