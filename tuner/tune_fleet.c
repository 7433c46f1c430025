/* SPDX-License-Identifier: BSD-3-Clause */
/* Handing a tune's configurations to the ranks of a fleet
 * (tuner/tune_fleet.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "harness/measure.h"
#include "tuner/tune_fleet.h"

enum { TAG_CFG = 21, TAG_OUTCOME, TAG_STOP };
#define QUEUE 2   /* configurations queued on a rank: it never waits for rank 0 between two */

typedef struct cfg_msg { int64_t cfg; } cfg_msg;
typedef struct outcome_msg { int64_t cfg; sq_outcome o; } outcome_msg;

typedef struct remote {
  int64_t queued[QUEUE];
  double since[QUEUE];     /* when each was sent */
  int n, lost;
  int64_t measured;
} remote;

struct sq_tune_fleet {
  const sq_fleet *f;
  remote *ranks;           /* [size]; rank 0's entry unused */
  int *where;              /* per configuration: the rank it went to, 0 when none */
  uint8_t *ready;          /* its outcome arrived */
  sq_outcome *out;
  int64_t n;
  double lost_s;
};

int sq_tune_fleet_start(const sq_fleet *f, int64_t n, double lost_s, sq_tune_fleet **out) {
  sq_tune_fleet *tf = calloc(1, sizeof *tf);
  if (tf) {
    tf->ranks = calloc((size_t)f->size, sizeof *tf->ranks);
    tf->where = calloc((size_t)n, sizeof *tf->where);
    tf->ready = calloc((size_t)n, 1);
    tf->out = calloc((size_t)n, sizeof *tf->out);
  }
  if (!tf || !tf->ranks || !tf->where || !tf->ready || !tf->out) {
    sq_tune_fleet_stop(tf);
    return sq_fail(SQ_ENOMEM, "out of memory for the fleet's tune");
  }
  tf->f = f;
  tf->n = n;
  tf->lost_s = lost_s;
  *out = tf;
  return 0;
}

static void dequeue(remote *r, int64_t cfg) {
  for (int i = 0; i < r->n; i++)
    if (r->queued[i] == cfg) {
      memmove(&r->queued[i], &r->queued[i + 1], sizeof r->queued[0] * (size_t)(r->n - i - 1));
      memmove(&r->since[i], &r->since[i + 1], sizeof r->since[0] * (size_t)(r->n - i - 1));
      r->n--;
      return;
    }
}

/* Takes in every outcome that has arrived. */
static void collect(sq_tune_fleet *tf) {
  int from, tag;
  void *buf;
  size_t n;
  while (sq_fleet_poll(tf->f, TAG_OUTCOME, &from, &tag, &buf, &n) == 1) {
    outcome_msg m;
    int ok = n == sizeof m && from > 0 && from < tf->f->size;
    if (ok) memcpy(&m, buf, sizeof m);
    free(buf);
    if (!ok || m.cfg < 0 || m.cfg >= tf->n || tf->where[m.cfg] != from || tf->ranks[from].lost) continue;
    m.o.status[sizeof m.o.status - 1] = m.o.message[sizeof m.o.message - 1] = 0;
    tf->out[m.cfg] = m.o;
    tf->ready[m.cfg] = 1;
    dequeue(&tf->ranks[from], m.cfg);
    tf->ranks[from].measured++;
  }
}

int sq_tune_fleet_hint(sq_tune_fleet *tf, int64_t cfg) {
  collect(tf);
  if (cfg < 0 || cfg >= tf->n || tf->where[cfg]) return 0;
  int best = 0;
  for (int k = 1; k < tf->f->size; k++)
    if (!tf->ranks[k].lost && tf->ranks[k].n < QUEUE && (!best || tf->ranks[k].n < tf->ranks[best].n)) best = k;
  if (!best) return 0;
  cfg_msg m = {cfg};
  if (sq_fleet_send(tf->f, best, TAG_CFG, &m, sizeof m)) {
    tf->ranks[best].lost = 1;
    return 0;
  }
  remote *r = &tf->ranks[best];
  r->queued[r->n] = cfg;
  r->since[r->n++] = sq_now_s();
  tf->where[cfg] = best;
  return 1;
}

int sq_tune_fleet_take(sq_tune_fleet *tf, int64_t cfg, sq_outcome *o) {
  if (cfg < 0 || cfg >= tf->n || !tf->where[cfg]) return 0;
  remote *r = &tf->ranks[tf->where[cfg]];
  for (;;) {
    collect(tf);
    if (tf->ready[cfg]) {
      *o = tf->out[cfg];
      return 1;
    }
    /* A queued configuration waits behind the one before it: the clock
     * of the one in front is the rank's. */
    if (r->lost || (r->n && sq_now_s() - r->since[0] > tf->lost_s)) {
      r->lost = 1;
      memset(o, 0, sizeof *o);
      o->ms = o->compile_s = o->verify_s = o->bench_s = NAN;
      snprintf(o->status, sizeof o->status, "timeout");
      snprintf(o->message, sizeof o->message, "rank %d gave no outcome within %.0f s: it died or hung",
               tf->where[cfg], tf->lost_s);
      return 1;
    }
    nanosleep(&(struct timespec){0, 1000000}, NULL);
  }
}

void sq_tune_fleet_counts(const sq_tune_fleet *tf, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = 0;
  for (int k = 1; k < tf->f->size && len + 1 < n; k++)
    len += (size_t)snprintf(buf + len, n - len, "%srank %d: %lld%s", k > 1 ? ", " : "", k,
                            (long long)tf->ranks[k].measured, tf->ranks[k].lost ? " (lost)" : "");
}

void sq_tune_fleet_stop(sq_tune_fleet *tf) {
  if (!tf) return;
  for (int k = 1; tf->ranks && k < tf->f->size; k++)
    if (!tf->ranks[k].lost) sq_fleet_send(tf->f, k, TAG_STOP, "", 0);
  free(tf->ranks);
  free(tf->where);
  free(tf->ready);
  free(tf->out);
  free(tf);
}

int sq_tune_fleet_serve(const sq_fleet *f, sq_tune_measure_fn measure, void *ctx) {
  for (;;) {
    void *buf;
    size_t n;
    int tag;
    if (sq_fleet_recv(f, 0, -1, NULL, &tag, &buf, &n)) return -1;
    cfg_msg m;
    int stop = tag != TAG_CFG || n != sizeof m;
    if (!stop) memcpy(&m, buf, sizeof m);
    free(buf);
    if (stop) return 0;
    outcome_msg r = {.cfg = m.cfg};
    r.o.ms = r.o.compile_s = r.o.verify_s = r.o.bench_s = NAN;
    int rc = measure(ctx, m.cfg, &r.o);
    if (rc) {
      snprintf(r.o.status, sizeof r.o.status, "launch");
      snprintf(r.o.message, sizeof r.o.message, "rank %d: %s", f->rank, sq_last_error());
    }
    if (sq_fleet_send(f, 0, TAG_OUTCOME, &r, sizeof r)) return -1;
  }
}
