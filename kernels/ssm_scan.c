/* SPDX-License-Identifier: BSD-3-Clause */
/* The descriptor of the chunked selective scan (kernels/ssm_scan.sqk) for
 * ssm.selective_scan: its tunables, constraints, launch plan and useful
 * work (FAMILIES.md §1.4). The plan is three passes when T spans more than
 * one segment (the segments' maps, their chain, the rescan that writes y)
 * and the rescan alone when it does not; a K=2 call rescans direction 0
 * into f32 scratch and direction 1 adds it. The op's causal flag does not
 * change the computation (K does), so the kernel takes both modes: the
 * catalog's rows carry causal 0 for K=2 and for most K=1 vision rows. */
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/sources.h"
#include "kernels/ssm_scan.h"

/* CUDA's static shared-memory limit: every configuration also compiles
 * for NVRTC. */
#define SS_LOCAL_MAX 49152
#define SS_LINEAR_WG 64   /* work-group of ss_chain */

enum { P_SEG, P_CPW, P_VEC, P_TSTEP, P_RUNS };

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* FAMILIES.md §1.4, with s the storage bytes, sp the softplus, z the gate. */
static sq_work ss_work(const sq_problem *p) {
  double B = (double)ss_B(p), D = (double)ss_D(p), T = (double)ss_T(p), N = (double)ss_N(p);
  double G = (double)ss_G(p), K = (double)ss_K(p), sp = ss_softplus(p), z = ss_has_z(p);
  double s = (double)sq_dtype_size(p->dtype);
  double bkdt = B * K * D * T, bdt = B * D * T;
  sq_work w;
  w.flops = bkdt * (6.0 * N + 4.0 + sp) + bdt * ((K - 1.0) + 3.0 * z);
  w.exps = bkdt * (N + 2.0 * sp) + bdt * z;
  w.bytes = s * (2.0 * bkdt + 2.0 * B * K * G * N * T + (1.0 + z) * bdt) + 4.0 * (K * D * N + 2.0 * K * D) +
            (ss_state(p) ? 8.0 * B * D * N : 0.0);
  return w;
}

/* Local memory of ss_out (ss_seg uses less): Bm and Cm rows, Δ and u. */
static size_t out_local(const sq_problem *p, int cpw, int tstep) {
  return 4u * (2u * (size_t)ss_N(p) + 2u * (size_t)cpw) * (size_t)tstep;
}

