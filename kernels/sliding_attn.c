/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptor of local_attn.sliding_1d.flash (text in kernels/sliding_attn.sqk,
 * reference in kernels/sliding_attn_ref.c), and the band helpers it shares
 * with softmax_attn.cross.flash (kernels/cross_attn.c): the flash kernel's
 * local-memory budget, its check and its launch plan for any band of TQ
 * queries over TK keys. Work per FAMILIES.md §4: pairs is the number of
 * (query, key) pairs the band holds, not what the tiles happen to compute. */
#include <stdio.h>

#include "base/error.h"
#include "kernels/sliding_attn.h"
#include "kernels/sources.h"

/* CUDA's static shared-memory limit: every configuration also compiles for
 * NVRTC. OpenCL devices that offer less are caught by the harness. */
#define BA_LOCAL_MAX 49152
/* Largest work-group (FL_BM * FL_SPLIT). */
#define BA_WG_MAX 256
/* CUDA limits grid y and z to 65535 blocks: one z per (b, h). */
#define BA_GRID_YZ_MAX 65535
/* Token counts and windows stay below 2^30, so the text's i + right,
 * i - left and ilast + right + 1 never overflow a 32-bit int. */
#define BA_TOKENS_MAX (1 << 30)
/* Split-KV's partial results stay within 2 GiB of scratch. */
#define BA_SCRATCH_MAX 2147483648.0

enum { BA_BM_I = 0, BA_BN_I, BA_SPLIT_I, BA_KVS_I };

sq_band sq_band_of_sliding(const sq_problem *p) {
  sq_band b = {sw_B(p) * sw_H(p), sw_T(p), sw_T(p), sw_D(p), sw_DV(p), sw_left(p), sw_right(p), sw_scale(p)};
  return b;
}

/* sum_{x=0}^{n-1} clamp(x, 0, TK): the keys up to offset x, summed. */
static double clamped_sum(int64_t n, int64_t TK) {
  if (n <= 0) return 0;
  if (n <= TK + 1) return (double)n * (double)(n - 1) / 2;
  return (double)TK * (double)(TK + 1) / 2 + (double)(n - TK - 1) * (double)TK;
}

/* Pairs (i, j), 0 <= i < TQ, 0 <= j < TK, with j - i <= c: row i holds
 * clamp(i + c + 1, 0, TK) of them. */
static double pairs_below(const sq_band *b, int64_t c) {
  return clamped_sum(b->TQ + c + 1, b->TK) - clamped_sum(c + 1 > 0 ? c + 1 : 0, b->TK);
}

/* sum_i |K(i)|: pairs with -left <= j - i <= right. Sliding windows
 * (TQ = TK = T, windows below T) give FAMILIES.md's
 * sum_{delta=-L'}^{R'} (T - |delta|) = (L'+R'+1) T - L'(L'+1)/2 - R'(R'+1)/2. */
static double band_pairs(const sq_band *b) {
  return pairs_below(b, b->right) - pairs_below(b, -b->left - 1);
}

/* With segments: each one is a band of its own over its tokens. */
double sq_band_pairs(const sq_band *b) {
  if (!b->seg) return band_pairs(b);
  double pairs = 0;
  for (int s = 0; s < b->nseg; s++) {
    sq_band one = *b;
    one.TQ = one.TK = b->seg[s + 1] - b->seg[s];
    one.seg = NULL;
    pairs += band_pairs(&one);
  }
  return pairs;
}

int64_t sq_band_widest_segment(const sq_band *b) {
  int64_t w = b->seg ? 0 : b->TK;
  for (int s = 0; b->seg && s < b->nseg; s++)
    if (b->seg[s + 1] - b->seg[s] > w) w = b->seg[s + 1] - b->seg[s];
  return w;
}

/* The segment starts as the kernel text's BA_SEG_STARTS, a list it keeps
 * in registers: the layouts are a handful of segments (VAR's 10 scales). */
static void define_segments(sq_plan *out, const sq_band *b) {
  char list[512];
  size_t used = 0;
  for (int s = 0; s <= b->nseg && used < sizeof list; s++)
    used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", s ? "," : "", (long long)b->seg[s]);
  sq_plan_define(out, "BA_NSEG", b->nseg);
  sq_plan_define_text(out, "BA_SEG_STARTS", list);
}

/* FL_BM = 0 (the default) is 64 query rows, or the smallest power of two
 * that holds all TQ when there are fewer: rows past TQ compute as much as
 * real ones, so CrossViT's one CLS query would otherwise pay for 64. */
