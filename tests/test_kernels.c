/* SPDX-License-Identifier: BSD-3-Clause */
/* Every kernel against its double-precision reference on the default
 * OpenCL device, over ragged shapes: T = 1, T not a multiple of any chunk or
 * tile, head dims that are not powers of two, DV != D, both feature maps,
 * the normaliser, and the 16-bit storage dtypes. Verification only: this is
 * a correctness test, never a timing one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "tests/kernel_case.h"
#include "tests/tap.h"
#include "tests/test_device.h"

typedef struct shape { int64_t B, H, T, D, DV; } shape;

static const shape shapes[] = {
  {1, 1, 1, 64, 64},    {2, 3, 7, 40, 40},   {1, 2, 63, 64, 64},  {1, 1, 65, 96, 96},
  {1, 1, 129, 80, 80},  {1, 1, 1000, 64, 64}, {1, 1, 33, 256, 256}, {1, 2, 77, 40, 24},
  {1, 1, 50, 1, 1},     {2, 1, 300, 100, 100},
};

/* One case under the kernel's defaults, or with `param` ("NAME=V,...") over them. */
static void check_case_with(sq_device *dev, const sq_kernel *k, const shape *s, int causal, sq_fmap fmap, int norm,
                            sq_dtype dt, const char *param) {
  sq_case c = {.kernel = k};
  sq_att_problem(&c.prob, k->op, s->B, s->H, s->T, s->D, s->DV, causal, dt);
  if (k->op == &sq_op_linear_attn) sq_ax_set(&c.prob, SQ_ATT_FEATURE, fmap), sq_ax_set(&c.prob, SQ_ATT_NORMALIZE, norm);
  case_params(k, param, c.params);
  sq_run_opts o;
  sq_run_defaults(&o);
  o.verify_only = 1;
  sq_result r;
  sq_case_run(dev, &c, &o, &r, NULL);
  if (k->vendor_blas && r.status == SQ_STATUS_SKIPPED && strstr(r.reason, "unsupported: no ")) {
    tap_skip(k->name, r.reason);   /* the vendor library is not installed */
    sq_result_free(&r);
    return;
  }
  tap_ok(r.status == SQ_STATUS_OK, "%s %s B=%lld H=%lld T=%lld D=%lld DV=%lld %s%s %s%s%s: %s err %.2g %s", k->name,
         causal ? "causal" : "noncausal", (long long)s->B, (long long)s->H, (long long)s->T, (long long)s->D,
         (long long)s->DV, k->quadratic ? "" : (fmap == SQ_FMAP_ELU1 ? "elu1" : "identity"),
         k->quadratic ? "" : (norm ? "+norm" : ""), sq_dtype_name(dt), param ? " " : "", param ? param : "",
         sq_status_name(r.status), r.max_rel_err, r.reason);
  sq_result_free(&r);
}

static void check_case(sq_device *dev, const sq_kernel *k, const shape *s, int causal, sq_fmap fmap, int norm,
                       sq_dtype dt) {
  check_case_with(dev, k, s, causal, fmap, norm, dt, NULL);
}

/* The shapes the vector forms (LA_VEC=1) of both linear-attention kernels
 * are checked over: T of one row, ragged against the blocks, long; D and
 * DV small, ragged, large. */
static const shape vec_shapes[] = {{1, 1, 1, 64, 64},     {2, 3, 7, 40, 48},   {1, 2, 63, 64, 64},
                                   {1, 1, 65, 96, 96},    {1, 1, 129, 80, 80}, {1, 1, 1000, 64, 64},
                                   {1, 1, 33, 256, 256},  {1, 2, 77, 5, 16},   {2, 1, 3000, 100, 32}};

/* The kernel's check refuses `params` at B=H=1, T=64 and D, DV with a
 * reason holding `want`. */
static void refused(const sq_kernel *k, int causal, int64_t D, int64_t DV, const char *params, const char *want) {
  sq_case c = {.kernel = k};
  char why[200] = "";
  sq_att_problem(&c.prob, k->op, 1, 1, 64, D, DV, causal, SQ_F32);
  case_params(k, params, c.params);
  int rc = k->check(&c.prob, c.params, k->nparams, why, sizeof why);
  tap_ok(rc == SQ_EINVAL && strstr(why, want), "%s %s with D=%lld, DV=%lld is refused (%s)", k->name, params,
         (long long)D, (long long)DV, why);
}

