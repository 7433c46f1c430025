/* SPDX-License-Identifier: BSD-3-Clause */
/* The one interface every compute backend implements (cpu, opencl, cuda).
 * A backend is a table of function pointers with an ABI number first, the way
 * BabelStream keeps one small interface per programming model. A backend
 * whose driver is missing reports zero devices; that is never an error.
 *
 * Kernel sources reach a backend already in the portable dialect
 * (kernels/dialect.h); the backend prepends its own prelude, compiles with
 * the given -D defines, and launches by entry-point name. Device time is
 * measured between sq_timer_begin and sq_timer_end around any number of
 * launches (OpenCL profiling events, CUDA events, the wall clock on cpu). */
#ifndef SQ_BACKEND_H
#define SQ_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

#define SQ_BACKEND_ABI 1

typedef struct sq_device_info {
  char backend[16];      /* "cpu", "opencl", "cuda" */
  char name[128];        /* "NVIDIA H200", "pthread-skylake-avx512-AMD EPYC" */
  char vendor[64];       /* "NVIDIA Corporation", "AuthenticAMD" */
  char driver[64];       /* driver version string */
  char arch[64];         /* "sm_90", "gfx90a", "pocl-cpu": the tuning database's second level */
  char platform[128];    /* OpenCL platform name; CUDA: "CUDA <version>" */
  char pci_bus_id[32];   /* "0000:17:00.0" where known, else "" */
  int is_gpu;
  int host_unified;      /* its buffers are host memory (a CPU device): they and the
                          * runner's host copies share the host's free memory */
  int compute_units;     /* SMs / compute units / cores */
  int clock_mhz;         /* max clock */
  uint64_t global_mem;   /* bytes */
  uint64_t free_mem;     /* bytes free at open time where known, else global_mem */
  uint64_t local_mem;    /* local / shared memory per work-group, bytes */
  uint64_t cache_bytes;  /* last-level cache, for the cold-mode flush */
  uint64_t max_alloc;    /* largest single allocation, bytes */
  size_t max_wg;         /* max work-group size */
  size_t max_wg_dims[3];
  int cc_major, cc_minor;/* CUDA compute capability, 0 elsewhere */
  int fp64;              /* device supports double precision */
  int fp16;              /* device supports half arithmetic */
} sq_device_info;

/* A device buffer: `h` is the backend's handle (cl_mem, CUdeviceptr, a host
 * pointer on cpu). */
typedef struct sq_buf {
  void *h;
  size_t bytes;
} sq_buf;

/* A built program: one kernel text compiled with one define string. */
typedef struct sq_prog {
  void *h;
  void *impl;            /* backend-private (e.g. CUDA module + function cache) */
} sq_prog;

/* Per-kernel limits of a built program, filled by `kernel_limits`. */
typedef struct sq_kernel_limits {
  size_t max_wg;         /* largest work-group this kernel can launch with */
  size_t local_mem;      /* static local / shared memory it uses, bytes */
  int registers;         /* per thread, 0 when unknown */
} sq_kernel_limits;

typedef struct sq_device sq_device;

typedef struct sq_backend {
  int abi;                                     /* SQ_BACKEND_ABI */
  const char *name;                            /* "opencl" */
  int (*init)(void);                           /* idempotent; 0 also when no driver */
  int (*device_count)(void);
  int (*device_info)(int index, sq_device_info *out);
  int (*open)(int index, void **impl);
  void (*close)(void *impl);
  int (*alloc)(void *impl, size_t bytes, sq_buf *out);
  void (*free)(void *impl, sq_buf *buf);
  int (*write)(void *impl, sq_buf *buf, size_t offset, const void *src, size_t bytes);
  int (*read)(void *impl, const sq_buf *buf, size_t offset, void *dst, size_t bytes);
  int (*fill)(void *impl, sq_buf *buf, uint8_t byte);   /* whole buffer */
  /* Compiles `source` (dialect text) with `defines` ("-DCHUNK=64 ...").
   * On failure returns SQ_ECOMPILE and sets *log (malloc'd, may be NULL). */
  int (*build)(void *impl, const char *source, const char *defines, sq_prog *out, char **log);
  int (*kernel_limits)(void *impl, sq_prog *prog, const char *entry, sq_kernel_limits *out);
  void (*release)(void *impl, sq_prog *prog);
  /* Enqueues one launch. `bufs` maps a launch's buffer slots to buffers. */
  int (*launch)(void *impl, sq_prog *prog, const sq_launch *l, sq_buf *const *bufs);
  int (*timer_begin)(void *impl);
  int (*timer_end)(void *impl, double *ms);    /* waits, returns device ms since begin */
  int (*finish)(void *impl);
  void (*fini)(void);
  /* A read-only buffer over `bytes` of host memory the device reads in
   * place, where device memory is host memory (PoCL's CPU device): inputs
   * are then not held twice. `host` is page-aligned and outlives the
   * buffer. SQ_EUNSUPPORTED (or a NULL hook) where the device has its own
   * memory. */
  int (*wrap)(void *impl, void *host, size_t bytes, sq_buf *out);
} sq_backend;

extern const sq_backend sq_backend_cpu;
extern const sq_backend sq_backend_opencl;
extern const sq_backend sq_backend_cuda;

#endif
