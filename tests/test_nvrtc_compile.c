/* SPDX-License-Identifier: BSD-3-Clause */
/* Every embedded kernel text compiles with NVRTC for compute_80 and
 * compute_90, with the defines its descriptor plans for a small problem
 * under default parameters, in each mode (causal / non-causal) it supports;
 * the PTX holds every entry point the plan launches. f16 storage is
 * compiled once per kernel for compute_90 (cuda_fp16.h must resolve). The peak kernels
 * compile too, and a broken text is SQ_ECOMPILE with a log. Ops outside the
 * quick suite also compile at shapes that reach their options
 * (extra_shapes). Runs without a GPU: NVRTC only needs the toolkit; without
 * NVRTC the checks SKIP. */
#include "kernels/attention.h"
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/run.h"
#include "kernels/kernel.h"
#include "kernels/sources.h"
#include "workloads/suite.h"
#include "tests/tap.h"

#ifdef SQ_HAVE_CUDA
#include "harness/cuda_compile.h"

/* Compiles one text and checks that each named entry is in the PTX. */
static void compile_check(const char *what, const char *src, const char *defines, const char *arch,
                          const char *const *entries, int nentries) {
  char *ptx = NULL, *log = NULL;
  int rc = sq_cuda_compile_ptx(src, defines, arch, &ptx, &log);
  int missing = 0;
  char first_missing[128] = "";
  for (int i = 0; !rc && i < nentries; i++) {
    char pat[160];
    snprintf(pat, sizeof pat, ".entry %s(", entries[i]);
    if (!strstr(ptx, pat)) {
      if (!missing++) snprintf(first_missing, sizeof first_missing, "%s", entries[i]);
    }
  }
  if (!tap_ok(rc == 0 && missing == 0, "%s for %s%s%s%s", what, arch, rc ? ": " : "", rc ? sq_last_error() : "",
              missing ? " (entry missing from PTX)" : ""))
  {
    if (missing) tap_diag("missing entry: %s", first_missing);
    if (log) tap_diag("log: %.2000s", log);
    tap_diag("defines: %s", defines);
  }
  free(ptx);
  free(log);
}

/* Every kernel compiles at its op's quick-suite shape with 256 tokens (the
 * op's defaults where it has none), in the suites' form; or at `shape`. */
static void kernel_case_at(const sq_kernel *k, const char *shape, const char *params, int causal, sq_dtype dtype,
                           const char *const *archs, int narchs) {
  sq_problem p = {.causal = causal, .dtype = dtype};
  sq_shape_defaults(k->op, &p.shape);
  char text[SQ_SHAPE_TEXT_MAX];
  snprintf(text, sizeof text, "%s%s%s=256", k->op->quick_shape ? k->op->quick_shape : "",
           k->op->quick_shape ? "," : "", k->op->axes[sq_op_token_axis(k->op)].name);
  if (shape) snprintf(text, sizeof text, "%s", shape);
  if ((shape || k->op->quick_shape) && sq_shape_parse_op(k->op, text, causal, "quick shape", &p.shape))
    tap_diag("%s", sq_last_error());
  sq_suite_form(&p);
  int pv[SQ_MAX_PARAMS] = {0};
  sq_kernel_default_params(k, pv);
  char buf[128];
  snprintf(buf, sizeof buf, "%s", params ? params : "");
  for (char *a = strtok(buf, ","); a; a = strtok(NULL, ","))
    if (sq_params_parse(k, a, pv)) tap_diag("%s", sq_last_error());
  char why[256] = "";
  char what[224];
  snprintf(what, sizeof what, "%s %s %s%s%s%s%s", k->name, causal ? "causal" : "non-causal", sq_dtype_name(dtype),
           shape ? " " : "", shape ? shape : "", params ? " " : "", params ? params : "");
  if (k->check && k->check(&p, pv, k->nparams, why, sizeof why)) {
    tap_ok(0, "%s: default parameters rejected: %s", what, why);
    return;
  }
  sq_plan plan;
  sq_plan_init(&plan);
  int rc = k->plan(&p, pv, &plan);
  if (!tap_ok(rc == 0 && plan.nlaunch > 0, "%s: plan (%d launches)", what, plan.nlaunch)) return;
  const char *entries[SQ_MAX_LAUNCHES];
  int nentries = 0;
  for (int i = 0; i < plan.nlaunch; i++)   /* vendor GEMM steps are no entry of the text */
    if (!plan.launch[i].gemm.batch) entries[nentries++] = plan.launch[i].entry;
  for (int a = 0; a < narchs; a++) compile_check(what, *k->source, plan.defines, archs[a], entries, nentries);
}

static void kernel_case(const sq_kernel *k, int causal, sq_dtype dtype, const char *const *archs, int narchs) {
  kernel_case_at(k, NULL, NULL, causal, dtype, archs, narchs);
}

/* Shapes that reach the options an op's defaults leave off (every pass of
 * a chunked plan, a second direction, a gate, a state), for ops outside
 * the quick suite: each of the op's kernels compiles there too. */
