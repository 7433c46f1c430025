/* SPDX-License-Identifier: BSD-3-Clause */
/* local_attn.window_2d and window_3d (FAMILIES.md §4.2): the declarations
 * and the family's enums agree; the reference with shift 0 equals a
 * softmax by hand on a tiny case; the reference's region rule equals a
 * literal Swin pipeline written here (roll, window partition, the img_mask
 * slices, an additive -100 mask, relative_position_index, reverse roll) in
 * 2D and 3D; the pairs formula equals the pairs that pipeline's mask
 * keeps; the work follows FAMILIES.md §4; a grid that is not a multiple of
 * the window is refused with one line, and the grid padded as Swin pads it
 * runs. Then the flash kernel against the reference on the default OpenCL
 * device: 2D and 3D, square and rectangular windows, shift 0, M/2 and
 * others, with and without rpb, a window covering the grid (= softmax
 * attention, against softmax_attn's reference), head dims 1 to 256 and
 * DV != D, f16 and bf16, B*H > 1, tunable configurations off the default.
 * Verification only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "kernels/softmax_attn.h"
#include "kernels/window_attn.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

static void problem(const sq_kernel *k, const char *shape, sq_dtype dt, sq_problem *p) {
  if (sq_problem_parse(k, shape, 0, dt, p)) bail(shape, sq_last_error());
}

/* ---- declarations -------------------------------------------------------- */

static void test_declaration(void) {
  static const char *const axes[] = {"B", "H", "D", "DV", "grid", "win", "shift", "scale", "has_rpb"};
  static const char *const tensors[] = {"q", "k", "v", "rpb", "o"};
  const int ax_idx[] = {SQ_WN_B, SQ_WN_H, SQ_WN_D, SQ_WN_DV, SQ_WN_GRID, SQ_WN_WIN, SQ_WN_SHIFT, SQ_WN_SCALE,
                        SQ_WN_HAS_RPB};
  const int t_idx[] = {SQ_WN_Q, SQ_WN_K, SQ_WN_V, SQ_WN_RPB, SQ_WN_O};
  const sq_op *ops[] = {&sq_op_window_2d, &sq_op_window_3d};
  for (int o = 0; o < 2; o++) {
    const sq_op *op = ops[o];
    int ok = sq_op_naxes(op) == 9 && sq_op_ntensors(op) == 5 && op->axes[SQ_WN_GRID].len == 2 + o &&
             op->axes[SQ_WN_WIN].len == 2 + o && op->axes[SQ_WN_SHIFT].len == 2 + o;
    for (int i = 0; ok && i < 9; i++) ok = sq_op_axis_index(op, axes[i]) == ax_idx[i];
    for (int i = 0; ok && i < 5; i++) ok = !strcmp(op->tensors[t_idx[i]].name, tensors[i]);
    tap_ok(ok, "kernels/window_attn.h's axis and tensor indices match %s's declaration", op->name);
    tap_ok(!op->causal_key, "case.json of %s has no causal key (FAMILIES.md §4.2)", op->name);
  }
  tap_ok(sq_window_2d_flash.op == &sq_op_window_2d && sq_window_3d_flash.op == &sq_op_window_3d &&
         sq_window_2d_flash.ref_by_row && sq_window_3d_flash.ref_by_row,
         "each kernel computes its op, and its reference computes chosen rows");
}

/* ---- a literal Swin pipeline ---------------------------------------------- */

/* Swin's img_mask label of shifted coordinate x on one axis: the slices
 * (0, -M), (-M, -s), (-s, None) numbered 0, 1, 2, or one slice when the
 * axis is not shifted (Swin builds no mask then). */
static int slice_label(int64_t x, int64_t L, int64_t M, int64_t s) {
  if (s == 0) return 0;
  return x < L - M ? 0 : x < L - s ? 1 : 2;
}

/* Coordinates of token t of an L[0] x L[1] x L[2] grid, and back. */
static void coords(const int64_t *L, int64_t t, int64_t *r) {
  r[0] = t / (L[1] * L[2]), r[1] = t / L[2] % L[1], r[2] = t % L[2];
}
static int64_t token(const int64_t *L, const int64_t *r) { return (r[0] * L[1] + r[1]) * L[2] + r[2]; }

