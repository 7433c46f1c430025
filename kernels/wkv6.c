/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptors of the RWKV-6 WKV kernels (kernels/wkv6.sqk): their tunables,
 * constraints, launch plans and useful work (FAMILIES.md §3.2). A
 * bidirectional call runs one direction's plan twice: the forward pass,
 * with the bonus, keeps its output in f32 scratch, and the backward pass
 * (over the reversed sequence, without the bonus) adds it. */
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/sources.h"
#include "kernels/wkv6.h"

/* CUDA's static shared-memory limit: every configuration also compiles
 * for NVRTC. */
#define WKV_LOCAL_MAX 49152
#define WKV_ST 16          /* positions staged per step by wkv6_state */
#define WKV_LINEAR_WG 64   /* work-group of wkv6_cumsum and wkv6_scan */

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static int too_many(char *why, size_t n, const char *what, int64_t count) {
  snprintf(why, n, "%s needs %lld work-items or entries, more than a 32-bit index", what, (long long)count);
  return SQ_EUNSUPPORTED;
}

/* FAMILIES.md §3.2: 7 N^2 flops per token and head causal, 12 with the
 * backward scan; two exps per token and key channel (-exp(w) and its
 * exp); r, k, v, w read and o written once, u, and the states. */
static sq_work wkv6_work(const sq_problem *p) {
  double bthn = (double)wkv6_B(p) * (double)wkv6_T(p) * (double)wkv6_H(p) * (double)wkv6_N(p);
  double N = (double)wkv6_N(p), s = (double)sq_dtype_size(p->dtype);
  double state = wkv6_state(p) ? 8.0 * (double)wkv6_B(p) * (double)wkv6_H(p) * N * N : 0.0;
  sq_work w;
  w.flops = bthn * N * (p->causal ? 7.0 : 12.0);
  w.exps = 2.0 * bthn;
  w.bytes = 5.0 * s * bthn + 4.0 * (double)wkv6_H(p) * N + state;
  return w;
}

/* Defines every plan shares. */
static void common_defines(sq_plan *pl, const sq_problem *p) {
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  sq_plan_define(pl, "HEAD_N", (long)wkv6_N(p));
  sq_plan_define(pl, "WKV_STATE", wkv6_state(p));
}

/* Scratch for the forward pass's f32 output of a bidirectional call; the
 * output slot otherwise (passed, never read). */
static int part_slot(sq_plan *pl, const sq_problem *p) {
  if (p->causal) return SQ_WKV6_O;
  return sq_plan_scratch(pl, (size_t)(wkv6_B(p) * wkv6_T(p) * wkv6_H(p) * wkv6_N(p)) * sizeof(float));
}

/* omode of direction dir: store (causal), keep in f32, add and store. */
static int omode(const sq_problem *p, int dir) { return p->causal ? 0 : dir ? 2 : 1; }

/* ---- recurrent ----------------------------------------------------------- */

enum { RC_P_COLS, RC_P_TSTEP };

/* Work-items per group: RC_COLS, but no wider than N rounded up to 16 (a
 * head of 16 does not idle 48 of 64 work-items). */
static int rc_cols(const sq_problem *p, int cols) {
  int64_t need = (wkv6_N(p) + 15) / 16 * 16;
  return need < cols ? (int)need : cols;
}

static size_t rc_local(const sq_problem *p, int tstep) {
  return (3u * (size_t)tstep * (size_t)wkv6_N(p) + (size_t)tstep) * 4u;
}

