/* SPDX-License-Identifier: BSD-3-Clause */
/* Peaks measured on the device itself (sq_device_measure_peaks): stream
 * bandwidth with a triad over buffers several times the last-level cache,
 * f32 FMA throughput from independent FMA chains, and exp throughput from
 * EXP2 chains (kernels/peaks.sqk), and where the device has a vendor BLAS
 * the rate of an f32 GEMM through it. Each figure is the best of a few timed
 * runs after a calibration that grows the work until one run takes long
 * enough to time well. The cpu device is measured with plain C loops on one
 * thread, since the references it runs are single-threaded too. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "harness/device.h"
#include "kernels/sources.h"

#define SQ_PEAK_REPEATS 5
#define SQ_PEAK_TARGET_MS 25.0   /* one timed run at least this long */

/* Bytes per triad array: 4x the last-level cache, at least 64 MiB, at most
 * 1 GiB, and within a sixth of the device memory and the largest alloc. */
static size_t triad_bytes(const sq_device_info *in) {
  uint64_t b = in->cache_bytes * 4;
  if (b < (64u << 20)) b = 64u << 20;
  if (b > (1u << 30)) b = 1u << 30;
  if (in->max_alloc && b > in->max_alloc) b = in->max_alloc;
  if (in->global_mem && b > in->global_mem / 6) b = in->global_mem / 6;
  return (size_t)b / 256 * 256;
}

/* ---- cpu: plain C loops ---------------------------------------------------- */

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static volatile float cpu_sink;

static double cpu_fma_run(long iters) {
  float x[8], m = 0.999999f, k = 1e-7f;
  for (int j = 0; j < 8; j++) x[j] = 1.0f + (float)j;
  double t0 = now_ms();
  for (long i = 0; i < iters; i++)
    for (int j = 0; j < 8; j++) x[j] = x[j] * m + k;
  double t = now_ms() - t0;
  cpu_sink = x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
  return t;
}

static double cpu_exp_run(long iters) {
  float x[8];
  for (int j = 0; j < 8; j++) x[j] = 0.5f + 0.01f * (float)j;
  double t0 = now_ms();
  for (long i = 0; i < iters; i++)
    for (int j = 0; j < 8; j++) x[j] = exp2f(-0.5f * x[j]);
  double t = now_ms() - t0;
  cpu_sink = x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
  return t;
}

/* Grows iters until one run takes SQ_PEAK_TARGET_MS, then returns the
 * best rate (units per ms) of a few runs; units = per_iter * iters. */
static double cpu_best_rate(double (*run)(long), double per_iter) {
  long iters = 1 << 14;
  double ms = run(iters);
  while (ms < SQ_PEAK_TARGET_MS && iters < (1L << 34)) {
    iters *= 2;
    ms = run(iters);
  }
  double best = ms;
  for (int r = 1; r < SQ_PEAK_REPEATS; r++) {
    double t = run(iters);
    if (t < best) best = t;
  }
  return best > 0 ? per_iter * (double)iters / best : 0;
}

static int cpu_peaks(sq_device *dev) {
  size_t bytes = triad_bytes(&dev->info);
  size_t n = bytes / sizeof(float);
  float *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
  if (!a || !b || !c) {
    free(a);
    free(b);
    free(c);
    return sq_fail(SQ_ENOMEM, "peaks on cpu: cannot allocate 3 x %zu bytes", bytes);
  }
  for (size_t i = 0; i < n; i++) {
    b[i] = (float)(i & 1023);
    c[i] = 1.0f;
    a[i] = 0;
  }
  double best = 1e300;
  for (int r = 0; r < SQ_PEAK_REPEATS; r++) {
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++) a[i] = b[i] + 3.0f * c[i];
    double t = now_ms() - t0;
    if (t < best) best = t;
  }
  cpu_sink = a[n / 2];
  free(a);
  free(b);
  free(c);
  dev->peaks.gbs = best > 0 ? 3.0 * (double)bytes / (best * 1e6) : 0;
  dev->peaks.gflops = cpu_best_rate(cpu_fma_run, 16.0) / 1e6;
  dev->peaks.gexps = cpu_best_rate(cpu_exp_run, 8.0) / 1e6;
  return 0;
}

/* ---- devices: the kernels of peaks.sqk ------------------------------------ */

typedef struct peak_ctx {
  sq_device *dev;
  sq_prog prog;
  size_t local;
} peak_ctx;

