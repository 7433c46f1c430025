/* SPDX-License-Identifier: BSD-3-Clause */
/* Predictions of a case's memory and time, and the sliced runner. The time
 * model is deliberately simple and errs long: the kernel's useful flops,
 * bytes (plus the scratch it writes and reads back) and exps are each
 * divided by the device's rate and added, not overlapped, then scaled up
 * when the plan launches fewer work-groups than the device has compute
 * units (a recurrent scan over one (b, h) uses one core). Around the kernel
 * come the costs of the harness's fixed order: compile, input generation
 * and transfer, one verification run with the double-precision reference,
 * warm-up, and the samples the measurement loop is expected to take. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/inputs.h"
#include "harness/topology.h"
#include "workloads/planner.h"
#include "workloads/suite.h"

#define GIB 1073741824.0
/* Host-side rates for what the harness does on the CPU: the reference in
 * double precision on one core (the linear-attention reference ran at 1.7
 * GFLOP/s on the 2-core CI host), and input generation plus transfers. */
#define HOST_REF_FLOPS 1.5e9
#define HOST_BYTES_PER_S 1e9
/* Building a program (PoCL compiles with LLVM; NVRTC is faster) and the
 * fixed cost of one launch sequence. */
#define COMPILE_S 2.0
/* The share of the host's available memory a case may plan to use: the
 * reference's own arrays, the allocator's slack and the driver's copies
 * are not in the accounting. */
#define HOST_SHARE 0.8
#define LAUNCH_S 50e-6

void sq_planner_rates(const sq_device *dev, double *gbs, double *gflops, double *gexps) {
  /* Conservative defaults when peaks are unmeasured: a PoCL CPU device
   * streams ~10 GB/s and sustains ~20 GFLOP/s on two cores; a GPU at least
   * 200 GB/s and 2 TFLOP/s. */
  int gpu = dev && dev->info.is_gpu;
  *gbs = gpu ? 200 : 10;
  *gflops = gpu ? 2000 : 20;
  *gexps = gpu ? 200 : 1;
  /* Peaks measured with vector chains (an OpenCL CPU device, see
   * kernels/peaks.sqk) are SIMD rates that the kernels, vectorised by PoCL
   * only in part, reach about a sixth of (flash softmax: 38 of 234 GFLOP/s
   * on the CI host); predicting from the full peak would start cases that
   * then run far past their limit. */
  double share = dev && dev->peaks.lanes > 1 ? 1.0 / 6 : 1.0;
  if (dev && dev->peaks.gbs > 0) *gbs = dev->peaks.gbs;
  if (dev && dev->peaks.gflops > 0) *gflops = dev->peaks.gflops * share;
  if (dev && dev->peaks.gexps > 0) *gexps = dev->peaks.gexps * share;
}

void sq_format_duration(double s, char *buf, size_t n) {
  if (!isfinite(s)) snprintf(buf, n, "inf");
  else if (s >= 86400 * 365.0) snprintf(buf, n, "%.3g y", s / (86400 * 365.0));
  else if (s >= 86400) snprintf(buf, n, "%.3g d", s / 86400);
  else if (s >= 3600) snprintf(buf, n, "%.2g h", s / 3600);
  else if (s >= 60) snprintf(buf, n, "%.2g min", s / 60);
  else if (s >= 1) snprintf(buf, n, "%.2g s", s);
  else if (s >= 0.1) snprintf(buf, n, "%.0f ms", s * 1e3);   /* %.2g would print 8.5e+02 */
  else snprintf(buf, n, "%.2g ms", s * 1e3);
}

typedef struct mem_need {
  sq_case_memory mem;      /* the runner's accounting */
  double groups;           /* work-groups of the widest launch, 0 when unknown */
} mem_need;

/* Bytes of every present tensor: what the host generates and reads back. */
static double host_bytes(const sq_problem *p) {
  double b = 0;
  for (int t = 0; t < sq_op_ntensors(p->shape.op); t++)
    if (sq_tensor_present(&p->shape, &p->shape.op->tensors[t], p->causal)) b += sq_tensor_bytes(p, t);
  return b;
}

