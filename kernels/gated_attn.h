/* SPDX-License-Identifier: BSD-3-Clause */
/* Gated and decayed linear attention (FAMILIES.md §5): linear_attn.decay,
 * one decay gamma_h = exp(log_gamma[h]) per head (RetNet, Lightning
 * Attention-2), and linear_attn.gla, a data-dependent log gate per key
 * channel (GLA, ViG, ZeCO). Both keep a D x DV state per head,
 *   S_t = diag(a_t) S_{t-1} + k_t v_t^T,   o_t = scale * S_t^T q_t,
 * causal (with an optional initial state h0 and final state ht) or
 * bidirectional (a forward scan with g plus a backward scan with gb, the
 * diagonal counted in both, as ViG's bid_scan). The two ops share their
 * axes and their kernels; their tensor lists differ, so kernels and the
 * reference find tensors through sq_ga_slots. */
#ifndef SQ_GATED_ATTN_H
#define SQ_GATED_ATTN_H

#include "kernels/kernel.h"

extern const sq_op sq_op_linear_attn_decay;
extern const sq_op sq_op_linear_attn_gla;

/* Axes of both ops (kernels/ops.c; the tests check the indices). */
enum { SQ_GA_B, SQ_GA_H, SQ_GA_T, SQ_GA_D, SQ_GA_DV, SQ_GA_SCALE, SQ_GA_STATE };

/* Tensor indices (= buffer slots) of each op's declaration. */
enum { SQ_DECAY_Q, SQ_DECAY_K, SQ_DECAY_V, SQ_DECAY_LOG_GAMMA, SQ_DECAY_H0, SQ_DECAY_O, SQ_DECAY_HT };
enum { SQ_GLA_Q, SQ_GLA_K, SQ_GLA_V, SQ_GLA_G, SQ_GLA_GB, SQ_GLA_H0, SQ_GLA_O, SQ_GLA_HT };

/* Where each tensor of a problem sits: -1 when the op has none (decay has
 * no gb; its gate is the log_gamma parameter). */
typedef struct sq_ga_slots {
  int q, k, v, gate, gate_b, h0, o, ht;
  int per_channel;           /* 1: gla (gate [B][H][T][D]); 0: decay (log_gamma [H]) */
} sq_ga_slots;

static inline sq_ga_slots sq_ga_slots_of(const sq_problem *p) {
  if (p->shape.op == &sq_op_linear_attn_gla)
    return (sq_ga_slots){SQ_GLA_Q, SQ_GLA_K, SQ_GLA_V, SQ_GLA_G, SQ_GLA_GB, SQ_GLA_H0, SQ_GLA_O, SQ_GLA_HT, 1};
  return (sq_ga_slots){SQ_DECAY_Q, SQ_DECAY_K, SQ_DECAY_V, SQ_DECAY_LOG_GAMMA, -1, SQ_DECAY_H0, SQ_DECAY_O,
                       SQ_DECAY_HT, 0};
}

static inline int64_t ga_B(const sq_problem *p) { return sq_ax(p, SQ_GA_B); }
static inline int64_t ga_H(const sq_problem *p) { return sq_ax(p, SQ_GA_H); }
static inline int64_t ga_T(const sq_problem *p) { return sq_ax(p, SQ_GA_T); }
static inline int64_t ga_D(const sq_problem *p) { return sq_ax(p, SQ_GA_D); }
static inline int64_t ga_DV(const sq_problem *p) { return sq_ax(p, SQ_GA_DV); }
static inline double ga_scale(const sq_problem *p) { return p->shape.v[SQ_GA_SCALE][0]; }
static inline int ga_state(const sq_problem *p) { return (int)sq_ax(p, SQ_GA_STATE); }

/* Kernels (kernels/gated_attn.c): each op has a recurrent and a chunked
 * form, both causal and bidirectional. */
extern const sq_kernel sq_decay_attn_chunked;
extern const sq_kernel sq_decay_attn_recurrent;
extern const sq_kernel sq_gla_chunked;
extern const sq_kernel sq_gla_recurrent;

/* The reference (kernels/gated_attn_ref.c), with the sq_kernel.reference
 * contract, for both ops and both modes: the recurrences of FAMILIES.md §5
 * in double precision, o over the requested rows and ht in full. */
int sq_gated_attn_ref(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                      double *const *out);
/* Flops per output row and (b, h): the state update and the output, in
 * each direction the mode has. */
double sq_gated_attn_ref_row_cost(const sq_problem *p);

#endif
