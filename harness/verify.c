/* SPDX-License-Identifier: BSD-3-Clause */
/* Row selection, comparison and canaries for verification. The error is
 * measured against |r| + rms(r), so elements near zero do not make a correct
 * result look wrong, while a wrong large element still counts fully. Any
 * output layout is compared the same way: as [outer][token][inner], where
 * outer and inner are the products of the dims before and after the token
 * dim (a tensor without one is all inner). */
#include "harness/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

double sq_tolerance(sq_dtype dt) {
  switch (dt) {
  case SQ_F16: return 1e-2;
  case SQ_BF16: return 4e-2;
  default: return 1e-3;
  }
}

int64_t *sq_verify_rows(const sq_kernel *k, const sq_problem *p, double budget_flops,
                        int64_t *nrows, int64_t *stride) {
  const int64_t T = sq_shape_tokens(&p->shape);
  const double instances = sq_shape_instances(&p->shape);
  double per_row = k->reference_row_cost ? k->reference_row_cost(p) : 1;
  double full = per_row * (double)T * instances;
  int64_t want = T;
  if (full > budget_flops) {
    want = (int64_t)(budget_flops / (per_row * instances));
    if (want < 16) want = 16;
    if (want > T) want = T;
  }
  int64_t step = want >= T ? 1 : (T + want - 1) / want;
  int64_t n = (T + step - 1) / step;
  int extra = (T - 1) % step != 0;
  int64_t *rows = malloc(sizeof *rows * (size_t)(n + extra));
  if (!rows) return NULL;
  for (int64_t i = 0; i < n; i++) rows[i] = i * step;
  if (extra) rows[n++] = T - 1;
  *nrows = n;
  *stride = step;
  return rows;
}

/* The tensor as [outer][tokens][inner]; tokens is 1 without a token dim. */
typedef struct split3 {
  int64_t outer, tokens, inner;
  int token_dim, nd;
  int64_t dims[SQ_TENSOR_MAX_DIMS];
} split3;

static split3 split_tensor(const sq_problem *p, int t) {
  const sq_tensor *ts = &p->shape.op->tensors[t];
  split3 s = {1, 1, 1, sq_tensor_token_dim(&p->shape, ts), 0, {0}};
  s.nd = sq_tensor_dims(&p->shape, ts, s.dims);
  for (int i = 0; i < s.nd; i++) {
    if (i == s.token_dim) s.tokens = s.dims[i];
    else if (s.token_dim >= 0 && i < s.token_dim) s.outer *= s.dims[i];
    else s.inner *= s.dims[i];
  }
  return s;
}

double sq_verify_ref_elems(const sq_problem *p, int t, int64_t nrows) {
  split3 s = split_tensor(p, t);
  return (double)s.outer * (double)(s.token_dim >= 0 ? nrows : 1) * (double)s.inner;
}

/* "o at b=0 h=1 t=4095 dv=17": the coordinates of full-layout element i. */
static void name_element(const sq_problem *p, int t, const split3 *s, int64_t i, char *buf, size_t n) {
  const sq_tensor *ts = &p->shape.op->tensors[t];
  int64_t coord[SQ_TENSOR_MAX_DIMS];
  for (int d = s->nd - 1; d >= 0; d--) {
    coord[d] = s->dims[d] ? i % s->dims[d] : 0;
    i = s->dims[d] ? i / s->dims[d] : 0;
  }
  size_t used = (size_t)snprintf(buf, n, "%s at", ts->name);
  for (int d = 0; d < s->nd && used < n; d++) {
    char name[40];
    sq_tensor_dim_name(&p->shape, ts, d, name, sizeof name);
    used += (size_t)snprintf(buf + used, n - used, " %s=%lld", name, (long long)coord[d]);
  }
}

void sq_verify_tensor(const sq_problem *p, int t, const float *o, const double *ref, const int64_t *rows,
                      int64_t nrows, sq_accuracy *v) {
  split3 s = split_tensor(p, t);
  int64_t nr = s.token_dim >= 0 ? nrows : 1;
  size_t count = (size_t)(s.outer * nr * s.inner);
  double ss = 0;
  for (size_t i = 0; i < count; i++) ss += ref[i] * ref[i];
  double rms = count ? sqrt(ss / (double)count) : 0;
  if (rms == 0) rms = 1e-30;
  v->max_rel_err = 0;
  v->bad_value = 0;
  v->where[0] = '\0';
  int64_t worst = -1;
  for (int64_t a = 0; a < s.outer; a++)
    for (int64_t r = 0; r < nr; r++)
      for (int64_t j = 0; j < s.inner; j++) {
        int64_t row = s.token_dim >= 0 ? rows[r] : 0;
        int64_t at = (a * s.tokens + row) * s.inner + j;
        double got = o[at];
        double want = ref[(a * nr + r) * s.inner + j];
        double err = isfinite(got) ? fabs(got - want) / (fabs(want) + rms) : INFINITY;
        if (!isfinite(got)) v->bad_value = 1;
        if (err > v->max_rel_err) { /* the first NaN/Inf stays the worst */
          v->max_rel_err = err;
          worst = at;
        }
      }
  if (worst >= 0) name_element(p, t, &s, worst, v->where, sizeof v->where);
}

long sq_canary_check(const unsigned char *canary, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (canary[i] != SQ_CANARY_BYTE) return (long)i;
  return -1;
}
