/* SPDX-License-Identifier: BSD-3-Clause */
/* The RWKV-6 kernels (wkv.rwkv6.chunked and wkv.rwkv6.recurrent) against
 * their double-precision reference on the default OpenCL device: ragged
 * shapes (T = 1, T not a multiple of any chunk, N = 1, 7, 16, 40, 64, 256),
 * causal and bidirectional, the 16-bit dtypes, chunked configurations off
 * their defaults, strong (w = 2, d ≈ 6e-4) and weak (w = -9, d ≈ 0.99988)
 * decays and a mix of both, at T = 65536 too (no NaN, no overflow), state
 * passing (a sequence split in two, the first call's ht handed to the
 * second as h0, equals one call over the whole), and the chunked kernel's
 * outputs equal to the recurrent kernel's on the same inputs. Verification
 * only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/wkv6.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

typedef struct shape { int64_t B, T, H, N; } shape;

static const shape shapes[] = {
  {1, 1, 1, 1}, {2, 7, 3, 7}, {1, 65, 2, 16}, {1, 129, 1, 64}, {2, 200, 1, 40}, {1, 100, 2, 1}, {1, 33, 1, 256},
};

static void problem(const sq_kernel *k, const shape *s, int causal, int state, sq_dtype dt, sq_problem *p) {
  char text[160];
  snprintf(text, sizeof text, "B=%lld,T=%lld,H=%lld,N=%lld,state=%d", (long long)s->B, (long long)s->T,
           (long long)s->H, (long long)s->N, state);
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
  static const shape s = {2, 150, 2, 32};
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
  problem(k, &s, 1, 1, SQ_F16, &p);
  verify_case(k, &p, NULL, NULL, "h0 in, ht out");
  problem(k, &s, 1, 1, SQ_BF16, &p);
  verify_case(k, &p, NULL, NULL, "h0 in, ht out");
}

/* The other configurations: chunked chunks of 16 and 128, taller groups
 * (and diagonal blocks), narrow tiles, interleaved staging; recurrent
 * narrow groups (two column tiles) and every staging depth. */
static void configurations(const sq_kernel *k) {
  static const char *const ch[] = {"CHUNK=16", "CHUNK=128,WKV_WY=4", "WKV_WY=2,WKV_BK=4,WKV_BN=16",
                                   "WKV_WY=16,WKV_BK=8,WKV_BN=32,WKV_RUNS=0", "CHUNK=32,WKV_BK=32,WKV_RUNS=0"};
  static const char *const rc[] = {"RC_COLS=16,RC_TSTEP=4", "RC_COLS=32,RC_TSTEP=16", "RC_TSTEP=32"};
  static const shape s = {1, 333, 2, 40};
  int chunked = k == &sq_wkv6_chunked;
  size_t n = chunked ? sizeof ch / sizeof ch[0] : sizeof rc / sizeof rc[0];
  for (size_t i = 0; i < n; i++)
    for (int causal = 1; causal >= 0; causal--) {
      sq_problem p;
      problem(k, &s, causal, causal, SQ_F32, &p);
      verify_case(k, &p, chunked ? ch[i] : rc[i], NULL, "configuration");
    }
}

/* ---- decays chosen by the test ------------------------------------------ */

typedef struct wrange { double lo, hi; } wrange;

/* Every w drawn uniformly in [lo, hi]. */
static void set_w(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  (void)p;
  const wrange *w = ctx;
  if (t != SQ_WKV6_W) return;
  for (int64_t i = 0; i < n; i++) v[i] = (float)(w->lo + (w->hi - w->lo) * 0.5 * (v[i] + 1.0));
}

static void w_range(const sq_kernel *k, const shape *s, double lo, double hi, const char *what) {
  wrange w = {lo, hi};
  sq_run_opts o;
  sq_run_defaults(&o);
  o.input = (sq_input_hook){set_w, &w};
  for (int causal = 1; causal >= 0; causal--) {
    sq_problem p;
    problem(k, s, causal, causal, SQ_F32, &p);
    verify_case(k, &p, NULL, &o, what);
  }
}

static void decays(const sq_kernel *k) {
  static const shape s = {1, 300, 2, 64}, longer = {1, 65536, 1, 16};
  w_range(k, &s, 2.0, 2.0, "strong decay, w = 2");
  w_range(k, &s, -9.0, -9.0, "weak decay, w = -9");
  w_range(k, &s, -9.0, 2.0, "w anywhere in [-9, 2]");
  w_range(k, &longer, 2.0, 2.0, "strong decay, w = 2, T = 65536");
  w_range(k, &longer, -9.0, -9.0, "weak decay, w = -9, T = 65536");
}

/* ---- state passing ------------------------------------------------------- */

static int run_captured(const sq_kernel *k, const sq_problem *p, const char *params, capture *c, const char *what) {
  sq_run_opts o;
  capture_options(&o, c);
  return verify_case(k, p, params, &o, what);
}

