/* SPDX-License-Identifier: BSD-3-Clause */
/* Double-precision references for linear attention, written straight from
 * the equations of Katharopoulos et al. 2020 ("Transformers are RNNs"):
 * causal S_t = S_{t-1} + phi(k_t) v_t^T, z_t = z_{t-1} + phi(k_t),
 * o_t = S_t^T phi(q_t) [/ (phi(q_t) . z_t)]; non-causal the same with S and z
 * summed over every t. phi is the identity or elu(x) + 1. No 1/sqrt(D) scale.
 * The causal reference walks the recurrence up to the last requested row and
 * writes only the requested rows (sorted, so one pass serves them all). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/linear_attn.h"

static double phi(double x, sq_fmap f) {
  if (f == SQ_FMAP_ELU1) return x > 0.0 ? x + 1.0 : exp(x);
  return x;
}

/* Scratch of one (b, h): the state, the normaliser and phi of one row. */
typedef struct ref_state {
  double *S, *z, *fq, *fk;
} ref_state;

static int state_alloc(const sq_problem *p, ref_state *r) {
  r->S = calloc((size_t)(att_D(p) * att_DV(p) + 3 * att_D(p)), sizeof(double));
  if (!r->S) return sq_fail(SQ_ENOMEM, "linear_attn reference: no memory for a %lldx%lld state",
                            (long long)att_D(p), (long long)att_DV(p));
  r->z = r->S + att_D(p) * att_DV(p);
  r->fq = r->z + att_D(p);
  r->fk = r->fq + att_D(p);
  return 0;
}

static void state_reset(const sq_problem *p, ref_state *r) {
  memset(r->S, 0, (size_t)(att_D(p) * att_DV(p) + att_D(p)) * sizeof(double));
}

/* S += phi(k) v^T, z += phi(k) for one token. */
static void state_add(const sq_problem *p, ref_state *r, const float *k, const float *v) {
  for (int64_t i = 0; i < att_D(p); i++) r->fk[i] = phi(k[i], att_fmap(p));
  for (int64_t i = 0; i < att_D(p); i++) {
    double *row = r->S + i * att_DV(p);
    for (int64_t j = 0; j < att_DV(p); j++) row[j] += r->fk[i] * v[j];
    r->z[i] += r->fk[i];
  }
}

/* out = S^T phi(q) [/ (phi(q) . z)]. */
static void state_out(const sq_problem *p, ref_state *r, const float *q, double *out) {
  double den = 0.0;
  for (int64_t i = 0; i < att_D(p); i++) {
    r->fq[i] = phi(q[i], att_fmap(p));
    den += r->fq[i] * r->z[i];
  }
  for (int64_t j = 0; j < att_DV(p); j++) out[j] = 0.0;
  for (int64_t i = 0; i < att_D(p); i++) {
    const double *row = r->S + i * att_DV(p);
    for (int64_t j = 0; j < att_DV(p); j++) out[j] += r->fq[i] * row[j];
  }
  if (att_normalize(p))
    for (int64_t j = 0; j < att_DV(p); j++) out[j] /= den;
}

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= att_T(p))
      return sq_fail(SQ_EINVAL, "linear_attn reference: row %lld outside [0, T=%lld)",
                     (long long)rows[r], (long long)att_T(p));
    if (r && rows[r] < rows[r - 1])
      return sq_fail(SQ_EINVAL, "linear_attn reference: rows are not sorted at index %lld", (long long)r);
  }
  return 0;
}

/* Both forms in one pass per (b, h): the causal one emits each requested
 * row as soon as the state has absorbed token t; the non-causal one first
 * absorbs every token. */
static int ref_run(const sq_problem *p, const float *q, const float *k, const float *v, const int64_t *rows,
                   int64_t nrows, double *o, int causal) {
  int err = check_rows(p, rows, nrows);
  ref_state rs;
  if (err || (err = state_alloc(p, &rs))) return err;
  for (int64_t bh = 0; bh < att_B(p) * att_H(p); bh++) {
    const float *qb = q + bh * att_T(p) * att_D(p), *kb = k + bh * att_T(p) * att_D(p), *vb = v + bh * att_T(p) * att_DV(p);
    double *ob = o + bh * nrows * att_DV(p);
    state_reset(p, &rs);
    int64_t r = 0;
    for (int64_t t = 0; t < att_T(p) && (!causal || r < nrows); t++) {
      state_add(p, &rs, kb + t * att_D(p), vb + t * att_DV(p));
      for (; causal && r < nrows && rows[r] == t; r++) state_out(p, &rs, qb + t * att_D(p), ob + r * att_DV(p));
    }
    for (; r < nrows; r++) state_out(p, &rs, qb + rows[r] * att_D(p), ob + r * att_DV(p));
  }
  free(rs.S);
  return 0;
}

int sq_linear_attn_ref_causal(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                              double *const *out) {
  return ref_run(p, in[SQ_ATT_Q], in[SQ_ATT_K], in[SQ_ATT_V], rows, nrows, out[SQ_ATT_O], 1);
}

int sq_linear_attn_ref_noncausal(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                                 double *const *out) {
  return ref_run(p, in[SQ_ATT_Q], in[SQ_ATT_K], in[SQ_ATT_V], rows, nrows, out[SQ_ATT_O], 0);
}

double sq_linear_attn_ref_row_cost(const sq_problem *p) {
  return 2.0 * (double)att_D(p) * (double)att_DV(p);
}
