/* SPDX-License-Identifier: BSD-3-Clause */
/* ssm.ssd.chunked against its double-precision reference on the default
 * OpenCL device: ragged shapes (T = 1, T not a multiple of any chunk, P and
 * N not powers of two, P = 128 over two column tiles, G > 1), causal and
 * non-causal, the z gate, h0 and ht, steps without softplus, the 16-bit
 * dtypes, configurations off the defaults (every chunk, tall work-groups,
 * narrow tiles, interleaved copies, reduction trees of one to three levels),
 * chosen steps and decays through the run options' input hook (dt = 8 and
 * 1e4: chunk decays that underflow, a softplus that must not overflow; A =
 * -1e-6: hardly any decay), and state passing: a sequence split in two, the
 * first call's ht handed to the second as h0, equals one call over the
 * whole; and a case run slice by slice with G > 1. Verification only,
 * never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/ssd.h"
#include "tests/capture.h"
#include "workloads/planner.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

typedef struct shape { int64_t B, T, H, P, G, N; } shape;

static const shape shapes[] = {
  {1, 1, 1, 16, 1, 16}, {2, 7, 3, 5, 1, 3}, {1, 65, 2, 48, 1, 48}, {1, 200, 4, 17, 2, 9},
  {2, 129, 2, 64, 1, 128}, {1, 300, 8, 24, 4, 16}, {1, 70, 1, 128, 1, 64}, {1, 257, 2, 1, 1, 1},
};

/* `extra` adds option keys ("has_z=1,state=1"). */
static void problem(const shape *s, int causal, const char *extra, sq_dtype dt, sq_problem *p) {
  char text[200];
  snprintf(text, sizeof text, "B=%lld,T=%lld,H=%lld,P=%lld,G=%lld,N=%lld%s%s", (long long)s->B, (long long)s->T,
           (long long)s->H, (long long)s->P, (long long)s->G, (long long)s->N, extra && *extra ? "," : "",
           extra ? extra : "");
  if (sq_problem_parse(&sq_ssd_chunked, text, causal, dt, p)) bail(text, sq_last_error());
}

/* Runs one case verified; `params` (or NULL: defaults) as "NAME=V,...". */
static int run_case(const sq_problem *p, const char *params, const sq_run_opts *opts, const char *what) {
  return verify_case(&sq_ssd_chunked, p, params, opts, what);
}

static void ragged(void) {
  for (int causal = 1; causal >= 0; causal--)
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
      sq_problem p;
      problem(&shapes[i], causal, NULL, SQ_F32, &p);
      run_case(&p, NULL, NULL, "ragged");
    }
}

static void options_and_dtypes(void) {
  static const shape s = {2, 150, 4, 32, 2, 24};
  static const sq_dtype dts[] = {SQ_F32, SQ_F16, SQ_BF16};
  for (int causal = 1; causal >= 0; causal--)
    for (int d = 0; d < 3; d++) {
      sq_problem p;
      problem(&s, causal, causal ? "has_z=1,state=1" : "has_z=1", dts[d], &p);
      run_case(&p, NULL, NULL, "z gate, G=2");
    }
  for (int causal = 1; causal >= 0; causal--) {
    sq_problem p;
    problem(&s, causal, "dt_softplus=0", SQ_F32, &p);
    run_case(&p, NULL, NULL, "steps without softplus");
  }
  sq_problem p;
  problem(&s, 1, "state=1", SQ_F16, &p);
  run_case(&p, NULL, NULL, "h0 in, ht out");
}

/* Every chunk, taller groups and their key tiles, narrow tiles, the
 * interleaved copies; the non-causal tree over 18 chunks at fan-in 8 (two
 * levels) and 66 (three). */
static void configurations(void) {
  static const char *const cfg[] = {
    "CHUNK=128", "CHUNK=256,SSD_WY=4,SSD_KT=64", "SSD_WY=2,SSD_BK=8,SSD_BN=16,SSD_KT=16",
    "SSD_WY=16,SSD_BK=32,SSD_BN=32,SSD_RUNS=0", "CHUNK=256,SSD_BK=32,SSD_KT=16,SSD_FAN=64",
  };
  static const shape s = {1, 333, 2, 40, 1, 36};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    for (int causal = 1; causal >= 0; causal--) {
      sq_problem p;
      problem(&s, causal, causal ? "state=1,has_z=1" : "has_z=1", SQ_F32, &p);
      run_case(&p, cfg[i], NULL, "configuration");
    }
  static const shape two = {1, 1100, 2, 16, 1, 8}, three = {1, 4200, 1, 16, 1, 8};
  sq_problem p;
  problem(&two, 0, NULL, SQ_F32, &p);
  run_case(&p, "SSD_FAN=8", NULL, "a two-level KV tree");
  problem(&three, 0, NULL, SQ_F32, &p);
  run_case(&p, "SSD_FAN=8,SSD_RUNS=0", NULL, "a three-level KV tree");
}

/* ---- steps and decays chosen by the test ----------------------------------- */

