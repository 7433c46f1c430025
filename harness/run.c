/* The case runner: limits, build, verify, then time. Each stage that fails
 * ends the case with a row that says which stage and why; a wrong result is
 * never timed. On the cpu device the reference itself is the kernel. */
#include "harness/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "harness/dump.h"
#include "harness/inputs.h"
#include "harness/progcache.h"
#include "harness/verify.h"

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
  float *in[3];                /* q, k, v as stored, read as float */
  float *out;                  /* o read back as float */
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
  r->B = p->B, r->H = p->H, r->T = p->T, r->D = p->D, r->DV = p->DV;
  snprintf(r->dtype, sizeof r->dtype, "%s", sq_dtype_name(p->dtype));
  sq_params_format(c->kernel, c->params, r->params, sizeof r->params);
  snprintf(r->config_source, sizeof r->config_source, "%s", c->config_source[0] ? c->config_source : "default");
  if (c->kernel->quadratic)
    snprintf(r->feature, sizeof r->feature, "softmax");
  else
    snprintf(r->feature, sizeof r->feature, "%s%s", p->fmap == SQ_FMAP_ELU1 ? "elu1" : "identity",
             p->normalize ? "+norm" : "");
  r->tolerance = sq_tolerance(p->dtype);
}

static size_t tensor_bytes(const sq_problem *p, int64_t dim) {
  return (size_t)(p->B * p->H * p->T * dim) * sq_dtype_size(p->dtype);
}

void sq_case_memory_of(const sq_problem *p, const sq_plan *pl, sq_case_memory *m) {
  double qk = (double)p->B * p->H * p->T * p->D * sq_dtype_size(p->dtype);
  double vo = (double)p->B * p->H * p->T * p->DV * sq_dtype_size(p->dtype);
  m->total = 2 * qk + 2 * vo + SQ_CANARY_BYTES;
  m->biggest = fmax(qk, vo + SQ_CANARY_BYTES);
  m->scratch = 0;
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
  int rc = sq_buf_alloc(x->dev, bytes + SQ_CANARY_BYTES, &x->bufs[slot]);
  if (rc) return rc;
  x->slots[slot] = &x->bufs[slot];
  x->payload[slot] = bytes;
  /* All-ones bytes are NaN in every float format: an output element the
   * kernel never writes fails verification instead of passing by luck. */
  if ((rc = x->dev->backend->fill(x->dev->impl, &x->bufs[slot], 0xFF))) return rc;
  unsigned char canary[SQ_CANARY_BYTES];
  memset(canary, SQ_CANARY_BYTE, sizeof canary);
  return x->dev->backend->write(x->dev->impl, &x->bufs[slot], bytes, canary, sizeof canary);
}

/* Input `tensor` in its stored form (f32, or f16/bf16 bits) and as float;
 * for f32 both are one array. NULL (with the detail) when out of memory. */
static float *host_input(const sq_problem *p, uint64_t seed, int tensor, void **stored) {
  size_t n = (size_t)(p->B * p->H * p->T * (tensor == SQ_TENSOR_V ? p->DV : p->D));
  float *f = malloc(n * sizeof(float));
  void *s = p->dtype == SQ_F32 ? (void *)f : malloc(n * 2);
  if (!f || !s) {
    free(f);
    if (s != (void *)f) free(s);
    sq_fail(SQ_ENOMEM, "no host memory for %zu input elements", n);
    return NULL;
  }
  sq_inputs_fill(seed, tensor, p->dtype, n, s, f);
  *stored = s;
  return f;
}

static int upload_input(case_ctx *x, int slot, int tensor) {
  const sq_problem *p = &x->c->prob;
  void *stored;
  if (!(x->in[tensor] = host_input(p, x->o->seed, tensor, &stored))) return SQ_ENOMEM;
  size_t bytes = tensor_bytes(p, tensor == SQ_TENSOR_V ? p->DV : p->D);
  int rc = sq_buf_alloc(x->dev, bytes, &x->bufs[slot]);
  if (!rc) {
    x->slots[slot] = &x->bufs[slot];
    rc = x->dev->backend->write(x->dev->impl, &x->bufs[slot], 0, stored, bytes);
  }
  if (stored != (void *)x->in[tensor]) free(stored);
  return rc;
}

