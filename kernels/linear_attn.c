/* SPDX-License-Identifier: BSD-3-Clause */
/* Descriptors of the linear-attention kernels (kernels/linear_attn.sqk):
 * their tunable parameters, the constraints between them, the launch plans
 * and the useful work of one call. causal_recurrent runs the recurrence in
 * one launch; causal_chunked runs chunk states, an exclusive scan over chunks
 * and the per-chunk outputs; noncausal runs split states, a reduction and
 * the outputs. */
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/linear_attn.h"
#include "kernels/sources.h"

/* The largest static local memory a text may declare: CUDA's static
 * shared-memory limit, so every configuration also compiles for NVRTC. */
#define LA_LOCAL_MAX 49152
/* Rows of phi(K), V staged per step by la_state (ST_T in the text). */
#define LA_ST_T 16
#define LA_SCAN_WG 64

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

static int check_dims(const sq_problem *p, char *why, size_t n) {
  if (att_D(p) < 1 || att_D(p) > 256 || att_DV(p) < 1 || att_DV(p) > 256) {
    snprintf(why, n, "D=%lld, DV=%lld: linear_attn supports 1..256", (long long)att_D(p), (long long)att_DV(p));
    return SQ_EINVAL;
  }
  if (att_T(p) < 1 || att_T(p) > INT32_MAX) {
    snprintf(why, n, "T=%lld: linear_attn supports 1..%d", (long long)att_T(p), INT32_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

static void set_work_group_count_error(char *why, size_t n, const char *what, int64_t groups) {
  snprintf(why, n, "%s needs %lld work-groups, more than a 32-bit grid", what, (long long)groups);
}

static sq_work la_work(const sq_problem *p) {
  double bht = (double)att_B(p) * (double)att_H(p) * (double)att_T(p);
  double D = (double)att_D(p), DV = (double)att_DV(p);
  sq_work w;
  w.flops = bht * 4.0 * D * DV + (att_normalize(p) ? bht * (4.0 * D + DV) : 0.0);
  w.bytes = bht * (2.0 * D + 2.0 * DV) * (double)sq_dtype_size(p->dtype);
  w.exps = att_fmap(p) == SQ_FMAP_ELU1 ? 2.0 * bht * D : 0.0;
  return w;
}

/* ---- causal_recurrent --------------------------------------------------- */

enum { RC_P_COLS, RC_P_TSTEP };

static size_t rc_local(const sq_problem *p, int cols, int tstep) {
  size_t b = 2u * (size_t)tstep * (size_t)att_D(p) * 4u;
  if (att_normalize(p)) b += ((size_t)tstep * (size_t)cols + (size_t)tstep) * 4u;
  return b;
}

static int rc_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int err = check_dims(p, why, n);
  if (err) return err;
  if (nset >= 2) {
    size_t lm = rc_local(p, pv[RC_P_COLS], pv[RC_P_TSTEP]);
    if (lm > LA_LOCAL_MAX) {
      snprintf(why, n, "RC_TSTEP=%d with D=%lld needs %zu bytes of local memory (max %d)",
               pv[RC_P_TSTEP], (long long)att_D(p), lm, LA_LOCAL_MAX);
      return SQ_EINVAL;
    }
  }
  return 0;
}

static int rc_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int cols = pv[RC_P_COLS], tstep = pv[RC_P_TSTEP];
  int64_t ntile = cdiv(att_DV(p), cols), groups = att_B(p) * att_H(p) * ntile;
  char why[160];
  if (groups > INT32_MAX) {
    set_work_group_count_error(why, sizeof why, "la_recurrent", groups);
    return sq_fail(SQ_EUNSUPPORTED, "%s", why);
  }
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  sq_plan_define(out, "RC_COLS", cols);
  sq_plan_define(out, "RC_TSTEP", tstep);
  /* Past a million steps a plain f32 running sum drifts towards the
   * tolerance; compensated sums cost two adds per term and keep it exact. */
  sq_plan_define(out, "RC_COMP", att_T(p) >= (1 << 20));
  sq_launch *l = sq_plan_launch(out, "la_recurrent", (size_t)groups * cols, 1, 1, cols, 1, 1);
  sq_arg_buf(l, SQ_ATT_Q);
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_i32(l, (int32_t)att_T(p));
  sq_arg_i32(l, (int32_t)ntile);
  out->local_mem = rc_local(p, cols, tstep);
  return 0;
}

const sq_kernel sq_linear_attn_causal_recurrent = {
  .name = "linear_attn.causal_recurrent",
  .family = "linear_attn",
  .op = &sq_op_linear_attn,
  .doc = "causal linear attention, recurrent form: one work-item per state column, sequential in t",
  .source = &sq_src_linear_attn,
  .modes = SQ_CAUSAL,
  .quadratic = 0,
  .nparams = 2,
  .params = {
    {"RC_COLS", 5, {16, 32, 64, 128, 256}, 64, "state columns (of DV) per work-group, one per work-item"},
    {"RC_TSTEP", 5, {4, 8, 16, 32, 64}, 16, "time steps of phi(q), phi(k) staged in local memory per load"},
  },
  .check = rc_check,
  .plan = rc_plan,
  .work = la_work,
  .reference = sq_linear_attn_ref_causal,
  .reference_row_cost = sq_linear_attn_ref_row_cost,
};

/* ---- shared pieces of the chunked and non-causal plans ------------------ */

/* The tiled kernels run 16 x wy work-items, each owning 4 rows: a group
 * covers 4 * wy rows (LA_R in the text). */

/* Local memory of la_out: `rows` is the chunk (causal; unused otherwise),
 * wy the group height, tiles bk x bn. */
static size_t out_local(const sq_problem *p, int rows, int wy, int bk, int bn) {
  size_t r = 4u * (size_t)wy;
  size_t b = (r * (bk + 1) + (size_t)bk * bn) * 4u;
  if (p->causal) b += ((size_t)rows * (bk + 1) + r * (rows + 1) + (size_t)bk * bn) * 4u;
  if (att_normalize(p)) b += ((size_t)bk + r) * 4u;
  return b;
}

static size_t state_local(int wy) { return (size_t)LA_ST_T * (4u * wy + 64u) * 4u; }

static int local_check(const sq_problem *p, int rows, int wy, int bk, int bn, char *why, size_t n) {
  size_t lm = out_local(p, rows, wy, bk, bn);
  if (lm > LA_LOCAL_MAX) {
    snprintf(why, n, "LA_WY=%d, LA_BK=%d, LA_BN=%d%s need %zu bytes of local memory (max %d)", wy, bk, bn,
             p->causal ? " with this CHUNK" : "", lm, LA_LOCAL_MAX);
    return SQ_EINVAL;
  }
  return 0;
}

/* Adds la_state over chunks of clen tokens, writing slot `st`. */
static int add_state_launch(sq_plan *pl, const sq_problem *p, int wy, int clen, int64_t nchunk, int st,
                            char *why, size_t n) {
  int64_t nrt = cdiv(att_D(p), 4 * wy), nct = cdiv(att_DV(p), 64);
  int64_t groups = att_B(p) * att_H(p) * nchunk * nrt * nct;
  if (groups > INT32_MAX) {
    set_work_group_count_error(why, n, "la_state", groups);
    return SQ_EUNSUPPORTED;
  }
  sq_launch *l = sq_plan_launch(pl, "la_state", (size_t)groups * 16, wy, 1, 16, wy, 1);
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, st);
  sq_arg_i32(l, (int32_t)att_T(p));
  sq_arg_i32(l, clen);
  sq_arg_i32(l, (int32_t)nchunk);
  sq_arg_i32(l, (int32_t)nrt);
  sq_arg_i32(l, (int32_t)nct);
  return 0;
}

