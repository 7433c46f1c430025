/* SPDX-License-Identifier: BSD-3-Clause */
/* softmax_attn.varlen (block-diagonal attention over packed segments, M-VAR's
 * VAR scales): the declaration and the enums agree; the segment layout and
 * the work; the reference equals softmax_attn's reference run on each
 * segment alone, causal and not; and the band kernel against the reference
 * on the default OpenCL device, both modes, head dims 1 to 256, f16 and
 * bf16, and the tunables' corners (query blocks spanning many segments,
 * key splits). Verification only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "kernels/softmax_attn.h"
#include "kernels/varlen_attn.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

static void problem(int64_t B, int64_t H, int64_t D, int64_t DV, int causal, sq_dtype dt, sq_problem *p) {
  char text[160];
  snprintf(text, sizeof text, "B=%lld,H=%lld,T=680,D=%lld,DV=%lld,scales=var256", (long long)B, (long long)H,
           (long long)D, (long long)DV);
  if (sq_problem_parse(&sq_varlen_attn_flash, text, causal, dt, p)) bail(text, sq_last_error());
}

static void test_declaration(void) {
  static const char *const axes[] = {"B", "H", "T", "D", "DV", "scales"};
  static const char *const tensors[] = {"q", "k", "v", "o"};
  const int ax_idx[] = {SQ_VL_B, SQ_VL_H, SQ_VL_T, SQ_VL_D, SQ_VL_DV, SQ_VL_SCALES};
  const int t_idx[] = {SQ_VL_Q, SQ_VL_K, SQ_VL_V, SQ_VL_O};
  const sq_op *op = &sq_op_softmax_attn_varlen;
  int ok = sq_op_naxes(op) == 6 && sq_op_ntensors(op) == 4;
  for (int i = 0; ok && i < 6; i++) ok = sq_op_axis_index(op, axes[i]) == ax_idx[i];
  for (int i = 0; ok && i < 4; i++) ok = !strcmp(op->tensors[t_idx[i]].name, tensors[i]);
  /* The band plan passes slots 0..3 as q, k, v, o. */
  ok = ok && SQ_VL_Q == 0 && SQ_VL_K == 1 && SQ_VL_V == 2 && SQ_VL_O == 3;
  tap_ok(ok, "kernels/varlen_attn.h's axis and tensor indices match softmax_attn.varlen's declaration");
  tap_ok(op->pending && !strcmp(op->pending, "pending:varlen_attn"), "the op keeps pending:varlen_attn");

  sq_problem p;
  problem(1, 1, 64, 64, 0, SQ_F32, &p);
  const int64_t *st;
  int n = sq_varlen_segments(&p.shape, &st);
  static const int side[] = {1, 2, 3, 4, 5, 6, 8, 10, 13, 16};
  ok = n == 10 && st[0] == 0;
  for (int s = 0; ok && s < n; s++) ok = st[s + 1] - st[s] == side[s] * side[s];
  tap_ok(ok && st[n] == 680, "var256: VAR's 10 scales 1x1 ... 16x16 packed into 680 tokens");

  /* Pairs: sum L^2 non-causal, sum L(L+1)/2 causal. */
  double full = 0, tri = 0;
  for (int s = 0; s < 10; s++) {
    double L = side[s] * side[s];
    full += L * L;
    tri += L * (L + 1) / 2;
  }
  problem(2, 3, 64, 48, 0, SQ_BF16, &p);
  sq_work w = sq_varlen_attn_flash.work(&p);
  tap_ok(full == 110468 && w.flops == 6 * full * 2 * (64 + 48) && w.exps == 6 * full &&
             w.bytes == 2.0 * 6 * 680 * 2 * (64 + 48),
         "work: flops %.6g = B H sum L^2 (2D+2DV), exps %.6g, bytes %.6g = s B H T (2D+2DV)", w.flops, w.exps,
         w.bytes);
  problem(1, 1, 64, 64, 1, SQ_F32, &p);
  sq_band b = sq_band_of_varlen(&p);
  tap_ok(sq_band_pairs(&b) == tri, "causal: sum L(L+1)/2 = %.0f pairs", tri);
}

/* Every row of one head against softmax_attn's reference over its
 * segment's tokens alone. */
static void test_reference(int causal) {
  const int64_t T = 680, D = 12, DV = 7;
  float *q = draws(T * D, 1), *k = draws(T * D, 2), *v = draws(T * DV, 3);
  int64_t rows[680];
  for (int64_t i = 0; i < T; i++) rows[i] = i;
  double *o = malloc(sizeof(double) * (size_t)(T * DV)), *r = malloc(sizeof(double) * (size_t)(T * DV));
  sq_problem p;
  problem(1, 1, D, DV, causal, SQ_F32, &p);
  const float *in[4] = {q, k, v, NULL};
  double *out[4] = {NULL, NULL, NULL, o};
  int rc = sq_varlen_attn_reference(&p, in, rows, T, out);
  const int64_t *st;
  int n = sq_varlen_segments(&p.shape, &st);
  double err = 0, mag = 0;
  for (int s = 0; !rc && s < n; s++) {
    const int64_t L = st[s + 1] - st[s];
    sq_problem one;
    sq_att_problem(&one, &sq_op_softmax_attn, 1, 1, L, D, DV, causal, SQ_F32);
    const float *seg[4] = {q + st[s] * D, k + st[s] * D, v + st[s] * DV, NULL};
    double *sout[4] = {NULL, NULL, NULL, r + st[s] * DV};
    rc = sq_softmax_attn_reference(&one, seg, rows, L, sout);
  }
  for (int64_t i = 0; i < T * DV; i++) {
    err = fmax(err, fabs(o[i] - r[i]));
    mag = fmax(mag, fabs(r[i]));
  }
  tap_ok(!rc && err <= 1e-14 * mag, "%s reference = softmax_attn's reference on each of the 10 segments alone (%.2g)",
         causal ? "causal" : "non-causal", err);
  free(q), free(k), free(v), free(o), free(r);
}

static void run_case(int64_t B, int64_t H, int64_t D, int64_t DV, int causal, sq_dtype dt, const char *params) {
  sq_problem p;
  problem(B, H, D, DV, causal, dt, &p);
  verify_case(&sq_varlen_attn_flash, &p, params, NULL, params ? "configuration" : "");
}

static void kernel_cases(void) {
  for (int causal = 0; causal < 2; causal++) {
    run_case(2, 3, 64, 64, causal, SQ_F32, NULL);       /* M-VAR's head dim */
    run_case(1, 1, 1, 5, causal, SQ_F32, NULL);
    run_case(1, 2, 100, 200, causal, SQ_F32, NULL);
    run_case(1, 1, 256, 256, causal, SQ_F32, NULL);
    run_case(1, 2, 64, 48, causal, SQ_F16, NULL);
    run_case(1, 2, 64, 48, causal, SQ_BF16, NULL);
  }
  static const char *const cfg[] = {"FL_BM=8", "FL_BM=128,FL_BN=64", "FL_BN=8,FL_SPLIT=2", "FL_SPLIT=4,FL_BM=16",
                                    "FL_KVS=4", "FL_KVS=16,FL_BN=8"};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
    run_case(1, 2, 40, 40, 0, SQ_F32, cfg[i]);
    run_case(1, 1, 40, 24, 1, SQ_F32, cfg[i]);
  }
}

int main(void) {
  test_declaration();
  test_reference(0);
  test_reference(1);
  if (test_device_open(&dev)) {
    tap_skip("varlen attention kernel", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  kernel_cases();
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
