/* SPDX-License-Identifier: BSD-3-Clause */
/* Mann-Whitney U: midranks over the pooled samples give U; the p-value
 * comes from the exact null distribution when the samples are small and
 * free of ties, otherwise from the normal approximation with the tie
 * correction of the variance and a continuity correction of 1/2. The exact
 * distribution is the coefficient list of the Gaussian binomial
 * [m+n choose m]_q, built as prod_i (1 - q^(n+i)) / (1 - q^i): one multiply
 * and one exact polynomial division per i, O(m * m * n) in all. */
#include "reports/mannwhitney.h"

#include <math.h>
#include <stdlib.h>

#include "base/error.h"

typedef struct {
  double v;
  int first; /* 1 when the value came from the first sample */
} tagged;

static int cmp_tagged(const void *x, const void *y) {
  double a = ((const tagged *)x)->v, b = ((const tagged *)y)->v;
  return (a > b) - (a < b);
}

/* Coefficients c[0..m*n] of [m+n choose m]_q: c[u] counts the orderings
 * with U = u. Doubles hold them well past 2^53 with ample relative accuracy
 * for p-values (m + n is capped). Caller frees. */
static double *null_counts(int m, int n) {
  int deg = m * n;
  double *c = calloc((size_t)deg + 1, sizeof *c);
  if (!c) return NULL;
  c[0] = 1;
  for (int i = 1; i <= m; i++) {
    int up = n + i;
    for (int k = deg; k >= up; k--) c[k] -= c[k - up];   /* times (1 - q^(n+i)) */
    for (int k = i; k <= deg; k++) c[k] += c[k - i];     /* divided by (1 - q^i) */
  }
  return c;
}

double sq_mwu_cdf_exact(int m, int n, double u) {
  if (m < 0 || n < 0 || m + n > SQ_MWU_EXACT_MAX) return NAN;
  if (u < 0) return 0;
  if (u >= (double)m * n) return 1;
  double *c = null_counts(m, n);
  if (!c) return NAN;
  double below = 0, total = 0;
  for (int k = 0; k <= m * n; k++) {
    total += c[k];
    if (k <= (int)floor(u)) below += c[k];
  }
  free(c);
  return below / total;
}

int sq_mwu_test(const double *a, int na, const double *b, int nb, sq_mwu *out) {
  if (na < 1 || nb < 1) return sq_fail(SQ_EINVAL, "Mann-Whitney U needs two non-empty samples");
  int N = na + nb;
  tagged *t = malloc((size_t)N * sizeof *t);
  if (!t) return sq_fail(SQ_ENOMEM, "Mann-Whitney U: out of memory");
  for (int i = 0; i < N; i++) {
    t[i].v = i < na ? a[i] : b[i - na];
    t[i].first = i < na;
    if (isnan(t[i].v)) {
      free(t);
      return sq_fail(SQ_EINVAL, "Mann-Whitney U: a sample is NAN");
    }
  }
  qsort(t, (size_t)N, sizeof *t, cmp_tagged);
  /* Midranks: a run of equal values shares the mean of its ranks. The run
   * lengths also give the tie term sum(t^3 - t) of the variance. */
  double r1 = 0, tie_term = 0;
  for (int i = 0; i < N;) {
    int j = i;
    while (j < N && t[j].v == t[i].v) j++;
    double len = j - i, rank = (i + 1 + j) / 2.0;
    for (int k = i; k < j; k++)
      if (t[k].first) r1 += rank;
    tie_term += len * len * len - len;
    i = j;
  }
  free(t);
  double mn = (double)na * nb;
  out->u = r1 - na * (na + 1) / 2.0;
  out->ties = tie_term > 0;
  out->exact = !out->ties && N <= SQ_MWU_EXACT_MAX;
  if (out->exact) {
    /* The null distribution is symmetric about mn/2, so the two-sided
     * p-value doubles the lower tail at the nearer end. */
    double lo = out->u < mn - out->u ? out->u : mn - out->u;
    double p = 2 * sq_mwu_cdf_exact(na, nb, lo);
    if (isnan(p)) return sq_fail(SQ_ENOMEM, "Mann-Whitney U: out of memory");
    out->p = p > 1 ? 1 : p;
    return 0;
  }
  double var = mn / 12.0 * ((N + 1) - tie_term / ((double)N * (N - 1)));
  if (var <= 0) {
    out->p = 1; /* every value equal: no evidence of any difference */
    return 0;
  }
  double z = (fabs(out->u - mn / 2) - 0.5) / sqrt(var);
  if (z < 0) z = 0;
  double p = erfc(z / sqrt(2.0));
  out->p = p > 1 ? 1 : p;
  return 0;
}
