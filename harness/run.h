/* SPDX-License-Identifier: BSD-3-Clause */
/* Running one case: a kernel on a device at one problem and one parameter
 * configuration. The order is fixed: check limits, build, verify on
 * deterministic inputs against the double-precision reference (with a canary
 * after every output buffer), and only then time it. A wrong result is never
 * timed; every outcome becomes a result row. */
#ifndef SQ_RUN_H
#define SQ_RUN_H

#include "harness/device.h"
#include "harness/inputs.h"
#include "harness/measure.h"
#include "kernels/kernel.h"
#include "results/result.h"

typedef struct sq_run_opts {
  sq_measure_opts measure;
  uint64_t seed;           /* input seed (default 42) */
  double ref_budget_flops; /* full reference when it costs less, else sampled rows (default 4e9) */
  const char *dump_dir;    /* write verified inputs/outputs as .npy here, or NULL */
  int verify_only;         /* verify, do not time */
  /* Tests' say over a case: `input` rewrites input tensors before they are
   * rounded and uploaded; `output` sees each output tensor, as float, of a
   * verified device run. Zero: neither. */
  sq_input_hook input;
  void (*output)(const sq_problem *p, int t, const float *v, int64_t n, void *ctx);
  void *output_ctx;
} sq_run_opts;

void sq_run_defaults(sq_run_opts *o);

typedef struct sq_case {
  const sq_kernel *kernel;
  sq_problem prob;
  int params[SQ_MAX_PARAMS];
  char config_source[32];  /* where params came from: default, cli, tuned:... */
} sq_case;

/* Outcome detail for the tuner: which stage failed, and how long each took. */
typedef struct sq_case_times {
  double compile_s, verify_s, bench_s;
  int stage_err;           /* 0, or the SQ_E* code of the failing stage */
} sq_case_times;

/* Runs the case and fills `out` (status ok / skipped / failed with reason).
 * Returns 0 when a row was produced, negative only when the host itself
 * failed (out of memory). A failure of the case is the row's: on 0 the
 * detail is left empty. `times` may be NULL. */
int sq_case_run(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *out,
                sq_case_times *times);

/* Another measuring round of a case already run, verified and timed (other
 * rows are left alone): the program comes from the cache and the buffers
 * are set up again with the same inputs, so what is timed is what was
 * verified; the samples are appended to the row and its statistics
 * recomputed. Spreading a case's samples over rounds that are minutes apart
 * makes them see the machine's slow drifts, which a back-to-back burst of
 * samples cannot. Each round takes as many samples as the first, so every
 * round weighs the same. A failing round turns the row failed. Returns 0
 * (the detail left empty), or SQ_ENOMEM when the host ran out of memory. */
int sq_case_sample_more(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_result *r);

/* One measuring round of `count` samples appended to an ok row of a case
 * already verified (a row from a verify-only sq_case_run may hold no
 * samples yet): the gate's worker asks for rounds of a fixed size, so each
 * round of both sides weighs the same; a case whose samples pass the
 * measurement's time limit stops there with fewer. Failures and the
 * return as for sq_case_sample_more. */
int sq_case_sample_round(sq_device *dev, const sq_case *c, const sq_run_opts *opts, sq_result *r, int count);

/* A verified case kept set up between rounds (the gate's worker): the
 * program pinned in the cache, the buffers allocated and the same seeded
 * inputs uploaded once, so a round only launches and times. sq_case_keep
 * sets *out to NULL, returning 0, on the cpu device (nothing to keep);
 * else 0 or the failing call's code (SQ_ENOMEM, a backend error). */
typedef struct sq_case_state sq_case_state;
int sq_case_keep(sq_device *dev, const sq_case *c, const sq_run_opts *o, sq_case_state **out);
/* Device memory the kept case holds, in bytes (0 for NULL). */
double sq_case_kept_bytes(const sq_case_state *s);
/* As sq_case_sample_round, on the kept buffers. */
int sq_case_kept_round(sq_case_state *s, const sq_run_opts *opts, sq_result *r, int count);
void sq_case_unkeep(sq_case_state *s);