/* Adds la_out over blocks of `rows` tokens (the chunk, or 4 * wy rows when
 * not causal), 4 * wy rows per group, reading states from `st` plus, when
 * causal, the offsets in `aux` of segments of `seg` chunks. */
static int add_out_launch(sq_plan *pl, const sq_problem *p, int rows, int wy, int bn, int st, int aux,
                          int seg, int64_t nseg, char *why, size_t n) {
  int64_t nblk = cdiv(att_T(p), rows), nct = cdiv(att_DV(p), bn);
  int64_t groups = att_B(p) * att_H(p) * nblk * (rows / (4 * wy)) * nct;
  if (groups > INT32_MAX) {
    set_work_group_count_error(why, n, "la_out", groups);
    return SQ_EUNSUPPORTED;
  }
  sq_launch *l = sq_plan_launch(pl, "la_out", (size_t)groups * 16, wy, 1, 16, wy, 1);
  sq_arg_buf(l, SQ_ATT_Q);
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_buf(l, st);
  sq_arg_buf(l, aux);
  sq_arg_i32(l, (int32_t)att_T(p));
  sq_arg_i32(l, (int32_t)nblk);
  sq_arg_i32(l, (int32_t)nct);
  sq_arg_i32(l, seg);
  sq_arg_i32(l, (int32_t)nseg);
  return 0;
}

