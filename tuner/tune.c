/* SPDX-License-Identifier: BSD-3-Clause */
/* The evaluation path of a tuning run (tune.h), and how a driver reports a
 * failed step (drivers.h). */
#include "tuner/tune.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/csv.h"
#include "base/error.h"
#include "tuner/drivers.h"
#include "tuner/t4.h"

const char *const sq_tuner_status_names[8] = {"ok", "compile", "limits", "launch",
                                              "verify", "timeout", "crashed", "invalid"};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int64_t sq_tuner_kill_after_env(void) {
  const char *e = getenv("SUBQUAD_TUNE_KILL_AFTER");
  return e && *e ? atoll(e) : 0;
}

int64_t sq_tuner_recycle_after_env(void) {
  const char *e = getenv("SUBQUAD_TUNE_RECYCLE_AFTER");
  return e && *e ? atoll(e) : 0;
}

#define CONTINUE_ENV "SUBQUAD_TUNE_CONTINUE"

int sq_tuner_continue_env(sq_tuner *t) {
  const char *e = getenv(CONTINUE_ENV);
  long long m;
  double ms, el;
  long base;
  int ok = e && sscanf(e, "%lld %lf %lf %ld", &m, &ms, &el, &base) == 4 && m >= 0 && ms >= 0 && el >= 0 &&
           base >= 0;
  unsetenv(CONTINUE_ENV);   /* not for the processes this one starts */
  if (!ok) return 0;
  t->continuation = 1;
  t->measured = t->measured_before = m;
  t->measure_s = ms;
  t->elapsed_before = el;
  t->rss_base_kb = base;
  return 1;
}

int sq_tuner_continue_set(const sq_tuner *t) {
  char v[128];
  snprintf(v, sizeof v, "%lld %.3f %.3f %ld", (long long)t->measured, t->measure_s,
           t->search ? now_s() - t->search->t0 : 0.0, t->rss_base_kb);
  return setenv(CONTINUE_ENV, v, 1) ? sq_fail(SQ_ENOMEM, "setenv: out of memory") : 0;
}

long sq_tuner_rss_kb(void) {
  FILE *fp = fopen("/proc/self/status", "r");
  char line[256];
  long kb = 0;
  if (!fp) return 0;
  while (fgets(line, sizeof line, fp))
    if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
  fclose(fp);
  return kb;
}

/* After a measured evaluation: whether to continue in a fresh process
 * (never after the last one), saying why on stderr. The memory bound is the
 * tune's, not one process's: its resident memory after its first
 * SQ_TUNER_RSS_BASE_EVALS measured evaluations (carried to the processes
 * that continue it) plus a tenth, 16 MiB at least. A process measures at
 * least SQ_TUNER_RSS_BASE_EVALS evaluations, so a driver that grows fast
 * costs a fresh process per that many evaluations at most. */
static int want_recycle(sq_tuner *t) {
  const sq_search *s = t->search;
  int64_t seg = t->measured - t->measured_before;
  int64_t cap = s->budget > 0 && s->budget < s->space->n ? s->budget : s->space->n;
  if (s->nevals + 1 >= cap) return 0;
  if (t->recycle_after > 0 && seg >= t->recycle_after) {
    if (t->notes)
      fprintf(stderr, "continuing in a fresh process after %lld evaluations (SUBQUAD_TUNE_RECYCLE_AFTER)\n",
              (long long)seg);
    return 1;
  }
  if (!t->recycle_rss || seg < SQ_TUNER_RSS_BASE_EVALS) return 0;
  long rss = sq_tuner_rss_kb();
  if (!t->rss_base_kb) {
    t->rss_base_kb = rss;
    return 0;
  }
  long slack = t->rss_base_kb / 10 > 16384 ? t->rss_base_kb / 10 : 16384;
  if (rss <= t->rss_base_kb + slack) return 0;
  if (t->notes)
    fprintf(stderr, "resident memory %.0f MiB, over the tune's %.0f MiB after its first %d evaluations by more "
            "than a tenth (the driver keeps what it built); continuing in a fresh process\n", rss / 1024.0,
            t->rss_base_kb / 1024.0, SQ_TUNER_RSS_BASE_EVALS);
  return 1;
}

static void count(sq_tuner *t, const char *status) {
  for (int i = 0; i < 8; i++)
    if (!strcmp(status, sq_tuner_status_names[i])) t->counts[i]++;
}

