/* SPDX-License-Identifier: BSD-3-Clause */
/* Tuning traces for the report's tuning figure: best-so-far time against
 * evaluations, read generically from a tuner cache or from replay output
 * (`eval,time_ms,best_ms`), so the figure does not depend on one tuner file
 * layout: leading "# " comment lines, a header naming a time column, then
 * one record per line. */
#ifndef SQ_TUNEFILE_H
#define SQ_TUNEFILE_H

typedef struct sq_tune_trace {
  char label[256];   /* the strategy ("strategy" comment or column, cut to fit: it only
                        labels the figure), else the file name (which always fits) */
  int n;             /* evaluations */
  double *best;      /* best-so-far ms after each evaluation; NAN before the first success */
} sq_tune_trace;

/* Reads one file into traces (one per strategy when the records have a
 * "strategy" column). The time column is the first of time_ms, ms, time,
 * best_ms. With a "status" column only "ok" records can improve the best,
 * and "attempting" records (written before a launch) are not evaluations.
 * 0, SQ_EIO/SQ_ENOTFOUND, or SQ_EPARSE with "file:line: what". */
int sq_tune_read(const char *path, sq_tune_trace **out, int *n);
void sq_tune_free(sq_tune_trace *t, int n);

#endif
