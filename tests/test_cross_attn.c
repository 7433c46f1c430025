/* SPDX-License-Identifier: BSD-3-Clause */
/* softmax_attn.cross (TQ queries over TK keys, non-causal): the declaration
 * and the enums agree; the work; the reference with TQ = TK equals
 * softmax_attn's; and the flash kernel against the reference on the
 * default OpenCL device: CrossViT's CLS fusion (TQ = 1 over TK = 3136 and
 * 197/401), PVTv2's spatial reduction (TQ >> TK = 49), TK >> TQ, ragged
 * lengths, D not a power of two, D and DV up to 256, f16 and bf16, split
 * rows, and the kernel with TQ = TK against softmax_attn's own reference.
 * Verification only, never timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "kernels/cross_attn.h"
#include "kernels/softmax_attn.h"
#include "tests/capture.h"
#include "tests/tap.h"
#include "tests/test_device.h"
#include "tests/kernel_case.h"

typedef struct shape { int64_t B, H, TQ, TK, D, DV; } shape;

static void problem(const shape *s, sq_dtype dt, sq_problem *p) {
  char text[160];
  snprintf(text, sizeof text, "B=%lld,H=%lld,TQ=%lld,TK=%lld,D=%lld,DV=%lld", (long long)s->B, (long long)s->H,
           (long long)s->TQ, (long long)s->TK, (long long)s->D, (long long)s->DV);
  if (sq_problem_parse(&sq_cross_attn_flash, text, 0, dt, p)) bail(text, sq_last_error());
}

static void test_declaration(void) {
  static const char *const axes[] = {"B", "H", "TQ", "TK", "D", "DV"};
  static const char *const tensors[] = {"q", "k", "v", "o"};
  const int ax_idx[] = {SQ_CX_B, SQ_CX_H, SQ_CX_TQ, SQ_CX_TK, SQ_CX_D, SQ_CX_DV};
  const int t_idx[] = {SQ_CX_Q, SQ_CX_K, SQ_CX_V, SQ_CX_O};
  const sq_op *op = &sq_op_softmax_attn_cross;
  int ok = sq_op_naxes(op) == 6 && sq_op_ntensors(op) == 4;
  for (int i = 0; ok && i < 6; i++) ok = sq_op_axis_index(op, axes[i]) == ax_idx[i];
  for (int i = 0; ok && i < 4; i++) ok = !strcmp(op->tensors[t_idx[i]].name, tensors[i]);
  /* The band plan passes slots 0..3 as q, k, v, o for both ops. */
  ok = ok && SQ_CX_Q == 0 && SQ_CX_K == 1 && SQ_CX_V == 2 && SQ_CX_O == 3;
  tap_ok(ok, "kernels/cross_attn.h's axis and tensor indices match softmax_attn.cross's declaration");
  tap_ok(op->pending && !strcmp(op->pending, "pending:cross_attn"), "the op keeps pending:cross_attn");
  sq_problem p;
  tap_ok(sq_problem_parse(&sq_cross_attn_flash, "TQ=4,TK=5,D=8", 1, SQ_F32, &p) != 0,
         "a causal cross-attention case is refused");
  problem(&(shape){2, 3, 1, 3136, 64, 48}, SQ_BF16, &p);
  sq_work w = sq_cross_attn_flash.work(&p);
  const double np = 3136.0, bh = 6;
  tap_ok(w.flops == bh * np * 2 * (64 + 48) && w.exps == bh * np && w.bytes == 2 * bh * (1 + 3136.0) * (64 + 48),
         "work at TQ=1, TK=3136: flops %.4g = B H TQ TK (2D+2DV), exps %.4g, bytes %.4g = s B H (TQ+TK)(D+DV)",
         w.flops, w.exps, w.bytes);
  sq_band b = sq_band_of_cross(&p);
  tap_ok(sq_band_pairs(&b) == np && fabs(b.scale - 0.125) < 1e-15, "the band holds every key, scale D^-1/2");
}

/* FL_BM = 0 sizes the query block to TQ below 64: rows past TQ cost as
 * much as real ones. */
