/* SPDX-License-Identifier: BSD-3-Clause */
/* What every kernel test shares: the device it runs on, a bail-out for a
 * case the test itself wrote wrong, one case verified on that device
 * (never timed) reported as one TAP line, deterministic draws with a
 * relative error for the tests that compare references among themselves,
 * and the gap of a captured run to softmax attention.
 * Header-only, like tests/tap.h. */
#ifndef SQ_TESTS_KERNEL_CASE_H
#define SQ_TESTS_KERNEL_CASE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "kernels/softmax_attn.h"
#include "tests/capture.h"
#include "tests/tap.h"

static sq_device *dev;

/* A test that cannot go on: a shape or parameter the test itself wrote. */
static inline void bail(const char *what, const char *detail) {
  printf("Bail out! %s: %s\n", what, detail);
  exit(1);
}

/* The kernel's defaults, then `params` ("NAME=V,...", or NULL) over them. */
static inline void case_params(const sq_kernel *k, const char *params, int *pv) {
  sq_kernel_default_params(k, pv);
  char buf[160];
  snprintf(buf, sizeof buf, "%s", params ? params : "");
  for (char *a = strtok(buf, ","); a; a = strtok(NULL, ","))
    if (sq_params_parse(k, a, pv)) bail(a, sq_last_error());
}

/* Runs kernel k on p verified only, with `opts` (NULL: the defaults; input
 * and output hooks pass through), and reports it: ok when it verified. */
static inline int verify_case(const sq_kernel *k, const sq_problem *p, const char *params, const sq_run_opts *opts,
                              const char *what) {
  sq_case c = {.kernel = k, .prob = *p};
  case_params(k, params, c.params);
  sq_run_opts o;
  if (opts) o = *opts;
  else sq_run_defaults(&o);
  o.verify_only = 1;
  sq_result r;
  sq_case_run(dev, &c, &o, &r, NULL);
  char shape[SQ_SHAPE_TEXT_MAX];
  sq_shape_format(&p->shape, shape, sizeof shape);
  int ok = tap_ok(r.status == SQ_STATUS_OK, "%s %s %s %s%s%s %s: %s err %.2g %s", k->name,
                  p->causal ? "causal" : "non-causal", shape, sq_dtype_name(p->dtype), params ? " " : "",
                  params ? params : "", what, sq_status_name(r.status), r.max_rel_err, r.reason);
  sq_result_free(&r);
  return ok;
}

/* n uniform draws in [-1, 1) from a xorshift stream of the seed. */
static inline float *draws(int64_t n, unsigned seed) {
  float *v = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (!v) bail("draws", "no memory");
  uint64_t x = 0x9e3779b97f4a7c15ull * (seed + 1);
  for (int64_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    v[i] = (float)((double)(x >> 11) / 9007199254740992.0 * 2 - 1);
  }
  return v;
}

/* max |a - b| / max |b|. */
static inline double max_rel(const double *a, const double *b, int64_t n) {
  double d = 0, m = 0;
  for (int64_t i = 0; i < n; i++) {
    d = fmax(d, fabs(a[i] - b[i]));
    m = fmax(m, fabs(b[i]));
  }
  return d / (m + 1e-300);
}

/* Input hook q = k = 4r: a sharper softmax (FAMILIES.md §4.2's stress
 * test), for any op whose tensors are named q and k. */
static inline void sharpen_qk(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  (void)ctx;
  const char *name = p->shape.op->tensors[t].name;
  if (!strcmp(name, "q") || !strcmp(name, "k"))
    for (int64_t i = 0; i < n; i++) v[i] *= 4.0f;
}

/* How far a captured run's output (tensor o) is from softmax_attn's
 * reference on its captured q, k, v, all [B][H][T][.]: the windows that
 * cover every key are plain softmax attention. Infinite when the reference
 * fails. */
static inline double softmax_gap(const capture *c, int q, int k, int v, int o, int64_t B, int64_t H, int64_t T,
                                 int64_t D, int64_t DV, int causal) {
  const int64_t n = B * H * T * DV;
  sq_problem s;
  sq_att_problem(&s, &sq_op_softmax_attn, B, H, T, D, DV, causal, SQ_F32);
  int64_t *rows = malloc(sizeof(int64_t) * (size_t)T);
  double *r = malloc(sizeof(double) * (size_t)n), *got = malloc(sizeof(double) * (size_t)n);
  if (!rows || !r || !got) bail("softmax_gap", "no memory");
  for (int64_t i = 0; i < T; i++) rows[i] = i;
  const float *in[4] = {c->v[q], c->v[k], c->v[v], NULL};
  double *out[4] = {NULL, NULL, NULL, r};
  int rc = sq_softmax_attn_reference(&s, in, rows, T, out);
  for (int64_t i = 0; i < n; i++) got[i] = c->v[o][i];
  double e = rc ? INFINITY : max_rel(got, r, n);
  free(rows), free(r), free(got);
  return e;
}

#endif
