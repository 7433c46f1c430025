/* SPDX-License-Identifier: BSD-3-Clause */
/* The descriptor of the recurrent RWKV-7 kernel (kernels/wkv7.sqk) for
 * wkv.rwkv7: its tunable, constraints, launch plan and useful work
 * (FAMILIES.md §3.3). One launch: a work-group of N work-items per (b, h). */
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/sources.h"
#include "kernels/wkv7.h"

/* CUDA's static shared-memory limit: every configuration also compiles
 * for NVRTC. */
#define W7_LOCAL_MAX 49152

enum { P_TSTEP };

/* FAMILIES.md §3.3: 9 N^2 flops per (b, t, h) (sa 2N^2, update 5N^2,
 * readout 2N^2), 2 N exps (the decays), seven activations moved and the
 * states read and written once. */
static sq_work w7_work(const sq_problem *p) {
  double bth = (double)w7_B(p) * (double)w7_T(p) * (double)w7_H(p), N = (double)w7_N(p);
  double s = (double)sq_dtype_size(p->dtype);
  sq_work w;
  w.flops = 9.0 * bth * N * N;
  w.exps = 2.0 * bth * N;
  w.bytes = 7.0 * s * bth * N + (w7_state(p) ? 8.0 * (double)w7_B(p) * (double)w7_H(p) * N * N : 0.0);
  return w;
}

/* r, d, k, v, a, b of W7_TSTEP tokens. */
static size_t w7_local(const sq_problem *p, int tstep) { return 6u * 4u * (size_t)tstep * (size_t)w7_N(p); }

static int w7_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  if (w7_T(p) > INT32_MAX) {
    snprintf(why, n, "T=%lld: wkv.rwkv7 supports up to %d tokens", (long long)w7_T(p), INT32_MAX);
    return SQ_EINVAL;
  }
  if (nset > P_TSTEP && w7_local(p, pv[P_TSTEP]) > W7_LOCAL_MAX) {
    snprintf(why, n, "W7_TSTEP=%d with N=%lld needs %zu bytes of local memory (max %d)", pv[P_TSTEP],
             (long long)w7_N(p), w7_local(p, pv[P_TSTEP]), W7_LOCAL_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

static int w7_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int64_t groups = w7_B(p) * w7_H(p), N = w7_N(p);
  if (groups > INT32_MAX / N)
    return sq_fail(SQ_EUNSUPPORTED, "w7_recurrent needs %lld work-groups of %lld, more than a 32-bit index",
                   (long long)groups, (long long)N);
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  sq_plan_define(out, "W7_N", (long)N);
  sq_plan_define(out, "W7_H", (long)w7_H(p));
  sq_plan_define(out, "W7_STATE", w7_state(p));
  sq_plan_define(out, "W7_TSTEP", pv[P_TSTEP]);
  sq_launch *l = sq_plan_launch(out, "w7_recurrent", (size_t)(groups * N), 1, 1, (size_t)N, 1, 1);
  int st = w7_state(p);
  const int bufs[] = {SQ_W7_R, SQ_W7_W, SQ_W7_K, SQ_W7_V, SQ_W7_A, SQ_W7_BB, st ? SQ_W7_H0 : SQ_W7_O, SQ_W7_O,
                      st ? SQ_W7_HT : SQ_W7_O};
  for (int i = 0; i < 9; i++) sq_arg_buf(l, bufs[i]);
  sq_arg_i32(l, (int32_t)w7_T(p));
  out->local_mem = w7_local(p, pv[P_TSTEP]);
  return 0;
}

const sq_kernel sq_wkv7_recurrent = {
  .name = "wkv.rwkv7.recurrent",
  .op = &sq_op_rwkv7,
  .family = "wkv.rwkv7",
  .doc = "RWKV-7 generalised delta rule, recurrent: a work-group of N per (b, h), one state row per work-item, "
         "tokens staged in local memory",
  .source = &sq_src_wkv7,
  .modes = SQ_CAUSAL,
  .nparams = 1,
  .params = {
    {"W7_TSTEP", 6, {1, 2, 4, 8, 16, 32}, 8,
     "tokens of r, w, k, v, a, b staged in local memory per load (RWKV-CUDA's H100 variant: 16 at N=64)"},
  },
  .check = w7_check,
  .plan = w7_plan,
  .work = w7_work,
  .reference = sq_wkv7_ref,
  .reference_row_cost = sq_wkv7_ref_row_cost,
};
