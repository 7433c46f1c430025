/* SPDX-License-Identifier: BSD-3-Clause */
/* The gated and decayed linear-attention kernels (linear_attn.decay and
 * linear_attn.gla, recurrent and chunked) against their double-precision
 * reference on the default OpenCL device: ragged shapes (T = 1, T not a
 * multiple of any chunk, D = 40 and 80, DV != D, GLA's DV = 512), causal and
 * bidirectional, the 16-bit dtypes, chunked configurations off their
 * defaults, strong (log gate -8) and weak (-1e-4) decays, and state passing:
 * a sequence split in two, the first call's ht handed to the second as h0,
 * equals one call over the whole. Verification only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/gated_attn.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

typedef struct shape { int64_t B, H, T, D, DV; } shape;

static const shape shapes[] = {
  {1, 1, 1, 16, 16}, {2, 3, 7, 40, 40}, {1, 2, 65, 40, 24}, {1, 1, 129, 80, 80},
  {1, 1, 200, 64, 65}, {2, 1, 300, 100, 100}, {1, 1, 33, 256, 256},
};

static void problem(const sq_kernel *k, const shape *s, int causal, int state, sq_dtype dt, sq_problem *p) {
  char text[160];
  snprintf(text, sizeof text, "B=%lld,H=%lld,T=%lld,D=%lld,DV=%lld,state=%d", (long long)s->B, (long long)s->H,
           (long long)s->T, (long long)s->D, (long long)s->DV, state);
  if (sq_problem_parse(k, text, causal, dt, p)) bail(text, sq_last_error());
}

static void ragged(const sq_kernel *k) {
  for (int causal = 1; causal >= 0; causal--)
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
      sq_problem p;
      problem(k, &shapes[i], causal, 0, SQ_F32, &p);
      verify_case(k, &p, NULL, NULL, "ragged");
    }
}

static void dtypes_and_state(const sq_kernel *k) {
  static const shape s = {2, 2, 150, 32, 48};
  static const sq_dtype dts[] = {SQ_F16, SQ_BF16};
  for (int causal = 1; causal >= 0; causal--)
    for (int d = 0; d < 2; d++) {
      sq_problem p;
      problem(k, &s, causal, 0, dts[d], &p);
      verify_case(k, &p, NULL, NULL, "16-bit storage");
    }
  sq_problem p;
  problem(k, &s, 1, 1, SQ_F32, &p);
  verify_case(k, &p, NULL, NULL, "h0 in, ht out");
  problem(k, &s, 1, 1, SQ_BF16, &p);
  verify_case(k, &p, NULL, NULL, "h0 in, ht out");
}

/* The chunked plan's other configurations: chunks of 16 and 128, taller
 * groups (and diagonal blocks), narrow tiles, interleaved staging. */
static void configurations(const sq_kernel *k) {
  static const char *const cfg[] = {"CHUNK=16", "CHUNK=128,GA_WY=4", "GA_WY=2,GA_BK=4,GA_BN=16",
                                    "GA_WY=16,GA_BK=8,GA_BN=32,GA_RUNS=0", "CHUNK=32,GA_BK=32,GA_RUNS=0"};
  static const shape s = {1, 2, 333, 40, 72};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    for (int causal = 1; causal >= 0; causal--) {
      sq_problem p;
      problem(k, &s, causal, causal, SQ_F32, &p);
      verify_case(k, &p, cfg[i], NULL, "configuration");
    }
}

/* ---- gates chosen by the test ------------------------------------------ */

typedef struct gates { double lo, hi; } gates;

/* Every gate (log_gamma, or g and gb) drawn uniformly in [lo, hi]. */
static void set_gates(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  const gates *g = ctx;
  sq_ga_slots sl = sq_ga_slots_of(p);
  if (t != sl.gate && t != sl.gate_b) return;
  for (int64_t i = 0; i < n; i++) v[i] = (float)(g->lo + (g->hi - g->lo) * 0.5 * (v[i] + 1.0));
}

