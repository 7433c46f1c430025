/* Unit tests of the harness pieces that need no device: statistics,
 * shape and parameter parsing, deterministic inputs, 16-bit conversions,
 * row selection for sampled verification, the .npy header, slopes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention.h"
#include "harness/error.h"
#include "harness/inputs.h"
#include "harness/measure.h"
#include "harness/npy.h"
#include "harness/run.h"
#include "harness/stats.h"
#include "harness/verify.h"
#include "results/analysis.h"
#include "tests/tap.h"

static void test_stats(void) {
  double x[] = {5, 1, 4, 2, 3};
  sq_stats s;
  sq_stats_compute(x, 5, &s);
  tap_ok(s.min == 1 && s.max == 5 && s.median == 3 && s.q1 == 2 && s.q3 == 4 && s.mean == 3,
         "stats: order statistics of 1..5");
  tap_ok(fabs(s.stddev - sqrt(2.5)) < 1e-12 && fabs(s.noise - sqrt(2.5) / 3) < 1e-12, "stats: sample stddev and noise");
  double y[] = {1, 2, 3, 4};
  sq_stats_compute(y, 4, &s);
  tap_ok(s.median == 2.5 && s.q1 == 1.75 && s.q3 == 3.25, "stats: interpolated quartiles (numpy's default)");
}

static void test_shapes(void) {
  sq_problem p;
  const sq_kernel *k = sq_kernel_find("softmax_attn.flash");
  tap_ok(!sq_problem_parse(k, "B=2,H=8,T=4096,D=64", 1, SQ_F32, &p) && att_B(&p) == 2 && att_H(&p) == 8 && att_T(&p) == 4096 &&
             att_D(&p) == 64 && att_DV(&p) == 64,
         "shape: full spec, DV defaults to D");
  tap_ok(!sq_problem_parse(k, "T=7,D=40,DV=24", 1, SQ_F32, &p) && att_B(&p) == 1 && att_H(&p) == 1 && att_DV(&p) == 24,
         "shape: B, H default to 1");
  const char *bad[] = {"T=0,D=64", "T=-1,D=64", "T=1e3,D=64", "T=8,D=300", "D=64", "T=8", "T=8,D=64,Q=1", "", "T=8,,D=4",
                       "B=1048576,H=1048576,T=2000000,D=64"};
  int rejected = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) rejected += sq_problem_parse(k, bad[i], 1, SQ_F32, &p) == SQ_EINVAL;
  tap_ok(rejected == (int)(sizeof bad / sizeof bad[0]), "shape: %d malformed specs rejected", rejected);
  tap_ok(sq_problem_parse(sq_kernel_find("linear_attn.causal_chunked"), "T=8,D=4", 0, SQ_F32, &p) == SQ_EINVAL &&
             strstr(sq_last_error(), "has no non-causal form"),
         "shape: a form the kernel lacks is refused (%s)", sq_last_error());
}

static void test_inputs(void) {
  float a = sq_input_value(42, 0, 12345), b = sq_input_value(42, 0, 12345), c = sq_input_value(43, 0, 12345);
  tap_ok(a == b && a != c && a >= -1 && a < 1, "inputs: deterministic per (seed, tensor, index)");
  int ok = 1;
  /* 11 significant bits fit f16, 8 fit bf16. */
  for (int i = -2047; i <= 2047; i++) {
    ok &= sq_f16_to_f32(sq_f32_to_f16(i / 256.0f)) == i / 256.0f;
    if (i >= -255 && i <= 255) ok &= sq_bf16_to_f32(sq_f32_to_bf16(i / 64.0f)) == i / 64.0f;
  }
  tap_ok(ok, "f16/bf16: exactly representable values round-trip");
  tap_ok(sq_f16_to_f32(sq_f32_to_f16(1.0f + 1.0f / 4096)) == 1.0f && sq_f16_to_f32(sq_f32_to_f16(65520.0f)) == INFINITY,
         "f16: round to nearest even, overflow to infinity");
  tap_ok(sq_bf16_to_f32(sq_f32_to_bf16(1.0f + 1.0f / 256)) == 1.0f, "bf16: round to nearest even");
}

static double cost_one(const sq_problem *p) { return 1; }

static void test_rows(void) {
  sq_kernel k = {.reference_row_cost = cost_one};
  sq_problem p;
  sq_att_problem(&p, &sq_op_softmax_attn, 1, 1, 1000, 4, 4, 0, SQ_F32);
  int64_t n, stride, *rows = sq_verify_rows(&k, &p, 1e9, &n, &stride);
  tap_ok(rows && n == 1000 && stride == 1, "verify rows: all rows under budget");
  free(rows);
  rows = sq_verify_rows(&k, &p, 100, &n, &stride);
  tap_ok(rows && stride == 10 && rows[0] == 0 && rows[n - 1] == 999 && n == 101, "verify rows: strided sample keeps first and last");
  free(rows);
}

static void test_npy(void) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  const char *path = "test_npy_out.npy";
  int rc = sq_npy_write(path, "<f4", 4, data, shape, 2);
  FILE *f = fopen(path, "rb");
  unsigned char buf[256] = {0};
  size_t got = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f) fclose(f);
  remove(path);
  unsigned hlen = buf[8] | buf[9] << 8;
  tap_ok(!rc && got == 10 + hlen + 24 && !memcmp(buf, "\x93NUMPY\x01\x00", 8) && (10 + hlen) % 64 == 0 &&
           strstr((char *)buf + 10, "'shape': (2, 3)") && !memcmp(buf + 10 + hlen, data, 24),
         "npy: version 1.0 header, aligned, shape and data");
}

static void test_rounds(void) {
  sq_measure_opts all, one;
  sq_measure_defaults(&all);
  sq_measure_round(&all, 1, &one);
  tap_ok(!memcmp(&all, &one, sizeof one), "rounds: one round takes the whole budget");
  sq_measure_round(&all, 3, &one);
  tap_ok(one.min_samples == 4 && one.max_samples == 333, "rounds: 3 rounds share 10 (rounded up) and 1000 samples");
  tap_ok(fabs(one.min_time_s - all.min_time_s / 3) < 1e-12 && fabs(one.timeout_s - all.timeout_s / 3) < 1e-12,
         "rounds: minimum time and timeout are shared out");
  tap_ok(one.max_noise == all.max_noise && one.warmup == all.warmup && one.mode == all.mode,
         "rounds: noise target, warm-up and mode apply to every round");
  sq_measure_round(&all, 20, &one);
  tap_ok(one.min_samples == 2 && one.max_samples == 50, "rounds: at least 2 samples a round");
}

static void test_slope(void) {
  double x[] = {1024, 2048, 4096, 8192}, y[] = {1, 4, 16, 64}, z[] = {3, 6, 12, 24};
  tap_ok(fabs(sq_loglog_slope(x, y, 4) - 2) < 1e-12 && fabs(sq_loglog_slope(x, z, 4) - 1) < 1e-12,
         "analysis: log-log slopes of T^2 and T");
  tap_ok(isnan(sq_loglog_slope(x, y, 1)), "analysis: one point has no slope");
}

int main(void) {
  test_stats();
  test_shapes();
  test_inputs();
  test_rows();
  test_npy();
  test_slope();
  test_rounds();
  return tap_done();
}
