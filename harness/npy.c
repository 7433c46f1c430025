/* SPDX-License-Identifier: BSD-3-Clause */
/* The .npy writer: magic, version 1.0, a little-endian header length, a
 * Python-literal header padded with spaces to a 64-byte boundary, then the
 * raw C-order data, written through the atomic writer. And a reader of
 * float32 arrays, for outputs a framework peer hands back. */
#include "harness/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The element count of a header's 'shape': (a, b, ...) or () for a scalar. */
static int header_count(const char *h, size_t *count) {
  const char *s = strstr(h, "'shape'");
  if (!s || !(s = strchr(s, '('))) return -1;
  size_t c = 1;
  for (s++; *s && *s != ')';) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) return -1;
    c *= (size_t)v;
    s = end + strspn(end, " ,");
  }
  if (*s != ')') return -1;
  *count = c;
  return 0;
}

int sq_npy_read_f32(const char *path, float *out, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f) return sq_fail(SQ_EIO, "%s: %s", path, strerror(errno));
  unsigned char head[12];
  char *h = NULL;
  size_t hlen = 0, count = 0;
  int rc = SQ_EPARSE;
  if (fread(head, 1, 10, f) != 10 || memcmp(head, "\x93NUMPY", 6) || head[6] < 1 || head[6] > 3) {
    sq_fail(rc, "%s: not a .npy file", path);
    goto out;
  }
  hlen = head[8] | (size_t)head[9] << 8;
  if (head[6] > 1) {
    if (fread(head + 10, 1, 2, f) != 2) {
      sq_fail(rc, "%s: truncated header", path);
      goto out;
    }
    hlen |= (size_t)head[10] << 16 | (size_t)head[11] << 24;
  }
  if (hlen > 65536 || !(h = calloc(hlen + 1, 1)) || fread(h, 1, hlen, f) != hlen) {
    sq_fail(rc, "%s: bad or truncated header", path);
    goto out;
  }
  if (!strstr(h, "'descr': '<f4'")) sq_fail(rc, "%s: dtype is not little-endian float32 ('<f4')", path);
  else if (!strstr(h, "'fortran_order': False")) sq_fail(rc, "%s: not in C order", path);
  else if (header_count(h, &count) || count != n)
    sq_fail(rc, "%s: %zu elements, %zu expected", path, count, n);
  else if (fread(out, sizeof(float), n, f) != n) sq_fail(rc, "%s: data shorter than its %zu elements", path, n);
  else rc = 0;
out:
  free(h);
  fclose(f);
  return rc;
}
