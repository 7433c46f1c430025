/* SPDX-License-Identifier: BSD-3-Clause */
/* The .npy writer: magic, version 1.0, a little-endian header length, a
 * Python-literal header padded with spaces to a 64-byte boundary, then the
 * raw C-order data, written through the atomic writer. */
#include "harness/npy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"

int sq_npy_write(const char *path, const char *descr, size_t elem_size, const void *data,
                 const int64_t *shape, int ndim) {
  char dict[256], dims[160] = "";
  /* Eight dimensions of 19 digits fit `dims`; the writers use four. */
  if (ndim < 1 || ndim > 8) return sq_fail(SQ_EINVAL, "%s: %d dimensions (1 to 8 supported)", path, ndim);
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    size_t len = strlen(dims);
    snprintf(dims + len, sizeof dims - len, "%lld%s", (long long)shape[i], ndim == 1 || i < ndim - 1 ? ", " : "");
    n *= (size_t)shape[i];
  }
  int dlen = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims);
  size_t total = 10 + (size_t)dlen + 1;
  size_t pad = (64 - total % 64) % 64;
  sq_atomic a;
  FILE *f = sq_atomic_open(&a, path);
  if (!f) return SQ_EIO;
  uint16_t hlen = (uint16_t)(dlen + pad + 1);
  unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
  int ok = fwrite(head, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)dlen, f) == (size_t)dlen;
  for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF && fwrite(data, elem_size, n, f) == n;
  if (!ok) {
    sq_fail(SQ_EIO, "%s: write failed: %s", path, strerror(errno));
    sq_atomic_abort(&a);
    return SQ_EIO;
  }
  return sq_atomic_commit(&a);
}
