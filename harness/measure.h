/* SPDX-License-Identifier: BSD-3-Clause */
/* The timing loop (after nvbench): warm-up, then device-timed samples until
 * the relative noise is under a target after a minimum number of samples and
 * a minimum time, or the noise has stopped improving, or a timeout. In cold
 * mode the last-level cache is flushed before every sample with a buffer
 * allocated once. */
#ifndef SQ_MEASURE_H
#define SQ_MEASURE_H

#include "base/stats.h"
#include "harness/device.h"

typedef enum { SQ_MODE_COLD = 0, SQ_MODE_HOT = 1 } sq_mode;

typedef struct sq_measure_opts {
  sq_mode mode;
  int warmup;              /* untimed runs first (default 1) */
  int min_samples;         /* default 10 */
  int max_samples;         /* default 1000 */
  double min_time_s;       /* summed sample time before stopping (default 0.1) */
  double max_noise;        /* target relative noise (default 0.02) */
  double timeout_s;        /* wall time per case, sampling stops (default 10) */
} sq_measure_opts;

void sq_measure_defaults(sq_measure_opts *o);
const char *sq_mode_name(sq_mode m);
int sq_mode_parse(const char *s, sq_mode *out);

/* One timed repetition of the work being measured: enqueues it between
 * the device timer's begin and end is the caller's job; returns device ms. */
typedef int (*sq_sample_fn)(void *ctx, double *ms);

/* Runs the loop. Samples (ms) are returned in a malloc'd array. */
int sq_measure(sq_device *dev, const sq_measure_opts *o, sq_sample_fn fn, void *ctx,
               double **samples, int *nsamples, sq_stats *st);

/* The share of `all` one of `rounds` measuring rounds takes: the sample
 * and time minimums, limits and the timeout divided among the rounds (at
 * least 2 samples a round), so R rounds together cost what one would. */
void sq_measure_round(const sq_measure_opts *all, int rounds, sq_measure_opts *one);

/* Frees the device's cold-mode flush buffer (before closing it). */
void sq_measure_release(sq_device *dev);

/* Monotonic wall clock in seconds. */
double sq_now_s(void);

#endif
