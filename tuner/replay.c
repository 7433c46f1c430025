/* SPDX-License-Identifier: BSD-3-Clause */
/* Replay: a strategy run against a recorded full space with no device
 * (`subquad tune --replay`). One run writes its evaluations (and may use a
 * cache, which is how the kill/resume logic is tested without a device);
 * --seeds repeats runs over seeds and prints how often each strategy got
 * within 10 % and 5 % of the space's best, and the median number of
 * evaluations those runs needed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"
#include "tuner/drivers.h"
#include "tuner/t4.h"
#include "tuner/tune.h"

typedef struct replay_ctx {
  const sq_space *sp;
  double target10, target5;
  int64_t hit10, hit5;     /* evaluation that first reached the target, 0 if none */
  const sq_search *s;
} replay_ctx;

static int replay_measure(void *ctx, int64_t cfg, sq_outcome *o) {
  replay_ctx *r = ctx;
  double t = r->sp->time[cfg];
  if (isnan(t)) {
    snprintf(o->status, sizeof o->status, "invalid");
    snprintf(o->message, sizeof o->message, "recorded as failed");
  } else {
    snprintf(o->status, sizeof o->status, "ok");
    o->ms = t;
    int64_t e = r->s->nevals + 1;
    if (!r->hit10 && t <= r->target10) r->hit10 = e;
    if (!r->hit5 && t <= r->target5) r->hit5 = e;
  }
  return 0;
}

