/* SPDX-License-Identifier: BSD-3-Clause */
/* The case runner: limits, build, verify, then time. Each stage that fails
 * ends the case with a row that says which stage and why; a wrong result is
 * never timed. On the cpu device the reference itself is the kernel. */
#include "harness/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/dump.h"
#include "harness/inputs.h"
#include "harness/progcache.h"
#include "harness/verify.h"
#include "kernels/attention.h"

void sq_run_defaults(sq_run_opts *o) {
  memset(o, 0, sizeof *o);
  sq_measure_defaults(&o->measure);
  o->seed = 42;
  o->ref_budget_flops = 4e9;
}

/* A run longer than this warms caches and clocks by itself: no warm-up. */
#define SELF_WARMING_MS 1000

typedef struct case_ctx {
  sq_device *dev;
  const sq_case *c;
  const sq_run_opts *o;
  sq_plan plan;
  sq_prog *prog;
  sq_buf bufs[SQ_NSLOTS];
  sq_buf *slots[SQ_NSLOTS];
  size_t payload[SQ_NSLOTS];   /* bytes before the canary of a writable buffer */
  float *in[SQ_OP_MAX_TENSORS];  /* input tensors as stored, read as float (NULL: output, absent) */
  float *out[SQ_OP_MAX_TENSORS]; /* output tensors read back as float */
} case_ctx;

static void set_status(sq_result *r, sq_status s, const char *fmt, const char *detail) {
  r->status = s;
  snprintf(r->reason, sizeof r->reason, fmt, detail);
}

void sq_case_describe(sq_device *dev, const sq_case *c, sq_result *r) {
  const sq_problem *p = &c->prob;
  snprintf(r->device, sizeof r->device, "%s %s", dev->id, dev->info.name);
  snprintf(r->backend, sizeof r->backend, "%s", dev->info.backend);
  snprintf(r->arch, sizeof r->arch, "%s", dev->info.arch);
  snprintf(r->kernel, sizeof r->kernel, "%s", c->kernel->name);
  snprintf(r->family, sizeof r->family, "%s", c->kernel->family);
  r->causal = p->causal;
  sq_shape_format(&p->shape, r->shape, sizeof r->shape);
  r->tokens = sq_shape_tokens(&p->shape);
  sq_shape baseline;
  r->baseline[0] = '\0';
  if (!sq_shape_baseline(&p->shape, &baseline)) sq_shape_format(&baseline, r->baseline, sizeof r->baseline);
  snprintf(r->dtype, sizeof r->dtype, "%s", sq_dtype_name(p->dtype));
  sq_params_format(c->kernel, c->params, r->params, sizeof r->params);
  snprintf(r->config_source, sizeof r->config_source, "%s", c->config_source[0] ? c->config_source : "default");
  r->tolerance = sq_tolerance(p->dtype);
}

/* Every present tensor of the op, outputs with their canary, then the
 * plan's scratch buffers (each with a canary too). */
void sq_case_memory_of(const sq_problem *p, const sq_plan *pl, sq_case_memory *m) {
  const sq_op *op = p->shape.op;
  m->total = m->biggest = m->scratch = m->host = m->shared = 0;
  for (int t = 0; t < sq_op_ntensors(op); t++) {
    if (!sq_tensor_present(&p->shape, &op->tensors[t], p->causal)) continue;
    double b = sq_tensor_bytes(p, t) + (op->tensors[t].out ? SQ_CANARY_BYTES : 0);
    double floats = 4.0 * sq_tensor_elems(&p->shape, &op->tensors[t]);
    m->host += floats;
    if (!op->tensors[t].out && sq_tensor_dtype(p, t) == SQ_F32) m->shared += floats;
    m->total += b;
    m->biggest = fmax(m->biggest, b);
  }
  for (int i = 0; pl && i < pl->nscratch; i++) {
    double b = (double)pl->scratch_bytes[i] + SQ_CANARY_BYTES;
    m->scratch += (double)pl->scratch_bytes[i];
    m->total += b;
    m->biggest = fmax(m->biggest, b);
  }
}

