/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptors of local_attn.window_2d.flash and local_attn.window_3d.flash
 * (text in kernels/window_attn.sqk, reference in kernels/window_attn_ref.c):
 * the 3D view of both ops, the pairs formula, the tunables (windows and
 * query rows per work-group, key tile, rpb in local memory, staging
 * pattern), their check against the local-memory and work-group limits,
 * and the launch plan. Work per FAMILIES.md §4: pairs is the number of
 * (query, key) pairs the windows' masks keep, not what the tiles compute. */
#include <stdio.h>

#include "base/error.h"
#include "kernels/sources.h"
#include "kernels/window_attn.h"

/* CUDA's static shared-memory limit: every configuration also compiles for
 * NVRTC. */
#define WN_LOCAL_MAX 49152
#define WN_WG_MAX 256
/* CUDA limits grid y and z to 65535 blocks: one z per (b, h). */
#define WN_GRID_YZ_MAX 65535
/* Token indices are ints in the text. */
#define WN_TOKENS_MAX 2147483647LL

enum { WN_WPG_I = 0, WN_QB_I, WN_BN_I, WN_RPBL_I, WN_STAGE_I };

sq_windows sq_windows_of(const sq_problem *p) {
  const sq_shape *s = &p->shape;
  const int rank = s->op->axes[SQ_WN_GRID].len, lead = 3 - rank;
  sq_windows w = {sq_ax(p, SQ_WN_B), sq_ax(p, SQ_WN_H), sq_ax(p, SQ_WN_D), sq_ax(p, SQ_WN_DV),
                  {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, s->v[SQ_WN_SCALE][0], (int)sq_ax(p, SQ_WN_HAS_RPB)};
  for (int a = 0; a < rank; a++) {
    w.L[lead + a] = (int64_t)s->v[SQ_WN_GRID][a];
    w.M[lead + a] = (int64_t)s->v[SQ_WN_WIN][a];
    w.S[lead + a] = (int64_t)s->v[SQ_WN_SHIFT][a];
  }
  return w;
}

double sq_windows_pairs(const sq_windows *w) {
  double pairs = 1;
  for (int a = 0; a < 3; a++) {
    const double L = (double)w->L[a], M = (double)w->M[a], s = (double)w->S[a];
    pairs *= w->S[a] == 0 ? L * M : (L / M - 1) * M * M + (M - s) * (M - s) + s * s;
  }
  return pairs;
}

static int64_t rpb_per_head(const sq_windows *w) {
  return (2 * w->M[0] - 1) * (2 * w->M[1] - 1) * (2 * w->M[2] - 1);
}

/* WN_QB = 0 (the default): the whole window when WN_WPG of them fit in a
 * work-group, else the window cut into the fewest equal blocks that fit. */
static int query_rows(const sq_windows *w, const int *pv) {
  if (pv[WN_QB_I] > 0) return pv[WN_QB_I];
  const int64_t nw = sq_windows_size(w), fit = WN_WG_MAX / pv[WN_WPG_I];
  const int64_t blocks = (nw + fit - 1) / fit;
  return (int)((nw + blocks - 1) / blocks);
}

static size_t local_bytes(const sq_windows *w, const int *pv, int bn) {
  size_t bytes = (size_t)pv[WN_WPG_I] * (size_t)bn * ((size_t)(w->D + w->DV) * sizeof(float) + sizeof(int));
  if (w->has_rpb && pv[WN_RPBL_I]) bytes += (size_t)rpb_per_head(w) * sizeof(float);
  return bytes;
}

/* WN_BN = 0 (the default): the window in the fewest equal tiles of at most
 * 64 positions (32 past D + DV = 128, 16 past 256: a work-item holds a
 * tile's scores in registers beside q and its accumulator), then more
 * tiles until they fit local memory. Swin's 49 is one tile, Video Swin's
 * 392 seven of 56. */
static int tile_keys(const sq_windows *w, const int *pv) {
  if (pv[WN_BN_I] > 0) return pv[WN_BN_I];
  const int64_t nw = sq_windows_size(w), cap = w->D + w->DV <= 128 ? 64 : w->D + w->DV <= 256 ? 32 : 16;
  for (int64_t tiles = (nw + cap - 1) / cap;; tiles++) {
    const int bn = (int)((nw + tiles - 1) / tiles);
    if (bn <= 1 || local_bytes(w, pv, bn) <= WN_LOCAL_MAX) return bn;
  }
}

static int check_sizes(const sq_windows *w, char *why, size_t n) {
  if (w->D < 1 || w->D > 256 || w->DV < 1 || w->DV > 256) {
    snprintf(why, n, "D=%lld, DV=%lld: head dims must be 1..256", (long long)w->D, (long long)w->DV);
    return SQ_EINVAL;
  }
  if (w->B * w->H > WN_GRID_YZ_MAX) {
    snprintf(why, n, "B*H=%lld exceeds %d (one grid dimension per head)", (long long)(w->B * w->H), WN_GRID_YZ_MAX);
    return SQ_EINVAL;
  }
  if (sq_windows_tokens(w) > WN_TOKENS_MAX) {
    snprintf(why, n, "%lld tokens: the kernel indexes tokens with 32-bit ints", (long long)sq_windows_tokens(w));
    return SQ_EINVAL;
  }
  return 0;
}

static int windows_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  const sq_windows w = sq_windows_of(p);
  int rc = check_sizes(&w, why, n);
  if (rc || nset <= WN_QB_I) return rc;
  const int wpg = pv[WN_WPG_I], qb = query_rows(&w, pv);
  if (wpg < 1 || qb < 1 || (long long)wpg * qb > WN_WG_MAX) {   /* each may be 2^20 (--param's limit) */
    snprintf(why, n, "work-group WN_WPG*WN_QB=%lld must be 1..%d", (long long)wpg * qb, WN_WG_MAX);
    return SQ_EINVAL;
  }
  if (nset <= WN_RPBL_I) return 0;
  const int bn = tile_keys(&w, pv);
  if (bn < 1 || bn > 256) {
    snprintf(why, n, "WN_BN=%d must be 1..256", bn);
    return SQ_EINVAL;
  }
  if (local_bytes(&w, pv, bn) > WN_LOCAL_MAX) {
    snprintf(why, n, "local memory %zu B (WN_WPG=%d windows of WN_BN=%d keys%s) exceeds %d B",
             local_bytes(&w, pv, bn), wpg, bn, w.has_rpb && pv[WN_RPBL_I] ? " and the staged rpb" : "",
             WN_LOCAL_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

/* One launch: grid (ceil(windows/WN_WPG) * WN_WPG*WN_QB, query blocks per
 * window, B*H). */
static int windows_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  const sq_windows w = sq_windows_of(p);
  const int wpg = pv[WN_WPG_I], qb = query_rows(&w, pv), bn = tile_keys(&w, pv);
  const int64_t nwin = sq_windows_count(&w), nw = sq_windows_size(&w);
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  static const char *const names[3][2] = {{"WN_M0", "WN_S0"}, {"WN_M1", "WN_S1"}, {"WN_M2", "WN_S2"}};
  for (int a = 0; a < 3; a++) {
    sq_plan_define(out, names[a][0], (long)w.M[a]);
    sq_plan_define(out, names[a][1], (long)w.S[a]);
  }
  sq_plan_define(out, "WN_RPB", w.has_rpb);
  sq_plan_define(out, "WN_WPG", wpg);
  sq_plan_define(out, "WN_QB", qb);
  sq_plan_define(out, "WN_BN", bn);
  sq_plan_define(out, "WN_RPBL", pv[WN_RPBL_I]);
  sq_plan_define(out, "WN_STAGE", pv[WN_STAGE_I]);
  out->local_mem = local_bytes(&w, pv, bn);
  const size_t wg = (size_t)wpg * (size_t)qb, groups = (size_t)((nwin + wpg - 1) / wpg);
  sq_launch *l = sq_plan_launch(out, "sq_window_flash", groups * wg, (size_t)((nw + qb - 1) / qb),
                                (size_t)(w.B * w.H), wg, 1, 1);
  for (int s = SQ_WN_Q; s <= SQ_WN_V; s++) sq_arg_buf(l, s);
  sq_arg_buf(l, w.has_rpb ? SQ_WN_RPB : SQ_WN_Q);   /* never read without rpb */
  sq_arg_buf(l, SQ_WN_O);
  for (int a = 0; a < 3; a++) sq_arg_i32(l, (int32_t)w.L[a]);
  sq_arg_i32(l, (int32_t)nwin);
  sq_arg_i32(l, (int32_t)w.H);
  sq_arg_f32(l, (float)w.scale);
  return 0;
}

/* FAMILIES.md §4: FLOPs = B H pairs (2D + 2DV), exps = B H pairs, bytes =
 * s B H T (2D + 2DV) + 4 |rpb|. */
static sq_work windows_work(const sq_problem *p) {
  const sq_windows w = sq_windows_of(p);
  const double np = sq_windows_pairs(&w), bh = (double)(w.B * w.H);
  sq_work r;
  r.flops = bh * np * (double)(2 * w.D + 2 * w.DV);
  r.exps = bh * np;
  r.bytes = (double)sq_dtype_size(p->dtype) * bh * (double)sq_windows_tokens(&w) * (double)(2 * w.D + 2 * w.DV) +
            (w.has_rpb ? 4.0 * (double)w.H * (double)rpb_per_head(&w) : 0.0);
  return r;
}

#define WN_PARAMS                                                                                          \
  .nparams = 5,                                                                                            \
  .params = {                                                                                              \
    {"WN_WPG", 4, {1, 2, 4, 8}, 1, "windows per work-group (Swin's 49-token windows are small)"},          \
    {"WN_QB", 6, {0, 16, 32, 64, 128, 256}, 0,                                                             \
     "query positions of each window per work-group (0: the whole window, or equal blocks that fit)"},    \
    {"WN_BN", 5, {0, 8, 16, 32, 64}, 0,                                                                    \
     "window positions per key tile in local memory (0: the window in equal tiles of <= 64, 32 or 16)"},  \
    {"WN_RPBL", 2, {0, 1}, 0, "stage the head's rpb table in local memory"},                              \
    {"WN_STAGE", 2, {0, 1}, 0, "tile staging: 0 whole rows per work-item (CPUs), 1 interleaved (GPUs)"},  \
  }

const sq_kernel sq_window_2d_flash = {
  .name = "local_attn.window_2d.flash",
  .op = &sq_op_window_2d,
  .family = "local_attn.window_2d",
  .doc = "Swin (shifted) window attention, flash tiles per block of windows, roll and mask fused",
  .source = &sq_src_window_attn,
  .modes = SQ_NONCAUSAL,
  .ref_by_row = 1,
  WN_PARAMS,
  .check = windows_check,
  .plan = windows_plan,
  .work = windows_work,
  .reference = sq_window_attn_reference,
  .reference_row_cost = sq_window_attn_reference_row_cost,
};

const sq_kernel sq_window_3d_flash = {
  .name = "local_attn.window_3d.flash",
  .op = &sq_op_window_3d,
  .family = "local_attn.window_3d",
  .doc = "Video Swin (shifted) 3D window attention, the window_2d text over three axes",
  .source = &sq_src_window_attn,
  .modes = SQ_NONCAUSAL,
  .ref_by_row = 1,
  WN_PARAMS,
  .check = windows_check,
  .plan = windows_plan,
  .work = windows_work,
  .reference = sq_window_attn_reference,
  .reference_row_cost = sq_window_attn_reference_row_cost,
};
