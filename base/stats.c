/* SPDX-License-Identifier: BSD-3-Clause */
/* Summary statistics of timing samples: order statistics by sorting a
 * copy, moments in one pass over the sorted values. */
#include "base/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double sq_quantile_sorted(const double *sorted, int n, double q) {
  if (n <= 0) return NAN;
  double pos = q * (n - 1);
  int lo = (int)floor(pos);
  int hi = lo + 1 < n ? lo + 1 : n - 1;
  double frac = pos - lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

void sq_stats_compute(const double *x, int n, sq_stats *out) {
  memset(out, 0, sizeof *out);
  out->n = n;
  if (n <= 0) {
    out->min = out->q1 = out->median = out->mean = out->q3 = out->max = NAN;
    out->stddev = out->noise = NAN;
    return;
  }
  double *s = malloc(sizeof *s * n);
  if (!s) return;
  memcpy(s, x, sizeof *s * n);
  qsort(s, n, sizeof *s, cmp_double);
  double sum = 0;
  for (int i = 0; i < n; i++) sum += s[i];
  double mean = sum / n, ss = 0;
  for (int i = 0; i < n; i++) ss += (s[i] - mean) * (s[i] - mean);
  out->min = s[0];
  out->max = s[n - 1];
  out->q1 = sq_quantile_sorted(s, n, 0.25);
  out->median = sq_quantile_sorted(s, n, 0.5);
  out->q3 = sq_quantile_sorted(s, n, 0.75);
  out->mean = mean;
  out->stddev = n > 1 ? sqrt(ss / (n - 1)) : 0;
  out->noise = mean > 0 ? out->stddev / mean : 0;
  free(s);
}
