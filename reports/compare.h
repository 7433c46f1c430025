/* SPDX-License-Identifier: BSD-3-Clause */
/* The regression gate behind `subquad compare` (DESIGN.md section 8): rows
 * of two result files are matched by (device, kernel, causal, shape, dtype,
 * mode) and each pair gets a verdict from its raw samples. A row is SLOWER
 * (or FASTER) only when three independent tests agree: the [min, Q3]
 * intervals are separated by more than a floor (and, when both sides were
 * measured in rounds, so are the ranges of their per-round medians), a
 * Mann-Whitney U test gives p < alpha, and the medians differ by more than
 * a practical threshold. A
 * pair within the threshold is SAME; a pair beyond it that fails either of
 * the other tests is AMBIGUOUS: the machine was too noisy to tell. */
#ifndef SQ_COMPARE_H
#define SQ_COMPARE_H

#include <stdio.h>

#include "results/result.h"

typedef enum {
  SQ_VERDICT_SAME = 0,
  SQ_VERDICT_FASTER,
  SQ_VERDICT_SLOWER,
  SQ_VERDICT_AMBIGUOUS,
  SQ_VERDICT_FAILED,     /* failed in NEW: a regression */
  SQ_VERDICT_FIXED,      /* failed in BASE, ok in NEW */
  SQ_VERDICT_SKIPPED,    /* skipped on a side: nothing to compare */
  SQ_VERDICT_ONLY_BASE,  /* no matching row in NEW */
  SQ_VERDICT_ONLY_NEW,   /* no matching row in BASE */
  SQ_VERDICT_INVALID,    /* a time that is not a finite number >= 0: bad input, no verdict */
  SQ_VERDICT_COUNT
} sq_verdict;

const char *sq_verdict_name(sq_verdict v);

/* Exit statuses of `subquad compare`. */
enum {
  SQ_COMPARE_PASS = 0,       /* nothing slower or failing */
  SQ_COMPARE_REGRESSION = 1, /* something slower, or a failing row */
  SQ_COMPARE_AMBIGUOUS = 2,  /* only ambiguous rows stand in the way */
  SQ_COMPARE_BAD_INPUT = 3   /* bad input, or different devices */
};

typedef struct sq_compare_opts {
  double threshold;   /* practical median change, as a fraction (0.05) */
  double alpha;       /* Mann-Whitney significance level (0.002) */
  double gap_floor;   /* least relative gap between [min, Q3] intervals, and
                         between the ranges of per-round medians (0.01) */
  int ignore_device;  /* match rows across devices */
} sq_compare_opts;

void sq_compare_defaults(sq_compare_opts *o);

typedef struct sq_compare_row {
  const sq_result *base, *cur;  /* one is NULL for a one-sided row */
  sq_verdict verdict;
  double base_ms, cur_ms;       /* medians (of the raw samples when present) */
  double ratio;                 /* cur / base median; NAN unless both timed */
  double gap;                   /* separation of [min, Q3] over the base median; < 0 overlap */
  int rounds[2];                /* measuring rounds of BASE, NEW */
  double round_lo[2], round_hi[2];  /* lowest, highest per-round median (ms) of BASE, NEW */
  double round_gap;             /* separation of the round ranges over the base median; NAN
                                   unless both sides have several rounds */
  double p;                     /* Mann-Whitney p; NAN when not tested */
  int exact;                    /* p from the exact distribution */
  char note[300];
} sq_compare_row;

typedef struct sq_comparison {
  int n;
  sq_compare_row *rows;         /* matched pairs in NEW's order, then one-sided rows */
  int count[SQ_VERDICT_COUNT];
  double geomean;               /* geometric mean of the ratios of timed pairs */
  int ngeo;
  int multi_device;             /* rows come from more than one device */
  int few_samples;              /* timed pairs too small to ever reach p < alpha */
  double alpha;
} sq_comparison;

/* The smallest two-sided p-value the U test can give for samples of m and
 * n values without ties: 2 / C(m + n, m). Pairs where it is >= alpha can
 * never be called FASTER or SLOWER (6 + 6 samples: 0.0022). */
double sq_compare_min_p(int m, int n);

/* Why an ok row's times cannot be judged, written to buf (NULL when they
 * can): a raw sample, or without samples a summary statistic, that is
 * infinite, NaN (samples) or negative. The results reader refuses such
 * files; this guard keeps any verdict from resting on them whatever read
 * them. */
const char *sq_compare_bad_timing(const sq_result *r, char *buf, size_t n);

/* The verdict of one matched pair (SQ_VERDICT_INVALID, with the reason in
 * the note, when sq_compare_bad_timing refuses either side). */
void sq_compare_pair(const sq_result *base, const sq_result *cur, const sq_compare_opts *o,
                     sq_compare_row *out);

/* Matches and judges every row. SQ_EMISMATCH (detail names both devices)
 * when the files come from different devices and !o->ignore_device;
 * SQ_EPARSE (detail names the side, the row and the value) when an ok row
 * on either side has a time sq_compare_bad_timing refuses; SQ_ENOMEM. */
int sq_compare_results(const sq_results *base, const sq_results *cur, const sq_compare_opts *o,
                       sq_comparison *out);

/* The table (text or Markdown) and the summary lines under it. */
void sq_compare_print(FILE *f, const sq_comparison *c, int markdown);

/* The exit status the comparison calls for; `ambiguous_fails` chooses
 * between SQ_COMPARE_AMBIGUOUS and SQ_COMPARE_PASS when only ambiguous rows
 * remain. An INVALID row is SQ_COMPARE_BAD_INPUT. */
int sq_compare_status(const sq_comparison *c, int ambiguous_fails);

/* What an A/A pair (two runs of one binary) says about the machine: the
 * drift between the runs, and the least --gap (or --threshold) under which
 * none of it would be called a change. A gate on a machine that drifts
 * sets these from its own A/A runs. */
typedef struct sq_calibration {
  int ntimed;                      /* pairs with a U test */
  const sq_compare_row *largest;   /* largest median change among them */
  const sq_compare_row *decides;   /* the most separated of the rows called a change */
  int called;                      /* rows called FASTER or SLOWER under the settings used */
  double gap, threshold;           /* least settings that call nothing (fractions) */
} sq_calibration;

void sq_compare_calibrate(const sq_comparison *c, const sq_compare_opts *o, sq_calibration *out);
void sq_calibration_print(FILE *f, const sq_calibration *k, const sq_compare_opts *o, int markdown);

void sq_compare_free(sq_comparison *c);

#endif