/* Device memory of a problem as the runner allocates it (the runner's own
 * accounting), and the work-groups of the plan's widest launch. */
static void need_of(const sq_case *c, const sq_problem *p, mem_need *m) {
  memset(m, 0, sizeof *m);
  sq_plan pl;
  int planned = c->kernel->plan && c->kernel->plan(p, c->params, &pl) == 0;
  sq_case_memory_of(p, planned ? &pl : NULL, &m->mem);
  for (int i = 0; planned && i < pl.nlaunch; i++) {
    double g = 1;
    for (int d = 0; d < 3; d++)
      if (pl.launch[i].local[d]) g *= (double)(pl.launch[i].global[d] / pl.launch[i].local[d]);
    m->groups = fmax(m->groups, g);
  }
}

/* Host bytes a case holds: the runner's copies, plus the buffers when
 * they are host memory (f32 inputs wrapped in place counted once). */
static double host_need(const sq_device *dev, const mem_need *m) {
  return m->mem.host + (dev->info.host_unified ? m->mem.total - m->mem.shared : 0);
}

/* 1 when the memory fits the device and the host, else 0 and the reason.
 * The host's free memory is read now: a CPU device's buffers and every
 * device's host copies come out of it, and what else runs on the machine
 * takes its share (an out-of-memory kill would lose the whole run). */
static int mem_fits(const sq_device *dev, const mem_need *m, char *why, size_t n) {
  if (!dev) return 1;
  const sq_device_info *di = &dev->info;
  double avail = (double)(di->free_mem ? di->free_mem : di->global_mem);
  if (avail > 0 && !di->host_unified && m->mem.total > avail) {
    snprintf(why, n, "needs %.1f GiB > %.1f GiB free", m->mem.total / GIB, avail / GIB);
    return 0;
  }
  double host = (double)sq_host_memory_available(), need = host_need(dev, m);
  if (host > 0 && need > HOST_SHARE * host) {
    snprintf(why, n, "needs %.1f GiB of host memory > %.0f%% of the %.1f GiB available", need / GIB,
             100 * HOST_SHARE, host / GIB);
    return 0;
  }
  if (di->max_alloc && m->mem.biggest > (double)di->max_alloc) {
    snprintf(why, n, "a %.1f GiB buffer > the device's largest allocation %.1f GiB",
             m->mem.biggest / GIB, (double)di->max_alloc / GIB);
    return 0;
  }
  return 1;
}

/* Seconds of one kernel call. */
static double kernel_s(const sq_device *dev, const sq_case *c, const sq_problem *p,
                       const mem_need *m) {
  double gbs, gflops, gexps;
  sq_planner_rates(dev, &gbs, &gflops, &gexps);
  sq_work w = c->kernel->work(p);
  double s = w.flops / (gflops * 1e9) + (w.bytes + 2 * m->mem.scratch) / (gbs * 1e9) +
             w.exps / (gexps * 1e9);
  int cu = dev && dev->info.compute_units > 0 ? dev->info.compute_units : 2;
  if (m->groups > 0 && m->groups < cu) s *= cu / m->groups;
  return s + LAUNCH_S;
}

/* Host seconds of the reference the verification run computes: the full
 * reference within the budget, else sampled rows; a recurrent (linear)
 * reference still runs its state over every t, so it never gets cheaper. */
static double reference_s(const sq_case *c, const sq_problem *p, double budget) {
  double per_row = c->kernel->reference_row_cost ? c->kernel->reference_row_cost(p) : 1;
  double full = per_row * (double)sq_shape_tokens(&p->shape) * sq_shape_instances(&p->shape);
  int by_row = c->kernel->quadratic || c->kernel->ref_by_row;
  double cost = full <= budget || !by_row ? full : budget;
  return cost / HOST_REF_FLOPS;
}

/* Samples the measurement loop is expected to take for a call of t
 * seconds, and the time they take (it stops at the first sample past the
 * timeout). */
