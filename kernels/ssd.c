/* SPDX-License-Identifier: BSD-3-Clause */
/* The descriptor of ssm.ssd.chunked (kernels/ssd.sqk): its tunables, their
 * constraints, the launch plans and the useful work of FAMILIES.md §2.4.
 * Causal calls run prep (Delta and chunk-local cumulative decays), state (one
 * P x N state per chunk), scan (the chunk recurrence from h0 to ht) and out
 * (inter- plus intra-chunk output); non-causal calls run state (partial KV
 * per chunk), a tree of reduce launches over the chunks and out. */
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/sources.h"
#include "kernels/ssd.h"

/* CUDA's static shared-memory limit: every configuration also compiles
 * for NVRTC. */
#define SSD_LOCAL_MAX 49152
#define SSD_ST 16           /* tokens staged per step by ssd_state */
#define SSD_LINEAR_WG 64    /* work-group of the one-dimensional entries */
/* Launches left for the reduction tree (state and out take two). */
#define SSD_MAX_LEVELS (SQ_MAX_LAUNCHES - 2)

enum { P_CHUNK, P_WY, P_BK, P_BN, P_KT, P_RUNS, P_FAN };

static int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* FAMILIES.md §2.4, from the recurrent form (causal: the update a S +
 * (Deltax) outer B and the readout C . S; non-causal: the KV sum and C . KV). */
static sq_work ssd_work(const sq_problem *p) {
  double B = (double)ssd_B(p), T = (double)ssd_T(p), H = (double)ssd_H(p), P = (double)ssd_P(p);
  double G = (double)ssd_G(p), N = (double)ssd_N(p), s = (double)sq_dtype_size(p->dtype);
  double sp = ssd_softplus(p), z = ssd_has_z(p), state = ssd_state(p), bth = B * T * H;
  sq_work w;
  w.flops = bth * ((p->causal ? 5.0 : 4.0) * P * N + 3.0 * P + 2.0 + sp) + 3.0 * z * bth * P;
  w.exps = bth * ((p->causal ? 1.0 : 0.0) + 2.0 * sp) + z * bth * P;
  w.bytes = s * ((2.0 + z) * bth * P + bth + 2.0 * B * T * G * N) + 12.0 * H + state * 8.0 * B * H * P * N;
  return w;
}

/* Local memory of ssd_out (the largest entry) and of ssd_state, bytes. */
static size_t out_local(const sq_problem *p, int chunk, int wy, int bk, int bn, int kt) {
  size_t r = 4u * (size_t)wy, vt = (size_t)(bk > kt ? bk : kt);
  size_t f = r * ((size_t)bk + 1) + vt * (size_t)bn;
  if (p->causal) f += (size_t)kt * ((size_t)bk + 1) + r * ((size_t)kt + 1) + 2u * (size_t)chunk;
  return f * 4u;
}

static size_t state_local(int chunk, int wy, int bn) {
  return ((size_t)SSD_ST * (4u * (size_t)wy + (size_t)bn) + (size_t)chunk) * 4u;
}

static int ssd_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  if (ssd_T(p) > INT32_MAX) {
    snprintf(why, n, "T=%lld: ssm.ssd.chunked supports up to %d tokens", (long long)ssd_T(p), INT32_MAX);
    return SQ_EINVAL;
  }
  if (nset > P_WY && pv[P_CHUNK] % (4 * pv[P_WY])) {
    snprintf(why, n, "CHUNK=%d is not a multiple of 4 * SSD_WY=%d", pv[P_CHUNK], 4 * pv[P_WY]);
    return SQ_EINVAL;
  }
  if (nset > P_KT && pv[P_CHUNK] % pv[P_KT]) {
    snprintf(why, n, "CHUNK=%d is not a multiple of SSD_KT=%d", pv[P_CHUNK], pv[P_KT]);
    return SQ_EINVAL;
  }
  if (nset > P_KT) {
    size_t lm = max_size(out_local(p, pv[P_CHUNK], pv[P_WY], pv[P_BK], pv[P_BN], pv[P_KT]),
                         state_local(pv[P_CHUNK], pv[P_WY], pv[P_BN]));
    if (lm > SSD_LOCAL_MAX) {
      snprintf(why, n, "CHUNK=%d, SSD_WY=%d, SSD_BK=%d, SSD_BN=%d, SSD_KT=%d need %zu bytes of local memory (max %d)",
               pv[P_CHUNK], pv[P_WY], pv[P_BK], pv[P_BN], pv[P_KT], lm, SSD_LOCAL_MAX);
      return SQ_EINVAL;
    }
  }
  return 0;
}

static int too_many(const char *what, int64_t count) {
  return sq_fail(SQ_EUNSUPPORTED, "ssm.ssd.chunked: %s needs %lld work-items or groups, more than a 32-bit index",
                 what, (long long)count);
}

static sq_launch *linear_launch(sq_plan *pl, const char *entry, int64_t items) {
  return sq_plan_launch(pl, entry, sq_round_up((size_t)items, SSD_LINEAR_WG), 1, 1, SSD_LINEAR_WG, 1, 1);
}

