/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator declarations: one per computation FAMILIES.md specifies, the
 * two the suite started with, and one per other pending kind of the catalog.
 * Axis names, tensor names and layouts are the dump contract's (FAMILIES.md
 * §0.2), so --shape, case.json and the catalog's shape column speak one
 * language. Ranges are what the kernels accept, wider than the catalog's
 * rows; the catalog is validated against them even for ops whose kernels
 * are still pending. */
#include <math.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/op.h"
#include "kernels/varlen_attn.h"

/* Limits shared by many axes. Tokens index with 32-bit ints in the kernel
 * texts; batch-like axes stop where B*H*T would pass any device. */
#define MAX_TOKENS 2147483647.0
#define MAX_BATCH 1048576.0
#define MAX_HEAD_DIM 256.0

/* Field helpers: every axis is one line below. */
#define AX_INT(n, f, lo, hi, d, doc) {n, SQ_AXIS_INT, 1, f, lo, hi, d, NULL, NULL, NULL, NULL, doc}
#define AX_BOOL(n, f, d, doc) {n, SQ_AXIS_BOOL, 1, (f) | SQ_AX_OPTION, 0, 1, d, NULL, NULL, NULL, NULL, doc}
#define AX_LIST(n, len, f, lo, hi, d, doc) {n, SQ_AXIS_LIST, len, f, lo, hi, d, NULL, NULL, NULL, NULL, doc}
#define AX_SCALE {"scale", SQ_AXIS_REAL, 1, SQ_AX_OPTION, 1e-6, 64, 0, NULL, inv_sqrt_d, NULL, NULL, \
                  "multiplier of the scores (default D^-1/2)"}

#define BATCH SQ_AX_BATCH
#define TOKENS (SQ_AX_TOKENS | SQ_AX_BUCKET)
#define KEY SQ_AX_KEY
#define REQ SQ_AX_REQUIRED

static double inv_sqrt_d(const sq_shape *s) { return 1.0 / sqrt((double)sq_shape_int(s, "D")); }

#define AX_B AX_INT("B", BATCH, 1, MAX_BATCH, 1, "batch")
#define AX_H AX_INT("H", BATCH, 1, MAX_BATCH, 1, "heads")
#define AX_T AX_INT("T", TOKENS | REQ, 1, MAX_TOKENS, 0, "tokens")
#define AX_D {"D", SQ_AXIS_INT, 1, KEY | REQ, 1, MAX_HEAD_DIM, 0, NULL, NULL, "HEAD_D", NULL, "head dim of q and k"}
#define AX_DV {"DV", SQ_AXIS_INT, 1, KEY, 1, MAX_HEAD_DIM, 0, "D", NULL, "HEAD_DV", NULL, \
               "head dim of v and o (default D)"}
#define AX_STATE AX_BOOL("state", KEY, 0, "initial state h0 in, final state ht out (causal only)")

/* Tensors: {name, out, dims, f32, when, dims_fn, init}. The inits of the
 * pending families come with their kernels (FAMILIES.md gives each). */
#define IN(n, dims) {n, 0, dims, 0, NULL, NULL, NULL}
#define IN_IF(n, dims, when) {n, 0, dims, 0, when, NULL, NULL}
/* The same with a transform of the draws (FAMILIES.md's initialisation). */
#define IN_INIT(n, dims, when, init) {n, 0, dims, 0, when, NULL, init}
#define PARAM_INIT(n, dims, init) {n, 0, dims, 1, NULL, NULL, init}
#define PARAM(n, dims) {n, 0, dims, 1, NULL, NULL, NULL}
#define OUT(n, dims) {n, 1, dims, 0, NULL, NULL, NULL}
#define STATE_IN(dims) {"h0", 0, dims, 1, "state", NULL, NULL}
#define STATE_OUT(dims) {"ht", 1, dims, 1, "state", NULL, NULL}
/* q, k [B][H][T][D] and v, o [B][H][T][DV]: the attention layout. */
#define ATTN_TENSORS IN("q", "B,H,T,D"), IN("k", "B,H,T,D"), IN("v", "B,H,T,DV"), OUT("o", "B,H,T,DV")

static int state_needs_causal(const sq_shape *s, int causal, char *why, size_t n) {
  if (sq_shape_int(s, "state") && !causal) {
    snprintf(why, n, "state=1 needs a causal case (a bidirectional scan has no final state)");
    return SQ_EINVAL;
  }
  return 0;
}

static int divides(const sq_shape *s, const char *big, const char *small, char *why, size_t n) {
  int64_t b = sq_shape_int(s, big), m = sq_shape_int(s, small);
  if (b % m) {
    snprintf(why, n, "%s=%lld is not a multiple of %s=%lld", big, (long long)b, small, (long long)m);
    return SQ_EINVAL;
  }
  return 0;
}