/* Floats per stored state: D x (DV [+ 1 for z]), padded to 16 (LA_NENT). */
static int64_t state_nent(const sq_problem *p) {
  return (att_D(p) * (att_DV(p) + (att_normalize(p) ? 1 : 0)) + 15) / 16 * 16;
}

/* Adds la_scan (in place over nchunk states) or la_reduce (into `dst`); a
 * work-item owns 16 consecutive entries when runs (LA_RUNS) are on, else 1. */
static void add_entry_launch(sq_plan *pl, const sq_problem *p, const char *entry, int src, int dst,
                             int64_t nchunk, int runs) {
  int64_t nent = state_nent(p), total = att_B(p) * att_H(p) * nent;
  sq_launch *l = sq_plan_launch(pl, entry, (size_t)(runs ? total / 16 : total), 1, 1, LA_SCAN_WG, 1, 1);
  sq_arg_buf(l, src);
  if (dst >= 0) sq_arg_buf(l, dst);
  sq_arg_i32(l, (int32_t)nchunk);
  sq_arg_i32(l, (int32_t)nent);
  sq_arg_i32(l, (int32_t)total);
}

/* Adds la_scan_seg: in-segment scans of `st`, segment totals into `aux`. */
static void add_seg_launch(sq_plan *pl, const sq_problem *p, int st, int aux, int64_t nchunk, int seg,
                           int64_t nseg, int runs) {
  int64_t total = att_B(p) * att_H(p) * nseg * state_nent(p);
  sq_launch *l = sq_plan_launch(pl, "la_scan_seg", (size_t)(runs ? total / 16 : total), 1, 1, LA_SCAN_WG, 1, 1);
  sq_arg_buf(l, st);
  sq_arg_buf(l, aux);
  sq_arg_i32(l, (int32_t)nchunk);
  sq_arg_i32(l, seg);
  sq_arg_i32(l, (int32_t)nseg);
  sq_arg_i32(l, (int32_t)total);
}

