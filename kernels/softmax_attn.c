/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptors of the quadratic softmax-attention baselines (texts in
 * kernels/softmax_attn.sqk, reference in kernels/softmax_attn_ref.c):
 * softmax_attn.naive materialises the B*H*T*T score matrix in scratch and
 * runs three kernels (scores, row softmax, P V); softmax_attn.blas does the
 * same with the vendor's batched GEMMs (cuBLAS, CLBlast) for the scores
 * and P V, the baseline one builds from the vendor's BLAS (strong on a GPU;
 * CLBlast's GPU-tuned defaults are slow on PoCL), f32 only as those
 * libraries' portable routines are; softmax_attn.flash is one tiled kernel
 * with the online softmax of FlashAttention. All run causal and non-causal
 * (the CAUSAL define selects), any T >= 1, D and DV 1..256, naive and
 * flash every storage dtype. Their useful work is the same: the (i, j) pairs
 * a row may see, times the dot product and the weighted sum. */
#include <math.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/softmax_attn.h"
#include "kernels/sources.h"

/* Static local memory a CUDA kernel may declare (48 KiB); OpenCL devices
 * that offer less are caught by the harness's limit check. */
#define SM_LOCAL_MAX (48 * 1024)
/* Largest work-group any of these kernels uses. */
#define SM_WG_MAX 256
/* CUDA limits grid y and z to 65535 blocks. */
#define SM_GRID_YZ_MAX 65535

static int64_t pairs(const sq_problem *p) {
  return p->causal ? att_T(p) * (att_T(p) + 1) / 2 : att_T(p) * att_T(p);
}

static sq_work sm_work(const sq_problem *p) {
  const double bh = (double)(att_B(p) * att_H(p)), np = (double)pairs(p);
  const double elems = (double)att_T(p) * (double)(2 * att_D(p) + 2 * att_DV(p));
  sq_work w;
  w.flops = bh * np * (double)(2 * att_D(p) + 2 * att_DV(p));
  w.exps = bh * np;
  w.bytes = bh * elems * (double)sq_dtype_size(p->dtype);
  return w;
}

static int common_check(const sq_problem *p, char *why, size_t n) {
  if (att_D(p) < 1 || att_D(p) > 256 || att_DV(p) < 1 || att_DV(p) > 256) {
    snprintf(why, n, "D=%lld, DV=%lld: head dims must be 1..256", (long long)att_D(p),
             (long long)att_DV(p));
    return SQ_EINVAL;
  }
  if (att_B(p) * att_H(p) > SM_GRID_YZ_MAX) {
    snprintf(why, n, "B*H=%lld exceeds %d (one grid dimension per head)",
             (long long)(att_B(p) * att_H(p)), SM_GRID_YZ_MAX);
    return SQ_EINVAL;
  }
  if (att_T(p) < 1 || att_T(p) > INT32_MAX / 2) {
    snprintf(why, n, "T=%lld out of range for a 32-bit sequence index", (long long)att_T(p));
    return SQ_EINVAL;
  }
  return 0;
}