static void gate_range(const sq_kernel *k, double lo, double hi, const char *what) {
  static const shape s = {1, 2, 300, 64, 64};
  gates g = {lo, hi};
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){set_gates, &g};
  for (int causal = 1; causal >= 0; causal--) {
    sq_problem p;
    problem(k, &s, causal, causal, SQ_F32, &p);
    verify_case(k, &p, NULL, &o, what);
  }
}

/* ---- state passing ------------------------------------------------------- */

static int run_captured(const sq_kernel *k, const sq_problem *p, capture *c, const char *what) {
  sq_run_opts o;
  capture_options(&o, c);
  return verify_case(k, p, NULL, &o, what);
}

static void split(const sq_kernel *k) {
  const int64_t T = 150, T1 = 77;
  const shape whole = {2, 2, T, 24, 40}, first = {2, 2, T1, 24, 40}, second = {2, 2, T - T1, 24, 40};
  sq_problem pw, p1, p2;
  problem(k, &whole, 1, 1, SQ_F32, &pw);
  problem(k, &first, 1, 1, SQ_F32, &p1);
  problem(k, &second, 1, 1, SQ_F32, &p2);
  sq_ga_slots sl = sq_ga_slots_of(&pw);
  capture w = {0}, a = {0}, b = {0};
  a.from = b.from = &w;
  a.from_T = b.from_T = T;
  b.t0 = T1;
  int ok = run_captured(k, &pw, &w, "split: the whole");
  a.h0 = w.v[sl.h0];
  ok = ok && run_captured(k, &p1, &a, "split: the first part");
  b.h0 = a.v[sl.ht];
  ok = ok && run_captured(k, &p2, &b, "split: the second part, from the first's ht");
  if (!ok) {
    tap_ok(0, "%s: split runs failed", k->name);
  } else {
    int64_t bh = 4, DV = 40;
    double d1 = rel_diff(a.v[sl.o], w.v[sl.o], bh, T1, T, 0, DV);
    double d2 = rel_diff(b.v[sl.o], w.v[sl.o], bh, T - T1, T, T1, DV);
    double dh = rel_diff(b.v[sl.ht], w.v[sl.ht], 1, 1, 1, 0, bh * 24 * DV);
    tap_ok(d1 < 1e-5 && d2 < 1e-5 && dh < 1e-5,
           "%s: T=%lld in two calls (%lld + %lld, ht passed as h0) = one call: o %.2g, %.2g, ht %.2g", k->name,
           (long long)T, (long long)T1, (long long)(T - T1), d1, d2, dh);
  }
  free_capture(&w);
  free_capture(&a);
  free_capture(&b);
}

int main(void) {
  if (test_device_open(&dev)) {
    tap_skip("gated linear-attention kernels", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  const sq_kernel *const ks[] = {&sq_decay_attn_recurrent, &sq_decay_attn_chunked, &sq_gla_recurrent,
                                 &sq_gla_chunked};
  for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
    const sq_kernel *k = ks[i];
    ragged(k);
    dtypes_and_state(k);
    if (k == &sq_decay_attn_chunked || k == &sq_gla_chunked) configurations(k);
    gate_range(k, -8.0, -8.0, "strong decay, log gate -8");
    gate_range(k, -1e-4, -1e-4, "weak decay, log gate -1e-4");
    gate_range(k, -8.0, 0.0, "gates anywhere in [-8, 0]");
    split(k);
  }
  /* ZeCO's GLA-1B head: DV = 512, beyond attention's head dims. */
  sq_problem p;
  static const shape zeco = {1, 1, 70, 32, 512};
  problem(&sq_gla_chunked, &zeco, 1, 1, SQ_F32, &p);
  verify_case(&sq_gla_chunked, &p, NULL, NULL, "DV=512");
  problem(&sq_gla_recurrent, &zeco, 1, 1, SQ_F32, &p);
  verify_case(&sq_gla_recurrent, &p, NULL, NULL, "DV=512");
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