static size_t state_bytes(const sq_problem *p, int64_t nstates) {
  return (size_t)(att_B(p) * att_H(p)) * (size_t)nstates * (size_t)state_nent(p) * sizeof(float);
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* Work-items per group of the vector kernels (LA_VEC): they need no local
 * memory or barriers, so any size works. Small, so that a short problem
 * still spreads over every core (groups of 64 left T <= 8K with one or two
 * groups: 30 % slower on PoCL's two cores, measured by `gate`). Each owns
 * LA_VR rows (state: features; output: tokens). */
#define LA_VEC_WG 8
#define LA_VR 4

/* Columns per work-item of the vector kernels: LA_VC in the text. */
static int64_t vec_cols(const sq_problem *p) {
  return att_DV(p) % 64 == 0 ? 64 : att_DV(p) % 32 == 0 ? 32 : 16;
}

/* Adds a vector kernel over `items` work-items (args after the buffers:
 * the kernel's ints, then the count). */
static sq_launch *add_vec_launch(sq_plan *pl, const char *entry, int64_t items, char *why, size_t n) {
  if (items > INT32_MAX - LA_VEC_WG) {
    set_work_group_count_error(why, n, entry, items);
    return NULL;
  }
  return sq_plan_launch(pl, entry, (size_t)cdiv(items, LA_VEC_WG) * LA_VEC_WG, 1, 1, LA_VEC_WG, 1, 1);
}

/* Adds la_state_vec: the states of chunks of clen tokens into slot `st`. */
static int add_state_vec_launch(sq_plan *pl, const sq_problem *p, int clen, int64_t nchunk, int st, char *why,
                                size_t n) {
  int64_t nrb = cdiv(att_D(p), LA_VR), ncb = att_DV(p) / vec_cols(p);
  int64_t items = att_B(p) * att_H(p) * nchunk * nrb * ncb;
  sq_launch *l = add_vec_launch(pl, "la_state_vec", items, why, n);
  if (!l) return SQ_EUNSUPPORTED;
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, st);
  sq_arg_i32(l, (int32_t)att_T(p));
  sq_arg_i32(l, clen);
  sq_arg_i32(l, (int32_t)nchunk);
  sq_arg_i32(l, (int32_t)nrb);
  sq_arg_i32(l, (int32_t)ncb);
  sq_arg_i32(l, (int32_t)items);
  return 0;
}

/* ---- causal_chunked ----------------------------------------------------- */

enum { CH_P_CHUNK, CH_P_WY, CH_P_BK, CH_P_BN, CH_P_RUNS, CH_P_SEG, CH_P_VEC };

/* Floats of phi(K_c)^T that la_cout_vec keeps in private memory: at most
 * 64 KB per work-item. */
#define LA_VKT_MAX 16384

static int ch_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int err = check_dims(p, why, n);
  if (err) return err;
  if (nset > CH_P_WY && pv[CH_P_CHUNK] % (4 * pv[CH_P_WY])) {
    snprintf(why, n, "CHUNK=%d is not a multiple of 4 * LA_WY=%d", pv[CH_P_CHUNK], 4 * pv[CH_P_WY]);
    return SQ_EINVAL;
  }
  if (nset > CH_P_BK && pv[CH_P_CHUNK] % pv[CH_P_BK]) {
    snprintf(why, n, "CHUNK=%d is not a multiple of LA_BK=%d", pv[CH_P_CHUNK], pv[CH_P_BK]);
    return SQ_EINVAL;
  }
  if (nset > CH_P_BN && (err = local_check(p, pv[CH_P_CHUNK], pv[CH_P_WY], pv[CH_P_BK], pv[CH_P_BN], why, n)))
    return err;
  if (nset > CH_P_VEC && pv[CH_P_VEC]) {
    int64_t kt = (att_D(p) + 3) / 4 * 4 * pv[CH_P_CHUNK];
    if (att_DV(p) % 16) {
      snprintf(why, n, "LA_VEC=1 needs DV a multiple of 16 (DV=%lld)", (long long)att_DV(p));
      return SQ_EINVAL;
    }
    if (kt > LA_VKT_MAX) {
      snprintf(why, n, "LA_VEC=1 with CHUNK=%d and D=%lld keeps %lld floats of phi(K) per work-item (max %d)",
               pv[CH_P_CHUNK], (long long)att_D(p), (long long)kt, LA_VKT_MAX);
      return SQ_EINVAL;
    }
  }
  return 0;
}

/* The vector form: la_state_vec over chunks, the two-level scan, then
 * la_cout_vec, one work-item per chunk and column block. */
static int ch_plan_vec(const sq_problem *p, int chunk, int64_t nchunk, int st, int aux, int seg, int64_t nseg,
                       int runs, sq_plan *out) {
  char why[160];
  int64_t bh = att_B(p) * att_H(p), ncb = att_DV(p) / vec_cols(p), items = bh * nchunk * ncb;
  int kt = sq_plan_scratch(out, (size_t)bh * (size_t)nchunk * (size_t)((att_D(p) + 3) / 4 * 4) * (size_t)chunk *
                                    sizeof(float));
  sq_launch *l = add_vec_launch(out, "la_cstate_vec", items, why, sizeof why);
  if (!l) return sq_fail(SQ_EUNSUPPORTED, "%s", why);
  sq_arg_buf(l, SQ_ATT_K);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, st);
  sq_arg_buf(l, kt);
  sq_arg_i32(l, (int32_t)att_T(p));
  sq_arg_i32(l, (int32_t)nchunk);
  sq_arg_i32(l, (int32_t)ncb);
  sq_arg_i32(l, (int32_t)items);
  add_seg_launch(out, p, st, aux, nchunk, seg, nseg, runs);
  add_entry_launch(out, p, "la_scan", aux, -1, nseg, runs);
  if (!(l = add_vec_launch(out, "la_cout_vec", items, why, sizeof why))) return sq_fail(SQ_EUNSUPPORTED, "%s", why);
  sq_arg_buf(l, SQ_ATT_Q);
  sq_arg_buf(l, kt);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_buf(l, st);
  sq_arg_buf(l, aux);
  sq_arg_i32(l, (int32_t)att_T(p));
  sq_arg_i32(l, (int32_t)nchunk);
  sq_arg_i32(l, (int32_t)ncb);
  sq_arg_i32(l, seg);
  sq_arg_i32(l, (int32_t)nseg);
  sq_arg_i32(l, (int32_t)items);
  out->local_mem = 0;
  return 0;
}

