/* SPDX-License-Identifier: BSD-3-Clause */
/* `mpirun -np N subquad run`: one suite over N ranks, one device each.
 *
 * Every rank expands the same cases, opens its own device (harness/fleet.h
 * picks it by node-local rank), binds itself to the NUMA node nearest it
 * and configures the cases for it. Rank 0 hands the cases out one at a
 * time as ranks become free, the longest predicted first, so a long case
 * starts early instead of holding one rank busy at the end; it works
 * through cases itself on a second thread while its first thread talks
 * to the fleet (MPI_THREAD_FUNNELED). A case's later measuring rounds
 * (--rounds) go back to the rank that ran its first, whose device and
 * program cache its samples belong to, after the first rounds of every
 * case have been handed out, so rounds stay spread over the run.
 *
 * Rank 0 alone writes the result file: one row per case, each naming its
 * host, rank and device, every sample in the sidecar. A rank that gives
 * no result within its case's predicted time plus --rank-timeout is lost:
 * its case is failed with the reason, the other ranks take the rest, and
 * the job is aborted (the lost rank cannot be told to stop) only after the
 * file is written. When the launcher ends the job (mpirun does when a rank
 * dies), rank 0 writes what it has before it goes: every finished row,
 * every other case failed, saying why. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "commands/commands.h"
#include "commands/run_cli.h"
#include "tuner/db.h"

enum { TAG_TASK = 11, TAG_STOP, TAG_ROW };

typedef struct task_msg { int32_t index, round; } task_msg;

/* What each rank tells every other at the start. */
typedef struct hello {
  int32_t ok;
  char host[64], device[32], device_name[128], binding[64], error[320];
} hello;

/* One rank's view of the run: its device and its rows (a rank keeps the
 * rows of its cases, to add later rounds' samples to them). */
typedef struct rank_work {
  run_cli *a;
  const sq_fleet *fleet;
  sq_case_list *cases;
  sq_device *dev;
  sq_run_opts share;       /* one round's share of the measuring budget */
  sq_result *rows;
} rank_work;

/* Test-only fault injection, as the gate's worker has:
 * SUBQUAD_FLEET_FAULT=crash|hang:RANK:N makes RANK die (SIGKILL) or stop
 * answering when it is handed its N-th task (1-based), whichever case
 * that is. */
static void maybe_fault(const rank_work *w) {
  static int tasks;
  const char *f = getenv("SUBQUAD_FLEET_FAULT");
  char kind[8];
  int rank, nth;
  tasks++;
  if (!f || sscanf(f, "%7[a-z]:%d:%d", kind, &rank, &nth) != 3 || rank != w->fleet->rank || nth != tasks) return;
  if (!strcmp(kind, "crash")) raise(SIGKILL);
  if (!strcmp(kind, "hang"))
    for (;;) pause();
}

/* Runs round `round` of case i on this rank's device into w->rows[i]. */
static void do_task(rank_work *w, int i, int round) {
  const sq_suite_case *sc = &w->cases->v[i];
  sq_result *r = &w->rows[i];
  maybe_fault(w);
  if (round == 0) {
    sq_prediction pr;
    if (sq_predict_opts(w->dev, &sc->c, &w->a->opts, w->a->max_case_s, &pr)) pr = (sq_prediction){.ms = -1};
    sq_clear_error();
    run_one(w->dev, w->a, &w->share, sc, &pr, r);
    r->id = i + 1;
  } else if (r->status == SQ_STATUS_OK && r->nsamples && sq_case_sample_more(w->dev, &sc->c, &w->share, r)) {
    r->status = SQ_STATUS_FAILED;
    snprintf(r->reason, sizeof r->reason, "round %d: %s", round + 1, sq_last_error());
  }
  snprintf(r->host, sizeof r->host, "%s", w->fleet->host);
  r->rank = w->fleet->rank;
}

/* ---- a rank other than 0 ---------------------------------------------- */

