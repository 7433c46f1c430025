/* SPDX-License-Identifier: BSD-3-Clause */
/* State passing in kernel tests: a run's tensors captured through the run
 * options' input and output hooks, and a later run fed rows of an earlier
 * one. A sequence split in two, the first call's ht handed to the second as
 * h0, must equal one call over the whole; this holds what those three calls
 * drew and computed. Header-only, like tests/tap.h. */
#ifndef SQ_TESTS_CAPTURE_H
#define SQ_TESTS_CAPTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run.h"

/* The tensors of one call as float, by tensor index. */
typedef struct capture {
  float *v[SQ_OP_MAX_TENSORS];
  int64_t n[SQ_OP_MAX_TENSORS];
  /* When set, every tensor with the token axis is replaced by tokens
   * [t0, t0 + T) of `from` (whose token count is from_T) ... */
  const struct capture *from;
  int64_t t0, from_T;
  const float *h0;            /* ... and h0 by this, when set */
} capture;

static inline void keep(capture *c, int t, const float *v, int64_t n) {
  free(c->v[t]);
  c->v[t] = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (!c->v[t]) {
    printf("Bail out! capture: no memory\n");
    exit(1);
  }
  memcpy(c->v[t], v, sizeof(float) * (size_t)n);
  c->n[t] = n;
}

/* Input hook: a token tensor is [outer][T][inner] around its token dim. */
static inline void take_inputs(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  capture *c = ctx;
  const sq_tensor *ts = &p->shape.op->tensors[t];
  int td = sq_tensor_token_dim(&p->shape, ts);
  if (c->from && c->h0 && !strcmp(ts->name, "h0")) {
    memcpy(v, c->h0, sizeof(float) * (size_t)n);
  } else if (c->from && td >= 0) {
    int64_t dims[SQ_TENSOR_MAX_DIMS], outer = 1, inner = 1;
    int nd = sq_tensor_dims(&p->shape, ts, dims);
    for (int i = 0; i < nd; i++) {
      if (i < td) outer *= dims[i];
      if (i > td) inner *= dims[i];
    }
    int64_t T = dims[td];
    for (int64_t o = 0; o < outer; o++)
      memcpy(v + o * T * inner, c->from->v[t] + (o * c->from_T + c->t0) * inner, sizeof(float) * (size_t)(T * inner));
  }
  keep(c, t, v, n);
}

static inline void take_outputs(const sq_problem *p, int t, const float *v, int64_t n, void *ctx) {
  (void)p;
  keep(ctx, t, v, n);
}

/* Run options whose hooks capture into c (and feed it from c->from). */
static inline void capture_options(sq_run_opts *o, capture *c) {
  sq_run_defaults(o);
  o->input = (sq_input_hook){take_inputs, c};
  o->output = take_outputs;
  o->output_ctx = c;
}

/* Largest |a - b| over max |b|, a [outer][T][inner] against rows
 * [t0, t0 + T) of b [outer][Tb][inner]. */
static inline double rel_diff(const float *a, const float *b, int64_t outer, int64_t T, int64_t Tb, int64_t t0,
                              int64_t inner) {
  double d = 0, m = 0;
  for (int64_t h = 0; h < outer; h++)
    for (int64_t i = 0; i < T * inner; i++) {
      double x = a[h * T * inner + i], y = b[(h * Tb + t0) * inner + i];
      d = fmax(d, fabs(x - y));
      m = fmax(m, fabs(y));
    }
  return d / (m + 1e-30);
}

static inline void free_capture(capture *c) {
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(c->v[t]);
}

#endif
