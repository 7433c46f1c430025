/* SPDX-License-Identifier: BSD-3-Clause */
/* The timing loop. Samples are device times of one repetition each; the
 * loop stops on the first of: max samples; the wall-clock timeout; or, once
 * min samples and min summed time are reached, relative noise under target
 * or noise that has stopped changing (nvbench's rule: more samples would not
 * make the estimate better). Cold mode overwrites a buffer twice the size of
 * the last-level cache before every sample, outside the timed region. */
#include "harness/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"

void sq_measure_defaults(sq_measure_opts *o) {
  o->mode = SQ_MODE_COLD;
  o->warmup = 1;
  o->min_samples = 10; /* a U test needs 7 a side to reach p < 0.002 */
  o->max_samples = 1000;
  o->min_time_s = 0.1;
  o->max_noise = 0.02;
  o->timeout_s = 10;
}

const char *sq_mode_name(sq_mode m) { return m == SQ_MODE_HOT ? "hot" : "cold"; }

int sq_mode_parse(const char *s, sq_mode *out) {
  if (!strcmp(s, "cold")) *out = SQ_MODE_COLD;
  else if (!strcmp(s, "hot")) *out = SQ_MODE_HOT;
  else return sq_fail(SQ_EINVAL, "--mode: '%s' is not a mode (expected cold or hot)", s);
  return 0;
}

double sq_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One flush buffer per open device, allocated on first use. */
#define MAX_FLUSH 16
static struct {
  sq_device *dev;
  sq_buf buf;
} flushers[MAX_FLUSH];

static int flush_cache(sq_device *dev, unsigned round) {
  int slot = -1;
  for (int i = 0; i < MAX_FLUSH; i++) {
    if (flushers[i].dev == dev) { slot = i; break; }
    if (slot < 0 && !flushers[i].dev) slot = i;
  }
  if (slot < 0) return sq_fail(SQ_ENOMEM, "too many devices open for cold-mode flush buffers");
  if (flushers[slot].dev != dev) {
    uint64_t bytes = 2 * dev->info.cache_bytes;
    if (bytes < (64u << 20)) bytes = 64u << 20;
    int rc = sq_buf_alloc(dev, bytes, &flushers[slot].buf);
    if (rc) return rc;
    flushers[slot].dev = dev;
  }
  int rc = dev->backend->fill(dev->impl, &flushers[slot].buf, (uint8_t)round);
  return rc ? rc : dev->backend->finish(dev->impl);
}

void sq_measure_release(sq_device *dev) {
  for (int i = 0; i < MAX_FLUSH; i++)
    if (flushers[i].dev == dev) {
      sq_buf_free(dev, &flushers[i].buf);
      flushers[i].dev = NULL;
    }
}

void sq_measure_round(const sq_measure_opts *all, int rounds, sq_measure_opts *one) {
  *one = *all;
  if (rounds <= 1) return;
  one->min_samples = (all->min_samples + rounds - 1) / rounds;
  if (one->min_samples < 2) one->min_samples = 2;
  one->max_samples = all->max_samples / rounds > one->min_samples ? all->max_samples / rounds : one->min_samples;
  one->min_time_s = all->min_time_s / rounds;
  one->timeout_s = all->timeout_s / rounds;
}

static double noise_of(const double *x, int n) {
  sq_stats st;
  sq_stats_compute(x, n, &st);
  return st.noise;
}

/* True once more samples no longer move the noise estimate: the noise of
 * the first and of all samples since the minimum differ by under 5 %. */
static int noise_stable(const double *x, int n, int min_samples) {
  if (n < 2 * min_samples) return 0;
  double earlier = noise_of(x, n - min_samples), now = noise_of(x, n);
  return fabs(now - earlier) <= 0.05 * now;
}

int sq_measure(sq_device *dev, const sq_measure_opts *o, sq_sample_fn fn, void *ctx,
               double **samples, int *nsamples, sq_stats *st) {
  int cap = 64, n = 0, rc = 0;
  double *x = malloc(sizeof *x * cap), ms, total = 0;
  if (!x) return sq_fail(SQ_ENOMEM, "no memory for timing samples");
  double t0 = sq_now_s();
  for (int i = 0; i < o->warmup && !rc; i++) rc = fn(ctx, &ms);
  while (!rc && n < o->max_samples) {
    if (o->mode == SQ_MODE_COLD && (rc = flush_cache(dev, (unsigned)n))) break;
    if ((rc = fn(ctx, &ms))) break;
    if (n == cap) {
      double *y = realloc(x, sizeof *x * (cap *= 2));
      if (!y) { rc = sq_fail(SQ_ENOMEM, "no memory for timing samples"); break; }
      x = y;
    }
    x[n++] = ms;
    total += ms * 1e-3;
    if (sq_now_s() - t0 > o->timeout_s) break;
    if (n < o->min_samples || total < o->min_time_s) continue;
    if (noise_of(x, n) <= o->max_noise || noise_stable(x, n, o->min_samples)) break;
  }
  if (rc) {
    free(x);
    return rc;
  }
  sq_stats_compute(x, n, st);
  *samples = x;
  *nsamples = n;
  return 0;
}