/* ---- baselines: softmax attention over the same tokens ------------------ */

extern const sq_op sq_op_softmax_attn;

static void softmax_shape(sq_shape *out, int64_t B, int64_t H, int64_t T, int64_t D, int64_t DV) {
  sq_shape_defaults(&sq_op_softmax_attn, out);
  const int64_t v[] = {B, H, T, D, DV};
  for (int a = 0; a < 5; a++) out->v[a][0] = (double)v[a];
}

/* Attention-shaped ops (q, k [B][H][T][D], v [B][H][T][DV]). */
static void same_heads(const sq_shape *s, sq_shape *out) {
  softmax_shape(out, sq_shape_int(s, "B"), sq_shape_int(s, "H"), sq_shape_tokens(s), sq_shape_int(s, "D"),
                sq_shape_int(s, "DV"));
}

/* A channel axis as the attention layer of the model's width it replaces:
 * heads of 64 (one head of all channels below 64). */
static void heads_of_64(const sq_shape *s, const char *channels, sq_shape *out) {
  int64_t C = sq_shape_int(s, channels), H = C >= 64 ? C / 64 : 1, hd = C >= 64 ? 64 : C;
  softmax_shape(out, sq_shape_int(s, "B"), H, sq_shape_tokens(s), hd, hd);
}

/* The selective scan's D channels (d_inner). */
static void scan_heads(const sq_shape *s, sq_shape *out) { heads_of_64(s, "D", out); }

/* SSD's duality: heads H, head dim P for values, the state size N as the
 * query/key dim. */
static void ssd_heads(const sq_shape *s, sq_shape *out) {
  softmax_shape(out, sq_shape_int(s, "B"), sq_shape_int(s, "H"), sq_shape_tokens(s), sq_shape_int(s, "N"),
                sq_shape_int(s, "P"));
}

/* RWKV-4: channels C as heads of 64; RWKV-6/7: heads H of size N. */
static void rwkv4_heads(const sq_shape *s, sq_shape *out) { heads_of_64(s, "C", out); }

static void rwkv_heads(const sq_shape *s, sq_shape *out) {
  softmax_shape(out, sq_shape_int(s, "B"), sq_shape_int(s, "H"), sq_shape_tokens(s), sq_shape_int(s, "N"),
                sq_shape_int(s, "N"));
}

/* ---- the first two: linear attention and its quadratic baseline -------- */

static const char *const feature_names[] = {"identity", "elu1", NULL};

const sq_op sq_op_linear_attn = {
  "linear_attn", "linear attention o_t = phi(q_t)^T S_t (Katharopoulos et al.)",
  {AX_B, AX_H, AX_T, AX_D, AX_DV,
   {"feature", SQ_AXIS_ENUM, 1, SQ_AX_OPTION | KEY, 0, 1, 0, NULL, NULL, "FMAP", feature_names,
    "feature map phi applied to q and k"},
   {"normalize", SQ_AXIS_BOOL, 1, SQ_AX_OPTION | KEY, 0, 1, 0, NULL, NULL, "NORMALIZE", NULL,
    "divide by phi(q_t) . sum phi(k_s)"}},
  {ATTN_TENSORS},
  NULL, NULL, 1, same_heads, "B=1,H=2,D=64", "B=1,H=1,D=64",
};

/* DV as wide as any op whose baseline it is (GLA's 512 in ZeCO's rows):
 * the kernels say which head dims they run. */
#define AX_DV_WIDE {"DV", SQ_AXIS_INT, 1, KEY, 1, 1024, 0, "D", NULL, "HEAD_DV", NULL, "head dim of v and o (default D)"}

const sq_op sq_op_softmax_attn = {
  "softmax_attn", "softmax attention o = softmax(q k^T / sqrt(D)) v",
  {AX_B, AX_H, AX_T, AX_D, AX_DV_WIDE},
  {ATTN_TENSORS},
  NULL, NULL, 1, NULL, "B=1,H=2,D=64", "B=1,H=1,D=64",
};

/* ---- gated and decayed linear attention (FAMILIES.md §5) -------------- */

/* RetNet's decays (fla chunk_retention): gamma_h = 1 - 2^(-5-h), stored as
 * its log, which log1p keeps exact where gamma itself rounds to 1 in f32
 * (h >= 20). The draws are not used. */
static void retnet_log_gamma(const sq_shape *s, int causal, float *v, int64_t n) {
  (void)s;
  for (int64_t h = 0; h < n; h++) v[h] = (float)log1p(-ldexp(1.0, (int)(-5 - h)));
}

/* GLA's standard gates, log sigmoid(2r + 3) in [-0.31, -0.0067] (decays
 * 0.73 to 0.993), as -log1p(exp(-x)), which neither overflows nor rounds a
 * weak gate to 0. */