static void fmt_dur(char *b, size_t n, double s) {
  if (s < 60) snprintf(b, n, "%.0fs", s);
  else if (s < 3600) snprintf(b, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
  else snprintf(b, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void progress(sq_tuner *t, int64_t cfg, const sq_outcome *o, int cached) {
  const sq_search *s = t->search;
  int64_t cap = s->budget > 0 && s->budget < s->space->n ? s->budget : s->space->n;
  int64_t done = s->nevals + 1;
  double el = now_s() - s->t0;
  char cfgs[256], best[64] = "none", eta[32] = "?", els[32];
  sq_space_format(t->space, cfg, cfgs, sizeof cfgs);
  double bms = s->best_ms;
  if (!strcmp(o->status, "ok") && o->ms < bms) bms = o->ms;
  if (isfinite(bms)) snprintf(best, sizeof best, "%.4g ms", bms);
  /* ETA from the mean time of the measured (not cached) evaluations. */
  if (t->measured > 0) {
    double rem = (double)(cap - done) * (t->measure_s / (double)t->measured);
    if (s->time_limit > 0 && rem > s->time_limit - el) rem = fmax(0, s->time_limit - el);
    fmt_dur(eta, sizeof eta, rem);
  }
  fmt_dur(els, sizeof els, el);
  if (!strcmp(o->status, "ok"))
    fprintf(stderr, "[%lld/%lld] %s: %.4g ms%s | best %s | %s elapsed, ETA %s\n", (long long)done,
            (long long)cap, cfgs, o->ms, cached ? " (cached)" : "", best, els, eta);
  else
    fprintf(stderr, "[%lld/%lld] %s: %s%s: %.120s | best %s | %s elapsed, ETA %s\n", (long long)done,
            (long long)cap, cfgs, o->status, cached ? " (cached)" : "", o->message, best, els, eta);
}

/* Ctrl-C ends a tune after the running evaluation has its record, so the
 * configuration is not taken for a crash on --resume; a second one kills. */
static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) {
  interrupted = 1;
  signal(sig, SIG_DFL);
}

static double eval_cb(void *ctx, int64_t cfg) {
  sq_tuner *t = ctx;
  sq_outcome o;
  if (interrupted) return sq_fail(SQ_ETIMEOUT, "interrupted: continue with --resume");
  int cached = t->cache && sq_cache_lookup(t->cache, cfg, &o);
  if (!cached) {
    if (t->cache) {
      int rc = sq_cache_attempt(t->cache, cfg);
      if (rc) return rc;
    }
    if (t->kill_after && t->measured + 1 == t->kill_after) raise(SIGKILL);
    memset(&o, 0, sizeof o);
    o.ms = o.compile_s = o.verify_s = o.bench_s = NAN;
    double t0 = now_s();
    int rc = t->measure(t->mctx, cfg, &o);
    t->measure_s += now_s() - t0;
    if (rc) return rc < 0 ? rc : SQ_EBACKEND;
    /* A time of zero or less is no time: recorded as such, it would make
     * the cache unreadable on --resume and, negative, read as an error code. */
    if (!strcmp(o.status, "ok") && !(isfinite(o.ms) && o.ms > 0)) {
      snprintf(o.message, sizeof o.message, "measured %g ms, not a positive time", o.ms);
      snprintf(o.status, sizeof o.status, "invalid");
      o.ms = NAN;
    }
    t->measured++;
    if (t->cache && (rc = sq_cache_record(t->cache, cfg, &o))) return rc;
    /* The result is on the disk: a fresh process answers it from there. */
    if (t->cache && want_recycle(t)) {
      t->recycled = 1;
      t->search->stopped = 1;
    }
  } else {
    t->cached++;
  }
  count(t, o.status);
  if (t->t4) {
    int rc = sq_t4_add(t->t4, cfg, &o);
    if (rc) return rc;
  }
  /* Only a positive time is a result: the search reads a negative return
   * as an error code. */
  double ms = !strcmp(o.status, "ok") && isfinite(o.ms) && o.ms > 0 ? o.ms : INFINITY;
  if (t->trace) {
    double best = fmin(t->search->best_ms, ms);
    char f[3][32] = {"", "", ""};
    const char *row[3] = {f[0], f[1], f[2]};
    snprintf(f[0], sizeof f[0], "%lld", (long long)t->search->nevals + 1);
    if (isfinite(ms)) snprintf(f[1], sizeof f[1], "%.6g", ms);
    if (isfinite(best)) snprintf(f[2], sizeof f[2], "%.6g", best);
    sq_csv_write_row(t->trace, row, 3);
  }
  if (t->progress && !(cached && t->continuation)) progress(t, cfg, &o, cached);
  return ms;
}

/* Compile-ahead hints skip what the cache already answers. */
static void hint_cb(void *ctx, int64_t cfg) {
  sq_tuner *t = ctx;
  sq_outcome o;
  if (t->cache && sq_cache_lookup(t->cache, cfg, &o)) return;
  t->prefetch(t->mctx, cfg);
}

int sq_tuner_run(sq_tuner *t, const sq_strategy *st, sq_search *s) {
  t->search = s;
  s->space = t->space;
  s->eval = eval_cb;
  s->ctx = t;
  s->hint = t->prefetch ? hint_cb : NULL;
  int rc = sq_search_init(s);
  if (rc) return rc;
  s->t0 -= t->elapsed_before;   /* a --time budget spans recycled processes */
  static const char *const trace_header[] = {"eval", "time_ms", "best_ms"};
  if (t->trace) sq_csv_write_row(t->trace, trace_header, 3);
  void (*old)(int) = t->catch_sigint ? signal(SIGINT, on_sigint) : SIG_DFL;
  rc = sq_search_run(st, s);
  if (t->catch_sigint) signal(SIGINT, old);
  return rc;
}

sq_tune_end sq_tune_fail(sq_tune_end end, int rc, const char *prefix) {
  const char *d = sq_last_error();
  sq_fail(rc, "%s%s", prefix ? prefix : "", *d ? d : rc < 0 ? sq_strerror(rc) : "failed");
  return end;
}
