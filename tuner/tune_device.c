/* SPDX-License-Identifier: BSD-3-Clause */
/* Tuning a kernel on a device (`subquad tune --kernel ...`): builds the
 * space with the descriptor's constraints and the device's limits, opens the
 * cache, runs the strategy with every evaluation going through sq_case_run
 * (compile, limits, verify, measure) while a thread pool compiles ahead,
 * then measures the best and the default configurations side by side,
 * prints the summary and stores the best in the tuning database. Errors go
 * back to the command as an sq_tune_end and the detail (drivers.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"
#include "harness/device.h"
#include "harness/progcache.h"
#include "harness/run.h"
#include "tuner/t4.h"
#include "tuner/db.h"
#include "tuner/drivers.h"
#include "tuner/pool.h"
#include "tuner/tune.h"
#include "tuner/tune_fleet.h"

typedef struct dev_ctx {
  sq_device *dev;
  const sq_kernel *k;
  sq_problem prob;
  sq_run_opts opts;
  const sq_space *sp;
  sq_pool *pool;
  double *prebuild_s;      /* per configuration: compile time spent ahead by the pool */
  int64_t limits_removed;
  int continuation;        /* this process continues a recycled one */
  int recycle;             /* the tune stopped to continue in a fresh process */
  const sq_fleet *fleet;   /* NULL: this process alone */
  sq_tune_fleet *tf;       /* rank 0 of a fleet: the other ranks' queues */
} dev_ctx;

static void make_case(const dev_ctx *x, const int *pv, sq_case *c) {
  memset(c, 0, sizeof *c);
  c->kernel = x->k;
  c->prob = x->prob;
  memcpy(c->params, pv, (size_t)x->k->nparams * sizeof(int));
  snprintf(c->config_source, sizeof c->config_source, "tune");
}

/* Device limits as a space filter: a configuration whose launch plan does
 * not fit the device never enters the space. */
static int limits_filter(void *ctx, const int *pv) {
  dev_ctx *x = ctx;
  sq_case c;
  sq_plan pl;
  char why[256];
  make_case(x, pv, &c);
  if (x->k->plan(&x->prob, pv, &pl) || sq_case_check_limits(x->dev, &c, &pl, why, sizeof why)) {
    x->limits_removed++;
    return 1;
  }
  return 0;
}

static const char *status_of(int err) {
  switch (err) {
  case SQ_ECOMPILE: return "compile";
  case SQ_ELIMITS: case SQ_EINFEASIBLE: case SQ_ENOMEM: return "limits";
  case SQ_EVERIFY: return "verify";
  case SQ_ETIMEOUT: return "timeout";
  default: return "launch";
  }
}

static int run_case(dev_ctx *x, const int *pv, sq_outcome *o) {
  sq_case c;
  sq_result r;
  sq_case_times tm;
  make_case(x, pv, &c);
  int rc = sq_case_run(x->dev, &c, &x->opts, &r, &tm);
  if (rc) { sq_result_free(&r); return rc; }
  o->compile_s = tm.compile_s;
  o->verify_s = tm.verify_s;
  o->bench_s = tm.bench_s;
  if (r.status == SQ_STATUS_OK && !tm.stage_err) {
    snprintf(o->status, sizeof o->status, "ok");
    o->ms = r.stats.median;
  } else {
    snprintf(o->status, sizeof o->status, "%s", status_of(tm.stage_err));
    o->ms = NAN;
  }
  snprintf(o->message, sizeof o->message, "%s", r.status == SQ_STATUS_OK ? "" : r.reason);
  sq_result_free(&r);
  return 0;
}

static int dev_measure(void *ctx, int64_t cfg, sq_outcome *o) {
  dev_ctx *x = ctx;
  int pv[SQ_SPACE_MAXP];
  /* Handed to another rank ahead: its measurement, not a second one. */
  if (x->tf && sq_tune_fleet_take(x->tf, cfg, o)) return 0;
  sq_space_values(x->sp, cfg, pv);
  if (x->pool) sq_pool_claim(x->pool, cfg);
  int rc = run_case(x, pv, o);
  /* A program built ahead comes from the cache in no time: its compile
   * time is the pool's. */
  if (!rc && x->prebuild_s) o->compile_s += x->prebuild_s[cfg];
  return rc;
}