static void log_sigmoid_gate(const sq_shape *s, int causal, float *v, int64_t n) {
  (void)s;
  for (int64_t i = 0; i < n; i++) v[i] = (float)-log1p(exp(-(2.0 * v[i] + 3.0)));
}

const sq_op sq_op_linear_attn_decay = {
  "linear_attn.decay", "linear attention with a decay per head (RetNet, Lightning-2)",
  {AX_B, AX_H, AX_T, AX_D, AX_DV, AX_SCALE, AX_STATE},
  {IN("q", "B,H,T,D"), IN("k", "B,H,T,D"), IN("v", "B,H,T,DV"),
   PARAM_INIT("log_gamma", "H", retnet_log_gamma), STATE_IN("B,H,D,DV"), OUT("o", "B,H,T,DV"),
   STATE_OUT("B,H,D,DV")},
  state_needs_causal, NULL, 1, same_heads, "B=1,H=2,D=64", "B=1,H=1,D=64",
};

/* GLA's value head is wider than attention's: expand_v 1 over 4 heads of a
 * 2048 model is DV=512 (ZeCO's GLA-1B rows). */
const sq_op sq_op_linear_attn_gla = {
  "linear_attn.gla", "gated linear attention, a log gate per key channel (GLA, ViG, ZeCO)",
  {AX_B, AX_H, AX_T, AX_D, AX_DV_WIDE, AX_SCALE, AX_STATE},
  {IN("q", "B,H,T,D"), IN("k", "B,H,T,D"), IN("v", "B,H,T,DV"), IN_INIT("g", "B,H,T,D", NULL, log_sigmoid_gate),
   IN_INIT("gb", "B,H,T,D", "!causal", log_sigmoid_gate), STATE_IN("B,H,D,DV"), OUT("o", "B,H,T,DV"),
   STATE_OUT("B,H,D,DV")},
  state_needs_causal, NULL, 1, same_heads, "B=1,H=2,D=64", "B=1,H=1,D=64",
};

/* ---- SSM scans (FAMILIES.md §1, §2) ------------------------------------ */

/* The selective scan's inputs (FAMILIES.md §1.3, Mamba's and VMamba's
 * init): step sizes Δ ≈ 6e-4 .. 0.16 and S4D-real decays, so states stay
 * O(1). dt0 = exp(ln 1e-3 + (r+1)/2 ln 100) spans [1e-3, 0.1] log-uniformly;
 * with the softplus, delta_bias = softplus^-1(dt0) = dt0 + ln(-expm1(-dt0))
 * and delta = 0.5 r; without it delta must stay positive: delta = 0.02 (r +
 * 1.5) and delta_bias = 0.5 dt0. */
static double scan_dt0(float r) { return exp(log(1e-3) + 0.5 * ((double)r + 1.0) * log(100.0)); }

static void scan_delta(const sq_shape *s, int causal, float *v, int64_t n) {
  int sp = (int)sq_shape_int(s, "delta_softplus");
  for (int64_t i = 0; i < n; i++) v[i] = (float)(sp ? 0.5 * v[i] : 0.02 * (v[i] + 1.5));
}

static void scan_delta_bias(const sq_shape *s, int causal, float *v, int64_t n) {
  int sp = (int)sq_shape_int(s, "delta_softplus");
  for (int64_t i = 0; i < n; i++) {
    double dt0 = scan_dt0(v[i]);
    v[i] = (float)(sp ? dt0 + log(-expm1(-dt0)) : 0.5 * dt0);
  }
}

/* A[k][d][n] = -(n + 1) (S4D-real, deterministic: the draws are not used). */
static void scan_a(const sq_shape *s, int causal, float *v, int64_t n) {
  int64_t N = sq_shape_int(s, "N");
  for (int64_t i = 0; i < n; i++) v[i] = (float)-(double)(i % N + 1);
}

/* The selective scan has no causal key: K=1 is the causal scan, K=2 adds
 * the reverse direction (Vision Mamba). */
static int selective_scan_check(const sq_shape *s, int causal, char *why, size_t n) {
  if (divides(s, "D", "G", why, n)) return SQ_EINVAL;
  if (sq_shape_int(s, "K") == 2 && sq_shape_int(s, "state")) {
    snprintf(why, n, "state=1 needs K=1 (the reverse scan has no final state)");
    return SQ_EINVAL;
  }
  return 0;
}

