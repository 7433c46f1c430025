/* SPDX-License-Identifier: BSD-3-Clause */
/* One tuning run's evaluation path, shared by device tuning and replay:
 * answered from the cache when the configuration is there, else an
 * `attempting` record, the measurement, the result record; then the
 * per-evaluation trace row (eval,time_ms,best_ms) and the progress line.
 * The measurement itself is a callback: the device runner (tune_device.c)
 * or the recorded space (replay). */
#ifndef SQ_TUNER_TUNE_H
#define SQ_TUNER_TUNE_H

#include <stdio.h>

#include "tuner/cache.h"
#include "tuner/strategy.h"

/* Fills o for configuration cfg; 0, or a negative code that ends the run. */
typedef int (*sq_measure_fn)(void *ctx, int64_t cfg, sq_outcome *o);

typedef struct sq_tuner {
  const sq_space *space;
  sq_measure_fn measure;
  void *mctx;
  sq_hint_fn prefetch;     /* compile ahead (may be NULL) */
  sq_cache *cache;         /* may be NULL */
  FILE *trace;             /* may be NULL */
  int progress;            /* progress lines on stderr */
  int notes;               /* a line on stderr when the run continues in a fresh process */
  int64_t kill_after;      /* test hook: SIGKILL after the Nth attempting record */
  int catch_sigint;        /* Ctrl-C stops after the running evaluation */
  /* Recycling (device tuning): the run stops after an evaluation, with
   * `recycled` set, so that the driver continues it in a fresh process from
   * the cache. Memory a driver keeps per built kernel (PoCL 3.1 never
   * unloads a kernel it has launched) then cannot pile up over a long tune.
   * recycle_after: after this many measured evaluations of this process
   * (0: never); recycle_rss: when resident memory is more than a tenth (16
   * MiB at least) over what it was after the tune's first
   * SQ_TUNER_RSS_BASE_EVALS measured evaluations (rss_base_kb, carried to
   * the processes that continue it), once this process has measured that
   * many. */
  int64_t recycle_after;
  int recycle_rss;
  int recycled;
  /* A continuation of an earlier process (sq_tuner_continue_env): its
   * measured evaluations, wall time in measure, elapsed time and memory
   * baseline carry on;
   * evaluations answered from the cache print no progress line again. */
  int continuation;
  double elapsed_before;
  int64_t measured_before;
  long rss_base_kb;
  struct sq_t4 *t4;        /* may be NULL: every evaluation is added (tuner/t4.h) */
  sq_search *search;       /* set by sq_tuner_run */
  int64_t measured, cached;
  double measure_s;        /* wall time inside measure */
  int64_t counts[8];       /* outcomes by status (sq_tuner_status_names) */
} sq_tuner;

extern const char *const sq_tuner_status_names[8];

/* Runs strategy st with the tuner's evaluation path. */
int sq_tuner_run(sq_tuner *t, const sq_strategy *st, sq_search *s);

/* Test hook from the environment: SUBQUAD_TUNE_KILL_AFTER=N (0 when unset). */
int64_t sq_tuner_kill_after_env(void);

#define SQ_TUNER_RSS_BASE_EVALS 32
/* SUBQUAD_TUNE_RECYCLE_AFTER=N: recycle after every N measured evaluations
 * (tests; 0 when unset). */
int64_t sq_tuner_recycle_after_env(void);
/* Reads (and removes from the environment) the state a recycled process
 * passed on, into t; 1 when this process is a continuation. */
int sq_tuner_continue_env(sq_tuner *t);
/* Stores t's state for the next process (setenv). */
int sq_tuner_continue_set(const sq_tuner *t);
/* This process's resident memory in KiB (0 when unknown). */
long sq_tuner_rss_kb(void);

#endif
