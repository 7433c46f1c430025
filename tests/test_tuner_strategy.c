/* SPDX-License-Identifier: BSD-3-Clause */
/* Tuner strategies on a small synthetic space: each finds the optimum given
 * enough budget, the same seed gives the same sequence of evaluations (and
 * another seed another one), budgets in evaluations and time are kept, every
 * configuration is evaluated at most once, and invalid results are skipped
 * without ending the run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "tests/tap.h"
#include "tuner/strategy.h"

/* An 8 x 8 x 4 bowl with its minimum at (5, 2, 1), holes where
 * (a + b) % 5 == 0 (absent: pruned) and failures where a == 7 && b == 7. */
static int check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  if (nset >= 2 && (pv[0] + pv[1]) % 5 == 0) { snprintf(why, n, "hole"); return SQ_EINVAL; }
  return 0;
}
static const sq_kernel bowl = {
  .name = "bowl", .op = &sq_op_softmax_attn, .nparams = 3,
  .params = {{"a", 8, {0, 1, 2, 3, 4, 5, 6, 7}, 0, ""}, {"b", 8, {0, 1, 2, 3, 4, 5, 6, 7}, 0, ""},
             {"c", 4, {0, 1, 2, 3}, 0, ""}},
  .check = check,
};

typedef struct rec {
  const sq_space *sp;
  int64_t seq[4096];
  int n, dup;
  uint8_t *seen;
} rec;

static double f(const sq_space *sp, int64_t cfg) {
  int pv[3];
  sq_space_values(sp, cfg, pv);
  if (pv[0] == 7 && pv[1] == 7) return INFINITY;   /* a failing configuration */
  double a = pv[0] - 5, b = pv[1] - 2, c = pv[2] - 1;
  /* A ripple makes it rugged enough that greedy descent alone can stall. */
  return 1 + a * a + 2 * b * b + c * c + 0.7 * ((pv[0] * 3 + pv[1] * 5 + pv[2]) % 4);
}

static double eval(void *ctx, int64_t cfg) {
  rec *r = ctx;
  if (r->seen[cfg]) r->dup++;
  r->seen[cfg] = 1;
  if (r->n < 4096) r->seq[r->n++] = cfg;
  return f(r->sp, cfg);
}

static int run(const sq_space *sp, const char *name, uint64_t seed, int64_t budget, double tl, rec *r,
               sq_search *s) {
  memset(r, 0, sizeof *r);
  r->sp = sp;
  r->seen = calloc((size_t)sp->n, 1);
  memset(s, 0, sizeof *s);
  s->space = sp;
  s->eval = eval;
  s->ctx = r;
  s->budget = budget;
  s->time_limit = tl;
  s->seed = seed;
  int rc = sq_search_init(s);
  if (!rc) rc = sq_search_run(sq_strategy_find(name), s);
  free(r->seen);
  return rc;
}

int main(void) {
  sq_problem p;
  sq_att_problem(&p, &sq_op_softmax_attn, 1, 1, 1, 1, 1, 0, SQ_F32);
  sq_space sp;
  if (sq_space_from_kernel(&bowl, &p, NULL, NULL, &sp)) return tap_ok(0, "space: %s", sq_last_error()), tap_done();
  double best = INFINITY;
  for (int64_t i = 0; i < sp.n; i++) best = fmin(best, f(&sp, i));
  tap_diag("space: %lld valid configurations, optimum %.2f", (long long)sp.n, best);
  static rec r1, r2;
  sq_search s1, s2;
  for (int k = 0; k < sq_nstrategies; k++) {
    const char *name = sq_strategies[k].name;
    /* Enough budget: half the space for the strategies that learn, over
     * five seeds; the whole space for exhaustive and random, which do not. */
    int learns = strcmp(name, "exhaustive") && strcmp(name, "random");
    int64_t budget = learns ? sp.n / 2 : sp.n;
    int found = 0, within = 1, nodup = 1;
    for (uint64_t seed = 1; seed <= 5; seed++) {
      run(&sp, name, seed, budget, 0, &r1, &s1);
      found += s1.best_ms == best;
      within &= s1.nevals == budget && r1.n == budget;
      nodup &= r1.dup == 0;
      sq_search_free(&s1);
    }
    tap_ok(found == 5, "%s finds the optimum in 5 of 5 seeds with budget %lld (%d)", name, (long long)budget, found);
    tap_ok(within, "%s spends exactly its budget of unique evaluations", name);
    tap_ok(nodup, "%s never evaluates a configuration twice", name);
    run(&sp, name, 42, 40, 0, &r1, &s1);
    run(&sp, name, 42, 40, 0, &r2, &s2);
    tap_ok(r1.n == r2.n && !memcmp(r1.seq, r2.seq, (size_t)r1.n * sizeof r1.seq[0]),
           "%s: seed 42 twice gives the same sequence", name);
    sq_search_free(&s2);
    run(&sp, name, 43, 40, 0, &r2, &s2);
    if (strcmp(name, "exhaustive"))
      tap_ok(memcmp(r1.seq, r2.seq, 40 * sizeof r1.seq[0]) != 0, "%s: seed 43 gives another sequence", name);
    sq_search_free(&s1);
    sq_search_free(&s2);
  }
  /* A zero-length time budget stops before the second evaluation. */
  run(&sp, "random", 1, 0, 1e-9, &r1, &s1);
  tap_ok(s1.nevals <= 1, "a time budget ends the run (%lld evaluations)", (long long)s1.nevals);
  sq_search_free(&s1);
  /* Budget over the space size: the whole space, then stop. */
  for (int k = 0; k < sq_nstrategies; k++) {
    run(&sp, sq_strategies[k].name, 3, 100000, 0, &r1, &s1);
    tap_ok(s1.nevals == sp.n && r1.dup == 0, "%s with a budget over the space evaluates it all once",
           sq_strategies[k].name);
    sq_search_free(&s1);
  }
  sq_space_free(&sp);
  return tap_done();
}
