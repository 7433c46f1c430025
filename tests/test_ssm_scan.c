/* SPDX-License-Identifier: BSD-3-Clause */
/* The chunked selective scan (ssm.selective_scan.chunked) against its
 * double-precision reference on the default OpenCL device: ragged shapes
 * (T = 1, T not a multiple of the segment or the staging step, D not a
 * power of two, N = 1 and 16, G > 1), K = 1 and 2, the gate, h0/ht, no
 * softplus, both of the harness's modes (the computation is K's), the
 * 16-bit dtypes, configurations off the defaults, strong decays and a
 * delta of 1e4 set through the run options' input hook, and state passing:
 * a sequence split in two, the first call's ht handed to the second as h0,
 * equals one call over the whole. Verification only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/ssm_scan.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

static const sq_kernel *const kern = &sq_selective_scan_chunked;

static void problem(const char *shape, int causal, sq_dtype dt, sq_problem *p) {
  if (sq_problem_parse(kern, shape, causal, dt, p)) bail(shape, sq_last_error());
}

/* Runs one case verified; `params` (or NULL: defaults) as "NAME=V,...". */
static int run_case(const sq_problem *p, const char *params, const sq_run_opts *opts, const char *what) {
  return verify_case(kern, p, params, opts, what);
}

static void one(const char *shape, const char *params, const char *what) {
  sq_problem p;
  problem(shape, 1, SQ_F32, &p);
  run_case(&p, params, NULL, what);
}

/* T = 1, T past one default segment (2048) and not a multiple of any
 * segment or step, D not a power of two, N = 1 and 16, groups, both
 * directions, the gate and the state. */
static void ragged(void) {
  static const char *const shapes[] = {
    "B=1,D=16,T=1,N=16",           "B=2,D=6,T=1,N=16,K=2,has_z=1", "B=1,D=3,T=1,N=1,state=1",
    "B=1,D=10,T=37,N=16",          "B=2,D=24,T=2049,N=16,G=2",     "B=1,D=40,T=3001,N=1,G=4",
    "B=1,D=17,T=2100,N=16,K=2",    "B=2,D=12,T=4500,N=1,G=3,K=2,has_z=1",
    "B=1,D=20,T=2500,N=16,G=5,has_z=1,state=1", "B=2,D=7,T=4097,N=16,state=1",
    "B=1,D=9,T=2222,N=4,G=3,delta_softplus=0,has_z=1,state=1",
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) one(shapes[i], NULL, "ragged");
  /* Segments of 64 over short sequences: many segments, ragged tails. */
  static const char *const short_segs[] = {
    "B=1,D=10,T=65,N=16", "B=2,D=6,T=200,N=16,G=2,K=2,has_z=1", "B=1,D=5,T=129,N=1,state=1",
    "B=1,D=33,T=300,N=16,G=3,K=2", "B=2,D=18,T=191,N=16,G=2,has_z=1,state=1,delta_softplus=0",
  };
  for (size_t i = 0; i < sizeof short_segs / sizeof short_segs[0]; i++) one(short_segs[i], "SEG=64", "ragged");
  /* The harness's non-causal mode runs the same computation. */
  sq_problem p;
  problem("B=1,D=12,T=300,N=16,state=1", 0, SQ_F32, &p);
  run_case(&p, "SEG=64", NULL, "K=1 in the non-causal mode");
  problem("B=1,D=12,T=300,N=16,K=2,has_z=1", 0, SQ_F32, &p);
  run_case(&p, "SEG=128", NULL, "K=2 in the non-causal mode");
}

static void dtypes(void) {
  static const char *const shapes[] = {"B=2,D=24,T=700,N=16,G=2,K=2,has_z=1", "B=1,D=20,T=900,N=16,has_z=1,state=1",
                                       "B=2,D=8,T=333,N=1,G=2"};
  static const sq_dtype dts[] = {SQ_F16, SQ_BF16};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (int d = 0; d < 2; d++) {
      sq_problem p;
      problem(shapes[i], 1, dts[d], &p);
      run_case(&p, i == 2 ? NULL : "SEG=128", NULL, "16-bit storage");
    }
}

/* Other configurations: segment lengths (one segment for the whole
 * sequence too), channels per work-group (one, a block past a small group,
 * a block as wide as the group) and per work-item (lanes of 1 to 16),
 * staging steps and interleaved staging. */