static double space_best(const sq_space *sp) {
  double b = INFINITY;
  for (int64_t i = 0; i < sp->n; i++)
    if (sp->time[i] < b) b = sp->time[i];
  return b;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* The cache key of a recorded space: its file name and content hash. */
static int replay_key(const char *path, sq_cache_key *key) {
  char *buf;
  size_t n;
  int rc = sq_read_file(path, &buf, &n);
  if (rc) return rc;
  memset(key, 0, sizeof *key);
  snprintf(key->value[0], sizeof key->value[0], "replay");
  snprintf(key->value[1], sizeof key->value[1], "-");
  snprintf(key->value[2], sizeof key->value[2], "%s", base_name(path));
  snprintf(key->value[3], sizeof key->value[3], "-");
  snprintf(key->value[4], sizeof key->value[4], "-");
  char h[17];
  sq_hash_text(buf, n, h);
  snprintf(key->value[5], sizeof key->value[5], "%s", h);
  free(buf);
  return 0;
}

static const sq_strategy *strategy_of(const sq_tune_opts *a, int i) {
  return sq_strategy_find(a->nstrategy ? a->strategy[i] : "anneal");
}

/* One run, with optional cache and trace file. */
static sq_tune_end replay_one(const sq_tune_opts *a, const sq_space *sp) {
  const char *path = a->replay[0];
  sq_cache cache;
  int have_cache = 0, rc = 0;
  sq_tune_end end = SQ_TUNE_FAILED;
  sq_atomic out;
  FILE *trace = NULL;
  replay_ctx rx = {.sp = sp};
  sq_search s = {.budget = a->budget, .time_limit = a->time_s, .seed = a->seed};
  sq_tuner t;
  /* Replay keeps nothing per evaluation; recycling it (the test hook only)
   * tests the continuation without a device. The trace is one file of one
   * process, so a traced run is not recycled. */
  t = (sq_tuner){.recycle_after = a->cache && !a->out ? sq_tuner_recycle_after_env() : 0};
  int cont = sq_tuner_continue_env(&t);
  /* The trace's temporary file first: an -o that cannot be written is
   * refused before the cache is touched. */
  if (a->out && !(trace = sq_atomic_open(&out, a->out)))
    return sq_tune_fail(SQ_TUNE_REFUSED,
                        sq_fail(SQ_EIO, "-o %s: cannot write there: %s", a->out, sq_atomic_reason(a->out)), NULL);
  if (a->cache) {
    sq_cache_key key;
    if ((rc = replay_key(path, &key)) || (rc = sq_cache_open(a->cache, &key, sp, a->resume || cont, &cache))) {
      if (trace) sq_atomic_abort(&out);
      return sq_tune_fail(SQ_TUNE_REFUSED, rc, NULL);
    }
    have_cache = 1;
    cache.sync = 0;   /* replay launches nothing that could take the machine down */
    if (cache.ncrashed_now && !a->quiet)
      fprintf(stderr, "resumed %s: %lld configurations done, %lld recorded as crashed\n", a->cache,
              (long long)cache.nresults, (long long)cache.ncrashed_now);
  }
  double best = space_best(sp);
  rx.target10 = best * 1.10;
  rx.target5 = best * 1.05;
  t.space = sp;
  t.measure = replay_measure;
  t.mctx = &rx;
  t.cache = have_cache ? &cache : NULL;
  t.trace = trace;
  t.kill_after = sq_tuner_kill_after_env();
  t.notes = !a->quiet;
  rx.s = &s;
  sq_t4 t4 = {0};
  if (a->t4 && !have_cache) t.t4 = &t4;
  rc = sq_tuner_run(&t, strategy_of(a, 0), &s);
  if (!rc && t.recycled && !(rc = sq_tuner_continue_set(&t))) {
    sq_cache_close(&cache);
    sq_search_free(&s);
    return SQ_TUNE_CONTINUE;
  }
  t.cached = s.nevals - t.measured;   /* over every process of this run */
  if (trace) {
    trace = NULL;
    if (rc) sq_atomic_abort(&out);
    else if (sq_atomic_commit(&out)) rc = sq_fail(SQ_EIO, "-o %s", sq_last_error());
  }
  if (!rc && a->t4) {
    /* With a cache, the cache holds every evaluation of every process. */
    if (have_cache) rc = sq_t4_from_cache(&t4, &cache);
    sq_t4_meta m = {.kernel = base_name(path), .source = "subquad tune --replay"};
    if (!rc && (rc = sq_t4_save(a->t4, &t4, sp, &m))) rc = sq_fail(rc, "--t4 %s", sq_last_error());
  }
  sq_t4_free(&t4);
  if (rc) goto out;
  char cfg[512] = "none";
  if (!a->quiet) {
    fprintf(stderr, "outcomes:");
    for (int i = 0; i < 8; i++)
      if (t.counts[i]) fprintf(stderr, " %s %lld", sq_tuner_status_names[i], (long long)t.counts[i]);
    fprintf(stderr, "\n");
  }
  if (s.best >= 0) sq_space_format(sp, s.best, cfg, sizeof cfg);
  printf("strategy %s, seed %llu: %lld evaluations (%lld from the cache)\n", strategy_of(a, 0)->name,
         (unsigned long long)a->seed, (long long)s.nevals, (long long)t.cached);
  printf("best %s: %.6g ms, found at evaluation %lld; the space's best is %.6g ms (%+.1f %%)\n", cfg,
         s.best_ms, (long long)s.best_at, best, 100 * (s.best_ms / best - 1));
  if (have_cache) {
    double cms;
    int64_t cb = sq_cache_best(&cache, &cms);
    if (cb >= 0) {
      sq_space_format(sp, cb, cfg, sizeof cfg);
      printf("cache best ok record: %s: %.6g ms\n", cfg, cms);
    }
  }
  end = SQ_TUNE_DONE;
out:
  sq_search_free(&s);
  if (trace) sq_atomic_abort(&out);
  if (have_cache) sq_cache_close(&cache);
  if (rc) return sq_tune_fail(SQ_TUNE_FAILED, rc, NULL);
  return end;
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

static double median_of(int64_t *v, int n) {
  if (!n) return NAN;
  qsort(v, (size_t)n, sizeof *v, cmp_i64);
  return n % 2 ? (double)v[n / 2] : 0.5 * (double)(v[n / 2 - 1] + v[n / 2]);
}

/* --seeds: every (space, strategy) pair over the seeds. */
static sq_tune_end replay_seeds(const sq_tune_opts *a, sq_space *sps) {
  int64_t *h10 = malloc((size_t)a->seeds * sizeof *h10), *h5 = malloc((size_t)a->seeds * sizeof *h5);
  if (!h10 || !h5) {
    free(h10);
    free(h5);
    return sq_tune_fail(SQ_TUNE_FAILED, sq_fail(SQ_ENOMEM, "out of memory"), NULL);
  }
  printf("%-16s %8s %9s %-11s %9s %9s %10s %10s\n", "space", "configs", "best_ms", "strategy",
         "within10%", "within5%", "med_evals10", "med_evals5");
  int ns = a->nstrategy ? a->nstrategy : 1, rc = 0;
  for (int f = 0; f < a->nreplay && !rc; f++) {
    const sq_space *sp = &sps[f];
    double best = space_best(sp);
    for (int i = 0; i < ns && !rc; i++) {
      int n10 = 0, n5 = 0;
      for (int k = 0; k < a->seeds && !rc; k++) {
        replay_ctx rx = {.sp = sp, .target10 = best * 1.10, .target5 = best * 1.05};
        sq_tuner t = {.space = sp, .measure = replay_measure, .mctx = &rx};
        sq_search s = {.budget = a->budget, .time_limit = a->time_s, .seed = a->seed + (uint64_t)k};
        rx.s = &s;
        rc = sq_tuner_run(&t, strategy_of(a, i), &s);
        sq_search_free(&s);
        if (rx.hit10) h10[n10++] = rx.hit10;
        if (rx.hit5) h5[n5++] = rx.hit5;
      }
      char b10[16], b5[16];
      snprintf(b10, sizeof b10, "%d/%d", n10, a->seeds);
      snprintf(b5, sizeof b5, "%d/%d", n5, a->seeds);
      printf("%-16.16s %8lld %9.4g %-11s %9s %9s %10.0f %10.0f\n", base_name(a->replay[f]), (long long)sp->n,
             best, strategy_of(a, i)->name, b10, b5, median_of(h10, n10), median_of(h5, n5));
    }
  }
  free(h10);
  free(h5);
  return rc ? sq_tune_fail(SQ_TUNE_FAILED, rc, NULL) : SQ_TUNE_DONE;
}

/* The outputs of a replay (-o, --cache) name no input of the command nor
 * each other (compared by device and inode, so another spelling or a
 * symbolic link is caught), and -o is no folder: refused before any work,
 * so an input is never replaced by a trace. */
static int check_outputs(const sq_tune_opts *a) {
  struct stat st;
  for (int i = 0; i < a->nreplay; i++) {
    if (a->out && sq_same_file(a->out, a->replay[i]))
      return sq_fail(SQ_EINVAL, "-o %s is the --replay input %s; write the trace elsewhere", a->out, a->replay[i]);
    if (a->cache && sq_same_file(a->cache, a->replay[i]))
      return sq_fail(SQ_EINVAL, "--cache %s is the --replay input %s; use another --cache", a->cache, a->replay[i]);
  }
  if (a->out && a->cache && sq_same_file(a->out, a->cache))
    return sq_fail(SQ_EINVAL, "-o %s and --cache %s are the same file", a->out, a->cache);
  if (a->out && stat(a->out, &st) == 0 && S_ISDIR(st.st_mode))
    return sq_fail(SQ_EINVAL, "-o %s is a folder; name the trace file", a->out);
  for (int i = 0; a->t4 && i < a->nreplay; i++)
    if (sq_same_file(a->t4, a->replay[i]))
      return sq_fail(SQ_EINVAL, "--t4 %s is the --replay input %s; write it elsewhere", a->t4, a->replay[i]);
  if (a->t4 && sq_check_output_file(a->t4)) return sq_fail(SQ_EINVAL, "--t4 %s", sq_last_error());
  return 0;
}

sq_tune_end sq_tune_replay(const sq_tune_opts *a) {
  sq_space sps[SQ_TUNE_MAX_REPLAY];
  sq_tune_end end;
  int n = 0, rc = check_outputs(a);
  if (rc) return sq_tune_fail(SQ_TUNE_REFUSED, rc, NULL);
  for (; n < a->nreplay; n++) {
    rc = sq_space_file_is_json(a->replay[n]) ? sq_space_from_json(a->replay[n], &sps[n])
                                              : sq_space_from_csv(a->replay[n], &sps[n]);
    if (rc) {
      end = sq_tune_fail(SQ_TUNE_REFUSED, rc, "--replay ");
      goto out;
    }
  }
  end = a->seeds ? replay_seeds(a, sps) : replay_one(a, &sps[0]);
out:
  for (int i = 0; i < n; i++) sq_space_free(&sps[i]);
  return end;
}