/* One (b, h) of Swin's forward, written as the model runs it:
 *   x = torch.roll(x, -s) on every axis (rolled[t'] = x[(r' + s) mod L]),
 *   windows = window_partition(x), img_mask labels cnt over the product of
 *   the axes' slices, attn_mask = -100 where two labels differ,
 *   attn = softmax(scale q k^T + table[relative_position_index] + mask) v,
 *   window_reverse, then torch.roll(o, +s).
 * q, k, v, o are [T][D] / [T][DV]; rpb is this head's table, NULL for none.
 * Also counts the (query, key) pairs the mask keeps into *pairs. */
static void swin_pipeline(const sq_windows *w, const float *q, const float *k, const float *v, const float *rpb,
                          double *o, double *pairs) {
  const int64_t T = sq_windows_tokens(w), D = w->D, DV = w->DV, nw = sq_windows_size(w);
  const int64_t *L = w->L, *M = w->M, *S = w->S;
  double *qr = malloc(sizeof(double) * (size_t)(T * D)), *kr = malloc(sizeof(double) * (size_t)(T * D));
  double *vr = malloc(sizeof(double) * (size_t)(T * DV)), *orl = malloc(sizeof(double) * (size_t)(T * DV));
  int *label = malloc(sizeof(int) * (size_t)T);
  int64_t *win_tok = malloc(sizeof(int64_t) * (size_t)nw);
  double *att = malloc(sizeof(double) * (size_t)nw);
  if (!qr || !kr || !vr || !orl || !label || !win_tok || !att) bail("swin pipeline", "no memory");
  /* The roll and the img_mask, on the rolled grid. */
  for (int64_t t = 0; t < T; t++) {
    int64_t rs[3], r[3];
    coords(L, t, rs);
    label[t] = 0;
    for (int a = 0; a < 3; a++) {
      r[a] = (rs[a] + S[a]) % L[a];
      label[t] = label[t] * 3 + slice_label(rs[a], L[a], M[a], S[a]);
    }
    const int64_t src = token(L, r);
    for (int64_t d = 0; d < D; d++) qr[t * D + d] = q[src * D + d], kr[t * D + d] = k[src * D + d];
    for (int64_t c = 0; c < DV; c++) vr[t * DV + c] = v[src * DV + c];
  }
  *pairs = 0;
  /* window_partition: window (w0, w1, w2), in-window position row-major. */
  for (int64_t w0 = 0; w0 < L[0] / M[0]; w0++)
    for (int64_t w1 = 0; w1 < L[1] / M[1]; w1++)
      for (int64_t w2 = 0; w2 < L[2] / M[2]; w2++) {
        for (int64_t i = 0; i < nw; i++) {
          const int64_t r[3] = {w0 * M[0] + i / (M[1] * M[2]), w1 * M[1] + i / M[2] % M[1], w2 * M[2] + i % M[2]};
          win_tok[i] = token(L, r);
        }
        for (int64_t i = 0; i < nw; i++) {
          double m = -INFINITY, l = 0;
          const int64_t pi[3] = {i / (M[1] * M[2]), i / M[2] % M[1], i % M[2]};
          for (int64_t j = 0; j < nw; j++) {
            const int64_t pj[3] = {j / (M[1] * M[2]), j / M[2] % M[1], j % M[2]};
            double dot = 0;
            for (int64_t d = 0; d < D; d++) dot += qr[win_tok[i] * D + d] * kr[win_tok[j] * D + d];
            /* relative_position_index: (pi - pj + M - 1) per axis, mixed radix 2M - 1. */
            int64_t idx = 0;
            for (int a = 0; a < 3; a++) idx = idx * (2 * M[a] - 1) + pi[a] - pj[a] + M[a] - 1;
            const int same = label[win_tok[i]] == label[win_tok[j]];
            *pairs += same;
            att[j] = w->scale * dot + (rpb ? (double)rpb[idx] : 0.0) + (same ? 0.0 : -100.0);
            m = fmax(m, att[j]);
          }
          for (int64_t j = 0; j < nw; j++) l += (att[j] = exp(att[j] - m));
          for (int64_t c = 0; c < DV; c++) {
            double s = 0;
            for (int64_t j = 0; j < nw; j++) s += att[j] / l * vr[win_tok[j] * DV + c];
            orl[win_tok[i] * DV + c] = s;
          }
        }
      }
  /* window_reverse is the layout above; the reverse roll puts rolled
   * position t' back at original token (r' + s) mod L. */
  for (int64_t t = 0; t < T; t++) {
    int64_t rs[3], r[3];
    coords(L, t, rs);
    for (int a = 0; a < 3; a++) r[a] = (rs[a] + S[a]) % L[a];
    const int64_t dst = token(L, r);
    for (int64_t c = 0; c < DV; c++) o[dst * DV + c] = orl[t * DV + c];
  }
  free(qr), free(kr), free(vr), free(orl), free(label), free(win_tok), free(att);
}