int sq_case_check_limits(sq_device *dev, const sq_case *c, const sq_plan *pl, char *why, size_t n) {
  const sq_device_info *di = &dev->info;
  const sq_problem *p = &c->prob;
  if (di->local_mem && pl->local_mem > di->local_mem) {
    snprintf(why, n, "local memory %zu B > device's %llu B", pl->local_mem, (unsigned long long)di->local_mem);
    return SQ_ELIMITS;
  }
  for (int i = 0; i < pl->nlaunch; i++) {
    const sq_launch *l = &pl->launch[i];
    size_t wg = l->local[0] * l->local[1] * l->local[2];
    if (di->max_wg && wg > di->max_wg) {
      snprintf(why, n, "%s: work-group %zu > device's %zu", l->entry, wg, di->max_wg);
      return SQ_ELIMITS;
    }
    for (int d = 0; d < 3; d++)
      if (di->max_wg_dims[d] && l->local[d] > di->max_wg_dims[d]) {
        snprintf(why, n, "%s: work-group dim %d = %zu > device's %zu", l->entry, d, l->local[d], di->max_wg_dims[d]);
        return SQ_ELIMITS;
      }
  }
  sq_case_memory m;
  sq_case_memory_of(p, pl, &m);
  uint64_t avail = di->free_mem ? di->free_mem : di->global_mem;
  if (avail && m.total > (double)avail) {
    snprintf(why, n, "needs %.2f GiB > device's %.2f GiB", m.total / 1073741824.0, avail / 1073741824.0);
    return SQ_ELIMITS;
  }
  if (di->max_alloc && m.biggest > (double)di->max_alloc) {
    snprintf(why, n, "a %.2f GiB buffer > device's largest allocation %.2f GiB", m.biggest / 1073741824.0,
             di->max_alloc / 1073741824.0);
    return SQ_ELIMITS;
  }
  return 0;
}

/* Limits only known once the program is built (registers, per-kernel
 * work-group maximum, actual local memory). */
static int check_built_limits(case_ctx *x, char *why, size_t n) {
  if (!x->dev->backend->kernel_limits) return 0;
  for (int i = 0; i < x->plan.nlaunch; i++) {
    const sq_launch *l = &x->plan.launch[i];
    sq_kernel_limits kl = {0};
    if (l->gemm.batch) continue;   /* the vendor's GEMM: its library's own limits */
    int rc = x->dev->backend->kernel_limits(x->dev->impl, x->prog, l->entry, &kl);
    if (rc) {
      snprintf(why, n, "%s: %s", l->entry, sq_last_error());
      return SQ_ELAUNCH;
    }
    size_t wg = l->local[0] * l->local[1] * l->local[2];
    if (kl.max_wg && wg > kl.max_wg) {
      snprintf(why, n, "%s: work-group %zu > %zu this kernel can launch with%s", l->entry, wg, kl.max_wg,
               kl.registers ? " (registers)" : "");
      return SQ_ELIMITS;
    }
    if (x->dev->info.local_mem && kl.local_mem > x->dev->info.local_mem) {
      snprintf(why, n, "%s: local memory %zu B > device's %llu B", l->entry, kl.local_mem,
               (unsigned long long)x->dev->info.local_mem);
      return SQ_ELIMITS;
    }
  }
  return 0;
}

static int alloc_writable(case_ctx *x, int slot, size_t bytes) {
  int rc = sq_buf_alloc_canaried(x->dev, bytes, &x->bufs[slot]);
  if (rc) return rc;
  x->slots[slot] = &x->bufs[slot];
  x->payload[slot] = bytes;
  return 0;
}

static int upload_input(case_ctx *x, int t) {
  const sq_problem *p = &x->c->prob;
  void *stored;
  int rc = sq_inputs_tensor(p, t, x->o->seed, &x->o->input, &stored, &x->in[t]);
  if (rc) return rc;
  size_t bytes = (size_t)sq_tensor_bytes(p, t);
  /* f32 inputs are stored as the very floats the reference reads: a device
   * that shares the host's memory reads them in place. */
  if (stored == (void *)x->in[t] && !sq_buf_wrap(x->dev, stored, bytes, &x->bufs[t])) {
    x->slots[t] = &x->bufs[t];
    return 0;
  }
  rc = sq_buf_alloc(x->dev, bytes, &x->bufs[t]);
  if (!rc) {
    x->slots[t] = &x->bufs[t];
    rc = x->dev->backend->write(x->dev->impl, &x->bufs[t], 0, stored, bytes);
  }
  if (stored != (void *)x->in[t]) free(stored);
  return rc;
}