/* Verifies outputs computed elsewhere (a framework peer's, read back as
 * float in the op's full layout; NULL where absent) against the kernel's
 * reference on the inputs in[] (as float, as sq_inputs_tensor makes them),
 * exactly as a device run is verified: the rows the reference budget
 * allows, the dtype's tolerance (r->tolerance). Fills r's max_rel_err and
 * verify; SQ_EVERIFY with the detail in why when wrong, another code when
 * the host failed. */
int sq_case_verify_host(const sq_case *c, const sq_run_opts *o, float *const *in, float *const *out, sq_result *r,
                        char *why, size_t n);

/* Appends n samples (ms), measured elsewhere, to an ok row as its next
 * measuring round and recomputes its statistics and metrics. 0, or
 * SQ_ENOMEM. */
int sq_case_append_round(sq_device *dev, const sq_case *c, sq_result *r, const double *ms, int n);

/* Fills a row's identity (device, kernel, shape, dtype, params, feature,
 * tolerance) without running anything: for rows skipped before a run. */
void sq_case_describe(sq_device *dev, const sq_case *c, sq_result *r);

/* GFLOP/s, GB/s and the roofline fraction of a row from its median time
 * and the kernel's useful work at the device's measured peaks. */
void sq_case_fill_metrics(sq_device *dev, const sq_case *c, sq_result *r);

/* Device memory a case needs as the runner allocates it: Q, K, V, O and
 * the plan's scratch (pl may be NULL: then none), every written buffer with
 * its canary. In double, so absurd sizes do not wrap. */
typedef struct sq_case_memory {
  double total;            /* bytes over all buffers */
  double biggest;          /* largest single buffer, canary included */
  double scratch;          /* bytes of scratch alone */
  /* Host bytes the runner holds beside the buffers during verification:
   * every input as the floats the reference reads, every output read back
   * as floats. On a device whose buffers are host memory, f32 inputs are
   * those very buffers (wrapped in place), counted once in `shared`. */
  double host, shared;
} sq_case_memory;
void sq_case_memory_of(const sq_problem *p, const sq_plan *pl, sq_case_memory *m);

/* Checks a configuration against the device's limits without launching:
 * 0, or SQ_ELIMITS with the reason in why. */
int sq_case_check_limits(sq_device *dev, const sq_case *c, const sq_plan *pl, char *why, size_t n);

/* The problem of kernel k from --shape text in its op's keys ("B=1,H=8,
 * T=4096,D=64"), causal (1, 0, or -1 for the kernel's first form) and the
 * dtype: unknown or missing keys, values out of range, a form the kernel
 * lacks and tensors past 2^40 elements are SQ_EINVAL naming them. */
int sq_problem_parse(const sq_kernel *k, const char *shape, int causal, sq_dtype dtype, sq_problem *p);
int sq_params_parse(const sq_kernel *k, const char *assign, int *pv); /* "NAME=V" */
/* A forced parameter as run and gate take it, "[KERNEL:]NAME=V": the
 * kernel, when named, must exist (else SQ_EINVAL, the message led by
 * flag); for kernel k, its "NAME=V" when it applies to k (no kernel named,
 * or k), else NULL. */
int sq_param_spec_check(const char *spec, const char *flag);
const char *sq_param_spec_for(const char *spec, const sq_kernel *k);
/* A parameter's value as --param and the tuning database accept it: a
 * whole decimal integer from 1 (0 when the parameter lists 0 among its
 * values, or par is NULL) to SQ_PARAM_MAX. SQ_EINVAL, with what is wrong
 * ("is not a positive integer (1 to 1048576)") in why, else. */
#define SQ_PARAM_MAX (1 << 20)
int sq_param_value_parse(const sq_param *par, const char *s, int *v, char *why, size_t n);
void sq_params_format(const sq_kernel *k, const int *pv, char *buf, size_t n);

/* Compiles the case's program into the device's program cache without
 * running it; safe to call from several threads at once (the tuner compiles
 * ahead on a thread pool while the device measures). 0, or SQ_ECOMPILE with
 * the log's first line in the detail. */
int sq_case_prebuild(sq_device *dev, const sq_case *c);

/* Drops the compiled-program cache of a device (before closing it). */
void sq_run_release_programs(sq_device *dev);

#endif
