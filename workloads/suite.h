/* SPDX-License-Identifier: BSD-3-Clause */
/* Suites: named lists of cases that `subquad run --suite S` runs and
 * `subquad workloads --suite S` lists. Two kinds: sweeps generated from the
 * kernel registry (quick, scaling) and suites drawn from the paper catalog
 * (papers, vision, video, pointcloud). Every case carries the kernel's
 * default parameters; the runner may replace them with tuned ones. */
#ifndef SQ_SUITE_H
#define SQ_SUITE_H

#include "harness/run.h"

typedef struct sq_suite_case {
  sq_case c;               /* harness/run.h: kernel, problem, params (defaults) */
  char workload[64];       /* catalog entry name, "" for pure sweeps */
  char paper[64];          /* short paper name, "" for sweeps */
} sq_suite_case;

/* Names of the suites, NULL-terminated: quick, papers, scaling, vision, video, pointcloud */
extern const char *const sq_suite_names[];

/* Expands suite `name` into cases (malloc'd). Unknown name: SQ_EINVAL naming it. */
int sq_suite_expand(const char *name, sq_suite_case **cases, int *n);

/* The per-case time limit a suite is meant to run under (the default of
 * --max-case-seconds for it): 60 s, except `scaling`, whose 8M-token linear
 * cases take one to two minutes each on a 2-core CPU with verification
 * (180 s keeps the whole suite's prediction under 30 minutes there). */
double sq_suite_max_case_s(const char *name);

/* The suite's default measuring rounds (`run --rounds`): 5, so a gate's
 * samples span the run; 1 for `scaling`, whose long cases take their
 * samples over seconds each and would only pay for the set-up again. */
int sq_suite_rounds(const char *name);

/* One line describing a suite (for usage text), or NULL for an unknown name. */
const char *sq_suite_doc(const char *name);

/* A growable list of cases; the helpers below fill one. */
typedef struct sq_case_list {
  sq_suite_case *v;
  int n, cap;
} sq_case_list;

/* Appends a case for `k` at problem p with the kernel's default parameters.
 * SQ_ENOMEM. */
int sq_case_list_add_problem(sq_case_list *l, const sq_kernel *k, const sq_problem *p, const char *workload,
                             const char *paper);
/* Appends a case for an attention-shaped `k` at (B, H, T, D, DV, causal) in f32 with the kernel's
 * default parameters and the feature map the kernel's family uses in its
 * paper (elu+1 with the normaliser for linear attention). SQ_ENOMEM. */
int sq_case_list_add(sq_case_list *l, const sq_kernel *k, int64_t B, int64_t H, int64_t T,
                     int64_t D, int64_t DV, int causal, const char *workload,
                     const char *paper);
void sq_case_list_free(sq_case_list *l);

/* The form suites run a family in: elu+1 with the normaliser for linear
 * attention (its paper's) where the shape does not state its own, the
 * op's defaults otherwise. */
void sq_suite_form(sq_problem *p);

/* Fills a problem with the suite defaults described above. */
void sq_suite_problem(const sq_kernel *k, int64_t B, int64_t H, int64_t T, int64_t D,
                      int64_t DV, int causal, sq_problem *p);

/* The catalog-drawn suites (workloads/catalog_suite.c): expands `name`
 * (papers, vision, video, pointcloud) from the loaded catalog. */
int sq_catalog_suite_expand(const char *name, sq_case_list *l);

#endif