/* The row softmax's work-group (naive and blas): a power of two. */
static int smwg_check(int wg, char *why, size_t n) {
  if (wg < 1 || wg > SM_WG_MAX || (wg & (wg - 1))) {
    snprintf(why, n, "NV_SMWG=%d must be a power of two <= %d", wg, SM_WG_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

/* ---- naive ------------------------------------------------------------ */

enum { NV_BM_I = 0, NV_BN_I, NV_CT_I, NV_SMWG_I };

static size_t max3(size_t a, size_t b, size_t c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }

/* Columns of O one work-item computes: NV_CT, or DV when that is smaller. */
static size_t naive_ctw(const sq_problem *p, const int *pv) {
  return (size_t)pv[NV_CT_I] < (size_t)att_DV(p) ? (size_t)pv[NV_CT_I] : (size_t)att_DV(p);
}

static size_t naive_local(const sq_problem *p, const int *pv) {
  const size_t bn = (size_t)pv[NV_BN_I];
  return max3(bn * (size_t)att_D(p), bn * naive_ctw(p, pv), (size_t)pv[NV_SMWG_I]) * sizeof(float);
}

static int naive_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int rc = common_check(p, why, n);
  if (rc) return rc;
  if (nset >= 1 && (pv[NV_BM_I] < 1 || pv[NV_BM_I] > SM_WG_MAX)) {
    snprintf(why, n, "work-group NV_BM=%d must be 1..%d", pv[NV_BM_I], SM_WG_MAX);
    return SQ_EINVAL;
  }
  if (nset >= 2) {
    const int bn = pv[NV_BN_I];
    if ((size_t)bn * (size_t)att_D(p) * sizeof(float) > SM_LOCAL_MAX) {
      snprintf(why, n, "K tile of NV_BN=%d keys needs %zu B of local memory (> %d B)", bn,
               (size_t)bn * (size_t)att_D(p) * sizeof(float), SM_LOCAL_MAX);
      return SQ_EINVAL;
    }
    if ((att_T(p) + bn - 1) / bn > SM_GRID_YZ_MAX) {
      snprintf(why, n, "T=%lld needs more than %d key tiles of NV_BN=%d", (long long)att_T(p),
               SM_GRID_YZ_MAX, bn);
      return SQ_EINVAL;
    }
  }
  if (nset >= 4) {
    if (smwg_check(pv[NV_SMWG_I], why, n)) return SQ_EINVAL;
    if (naive_local(p, pv) > SM_LOCAL_MAX) {
      snprintf(why, n, "local memory %zu B exceeds %d B", naive_local(p, pv), SM_LOCAL_MAX);
      return SQ_EINVAL;
    }
  }
  return 0;
}

static int naive_plan(const sq_problem *p, const int *pv, sq_plan *pl) {
  const size_t bm = (size_t)pv[NV_BM_I], bn = (size_t)pv[NV_BN_I], ctw = naive_ctw(p, pv);
  const size_t T = (size_t)att_T(p), bh = (size_t)(att_B(p) * att_H(p));
  const size_t rows = (T + bm - 1) / bm * bm;
  const float scale = (float)(1.0 / sqrt((double)att_D(p)));
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  sq_plan_define(pl, "NV_BM", pv[NV_BM_I]);
  sq_plan_define(pl, "NV_BN", pv[NV_BN_I]);
  sq_plan_define(pl, "NV_CT", pv[NV_CT_I]);
  sq_plan_define(pl, "NV_SMWG", pv[NV_SMWG_I]);
  if ((double)bh * (double)T * (double)T * sizeof(float) > (double)SIZE_MAX)
    return sq_fail(SQ_EINFEASIBLE, "softmax_attn.naive: B*H*T*T scores do not fit in memory");
  const int sc = sq_plan_scratch(pl, bh * T * T * sizeof(float));
  pl->local_mem = naive_local(p, pv);

  sq_launch *l = sq_plan_launch(pl, "sq_sm_scores", rows, (T + bn - 1) / bn, bh, bm, 1, 1);
  sq_arg_buf(l, SQ_ATT_Q);
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, sc);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_f32(l, scale);

  l = sq_plan_launch(pl, "sq_sm_softmax", T * (size_t)pv[NV_SMWG_I], 1, bh,
                     (size_t)pv[NV_SMWG_I], 1, 1);
  sq_arg_buf(l, sc);
  sq_arg_i32(l, (int32_t)T);

  l = sq_plan_launch(pl, "sq_sm_pv", rows, ((size_t)att_DV(p) + ctw - 1) / ctw, bh, bm, 1, 1);
  sq_arg_buf(l, sc);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_i32(l, (int32_t)T);
  return 0;
}

const sq_kernel sq_softmax_attn_naive = {
  .name = "softmax_attn.naive",
  .family = "softmax_attn",
  .op = &sq_op_softmax_attn,
  .doc = "softmax attention with the B*H*T*T score matrix materialised: scores, row softmax, P V",
  .source = &sq_src_softmax_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .quadratic = 1,
  .nparams = 4,
  .params = {
    {"NV_BM", 4, {16, 32, 64, 128}, 64, "query rows per work-group of S = Q K^T and O = P V"},
    {"NV_BN", 4, {8, 16, 32, 64}, 32, "keys per tile: a work-item's strip of S, the V rows staged per step"},
    {"NV_CT", 4, {16, 32, 64, 128}, 64, "output columns per work-item of O = P V"},
    {"NV_SMWG", 4, {32, 64, 128, 256}, 64, "work-items per row of the softmax kernel"},
  },
  .check = naive_check,
  .plan = naive_plan,
  .work = sm_work,
  .reference = sq_softmax_attn_reference,
  .reference_row_cost = sq_softmax_attn_reference_row_cost,
};

/* ---- blas ------------------------------------------------------------- */

static int blas_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int rc = common_check(p, why, n);
  if (rc) return rc;
  if (p->dtype != SQ_F32) {
    snprintf(why, n, "dtype %s: the vendor GEMM is called in f32 only", sq_dtype_name(p->dtype));
    return SQ_EINVAL;
  }
  return nset >= 1 ? smwg_check(pv[0], why, n) : 0;
}

