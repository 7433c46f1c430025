/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad tune`: option parsing, dispatch to the device tuner and the
 * replay driver (tuner/drivers.h), the database listing (--show), and what
 * the drivers' ends become: an error line, an exit status, or the same
 * command in a fresh process. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "commands/commands.h"
#include "harness/fleet.h"
#include "tuner/db.h"
#include "tuner/drivers.h"
#include "tuner/strategy.h"

static void usage(FILE *f) {
  fprintf(f,
    "usage: subquad tune --kernel K --shape B=..,H=..,T=..,D=.. [options]\n"
    "       subquad tune --replay SPACE [--strategy S] [--budget N] [--seed K] [-o FILE.csv | --seeds N]\n"
    "       subquad tune --show\n\n"
    "Searches a kernel's tunable parameters on a device, records every evaluation in a\n"
    "crash-safe cache and stores the best configuration in the tuning database\n"
    "(used by `subquad run` and the suites).\n\n"
    "  --kernel K        kernel to tune (subquad workloads lists them)\n"
    "  --shape S         problem shape, e.g. B=1,H=2,T=16384,D=64\n"
    "  --dtype T         f32 (default), f16, bf16\n"
    "  --causal | --noncausal  form to tune (default: the kernel's causal form when it has one)\n"
    "  --device D        device (default: the default device rule of subquad run)\n"
    "  --strategy S      exhaustive, random, anneal, genetic, ils (default: exhaustive when the\n"
    "                    whole space fits the budget, else anneal); replay takes a comma list\n"
    "  --budget N        unique evaluations (default: the whole space)\n"
    "  --time DUR        wall-time budget, compile time included (90s, 10m, 2h)\n"
    "  --seed K          seed of the strategy (default 1)\n"
    "  --cache FILE      evaluation cache (default: $XDG_CACHE_HOME/subquad/tune/<device>-<kernel>-<shape>-<dtype>.csv)\n"
    "  --resume          continue a killed run from its cache; the configuration that was\n"
    "                    running is recorded as crashed and skipped\n"
    "  --space           print the space size, what the constraints removed, the build time\n"
    "  --jobs N          compile-ahead threads (default: 2 on GPUs, 0 on CPU devices, whose\n"
    "                    timings a concurrent compile would disturb)\n"
    "  --no-save         do not write the best configuration to the tuning database\n"
    "  --show            list the tuning database (the user's, then the shipped one)\n"
    "  --db FILE         the user tuning database to write and show (default: $SUBQUAD_TUNEDB,\n"
    "                    else $XDG_DATA_HOME/subquad/tunedb.csv); `subquad run` reads the default\n"
    "  --replay FILE     replay against a recorded space (repeatable); no device needed: a CSV\n"
    "                    (a column per parameter, time_ms), a Kernel Tuner cache or a T4 file\n"
    "  --t4 FILE         also write every evaluation as Kernel Tuner's T4 results (JSON)\n"
    "  --seeds N         replay: N runs over seeds K..K+N-1; prints runs within 10 %% / 5 %% of\n"
    "                    the space's best and the median evaluations they needed\n"
    "  -o FILE           replay: eval,time_ms,best_ms per evaluation\n"
    "  -q, --quiet       no progress lines\n");
}

enum { O_KERNEL = 256, O_SHAPE, O_DTYPE, O_CAUSAL, O_NONCAUSAL, O_DEVICE, O_STRATEGY, O_BUDGET,
       O_TIME, O_SEED, O_CACHE, O_RESUME, O_SPACE, O_JOBS, O_NOSAVE, O_SHOW, O_REPLAY, O_SEEDS, O_DB, O_T4, O_HELP };

static const struct option longopts[] = {
  {"kernel", required_argument, 0, O_KERNEL}, {"shape", required_argument, 0, O_SHAPE},
  {"dtype", required_argument, 0, O_DTYPE}, {"causal", no_argument, 0, O_CAUSAL},
  {"noncausal", no_argument, 0, O_NONCAUSAL}, {"device", required_argument, 0, O_DEVICE},
  {"strategy", required_argument, 0, O_STRATEGY}, {"budget", required_argument, 0, O_BUDGET},
  {"time", required_argument, 0, O_TIME}, {"seed", required_argument, 0, O_SEED},
  {"cache", required_argument, 0, O_CACHE}, {"resume", no_argument, 0, O_RESUME},
  {"space", no_argument, 0, O_SPACE}, {"jobs", required_argument, 0, O_JOBS},
  {"no-save", no_argument, 0, O_NOSAVE}, {"show", no_argument, 0, O_SHOW},
  {"replay", required_argument, 0, O_REPLAY}, {"db", required_argument, 0, O_DB}, {"seeds", required_argument, 0, O_SEEDS},
  {"t4", required_argument, 0, O_T4},
  {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, O_HELP}, {0, 0, 0, 0}};

/* The command's options: the drivers' and its own. */
typedef struct tune_cli {
  sq_tune_opts o;
  int show;
  int argc;                /* the command's own arguments ("tune", ...), to */
  char **argv;             /* continue a long tune in a fresh process */
} tune_cli;

static int strategies(sq_tune_opts *a, char *list) {
  char *save = NULL;
  for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (!sq_strategy_find(t))
      return sq_fail(SQ_EINVAL, "--strategy: unknown strategy '%s' (exhaustive, random, anneal, genetic, ils)", t);
    if (a->nstrategy == SQ_TUNE_MAX_STRATEGIES) return sq_fail(SQ_EINVAL, "--strategy: too many strategies");
    a->strategy[a->nstrategy++] = t;
  }
  if (!a->nstrategy) return sq_fail(SQ_EINVAL, "--strategy: empty list");
  return 0;
}

static int parse(int argc, char **argv, tune_cli *cli, int *help) {
  sq_tune_opts *a = &cli->o;
  long long v;
  int c, rc = 0;
  optind = 1;
  opterr = 0;
  while (!rc && (c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
    switch (c) {
    case O_KERNEL: a->kernel = optarg; break;
    case O_SHAPE: a->shape = optarg; break;
    case O_DTYPE:
      if (sq_dtype_parse(optarg, &a->dtype)) rc = sq_fail(SQ_EINVAL, "--dtype: '%s' is not f32, f16 or bf16", optarg);
      break;
    case O_CAUSAL: a->causal = 1; break;
    case O_NONCAUSAL: a->causal = 0; break;
    case O_DEVICE: a->device = optarg; break;
    case O_STRATEGY: rc = strategies(a, optarg); break;
    case O_BUDGET: if (!(rc = sq_parse_i64(optarg, "--budget", 1, 1000000000, &v))) a->budget = v; break;
    case O_TIME:
      if (!(rc = sq_parse_duration(optarg, "--time", &a->time_s)) && a->time_s <= 0)
        rc = sq_fail(SQ_EINVAL, "--time: must be more than 0");
      break;
    case O_SEED: if (!(rc = sq_parse_i64(optarg, "--seed", 0, 9223372036854775807LL, &v))) a->seed = (uint64_t)v; break;
    case O_CACHE: a->cache = optarg; break;
    case O_RESUME: a->resume = 1; break;
    case O_SPACE: a->space_only = 1; break;
    case O_JOBS: if (!(rc = sq_parse_i64(optarg, "--jobs", 0, 64, &v))) a->jobs = (int)v; break;
    case O_NOSAVE: a->save = 0; break;
    case O_SHOW: cli->show = 1; break;
    case O_REPLAY:
      if (a->nreplay == SQ_TUNE_MAX_REPLAY) rc = sq_fail(SQ_EINVAL, "--replay: at most %d files", SQ_TUNE_MAX_REPLAY);
      else a->replay[a->nreplay++] = optarg;
      break;
    case O_DB: a->db = optarg; break;
    case O_T4: a->t4 = optarg; break;
    case O_SEEDS: if (!(rc = sq_parse_i64(optarg, "--seeds", 1, 100000, &v))) a->seeds = (int)v; break;
    case 'o': a->out = optarg; break;
    case 'q': a->quiet = 1; break;
    case 'h': case O_HELP: *help = 1; return 0;
    case ':': rc = sq_fail(SQ_EINVAL, "%s needs a value", argv[optind - 1]); break;
    default: rc = sq_fail(SQ_EINVAL, "unknown option '%s' (see subquad tune --help)", argv[optind - 1]);
    }
  }
  if (rc) return rc;
  if (optind < argc) {
    if (a->kernel || optind + 1 < argc) return sq_fail(SQ_EINVAL, "unexpected argument '%s'", argv[optind]);
    a->kernel = argv[optind];   /* `subquad tune KERNEL --shape ...` */
  }
  return 0;
}

/* Combinations that make no sense are refused before any work. */
static int validate(const tune_cli *cli) {
  const sq_tune_opts *a = &cli->o;
  if (cli->show) return a->kernel || a->nreplay ? sq_fail(SQ_EINVAL, "--show takes no kernel or --replay") : 0;
  if (a->nreplay) {
    if (a->kernel || a->shape || a->device) return sq_fail(SQ_EINVAL, "--replay does not go with --kernel, --shape or --device");
    if (a->seeds && (a->out || a->cache || a->t4))
      return sq_fail(SQ_EINVAL, "--seeds does not go with -o, --cache or --t4 (one run each)");
    if (!a->seeds && (a->nreplay > 1 || a->nstrategy > 1))
      return sq_fail(SQ_EINVAL, "several --replay files or strategies need --seeds");
    if (a->resume && !a->cache) return sq_fail(SQ_EINVAL, "--resume needs --cache in replay mode");
    return 0;
  }
  if (!a->kernel) return sq_fail(SQ_EINVAL, "--kernel is missing (or use --replay / --show)");
  if (!a->shape) return sq_fail(SQ_EINVAL, "--kernel %s needs --shape", a->kernel);
  if (a->seeds || a->out) return sq_fail(SQ_EINVAL, "--seeds and -o are for --replay");
  if (a->nstrategy > 1) return sq_fail(SQ_EINVAL, "--strategy: one strategy when tuning a device");
  return 0;
}

/* Prints the error of a failed step as one line, "subquad tune: " then
 * `prefix` (may be NULL) then the step's detail, or the code's message when
 * the step left no detail, so no path prints an empty error; control
 * characters are shown as '?'. Returns status. */
static int tune_error(int status, int rc, const char *prefix) {
  const char *d = sq_last_error();
  if (!d || !*d) d = rc < 0 ? sq_strerror(rc) : "failed";
  if (sq_fleet_env_rank() > 0) return status;   /* rank 0 says it for the fleet */
  fprintf(stderr, "subquad tune: %s", prefix ? prefix : "");
  for (; *d; d++) fputc((unsigned char)*d < 0x20 || *d == 0x7f ? '?' : *d, stderr);
  fputc('\n', stderr);
  return status;
}

/* Continues this tune in a fresh process, the same command with --resume
 * (the state it needs passed by sq_tuner_continue_set): whatever a driver
 * kept in memory goes with the old process. Returns only on failure. */
static int continue_fresh(const tune_cli *a) {
  char **v = calloc((size_t)a->argc + 3, sizeof *v);
  if (!v) return sq_fail(SQ_ENOMEM, "out of memory");
  int n = 0;
  v[n++] = sq_argv && sq_argc ? sq_argv[0] : "subquad";
  v[n++] = a->argv[0];
  if (!a->o.resume) v[n++] = "--resume";
  for (int i = 1; i < a->argc; i++) v[n++] = a->argv[i];
  fflush(stdout);
  fflush(stderr);
  execv("/proc/self/exe", v);
  execvp(v[0], v);   /* no /proc: the program as it was started */
  int e = errno;
  free(v);
  return sq_fail(SQ_EIO, "cannot continue the tune in a fresh process (%s); continue it with --resume",
                 strerror(e));
}

/* A driver's end as the command's exit status: 2 refused, 1 failed or
 * nothing found, 0 done. */
static int finish(const tune_cli *a, sq_tune_end end) {
  switch (end) {
  case SQ_TUNE_DONE: return 0;
  case SQ_TUNE_NOTHING: return 1;
  case SQ_TUNE_REFUSED: return tune_error(2, 0, NULL);
  case SQ_TUNE_FAILED: return tune_error(1, 0, NULL);
  case SQ_TUNE_CONTINUE: return tune_error(1, continue_fresh(a), NULL);
  }
  return 1;
}

static void show_db(const char *title, const sq_tunedb *db) {
  printf("%s: %d entr%s\n", title, db->n, db->n == 1 ? "y" : "ies");
  if (!db->n) return;
  printf("  %-7s %-28.28s %-14s %-28s %-5s %-6s %-40s %-36s %10s %10s %7s\n", "backend", "device", "arch",
         "kernel", "dtype", "causal", "key", "params", "tuned_ms", "default_ms", "speedup");
  for (int i = 0; i < db->n; i++) {
    const sq_tunedb_entry *e = &db->v[i];
    printf("  %-7s %-28.28s %-14.14s %-28s %-5s %-6d %-40s %-36s %10.4g %10.4g %6.2fx\n", e->backend,
           e->device, e->arch, e->kernel, e->dtype, e->causal, e->key, e->params, e->time_ms, e->default_ms,
           e->default_ms / e->time_ms);
  }
}

/* --show: the user's database (--db), then the shipped one. */
static int show(const sq_tune_opts *a) {
  char *path = sq_tunedb_path(a->db);
  if (!path) return tune_error(1, SQ_ENOMEM, NULL);
  sq_tunedb db;
  int status = 0;
  if (path[0]) {
    int rc = sq_tunedb_read(path, &db);
    if (rc) {
      status = tune_error(2, rc, NULL);
    } else {
      printf("user database ");
      show_db(path, &db);
      sq_tunedb_free(&db);
    }
  }
  free(path);
  char where[4096], title[4200];
  int rc = sq_tunedb_shipped(&db, where, sizeof where);
  if (rc) return tune_error(1, rc, NULL);
  snprintf(title, sizeof title, "shipped database (%s)", where);
  show_db(title, &db);
  sq_tunedb_free(&db);
  return status;
}

int sq_cmd_tune(int argc, char **argv) {
  tune_cli a = {.o = {.causal = -1, .seed = 1, .save = 1, .jobs = -1, .dtype = SQ_F32}, .argc = argc, .argv = argv};
  int help = 0;
  sq_clear_error();
  int rc = parse(argc, argv, &a, &help);
  if (rc) return tune_error(2, rc, NULL);
  if (help) {
    usage(stdout);
    return 0;
  }
  if ((rc = validate(&a))) return tune_error(2, rc, NULL);
  if (a.show) return show(&a.o);
  sq_fleet fleet;
  if ((rc = sq_fleet_start(&fleet))) return tune_error(2, rc, NULL);
  sq_tune_end end;
  if (fleet.size > 1 && a.o.nreplay)
    end = sq_tune_fail(SQ_TUNE_REFUSED, SQ_EINVAL, "--replay runs in one process, not over a fleet: ");
  else if (fleet.size > 1 && (a.o.space_only))
    end = sq_tune_fail(SQ_TUNE_REFUSED, SQ_EINVAL, "--space-only runs in one process, not over a fleet: ");
  else {
    a.o.fleet = &fleet;
    end = a.o.nreplay ? sq_tune_replay(&a.o) : sq_tune_device(&a.o);
  }
  int status = fleet.size > 1 && end == SQ_TUNE_CONTINUE ? tune_error(1, 0, NULL) : finish(&a, end);
  sq_fleet_stop(&fleet);
  return status;
}