static int rc_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  if (nset > RC_P_TSTEP && rc_local(p, pv[RC_P_TSTEP]) > WKV_LOCAL_MAX) {
    snprintf(why, n, "RC_TSTEP=%d with N=%lld needs %zu bytes of local memory (max %d)", pv[RC_P_TSTEP],
             (long long)wkv6_N(p), rc_local(p, pv[RC_P_TSTEP]), WKV_LOCAL_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

static int rc_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int cols = rc_cols(p, pv[RC_P_COLS]);
  int64_t ntile = cdiv(wkv6_N(p), cols), groups = wkv6_B(p) * wkv6_H(p) * ntile;
  char why[160];
  if (groups > INT32_MAX) return sq_fail(too_many(why, sizeof why, "wkv6_recurrent", groups), "%s", why);
  common_defines(out, p);
  sq_plan_define(out, "RC_COLS", cols);
  sq_plan_define(out, "RC_TSTEP", pv[RC_P_TSTEP]);
  int part = part_slot(out, p);
  int st = wkv6_state(p);
  for (int dir = 0; dir < (p->causal ? 1 : 2); dir++) {
    sq_launch *l = sq_plan_launch(out, "wkv6_recurrent", (size_t)groups * cols, 1, 1, cols, 1, 1);
    const int bufs[] = {SQ_WKV6_R, SQ_WKV6_K, SQ_WKV6_V, SQ_WKV6_W, SQ_WKV6_U, st ? SQ_WKV6_H0 : SQ_WKV6_U,
                        SQ_WKV6_O, st ? SQ_WKV6_HT : SQ_WKV6_O, part};
    for (int b = 0; b < 9; b++) sq_arg_buf(l, bufs[b]);
    const int64_t args[] = {wkv6_T(p), ntile, wkv6_H(p), dir, omode(p, dir)};
    for (int a = 0; a < 5; a++) sq_arg_i32(l, (int32_t)args[a]);
  }
  out->local_mem = rc_local(p, pv[RC_P_TSTEP]);
  return 0;
}

const sq_kernel sq_wkv6_recurrent = {
  .name = "wkv.rwkv6.recurrent",
  .op = &sq_op_rwkv6,
  .family = "wkv.rwkv6",
  .doc = "RWKV-6 WKV, recurrent: one work-item per value column with N state floats, sequential in t",
  .source = &sq_src_wkv6,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .nparams = 2,
  .params = {
    {"RC_COLS", 5, {16, 32, 64, 128, 256}, 64,
     "value columns per work-group, one per work-item (at most N rounded up to 16)"},
    {"RC_TSTEP", 4, {4, 8, 16, 32}, 8, "time steps of r, k and the decays staged in local memory per load"},
  },
  .check = rc_check, .plan = rc_plan, .work = wkv6_work, .reference = sq_wkv6_ref,
  .reference_row_cost = sq_wkv6_ref_row_cost,
};

/* ---- chunked ------------------------------------------------------------- */

enum { CH_P_CHUNK, CH_P_WY, CH_P_BK, CH_P_BN, CH_P_RUNS };

/* Local memory of wkv6_out (the largest of the chunked entries). */
static size_t out_local(int chunk, int wy, int bk, int bn) {
  size_t r = 4u * (size_t)wy, row = (size_t)bk + 1;
  size_t f = r * row + 2u * (size_t)bk * bn + (size_t)chunk * row + r * ((size_t)chunk + 1);
  f += 3u * r * row + 2u * (size_t)bk;
  return f * 4u;
}

static size_t state_local(int wy) { return ((size_t)WKV_ST * (4u * wy + 64u) + 4u * wy) * 4u; }

static int ch_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  (void)p;
  if (nset > CH_P_WY && pv[CH_P_CHUNK] % (4 * pv[CH_P_WY])) {
    snprintf(why, n, "CHUNK=%d is not a multiple of 4 * WKV_WY=%d", pv[CH_P_CHUNK], 4 * pv[CH_P_WY]);
    return SQ_EINVAL;
  }
  if (nset > CH_P_BN) {
    size_t lm = out_local(pv[CH_P_CHUNK], pv[CH_P_WY], pv[CH_P_BK], pv[CH_P_BN]);
    if (lm > WKV_LOCAL_MAX) {
      snprintf(why, n, "CHUNK=%d, WKV_WY=%d, WKV_BK=%d, WKV_BN=%d need %zu bytes of local memory (max %d)",
               pv[CH_P_CHUNK], pv[CH_P_WY], pv[CH_P_BK], pv[CH_P_BN], lm, WKV_LOCAL_MAX);
      return SQ_EINVAL;
    }
  }
  return 0;
}

/* The scratch buffers of the chunked plan; both directions reuse them. */
typedef struct ch_bufs {
  int st, dmv, bsum, part;
  int64_t nchunk, nent;
} ch_bufs;

static sq_launch *add_linear_launch(sq_plan *pl, const char *entry, int64_t items) {
  return sq_plan_launch(pl, entry, sq_round_up((size_t)items, WKV_LINEAR_WG), 1, 1, WKV_LINEAR_WG, 1, 1);
}

static void add_i32s(sq_launch *l, const int64_t *v, int n) {
  for (int a = 0; a < n; a++) sq_arg_i32(l, (int32_t)v[a]);
}