/* S_z = scale Q_z K_z^T (the whole square: a GEMM cannot skip the causal
 * half), the row softmax in place, O_z = P_z V_z, for z < B*H. */
static int blas_plan(const sq_problem *p, const int *pv, sq_plan *pl) {
  const int64_t T = att_T(p), D = att_D(p), DV = att_DV(p), bh = att_B(p) * att_H(p);
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  sq_plan_define(pl, "NV_SMWG", pv[0]);
  sq_plan_define(pl, "SM_ZERO_ABOVE", 1);
  if ((double)bh * (double)T * (double)T * sizeof(float) > (double)SIZE_MAX)
    return sq_fail(SQ_EINFEASIBLE, "softmax_attn.blas: B*H*T*T scores do not fit in memory");
  const int sc = sq_plan_scratch(pl, (size_t)(bh * T * T) * sizeof(float));
  pl->local_mem = (size_t)pv[0] * sizeof(float);
  sq_gemm scores = {.batch = bh, .m = T, .n = T, .k = D, .a = SQ_ATT_Q, .b = SQ_ATT_K, .c = sc, .trans_b = 1,
                    .lda = D, .ldb = D, .ldc = T, .stride_a = T * D, .stride_b = T * D, .stride_c = T * T,
                    .alpha = (float)(1.0 / sqrt((double)D)), .beta = 0};
  sq_plan_gemm(pl, &scores);
  sq_launch *l = sq_plan_launch(pl, "sq_sm_softmax", (size_t)T * (size_t)pv[0], 1, (size_t)bh, (size_t)pv[0], 1, 1);
  sq_arg_buf(l, sc);
  sq_arg_i32(l, (int32_t)T);
  sq_gemm pv_gemm = {.batch = bh, .m = T, .n = DV, .k = T, .a = sc, .b = SQ_ATT_V, .c = SQ_ATT_O, .lda = T,
                     .ldb = DV, .ldc = DV, .stride_a = T * T, .stride_b = T * DV, .stride_c = T * DV, .alpha = 1,
                     .beta = 0};
  sq_plan_gemm(pl, &pv_gemm);
  return 0;
}

const sq_kernel sq_softmax_attn_blas = {
  .name = "softmax_attn.blas",
  .family = "softmax_attn",
  .op = &sq_op_softmax_attn,
  .doc = "softmax attention through the vendor BLAS: batched GEMMs (cuBLAS, CLBlast) for S and P V, subquad's row softmax between",
  .source = &sq_src_softmax_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .quadratic = 1,
  .vendor_blas = 1,
  .nparams = 1,
  .params = {
    {"NV_SMWG", 4, {32, 64, 128, 256}, 64, "work-items per row of the softmax kernel"},
  },
  .check = blas_check,
  .plan = blas_plan,
  .work = sm_work,
  .reference = sq_softmax_attn_reference,
  .reference_row_cost = sq_softmax_attn_reference_row_cost,
};

