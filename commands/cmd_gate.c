/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad gate`: the interleaved, paired regression gate (DESIGN.md
 * section 8). One `subquad worker` per side, each of its own binary, is
 * started once; the gate gives both the cases, then asks them for rounds
 * alternately, a case's two sides back to back in a random order, the cases
 * in a random order per round (seeded; the seed is recorded), so exactly
 * one side measures at any moment and a slow spell of the machine lands on
 * both sides of a pair. A drift witness, one small fixed case, is measured
 * by both sides every round and shows how far the machine's speed moved.
 * After the first --rounds, rows still AMBIGUOUS get more rounds until they
 * decide, --max-rounds or the --budget. A worker that crashes or hangs
 * (per-request --timeout) fails the case it was on, is restarted and given
 * back its other cases and their rounds, and the gate goes on. Each worker
 * writes its side's result file (DIR/base.csv, DIR/new.csv: run result
 * files, rounds recorded, marked interleaved with the gate's run id); the
 * verdict table (reports/paired.h) goes to stdout and DIR/verdict.txt and
 * DIR/verdict.md, the order of the pairs to DIR/order.csv, and the exit
 * status is compare's. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"
#include "commands/commands.h"
#include "commands/gate_proc.h"
#include "harness/run.h"
#include "reports/table.h"
#include "workloads/planner.h"
#include "reports/gate_plot.h"
#include "reports/outfile.h"
#include "reports/paired.h"
#include "workloads/suite.h"

#define MAX_PARAMS 16
#define MAX_RESTARTS 3
#define WITNESS_LABEL SQ_GATE_WITNESS

enum { BASE = 0, NEW = 1 };
static const char *const side_names[2] = {"base", "new"};
static const char *const side_upper[2] = {"BASE", "NEW"};

typedef struct gate_cli {
  const char *bin[2];
  const char *suite, *kernel, *shape, *only, *device, *out, *mode;
  int priority;            /* sq_gate_priority, or -1: the highest permitted */
  int causal;              /* -1: the kernel's first form */
  sq_dtype dtype;
  const char *params[2][MAX_PARAMS];
  int nparams[2];
  int rounds, max_rounds, samples, warmup, witness, markdown, ambiguous_fails, quiet;
  double budget_s, timeout_s;
  uint64_t seed;
  int seed_given;
  sq_paired_opts po;
} gate_cli;

typedef struct gate_case {
  int id;
  const sq_kernel *kernel;
  int causal;
  sq_dtype dtype;
  char shape[SQ_SHAPE_TEXT_MAX];
  int64_t tokens;
  char params[2][256];     /* per side: "N=V;N=V" overrides, or "-" */
  char workload[64];
  int witness;
  sq_result m[2];          /* per side: status and the samples of every round */
  int known[2];            /* the side's worker has the row (case or describe sent) */
  int present[2];          /* the side's worker took the case (else it is one-sided) */
  int active;              /* still measured in rounds */
} gate_case;

typedef struct gate_side {
  char *argv[12];
  char warmup[16];         /* --warmup's value for argv */
  char log[4096];
  sq_gate_proc proc;
  char device[200];        /* "opencl:0 NAME" from its hello */
  int restarts, dead;
} gate_side;

typedef struct gate {
  gate_cli a;
  gate_case *cases;
  int n;
  gate_side side[2];
  uint64_t rng;
  char run_id[48];
  double t0;
  int rounds;              /* gate rounds run */
  sq_gate_priority priority;  /* the workers' */
  int (*order)[3];         /* every pair measured: round, case id, side measured first */
  int norder, order_cap;
} gate;

static void usage(void) {
  printf(
    "usage: subquad gate --base BASE_BIN --new NEW_BIN (--suite S | --kernel K --shape SPEC) [options]\n"
    "  --base BIN, --new BIN  the two subquad binaries (the same one for an A/B of parameters)\n"
    "  --suite S | --kernel K --shape SPEC [--causal|--noncausal] [--dtype f32|f16|bf16]\n"
    "  --only SUBSTR          suite cases whose kernel name contains SUBSTR\n"
    "  --base-param [K:]N=V, --new-param [K:]N=V  force a tunable on one side (repeatable; in a\n"
    "                         suite, for the kernels that have it, or kernel K alone)\n"
    "  --rounds N             rounds every case gets (12)\n"
    "  --max-rounds N         rounds a still AMBIGUOUS case may get (5 x --rounds)\n"
    "  --budget TIME          wall time after which no new round starts (20m)\n"
    "  --samples N            samples per side per round (1)\n"
    "  --warmup N             untimed calls before each side's round (0; none for calls over a second)\n"
    "  --threshold PCT        practical change (5)\n"
    "  --confidence PCT       of the paired interval (99)\n"
    "  --timeout S            a worker silent this long on a round is hung (120; 5x on a case setup)\n"
    "  --seed N               order of the rounds (default: from the clock; recorded)\n"
    "  --device D             passed to both workers (default: theirs)\n"
    "  --mode cold|hot        (cold)\n"
    "  --priority P           the workers' scheduling: auto (the highest permitted of the next\n"
    "                         two, else normal), realtime (SCHED_RR 1), high (nice -20), normal\n"
    "  --no-witness           no drift witness case\n"
    "  -o DIR                 base.csv, new.csv, verdict.txt, verdict.md, order.csv, ratios.* (gate)\n"
    "  --format text|md       stdout table (text)\n"
    "  --ambiguous fail|pass  exit 2 (fail, default) or 0 when only ambiguous rows remain\n"
    "  -q, --quiet            no progress on stderr\n"
    "exit: 0 nothing slower, 1 slower or failing rows, 2 only ambiguous rows, 3 bad input or a worker\n"
    "that could not start\n");
}

/* --- options ------------------------------------------------------------ */

enum { O_BASE = 256, O_NEW, O_BPARAM, O_NPARAM, O_ROUNDS, O_MAXR, O_BUDGET, O_SAMPLES, O_THRESH, O_CONF,
       O_TIMEOUT, O_SEED, O_MODE, O_NOWIT, O_FORMAT, O_AMBIG, O_CAUSAL, O_NONCAUSAL, O_DTYPE, O_ONLY, O_WARMUP, O_PRIO };

/* [KERNEL:]NAME=VALUE: the kernel, when named, must exist. */
static int add_param(gate_cli *a, int side, const char *v) {
  if (a->nparams[side] == MAX_PARAMS) return sq_fail(SQ_EINVAL, "--%s-param: more than %d", side_names[side], MAX_PARAMS);
  if (!strchr(v, '=')) return sq_fail(SQ_EINVAL, "--%s-param: '%s' is not [KERNEL:]NAME=VALUE", side_names[side], v);
  char flag[32];
  snprintf(flag, sizeof flag, "--%s-param", side_names[side]);
  int rc = sq_param_spec_check(v, flag);
  if (!rc) a->params[side][a->nparams[side]++] = v;
  return rc;
}

static int parse_pct(const char *flag, const char *s, double lo, double hi, double *out) {
  double v;
  int rc = sq_parse_f64(s, flag, lo, hi, &v);
  if (!rc) *out = v / 100;
  return rc;
}

static int parse_priority(const char *s, int *out) {
  static const char *const names[] = {"normal", "high", "realtime"};
  *out = -1;
  if (!strcmp(s, "auto")) return 0;
  for (int i = 0; i < 3; i++)
    if (!strcmp(s, names[i])) return *out = i, 0;
  return sq_fail(SQ_EINVAL, "--priority: '%s' is not auto, realtime, high or normal", s);
}

static int parse_args(int argc, char **argv, gate_cli *a) {
  static const struct option opts[] = {
    {"base", 1, 0, O_BASE}, {"new", 1, 0, O_NEW}, {"suite", 1, 0, 'S'}, {"kernel", 1, 0, 'k'}, {"shape", 1, 0, 's'},
    {"causal", 0, 0, O_CAUSAL}, {"noncausal", 0, 0, O_NONCAUSAL}, {"dtype", 1, 0, O_DTYPE}, {"only", 1, 0, O_ONLY},
    {"base-param", 1, 0, O_BPARAM}, {"new-param", 1, 0, O_NPARAM}, {"rounds", 1, 0, O_ROUNDS},
    {"max-rounds", 1, 0, O_MAXR}, {"budget", 1, 0, O_BUDGET}, {"samples", 1, 0, O_SAMPLES}, {"warmup", 1, 0, O_WARMUP},
    {"threshold", 1, 0, O_THRESH}, {"confidence", 1, 0, O_CONF}, {"timeout", 1, 0, O_TIMEOUT},
    {"seed", 1, 0, O_SEED}, {"device", 1, 0, 'd'}, {"mode", 1, 0, O_MODE}, {"no-witness", 0, 0, O_NOWIT},
    {"output", 1, 0, 'o'}, {"format", 1, 0, O_FORMAT}, {"ambiguous", 1, 0, O_AMBIG}, {"quiet", 0, 0, 'q'},
    {"priority", 1, 0, O_PRIO},
    {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  long long iv;
  int c, rc = 0;
  sq_mode mode;
  opterr = 0;
  optind = 1;
  while (!rc && (c = getopt_long(argc, argv, ":S:k:s:d:o:qh", opts, NULL)) != -1) {
    switch (c) {
    case O_BASE: a->bin[BASE] = optarg; break;
    case O_NEW: a->bin[NEW] = optarg; break;
    case 'S': a->suite = optarg; break;
    case 'k': a->kernel = optarg; break;
    case 's': a->shape = optarg; break;
    case 'd': a->device = optarg; break;
    case 'o': a->out = optarg; break;
    case 'q': a->quiet = 1; break;
    case 'h': usage(); exit(0);
    case O_CAUSAL: a->causal = 1; break;
    case O_NONCAUSAL: a->causal = 0; break;
    case O_DTYPE: rc = sq_dtype_parse(optarg, &a->dtype); break;
    case O_ONLY: a->only = optarg; break;
    case O_BPARAM: rc = add_param(a, BASE, optarg); break;
    case O_NPARAM: rc = add_param(a, NEW, optarg); break;
    case O_ROUNDS: if (!(rc = sq_parse_i64(optarg, "--rounds", 1, 500, &iv))) a->rounds = (int)iv; break;
    case O_MAXR: if (!(rc = sq_parse_i64(optarg, "--max-rounds", 1, 1000, &iv))) a->max_rounds = (int)iv; break;
    case O_SAMPLES: if (!(rc = sq_parse_i64(optarg, "--samples", 1, 1000, &iv))) a->samples = (int)iv; break;
    case O_WARMUP: if (!(rc = sq_parse_i64(optarg, "--warmup", 0, 1000, &iv))) a->warmup = (int)iv; break;
    case O_BUDGET: rc = sq_parse_duration(optarg, "--budget", &a->budget_s); break;
    case O_TIMEOUT: rc = sq_parse_duration(optarg, "--timeout", &a->timeout_s); break;
    case O_THRESH: rc = parse_pct("--threshold", optarg, 0, 100, &a->po.threshold); break;
    case O_CONF: rc = parse_pct("--confidence", optarg, 50, 99.99, &a->po.confidence); break;
    case O_SEED:
      if (!(rc = sq_parse_i64(optarg, "--seed", 0, 9223372036854775807LL, &iv))) a->seed = (uint64_t)iv, a->seed_given = 1;
      break;
    case O_MODE: if (!(rc = sq_mode_parse(optarg, &mode))) a->mode = optarg; break;
    case O_NOWIT: a->witness = 0; break;
    case O_FORMAT:
      if (strcmp(optarg, "text") && strcmp(optarg, "md")) rc = sq_fail(SQ_EINVAL, "--format: '%s' is not text or md", optarg);
      a->markdown = !strcmp(optarg, "md");
      break;
    case O_PRIO: rc = parse_priority(optarg, &a->priority); break;
    case O_AMBIG:
      if (strcmp(optarg, "fail") && strcmp(optarg, "pass")) rc = sq_fail(SQ_EINVAL, "--ambiguous: '%s' is not fail or pass", optarg);
      a->ambiguous_fails = !strcmp(optarg, "fail");
      break;
    case ':': rc = sq_fail(SQ_EINVAL, "%s needs a value", argv[optind - 1]); break;
    default: rc = sq_fail(SQ_EINVAL, "unknown option '%s' (see subquad gate --help)", argv[optind - 1]);
    }
  }
  if (rc) return rc;
  if (optind < argc) return sq_fail(SQ_EINVAL, "unexpected argument '%s'", argv[optind]);
  if (!a->bin[BASE] || !a->bin[NEW]) return sq_fail(SQ_EINVAL, "needs --base BIN and --new BIN");
  if (!a->kernel == !a->suite) return sq_fail(SQ_EINVAL, "give either --kernel with --shape, or --suite");
  if (a->kernel && !a->shape) return sq_fail(SQ_EINVAL, "--kernel %s needs --shape", a->kernel);
  if (a->suite && a->shape) return sq_fail(SQ_EINVAL, "--shape does not go with --suite");
  if (!a->max_rounds) a->max_rounds = 5 * a->rounds;
  if (a->max_rounds < a->rounds) return sq_fail(SQ_EINVAL, "--max-rounds %d is under --rounds %d", a->max_rounds, a->rounds);
  return 0;
}

/* --- cases ---------------------------------------------------------------- */

/* One side's overrides that kernel k has, as "N=V;N=V", or "-". A
 * single case must have every one. */
static int side_params(const gate_cli *a, int side, const sq_kernel *k, int *used, char *buf, size_t n) {
  int pv[SQ_MAX_PARAMS];
  size_t len = 0;
  buf[0] = 0;
  sq_kernel_default_params(k, pv);
  for (int j = 0; j < a->nparams[side]; j++) {
    const char *p = sq_param_spec_for(a->params[side][j], k);
    if (!p) continue;   /* KERNEL:NAME=VALUE for another kernel */
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(strchr(p, '=') - p), p);
    if (sq_kernel_param_index(k, name) < 0) {
      if (a->kernel) return sq_fail(SQ_EINVAL, "--%s-param: %s has no parameter '%s'", side_names[side], k->name, name);
      continue;
    }
    int rc = sq_params_parse(k, p, pv);
    if (rc) return sq_fail(SQ_EINVAL, "--%s-param: %s", side_names[side], sq_last_error());
    used[j] = 1;
    len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? ";" : "", p);
  }
  if (!len) snprintf(buf, n, "-");
  return 0;
}

static int add_case(gate *g, const sq_kernel *k, const sq_problem *p, const char *workload, int witness) {
  gate_case *v = realloc(g->cases, sizeof *v * (size_t)(g->n + 1));
  if (!v) return sq_fail(SQ_ENOMEM, "no memory for the cases");
  g->cases = v;
  gate_case *c = &v[g->n];
  memset(c, 0, sizeof *c);
  c->id = ++g->n;
  c->kernel = k;
  c->causal = p->causal;
  c->dtype = p->dtype;
  c->witness = witness;
  sq_shape_format(&p->shape, c->shape, sizeof c->shape);
  c->tokens = sq_shape_tokens(&p->shape);
  snprintf(c->workload, sizeof c->workload, "%s", witness ? WITNESS_LABEL : workload);
  /* The protocol splits on whitespace. */
  for (char *s = c->workload; *s; s++)
    if (*s == ' ' || *s == '\t') *s = '_';
  for (int s = 0; s < 2; s++) sq_result_init(&c->m[s]);
  return 0;
}

/* The drift witness: a case small enough to cost little every round, and
 * one every binary of this tool knows. */
static int add_witness(gate *g) {
  const sq_kernel *k = sq_kernel_find("linear_attn.causal_chunked");
  sq_problem p;
  if (!k || sq_problem_parse(k, "B=1,H=2,T=512,D=64", 1, SQ_F32, &p)) return 0;
  return add_case(g, k, &p, "", 1);
}

static int select_cases(gate *g) {
  gate_cli *a = &g->a;
  int rc = 0;
  if (a->kernel) {
    const sq_kernel *k = sq_kernel_find(a->kernel);
    sq_problem p;
    if (!k) return sq_fail(SQ_EINVAL, "--kernel: unknown kernel '%s'", a->kernel);
    if ((rc = sq_problem_parse(k, a->shape, a->causal, a->dtype, &p))) return rc;
    rc = add_case(g, k, &p, "", 0);
  } else {
    sq_suite_case *v;
    int n;
    if ((rc = sq_suite_expand(a->suite, &v, &n))) return rc;
    for (int i = 0; !rc && i < n; i++) {
      if (a->only && !strstr(v[i].c.kernel->name, a->only)) continue;
      v[i].c.prob.dtype = a->dtype;
      rc = add_case(g, v[i].c.kernel, &v[i].c.prob, v[i].workload, 0);
    }
    free(v);
    if (!rc && !g->n) return sq_fail(SQ_EINVAL, "--only: no case of suite %s matches '%s'", a->suite, a->only);
  }
  if (!rc && a->witness) rc = add_witness(g);
  int used[2][MAX_PARAMS] = {{0}};
  for (int i = 0; !rc && i < g->n; i++)
    for (int s = 0; !rc && s < 2; s++) {
      gate_case *c = &g->cases[i];
      /* The witness keeps each side's own configuration: a forced tunable
       * would make it a second A/B case instead of a gauge of the machine. */
      if (c->witness) snprintf(c->params[s], sizeof c->params[s], "-");
      else rc = side_params(a, s, c->kernel, used[s], c->params[s], sizeof c->params[s]);
    }
  for (int s = 0; !rc && s < 2; s++)
    for (int j = 0; j < a->nparams[s]; j++)
      if (!used[s][j])
        return sq_fail(SQ_EINVAL, "--%s-param: no kernel of the selected cases has '%s'", side_names[s], a->params[s][j]);
  return rc;
}

/* The mirror row's identity, as the worker writes it, so the verdicts can
 * match rows as compare does. */
static void mirror_identity(gate *g, gate_case *c, int s) {
  sq_result *r = &c->m[s];
  snprintf(r->device, sizeof r->device, "%s", g->side[s].device);
  snprintf(r->kernel, sizeof r->kernel, "%s", c->kernel->name);
  snprintf(r->shape, sizeof r->shape, "%s", c->shape);
  snprintf(r->dtype, sizeof r->dtype, "%s", sq_dtype_name(c->dtype));
  snprintf(r->mode, sizeof r->mode, "%s", g->a.mode);
  snprintf(r->workload, sizeof r->workload, "%s", c->workload);
  r->causal = c->causal;
  r->tokens = c->tokens;
  r->id = c->id;
}

/* --- random order ---------------------------------------------------------- */

static uint64_t next_random(uint64_t *s) {
  /* splitmix64: a fixed, portable sequence for a seed. */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* --- talking to the workers ------------------------------------------------ */

static int start_side(gate *g, int s);

/* The request line of case c on side s: `case` or `describe`. */
static void case_line(const gate_case *c, int s, const char *req, char *buf, size_t n, const char *suite) {
  snprintf(buf, n, "%s %d %s %s %s %s %s%s%s%s%s", req, c->id, c->kernel->name, c->causal ? "causal" : "noncausal",
           sq_dtype_name(c->dtype), c->shape, c->params[s], suite ? " suite=" : "", suite ? suite : "",
           c->workload[0] ? " workload=" : "", c->workload);
}

/* Marks case c failed on side s (the mirror only). */
static void fail_mirror(gate_case *c, int s, const char *why) {
  c->m[s].status = SQ_STATUS_FAILED;
  snprintf(c->m[s].reason, sizeof c->m[s].reason, "%.250s", why);
  c->active = 0;
}

/* Side s's worker died or hung on case c (NULL: between cases): the case
 * fails on that side, the worker is restarted and given back the rest. */
static void worker_lost(gate *g, int s, gate_case *c, const char *during, int rc) {
  gate_side *sd = &g->side[s];
  char why[256];
  snprintf(why, sizeof why, "worker %s (%s) during %s", rc == SQ_ETIMEOUT ? "hung" : "crashed", sq_last_error(), during);
  fprintf(stderr, "subquad gate: %s %s%s%s\n", side_upper[s], why, c ? " of " : "", c ? c->kernel->name : "");
  if (c) fail_mirror(c, s, why);
  if (sd->restarts >= MAX_RESTARTS || start_side(g, s)) {
    sd->dead = 1;
    for (int i = 0; i < g->n; i++)
      if (g->cases[i].m[s].status == SQ_STATUS_OK) fail_mirror(&g->cases[i], s, "worker lost too often");
    fprintf(stderr, "subquad gate: %s worker given up after %d restarts\n", side_upper[s], sd->restarts);
    return;
  }
  sd->restarts++;
}

/* Building and verifying a case (the reference in double precision) takes
 * far longer than a round: its request waits this many --timeouts. */
#define SETUP_TIMEOUTS 5

/* A request to side s went unanswered: names it and handles the loss. */
static void lost(gate *g, int s, gate_case *c, const char *line, int rc) {
  char during[64];
  int k = c && c->m[s].nsamples ? c->m[s].sample_round[c->m[s].nsamples - 1] + 1 : 0;
  if (!strncmp(line, "round", 5)) snprintf(during, sizeof during, "its round %d", k + 1);
  else snprintf(during, sizeof during, "%.*s", (int)strcspn(line, " "), line);
  worker_lost(g, s, c, during, rc);
}

/* Asks side s and waits up to `timeout_s`; on a lost worker, handles it
 * and returns its code. */
static int ask_within(gate *g, int s, gate_case *c, const char *line, double timeout_s, char **reply) {
  if (g->side[s].dead) return SQ_EIO;
  int rc = sq_gate_proc_send(&g->side[s].proc, line);
  if (!rc) rc = sq_gate_proc_wait(&g->side[s].proc, timeout_s, reply);
  if (rc) lost(g, s, c, line, rc);
  return rc;
}

static int ask(gate *g, int s, gate_case *c, const char *line, char **reply) {
  return ask_within(g, s, c, line, g->a.timeout_s, reply);
}

/* The first word after "VERB ID " of a reply, and the text after it. */
static const char *reply_status(const char *reply, const char **rest) {
  static char word[16];
  const char *p = strchr(reply, ' ');
  p = p ? strchr(p + 1, ' ') : NULL;
  if (!p) return "";
  p++;
  size_t n = strcspn(p, " ");
  snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), p);
  *rest = p[n] ? p + n + 1 : "";
  return word;
}

/* Gives case c to side s: sends the request, which the side's worker
 * builds and verifies while the other side's does the same (no timing
 * happens during the setup). 0, or the lost worker's code (handled). */
static int setup_send(gate *g, int s, gate_case *c, char *line, size_t n) {
  case_line(c, s, "case", line, n, g->a.suite);
  mirror_identity(g, c, s);
  c->known[s] = 1;
  c->present[s] = 1;
  if (g->side[s].dead) {
    fail_mirror(c, s, "worker lost too often");
    return SQ_EIO;
  }
  int rc = sq_gate_proc_send(&g->side[s].proc, line);
  if (rc) lost(g, s, c, line, rc);
  return rc;
}

/* Waits for side s's answer to setup_send and records it in the mirror. */
static void setup_finish(gate *g, int s, gate_case *c, const char *line) {
  char *reply, *rest_dup;
  const char *rest;
  int rc = sq_gate_proc_wait(&g->side[s].proc, SETUP_TIMEOUTS * g->a.timeout_s, &reply);
  if (rc) {
    lost(g, s, c, line, rc);
    return;
  }
  if (!strncmp(reply, "error", 5)) {
    /* The side does not know the case (another binary's kernels): the row
     * is one-sided. */
    c->present[s] = c->known[s] = 0;
    fprintf(stderr, "subquad gate: %s: %s: %s\n", side_upper[s], c->kernel->name, reply);
    return;
  }
  const char *st = reply_status(reply, &rest);
  rest_dup = strdup(rest);
  if (!strcmp(st, "ok")) c->m[s].status = SQ_STATUS_OK;
  else if (!strcmp(st, "skipped")) c->m[s].status = SQ_STATUS_SKIPPED;
  else c->m[s].status = SQ_STATUS_FAILED;
  if (c->m[s].status != SQ_STATUS_OK) snprintf(c->m[s].reason, sizeof c->m[s].reason, "%s", rest_dup ? rest_dup : "");
  free(rest_dup);
}

/* Sets case c up on both sides at once. */
static void setup_case(gate *g, gate_case *c) {
  char line[2][1024];
  int sent[2];
  for (int s = 0; s < 2; s++) sent[s] = !setup_send(g, s, c, line[s], sizeof line[s]);
  for (int s = 0; s < 2; s++)
    if (sent[s]) setup_finish(g, s, c, line[s]);
}

/* Appends one round's samples to a mirror row. */
static int mirror_round(sq_result *r, const double *v, int n) {
  int round = r->nsamples ? r->sample_round[r->nsamples - 1] + 1 : 0, total = r->nsamples + n;
  double *s = realloc(r->samples, sizeof *s * (size_t)total);
  if (s) r->samples = s;
  int *rd = s ? realloc(r->sample_round, sizeof *rd * (size_t)total) : NULL;
  if (!rd) return sq_fail(SQ_ENOMEM, "no memory for samples");
  r->sample_round = rd;
  for (int i = 0; i < n; i++) s[r->nsamples + i] = v[i], rd[r->nsamples + i] = round;
  r->nsamples = total;
  return 0;
}

/* Parses "round ID ok MS..." into v (at most cap values). */
static int parse_samples(const char *rest, double *v, int cap) {
  int n = 0;
  char *end;
  while (*rest && n < cap) {
    double x = strtod(rest, &end);
    if (end == rest || !isfinite(x) || x < 0) return -1;
    v[n++] = x;
    rest = end + strspn(end, " ");
  }
  return n;
}

/* One round of case c on side s. */
static void measure(gate *g, int s, gate_case *c) {
  char line[64], *reply;
  const char *rest;
  if (!c->active || c->m[s].status != SQ_STATUS_OK) return;
  snprintf(line, sizeof line, "round %d %d", c->id, g->a.samples);
  if (ask(g, s, c, line, &reply)) return;
  const char *st = reply_status(reply, &rest);
  double *v = malloc(sizeof *v * (size_t)g->a.samples);
  int n = v && !strcmp(st, "ok") && !strncmp(reply, "round ", 6) ? parse_samples(rest, v, g->a.samples) : -1;
  /* A round may hold fewer samples than asked: the worker stops sampling
   * at its time limit (a 3.5 s call gives 2 of 5 in 10 s). Its median
   * still pairs with the other side's. */
  if (n >= 1) {
    if (mirror_round(&c->m[s], v, n)) fail_mirror(c, s, sq_last_error());
  } else if (!strncmp(reply, "error", 5) || n >= 0 || !strcmp(st, "ok")) {
    fail_mirror(c, s, reply);
  } else {
    char why[300];
    snprintf(why, sizeof why, "%s", rest);
    fail_mirror(c, s, why);
  }
  free(v);
}

/* The gate's metadata in each side's file: what makes two files one
 * interleaved pair (compare looks for the shared `interleaved` id). */
static int send_meta(gate *g, int s) {
  char line[1200], *reply;
  const char *kv[][2] = {{"interleaved", g->run_id}, {"gate_side", side_names[s]},
                         {"gate_base", g->a.bin[BASE]}, {"gate_new", g->a.bin[NEW]},
                         {"gate_pocl_affinity", getenv("POCL_AFFINITY")},
                         {"gate_worker_priority", sq_gate_priority_name(g->priority)}};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
    snprintf(line, sizeof line, "meta %s %s", kv[i][0], kv[i][1]);
    if (sq_gate_proc_ask(&g->side[s].proc, line, g->a.timeout_s, &reply) || strncmp(reply, "meta ok", 7))
      return sq_fail(SQ_EIO, "%s worker refused metadata", side_upper[s]);
  }
  snprintf(line, sizeof line, "meta gate_seed %llu", (unsigned long long)g->a.seed);
  if (sq_gate_proc_ask(&g->side[s].proc, line, g->a.timeout_s, &reply)) return SQ_EIO;
  return 0;
}

/* Gives a restarted worker back what its predecessor had: every case it
 * knew (verified again) with the samples of its rounds, or described and
 * marked with the status it ended in. */
static int replay(gate *g, int s) {
  char line[1024], *reply;
  for (int i = 0; i < g->n; i++) {
    gate_case *c = &g->cases[i];
    if (!c->known[s]) continue;
    sq_result *m = &c->m[s];
    int ok = m->status == SQ_STATUS_OK;
    case_line(c, s, ok ? "case" : "describe", line, sizeof line, g->a.suite);
    if (sq_gate_proc_ask(&g->side[s].proc, line, SETUP_TIMEOUTS * g->a.timeout_s, &reply)) return SQ_EIO;
    if (ok && !strstr(reply, " ok")) {
      fail_mirror(c, s, reply);
      ok = 0;
    }
    if (!ok) {
      snprintf(line, sizeof line, "mark %d %s %s", c->id, sq_status_name(m->status), m->reason);
      if (sq_gate_proc_ask(&g->side[s].proc, line, g->a.timeout_s, &reply)) return SQ_EIO;
      continue;
    }
    for (int k = 0, i0 = 0; i0 < m->nsamples; k++) {
      size_t len = (size_t)snprintf(line, sizeof line, "samples %d", c->id);
      int i1 = i0;
      while (i1 < m->nsamples && m->sample_round[i1] == k && len + 24 < sizeof line)
        len += (size_t)snprintf(line + len, sizeof line - len, " %.9g", m->samples[i1++]);
      if (sq_gate_proc_ask(&g->side[s].proc, line, g->a.timeout_s, &reply)) return SQ_EIO;
      i0 = i1;
    }
  }
  return 0;
}

/* Starts (or restarts) side s's worker: hello, metadata, and on a restart
 * the cases it had. */
static int start_side(gate *g, int s) {
  gate_side *sd = &g->side[s];
  char *reply;
  if (sq_gate_proc_start(&sd->proc)) return SQ_EIO;
  /* A first hello may wait on a slow device open. */
  int rc = sq_gate_proc_ask(&sd->proc, "hello", g->a.timeout_s, &reply);
  if (!rc && strncmp(reply, "hello subquad-worker ", 21))
    rc = sq_fail(SQ_EIO, "%s worker (%s) did not start: %s", side_upper[s], g->a.bin[s], reply);
  else if (!rc) {
    /* "hello subquad-worker VERSION DEVICE NAME..." */
    const char *p = reply + 21;
    p += strcspn(p, " ");
    snprintf(sd->device, sizeof sd->device, "%s", *p ? p + 1 : "");
  } else {
    rc = sq_fail(SQ_EIO, "%s worker (%s) did not start: %s", side_upper[s], g->a.bin[s], sq_last_error());
  }
  if (!rc) rc = send_meta(g, s);
  if (!rc && replay(g, s)) rc = sq_fail(SQ_EIO, "%s worker lost again while being restored", side_upper[s]);
  if (rc) sq_gate_proc_stop(&sd->proc, 0);
  return rc;
}

/* The workers' scheduling: the one asked for, which must be permitted, or
 * under auto the highest permitted (see gate_proc.h for what it buys). */
static int choose_priority(gate *g) {
  if (g->a.priority >= 0) {
    g->priority = (sq_gate_priority)g->a.priority;
    if (!sq_gate_priority_permitted(g->priority))
      return sq_fail(SQ_EINVAL, "--priority %s: not permitted to this user (needs root or CAP_SYS_NICE, or "
                     "RLIMIT_RTPRIO/RLIMIT_NICE); use --priority auto or normal", sq_gate_priority_name(g->priority));
    return 0;
  }
  g->priority = SQ_GATE_PRIO_REALTIME;
  while (g->priority > SQ_GATE_PRIO_NORMAL && !sq_gate_priority_permitted(g->priority))
    g->priority = (sq_gate_priority)(g->priority - 1);
  return 0;
}

/* Both workers run PoCL's CPU threads pinned, one per core, unless the
 * caller chose otherwise. Unpinned, the scheduler places each process's
 * threads its own way: with one core busy, one side's kernel shared it and
 * the other's did not, and a case's paired ratios came out 0.5, 1 or 2 at
 * random (quick suite beside a one-core spinner). Pinned, a busy core slows
 * both sides alike, which the pairing then cancels. */
static int start_workers(gate *g) {
  sq_pocl_pin_threads();   /* the workers inherit it; the metadata records it */
  if (choose_priority(g)) return SQ_EINVAL;
  for (int s = 0; s < 2; s++) {
    gate_side *sd = &g->side[s];
    int k = 0;
    sd->argv[k++] = (char *)g->a.bin[s];
    sd->argv[k++] = "worker";
    sd->argv[k++] = "--mode";
    sd->argv[k++] = (char *)g->a.mode;
    sd->argv[k++] = "--warmup";
    sd->argv[k++] = sd->warmup;
    snprintf(sd->warmup, sizeof sd->warmup, "%d", g->a.warmup);
    if (g->a.device) {
      sd->argv[k++] = "--device";
      sd->argv[k++] = (char *)g->a.device;
    }
    sd->argv[k] = NULL;
    snprintf(sd->log, sizeof sd->log, "%s/%s-worker.log", g->a.out, side_names[s]);
    sd->proc.argv = sd->argv;
    sd->proc.log = sd->log;
    sd->proc.priority = g->priority;
    int rc = start_side(g, s);
    if (rc) return rc;
  }
  return 0;
}

/* --- rounds ---------------------------------------------------------------- */

/* Progress goes to stderr whatever it is (a CI log too), as run's does;
 * -q silences it. */
static void progress(gate *g, int nactive, double round_s) {
  if (g->a.quiet) return;
  char el[32];
  sq_format_duration(sq_now_s() - g->t0, el, sizeof el);
  fprintf(stderr, "[round %d] %d case%s measured, %.1f s; %s elapsed\n", g->rounds, nactive, nactive == 1 ? "" : "s",
          round_s, el);
}

/* Keeps the order for DIR/order.csv (an entry lost to memory is only
 * missing from that file). */
static void record_order(gate *g, int id, int first) {
  if (g->norder == g->order_cap) {
    int cap = g->order_cap ? 2 * g->order_cap : 256;
    int(*v)[3] = realloc(g->order, sizeof *v * (size_t)cap);
    if (!v) return;
    g->order = v, g->order_cap = cap;
  }
  g->order[g->norder][0] = g->rounds;
  g->order[g->norder][1] = id;
  g->order[g->norder++][2] = first;
}

/* DIR/order.csv: the order the pairs were measured in, to look for an
 * effect of going first or second (the seed reproduces it as well). */
static int write_order(gate *g) {
  sq_outfile o;
  if (sq_outfile_open(&o, g->a.out, "order.csv")) return SQ_EIO;
  fprintf(o.f, "# seed: %llu\nround,position,id,first\n", (unsigned long long)g->a.seed);
  for (int i = 0, pos = 0; i < g->norder; i++) {
    pos = i && g->order[i][0] == g->order[i - 1][0] ? pos + 1 : 0;
    fprintf(o.f, "%d,%d,%d,%s\n", g->order[i][0], pos, g->order[i][1], side_names[g->order[i][2]]);
  }
  return sq_outfile_commit(&o);
}

/* One gate round over the active cases: the cases in a random order, the
 * two sides of a case back to back in a random order. */
static int one_round(gate *g) {
  int *order = malloc(sizeof *order * (size_t)(g->n ? g->n : 1)), m = 0;
  if (!order) return sq_fail(SQ_ENOMEM, "no memory for the order");
  for (int i = 0; i < g->n; i++)
    if (g->cases[i].active) order[m++] = i;
  for (int i = m - 1; i > 0; i--) {
    int j = (int)(next_random(&g->rng) % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j], order[j] = t;
  }
  double t = sq_now_s();
  for (int i = 0; i < m; i++) {
    gate_case *c = &g->cases[order[i]];
    int first = (int)(next_random(&g->rng) & 1);
    record_order(g, c->id, first);
    measure(g, first, c);
    measure(g, !first, c);
  }
  g->rounds++;
  progress(g, m, sq_now_s() - t);
  free(order);
  return m;
}

/* After the first rounds, a case stays active only while AMBIGUOUS; the
 * witness while anything else is. Returns the cases still undecided. */
static int settle(gate *g) {
  int open = 0;
  for (int i = 0; i < g->n; i++) {
    gate_case *c = &g->cases[i];
    if (!c->active || c->witness) continue;
    sq_paired p;
    sq_paired_rows(&c->m[BASE], &c->m[NEW], &g->a.po, &p);
    if (p.verdict != SQ_VERDICT_AMBIGUOUS) c->active = 0;
    else open++;
  }
  for (int i = 0; i < g->n; i++)
    if (g->cases[i].witness && !open) g->cases[i].active = 0;
  return open;
}

/* The rounds after which the cases are judged: the first --rounds, then
 * every half as many again. Each look is a chance for an interval to stray
 * into a verdict (a 99 % interval looked at thirty times is no longer one),
 * so the verdicts are taken at a few looks, not after every round. */
static int is_look(const gate *g) {
  int every = g->a.rounds / 2 > 0 ? g->a.rounds / 2 : 1;
  return g->rounds >= g->a.rounds && (g->rounds - g->a.rounds) % every == 0;
}

static int run_rounds(gate *g) {
  double last = 0;
  for (int i = 0; i < g->n; i++) {
    gate_case *c = &g->cases[i];
    c->active = c->present[BASE] && c->present[NEW] && c->m[BASE].status == SQ_STATUS_OK &&
                c->m[NEW].status == SQ_STATUS_OK;
  }
  while (g->rounds < g->a.max_rounds) {
    double el = sq_now_s() - g->t0;
    if (g->rounds && el + last > g->a.budget_s) {
      fprintf(stderr, "subquad gate: budget of %g s reached after %d rounds\n", g->a.budget_s, g->rounds);
      break;
    }
    if (is_look(g) && !settle(g)) break;
    double t = sq_now_s();
    int rc = one_round(g);
    if (rc < 0) return rc;
    if (!rc) break;
    last = sq_now_s() - t;
  }
  return 0;
}

/* --- results ---------------------------------------------------------------- */

/* Each live worker writes its side's file. */
static void save_sides(gate *g, int saved[2]) {
  for (int s = 0; s < 2; s++) {
    char line[4200], *reply;
    saved[s] = 0;
    if (g->side[s].dead) continue;
    snprintf(line, sizeof line, "save %s/%s.csv", g->a.out, side_names[s]);
    if (sq_gate_proc_ask(&g->side[s].proc, line, g->a.timeout_s, &reply)) {
      fprintf(stderr, "subquad gate: %s worker lost while saving: %s\n", side_upper[s], sq_last_error());
      continue;
    }
    if (strncmp(reply, "save ok", 7)) fprintf(stderr, "subquad gate: %s: %s\n", side_upper[s], reply);
    else saved[s] = 1;
    sq_gate_proc_ask(&g->side[s].proc, "quit", 10, &reply);
    sq_gate_proc_stop(&g->side[s].proc, 10);
  }
}

/* The mirrors as two result sets (the verdicts' input): a side's row is
 * there when that side took the case. */
static int mirror_results(gate *g, sq_results out[2]) {
  for (int s = 0; s < 2; s++) {
    memset(&out[s], 0, sizeof out[s]);
    out[s].rows = calloc((size_t)g->n + 1, sizeof *out[s].rows);
    if (!out[s].rows) return sq_fail(SQ_ENOMEM, "no memory for the verdicts");
    for (int i = 0; i < g->n; i++)
      if (g->cases[i].present[s]) out[s].rows[out[s].n++] = g->cases[i].m[s];
  }
  return 0;
}

/* The drift witness line: how far each side's round medians of the fixed
 * case ranged, and its own paired verdict (which should be SAME). */
static void print_witness(FILE *f, gate *g, const sq_paired_table *t, int md) {
  for (int i = 0; i < t->n; i++) {
    const sq_paired_row *r = &t->rows[i];
    const sq_result *k = r->cur ? r->cur : r->base;
    if (strcmp(k->workload, WITNESS_LABEL) || !r->base || !r->cur) continue;
    fprintf(f, "%sdrift witness (%s %s, measured by both sides every round):%s\n", md ? "**" : "", k->kernel, k->shape,
            md ? "**" : "");
    if (md) fputc('\n', f);
    for (int s = 0; s < 2; s++) {
      double *med;
      int n;
      const sq_result *row = s ? r->cur : r->base;
      if (sq_round_medians(row, &med, &n) || !n) continue;
      double lo = INFINITY, hi = 0;
      for (int j = 0; j < n; j++)
        if (!isnan(med[j])) lo = fmin(lo, med[j]), hi = fmax(hi, med[j]);
      fprintf(f, "%s%s: round medians %.4g to %.4g ms over %d rounds: the machine's speed moved by x%.2f\n",
              md ? "- " : "  ", side_upper[s], lo, hi, n, hi / lo);
      free(med);
    }
    char iv[80] = "no interval yet";
    if (r->p.coverage > 0) snprintf(iv, sizeof iv, "[%+.1f%%, %+.1f%%]", (r->p.lo - 1) * 100, (r->p.hi - 1) * 100);
    fprintf(f, "%spaired change %+.1f%% %s over %d rounds: %s (the witness is the same code on both sides)\n",
            md ? "- " : "  ", (r->p.ratio - 1) * 100, iv, r->p.npairs, sq_verdict_name(r->p.verdict));
    if (md) fputc('\n', f);
  }
  (void)g;
}

static const char *const status_words[] = {"PASS", "REGRESSION", "AMBIGUOUS", "BAD INPUT"};

static void print_all(FILE *f, gate *g, const sq_paired_table *t, int status, int md, double wall) {
  char el[32];
  sq_format_duration(wall, el, sizeof el);
  if (md) {
    fprintf(f, "### subquad gate: %s\n\nBASE ", status_words[status]);
    sq_md_code(f, g->a.bin[BASE]);
    fprintf(f, ", NEW ");
    sq_md_code(f, g->a.bin[NEW]);
    fprintf(f, " on ");
    sq_md_code(f, g->side[BASE].device);
    fprintf(f, ", interleaved in %d rounds (seed %llu, run %s), %s; workers at %s priority\n\n", g->rounds,
            (unsigned long long)g->a.seed, g->run_id, el, sq_gate_priority_name(g->priority));
  } else {
    fprintf(f, "subquad gate: BASE %s, NEW %s on %s\ninterleaved in %d rounds (seed %llu, run %s), %s; workers at %s "
            "priority\n\n", g->a.bin[BASE], g->a.bin[NEW], g->side[BASE].device, g->rounds, (unsigned long long)g->a.seed,
            g->run_id, el, sq_gate_priority_name(g->priority));
  }
  sq_paired_print(f, t, md, WITNESS_LABEL);
  fputc('\n', f);
  print_witness(f, g, t, md);
  for (int s = 0; s < 2; s++)
    if (g->side[s].restarts || g->side[s].dead)
      fprintf(f, "%s%s worker restarted %d time%s%s\n", md ? "- " : "", side_upper[s], g->side[s].restarts,
              g->side[s].restarts == 1 ? "" : "s", g->side[s].dead ? ", then given up" : "");
  fprintf(f, "%sverdict: %s (exit %d)\n", md ? "\n" : "", status_words[status], status);
}

static int write_outputs(gate *g, const sq_paired_table *t, int status, double wall) {
  for (int md = 0; md < 2; md++) {
    sq_outfile o;
    if (sq_outfile_open(&o, g->a.out, md ? "verdict.md" : "verdict.txt")) return SQ_EIO;
    print_all(o.f, g, t, status, md, wall);
    if (sq_outfile_commit(&o)) return SQ_EIO;
  }
  if (write_order(g)) return SQ_EIO;
  return sq_gate_plot(g->a.out, t, WITNESS_LABEL);
}

static void make_run_id(gate *g) {
  uint64_t s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  snprintf(g->run_id, sizeof g->run_id, "gate-%016llx", (unsigned long long)next_random(&s));
}

static void free_gate(gate *g) {
  for (int i = 0; i < g->n; i++)
    for (int s = 0; s < 2; s++) sq_result_free(&g->cases[i].m[s]);
  free(g->cases);
  free(g->order);
  for (int s = 0; s < 2; s++) {
    sq_gate_proc_stop(&g->side[s].proc, 0);
    free(g->side[s].proc.buf);
  }
}

static int judge_and_report(gate *g, double wall) {
  sq_results r[2];
  sq_paired_table t;
  int saved[2];
  save_sides(g, saved);
  int rc = mirror_results(g, r);
  if (!rc) rc = sq_paired_results(&r[BASE], &r[NEW], &g->a.po, &t);
  if (rc) {
    free(r[BASE].rows);
    free(r[NEW].rows);
    fprintf(stderr, "subquad gate: %s\n", sq_last_error());
    return SQ_COMPARE_BAD_INPUT;
  }
  /* The witness shows the machine; it is not a row of the verdict. */
  sq_paired_uncount(&t, WITNESS_LABEL);
  int status = sq_paired_status(&t, g->a.ambiguous_fails);
  print_all(stdout, g, &t, status, g->a.markdown, wall);
  if (write_outputs(g, &t, status, wall)) fprintf(stderr, "subquad gate: %s\n", sq_last_error());
  for (int s = 0; s < 2; s++)
    fprintf(stderr, saved[s] ? "wrote %s/%s.csv\n" : "%s/%s.csv not written\n", g->a.out, side_names[s]);
  sq_paired_free(&t);
  free(r[BASE].rows);
  free(r[NEW].rows);
  return status;
}

int sq_cmd_gate(int argc, char **argv) {
  gate g;
  memset(&g, 0, sizeof g);
  g.a.causal = -1;
  g.a.priority = -1;
  /* One sample per side per round and no warm-up (each case ran in its
   * setup, and a warm-up falls on both sides alike): the finer the pairs,
   * the more of them a budget buys and the closer in time their two sides
   * are. The quick suite on this 2-core VM took 110-200 s a round at 3-5
   * samples and a warm-up, so 20 minutes gave 6-10 rounds, too few for the
   * rows that needed 20-60; at one sample a round takes 37 s. */
  g.a.rounds = 12;
  g.a.samples = 1;
  g.a.warmup = 0;
  g.a.witness = 1;
  g.a.ambiguous_fails = 1;
  g.a.budget_s = 1200;
  g.a.timeout_s = 120;
  g.a.mode = "cold";
  g.a.out = "gate";
  sq_paired_defaults(&g.a.po);
  int status = SQ_COMPARE_BAD_INPUT;
  if (parse_args(argc, argv, &g.a) || select_cases(&g)) {
    fprintf(stderr, "subquad gate: %s\n", sq_last_error());
    goto done;
  }
  if (sq_check_output_dir(g.a.out) || sq_mkdirs(g.a.out)) {
    fprintf(stderr, "subquad gate: -o %s\n", sq_last_error());
    goto done;
  }
  if (!g.a.seed_given) g.a.seed = (uint64_t)time(NULL);
  g.rng = g.a.seed;
  make_run_id(&g);
  signal(SIGPIPE, SIG_IGN);
  g.t0 = sq_now_s();
  if (start_workers(&g)) {
    fprintf(stderr, "subquad gate: %s\n", sq_last_error());
    goto done;
  }
  for (int i = 0; i < g.n; i++) {
    setup_case(&g, &g.cases[i]);
    if (!g.a.quiet)
      fprintf(stderr, "[setup %d/%d] %s %s T=%lld: BASE %s, NEW %s\n", i + 1, g.n, g.cases[i].kernel->name,
              g.cases[i].causal ? "causal" : "noncausal", (long long)g.cases[i].tokens,
              g.cases[i].present[BASE] ? sq_status_name(g.cases[i].m[BASE].status) : "absent",
              g.cases[i].present[NEW] ? sq_status_name(g.cases[i].m[NEW].status) : "absent");
  }
  if (run_rounds(&g)) {
    fprintf(stderr, "subquad gate: %s\n", sq_last_error());
    goto done;
  }
  status = judge_and_report(&g, sq_now_s() - g.t0);
done:
  free_gate(&g);
  return status;
}