/* linear_attn.noncausal's vector kernels (LA_VEC=1): every shape whose DV
 * is whole vectors of 16 (64-, 32- and 16-column blocks: DV 64, 96, 80,
 * 256, 48, 16; D and T ragged), both feature maps, the normaliser, 16-bit
 * storage, splits shorter than T and longer; a DV of 24 is refused. */
static void check_vec_cases(sq_device *dev) {
  const sq_kernel *k = sq_kernel_find("linear_attn.noncausal");
  const shape *vs = vec_shapes;
  for (size_t j = 0; j < sizeof vec_shapes / sizeof vec_shapes[0]; j++)
    check_case_with(dev, k, &vs[j], 0, SQ_FMAP_IDENTITY, 0, SQ_F32, "LA_VEC=1");
  check_case_with(dev, k, &vs[8], 0, SQ_FMAP_IDENTITY, 0, SQ_F32, "LA_VEC=1,SPLIT=256");   /* 12 split states */
  check_case_with(dev, k, &vs[1], 0, SQ_FMAP_ELU1, 1, SQ_F32, "LA_VEC=1");
  check_case_with(dev, k, &vs[8], 0, SQ_FMAP_ELU1, 1, SQ_F32, "LA_VEC=1");
  check_case_with(dev, k, &vs[5], 0, SQ_FMAP_ELU1, 0, SQ_F32, "LA_VEC=1");
  check_case_with(dev, k, &vs[4], 0, SQ_FMAP_ELU1, 1, SQ_F16, "LA_VEC=1");
  check_case_with(dev, k, &vs[4], 0, SQ_FMAP_ELU1, 1, SQ_BF16, "LA_VEC=1");
  refused(k, 0, 64, 24, "LA_VEC=1", "LA_VEC=1 needs DV a multiple of 16");
}

/* linear_attn.causal_chunked's vector kernels (LA_VEC=1): the same shapes
 * (chunks cut short by T, one chunk, many), both feature maps and the
 * normaliser, every chunk length, segments of the scan shorter than the
 * chunks and longer, 16-bit storage; D x CHUNK past the private limit and a
 * DV of 24 are refused. */
static void check_cvec_cases(sq_device *dev) {
  const sq_kernel *k = sq_kernel_find("linear_attn.causal_chunked");
  const shape *vs = vec_shapes;
  static const shape cn = {2, 1, 3000, 60, 32};   /* D x CHUNK within the private limit up to CHUNK = 256 */
  for (size_t j = 0; j < sizeof vec_shapes / sizeof vec_shapes[0]; j++)
    check_case_with(dev, k, &vs[j], 1, SQ_FMAP_IDENTITY, 0, SQ_F32, "LA_VEC=1");
  static const char *const chunks[] = {"LA_VEC=1,CHUNK=16,SCAN_SEG=16", "LA_VEC=1,CHUNK=32,SCAN_SEG=4096",
                                       "LA_VEC=1,CHUNK=128", "LA_VEC=1,CHUNK=256,SCAN_SEG=16"};
  for (size_t j = 0; j < sizeof chunks / sizeof chunks[0]; j++) {
    check_case_with(dev, k, &vs[5], 1, SQ_FMAP_IDENTITY, 0, SQ_F32, chunks[j]);
    check_case_with(dev, k, &cn, 1, SQ_FMAP_ELU1, 1, SQ_F32, chunks[j]);
  }
  check_case_with(dev, k, &vs[1], 1, SQ_FMAP_ELU1, 1, SQ_F32, "LA_VEC=1");
  check_case_with(dev, k, &vs[6], 1, SQ_FMAP_ELU1, 1, SQ_F32, "LA_VEC=1");
  check_case_with(dev, k, &vs[5], 1, SQ_FMAP_ELU1, 0, SQ_F32, "LA_VEC=1");
  check_case_with(dev, k, &vs[4], 1, SQ_FMAP_ELU1, 1, SQ_F16, "LA_VEC=1");
  check_case_with(dev, k, &vs[4], 1, SQ_FMAP_ELU1, 1, SQ_BF16, "LA_VEC=1");
  refused(k, 1, 64, 24, "LA_VEC=1", "LA_VEC=1 needs DV a multiple of 16");
  refused(k, 1, 256, 256, "LA_VEC=1,CHUNK=128", "floats of phi(K) per work-item");
}