/* Slot t holds tensor t of the op: inputs uploaded, outputs NaN-filled with
 * their canary; absent optional tensors stay unbound. */
static int alloc_all(case_ctx *x) {
  const sq_problem *p = &x->c->prob;
  const sq_op *op = p->shape.op;
  int rc = 0;
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++) {
    if (!sq_tensor_present(&p->shape, &op->tensors[t], p->causal)) continue;
    rc = op->tensors[t].out ? alloc_writable(x, t, (size_t)sq_tensor_bytes(p, t)) : upload_input(x, t);
  }
  for (int i = 0; !rc && i < x->plan.nscratch; i++)
    rc = alloc_writable(x, SQ_SLOT_SCRATCH0 + i, x->plan.scratch_bytes[i]);
  return rc;
}

static void free_all(case_ctx *x) {
  sq_progcache_put(x->dev, x->prog);   /* unpinned: the cache may release it */
  x->prog = NULL;
  for (int i = 0; i < SQ_NSLOTS; i++)
    if (x->slots[i]) sq_buf_free(x->dev, x->slots[i]);
  for (int i = 0; i < SQ_OP_MAX_TENSORS; i++) {
    free(x->in[i]);
    free(x->out[i]);
  }
}

static int run_plan(case_ctx *x) {
  for (int i = 0; i < x->plan.nlaunch; i++) {
    int rc = x->dev->backend->launch(x->dev->impl, x->prog, &x->plan.launch[i], x->slots);
    if (rc) return rc;
  }
  return 0;
}

static int sample_device(void *ctx, double *ms) {
  case_ctx *x = ctx;
  int rc = x->dev->backend->timer_begin(x->dev->impl);
  if (!rc) rc = run_plan(x);
  if (!rc) rc = x->dev->backend->timer_end(x->dev->impl, ms);
  return rc;
}

/* The name of what a writable slot holds, for canary messages. */
static const char *slot_name(const sq_problem *p, int slot) {
  return slot < SQ_SLOT_SCRATCH0 ? p->shape.op->tensors[slot].name : "a scratch buffer";
}

/* Every canary after a written buffer: SQ_EVERIFY naming the buffer. */
static int check_canaries(case_ctx *x, char *why, size_t n) {
  for (int s = 0; s < SQ_NSLOTS; s++) {
    if (!x->slots[s] || !x->payload[s]) continue;
    int rc = sq_buf_check_canary(x->dev, x->slots[s], x->payload[s], slot_name(&x->c->prob, s), why, n);
    if (rc) return rc;
  }
  return 0;
}

/* Output tensor t read back as float into x->out[t]. */
static int read_output(case_ctx *x, int t) {
  const sq_problem *p = &x->c->prob;
  sq_dtype dt = sq_tensor_dtype(p, t);
  size_t elems = (size_t)sq_tensor_elems(&p->shape, &p->shape.op->tensors[t]);
  x->out[t] = malloc((elems ? elems : 1) * sizeof(float));
  /* f32 is read straight into place: an 8M-token output is not held twice. */
  void *raw = dt == SQ_F32 ? (void *)x->out[t] : malloc((elems ? elems : 1) * sq_dtype_size(dt));
  if (!raw || !x->out[t]) {
    if (raw != (void *)x->out[t]) free(raw);
    return sq_fail(SQ_ENOMEM, "no host memory to read %s back", p->shape.op->tensors[t].name);
  }
  int rc = x->dev->backend->read(x->dev->impl, x->slots[t], 0, raw, elems * sq_dtype_size(dt));
  if (raw != (void *)x->out[t]) {
    if (!rc) sq_storage_to_float(dt, raw, elems, x->out[t]);
    free(raw);
  }
  return rc;
}

/* The reference over `rows` into ref[t] for every present output, compared
 * with what the kernel wrote; the worst output decides. */
