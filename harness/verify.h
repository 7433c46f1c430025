/* SPDX-License-Identifier: BSD-3-Clause */
/* Verification against the double-precision reference: which token rows to
 * check, the tolerance per dtype, the comparison of any output tensor of an
 * op, and the canary written after every buffer a kernel writes to catch
 * out-of-bounds writes. */
#ifndef SQ_VERIFY_H
#define SQ_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

#define SQ_CANARY_BYTES 4096
#define SQ_CANARY_BYTE 0xA5

/* Relative tolerance of a dtype (storage rounding of the output included). */
double sq_tolerance(sq_dtype dt);

/* Picks the token rows to check: all of them when the reference costs at
 * most `budget_flops` in all, else an evenly strided sample that always
 * includes the first and last rows. Returns the malloc'd sorted list and its
 * length; *stride is 1 for the full reference. */
int64_t *sq_verify_rows(const sq_kernel *k, const sq_problem *p, double budget_flops,
                        int64_t *nrows, int64_t *stride);

/* How far one output is from the reference. */
typedef struct sq_accuracy {
  double max_rel_err;      /* max |o - r| / (|r| + rms(r)) over checked elements */
  int bad_value;           /* a NaN or Inf in the output */
  char where[128];         /* the worst element by axis: "o at b=0 h=1 t=4095 dv=17" */
} sq_accuracy;

/* Elements of output tensor t of the reference: the tensor with its token
 * dim cut to nrows (all of it when it has no token dim). */
double sq_verify_ref_elems(const sq_problem *p, int t, int64_t nrows);

/* Compares output tensor t as the kernel wrote it (float, full layout) with
 * the reference (double, token dim cut to rows[0..nrows)). */
void sq_verify_tensor(const sq_problem *p, int t, const float *o, const double *ref, const int64_t *rows,
                      int64_t nrows, sq_accuracy *v);

/* Returns the offset of the first canary byte that changed, or -1. */
long sq_canary_check(const unsigned char *canary, size_t n);

#endif
