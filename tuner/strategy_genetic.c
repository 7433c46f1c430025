/* SPDX-License-Identifier: BSD-3-Clause */
/* The genetic strategy: a population of 20, tournament selection (3),
 * uniform crossover of parameter values, and mutation by adjacent-value
 * moves (on average 1.5 genes a child), with the two best kept (elitism).
 * A child whose values form no valid configuration is repaired by handing
 * genes back to its first parent, in random order, until it is valid; a
 * generation that brings nothing new gets random immigrants, so the budget
 * is always spent. */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tuner/strategy.h"

#define GA_POP 20
#define GA_ELITE 2
#define GA_TOURNAMENT 3
#define GA_MUTATIONS 1.5

static double fit(const sq_search *s, int64_t c) {
  double t = s->result[c];
  return isnan(t) ? INFINITY : t;
}

static int64_t tournament(sq_search *s, const int64_t *pop, int n) {
  int64_t best = pop[sq_rng_below(&s->rng, n)];
  for (int i = 1; i < GA_TOURNAMENT; i++) {
    int64_t c = pop[sq_rng_below(&s->rng, n)];
    if (fit(s, c) < fit(s, best)) best = c;
  }
  return best;
}

static int64_t crossover(sq_search *s, int64_t a, int64_t b) {
  const sq_space *sp = s->space;
  const uint8_t *ca = sq_space_cfg(sp, a), *cb = sq_space_cfg(sp, b);
  uint8_t child[SQ_SPACE_MAXP];
  int diff[SQ_SPACE_MAXP], nd = 0;
  for (int p = 0; p < sp->np; p++) {
    child[p] = sq_rng_unif(&s->rng) < 0.5 ? ca[p] : cb[p];
    if (child[p] != ca[p]) diff[nd++] = p;
  }
  int64_t k = sq_space_find(sp, child);
  /* Repair: the child moves back towards parent a one gene at a time, so it
   * stays between its parents instead of collapsing onto one of them. */
  while (k < 0 && nd > 0) {
    int j = (int)sq_rng_below(&s->rng, nd), p = diff[j];
    diff[j] = diff[--nd];
    child[p] = ca[p];
    k = sq_space_find(sp, child);
  }
  return k >= 0 ? k : a;
}

static int64_t mutate(sq_search *s, int64_t c) {
  const sq_space *sp = s->space;
  for (int p = 0; p < sp->np; p++) {
    if (sq_rng_unif(&s->rng) >= GA_MUTATIONS / sp->np) continue;
    int64_t k = sq_space_step(sp, c, p, sq_rng_unif(&s->rng) < 0.5 ? -1 : 1);
    if (k >= 0) c = k;
  }
  return c;
}

static int by_fit(const void *x, const void *y, void *ctx) {
  const sq_search *s = ctx;
  int64_t i = *(const int64_t *)x, j = *(const int64_t *)y;
  double a = fit(s, i), b = fit(s, j);
  if (a != b) return a < b ? -1 : 1;
  return (i > j) - (i < j);   /* a total order keeps the sort deterministic */
}

static int in_pop(const int64_t *pop, int n, int64_t c) {
  for (int i = 0; i < n; i++)
    if (pop[i] == c) return 1;
  return 0;
}

/* The next generation: elites, then distinct children, then immigrants. */
static void breed(sq_search *s, const int64_t *pop, int64_t *next, int n) {
  int m = n < GA_ELITE ? n : GA_ELITE;
  memcpy(next, pop, (size_t)m * sizeof pop[0]);
  for (int tries = 0; m < n && tries < 20 * n; tries++) {
    int64_t c = mutate(s, crossover(s, tournament(s, pop, n), tournament(s, pop, n)));
    if (!in_pop(next, m, c)) next[m++] = c;
  }
  while (m < n) {
    int64_t c = sq_search_unevaluated(s);
    if (c < 0 || in_pop(next, m, c)) c = sq_search_random_cfg(s);
    next[m++] = c;
  }
}

int sq_strategy_genetic(sq_search *s) {
  int n = s->space->n < GA_POP ? (int)s->space->n : GA_POP;
  int64_t pop[GA_POP], next[GA_POP];
  for (int i = 0; i < n; i++) {
    int64_t c;
    do c = sq_search_random_cfg(s); while (in_pop(pop, i, c));
    pop[i] = c;
    if (s->hint) s->hint(s->ctx, c);
  }
  for (int i = 0; i < n && !sq_search_done(s); i++) sq_search_eval(s, pop[i]);
  while (!sq_search_done(s)) {
    qsort_r(pop, (size_t)n, sizeof pop[0], by_fit, s);
    int64_t before = s->nevals;
    breed(s, pop, next, n);
    if (s->hint)
      for (int i = 0; i < n; i++)
        if (isnan(s->result[next[i]])) s->hint(s->ctx, next[i]);
    for (int i = 0; i < n && !sq_search_done(s); i++) sq_search_eval(s, next[i]);
    memcpy(pop, next, (size_t)n * sizeof pop[0]);
    if (s->nevals == before) {
      /* Converged: nothing new this generation; immigrants replace the
       * worse half so the search goes on. */
      for (int i = n / 2; i < n && !sq_search_done(s); i++) {
        int64_t c = sq_search_unevaluated(s);
        if (c < 0) return 0;
        pop[i] = c;
        sq_search_eval(s, c);
      }
    }
  }
  return 0;
}
