/* SPDX-License-Identifier: BSD-3-Clause */
/* A small compile-ahead thread pool: the strategy hints which
 * configurations it will evaluate next, worker threads build their programs
 * (sq_case_prebuild) while the device measures the current one, and the
 * measuring thread waits for a configuration only when a worker is building
 * that very one. Each item is submitted at most once. */
#ifndef SQ_TUNER_POOL_H
#define SQ_TUNER_POOL_H

#include <stdint.h>

typedef struct sq_pool sq_pool;
typedef void (*sq_pool_fn)(void *ctx, int64_t item);

/* nthreads workers over items [0, nitems). */
int sq_pool_start(int nthreads, int64_t nitems, sq_pool_fn fn, void *ctx, sq_pool **out);
/* Queues item unless it was submitted before. */
void sq_pool_submit(sq_pool *p, int64_t item);
/* Before using item: drops it from the queue if no worker took it yet, or
 * waits until the worker building it is done. */
void sq_pool_claim(sq_pool *p, int64_t item);
/* Drops the queue, waits for running jobs, joins the workers. */
void sq_pool_stop(sq_pool *p);

#endif
