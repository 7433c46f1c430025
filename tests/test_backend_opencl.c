/* SPDX-License-Identifier: BSD-3-Clause */
/* The OpenCL backend end to end on the first OpenCL device: buffer round
 * trips (write/read, fill, bounds), building a small dialect kernel,
 * launching it and checking its output, the profiling timer, kernel limits,
 * and a build error coming back as SQ_ECOMPILE with a non-empty log. */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/backend.h"
#include "tests/tap.h"

static const char *saxpy_src =
  "KERNEL saxpy(GLOBAL float *y, CGLOBAL float *x, float a, int n) {\n"
  "  int i = GID(0);\n"
  "  if (i < n) y[i] = FMA(a, x[i], y[i]) + SCALE;\n"
  "}\n";

static const char *broken_src = "KERNEL broken(GLOBAL float *y) { y[0] = undeclared_name; }\n";

/* The tuner builds on a thread pool while the device measures: builds of
 * distinct programs on one device must be safe from several threads. */
typedef struct build_job {
  const sq_backend *be;
  void *impl;
  char defines[64];
  int rc;
} build_job;

static void *build_thread(void *arg) {
  build_job *j = arg;
  sq_prog prog = {0};
  char *log = NULL;
  j->rc = j->be->build(j->impl, saxpy_src, j->defines, &prog, &log);
  sq_kernel_limits lim;
  if (!j->rc) j->rc = j->be->kernel_limits(j->impl, &prog, "saxpy", &lim);
  if (prog.h) j->be->release(j->impl, &prog);
  free(log);
  return NULL;
}

static void concurrent_builds(const sq_backend *be, void *impl) {
  enum { NT = 3 };
  pthread_t t[NT];
  build_job jobs[NT];
  int started = 0, ok = 1;
  for (int i = 0; i < NT; i++) {
    jobs[i] = (build_job){.be = be, .impl = impl};
    snprintf(jobs[i].defines, sizeof jobs[i].defines, "-DSCALE=%d.0f", i + 1);
    if (pthread_create(&t[i], NULL, build_thread, &jobs[i]) == 0) started++;
    else jobs[i].rc = -1;
  }
  for (int i = 0; i < started; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < NT; i++) ok &= jobs[i].rc == 0;
  tap_ok(started == NT && ok, "%d builds at once from %d threads", NT, started);
}

