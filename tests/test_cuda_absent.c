/* SPDX-License-Identifier: BSD-3-Clause */
/* A missing or unusable CUDA driver is never an error: with
 * SUBQUAD_CUDA_LIBRARY pointing at a file that does not exist, and at the
 * toolkit's link-time stub (whose cuInit fails), the CUDA backend reports
 * zero devices, init returns 0, and asking for cuda:0 is a clean
 * SQ_ENODEV. The device registry then lists no cuda device. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "harness/backend.h"
#include "harness/device.h"
#include "tests/tap.h"

#ifdef SQ_HAVE_CUDA
#include "harness/cuda_compile.h"

static void absent(const char *lib, const char *what) {
  const sq_backend *be = &sq_backend_cuda;
  setenv("SUBQUAD_CUDA_LIBRARY", lib, 1);
  sq_clear_error();
  tap_ok(be->init() == 0, "%s: init returns 0", what);
  tap_ok(be->device_count() == 0, "%s: zero devices", what);
  sq_device_info info;
  tap_ok(be->device_info(0, &info) == SQ_ENODEV, "%s: device_info(0) is SQ_ENODEV (%s)", what, sq_last_error());
  void *impl = NULL;
  tap_ok(be->open(0, &impl) == SQ_ENODEV && !impl, "%s: open(0) is SQ_ENODEV", what);
  int clk, pw, t;
  tap_ok(sq_cuda_sensors("0000:00:00.0", &clk, &pw, &t) == SQ_EUNSUPPORTED && clk == -1,
         "%s: no NVML sensors without a driver", what);
  be->fini();
}
#endif

int main(void) {
#ifndef SQ_HAVE_CUDA
  tap_skip("cuda backend absent", "subquad was built without the CUDA headers");
#else
  tap_ok(sq_backend_cuda.abi == SQ_BACKEND_ABI && !strcmp(sq_backend_cuda.name, "cuda"), "cuda backend table");
  absent("/nonexistent/libcuda.so.1", "missing libcuda");
  char stub[512];
  snprintf(stub, sizeof stub, "%s/lib64/stubs/libcuda.so", SQ_CUDA_HOME);
  if (access(stub, R_OK) == 0) absent(stub, "toolkit stub libcuda");
  else tap_skip("toolkit stub libcuda", "no stub at SQ_CUDA_HOME/lib64/stubs");

  /* Through the registry: no cuda:N, and asking for one names the choices. */
  setenv("SUBQUAD_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
  int n = sq_devices_count(), cuda = 0;
  for (int i = 0; i < n; i++) {
    char id[32];
    if (sq_devices_id(i, id, sizeof id) == 0 && !strncmp(id, "cuda:", 5)) cuda++;
  }
  tap_ok(n >= 1 && cuda == 0, "registry: %d devices, none of them cuda", n);
  sq_device *dev = NULL;
  int rc = sq_device_open("cuda:0", &dev);
  tap_ok(rc == SQ_ENODEV && !dev && strstr(sq_last_error(), "'cuda:0'") && strstr(sq_last_error(), "cpu"),
         "open cuda:0 is SQ_ENODEV naming it and the devices there are (%s)", sq_last_error());
  rc = sq_device_open(NULL, &dev);
  tap_ok(rc == 0 && dev && strcmp(dev->info.backend, "cuda"), "the default device is not cuda (%s)",
         dev ? dev->id : sq_last_error());
  sq_device_close(dev);
  sq_backend_cuda.fini();
#endif
  return tap_done();
}