static int ss_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  if (ss_T(p) > INT32_MAX) {
    snprintf(why, n, "T=%lld: the selective scan supports up to %d tokens", (long long)ss_T(p), INT32_MAX);
    return SQ_EINVAL;
  }
  if (nset > P_VEC && pv[P_CPW] % pv[P_VEC]) {
    snprintf(why, n, "SS_CPW=%d is not a multiple of SS_VEC=%d (channels per work-item)", pv[P_CPW], pv[P_VEC]);
    return SQ_EINVAL;
  }
  if (nset > P_TSTEP && out_local(p, pv[P_CPW], pv[P_TSTEP]) > SS_LOCAL_MAX) {
    snprintf(why, n, "SS_CPW=%d, SS_TSTEP=%d with N=%lld need %zu bytes of local memory (max %d)", pv[P_CPW],
             pv[P_TSTEP], (long long)ss_N(p), out_local(p, pv[P_CPW], pv[P_TSTEP]), SS_LOCAL_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

static int too_many(const char *entry, int64_t count) {
  return sq_fail(SQ_EUNSUPPORTED, "%s needs %lld work-groups or work-items, more than a 32-bit index", entry,
                 (long long)count);
}

static void defines(sq_plan *pl, const sq_problem *p, const int *pv, int chain) {
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  const char *names[] = {"SS_D", "SS_N", "SS_G", "SS_K", "SS_SOFTPLUS", "SS_HAS_Z", "SS_STATE"};
  const int64_t vals[] = {ss_D(p), ss_N(p), ss_G(p), ss_K(p), ss_softplus(p), ss_has_z(p), ss_state(p)};
  for (int i = 0; i < 7; i++) sq_plan_define(pl, names[i], (long)vals[i]);
  sq_plan_define(pl, "SS_CHAIN", chain);
  sq_plan_define(pl, "SEG", pv[P_SEG]);
  sq_plan_define(pl, "SS_CPW", pv[P_CPW]);
  sq_plan_define(pl, "SS_VEC", pv[P_VEC]);
  sq_plan_define(pl, "SS_TSTEP", pv[P_TSTEP]);
  sq_plan_define(pl, "SS_RUNS", pv[P_RUNS]);
}

/* Passes 1 and 2: every segment's map (with more than one segment), then
 * the chain that turns them into carry-ins in place of pb (with one, it
 * only copies h0). */
static int add_chain(sq_plan *pl, const sq_problem *p, int wi, int64_t nseg, int64_t nblks, int pa, int pb) {
  sq_launch *l;
  if (nseg > 1) {
    int64_t groups = ss_B(p) * ss_K(p) * nseg * nblks;
    if (groups > INT32_MAX) return too_many("ss_seg", groups);
    l = sq_plan_launch(pl, "ss_seg", (size_t)groups * (size_t)wi, 1, 1, (size_t)wi, 1, 1);
    const int bufs[] = {SQ_SS_U, SQ_SS_DELTA, SQ_SS_A, SQ_SS_BM, SQ_SS_DELTA_BIAS, pa, pb};
    for (int i = 0; i < 7; i++) sq_arg_buf(l, bufs[i]);
    sq_arg_i32(l, (int32_t)ss_T(p));
    sq_arg_i32(l, (int32_t)nseg);
  }
  int64_t total = ss_B(p) * ss_K(p) * ss_N(p) * ss_D(p);
  if (total > INT32_MAX) return too_many("ss_chain", total);
  l = sq_plan_launch(pl, "ss_chain", sq_round_up((size_t)total, SS_LINEAR_WG), 1, 1, SS_LINEAR_WG, 1, 1);
  sq_arg_buf(l, pa);
  sq_arg_buf(l, pb);
  sq_arg_buf(l, ss_state(p) ? SQ_SS_H0 : pa);
  sq_arg_i32(l, (int32_t)nseg);
  sq_arg_i32(l, (int32_t)total);
  return 0;
}

static int ss_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int seg = pv[P_SEG], cpw = pv[P_CPW], wi = pv[P_CPW] / pv[P_VEC];
  int64_t B = ss_B(p), D = ss_D(p), T = ss_T(p), N = ss_N(p), K = ss_K(p);
  int64_t nseg = cdiv(T, seg), nblks = ss_G(p) * cdiv(D / ss_G(p), cpw);
  /* Carry-ins come from the chain when segments follow each other or the
   * scan starts from h0; a single segment from 0 needs none. */
  int chain = nseg > 1 || ss_state(p), rc;
  defines(out, p, pv, chain);
  int carry = SQ_SS_O;
  if (chain) {
    size_t pairs = (size_t)(B * K * D) * (size_t)nseg * (size_t)N * sizeof(float);
    int pa = sq_plan_scratch(out, pairs), pb = sq_plan_scratch(out, pairs);
    if ((rc = add_chain(out, p, wi, nseg, nblks, pa, pb))) return rc;
    carry = pb;
  }
  int part = K == 2 ? sq_plan_scratch(out, (size_t)(B * D) * (size_t)T * sizeof(float)) : SQ_SS_O;
  int64_t groups = B * nseg * nblks;
  if (groups > INT32_MAX) return too_many("ss_out", groups);
  for (int dir = 0; dir < K; dir++) {
    sq_launch *l = sq_plan_launch(out, "ss_out", (size_t)groups * (size_t)wi, 1, 1, (size_t)wi, 1, 1);
    const int bufs[] = {SQ_SS_U, SQ_SS_DELTA, SQ_SS_A, SQ_SS_BM, SQ_SS_CM, SQ_SS_DSKIP, SQ_SS_DELTA_BIAS,
                        ss_has_z(p) ? SQ_SS_Z : SQ_SS_O, SQ_SS_O, ss_state(p) ? SQ_SS_HT : SQ_SS_O, carry, part};
    for (int i = 0; i < 12; i++) sq_arg_buf(l, bufs[i]);
    sq_arg_i32(l, (int32_t)T);
    sq_arg_i32(l, (int32_t)nseg);
    sq_arg_i32(l, dir);
  }
  out->local_mem = out_local(p, cpw, pv[P_TSTEP]);
  return 0;
}

const sq_kernel sq_selective_scan_chunked = {
  .name = "ssm.selective_scan.chunked",
  .op = &sq_op_selective_scan,
  .family = "ssm.selective_scan",
  .doc = "Mamba-1 selective scan, chunked: segments' maps (a, b) from zero, a chain of carries, a rescan per "
         "segment; K=2 adds the reverse scan walking backwards",
  .source = &sq_src_ssm_scan,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .nparams = 5,
  .params = {
    {"SEG", 8, {64, 128, 256, 512, 1024, 2048, 8192, 65536}, 2048,
     "tokens per segment: a work-item walks its channels through a segment sequentially (long segments: "
     "fewer passes, less parallelism)"},
    {"SS_CPW", 9, {1, 2, 4, 8, 16, 32, 64, 128, 256}, 16,
     "channels per work-group (of one group, sharing its staged Bm and Cm)"},
    {"SS_VEC", 5, {1, 2, 4, 8, 16}, 16,
     "channels per work-item, as the lanes of one vector (CPU compilers: 8 or 16; GPUs: 1)"},
    {"SS_TSTEP", 4, {8, 16, 32, 64}, 16, "tokens of Bm, Cm, delta and u staged in local memory per step"},
    {"SS_RUNS", 2, {0, 1}, 1,
     "staging order: 0 interleaved (coalesced, GPUs), 1 contiguous runs per work-item (CPU vectorisers)"},
  },
  .check = ss_check,
  .plan = ss_plan,
  .work = ss_work,
  .reference = sq_selective_scan_ref,
  .reference_row_cost = sq_selective_scan_ref_row_cost,
};