static int send_row(rank_work *w, const task_msg *t) {
  void *packed;
  size_t n;
  if (sq_result_pack(&w->rows[t->index], &packed, &n)) return -1;
  char *msg = malloc(sizeof *t + n);
  if (!msg) return free(packed), sq_fail(SQ_ENOMEM, "no memory for a row message");
  memcpy(msg, t, sizeof *t);
  memcpy(msg + sizeof *t, packed, n);
  int rc = sq_fleet_send(w->fleet, 0, TAG_ROW, msg, sizeof *t + n);
  free(msg);
  free(packed);
  return rc;
}

static int serve(rank_work *w) {
  for (;;) {
    void *buf;
    size_t n;
    int tag;
    if (sq_fleet_recv(w->fleet, 0, -1, NULL, &tag, &buf, &n)) return -1;
    task_msg t;
    int stop = tag != TAG_TASK || n != sizeof t;
    if (!stop) memcpy(&t, buf, sizeof t);
    free(buf);
    if (stop) return 0;
    if (t.index < 0 || t.index >= w->cases->n) return sq_fail(SQ_EINVAL, "rank 0 sent case %d of %d", t.index, w->cases->n);
    do_task(w, t.index, t.round);
    if (send_row(w, &t)) return -1;
  }
}

/* ---- rank 0: the local worker thread ----------------------------------- */

typedef struct local_worker {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  rank_work *w;
  task_msg task;
  int has_task, done, quit;
} local_worker;

static void *local_main(void *arg) {
  local_worker *lw = arg;
  pthread_mutex_lock(&lw->lock);
  for (;;) {
    while (!lw->has_task && !lw->quit) pthread_cond_wait(&lw->wake, &lw->lock);
    if (lw->quit) break;
    task_msg t = lw->task;
    pthread_mutex_unlock(&lw->lock);
    do_task(lw->w, t.index, t.round);
    pthread_mutex_lock(&lw->lock);
    lw->has_task = 0;
    lw->done = 1;
  }
  pthread_mutex_unlock(&lw->lock);
  return NULL;
}

static void local_give(local_worker *lw, task_msg t) {
  pthread_mutex_lock(&lw->lock);
  lw->task = t;
  lw->has_task = 1;
  lw->done = 0;
  pthread_cond_signal(&lw->wake);
  pthread_mutex_unlock(&lw->lock);
}

static int local_take(local_worker *lw) {
  pthread_mutex_lock(&lw->lock);
  int done = lw->done;
  lw->done = 0;
  pthread_mutex_unlock(&lw->lock);
  return done;
}

/* ---- rank 0: handing out the cases ------------------------------------ */

typedef struct rank_state {
  int busy, lost;
  task_msg task;
  double deadline;
} rank_state;

typedef struct coordinator {
  rank_work *w;            /* rank 0's own work; w->rows are its rows */
  local_worker lw;
  rank_state *ranks;
  const hello *hellos;     /* every rank's host and device */
  int nranks;
  const sq_prediction *pr;
  int *order;              /* case indices, longest predicted first */
  int next;                /* next of order[] to hand out for its first round */
  int *owner, *rounds_done;/* per case: its rank (-1), rounds finished (0: none) */
  sq_result *rows;         /* the file's rows (deep copies) */
  int *have;               /* rows[i] holds a row */
  double t0, done_s, total_s, saved;
} coordinator;

static volatile sig_atomic_t ended_by;

static void on_end(int sig) { ended_by = sig; }

static double task_seconds(const coordinator *c, int i, int round) {
  const sq_prediction *p = &c->pr[i];
  double s = p->ms > 0 && p->feasible ? p->ms * 1e-3 : 0;
  return round ? s / c->w->a->rounds : s;
}

static const coordinator *sorting;

static int cmp_longest(const void *x, const void *y) {
  const coordinator *c = sorting;
  double a = task_seconds(c, *(const int *)x, 0), b = task_seconds(c, *(const int *)y, 0);
  return a < b ? 1 : a > b ? -1 : *(const int *)x - *(const int *)y;
}

/* Whether case i, run on its owner, still has a round to take. */
static int wants_round(const coordinator *c, int i) {
  const sq_result *r = &c->rows[i];
  return c->have[i] && c->rounds_done[i] < c->w->a->rounds && r->status == SQ_STATUS_OK && r->nsamples &&
         !(c->pr[i].ms >= 0 && c->pr[i].sliced);
}