/* ---- the reference ----------------------------------------------------------- */

static int64_t rpb_elems(const sq_windows *w) {
  return w->H * (2 * w->M[0] - 1) * (2 * w->M[1] - 1) * (2 * w->M[2] - 1);
}

/* A 4x4 grid in 2x2 windows, no shift: token 5 = (1, 1) sees its window
 * (0, 0), tokens 0, 1, 4, 5, with bias rpb[h][1 - p_0 + 1][1 - p_1 + 1]. */
static void test_by_hand(void) {
  sq_problem p;
  problem(&sq_window_2d_flash, "B=1,H=2,D=3,DV=2,grid=4x4,win=2x2,has_rpb=1", SQ_F32, &p);
  const sq_windows w = sq_windows_of(&p);
  float *q = draws(2 * 16 * 3, 11), *k = draws(2 * 16 * 3, 12), *v = draws(2 * 16 * 2, 13), *rpb = draws(2 * 9, 14);
  const float *in[5] = {q, k, v, rpb, NULL};
  double o[2 * 2], *out[5] = {NULL, NULL, NULL, NULL, o};
  const int64_t row = 5;
  int rc = sq_window_attn_reference(&p, in, &row, 1, out);
  double e = 0;
  for (int h = 0; h < 2; h++) {
    const int keys[4] = {0, 1, 4, 5}, pk[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    double s[4], m = -INFINITY, l = 0;
    for (int j = 0; j < 4; j++) {
      double dot = 0;
      for (int d = 0; d < 3; d++) dot += (double)q[(h * 16 + 5) * 3 + d] * (double)k[(h * 16 + keys[j]) * 3 + d];
      s[j] = dot * w.scale + rpb[h * 9 + (1 - pk[j][0] + 1) * 3 + (1 - pk[j][1] + 1)];
      m = fmax(m, s[j]);
    }
    for (int j = 0; j < 4; j++) l += (s[j] = exp(s[j] - m));
    for (int c = 0; c < 2; c++) {
      double want = 0;
      for (int j = 0; j < 4; j++) want += s[j] / l * (double)v[(h * 16 + keys[j]) * 2 + c];
      e = fmax(e, fabs(o[h * 2 + c] - want));
    }
  }
  tap_ok(!rc && e < 1e-15, "shift 0: token 5 of a 4x4 grid in 2x2 windows = softmax over tokens 0, 1, 4, 5 "
         "with rpb, by hand (%.2g)", e);
  free(q), free(k), free(v), free(rpb);
}

/* The reference over every token against the literal pipeline, and the
 * pairs formula against the pipeline's kept pairs. */
static void against_pipeline(const sq_kernel *kern, const char *shape) {
  sq_problem p;
  problem(kern, shape, SQ_F32, &p);
  const sq_windows w = sq_windows_of(&p);
  const int64_t T = sq_windows_tokens(&w), BH = w.B * w.H;
  float *q = draws(BH * T * w.D, 1), *k = draws(BH * T * w.D, 2), *v = draws(BH * T * w.DV, 3);
  float *rpb = w.has_rpb ? draws(rpb_elems(&w), 4) : NULL;
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)T);
  double *o = malloc(sizeof(double) * (size_t)(BH * T * w.DV)), *r = malloc(sizeof(double) * (size_t)(BH * T * w.DV));
  for (int64_t t = 0; t < T; t++) rows[t] = t;
  const float *in[5] = {q, k, v, rpb, NULL};
  double *out[5] = {NULL, NULL, NULL, NULL, o};
  int rc = sq_window_attn_reference(&p, in, rows, T, out);
  const int64_t per_head = rpb_elems(&w) / w.H;
  double pairs = 0;
  for (int64_t bh = 0; bh < BH; bh++)
    swin_pipeline(&w, q + bh * T * w.D, k + bh * T * w.D, v + bh * T * w.DV,
                  rpb ? rpb + (bh % w.H) * per_head : NULL, r + bh * T * w.DV, &pairs);
  const double e = rc ? INFINITY : max_rel(o, r, BH * T * w.DV);
  tap_ok(e < 1e-13, "%s %s: reference (region rule) = literal Swin pipeline with the -100 mask (rel %.2g)",
         kern->op->name, shape, e);
  tap_ok(pairs == sq_windows_pairs(&w), "%s %s: pairs formula %.0f = pairs the pipeline's mask keeps %.0f",
         kern->op->name, shape, sq_windows_pairs(&w), pairs);
  free(q), free(k), free(v), free(rpb), free(rows), free(o), free(r);
}

