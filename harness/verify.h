/* Verification against the double-precision reference: which rows to check,
 * the tolerance per dtype, the comparison, and the canary written after
 * every buffer a kernel writes to catch out-of-bounds writes. */
#ifndef SQ_VERIFY_H
#define SQ_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

#define SQ_CANARY_BYTES 4096
#define SQ_CANARY_BYTE 0xA5

/* Relative tolerance of a dtype (storage rounding of the output included). */
double sq_tolerance(sq_dtype dt);

/* Picks the rows to check: all T when the reference costs at most
 * `budget_flops` in all, else an evenly strided sample that always includes
 * the first and last rows. Returns the malloc'd sorted list and its length;
 * *stride is 1 for the full reference. */
int64_t *sq_verify_rows(const sq_kernel *k, const sq_problem *p, double budget_flops,
                        int64_t *nrows, int64_t *stride);

typedef struct sq_verdict {
  double max_rel_err;      /* max |o - r| / (|r| + rms(r)) over checked elements */
  int bad_value;           /* a NaN or Inf in the output */
  int64_t where[4];        /* b, h, t, j of the worst element */
} sq_verdict;

/* Compares output rows of o (float, [B][H][T][DV]) with the reference
 * (double, [B][H][nrows][DV]). */
void sq_verify_compare(const sq_problem *p, const float *o, const double *ref,
                       const int64_t *rows, int64_t nrows, sq_verdict *v);

/* Returns the offset of the first canary byte that changed, or -1. */
long sq_canary_check(const unsigned char *canary, size_t n);

#endif