static int compare_outputs(const sq_case *c, float *const *in, float *const *out, const int64_t *rows,
                           int64_t nrows, sq_accuracy *worst) {
  const sq_problem *p = &c->prob;
  const sq_op *op = p->shape.op;
  double *ref[SQ_OP_MAX_TENSORS] = {0};
  int rc = 0;
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++)
    if (out[t] && !(ref[t] = malloc(sizeof(double) * ((size_t)sq_verify_ref_elems(p, t, nrows) + 1))))
      rc = sq_fail(SQ_ENOMEM, "no host memory for the reference of %s", op->tensors[t].name);
  if (!rc) rc = c->kernel->reference(p, (const float *const *)in, rows, nrows, ref);
  memset(worst, 0, sizeof *worst);
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++) {
    if (!ref[t]) continue;
    sq_accuracy a;
    sq_verify_tensor(p, t, out[t], ref[t], rows, nrows, &a);
    if (a.max_rel_err > worst->max_rel_err || (a.bad_value && !worst->bad_value)) *worst = a;
  }
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(ref[t]);
  return rc;
}

/* Reads every output and canary back and checks them against the
 * reference; fills the row's verification columns. */
static int check_output(case_ctx *x, sq_result *r, char *why, size_t n) {
  const sq_problem *p = &x->c->prob;
  int rc = check_canaries(x, why, n);
  for (int t = 0; !rc && t < sq_op_ntensors(p->shape.op); t++)
    if (x->slots[t] && p->shape.op->tensors[t].out) rc = read_output(x, t);
  if (rc) return rc;
  return sq_case_verify_host(x->c, x->o, x->in, x->out, r, why, n);
}

int sq_case_verify_host(const sq_case *c, const sq_run_opts *o, float *const *in, float *const *out, sq_result *r,
                        char *why, size_t n) {
  const sq_problem *p = &c->prob;
  int rc;
  int64_t nrows, stride;
  int64_t *rows = sq_verify_rows(c->kernel, p, o->ref_budget_flops, &nrows, &stride);
  if (!rows) return sq_fail(SQ_ENOMEM, "no host memory for the reference rows");
  sq_accuracy v;
  rc = compare_outputs(c, in, out, rows, nrows, &v);
  free(rows);
  if (rc) return rc;
  r->max_rel_err = v.max_rel_err;
  if (stride == 1) snprintf(r->verify, sizeof r->verify, "full");
  else snprintf(r->verify, sizeof r->verify, "%lld rows, 1/%lld", (long long)nrows, (long long)stride);
  if (v.bad_value || v.max_rel_err > r->tolerance) {
    snprintf(why, n, "%smax_rel_err %.3g > %.3g, %s (%s)", v.bad_value ? "NaN/Inf in output; " : "",
             v.max_rel_err, r->tolerance, v.where, r->verify);
    return SQ_EVERIFY;
  }
  return 0;
}

void sq_case_fill_metrics(sq_device *dev, const sq_case *c, sq_result *r) {
  sq_work w = c->kernel->work(&c->prob);
  double s = r->stats.median * 1e-3;
  if (!(s > 0)) return;
  r->gflops = w.flops / s * 1e-9;
  r->gbs = w.bytes / s * 1e-9;
  /* Roofline: the time the useful work needs at the measured peaks, over the
   * time it took. 1.0 means the kernel runs at its binding ceiling. */
  double bound = 0;
  double compute = sq_peaks_compute(&dev->peaks);
  if (compute > 0) bound = fmax(bound, w.flops / (compute * 1e9));
  if (dev->peaks.gbs > 0) bound = fmax(bound, w.bytes / (dev->peaks.gbs * 1e9));
  if (dev->peaks.gexps > 0) bound = fmax(bound, w.exps / (dev->peaks.gexps * 1e9));
  r->peak_frac = bound > 0 ? bound / s : NAN;
}

static int stage(sq_case_times *t, int err) {
  if (t && !t->stage_err) t->stage_err = err;
  return err;
}

/* The cpu device: the reference is what gets timed, over every row. */
static int run_on_cpu(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r, sq_case_times *t);