static void prebuild_job(void *ctx, int64_t cfg) {
  dev_ctx *x = ctx;
  int pv[SQ_SPACE_MAXP];
  sq_case c;
  sq_space_values(x->sp, cfg, pv);
  make_case(x, pv, &c);
  double t0 = sq_now_s();
  sq_case_prebuild(x->dev, &c);   /* a failure shows again when it is measured */
  x->prebuild_s[cfg] = sq_now_s() - t0;
}

static void prefetch(void *ctx, int64_t cfg) {
  dev_ctx *x = ctx;
  if (x->tf && sq_tune_fleet_hint(x->tf, cfg)) return;
  if (x->pool) sq_pool_submit(x->pool, cfg);
}

/* A rank's answer to the others before a fleet tunes together: whether it
 * is ready, and what its device and space are (they must be the same). */
typedef struct tune_hello {
  int32_t ok;
  int64_t n;
  char device[128], driver[64], error[256];
} tune_hello;

/* Every rank says how its set-up went; 0 when the fleet can tune
 * together, else SQ_EINVAL naming the first rank that differs or failed. */
static int fleet_agree(const dev_ctx *x, const sq_space *sp, int setup_rc) {
  tune_hello me = {0}, *all = calloc((size_t)x->fleet->size, sizeof *all);
  if (!all) return sq_fail(SQ_ENOMEM, "out of memory");
  me.ok = !setup_rc;
  if (setup_rc) snprintf(me.error, sizeof me.error, "%s", sq_last_error());
  else {
    me.n = sp->n;
    snprintf(me.device, sizeof me.device, "%s", x->dev->info.name);
    snprintf(me.driver, sizeof me.driver, "%s", x->dev->info.driver);
  }
  int rc = sq_fleet_allgather(x->fleet, &me, sizeof me, all);
  for (int k = 0; !rc && k < x->fleet->size; k++) {
    if (!all[k].ok) rc = sq_fail(SQ_EINVAL, "rank %d: %s", k, all[k].error);
    else if (strcmp(all[k].device, all[0].device) || strcmp(all[k].driver, all[0].driver) || all[k].n != all[0].n)
      rc = sq_fail(SQ_EINVAL, "a fleet tunes on identical devices: rank %d has %s (driver %s, %lld configurations), "
                   "rank 0 %s (driver %s, %lld)", k, all[k].device, all[k].driver, (long long)all[k].n,
                   all[0].device, all[0].driver, (long long)all[0].n);
  }
  free(all);
  return rc;
}

/* The canonical shape text: every axis of the op. */
static void shape_str(const sq_problem *p, char *b, size_t n) { sq_shape_format(&p->shape, b, n); }

/* The default cache path, malloc'd (NULL when out of memory). */
static char *default_cache(const dev_ctx *x) {
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  char shape[SQ_SHAPE_TEXT_MAX];
  shape_str(&x->prob, shape, sizeof shape);
  char *name = sq_strf("%s-%s-%s-%s-%s", x->dev->id, x->k->name, shape,
                          x->prob.causal ? "causal" : "noncausal", sq_dtype_name(x->prob.dtype));
  if (!name) return NULL;
  for (char *p = name; *p; p++)
    if (*p == ':' || *p == '/' || *p == ',' || *p == '=' || *p == ' ') *p = '_';
  char *path = xdg && *xdg ? sq_strf("%s/subquad/tune/%s.csv", xdg, name)
                           : sq_strf("%s/.cache/subquad/tune/%s.csv", home && *home ? home : ".", name);
  free(name);
  return path;
}