static const struct { const char *op, *shape, *params; int noncausal; } extra_shapes[] = {
  {"ssm.selective_scan", "B=2,D=48,T=5000,N=16,G=2,K=2,has_z=1", NULL, 0},
  {"ssm.selective_scan", "B=1,D=40,T=5000,N=1,state=1,delta_softplus=0", NULL, 0},
  /* A GPU's configuration: one channel per work-item. */
  {"ssm.selective_scan", "B=2,D=48,T=5000,N=16,G=2,K=2,has_z=1", "SS_VEC=1,SS_CPW=64,SS_RUNS=0", 0},
  /* SSD at a catalog-like shape with every option on, in both modes. */
  {"ssm.ssd", "B=1,T=5000,H=2,P=64,G=1,N=64,has_z=1,state=1", NULL, 0},
  {"ssm.ssd", "B=1,T=5000,H=2,P=64,G=1,N=64,has_z=1", NULL, 1},
  /* RWKV-6: h0/ht and the bidirectional pair of passes at the common head
   * size, and a GPU's chunked configuration (tall groups, interleaved
   * copies) at LION's N = 16. */
  {"wkv.rwkv6", "B=1,T=5000,H=2,N=64,state=1", NULL, 0},
  {"wkv.rwkv6", "B=1,T=5000,H=2,N=64", NULL, 1},
  {"wkv.rwkv6", "B=2,T=5000,H=4,N=16,state=1", "WKV_WY=16,WKV_BK=8,WKV_BN=32,WKV_RUNS=0", 0},
  /* RWKV-4 over several segments (every pass), causal and Bi-WKV, a
   * ragged channel block; RWKV-7 with state at N = 64 and N = 256. */
  {"wkv.rwkv4", "B=2,T=5000,C=100", NULL, 0},
  {"wkv.rwkv4", "B=2,T=5000,C=100", NULL, 1},
  {"wkv.rwkv4", "B=1,T=5000,C=16", "W4_SEG=2048,W4_CPG=8,W4_TSTEP=16", 0},
  {"wkv.rwkv7", "B=1,T=5000,H=2,N=64,state=1", "W7_TSTEP=16", 0},
  {"wkv.rwkv7", "B=1,T=5000,H=1,N=256,state=1", NULL, 0},
  /* Sliding windows: causal with D != DV up to 256, non-causal asymmetric
   * with split rows and keys; cross attention at CrossViT's one query (split
   * rows and keys)
   * and at PVTv2's many queries over 49 keys with D = 256. */
  {"local_attn.sliding_1d", "B=1,H=2,T=5000,D=100,DV=256,window_left=300", NULL, 0},
  {"local_attn.sliding_1d", "B=1,H=2,T=5000,D=64,window_left=200,window_right=100", "FL_SPLIT=2,FL_BM=32,FL_KVS=4", 1},
  {"softmax_attn.cross", "B=2,H=3,TQ=1,TK=3136,D=64", "FL_SPLIT=4,FL_BM=8,FL_KVS=16", 1},
  {"softmax_attn.cross", "B=1,H=1,TQ=3136,TK=49,D=256", NULL, 1},
  /* Varlen: the segment list as a define, causal and not, split keys. */
  {"softmax_attn.varlen", "B=2,H=3,T=680,D=64,scales=var256", NULL, 1},
  {"softmax_attn.varlen", "B=1,H=2,T=680,D=64,DV=32", "FL_SPLIT=2,FL_BM=32,FL_KVS=4", 0},
  /* Neighbourhood attention: dilated at DiNAT's shape; NATTEN's profile
   * shape (k = 80, d = 128) with split queries in strips; D = DV = 256. */
  {"local_attn.neighborhood_2d", "B=1,H=2,D=32,grid=56x56,kernel_size=7x7,dilation=2x2", NULL, 1},
  {"local_attn.neighborhood_2d", "B=1,H=1,D=128,grid=256x256,kernel_size=80x80", "NA_QH=2,NA_QW=16,NA_SPLIT=4,NA_BN=16",
   1},
  {"local_attn.neighborhood_2d", "B=1,H=2,D=256,DV=256,grid=20x21,kernel_size=5x4,dilation=2x3", NULL, 1},
  /* Swin and Video Swin windows: shifted with rpb at Swin-T stage 1 and
   * Video Swin's (8,7,7); several windows per group with split query
   * blocks, staged rpb and interleaved staging at D = 256, DV != D. */
  {"local_attn.window_2d", "B=1,H=3,D=32,grid=56x56,win=7x7,shift=3x3,has_rpb=1", NULL, 1},
  {"local_attn.window_2d", "B=1,H=2,D=256,DV=100,grid=16x16,win=8x8,shift=4x4,has_rpb=1",
   "WN_WPG=2,WN_QB=32,WN_BN=16,WN_RPBL=1,WN_STAGE=1", 1},
  {"local_attn.window_3d", "B=1,H=2,D=32,grid=16x56x56,win=8x7x7,shift=4x3x3,has_rpb=1", NULL, 1},
  {"local_attn.window_3d", "B=2,H=3,D=48,DV=64,grid=8x14x14,win=4x7x7,shift=2x3x3,has_rpb=1",
   "WN_WPG=4,WN_QB=64,WN_RPBL=1,WN_STAGE=1", 1},
};
#endif

