/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: a recorded search space, as `tune --replay FILE` loads it
 * (tuner/space.c, sq_space_from_csv over base/csv.c). Guarantees: a
 * refusal names the file and frees the space; an accepted space has 1 to
 * SQ_SPACE_MAXP parameters, each with 1 to SQ_SPACE_MAXV values in strictly
 * ascending order, at least one configuration, every configuration found
 * again by its value indices and by its values (the lookup table the
 * strategies rely on), each recorded time either a finite non-negative
 * number or NAN (a failed configuration), a one-parameter step that lands on
 * a valid configuration differing in that parameter only, and a product
 * that is the count of the cartesian product. */
#include <math.h>
#include <stdio.h>

#include "base/error.h"
#include "tests/fuzz/fuzz.h"
#include "tuner/space.h"

const char sq_fuzz_name[] = "space";

static void check_params(const sq_space *s) {
  SQ_FUZZ_CHECK(s->np >= 1 && s->np <= SQ_SPACE_MAXP, "%d parameters", s->np);
  double product = 1;
  for (int p = 0; p < s->np; p++) {
    SQ_FUZZ_STR(s->name[p]);
    SQ_FUZZ_CHECK(s->nv[p] >= 1 && s->nv[p] <= SQ_SPACE_MAXV, "%s: %d values", s->name[p], s->nv[p]);
    for (int j = 1; j < s->nv[p]; j++)
      SQ_FUZZ_CHECK(s->val[p][j - 1] < s->val[p][j], "%s: values %d, %d out of order", s->name[p], s->val[p][j - 1],
                    s->val[p][j]);
    product *= s->nv[p];
  }
  SQ_FUZZ_CHECK(s->n >= 1 && s->product == product && s->removed == product - (double)s->n,
                "n %lld, product %g (want %g), removed %g", (long long)s->n, s->product, product, s->removed);
}

static void check_config(const sq_space *s, int64_t i) {
  const uint8_t *c = sq_space_cfg(s, i);
  int pv[SQ_SPACE_MAXP];
  for (int p = 0; p < s->np; p++)
    SQ_FUZZ_CHECK(c[p] < s->nv[p], "configuration %lld: index %d of %s", (long long)i, c[p], s->name[p]);
  SQ_FUZZ_CHECK(sq_space_find(s, c) == i, "configuration %lld not found by its indices", (long long)i);
  sq_space_values(s, i, pv);
  SQ_FUZZ_CHECK(sq_space_find_values(s, pv) == i, "configuration %lld not found by its values", (long long)i);
  double t = s->time[i];
  SQ_FUZZ_CHECK(isnan(t) || (isfinite(t) && t >= 0), "configuration %lld: time %g", (long long)i, t);
  char text[64];
  sq_space_format(s, i, text, sizeof text);
  SQ_FUZZ_CHECK(memchr(text, 0, sizeof text), "formatted configuration not terminated");
  for (int p = 0; p < s->np; p++)
    for (int dir = -1; dir <= 1; dir += 2) {
      int64_t k = sq_space_step(s, i, p, dir);
      if (k < 0) continue;
      SQ_FUZZ_CHECK(k < s->n, "step to %lld of %lld", (long long)k, (long long)s->n);
      const uint8_t *d = sq_space_cfg(s, k);
      for (int q = 0; q < s->np; q++)
        SQ_FUZZ_CHECK(q == p ? (dir > 0 ? d[q] > c[q] : d[q] < c[q]) : d[q] == c[q],
                      "step of %lld along %s by %d lands on %lld", (long long)i, s->name[p], dir, (long long)k);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[256];
  sq_fuzz_path(path, sizeof path, "space.csv");
  sq_fuzz_write(path, data, size);
  sq_space s;
  sq_clear_error();
  int rc = sq_space_from_csv(path, &s);
  if (rc) {
    sq_fuzz_refused(rc, path);
    SQ_FUZZ_CHECK(!s.idx && !s.time && !s.slot, "a refused space keeps its tables");
    return 0;
  }
  check_params(&s);
  for (int64_t i = 0; i < s.n; i++) check_config(&s, i);
  sq_space_free(&s);
  return 0;
}
