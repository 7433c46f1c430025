/* SPDX-License-Identifier: BSD-3-Clause */
/* The vendors' batched GEMM behind a plan's sq_gemm steps (kernels/kernel.h):
 * CLBlast on OpenCL, cuBLAS on CUDA. Each library is opened with dlopen on
 * first use, as the CUDA driver is, so one subquad binary runs with and
 * without them; a library that is absent answers SQ_EUNSUPPORTED naming
 * it, which makes the case skipped rather than failed. */
#ifndef SQ_VENDOR_BLAS_H
#define SQ_VENDOR_BLAS_H

#include <stdint.h>

#include "kernels/kernel.h"

/* CLBlast (SUBQUAD_CLBLAST_LIBRARY overrides the library's path). queue is
 * a cl_command_queue *, a, b and c are cl_mem; *event (a cl_event *) gets
 * the event of the routine's last kernel, NULL when event is NULL. */
int sq_clblast_gemm(void *queue, const sq_gemm *g, void *a, void *b, void *c, void *event);

/* cuBLAS (SUBQUAD_CUBLAS_LIBRARY overrides the path): a handle for the
 * context current on the calling thread, and the GEMM on the legacy
 * default stream, where the CUDA backend launches and times. */
int sq_cublas_create(void **handle);
void sq_cublas_destroy(void *handle);
int sq_cublas_gemm(void *handle, const sq_gemm *g, uintptr_t a, uintptr_t b, uintptr_t c);

/* The library the GEMM steps go through ("libclblast.so.1"), loading it,
 * or why there is none: for the results' metadata. */
const char *sq_clblast_library(void);
const char *sq_cublas_library(void);

#endif
