/* SPDX-License-Identifier: BSD-3-Clause */
/* Linear-attention kernel descriptors (Katharopoulos et al., "Transformers
 * are RNNs"): the recurrent form, the chunked form and the non-causal form,
 * and their double-precision references (kernels/linear_attn_ref.c). */
#ifndef SQ_LINEAR_ATTN_H
#define SQ_LINEAR_ATTN_H

#include "kernels/attention.h"

extern const sq_kernel sq_linear_attn_causal_recurrent;
extern const sq_kernel sq_linear_attn_causal_chunked;
extern const sq_kernel sq_linear_attn_noncausal;

/* References with the sq_kernel.reference contract: the recurrence (causal)
 * or the full sums (non-causal) in double precision. */
int sq_linear_attn_ref_causal(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                              double *const *out);
int sq_linear_attn_ref_noncausal(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                                 double *const *out);
/* Flops per output row and (b, h): 2 * D * DV. */
double sq_linear_attn_ref_row_cost(const sq_problem *p);

#endif
