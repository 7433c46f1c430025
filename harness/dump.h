/* SPDX-License-Identifier: BSD-3-Clause */
/* Writing a verified case's tensors for checking subquad against another
 * framework (`subquad run --dump DIR`), as FAMILIES.md §0.1 specifies. */
#ifndef SQ_DUMP_H
#define SQ_DUMP_H

#include "harness/run.h"

/* Writes ROOT/<kernel>.<causal|noncausal>.<sizes>[.<options>].<dtype>/ with
 * NAME.npy for every present tensor of the op (float32, its dims) and
 * case.json: kernel (the op's name), dtype, the op's axes as their kinds
 * (booleans true/false, lists as arrays; no state key in a non-causal
 * case), causal where the op's contract has it, and the provenance keys
 * (implementation, seed, max_rel_err, verify, device, params). in[t] holds
 * input t as float, out[t] output t (NULL elsewhere). */
int sq_dump_case(const char *root, const sq_case *c, const sq_result *r, uint64_t seed, const float *const *in,
                 const float *const *out);

#endif
