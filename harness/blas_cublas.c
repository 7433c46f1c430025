/* SPDX-License-Identifier: BSD-3-Clause */
/* cuBLAS's strided batched SGEMM, loaded at run time (harness/vendor_blas.h).
 * cuBLAS is column-major: a row-major C = A op(B) is the column-major
 * C^T = op(B)^T A^T, so the call passes B first, the two row counts
 * swapped, and the same leading dimensions. The prototypes are declared
 * here from cublas_api.h (int status, opaque handle) so the build needs
 * neither cuBLAS's header nor its library. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "harness/dynlib.h"
#include "harness/vendor_blas.h"

enum { CUBLAS_OP_N_ = 0, CUBLAS_OP_T_ = 1 };

static struct {
  int (*create)(void **handle);
  int (*destroy)(void *handle);
  int (*sgemm)(void *handle, int transa, int transb, int m, int n, int k, const float *alpha, const float *a, int lda,
               long long stride_a, const float *b, int ldb, long long stride_b, const float *beta, float *c, int ldc,
               long long stride_c, int batch);
} cb;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *loaded;
static char load_error[256];

static void load(void) {
  const char *const names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so",
#ifdef SQ_CUDA_HOME
                               SQ_CUDA_HOME "/lib64/libcublas.so",
#endif
                               NULL};
  void *lib = sq_dlopen_first("SUBQUAD_CUBLAS_LIBRARY", names, &loaded);
  if (!lib) {
    snprintf(load_error, sizeof load_error, "no cuBLAS: %s", dlerror());
    loaded = NULL;
    return;
  }
  *(void **)&cb.create = dlsym(lib, "cublasCreate_v2");
  *(void **)&cb.destroy = dlsym(lib, "cublasDestroy_v2");
  *(void **)&cb.sgemm = dlsym(lib, "cublasSgemmStridedBatched");
  if (!cb.create || !cb.destroy || !cb.sgemm) {
    snprintf(load_error, sizeof load_error, "%s lacks cublasCreate_v2 or cublasSgemmStridedBatched", loaded);
    loaded = NULL;
    cb.create = NULL;
    dlclose(lib);
  }
}

const char *sq_cublas_library(void) {
  pthread_once(&once, load);
  return cb.create ? loaded : load_error;
}

int sq_cublas_create(void **handle) {
  pthread_once(&once, load);
  if (!cb.create) return sq_fail(SQ_EUNSUPPORTED, "%s", load_error);
  int st = cb.create(handle);
  return st ? sq_fail(SQ_EBACKEND, "cublasCreate: status %d", st) : 0;
}

void sq_cublas_destroy(void *handle) {
  if (handle && cb.destroy) cb.destroy(handle);
}

int sq_cublas_gemm(void *handle, const sq_gemm *g, uintptr_t a, uintptr_t b, uintptr_t c) {
  if (g->m > INT32_MAX || g->n > INT32_MAX || g->k > INT32_MAX || g->batch > INT32_MAX || g->lda > INT32_MAX ||
      g->ldb > INT32_MAX || g->ldc > INT32_MAX)
    return sq_fail(SQ_ELIMITS, "cuBLAS GEMM %lldx%lldx%lld: a dimension exceeds a 32-bit int", (long long)g->m,
                   (long long)g->n, (long long)g->k);
  int st = cb.sgemm(handle, g->trans_b ? CUBLAS_OP_T_ : CUBLAS_OP_N_, CUBLAS_OP_N_, (int)g->n, (int)g->m, (int)g->k,
                    &g->alpha, (const float *)b, (int)g->ldb, g->stride_b, (const float *)a, (int)g->lda, g->stride_a,
                    &g->beta, (float *)c, (int)g->ldc, g->stride_c, (int)g->batch);
  if (st)
    return sq_fail(SQ_ELAUNCH, "cublasSgemmStridedBatched(%lldx%lldx%lld, batch %lld): status %d", (long long)g->m,
                   (long long)g->n, (long long)g->k, (long long)g->batch, st);
  return 0;
}