/* One direction: cumsum, state, scan, out. */
static int add_direction(sq_plan *pl, const sq_problem *p, const ch_bufs *cb, const int *pv, int dir, char *why,
                         size_t n) {
  int wy = pv[CH_P_WY], chunk = pv[CH_P_CHUNK], bn = pv[CH_P_BN], runs = pv[CH_P_RUNS];
  int64_t bh = wkv6_B(p) * wkv6_H(p), N = wkv6_N(p), T = wkv6_T(p), H = wkv6_H(p);
  int64_t total = bh * cb->nchunk * N;
  if (total > INT32_MAX) return too_many(why, n, "wkv6_cumsum", total);
  sq_launch *l = add_linear_launch(pl, "wkv6_cumsum", total);
  sq_arg_buf(l, SQ_WKV6_W);
  sq_arg_buf(l, cb->bsum);
  const int64_t cargs[] = {T, cb->nchunk, H, total, dir};
  add_i32s(l, cargs, 5);

  int64_t nrt = cdiv(N, 4 * wy), nct = cdiv(N, 64);
  int64_t groups = bh * cb->nchunk * nrt * nct;
  if (groups > INT32_MAX) return too_many(why, n, "wkv6_state", groups);
  l = sq_plan_launch(pl, "wkv6_state", (size_t)groups * 16, wy, 1, 16, wy, 1);
  const int sbufs[] = {SQ_WKV6_K, SQ_WKV6_V, cb->bsum, cb->st, cb->dmv};
  for (int b = 0; b < 5; b++) sq_arg_buf(l, sbufs[b]);
  const int64_t sargs[] = {T, cb->nchunk, nrt, nct, H, dir};
  add_i32s(l, sargs, 6);

  total = bh * cb->nent;
  if (total > INT32_MAX) return too_many(why, n, "wkv6_scan", total);
  l = add_linear_launch(pl, "wkv6_scan", runs ? total / 16 : total);
  int st = wkv6_state(p);
  sq_arg_buf(l, cb->st);
  sq_arg_buf(l, cb->dmv);
  sq_arg_buf(l, st ? SQ_WKV6_H0 : cb->st);
  sq_arg_buf(l, st ? SQ_WKV6_HT : cb->st);
  const int64_t scargs[] = {cb->nchunk, total, dir};
  add_i32s(l, scargs, 3);

  int64_t nct2 = cdiv(N, bn), ogroups = bh * cb->nchunk * (chunk / (4 * wy)) * nct2;
  if (ogroups > INT32_MAX) return too_many(why, n, "wkv6_out", ogroups);
  l = sq_plan_launch(pl, "wkv6_out", (size_t)ogroups * 16, wy, 1, 16, wy, 1);
  const int obufs[] = {SQ_WKV6_R, SQ_WKV6_K, SQ_WKV6_V, SQ_WKV6_U, cb->bsum, SQ_WKV6_O, cb->st, cb->part};
  for (int b = 0; b < 8; b++) sq_arg_buf(l, obufs[b]);
  const int64_t oargs[] = {T, cb->nchunk, nct2, H, dir, omode(p, dir)};
  add_i32s(l, oargs, 6);
  return 0;
}

static int ch_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int chunk = pv[CH_P_CHUNK];
  int64_t bh = wkv6_B(p) * wkv6_H(p), N = wkv6_N(p);
  ch_bufs cb = {0};
  cb.nchunk = cdiv(wkv6_T(p), chunk);
  cb.nent = N * ((N + 15) / 16 * 16);
  common_defines(out, p);
  const struct { const char *name; int v; } defs[] = {
    {"CHUNK", chunk}, {"WKV_WY", pv[CH_P_WY]}, {"WKV_BK", pv[CH_P_BK]}, {"WKV_BN", pv[CH_P_BN]},
    {"WKV_RUNS", pv[CH_P_RUNS]},
  };
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) sq_plan_define(out, defs[i].name, defs[i].v);
  cb.st = sq_plan_scratch(out, (size_t)(bh * cb.nchunk * cb.nent) * sizeof(float));
  cb.dmv = sq_plan_scratch(out, (size_t)(bh * cb.nchunk * N) * sizeof(float));
  cb.bsum = sq_plan_scratch(out, (size_t)(bh * wkv6_T(p) * N) * sizeof(float));
  cb.part = part_slot(out, p);
  char why[160];
  for (int dir = 0; dir < (p->causal ? 1 : 2); dir++) {
    int err = add_direction(out, p, &cb, pv, dir, why, sizeof why);
    if (err) return sq_fail(err, "%s", why);
  }
  out->local_mem = max_size(state_local(pv[CH_P_WY]), out_local(chunk, pv[CH_P_WY], pv[CH_P_BK], pv[CH_P_BN]));
  return 0;
}

const sq_kernel sq_wkv6_chunked = {
  .name = "wkv.rwkv6.chunked",
  .op = &sq_op_rwkv6,
  .family = "wkv.rwkv6",
  .doc = "RWKV-6 WKV, chunked (GLA's scheme): chunk-local decay sums, chunk states, a decayed scan, "
         "strictly earlier keys split at each block's first row, the bonus on the diagonal",
  .source = &sq_src_wkv6,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .nparams = 5,
  .params = {
    {"CHUNK", 4, {16, 32, 64, 128}, 64, "tokens per chunk (the intra-chunk part is quadratic in it)"},
    {"WKV_WY", 5, {1, 2, 4, 8, 16}, 1,
     "work-group height: 16 x WKV_WY work-items, 4 rows each; also the diagonal block (PoCL: 1, GPUs: 16)"},
    {"WKV_BK", 4, {4, 8, 16, 32}, 16, "key channels staged per step in the output kernel"},
    {"WKV_BN", 3, {16, 32, 64}, 64, "output columns (of N) per work-group"},
    {"WKV_RUNS", 2, {0, 1}, 1,
     "copy order: 0 interleaved (coalesced, GPUs), 1 contiguous runs per work-item (CPU vectorisers)"},
  },
  .check = ch_check, .plan = ch_plan, .work = wkv6_work, .reference = sq_wkv6_ref,
  .reference_row_cost = sq_wkv6_ref_row_cost,
};