const sq_op sq_op_selective_scan = {
  "ssm.selective_scan", "Mamba-1 selective scan, causal (K=1) or forward plus reverse (K=2)",
  {AX_B, AX_INT("D", KEY | REQ, 1, 65536, 0, "channels (d_inner)"), AX_T,
   AX_INT("N", KEY, 1, 256, 16, "state size (d_state)"),
   AX_INT("G", KEY, 1, 65536, 1, "groups sharing B and C"),
   AX_INT("K", KEY, 1, 2, 1, "directions: 1 causal, 2 forward plus reverse"),
   AX_BOOL("delta_softplus", KEY, 1, "softplus on delta + delta_bias"),
   AX_BOOL("has_z", KEY, 0, "output gate silu(z)"), AX_STATE},
  {IN("u", "B,K,D,T"), IN_INIT("delta", "B,K,D,T", NULL, scan_delta), PARAM_INIT("A", "K,D,N", scan_a),
   IN("Bm", "B,K,G,N,T"), IN("Cm", "B,K,G,N,T"), PARAM("Dskip", "K,D"),
   PARAM_INIT("delta_bias", "K,D", scan_delta_bias), IN_IF("z", "B,D,T", "has_z"),
   STATE_IN("B,D,N"), OUT("o", "B,D,T"), STATE_OUT("B,D,N")},
  selective_scan_check, "pending:ssm_scan", 0, scan_heads, "B=1,D=16,N=16", "B=1,D=16,N=16",
};

/* Mamba-2's init (FAMILIES.md §2.3, dt0 as §1.3): dt0 = exp(ln 1e-3 + (r+1)/2
 * ln 100) in [1e-3, 1e-1]; with softplus, dt = 0.5 r and dt_bias =
 * softplus^-1(dt0) = dt0 + ln(-expm1(-dt0)); without it the step must stay
 * positive, as §1.3 says for delta: dt = 0.02 (r + 1.5), dt_bias = 0.5 dt0. */
static double ssd_dt0(double r) { return exp(log(1e-3) + 0.5 * (r + 1.0) * log(100.0)); }

static void ssd_dt(const sq_shape *s, int causal, float *v, int64_t n) {
  int sp = (int)sq_shape_int(s, "dt_softplus");
  for (int64_t i = 0; i < n; i++) v[i] = (float)(sp ? 0.5 * v[i] : 0.02 * (v[i] + 1.5));
}

static void ssd_dt_bias(const sq_shape *s, int causal, float *v, int64_t n) {
  int sp = (int)sq_shape_int(s, "dt_softplus");
  for (int64_t i = 0; i < n; i++) {
    double dt0 = ssd_dt0(v[i]);
    v[i] = (float)(sp ? dt0 + log(-expm1(-dt0)) : 0.5 * dt0);
  }
}

/* A_h = -exp((r+1)/2 ln 16) in [-16, -1] (A_init_range (1, 16)). */
static void ssd_A(const sq_shape *s, int causal, float *v, int64_t n) {
  (void)s;
  for (int64_t i = 0; i < n; i++) v[i] = (float)-exp(0.5 * (v[i] + 1.0) * log(16.0));
}

static int ssd_check(const sq_shape *s, int causal, char *why, size_t n) {
  if (divides(s, "H", "G", why, n)) return SQ_EINVAL;
  return state_needs_causal(s, causal, why, n);
}

/* A slice is one group's heads of one sequence: those heads read only
 * their group's B and C, so H/G heads with G = 1 compute exactly that
 * part (H = 1 would break G | H). */
static void ssd_slice(sq_shape *s) {
  int b = sq_op_axis_index(s->op, "B"), h = sq_op_axis_index(s->op, "H"), g = sq_op_axis_index(s->op, "G");
  s->v[b][0] = 1;
  s->v[h][0] = s->v[h][0] / s->v[g][0];
  s->v[g][0] = 1;
}

const sq_op sq_op_ssd = {
  "ssm.ssd", "Mamba-2 state space duality, causal or non-causal (VSSD)",
  {AX_B, AX_T, AX_H, AX_INT("P", KEY | REQ, 1, 1024, 0, "head dim (headdim)"),
   AX_INT("G", KEY, 1, 1024, 1, "groups sharing B and C (ngroups)"),
   AX_INT("N", KEY, 1, 512, 128, "state size (d_state)"),
   AX_BOOL("dt_softplus", KEY, 1, "softplus on dt + dt_bias"), AX_BOOL("has_z", KEY, 0, "output gate silu(z)"),
   AX_STATE},
  {IN("x", "B,T,H,P"), IN_INIT("dt", "B,T,H", NULL, ssd_dt), PARAM_INIT("A", "H", ssd_A), IN("Bm", "B,T,G,N"),
   IN("Cm", "B,T,G,N"), PARAM("Dskip", "H"), PARAM_INIT("dt_bias", "H", ssd_dt_bias), IN_IF("z", "B,T,H,P", "has_z"),
   STATE_IN("B,H,P,N"),
   OUT("o", "B,T,H,P"), STATE_OUT("B,H,P,N")},
  ssd_check, "pending:ssd", 1, ssd_heads, "B=1,H=1,P=64,N=16", "B=1,H=1,P=64,N=16", ssd_slice,
};

