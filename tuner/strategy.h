/* SPDX-License-Identifier: BSD-3-Clause */
/* Search strategies over a space (space.h): exhaustive, random, simulated
 * annealing, genetic and iterated local search. A strategy only proposes
 * configurations; sq_search_eval measures them through a callback, remembers
 * every result (a configuration is never measured twice: re-visits are free)
 * and enforces the budgets: unique evaluations and wall time. Everything
 * random comes from one generator seeded with --seed, and no strategy looks at
 * anything but what evaluations returned, so a run is a pure function of the
 * seed and the results: a resumed run that is fed the cached results repeats
 * the interrupted run's proposals exactly. */
#ifndef SQ_TUNER_STRATEGY_H
#define SQ_TUNER_STRATEGY_H

#include <stdint.h>

#include "tuner/space.h"

typedef struct sq_rng { uint64_t s[4]; } sq_rng;
void sq_rng_seed(sq_rng *r, uint64_t seed);
uint64_t sq_rng_next(sq_rng *r);
double sq_rng_unif(sq_rng *r);                 /* [0, 1) */
int64_t sq_rng_below(sq_rng *r, int64_t n);    /* [0, n) */

/* Measures configuration cfg: milliseconds, or INFINITY when it is invalid
 * (failed to compile, exceeded limits, wrong result...). A negative return
 * stops the search (interrupted, host error). */
typedef double (*sq_eval_fn)(void *ctx, int64_t cfg);
/* Optional: the strategy will probably evaluate cfg soon (compile ahead). */
typedef void (*sq_hint_fn)(void *ctx, int64_t cfg);

typedef struct sq_search {
  const sq_space *space;
  sq_eval_fn eval;
  sq_hint_fn hint;
  void *ctx;
  int64_t budget;          /* unique evaluations; <= 0: the whole space */
  double time_limit;       /* seconds of wall time; <= 0: none */
  uint64_t seed;
  int lookahead;           /* configurations announced ahead (hint) where known; <= 4: 4 */
  /* State, read by the caller afterwards. */
  double t0;
  int64_t nevals;          /* unique evaluations done */
  int64_t best;            /* best configuration, -1 when none valid */
  double best_ms;
  int64_t best_at;         /* the evaluation (1-based) that found it */
  int stopped;             /* budget, time or the callback ended it */
  int err;                 /* negative return of the callback */
  double *result;          /* per configuration: NAN = not evaluated */
  int64_t revisits;        /* revisits since the last new evaluation */
  sq_rng rng;
} sq_search;

/* Prepares s (fields above the state must be set). */
int sq_search_init(sq_search *s);
void sq_search_free(sq_search *s);

/* Evaluates cfg once (memoised) and updates the best; returns its time,
 * INFINITY when invalid, or NAN when the search is over (budget, time or
 * stop) and cfg was not evaluated before. */
double sq_search_eval(sq_search *s, int64_t cfg);
/* 1 when no new evaluation may start. */
int sq_search_done(sq_search *s);

typedef int (*sq_strategy_fn)(sq_search *s);
typedef struct sq_strategy {
  const char *name;
  sq_strategy_fn run;
  const char *doc;
} sq_strategy;

extern const sq_strategy sq_strategies[];
extern const int sq_nstrategies;
const sq_strategy *sq_strategy_find(const char *name);

/* Runs the strategy to completion; 0, or the callback's error. */
int sq_search_run(const sq_strategy *st, sq_search *s);

/* The strategies (strategy_*.c). */
int sq_strategy_exhaustive(sq_search *s);
int sq_strategy_random(sq_search *s);
int sq_strategy_anneal(sq_search *s);
int sq_strategy_genetic(sq_search *s);
int sq_strategy_ils(sq_search *s);

/* Shared helpers for the strategies. */
int64_t sq_search_random_cfg(sq_search *s);          /* uniform over the space */
int64_t sq_search_random_neighbour(sq_search *s, int64_t cfg);  /* -1 when isolated */
int64_t sq_search_unevaluated(sq_search *s);        /* a random not-yet-evaluated one, -1 if none */

#endif