static void cache_key(const dev_ctx *x, sq_cache_key *key) {
  char shape[SQ_SHAPE_TEXT_MAX];
  memset(key, 0, sizeof *key);
  sq_shape_format(&x->prob.shape, shape, sizeof shape);
  snprintf(key->value[0], sizeof key->value[0], "%s %s", x->dev->info.backend, x->dev->info.name);
  snprintf(key->value[1], sizeof key->value[0], "%s", x->dev->info.driver);
  snprintf(key->value[2], sizeof key->value[0], "%s", x->k->name);
  snprintf(key->value[3], sizeof key->value[0], "%s,causal=%d", shape, x->prob.causal);
  snprintf(key->value[4], sizeof key->value[0], "%s", sq_dtype_name(x->prob.dtype));
  char h[17];
  const char *src = *x->k->source;
  sq_hash_text(src, strlen(src), h);
  snprintf(key->value[5], sizeof key->value[0], "%s", h);
}

/* The best and the default configurations, alternated for two rounds so
 * both see the same machine state; the speedup is of the mean medians. */
static int side_by_side(dev_ctx *x, const int *best, double *best_ms, double *def_ms) {
  int def[SQ_MAX_PARAMS];
  sq_kernel_default_params(x->k, def);
  double sb = 0, sd = 0;
  int nb = 0, nd = 0;
  for (int round = 0; round < 2; round++) {
    sq_outcome o = {.ms = NAN};
    int rc = run_case(x, def, &o);
    if (rc) return rc;
    if (!strcmp(o.status, "ok")) { sd += o.ms; nd++; }
    memset(&o, 0, sizeof o);
    if ((rc = run_case(x, best, &o))) return rc;
    if (!strcmp(o.status, "ok")) { sb += o.ms; nb++; }
  }
  *best_ms = nb ? sb / nb : NAN;
  *def_ms = nd ? sd / nd : NAN;
  return 0;
}

static int setup_problem(const sq_tune_opts *a, dev_ctx *x) {
  if (!(x->k = sq_kernel_find(a->kernel)))
    return sq_fail(SQ_EINVAL, "--kernel: unknown kernel '%s' (subquad workloads lists them)", a->kernel);
  int rc = sq_problem_parse(x->k, a->shape, a->causal, a->dtype, &x->prob);
  if (rc) return rc;
  sq_run_defaults(&x->opts);
  /* Tuning compares configurations of one kernel: fewer samples suffice,
   * and a configuration slower than 10 s is not going to win. */
  x->opts.measure.min_samples = 3;
  x->opts.measure.min_time_s = 0.05;
  x->opts.measure.max_samples = 50;
  x->opts.measure.timeout_s = 10;
  /* Every configuration is verified; sampled rows keep that from costing
   * more than the measurement on slow devices. */
  x->opts.ref_budget_flops = 1e9;
  return 0;
}

static void print_space(const dev_ctx *x, const sq_space *sp) {
  printf("space of %s: %.0f configurations in the product of the candidate values; %lld valid;\n"
         "  removed %.0f (%.0f by the kernel's constraints, %lld by %s's limits); built in %.3f ms\n",
         x->k->name, sp->product, (long long)sp->n, sp->removed, sp->removed - (double)x->limits_removed,
         (long long)x->limits_removed, x->dev->id, sp->build_s * 1e3);
  for (int p = 0; p < sp->np; p++) {
    printf("  %-10s", sp->name[p]);
    for (int j = 0; j < sp->nv[p]; j++) printf(" %d", sp->val[p][j]);
    printf("\n");
  }
}

static int store_db(const char *path, const dev_ctx *x, const int *best, double bms, double dms) {
  sq_tunedb_entry e = {0};
  const sq_device_info *di = &x->dev->info;
  snprintf(e.backend, sizeof e.backend, "%s", di->backend);
  snprintf(e.device, sizeof e.device, "%s", di->name);
  snprintf(e.arch, sizeof e.arch, "%s", di->arch);
  snprintf(e.vendor, sizeof e.vendor, "%s", di->vendor);
  snprintf(e.kernel, sizeof e.kernel, "%s", x->k->name);
  snprintf(e.dtype, sizeof e.dtype, "%s", sq_dtype_name(x->prob.dtype));
  e.causal = x->prob.causal;
  int rc = sq_tunedb_key(&x->prob, e.key, sizeof e.key);
  if (rc) return rc;
  sq_params_format(x->k, best, e.params, sizeof e.params);
  e.time_ms = bms;
  e.default_ms = dms;
  shape_str(&x->prob, e.shape, sizeof e.shape);
  time_t now = time(NULL);
  strftime(e.date, sizeof e.date, "%Y-%m-%d", gmtime(&now));
  rc = sq_tunedb_store(path, &e);
  if (!rc) printf("stored in the tuning database %s\n", path);
  return rc;
}

