/* SPDX-License-Identifier: BSD-3-Clause */
/* The tuning cache: header written and matched, a mismatched header refused,
 * an existing cache refused without --resume, resume after a kill (the
 * configuration left `attempting` becomes `crashed`, a record cut in the
 * middle is dropped and truncated away), one result record per
 * configuration, and the best ok record. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/error.h"
#include "kernels/attention.h"
#include "tests/tap.h"
#include "tuner/cache.h"

static const sq_kernel toy = {
  .name = "toy", .op = &sq_op_softmax_attn, .nparams = 2,
  .params = {{"A", 3, {1, 2, 4}, 1, ""}, {"B", 2, {0, 1}, 0, ""}},
};

static sq_outcome ok_ms(double ms) {
  sq_outcome o = {.ms = ms, .compile_s = 0.5, .verify_s = 0.1, .bench_s = 0.2};
  snprintf(o.status, sizeof o.status, "ok");
  return o;
}

/* Result records per configuration (everything but attempting). */
static int results_of(const char *path, const sq_space *sp, int *per, int *crashed) {
  sq_csvfile f;
  if (sq_csv_read(path, SQ_CSV_ONE_LINE, &f, NULL)) return -1;
  memset(per, 0, (size_t)sp->n * sizeof *per);
  *crashed = 0;
  for (int r = 1; r < f.nrows; r++) {
    if (!strcmp(f.rows[r].f[0], "attempting")) continue;
    int pv[2] = {atoi(f.rows[r].f[1]), atoi(f.rows[r].f[2])};
    per[sq_space_find_values(sp, pv)]++;
    *crashed += !strcmp(f.rows[r].f[0], "crashed");
  }
  sq_csv_free(&f);
  return 0;
}

int main(void) {
  sq_problem p;
  sq_att_problem(&p, &sq_op_softmax_attn, 1, 1, 1, 1, 1, 0, SQ_F32);
  sq_space sp;
  sq_space_from_kernel(&toy, &p, NULL, NULL, &sp);
  char path[] = "/tmp/sq_tuner_cache_XXXXXX";
  close(mkstemp(path));
  unlink(path);
  sq_cache_key key = {{"opencl toydev", "1.0", "toy", "B=1,H=1,T=1,D=1,DV=1", "f32", "0123456789abcdef"}};
  sq_cache c;
  tap_ok(sq_cache_open(path, &key, &sp, 0, &c) == 0, "a new cache opens");
  c.sync = 0;
  sq_outcome o = ok_ms(5.0);
  sq_cache_attempt(&c, 0);
  sq_cache_record(&c, 0, &o);
  o = ok_ms(3.0);
  sq_cache_attempt(&c, 1);
  sq_cache_record(&c, 1, &o);
  sq_outcome bad = {.ms = NAN};
  snprintf(bad.status, sizeof bad.status, "compile");
  snprintf(bad.message, sizeof bad.message, "error: line one\nline two, with a comma");
  sq_cache_attempt(&c, 2);
  sq_cache_record(&c, 2, &bad);
  sq_cache_attempt(&c, 3);   /* the kill comes while 3 runs */
  sq_cache_close(&c);
  /* ...and a record cut short by the kill, without its newline. */
  FILE *fp = fopen(path, "a");
  fputs("attempting,4,", fp);
  fclose(fp);

  tap_ok(sq_cache_open(path, &key, &sp, 0, &c) == SQ_EINVAL && strstr(sq_last_error(), "--resume"),
         "an existing cache without --resume is refused: %s", sq_last_error());
  sq_cache_key other = key;
  snprintf(other.value[2], sizeof other.value[2], "other_kernel");
  tap_ok(sq_cache_open(path, &other, &sp, 1, &c) == SQ_EMISMATCH && strstr(sq_last_error(), "other_kernel"),
         "a mismatched header is refused: %s", sq_last_error());
  other = key;
  snprintf(other.value[5], sizeof other.value[5], "fedcba9876543210");
  tap_ok(sq_cache_open(path, &other, &sp, 1, &c) == SQ_EMISMATCH && strstr(sq_last_error(), "source-hash"),
         "a changed source hash is refused: %s", sq_last_error());

  tap_ok(sq_cache_open(path, &key, &sp, 1, &c) == 0, "resume opens the cache");
  c.sync = 0;
  tap_ok(c.nresults == 4 && c.ncrashed_now == 1, "3 results loaded, 1 crashed recorded (%lld results, %lld crashed)",
         (long long)c.nresults, (long long)c.ncrashed_now);
  sq_outcome got;
  tap_ok(sq_cache_lookup(&c, 3, &got) && !strcmp(got.status, "crashed"), "the running configuration is crashed");
  tap_ok(sq_cache_lookup(&c, 2, &got) && !strcmp(got.status, "compile") && strstr(got.message, "line two, with"),
         "a failure keeps its status and one-line message");
  tap_ok(!sq_cache_lookup(&c, 4, &got), "the cut record does not count");
  /* Finish the space as a resumed run would. */
  for (int64_t i = 0; i < sp.n; i++) {
    if (sq_cache_lookup(&c, i, &got)) continue;
    o = ok_ms(4.0 + (double)i);
    sq_cache_attempt(&c, i);
    sq_cache_record(&c, i, &o);
  }
  double ms;
  int64_t b = sq_cache_best(&c, &ms);
  tap_ok(b == 1 && ms == 3.0, "best = best ok record (config 1, 3 ms)");
  sq_cache_close(&c);
  int per[6] = {0}, crashed = -1;
  tap_ok(results_of(path, &sp, per, &crashed) == 0, "the cache reads back as CSV");
  int once = 1;
  for (int i = 0; i < 6; i++) once &= per[i] == 1;
  tap_ok(once && crashed == 1, "every configuration has exactly one result record, one crashed");
  tap_ok(sq_cache_open(path, &key, &sp, 1, &c) == 0 && c.ncrashed_now == 0 && c.nresults == 6,
         "resuming a finished cache adds nothing");
  sq_cache_close(&c);
  fp = fopen(path, "a");
  fputs("exploded,1,0,,,,,\n", fp);
  fclose(fp);
  tap_ok(sq_cache_open(path, &key, &sp, 1, &c) == SQ_EPARSE && strstr(sq_last_error(), "exploded"),
         "an unknown status is a parse error: %s", sq_last_error());
  unlink(path);
  sq_space_free(&sp);
  return tap_done();
}