/* ---- RWKV WKV (FAMILIES.md §3) ----------------------------------------- */

/* RWKV-4's inputs (FAMILIES.md §3.1): causal, the rate w = exp(2.5r - 1.5)
 * in [0.018, 2.7] (RWKV-4 passes exp(time_decay) > 0) and the bonus u =
 * -1.2 + 0.5r; Bi-WKV, Vision-RWKV's spatial_decay 4r - 1 in [-5, 3] and
 * spatial_first -1.2 + 0.5r, both divided by T as its host does (w < 0, a
 * growth, is allowed there); k = 2r, v = r. */
static void rwkv4_w(const sq_shape *s, int causal, float *v, int64_t n) {
  double T = (double)sq_shape_tokens(s);
  for (int64_t i = 0; i < n; i++) v[i] = (float)(causal ? exp(2.5 * v[i] - 1.5) : (4.0 * v[i] - 1.0) / T);
}

static void rwkv4_u(const sq_shape *s, int causal, float *v, int64_t n) {
  double T = causal ? 1.0 : (double)sq_shape_tokens(s);
  for (int64_t i = 0; i < n; i++) v[i] = (float)((-1.2 + 0.5 * v[i]) / T);
}

static void times_two(const sq_shape *s, int causal, float *v, int64_t n) {
  (void)s;
  for (int64_t i = 0; i < n; i++) v[i] *= 2.0f;
}

const sq_op sq_op_rwkv4 = {
  "wkv.rwkv4", "RWKV-4 WKV (causal) and Vision-RWKV Bi-WKV (non-causal)",
  {AX_B, AX_T, AX_INT("C", KEY | REQ, 1, 65536, 0, "channels")},
  {PARAM_INIT("w", "C", rwkv4_w), PARAM_INIT("u", "C", rwkv4_u), IN_INIT("k", "B,T,C", NULL, times_two),
   IN("v", "B,T,C"), OUT("o", "B,T,C")},
  NULL, "pending:wkv", 1, rwkv4_heads, "B=1,C=64", "B=1,C=16",
};

/* RWKV-6 (FAMILIES.md §3.2): w = -6 + 2.5 (r + 1) in [-6, -1], decays
 * exp(-exp(w)) in [0.69, 0.9975] (the time_decay range); u = 0.5 r. r, k,
 * v and h0 are the draws as they are. */
static void rwkv6_w(const sq_shape *s, int causal, float *v, int64_t n) {
  (void)s, (void)causal;
  for (int64_t i = 0; i < n; i++) v[i] = (float)(-6.0 + 2.5 * ((double)v[i] + 1.0));
}

static void rwkv6_u(const sq_shape *s, int causal, float *v, int64_t n) {
  (void)s, (void)causal;
  for (int64_t i = 0; i < n; i++) v[i] = 0.5f * v[i];
}

const sq_op sq_op_rwkv6 = {
  "wkv.rwkv6", "RWKV-6 WKV with data-dependent decay, causal or bidirectional",
  {AX_B, AX_T, AX_H, AX_INT("N", KEY, 1, 256, 64, "head size"), AX_STATE},
  {IN("r", "B,T,H,N"), IN("k", "B,T,H,N"), IN("v", "B,T,H,N"), IN_INIT("w", "B,T,H,N", NULL, rwkv6_w),
   PARAM_INIT("u", "H,N", rwkv6_u),
   STATE_IN("B,H,N,N"), OUT("o", "B,T,H,N"), STATE_OUT("B,H,N,N")},
  state_needs_causal, "pending:wkv", 1, rwkv_heads, "B=1,H=1,N=64", "B=1,H=1,N=16",
};

static int causal_only(const sq_shape *s, int causal, char *why, size_t n) {
  if (!causal) {
    snprintf(why, n, "%s is causal only", s->op->name);
    return SQ_EINVAL;
  }
  return 0;
}

/* RWKV-7's inputs (FAMILIES.md §3.3): w = -6 + 2.75(r+1) in [-6, -0.5]
 * (decays 0.545 to 0.9975), and a = -κ̂, b = κ̂ η with κ̂ = κ/|κ| per (b, t,
 * h) over N and η = sigmoid(2r), which keep the transition diag(d) + a bᵀ
 * contractive (independent uniform a and b blow S up to 1e98 within 300
 * steps). κ is its own stream, as the spec asks; since an init sees only
 * its own tensor's draws and a and b must share κ̂, that stream is a
 * counter-based hash of the element index (splitmix64 under a fixed key),
 * the same for a and b of every case; a's own draws are not used. */
static void rwkv7_w(const sq_shape *s, int causal, float *v, int64_t n) {
  (void)s;
  for (int64_t i = 0; i < n; i++) v[i] = (float)(-6.0 + 2.75 * (v[i] + 1.0));
}

