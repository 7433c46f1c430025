/* SPDX-License-Identifier: BSD-3-Clause */
/* The search context shared by every strategy (memoised evaluation, budgets,
 * the seeded generator), the strategy table, and the two strategies that do
 * not learn from results: exhaustive and random. */
#include "tuner/strategy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* xoshiro256** seeded through splitmix64: small, fast, and the same stream
 * on every platform, which keeps replays reproducible across machines. */
static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void sq_rng_seed(sq_rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t sq_rng_next(sq_rng *r) {
  uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return out;
}

double sq_rng_unif(sq_rng *r) { return (sq_rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

int64_t sq_rng_below(sq_rng *r, int64_t n) {
  if (n <= 1) return 0;
  /* Rejection keeps it unbiased. */
  uint64_t lim = UINT64_MAX - UINT64_MAX % (uint64_t)n, x;
  do x = sq_rng_next(r); while (x >= lim);
  return (int64_t)(x % (uint64_t)n);
}

int sq_search_init(sq_search *s) {
  s->t0 = now_s();
  s->nevals = 0;
  s->best = -1;
  s->best_ms = INFINITY;
  s->best_at = 0;
  s->stopped = 0;
  s->err = 0;
  s->revisits = 0;
  if (!(s->result = malloc((size_t)s->space->n * sizeof(double) + 1)))
    return sq_fail(SQ_ENOMEM, "search: out of memory");
  for (int64_t i = 0; i < s->space->n; i++) s->result[i] = NAN;
  sq_rng_seed(&s->rng, s->seed);
  return 0;
}

void sq_search_free(sq_search *s) {
  free(s->result);
  s->result = NULL;
}

int sq_search_done(sq_search *s) {
  if (s->stopped) return 1;
  int64_t cap = s->budget > 0 && s->budget < s->space->n ? s->budget : s->space->n;
  if (s->nevals >= cap || (s->time_limit > 0 && now_s() - s->t0 >= s->time_limit)) s->stopped = 1;
  return s->stopped;
}

double sq_search_eval(sq_search *s, int64_t cfg) {
  if (!isnan(s->result[cfg])) {
    /* A strategy that only revisits has stopped making progress: end it
     * rather than spin (a safety net; the strategies jump away long before). */
    if (++s->revisits > 1000000) s->stopped = 1;
    return s->result[cfg];
  }
  if (sq_search_done(s)) return NAN;
  s->revisits = 0;
  double ms = s->eval(s->ctx, cfg);
  if (ms < 0) {
    s->err = (int)ms;
    s->stopped = 1;
    return NAN;
  }
  if (isnan(ms)) ms = INFINITY;
  s->result[cfg] = ms;
  s->nevals++;
  if (ms < s->best_ms) {
    s->best_ms = ms;
    s->best = cfg;
    s->best_at = s->nevals;
  }
  return ms;
}

int64_t sq_search_random_cfg(sq_search *s) { return sq_rng_below(&s->rng, s->space->n); }

int64_t sq_search_random_neighbour(sq_search *s, int64_t cfg) {
  const sq_space *sp = s->space;
  /* Try the 2*np moves in a random order until one lands on a valid one. */
  int order[2 * SQ_SPACE_MAXP], m = 2 * sp->np;
  for (int i = 0; i < m; i++) order[i] = i;
  for (int i = 0; i < m; i++) {
    int j = i + (int)sq_rng_below(&s->rng, m - i), t = order[i];
    order[i] = order[j];
    order[j] = t;
    int64_t k = sq_space_step(sp, cfg, order[i] / 2, order[i] % 2 ? 1 : -1);
    if (k >= 0) return k;
  }
  return -1;
}

int64_t sq_search_unevaluated(sq_search *s) {
  int64_t n = s->space->n;
  for (int t = 0; t < 64; t++) {
    int64_t k = sq_search_random_cfg(s);
    if (isnan(s->result[k])) return k;
  }
  int64_t start = sq_search_random_cfg(s);
  for (int64_t i = 0; i < n; i++) {
    int64_t k = (start + i) % n;
    if (isnan(s->result[k])) return k;
  }
  return -1;
}

int sq_search_run(const sq_strategy *st, sq_search *s) {
  int rc = st->run(s);
  s->stopped = 1;
  return rc ? rc : s->err;
}

/* --- exhaustive and random --------------------------------------------------- */

/* How many upcoming configurations the strategies that know them announce
 * for compiling ahead. */
#define LOOKAHEAD 4
static int64_t lookahead(const sq_search *s) { return s->lookahead > LOOKAHEAD ? s->lookahead : LOOKAHEAD; }

int sq_strategy_exhaustive(sq_search *s) {
  int64_t n = s->space->n;
  for (int64_t i = 0; i < n && !sq_search_done(s); i++) {
    for (int64_t j = i + 1; s->hint && j <= i + lookahead(s) && j < n; j++) s->hint(s->ctx, j);
    sq_search_eval(s, i);
  }
  return 0;
}

/* A lazily drawn permutation: every configuration at most once, in a seeded
 * random order. */
int sq_strategy_random(sq_search *s) {
  int64_t n = s->space->n;
  int64_t *perm = malloc((size_t)n * sizeof *perm + 1);
  if (!perm) return sq_fail(SQ_ENOMEM, "random: out of memory");
  for (int64_t i = 0; i < n; i++) perm[i] = i;
  /* The shuffle runs lookahead(s) places ahead of the evaluations: the order
   * does not depend on results, so the next ones can compile meanwhile. */
  int64_t drawn = 0;
  for (int64_t i = 0; i < n && !sq_search_done(s); i++) {
    for (; drawn < n && drawn <= i + lookahead(s); drawn++) {
      int64_t j = drawn + sq_rng_below(&s->rng, n - drawn), t = perm[drawn];
      perm[drawn] = perm[j];
      perm[j] = t;
      if (s->hint && drawn > i) s->hint(s->ctx, perm[drawn]);
    }
    sq_search_eval(s, perm[i]);
  }
  free(perm);
  return 0;
}

const sq_strategy sq_strategies[] = {
  {"exhaustive", sq_strategy_exhaustive, "every configuration in enumeration order"},
  {"random", sq_strategy_random, "uniform sampling without repetition"},
  {"anneal", sq_strategy_anneal, "simulated annealing over one-parameter moves"},
  {"genetic", sq_strategy_genetic, "genetic algorithm: tournament, uniform crossover, mutation"},
  {"ils", sq_strategy_ils, "iterated local search: hill climbing with random-walk kicks"},
};
const int sq_nstrategies = sizeof sq_strategies / sizeof sq_strategies[0];

const sq_strategy *sq_strategy_find(const char *name) {
  for (int i = 0; i < sq_nstrategies; i++)
    if (!strcmp(sq_strategies[i].name, name)) return &sq_strategies[i];
  return NULL;
}