static void add_i32s(sq_launch *l, const int64_t *v, int n) {
  for (int i = 0; i < n; i++) sq_arg_i32(l, (int32_t)v[i]);
}

static void add_bufs(sq_launch *l, const int *v, int n) {
  for (int i = 0; i < n; i++) sq_arg_buf(l, v[i]);
}

/* Scratch slots of a plan; -1 where the mode has none. */
typedef struct ssd_bufs {
  int dl, ca, st, st2;
  int64_t nchunk;
} ssd_bufs;

/* The fan-in of the non-causal tree: the tunable, raised until the levels
 * fit in the launches left, so no T is refused for it. */
static int64_t tree_fan(int64_t nchunk, int64_t fan) {
  for (;; fan++) {
    int64_t left = nchunk;
    int levels = 0;
    while (left > 1) left = cdiv(left, fan), levels++;
    if (levels <= SSD_MAX_LEVELS) return fan;
  }
}

static int add_state(sq_plan *pl, const sq_problem *p, const ssd_bufs *sb, const int *pv) {
  int64_t bh = ssd_B(p) * ssd_H(p), nrt = cdiv(ssd_N(p), 4 * pv[P_WY]), nct = cdiv(ssd_P(p), pv[P_BN]);
  int64_t groups = bh * sb->nchunk * nrt * nct;
  if (groups > INT32_MAX / (16 * pv[P_WY])) return too_many("ssd_state", groups);
  sq_launch *l = sq_plan_launch(pl, "ssd_state", (size_t)groups * 16, (size_t)pv[P_WY], 1, 16, (size_t)pv[P_WY], 1);
  const int bufs[] = {SQ_SSD_X, SQ_SSD_BM, SQ_SSD_DT, SQ_SSD_A, SQ_SSD_DT_BIAS, sb->dl, sb->ca, sb->st};
  add_bufs(l, bufs, 8);
  const int64_t args[] = {ssd_T(p), ssd_H(p), ssd_H(p) / ssd_G(p), sb->nchunk, nrt, nct};
  add_i32s(l, args, 6);
  return 0;
}

static int add_out(sq_plan *pl, const sq_problem *p, const ssd_bufs *sb, int st, const int *pv) {
  int64_t bh = ssd_B(p) * ssd_H(p), nct = cdiv(ssd_P(p), pv[P_BN]);
  int64_t groups = bh * sb->nchunk * (pv[P_CHUNK] / (4 * pv[P_WY])) * nct;
  if (groups > INT32_MAX / (16 * pv[P_WY])) return too_many("ssd_out", groups);
  sq_launch *l = sq_plan_launch(pl, "ssd_out", (size_t)groups * 16, (size_t)pv[P_WY], 1, 16, (size_t)pv[P_WY], 1);
  int z = ssd_has_z(p) ? SQ_SSD_Z : SQ_SSD_X;
  const int bufs[] = {SQ_SSD_X, SQ_SSD_BM, SQ_SSD_CM, z, SQ_SSD_DSKIP, sb->dl, sb->ca, st, SQ_SSD_O};
  add_bufs(l, bufs, 9);
  const int64_t args[] = {ssd_T(p), ssd_H(p), ssd_H(p) / ssd_G(p), sb->nchunk, nct};
  add_i32s(l, args, 5);
  return 0;
}

/* prep, state, scan, out. */
static int plan_causal(sq_plan *pl, const sq_problem *p, ssd_bufs *sb, const int *pv) {
  int64_t bh = ssd_B(p) * ssd_H(p), T = ssd_T(p), np = ssd_P(p) * ssd_N(p);
  int64_t srun = pv[P_RUNS] ? 16 : 1, nrun = cdiv(np, srun);
  sb->dl = sq_plan_scratch(pl, (size_t)(bh * T) * sizeof(float));
  sb->ca = sq_plan_scratch(pl, (size_t)(bh * T) * sizeof(float));
  sb->st = sq_plan_scratch(pl, (size_t)(bh * sb->nchunk * np) * sizeof(float));
  int64_t items = bh * sb->nchunk;
  if (items > INT32_MAX - SSD_LINEAR_WG) return too_many("ssd_prep", items);
  sq_launch *l = linear_launch(pl, "ssd_prep", items);
  const int pbufs[] = {SQ_SSD_DT, SQ_SSD_A, SQ_SSD_DT_BIAS, sb->dl, sb->ca};
  add_bufs(l, pbufs, 5);
  const int64_t pargs[] = {T, ssd_H(p), sb->nchunk, items};
  add_i32s(l, pargs, 4);
  int rc = add_state(pl, p, sb, pv);
  if (rc) return rc;
  items = bh * nrun;
  if (items > INT32_MAX - SSD_LINEAR_WG) return too_many("ssd_scan", items);
  l = linear_launch(pl, "ssd_scan", items);
  int state = ssd_state(p);
  const int sbufs[] = {sb->st, sb->ca, state ? SQ_SSD_H0 : sb->st, state ? SQ_SSD_HT : sb->st};
  add_bufs(l, sbufs, 4);
  const int64_t sargs[] = {T, sb->nchunk, nrun, items};
  add_i32s(l, sargs, 4);
  return add_out(pl, p, sb, sb->st, pv);
}