static double kappa(int64_t i) {
  uint64_t x = (uint64_t)i + 0x6b617070615f3737ull + 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return (double)(x >> 40) / (double)(1u << 23) - 1.0;
}

/* v[i] = sign κ̂_i times (η_i from the draws when eta, else 1). */
static void rwkv7_kappa(const sq_shape *s, float *v, int64_t n, double sign, int eta) {
  int64_t N = sq_shape_int(s, "N");
  for (int64_t g = 0; g + N <= n; g += N) {
    double ss = 0;
    for (int64_t j = 0; j < N; j++) ss += kappa(g + j) * kappa(g + j);
    double inv = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
    for (int64_t j = 0; j < N; j++) {
      double e = eta ? 1.0 / (1.0 + exp(-2.0 * v[g + j])) : 1.0;
      v[g + j] = (float)(sign * kappa(g + j) * inv * e);
    }
  }
}

static void rwkv7_a(const sq_shape *s, int causal, float *v, int64_t n) { rwkv7_kappa(s, v, n, -1.0, 0); }
static void rwkv7_b(const sq_shape *s, int causal, float *v, int64_t n) { rwkv7_kappa(s, v, n, 1.0, 1); }

const sq_op sq_op_rwkv7 = {
  "wkv.rwkv7", "RWKV-7 generalised delta rule (causal)",
  {AX_B, AX_T, AX_H, AX_INT("N", KEY, 1, 256, 64, "head size"), AX_STATE},
  {IN("r", "B,T,H,N"), IN_INIT("w", "B,T,H,N", NULL, rwkv7_w), IN("k", "B,T,H,N"), IN("v", "B,T,H,N"),
   IN_INIT("a", "B,T,H,N", NULL, rwkv7_a), IN_INIT("b", "B,T,H,N", NULL, rwkv7_b), STATE_IN("B,H,N,N"),
   OUT("o", "B,T,H,N"), STATE_OUT("B,H,N,N")},
  causal_only, NULL, 0, rwkv_heads, "B=1,H=1,N=64", "B=1,H=1,N=16",
};

/* ---- local-window softmax attention (FAMILIES.md §4) ------------------- */

#define WINDOW_TENSORS(tok)                                                                    \
  IN("q", "B,H," tok ",D"), IN("k", "B,H," tok ",D"), IN("v", "B,H," tok ",DV"),               \
  {"rpb", 0, NULL, 1, "has_rpb", rpb_dims, NULL}, OUT("o", "B,H," tok ",DV")

/* Swin and Video Swin: a grid of `rank` axes tiled by windows, a cyclic
 * shift, an optional bias. */
#define WINDOW_AXES(rank, grid_doc, win_doc)                                                   \
  AX_B, AX_H, AX_D, AX_DV, AX_LIST("grid", rank, TOKENS | REQ, 1, 65536, 0, grid_doc),          \
  AX_LIST("win", rank, KEY | REQ, 1, 256, 0, win_doc),                                          \
  AX_LIST("shift", rank, KEY, 0, 255, 0, "cyclic shift per axis"), AX_SCALE,                    \
  AX_BOOL("has_rpb", KEY, 0, "relative position bias rpb")

/* Swin's bias table, head-major: [H][2M_0-1][2M_1-1](...). */
static int rpb_dims(const sq_shape *s, int64_t *dims) {
  int a = sq_op_axis_index(s->op, "win");
  int len = s->op->axes[a].len;
  dims[0] = sq_shape_int(s, "H");
  for (int i = 0; i < len; i++) dims[1 + i] = 2 * (int64_t)s->v[a][i] - 1;
  return 1 + len;
}

static int noncausal_only(const sq_shape *s, int causal, char *why, size_t n) {
  if (causal) {
    snprintf(why, n, "%s is non-causal only", s->op->name);
    return SQ_EINVAL;
  }
  return 0;
}

/* Windows tile the grid and shifts stay inside a window (Swin pads the grid
 * outside the kernel). */
static int windows_check(const sq_shape *s, int causal, char *why, size_t n) {
  if (noncausal_only(s, causal, why, n)) return SQ_EINVAL;
  int g = sq_op_axis_index(s->op, "grid"), w = sq_op_axis_index(s->op, "win"), sh = sq_op_axis_index(s->op, "shift");
  for (int i = 0; i < s->op->axes[g].len; i++) {
    int64_t L = (int64_t)s->v[g][i], M = (int64_t)s->v[w][i], S = (int64_t)s->v[sh][i];
    if (L % M) {
      snprintf(why, n, "grid axis %d (%lld) is not a multiple of its window (%lld)", i, (long long)L, (long long)M);
      return SQ_EINVAL;
    }
    if (S >= M) {
      snprintf(why, n, "shift %lld on axis %d is not below its window (%lld)", (long long)S, i, (long long)M);
      return SQ_EINVAL;
    }
  }
  return 0;
}

