/* SPDX-License-Identifier: BSD-3-Clause */
/* The two neighbourhood strategies: simulated annealing and iterated local
 * search. A neighbour changes one parameter to its adjacent candidate value
 * (the nearest one that keeps the configuration valid). Revisiting an
 * evaluated configuration is free, so both walk freely over what they know;
 * when a walk stops finding anything new it jumps (to a random unvisited
 * configuration or back near the best), which keeps every run finite. */
#include <math.h>

#include "tuner/strategy.h"

static int64_t cap_of(const sq_search *s) {
  return s->budget > 0 && s->budget < s->space->n ? s->budget : s->space->n;
}

/* Evaluates random unvisited configurations until one is valid. */
static int64_t valid_start(sq_search *s, double *ms) {
  while (!sq_search_done(s)) {
    int64_t c = sq_search_unevaluated(s);
    if (c < 0) break;
    double t = sq_search_eval(s, c);
    if (isfinite(t)) { *ms = t; return c; }
  }
  return -1;
}

/* A random walk of `steps` moves from cfg, ignoring times. */
static int64_t kick(sq_search *s, int64_t cfg, int steps) {
  for (int i = 0; i < steps; i++) {
    int64_t n = sq_search_random_neighbour(s, cfg);
    if (n >= 0) cfg = n;
  }
  return cfg;
}

/* Simulated annealing. The temperature falls geometrically with the share
 * of the budget spent, from accepting a 5 % worse move with probability 1/e
 * down to practically never (hotter schedules wasted the small budgets tuning
 * gets on the recorded spaces); moves are judged on relative time so the
 * schedule does not depend on the kernel's scale. */
int sq_strategy_anneal(sq_search *s) {
  const double T0 = 0.05, T1 = 0.001;
  double cur_ms = INFINITY;
  int64_t cur = valid_start(s, &cur_ms), idle = 0;
  int64_t stuck = 8 * s->space->np + 16;
  while (cur >= 0 && !sq_search_done(s)) {
    double T = T0 * pow(T1 / T0, (double)s->nevals / (double)cap_of(s));
    int64_t nb = sq_search_random_neighbour(s, cur);
    if (nb < 0) { cur = valid_start(s, &cur_ms); continue; }
    int fresh = isnan(s->result[nb]);
    double ms = sq_search_eval(s, nb);
    if (isnan(ms)) break;
    idle = fresh ? 0 : idle + 1;
    if (isfinite(ms) && (ms <= cur_ms || sq_rng_unif(&s->rng) < exp(-(ms - cur_ms) / cur_ms / T))) {
      cur = nb;
      cur_ms = ms;
    }
    if (idle > stuck) {
      /* Everything around has been seen: reheat from a kick off the best,
       * or from a random unseen configuration when the kicks find nothing new. */
      idle = 0;
      int64_t k = -1;
      for (int t = 0; t < 8 && k < 0; t++) {
        k = kick(s, s->best >= 0 ? s->best : cur, 3);
        if (!isnan(s->result[k])) k = -1;
      }
      if (k < 0) { cur = valid_start(s, &cur_ms); continue; }
      double t = sq_search_eval(s, k);
      if (isnan(t)) break;
      if (!isfinite(t)) { cur = valid_start(s, &cur_ms); continue; }
      cur = k;
      cur_ms = t;
    }
  }
  return 0;
}

/* First-improvement hill climbing from cfg: neighbours in random order,
 * move on the first faster one, stop at a local optimum. */
static int64_t climb(sq_search *s, int64_t cfg, double *ms) {
  const sq_space *sp = s->space;
  int m = 2 * sp->np, order[2 * SQ_SPACE_MAXP];
  for (;;) {
    for (int i = 0; i < m; i++) order[i] = i;
    int moved = 0;
    for (int i = 0; i < m && !moved; i++) {
      int j = i + (int)sq_rng_below(&s->rng, m - i), t = order[i];
      order[i] = order[j];
      order[j] = t;
      int64_t nb = sq_space_step(sp, cfg, order[i] / 2, order[i] % 2 ? 1 : -1);
      if (nb < 0) continue;
      double t2 = sq_search_eval(s, nb);
      if (isnan(t2)) return cfg;
      if (t2 < *ms) { cfg = nb; *ms = t2; moved = 1; }
    }
    if (!moved) return cfg;
  }
}

/* Iterated local search: climb to a local optimum, kick it with a short
 * random walk, climb again; keep the new optimum when it is no worse
 * (better-or-equal acceptance lets it drift across plateaus). Repeated
 * failures to find anything new restart from a random configuration. */
int sq_strategy_ils(sq_search *s) {
  double ms = INFINITY;
  int64_t cur = valid_start(s, &ms), fails = 0;
  while (cur >= 0 && !sq_search_done(s)) {
    cur = climb(s, cur, &ms);
    if (sq_search_done(s)) break;
    int64_t before = s->nevals;
    double kms = INFINITY;
    int64_t k = kick(s, cur, 2 + (int)sq_rng_below(&s->rng, 2));
    kms = sq_search_eval(s, k);
    if (isnan(kms)) break;
    if (isfinite(kms)) {
      k = climb(s, k, &kms);
      if (kms <= ms) { cur = k; ms = kms; }
    }
    fails = s->nevals == before ? fails + 1 : 0;
    if (fails > 4 * s->space->np + 8) {
      fails = 0;
      int64_t r = valid_start(s, &kms);
      if (r < 0) break;
      if (kms < ms) { cur = r; ms = kms; }
      else if (sq_rng_unif(&s->rng) < 0.5) { cur = r; ms = kms; }
    }
  }
  return 0;
}