static int query_rows(const sq_band *b, const int *pv) {
  if (pv[BA_BM_I] > 0) return pv[BA_BM_I];
  int bm = 64;
  while (bm > 1 && bm / 2 >= b->TQ) bm /= 2;
  return bm;
}

static size_t local_bytes(const sq_band *b, const int *pv, int bn) {
  size_t bytes = (size_t)bn * (size_t)(b->D + b->DV) * sizeof(float);
  if (pv[BA_SPLIT_I] > 1) bytes += (size_t)bn * (size_t)query_rows(b, pv) * sizeof(float);
  return bytes;
}

/* FL_BN = 0 (the default) picks the largest of 32, 16, 8 whose tiles fit,
 * as softmax_attn.flash does: at D = DV = 256 only 16 fit in 48 KiB. */
static int tile_keys(const sq_band *b, const int *pv) {
  if (pv[BA_BN_I] > 0) return pv[BA_BN_I];
  int bn = 32;
  while (bn > 8 && local_bytes(b, pv, bn) > BA_LOCAL_MAX) bn /= 2;
  return bn;
}

static int check_sizes(const sq_band *b, char *why, size_t n) {
  if (b->D < 1 || b->D > 256 || b->DV < 1 || b->DV > 256) {
    snprintf(why, n, "D=%lld, DV=%lld: head dims must be 1..256", (long long)b->D, (long long)b->DV);
    return SQ_EINVAL;
  }
  if (b->BH > BA_GRID_YZ_MAX) {
    snprintf(why, n, "B*H=%lld exceeds %d (one grid dimension per head)", (long long)b->BH, BA_GRID_YZ_MAX);
    return SQ_EINVAL;
  }
  if (b->TQ >= BA_TOKENS_MAX || b->TK >= BA_TOKENS_MAX) {
    snprintf(why, n, "%lld queries over %lld keys: the kernel indexes tokens below 2^30", (long long)b->TQ,
             (long long)b->TK);
    return SQ_EINVAL;
  }
  return 0;
}

/* Scratch of split-KV: each split's f32 accumulator and its (m, l). */
static double split_scratch(const sq_band *b, int kvs) {
  return (double)b->BH * kvs * (double)b->TQ * (double)(b->DV + 2) * sizeof(float);
}

static int check_splits(const sq_band *b, int kvs, char *why, size_t n) {
  if (kvs < 1 || kvs > 1024 || b->BH * kvs > INT32_MAX / 2) {
    snprintf(why, n, "FL_KVS=%d must be 1..1024", kvs);
    return SQ_EINVAL;
  }
  if ((double)b->TQ * (double)b->DV > (double)INT32_MAX - 64) {
    snprintf(why, n, "FL_KVS=%d: the combine indexes TQ*DV=%.0f elements with a 32-bit int", kvs,
             (double)b->TQ * (double)b->DV);
    return SQ_EINVAL;
  }
  if (split_scratch(b, kvs) > BA_SCRATCH_MAX) {
    snprintf(why, n, "FL_KVS=%d needs %.3g GB of scratch for the partial results (max 2 GiB)", kvs,
             split_scratch(b, kvs) / 1e9);
    return SQ_EINVAL;
  }
  return 0;
}

int sq_band_check(const sq_band *b, const int *pv, int nset, char *why, size_t n) {
  int rc = check_sizes(b, why, n);
  if (rc) return rc;
  if (nset > BA_BN_I && pv[BA_BN_I] > 0 && local_bytes(b, (int[]){1, 0, 1}, pv[BA_BN_I]) > BA_LOCAL_MAX) {
    snprintf(why, n, "K/V tiles of FL_BN=%d rows need %zu B of local memory (> %d B)", pv[BA_BN_I],
             local_bytes(b, (int[]){1, 0, 1}, pv[BA_BN_I]), BA_LOCAL_MAX);
    return SQ_EINVAL;
  }
  if (nset > BA_SPLIT_I) {
    const int bm = query_rows(b, pv), bn = tile_keys(b, pv), split = pv[BA_SPLIT_I];
    if (bm < 1 || split < 1 || (long long)bm * split > BA_WG_MAX) {   /* each may be 2^20 (--param's limit) */
      snprintf(why, n, "work-group FL_BM*FL_SPLIT=%lld must be 1..%d", (long long)bm * split, BA_WG_MAX);
      return SQ_EINVAL;
    }
    if (bn % split) {
      snprintf(why, n, "FL_SPLIT=%d must divide FL_BN=%d", split, bn);
      return SQ_EINVAL;
    }
    if (local_bytes(b, pv, bn) > BA_LOCAL_MAX) {
      snprintf(why, n, "local memory %zu B exceeds %d B", local_bytes(b, pv, bn), BA_LOCAL_MAX);
      return SQ_EINVAL;
    }
  }
  if (nset > BA_KVS_I && pv[BA_KVS_I] != 1) return check_splits(b, pv[BA_KVS_I], why, n);
  return 0;
}

