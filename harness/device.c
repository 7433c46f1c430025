/* SPDX-License-Identifier: BSD-3-Clause */
/* The device registry: every device of every compiled-in backend under one
 * name ("cuda:0", "opencl:1", "cpu"), the default-device rule, and the
 * buffer helpers that forward to a device's backend. Devices are listed in
 * backend order cuda, opencl, cpu, so the first GPU is found first. */
#include "config.h"
#include "harness/device.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/vendor_blas.h"
#include "harness/verify.h"

static const sq_backend *const backends[] = {
#ifdef SQ_HAVE_CUDA
  &sq_backend_cuda,
#endif
#ifdef SQ_HAVE_OPENCL
  &sq_backend_opencl,
#endif
  &sq_backend_cpu,
};
#define NBACKENDS ((int)(sizeof backends / sizeof backends[0]))

static int counts[NBACKENDS];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_all(void) {
  for (int b = 0; b < NBACKENDS; b++) {
    /* A backend built for another ABI is skipped, never called. */
    if (backends[b]->abi != SQ_BACKEND_ABI || backends[b]->init() != 0) {
      counts[b] = 0;
      continue;
    }
    int n = backends[b]->device_count();
    counts[b] = n > 0 ? n : 0;
  }
  /* A backend's init may leave a detail behind for a missing driver, which
   * is not an error. */
  sq_clear_error();
}

void sq_devices_init(void) { pthread_once(&init_once, init_all); }

int sq_devices_count(void) {
  sq_devices_init();
  int n = 0;
  for (int b = 0; b < NBACKENDS; b++) n += counts[b];
  return n;
}

/* The cpu backend has one device, named plainly "cpu". */
static void format_id(int b, int index, char *id, size_t n) {
  if (!strcmp(backends[b]->name, "cpu")) snprintf(id, n, "cpu");
  else snprintf(id, n, "%s:%d", backends[b]->name, index);
}

static int locate(int i, int *b_out, int *index_out) {
  sq_devices_init();
  if (i < 0) return -1;
  for (int b = 0; b < NBACKENDS; b++) {
    if (i < counts[b]) {
      *b_out = b;
      *index_out = i;
      return 0;
    }
    i -= counts[b];
  }
  return -1;
}

int sq_devices_id(int i, char *id, size_t n) {
  int b, index;
  if (locate(i, &b, &index)) return sq_fail(SQ_ENODEV, "no device number %d (%d devices)", i, sq_devices_count());
  format_id(b, index, id, n);
  return 0;
}

/* "cpu, opencl:0" for error messages. */
static void list_names(char *out, size_t n) {
  out[0] = 0;
  int total = sq_devices_count();
  for (int i = 0; i < total; i++) {
    char id[32];
    if (sq_devices_id(i, id, sizeof id)) continue;
    size_t len = strlen(out);
    snprintf(out + len, n - len, "%s%s", len ? ", " : "", id);
  }
  sq_clear_error();
}

/* SQ_ENODEV naming the bad name and the devices there are. */
static int unknown(const char *name, int malformed) {
  char have[512];
  list_names(have, sizeof have);
  if (malformed)
    return sq_fail(SQ_ENODEV, "malformed device name '%s' (want BACKEND:INDEX such as opencl:0, or cpu; have: %s)",
                   name, have[0] ? have : "none");
  return sq_fail(SQ_ENODEV, "unknown device '%s' (have: %s)", name, have[0] ? have : "none");
}

/* Parses "backend:index" or "cpu" into a backend and an index. */
static int parse_name(const char *name, int *b_out, int *index_out) {
  const char *colon = strchr(name, ':');
  size_t blen = colon ? (size_t)(colon - name) : strlen(name);
  long index = 0;
  if (colon) {
    char *end;
    errno = 0;
    index = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || index < 0 || colon[1] == '+' || colon[1] == '-' || colon[1] == ' ')
      return unknown(name, 1);
  }
  for (int b = 0; b < NBACKENDS; b++) {
    if (strlen(backends[b]->name) != blen || strncmp(backends[b]->name, name, blen)) continue;
    if (!colon && strcmp(backends[b]->name, "cpu")) return unknown(name, 1);
    if (index >= counts[b]) return unknown(name, 0);
    *b_out = b;
    *index_out = (int)index;
    return 0;
  }
  return unknown(name, 0);
}

