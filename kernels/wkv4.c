/* SPDX-License-Identifier: BSD-3-Clause */
/* The descriptor of the segmented RWKV-4 / Bi-WKV kernel (kernels/wkv4.sqk)
 * for wkv.rwkv4: its tunables, constraints, launch plan and useful work
 * (FAMILIES.md §3.1). With more than one segment the plan is three passes
 * (the segments' summaries, their chain, the rescan that writes o), with
 * one only the rescan. Causal and Bi-WKV share the passes; Bi-WKV runs
 * each in both directions and keeps a segment's suffix sums in local
 * memory, which bounds its segment length. */
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/sources.h"
#include "kernels/wkv4.h"

/* CUDA's static shared-memory limit: every configuration also compiles
 * for NVRTC. */
#define W4_LOCAL_MAX 49152
#define W4_LINEAR_WG 64   /* work-group of w4_chain */

enum { P_SEG, P_CPG, P_TSTEP };

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* FAMILIES.md §3.1: 19 flops and 4 exps per (b, t, c) causal, 34 and 7 in
 * Bi-WKV; k, v read and o written once, w and u once. */
static sq_work w4_work(const sq_problem *p) {
  double btc = (double)w4_B(p) * (double)w4_T(p) * (double)w4_C(p), s = (double)sq_dtype_size(p->dtype);
  sq_work w;
  w.flops = (p->causal ? 19.0 : 34.0) * btc;
  w.exps = (p->causal ? 4.0 : 7.0) * btc;
  w.bytes = 3.0 * s * btc + 8.0 * (double)w4_C(p);
  return w;
}

/* Channels per work-group as run: never more than there are channels. */
static int64_t group_channels(const sq_problem *p, int cpg) { return cpg < w4_C(p) ? cpg : w4_C(p); }

/* Local memory of w4_out: Bi-WKV's suffix sums (a, b, p) per token and
 * channel of the segment; none causal. */
static size_t out_local(const sq_problem *p, int seg, int cpg) {
  return p->causal ? 0 : 12u * (size_t)seg * (size_t)group_channels(p, cpg);
}

static int w4_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  if (w4_T(p) > INT32_MAX) {
    snprintf(why, n, "T=%lld: wkv.rwkv4 supports up to %d tokens", (long long)w4_T(p), INT32_MAX);
    return SQ_EINVAL;
  }
  if (nset > P_CPG && out_local(p, pv[P_SEG], pv[P_CPG]) > W4_LOCAL_MAX) {
    snprintf(why, n, "W4_SEG=%d, W4_CPG=%d need %zu bytes of local memory for Bi-WKV's suffix sums (max %d)",
             pv[P_SEG], pv[P_CPG], out_local(p, pv[P_SEG], pv[P_CPG]), W4_LOCAL_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

static int too_many(const char *entry, int64_t count) {
  return sq_fail(SQ_EUNSUPPORTED, "%s needs %lld work-items, more than a 32-bit index", entry, (long long)count);
}

static int w4_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int64_t B = w4_B(p), T = w4_T(p), C = w4_C(p), seg = pv[P_SEG], cpg = group_channels(p, pv[P_CPG]);
  int64_t nseg = cdiv(T, seg), dirs = p->causal ? 1 : 2;
  int chain = nseg > 1;
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  sq_plan_define(out, "W4_C", (long)C);
  sq_plan_define(out, "W4_SEG", (long)seg);
  sq_plan_define(out, "W4_CPG", (long)cpg);
  sq_plan_define(out, "W4_TSTEP", pv[P_TSTEP]);
  sq_plan_define(out, "W4_CHAIN", chain);
  int64_t items = B * nseg * cdiv(C, cpg) * cpg;
  if (items > INT32_MAX) return too_many("w4_out", items);
  int sm = SQ_W4_O;   /* passed, never read, without a chain */
  sq_launch *l;
  if (chain) {
    sm = sq_plan_scratch(out, (size_t)(B * nseg * dirs * 3 * C) * sizeof(float));
    l = sq_plan_launch(out, "w4_seg", (size_t)items, 1, 1, (size_t)cpg, 1, 1);
    const int bufs[] = {SQ_W4_W, SQ_W4_K, SQ_W4_V, sm};
    for (int i = 0; i < 4; i++) sq_arg_buf(l, bufs[i]);
    sq_arg_i32(l, (int32_t)T);
    sq_arg_i32(l, (int32_t)nseg);
    int64_t total = B * dirs * C;
    if (total > INT32_MAX) return too_many("w4_chain", total);
    l = sq_plan_launch(out, "w4_chain", sq_round_up((size_t)total, W4_LINEAR_WG), 1, 1, W4_LINEAR_WG, 1, 1);
    sq_arg_buf(l, SQ_W4_W);
    sq_arg_buf(l, sm);
    sq_arg_i32(l, (int32_t)T);
    sq_arg_i32(l, (int32_t)nseg);
    sq_arg_i32(l, (int32_t)total);
  }
  l = sq_plan_launch(out, "w4_out", (size_t)items, 1, 1, (size_t)cpg, 1, 1);
  const int bufs[] = {SQ_W4_W, SQ_W4_U, SQ_W4_K, SQ_W4_V, SQ_W4_O, sm};
  for (int i = 0; i < 6; i++) sq_arg_buf(l, bufs[i]);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_i32(l, (int32_t)nseg);
  out->local_mem = out_local(p, (int)seg, (int)cpg);
  return 0;
}

const sq_kernel sq_wkv4_segmented = {
  .name = "wkv.rwkv4.segmented",
  .op = &sq_op_rwkv4,
  .family = "wkv.rwkv4",
  .doc = "RWKV-4 WKV (causal) and Bi-WKV (non-causal) with the max trick, segmented over T: segments' "
         "summaries, a chain of carries decayed over whole gaps, a rescan per segment",
  .source = &sq_src_wkv4,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .nparams = 3,
  .params = {
    {"W4_SEG", 8, {16, 32, 64, 128, 256, 512, 2048, 8192}, 128,
     "tokens per segment (TOKEN_SPLIT = T / W4_SEG): long segments mean fewer chain steps, short ones more "
     "parallel chains; Bi-WKV keeps a segment's suffix sums in local memory"},
    {"W4_CPG", 6, {8, 16, 32, 64, 128, 256}, 32,
     "channels per work-group, one per work-item (at most C; RWKV-4 uses min(C, 32))"},
    {"W4_TSTEP", 4, {1, 4, 8, 16}, 8, "tokens of k and v loaded into registers ahead of their use"},
  },
  .check = w4_check,
  .plan = w4_plan,
  .work = w4_work,
  .reference = sq_wkv4_ref,
  .reference_row_cost = sq_wkv4_ref_row_cost,
};