/* Times `reps` back-to-back launches of l and returns the best ms of one. */
static int timed(peak_ctx *p, sq_launch *l, sq_buf *const *bufs, int reps, double *best) {
  const sq_backend *be = p->dev->backend;
  void *impl = p->dev->impl;
  *best = 1e300;
  for (int r = 0; r < reps; r++) {
    double ms = 0;
    int rc = be->timer_begin(impl);
    if (!rc) rc = be->launch(impl, &p->prog, l, bufs);
    if (!rc) rc = be->timer_end(impl, &ms);
    if (rc) return rc;
    if (ms < *best) *best = ms;
  }
  return *best > 0 ? 0 : sq_fail(SQ_EBACKEND, "peaks: %s took no measurable device time", l->entry);
}

static int triad(peak_ctx *p, double *gbs) {
  sq_device *dev = p->dev;
  size_t bytes = triad_bytes(&dev->info);
  size_t n = bytes / sizeof(float);
  if (n > (size_t)INT32_MAX) n = (size_t)INT32_MAX / 256 * 256;
  sq_buf bufs_[3] = {{0}};
  int rc = 0;
  for (int i = 0; i < 3 && !rc; i++) rc = sq_buf_alloc(dev, n * sizeof(float), &bufs_[i]);
  for (int i = 0; i < 3 && !rc; i++) rc = dev->backend->fill(dev->impl, &bufs_[i], (uint8_t)(0x3c + i));
  if (!rc) {
    sq_buf *bufs[SQ_NSLOTS] = {&bufs_[0], &bufs_[1], &bufs_[2]};
    /* Enough groups to fill any device several times; the grid-stride loop
     * covers the rest. */
    size_t groups = (size_t)(dev->info.compute_units > 0 ? dev->info.compute_units : 1) * 64;
    size_t global = groups * p->local;
    size_t need = (n + p->local - 1) / p->local * p->local;
    /* CPU devices run a group's work-items one after another: a grid
     * stride would jump across memory, so there each item takes one
     * element and the accesses stay sequential. */
    if (global > need || !dev->info.is_gpu) global = need;
    sq_launch l = {.entry = "sq_peak_triad", .global = {global, 1, 1}, .local = {p->local, 1, 1}, .nargs = 5};
    l.args[0] = (sq_arg){.kind = SQ_ARG_BUF, .slot = 0};
    l.args[1] = (sq_arg){.kind = SQ_ARG_BUF, .slot = 1};
    l.args[2] = (sq_arg){.kind = SQ_ARG_BUF, .slot = 2};
    l.args[3] = (sq_arg){.kind = SQ_ARG_F32, .f = 3.0f};
    l.args[4] = (sq_arg){.kind = SQ_ARG_I32, .i = (int32_t)n};
    double ms;
    rc = timed(p, &l, bufs, SQ_PEAK_REPEATS, &ms);
    if (!rc) *gbs = 3.0 * (double)n * sizeof(float) / (ms * 1e6);
  }
  for (int i = 0; i < 3; i++) sq_buf_free(dev, &bufs_[i]);
  return rc;
}

/* FMA or exp chains: calibrates iters up to the target time, then takes
 * the best of a few runs. per_item_iter: units per work-item and iter. */
static int chains(peak_ctx *p, const char *entry, double per_item_iter, double *rate) {
  sq_device *dev = p->dev;
  size_t groups = (size_t)(dev->info.compute_units > 0 ? dev->info.compute_units : 1) * (dev->info.is_gpu ? 32 : 8);
  size_t items = groups * p->local;
  sq_buf out = {0};
  int rc = sq_buf_alloc(dev, items * sizeof(float), &out);
  if (rc) return rc;
  sq_buf *bufs[SQ_NSLOTS] = {&out};
  sq_launch l = {.entry = entry, .global = {items, 1, 1}, .local = {p->local, 1, 1}, .nargs = 3};
  l.args[0] = (sq_arg){.kind = SQ_ARG_BUF, .slot = 0};
  l.args[1] = (sq_arg){.kind = SQ_ARG_F32, .f = 0.5f};
  l.args[2] = (sq_arg){.kind = SQ_ARG_I32, .i = 4};
  double ms = 0;
  rc = timed(p, &l, bufs, 1, &ms);
  while (!rc && ms < SQ_PEAK_TARGET_MS && l.args[2].i < (1 << 24)) {
    /* Jump towards the target in one step where the first time is usable. */
    double grow = ms > 0.5 ? SQ_PEAK_TARGET_MS * 1.2 / ms : 8.0;
    if (grow < 2) grow = 2;
    if (grow > 64) grow = 64;
    l.args[2].i = (int32_t)fmin((double)l.args[2].i * grow, (double)(1 << 24));
    rc = timed(p, &l, bufs, 1, &ms);
  }
  if (!rc) rc = timed(p, &l, bufs, SQ_PEAK_REPEATS - 2, &ms);
  float probe = 0;
  if (!rc) rc = dev->backend->read(dev->impl, &out, 0, &probe, sizeof probe);
  if (!rc && !isfinite(probe)) rc = sq_fail(SQ_EVERIFY, "peaks: %s produced a non-finite value", entry);
  if (!rc) *rate = per_item_iter * (double)items * (double)l.args[2].i / (ms * 1e6);
  sq_buf_free(dev, &out);
  return rc;
}