/* The next task for rank k: a case's first round, longest first; when
 * none is left, the least-advanced later round of k's own cases. 0 when
 * there is nothing for k. */
static int pick(coordinator *c, int k, task_msg *t) {
  if (c->next < c->w->cases->n) {
    *t = (task_msg){c->order[c->next++], 0};
    return 1;
  }
  int best = -1;
  for (int j = 0; j < c->w->cases->n; j++) {
    int i = c->order[j];
    if (c->owner[i] == k && wants_round(c, i) && (best < 0 || c->rounds_done[i] < c->rounds_done[best])) best = i;
  }
  if (best < 0) return 0;
  *t = (task_msg){best, c->rounds_done[best]};
  return 1;
}

static void give(coordinator *c, int k, task_msg t) {
  rank_state *s = &c->ranks[k];
  s->busy = 1;
  s->task = t;
  s->deadline = sq_now_s() + 3 * task_seconds(c, t.index, t.round) + c->w->a->rank_timeout;
  if (!t.round) c->owner[t.index] = k;
  if (k == 0) {
    local_give(&c->lw, t);
  } else if (sq_fleet_send(c->w->fleet, k, TAG_TASK, &t, sizeof t)) {
    fprintf(stderr, "subquad run: rank %d: %s\n", k, sq_last_error());
    s->deadline = 0;   /* lost at the next check */
  }
}

/* A row came back from rank k (owned by the coordinator now). */
static void take(coordinator *c, int k, sq_result *row) {
  rank_state *s = &c->ranks[k];
  int i = s->task.index;
  if (c->have[i]) sq_result_free(&c->rows[i]);
  c->rows[i] = *row;
  c->have[i] = 1;
  c->rounds_done[i] = s->task.round + 1;
  s->busy = 0;
  c->done_s += task_seconds(c, i, s->task.round);
  run_progress(c->w->a, s->task.round, i, c->w->cases->n, c->t0, &c->rows[i], c->done_s, c->total_s);
}

/* A row of case i that failed before or without a result of its own. */
static void fail_case(coordinator *c, int i, int k, const char *why) {
  sq_result *r = &c->rows[i];
  if (!c->have[i]) {
    sq_result_init(r);
    sq_case_describe(c->w->dev, &c->w->cases->v[i].c, r);
    snprintf(r->suite, sizeof r->suite, "%s", c->w->a->suite ? c->w->a->suite : "");
    snprintf(r->workload, sizeof r->workload, "%s", c->w->cases->v[i].workload);
    r->id = i + 1;
    c->have[i] = 1;
  }
  r->status = SQ_STATUS_FAILED;
  r->rank = k >= 0 ? k : 0;
  snprintf(r->host, sizeof r->host, "%s", c->hellos[k >= 0 ? k : 0].host);
  snprintf(r->reason, sizeof r->reason, "%s", why);
  c->rounds_done[i] = c->w->a->rounds;
}

/* Ranks past their deadline are lost, with the case they held. */
static void check_deadlines(coordinator *c) {
  double now = sq_now_s();
  for (int k = 0; k < c->nranks; k++) {
    rank_state *s = &c->ranks[k];
    if (!s->busy || now <= s->deadline) continue;
    char why[256];
    snprintf(why, sizeof why, "rank %d gave no result for round %d within %.0f s: it died or hung (--rank-timeout)",
             k, s->task.round + 1, now - s->deadline + 3 * task_seconds(c, s->task.index, s->task.round) +
             c->w->a->rank_timeout);
    fail_case(c, s->task.index, k, why);
    fprintf(stderr, "subquad run: rank %d lost: %s\n", k, why);
    s->busy = 0;
    s->lost = 1;
  }
}