/* ---- flash ------------------------------------------------------------ */

enum { FL_BM_I = 0, FL_BN_I, FL_SPLIT_I, FA_VEC_I };

static size_t flash_local_bn(const sq_problem *p, const int *pv, int bn) {
  size_t b = (size_t)bn * (size_t)(att_D(p) + att_DV(p)) * sizeof(float);
  if (pv[FL_SPLIT_I] > 1) b += (size_t)bn * (size_t)pv[FL_BM_I] * sizeof(float);
  return b;
}

/* FL_BN = 0 (the default) picks the largest of 32, 16, 8 whose tiles fit in
 * local memory: 32 keys per tile keeps more FMAs per staged byte, but at
 * D = DV = 256 only 16 fit in 48 KiB. */
static int flash_bn(const sq_problem *p, const int *pv) {
  if (pv[FL_BN_I] > 0) return pv[FL_BN_I];
  int bn = 32;
  while (bn > 8 && flash_local_bn(p, pv, bn) > SM_LOCAL_MAX) bn /= 2;
  return bn;
}

static size_t flash_local(const sq_problem *p, const int *pv) {
  return flash_local_bn(p, pv, flash_bn(p, pv));
}

static int flash_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int rc = common_check(p, why, n);
  if (rc) return rc;
  if (nset >= 2 && pv[FL_BN_I] > 0 &&
      (size_t)pv[FL_BN_I] * (size_t)(att_D(p) + att_DV(p)) * sizeof(float) > SM_LOCAL_MAX) {
    snprintf(why, n, "K/V tiles of FL_BN=%d rows need %zu B of local memory (> %d B)",
             pv[FL_BN_I], (size_t)pv[FL_BN_I] * (size_t)(att_D(p) + att_DV(p)) * sizeof(float),
             SM_LOCAL_MAX);
    return SQ_EINVAL;
  }
  if (nset >= 4 && pv[FA_VEC_I]) {
    if (att_DV(p) % 16) {
      snprintf(why, n, "FA_VEC=1 needs DV a multiple of 16 (DV=%lld)", (long long)att_DV(p));
      return SQ_EINVAL;
    }
    return 0;   /* FL_BM, FL_BN and FL_SPLIT are not used */
  }
  if (nset >= 3) {
    const int bm = pv[FL_BM_I], bn = flash_bn(p, pv), split = pv[FL_SPLIT_I];
    if ((long long)bm * split > SM_WG_MAX) {   /* each may be 2^20 (--param's limit) */
      snprintf(why, n, "work-group FL_BM*FL_SPLIT=%lld exceeds %d", (long long)bm * split, SM_WG_MAX);
      return SQ_EINVAL;
    }
    if (bn % split) {
      snprintf(why, n, "FL_SPLIT=%d must divide FL_BN=%d", split, bn);
      return SQ_EINVAL;
    }
    if (flash_local(p, pv) > SM_LOCAL_MAX) {
      snprintf(why, n, "local memory %zu B exceeds %d B", flash_local(p, pv), SM_LOCAL_MAX);
      return SQ_EINVAL;
    }
  }
  return 0;
}

/* Rows per work-item of the vector form (FA_VR in the text) and its
 * work-groups: no local memory, so small groups, which give both cores of a
 * small CPU work at short T (linear_attn's LA_VEC_WG). */
#define FA_VR 4
#define FA_KS 32   /* keys per step (FA_KV = 2 vectors of 16) */
#define FA_VEC_WG 8

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* The vector form: K transposed into scratch (sq_fa_ktrans, a work-item per
 * 16 keys), then sq_fa_vec, a work-item per FA_VR rows and block of 16, 32
 * or 64 output columns. */