static int sliding_check(const sq_shape *s, int causal, char *why, size_t n) {
  if (causal && sq_shape_int(s, "window_right")) {
    snprintf(why, n, "a causal sliding window has window_right=0");
    return SQ_EINVAL;
  }
  return 0;
}

const sq_op sq_op_sliding_1d = {
  "local_attn.sliding_1d", "banded softmax attention, keys in [t - left, t + right]",
  {AX_B, AX_H, AX_T, AX_D, AX_DV, AX_INT("window_left", KEY | REQ, 0, MAX_TOKENS, 0, "keys before the query"),
   AX_INT("window_right", KEY, 0, MAX_TOKENS, 0, "keys after the query"), AX_SCALE},
  {ATTN_TENSORS},
  sliding_check, NULL, 0, same_heads, "B=1,H=2,D=64,window_left=256", "B=1,H=1,D=16,window_left=4096",
};

const sq_op sq_op_window_2d = {
  "local_attn.window_2d", "Swin window attention on an Hg x Wg grid, optional cyclic shift and bias",
  {WINDOW_AXES(2, "token grid Hg x Wg", "window Mh x Mw")},
  {WINDOW_TENSORS("grid")},
  windows_check, NULL, 0, same_heads, "B=1,H=2,D=64,win=8x8,shift=4x4,has_rpb=1", NULL,
};

const sq_op sq_op_window_3d = {
  "local_attn.window_3d", "Video Swin window attention on a Tg x Hg x Wg grid",
  {WINDOW_AXES(3, "token grid Tg x Hg x Wg", "window Mt x Mh x Mw")},
  {WINDOW_TENSORS("grid")},
  windows_check, NULL, 0, same_heads, "B=1,H=2,D=64,win=4x8x8,shift=2x4x4,has_rpb=1", NULL,
};

static int neighborhood_check(const sq_shape *s, int causal, char *why, size_t n) {
  if (noncausal_only(s, causal, why, n)) return SQ_EINVAL;
  for (int i = 0; i < 2; i++) {
    int64_t L = sq_shape_list(s, "grid", i), k = sq_shape_list(s, "kernel_size", i);
    int64_t d = sq_shape_list(s, "dilation", i);
    if (k * d > L) {
      snprintf(why, n, "kernel_size %lld x dilation %lld on axis %d exceeds the grid (%lld)", (long long)k,
               (long long)d, i, (long long)L);
      return SQ_EINVAL;
    }
  }
  return 0;
}

const sq_op sq_op_neighborhood_2d = {
  "local_attn.neighborhood_2d", "NATTEN neighbourhood attention with dilation on an Hg x Wg grid",
  {AX_B, AX_H, AX_D, AX_DV, AX_LIST("grid", 2, TOKENS | REQ, 1, 65536, 0, "token grid Hg x Wg"),
   AX_LIST("kernel_size", 2, KEY | REQ, 1, 1024, 0, "neighbourhood kh x kw"),
   AX_LIST("dilation", 2, KEY, 1, 65536, 1, "dilation per axis"), AX_SCALE},
  {IN("q", "B,H,grid,D"), IN("k", "B,H,grid,D"), IN("v", "B,H,grid,DV"), OUT("o", "B,H,grid,DV")},
  neighborhood_check, NULL, 0, same_heads, "B=1,H=2,D=64,kernel_size=7x7", NULL,
};

/* ---- the catalog's other pending kinds (FAMILIES.md §6) ---------------- */

/* Queries and keys of different lengths: CrossViT's fusion (one CLS query
 * over the other branch's tokens), PVTv2's spatial-reduction attention
 * (N queries over N/sr^2 keys) and FaViT's branches (N queries over 49
 * pooled window keys or N/sr^2 reduced keys). Every query sees every key. */
const sq_op sq_op_softmax_attn_cross = {
  "softmax_attn.cross", "softmax attention of TQ queries over TK keys of another sequence (non-causal)",
  {AX_B, AX_H, AX_INT("TQ", TOKENS | REQ, 1, MAX_TOKENS, 0, "queries"),
   AX_INT("TK", SQ_AX_BUCKET | REQ, 1, MAX_TOKENS, 0, "keys and values"), AX_D, AX_DV},
  {IN("q", "B,H,TQ,D"), IN("k", "B,H,TK,D"), IN("v", "B,H,TK,DV"), OUT("o", "B,H,TQ,DV")},
  noncausal_only, "pending:cross_attn", 0, NULL, "B=1,H=2,D=64,TK=49", NULL,
};

/* HyperAttention (insuhan/hyper-attn): keys and queries sorted by an
 * angular LSH of lsh_num_projs bits, attention inside diagonal blocks of
 * block_size of the sorted order, plus sample_size uniformly sampled key
 * columns for the rest; sequences shorter than min_seq_len (and, causal,
 * the recursion's leaves) use exact attention. Defaults: the repository's
 * benchmark_single_attention.py. */
