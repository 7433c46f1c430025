/* SPDX-License-Identifier: BSD-3-Clause */
/* Summary statistics of a set of timing samples. */
#ifndef SQ_STATS_H
#define SQ_STATS_H

typedef struct sq_stats {
  int n;
  double min, q1, median, mean, q3, max;
  double stddev;           /* sample standard deviation */
  double noise;            /* relative noise: stddev / mean */
} sq_stats;

/* Computes the statistics of x[0..n) (x is not modified). Quartiles use
 * linear interpolation between order statistics (type 7, as numpy). */
void sq_stats_compute(const double *x, int n, sq_stats *out);

/* Quantile q in [0, 1] of sorted[0..n). */
double sq_quantile_sorted(const double *sorted, int n, double q);

#endif