static int receive_rows(coordinator *c) {
  int got = 0, from, tag;
  void *buf;
  size_t n;
  while (sq_fleet_poll(c->w->fleet, TAG_ROW, &from, &tag, &buf, &n) == 1) {
    task_msg t;
    sq_result row;
    rank_state *s = from > 0 && from < c->nranks ? &c->ranks[from] : NULL;
    int ok = s && s->busy && !s->lost && n > sizeof t;
    if (ok) memcpy(&t, buf, sizeof t);
    ok = ok && t.index == s->task.index && t.round == s->task.round &&
         !sq_result_unpack((char *)buf + sizeof t, n - sizeof t, &row);
    free(buf);
    if (ok) take(c, from, &row), got++;
  }
  if (c->ranks[0].busy && !c->ranks[0].lost && local_take(&c->lw)) {
    /* The local thread's row stays its own (later rounds extend it): the
     * file gets a copy. */
    void *packed = NULL;
    size_t pn;
    sq_result row;
    int i = c->ranks[0].task.index;
    if (!sq_result_pack(&c->w->rows[i], &packed, &pn) && !sq_result_unpack(packed, pn, &row)) take(c, 0, &row), got++;
    else fail_case(c, i, 0, sq_last_error()), c->ranks[0].busy = 0;
    free(packed);
  }
  return got;
}

static int finished(const coordinator *c) {
  for (int k = 0; k < c->nranks; k++)
    if (c->ranks[k].busy && !c->ranks[k].lost) return 0;
  for (int i = 0; i < c->w->cases->n; i++) {
    if (!c->have[i]) return 0;
    if (c->owner[i] >= 0 && !c->ranks[c->owner[i]].lost && wants_round(c, i)) return 0;
  }
  return 1;
}

/* The rows finished so far, in case order, for a partial save. */
static void checkpoint(coordinator *c) {
  sq_result *v = malloc(sizeof *v * (size_t)c->w->cases->n);
  int n = 0, round = c->w->a->rounds;
  for (int i = 0; v && i < c->w->cases->n; i++)
    if (c->have[i]) {
      v[n++] = c->rows[i];
      if (c->rounds_done[i] - 1 < round) round = c->rounds_done[i] - 1;
    }
  if (v) run_save_partial(c->w->a, c->w->dev, v, n, c->w->cases->n, round < 0 ? 0 : round);
  free(v);
  c->saved = sq_now_s();
}

/* The launcher ends the job: every case without a finished row fails,
 * saying so, and the file is written at once (a launcher gives a second
 * or so before it kills). */
static void ended(coordinator *c) {
  char why[256];
  for (int k = 0; k < c->nranks; k++)
    if (c->ranks[k].busy) {
      snprintf(why, sizeof why, "not finished: the launcher ended the job (signal %d, as mpirun does when a rank dies) "
               "while rank %d ran round %d", (int)ended_by, k, c->ranks[k].task.round + 1);
      fail_case(c, c->ranks[k].task.index, k, why);
    }
  snprintf(why, sizeof why, "not run: the launcher ended the job (signal %d, as mpirun does when a rank dies) "
           "before the case started", (int)ended_by);
  int unfinished = 0;
  for (int i = 0; i < c->w->cases->n; i++) {
    unfinished += !c->have[i] || c->rows[i].status == SQ_STATUS_FAILED;
    if (!c->have[i]) fail_case(c, i, -1, why);
  }
  char *info = c->w->a->fleet_info;
  size_t len = strlen(info);
  snprintf(info + len, sizeof c->w->a->fleet_info - len, "; ended by signal %d: %d cases failed unfinished",
           (int)ended_by, unfinished);
}

static void coordinate(coordinator *c) {
  for (;;) {
    if (ended_by) return ended(c);
    int moved = receive_rows(c);
    check_deadlines(c);
    for (int k = 0; k < c->nranks; k++) {
      task_msg t;
      if (!c->ranks[k].busy && !c->ranks[k].lost && pick(c, k, &t)) give(c, k, t), moved = 1;
    }
    if (finished(c)) return;
    int alive = 0;
    for (int k = 0; k < c->nranks; k++) alive |= !c->ranks[k].lost;
    if (!alive) {
      for (int i = 0; i < c->w->cases->n; i++)
        if (!c->have[i]) fail_case(c, i, -1, "not run: every rank was lost");
      return;
    }
    if (c->w->a->out && sq_now_s() - c->saved >= 60) checkpoint(c);
    if (!moved) nanosleep(&(struct timespec){0, 2000000}, NULL);
  }
}