const sq_op sq_op_hyper_attn = {
  "approx_attn.hyper", "HyperAttention: sortLSH block-diagonal attention plus sampled columns",
  {AX_B, AX_H, AX_T, AX_D, AX_DV,
   AX_INT("block_size", KEY, 1, 65536, 256, "block of the block-diagonal part, in sorted tokens"),
   AX_INT("sample_size", KEY, 0, 65536, 256, "key columns sampled for the residual"),
   AX_INT("lsh_num_projs", KEY, 1, 30, 7, "bits of the sortLSH hash"),
   AX_INT("min_seq_len", KEY, 1, MAX_TOKENS, 4096, "below this length, exact attention")},
  {ATTN_TENSORS},
  NULL, "pending:approx_attn", 0, same_heads, NULL, NULL,
};

/* Block-diagonal attention over segments packed along T (FlashAttention's
 * varlen with cu_seqlens). The segment lengths are data, not a size, so
 * the op names the layouts the catalog needs: M-VAR's intra-scale
 * attention over VAR's scales, patch_nums 1,2,3,4,5,6,8,10,13,16 squared
 * (1 + 4 + ... + 256 = 680 tokens at 256 px). */
static const char *const varlen_names[] = {"var256", NULL};
/* Each layout's segment starts, the last being its token count. */
static const int64_t var256_starts[] = {0, 1, 5, 14, 30, 55, 91, 155, 255, 424, 680};
static const struct { const int64_t *starts; int nseg; } varlen_layouts[] = {{var256_starts, 10}};

int sq_varlen_segments(const sq_shape *s, const int64_t **starts) {
  const int layout = (int)sq_shape_int(s, "scales");
  *starts = varlen_layouts[layout].starts;
  return varlen_layouts[layout].nseg;
}

static int varlen_check(const sq_shape *s, int causal, char *why, size_t n) {
  const int64_t *starts;
  const int nseg = sq_varlen_segments(s, &starts);
  const int64_t want = starts[nseg], T = sq_shape_int(s, "T");
  if (T != want) {
    snprintf(why, n, "T=%lld but scales=%s packs %lld tokens", (long long)T,
             varlen_names[sq_shape_int(s, "scales")], (long long)want);
    return SQ_EINVAL;
  }
  return 0;
}

const sq_op sq_op_softmax_attn_varlen = {
  "softmax_attn.varlen", "softmax attention inside each packed segment (block-diagonal, FlashAttention varlen)",
  {AX_B, AX_H, AX_T, AX_D, AX_DV,
   {"scales", SQ_AXIS_ENUM, 1, SQ_AX_OPTION | KEY, 0, 0, 0, NULL, NULL, NULL, varlen_names,
    "segment layout: var256 = VAR's 10 scales 1,4,9,...,256 (680 tokens)"}},
  {ATTN_TENSORS},
  varlen_check, "pending:varlen_attn", 0, same_heads, NULL, NULL,
};

/* Local linear attention (FlashLLA): per query a local linear regression of
 * v on k, weighted by the softmax kernel, with a ridge term; FlashLLA
 * solves the D x D system by conjugate gradients. One head per call in the
 * reference code (H=1). cg_max_iters 32 is its README's; the paper sweeps
 * ridge_lambda over 0.1..10. */
const sq_op sq_op_local_linear_attn = {
  "local_linear_attn", "local linear attention: a ridge-regularised local linear fit per query (FlashLLA)",
  {AX_B, AX_H, AX_T, AX_D, AX_DV,
   AX_INT("cg_max_iters", KEY, 1, 1024, 32, "conjugate-gradient iterations per query"),
   {"ridge_lambda", SQ_AXIS_REAL, 1, SQ_AX_OPTION, 1e-6, 1e6, 1, NULL, NULL, NULL, NULL,
    "ridge regularisation of the local fit"}},
  {ATTN_TENSORS},
  NULL, "pending:local_linear_attn", 0, same_heads, NULL, NULL,
};

const sq_op *const sq_ops[] = {
  &sq_op_linear_attn, &sq_op_softmax_attn, &sq_op_linear_attn_decay, &sq_op_linear_attn_gla,
  &sq_op_selective_scan, &sq_op_ssd, &sq_op_rwkv4, &sq_op_rwkv6, &sq_op_rwkv7,
  &sq_op_sliding_1d, &sq_op_window_2d, &sq_op_window_3d, &sq_op_neighborhood_2d,
  &sq_op_softmax_attn_cross, &sq_op_hyper_attn, &sq_op_softmax_attn_varlen, &sq_op_local_linear_attn,
};
const int sq_nops = (int)(sizeof sq_ops / sizeof sq_ops[0]);