static void test_reference(void) {
  test_by_hand();
  const char *const d2[] = {
    "B=1,H=2,D=8,DV=5,grid=8x8,win=4x4,shift=2x2,has_rpb=1", "B=2,H=1,D=4,grid=12x9,win=4x3,shift=1x2,has_rpb=1",
    "B=1,H=1,D=6,grid=14x21,win=7x7,shift=3x3", "B=1,H=3,D=4,DV=7,grid=6x10,win=3x5,shift=0x4,has_rpb=1",
    "B=1,H=1,D=5,grid=6x6,win=6x6,shift=0x0,has_rpb=1", "B=1,H=1,D=5,grid=8x8,win=8x4,shift=3x1",
    "B=1,H=2,D=4,grid=9x8,win=3x8,shift=2x0,has_rpb=1",
  };
  for (size_t i = 0; i < sizeof d2 / sizeof d2[0]; i++) against_pipeline(&sq_window_2d_flash, d2[i]);
  const char *const d3[] = {
    "B=1,H=2,D=4,DV=6,grid=4x6x6,win=2x3x3,shift=1x1x1,has_rpb=1", "B=1,H=1,D=3,grid=8x7x14,win=4x7x7,shift=2x3x3",
    "B=2,H=1,D=4,grid=6x4x6,win=3x4x2,shift=0x2x1,has_rpb=1", "B=1,H=1,D=4,grid=4x4x4,win=2x2x2",
  };
  for (size_t i = 0; i < sizeof d3 / sizeof d3[0]; i++) against_pipeline(&sq_window_3d_flash, d3[i]);
}

/* Work per FAMILIES.md §4 at Swin-T stage 1 shifted (56x56, 7x7, s 3) and
 * Video Swin (16x56x56, 8x7x7, s 4x3x3), with rpb. */
static void test_work(void) {
  sq_problem p;
  problem(&sq_window_2d_flash, "B=2,H=3,D=32,DV=16,grid=56x56,win=7x7,shift=3x3,has_rpb=1", SQ_F16, &p);
  double P = 7.0 * 49 + 16 + 9;   /* per axis: (56/7 - 1) 49 + 4^2 + 3^2 */
  double pairs = P * P;
  sq_work w = sq_window_2d_flash.work(&p);
  tap_ok(w.flops == 6 * pairs * (64 + 32) && w.exps == 6 * pairs &&
         w.bytes == 2.0 * 6 * 3136 * (64 + 32) + 4.0 * 3 * 13 * 13,
         "work 2D 56x56 win 7 shift 3: flops %.6g = B H pairs (2D+2DV), exps %.6g, bytes %.6g = s B H T (2D+2DV) + "
         "4|rpb|", w.flops, w.exps, w.bytes);
  problem(&sq_window_3d_flash, "B=1,H=2,D=32,grid=16x56x56,win=8x7x7,shift=4x3x3,has_rpb=1", SQ_F32, &p);
  pairs = (1.0 * 64 + 16 + 16) * P * P;
  w = sq_window_3d_flash.work(&p);
  tap_ok(w.flops == 2 * pairs * 128 && w.exps == 2 * pairs && w.bytes == 4.0 * 2 * 50176 * 128 + 4.0 * 2 * 15 * 13 * 13,
         "work 3D 16x56x56 win 8x7x7 shift 4x3x3: flops %.6g, exps %.6g, bytes %.6g", w.flops, w.exps, w.bytes);
  problem(&sq_window_2d_flash, "B=1,H=1,D=16,grid=64x32,win=8x8", SQ_F32, &p);
  w = sq_window_2d_flash.work(&p);
  tap_ok(w.exps == 64.0 * 32 * 64 && w.bytes == 4.0 * 2048 * 64, "no shift, no rpb: T M^2 pairs, no rpb bytes");
}

