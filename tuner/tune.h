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
  int64_t kill_after;      /* test hook: SIGKILL after the Nth attempting record */
  int catch_sigint;        /* Ctrl-C stops after the running evaluation */
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

#endif