/* softmax_attn.flash's vector form (FA_VEC=1): T ragged against the 32-key
 * steps and the 4-row blocks (1, 7, 33, 63, 77, 129, 1000), causal and
 * not, DV of 64-, 32- and 16-column blocks (64, 96, 128, 80, 48, 16) with D
 * ragged, 16-bit storage; a DV of 24 is refused. */
static void check_fvec_cases(sq_device *dev) {
  const sq_kernel *k = sq_kernel_find("softmax_attn.flash");
  static const shape fs[] = {{1, 1, 1, 64, 64},   {2, 3, 7, 40, 48},  {1, 2, 63, 64, 64}, {1, 1, 65, 96, 96},
                             {1, 1, 129, 80, 80}, {1, 1, 1000, 64, 64}, {1, 1, 33, 128, 128}, {1, 2, 77, 5, 16}};
  for (int causal = 1; causal >= 0; causal--)
    for (size_t j = 0; j < sizeof fs / sizeof fs[0]; j++)
      check_case_with(dev, k, &fs[j], causal, SQ_FMAP_IDENTITY, 0, SQ_F32, "FA_VEC=1");
  check_case_with(dev, k, &fs[4], 1, SQ_FMAP_IDENTITY, 0, SQ_F16, "FA_VEC=1");
  check_case_with(dev, k, &fs[4], 0, SQ_FMAP_IDENTITY, 0, SQ_BF16, "FA_VEC=1");
  refused(k, 1, 64, 24, "FA_VEC=1", "FA_VEC=1 needs DV a multiple of 16");
}

int main(void) {
  if (test_device_open(&dev)) {   /* dev: tests/kernel_case.h's */
    tap_skip("kernels against their references", TEST_DEVICE_MISSING);
    return tap_done();
  }
  tap_diag("device: %s %s", dev->id, dev->info.name);
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    /* The attention ops' kernels; every other family tests its kernels in
     * a test of its own, at its op's shapes. */
    if (k->op != &sq_op_linear_attn && k->op != &sq_op_softmax_attn) continue;
    for (int causal = 1; causal >= 0; causal--) {
      if (!(k->modes & (causal ? SQ_CAUSAL : SQ_NONCAUSAL))) continue;
      for (size_t j = 0; j < sizeof shapes / sizeof shapes[0]; j++)
        check_case(dev, k, &shapes[j], causal, SQ_FMAP_IDENTITY, 0, SQ_F32);
      if (!k->quadratic) {
        check_case(dev, k, &shapes[1], causal, SQ_FMAP_ELU1, 1, SQ_F32);
        check_case(dev, k, &shapes[5], causal, SQ_FMAP_ELU1, 0, SQ_F32);
        check_case(dev, k, &shapes[3], causal, SQ_FMAP_ELU1, 1, SQ_F32);
      }
      /* The vendor GEMM is called in f32 only (its refusal of 16-bit
       * storage: tests/test_softmax_blas.sh). */
      if (k->vendor_blas) continue;
      check_case(dev, k, &shapes[4], causal, k->quadratic ? SQ_FMAP_IDENTITY : SQ_FMAP_ELU1, !k->quadratic, SQ_F16);
      check_case(dev, k, &shapes[4], causal, k->quadratic ? SQ_FMAP_IDENTITY : SQ_FMAP_ELU1, !k->quadratic, SQ_BF16);
    }
  }
  check_vec_cases(dev);
  check_cvec_cases(dev);
  check_fvec_cases(dev);
  /* z staged by a group of 16 with LA_BK = 32: half of it was left unset
   * (found by the tuner, which refused those configurations). */
  static const shape zs = {1, 2, 3000, 64, 64};
  check_case_with(dev, sq_kernel_find("linear_attn.noncausal"), &zs, 0, SQ_FMAP_ELU1, 1, SQ_F32,
                  "LA_WY=1,LA_BK=32,LA_BN=16");
  check_case_with(dev, sq_kernel_find("linear_attn.causal_chunked"), &zs, 1, SQ_FMAP_ELU1, 1, SQ_F32,
                  "LA_WY=1,LA_BK=32,LA_BN=16");
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