int main(void) {
#ifndef SQ_HAVE_CUDA
  tap_skip("NVRTC compilation", "subquad was built without the CUDA headers");
#else
  const char *ver = sq_cuda_nvrtc_version();
  if (!ver[0]) {
    tap_skip("NVRTC compilation", "libnvrtc could not be loaded");
    return tap_done();
  }
  tap_diag("NVRTC %s", ver);
  const char *both[] = {"compute_80", "compute_90"};
  const char *sm90[] = {"compute_90"};
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    if (!k->source || !*k->source || !**k->source) {
      tap_ok(0, "%s has an embedded kernel text", k->name);
      continue;
    }
    for (int causal = 1; causal >= 0; causal--) {
      if (!(k->modes & (causal ? SQ_CAUSAL : SQ_NONCAUSAL))) continue;
      kernel_case(k, causal, SQ_F32, both, 2);
      /* Narrow storage once per kernel, on the newer architecture (not
       * for the vendor-GEMM baseline, which is f32 only). */
      if (!k->vendor_blas && (causal == 1 || !(k->modes & SQ_CAUSAL))) {
        kernel_case(k, causal, SQ_F16, sm90, 1);
      }
    }
  }
  for (size_t e = 0; e < sizeof extra_shapes / sizeof extra_shapes[0]; e++)
    for (int i = 0; i < sq_nkernels; i++) {
      const sq_kernel *k = sq_kernels[i];
      if (strcmp(k->op->name, extra_shapes[e].op)) continue;
      int causal = !extra_shapes[e].noncausal && (k->modes & SQ_CAUSAL);
      kernel_case_at(k, extra_shapes[e].shape, extra_shapes[e].params, causal, SQ_F32, both, 2);
      kernel_case_at(k, extra_shapes[e].shape, extra_shapes[e].params, causal, SQ_BF16, sm90, 1);
    }
  /* linear_attn.noncausal's vector kernels (LA_VEC=1, for CPUs) as CUDA's
   * struct-of-lanes vectors, in each storage dtype. */
  const sq_kernel *nc = sq_kernel_find("linear_attn.noncausal");
  kernel_case_at(nc, "B=1,H=2,T=5000,D=64,DV=96", "LA_VEC=1", 0, SQ_F32, both, 2);
  kernel_case_at(nc, "B=1,H=2,T=5000,D=64,DV=96", "LA_VEC=1", 0, SQ_F16, sm90, 1);
  kernel_case_at(nc, "B=1,H=2,T=5000,D=64,DV=96", "LA_VEC=1", 0, SQ_BF16, sm90, 1);
  /* and linear_attn.causal_chunked's (la_cstate_vec, la_cout_vec). */
  const sq_kernel *cc = sq_kernel_find("linear_attn.causal_chunked");
  kernel_case_at(cc, "B=1,H=2,T=5000,D=64,DV=96", "LA_VEC=1", 1, SQ_F32, both, 2);
  kernel_case_at(cc, "B=1,H=2,T=5000,D=64,DV=96", "LA_VEC=1", 1, SQ_F16, sm90, 1);
  kernel_case_at(cc, "B=1,H=2,T=5000,D=64,DV=96", "LA_VEC=1", 1, SQ_BF16, sm90, 1);
  const char *peaks[] = {"sq_peak_triad", "sq_peak_fma", "sq_peak_exp"};
  compile_check("peaks.sqk", sq_src_peaks, "", "compute_80", peaks, 3);
  compile_check("peaks.sqk", sq_src_peaks, "", "compute_90", peaks, 3);
  /* seqpar's fix-up (harness/seqpar.c): both gates, f32 and bf16. */
  const char *seqpar[] = {"sp_weights", "sp_fixup"};
  compile_check("seqpar.sqk", sq_src_seqpar, "-DHEAD_D=64 -DHEAD_DV=64 -DGATED=1 -DSP_DVP=64 -DDTYPE=0", "compute_90",
                seqpar, 2);
  compile_check("seqpar.sqk", sq_src_seqpar, "-DHEAD_D=32 -DHEAD_DV=40 -DGATED=0 -DSP_DVP=48 -DDTYPE=2", "compute_80",
                seqpar, 2);

  char *ptx = NULL, *log = NULL;
  int rc = sq_cuda_compile_ptx("KERNEL broken(GLOBAL float *y) { y[0] = undeclared_name; }\n", "-DX=1",
                               "compute_90", &ptx, &log);
  tap_ok(rc == SQ_ECOMPILE && !ptx, "a broken text is SQ_ECOMPILE (%s)", sq_last_error());
  tap_ok(log && strstr(log, "undeclared_name"), "its NVRTC log names the culprit");
  free(ptx);
  free(log);
#endif
  return tap_done();
}
