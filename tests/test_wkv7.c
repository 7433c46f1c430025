/* SPDX-License-Identifier: BSD-3-Clause */
/* wkv.rwkv7.recurrent against its double-precision reference on the
 * default OpenCL device: ragged shapes (T = 1, T not a multiple of the
 * staged steps, N = 1, 7, 64, 256), h0 and ht, every staging depth, the
 * 16-bit dtypes, long-run boundedness (T = 4000 at N = 64 with §3.3's init:
 * max|o| stays small), and state passing: a sequence split in two, the
 * first call's ht handed to the second as h0, equals one call over the
 * whole. Verification only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/wkv7.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

/* Runs the case of a --shape text verified; `params` (or NULL: defaults) as
 * "NAME=V,...". */
static int run_case(const char *shape, sq_dtype dt, const char *params, const sq_run_opts *opts, const char *what) {
  sq_problem p;
  if (sq_problem_parse(&sq_wkv7_recurrent, shape, 1, dt, &p)) bail(shape, sq_last_error());
  return verify_case(&sq_wkv7_recurrent, &p, params, opts, what);
}

static void ragged(void) {
  static const char *shapes[] = {"B=1,T=1,H=1,N=1", "B=2,T=37,H=3,N=1,state=1", "B=2,T=45,H=3,N=7",
                                 "B=1,T=130,H=2,N=7,state=1", "B=1,T=301,H=2,N=64", "B=2,T=77,H=1,N=64,state=1",
                                 "B=1,T=40,H=1,N=256,state=1", "B=1,T=3,H=2,N=256"};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) run_case(shapes[i], SQ_F32, NULL, NULL, "ragged");
}

static void configurations(void) {
  static const char *cfg[] = {"W7_TSTEP=1", "W7_TSTEP=2", "W7_TSTEP=4", "W7_TSTEP=16", "W7_TSTEP=32"};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) run_case("B=1,T=99,H=2,N=32,state=1", SQ_F32, cfg[i], NULL, "configuration");
  run_case("B=1,T=50,H=1,N=128,state=1", SQ_F32, "W7_TSTEP=16", NULL, "configuration at the local-memory limit");
}

static void dtypes(void) {
  run_case("B=2,T=200,H=2,N=64,state=1", SQ_F16, NULL, NULL, "f16");
  run_case("B=2,T=200,H=2,N=64,state=1", SQ_BF16, NULL, NULL, "bf16");
  run_case("B=1,T=64,H=3,N=7", SQ_BF16, "W7_TSTEP=4", NULL, "bf16");
}

/* T = 4000 at N = 64: the run verifies, and its o stays small. */
static void bounded(void) {
  capture c = {0};
  sq_run_opts o;
  capture_options(&o, &c);
  int ok = run_case("B=1,T=4000,H=1,N=64,state=1", SQ_F32, "W7_TSTEP=16", &o, "long run");
  double om = 0, hm = 0;
  for (int64_t i = 0; ok && i < c.n[SQ_W7_O]; i++) om = fmax(om, fabs(c.v[SQ_W7_O][i]));
  for (int64_t i = 0; ok && i < c.n[SQ_W7_HT]; i++) hm = fmax(hm, fabs(c.v[SQ_W7_HT][i]));
  tap_ok(ok && om < 64 && hm < 10, "T=4000, N=64 with the init: max|ht| = %.3g, max|o| = %.3g stay small", hm, om);
  free_capture(&c);
}

/* ---- state passing ------------------------------------------------------- */

static int run_captured(const char *shape, capture *c, const char *params, const char *what) {
  sq_run_opts o;
  capture_options(&o, c);
  return run_case(shape, SQ_F32, params, &o, what);
}

/* T = 150 in one call, then 77 + 73 with the state passed; the split is
 * inside a group of staged steps. */
static void split(const char *params) {
  const int64_t T = 150, T1 = 77, B = 2, H = 3, N = 16;
  capture w = {0}, a = {0}, b = {0};
  a.from = b.from = &w;
  a.from_T = b.from_T = T;
  b.t0 = T1;
  int ok = run_captured("B=2,T=150,H=3,N=16,state=1", &w, params, "split: the whole");
  a.h0 = w.v[SQ_W7_H0];
  ok = ok && run_captured("B=2,T=77,H=3,N=16,state=1", &a, params, "split: the first part");
  b.h0 = a.v[SQ_W7_HT];
  ok = ok && run_captured("B=2,T=73,H=3,N=16,state=1", &b, params, "split: the second part, from the first's ht");
  if (!ok) {
    tap_ok(0, "split runs failed");
  } else {
    double d1 = rel_diff(a.v[SQ_W7_O], w.v[SQ_W7_O], B, T1, T, 0, H * N);
    double d2 = rel_diff(b.v[SQ_W7_O], w.v[SQ_W7_O], B, T - T1, T, T1, H * N);
    double dh = rel_diff(b.v[SQ_W7_HT], w.v[SQ_W7_HT], 1, 1, 1, 0, B * H * N * N);
    tap_ok(d1 < 1e-5 && d2 < 1e-5 && dh < 1e-5,
           "%s: T=%lld in two calls (%lld + %lld, ht passed as h0) = one call: o %.2g, %.2g, ht %.2g",
           params ? params : "defaults", (long long)T, (long long)T1, (long long)(T - T1), d1, d2, dh);
  }
  free_capture(&w);
  free_capture(&a);
  free_capture(&b);
}

int main(void) {
  if (test_device_open(&dev)) {
    tap_skip("wkv.rwkv7 kernels", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  ragged();
  configurations();
  dtypes();
  bounded();
  split(NULL);
  split("W7_TSTEP=32");
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