static void summary(const sq_tuner *t, const sq_search *s) {
  printf("evaluations: %lld (%lld measured, %lld from the cache) in %.1f s; outcomes:", (long long)s->nevals,
         (long long)t->measured, (long long)t->cached, t->measure_s);
  for (int i = 0; i < 8; i++)
    if (t->counts[i]) printf(" %s %lld", sq_tuner_status_names[i], (long long)t->counts[i]);
  printf("\n");
}

/* The database a tune will update: readable and valid (a missing one is
 * empty), somewhere to write it, and not the cache. */
static int check_db(const char *db, const char *cache) {
  if (!db[0]) return sq_fail(SQ_EIO, "no home folder for the tuning database (set SUBQUAD_TUNEDB or --db, or --no-save)");
  if (sq_same_file(db, cache))
    return sq_fail(SQ_EINVAL, "--db %s and --cache %s are the same file", db, cache);
  sq_tunedb t;
  int rc = sq_tunedb_read(db, &t);
  if (rc) return rc;
  sq_tunedb_free(&t);
  /* Written as a temporary file in its folder, then renamed: that folder
   * must take new files (one that does not exist yet is made at the end). */
  const char *slash = strrchr(db, '/');
  char *dir = slash ? sq_strf("%.*s", slash == db ? 1 : (int)(slash - db), db) : sq_strf(".");
  if (!dir) return SQ_ENOMEM;
  struct stat st;
  if (stat(dir, &st) == 0 && access(dir, W_OK) != 0)
    rc = sq_fail(SQ_EIO, "--db %s: cannot write in %s: %s", db, dir, strerror(errno));
  free(dir);
  return rc;
}