static void test_query_block(void) {
  static const int64_t tq[] = {1, 3, 49, 64, 3136};
  static const size_t want[] = {1, 4, 64, 64, 64};
  int ok = 1;
  for (int i = 0; i < 5; i++) {
    sq_problem p;
    problem(&(shape){1, 1, tq[i], 49, 64, 64}, SQ_F32, &p);
    int pv[SQ_MAX_PARAMS];
    sq_kernel_default_params(&sq_cross_attn_flash, pv);
    sq_plan pl;
    if (sq_cross_attn_flash.plan(&p, pv, &pl) || pl.launch[0].local[0] != want[i]) {
      ok = 0;
      tap_diag("TQ=%lld: a work-group of %zu rows, want %zu", (long long)tq[i], pl.launch[0].local[0], want[i]);
    }
  }
  tap_ok(ok, "default query block: 1 row for TQ=1, 4 for 3, 64 for 49 and more");
  /* Key splits: a second launch merges them; a split count whose partial
   * results pass 2 GiB is refused. */
  sq_problem p;
  problem(&(shape){2, 3, 1, 3136, 64, 64}, SQ_F32, &p);
  int pv[SQ_MAX_PARAMS];
  sq_kernel_default_params(&sq_cross_attn_flash, pv);
  pv[sq_kernel_param_index(&sq_cross_attn_flash, "FL_KVS")] = 16;
  sq_plan pl;
  int rc = sq_cross_attn_flash.plan(&p, pv, &pl);
  tap_ok(!rc && pl.nlaunch == 2 && pl.launch[0].global[1] == 16 && !strcmp(pl.launch[1].entry, "sq_band_combine") &&
             pl.nscratch == 2,
         "FL_KVS=16: 16 key splits along grid dimension 1, then sq_band_combine over 2 scratch buffers");
  problem(&(shape){1, 64, 1 << 20, 64, 64, 64}, SQ_F32, &p);
  char why[200] = "";
  pv[sq_kernel_param_index(&sq_cross_attn_flash, "FL_KVS")] = 8;
  rc = sq_cross_attn_flash.check(&p, pv, sq_cross_attn_flash.nparams, why, sizeof why);
  tap_ok(rc == SQ_EINVAL && strstr(why, "scratch"), "FL_KVS=8 over 64 heads of 2^20 queries is refused (%s)", why);
}

/* TQ = TK: the same as non-causal softmax attention; TQ = 1 over keys
 * that are one query's: the softmax attention row of that query. */
static void test_reference(void) {
  const int64_t B = 2, H = 1, T = 37, D = 20, DV = 9, n = B * H * T;
  float *q = draws(n * D, 4), *k = draws(n * D, 5), *v = draws(n * DV, 6);
  const float *in[4] = {q, k, v, NULL};
  int64_t rows[T];
  for (int64_t i = 0; i < T; i++) rows[i] = i;
  double *o = malloc(sizeof(double) * (size_t)(n * DV)), *r = malloc(sizeof(double) * (size_t)(n * DV));
  double *out[4] = {NULL, NULL, NULL, o}, *rout[4] = {NULL, NULL, NULL, r};
  sq_problem p, s;
  problem(&(shape){B, H, T, T, D, DV}, SQ_F32, &p);
  sq_att_problem(&s, &sq_op_softmax_attn, B, H, T, D, DV, 0, SQ_F32);
  int rc = sq_cross_attn_reference(&p, in, rows, T, out) || sq_softmax_attn_reference(&s, in, rows, T, rout);
  double e = rc ? INFINITY : max_rel(o, r, n * DV);
  tap_ok(e < 1e-14, "reference with TQ = TK = softmax_attn's non-causal reference (rel %.2g)", e);
  /* One query (row 5 of the first head) over that head's T keys. */
  problem(&(shape){1, 1, 1, T, D, DV}, SQ_F32, &p);
  const float *one[4] = {q + 5 * D, k, v, NULL};
  const int64_t row0 = 0;
  rc = sq_cross_attn_reference(&p, one, &row0, 1, out);
  e = rc ? INFINITY : max_rel(o, r + 5 * DV, DV);
  tap_ok(e < 1e-14, "TQ = 1: the softmax attention row of that query (rel %.2g)", e);
  free(q), free(k), free(v), free(o), free(r);
}