/* An n x n x n f32 GEMM through the vendor BLAS, the best of a few calls
 * after a warm-up; without a vendor BLAS *gflops stays 0. n = 4096 on GPUs
 * (a few milliseconds on an H200), 1024 elsewhere (CLBlast on PoCL runs at
 * tens of GFLOP/s, so a larger one would cost seconds). */
static int gemm_rate(peak_ctx *p, double *gflops) {
  sq_device *dev = p->dev;
  int64_t n = dev->info.is_gpu ? 4096 : 1024;
  size_t bytes = (size_t)(n * n) * sizeof(float);
  sq_buf m[3] = {{0}};
  int rc = 0;
  for (int i = 0; i < 3 && !rc; i++) rc = sq_buf_alloc(dev, bytes, &m[i]);
  for (int i = 0; i < 3 && !rc; i++) rc = dev->backend->fill(dev->impl, &m[i], (uint8_t)(0x3c + i));
  if (!rc) {
    sq_buf *bufs[SQ_NSLOTS] = {&m[0], &m[1], &m[2]};
    sq_launch l = {.entry = "vendor GEMM"};
    l.gemm = (sq_gemm){.batch = 1, .m = n, .n = n, .k = n, .a = 0, .b = 1, .c = 2, .lda = n, .ldb = n, .ldc = n,
                       .stride_a = n * n, .stride_b = n * n, .stride_c = n * n, .alpha = 1.0f, .beta = 0.0f};
    double ms;
    rc = timed(p, &l, bufs, 1, &ms);
    if (!rc) rc = timed(p, &l, bufs, SQ_PEAK_REPEATS - 2, &ms);
    if (!rc) *gflops = 2.0 * (double)n * (double)n * (double)n / (ms * 1e6);
  }
  for (int i = 0; i < 3; i++) sq_buf_free(dev, &m[i]);
  return rc == SQ_EUNSUPPORTED ? 0 : rc;   /* no vendor BLAS (or none for this backend): no figure */
}

int sq_device_measure_peaks(sq_device *dev) {
  memset(&dev->peaks, 0, sizeof dev->peaks);
  if (!strcmp(dev->backend->name, "cpu")) return cpu_peaks(dev);
  peak_ctx p = {.dev = dev};
  char *log = NULL;
  /* See kernels/peaks.sqk: vector chains where work-items are not lanes. */
  int lanes = dev->info.is_gpu || strcmp(dev->backend->name, "opencl") ? 1 : 16;
  char defines[32];
  snprintf(defines, sizeof defines, "-DSQ_PEAK_LANES=%d", lanes);
  int rc = dev->backend->build(dev->impl, sq_src_peaks, defines, &p.prog, &log);
  free(log);
  if (rc) return rc;
  sq_kernel_limits lim;
  p.local = 256;
  if (dev->info.max_wg && p.local > dev->info.max_wg) p.local = dev->info.max_wg;
  const char *entries[] = {"sq_peak_triad", "sq_peak_fma", "sq_peak_exp"};
  for (int i = 0; i < 3 && !rc; i++) {
    rc = dev->backend->kernel_limits(dev->impl, &p.prog, entries[i], &lim);
    if (!rc && lim.max_wg && p.local > lim.max_wg) p.local = lim.max_wg;
  }
  if (!rc) rc = triad(&p, &dev->peaks.gbs);
  /* 8 chains x 8 unrolled steps, 2 FLOPs each; 8 chains x 4 steps of exps. */
  if (!rc) rc = chains(&p, "sq_peak_fma", 128.0 * lanes, &dev->peaks.gflops);
  if (!rc) rc = chains(&p, "sq_peak_exp", 32.0 * lanes, &dev->peaks.gexps);
  if (!rc) rc = gemm_rate(&p, &dev->peaks.gemm_gflops);
  if (!rc) dev->peaks.lanes = lanes;
  dev->backend->release(dev->impl, &p.prog);
  return rc;
}