static int flash_plan_vec(const sq_problem *p, sq_plan *pl) {
  const int64_t T = att_T(p), D = att_D(p), DV = att_DV(p), bh = att_B(p) * att_H(p);
  const int64_t Tp = (T + FA_KS - 1) / FA_KS * FA_KS, ncb = DV % 64 == 0 ? DV / 64 : DV % 32 == 0 ? DV / 32 : DV / 16;
  const int64_t nrb = (T + FA_VR - 1) / FA_VR, kitems = bh * (Tp / 16), items = bh * nrb * ncb;
  if (kitems > INT32_MAX - FA_VEC_WG || items > INT32_MAX - FA_VEC_WG || bh * D * Tp > INT32_MAX)
    return sq_fail(SQ_EINFEASIBLE, "softmax_attn.flash FA_VEC=1: B*H=%lld x T=%lld needs more than 2^31 work-items",
                   (long long)bh, (long long)T);
  sq_plan_define(pl, "FA_VEC", 1);
  sq_plan_define(pl, "FA_VR", FA_VR);
  const int kt = sq_plan_scratch(pl, (size_t)(bh * D * Tp) * sizeof(float));
  sq_launch *l = sq_plan_launch(pl, "sq_fa_ktrans", round_up((size_t)kitems, FA_VEC_WG), 1, 1, FA_VEC_WG, 1, 1);
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, kt);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_i32(l, (int32_t)Tp);
  sq_arg_i32(l, (int32_t)kitems);
  l = sq_plan_launch(pl, "sq_fa_vec", round_up((size_t)items, FA_VEC_WG), 1, 1, FA_VEC_WG, 1, 1);
  sq_arg_buf(l, SQ_ATT_Q);
  sq_arg_buf(l, kt);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_i32(l, (int32_t)Tp);
  sq_arg_i32(l, (int32_t)nrb);
  sq_arg_i32(l, (int32_t)ncb);
  sq_arg_i32(l, (int32_t)items);
  sq_arg_f32(l, (float)(1.0 / sqrt((double)D)));
  return 0;
}

static int flash_plan(const sq_problem *p, const int *pv, sq_plan *pl) {
  if (pv[FA_VEC_I]) {
    sq_plan_init(pl);
    sq_plan_problem_defines(pl, p);
    return flash_plan_vec(p, pl);
  }
  const size_t bm = (size_t)pv[FL_BM_I], split = (size_t)pv[FL_SPLIT_I];
  const size_t T = (size_t)att_T(p), bh = (size_t)(att_B(p) * att_H(p));
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  sq_plan_define(pl, "FL_BM", pv[FL_BM_I]);
  sq_plan_define(pl, "FL_BN", flash_bn(p, pv));
  sq_plan_define(pl, "FL_SPLIT", pv[FL_SPLIT_I]);
  pl->local_mem = flash_local(p, pv);
  sq_launch *l = sq_plan_launch(pl, "sq_sm_flash", (T + bm - 1) / bm * bm, split, bh, bm, split, 1);
  sq_arg_buf(l, SQ_ATT_Q);
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_f32(l, (float)(1.0 / sqrt((double)att_D(p))));
  return 0;
}

const sq_kernel sq_softmax_attn_flash = {
  .name = "softmax_attn.flash",
  .family = "softmax_attn",
  .op = &sq_op_softmax_attn,
  .doc = "softmax attention in one tiled kernel with online softmax (FlashAttention)",
  .source = &sq_src_softmax_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .quadratic = 1,
  .nparams = 4,
  .params = {
    {"FL_BM", 4, {16, 32, 64, 128}, 64, "query rows per work-group"},
    {"FL_BN", 5, {0, 8, 16, 32, 64}, 0, "key/value rows per tile staged in local memory (0: largest of 32/16/8 that fits)"},
    {"FL_SPLIT", 3, {1, 2, 4}, 1, "work-items per query row, splitting its scores and head dim"},
    {"FA_VEC", 2, {0, 1}, 0, "1: vector form, 4 query rows x 64 columns per work-item as float16 lanes, keys 16 at a time (CPUs; DV % 16 = 0; FL_* unused)"},
  },
  .check = flash_check,
  .plan = flash_plan,
  .work = sm_work,
  .reference = sq_softmax_attn_reference,
  .reference_row_cost = sq_softmax_attn_reference_row_cost,
};