/* Swin on COCO: 200x336 in 7x7 windows is not a multiple; the op refuses
 * it with one line, and the caller pads it to 203x336. */
static void test_ragged_grid(void) {
  sq_problem p;
  int rc = sq_problem_parse(&sq_window_2d_flash, "B=1,H=1,D=16,grid=200x336,win=7x7,shift=3x3", 0, SQ_F32, &p);
  const char *e = sq_last_error();
  tap_ok(rc == SQ_EINVAL && strstr(e, "grid axis 0 (200) is not a multiple of its window (7)") && !strchr(e, '\n'),
         "grid 200x336 in 7x7 windows refused in one line (%s)", e);
  rc = sq_problem_parse(&sq_window_3d_flash, "B=1,H=1,D=16,grid=8x8x8,win=4x4x4,shift=0x4x0", 0, SQ_F32, &p);
  e = sq_last_error();
  tap_ok(rc == SQ_EINVAL && strstr(e, "shift 4 on axis 1 is not below its window (4)"),
         "a shift equal to its window refused (%s)", e);
  rc = sq_problem_parse(&sq_window_2d_flash, "B=1,H=1,D=16,grid=8x8,win=4x4", 1, SQ_F32, &p);
  tap_ok(rc == SQ_EINVAL, "a causal window case refused (%s)", sq_last_error());
}

/* Runs the case of a --shape text verified; `params` (or NULL: defaults) as
 * "NAME=V,...". */
static int run_case(const sq_kernel *k, const char *shape, sq_dtype dt, const char *params, const sq_run_opts *opts,
                    const char *what) {
  sq_problem p;
  problem(k, shape, dt, &p);
  return verify_case(k, &p, params, opts, what);
}