static int alloc_all(case_ctx *x) {
  const sq_problem *p = &x->c->prob;
  int rc = upload_input(x, SQ_SLOT_Q, SQ_TENSOR_Q);
  if (!rc) rc = upload_input(x, SQ_SLOT_K, SQ_TENSOR_K);
  if (!rc) rc = upload_input(x, SQ_SLOT_V, SQ_TENSOR_V);
  if (!rc) rc = alloc_writable(x, SQ_SLOT_O, tensor_bytes(p, p->DV));
  for (int i = 0; !rc && i < x->plan.nscratch; i++)
    rc = alloc_writable(x, SQ_SLOT_SCRATCH0 + i, x->plan.scratch_bytes[i]);
  return rc;
}

static void free_all(case_ctx *x) {
  sq_progcache_put(x->dev, x->prog);   /* unpinned: the cache may release it */
  x->prog = NULL;
  for (int i = 0; i < SQ_NSLOTS; i++)
    if (x->slots[i]) sq_buf_free(x->dev, x->slots[i]);
  for (int i = 0; i < 3; i++) free(x->in[i]);
  free(x->out);
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

/* Reads the output and every canary back; fills the verdict. */
static int check_output(case_ctx *x, sq_result *r, char *why, size_t n) {
  const sq_problem *p = &x->c->prob;
  const sq_backend *be = x->dev->backend;
  unsigned char canary[SQ_CANARY_BYTES];
  for (int s = SQ_SLOT_O; s < SQ_NSLOTS; s++) {
    if (!x->slots[s]) continue;
    int rc = be->read(x->dev->impl, x->slots[s], x->payload[s], canary, sizeof canary);
    if (rc) return rc;
    long at = sq_canary_check(canary, sizeof canary);
    if (at >= 0) {
      snprintf(why, n, "out-of-bounds write: canary after %s overwritten at byte +%ld",
               s == SQ_SLOT_O ? "the output O" : "a scratch buffer", at);
      return SQ_EVERIFY;
    }
  }
  size_t elems = (size_t)(p->B * p->H * p->T * p->DV);
  void *raw = malloc(elems * sq_dtype_size(p->dtype));
  x->out = malloc(elems * sizeof(float));
  if (!raw || !x->out) {
    free(raw);
    return sq_fail(SQ_ENOMEM, "no host memory to read the output back");
  }
  int rc = be->read(x->dev->impl, x->slots[SQ_SLOT_O], 0, raw, elems * sq_dtype_size(p->dtype));
  if (!rc) sq_storage_to_float(p->dtype, raw, elems, x->out);
  free(raw);
  if (rc) return rc;

  int64_t nrows, stride;
  int64_t *rows = sq_verify_rows(x->c->kernel, p, x->o->ref_budget_flops, &nrows, &stride);
  double *ref = rows ? malloc(sizeof *ref * (size_t)(p->B * p->H * nrows * p->DV)) : NULL;
  if (!ref) {
    free(rows);
    return sq_fail(SQ_ENOMEM, "no host memory for the reference");
  }
  rc = x->c->kernel->reference(p, x->in[0], x->in[1], x->in[2], rows, nrows, ref);
  sq_verdict v;
  if (!rc) sq_verify_compare(p, x->out, ref, rows, nrows, &v);
  free(rows);
  free(ref);
  if (rc) return rc;
  r->max_rel_err = v.max_rel_err;
  if (stride == 1) snprintf(r->verify, sizeof r->verify, "full");
  else snprintf(r->verify, sizeof r->verify, "%lld rows, 1/%lld", (long long)nrows, (long long)stride);
  if (v.bad_value || v.max_rel_err > r->tolerance) {
    snprintf(why, n, "%smax_rel_err %.3g > %.3g at b=%lld h=%lld t=%lld j=%lld (%s)",
             v.bad_value ? "NaN/Inf in output; " : "", v.max_rel_err, r->tolerance, (long long)v.where[0],
             (long long)v.where[1], (long long)v.where[2], (long long)v.where[3], r->verify);
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
  if (dev->peaks.gflops > 0) bound = fmax(bound, w.flops / (dev->peaks.gflops * 1e9));
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

int sq_case_run(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r, sq_case_times *t) {
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
  if (o->dump_dir && (rc = sq_dump_case(o->dump_dir, c, r, o->seed, x.in[0], x.in[1], x.in[2], x.out))) {
    set_status(r, SQ_STATUS_FAILED, "dump: %s", sq_last_error());
    stage(t, SQ_EIO);
    goto out;
  }
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
  float *in[3];
  int64_t *rows;
  double *out;
} cpu_ctx;

static int sample_cpu(void *ctx, double *ms) {
  cpu_ctx *x = ctx;
  double t0 = sq_now_s();
  int rc = x->c->kernel->reference(&x->c->prob, x->in[0], x->in[1], x->in[2], x->rows, x->c->prob.T, x->out);
  *ms = (sq_now_s() - t0) * 1e3;
  return rc;
}

/* The cpu device's dump: its output is the reference itself, computed
 * once over every row and stored as float32 like a device's output. */
static int dump_cpu(const sq_case *c, const sq_run_opts *o, cpu_ctx *x, const sq_result *r) {
  double ms;
  int rc = sample_cpu(x, &ms);
  if (rc) return rc;
  const sq_problem *p = &c->prob;
  size_t n = (size_t)(p->B * p->H * p->T * p->DV);
  float *out = malloc(sizeof *out * n);
  if (!out) return sq_fail(SQ_ENOMEM, "no host memory for the output to dump");
  for (size_t i = 0; i < n; i++) out[i] = (float)x->out[i];
  rc = sq_dump_case(o->dump_dir, c, r, o->seed, x->in[0], x->in[1], x->in[2], out);
  free(out);
  return rc;
}

static int run_on_cpu(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r, sq_case_times *t) {
  const sq_problem *p = &c->prob;
  cpu_ctx x = {.c = c};
  int rc = 0;
  for (int i = 0; i < 3 && !rc; i++) {
    void *stored;
    if (!(x.in[i] = host_input(p, o->seed, i, &stored))) rc = SQ_ENOMEM;
    else if (stored != (void *)x.in[i]) free(stored);
  }
  x.rows = rc ? NULL : malloc(sizeof *x.rows * (size_t)p->T);
  x.out = x.rows ? malloc(sizeof *x.out * (size_t)(p->B * p->H * p->T * p->DV)) : NULL;
  if (!rc && !x.out) rc = sq_fail(SQ_ENOMEM, "no host memory for the reference output");
  if (rc) {
    set_status(r, SQ_STATUS_SKIPPED, "memory: %s", sq_last_error());
    stage(t, SQ_ELIMITS);
  } else {
    for (int64_t i = 0; i < p->T; i++) x.rows[i] = i;
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
  for (int i = 0; i < 3; i++) free(x.in[i]);
  free(x.rows);
  free(x.out);
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

int sq_case_sample_more(sq_device *dev, const sq_case *c, const sq_run_opts *opts, sq_result *r) {
  if (r->status != SQ_STATUS_OK || !r->nsamples) return 0;
  /* Every round takes as many samples as the first did (the round's
   * timeout still bounds it). Left to the noise rule, a round caught in a
   * slow spell is noisy and keeps sampling long after the calm ones stop,
   * so one spell would outweigh every calm round in the row's median. */
  sq_run_opts same = *opts;
  const sq_run_opts *o = &same;
  int first = 0;
  while (first < r->nsamples && sq_result_round(r, first) == 0) first++;
  same.measure.min_samples = same.measure.max_samples = first;
  same.measure.min_time_s = 0;
  same.dump_dir = NULL;   /* the first round dumped the case */
  if (dev->backend == &sq_backend_cpu) return sample_more_cpu(dev, c, o, r);
  case_ctx x = {.dev = dev, .c = c, .o = o};
  double *v = NULL;
  int n = 0;
  sq_stats st;
  int rc = c->kernel->plan(&c->prob, c->params, &x.plan);
  if (!rc) rc = sq_progcache_get(dev, *c->kernel->source, x.plan.defines, &x.prog);
  if (!rc) rc = alloc_all(&x);
  sq_measure_opts m = o->measure;
  /* As in the first round: a sample of over a second warms up by itself. */
  if (r->stats.median > SELF_WARMING_MS) m.warmup = 0;
  if (!rc) rc = sq_measure(dev, &m, sample_device, &x, &v, &n, &st);
  free_all(&x);
  if (rc) set_status(r, SQ_STATUS_FAILED, "a later measuring round: %s", sq_last_error());
  else rc = append_samples(dev, c, r, v, n);
  free(v);
  return r->status == SQ_STATUS_OK ? rc : 0;
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