static int case_run(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r, sq_case_times *t) {
  case_ctx x = {.dev = dev, .c = c, .o = o};
  char why[400] = "";
  int rc;
  if (t) memset(t, 0, sizeof *t);
  sq_result_init(r);
  sq_case_describe(dev, c, r);
  snprintf(r->mode, sizeof r->mode, "%s", sq_mode_name(o->measure.mode));
  unsigned want = c->prob.causal ? SQ_CAUSAL : SQ_NONCAUSAL;
  if (!(c->kernel->modes & want)) {
    set_status(r, SQ_STATUS_SKIPPED, "unsupported: %s", c->prob.causal ? "no causal form" : "no non-causal form");
    stage(t, SQ_EUNSUPPORTED);
    return 0;
  }
  if (c->kernel->check(&c->prob, c->params, c->kernel->nparams, why, sizeof why)) {
    /* Parameters someone chose break a constraint: a failure; the kernel's
     * own configuration cannot cover this shape: unsupported. */
    int chosen = !strcmp(r->config_source, "cli");
    set_status(r, chosen ? SQ_STATUS_FAILED : SQ_STATUS_SKIPPED, chosen ? "constraint: %s" : "unsupported: %s", why);
    stage(t, SQ_ELIMITS);
    return 0;
  }
  if (dev->backend == &sq_backend_cpu) return run_on_cpu(dev, c, o, r, t);
  if ((rc = c->kernel->plan(&c->prob, c->params, &x.plan))) {
    set_status(r, SQ_STATUS_FAILED, "plan: %s", sq_last_error());
    stage(t, rc);
    return 0;
  }
  if (sq_case_check_limits(dev, c, &x.plan, why, sizeof why)) {
    set_status(r, SQ_STATUS_SKIPPED, "limits: %s", why);
    stage(t, SQ_ELIMITS);
    return 0;
  }
  double t0 = sq_now_s();
  rc = sq_progcache_get(dev, *c->kernel->source, x.plan.defines, &x.prog);
  if (t) t->compile_s = sq_now_s() - t0;
  if (rc) {
    set_status(r, SQ_STATUS_FAILED, "compile: %s", sq_last_error());
    stage(t, SQ_ECOMPILE);
    return 0;
  }
  if ((rc = check_built_limits(&x, why, sizeof why))) {
    set_status(r, rc == SQ_ELIMITS ? SQ_STATUS_SKIPPED : SQ_STATUS_FAILED,
               rc == SQ_ELIMITS ? "limits: %s" : "launch: %s", why);
    stage(t, rc);
    goto out;
  }
  if ((rc = alloc_all(&x))) {
    set_status(r, SQ_STATUS_SKIPPED, "memory: %s", sq_last_error());
    stage(t, rc == SQ_ENOMEM ? SQ_ELIMITS : rc);
    goto out;
  }
  t0 = sq_now_s();
  double verify_ms = 0;
  rc = sample_device(&x, &verify_ms);
  if (rc == SQ_EUNSUPPORTED) {   /* a vendor library this machine lacks */
    set_status(r, SQ_STATUS_SKIPPED, "unsupported: %s", sq_last_error());
    stage(t, rc);
    goto out;
  }
  if (rc) {
    set_status(r, SQ_STATUS_FAILED, "launch: %s", sq_last_error());
    stage(t, SQ_ELAUNCH);
    goto out;
  }
  rc = check_output(&x, r, why, sizeof why);
  if (t) t->verify_s = sq_now_s() - t0;
  if (rc) {
    set_status(r, SQ_STATUS_FAILED, "verify: %s", rc == SQ_EVERIFY ? why : sq_last_error());
    stage(t, SQ_EVERIFY);
    goto out;
  }
  if (o->dump_dir && (rc = sq_dump_case(o->dump_dir, c, r, o->seed, (const float *const *)x.in, (const float *const *)x.out))) {
    set_status(r, SQ_STATUS_FAILED, "dump: %s", sq_last_error());
    stage(t, SQ_EIO);
    goto out;
  }
  for (int ti = 0; o->output && ti < sq_op_ntensors(c->prob.shape.op); ti++)
    if (x.out[ti])
      o->output(&c->prob, ti, x.out[ti], (int64_t)sq_tensor_elems(&c->prob.shape, &c->prob.shape.op->tensors[ti]),
                o->output_ctx);
  if (o->verify_only) goto out;
  sq_measure_opts m = o->measure;
  /* A verification run of over a second already warmed caches and clocks. */
  if (verify_ms > SELF_WARMING_MS) m.warmup = 0;
  t0 = sq_now_s();
  rc = sq_measure(dev, &m, sample_device, &x, &r->samples, &r->nsamples, &r->stats);
  if (t) t->bench_s = sq_now_s() - t0;
  if (rc) {
    set_status(r, SQ_STATUS_FAILED, "launch: %s", sq_last_error());
    stage(t, SQ_ELAUNCH);
    goto out;
  }
  sq_case_fill_metrics(dev, c, r);
out:
  free_all(&x);
  return 0;
}