static sq_tune_end tune_run(const sq_tune_opts *a, dev_ctx *x, sq_space *sp) {
  sq_cache cache = {0};
  sq_cache_key key;
  sq_tune_end end = SQ_TUNE_DONE;
  int rc;
  char *path = a->cache ? sq_strf("%s", a->cache) : default_cache(x), *db = a->save ? sq_tunedb_path(a->db) : NULL;
  if (!path || (a->save && !db)) {
    end = sq_tune_fail(SQ_TUNE_FAILED, SQ_ENOMEM, NULL);
    goto early;
  }
  /* The database is read and rewritten at the end: a bad one is refused
   * now, not after hours of tuning. */
  if (a->t4 && sq_check_output_file(a->t4)) {
    end = sq_tune_fail(SQ_TUNE_REFUSED, SQ_EINVAL, "--t4 ");
    goto early;
  }
  if (db && (rc = check_db(db, path))) {
    end = sq_tune_fail(SQ_TUNE_REFUSED, rc, NULL);
    goto early;
  }
  if ((rc = sq_mkdirs_parent(path))) {
    end = sq_tune_fail(SQ_TUNE_REFUSED, rc, "--cache ");
    goto early;
  }
  cache_key(x, &key);
  if ((rc = sq_cache_open(path, &key, sp, a->resume || x->continuation, &cache))) {
    end = sq_tune_fail(SQ_TUNE_REFUSED, rc, NULL);
    goto early;
  }
  if (!a->quiet && !x->continuation) {
    fprintf(stderr, "cache %s", path);
    if (a->resume) fprintf(stderr, ": %lld done, %lld recorded as crashed now", (long long)cache.nresults,
                           (long long)cache.ncrashed_now);
    fprintf(stderr, "\n");
  }
  /* Each configuration is built and measured once: the programs compiled
   * ahead are all a tune needs to keep, and without compile-ahead threads
   * the one being measured and the one before it (neighbours in the
   * enumeration often share a program). */
  int jobs = a->jobs >= 0 ? a->jobs : x->dev->info.is_gpu ? 2 : 0;
  sq_progcache_set_capacity(jobs ? SQ_PROGCACHE_TUNE_CAPACITY : 2);
  if (jobs && !(x->prebuild_s = calloc((size_t)sp->n, sizeof(double)))) {
    rc = sq_fail(SQ_ENOMEM, "out of memory");
    goto out;
  }
  if (jobs && (rc = sq_pool_start(jobs, sp->n, prebuild_job, x, &x->pool))) goto out;
  int ranks = x->fleet ? x->fleet->size : 1;
  if (ranks > 1 && (rc = sq_tune_fleet_start(x->fleet, sp->n, 600, &x->tf))) goto out;
  const sq_strategy *st = sq_strategy_find(a->nstrategy ? a->strategy[0]
                                           : !a->budget || a->budget >= sp->n ? "exhaustive" : "anneal");
  /* A process of an MPI job cannot be replaced by a fresh one: a fleet's
   * tune does not recycle. */
  int alone = !x->fleet || !x->fleet->mpi;
  sq_tuner t = {.space = sp, .measure = dev_measure, .mctx = x, .prefetch = x->pool || x->tf ? prefetch : NULL,
                .cache = &cache, .progress = !a->quiet, .notes = !a->quiet, .kill_after = sq_tuner_kill_after_env(),
                .catch_sigint = 1, .recycle_after = alone ? sq_tuner_recycle_after_env() : 0, .recycle_rss = alone};
  sq_tuner_continue_env(&t);
  /* Enough announced ahead to keep every other rank's queue full. */
  sq_search s = {.budget = a->budget, .time_limit = a->time_s, .seed = a->seed, .lookahead = 4 * (ranks - 1)};
  rc = sq_tuner_run(&t, st, &s);
  if (x->tf) {
    char counts[512];
    sq_tune_fleet_counts(x->tf, counts, sizeof counts);
    if (!a->quiet) fprintf(stderr, "measured by the other ranks: %s\n", counts);
    sq_tune_fleet_stop(x->tf);
    x->tf = NULL;
  }
  sq_pool_stop(x->pool);
  x->pool = NULL;
  if (!rc && t.recycled) rc = sq_tuner_continue_set(&t);
  if (rc || t.recycled) {
    x->recycle = !rc;
    sq_search_free(&s);
    goto out;
  }
  t.cached = s.nevals - t.measured;   /* over every process of this tune */
  char shape[SQ_SHAPE_TEXT_MAX], cfg[256];
  shape_str(&x->prob, shape, sizeof shape);
  printf("tuned %s on %s (%s), %s %s %s, strategy %s, seed %llu\n", x->k->name, x->dev->id, x->dev->info.name,
         shape, x->prob.causal ? "causal" : "non-causal", sq_dtype_name(x->prob.dtype), st->name,
         (unsigned long long)a->seed);
  summary(&t, &s);
  if (a->t4) {
    sq_t4 t4 = {0};
    sq_t4_meta m = {.kernel = x->k->name, .device = x->dev->info.name, .shape = shape,
                    .dtype = sq_dtype_name(x->prob.dtype), .source = "subquad tune"};
    if (!(rc = sq_t4_from_cache(&t4, &cache)) && (rc = sq_t4_save(a->t4, &t4, sp, &m)))
      rc = sq_fail(rc, "--t4 %s", sq_last_error());
    sq_t4_free(&t4);
    if (rc) {
      sq_search_free(&s);
      goto out;
    }
    if (!a->quiet) fprintf(stderr, "wrote %s (%lld evaluations, T4)\n", a->t4, (long long)t4.n);
  }
  double cms;
  int64_t best = sq_cache_best(&cache, &cms);
  sq_search_free(&s);
  if (best < 0) {
    printf("no configuration passed; nothing stored\n");
    end = SQ_TUNE_NOTHING;
    goto out;
  }
  int pv[SQ_SPACE_MAXP], def[SQ_MAX_PARAMS];
  sq_space_values(sp, best, pv);
  sq_kernel_default_params(x->k, def);
  sq_params_format(x->k, pv, cfg, sizeof cfg);
  printf("best (lowest ok record of the cache): %s: %.4g ms\n", cfg, cms);
  double bms, dms;
  if (!a->quiet) fprintf(stderr, "measuring the best and the default configurations side by side...\n");
  if ((rc = side_by_side(x, pv, &bms, &dms))) goto out;
  sq_params_format(x->k, def, cfg, sizeof cfg);
  printf("side by side: best %.4g ms, default (%s) %.4g ms: speedup %.2fx\n", bms, cfg, dms, dms / bms);
  /* A search that never met the default, or a best that only won on a
   * noisy sample, must not replace it: the database then records that the
   * default stays (and overwrites an older entry saying otherwise). */
  const int *keep = pv;
  if (isfinite(dms) && dms <= bms) {
    printf("the default is not slower side by side: it stays the configuration\n");
    keep = def;
    bms = dms;
  }
  if (a->save && isfinite(bms) && (rc = store_db(db, x, keep, bms, dms))) goto out;
out:
  sq_tune_fleet_stop(x->tf);
  x->tf = NULL;
  sq_pool_stop(x->pool);
  x->pool = NULL;
  free(x->prebuild_s);
  x->prebuild_s = NULL;
  sq_cache_close(&cache);
  if (rc) end = sq_tune_fail(SQ_TUNE_FAILED, rc, NULL);
early:
  free(path);
  free(db);
  return end;
}

