/* SPDX-License-Identifier: BSD-3-Clause */
/* Devices by name across all backends ("cuda:0", "opencl:1", "cpu"), the
 * default-device rule, and the measured peaks a device is judged against. */
#ifndef SQ_DEVICE_H
#define SQ_DEVICE_H

#include "harness/backend.h"

/* Peaks measured on the device itself (subquad devices --peaks), never
 * copied from spec sheets. 0 means "not measured". */
typedef struct sq_peaks {
  double gbs;            /* stream bandwidth, GB/s */
  double gflops;         /* f32 FMA throughput, GFLOP/s (an FMA counts 2) */
  double gexps;          /* exp throughput, G exp/s */
  int lanes;             /* SIMD lanes each FMA/exp chain spanned: 16 on OpenCL CPUs, else 1 */
  double gemm_gflops;    /* an f32 GEMM through the vendor BLAS, GFLOP/s; 0: no vendor BLAS */
} sq_peaks;

/* The compute ceiling a kernel is judged against: the better of the FMA
 * chains and the vendor's GEMM, so that a kernel never looks closer to the
 * roof than a tuned library shows the device can go. */
static inline double sq_peaks_compute(const sq_peaks *p) {
  return p->gemm_gflops > p->gflops ? p->gemm_gflops : p->gflops;
}

struct sq_device {
  const sq_backend *backend;
  int index;             /* within its backend */
  char id[32];           /* "opencl:0" */
  sq_device_info info;
  sq_peaks peaks;
  void *impl;
};

/* Initialises every compiled-in backend (idempotent). */
void sq_devices_init(void);

/* Number of devices over all backends, and the i-th as "backend:index". */
int sq_devices_count(void);
int sq_devices_id(int i, char *id, size_t n);

/* Opens a device by name; NULL name = the default device: the first GPU
 * (CUDA first, then OpenCL), else the first OpenCL device, else cpu. An
 * unknown or absent name fails with SQ_ENODEV and a detail naming it. */
int sq_device_open(const char *name, sq_device **out);
void sq_device_close(sq_device *dev);

/* Buffer helpers that forward to the backend. */
int sq_buf_alloc(sq_device *dev, size_t bytes, sq_buf *out);
/* A buffer the device reads in place from page-aligned host memory, when it
 * shares the host's memory; SQ_EUNSUPPORTED otherwise (then allocate and
 * write). */
int sq_buf_wrap(sq_device *dev, void *host, size_t bytes, sq_buf *out);
void sq_buf_free(sq_device *dev, sq_buf *buf);
/* A buffer a kernel writes: `bytes` filled with all-ones bytes (NaN in
 * every float format, so an element the kernel never writes fails
 * verification instead of passing by luck), then the canary
 * (harness/verify.h) that catches writes past them. On failure nothing
 * stays allocated. */
int sq_buf_alloc_canaried(sq_device *dev, size_t bytes, sq_buf *out);
/* The canary after the first `bytes` of buf: 0 when intact, SQ_EVERIFY
 * with why "out-of-bounds write: canary after WHAT overwritten at byte
 * +N", or the read's error. */
int sq_buf_check_canary(sq_device *dev, sq_buf *buf, size_t bytes, const char *what, char *why, size_t n);

/* The vendor BLAS library a plan's GEMM steps use on dev (loading it), or
 * why there is none; NULL on the cpu device. */
const char *sq_device_vendor_blas(const sq_device *dev);

/* PoCL's CPU threads pinned one per core (POCL_AFFINITY=1) unless the user
 * set POCL_AFFINITY; the OpenCL backend calls it before PoCL starts, and
 * the gate before it starts its workers. Unpinned, the scheduler now and
 * then ran both of a process's threads on one of a 2-core VM's cores: one
 * `devices --peaks` in 17 measured 117 GFLOP/s instead of 229-235, and a
 * case's time doubles the same way. Pinned, 23 in 23 gave 232-235. */
void sq_pocl_pin_threads(void);

/* Measures the device's peaks (a few seconds) into dev->peaks. */
int sq_device_measure_peaks(sq_device *dev);

#endif