static void configurations(void) {
  static const char *const cfg[] = {
    "SEG=64,SS_CPW=4,SS_VEC=1,SS_TSTEP=8,SS_RUNS=0", "SEG=128,SS_CPW=32,SS_VEC=8,SS_TSTEP=64",
    "SEG=256,SS_CPW=1,SS_VEC=1,SS_TSTEP=32",         "SEG=512,SS_CPW=64,SS_VEC=4,SS_RUNS=0",
    "SEG=1024,SS_CPW=2,SS_VEC=2,SS_TSTEP=16",        "SEG=64,SS_CPW=8,SS_VEC=8,SS_TSTEP=64,SS_RUNS=0",
    "SEG=8192,SS_CPW=32,SS_VEC=16",                  "SEG=65536,SS_CPW=64,SS_VEC=1,SS_RUNS=0",
  };
  static const char *const shapes[] = {"B=2,D=30,T=1500,N=16,G=3,K=2,has_z=1",
                                       "B=1,D=20,T=1300,N=16,G=2,has_z=1,state=1"};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    for (size_t s = 0; s < 2; s++) one(shapes[s], cfg[i], "configuration");
  one("B=1,D=8,T=600,N=256", "SEG=128,SS_CPW=8,SS_VEC=8,SS_TSTEP=8", "N=256");
  one("B=1,D=8,T=600,N=256", "SEG=128,SS_CPW=8,SS_VEC=1,SS_TSTEP=8", "N=256");
}

/* ---- inputs chosen by the test ------------------------------------------- */

typedef struct chosen { float delta, ascale; } chosen;

/* Every delta set to `delta`, A scaled by `ascale`. */
static void set_inputs(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  const chosen *c = ctx;
  (void)p;
  if (t == SQ_SS_DELTA)
    for (int64_t i = 0; i < n; i++) v[i] = c->delta;
  if (t == SQ_SS_A)
    for (int64_t i = 0; i < n; i++) v[i] *= c->ascale;
}

static void decays(float delta, float ascale, const char *what) {
  static const char *const shapes[] = {"B=1,D=12,T=700,N=16,G=2,K=2,has_z=1", "B=1,D=10,T=700,N=16,state=1"};
  chosen c = {delta, ascale};
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){set_inputs, &c};
  for (int s = 0; s < 2; s++) {
    sq_problem p;
    problem(shapes[s], 1, SQ_F32, &p);
    run_case(&p, "SEG=64", &o, what);
    run_case(&p, NULL, &o, what);
  }
}

/* ---- state passing --------------------------------------------------------- */

static int run_captured(const sq_problem *p, const char *params, capture *c, const char *what) {
  sq_run_opts o;
  capture_options(&o, c);
  return run_case(p, params, &o, what);
}

static void split(const char *params) {
  const int64_t T = 700, T1 = 333, B = 2, D = 12, N = 16;
  char sw[128], s1[128], s2[128];
  const char *fmt = "B=2,D=12,T=%lld,N=16,G=2,has_z=1,state=1";
  snprintf(sw, sizeof sw, fmt, (long long)T);
  snprintf(s1, sizeof s1, fmt, (long long)T1);
  snprintf(s2, sizeof s2, fmt, (long long)(T - T1));
  sq_problem pw, p1, p2;
  problem(sw, 1, SQ_F32, &pw);
  problem(s1, 1, SQ_F32, &p1);
  problem(s2, 1, SQ_F32, &p2);
  capture w = {0}, a = {0}, b = {0};
  a.from = b.from = &w;
  a.from_T = b.from_T = T;
  b.t0 = T1;
  int ok = run_captured(&pw, params, &w, "split: the whole");
  a.h0 = w.v[SQ_SS_H0];
  ok = ok && run_captured(&p1, params, &a, "split: the first part");
  b.h0 = a.v[SQ_SS_HT];
  ok = ok && run_captured(&p2, params, &b, "split: the second part, from the first's ht");
  if (!ok) {
    tap_ok(0, "split runs failed (%s)", params);
  } else {
    double d1 = rel_diff(a.v[SQ_SS_O], w.v[SQ_SS_O], B * D, T1, T, 0, 1);
    double d2 = rel_diff(b.v[SQ_SS_O], w.v[SQ_SS_O], B * D, T - T1, T, T1, 1);
    double dh = rel_diff(b.v[SQ_SS_HT], w.v[SQ_SS_HT], 1, B * D * N, B * D * N, 0, 1);
    tap_ok(d1 < 1e-5 && d2 < 1e-5 && dh < 1e-5,
           "T=%lld in two calls (%lld + %lld, ht passed as h0) = one call (%s): o %.2g, %.2g, ht %.2g", (long long)T,
           (long long)T1, (long long)(T - T1), params, d1, d2, dh);
  }
  free_capture(&w);
  free_capture(&a);
  free_capture(&b);
}

int main(void) {
  if (test_device_open(&dev)) {
    tap_skip("selective scan kernel", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  ragged();
  dtypes();
  configurations();
  decays(8.0f, 1.0f, "strong decay, delta 8 (A Delta down to -92)");
  decays(50.0f, 100.0f, "decays that underflow, A Delta down to -80000");
  decays(1e4f, 1.0f, "delta 1e4 through the softplus");
  split("SEG=64");
  split("SEG=2048");
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