/* One launch: grid (ceil(TQ/FL_BM)*FL_BM, FL_SPLIT*FL_KVS, B*H); with key
 * splits, a second merges them from scratch. The band's edges are clipped
 * to the matrix, which keeps them below 2^30. */
int sq_band_plan(const sq_problem *p, const sq_band *b, const int *pv, sq_plan *out) {
  const size_t bm = (size_t)query_rows(b, pv), split = (size_t)pv[BA_SPLIT_I];
  const int64_t left = b->left < b->TQ - 1 ? b->left : b->TQ - 1;
  const int64_t right = b->right < b->TK - 1 ? b->right : b->TK - 1;
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  sq_plan_define(out, "FL_BM", (long)bm);
  sq_plan_define(out, "FL_BN", tile_keys(b, pv));
  sq_plan_define(out, "FL_SPLIT", pv[BA_SPLIT_I]);
  out->local_mem = local_bytes(b, pv, tile_keys(b, pv));
  const int kvs = pv[BA_KVS_I];
  sq_plan_define(out, "FL_KVS", kvs);
  if (b->seg) define_segments(out, b);
  /* q, k, v, o are slots 0..3 of both ops (the tests check it). Without
   * splits the partial-result arguments are o, never touched. */
  const int po = kvs > 1 ? sq_plan_scratch(out, (size_t)b->BH * kvs * (size_t)b->TQ * (size_t)b->DV * 4) : 3;
  const int pml = kvs > 1 ? sq_plan_scratch(out, (size_t)b->BH * kvs * (size_t)b->TQ * 2 * 4) : 3;
  sq_launch *l = sq_plan_launch(out, "sq_band_flash", ((size_t)b->TQ + bm - 1) / bm * bm, split * (size_t)kvs,
                                (size_t)b->BH, bm, split, 1);
  for (int s = 0; s < 4; s++) sq_arg_buf(l, s);
  sq_arg_buf(l, po);
  sq_arg_buf(l, pml);
  sq_arg_i32(l, (int32_t)b->TQ);
  sq_arg_i32(l, (int32_t)b->TK);
  sq_arg_i32(l, (int32_t)(left > 0 ? left : 0));
  sq_arg_i32(l, (int32_t)(right > 0 ? right : 0));
  sq_arg_f32(l, (float)b->scale);
  if (kvs > 1) {
    l = sq_plan_launch(out, "sq_band_combine", sq_round_up((size_t)(b->TQ * b->DV), 64), 1, (size_t)b->BH, 64, 1, 1);
    sq_arg_buf(l, po);
    sq_arg_buf(l, pml);
    sq_arg_buf(l, 3);
    sq_arg_i32(l, (int32_t)b->TQ);
  }
  return 0;
}

/* ---- local_attn.sliding_1d -------------------------------------------- */

/* FAMILIES.md §4: FLOPs = B H pairs (2D + 2DV), exps = B H pairs, bytes =
 * s B H T (2D + 2DV). */
static sq_work sliding_work(const sq_problem *p) {
  const sq_band b = sq_band_of_sliding(p);
  const double np = sq_band_pairs(&b), bh = (double)b.BH;
  sq_work w;
  w.flops = bh * np * (double)(2 * b.D + 2 * b.DV);
  w.exps = bh * np;
  w.bytes = (double)sq_dtype_size(p->dtype) * bh * (double)b.TQ * (double)(2 * b.D + 2 * b.DV);
  return w;
}

static int sliding_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  const sq_band b = sq_band_of_sliding(p);
  return sq_band_check(&b, pv, nset, why, n);
}

static int sliding_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  const sq_band b = sq_band_of_sliding(p);
  return sq_band_plan(p, &b, pv, out);
}

const sq_kernel sq_sliding_1d_flash = {
  .name = "local_attn.sliding_1d.flash",
  .op = &sq_op_sliding_1d,
  .family = "local_attn.sliding_1d",
  .doc = "sliding-window softmax attention, flash tiles visiting only the key tiles that meet the band",
  .source = &sq_src_sliding_attn,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .ref_by_row = 1,
  SQ_BAND_PARAMS,
  .check = sliding_check,
  .plan = sliding_plan,
  .work = sliding_work,
  .reference = sq_sliding_attn_reference,
  .reference_row_cost = sq_sliding_attn_reference_row_cost,
};
