/* SPDX-License-Identifier: BSD-3-Clause */
/* The double-precision reference of gated and decayed linear attention,
 * straight from the recurrences of FAMILIES.md §5, for both ops
 * (linear_attn.decay: one log decay per head; linear_attn.gla: one log gate
 * per token and key channel) and both modes. Causal:
 *   S_{-1} = h0 (state) or 0,  S_t = diag(exp(g_t)) S_{t-1} + k_t v_t^T,
 *   o_t = scale S_t^T q_t,  ht = S_{T-1};
 * bidirectional: o_t = scale (S^f_t + S^b_t)^T q_t, the forward scan with g
 * and the backward scan (t = T-1 .. 0) with gb (decay: the same gamma), the
 * diagonal term counted in both, as ViG's bid_scan adds them.
 * A gate is applied as S += expm1(g) S, so a log gate of -1e-7 is not lost
 * to rounding, and a gate of -80 gives exactly 0 rather than a NaN. Only the
 * rows asked for are written: the causal scan stops at the last of them
 * unless the final state is wanted, and the backward scan stops at the
 * first. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/gated_attn.h"

/* One (b, h) instance's inputs and the scratch of a scan. */
typedef struct ga_ref {
  const sq_problem *p;
  sq_ga_slots sl;
  int64_t T, D, DV;
  double scale;
  const float *q, *k, *v, *gate, *gate_b;   /* already offset to the (b, h) */
  double *S;                                /* D x DV, key-major */
  double *a;                                /* expm1 of this token's gate, per key channel */
} ga_ref;

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= ga_T(p))
      return sq_fail(SQ_EINVAL, "%s reference: row %lld outside [0, T=%lld)", p->shape.op->name,
                     (long long)rows[r], (long long)ga_T(p));
    if (r && rows[r] < rows[r - 1])
      return sq_fail(SQ_EINVAL, "%s reference: rows are not sorted at index %lld", p->shape.op->name,
                     (long long)r);
  }
  return 0;
}

/* A log gate must be <= 0 (FAMILIES.md §5: a positive one is refused);
 * -inf is a gate that forgets everything, a NaN is nothing. */
static int check_gates(const sq_problem *p, const float *g, int64_t n, const char *name) {
  for (int64_t i = 0; i < n; i++)
    if (!(g[i] <= 0.0f))
      return sq_fail(SQ_EINVAL, "%s reference: %s[%lld] = %g is not a log gate <= 0", p->shape.op->name, name,
                     (long long)i, (double)g[i]);
  return 0;
}

/* Every tensor the case needs is there, and the gates are gates. */
static int check_inputs(const sq_problem *p, const sq_ga_slots *sl, const float *const *in, double *const *out) {
  const char *op = p->shape.op->name;
  int state = ga_state(p);
  if (state && !p->causal) return sq_fail(SQ_EINVAL, "%s reference: state=1 needs a causal case", op);
  if (!in[sl->q] || !in[sl->k] || !in[sl->v] || !in[sl->gate] || !out[sl->o])
    return sq_fail(SQ_EINVAL, "%s reference: q, k, v, the gate or o is missing", op);
  if (!p->causal && sl->gate_b >= 0 && !in[sl->gate_b])
    return sq_fail(SQ_EINVAL, "%s reference: a bidirectional case needs gb", op);
  if (state && (!in[sl->h0] || !out[sl->ht]))
    return sq_fail(SQ_EINVAL, "%s reference: state=1 needs h0 and ht", op);
  int64_t n = sl->per_channel ? ga_B(p) * ga_H(p) * ga_T(p) * ga_D(p) : ga_H(p);
  int rc = check_gates(p, in[sl->gate], n, sl->per_channel ? "g" : "log_gamma");
  if (!rc && !p->causal && sl->gate_b >= 0) rc = check_gates(p, in[sl->gate_b], n, "gb");
  return rc;
}

/* a[i] = expm1(gate of token t, key channel i) for one direction. */
static void gate_at(ga_ref *x, const float *gate, int64_t t) {
  for (int64_t i = 0; i < x->D; i++) x->a[i] = expm1((double)(x->sl.per_channel ? gate[t * x->D + i] : gate[0]));
}

/* S = diag(exp(gate_t)) S + k_t v_t^T. */
static void step(ga_ref *x, const float *gate, int64_t t) {
  const float *k = x->k + t * x->D, *v = x->v + t * x->DV;
  gate_at(x, gate, t);
  for (int64_t i = 0; i < x->D; i++) {
    double *row = x->S + i * x->DV, ai = x->a[i], ki = k[i];
    for (int64_t j = 0; j < x->DV; j++) row[j] += ai * row[j] + ki * v[j];
  }
}

