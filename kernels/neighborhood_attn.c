/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptor of local_attn.neighborhood_2d.flash (text in kernels/
 * neighborhood_attn.sqk, reference in kernels/neighborhood_attn_ref.c): the
 * tunables (FAMILIES.md §4.3: the 2D query tile, the key tile, work-items
 * per query), their local-memory budget and check, the launch plan, and the
 * work per FAMILIES.md §4 with pairs = T kh kw, whatever the union of a
 * block's windows makes the tiles compute. */
#include <stdio.h>

#include "base/error.h"
#include "kernels/neighborhood_attn.h"
#include "kernels/sources.h"

/* CUDA's static shared-memory limit: every configuration also compiles for
 * NVRTC. OpenCL devices that offer less are caught by the harness. */
#define NA_LOCAL_MAX 49152
/* Largest work-group (NA_QH * NA_QW * NA_SPLIT). */
#define NA_WG_MAX 256
/* CUDA limits grid y and z to 65535 blocks: one z per (b, h). */
#define NA_GRID_YZ_MAX 65535
/* Token indices are ints in the text (T, and a union's key count, stay
 * below 2^30); the launch's first dimension stays below 2^31. */
#define NA_TOKENS_MAX (1 << 30)
#define NA_GLOBAL_MAX 2147483647.0

enum { NA_QH_I = 0, NA_QW_I, NA_BN_I, NA_SPLIT_I };

static size_t local_bytes(const sq_problem *p, const int *pv, int bn) {
  /* K tile (rows padded by one float), V tile, and each key's union row,
   * column and token. */
  size_t bytes = ((size_t)(bn + 1) * (size_t)na_D(p) + (size_t)bn * (size_t)na_DV(p)) * sizeof(float) +
                 3 * (size_t)bn * sizeof(int);
  if (pv[NA_SPLIT_I] > 1) bytes += (size_t)bn * (size_t)pv[NA_QH_I] * (size_t)pv[NA_QW_I] * sizeof(float);
  return bytes;
}

/* NA_BN = 0 (the default) picks the largest of 32, 16, 8 whose tiles fit,
 * as the other flash texts do: at D = DV = 256 only 16 fit in 48 KiB. */
static int tile_keys(const sq_problem *p, const int *pv) {
  if (pv[NA_BN_I] > 0) return pv[NA_BN_I];
  int bn = 32;
  while (bn > 8 && local_bytes(p, pv, bn) > NA_LOCAL_MAX) bn /= 2;
  return bn;
}

/* Query blocks per dilation group along axis a: enough for group 0, the
 * largest (ceil(L / d) positions). */
static int64_t blocks(const sq_problem *p, int a, int q) {
  const int64_t Lg = sq_na_group_len(na_len(p, a), na_dil(p, a), 0);
  return (Lg + q - 1) / q;
}

static double global_items(const sq_problem *p, const int *pv) {
  return (double)blocks(p, 0, pv[NA_QH_I]) * (double)blocks(p, 1, pv[NA_QW_I]) * (double)na_dil(p, 0) *
         (double)na_dil(p, 1) * pv[NA_QH_I] * pv[NA_QW_I];
}

static int check_sizes(const sq_problem *p, char *why, size_t n) {
  if (na_D(p) < 1 || na_D(p) > 256 || na_DV(p) < 1 || na_DV(p) > 256) {
    snprintf(why, n, "D=%lld, DV=%lld: head dims must be 1..256", (long long)na_D(p), (long long)na_DV(p));
    return SQ_EINVAL;
  }
  if (na_B(p) * na_H(p) > NA_GRID_YZ_MAX) {
    snprintf(why, n, "B*H=%lld exceeds %d (one grid dimension per head)", (long long)(na_B(p) * na_H(p)),
             NA_GRID_YZ_MAX);
    return SQ_EINVAL;
  }
  if (na_T(p) >= NA_TOKENS_MAX) {
    snprintf(why, n, "%lld tokens: the kernel indexes tokens below 2^30", (long long)na_T(p));
    return SQ_EINVAL;
  }
  return 0;
}

