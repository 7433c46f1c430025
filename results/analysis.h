/* SPDX-License-Identifier: BSD-3-Clause */
/* Analyses over result rows shared by `run`, `report` and the workloads
 * summaries: log-log slopes of time against tokens, speedups of the
 * sub-quadratic kernels over the faster quadratic baseline, and the
 * crossover token count where a linear kernel overtakes it. */
#ifndef SQ_ANALYSIS_H
#define SQ_ANALYSIS_H

#include <stdio.h>

#include "results/result.h"

/* Least-squares slope of log(y) against log(x) over points with x, y > 0;
 * NAN with fewer than two points. */
double sq_loglog_slope(const double *x, const double *y, int n);

/* Slope of a kernel's median time against T over rows that are `ok` and
 * match (kernel, causal), restricted to T in [tmin, tmax]. */
double sq_rows_slope(const sq_result *rows, int n, const char *kernel, int causal,
                     long long tmin, long long tmax);

/* Prints, for each (causal, B, H, D, dtype) group and each T, the median
 * time of every kernel and the speedup of each linear kernel over the faster
 * softmax baseline at that T, then the log-log slopes. */
void sq_print_speedup_table(FILE *f, const sq_result *rows, int n);

/* The smallest measured T from which `kernel` stays faster than the faster
 * quadratic baseline of the same group (ok rows only); -1 when it never
 * overtakes, 0 when it is faster at every measured T. */
long long sq_rows_crossover(const sq_result *rows, int n, const char *kernel, int causal);

#endif