typedef struct chosen { int tensor; double value; } chosen;

static void set_value(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  (void)p;
  const chosen *c = ctx;
  if (t == c->tensor)
    for (int64_t i = 0; i < n; i++) v[i] = (float)c->value;
}

static void chosen_inputs(int tensor, double value, const char *what) {
  static const shape s = {1, 300, 3, 32, 1, 16};
  chosen c = {tensor, value};
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){set_value, &c};
  for (int causal = 1; causal >= 0; causal--) {
    sq_problem p;
    problem(&s, causal, causal ? "state=1" : NULL, SQ_F32, &p);
    run_case(&p, NULL, &o, what);
  }
}

/* ---- state passing ------------------------------------------------------- */

static int run_captured(const sq_problem *p, capture *c, const char *params, const char *what) {
  sq_run_opts o;
  capture_options(&o, c);
  return run_case(p, params, &o, what);
}

/* T = 150 in one call, then 77 + 73 with the state passed; the split is
 * inside a chunk of 64 and of 128. */
static void split(const char *params) {
  const int64_t T = 150, T1 = 77, B = 2, H = 4, P = 24, N = 20;
  const shape whole = {B, T, H, P, 2, N}, first = {B, T1, H, P, 2, N}, second = {B, T - T1, H, P, 2, N};
  sq_problem pw, p1, p2;
  problem(&whole, 1, "has_z=1,state=1", SQ_F32, &pw);
  problem(&first, 1, "has_z=1,state=1", SQ_F32, &p1);
  problem(&second, 1, "has_z=1,state=1", SQ_F32, &p2);
  capture w = {0}, a = {0}, b = {0};
  a.from = b.from = &w;
  a.from_T = b.from_T = T;
  b.t0 = T1;
  int ok = run_captured(&pw, &w, params, "split: the whole");
  a.h0 = w.v[SQ_SSD_H0];
  ok = ok && run_captured(&p1, &a, params, "split: the first part");
  b.h0 = a.v[SQ_SSD_HT];
  ok = ok && run_captured(&p2, &b, params, "split: the second part, from the first's ht");
  if (!ok) {
    tap_ok(0, "split runs failed");
  } else {
    double d1 = rel_diff(a.v[SQ_SSD_O], w.v[SQ_SSD_O], B, T1, T, 0, H * P);
    double d2 = rel_diff(b.v[SQ_SSD_O], w.v[SQ_SSD_O], B, T - T1, T, T1, H * P);
    double dh = rel_diff(b.v[SQ_SSD_HT], w.v[SQ_SSD_HT], 1, 1, 1, 0, B * H * P * N);
    tap_ok(d1 < 1e-5 && d2 < 1e-5 && dh < 1e-5,
           "%s: T=%lld in two calls (%lld + %lld, ht passed as h0) = one call: o %.2g, %.2g, ht %.2g",
           params ? params : "defaults", (long long)T, (long long)T1, (long long)(T - T1), d1, d2, dh);
  }
  free_capture(&w);
  free_capture(&a);
  free_capture(&b);
}

/* A case too large for the device runs slice by slice; a Mamba-2 slice
 * is one group's heads (H/G of them, G = 1), so G > 1 still slices into
 * valid cases, each verified. */
static void sliced(void) {
  const shape s = {2, 40, 4, 8, 2, 5};
  sq_problem p;
  problem(&s, 1, NULL, SQ_F32, &p);
  sq_problem one = p;
  sq_shape_unbatch(&one.shape);
  char why[160] = "";
  int valid = sq_op_ssd.check(&one.shape, 1, why, sizeof why) == 0;
  tap_ok(valid && sq_shape_slices(&p.shape) == 4 && sq_ax(&one, SQ_SSD_H) == 2 && sq_ax(&one, SQ_SSD_G) == 1,
         "a slice of B=2 H=4 G=2 is one group's 2 heads, 4 slices %s", why);
  sq_case c = {.kernel = &sq_ssd_chunked, .prob = p};
  sq_kernel_default_params(c.kernel, c.params);
  sq_run_opts o;
  sq_run_defaults(&o);
  o.verify_only = 1;
  sq_result r;
  int rc = sq_case_run_sliced(dev, &c, &o, &r);
  tap_ok(rc == 0 && r.status == SQ_STATUS_OK && strstr(r.reason, "sliced into 4 slices"),
         "G=2 runs sliced and verified: %s %s", sq_status_name(r.status), r.reason);
  if (!rc) sq_result_free(&r);
}

int main(void) {
  if (test_device_open(&dev)) {
    tap_skip("ssm.ssd kernels", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  ragged();
  options_and_dtypes();
  configurations();
  chosen_inputs(SQ_SSD_DT, 8.0, "strong decay, dt = 8");
  chosen_inputs(SQ_SSD_DT, 1e4, "dt = 1e4 through softplus");
  chosen_inputs(SQ_SSD_A, -1e-6, "weak decay, A = -1e-6");
  split(NULL);
  split("CHUNK=128,SSD_WY=2");
  sliced();
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
