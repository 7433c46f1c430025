/* SPDX-License-Identifier: BSD-3-Clause */
/* NumPy .npy files (format 1.0), so researchers can load a verified case's
 * inputs and outputs with numpy.load and check subquad against their own
 * framework. */
#ifndef SQ_NPY_H
#define SQ_NPY_H

#include <stddef.h>
#include <stdint.h>

/* Writes data (n = product of shape) with the dtype descriptor `descr`
 * ("<f4", "<f2", "<f8") and element size, in full or not at all
 * (sq_atomic_open). */
int sq_npy_write(const char *path, const char *descr, size_t elem_size, const void *data,
                 const int64_t *shape, int ndim);

/* Reads a float32 .npy file (format 1.0 or 2.0, little-endian "<f4", C
 * order) that must hold exactly n elements, into out. 0; SQ_EIO when it
 * cannot be read; SQ_EPARSE naming what differs (dtype, order, count). */
int sq_npy_read_f32(const char *path, float *out, size_t n);

#endif
