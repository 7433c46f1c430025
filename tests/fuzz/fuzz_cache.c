/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the tuning cache as `tune --resume` reopens it
 * (tuner/cache.c, sq_cache_open with resume). The run's key and space are
 * fixed: a toy kernel with parameters A {1,2,4}, B {0,1} and C {16,64}, of
 * which A*C > 128 is invalid, so records can name configurations outside
 * the space. Guarantees: a refusal names the file and leaves the cache
 * closed; an accepted cache has one known result status per answered
 * configuration and a best record that is an ok one; and the file that
 * resume leaves behind (a cut last line truncated, `crashed` records
 * appended) resumes again to the same answers with nothing left pending,
 * the promise of cache.h that kills never multiply records. */
#include <math.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "tests/fuzz/fuzz.h"
#include "tuner/cache.h"

const char sq_fuzz_name[] = "cache";

static int toy_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  (void)p;
  if (nset >= 3 && pv[0] * pv[2] > 128) {
    snprintf(why, n, "A*C > 128");
    return SQ_EINVAL;
  }
  return 0;
}

static const sq_kernel toy = {
  .name = "toy", .op = &sq_op_softmax_attn, .nparams = 3,
  .params = {{"A", 3, {1, 2, 4}, 1, ""}, {"B", 2, {0, 1}, 0, ""}, {"C", 2, {16, 64}, 16, ""}},
  .check = toy_check,
};

static const sq_cache_key key = {{"opencl fuzz-device", "3.1", "toy", "B=1,H=1,T=64,D=16,DV=16,causal=1", "f32",
                                  "0123456789abcdef"}};

static int known_status(const char *s) {
  static const char *const names[] = {"ok", "compile", "limits", "launch", "verify", "timeout", "crashed", "invalid"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(s, names[i])) return 1;
  return 0;
}

static void check_open(const sq_cache *c) {
  int64_t answered = 0;
  for (int64_t i = 0; i < c->space->n; i++) {
    if (!c->done[i]) continue;
    answered++;
    SQ_FUZZ_STR(c->out[i].status);
    SQ_FUZZ_STR(c->out[i].message);
    SQ_FUZZ_CHECK(known_status(c->out[i].status), "configuration %lld answered '%s'", (long long)i, c->out[i].status);
  }
  SQ_FUZZ_CHECK(answered == c->nresults, "%lld answered, nresults %lld", (long long)answered, (long long)c->nresults);
  SQ_FUZZ_CHECK(c->ncrashed_now >= 0 && c->ncrashed_now <= answered, "%lld crashed now", (long long)c->ncrashed_now);
  double ms;
  int64_t best = sq_cache_best(c, &ms);
  SQ_FUZZ_CHECK(best < 0 || (c->done[best] && !strcmp(c->out[best].status, "ok")), "best %lld is no ok record",
                (long long)best);
}

static int same_double(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* The second resume answers every configuration as the first did. */
static void check_reopen(const char *path, const sq_cache *first, const sq_space *sp) {
  sq_cache c;
  int rc = sq_cache_open(path, &key, sp, 1, &c);
  SQ_FUZZ_CHECK(rc == 0, "the file a resume left is refused: %s", sq_last_error());
  SQ_FUZZ_CHECK(c.ncrashed_now == 0, "%lld configurations pending again", (long long)c.ncrashed_now);
  SQ_FUZZ_CHECK(c.nresults == first->nresults, "%lld answers came back as %lld", (long long)first->nresults,
                (long long)c.nresults);
  for (int64_t i = 0; i < sp->n; i++) {
    const sq_outcome *a = &first->out[i], *b = &c.out[i];
    SQ_FUZZ_CHECK(c.done[i] == first->done[i], "configuration %lld: answered changed", (long long)i);
    if (!c.done[i]) continue;
    SQ_FUZZ_CHECK(!strcmp(a->status, b->status) && same_double(a->ms, b->ms) && !strcmp(a->message, b->message),
                  "configuration %lld: '%s' %g ms '%s' came back as '%s' %g ms '%s'", (long long)i, a->status,
                  a->ms, a->message, b->status, b->ms, b->message);
  }
  sq_cache_close(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static sq_space sp;
  if (!sp.n) {
    sq_problem p;
    sq_att_problem(&p, &sq_op_softmax_attn, 1, 1, 64, 16, 16, 1, SQ_F32);
    SQ_FUZZ_CHECK(sq_space_from_kernel(&toy, &p, NULL, NULL, &sp) == 0 && sp.n == 10,
                  "the toy space has %lld configurations, want 10", (long long)sp.n);
  }
  char path[256];
  sq_fuzz_path(path, sizeof path, "cache.csv");
  sq_fuzz_write(path, data, size);
  sq_cache c;
  sq_clear_error();
  int rc = sq_cache_open(path, &key, &sp, 1, &c);
  if (rc) {
    sq_fuzz_refused(rc, path);
    SQ_FUZZ_CHECK(!c.fp && !c.done && !c.out, "a refused cache stays open");
    return 0;
  }
  c.sync = 0;
  check_open(&c);
  /* Closed first: resume appends through its own stream. */
  sq_cache first = c;
  first.fp = NULL;
  fclose(c.fp);
  check_reopen(path, &first, &sp);
  sq_cache_close(&first);
  return 0;
}
