/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad run`: one kernel at one shape, or a whole suite. Each case is
 * planned (infeasible ones become skipped rows with their prediction), given
 * its tuned configuration unless --param overrides it, verified, timed, and
 * written as a result row; stdout gets a table and the speedups of the
 * linear kernels over the faster softmax baseline. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "base/error.h"
#include "base/files.h"
#include "commands/commands.h"
#include "commands/peer.h"
#include "commands/run_cli.h"
#include "harness/run.h"
#include "results/analysis.h"
#include "results/result.h"
#include "tuner/db.h"
#include "workloads/planner.h"
#include "workloads/suite.h"


static void usage(void) {
  printf(
    "usage: subquad run (--kernel K --shape B=1,H=8,T=4096,D=64[,DV=64] | --suite S) [options]\n"
    "  --kernel K           one of:");
  for (int i = 0; i < sq_nkernels; i++) printf(" %s", sq_kernels[i]->name);
  printf(
    "\n  --shape SPEC         B, H (default 1), T, D (1..256), DV (default D)\n"
    "  --causal | --noncausal  (default: causal where the kernel has it)\n"
    "  --suite S            one of:");
  for (int i = 0; sq_suite_names[i]; i++) printf(" %s", sq_suite_names[i]);
  printf(
    "\n  --only SUBSTR        run only suite cases whose kernel name contains SUBSTR\n"
    "  --device D           cuda:N, opencl:N or cpu (default: first GPU, else opencl:0)\n"
    "  --dtype f32|f16|bf16 storage dtype (f32 accumulation); default f32\n"
    "  --feature identity|elu1  linear kernels' feature map (default identity;\n"
    "                       suites: the paper's elu1 + normalize unless given)\n"
    "  --normalize          linear kernels divide by phi(q).z\n"
    "  --param [K:]NAME=V   force a tunable (repeatable; in a suite, for the kernels that\n"
    "                       have it, or kernel K alone); else tuned, else default\n"
    "  --no-tuned           ignore the tuning database\n"
    "  --mode cold|hot      flush the last-level cache before each sample (cold, default)\n"
    "  --warmup N           untimed runs before sampling (1)\n"
    "  --min-samples N      (10)  --max-samples N (1000)\n"
    "  --min-time S         summed sample time before stopping (0.1)\n"
    "  --max-noise F        target relative noise, stddev/mean (0.02)\n"
    "  --timeout S          sampling wall time per case (10)\n"
    "  --rounds N           spread each case's samples over N passes through the\n"
    "                       cases (the sample and time budgets above are shared\n"
    "                       out); default 1, suites 5 (scaling 1)\n"
    "  --max-case-seconds S predicted time over which a case is skipped (suites: their\n"
    "                       own; a --kernel case: none, its prediction is printed)\n"
    "  --ref-budget FLOPS   full reference under this cost, else sampled rows (4e9)\n"
    "  --seed N             input seed (42)\n"
    "  --verify-only        verify, do not time\n"
    "  --no-peaks           do not measure the device's peaks first\n"
    "  --dump DIR           write each verified case's q, k, v, o as .npy + case.json\n"
    "  --peer NAME          also measure the cases through a framework (torch, fla, mamba_ssm,\n"
    "                       natten; repeatable), interleaved, verified, as peer:* rows\n"
    "  --rank-timeout S     under mpirun: a rank silent this long past its case's predicted\n"
    "                       time is lost and its case failed (300)\n"
    "  -o FILE.csv          results (and FILE.samples.csv with every raw sample)\n"
    "  --format csv|json    -o as CSV (default) or as one JSON file with the samples\n"
    "                       inside; json without -o prints the JSON instead of the table\n"
    "  -q, --quiet          no progress on stderr\n");
}

enum { O_CAUSAL = 256, O_NONCAUSAL, O_DTYPE, O_FEATURE, O_NORMALIZE, O_PARAM, O_NOTUNED, O_MODE, O_WARMUP,
       O_MINS, O_MAXS, O_MINT, O_NOISE, O_TIMEOUT, O_MAXCASE, O_REFB, O_SEED, O_VONLY, O_NOPEAKS, O_DUMP, O_ONLY,
       O_ROUNDS, O_FORMAT, O_PEER, O_RANK_TIMEOUT };

static int parse_args(int argc, char **argv, run_cli *a) {
  static const struct option opts[] = {
    {"kernel", 1, 0, 'k'}, {"shape", 1, 0, 's'}, {"suite", 1, 0, 'S'}, {"device", 1, 0, 'd'},
    {"causal", 0, 0, O_CAUSAL}, {"noncausal", 0, 0, O_NONCAUSAL}, {"dtype", 1, 0, O_DTYPE},
    {"feature", 1, 0, O_FEATURE}, {"normalize", 0, 0, O_NORMALIZE}, {"param", 1, 0, O_PARAM},
    {"no-tuned", 0, 0, O_NOTUNED}, {"mode", 1, 0, O_MODE}, {"warmup", 1, 0, O_WARMUP},
    {"min-samples", 1, 0, O_MINS}, {"max-samples", 1, 0, O_MAXS}, {"min-time", 1, 0, O_MINT},
    {"max-noise", 1, 0, O_NOISE}, {"timeout", 1, 0, O_TIMEOUT}, {"max-case-seconds", 1, 0, O_MAXCASE},
    {"ref-budget", 1, 0, O_REFB}, {"seed", 1, 0, O_SEED}, {"verify-only", 0, 0, O_VONLY},
    {"no-peaks", 0, 0, O_NOPEAKS}, {"dump", 1, 0, O_DUMP}, {"only", 1, 0, O_ONLY}, {"rounds", 1, 0, O_ROUNDS},
    {"format", 1, 0, O_FORMAT}, {"peer", 1, 0, O_PEER}, {"rank-timeout", 1, 0, O_RANK_TIMEOUT},
    {"output", 1, 0, 'o'}, {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  long long iv;
  double dv;
  int c, rc = 0;
  opterr = 0;
  optind = 1;
  while (!rc && (c = getopt_long(argc, argv, ":k:s:S:d:o:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'k': a->kernel = optarg; break;
    case 's': a->shape = optarg; break;
    case 'S': a->suite = optarg; break;
    case 'd': a->device = optarg; break;
    case 'o': a->out = optarg; break;
    case 'q': a->quiet = 1; break;
    case 'h': usage(); exit(0);
    case O_CAUSAL: a->causal = 1; break;
    case O_NONCAUSAL: a->causal = 0; break;
    case O_DTYPE: rc = sq_dtype_parse(optarg, &a->dtype); break;
    case O_FEATURE:
      if (!strcmp(optarg, "identity")) a->fmap = SQ_FMAP_IDENTITY;
      else if (!strcmp(optarg, "elu1")) a->fmap = SQ_FMAP_ELU1;
      else rc = sq_fail(SQ_EINVAL, "--feature: '%s' is not a feature map (identity or elu1)", optarg);
      a->feature_given = 1;
      break;
    case O_NORMALIZE: a->normalize = 1; a->feature_given = 1; break;
    case O_PARAM:
      if (a->nparams == MAX_CLI_PARAMS) rc = sq_fail(SQ_EINVAL, "--param: more than %d given", MAX_CLI_PARAMS);
      else if (!(rc = sq_param_spec_check(optarg, "--param"))) a->params[a->nparams++] = optarg;
      break;
    case O_NOTUNED: a->tuned = 0; break;
    case O_MODE: rc = sq_mode_parse(optarg, &a->opts.measure.mode); break;
    case O_WARMUP: if (!(rc = sq_parse_i64(optarg, "--warmup", 0, 1000, &iv))) a->opts.measure.warmup = (int)iv; break;
    case O_MINS: if (!(rc = sq_parse_i64(optarg, "--min-samples", 1, 100000, &iv))) a->opts.measure.min_samples = (int)iv; break;
    case O_MAXS: if (!(rc = sq_parse_i64(optarg, "--max-samples", 1, 1000000, &iv))) a->opts.measure.max_samples = (int)iv; break;
    case O_MINT: if (!(rc = sq_parse_duration(optarg, "--min-time", &dv))) a->opts.measure.min_time_s = dv; break;
    case O_NOISE: if (!(rc = sq_parse_f64(optarg, "--max-noise", 0, 10, &dv))) a->opts.measure.max_noise = dv; break;
    case O_TIMEOUT: if (!(rc = sq_parse_duration(optarg, "--timeout", &dv))) a->opts.measure.timeout_s = dv; break;
    case O_MAXCASE: rc = sq_parse_duration(optarg, "--max-case-seconds", &a->max_case_s); break;
    case O_REFB: rc = sq_parse_f64(optarg, "--ref-budget", 1e3, 1e15, &a->opts.ref_budget_flops); break;
    case O_SEED: if (!(rc = sq_parse_i64(optarg, "--seed", 0, 9223372036854775807LL, &iv))) a->opts.seed = (uint64_t)iv; break;
    case O_VONLY: a->opts.verify_only = 1; break;
    case O_NOPEAKS: a->peaks = 0; break;
    case O_DUMP: a->opts.dump_dir = optarg; break;
    case O_ONLY: a->only = optarg; break;
    case O_ROUNDS: if (!(rc = sq_parse_i64(optarg, "--rounds", 1, 100, &iv))) a->rounds = (int)iv; break;
    case O_FORMAT:
      if (!strcmp(optarg, "json") || !strcmp(optarg, "csv")) a->json = !strcmp(optarg, "json");
      else rc = sq_fail(SQ_EINVAL, "--format: '%s' is not csv or json", optarg);
      break;
    case O_PEER:
      if (a->npeers == SQ_MAX_PEERS) rc = sq_fail(SQ_EINVAL, "--peer: more than %d given", SQ_MAX_PEERS);
      else if (!(rc = sq_peer_name_check(optarg))) a->peer_names[a->npeers++] = optarg;
      break;
    case O_RANK_TIMEOUT: rc = sq_parse_duration(optarg, "--rank-timeout", &a->rank_timeout); break;
    case ':': rc = sq_fail(SQ_EINVAL, "%s needs a value", argv[optind - 1]); break;
    default:
      rc = sq_fail(SQ_EINVAL, "unknown option '%s' (see subquad run --help)", argv[optind - 1]);
    }
  }
  if (rc) return rc;
  if (optind < argc) return sq_fail(SQ_EINVAL, "unexpected argument '%s'", argv[optind]);
  if (!a->kernel == !a->suite) return sq_fail(SQ_EINVAL, "give either --kernel with --shape, or --suite");
  if (a->kernel && !a->shape) return sq_fail(SQ_EINVAL, "--kernel %s needs --shape", a->kernel);
  if (a->suite && a->shape) return sq_fail(SQ_EINVAL, "--shape does not go with --suite");
  return 0;
}

/* --feature and --normalize: aliases of the feature and normalize keys of
 * ops that have them (linear attention). In a single case they may not
 * repeat a key --shape already gave; over a suite they override its form. */
static int apply_feature_flags(const run_cli *a, sq_problem *p, int single) {
  if (!a->feature_given) return 0;
  int f = sq_op_axis_index(p->shape.op, "feature"), n = sq_op_axis_index(p->shape.op, "normalize");
  if (f < 0 || n < 0) return 0;
  if (single && (p->shape.given & ((1u << f) | (1u << n))))
    return sq_fail(SQ_EINVAL, "--feature/--normalize repeat a key --shape gives");
  sq_ax_set(p, f, a->fmap);
  sq_ax_set(p, n, a->normalize);
  return 0;
}

/* Builds the single case of --kernel/--shape. */
static int single_case(run_cli *a, sq_case_list *l) {
  const sq_kernel *k = sq_kernel_find(a->kernel);
  if (!k) return sq_fail(SQ_EINVAL, "--kernel: unknown kernel '%s' (see subquad run --help)", a->kernel);
  sq_problem p;
  int rc = sq_problem_parse(k, a->shape, a->causal, a->dtype, &p);
  if (!rc) rc = apply_feature_flags(a, &p, 1);
  return rc ? rc : sq_case_list_add_problem(l, k, &p, "", "");
}

/* A tuned configuration was measured at its own token bucket; where the
 * device cannot run it at this case's size (GLA's 16-token chunks keep 8M
 * tokens' chunk states in one 8 GiB buffer), the defaults run the case. */
static void drop_unfit_tuning(sq_device *dev, sq_case *c) {
  sq_plan pl;
  char why[256];
  if (strncmp(c->config_source, "tuned", 5)) return;
  if (!c->kernel->check(&c->prob, c->params, c->kernel->nparams, why, sizeof why) &&
      !c->kernel->plan(&c->prob, c->params, &pl) && !sq_case_check_limits(dev, c, &pl, why, sizeof why))
    return;
  sq_clear_error();
  sq_kernel_default_params(c->kernel, c->params);
  snprintf(c->config_source, sizeof c->config_source, "default");
}

/* Applies dtype, tuned parameters and --param overrides to every case. */
int run_configure_cases(run_cli *a, sq_device *dev, sq_case_list *l) {
  int used[MAX_CLI_PARAMS] = {0};
  for (int i = 0; i < l->n; i++) {
    sq_case *c = &l->v[i].c;
    a->vendor_blas |= c->kernel->vendor_blas;
    c->prob.dtype = a->dtype;
    if (a->suite) apply_feature_flags(a, &c->prob, 0);
    snprintf(c->config_source, sizeof c->config_source, "default");
    if (a->tuned) {
      int rc = sq_tunedb_lookup(&dev->info, c->kernel, &c->prob, c->params, c->config_source,
                                sizeof c->config_source);
      if (rc && i == 0) fprintf(stderr, "subquad run: warning: tuning database: %s\n", sq_last_error());
      drop_unfit_tuning(dev, c);
    }
    int forced = 0;
    for (int j = 0; j < a->nparams; j++) {
      const char *p = sq_param_spec_for(a->params[j], c->kernel);
      if (!p) continue;   /* KERNEL:NAME=V for another kernel */
      const char *eq = strchr(p, '=');
      char name[64];
      snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - p) : 0, p);
      /* In a suite, a --param applies to the kernels that have it. */
      if (a->suite && eq && sq_kernel_param_index(c->kernel, name) < 0) continue;
      int rc = sq_params_parse(c->kernel, p, c->params);
      if (rc) return rc;
      forced = used[j] = 1;
    }
    if (forced) snprintf(c->config_source, sizeof c->config_source, "cli");
    /* A configuration the user chose must be valid; a suite shape beyond
     * what a kernel supports becomes a skipped row instead. */
    char why[256];
    if ((forced || !a->suite) && c->kernel->check(&c->prob, c->params, c->kernel->nparams, why, sizeof why))
      return sq_fail(SQ_EINVAL, "%s%s: %s", forced ? "--param: " : "", c->kernel->name, why);
  }
  for (int j = 0; j < a->nparams; j++)
    if (!used[j]) return sq_fail(SQ_EINVAL, "--param: no kernel of the selected cases has '%s'", a->params[j]);
  return 0;
}

static void add_device_meta(sq_meta *m, sq_device *dev, const run_cli *a) {
  char buf[512];
  sq_meta_set(m, "device", dev->id);
  sq_meta_set(m, "device_name", dev->info.name);
  sq_meta_set(m, "device_vendor", dev->info.vendor);
  sq_meta_set(m, "driver", dev->info.driver);
  sq_meta_set(m, "arch", dev->info.arch);
  sq_meta_set(m, "platform", dev->info.platform);
  /* The OpenCL backend pins PoCL's threads unless the user chose. */
  const char *affinity = getenv("POCL_AFFINITY");
  if (!strcmp(dev->info.backend, "opencl") && affinity) sq_meta_set(m, "pocl_affinity", affinity);
  const char *blas = a->vendor_blas ? sq_device_vendor_blas(dev) : NULL;
  if (blas) sq_meta_set(m, "vendor_blas", blas);
  snprintf(buf, sizeof buf, "%d", dev->info.compute_units);
  sq_meta_set(m, "compute_units", buf);
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)dev->info.global_mem);
  sq_meta_set(m, "global_mem_bytes", buf);
  if (dev->peaks.gbs > 0) {
    snprintf(buf, sizeof buf, "%.6g", dev->peaks.gbs);
    sq_meta_set(m, "peak_gbs", buf);
    snprintf(buf, sizeof buf, "%.6g", dev->peaks.gflops);
    sq_meta_set(m, "peak_gflops", buf);
    snprintf(buf, sizeof buf, "%.6g", dev->peaks.gexps);
    sq_meta_set(m, "peak_gexps", buf);
    if (dev->peaks.gemm_gflops > 0) {
      snprintf(buf, sizeof buf, "%.6g", dev->peaks.gemm_gflops);
      sq_meta_set(m, "peak_gemm_gflops", buf);
    }
  }
  const sq_measure_opts *mo = &a->opts.measure;
  snprintf(buf, sizeof buf,
           "mode=%s warmup=%d min_samples=%d max_samples=%d min_time_s=%g max_noise=%g timeout_s=%g rounds=%d",
           sq_mode_name(mo->mode), mo->warmup, mo->min_samples, mo->max_samples, mo->min_time_s, mo->max_noise,
           mo->timeout_s, a->rounds);
  sq_meta_set(m, "measure", buf);
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)a->opts.seed);
  sq_meta_set(m, "seed", buf);
  if (a->suite) sq_meta_set(m, "suite", a->suite);
  /* Which tuning databases the configurations came from (a tuned row's
   * config_source says at which level). */
  if (a->tuned) {
    char *user = sq_tunedb_user_path(), *shipped = sq_tunedb_shipped_path();
    snprintf(buf, sizeof buf, "user %s; shipped %s", user && *user ? user : "(none)",
             shipped ? shipped : "(built in)");
    sq_meta_set(m, "tunedb", buf);
    free(user);
    free(shipped);
  }
}

/* Predicted seconds of case j in a round: the first round builds, verifies
 * and takes its share of the samples, a later round only its share; a case
 * skipped as infeasible takes none (its prediction is why it is skipped). */
static double predicted_s(const sq_prediction *pr, int rounds, int round) {
  double s = pr->ms > 0 && pr->feasible ? pr->ms * 1e-3 : 0;
  return round ? s / rounds : s;
}

/* Progress on stderr: case n/N, its outcome, and an ETA from the planner's
 * predictions of the remaining work (`done` of `total` predicted seconds),
 * scaled by how the finished work compared with its prediction (cases grow
 * with T, so a plain average misleads). */
void run_progress(const run_cli *a, int round, int i, int n, double t0, const sq_result *r, double done,
                     double total) {
  if (a->quiet) return;
  /* The ratio of actual to predicted time, shrunk towards 1 by a prior of
   * 10 predicted seconds, so the first short cases do not swing it. */
  double el = sq_now_s() - t0, eta = (total - done) * (el + 10) / (done + 10);
  if (eta < 0.5) eta = 0;   /* the rounding of a sum of predictions, not a time */
  char what[96], when[32];
  if (r->status == SQ_STATUS_OK && r->nsamples)
    snprintf(what, sizeof what, "ok %.4g ms (%d samples, err %.1e)", r->stats.median, r->nsamples, r->max_rel_err);
  else if (r->status == SQ_STATUS_OK)
    snprintf(what, sizeof what, "ok, verified (err %.1e, %s)", r->max_rel_err, r->verify);
  else
    snprintf(what, sizeof what, "%s", sq_status_name(r->status));
  char where[80], rank[32] = "";
  if (a->fleet_size > 1) snprintf(rank, sizeof rank, " rank %d", r->rank);
  if (a->rounds > 1) snprintf(where, sizeof where, "[%d/%d round %d/%d%s]", i + 1, n, round + 1, a->rounds, rank);
  else snprintf(where, sizeof where, "[%d/%d%s]", i + 1, n, rank);
  sq_format_duration(eta, when, sizeof when);
  fprintf(stderr, "%s %s %s T=%lld: %s%s%s  (ETA %s)\n", where, r->kernel, r->causal ? "causal" : "noncausal",
          (long long)r->tokens, what, r->status == SQ_STATUS_OK ? "" : ": ", r->status == SQ_STATUS_OK ? "" : r->reason, when);
}

void run_print_table(const sq_result *rows, int n) {
  printf("%-28s %-9s %-44s %-7s %11s %9s %9s %8s %9s  %s\n", "kernel", "mode", "shape", "status", "median_ms",
         "GFLOP/s", "GB/s", "roof", "max_err", "verified");
  for (int i = 0; i < n; i++) {
    const sq_result *r = &rows[i];
    printf("%-28s %-9s %-44s %-7s", r->kernel, r->causal ? "causal" : "noncausal", r->shape,
           sq_status_name(r->status));
    if (r->status == SQ_STATUS_OK && r->nsamples)
      printf(" %11.4g %9.3g %9.3g %8.2g %9.2g  %s\n", r->stats.median, r->gflops, r->gbs, r->peak_frac, r->max_rel_err,
             r->verify);
    else if (r->status == SQ_STATUS_OK)
      printf(" %11s %9s %9s %8s %9.2g  %s\n", "-", "-", "-", "-", r->max_rel_err, r->verify);
    else
      printf("  %s\n", r->reason);
  }
}

/* Runs one case as planned: an infeasible case becomes a skipped row with
 * its prediction, a case too large as a whole runs slice by slice (all its
 * samples at once: such a case is measured in seconds, not milliseconds).
 * `first` holds the first round's share of the measuring budget. */
void run_one(sq_device *dev, const run_cli *a, const sq_run_opts *first, const sq_suite_case *sc,
                    const sq_prediction *pr, sq_result *r) {
  if (pr->ms >= 0 && !pr->feasible) {
    sq_result_init(r);
    sq_case_describe(dev, &sc->c, r);
    snprintf(r->mode, sizeof r->mode, "%s", sq_mode_name(a->opts.measure.mode));
    r->status = SQ_STATUS_SKIPPED;
    snprintf(r->reason, sizeof r->reason, "%s", pr->why);
  } else if (pr->ms >= 0 && pr->sliced) {
    sq_case_run_sliced(dev, &sc->c, &a->opts, r);
  } else {
    sq_case_run(dev, &sc->c, first, r, NULL);
  }
  if (pr->ms >= 0) {
    r->pred_ms = pr->ms;
    r->pred_mem_bytes = pr->bytes;
  }
  snprintf(r->suite, sizeof r->suite, "%s", a->suite ? a->suite : "");
  snprintf(r->workload, sizeof r->workload, "%s", sc->workload);
}

/* Plans every case up front (cheap): the run loop and the ETA use it. A
 * case the planner cannot judge gets ms = -1 and runs unplanned. */
sq_prediction *run_plan_all(sq_device *dev, const run_cli *a, const sq_case_list *l) {
  sq_prediction *pr = calloc((size_t)l->n, sizeof *pr);
  for (int i = 0; pr && i < l->n; i++)
    if (sq_predict_opts(dev, &l->v[i].c, &a->opts, a->max_case_s, &pr[i])) pr[i] = (sq_prediction){.ms = -1};
  return pr;
}

int run_select_cases(run_cli *a, sq_case_list *l) {
  if (!a->suite) return single_case(a, l);
  sq_suite_case *v;
  int n, rc = sq_suite_expand(a->suite, &v, &n);
  if (rc) return rc;
  for (int i = 0; i < n; i++) {
    if (a->only && !strstr(v[i].c.kernel->name, a->only)) continue;
    if (l->n == l->cap) {
      sq_suite_case *w = realloc(l->v, sizeof *w * (size_t)(l->cap = l->cap ? 2 * l->cap : 64));
      if (!w) { free(v); return sq_fail(SQ_ENOMEM, "no memory for the case list"); }
      l->v = w;
    }
    l->v[l->n++] = v[i];
  }
  free(v);
  if (!l->n) return sq_fail(SQ_EINVAL, "--only: no case of suite %s matches '%s'", a->suite, a->only);
  return 0;
}

/* A long run saves what it has every CHECKPOINT_S seconds and after each
 * round: -o FILE then holds the rows so far, marked partial in its
 * `progress` line, so a run that is killed (out of memory, a lost
 * machine, Ctrl-C) keeps its work. The final write replaces it. */
#define CHECKPOINT_S 60.0


/* The rows to write and print: each case's own row, then its peers'
 * (--peer). A shallow copy: the rows stay owned where they are. */
sq_result *run_all_rows(const run_cli *a, const sq_result *rows, int nrows, int *n) {
  sq_result *v = malloc(sizeof *v * (size_t)(nrows * (1 + a->npeers) + 1));
  int m = 0;
  for (int i = 0; v && i < nrows; i++) {
    sq_result *pr[SQ_MAX_PEERS];
    v[m++] = rows[i];
    for (int j = 0, k = sq_peers_rows(a->peers, i, pr); j < k; j++) v[m++] = *pr[j];
  }
  *n = m;
  return v;
}

void run_save_partial(const run_cli *a, sq_device *dev, const sq_result *rows, int nrows, int ncases,
                         int round) {
  char progress[160];
  snprintf(progress, sizeof progress, "partial: %d of %d cases, round %d of %d (the run had not finished)", nrows,
           ncases, round + 1, a->rounds);
  int n;
  sq_result *v = run_all_rows(a, rows, nrows, &n);
  sq_results_writer *w = NULL;
  int rc = v ? run_open_output(a, dev, progress, &w) : sq_fail(SQ_ENOMEM, "out of memory");
  if (!rc && a->json) {
    sq_meta meta = {0};
    run_meta(a, dev, progress, &meta);
    rc = sq_results_save_json(a->out, &meta, v, n);
  } else {
    for (int i = 0; !rc && i < n; i++) rc = sq_results_write(w, &v[i]);
  }
  if (w && !rc) rc = sq_results_close(w);
  else if (w) sq_results_abort(w);
  free(v);
  if (rc) fprintf(stderr, "subquad run: warning: partial results not saved: %s\n", sq_last_error());
}

/* Samples a peer takes in a round: as many as the case's own first round
 * took, so both weigh the same (the round's share of --min-samples when
 * the case has none). */
static int peer_count(const sq_result *own, const sq_run_opts *share) {
  int first = 0;
  while (first < own->nsamples && sq_result_round(own, first) == 0) first++;
  return first ? first : share->measure.min_samples;
}

/* The peers' rows of case i in this round, with their progress lines. A
 * case the planner ruled out is not handed to the peers either. */
static int peers_step(const run_cli *a, const sq_run_opts *share, const sq_case_list *l, const sq_prediction *pr,
                      const sq_result *own, int round, int i, double t0, double done, double total) {
  if (!a->peers) return 0;
  char skip[320];
  const char *why = NULL;
  if (pr[i].ms >= 0 && !pr[i].feasible) snprintf(skip, sizeof skip, "not run: the planner skipped the case (%s)", pr[i].why), why = skip;
  else if (pr[i].ms >= 0 && pr[i].sliced) snprintf(skip, sizeof skip, "not run: the case only runs slice by slice"), why = skip;
  sq_result *r[SQ_MAX_PEERS];
  sq_status before[SQ_MAX_PEERS];
  int k = sq_peers_rows(a->peers, i, r);
  for (int j = 0; j < k; j++) before[j] = r[j]->status;
  int rc = sq_peers_case(a->peers, i, &l->v[i].c, round, a->rounds, peer_count(own, share), why);
  k = sq_peers_rows(a->peers, i, r);
  for (int j = 0; j < k; j++) {
    snprintf(r[j]->suite, sizeof r[j]->suite, "%s", own->suite);
    snprintf(r[j]->workload, sizeof r[j]->workload, "%s", own->workload);
    snprintf(r[j]->host, sizeof r[j]->host, "%s", own->host);
    if (!round || before[j] == SQ_STATUS_OK) run_progress(a, round, i, l->n, t0, r[j], done, total);
  }
  return rc;
}

/* Runs every case, then (--rounds) passes over the timed ones again, each
 * pass adding its share of the samples, saving partial results as it
 * goes. Returns 0, or an error when the host ran out of memory. */
static int measure_rounds(sq_device *dev, const run_cli *a, const sq_fleet *fleet, const sq_case_list *l,
                          const sq_prediction *pr, sq_result *rows, int *nrows) {
  sq_run_opts share = a->opts;
  sq_measure_round(&a->opts.measure, a->rounds, &share.measure);
  double t0 = sq_now_s(), done = 0, total = 0, saved = t0;
  for (int round = 0; round < a->rounds; round++)
    for (int i = 0; i < l->n; i++) total += predicted_s(&pr[i], a->rounds, round);
  for (int round = 0; round < a->rounds; round++)
    for (int i = 0; i < l->n; i++) {
      done += predicted_s(&pr[i], a->rounds, round);
      /* With --peer, the two alternate who goes first round by round (the
       * first round is the case's own: it sets the peers' sample count). */
      int rc, peers_first = round % 2;
      if (peers_first && (rc = peers_step(a, &share, l, pr, &rows[i], round, i, t0, done, total))) return rc;
      if (!round) {
        run_one(dev, a, &share, &l->v[i], &pr[i], &rows[i]);
        rows[i].id = i + 1;
        snprintf(rows[i].host, sizeof rows[i].host, "%s", fleet->host);
        *nrows = i + 1;
        run_progress(a, round, i, l->n, t0, &rows[i], done, total);
      } else if (!pr[i].sliced && rows[i].status == SQ_STATUS_OK && rows[i].nsamples) {
        if ((rc = sq_case_sample_more(dev, &l->v[i].c, &share, &rows[i]))) return rc;
        run_progress(a, round, i, l->n, t0, &rows[i], done, total);
      }
      if (!peers_first && (rc = peers_step(a, &share, l, pr, &rows[i], round, i, t0, done, total))) return rc;
      int last = round + 1 == a->rounds && i + 1 == l->n;
      if (a->out && !last && (sq_now_s() - saved >= CHECKPOINT_S || (i + 1 == l->n && l->n > 1))) {
        run_save_partial(a, dev, rows, *nrows, l->n, round);
        saved = sq_now_s();
      }
    }
  return 0;
}

/* An interrupted run removes its temporary result files (the final names
 * hold at most the last partial save), using only async-signal-safe
 * calls. */
static const char *volatile temp_paths[2];

static void on_signal(int sig) {
  for (int i = 0; i < 2; i++)
    if (temp_paths[i]) unlink(temp_paths[i]);
  _exit(128 + sig);
}

static void watch_temporaries(sq_results_writer *w) {
  temp_paths[0] = w ? sq_results_temp_path(w, 0) : NULL;
  temp_paths[1] = w ? sq_results_temp_path(w, 1) : NULL;
  if (w) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
  }
}

/* The outputs, checked before the device is opened: a bad -o (a
 * directory, a missing or read-only folder, a name over the system's
 * limits) or --dump folder fails at once, not after the work. */
int run_check_outputs(const run_cli *a) {
  if (a->out && sq_check_output_file(a->out)) return sq_fail(SQ_EIO, "-o %s", sq_last_error());
  if (a->opts.dump_dir && sq_check_output_dir(a->opts.dump_dir))
    return sq_fail(SQ_EIO, "--dump %s", sq_last_error());
  return 0;
}

/* A case typed by hand runs whatever its prediction (no limit applies
 * unless the user set one): say first what it is expected to take. */
static void announce_single(const run_cli *a, const sq_case *c, const sq_prediction *pr) {
  if (a->suite || a->quiet || pr->ms < 0 || !pr->feasible) return;
  const sq_problem *p = &c->prob;
  char shape[SQ_SHAPE_TEXT_MAX];
  sq_shape_format(&p->shape, shape, sizeof shape);
  fprintf(stderr, "%s %s %s: %s%s\n", c->kernel->name, p->causal ? "causal" : "noncausal", shape, pr->why,
          a->max_case_s <= 0 && pr->total_s >= 60
            ? "; running it: a case given by --kernel has no time limit (--max-case-seconds S sets one)"
            : "");
}

/* Opens the output with the run's metadata (and, for a partial save, its
 * `progress` line); the final one is opened early, so a bad path fails
 * before any work is done. */
void run_meta(const run_cli *a, sq_device *dev, const char *progress, sq_meta *meta) {
  sq_meta_standard(meta, sq_argc, sq_argv);
  add_device_meta(meta, dev, a);
  sq_peers_meta(a->peers, meta);
  if (a->fleet_info[0]) sq_meta_set(meta, "fleet", a->fleet_info);
  if (progress) sq_meta_set(meta, "progress", progress);
}

/* A JSON output is written whole at the end (sq_results_save_json): no
 * writer is opened for it. */
int run_open_output(const run_cli *a, sq_device *dev, const char *progress, sq_results_writer **w) {
  if (!a->out || a->json) return 0;
  sq_meta meta = {0};
  run_meta(a, dev, progress, &meta);
  return sq_results_open(a->out, &meta, w);
}

int run_finish(const run_cli *a, sq_device *dev, sq_results_writer *w, const sq_result *rows, int nrows) {
  int nall = 0, failed = 0, status;
  sq_result *all = run_all_rows(a, rows, nrows, &nall);
  if (!all) {
    sq_results_abort(w);
    fprintf(stderr, "subquad run: out of memory\n");
    return 1;
  }
  for (int i = 0; i < nall; i++) {
    failed += all[i].status == SQ_STATUS_FAILED;
    if (w && sq_results_write(w, &all[i])) {
      fprintf(stderr, "subquad run: %s\n", sq_last_error());
      sq_results_abort(w);
      free(all);
      return 1;
    }
  }
  status = failed ? 1 : 0;
  if (a->json) {
    sq_meta meta = {0};
    run_meta(a, dev, NULL, &meta);
    if (sq_results_save_json(a->out ? a->out : "-", &meta, all, nall)) {
      fprintf(stderr, "subquad run: %s\n", sq_last_error());
      status = 1;
    } else if (a->out) {
      fprintf(stderr, "wrote %s (%d rows, JSON with the samples)\n", a->out, nall);
    }
  }
  if (!a->json || a->out) {
    run_print_table(all, nall);
    printf("\n");
    sq_print_speedup_table(stdout, all, nall);
  }
  if (w && sq_results_close(w)) {
    fprintf(stderr, "subquad run: %s\n", sq_last_error());
    status = 1;
  } else if (w) {
    fprintf(stderr, "wrote %s (%d rows) and its .samples.csv\n", a->out, nall);
  }
  free(all);
  return status;
}

/* The run on this process's one device (a fleet of one). */
static int run_single(run_cli *a, const sq_fleet *fleet, sq_case_list *cases) {
  sq_device *dev = NULL;
  sq_results_writer *w = NULL;
  sq_result *rows = NULL;
  sq_prediction *plans = NULL;
  int status = 2, nrows = 0;
  if (sq_device_open(a->device, &dev)) goto bad;
  if (fleet->mpi) {
    /* One rank of a launcher, which may have bound it to one core. */
    char how[96];
    sq_fleet_bind(dev, how, sizeof how);
    snprintf(a->fleet_info, sizeof a->fleet_info, "1 rank; 0 %s %s (%s, bind %s)", fleet->host, dev->id,
             dev->info.name, how);
  }
  if (run_configure_cases(a, dev, cases)) goto bad;
  if (a->peaks && dev->backend != &sq_backend_cpu && !a->opts.verify_only) {
    if (!a->quiet) fprintf(stderr, "measuring %s peaks...\n", dev->id);
    if (sq_device_measure_peaks(dev))
      fprintf(stderr, "subquad run: warning: peaks not measured: %s\n", sq_last_error());
  }
  sq_run_opts peer_share = a->opts; /* a peer's round has a round's share of the timeout */
  sq_measure_round(&a->opts.measure, a->rounds, &peer_share.measure);
  if (sq_peers_start(a->peer_names, a->npeers, dev, &peer_share, cases->n, &a->peers)) goto bad;
  if (run_open_output(a, dev, NULL, &w)) goto bad;
  watch_temporaries(w);
  rows = calloc((size_t)cases->n, sizeof *rows);
  plans = run_plan_all(dev, a, cases);
  if (!rows || !plans) goto bad;
  announce_single(a, &cases->v[0].c, &plans[0]);
  if (measure_rounds(dev, a, fleet, cases, plans, rows, &nrows)) goto bad;
  watch_temporaries(NULL);
  status = run_finish(a, dev, w, rows, nrows);
  w = NULL;
  goto done;
bad:
  if (!sq_last_error()[0]) sq_fail(SQ_ENOMEM, "out of memory");
  sq_usage_error("run", "%s", sq_last_error());
done:
  watch_temporaries(NULL);
  if (w) sq_results_abort(w);
  for (int i = 0; i < nrows; i++) sq_result_free(&rows[i]);
  free(rows);
  sq_peers_stop(a->peers);
  free(plans);
  if (dev) {
    sq_run_release_programs(dev);
    sq_device_close(dev);
  }
  return status;
}

int sq_cmd_run(int argc, char **argv) {
  run_cli a = {.causal = -1, .peaks = 1, .tuned = 1, .max_case_s = -1, .fleet_size = 1, .rank_timeout = 300};
  sq_run_defaults(&a.opts);
  sq_case_list cases = {0};
  sq_fleet fleet;
  int status = 2;
  if (parse_args(argc, argv, &a) || run_select_cases(&a, &cases) || run_check_outputs(&a)) goto bad;
  /* Each suite has its own default case limit (scaling allows the long
   * 8M-token linear cases); a single case has none unless given. */
  a.max_case_s = sq_case_time_limit(a.suite, a.max_case_s);
  /* A suite is what a regression gate runs: rounds make each case's
   * samples span the run instead of one moment of it. */
  if (!a.rounds) a.rounds = a.suite ? sq_suite_rounds(a.suite) : 1;
  if (sq_fleet_start(&fleet)) goto bad;
  if (fleet.size > 1) status = run_fleet(&a, &fleet, &cases);
  else status = run_single(&a, &fleet, &cases);
  sq_fleet_stop(&fleet);
  free(cases.v);
  return status;
bad:
  if (!sq_last_error()[0]) sq_fail(SQ_ENOMEM, "out of memory");
  sq_usage_error("run", "%s", sq_last_error());
  free(cases.v);
  return status;
}