typedef struct cpu_ctx {
  const sq_case *c;
  float *in[SQ_OP_MAX_TENSORS];
  double *out[SQ_OP_MAX_TENSORS];
  int64_t *rows;
} cpu_ctx;

static int sample_cpu(void *ctx, double *ms) {
  cpu_ctx *x = ctx;
  const sq_problem *p = &x->c->prob;
  double t0 = sq_now_s();
  int rc = x->c->kernel->reference(p, (const float *const *)x->in, x->rows, sq_shape_tokens(&p->shape), x->out);
  *ms = (sq_now_s() - t0) * 1e3;
  return rc;
}

/* The cpu device's dump: its outputs are the reference itself, computed
 * once over every row and stored as float32 like a device's outputs. */
static int dump_cpu(const sq_case *c, const sq_run_opts *o, cpu_ctx *x, const sq_result *r) {
  double ms;
  int rc = sample_cpu(x, &ms);
  if (rc) return rc;
  const sq_problem *p = &c->prob;
  float *out[SQ_OP_MAX_TENSORS] = {0};
  for (int t = 0; !rc && t < sq_op_ntensors(p->shape.op); t++) {
    if (!x->out[t]) continue;
    size_t n = (size_t)sq_tensor_elems(&p->shape, &p->shape.op->tensors[t]);
    if (!(out[t] = malloc(sizeof(float) * (n ? n : 1)))) rc = sq_fail(SQ_ENOMEM, "no host memory for the output to dump");
    for (size_t i = 0; !rc && i < n; i++) out[t][i] = (float)x->out[t][i];
  }
  if (!rc) rc = sq_dump_case(o->dump_dir, c, r, o->seed, (const float *const *)x->in, (const float *const *)out);
  for (int t = 0; t < SQ_OP_MAX_TENSORS; t++) free(out[t]);
  return rc;
}

/* Inputs, every token row and full outputs for the reference as a kernel. */
static int cpu_setup(const sq_problem *p, uint64_t seed, const sq_input_hook *hook, cpu_ctx *x) {
  const sq_op *op = p->shape.op;
  const int64_t T = sq_shape_tokens(&p->shape);
  for (int t = 0; t < sq_op_ntensors(op); t++) {
    if (!sq_tensor_present(&p->shape, &op->tensors[t], p->causal)) continue;
    if (op->tensors[t].out) {
      if (!(x->out[t] = malloc(sizeof(double) * ((size_t)sq_verify_ref_elems(p, t, T) + 1))))
        return sq_fail(SQ_ENOMEM, "no host memory for the reference output %s", op->tensors[t].name);
      continue;
    }
    void *stored;
    int rc = sq_inputs_tensor(p, t, seed, hook, &stored, &x->in[t]);
    if (rc) return rc;
    if (stored != (void *)x->in[t]) free(stored);
  }
  if (!(x->rows = malloc(sizeof *x->rows * (size_t)T))) return sq_fail(SQ_ENOMEM, "no host memory for %lld rows", (long long)T);
  for (int64_t i = 0; i < T; i++) x->rows[i] = i;
  return 0;
}

static int run_on_cpu(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r, sq_case_times *t) {
  cpu_ctx x = {.c = c};
  int rc = cpu_setup(&c->prob, o->seed, &o->input, &x);
  if (rc) {
    set_status(r, SQ_STATUS_SKIPPED, "memory: %s", sq_last_error());
    stage(t, SQ_ELIMITS);
  } else {
    r->max_rel_err = 0;
    snprintf(r->verify, sizeof r->verify, "reference");
    snprintf(r->mode, sizeof r->mode, "hot");
    if (o->dump_dir && (rc = dump_cpu(c, o, &x, r))) {
      set_status(r, SQ_STATUS_FAILED, "dump: %s", sq_last_error());
      stage(t, SQ_EIO);
    } else {
      double t0 = sq_now_s();
      if (!o->verify_only)
        rc = sq_measure(dev, &o->measure, sample_cpu, &x, &r->samples, &r->nsamples, &r->stats);
      if (t) t->bench_s = sq_now_s() - t0;
      if (rc) set_status(r, SQ_STATUS_FAILED, "launch: %s", sq_last_error());
      else sq_case_fill_metrics(dev, c, r);
    }
  }
  for (int i = 0; i < SQ_OP_MAX_TENSORS; i++) {
    free(x.in[i]);
    free(x.out[i]);
  }
  free(x.rows);
  return 0;
}