/* A rank other than 0 of a fleet's tune: measures what rank 0 sends. */
static sq_tune_end serve_fleet(dev_ctx *x) {
  sq_progcache_set_capacity(2);
  int rc = sq_tune_fleet_serve(x->fleet, dev_measure, x);
  return rc ? sq_tune_fail(SQ_TUNE_FAILED, rc, NULL) : SQ_TUNE_DONE;
}

sq_tune_end sq_tune_device(const sq_tune_opts *a) {
  dev_ctx x = {.continuation = getenv("SUBQUAD_TUNE_CONTINUE") != NULL};
  sq_space sp = {0};
  sq_tune_end end;
  int fleet = a->fleet && a->fleet->size > 1;
  x.fleet = a->fleet;
  int rc = setup_problem(a, &x), brc = 0;
  if (rc && !fleet) return sq_tune_fail(SQ_TUNE_REFUSED, rc, NULL);
  if (!rc && (rc = sq_device_open(a->device, &x.dev))) {
    sq_fail(rc, "--device: %s", sq_last_error());
    if (!fleet) return sq_tune_fail(SQ_TUNE_REFUSED, rc, NULL);
  }
  if (!rc) brc = sq_space_from_kernel(x.k, &x.prob, limits_filter, &x, &sp);
  x.sp = &sp;
  /* Every rank reaches the agreement, whatever its set-up did, so none
   * waits for a rank that gave up. */
  if (fleet && (rc = fleet_agree(&x, &sp, rc ? rc : brc))) {
    end = sq_tune_fail(SQ_TUNE_REFUSED, rc, NULL);
  } else if (brc) {
    end = sq_tune_fail(SQ_TUNE_REFUSED, brc, NULL);
  } else if (fleet && a->fleet->rank > 0) {
    end = serve_fleet(&x);
  } else if (a->space_only) {
    print_space(&x, &sp);
    end = SQ_TUNE_DONE;
  } else if (sp.n == 0) {
    print_space(&x, &sp);
    sq_fail(SQ_EINFEASIBLE, "%s has no valid configuration for this shape on %s", x.k->name, x.dev->id);
    end = SQ_TUNE_REFUSED;
  } else {
    if (!a->quiet && !x.continuation) print_space(&x, &sp);
    if (fleet && !a->quiet) fprintf(stderr, "tuning over %d ranks on %s\n", a->fleet->size, x.dev->info.name);
    end = tune_run(a, &x, &sp);
  }
  sq_space_free(&sp);
  if (x.dev) {
    sq_run_release_programs(x.dev);
    sq_device_close(x.dev);
  }
  return x.recycle ? SQ_TUNE_CONTINUE : end;
}