static void run(const sq_backend *be) {
  void *impl = NULL;
  int rc = be->open(0, &impl);
  if (!tap_ok(rc == 0, "open opencl:0 (%s)", rc ? sq_last_error() : "ok")) return;

  enum { N = 1000 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *r = malloc(N * sizeof *r);
  for (int i = 0; i < N; i++) {
    x[i] = (float)i;
    y[i] = 1.0f;
  }
  sq_buf bx = {0}, by = {0};
  tap_ok(be->alloc(impl, N * sizeof(float), &bx) == 0 && be->alloc(impl, N * sizeof(float), &by) == 0,
         "alloc two buffers");
  tap_ok(be->write(impl, &bx, 0, x, N * sizeof(float)) == 0 && be->read(impl, &bx, 0, r, N * sizeof(float)) == 0 &&
           !memcmp(x, r, N * sizeof(float)),
         "write then read returns the same bytes");
  tap_ok(be->read(impl, &bx, 40, r, 8) == 0 && r[0] == 10.0f && r[1] == 11.0f, "read at an offset");
  rc = be->read(impl, &bx, N * sizeof(float) - 4, r, 8);
  tap_ok(rc == SQ_EINVAL, "read past the end is SQ_EINVAL (%s)", sq_last_error());
  unsigned char bytes[16];
  tap_ok(be->fill(impl, &by, 0xab) == 0 && be->read(impl, &by, 100, bytes, sizeof bytes) == 0 && bytes[0] == 0xab &&
           bytes[15] == 0xab,
         "fill sets every byte");
  be->write(impl, &by, 0, y, N * sizeof(float));

  sq_prog prog = {0};
  char *log = NULL;
  rc = be->build(impl, saxpy_src, "-DSCALE=0.5f", &prog, &log);
  if (tap_ok(rc == 0, "build a dialect kernel with a define (%s)", rc ? sq_last_error() : "ok")) {
    sq_kernel_limits lim = {0};
    rc = be->kernel_limits(impl, &prog, "saxpy", &lim);
    tap_ok(rc == 0 && lim.max_wg > 0, "kernel limits: max work-group %zu, local %zu bytes", lim.max_wg, lim.local_mem);
    tap_ok(be->kernel_limits(impl, &prog, "no_such_entry", &lim) != 0, "limits of an unknown entry fail (%s)",
           sq_last_error());

    sq_launch l = {.entry = "saxpy", .global = {1024, 1, 1}, .local = {64, 1, 1}, .nargs = 4};
    l.args[0] = (sq_arg){.kind = SQ_ARG_BUF, .slot = 3};
    l.args[1] = (sq_arg){.kind = SQ_ARG_BUF, .slot = 0};
    l.args[2] = (sq_arg){.kind = SQ_ARG_F32, .f = 2.0f};
    l.args[3] = (sq_arg){.kind = SQ_ARG_I32, .i = N};
    sq_buf *bufs[SQ_NSLOTS] = {0};
    bufs[0] = &bx;
    bufs[3] = &by;
    double ms = -1;
    rc = be->timer_begin(impl);
    rc = rc ? rc : be->launch(impl, &prog, &l, bufs);
    rc = rc ? rc : be->launch(impl, &prog, &l, bufs);
    rc = rc ? rc : be->timer_end(impl, &ms);
    tap_ok(rc == 0 && ms > 0, "two timed launches: %.4f ms of device time (%s)", ms, rc ? sq_last_error() : "ok");
    rc = be->read(impl, &by, 0, r, N * sizeof(float));
    int bad = 0;
    for (int i = 0; i < N; i++) {
      float want = 1.0f + 2.0f * (2.0f * (float)i + 0.5f);
      if (fabsf(r[i] - want) > 1e-5f * fabsf(want)) bad++;
    }
    tap_ok(rc == 0 && bad == 0, "launch output matches y = 2x + y + 0.5, twice (%d wrong)", bad);

    /* PoCL's CPU device shares the host's memory: x wrapped in place is
     * what the kernel reads (the harness's inputs are not held twice). */
    float *hx = NULL;
    sq_buf bw = {0};
    if (!posix_memalign((void **)&hx, 4096, N * sizeof(float))) {
      for (int i = 0; i < N; i++) hx[i] = 3.0f * (float)i;
      rc = be->wrap ? be->wrap(impl, hx, N * sizeof(float), &bw) : SQ_EUNSUPPORTED;
      int wbad = 0;
      if (!rc) {
        bufs[0] = &bw;
        rc = be->fill(impl, &by, 0);
        rc = rc ? rc : be->launch(impl, &prog, &l, bufs);
        rc = rc ? rc : be->read(impl, &by, 0, r, N * sizeof(float));
        for (int i = 0; !rc && i < N; i++) wbad += r[i] != 2.0f * hx[i] + 0.5f;
        be->free(impl, &bw);
        bufs[0] = &bx;
      }
      tap_ok(rc == 0 && wbad == 0, "a kernel reads host memory wrapped in place (%s, %d wrong)",
             rc ? sq_last_error() : "ok", wbad);
      free(hx);
    }

    sq_buf *none[SQ_NSLOTS] = {0};
    tap_ok(be->launch(impl, &prog, &l, none) == SQ_EINVAL, "launch with an unbound buffer slot fails (%s)",
           sq_last_error());
    sq_launch odd = l;
    odd.global[0] = 1000;
    tap_ok(be->launch(impl, &prog, &odd, bufs) == SQ_EINVAL, "global not a multiple of local fails (%s)",
           sq_last_error());
    tap_ok(be->finish(impl) == 0, "finish");
    be->release(impl, &prog);
  }
  free(log);

  concurrent_builds(be, impl);

  log = NULL;
  rc = be->build(impl, broken_src, "", &prog, &log);
  tap_ok(rc == SQ_ECOMPILE, "a broken kernel is SQ_ECOMPILE (%s)", sq_last_error());
  tap_ok(strstr(sq_last_error(), "CL_BUILD_PROGRAM_FAILURE") != NULL, "the detail names the OpenCL error");
  tap_ok(log && strlen(log) > 0 && strstr(log, "undeclared_name"), "the build log names the culprit");
  free(log);

  be->free(impl, &bx);
  be->free(impl, &by);
  be->close(impl);
  free(x);
  free(y);
  free(r);
}

int main(void) {
#ifdef SQ_HAVE_OPENCL
  const sq_backend *be = &sq_backend_opencl;
  tap_ok(be->abi == SQ_BACKEND_ABI, "ABI number %d", be->abi);
  tap_ok(be->init() == 0, "init");
  int n = be->device_count();
  if (n <= 0) {
    tap_skip("opencl round trip", "no OpenCL device on this machine");
  } else {
    sq_device_info info;
    int rc = be->device_info(0, &info);
    tap_ok(rc == 0 && info.name[0] && info.arch[0] && info.max_wg > 0 && info.global_mem > 0,
           "device_info: %s [%s], %d CUs, %d MHz, arch %s", info.name, info.platform, info.compute_units,
           info.clock_mhz, info.arch);
    tap_ok(be->device_info(n, &info) == SQ_ENODEV, "device_info past the last device is SQ_ENODEV");
    run(be);
  }
  be->fini();
#else
  tap_skip("opencl backend", "subquad was built without OpenCL");
#endif
  return tap_done();
}
