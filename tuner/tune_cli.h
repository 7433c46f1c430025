/* The options of `subquad tune`, shared by the command (cmd_tune.c), the
 * replay driver (replay.c) and the device driver (tune_device.c). */
#ifndef SQ_TUNER_TUNE_CLI_H
#define SQ_TUNER_TUNE_CLI_H

#include <stdint.h>

#include "kernels/kernel.h"

#define SQ_TUNE_MAX_REPLAY 8
#define SQ_TUNE_MAX_STRATEGIES 8

typedef struct sq_tune_cli {
  const char *kernel, *shape, *device, *cache, *out, *db;
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
  int resume, space_only, show, save, quiet, jobs;
  int argc;                /* the command's own arguments ("tune", ...), to */
  char **argv;             /* continue a long tune in a fresh process */
} sq_tune_cli;

/* Prints the error of a failed step as one line, "subquad tune: " then
 * `prefix` (may be NULL) then the step's detail, or the code's message when
 * the step left no detail, so no path prints an empty error; control
 * characters are shown as '?'. Returns status. */
int sq_tune_error(int status, int rc, const char *prefix);

/* Continues this tune in a fresh process, the same command with --resume
 * (the state it needs passed by sq_tuner_continue_set): whatever a driver
 * kept in memory goes with the old process. Returns only on failure. */
int sq_tune_continue_fresh(const sq_tune_cli *a);

/* Each returns the process exit status and prints its own errors. */
int sq_tune_replay(const sq_tune_cli *a);
int sq_tune_device(const sq_tune_cli *a);
int sq_tune_show(const sq_tune_cli *a);

#endif