static int ch_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int chunk = pv[CH_P_CHUNK], wy = pv[CH_P_WY], bk = pv[CH_P_BK], bn = pv[CH_P_BN];
  int64_t nchunk = cdiv(att_T(p), chunk);
  char why[160];
  int err;
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  sq_plan_define(out, "CHUNK", chunk);
  sq_plan_define(out, "LA_WY", wy);
  sq_plan_define(out, "LA_BK", bk);
  sq_plan_define(out, "LA_BN", bn);
  sq_plan_define(out, "LA_RUNS", pv[CH_P_RUNS]);
  int seg = pv[CH_P_SEG];
  int64_t nseg = cdiv(nchunk, seg);
  if (att_B(p) * att_H(p) * nseg * state_nent(p) > INT32_MAX)
    return sq_fail(SQ_EUNSUPPORTED, "la_scan_seg: %lld segment entries exceed a 32-bit index",
                   (long long)(att_B(p) * att_H(p) * nseg * state_nent(p)));
  int st = sq_plan_scratch(out, state_bytes(p, nchunk));
  int aux = sq_plan_scratch(out, state_bytes(p, nseg));
  sq_plan_define(out, "LA_VEC", pv[CH_P_VEC]);
  if (pv[CH_P_VEC]) return ch_plan_vec(p, chunk, nchunk, st, aux, seg, nseg, pv[CH_P_RUNS], out);
  if ((err = add_state_launch(out, p, wy, chunk, nchunk, st, why, sizeof why)))
    return sq_fail(err, "%s", why);
  add_seg_launch(out, p, st, aux, nchunk, seg, nseg, pv[CH_P_RUNS]);
  add_entry_launch(out, p, "la_scan", aux, -1, nseg, pv[CH_P_RUNS]);
  if ((err = add_out_launch(out, p, chunk, wy, bn, st, aux, seg, nseg, why, sizeof why)))
    return sq_fail(err, "%s", why);
  out->local_mem = max_size(state_local(wy), out_local(p, chunk, wy, bk, bn));
  return 0;
}

const sq_kernel sq_linear_attn_causal_chunked = {
  .name = "linear_attn.causal_chunked",
  .family = "linear_attn",
  .op = &sq_op_linear_attn,
  .doc = "causal linear attention, chunked: chunk states, exclusive scan over chunks, masked intra-chunk part",
  .source = &sq_src_linear_attn,
  .modes = SQ_CAUSAL,
  .quadratic = 0,
  .nparams = 7,
  .params = {
    {"CHUNK", 5, {16, 32, 64, 128, 256}, 64, "tokens per chunk (the intra-chunk part is quadratic in it)"},
    {"LA_WY", 5, {1, 2, 4, 8, 16}, 1, "work-group height: 16 x LA_WY work-items, 4 rows each (PoCL: 1, GPUs: 16)"},
    {"LA_BK", 4, {4, 8, 16, 32}, 16, "features of phi(q), phi(k) staged per step in the output kernel"},
    {"LA_BN", 3, {16, 32, 64}, 64, "output columns (of DV) per work-group"},
    {"LA_RUNS", 2, {0, 1}, 1, "copy order: 0 interleaved (coalesced, GPUs), 1 contiguous runs per work-item (CPU vectorisers)"},
    {"SCAN_SEG", 5, {16, 64, 256, 1024, 4096}, 64, "chunks per segment of the two-level scan over chunks"},
    {"LA_VEC", 2, {0, 1}, 0, "1: vector kernels, a chunk per work-item, its rows 4 at a time x 64 columns as float16 lanes (CPUs; DV % 16 = 0, D x CHUNK <= 16384)"},
  },
  .check = ch_check,
  .plan = ch_plan,
  .work = la_work,
  .reference = sq_linear_attn_ref_causal,
  .reference_row_cost = sq_linear_attn_ref_row_cost,
};

/* ---- noncausal ---------------------------------------------------------- */

enum { NC_P_SPLIT, NC_P_WY, NC_P_BK, NC_P_BN, NC_P_RUNS, NC_P_VEC };


static int nc_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  int err = check_dims(p, why, n);
  if (err) return err;
  if (nset > NC_P_BN && (err = local_check(p, 0, pv[NC_P_WY], pv[NC_P_BK], pv[NC_P_BN], why, n))) return err;
  if (nset > NC_P_VEC && pv[NC_P_VEC] && att_DV(p) % 16) {
    snprintf(why, n, "LA_VEC=1 needs DV a multiple of 16 (DV=%lld)", (long long)att_DV(p));
    return SQ_EINVAL;
  }
  return 0;
}