/* Runs one case verified; `params` (or NULL: defaults) as "NAME=V,...". */
static int run_case(const sq_problem *p, const char *params, const sq_run_opts *opts, const char *what) {
  return verify_case(&sq_cross_attn_flash, p, params, opts, what);
}

static void shapes(void) {
  static const struct { shape s; const char *what; } cases[] = {
    {{2, 3, 1, 3136, 64, 64}, "CrossViT CLS fusion, TQ = 1 over TK = 3136"},
    {{1, 6, 1, 197, 64, 64}, "CrossViT-S small branch, TQ = 1 over 197"},
    {{1, 2, 1, 401, 40, 40}, "CrossViT large branch, TQ = 1 over 401, D = 40"},
    {{1, 1, 3136, 49, 64, 64}, "PVTv2 stage-1 spatial reduction, 3136 queries over 49 keys"},
    {{2, 2, 784, 49, 64, 64}, "PVTv2 stage-2 spatial reduction, 784 over 49"},
    {{1, 1, 7, 1000, 32, 24}, "TK >> TQ, ragged"},
    {{1, 2, 65, 33, 40, 24}, "ragged both ways"},
    {{1, 1, 1, 1, 16, 16}, "one query, one key"},
    {{1, 1, 130, 3, 1, 5}, "D = 1"},
    {{1, 1, 50, 77, 256, 256}, "D = DV = 256"},
    {{1, 1, 45, 120, 100, 200}, "D = 100, DV = 200"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sq_problem p;
    problem(&cases[i].s, SQ_F32, &p);
    run_case(&p, NULL, NULL, cases[i].what);
  }
  static const sq_dtype dts[] = {SQ_F16, SQ_BF16};
  for (int d = 0; d < 2; d++) {
    sq_problem p;
    problem(&(shape){2, 2, 300, 49, 48, 40}, dts[d], &p);
    run_case(&p, NULL, NULL, "16-bit storage");
    problem(&(shape){1, 3, 1, 577, 64, 64}, dts[d], &p);
    run_case(&p, NULL, NULL, "16-bit storage, one query");
  }
  static const char *const cfg[] = {"FL_SPLIT=4,FL_BM=8", "FL_BN=8,FL_BM=16", "FL_BN=64,FL_SPLIT=2", "FL_KVS=16",
                                    "FL_KVS=8,FL_SPLIT=4,FL_BM=8", "FL_KVS=32,FL_BN=8"};
  for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
    sq_problem p;
    problem(&(shape){1, 2, 1, 3136, 64, 64}, SQ_F32, &p);
    run_case(&p, cfg[i], NULL, "configuration");
    problem(&(shape){1, 1, 333, 49, 40, 72}, SQ_F32, &p);
    run_case(&p, cfg[i], NULL, "configuration");
  }
}

/* The kernel with TQ = TK against softmax_attn's reference on the very
 * inputs it ran on. */
static void square_is_softmax(void) {
  const int64_t B = 1, H = 2, T = 150, D = 24, DV = 40;
  sq_problem p;
  problem(&(shape){B, H, T, T, D, DV}, SQ_F32, &p);
  capture c = {0};
  sq_run_opts o;
  capture_options(&o, &c);
  if (run_case(&p, NULL, &o, "TQ = TK")) {
    double e = softmax_gap(&c, SQ_CX_Q, SQ_CX_K, SQ_CX_V, SQ_CX_O, B, H, T, D, DV, 0);
    tap_ok(e < 1e-5, "kernel with TQ = TK = softmax_attn's non-causal reference (rel %.2g)", e);
  }
  free_capture(&c);
}

int main(void) {
  test_declaration();
  test_query_block();
  test_reference();
  if (test_device_open(&dev)) {
    tap_skip("cross-attention kernel", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  shapes();
  square_is_softmax();
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
