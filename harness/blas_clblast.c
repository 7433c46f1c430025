/* SPDX-License-Identifier: BSD-3-Clause */
/* CLBlast's strided batched SGEMM, loaded at run time (harness/vendor_blas.h).
 * The prototype is declared here from CLBlast's C API (clblast_c.h) so that
 * neither its header nor its library is needed to build. */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "harness/dynlib.h"
#include "harness/vendor_blas.h"

/* CLBlast's enums are the CBLAS values. */
enum { CLBLAST_ROW_MAJOR = 101, CLBLAST_NO_TRANS = 111, CLBLAST_TRANS = 112 };

typedef int (*sgemm_batched_fn)(int layout, int a_trans, int b_trans, size_t m, size_t n, size_t k, float alpha,
                                cl_mem a, size_t a_off, size_t a_ld, size_t a_stride, cl_mem b, size_t b_off,
                                size_t b_ld, size_t b_stride, float beta, cl_mem c, size_t c_off, size_t c_ld,
                                size_t c_stride, size_t batch, cl_command_queue *queue, cl_event *event);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_batched_fn sgemm;
static const char *loaded;
static char load_error[256];

static void load(void) {
  const char *const names[] = {"libclblast.so.1", "libclblast.so", NULL};
  void *lib = sq_dlopen_first("SUBQUAD_CLBLAST_LIBRARY", names, &loaded);
  if (!lib) {
    snprintf(load_error, sizeof load_error, "no CLBlast: %s (Debian: apt-get install libclblast-dev)", dlerror());
    loaded = NULL;
    return;
  }
  sgemm = (sgemm_batched_fn)dlsym(lib, "CLBlastSgemmStridedBatched");
  if (!sgemm) {
    snprintf(load_error, sizeof load_error, "%s has no CLBlastSgemmStridedBatched", loaded);
    loaded = NULL;
    dlclose(lib);
  }
  /* Loaded, the library stays for the process: its kernel cache lives in it. */
}

const char *sq_clblast_library(void) {
  pthread_once(&once, load);
  return sgemm ? loaded : load_error;
}

int sq_clblast_gemm(void *queue, const sq_gemm *g, void *a, void *b, void *c, void *event) {
  pthread_once(&once, load);
  if (!sgemm) return sq_fail(SQ_EUNSUPPORTED, "%s", load_error);
  int st = sgemm(CLBLAST_ROW_MAJOR, CLBLAST_NO_TRANS, g->trans_b ? CLBLAST_TRANS : CLBLAST_NO_TRANS, (size_t)g->m,
                 (size_t)g->n, (size_t)g->k, g->alpha, (cl_mem)a, 0, (size_t)g->lda, (size_t)g->stride_a, (cl_mem)b, 0,
                 (size_t)g->ldb, (size_t)g->stride_b, g->beta, (cl_mem)c, 0, (size_t)g->ldc, (size_t)g->stride_c,
                 (size_t)g->batch, (cl_command_queue *)queue, (cl_event *)event);
  if (st)
    return sq_fail(SQ_ELAUNCH, "CLBlastSgemmStridedBatched(%lldx%lldx%lld, batch %lld): CLBlast status %d",
                   (long long)g->m, (long long)g->n, (long long)g->k, (long long)g->batch, st);
  return 0;
}