/* state, reduce levels (ping-pong between st and st2), out. */
static int plan_noncausal(sq_plan *pl, const sq_problem *p, ssd_bufs *sb, const int *pv) {
  int64_t bh = ssd_B(p) * ssd_H(p), np = ssd_P(p) * ssd_N(p);
  int64_t srun = pv[P_RUNS] ? 16 : 1, nrun = cdiv(np, srun);
  int64_t fan = tree_fan(sb->nchunk, pv[P_FAN]);
  sb->st = sq_plan_scratch(pl, (size_t)(bh * sb->nchunk * np) * sizeof(float));
  if (sb->nchunk > 1) sb->st2 = sq_plan_scratch(pl, (size_t)(bh * cdiv(sb->nchunk, fan) * np) * sizeof(float));
  /* prep's buffers are not used: any valid slot stands in. */
  sb->dl = sb->ca = sb->st;
  int rc = add_state(pl, p, sb, pv);
  if (rc) return rc;
  int src = sb->st, dst = sb->st2;
  for (int64_t nin = sb->nchunk; nin > 1;) {
    int64_t nout = cdiv(nin, fan), items = bh * nout * nrun;
    if (items > INT32_MAX - SSD_LINEAR_WG) return too_many("ssd_reduce", items);
    sq_launch *l = linear_launch(pl, "ssd_reduce", items);
    sq_arg_buf(l, src);
    sq_arg_buf(l, dst);
    const int64_t args[] = {nin, nout, fan, nrun, items};
    add_i32s(l, args, 5);
    int t = src;
    src = dst;
    dst = t;
    nin = nout;
  }
  return add_out(pl, p, sb, src, pv);
}

static int ssd_plan(const sq_problem *p, const int *pv, sq_plan *out) {
  ssd_bufs sb = {-1, -1, -1, -1, cdiv(ssd_T(p), pv[P_CHUNK])};
  sq_plan_init(out);
  sq_plan_problem_defines(out, p);
  const struct { const char *name; long v; } defs[] = {
    {"SSD_P", (long)ssd_P(p)}, {"SSD_N", (long)ssd_N(p)}, {"SSD_SOFTPLUS", ssd_softplus(p)},
    {"SSD_HAS_Z", ssd_has_z(p)}, {"SSD_STATE", ssd_state(p)}, {"CHUNK", pv[P_CHUNK]}, {"SSD_WY", pv[P_WY]},
    {"SSD_BK", pv[P_BK]}, {"SSD_BN", pv[P_BN]}, {"SSD_KT", pv[P_KT]}, {"SSD_RUNS", pv[P_RUNS]},
  };
  for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) sq_plan_define(out, defs[i].name, defs[i].v);
  int rc = p->causal ? plan_causal(out, p, &sb, pv) : plan_noncausal(out, p, &sb, pv);
  if (rc) return rc;
  out->local_mem = max_size(out_local(p, pv[P_CHUNK], pv[P_WY], pv[P_BK], pv[P_BN], pv[P_KT]),
                            state_local(pv[P_CHUNK], pv[P_WY], pv[P_BN]));
  return 0;
}

const sq_kernel sq_ssd_chunked = {
  .name = "ssm.ssd.chunked",
  .op = &sq_op_ssd,
  .family = "ssm.ssd",
  .doc = "Mamba-2 SSD, chunked: chunk-local cumulative decays, chunk states, a scan over chunks, masked "
         "intra-chunk part (causal); tree-reduced KV (non-causal, VSSD)",
  .source = &sq_src_ssd,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL,
  .nparams = 7,
  .params = {
    {"CHUNK", 3, {64, 128, 256}, 64, "tokens per chunk (the intra-chunk part is quadratic in it)"},
    {"SSD_WY", 5, {1, 2, 4, 8, 16}, 1, "work-group height: 16 x SSD_WY work-items, 4 rows each (PoCL: 1, GPUs: 16)"},
    {"SSD_BK", 3, {8, 16, 32}, 16, "state channels (of N) staged per step"},
    {"SSD_BN", 3, {16, 32, 64}, 64, "columns (of P) per work-group"},
    {"SSD_KT", 3, {16, 32, 64}, 32, "keys per tile of the intra-chunk part"},
    {"SSD_RUNS", 2, {0, 1}, 1,
     "copy order: 0 interleaved (coalesced, GPUs), 1 contiguous runs per work-item (CPU vectorisers)"},
    {"SSD_FAN", 4, {8, 16, 32, 64}, 16, "non-causal: chunks summed per node of the KV reduction tree"},
  },
  .check = ssd_check,
  .plan = ssd_plan,
  .work = ssd_work,
  .reference = sq_ssd_ref,
  .reference_row_cost = sq_ssd_ref_row_cost,
};
