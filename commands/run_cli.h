/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad run` inside the command layer: its options and the steps that
 * a run on one device (commands/cmd_run.c) and a fleet run over MPI
 * (commands/fleet_run.c) share, so both plan, configure, run, report and
 * save cases the same way. */
#ifndef SQ_RUN_CLI_H
#define SQ_RUN_CLI_H

#include "commands/peer.h"
#include "harness/fleet.h"
#include "harness/run.h"
#include "results/result.h"
#include "workloads/planner.h"
#include "workloads/suite.h"

#define MAX_CLI_PARAMS 16

typedef struct run_cli {
  const char *kernel, *shape, *suite, *device, *out, *only;
  int causal;              /* -1 unset */
  sq_dtype dtype;
  sq_fmap fmap;
  int normalize, peaks, tuned, quiet;
  int json;                /* --format json: one JSON document (-o FILE, else stdout) */
  int feature_given;       /* --feature or --normalize given: overrides a suite's form */
  double max_case_s;
  int rounds;              /* measuring rounds; 0 unset */
  int vendor_blas;         /* a selected kernel calls the vendor's GEMM */
  int nparams;
  const char *params[MAX_CLI_PARAMS];
  sq_run_opts opts;
  int npeers;              /* --peer: framework peers measured beside the cases */
  const char *peer_names[SQ_MAX_PEERS];
  sq_peers *peers;
  int fleet_size;          /* ranks of a fleet run (1: none) */
  char fleet_info[480];    /* fleet: ranks, hosts, devices (the file's `fleet` line) */
  double rank_timeout;     /* fleet: seconds a case may run past its prediction before its rank is lost */
} run_cli;

int run_select_cases(run_cli *a, sq_case_list *l);
int run_check_outputs(const run_cli *a);
/* Dtype, tuned parameters (for dev) and --param overrides of every case. */
int run_configure_cases(run_cli *a, sq_device *dev, sq_case_list *l);
/* Every case planned on dev; ms = -1 where the planner cannot judge. */
sq_prediction *run_plan_all(sq_device *dev, const run_cli *a, const sq_case_list *l);
/* Runs one case as planned (first round's share of the budget in `first`). */
void run_one(sq_device *dev, const run_cli *a, const sq_run_opts *first, const sq_suite_case *sc,
             const sq_prediction *pr, sq_result *r);
/* A progress line for case i of n (its row r) with an ETA. */
void run_progress(const run_cli *a, int round, int i, int n, double t0, const sq_result *r, double done,
                  double total);
void run_meta(const run_cli *a, sq_device *dev, const char *progress, sq_meta *meta);
int run_open_output(const run_cli *a, sq_device *dev, const char *progress, sq_results_writer **w);
void run_save_partial(const run_cli *a, sq_device *dev, const sq_result *rows, int nrows, int ncases, int round);
/* Writes the rows (and their peers') to -o, prints the table, closes w:
 * the exit status (0, or 1 when a row failed or the file could not be
 * written). */
int run_finish(const run_cli *a, sq_device *dev, sq_results_writer *w, const sq_result *rows, int nrows);

/* A run over every rank of a fleet (commands/fleet_run.c): the exit
 * status, as sq_cmd_run's. */
int run_fleet(run_cli *a, sq_fleet *fleet, sq_case_list *cases);

#endif