/* The vector form: la_state_vec over splits, la_reduce, la_out_vec. */
static int nc_plan_vec(const sq_problem *p, int split, int runs, sq_plan *out) {
  int64_t nsplit = cdiv(att_T(p), split), bh = att_B(p) * att_H(p), ncb = att_DV(p) / vec_cols(p);
  int64_t ntb = cdiv(att_T(p), LA_VR);
  char why[160];
  int part = sq_plan_scratch(out, state_bytes(p, nsplit));
  int s = sq_plan_scratch(out, state_bytes(p, 1));
  if (add_state_vec_launch(out, p, split, nsplit, part, why, sizeof why)) return sq_fail(SQ_EUNSUPPORTED, "%s", why);
  add_entry_launch(out, p, "la_reduce", part, s, nsplit, runs);
  int64_t items = bh * ntb * ncb;
  sq_launch *l = add_vec_launch(out, "la_out_vec", items, why, sizeof why);
  if (!l) return sq_fail(SQ_EUNSUPPORTED, "%s", why);
  sq_arg_buf(l, SQ_ATT_Q);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_buf(l, s);
  sq_arg_i32(l, (int32_t)att_T(p));
  sq_arg_i32(l, (int32_t)ntb);
  sq_arg_i32(l, (int32_t)ncb);
  sq_arg_i32(l, (int32_t)items);
  out->local_mem = 0;
  return 0;
}

static int nc_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  int split = pv[NC_P_SPLIT], wy = pv[NC_P_WY], bk = pv[NC_P_BK], bn = pv[NC_P_BN];
  int64_t nsplit = cdiv(att_T(p), split);
  char why[160];
  int err;
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  sq_plan_define(out, "LA_WY", wy);
  sq_plan_define(out, "LA_BK", bk);
  sq_plan_define(out, "LA_BN", bn);
  sq_plan_define(out, "LA_RUNS", pv[NC_P_RUNS]);
  sq_plan_define(out, "LA_VEC", pv[NC_P_VEC]);
  if (pv[NC_P_VEC]) return nc_plan_vec(p, split, pv[NC_P_RUNS], out);
  int part = sq_plan_scratch(out, state_bytes(p, nsplit));
  int s = sq_plan_scratch(out, state_bytes(p, 1));
  if ((err = add_state_launch(out, p, wy, split, nsplit, part, why, sizeof why)))
    return sq_fail(err, "%s", why);
  add_entry_launch(out, p, "la_reduce", part, s, nsplit, pv[NC_P_RUNS]);
  if ((err = add_out_launch(out, p, 4 * wy, wy, bn, s, s, 1, 1, why, sizeof why)))
    return sq_fail(err, "%s", why);
  out->local_mem = max_size(state_local(wy), out_local(p, 0, wy, bk, bn));
  return 0;
}

const sq_kernel sq_linear_attn_noncausal = {
  .name = "linear_attn.noncausal",
  .family = "linear_attn",
  .op = &sq_op_linear_attn,
  .doc = "non-causal linear attention: S = phi(K)^T V as a split reduction over T, then O = phi(Q) S",
  .source = &sq_src_linear_attn,
  .modes = SQ_NONCAUSAL,
  .quadratic = 0,
  .nparams = 6,
  .params = {
    {"SPLIT", 6, {256, 512, 1024, 2048, 4096, 8192}, 1024, "tokens per partial state of the split reduction"},
    {"LA_WY", 5, {1, 2, 4, 8, 16}, 1, "work-group height: 16 x LA_WY work-items, 4 rows each (PoCL: 1, GPUs: 16)"},
    {"LA_BK", 4, {4, 8, 16, 32}, 16, "features of phi(q) staged per step in the output kernel"},
    {"LA_BN", 3, {16, 32, 64}, 64, "output columns (of DV) per work-group"},
    {"LA_RUNS", 2, {0, 1}, 1, "copy order: 0 interleaved (coalesced, GPUs), 1 contiguous runs per work-item (CPU vectorisers)"},
    {"LA_VEC", 2, {0, 1}, 0, "1: vector kernels, 4 rows x 64 columns per work-item as float16 lanes (CPUs; DV % 16 = 0)"},
  },
  .check = nc_check,
  .plan = nc_plan,
  .work = la_work,
  .reference = sq_linear_attn_ref_noncausal,
  .reference_row_cost = sq_linear_attn_ref_row_cost,
};
