/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptors of the gated and decayed linear-attention kernels
 * (kernels/gated_attn.sqk) for linear_attn.decay and linear_attn.gla: their
 * tunables, constraints, launch plans and useful work. Both ops share the
 * plans; GATED selects the gate (a log decay per head, or a log gate per key
 * channel and token). A bidirectional call runs the causal plan twice, the
 * forward pass keeping its output in f32 scratch and the backward pass (over
 * the reversed sequence, with gb) adding it. */
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/gated_attn.h"
#include "kernels/sources.h"

/* CUDA's static shared-memory limit: every configuration also compiles
 * for NVRTC. */
#define GA_LOCAL_MAX 49152
#define GA_ST 16          /* positions staged per step by ga_state */
#define GA_LINEAR_WG 64   /* work-group of ga_cumsum and ga_scan */

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

static int check_dims(const sq_problem *p, char *why, size_t n) {
  if (ga_T(p) > INT32_MAX) {
    snprintf(why, n, "T=%lld: %s supports up to %d tokens", (long long)ga_T(p), p->shape.op->name, INT32_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

static int too_many(char *why, size_t n, const char *what, int64_t count) {
  snprintf(why, n, "%s needs %lld work-items or entries, more than a 32-bit index", what, (long long)count);
  return SQ_EUNSUPPORTED;
}

/* FAMILIES.md §5: flops from the recurrent form (5 D DV + D per token and
 * direction, the bidirectional sum adding DV), exps of the gates, and the
 * compulsory traffic. */
static sq_work ga_work(const sq_problem *p) {
  sq_ga_slots sl = sq_ga_slots_of(p);
  double bht = (double)ga_B(p) * (double)ga_H(p) * (double)ga_T(p);
  double D = (double)ga_D(p), DV = (double)ga_DV(p), s = (double)sq_dtype_size(p->dtype);
  double state = ga_state(p) ? 8.0 * (double)ga_B(p) * (double)ga_H(p) * D * DV : 0.0;
  sq_work w;
  w.flops = p->causal ? bht * (5.0 * D * DV + D) : bht * (10.0 * D * DV + D + DV);
  if (sl.per_channel) {
    w.exps = (p->causal ? 1.0 : 2.0) * bht * D;
    w.bytes = s * bht * (3.0 * D + 2.0 * DV + (p->causal ? 0.0 : D)) + state;
  } else {
    w.exps = (double)ga_H(p);
    w.bytes = s * bht * (2.0 * D + 2.0 * DV) + 4.0 * (double)ga_H(p) + state;
  }
  return w;
}

/* Defines every plan shares: the problem's, the gate kind, the state. */
static void common_defines(sq_plan *pl, const sq_problem *p) {
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  sq_plan_define(pl, "GATED", sq_ga_slots_of(p).per_channel);
  sq_plan_define(pl, "GA_STATE", ga_state(p));
}

/* The gate tensor of direction `dir`: g then gb (gla), log_gamma both ways. */
static int gate_slot(const sq_ga_slots *sl, int dir) { return dir && sl->gate_b >= 0 ? sl->gate_b : sl->gate; }

/* Scratch for the forward pass's f32 output of a bidirectional call; the
 * output slot otherwise (passed, never read). */
static int part_slot(sq_plan *pl, const sq_problem *p, const sq_ga_slots *sl) {
  if (p->causal) return sl->o;
  return sq_plan_scratch(pl, (size_t)(ga_B(p) * ga_H(p) * ga_T(p) * ga_DV(p)) * sizeof(float));
}

/* ---- recurrent ----------------------------------------------------------- */

enum { RC_P_COLS, RC_P_TSTEP };

static size_t rc_local(const sq_problem *p, int tstep) {
  return (size_t)(sq_ga_slots_of(p).per_channel ? 3 : 2) * (size_t)tstep * (size_t)ga_D(p) * 4u;
}

static int rc_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int err = check_dims(p, why, n);
  if (err) return err;
  if (nset > RC_P_TSTEP && rc_local(p, pv[RC_P_TSTEP]) > GA_LOCAL_MAX) {
    snprintf(why, n, "RC_TSTEP=%d with D=%lld needs %zu bytes of local memory (max %d)", pv[RC_P_TSTEP],
             (long long)ga_D(p), rc_local(p, pv[RC_P_TSTEP]), GA_LOCAL_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

static int rc_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  sq_ga_slots sl = sq_ga_slots_of(p);
  int cols = pv[RC_P_COLS];
  int64_t ntile = cdiv(ga_DV(p), cols), groups = ga_B(p) * ga_H(p) * ntile;
  char why[160];
  if (groups > INT32_MAX) return sq_fail(too_many(why, sizeof why, "ga_recurrent", groups), "%s", why);
  common_defines(out, p);
  sq_plan_define(out, "RC_COLS", cols);
  sq_plan_define(out, "RC_TSTEP", pv[RC_P_TSTEP]);
  sq_plan_define(out, "RC_COMP", ga_T(p) >= (1 << 20));
  int part = part_slot(out, p, &sl);
  int h0 = ga_state(p) ? sl.h0 : sl.o, ht = ga_state(p) ? sl.ht : sl.o;
  for (int dir = 0; dir < (p->causal ? 1 : 2); dir++) {
    sq_launch *l = sq_plan_launch(out, "ga_recurrent", (size_t)groups * cols, 1, 1, cols, 1, 1);
    const int bufs[] = {sl.q, sl.k, sl.v, gate_slot(&sl, dir), h0, sl.o, ht, part};
    for (int b = 0; b < 8; b++) sq_arg_buf(l, bufs[b]);
    sq_arg_i32(l, (int32_t)ga_T(p));
    sq_arg_i32(l, (int32_t)ntile);
    sq_arg_i32(l, (int32_t)ga_H(p));
    sq_arg_i32(l, dir);
    sq_arg_i32(l, p->causal ? 0 : dir ? 2 : 1);
    sq_arg_f32(l, (float)ga_scale(p));
  }
  out->local_mem = rc_local(p, pv[RC_P_TSTEP]);
  return 0;
}

#define RC_PARAMS                                                                                         \
  .nparams = 2,                                                                                           \
  .params = {                                                                                             \
    {"RC_COLS", 5, {16, 32, 64, 128, 256}, 64, "state columns (of DV) per work-group, one per work-item"}, \
    {"RC_TSTEP", 4, {4, 8, 16, 32}, 16, "time steps of q, k (and gates) staged in local memory per load"}, \
  },                                                                                                      \
  .check = rc_check, .plan = rc_plan, .work = ga_work, .reference = sq_gated_attn_ref,                    \
  .reference_row_cost = sq_gated_attn_ref_row_cost

const sq_kernel sq_decay_attn_recurrent = {
  .name = "linear_attn.decay.recurrent",
  .op = &sq_op_linear_attn_decay,
  .family = "linear_attn.decay",
  .doc = "decayed linear attention (RetNet), recurrent: one work-item per state column, sequential in t",
  .source = &sq_src_gated_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  RC_PARAMS,
};

const sq_kernel sq_gla_recurrent = {
  .name = "linear_attn.gla.recurrent",
  .op = &sq_op_linear_attn_gla,
  .family = "linear_attn.gla",
  .doc = "gated linear attention (GLA), recurrent: one work-item per state column, sequential in t",
  .source = &sq_src_gated_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  RC_PARAMS,
};

/* ---- chunked ------------------------------------------------------------- */

enum { CH_P_CHUNK, CH_P_WY, CH_P_BK, CH_P_BN, CH_P_RUNS };

/* Local memory of ga_out (the largest of the chunked entries). */
static size_t out_local(const sq_problem *p, int chunk, int wy, int bk, int bn) {
  size_t r = 4u * (size_t)wy, row = (size_t)bk + 1;
  size_t f = r * row + 2u * (size_t)bk * bn + (size_t)chunk * row + r * ((size_t)chunk + 1);
  if (sq_ga_slots_of(p).per_channel) f += 3u * r * row + (size_t)bk;
  return f * 4u;
}

static size_t state_local(int wy) { return ((size_t)GA_ST * (4u * wy + 64u) + 4u * wy) * 4u; }

static int ch_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int err = check_dims(p, why, n);
  if (err) return err;
  if (nset > CH_P_WY && pv[CH_P_CHUNK] % (4 * pv[CH_P_WY])) {
    snprintf(why, n, "CHUNK=%d is not a multiple of 4 * GA_WY=%d", pv[CH_P_CHUNK], 4 * pv[CH_P_WY]);
    return SQ_EINVAL;
  }
  if (nset > CH_P_BN) {
    size_t lm = out_local(p, pv[CH_P_CHUNK], pv[CH_P_WY], pv[CH_P_BK], pv[CH_P_BN]);
    if (lm > GA_LOCAL_MAX) {
      snprintf(why, n, "CHUNK=%d, GA_WY=%d, GA_BK=%d, GA_BN=%d need %zu bytes of local memory (max %d)",
               pv[CH_P_CHUNK], pv[CH_P_WY], pv[CH_P_BK], pv[CH_P_BN], lm, GA_LOCAL_MAX);
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
  return sq_plan_launch(pl, entry, sq_round_up((size_t)items, GA_LINEAR_WG), 1, 1, GA_LINEAR_WG, 1, 1);
}

/* One direction: [cumsum,] state, scan, out. */
static int add_direction(sq_plan *pl, const sq_problem *p, const sq_ga_slots *sl, const ch_bufs *cb,
                         const int *pv, int dir, char *why, size_t n) {
  int wy = pv[CH_P_WY], chunk = pv[CH_P_CHUNK], bn = pv[CH_P_BN], runs = pv[CH_P_RUNS];
  int64_t bh = ga_B(p) * ga_H(p);
  int gate = sl->per_channel ? cb->bsum : gate_slot(sl, dir);
  int omode = p->causal ? 0 : dir ? 2 : 1;
  sq_launch *l;
  if (sl->per_channel) {
    int64_t total = bh * cb->nchunk * ga_D(p);
    if (total > INT32_MAX) return too_many(why, n, "ga_cumsum", total);
    l = add_linear_launch(pl, "ga_cumsum", total);
    sq_arg_buf(l, gate_slot(sl, dir));
    sq_arg_buf(l, cb->bsum);
    sq_arg_i32(l, (int32_t)ga_T(p));
    sq_arg_i32(l, (int32_t)cb->nchunk);
    sq_arg_i32(l, (int32_t)total);
    sq_arg_i32(l, dir);
  }
  int64_t nrt = cdiv(ga_D(p), 4 * wy), nct = cdiv(ga_DV(p), 64);
  int64_t groups = bh * cb->nchunk * nrt * nct;
  if (groups > INT32_MAX) return too_many(why, n, "ga_state", groups);
  l = sq_plan_launch(pl, "ga_state", (size_t)groups * 16, wy, 1, 16, wy, 1);
  const int sbufs[] = {sl->k, sl->v, gate, cb->st, cb->dmv};
  for (int b = 0; b < 5; b++) sq_arg_buf(l, sbufs[b]);
  const int64_t sargs[] = {ga_T(p), cb->nchunk, nrt, nct, ga_H(p), dir};
  for (int a = 0; a < 6; a++) sq_arg_i32(l, (int32_t)sargs[a]);

  int64_t total = bh * cb->nent;
  if (total > INT32_MAX) return too_many(why, n, "ga_scan", total);
  l = add_linear_launch(pl, "ga_scan", runs ? total / 16 : total);
  sq_arg_buf(l, cb->st);
  sq_arg_buf(l, cb->dmv);
  sq_arg_buf(l, ga_state(p) ? sl->h0 : cb->st);
  sq_arg_buf(l, ga_state(p) ? sl->ht : cb->st);
  sq_arg_i32(l, (int32_t)cb->nchunk);
  sq_arg_i32(l, (int32_t)total);
  sq_arg_i32(l, dir);

  int64_t nct2 = cdiv(ga_DV(p), bn), ogroups = bh * cb->nchunk * (chunk / (4 * wy)) * nct2;
  if (ogroups > INT32_MAX) return too_many(why, n, "ga_out", ogroups);
  l = sq_plan_launch(pl, "ga_out", (size_t)ogroups * 16, wy, 1, 16, wy, 1);
  const int obufs[] = {sl->q, sl->k, sl->v, gate, sl->o, cb->st, cb->part};
  for (int b = 0; b < 7; b++) sq_arg_buf(l, obufs[b]);
  const int64_t oargs[] = {ga_T(p), cb->nchunk, nct2, ga_H(p), dir, omode};
  for (int a = 0; a < 6; a++) sq_arg_i32(l, (int32_t)oargs[a]);
  sq_arg_f32(l, (float)ga_scale(p));
  return 0;
}

static int ch_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  sq_ga_slots sl = sq_ga_slots_of(p);
  int chunk = pv[CH_P_CHUNK];
  int64_t bh = ga_B(p) * ga_H(p);
  ch_bufs cb = {0};
  cb.nchunk = cdiv(ga_T(p), chunk);
  cb.nent = ga_D(p) * ((ga_DV(p) + 15) / 16 * 16);
  common_defines(out, p);
  sq_plan_define(out, "CHUNK", chunk);
  sq_plan_define(out, "GA_WY", pv[CH_P_WY]);
  sq_plan_define(out, "GA_BK", pv[CH_P_BK]);
  sq_plan_define(out, "GA_BN", pv[CH_P_BN]);
  sq_plan_define(out, "GA_RUNS", pv[CH_P_RUNS]);
  cb.st = sq_plan_scratch(out, (size_t)(bh * cb.nchunk * cb.nent) * sizeof(float));
  cb.dmv = sq_plan_scratch(out, (size_t)(bh * cb.nchunk * ga_D(p)) * sizeof(float));
  cb.bsum = sl.per_channel ? sq_plan_scratch(out, (size_t)(bh * ga_T(p) * ga_D(p)) * sizeof(float)) : -1;
  cb.part = part_slot(out, p, &sl);
  char why[160];
  for (int dir = 0; dir < (p->causal ? 1 : 2); dir++) {
    int err = add_direction(out, p, &sl, &cb, pv, dir, why, sizeof why);
    if (err) return sq_fail(err, "%s", why);
  }
  out->local_mem = max_size(state_local(pv[CH_P_WY]),
                            out_local(p, chunk, pv[CH_P_WY], pv[CH_P_BK], pv[CH_P_BN]));
  return 0;
}

#define CH_PARAMS                                                                                           \
  .nparams = 5,                                                                                             \
  .params = {                                                                                               \
    {"CHUNK", 4, {16, 32, 64, 128}, 64, "tokens per chunk (the intra-chunk part is quadratic in it)"},      \
    {"GA_WY", 5, {1, 2, 4, 8, 16}, 1,                                                                        \
     "work-group height: 16 x GA_WY work-items, 4 rows each; also the diagonal block (PoCL: 1, GPUs: 16)"}, \
    {"GA_BK", 4, {4, 8, 16, 32}, 16, "key channels staged per step in the output kernel"},                  \
    {"GA_BN", 3, {16, 32, 64}, 64, "output columns (of DV) per work-group"},                                \
    {"GA_RUNS", 2, {0, 1}, 1,                                                                                \
     "copy order: 0 interleaved (coalesced, GPUs), 1 contiguous runs per work-item (CPU vectorisers)"},    \
  },                                                                                                        \
  .check = ch_check, .plan = ch_plan, .work = ga_work, .reference = sq_gated_attn_ref,                      \
  .reference_row_cost = sq_gated_attn_ref_row_cost

const sq_kernel sq_decay_attn_chunked = {
  .name = "linear_attn.decay.chunked",
  .op = &sq_op_linear_attn_decay,
  .family = "linear_attn.decay",
  .doc = "decayed linear attention (RetNet, Lightning-2), chunked: chunk states, a decayed scan, masked gamma^(t-s) intra-chunk part",
  .source = &sq_src_gated_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  CH_PARAMS,
};

const sq_kernel sq_gla_chunked = {
  .name = "linear_attn.gla.chunked",
  .op = &sq_op_linear_attn_gla,
  .family = "linear_attn.gla",
  .doc = "gated linear attention (GLA), chunked: chunk-local log-gate sums, chunk states, a gated scan, intra-chunk part split at each block's first row",
  .source = &sq_src_gated_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  CH_PARAMS,
};
