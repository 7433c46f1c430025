/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad worker`: a long-lived measuring process that `subquad gate`
 * starts once per side and drives through a line protocol on stdin and
 * stdout (README.md, "subquad worker"). It opens the device once, keeps the
 * compiled programs (the device's program cache), the verified rows of
 * every case it was given and, within a memory budget, their buffers with
 * the inputs uploaded, verifies each case once before its first timing
 * (as `run` does), and measures one round of a case per request, so the gate
 * can interleave two binaries' rounds while exactly one of them measures.
 * Each request gets exactly one reply line; a malformed request gets an
 * `error` line and the worker goes on; EOF or `quit` ends it. The library
 * may print to stdout, so the protocol runs on a private copy of the
 * original stdout and fd 1 is pointed at stderr. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "base/error.h"
#include "commands/commands.h"
#include "harness/run.h"
#include "results/result.h"
#include "tuner/db.h"
#include "workloads/planner.h"

#define SQ_WORKER_PROTOCOL 1
#define MAX_REQUEST 65536
#define MAX_ROUND_SAMPLES 10000

typedef struct worker_case {
  int id;
  sq_case c;
  sq_result r;
  sq_case_state *kept;     /* set up between rounds, or NULL */
  long used;               /* when last measured, for evicting the least recent */
} worker_case;

typedef struct worker {
  const char *device_name;
  int tuned;
  sq_run_opts opts;
  sq_device *dev;
  sq_meta extra;           /* `meta` requests: written into the saved file */
  double keep_bytes;       /* device memory cases may hold between rounds */
  long clock;              /* counts rounds, for `used` */
  worker_case *v;
  int n, cap;
  FILE *out;               /* the protocol's stdout */
  /* Test-only fault injection (SUBQUAD_WORKER_FAULT=crash|hang:ID:ROUND,
   * ROUND a round number or "case"): lets the gate's tests see a worker
   * die or stop answering in the middle of a case. */
  char fault_kind[8];
  int fault_id, fault_round;  /* round -1: during the case request */
} worker;

static void usage(void) {
  printf("usage: subquad worker [--device D] [--mode cold|hot] [--warmup N] [--timeout S] [--seed N] [--no-tuned]\n"
         "                      [--keep-mib N]  (device memory cases stay set up in between rounds: 1024)\n"
         "  reads one request a line on stdin, answers one line each on stdout:\n"
         "    hello                          -> hello subquad-worker %d DEVICE_ID DEVICE_NAME\n"
         "    case ID KERNEL causal|noncausal DTYPE SHAPE PARAMS|- [suite=S] [workload=W]\n"
         "                                   -> case ID ok ERR PARAMS | case ID skipped|failed REASON\n"
         "    describe ID KERNEL FORM DTYPE SHAPE PARAMS|-  (the row, not run) -> describe ID ok\n"
         "    mark ID failed|skipped REASON  -> mark ID ok\n"
         "    round ID N                     -> round ID ok MS... | round ID failed REASON\n"
         "    samples ID MS...               (append a round measured elsewhere) -> samples ID ok N\n"
         "    meta KEY VALUE                 -> meta ok\n"
         "    save FILE.csv                  -> save ok NROWS\n"
         "    quit                           -> bye\n"
         "  anything else                    -> error DETAIL (and the worker goes on)\n",
         SQ_WORKER_PROTOCOL);
}

/* One reply line, escaped so no detail can break the framing. */
static void reply(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(worker *w, const char *fmt, ...) {
  static char raw[SQ_DETAIL_MAX], line[SQ_DETAIL_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  sq_escape_line(raw, line, sizeof line);
  fprintf(w->out, "%s\n", line);
  fflush(w->out);
}

static worker_case *find_case(worker *w, int id) {
  for (int i = 0; i < w->n; i++)
    if (w->v[i].id == id) return &w->v[i];
  return NULL;
}

static int parse_id(const char *s, int *id) {
  long long v;
  if (!s) return sq_fail(SQ_EINVAL, "missing case ID");
  if (sq_parse_i64(s, "ID", 1, 1000000000, &v)) return SQ_EINVAL;
  *id = (int)v;
  return 0;
}

/* Applies "N=V;N=V" (or "-": none) over the tuned or default parameters. */
static int apply_params(worker *w, sq_case *c, const char *params) {
  sq_kernel_default_params(c->kernel, c->params);
  snprintf(c->config_source, sizeof c->config_source, "default");
  if (w->tuned && sq_tunedb_lookup(&w->dev->info, c->kernel, &c->prob, c->params, c->config_source,
                                   sizeof c->config_source)) {
    sq_kernel_default_params(c->kernel, c->params);
    snprintf(c->config_source, sizeof c->config_source, "default");
    sq_clear_error();
  }
  if (!strcmp(params, "-")) return 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", params);
  char *save = NULL;
  for (char *a = strtok_r(buf, ";", &save); a; a = strtok_r(NULL, ";", &save)) {
    int rc = sq_params_parse(c->kernel, a, c->params);
    if (rc) return rc;
  }
  snprintf(c->config_source, sizeof c->config_source, "cli");
  return 0;
}

/* Parses "ID KERNEL FORM DTYPE SHAPE PARAMS" from the tokens into a new
 * case entry (or the existing one of that ID: a case given again starts
 * over). */
static int parse_case(worker *w, char **tok, int ntok, worker_case **out) {
  int id = 0, causal, rc;
  sq_dtype dtype;
  if (ntok < 6) return sq_fail(SQ_EINVAL, "needs ID KERNEL causal|noncausal DTYPE SHAPE PARAMS|-");
  if ((rc = parse_id(tok[0], &id))) return rc;
  const sq_kernel *k = sq_kernel_find(tok[1]);
  if (!k) return sq_fail(SQ_ENOTFOUND, "unknown kernel '%s'", tok[1]);
  if (!strcmp(tok[2], "causal")) causal = 1;
  else if (!strcmp(tok[2], "noncausal")) causal = 0;
  else return sq_fail(SQ_EINVAL, "form '%s' is not causal or noncausal", tok[2]);
  if ((rc = sq_dtype_parse(tok[3], &dtype))) return rc;
  sq_case c;
  memset(&c, 0, sizeof c);
  c.kernel = k;
  if ((rc = sq_problem_parse(k, tok[4], causal, dtype, &c.prob))) return rc;
  if ((rc = apply_params(w, &c, tok[5]))) return rc;
  worker_case *e = find_case(w, id);
  if (!e) {
    if (w->n == w->cap) {
      int cap = w->cap ? 2 * w->cap : 32;
      worker_case *v = realloc(w->v, sizeof *v * (size_t)cap);
      if (!v) return sq_fail(SQ_ENOMEM, "no memory for another case");
      w->v = v, w->cap = cap;
    }
    e = &w->v[w->n++];
    memset(e, 0, sizeof *e);
    sq_result_init(&e->r);
  }
  /* A case given again starts over: what was kept belongs to the old one. */
  sq_case_unkeep(e->kept);
  e->kept = NULL;
  sq_result_free(&e->r);
  sq_result_init(&e->r);
  e->id = id;
  e->c = c;
  *out = e;
  return 0;
}

static void fault(worker *w, int id, int round, const char *kind) {
  if (strcmp(w->fault_kind, kind) || w->fault_id != id || w->fault_round != round) return;
  if (!strcmp(kind, "crash")) abort();
  for (;;) pause();
}

static void maybe_fault(worker *w, int id, int round) {
  fault(w, id, round, "crash");
  fault(w, id, round, "hang");
}

/* Optional "suite=S" and "workload=W" after the case's fields. */
static void case_labels(sq_result *r, char **tok, int ntok) {
  for (int i = 0; i < ntok; i++) {
    if (!strncmp(tok[i], "suite=", 6)) snprintf(r->suite, sizeof r->suite, "%s", tok[i] + 6);
    else if (!strncmp(tok[i], "workload=", 9)) snprintf(r->workload, sizeof r->workload, "%s", tok[i] + 9);
  }
}

/* `case`: plans, builds and verifies the case (no timing yet). A case the
 * planner rules out is a skipped row; one that only runs slice by slice is
 * skipped too: its samples are seconds of many launches, not rounds. */
static void req_case(worker *w, char **tok, int ntok) {
  worker_case *e;
  if (parse_case(w, tok, ntok, &e)) {
    reply(w, "error case: %s", sq_last_error());
    return;
  }
  maybe_fault(w, e->id, -1);
  /* A suite's cases are planned under that suite's time limit, as run does. */
  char suite[32] = "";
  for (int i = 6; i < ntok; i++)
    if (!strncmp(tok[i], "suite=", 6)) snprintf(suite, sizeof suite, "%s", tok[i] + 6);
  sq_prediction pr;
  int planned = !sq_predict_opts(w->dev, &e->c, &w->opts, sq_case_time_limit(suite[0] ? suite : NULL, -1), &pr);
  sq_clear_error();
  if (planned && (!pr.feasible || pr.sliced)) {
    sq_case_describe(w->dev, &e->c, &e->r);
    snprintf(e->r.mode, sizeof e->r.mode, "%s", sq_mode_name(w->opts.measure.mode));
    e->r.status = SQ_STATUS_SKIPPED;
    snprintf(e->r.reason, sizeof e->r.reason, "%s", pr.sliced ? "sliced case: not measured in rounds" : pr.why);
  } else {
    sq_run_opts o = w->opts;
    o.verify_only = 1;
    if (sq_case_run(w->dev, &e->c, &o, &e->r, NULL)) {
      reply(w, "error case %d: %s", e->id, sq_last_error());
      return;
    }
  }
  e->r.id = e->id;
  case_labels(&e->r, tok + 6, ntok - 6);
  if (e->r.status == SQ_STATUS_OK)
    reply(w, "case %d ok %.3g %s", e->id, e->r.max_rel_err, e->r.params[0] ? e->r.params : "-");
  else
    reply(w, "case %d %s %s", e->id, sq_status_name(e->r.status), e->r.reason);
}

/* `describe`: the row of a case without running it, for a case whose
 * worker died on it (the gate then marks it failed). */
static void req_describe(worker *w, char **tok, int ntok) {
  worker_case *e;
  if (parse_case(w, tok, ntok, &e)) {
    reply(w, "error describe: %s", sq_last_error());
    return;
  }
  sq_case_describe(w->dev, &e->c, &e->r);
  snprintf(e->r.mode, sizeof e->r.mode, "%s", sq_mode_name(w->opts.measure.mode));
  e->r.id = e->id;
  case_labels(&e->r, tok + 6, ntok - 6);
  reply(w, "describe %d ok", e->id);
}

static void req_mark(worker *w, char **tok, int ntok, const char *rest) {
  int id = 0;
  worker_case *e;
  sq_status st;
  if (ntok < 3 || parse_id(tok[0], &id)) {
    reply(w, "error mark: needs ID failed|skipped REASON");
    return;
  }
  if (!(e = find_case(w, id))) {
    reply(w, "error mark: no case %d", id);
    return;
  }
  if (sq_status_parse(tok[1], &st) || st == SQ_STATUS_OK) {
    reply(w, "error mark: '%s' is not failed or skipped", tok[1]);
    return;
  }
  e->r.status = st;
  snprintf(e->r.reason, sizeof e->r.reason, "%s", rest);
  reply(w, "mark %d ok", id);
}

/* A known, verified case for `round` and `samples`; replies the error. */
static worker_case *ok_case(worker *w, const char *req, const char *idtext) {
  int id = 0;
  worker_case *e;
  if (parse_id(idtext, &id)) {
    reply(w, "error %s: %s", req, sq_last_error());
    return NULL;
  }
  if (!(e = find_case(w, id))) {
    reply(w, "error %s: no case %d (send case first)", req, id);
    return NULL;
  }
  if (e->r.status != SQ_STATUS_OK) {
    reply(w, "%s %d %s %s", req, id, sq_status_name(e->r.status), e->r.reason);
    return NULL;
  }
  return e;
}

/* The last round's samples of a row, as the reply's numbers. */
static void reply_round(worker *w, const worker_case *e, int from) {
  size_t cap = 32 + (size_t)(e->r.nsamples - from) * 24, len;
  char *buf = malloc(cap);
  if (!buf) {
    reply(w, "error round: out of memory");
    return;
  }
  len = (size_t)snprintf(buf, cap, "round %d ok", e->id);
  for (int i = from; i < e->r.nsamples; i++) len += (size_t)snprintf(buf + len, cap - len, " %.9g", e->r.samples[i]);
  fprintf(w->out, "%s\n", buf);
  fflush(w->out);
  free(buf);
}

static int rounds_of(const sq_result *r) {
  return r->nsamples ? sq_result_round(r, r->nsamples - 1) + 1 : 0;
}

/* Keeps case e set up between rounds when it fits the --keep budget,
 * dropping the least recently measured kept cases to make room. A case that
 * cannot be kept is set up afresh each round (same inputs, same program). */
static void keep(worker *w, worker_case *e) {
  if (e->kept || w->keep_bytes <= 0) return;
  sq_case_state *s;
  if (sq_case_keep(w->dev, &e->c, &w->opts, &s) || !s) {
    sq_clear_error();
    return;
  }
  double need = sq_case_kept_bytes(s), held = 0;
  for (int i = 0; i < w->n; i++) held += sq_case_kept_bytes(w->v[i].kept);
  while (held + need > w->keep_bytes) {
    worker_case *old = NULL;
    for (int i = 0; i < w->n; i++)
      if (w->v[i].kept && (!old || w->v[i].used < old->used)) old = &w->v[i];
    if (!old) break;
    held -= sq_case_kept_bytes(old->kept);
    sq_case_unkeep(old->kept);
    old->kept = NULL;
  }
  if (held + need <= w->keep_bytes) e->kept = s;
  else sq_case_unkeep(s);
}

static void req_round(worker *w, char **tok, int ntok) {
  long long n;
  if (ntok != 2) {
    reply(w, "error round: needs ID N");
    return;
  }
  if (sq_parse_i64(tok[1], "round: N", 1, MAX_ROUND_SAMPLES, &n)) {
    reply(w, "error %s", sq_last_error());
    return;
  }
  worker_case *e = ok_case(w, "round", tok[0]);
  if (!e) return;
  maybe_fault(w, e->id, rounds_of(&e->r));
  int from = e->r.nsamples;
  keep(w, e);
  e->used = ++w->clock;
  int rc = e->kept ? sq_case_kept_round(e->kept, &w->opts, &e->r, (int)n)
                   : sq_case_sample_round(w->dev, &e->c, &w->opts, &e->r, (int)n);
  if (rc) {
    reply(w, "error round %d: %s", e->id, sq_last_error());
    return;
  }
  if (e->r.status != SQ_STATUS_OK) reply(w, "round %d %s %s", e->id, sq_status_name(e->r.status), e->r.reason);
  else reply_round(w, e, from);
}

/* `samples`: a round measured by an earlier worker of this side, given
 * back after a restart so the saved row holds every round. */
static void req_samples(worker *w, char **tok, int ntok) {
  if (ntok < 2) {
    reply(w, "error samples: needs ID MS...");
    return;
  }
  worker_case *e = ok_case(w, "samples", tok[0]);
  if (!e) return;
  int n = ntok - 1, round = rounds_of(&e->r), total = e->r.nsamples + n;
  double *v = malloc(sizeof *v * (size_t)n);
  for (int i = 0; v && i < n; i++)
    if (sq_parse_f64(tok[i + 1], "samples: MS", 0, 1e12, &v[i])) {
      reply(w, "error %s", sq_last_error());
      free(v);
      return;
    }
  double *s = v ? realloc(e->r.samples, sizeof *s * (size_t)total) : NULL;
  if (s) e->r.samples = s;
  int *rd = s ? realloc(e->r.sample_round, sizeof *rd * (size_t)total) : NULL;
  if (!rd) {
    free(v);
    reply(w, "error samples: out of memory");
    return;
  }
  if (!e->r.sample_round) memset(rd, 0, sizeof *rd * (size_t)e->r.nsamples);
  e->r.sample_round = rd;
  for (int i = 0; i < n; i++) {
    e->r.samples[e->r.nsamples + i] = v[i];
    rd[e->r.nsamples + i] = round;
  }
  e->r.nsamples = total;
  sq_stats_compute(e->r.samples, e->r.nsamples, &e->r.stats);
  sq_case_fill_metrics(w->dev, &e->c, &e->r);
  free(v);
  reply(w, "samples %d ok %d", e->id, n);
}

static void device_meta(worker *w, sq_meta *m) {
  char buf[512];
  sq_device *dev = w->dev;
  sq_meta_set(m, "device", dev->id);
  sq_meta_set(m, "device_name", dev->info.name);
  sq_meta_set(m, "device_vendor", dev->info.vendor);
  sq_meta_set(m, "driver", dev->info.driver);
  sq_meta_set(m, "arch", dev->info.arch);
  sq_meta_set(m, "platform", dev->info.platform);
  const sq_measure_opts *mo = &w->opts.measure;
  snprintf(buf, sizeof buf, "mode=%s warmup=%d timeout_s=%g rounds=gate", sq_mode_name(mo->mode), mo->warmup,
           mo->timeout_s);
  sq_meta_set(m, "measure", buf);
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)w->opts.seed);
  sq_meta_set(m, "seed", buf);
}

static int by_id(const void *a, const void *b) {
  const worker_case *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* `save`: every row, in ID order, as a `run` result file. */
static void req_save(worker *w, char **tok, int ntok) {
  if (ntok != 1) {
    reply(w, "error save: needs one FILE.csv");
    return;
  }
  sq_meta m = {0};
  sq_meta_standard(&m, sq_argc, sq_argv);
  device_meta(w, &m);
  for (int i = 0; i < w->extra.n; i++) sq_meta_set(&m, w->extra.key[i], w->extra.value[i]);
  qsort(w->v, (size_t)w->n, sizeof *w->v, by_id);
  sq_results_writer *out;
  int rc = sq_results_open(tok[0], &m, &out);
  for (int i = 0; !rc && i < w->n; i++)
    if ((rc = sq_results_write(out, &w->v[i].r))) sq_results_abort(out);
  if (!rc) rc = sq_results_close(out);
  if (rc) reply(w, "error save: %s", sq_last_error());
  else reply(w, "save ok %d", w->n);
}

static void req_meta(worker *w, char **tok, int ntok, const char *rest) {
  if (ntok < 2 || strlen(tok[0]) >= sizeof w->extra.key[0]) {
    reply(w, "error meta: needs KEY (under 32 characters) VALUE");
    return;
  }
  if (w->extra.n == SQ_META_MAX && !sq_meta_get(&w->extra, tok[0])) {
    reply(w, "error meta: more than %d keys", SQ_META_MAX);
    return;
  }
  sq_meta_set(&w->extra, tok[0], rest);
  reply(w, "meta ok");
}

/* The text after the first `skip` whitespace-separated words of s. */
static const char *after_words(const char *s, int skip) {
  for (int i = 0; i < skip; i++) {
    s += strspn(s, " \t");
    s += strcspn(s, " \t");
  }
  return s + strspn(s, " \t");
}

#define MAX_TOKENS (MAX_ROUND_SAMPLES + 8)

/* Handles one request line; returns 1 when the worker is to stop. */
static int handle(worker *w, char *line) {
  static char *tok[MAX_TOKENS];
  char copy[MAX_REQUEST];
  snprintf(copy, sizeof copy, "%s", line);
  int ntok = 0;
  char *save = NULL;
  for (char *t = strtok_r(line, " \t\r", &save); t && ntok < MAX_TOKENS; t = strtok_r(NULL, " \t\r", &save))
    tok[ntok++] = t;
  if (!ntok) {
    reply(w, "error empty request");
    return 0;
  }
  const char *req = tok[0];
  char **args = tok + 1;
  int nargs = ntok - 1;
  if (!strcmp(req, "quit")) {
    reply(w, "bye");
    return 1;
  }
  if (!strcmp(req, "hello")) reply(w, "hello subquad-worker %d %s %s", SQ_WORKER_PROTOCOL, w->dev->id, w->dev->info.name);
  else if (!strcmp(req, "case")) req_case(w, args, nargs);
  else if (!strcmp(req, "describe")) req_describe(w, args, nargs);
  else if (!strcmp(req, "mark")) req_mark(w, args, nargs, after_words(copy, 3));
  else if (!strcmp(req, "round")) req_round(w, args, nargs);
  else if (!strcmp(req, "samples")) req_samples(w, args, nargs);
  else if (!strcmp(req, "meta")) req_meta(w, args, nargs, after_words(copy, 2));
  else if (!strcmp(req, "save")) req_save(w, args, nargs);
  else reply(w, "error unknown request '%s' (hello, case, describe, mark, round, samples, meta, save, quit)", req);
  return 0;
}

/* Reads requests until quit or EOF. A line over MAX_REQUEST is refused
 * whole (the rest of it is read and dropped), never cut into two requests. */
static void serve(worker *w) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while ((len = getline(&line, &cap, stdin)) > 0) {
    if (line[len - 1] == '\n') line[--len] = 0;
    if (len >= MAX_REQUEST - 1) {
      reply(w, "error request longer than %d bytes", MAX_REQUEST - 1);
      continue;
    }
    if (handle(w, line)) break;
  }
  free(line);
}

enum { O_MODE = 256, O_WARMUP, O_TIMEOUT, O_SEED, O_NOTUNED, O_KEEP };

static int parse_args(int argc, char **argv, worker *w) {
  static const struct option opts[] = {{"device", 1, 0, 'd'},          {"mode", 1, 0, O_MODE},
                                       {"warmup", 1, 0, O_WARMUP},     {"timeout", 1, 0, O_TIMEOUT},
                                       {"seed", 1, 0, O_SEED},         {"no-tuned", 0, 0, O_NOTUNED},
                                       {"keep-mib", 1, 0, O_KEEP},
                                       {"help", 0, 0, 'h'},            {0, 0, 0, 0}};
  long long iv;
  double dv;
  int c, rc = 0;
  opterr = 0;
  optind = 1;
  while (!rc && (c = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': w->device_name = optarg; break;
    case 'h': usage(); exit(0);
    case O_MODE: rc = sq_mode_parse(optarg, &w->opts.measure.mode); break;
    case O_WARMUP: if (!(rc = sq_parse_i64(optarg, "--warmup", 0, 1000, &iv))) w->opts.measure.warmup = (int)iv; break;
    case O_TIMEOUT: if (!(rc = sq_parse_duration(optarg, "--timeout", &dv))) w->opts.measure.timeout_s = dv; break;
    case O_SEED: if (!(rc = sq_parse_i64(optarg, "--seed", 0, 9223372036854775807LL, &iv))) w->opts.seed = (uint64_t)iv; break;
    case O_NOTUNED: w->tuned = 0; break;
    case O_KEEP: if (!(rc = sq_parse_i64(optarg, "--keep-mib", 0, 1 << 24, &iv))) w->keep_bytes = (double)iv * 1048576; break;
    case ':': rc = sq_fail(SQ_EINVAL, "%s needs a value", argv[optind - 1]); break;
    default: rc = sq_fail(SQ_EINVAL, "unknown option '%s' (see subquad worker --help)", argv[optind - 1]);
    }
  }
  if (!rc && optind < argc) rc = sq_fail(SQ_EINVAL, "unexpected argument '%s'", argv[optind]);
  return rc;
}

static int parse_fault(worker *w) {
  const char *f = getenv("SUBQUAD_WORKER_FAULT");
  char round[16];
  if (!f || !*f) return 0;
  if (sscanf(f, "%7[a-z]:%d:%15s", w->fault_kind, &w->fault_id, round) != 3 ||
      (strcmp(w->fault_kind, "crash") && strcmp(w->fault_kind, "hang")))
    return sq_fail(SQ_EINVAL, "SUBQUAD_WORKER_FAULT: '%s' is not crash|hang:ID:ROUND|case", f);
  w->fault_round = !strcmp(round, "case") ? -1 : atoi(round);
  return 0;
}

int sq_cmd_worker(int argc, char **argv) {
  worker w = {.tuned = 1, .keep_bytes = 1024.0 * 1048576};
  sq_run_defaults(&w.opts);
  if (parse_args(argc, argv, &w) || parse_fault(&w)) return sq_usage_error("worker", "%s", sq_last_error());
  /* The protocol gets the original stdout; anything else printed there
   * (a driver's chatter) goes to stderr instead of into a reply. */
  int fd = dup(STDOUT_FILENO);
  if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || !(w.out = fdopen(fd, "w")))
    return sq_usage_error("worker", "cannot set up the protocol's stdout");
  signal(SIGPIPE, SIG_IGN);
  if (sq_device_open(w.device_name, &w.dev)) {
    /* The gate reads this as the worker's first reply. */
    reply(&w, "error device: %s", sq_last_error());
    fclose(w.out);
    return 1;
  }
  serve(&w);
  for (int i = 0; i < w.n; i++) {
    sq_case_unkeep(w.v[i].kept);
    sq_result_free(&w.v[i].r);
  }
  free(w.v);
  sq_run_release_programs(w.dev);
  sq_device_close(w.dev);
  fclose(w.out);
  return 0;
}
