/* SPDX-License-Identifier: BSD-3-Clause */
/* The sequence-parallel benchmark's engine (`subquad seqpar`): a sequence of
 * T tokens split over the P ranks of a group, each running a causal chunked
 * kernel with state in/out (linear_attn.decay, linear_attn.gla) over its
 * slice, the states combined across ranks (harness/fleet_scan.h), and the
 * slice run again from its incoming state.
 *
 * Rank r owns tokens [t_r, t_{r+1}). Its first pass starts from a zero
 * state and ends with ht(r); the slice's total decay is A(r) = exp(sum of
 * the log gates over the slice) per state row (b, h, d). The combine gives
 * S_in(r) = diag(A(r-1)) S_in(r-1) + ht(r-1), and the fix-up (or a second
 * pass from h0 = S_in(r)) gives the slice's final output; rank 0's first
 * pass already is. The inputs of a slice are exactly the global deterministic inputs'
 * slice (harness/inputs.h), so the P-rank output can be compared element
 * for element with one device running the whole sequence. No MPI here. */
#ifndef SQ_SEQPAR_H
#define SQ_SEQPAR_H

#include <stddef.h>
#include <stdint.h>

#include "harness/device.h"
#include "harness/fleet_scan.h"
#include "harness/run.h"

/* Whether kernel k has the state-passing interface seqpar needs (a causal
 * form of linear_attn.decay or linear_attn.gla). */
int sq_seqpar_supported(const sq_kernel *k);

/* Rank r's tokens [*t0, *t1) of T split over P: the first T % P ranks get
 * one more. */
void sq_seqpar_split(int64_t T, int P, int r, int64_t *t0, int64_t *t1);

/* The token rows checked against the single device: the first and last,
 * both sides of every boundary of every split P' in `splits` (nsplits of
 * them), and `extra` more evenly spread; sorted, unique, malloc'ed. */
int64_t *sq_seqpar_sample_rows(int64_t T, const int *splits, int nsplits, int extra, int64_t *n);

/* A rank's slice on its device, set up once and run many times. */
typedef struct sq_seqpar_slice sq_seqpar_slice;

/* Sets up tokens [t0, t1) of case c (its problem causal, state 0; the
 * slice runs with state 1): plan, program (the device's cache), buffers
 * (outputs with canaries), the slice of the inputs under `seed`, and A.
 * A rank r > 0 gets its final output by the fix-up (kernels/seqpar.sqk:
 * o_t += scale (q_t * w_t)^T S_in, w_t the slice's cumulative decay up to
 * t), where the kernel's plan ends with its output launch; with `rerun`,
 * or a kernel without that split (the recurrent ones), it runs the whole
 * slice again from S_in. 0, or the failing stage's code with the detail. */
int sq_seqpar_slice_open(sq_device *dev, const sq_case *c, uint64_t seed, int64_t t0, int64_t t1, int rerun,
                         sq_seqpar_slice **out);
/* 1: the fix-up; 0: the second pass. */
int sq_seqpar_slice_fixup(const sq_seqpar_slice *s);
void sq_seqpar_slice_close(sq_seqpar_slice *s);
/* The state's shape: rows = B*H*D, cols = DV. */
int64_t sq_seqpar_state_rows(const sq_seqpar_slice *s);
int64_t sq_seqpar_state_cols(const sq_seqpar_slice *s);
/* One pass from h0 (rows*cols floats; NULL: zero), its final state read
 * into ht when not NULL; *ms gets the device time of the launches. */
int sq_seqpar_slice_pass(sq_seqpar_slice *s, const float *h0, float *ht, double *ms);
/* SQ_EVERIFY (the buffer named in why) when a canary was overwritten. */
int sq_seqpar_slice_canaries(sq_seqpar_slice *s, char *why, size_t n);
/* The output at the slice's local token rows tok[0..n) as float:
 * out[i][bh][dv]. */
int sq_seqpar_slice_rows(sq_seqpar_slice *s, const int64_t *tok, int64_t n, float *out);

/* What one run of a method cost a rank, in milliseconds. */
typedef struct sq_seqpar_times {
  double compute_ms;       /* device time of the passes (and the fix-up) */
  double comm_ms;          /* the combine and the state's host staging */
  double idle_ms;          /* waiting for ranks that had not sent yet */
  double wall_ms;          /* from the group's start barrier to this rank's output */
} sq_seqpar_times;

/* One run of method m on the group: both passes and the combine. */
int sq_seqpar_run(sq_scan_group *g, sq_seqpar_slice *s, sq_scan_method m, int blocks, sq_seqpar_times *t);

/* max |got - want| / (|want| + rms(want)) over n elements (the verifier's
 * measure, with the single device as the reference); a NaN or Inf in got
 * sets *bad. */
double sq_seqpar_rel_err(const float *got, const float *want, int64_t n, int *bad);

#endif
