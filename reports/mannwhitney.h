/* SPDX-License-Identifier: BSD-3-Clause */
/* The Mann-Whitney U test (Wilcoxon rank-sum) on two independent samples,
 * used by `subquad compare` to decide whether two sets of timings come from
 * the same distribution without assuming they are normal: timings are
 * skewed, with a long tail of interrupted runs. */
#ifndef SQ_MANNWHITNEY_H
#define SQ_MANNWHITNEY_H

typedef struct sq_mwu {
  double u;      /* U of the first sample: pairs (a > b) plus half the ties */
  double p;      /* two-sided p-value */
  int exact;     /* 1: exact null distribution; 0: normal approximation */
  int ties;      /* 1 when some values are shared between or within samples */
} sq_mwu;

/* Largest na + nb for which the exact distribution is used (no ties). */
#define SQ_MWU_EXACT_MAX 100

/* Tests a[0..na) against b[0..nb). Exact distribution when there are no
 * ties and na + nb <= SQ_MWU_EXACT_MAX; otherwise the normal approximation
 * with tie correction and continuity correction. Returns 0, or SQ_EINVAL
 * when a sample is empty or holds a NAN, SQ_ENOMEM. */
int sq_mwu_test(const double *a, int na, const double *b, int nb, sq_mwu *out);

/* P(U <= u) under the null hypothesis for sample sizes m and n without
 * ties (exact; u may be fractional, it is floored). NAN when m + n exceeds
 * SQ_MWU_EXACT_MAX. */
double sq_mwu_cdf_exact(int m, int n, double u);

#endif
