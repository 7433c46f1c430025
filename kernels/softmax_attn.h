/* Quadratic softmax-attention baselines: scores materialised (three
 * kernels) and one tiled kernel with online softmax (FlashAttention-style). */
#ifndef SQ_SOFTMAX_ATTN_H
#define SQ_SOFTMAX_ATTN_H

#include "kernels/kernel.h"

extern const sq_kernel sq_softmax_attn_naive;
extern const sq_kernel sq_softmax_attn_flash;

#endif