/* First CUDA GPU, else first OpenCL GPU, else first OpenCL device, else
 * cpu. Backends are listed CUDA first, so "first GPU" in list order does it. */
static void default_device(int *b_out, int *index_out) {
  int first_any = -1, first_any_index = 0;
  for (int b = 0; b < NBACKENDS; b++) {
    if (!strcmp(backends[b]->name, "cpu")) continue;
    for (int i = 0; i < counts[b]; i++) {
      sq_device_info info;
      if (backends[b]->device_info(i, &info)) continue;
      if (info.is_gpu) {
        *b_out = b;
        *index_out = i;
        return;
      }
      if (first_any < 0 && !strcmp(backends[b]->name, "opencl")) {
        first_any = b;
        first_any_index = i;
      }
    }
  }
  if (first_any >= 0) {
    *b_out = first_any;
    *index_out = first_any_index;
    return;
  }
  for (int b = 0; b < NBACKENDS; b++)
    if (!strcmp(backends[b]->name, "cpu")) *b_out = b;
  *index_out = 0;
}

int sq_device_open(const char *name, sq_device **out) {
  *out = NULL;
  sq_devices_init();
  int b = 0, index = 0, rc;
  if (name && *name) {
    if ((rc = parse_name(name, &b, &index))) return rc;
  } else if (name) {
    return unknown(name, 1);
  } else {
    default_device(&b, &index);
    sq_clear_error();
  }
  sq_device *dev = calloc(1, sizeof *dev);
  if (!dev) return sq_fail(SQ_ENOMEM, "out of memory opening a device");
  dev->backend = backends[b];
  dev->index = index;
  format_id(b, index, dev->id, sizeof dev->id);
  if ((rc = dev->backend->device_info(index, &dev->info)) || (rc = dev->backend->open(index, &dev->impl))) {
    free(dev);
    return rc;
  }
  *out = dev;
  return 0;
}

void sq_device_close(sq_device *dev) {
  if (!dev) return;
  if (dev->impl) dev->backend->close(dev->impl);
  free(dev);
}

int sq_buf_alloc(sq_device *dev, size_t bytes, sq_buf *out) {
  out->h = NULL;
  out->bytes = 0;
  return dev->backend->alloc(dev->impl, bytes, out);
}

int sq_buf_wrap(sq_device *dev, void *host, size_t bytes, sq_buf *out) {
  out->h = NULL;
  out->bytes = 0;
  if (!dev->backend->wrap) return SQ_EUNSUPPORTED;
  return dev->backend->wrap(dev->impl, host, bytes, out);
}

void sq_buf_free(sq_device *dev, sq_buf *buf) {
  if (buf && buf->h) dev->backend->free(dev->impl, buf);
}

int sq_buf_alloc_canaried(sq_device *dev, size_t bytes, sq_buf *out) {
  int rc = sq_buf_alloc(dev, bytes + SQ_CANARY_BYTES, out);
  if (rc) return rc;
  unsigned char canary[SQ_CANARY_BYTES];
  memset(canary, SQ_CANARY_BYTE, sizeof canary);
  if ((rc = dev->backend->fill(dev->impl, out, 0xFF)) ||
      (rc = dev->backend->write(dev->impl, out, bytes, canary, sizeof canary))) {
    sq_buf_free(dev, out);
    out->h = NULL;
  }
  return rc;
}

int sq_buf_check_canary(sq_device *dev, sq_buf *buf, size_t bytes, const char *what, char *why, size_t n) {
  unsigned char canary[SQ_CANARY_BYTES];
  int rc = dev->backend->read(dev->impl, buf, bytes, canary, sizeof canary);
  if (rc) return rc;
  long at = sq_canary_check(canary, sizeof canary);
  if (at < 0) return 0;
  snprintf(why, n, "out-of-bounds write: canary after %s overwritten at byte +%ld", what, at);
  return SQ_EVERIFY;
}

void sq_pocl_pin_threads(void) { setenv("POCL_AFFINITY", "1", 0); }

const char *sq_device_vendor_blas(const sq_device *dev) {
#ifdef SQ_HAVE_OPENCL
  if (dev->backend == &sq_backend_opencl) return sq_clblast_library();
#endif
#ifdef SQ_HAVE_CUDA
  if (dev->backend == &sq_backend_cuda) return sq_cublas_library();
#endif
  (void)dev;
  return NULL;
}