/* Appends n samples, as the row's next measuring round, and recomputes its
 * statistics and metrics. The samples it has are rounds 0, 1, ...: a row
 * without rounds yet was measured in one, round 0. */
static int append_samples(sq_device *dev, const sq_case *c, sq_result *r, const double *x, int n) {
  int total = r->nsamples + n;
  int round = r->nsamples ? sq_result_round(r, r->nsamples - 1) + 1 : 0;
  double *all = realloc(r->samples, sizeof *all * (size_t)total);
  if (all) r->samples = all;
  int *rounds = all ? realloc(r->sample_round, sizeof *rounds * (size_t)total) : NULL;
  if (!rounds) return sq_fail(SQ_ENOMEM, "no memory for timing samples");
  if (!r->sample_round) memset(rounds, 0, sizeof *rounds * (size_t)r->nsamples);
  r->sample_round = rounds;
  memcpy(all + r->nsamples, x, sizeof *x * (size_t)n);
  for (int i = r->nsamples; i < total; i++) rounds[i] = round;
  r->nsamples = total;
  sq_stats_compute(r->samples, r->nsamples, &r->stats);
  sq_case_fill_metrics(dev, c, r);
  return 0;
}

int sq_case_append_round(sq_device *dev, const sq_case *c, sq_result *r, const double *ms, int n) {
  int rc = append_samples(dev, c, r, ms, n);
  if (!rc) sq_clear_error();
  return rc;
}

/* One more round on the cpu device: the reference timed again. */
static int sample_more_cpu(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r) {
  sq_result more;
  sq_result_init(&more);
  run_on_cpu(dev, c, o, &more, NULL);
  int rc = more.status == SQ_STATUS_OK ? append_samples(dev, c, r, more.samples, more.nsamples) : 0;
  if (more.status != SQ_STATUS_OK) set_status(r, more.status, "%s", more.reason);
  sq_result_free(&more);
  return rc;
}

/* The options of a round of exactly `count` samples (the round's timeout
 * still bounds it). */
static void round_opts(const sq_run_opts *opts, int count, sq_run_opts *same) {
  *same = *opts;
  same->verify_only = 0;
  same->measure.min_samples = same->measure.max_samples = count;
  same->measure.min_time_s = 0;
  same->dump_dir = NULL;   /* the first round dumped the case */
}

/* Measures one round on a case set up in x and appends it to r. */
static int measure_on(case_ctx *x, const sq_run_opts *o, sq_result *r) {
  double *v = NULL;
  int n = 0;
  sq_stats st;
  sq_measure_opts m = o->measure;
  /* As in the first round: a sample of over a second warms up by itself. */
  if (r->stats.median > SELF_WARMING_MS) m.warmup = 0;
  int rc = sq_measure(x->dev, &m, sample_device, x, &v, &n, &st);
  if (rc) set_status(r, SQ_STATUS_FAILED, "a later measuring round: %s", sq_last_error());
  else rc = append_samples(x->dev, x->c, r, v, n);
  free(v);
  return r->status == SQ_STATUS_OK ? rc : 0;
}

/* One round of exactly `count` samples appended to an ok row, which may
 * hold none yet (verified only). */
static int sample_round(sq_device *dev, const sq_case *c, const sq_run_opts *opts, sq_result *r, int count) {
  if (r->status != SQ_STATUS_OK || count < 1) return 0;
  sq_run_opts same;
  round_opts(opts, count, &same);
  const sq_run_opts *o = &same;
  if (dev->backend == &sq_backend_cpu) return sample_more_cpu(dev, c, o, r);
  case_ctx x = {.dev = dev, .c = c, .o = o};
  int rc = c->kernel->plan(&c->prob, c->params, &x.plan);
  if (!rc) rc = sq_progcache_get(dev, *c->kernel->source, x.plan.defines, &x.prog);
  if (!rc) rc = alloc_all(&x);
  if (!rc) rc = measure_on(&x, o, r);
  else set_status(r, SQ_STATUS_FAILED, "a later measuring round: %s", sq_last_error()), rc = 0;
  free_all(&x);
  return rc;
}