/* ---- setting up every rank --------------------------------------------- */

/* The device's peaks: GPUs all at once; devices that are the host's CPUs
 * (shared by the ranks of a host) one rank after another, so that no rank
 * measures a ceiling halved by another's measurement. Every rank passes
 * the same barriers. */
static void measure_peaks(rank_work *w) {
  const run_cli *a = w->a;
  if (!a->peaks || a->opts.verify_only) return;
  int want = w->dev->backend != &sq_backend_cpu, shared = w->dev->info.host_unified, rc = 0;
  if (want && !shared) rc = sq_device_measure_peaks(w->dev);
  for (int k = 0; k < w->fleet->size; k++) {
    if (want && shared && k == w->fleet->rank) rc = sq_device_measure_peaks(w->dev);
    sq_fleet_barrier(w->fleet);
  }
  if (rc) fprintf(stderr, "subquad run: warning: rank %d: peaks not measured: %s\n", w->fleet->rank, sq_last_error());
}

/* Opens this rank's device, binds to its NUMA node and configures the
 * cases for it; the outcome goes into *me either way. */
static void set_up(rank_work *w, hello *me) {
  char name[64];
  run_cli *a = w->a;
  memset(me, 0, sizeof *me);
  if (sq_fleet_device(w->fleet, a->device, name, sizeof name) || sq_device_open(name[0] ? name : NULL, &w->dev) ||
      run_configure_cases(a, w->dev, w->cases)) {
    snprintf(me->error, sizeof me->error, "%s", sq_last_error());
    return;
  }
  sq_fleet_bind(w->dev, me->binding, sizeof me->binding);
  snprintf(me->host, sizeof me->host, "%s", w->fleet->host);
  snprintf(me->device, sizeof me->device, "%s", w->dev->id);
  snprintf(me->device_name, sizeof me->device_name, "%s", w->dev->info.name);
  w->rows = calloc((size_t)w->cases->n, sizeof *w->rows);
  if (!w->rows) snprintf(me->error, sizeof me->error, "out of memory");
  else me->ok = 1;
  w->share = a->opts;
  sq_measure_round(&a->opts.measure, a->rounds, &w->share.measure);
}

/* The fleet's line of the file's metadata: ranks, devices, binding. */
static void fleet_meta(const sq_fleet *f, const hello *all, char *buf, size_t n) {
  int len = snprintf(buf, n, "%d ranks", f->size);
  for (int k = 0; k < f->size && len < (int)n - 1; k++)
    len += snprintf(buf + len, n - (size_t)len, "; %d %s %s (%s, bind %s)", k, all[k].host, all[k].device,
                    all[k].device_name, all[k].binding);
}

static int start_coordinator(coordinator *c, rank_work *w, const hello *all) {
  int n = w->cases->n;
  c->w = w;
  c->hellos = all;
  c->nranks = w->fleet->size;
  c->ranks = calloc((size_t)c->nranks, sizeof *c->ranks);
  c->order = malloc(sizeof *c->order * (size_t)n);
  c->owner = malloc(sizeof *c->owner * (size_t)n);
  c->rounds_done = calloc((size_t)n, sizeof *c->rounds_done);
  c->have = calloc((size_t)n, sizeof *c->have);
  c->rows = calloc((size_t)n, sizeof *c->rows);
  c->pr = run_plan_all(w->dev, w->a, w->cases);
  if (!c->ranks || !c->order || !c->owner || !c->rounds_done || !c->have || !c->rows || !c->pr)
    return sq_fail(SQ_ENOMEM, "out of memory");
  for (int i = 0; i < n; i++) c->order[i] = i, c->owner[i] = -1;
  sorting = c;
  qsort(c->order, (size_t)n, sizeof *c->order, cmp_longest);
  for (int r = 0; r < w->a->rounds; r++)
    for (int i = 0; i < n; i++) c->total_s += task_seconds(c, i, r);
  c->t0 = c->saved = sq_now_s();
  c->lw.w = w;
  pthread_mutex_init(&c->lw.lock, NULL);
  pthread_cond_init(&c->lw.wake, NULL);
  if (pthread_create(&c->lw.thread, NULL, local_main, &c->lw)) return sq_fail(SQ_ENOMEM, "cannot start a thread");
  return 0;
}

