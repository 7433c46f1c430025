/* Writing a verified case's inputs and output for checking subquad against
 * another framework (`subquad run --dump DIR`). */
#ifndef SQ_DUMP_H
#define SQ_DUMP_H

#include "harness/run.h"

/* Writes ROOT/<kernel>.<causal|noncausal>.B..H..T..D..DV...<dtype>/ with
 * q.npy, k.npy, v.npy, o.npy ([B][H][T][D or DV] float32) and case.json. */
int sq_dump_case(const char *root, const sq_case *c, const sq_result *r, uint64_t seed, const float *q,
                 const float *k, const float *v, const float *o);

#endif
