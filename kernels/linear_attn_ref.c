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

#include "harness/error.h"
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
  r->S = calloc((size_t)(p->D * p->DV + 3 * p->D), sizeof(double));
  if (!r->S) return sq_fail(SQ_ENOMEM, "linear_attn reference: no memory for a %lldx%lld state",
                            (long long)p->D, (long long)p->DV);
  r->z = r->S + p->D * p->DV;
  r->fq = r->z + p->D;
  r->fk = r->fq + p->D;
  return 0;
}

static void state_reset(const sq_problem *p, ref_state *r) {
  memset(r->S, 0, (size_t)(p->D * p->DV + p->D) * sizeof(double));
}

/* S += phi(k) v^T, z += phi(k) for one token. */
static void state_add(const sq_problem *p, ref_state *r, const float *k, const float *v) {
  for (int64_t i = 0; i < p->D; i++) r->fk[i] = phi(k[i], p->fmap);
  for (int64_t i = 0; i < p->D; i++) {
    double *row = r->S + i * p->DV;
    for (int64_t j = 0; j < p->DV; j++) row[j] += r->fk[i] * v[j];
    r->z[i] += r->fk[i];
  }
}

/* out = S^T phi(q) [/ (phi(q) . z)]. */
static void state_out(const sq_problem *p, ref_state *r, const float *q, double *out) {
  double den = 0.0;
  for (int64_t i = 0; i < p->D; i++) {
    r->fq[i] = phi(q[i], p->fmap);
    den += r->fq[i] * r->z[i];
  }
  for (int64_t j = 0; j < p->DV; j++) out[j] = 0.0;
  for (int64_t i = 0; i < p->D; i++) {
    const double *row = r->S + i * p->DV;
    for (int64_t j = 0; j < p->DV; j++) out[j] += r->fq[i] * row[j];
  }
  if (p->normalize)
    for (int64_t j = 0; j < p->DV; j++) out[j] /= den;
}

static int check_rows(const sq_problem *p, const int64_t *rows, int64_t nrows) {
  for (int64_t r = 0; r < nrows; r++) {
    if (rows[r] < 0 || rows[r] >= p->T)
      return sq_fail(SQ_EINVAL, "linear_attn reference: row %lld outside [0, T=%lld)",
                     (long long)rows[r], (long long)p->T);
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
  for (int64_t bh = 0; bh < p->B * p->H; bh++) {
    const float *qb = q + bh * p->T * p->D, *kb = k + bh * p->T * p->D, *vb = v + bh * p->T * p->DV;
    double *ob = o + bh * nrows * p->DV;
    state_reset(p, &rs);
    int64_t r = 0;
    for (int64_t t = 0; t < p->T && (!causal || r < nrows); t++) {
      state_add(p, &rs, kb + t * p->D, vb + t * p->DV);
      for (; causal && r < nrows && rows[r] == t; r++) state_out(p, &rs, qb + t * p->D, ob + r * p->DV);
    }
    for (; r < nrows; r++) state_out(p, &rs, qb + rows[r] * p->D, ob + r * p->DV);
  }
  free(rs.S);
  return 0;
}

int sq_linear_attn_ref_causal(const sq_problem *p, const float *q, const float *k, const float *v,
                              const int64_t *rows, int64_t nrows, double *o) {
  return ref_run(p, q, k, v, rows, nrows, o, 1);
}

int sq_linear_attn_ref_noncausal(const sq_problem *p, const float *q, const float *k, const float *v,
                                 const int64_t *rows, int64_t nrows, double *o) {
  return ref_run(p, q, k, v, rows, nrows, o, 0);
}

double sq_linear_attn_ref_row_cost(const sq_problem *p) {
  return 2.0 * (double)p->D * (double)p->DV;
}
