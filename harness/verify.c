/* Row selection, comparison and canaries for verification. The error is
 * measured against |r| + rms(r), so elements near zero do not make a correct
 * result look wrong, while a wrong large element still counts fully. */
#include "harness/verify.h"

#include <math.h>
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
  double per_row = k->reference_row_cost ? k->reference_row_cost(p) : 1;
  double full = per_row * (double)p->T * (double)(p->B * p->H);
  int64_t want = p->T;
  if (full > budget_flops) {
    want = (int64_t)(budget_flops / (per_row * (double)(p->B * p->H)));
    if (want < 16) want = 16;
    if (want > p->T) want = p->T;
  }
  int64_t step = want >= p->T ? 1 : (p->T + want - 1) / want;
  int64_t n = (p->T + step - 1) / step;
  int extra = (p->T - 1) % step != 0;
  int64_t *rows = malloc(sizeof *rows * (size_t)(n + extra));
  if (!rows) return NULL;
  for (int64_t i = 0; i < n; i++) rows[i] = i * step;
  if (extra) rows[n++] = p->T - 1;
  *nrows = n;
  *stride = step;
  return rows;
}

void sq_verify_compare(const sq_problem *p, const float *o, const double *ref,
                       const int64_t *rows, int64_t nrows, sq_verdict *v) {
  int64_t DV = p->DV, bh = p->B * p->H;
  double ss = 0;
  size_t count = (size_t)(bh * nrows * DV);
  for (size_t i = 0; i < count; i++) ss += ref[i] * ref[i];
  double rms = count ? sqrt(ss / (double)count) : 0;
  if (rms == 0) rms = 1e-30;
  v->max_rel_err = 0;
  v->bad_value = 0;
  v->where[0] = v->where[1] = v->where[2] = v->where[3] = 0;
  for (int64_t b = 0; b < bh; b++)
    for (int64_t r = 0; r < nrows; r++)
      for (int64_t j = 0; j < DV; j++) {
        double got = o[(b * p->T + rows[r]) * DV + j];
        double want = ref[(b * nrows + r) * DV + j];
        double err = isfinite(got) ? fabs(got - want) / (fabs(want) + rms) : INFINITY;
        if (!isfinite(got)) v->bad_value = 1;
        if (err > v->max_rel_err) { /* the first NaN/Inf stays the worst */
          v->max_rel_err = err;
          v->where[0] = b / p->H;
          v->where[1] = b % p->H;
          v->where[2] = rows[r];
          v->where[3] = j;
        }
      }
}

long sq_canary_check(const unsigned char *canary, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (canary[i] != SQ_CANARY_BYTE) return (long)i;
  return -1;
}