static void split(const sq_kernel *k) {
  const int64_t T = 150, T1 = 77, B = 2, H = 2, N = 24;
  const shape whole = {B, T, H, N}, first = {B, T1, H, N}, second = {B, T - T1, H, N};
  sq_problem pw, p1, p2;
  problem(k, &whole, 1, 1, SQ_F32, &pw);
  problem(k, &first, 1, 1, SQ_F32, &p1);
  problem(k, &second, 1, 1, SQ_F32, &p2);
  capture w = {0}, a = {0}, b = {0};
  a.from = b.from = &w;
  a.from_T = b.from_T = T;
  b.t0 = T1;
  /* Chunks of 16 put the split (77) inside a chunk. */
  const char *params = k == &sq_wkv6_chunked ? "CHUNK=16" : NULL;
  int ok = run_captured(k, &pw, params, &w, "split: the whole");
  a.h0 = w.v[SQ_WKV6_H0];
  ok = ok && run_captured(k, &p1, params, &a, "split: the first part");
  b.h0 = a.v[SQ_WKV6_HT];
  ok = ok && run_captured(k, &p2, params, &b, "split: the second part, from the first's ht");
  if (!ok) {
    tap_ok(0, "%s: split runs failed", k->name);
  } else {
    double d1 = rel_diff(a.v[SQ_WKV6_O], w.v[SQ_WKV6_O], B, T1, T, 0, H * N);
    double d2 = rel_diff(b.v[SQ_WKV6_O], w.v[SQ_WKV6_O], B, T - T1, T, T1, H * N);
    double dh = rel_diff(b.v[SQ_WKV6_HT], w.v[SQ_WKV6_HT], 1, 1, 1, 0, B * H * N * N);
    tap_ok(d1 < 1e-5 && d2 < 1e-5 && dh < 1e-5,
           "%s: T=%lld in two calls (%lld + %lld, ht passed as h0) = one call: o %.2g, %.2g, ht %.2g", k->name,
           (long long)T, (long long)T1, (long long)(T - T1), d1, d2, dh);
  }
  free_capture(&w);
  free_capture(&a);
  free_capture(&b);
}

/* ---- chunked = recurrent ------------------------------------------------- */

/* The same inputs (the harness draws them from the seed and the op's
 * declaration, whichever kernel runs) through both kernels. */
static void chunked_is_recurrent(const shape *s, int causal, sq_dtype dt, double tol) {
  sq_problem pc, pr;
  problem(&sq_wkv6_chunked, s, causal, causal, dt, &pc);
  problem(&sq_wkv6_recurrent, s, causal, causal, dt, &pr);
  capture c = {0}, r = {0};
  int ok = run_captured(&sq_wkv6_chunked, &pc, NULL, &c, "chunked = recurrent: chunked");
  ok = ok && run_captured(&sq_wkv6_recurrent, &pr, NULL, &r, "chunked = recurrent: recurrent");
  double din = ok ? rel_diff(c.v[SQ_WKV6_W], r.v[SQ_WKV6_W], 1, 1, 1, 0, c.n[SQ_WKV6_W]) : 1;
  double d = ok ? rel_diff(c.v[SQ_WKV6_O], r.v[SQ_WKV6_O], 1, 1, 1, 0, c.n[SQ_WKV6_O]) : 1;
  double dh = ok && causal ? rel_diff(c.v[SQ_WKV6_HT], r.v[SQ_WKV6_HT], 1, 1, 1, 0, c.n[SQ_WKV6_HT]) : 0;
  tap_ok(ok && din == 0 && d < tol && dh < tol,
         "chunked = recurrent, %s %s B=%lld T=%lld H=%lld N=%lld: o %.2g, ht %.2g (same inputs: %s)",
         causal ? "causal with state" : "bidirectional", sq_dtype_name(dt), (long long)s->B, (long long)s->T,
         (long long)s->H, (long long)s->N, d, dh, din == 0 ? "yes" : "no");
  free_capture(&c);
  free_capture(&r);
}

int main(void) {
  if (test_device_open(&dev)) {
    tap_skip("RWKV-6 kernels", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  const sq_kernel *const ks[] = {&sq_wkv6_recurrent, &sq_wkv6_chunked};
  for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
    const sq_kernel *k = ks[i];
    ragged(k);
    dtypes_and_state(k);
    configurations(k);
    decays(k);
    split(k);
  }
  static const shape eq[] = {{2, 333, 2, 64}, {1, 100, 3, 7}};
  for (int causal = 1; causal >= 0; causal--) {
    chunked_is_recurrent(&eq[0], causal, SQ_F32, 1e-5);
    chunked_is_recurrent(&eq[1], causal, SQ_F32, 1e-5);
  }
  /* Outputs rounded to bf16 may differ by one rounding step. */
  chunked_is_recurrent(&eq[0], 1, SQ_BF16, 1e-2);
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