/* A case kept set up between rounds: its own copy of the case and options
 * (the caller's may move), the program pinned, the buffers allocated and
 * the inputs uploaded once. */
struct sq_case_state {
  sq_case c;
  sq_run_opts o;
  case_ctx x;
  double bytes;
};

int sq_case_keep(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_case_state **out) {
  *out = NULL;
  if (dev->backend == &sq_backend_cpu) return 0;
  sq_case_state *s = calloc(1, sizeof *s);
  if (!s) return sq_fail(SQ_ENOMEM, "no memory to keep a case");
  s->c = *c;
  s->o = *o;
  s->o.dump_dir = NULL;
  s->o.output = NULL;
  s->x = (case_ctx){.dev = dev, .c = &s->c, .o = &s->o};
  int rc = c->kernel->plan(&s->c.prob, s->c.params, &s->x.plan);
  if (!rc) rc = sq_progcache_get(dev, *c->kernel->source, s->x.plan.defines, &s->x.prog);
  if (!rc) rc = alloc_all(&s->x);
  if (rc) {
    free_all(&s->x);
    free(s);
    return rc;
  }
  sq_case_memory m;
  sq_case_memory_of(&s->c.prob, &s->x.plan, &m);
  s->bytes = m.total;
  *out = s;
  return 0;
}

double sq_case_kept_bytes(const sq_case_state *s) { return s ? s->bytes : 0; }

int sq_case_kept_round(sq_case_state *s, const sq_run_opts *opts, sq_result *r, int count) {
  if (r->status != SQ_STATUS_OK || count < 1) return 0;
  sq_run_opts same;
  round_opts(opts, count, &same);
  int rc = measure_on(&s->x, &same, r);
  if (!rc) sq_clear_error();
  return rc;
}

void sq_case_unkeep(sq_case_state *s) {
  if (!s) return;
  free_all(&s->x);
  free(s);
}

static int sample_more(sq_device *dev, const sq_case *c, const sq_run_opts *opts, sq_result *r) {
  if (r->status != SQ_STATUS_OK || !r->nsamples) return 0;
  /* Every round takes as many samples as the first did. Left to the noise
   * rule, a round caught in a slow spell is noisy and keeps sampling long
   * after the calm ones stop, so one spell would outweigh every calm round
   * in the row's median. */
  int first = 0;
  while (first < r->nsamples && sq_result_round(r, first) == 0) first++;
  return sample_round(dev, c, opts, r, first);
}

int sq_case_prebuild(sq_device *dev, const sq_case *c) {
  sq_plan pl;
  if (dev->backend == &sq_backend_cpu) return 0;
  int rc = c->kernel->plan(&c->prob, c->params, &pl);
  sq_prog *prog;
  if (!rc) rc = sq_progcache_get(dev, *c->kernel->source, pl.defines, &prog);
  /* Built ahead, not in use yet: left to the cache, which keeps the most
   * recently built ones. */
  if (!rc) sq_progcache_put(dev, prog);
  return rc;
}

void sq_run_release_programs(sq_device *dev) {
  sq_progcache_release(dev);
  sq_measure_release(dev);
}

/* A case's failure is its row's status and reason, not the caller's error:
 * the detail it left is cleared, so a later failure that sets none cannot
 * be reported with this one's text. */
int sq_case_run(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r, sq_case_times *t) {
  int rc = case_run(dev, c, o, r, t);
  if (!rc) sq_clear_error();
  return rc;
}

int sq_case_sample_more(sq_device *dev, const sq_case *c, const sq_run_opts *opts, sq_result *r) {
  int rc = sample_more(dev, c, opts, r);
  if (!rc) sq_clear_error();
  return rc;
}

int sq_case_sample_round(sq_device *dev, const sq_case *c, const sq_run_opts *opts, sq_result *r, int count) {
  int rc = sample_round(dev, c, opts, r, count);
  if (!rc) sq_clear_error();
  return rc;
}