static double sampling_s(const sq_measure_opts *mo, double t, int *nsamples) {
  double n = fmax((double)mo->min_samples, ceil(mo->min_time_s / fmax(t, 1e-9)));
  if (mo->max_samples > 0) n = fmin(n, (double)mo->max_samples);
  double s = n * t;
  if (mo->timeout_s > 0 && s > mo->timeout_s + t) {
    n = floor(mo->timeout_s / t) + 1;
    s = n * t;
  }
  *nsamples = (int)n;
  return s;
}

int sq_predict_opts(const sq_device *dev, const sq_case *c, const sq_run_opts *o,
                    double max_case_s, sq_prediction *out) {
  memset(out, 0, sizeof *out);
  if (!c || !c->kernel) return sq_fail(SQ_EINVAL, "planner: case without a kernel");
  const sq_problem *p = &c->prob;
  for (int t = 0; t < sq_op_ntensors(p->shape.op); t++)
    if (!(sq_tensor_elems(&p->shape, &p->shape.op->tensors[t]) >= 1)) {
      char shape[SQ_SHAPE_TEXT_MAX];
      sq_shape_format(&p->shape, shape, sizeof shape);
      return sq_fail(SQ_EINVAL, "planner: shape %s leaves %s empty", shape, p->shape.op->tensors[t].name);
    }
  mem_need whole, slice;
  need_of(c, p, &whole);
  out->bytes = whole.mem.total;
  char memwhy[160] = "";
  int fits = mem_fits(dev, &whole, memwhy, sizeof memwhy);
  int nslices = 1;
  sq_problem sp = *p;
  if (!fits) {
    sq_shape_unbatch(&sp.shape);
    need_of(c, &sp, &slice);
    if (sq_shape_slices(&p->shape) == 1 || !mem_fits(dev, &slice, memwhy, sizeof memwhy)) {
      /* Still say how long a call would take, for the skipped row. */
      double t = kernel_s(dev, c, p, &whole);
      char d[32];
      sq_format_duration(t, d, sizeof d);
      out->ms = 1e3 * t;
      snprintf(out->why, sizeof out->why, "%s (a call predicted %s)", memwhy, d);
      return 0;
    }
    nslices = (int)sq_shape_slices(&p->shape);
    out->sliced = 1;
    out->bytes = slice.mem.total;
  }
  const sq_problem *rp = out->sliced ? &sp : p;
  const mem_need *rm = out->sliced ? &slice : &whole;
  double t = kernel_s(dev, c, rp, rm);
  int ns;
  /* The verification call, and the warm-up unless that call was long
   * enough to warm up by itself (the runner's rule: over a second). */
  int warmups = t > 1.0 ? 0 : o->measure.warmup;
  double per_slice = sampling_s(&o->measure, t, &ns) + (warmups + 1) * t +
                     reference_s(c, rp, o->ref_budget_flops) +
                     host_bytes(rp) / HOST_BYTES_PER_S;
  double total = COMPILE_S + nslices * per_slice;
  out->ms = 1e3 * t * nslices;   /* one call of the whole case */
  out->total_s = total;
  char d[32], k[32];
  sq_format_duration(total, d, sizeof d);
  sq_format_duration(t * nslices, k, sizeof k);
  if (max_case_s > 0 && total > max_case_s) {
    char lim[32];
    sq_format_duration(max_case_s, lim, sizeof lim);
    snprintf(out->why, sizeof out->why,
             "predicted %s > %s (a call %s, verification and %d samples included)", d, lim, k,
             ns);
    return 0;
  }
  out->feasible = 1;
  if (out->sliced)
    snprintf(out->why, sizeof out->why,
             "sliced into %d (b,h); predicted %s (a call %s, verification and %d samples)",
             nslices, d, k, ns);
  else
    snprintf(out->why, sizeof out->why,
             "predicted %s (a call %s, verification and %d samples included)", d, k, ns);
  return 0;
}

double sq_case_time_limit(const char *suite, double given) {
  if (given >= 0) return given;
  return suite ? sq_suite_max_case_s(suite) : 0;
}

int sq_predict(const sq_device *dev, const sq_case *c, double max_case_s, sq_prediction *out) {
  sq_run_opts o;
  sq_run_defaults(&o);
  return sq_predict_opts(dev, c, &o, max_case_s, out);
}