/* out += scale S^T q_t. */
static void emit(const ga_ref *x, int64_t t, double *out) {
  const float *q = x->q + t * x->D;
  for (int64_t i = 0; i < x->D; i++) {
    const double *row = x->S + i * x->DV;
    double qi = x->scale * q[i];
    for (int64_t j = 0; j < x->DV; j++) out[j] += qi * row[j];
  }
}

/* The forward scan from S_{-1} (already in S) over t = 0 .. `until`-1,
 * adding o_t to every requested row t. */
static void scan_forward(ga_ref *x, const float *gate, int64_t until, const int64_t *rows, int64_t nrows,
                         double *o) {
  int64_t r = 0;
  for (int64_t t = 0; t < until; t++) {
    step(x, gate, t);
    for (; r < nrows && rows[r] == t; r++) emit(x, t, o + r * x->DV);
  }
}

/* The backward scan from S^b_T = 0 over t = T-1 down to the first
 * requested row. */
static void scan_backward(ga_ref *x, const float *gate, const int64_t *rows, int64_t nrows, double *o) {
  memset(x->S, 0, sizeof(double) * (size_t)(x->D * x->DV));
  int64_t r = nrows - 1;
  for (int64_t t = x->T - 1; r >= 0 && t >= rows[0]; t--) {
    step(x, gate, t);
    for (; r >= 0 && rows[r] == t; r--) emit(x, t, o + r * x->DV);
  }
}

/* One (b, h): o over the requested rows, and ht when the case has state. */
static void ref_instance(ga_ref *x, const float *const *in, int64_t bh, const int64_t *rows, int64_t nrows,
                         double *const *out) {
  const sq_problem *p = x->p;
  const int64_t T = x->T, D = x->D, DV = x->DV;
  const int64_t h = bh % ga_H(p);
  x->q = in[x->sl.q] + bh * T * D;
  x->k = in[x->sl.k] + bh * T * D;
  x->v = in[x->sl.v] + bh * T * DV;
  x->gate = x->sl.per_channel ? in[x->sl.gate] + bh * T * D : in[x->sl.gate] + h;
  /* Decay's backward scan decays with the same gamma. */
  x->gate_b = x->sl.gate_b >= 0 && !p->causal ? in[x->sl.gate_b] + bh * T * D : x->gate;
  double *o = out[x->sl.o] + bh * nrows * DV;
  memset(o, 0, sizeof(double) * (size_t)(nrows * DV));
  int state = ga_state(p);
  if (state)
    for (int64_t e = 0; e < D * DV; e++) x->S[e] = in[x->sl.h0][bh * D * DV + e];
  else
    memset(x->S, 0, sizeof(double) * (size_t)(D * DV));
  /* Without a final state to produce, nothing past the last row matters
   * (a bidirectional case has none: its backward scan covers the rest). */
  int64_t until = state ? T : nrows ? rows[nrows - 1] + 1 : 0;
  scan_forward(x, x->gate, until, rows, nrows, o);
  if (state) memcpy(out[x->sl.ht] + bh * D * DV, x->S, sizeof(double) * (size_t)(D * DV));
  if (!p->causal && nrows) scan_backward(x, x->gate_b, rows, nrows, o);
}

int sq_gated_attn_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                      double *const *out) {
  ga_ref x = {.p = p, .sl = sq_ga_slots_of(p), .T = ga_T(p), .D = ga_D(p), .DV = ga_DV(p), .scale = ga_scale(p)};
  int rc = check_rows(p, rows, nrows);
  if (!rc) rc = check_inputs(p, &x.sl, in, out);
  if (rc) return rc;
  x.S = malloc(sizeof(double) * (size_t)(x.D * x.DV + x.D));
  if (!x.S)
    return sq_fail(SQ_ENOMEM, "%s reference: no memory for a %lldx%lld state", p->shape.op->name,
                   (long long)x.D, (long long)x.DV);
  x.a = x.S + x.D * x.DV;
  for (int64_t bh = 0; bh < ga_B(p) * ga_H(p); bh++) ref_instance(&x, in, bh, rows, nrows, out);
  free(x.S);
  return 0;
}

/* Per token of a scan: the gate (an expm1 per key channel) and the update
 * S += a S + k v^T (two multiplies and two adds per state element); the
 * bidirectional form scans twice. The output of a requested row (a
 * multiply and an add per element) comes on top, but the scan runs over
 * every token whichever rows are asked for, so this is what sets the cost
 * of a long case, where the rows are sampled. */
double sq_gated_attn_ref_row_cost(const sq_problem *p) {
  double per_scan = 4.0 * (double)ga_D(p) * (double)ga_DV(p) + (double)ga_D(p);
  return p->causal ? per_scan : 2.0 * per_scan;
}
