/* SPDX-License-Identifier: BSD-3-Clause */
/* `mpirun -np N subquad tune`: the ranks of a fleet (harness/fleet.h),
 * on identical devices, evaluate one search space together. Rank 0 runs
 * the strategy, the cache and the tuning database as a tune on one device
 * does; the configurations a strategy announces ahead (the hints that also
 * drive compile-ahead: exhaustive, random and genetic announce theirs) are
 * handed to the other ranks, at most two queued on each, and when the
 * strategy asks for one of them its measurement comes back instead of
 * being taken again: every configuration is measured once, by one rank.
 * Configurations nobody announced (anneal and ils walk one step at a time)
 * rank 0 measures itself. */
#ifndef SQ_TUNER_TUNE_FLEET_H
#define SQ_TUNER_TUNE_FLEET_H

#include <stdint.h>

#include "harness/fleet.h"
#include "tuner/cache.h"

typedef struct sq_tune_fleet sq_tune_fleet;

/* Measures configuration cfg on this rank's device (0, or a negative code). */
typedef int (*sq_tune_measure_fn)(void *ctx, int64_t cfg, sq_outcome *o);

/* Rank 0: the dispatcher over a space of n configurations; `lost_s`: a
 * rank that has not answered a configuration within this many seconds is
 * lost (its configuration fails as `timeout`; nothing more goes to it). */
int sq_tune_fleet_start(const sq_fleet *f, int64_t n, double lost_s, sq_tune_fleet **out);
/* A hint: hands cfg to a rank with room in its queue; 1 when it did. */
int sq_tune_fleet_hint(sq_tune_fleet *tf, int64_t cfg);
/* When cfg was handed out: waits for its outcome into o and returns 1
 * (a rank lost meanwhile gives a failed outcome); else 0, and rank 0
 * measures it. */
int sq_tune_fleet_take(sq_tune_fleet *tf, int64_t cfg, sq_outcome *o);
/* Configurations measured by each rank, for the summary: "rank 1: 12, ..." */
void sq_tune_fleet_counts(const sq_tune_fleet *tf, char *buf, size_t n);
/* Tells every rank to stop and frees the dispatcher (NULL: nothing). */
void sq_tune_fleet_stop(sq_tune_fleet *tf);

/* Ranks other than 0: measure what rank 0 sends until it says stop. */
int sq_tune_fleet_serve(const sq_fleet *f, sq_tune_measure_fn measure, void *ctx);

#endif
