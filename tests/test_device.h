/* SPDX-License-Identifier: BSD-3-Clause */
/* The device the kernel tests verify on: opencl:0 (PoCL, in CI) unless
 * SUBQUAD_TEST_DEVICE names another (cuda:0 on a machine with a GPU), so
 * that the same ragged shapes, dtypes and modes check every backend.
 * Header-only, like tests/tap.h. */
#ifndef SQ_TESTS_TEST_DEVICE_H
#define SQ_TESTS_TEST_DEVICE_H

#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "harness/device.h"

#define TEST_DEVICE_MISSING "no OpenCL device (install pocl-opencl-icd)"

/* Opens the test device. The default one may be absent (the caller skips);
 * a device asked for by name must open, so its absence bails out instead
 * of passing as a skip. */
static inline int test_device_open(sq_device **dev) {
  const char *id = getenv("SUBQUAD_TEST_DEVICE");
  int named = id && *id;
  if (!sq_device_open(named ? id : "opencl:0", dev)) return 0;
  if (named) {
    printf("Bail out! SUBQUAD_TEST_DEVICE=%s: %s\n", id, sq_last_error());
    exit(1);
  }
  return 1;
}

#endif
