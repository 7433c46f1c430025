/* Linear-attention kernel descriptors (Katharopoulos et al., "Transformers
 * are RNNs"): the recurrent form, the chunked form and the non-causal form. */
#ifndef SQ_LINEAR_ATTN_H
#define SQ_LINEAR_ATTN_H

#include "kernels/kernel.h"

extern const sq_kernel sq_linear_attn_causal_recurrent;
extern const sq_kernel sq_linear_attn_causal_chunked;
extern const sq_kernel sq_linear_attn_noncausal;

#endif
