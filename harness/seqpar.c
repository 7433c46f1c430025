/* SPDX-License-Identifier: BSD-3-Clause */
/* The sequence-parallel engine (harness/seqpar.h): a rank's slice set up on
 * its device the way the case runner sets up a case (the program from the
 * device's cache, inputs uploaded or read in place, every written buffer
 * NaN-filled with a canary after it), run from a zero state and from its
 * incoming state, with the combine in between. */
#include "harness/seqpar.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/inputs.h"
#include "harness/progcache.h"
#include "harness/verify.h"
#include "kernels/gated_attn.h"
#include "kernels/sources.h"

int sq_seqpar_supported(const sq_kernel *k) {
  return (k->op == &sq_op_linear_attn_gla || k->op == &sq_op_linear_attn_decay) && (k->modes & SQ_CAUSAL);
}

void sq_seqpar_split(int64_t T, int P, int r, int64_t *t0, int64_t *t1) {
  int64_t q = T / P, rem = T % P;
  *t0 = r * q + (r < rem ? r : rem);
  *t1 = *t0 + q + (r < rem ? 1 : 0);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int64_t *sq_seqpar_sample_rows(int64_t T, const int *splits, int nsplits, int extra, int64_t *n) {
  int64_t cap = 2 + (int64_t)extra, k = 0;
  for (int i = 0; i < nsplits; i++) cap += 4 * (int64_t)splits[i];
  int64_t *v = malloc(sizeof(int64_t) * (size_t)cap);
  if (!v) return NULL;
  v[k++] = 0;
  v[k++] = T - 1;
  for (int i = 0; i < nsplits; i++)
    for (int r = 1; r < splits[i]; r++) {
      int64_t t0, t1;
      sq_seqpar_split(T, splits[i], r, &t0, &t1);
      for (int64_t d = -2; d < 2; d++)
        if (t0 + d >= 0 && t0 + d < T) v[k++] = t0 + d;
    }
  for (int i = 0; i < extra; i++) v[k++] = (int64_t)((double)(2 * i + 1) / (2.0 * extra) * (double)T);
  qsort(v, (size_t)k, sizeof *v, cmp_i64);
  int64_t u = 0;
  for (int64_t i = 0; i < k; i++)
    if (v[i] >= 0 && v[i] < T && (!u || v[i] != v[u - 1])) v[u++] = v[i];
  *n = u;
  return v;
}

struct sq_seqpar_slice {
  sq_device *dev;
  sq_case c;               /* the slice's case: T = t1 - t0, state 1 */
  sq_ga_slots sl;
  int64_t t0, t1, rows, cols;
  sq_plan plan;
  int nstate;                       /* launches [0, nstate) give ht; the rest write o */
  sq_prog *prog;
  /* The fix-up (kernels/seqpar.sqk): launch 0 the weights, 1 the fix-up;
   * the weights in slot wslot; S_in goes to h0's buffer. fixup 0: the
   * slice runs again from S_in instead. */
  int fixup, wslot;
  sq_plan fx;
  sq_prog *fxprog;
  sq_buf bufs[SQ_NSLOTS];
  sq_buf *slots[SQ_NSLOTS];
  size_t payload[SQ_NSLOTS];
  float *host[SQ_OP_MAX_TENSORS];   /* inputs a buffer reads in place */
  float *A;                         /* the slice's decay per state row */
  float *zero;                      /* a zero state */
};

int64_t sq_seqpar_state_rows(const sq_seqpar_slice *s) { return s->rows; }
int64_t sq_seqpar_state_cols(const sq_seqpar_slice *s) { return s->cols; }

/* The global inputs' slice: element (bh, t, x) of the slice is element
 * (bh, t0 + t, x) of the whole sequence's tensor, drawn from the same
 * stream and put through the same init; h0 starts at zero. */
typedef struct slice_hook {
  const sq_problem *global;
  sq_ga_slots sl;
  uint64_t seed;
  int64_t t0;
} slice_hook;

static void slice_inputs(const sq_problem *p, int t, float *v, int64_t n, void *ctx) {
  const slice_hook *h = ctx;
  if (t == h->sl.h0) {
    memset(v, 0, sizeof(float) * (size_t)n);
    return;
  }
  int timed = t == h->sl.q || t == h->sl.k || t == h->sl.v || (h->sl.per_channel && t == h->sl.gate);
  if (!timed) return;   /* log_gamma: one per head, the same in every slice */
  int64_t bh = ga_B(p) * ga_H(p), Tl = ga_T(p), T = ga_T(h->global);
  int64_t X = n / (bh * Tl);
  for (int64_t i = 0; i < n; i++) {
    int64_t b = i / (Tl * X), rem = i % (Tl * X);
    v[i] = sq_input_value(h->seed, t, (uint64_t)((b * T + h->t0) * X + rem));
  }
  const sq_tensor *ts = &p->shape.op->tensors[t];
  if (ts->init) ts->init(&h->global->shape, p->causal, v, n);
}

static int alloc_writable(sq_seqpar_slice *s, int slot, size_t bytes) {
  int rc = sq_buf_alloc_canaried(s->dev, bytes, &s->bufs[slot]);
  if (rc) return rc;
  s->slots[slot] = &s->bufs[slot];
  s->payload[slot] = bytes;
  return 0;
}

/* A = exp(sum of the log gates over the slice) per (bh, d): gla's g
 * summed in double, decay's log_gamma times the slice's length. */
static void slice_decay(sq_seqpar_slice *s, const float *gate) {
  const sq_problem *p = &s->c.prob;
  int64_t bh = ga_B(p) * ga_H(p), Tl = ga_T(p), D = ga_D(p);
  for (int64_t i = 0; i < bh; i++)
    for (int64_t d = 0; d < D; d++) {
      double sum = 0;
      if (s->sl.per_channel)
        for (int64_t t = 0; t < Tl; t++) sum += gate[(i * Tl + t) * D + d];
      else
        sum = (double)gate[i % ga_H(p)] * (double)Tl;
      s->A[i * D + d] = (float)exp(sum);
    }
}

static int upload_input(sq_seqpar_slice *s, int t, const slice_hook *hk) {
  const sq_problem *p = &s->c.prob;
  sq_input_hook hook = {slice_inputs, (void *)hk};
  void *stored;
  float *f;
  int rc = sq_inputs_tensor(p, t, hk->seed, &hook, &stored, &f);
  if (rc) return rc;
  if (t == s->sl.gate) slice_decay(s, f);
  size_t bytes = (size_t)sq_tensor_bytes(p, t);
  /* h0 is written before every pass: always a buffer of its own. */
  if (t != s->sl.h0 && stored == (void *)f && !sq_buf_wrap(s->dev, stored, bytes, &s->bufs[t])) {
    s->slots[t] = &s->bufs[t];
    s->host[t] = f;
    return 0;
  }
  rc = sq_buf_alloc(s->dev, bytes, &s->bufs[t]);
  if (!rc) {
    s->slots[t] = &s->bufs[t];
    rc = s->dev->backend->write(s->dev->impl, &s->bufs[t], 0, stored, bytes);
  }
  if (stored != (void *)f) free(stored);
  free(f);
  return rc;
}

int sq_seqpar_slice_fixup(const sq_seqpar_slice *s) { return s->fixup; }

/* The fix-up's plan, where the slice's plan splits at its output launch,
 * a slot is free for the weights and the indices fit 32 bits. */
static int plan_fixup(sq_seqpar_slice *s) {
  const sq_problem *p = &s->c.prob;
  int64_t bh = ga_B(p) * ga_H(p), T = ga_T(p), D = ga_D(p);
  int64_t dvp = (ga_DV(p) + 15) / 16 * 16, total = bh * T * dvp;
  s->wslot = SQ_SLOT_SCRATCH0 + s->plan.nscratch;
  if (s->nstate == s->plan.nlaunch || s->wslot >= SQ_NSLOTS || total > INT32_MAX || bh * T * D > INT32_MAX ||
      T >= (1 << 24))
    return 0;
  sq_plan *pl = &s->fx;
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  sq_plan_define(pl, "GATED", s->sl.per_channel);
  sq_plan_define(pl, "SP_DVP", (long)dvp);
  sq_launch *l = sq_plan_launch(pl, "sp_weights", sq_round_up((size_t)(bh * D), 64), 1, 1, 64, 1, 1);
  sq_arg_buf(l, s->sl.gate);
  sq_arg_buf(l, s->sl.gate);
  sq_arg_buf(l, s->wslot);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_i32(l, (int32_t)ga_H(p));
  sq_arg_i32(l, (int32_t)(bh * D));
  /* Sized for every token here; sq_seqpar_run cuts it to the weights'
   * last stop (arguments 5 and 6). */
  l = sq_plan_launch(pl, "sp_fixup", sq_round_up((size_t)total, 64), 1, 1, 64, 1, 1);
  sq_arg_buf(l, s->sl.q);
  sq_arg_buf(l, s->wslot);
  sq_arg_buf(l, s->sl.h0);
  sq_arg_buf(l, s->sl.o);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_i32(l, (int32_t)T);
  sq_arg_i32(l, (int32_t)total);
  sq_arg_f32(l, (float)ga_scale(p));
  return 1;
}

int sq_seqpar_slice_open(sq_device *dev, const sq_case *c, uint64_t seed, int64_t t0, int64_t t1, int rerun,
                         sq_seqpar_slice **out) {
  *out = NULL;
  if (!sq_seqpar_supported(c->kernel))
    return sq_fail(SQ_EUNSUPPORTED, "%s has no state in/out (seqpar runs linear_attn.decay and linear_attn.gla)",
                   c->kernel->name);
  if (dev->backend == &sq_backend_cpu)
    return sq_fail(SQ_EUNSUPPORTED, "the cpu device runs references, not kernels: give an OpenCL or CUDA device");
  if (t1 <= t0) return sq_fail(SQ_EINVAL, "an empty slice [%lld, %lld)", (long long)t0, (long long)t1);
  sq_seqpar_slice *s = calloc(1, sizeof *s);
  if (!s) return sq_fail(SQ_ENOMEM, "no memory for a slice");
  s->dev = dev;
  s->c = *c;
  s->t0 = t0;
  s->t1 = t1;
  sq_problem *p = &s->c.prob;
  p->causal = 1;
  sq_ax_set(p, SQ_GA_T, t1 - t0);
  sq_ax_set(p, SQ_GA_STATE, 1);
  s->sl = sq_ga_slots_of(p);
  s->rows = ga_B(p) * ga_H(p) * ga_D(p);
  s->cols = ga_DV(p);
  char why[256];
  int rc = 0;
  s->A = malloc(sizeof(float) * (size_t)s->rows);
  s->zero = calloc((size_t)(s->rows * s->cols), sizeof(float));
  if (!s->A || !s->zero) rc = sq_fail(SQ_ENOMEM, "no memory for the slice's state");
  if (!rc && c->kernel->check(p, s->c.params, c->kernel->nparams, why, sizeof why))
    rc = sq_fail(SQ_EINVAL, "%s at T=%lld: %s", c->kernel->name, (long long)(t1 - t0), why);
  if (!rc && (rc = c->kernel->plan(p, s->c.params, &s->plan))) rc = sq_fail(rc, "plan: %s", sq_last_error());
  /* The chunked plans end with the output launch (ga_out): the launches
   * before it leave the final state, the state the combine needs. */
  if (!rc) {
    int n = s->plan.nlaunch;
    s->nstate = n > 1 && !strcmp(s->plan.launch[n - 1].entry, "ga_out") ? n - 1 : n;
  }
  if (!rc && sq_case_check_limits(dev, &s->c, &s->plan, why, sizeof why))
    rc = sq_fail(SQ_ELIMITS, "limits: %s", why);
  if (!rc && (rc = sq_progcache_get(dev, *c->kernel->source, s->plan.defines, &s->prog)))
    rc = sq_fail(rc, "compile: %s", sq_last_error());
  if (!rc && !rerun && plan_fixup(s)) {
    s->fixup = 1;
    if ((rc = sq_progcache_get(dev, sq_src_seqpar, s->fx.defines, &s->fxprog)))
      rc = sq_fail(rc, "compile (fix-up): %s", sq_last_error());
    const sq_problem *p = &s->c.prob;
    /* The weights, then each channel's stop. */
    if (!rc) rc = alloc_writable(s, s->wslot, (size_t)(ga_B(p) * ga_H(p) * (ga_T(p) + 1) * ga_D(p)) * sizeof(float));
  }
  slice_hook hk = {&c->prob, s->sl, seed, t0};
  const sq_op *op = p->shape.op;
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++) {
    if (!sq_tensor_present(&p->shape, &op->tensors[t], p->causal)) continue;
    rc = op->tensors[t].out ? alloc_writable(s, t, (size_t)sq_tensor_bytes(p, t)) : upload_input(s, t, &hk);
  }
  for (int i = 0; !rc && i < s->plan.nscratch; i++)
    rc = alloc_writable(s, SQ_SLOT_SCRATCH0 + i, s->plan.scratch_bytes[i]);
  if (rc) {
    sq_seqpar_slice_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void sq_seqpar_slice_close(sq_seqpar_slice *s) {
  if (!s) return;
  sq_progcache_put(s->dev, s->prog);
  sq_progcache_put(s->dev, s->fxprog);
  for (int i = 0; i < SQ_NSLOTS; i++)
    if (s->slots[i]) sq_buf_free(s->dev, s->slots[i]);
  for (int i = 0; i < SQ_OP_MAX_TENSORS; i++) free(s->host[i]);
  free(s->A);
  free(s->zero);
  free(s);
}

/* Launches [from, to) of the plan between the device timer's marks. */
static int run_plan(sq_seqpar_slice *s, sq_prog *prog, const sq_plan *pl, int from, int to, double *ms) {
  const sq_backend *be = s->dev->backend;
  int rc = be->timer_begin(s->dev->impl);
  for (int i = from; !rc && i < to; i++) rc = be->launch(s->dev->impl, prog, &pl->launch[i], s->slots);
  if (!rc) rc = be->timer_end(s->dev->impl, ms);
  return rc;
}

static int run_launches(sq_seqpar_slice *s, int from, int to, double *ms) {
  return run_plan(s, s->prog, &s->plan, from, to, ms);
}

int sq_seqpar_slice_pass(sq_seqpar_slice *s, const float *h0, float *ht, double *ms) {
  const sq_backend *be = s->dev->backend;
  size_t state = sizeof(float) * (size_t)(s->rows * s->cols);
  int rc = be->write(s->dev->impl, &s->bufs[s->sl.h0], 0, h0 ? h0 : s->zero, state);
  if (!rc) rc = run_launches(s, 0, s->plan.nlaunch, ms);
  if (!rc && ht) rc = be->read(s->dev->impl, &s->bufs[s->sl.ht], 0, ht, state);
  return rc;
}

int sq_seqpar_slice_canaries(sq_seqpar_slice *s, char *why, size_t n) {
  for (int i = 0; i < SQ_NSLOTS; i++) {
    if (!s->slots[i] || !s->payload[i]) continue;
    const char *what = i < SQ_SLOT_SCRATCH0 ? s->c.prob.shape.op->tensors[i].name : "a scratch buffer";
    int rc = sq_buf_check_canary(s->dev, s->slots[i], s->payload[i], what, why, n);
    if (rc) return rc;
  }
  return 0;
}

int sq_seqpar_slice_rows(sq_seqpar_slice *s, const int64_t *tok, int64_t n, float *out) {
  const sq_problem *p = &s->c.prob;
  int64_t bh = ga_B(p) * ga_H(p), Tl = ga_T(p), DV = ga_DV(p);
  sq_dtype dt = sq_tensor_dtype(p, s->sl.o);
  size_t es = sq_dtype_size(dt);
  unsigned char raw[4 * 1024];
  for (int64_t i = 0; i < n; i++)
    for (int64_t b = 0; b < bh; b++) {
      if (tok[i] < 0 || tok[i] >= Tl) return sq_fail(SQ_EINVAL, "row %lld outside the slice", (long long)tok[i]);
      size_t off = (size_t)((b * Tl + tok[i]) * DV) * es;
      int rc = s->dev->backend->read(s->dev->impl, &s->bufs[s->sl.o], off, raw, (size_t)DV * es);
      if (rc) return rc;
      sq_storage_to_float(dt, raw, (size_t)DV, out + (i * bh + b) * DV);
    }
  return 0;
}

/* The fix-up's launch cut to the tokens before the weights' last stop
 * (read back from after the weights). */
static int fixup_horizon(sq_seqpar_slice *s) {
  const sq_problem *p = &s->c.prob;
  int64_t n = ga_B(p) * ga_H(p) * ga_D(p), T = ga_T(p), th = 0;
  float *lim = malloc(sizeof(float) * (size_t)n);
  if (!lim) return sq_fail(SQ_ENOMEM, "no memory for the weights' stops");
  int rc = s->dev->backend->read(s->dev->impl, &s->bufs[s->wslot], sizeof(float) * (size_t)(n * T), lim,
                                 sizeof(float) * (size_t)n);
  for (int64_t i = 0; !rc && i < n; i++)
    if ((int64_t)lim[i] > th) th = (int64_t)lim[i];
  free(lim);
  if (rc) return rc;
  if (th < 1) th = 1;
  sq_launch *l = &s->fx.launch[1];
  int64_t total = n / ga_D(p) * th * ((ga_DV(p) + 15) / 16 * 16);
  l->global[0] = sq_round_up((size_t)total, 64);
  l->args[5].i = (int32_t)th;
  l->args[6].i = (int32_t)total;
  return 0;
}

/* Rank 0's output launches, on a thread of their own while the main
 * thread (the only one that talks MPI) runs the combine. */
typedef struct out_job {
  sq_seqpar_slice *s;
  int weights;             /* also the fix-up's weights */
  double ms;
  int rc;
  char err[256];
} out_job;

static void *output_thread(void *arg) {
  out_job *j = arg;
  j->rc = run_launches(j->s, j->s->nstate, j->s->plan.nlaunch, &j->ms);
  double ms = 0;
  if (!j->rc && j->weights) j->rc = run_plan(j->s, j->s->fxprog, &j->s->fx, 0, 1, &ms);
  j->ms += ms;
  if (!j->rc && j->weights) j->rc = fixup_horizon(j->s);
  if (j->rc) snprintf(j->err, sizeof j->err, "%s", sq_last_error());
  return NULL;
}

int sq_seqpar_run(sq_scan_group *g, sq_seqpar_slice *s, sq_scan_method m, int blocks, sq_seqpar_times *t) {
  memset(t, 0, sizeof *t);
  const sq_backend *be = s->dev->backend;
  size_t state = (size_t)(s->rows * s->cols);
  int first = sq_scan_group_rank(g) == 0;
  float *ht = malloc(sizeof(float) * state), *s_in = malloc(sizeof(float) * state);
  int rc = ht && s_in ? 0 : sq_fail(SQ_ENOMEM, "no memory for the states");
  if (!rc) rc = sq_scan_barrier(g);
  double w0 = sq_scan_wall_s(), ms = 0;
  /* Pass 1 from a zero state up to the final state, read back (host
   * staging). Only rank 0 keeps this pass's output; the others rerun the
   * slice from their incoming state and skip it. */
  if (!rc) rc = be->write(s->dev->impl, &s->bufs[s->sl.h0], 0, s->zero, sizeof(float) * state);
  if (!rc) rc = run_launches(s, 0, s->nstate, &ms);
  if (!rc) rc = be->read(s->dev->impl, &s->bufs[s->sl.ht], 0, ht, sizeof(float) * state);
  t->compute_ms += ms;
  double staged = (sq_scan_wall_s() - w0) * 1e3 - ms;
  /* The slice's output from the zero state (and, for the fix-up, its
   * weights) overlaps the combine: rank 0's is final, the others' get the
   * fix-up. Without the fix-up the others skip it and run again. */
  out_job job = {s, !first && s->fixup, 0, 0, ""};
  pthread_t th;
  int threaded = 0;
  if (!rc && s->nstate < s->plan.nlaunch && (first || s->fixup)) {
    if (pthread_create(&th, NULL, output_thread, &job)) output_thread(&job);
    else threaded = 1;
  }
  sq_scan_times ct = {0};
  if (!rc) rc = sq_scan_combine(g, m, blocks, s->rows, s->cols, ht, s->A, s_in, &ct);
  if (threaded) pthread_join(th, NULL);
  if (!rc && job.rc) rc = sq_fail(job.rc, "%s", job.err);
  t->compute_ms += job.ms;
  t->comm_ms = ct.comm_ms + (staged > 0 ? staged : 0);
  t->idle_ms = ct.idle_ms;
  if (!rc && !first) {
    double w2 = sq_scan_wall_s();
    if (s->fixup) {
      /* S_in into h0's buffer (host staging), then the fix-up. */
      rc = be->write(s->dev->impl, &s->bufs[s->sl.h0], 0, s_in, sizeof(float) * state);
      if (!rc) rc = run_plan(s, s->fxprog, &s->fx, 1, 2, &ms);
    } else {
      rc = sq_seqpar_slice_pass(s, s_in, NULL, &ms);   /* pass 2 from the incoming state */
    }
    if (!rc) {
      t->compute_ms += ms;
      staged = (sq_scan_wall_s() - w2) * 1e3 - ms;
      if (staged > 0) t->comm_ms += staged;
    }
  }
  t->wall_ms = (sq_scan_wall_s() - w0) * 1e3;
  free(ht);
  free(s_in);
  return rc;
}

double sq_seqpar_rel_err(const float *got, const float *want, int64_t n, int *bad) {
  double ss = 0, worst = 0;
  *bad = 0;
  for (int64_t i = 0; i < n; i++) ss += (double)want[i] * want[i];
  double rms = n ? sqrt(ss / (double)n) : 0;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(got[i])) {
      *bad = 1;
      continue;
    }
    double e = fabs((double)got[i] - want[i]) / (fabs((double)want[i]) + rms + 1e-30);
    if (e > worst) worst = e;
  }
  return worst;
}
