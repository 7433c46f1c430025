/* SPDX-License-Identifier: BSD-3-Clause */
/* wkv.rwkv4.segmented against its double-precision reference on the
 * default OpenCL device, causal and Bi-WKV: ragged shapes (T = 1, T not a
 * multiple of the segment, C not a power of two and not a multiple of the
 * channel block), every segment length, channel block and staging depth,
 * the 16-bit dtypes, and inputs chosen through the run options' input hook:
 * k = ±100 (e^k overflows f32 without the max trick), a growth w < 0 in
 * Bi-WKV, a strong decay (w = 50) and a weak one (w = 1e-6) causal, and
 * w = ±1e-7, below an ulp of the running maximum exponent. The op
 * has no state to pass. Verification only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/wkv4.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

/* Runs the case of a --shape text verified; `params` (or NULL: defaults) as
 * "NAME=V,...". */
static int run_case(const char *shape, int causal, sq_dtype dt, const char *params, const sq_run_opts *opts,
                    const char *what) {
  sq_problem p;
  if (sq_problem_parse(&sq_wkv4_segmented, shape, causal, dt, &p)) bail(shape, sq_last_error());
  return verify_case(&sq_wkv4_segmented, &p, params, opts, what);
}

static void ragged(void) {
  static const char *shapes[] = {"B=1,T=1,C=1", "B=2,T=7,C=3", "B=1,T=129,C=19", "B=2,T=300,C=100",
                                 "B=3,T=1000,C=48", "B=1,T=4097,C=7"};
  for (int causal = 1; causal >= 0; causal--)
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
      run_case(shapes[i], causal, SQ_F32, NULL, NULL, "ragged");
}

static void configurations(void) {
  static const char *cfg[] = {
    "W4_SEG=16,W4_CPG=8,W4_TSTEP=1", "W4_SEG=32,W4_CPG=16,W4_TSTEP=4", "W4_SEG=64,W4_CPG=64,W4_TSTEP=16",
    "W4_SEG=256,W4_CPG=8", "W4_SEG=2048,W4_CPG=16", "W4_SEG=8192,W4_CPG=8,W4_TSTEP=16",
  };
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    for (int causal = 1; causal >= 0; causal--) {
      /* Bi-WKV's suffix sums must fit local memory: long segments are causal only. */
      if (!causal && strstr(cfg[i], "W4_SEG=2048")) continue;
      if (!causal && strstr(cfg[i], "W4_SEG=8192")) continue;
      run_case("B=2,T=3001,C=37", causal, SQ_F32, cfg[i], NULL, "configuration");
    }
}

static void dtypes(void) {
  for (int causal = 1; causal >= 0; causal--) {
    run_case("B=2,T=500,C=24", causal, SQ_F16, "W4_SEG=64", NULL, "f16");
    run_case("B=2,T=500,C=24", causal, SQ_BF16, "W4_SEG=32", NULL, "bf16");
  }
}

/* ---- inputs chosen by the test -------------------------------------------- */

typedef struct chosen {
  double k;   /* |k| at random sign (0: drawn) */
  double w;   /* w everywhere (NAN: drawn) */
  int same;   /* k itself everywhere */
} chosen;

static void set_inputs(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  (void)p;
  const chosen *c = ctx;
  if (t == SQ_W4_K && c->k > 0)
    for (int64_t i = 0; i < n; i++)
      v[i] = (float)(c->same || (((uint64_t)i * 0x9e3779b97f4a7c15ull) >> 61) & 1 ? c->k : -c->k);
  if (t == SQ_W4_W && !isnan(c->w))
    for (int64_t i = 0; i < n; i++) v[i] = (float)c->w;
}

static void chosen_at(const char *shape, int causal, chosen c, const char *params, const char *what) {
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){set_inputs, &c};
  run_case(shape, causal, SQ_F32, params, &o, what);
}

static void chosen_inputs(int causal, double kk, double w, const char *params, const char *what) {
  chosen c = {kk, w, 0};
  chosen_at("B=2,T=700,C=20", causal, c, params, what);
}

int main(void) {
  if (test_device_open(&dev)) {
    tap_skip("wkv.rwkv4 kernels", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  ragged();
  configurations();
  dtypes();
  for (int causal = 1; causal >= 0; causal--) {
    chosen_inputs(causal, 100, NAN, "W4_SEG=64", "k = ±100 (max trick)");
    chosen_inputs(causal, 100, causal ? 0.5 : -0.01, "W4_SEG=32", causal ? "k = ±100, w = 0.5" : "k = ±100, growth");
  }
  chosen_inputs(0, 0, -0.02, "W4_SEG=16", "growth w = -0.02 over 700 tokens");
  chosen_inputs(1, 0, 50, "W4_SEG=32", "strong decay w = 50");
  chosen_inputs(1, 0, 1e-6, "W4_SEG=32", "weak decay w = 1e-6");
  /* A rate below half an ulp of the running exponent p (k = 2 throughout,
   * so the decayed carry stays the maximum): p - w rounds to p, and the
   * decay must still act, step by step and over whole segments. */
  for (int causal = 1; causal >= 0; causal--) {
    chosen tiny = {2.0, causal ? 1e-7 : -1e-7, 1};
    chosen_at("B=1,T=60000,C=4", causal, tiny, "W4_SEG=1024,W4_CPG=8", "w = ±1e-7 below an ulp of p, long segments");
    chosen_at("B=1,T=60000,C=4", causal, tiny, "W4_SEG=16,W4_CPG=8", "w = ±1e-7 below an ulp of p, 3750 joins");
  }
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
