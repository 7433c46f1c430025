/* SPDX-License-Identifier: BSD-3-Clause */
/* The paired verdict of `subquad gate` (DESIGN.md section 8): two sides
 * measured interleaved, round by round, are judged on the per-round ratios
 * new/base of their round medians, paired by round, so a slow spell of the
 * machine that hits both sides of a round cancels out of the ratio. The
 * estimate is the Hodges-Lehmann median of the log ratios with its exact
 * distribution-free interval (Walsh averages and the Wilcoxon signed-rank
 * distribution); a row is FASTER or SLOWER when the whole interval lies
 * beyond the threshold, SAME when it lies wholly within it, AMBIGUOUS
 * otherwise. Statuses and one-sided rows are called as `compare` calls them
 * (reports/compare.h), so the exit statuses mean the same. */
#ifndef SQ_PAIRED_H
#define SQ_PAIRED_H

#include <stdio.h>

#include "reports/compare.h"
#include "results/result.h"

/* The workload label of the gate's drift witness rows: shown apart from
 * the verdict table, and no part of the exit status. */
#define SQ_GATE_WITNESS "gate-witness"

typedef struct sq_paired_opts {
  double threshold;     /* practical change, as a fraction (0.05) */
  double confidence;    /* of the interval (0.99) */
  int ignore_device;    /* match rows across devices */
} sq_paired_opts;

void sq_paired_defaults(sq_paired_opts *o);

typedef struct sq_paired {
  sq_verdict verdict;
  int npairs;           /* rounds timed on both sides */
  double ratio;         /* Hodges-Lehmann estimate of the median ratio new/base; NAN without pairs */
  double lo, hi;        /* its interval (0 and INFINITY when too few pairs for one) */
  double coverage;      /* the exact interval's own coverage (>= confidence), 0 without one */
  double base_ms, new_ms;  /* median over the rounds of each side's round medians */
  char note[300];
} sq_paired;

/* The per-round medians of a row: (*out)[k] is the median of round k's
 * samples, NAN for a round without any. *n is the number of rounds (the
 * highest round + 1); 0 without samples. 0, or SQ_ENOMEM. */
int sq_round_medians(const sq_result *r, double **out, int *n);

/* The Hodges-Lehmann estimate of the centre of x[0..n) (NANs skipped) and
 * its exact interval at `confidence`: the k-th smallest and k-th largest
 * Walsh average (x_i + x_j) / 2, i <= j, with k from the signed-rank
 * distribution. Too few values for any interval at that confidence gives
 * lo = -INFINITY, hi = INFINITY and coverage 0. Returns the number of
 * values used; SQ_ENOMEM. */
int sq_hodges_lehmann(const double *x, int n, double confidence, double *est, double *lo, double *hi,
                      double *coverage);

/* P(T+ <= t) for the Wilcoxon signed-rank statistic of n values (exact,
 * n <= 1000; NAN beyond, or when out of memory). */
double sq_signrank_cdf(int n, int t);

/* The verdict of two timed sides from their per-round medians (pairs where
 * either is NAN are left out). */
void sq_paired_judge(const double *base_rounds, const double *new_rounds, int nrounds, const sq_paired_opts *o,
                     sq_paired *out);

/* The verdict of one case: either row may be NULL (present on one side
 * only); failures, skips and bad timings as compare calls them. */
void sq_paired_rows(const sq_result *base, const sq_result *cur, const sq_paired_opts *o, sq_paired *out);

/* All rows of two files of one gate run, matched as compare matches them
 * (device and sq_result_same_case, in order of appearance). */
typedef struct sq_paired_row {
  const sq_result *base, *cur;
  sq_paired p;
} sq_paired_row;

typedef struct sq_paired_table {
  int n;
  sq_paired_row *rows;   /* NEW's order, then rows only in BASE */
  int count[SQ_VERDICT_COUNT];
  double geomean;        /* of the ratio estimates of judged rows */
  int ngeo;
  double threshold, confidence;
} sq_paired_table;

/* SQ_EMISMATCH when the devices differ (unless o->ignore_device); SQ_ENOMEM. */
int sq_paired_results(const sq_results *base, const sq_results *cur, const sq_paired_opts *o, sq_paired_table *out);
/* The table (text or Markdown) and its summary line; rows whose workload
 * is `skip_workload` (the gate's drift witness) are left out when it is
 * not NULL. */
void sq_paired_print(FILE *f, const sq_paired_table *t, int markdown, const char *skip_workload);
/* The exit status, as sq_compare_status. */
int sq_paired_status(const sq_paired_table *t, int ambiguous_fails);
/* Takes the rows of workload `label` out of the counts (the witness). */
void sq_paired_uncount(sq_paired_table *t, const char *label);
void sq_paired_free(sq_paired_table *t);

#endif