/* Rank 0's part: hand out, collect, write. */
static int lead(rank_work *w, const hello *all) {
  coordinator c = {0};
  int status = 1, lost = 0;
  fleet_meta(w->fleet, all, w->a->fleet_info, sizeof w->a->fleet_info);
  if (start_coordinator(&c, w, all)) {
    fprintf(stderr, "subquad run: %s\n", sq_last_error());
    sq_fleet_abort(w->fleet, 1);
  }
  signal(SIGTERM, on_end);
  signal(SIGINT, on_end);
  signal(SIGHUP, on_end);
  if (!w->a->quiet)
    fprintf(stderr, "fleet run: %d cases over %d ranks, the longest predicted first\n", w->cases->n, c.nranks);
  coordinate(&c);
  for (int k = 0; k < c.nranks; k++) lost |= c.ranks[k].lost;
  for (int k = 1; k < c.nranks && !ended_by; k++)
    if (!c.ranks[k].lost) sq_fleet_send(w->fleet, k, TAG_STOP, "", 0);
  sq_results_writer *out = NULL;
  if (run_open_output(w->a, w->dev, NULL, &out)) fprintf(stderr, "subquad run: %s\n", sq_last_error());
  else status = run_finish(w->a, w->dev, out, c.rows, w->cases->n);
  if (lost || ended_by) {
    /* A lost rank cannot be told to stop, and a rank of an ended job
     * must not outlive it: end them all, the file written. */
    fflush(NULL);
    if (ended_by) _exit(1);
    sq_fleet_abort(w->fleet, 1);
  }
  pthread_mutex_lock(&c.lw.lock);
  c.lw.quit = 1;
  pthread_cond_signal(&c.lw.wake);
  pthread_mutex_unlock(&c.lw.lock);
  pthread_join(c.lw.thread, NULL);
  for (int i = 0; i < w->cases->n; i++)
    if (c.have[i]) sq_result_free(&c.rows[i]);
  free(c.rows), free(c.have), free(c.rounds_done), free(c.owner), free(c.order), free(c.ranks);
  free((void *)c.pr);
  return status;
}

int run_fleet(run_cli *a, sq_fleet *fleet, sq_case_list *cases) {
  rank_work w = {.a = a, .fleet = fleet, .cases = cases};
  hello me, *all = NULL;
  int status = 2;
  a->fleet_size = fleet->size;
  if (fleet->rank) a->quiet = 1;
  if (a->npeers) {
    if (!fleet->rank) sq_usage_error("run", "--peer does not go with a fleet run (%d ranks): run the peers on one rank", fleet->size);
    return 2;
  }
  set_up(&w, &me);
  all = calloc((size_t)fleet->size, sizeof *all);
  if (!all || sq_fleet_allgather(fleet, &me, sizeof me, all)) {
    fprintf(stderr, "subquad run: rank %d: %s\n", fleet->rank, all ? sq_last_error() : "out of memory");
    sq_fleet_abort(fleet, 2);
  }
  int bad = -1;
  for (int k = 0; k < fleet->size && bad < 0; k++)
    if (!all[k].ok) bad = k;
  if (bad >= 0) {
    if (!fleet->rank) sq_usage_error("run", "rank %d (of %d): %s", bad, fleet->size, all[bad].error);
  } else {
    measure_peaks(&w);
    if (!fleet->rank) {
      status = lead(&w, all);
    } else if ((status = serve(&w) ? 1 : 0)) {
      fprintf(stderr, "subquad run: rank %d: %s\n", fleet->rank, sq_last_error());
    }
  }
  for (int i = 0; w.rows && i < cases->n; i++) sq_result_free(&w.rows[i]);
  free(w.rows);
  free(all);
  if (w.dev) {
    sq_run_release_programs(w.dev);
    sq_device_close(w.dev);
  }
  return status;
}
