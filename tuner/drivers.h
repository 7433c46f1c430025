/* SPDX-License-Identifier: BSD-3-Clause */
/* The two tuning drivers under `subquad tune`: on a device (tune_device.c)
 * and against a recorded space (replay.c). They print their progress and
 * summaries, but no error and no usage, and decide no exit status: each
 * says how it ended (sq_tune_end), with the detail set when it failed, and
 * the command turns that into a message and an exit status. */
#ifndef SQ_TUNER_DRIVERS_H
#define SQ_TUNER_DRIVERS_H

#include <stdint.h>

#include "kernels/kernel.h"

#define SQ_TUNE_MAX_REPLAY 8
#define SQ_TUNE_MAX_STRATEGIES 8

typedef struct sq_tune_opts {
  const char *kernel, *shape, *device, *cache, *out, *db;
  const char *t4;          /* --t4 FILE: every evaluation as Kernel Tuner's T4 (tuner/t4.h) */
  const char *replay[SQ_TUNE_MAX_REPLAY];
  int nreplay;
  const char *strategy[SQ_TUNE_MAX_STRATEGIES];
  int nstrategy;
  sq_dtype dtype;
  int causal;              /* -1: the kernel's first form */
  int64_t budget;          /* 0: unlimited (the space) */
  double time_s;           /* 0: unlimited */
  uint64_t seed;
  int seeds;               /* replay: runs over seed, seed+1, ... */
  int resume, space_only, save, quiet, jobs;
  const struct sq_fleet *fleet; /* the ranks a device tune spreads over (NULL: this process alone) */
} sq_tune_opts;

/* How a driver ended. On SQ_TUNE_REFUSED and SQ_TUNE_FAILED the detail
 * (sq_last_error) says why, never empty. */
typedef enum sq_tune_end {
  SQ_TUNE_DONE = 0,    /* finished */
  SQ_TUNE_NOTHING,     /* the search ran and no configuration passed: nothing stored */
  SQ_TUNE_REFUSED,     /* refused before the work: an input, an output, a space with no valid configuration */
  SQ_TUNE_FAILED,      /* the work failed */
  SQ_TUNE_CONTINUE,    /* to be continued in a fresh process with --resume (the state it needs is set by
                        * sq_tuner_continue_set): whatever this process keeps goes with it */
} sq_tune_end;

sq_tune_end sq_tune_device(const sq_tune_opts *a);
sq_tune_end sq_tune_replay(const sq_tune_opts *a);

/* Ends a driver with `end` after a step that failed with rc: the detail
 * becomes `prefix` (may be NULL) and the step's detail, or the code's
 * message when the step left none. */
sq_tune_end sq_tune_fail(sq_tune_end end, int rc, const char *prefix);

#endif