static int na_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int rc = check_sizes(p, why, n);
  if (rc) return rc;
  if (nset > NA_QW_I) {
    const long long q = (long long)pv[NA_QH_I] * pv[NA_QW_I];
    if (pv[NA_QH_I] < 1 || pv[NA_QW_I] < 1 || q > NA_WG_MAX) {
      snprintf(why, n, "query block NA_QH*NA_QW=%lld must be 1..%d", q, NA_WG_MAX);
      return SQ_EINVAL;
    }
  }
  if (nset > NA_BN_I && pv[NA_BN_I] > 0 && local_bytes(p, (int[]){1, 1, 0, 1}, pv[NA_BN_I]) > NA_LOCAL_MAX) {
    snprintf(why, n, "K/V tiles of NA_BN=%d keys need %zu B of local memory (> %d B)", pv[NA_BN_I],
             local_bytes(p, (int[]){1, 1, 0, 1}, pv[NA_BN_I]), NA_LOCAL_MAX);
    return SQ_EINVAL;
  }
  if (nset > NA_SPLIT_I) {
    const int bn = tile_keys(p, pv), split = pv[NA_SPLIT_I];
    const long long wg = (long long)pv[NA_QH_I] * pv[NA_QW_I] * split;   /* each may be 2^20 */
    if (split < 1 || wg > NA_WG_MAX) {
      snprintf(why, n, "work-group NA_QH*NA_QW*NA_SPLIT=%lld must be 1..%d", wg, NA_WG_MAX);
      return SQ_EINVAL;
    }
    if (bn % split) {
      snprintf(why, n, "NA_SPLIT=%d must divide NA_BN=%d", split, bn);
      return SQ_EINVAL;
    }
    if (local_bytes(p, pv, bn) > NA_LOCAL_MAX) {
      snprintf(why, n, "local memory %zu B exceeds %d B", local_bytes(p, pv, bn), NA_LOCAL_MAX);
      return SQ_EINVAL;
    }
    if (global_items(p, pv) > NA_GLOBAL_MAX) {
      snprintf(why, n, "%.0f work-items along the query blocks exceed 2^31", global_items(p, pv));
      return SQ_EINVAL;
    }
  }
  return 0;
}

/* One launch: grid (blocks * NA_QH * NA_QW, NA_SPLIT, B*H), the blocks
 * enumerating (dilation group row, group column, block row, block column). */
static int na_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  const size_t qh = (size_t)pv[NA_QH_I], qw = (size_t)pv[NA_QW_I], split = (size_t)pv[NA_SPLIT_I];
  const int64_t nbh = blocks(p, 0, pv[NA_QH_I]), nbw = blocks(p, 1, pv[NA_QW_I]);
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  sq_plan_define(out, "NA_QH", (long)qh);
  sq_plan_define(out, "NA_QW", (long)qw);
  sq_plan_define(out, "NA_BN", tile_keys(p, pv));
  sq_plan_define(out, "NA_SPLIT", (long)split);
  out->local_mem = local_bytes(p, pv, tile_keys(p, pv));
  const size_t nblocks = (size_t)(nbh * nbw * na_dil(p, 0) * na_dil(p, 1));
  sq_launch *l = sq_plan_launch(out, "sq_na_flash", nblocks * qh * qw, split, (size_t)(na_B(p) * na_H(p)), qh * qw,
                                split, 1);
  for (int s = 0; s < 4; s++) sq_arg_buf(l, s);
  sq_arg_i32(l, (int32_t)na_len(p, 0));
  sq_arg_i32(l, (int32_t)na_len(p, 1));
  sq_arg_i32(l, (int32_t)na_ks(p, 0));
  sq_arg_i32(l, (int32_t)na_ks(p, 1));
  sq_arg_i32(l, (int32_t)na_dil(p, 0));
  sq_arg_i32(l, (int32_t)na_dil(p, 1));
  sq_arg_i32(l, (int32_t)nbh);
  sq_arg_i32(l, (int32_t)nbw);
  sq_arg_f32(l, (float)na_scale(p));
  return 0;
}

/* FAMILIES.md §4: pairs = T kh kw per (b, h); FLOPs = B H pairs (2D + 2DV),
 * exps = B H pairs, bytes = s B H T (2D + 2DV). */
static sq_work na_work(const sq_problem *p) {
  const double bh = (double)(na_B(p) * na_H(p)), T = (double)na_T(p);
  const double pairs = T * (double)(na_ks(p, 0) * na_ks(p, 1));
  const double dd = (double)(2 * na_D(p) + 2 * na_DV(p));
  sq_work w;
  w.flops = bh * pairs * dd;
  w.exps = bh * pairs;
  w.bytes = (double)sq_dtype_size(p->dtype) * bh * T * dd;
  return w;
}

const sq_kernel sq_neighborhood_2d_flash = {
  .name = "local_attn.neighborhood_2d.flash",
  .op = &sq_op_neighborhood_2d,
  .family = "local_attn.neighborhood_2d",
  .doc = "NATTEN neighbourhood attention with dilation, flash tiles over the key union of a 2D query block",
  .source = &sq_src_neighborhood_attn,
  .modes = SQ_NONCAUSAL,
  .ref_by_row = 1,
  .nparams = 4,
  .params = {
    {"NA_QH", 5, {1, 2, 4, 8, 16}, 8, "query rows per work-group, in the dilation group's coordinates"},
    {"NA_QW", 5, {4, 8, 16, 32, 64}, 8, "query columns per work-group, in the dilation group's coordinates"},
    {"NA_BN", 5, {0, 8, 16, 32, 64}, 0,
     "keys of the block's union per tile staged in local memory (0: largest of 32/16/8 that fits)"},
    {"NA_SPLIT", 3, {1, 2, 4}, 1, "work-items per query, splitting its scores and head dim"},
  },
  .check = na_check,
  .plan = na_plan,
  .work = na_work,
  .reference = sq_neighborhood_attn_reference,
  .reference_row_cost = sq_neighborhood_attn_reference_row_cost,
};