static void kernel_2d(void) {
  static const char *const shapes[] = {
    "B=1,H=2,D=16,grid=14x14,win=7x7",                    /* shift 0, no rpb */
    "B=1,H=2,D=16,grid=14x14,win=7x7,shift=3x3,has_rpb=1", /* Swin's M/2 (floor) */
    "B=2,H=3,D=32,grid=16x16,win=8x8,shift=4x4,has_rpb=1", /* M/2 */
    "B=1,H=1,D=24,DV=40,grid=12x20,win=4x5,shift=1x3",     /* rectangular, other shifts */
    "B=1,H=2,D=20,grid=24x12,win=6x12,shift=5x0,has_rpb=1", /* one axis shifted, one window wide */
    "B=1,H=1,D=16,grid=7x7,win=7x7,shift=2x5,has_rpb=1",   /* one window, shifted: masks only */
    "B=3,H=2,D=8,grid=4x4,win=2x2,shift=1x1,has_rpb=1",    /* windows of 4 */
    "B=1,H=1,D=32,grid=32x32,win=16x16,shift=8x8,has_rpb=1", /* 256-token windows */
    "B=1,H=1,D=16,grid=21x35,win=7x7,shift=3x3,has_rpb=1", /* 20x34 padded as Swin pads */
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    run_case(&sq_window_2d_flash, shapes[i], SQ_F32, NULL, NULL, "2D");
}

static void kernel_3d(void) {
  static const char *const shapes[] = {
    "B=1,H=2,D=16,grid=4x14x14,win=2x7x7",
    "B=1,H=2,D=16,grid=8x14x14,win=4x7x7,shift=2x3x3,has_rpb=1",
    "B=2,H=1,D=24,DV=8,grid=6x8x12,win=3x4x6,shift=1x2x5,has_rpb=1",
    "B=1,H=1,D=32,grid=16x14x14,win=8x7x7,shift=4x3x3,has_rpb=1", /* Video Swin's 392-token windows */
    "B=1,H=3,D=8,grid=4x4x4,win=4x2x4,shift=3x0x2",
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    run_case(&sq_window_3d_flash, shapes[i], SQ_F32, NULL, NULL, "3D");
}

/* Head dims 1 to 256 (D != DV too), 16-bit storage. */
static void head_dims_and_dtypes(void) {
  static const char *const shapes[] = {
    "B=1,H=2,D=1,grid=16x16,win=8x8,shift=4x4,has_rpb=1",   "B=1,H=2,D=64,grid=14x14,win=7x7,shift=3x3,has_rpb=1",
    "B=1,H=1,D=80,grid=14x14,win=7x7,shift=3x3,has_rpb=1",  "B=1,H=1,D=256,grid=14x14,win=7x7,shift=3x3,has_rpb=1",
    "B=1,H=1,D=256,DV=100,grid=8x8,win=4x4,shift=2x2",      "B=1,H=1,D=3,DV=256,grid=8x8,win=8x8,shift=4x2",
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    run_case(&sq_window_2d_flash, shapes[i], SQ_F32, NULL, NULL, "head dims");
  static const sq_dtype dts[] = {SQ_F16, SQ_BF16};
  for (int d = 0; d < 2; d++) {
    run_case(&sq_window_2d_flash, "B=2,H=2,D=32,DV=48,grid=14x21,win=7x7,shift=3x3,has_rpb=1", dts[d], NULL, NULL,
             "16-bit storage");
    run_case(&sq_window_3d_flash, "B=1,H=2,D=32,grid=8x14x14,win=4x7x7,shift=2x3x3,has_rpb=1", dts[d], NULL, NULL,
             "16-bit storage");
  }
  run_case(&sq_window_2d_flash, "B=1,H=1,D=256,grid=8x8,win=8x8,shift=4x4,has_rpb=1", SQ_BF16, NULL, NULL,
           "D = DV = 256 in bf16");
}

/* Several windows per group (some past the last window), query blocks
 * cutting a window (the last one short), narrow and wide key tiles (a
 * window not a multiple of them), rpb staged in local memory, interleaved
 * staging. */
static void configurations(void) {
  static const char *const cfg[] = {"WN_WPG=2", "WN_WPG=4,WN_RPBL=1", "WN_WPG=8,WN_QB=16,WN_BN=8",
                                    "WN_QB=32,WN_BN=16,WN_STAGE=1", "WN_BN=64,WN_RPBL=1,WN_STAGE=1",
                                    "WN_WPG=2,WN_QB=64,WN_BN=32,WN_RPBL=1"};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
    run_case(&sq_window_2d_flash, "B=1,H=2,D=24,DV=16,grid=21x35,win=7x7,shift=3x2,has_rpb=1", SQ_F32, cfg[i], NULL,
             "configuration");
    run_case(&sq_window_3d_flash, "B=1,H=1,D=16,grid=6x12x12,win=3x6x4,shift=1x3x2,has_rpb=1", SQ_F32, cfg[i], NULL,
             "configuration");
  }
}

static void sharp(void) {
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){sharpen_qk, NULL};
  run_case(&sq_window_2d_flash, "B=1,H=2,D=32,grid=16x16,win=8x8,shift=4x4,has_rpb=1", SQ_F32, NULL, &o,
           "q = k = 4r");
}

/* A window covering the whole grid, no shift, no bias: softmax attention
 * over every token, against softmax_attn's reference on the very inputs
 * the kernel ran on. */
static void whole_grid_is_softmax(const sq_kernel *kern, const char *shape) {
  sq_problem p;
  problem(kern, shape, SQ_F32, &p);
  const sq_windows w = sq_windows_of(&p);
  const int64_t T = sq_windows_tokens(&w);
  capture c = {0};
  sq_run_opts o;
  capture_options(&o, &c);
  if (!run_case(kern, shape, SQ_F32, NULL, &o, "window = grid")) {
    free_capture(&c);
    return;
  }
  double e = softmax_gap(&c, SQ_WN_Q, SQ_WN_K, SQ_WN_V, SQ_WN_O, w.B, w.H, T, w.D, w.DV, 0);
  tap_ok(e < 1e-5, "%s %s: the kernel = softmax_attn's reference over all %lld tokens (rel %.2g)", kern->name,
         shape, (long long)T, e);
  free_capture(&c);
}

int main(void) {
  test_declaration();
  test_reference();
  test_work();
  test_ragged_grid();
  if (test_device_open(&dev)) {
    tap_skip("window attention kernels", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  kernel_2d();
  kernel_3d();
  head_dims_and_dtypes();
  configurations();
  sharp();
  whole_grid_is_softmax(&sq_window_2d_flash, "B=1,H=2,D=24,DV=40,grid=12x10,win=12x10");
  whole_grid_is_softmax(&sq_window_3d_flash, "B=2,H=1,D=16,grid=4x6x5,win=4x6x5");
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
