/* SPDX-License-Identifier: BSD-3-Clause */
/* The feasibility planner: before a case runs, predict its device memory
 * (inputs, outputs, canaries and the scratch of the kernel's own plan) and
 * its wall time (compile, input generation and transfer, the verification
 * run and the reference, warm-up and the expected samples, from the
 * kernel's useful work and the device's measured peaks or a conservative
 * default), and decide whether it can run: over the free memory, over the
 * largest allocation, or over max_case_s, it becomes a skipped row with the
 * prediction; too large as a whole but not per (b, h) slice, it runs slice
 * by slice. Nothing infeasible is ever allocated or launched. */
#ifndef SQ_PLANNER_H
#define SQ_PLANNER_H

#include "harness/device.h"
#include "harness/run.h"
#include "results/result.h"

typedef struct sq_prediction { double ms; double bytes; int feasible; int sliced;
                               char why[160];
                               double total_s; /* the whole case's wall time; 0 when memory rules it out */
                             } sq_prediction;

/* Predicts a case's device memory (inputs, outputs, scratch from the kernel's plan)
 * and time (from the kernel's useful work and the device's measured peaks, or a
 * conservative default when peaks are unmeasured), and decides feasibility against
 * the device's free memory and max_case_s: why = "predicted 3.1 h > 60 s" or
 * "needs 96.0 GiB > 80.0 GiB free". `sliced` = the whole case does not fit but one
 * (b, h) slice does. */
int sq_predict(const sq_device *dev, const sq_case *c, double max_case_s, sq_prediction *out);

/* As sq_predict, with the run options the case will use (samples, timeout,
 * reference budget); sq_predict uses sq_run_defaults. `dev` may be NULL:
 * then memory is not judged and time uses the default for a CPU device. */
int sq_predict_opts(const sq_device *dev, const sq_case *c, const sq_run_opts *o,
                    double max_case_s, sq_prediction *out);

/* The predicted-time limit `subquad run` applies to its cases, in seconds
 * (0: none): the one the user gave (`given` >= 0) wins; else a suite's own
 * default; else, for a case typed by hand (--kernel/--shape, suite NULL),
 * none. The limit keeps one case from taking a suite's night; the case a
 * user asked for by name runs, its prediction printed first. */
double sq_case_time_limit(const char *suite, double given);

/* Runs a case that must be sliced: one slice (sq_shape_unbatch) at a time via sq_case_run on the
 * slice problem, aggregating the samples (sum of slice times per sample index), so
 * the row reads like an unsliced one plus "sliced into N" in reason. */
int sq_case_run_sliced(sq_device *dev, const sq_case *c, const sq_run_opts *o,
                       sq_result *out);

/* The throughputs the planner assumes for a device: its measured peaks
 * where measured, else the conservative default of its kind. */
void sq_planner_rates(const sq_device *dev, double *gbs, double *gflops, double *gexps);

/* "3.1 h", "12 s", "450 ms": a duration for messages. */
void sq_format_duration(double seconds, char *buf, size_t n);

#endif
