/* SPDX-License-Identifier: BSD-3-Clause */
/* The compile-ahead thread pool (pool.h): one mutex, one queue of item
 * indices, a state per item. */
#include "tuner/pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/error.h"

enum { ST_NONE = 0, ST_QUEUED, ST_RUNNING, ST_DONE };

struct sq_pool {
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  int nthreads, stop;
  pthread_t *threads;
  uint8_t *state;
  int64_t *queue, head, tail, nitems;
  sq_pool_fn fn;
  void *ctx;
};

static void *worker(void *arg) {
  sq_pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->head == p->tail) pthread_cond_wait(&p->work, &p->mu);
    if (p->stop) break;
    int64_t item = p->queue[p->head++];
    if (p->state[item] != ST_QUEUED) continue;   /* claimed by the measuring thread */
    p->state[item] = ST_RUNNING;
    pthread_mutex_unlock(&p->mu);
    p->fn(p->ctx, item);
    pthread_mutex_lock(&p->mu);
    p->state[item] = ST_DONE;
    pthread_cond_broadcast(&p->done);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int sq_pool_start(int nthreads, int64_t nitems, sq_pool_fn fn, void *ctx, sq_pool **out) {
  sq_pool *p = calloc(1, sizeof *p);
  if (!p) return sq_fail(SQ_ENOMEM, "pool: out of memory");
  p->state = calloc((size_t)nitems + 1, 1);
  p->queue = malloc(((size_t)nitems + 1) * sizeof *p->queue);
  p->threads = calloc((size_t)nthreads, sizeof *p->threads);
  if (!p->state || !p->queue || !p->threads) {
    free(p->state); free(p->queue); free(p->threads); free(p);
    return sq_fail(SQ_ENOMEM, "pool: out of memory");
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->work, NULL);
  pthread_cond_init(&p->done, NULL);
  p->nitems = nitems;
  p->fn = fn;
  p->ctx = ctx;
  for (int i = 0; i < nthreads; i++) {
    if (pthread_create(&p->threads[i], NULL, worker, p)) break;
    p->nthreads++;
  }
  *out = p;
  return 0;
}

void sq_pool_submit(sq_pool *p, int64_t item) {
  pthread_mutex_lock(&p->mu);
  if (p->state[item] == ST_NONE && p->tail < p->nitems) {
    p->state[item] = ST_QUEUED;
    p->queue[p->tail++] = item;
    pthread_cond_signal(&p->work);
  }
  pthread_mutex_unlock(&p->mu);
}

void sq_pool_claim(sq_pool *p, int64_t item) {
  pthread_mutex_lock(&p->mu);
  if (p->state[item] == ST_QUEUED || p->state[item] == ST_NONE) p->state[item] = ST_DONE;
  while (p->state[item] == ST_RUNNING) pthread_cond_wait(&p->done, &p->mu);
  pthread_mutex_unlock(&p->mu);
}

void sq_pool_stop(sq_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->work);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->work);
  pthread_cond_destroy(&p->done);
  free(p->state);
  free(p->queue);
  free(p->threads);
  free(p);
}
