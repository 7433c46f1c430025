/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad seqpar`: the sequence-parallel benchmark. T tokens are split
 * over the P ranks of an MPI launch; each rank runs a causal chunked kernel
 * with state in/out over its slice, the states are combined by an
 * all-gather, ZeCO's All-Scan or a ring, and each slice is run again from
 * its incoming state (harness/seqpar.h). Correctness first: one device runs
 * the whole sequence and is verified against the reference, then each
 * method's P-rank output is compared with it on sampled rows; a method
 * that differs is reported failed and never timed. Rank 0 prints, per
 * method and rank, compute, communication and idle time, and in total the
 * time against the single device; -o writes them as CSV, --plot the weak-
 * and strong-scaling figures. */
#define _GNU_SOURCE
#include <getopt.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "base/csv.h"
#include "base/error.h"
#include "base/files.h"
#include "commands/commands.h"
#include "harness/fleet.h"
#include "harness/fleet_scan.h"
#include "harness/seqpar.h"
#include "harness/verify.h"
#include "kernels/gated_attn.h"
#include "reports/report.h"
#include "results/result.h"

#define SAMPLE_EXTRA 64     /* evenly spread rows checked besides the boundaries */

typedef struct sp_cli {
  const char *kernel, *shape, *device, *out, *plot;
  long long T;
  int methods[SQ_SCAN_NMETHODS], nmethods;
  int blocks, repeat, quiet;
  int rerun;               /* ranks > 0 run their slice again instead of the fix-up */
  int weak, strong;
  sq_dtype dtype;
  uint64_t seed;
} sp_cli;

/* One result line: a rank's part of one run, or the single device. */
typedef struct sp_row {
  const char *scaling;     /* "main", "weak", "strong" */
  int P;                   /* ranks; 0 for the single device */
  int64_t T, tokens;
  int method;              /* -1: the single device */
  int rank;
  sq_seqpar_times t;
  double total_ms, single_ms;
  int verified;            /* 1 yes, 0 no (failed), -1 not checked */
  double err;
} sp_row;

typedef struct sp_rows {
  sp_row *v;
  int n, cap;
} sp_rows;

static int rows_add(sp_rows *r, const sp_row *x) {
  if (r->n == r->cap) {
    int cap = r->cap ? 2 * r->cap : 64;
    sp_row *v = realloc(r->v, sizeof *v * (size_t)cap);
    if (!v) return sq_fail(SQ_ENOMEM, "no memory for the rows");
    r->v = v;
    r->cap = cap;
  }
  r->v[r->n++] = *x;
  return 0;
}

static void usage(void) {
  printf(
    "usage: subquad seqpar --kernel K --T N [options]   (under mpirun -np P for P ranks)\n"
    "  --kernel K           a kernel with state in/out: linear_attn.decay.* or linear_attn.gla.*\n"
    "                       (plain linear_attn has no state interface); one of:");
  for (int i = 0; i < sq_nkernels; i++)
    if (sq_seqpar_supported(sq_kernels[i])) printf(" %s", sq_kernels[i]->name);
  printf(
    "\n  --T N                tokens of the whole sequence, split over the ranks (any N >= P)\n"
    "  --shape SPEC         the other keys: B, H, D, DV (default B=1,H=1,D=64)\n"
    "  --methods LIST       state combines, comma-separated: allgather, allscan, ring\n"
    "                       (default all three)\n"
    "  --blocks N           All-Scan: the state is pipelined in N blocks of rows (16)\n"
    "  --scaling none|weak|strong|both\n"
    "                       also run P' = 1, 2, 4 .. P ranks (the first P'): weak keeps\n"
    "                       T/P tokens per rank, strong keeps T (default none)\n"
    "  --device D           a device for every rank, or one per node-local rank\n"
    "                       (D0,D1,..); default: the local rank's GPU, else opencl:0\n"
    "  --dtype f32|f16|bf16 storage dtype (f32 accumulation); default f32\n"
    "  --seed N             input seed (42)\n"
    "  --repeat N           timed runs per method; the run of median total is shown (3)\n"
    "  --rerun              ranks after the first run their slice again from the incoming\n"
    "                       state instead of the fix-up kernel (o += scale (q*w)^T S_in)\n"
    "  -o FILE.csv          one row per (P', method, rank) and the single device\n"
    "  --plot DIR           weak- and strong-scaling figures (gnuplot data, scripts, and\n"
    "                       PNG/SVG when gnuplot is installed)\n"
    "  -q, --quiet          no progress on stderr\n");
}

enum { O_T = 256, O_METHODS, O_BLOCKS, O_SCALING, O_DTYPE, O_SEED, O_REPEAT, O_PLOT, O_RERUN };

static int parse_methods(const char *s, sp_cli *a) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  a->nmethods = 0;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    sq_scan_method m;
    if (sq_scan_method_parse(tok, &m)) return sq_fail(SQ_EINVAL, "--methods: %s", sq_last_error());
    for (int i = 0; i < a->nmethods; i++)
      if (a->methods[i] == (int)m) return sq_fail(SQ_EINVAL, "--methods: '%s' given twice", tok);
    a->methods[a->nmethods++] = (int)m;
  }
  if (!a->nmethods) return sq_fail(SQ_EINVAL, "--methods: no method given");
  return 0;
}

static int parse_args(int argc, char **argv, sp_cli *a) {
  static const struct option opts[] = {
    {"kernel", 1, 0, 'k'}, {"shape", 1, 0, 's'}, {"T", 1, 0, O_T}, {"methods", 1, 0, O_METHODS},
    {"blocks", 1, 0, O_BLOCKS}, {"scaling", 1, 0, O_SCALING}, {"device", 1, 0, 'd'}, {"dtype", 1, 0, O_DTYPE},
    {"seed", 1, 0, O_SEED}, {"repeat", 1, 0, O_REPEAT}, {"plot", 1, 0, O_PLOT}, {"rerun", 0, 0, O_RERUN}, {"output", 1, 0, 'o'},
    {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  long long iv;
  int c, rc = 0;
  opterr = 0;
  optind = 1;
  while (!rc && (c = getopt_long(argc, argv, ":k:s:d:o:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'k': a->kernel = optarg; break;
    case 's': a->shape = optarg; break;
    case 'd': a->device = optarg; break;
    case 'o': a->out = optarg; break;
    case 'q': a->quiet = 1; break;
    case 'h': usage(); exit(0);
    case O_T: rc = sq_parse_i64(optarg, "--T", 1, 2147483647LL, &a->T); break;
    case O_METHODS: rc = parse_methods(optarg, a); break;
    case O_BLOCKS: if (!(rc = sq_parse_i64(optarg, "--blocks", 1, 32767, &iv))) a->blocks = (int)iv; break;
    case O_SCALING:
      if (!strcmp(optarg, "none")) a->weak = a->strong = 0;
      else if (!strcmp(optarg, "weak")) a->weak = 1, a->strong = 0;
      else if (!strcmp(optarg, "strong")) a->weak = 0, a->strong = 1;
      else if (!strcmp(optarg, "both")) a->weak = a->strong = 1;
      else rc = sq_fail(SQ_EINVAL, "--scaling: '%s' is not none, weak, strong or both", optarg);
      break;
    case O_DTYPE: rc = sq_dtype_parse(optarg, &a->dtype); break;
    case O_SEED: if (!(rc = sq_parse_i64(optarg, "--seed", 0, 9223372036854775807LL, &iv))) a->seed = (uint64_t)iv; break;
    case O_REPEAT: if (!(rc = sq_parse_i64(optarg, "--repeat", 1, 1000, &iv))) a->repeat = (int)iv; break;
    case O_PLOT: a->plot = optarg; break;
    case O_RERUN: a->rerun = 1; break;
    case ':': rc = sq_fail(SQ_EINVAL, "%s needs a value", argv[optind - 1]); break;
    default: rc = sq_fail(SQ_EINVAL, "unknown option '%s' (see subquad seqpar --help)", argv[optind - 1]);
    }
  }
  if (rc) return rc;
  if (optind < argc) return sq_fail(SQ_EINVAL, "unexpected argument '%s'", argv[optind]);
  if (!a->kernel) return sq_fail(SQ_EINVAL, "--kernel is required (see subquad seqpar --help)");
  if (!a->T) return sq_fail(SQ_EINVAL, "--T is required: the tokens of the whole sequence");
  return 0;
}

/* Whether the comma-separated keys of spec hold `key` ("T=..."). */
static int has_key(const char *spec, const char *key) {
  size_t n = strlen(key);
  for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
    while (*p == ' ') p++;
    if (!strncmp(p, key, n) && (p[n] == '=' || p[n] == ',' || !p[n])) return 1;
  }
  return 0;
}

/* The whole sequence's case: causal, no state, the kernel's defaults. */
static int build_case(const sp_cli *a, sq_case *c) {
  memset(c, 0, sizeof *c);
  c->kernel = sq_kernel_find(a->kernel);
  if (!c->kernel) return sq_fail(SQ_EINVAL, "--kernel: unknown kernel '%s' (see subquad seqpar --help)", a->kernel);
  if (!sq_seqpar_supported(c->kernel))
    return sq_fail(SQ_EINVAL, "--kernel: %s has no state in/out (seqpar runs linear_attn.decay.* and linear_attn.gla.*)",
                   a->kernel);
  const char *shape = a->shape ? a->shape : "B=1,H=1,D=64";
  if (has_key(shape, "T")) return sq_fail(SQ_EINVAL, "--shape: give the tokens with --T, not T=");
  if (has_key(shape, "state")) return sq_fail(SQ_EINVAL, "--shape: state is seqpar's own (the slices pass it)");
  char *spec = sq_strf("%s,T=%lld", shape, a->T);
  if (!spec) return SQ_ENOMEM;
  int rc = sq_problem_parse(c->kernel, spec, 1, a->dtype, &c->prob);
  free(spec);
  if (rc) return sq_fail(rc, "--shape: %s", sq_last_error());
  sq_kernel_default_params(c->kernel, c->params);
  snprintf(c->config_source, sizeof c->config_source, "default");
  char why[256];
  if (c->kernel->check(&c->prob, c->params, c->kernel->nparams, why, sizeof why))
    return sq_fail(SQ_EINVAL, "%s: %s", c->kernel->name, why);
  return 0;
}

/* Everyone's verdict on a step: 1 when some rank failed (its detail on its
 * own stderr). */
static int any_failed(sq_scan_group *world, int failed) {
  int n = sq_scan_group_size(world);
  int *all = calloc((size_t)n, sizeof *all);
  if (!all || sq_scan_allgather(world, &failed, sizeof failed, all)) {
    free(all);
    return 1;
  }
  int any = 0;
  for (int i = 0; i < n; i++) any |= all[i];
  free(all);
  return any;
}

/* ---- the single device --------------------------------------------------- */

typedef struct sample_set {
  const int64_t *rows;
  int64_t n, bh, T, DV;
  float *vals;             /* n x bh x DV */
} sample_set;

static void keep_rows(const sq_problem *p, int t, const float *v, int64_t n, void *ctx) {
  sample_set *s = ctx;
  (void)n;
  if (t != sq_ga_slots_of(p).o) return;
  for (int64_t i = 0; i < s->n; i++)
    for (int64_t b = 0; b < s->bh; b++)
      memcpy(s->vals + (i * s->bh + b) * s->DV, v + (b * s->T + s->rows[i]) * s->DV, sizeof(float) * (size_t)s->DV);
}

/* Rank 0: the whole sequence on its device, verified against the
 * reference, timed; its output at the sampled rows kept. */
static int single_device(const sp_cli *a, sq_device *dev, const sq_case *c, sample_set *ss, sq_result *r) {
  sq_run_opts o;
  sq_run_defaults(&o);
  o.seed = a->seed;
  o.measure.mode = SQ_MODE_HOT;
  o.measure.warmup = 0;
  o.measure.min_samples = o.measure.max_samples = a->repeat;
  o.measure.min_time_s = 0;
  o.measure.timeout_s = 1e9;
  o.output = keep_rows;
  o.output_ctx = ss;
  return sq_case_run(dev, c, &o, r, NULL);
}

/* ---- P ranks -------------------------------------------------------------- */

typedef struct sp_ctx {
  const sp_cli *a;
  sq_fleet *f;
  sq_scan_group *world;
  sq_device *dev;
  const sq_case *c;
  sp_rows rows;            /* rank 0 */
} sp_ctx;

static int cmp_dbl(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

/* `repeat` timed runs of method m on group g (NULL on ranks outside it);
 * the run of median total goes to rank 0 as rows. Collective over the
 * world (ranks outside g contribute nothing). */
static int time_method(sp_ctx *x, sq_scan_group *g, sq_seqpar_slice *s, int m, int P, int64_t T,
                       const char *scaling, double single_ms, int verified, double err) {
  int W = sq_scan_group_size(x->world), R = x->a->repeat;
  sq_seqpar_times *mine = calloc((size_t)R, sizeof *mine), *all = calloc((size_t)R * (size_t)W, sizeof *all);
  int failed = !mine || !all;
  for (int i = 0; !failed && g && i < R; i++)
    if (sq_seqpar_run(g, s, (sq_scan_method)m, x->a->blocks, &mine[i])) {
      fprintf(stderr, "subquad seqpar: rank %d: %s: %s\n", x->f->rank, sq_scan_method_name(m), sq_last_error());
      failed = 1;
    }
  if (any_failed(x->world, failed)) {
    free(mine);
    free(all);
    return SQ_EIO;
  }
  int rc = sq_scan_allgather(x->world, mine, sizeof *mine * (size_t)R, all);
  if (!rc && x->f->rank == 0) {
    double *tot = malloc(sizeof(double) * (size_t)R), *sorted = malloc(sizeof(double) * (size_t)R);
    if (!tot || !sorted) rc = sq_fail(SQ_ENOMEM, "no memory");
    for (int i = 0; !rc && i < R; i++) {
      tot[i] = 0;
      for (int k = 0; k < P; k++) tot[i] = fmax(tot[i], all[k * R + i].wall_ms);
      sorted[i] = tot[i];
    }
    if (!rc) {
      qsort(sorted, (size_t)R, sizeof *sorted, cmp_dbl);
      int med = 0;
      while (tot[med] != sorted[(R - 1) / 2]) med++;
      for (int k = 0; !rc && k < P; k++) {
        int64_t t0, t1;
        sq_seqpar_split(T, P, k, &t0, &t1);
        sp_row row = {scaling, P, T, t1 - t0, m, k, all[k * R + med], tot[med], single_ms, verified, err};
        rc = rows_add(&x->rows, &row);
      }
    }
    free(tot);
    free(sorted);
  }
  free(mine);
  free(all);
  return rc;
}

/* The verification run of method m on the world: the output rows this rank
 * owns to rank 0, which compares them with the single device's. Returns
 * (everywhere) 1 when they agree, 0 when not, negative on a failure. */
static int verify_method(sp_ctx *x, sq_seqpar_slice *s, int m, const sample_set *ref, int64_t t0, int64_t t1,
                         double *err) {
  int P = sq_scan_group_size(x->world);
  int64_t per = ref->bh * ref->DV;
  size_t bytes = sizeof(float) * (size_t)(1 + ref->n * per);
  float *mine = malloc(bytes), *all = malloc(bytes * (size_t)P);
  int64_t *loc = malloc(sizeof(int64_t) * (size_t)(ref->n ? ref->n : 1));
  int failed = !mine || !all || !loc;
  sq_seqpar_times t;
  char why[300] = "";
  if (!failed && sq_seqpar_run(x->world, s, (sq_scan_method)m, x->a->blocks, &t)) {
    snprintf(why, sizeof why, "%s", sq_last_error());
    failed = 1;
  }
  float bad = 0;
  if (!failed) {
    int rc = sq_seqpar_slice_canaries(s, why, sizeof why);
    if (rc == SQ_EVERIFY) bad = 1;
    else if (rc) failed = 1;
  }
  if (!failed) {
    for (int64_t i = 0; i < 1 + ref->n * per; i++) mine[i] = NAN;
    mine[0] = bad;
    int64_t k = 0, first = 0;
    for (int64_t i = 0; i < ref->n; i++)
      if (ref->rows[i] >= t0 && ref->rows[i] < t1) {
        if (!k) first = i;
        loc[k++] = ref->rows[i] - t0;
      }
    if (k && sq_seqpar_slice_rows(s, loc, k, mine + 1 + first * per)) {
      snprintf(why, sizeof why, "%s", sq_last_error());
      failed = 1;
    }
  }
  if (failed) fprintf(stderr, "subquad seqpar: rank %d: %s: %s\n", x->f->rank, sq_scan_method_name(m), why);
  else if (bad) fprintf(stderr, "subquad seqpar: rank %d: %s: %s\n", x->f->rank, sq_scan_method_name(m), why);
  int verdict = -1;
  if (!any_failed(x->world, failed) && !sq_scan_allgather(x->world, mine, bytes, all)) {
    verdict = 1;
    *err = 0;
    if (x->f->rank == 0) {
      float *got = malloc(sizeof(float) * (size_t)(ref->n * per));
      if (!got) verdict = -1;
      for (int64_t i = 0; got && i < ref->n; i++) {
        int owner = 0;
        for (int r = 0; r < P; r++) {
          int64_t a0, a1;
          sq_seqpar_split(ref->T, P, r, &a0, &a1);
          if (ref->rows[i] >= a0 && ref->rows[i] < a1) owner = r;
        }
        memcpy(got + i * per, all + (size_t)owner * (bytes / sizeof(float)) + 1 + i * per, sizeof(float) * (size_t)per);
      }
      for (int r = 0; got && r < P; r++)
        if (all[(size_t)r * (bytes / sizeof(float))] != 0) verdict = 0;
      int badv = 0;
      if (got) *err = sq_seqpar_rel_err(got, ref->vals, ref->n * per, &badv);
      if (got && (badv || !(*err <= sq_tolerance(x->c->prob.dtype)))) verdict = 0;
      free(got);
    }
  }
  /* Rank 0's verdict to all. */
  int *v = calloc((size_t)P, sizeof *v);
  if (!v || sq_scan_allgather(x->world, &verdict, sizeof verdict, v)) verdict = -1;
  else verdict = v[0];
  free(v);
  free(mine);
  free(all);
  free(loc);
  return verdict;
}

/* P' = 1, 2, 4 .. P (and P). */
static int scaling_points(int P, int *pts) {
  int n = 0;
  for (int p = 1; p < P; p *= 2) pts[n++] = p;
  pts[n++] = P;
  return n;
}

/* A scaling series: for each P', the first P' ranks run every verified
 * method on T' tokens (weak: T/P per rank; strong: T). */
static int scaling_series(sp_ctx *x, const char *kind, const int *ok) {
  int P = x->f->size, pts[40];
  int npts = scaling_points(P, pts);
  for (int i = 0; i < npts; i++) {
    int Pp = pts[i];
    int64_t T = !strcmp(kind, "weak") ? x->a->T / P * Pp : x->a->T;
    if (x->f->rank == 0 && !x->a->quiet)
      fprintf(stderr, "seqpar %s scaling: P'=%d, T=%lld\n", kind, Pp, (long long)T);
    sq_scan_group *g = NULL;
    int rc = sq_scan_group_open(x->f, Pp, &g);
    sq_seqpar_slice *s = NULL;
    if (!rc && g) {
      int64_t t0, t1;
      sq_seqpar_split(T, Pp, sq_scan_group_rank(g), &t0, &t1);
      rc = sq_seqpar_slice_open(x->dev, x->c, x->a->seed, t0, t1, x->a->rerun, &s);
    }
    if (rc) fprintf(stderr, "subquad seqpar: rank %d: %s scaling P'=%d: %s\n", x->f->rank, kind, Pp, sq_last_error());
    if (any_failed(x->world, rc != 0)) {
      sq_seqpar_slice_close(s);
      sq_scan_group_close(g);
      return SQ_EIO;
    }
    for (int j = 0; !rc && j < x->a->nmethods; j++) {
      int m = x->a->methods[j];
      if (ok[m] != 1) continue;
      rc = time_method(x, g, s, m, Pp, T, kind, NAN, -1, NAN);
    }
    sq_seqpar_slice_close(s);
    sq_scan_group_close(g);
    if (rc) return rc;
  }
  return 0;
}

/* "N of M CPUs": the cores this rank may run on (mpirun binds a rank to a
 * core by default when the ranks are few), which on a CPU device such as
 * PoCL's is the rank's device. */
static void cpu_share(char *buf, size_t n) {
  cpu_set_t set;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (sched_getaffinity(0, sizeof set, &set)) snprintf(buf, n, "? of %ld CPUs", online);
  else snprintf(buf, n, "%d of %ld CPUs", CPU_COUNT(&set), online);
}

/* ---- output --------------------------------------------------------------- */

static const char *verified_text(int v) { return v == 1 ? "yes" : v == 0 ? "no" : "-"; }

static void print_table(const sp_cli *a, const sp_rows *rows, const char *transfer, const sq_result *single) {
  char cpus[64];
  cpu_share(cpus, sizeof cpus);
  printf("seqpar %s, T=%lld, %s, %s; rank 0 runs on %s\n", a->kernel, a->T, single->shape, transfer, cpus);
  printf("single device: %.3f ms (%s, err %.2g)\n", single->stats.median, single->verify, single->max_rel_err);
  printf("%-10s %4s %10s %12s %10s %10s %10s\n", "method", "rank", "tokens", "compute_ms", "comm_ms", "idle_ms",
         "wall_ms");
  for (int i = 0; i < rows->n; i++) {
    const sp_row *r = &rows->v[i];
    if (strcmp(r->scaling, "main") || r->method < 0) continue;
    if (r->verified != 1) {
      if (r->rank == 0) printf("%-10s  failed verification (err %.3g): not timed\n", sq_scan_method_name(r->method), r->err);
      continue;
    }
    printf("%-10s %4d %10lld %12.3f %10.3f %10.3f %10.3f\n", r->rank ? "" : sq_scan_method_name(r->method), r->rank,
           (long long)r->tokens, r->t.compute_ms, r->t.comm_ms, r->t.idle_ms, r->t.wall_ms);
    if (r->rank == r->P - 1)
      printf("%-10s total %.3f ms vs single device %.3f ms: speedup %.2fx, verified %s (err %.2g)\n", "",
             r->total_ms, r->single_ms, r->single_ms / r->total_ms, verified_text(r->verified), r->err);
  }
  for (const char *kind = "weak"; kind; kind = !strcmp(kind, "weak") ? "strong" : NULL) {
    int header = 0;
    for (int i = 0; i < rows->n; i++) {
      const sp_row *r = &rows->v[i];
      if (strcmp(r->scaling, kind) || r->rank) continue;
      if (!header++) printf("%s scaling:\n%-10s %4s %10s %12s\n", kind, "method", "P'", "T", "total_ms");
      printf("%-10s %4d %10lld %12.3f\n", sq_scan_method_name(r->method), r->P, (long long)r->T, r->total_ms);
    }
  }
}

static int write_csv(const sp_cli *a, const sp_rows *rows, sq_device *dev, int P, const char *transfer) {
  sq_atomic at;
  FILE *f = sq_atomic_open(&at, a->out);
  if (!f) return sq_fail(SQ_EIO, "-o %s: cannot write: %s", a->out, sq_atomic_reason(a->out));
  sq_meta m = {0};
  sq_meta_standard(&m, sq_argc, sq_argv);
  char buf[64];
  sq_meta_set(&m, "device", dev->id);
  sq_meta_set(&m, "device_name", dev->info.name);
  snprintf(buf, sizeof buf, "%d", P);
  sq_meta_set(&m, "P", buf);
  snprintf(buf, sizeof buf, "%lld", a->T);
  sq_meta_set(&m, "T", buf);
  sq_meta_set(&m, "kernel", a->kernel);
  sq_meta_set(&m, "transfer", transfer);
  char cpus[64];
  cpu_share(cpus, sizeof cpus);
  sq_meta_set(&m, "rank0_cpus", cpus);
  fprintf(f, "# subquad-seqpar 1\n");
  for (int i = 0; i < m.n; i++) fprintf(f, "# %s: %s\n", m.key[i], m.value[i]);
  static const char *const head[] = {"scaling", "P", "T", "method", "rank", "tokens", "compute_ms", "comm_ms",
                                     "idle_ms", "wall_ms", "total_ms", "single_ms", "speedup", "verified",
                                     "max_rel_err", "transfer", "blocks"};
  int rc = sq_csv_write_row(f, head, 17);
  for (int i = 0; !rc && i < rows->n; i++) {
    const sp_row *r = &rows->v[i];
    char v[17][48];
    snprintf(v[0], 48, "%s", r->scaling);
    snprintf(v[1], 48, "%d", r->P);
    snprintf(v[2], 48, "%lld", (long long)r->T);
    snprintf(v[3], 48, "%s", r->method < 0 ? "single" : sq_scan_method_name(r->method));
    snprintf(v[4], 48, "%d", r->rank);
    snprintf(v[5], 48, "%lld", (long long)r->tokens);
    snprintf(v[6], 48, "%.6g", r->t.compute_ms);
    snprintf(v[7], 48, "%.6g", r->t.comm_ms);
    snprintf(v[8], 48, "%.6g", r->t.idle_ms);
    snprintf(v[9], 48, "%.6g", r->t.wall_ms);
    snprintf(v[10], 48, "%.6g", r->total_ms);
    if (isnan(r->single_ms)) v[11][0] = v[12][0] = 0;
    else {
      snprintf(v[11], 48, "%.6g", r->single_ms);
      snprintf(v[12], 48, "%.4g", r->single_ms / r->total_ms);
    }
    snprintf(v[13], 48, "%s", verified_text(r->verified));
    if (isnan(r->err)) v[14][0] = 0;
    else snprintf(v[14], 48, "%.3g", r->err);
    snprintf(v[15], 48, "%s", r->method < 0 ? "" : transfer);
    if (r->method == SQ_SCAN_ALLSCAN) snprintf(v[16], 48, "%d", a->blocks);
    else v[16][0] = 0;
    const char *fields[17];
    for (int k = 0; k < 17; k++) fields[k] = v[k];
    rc = sq_csv_write_row(f, fields, 17);
  }
  if (rc) {
    sq_atomic_abort(&at);
    return sq_fail(SQ_EIO, "-o %s: write error", a->out);
  }
  if (sq_atomic_commit(&at)) return sq_fail(SQ_EIO, "-o %s: cannot write: %s", a->out, sq_atomic_reason(a->out));
  return 0;
}

/* DIR/KIND.dat: per P', a column of total ms per method; DIR/KIND.gp. */
static int write_plot(const sp_cli *a, const sp_rows *rows, const char *kind) {
  char *dat = sq_strf("%s/%s.dat", a->plot, kind), *gp = sq_strf("%s/%s.gp", a->plot, kind);
  int rc = dat && gp ? 0 : SQ_ENOMEM;
  sq_atomic ad, ag;
  FILE *fd = rc ? NULL : sq_atomic_open(&ad, dat);
  FILE *fg = fd ? sq_atomic_open(&ag, gp) : NULL;
  if (!rc && (!fd || !fg)) {
    if (fd) sq_atomic_abort(&ad);
    rc = sq_fail(SQ_EIO, "--plot %s: cannot write: %s", a->plot, sq_atomic_reason(fd ? gp : dat));
  }
  if (!rc) {
    fprintf(fd, "# subquad seqpar %s scaling: ", kind);
    sq_dat_text(fd, a->kernel);
    fprintf(fd, "\n# P T");
    for (int j = 0; j < a->nmethods; j++) fprintf(fd, " %s_ms", sq_scan_method_name(a->methods[j]));
    fprintf(fd, "\n");
    int pts[40], npts = 0, P = 1;
    for (int i = 0; i < rows->n; i++)
      if (!strcmp(rows->v[i].scaling, kind) && rows->v[i].P > P) P = rows->v[i].P;
    npts = scaling_points(P, pts);
    for (int i = 0; i < npts; i++) {
      int64_t T = -1;
      double ms[SQ_SCAN_NMETHODS];
      for (int j = 0; j < SQ_SCAN_NMETHODS; j++) ms[j] = NAN;
      for (int k = 0; k < rows->n; k++) {
        const sp_row *r = &rows->v[k];
        if (strcmp(r->scaling, kind) || r->P != pts[i] || r->rank) continue;
        T = r->T;
        ms[r->method] = r->total_ms;
      }
      if (T < 0) continue;
      fprintf(fd, "%d %lld", pts[i], (long long)T);
      for (int j = 0; j < a->nmethods; j++) {
        if (isnan(ms[a->methods[j]])) fprintf(fd, " NaN");
        else fprintf(fd, " %.6g", ms[a->methods[j]]);
      }
      fprintf(fd, "\n");
    }
    fprintf(fg, "set terminal pngcairo noenhanced size 800,500\nset output '%s.png'\n", kind);
    fprintf(fg, "set title ");
    char title[256];
    snprintf(title, sizeof title, "%s: %s scaling (%s)", a->kernel, kind,
             !strcmp(kind, "weak") ? "tokens per rank fixed" : "T fixed");
    sq_gp_string(fg, title);
    fprintf(fg, "\nset xlabel 'ranks P'\nset ylabel 'total ms'\nset logscale x 2\nset yrange [0:*]\nset grid\nset key bottom left\n");
    fprintf(fg, "plot");
    for (int j = 0; j < a->nmethods; j++) {
      fprintf(fg, "%s '%s.dat' using 1:%d with linespoints title ", j ? "," : "", kind, 3 + j);
      sq_gp_string(fg, sq_scan_method_name(a->methods[j]));
    }
    fprintf(fg, "\nset terminal svg noenhanced size 800,500\nset output '%s.svg'\nreplot\n", kind);
    if (sq_atomic_finish(&ad) || sq_atomic_finish(&ag)) {
      sq_atomic_abort(&ad);
      sq_atomic_abort(&ag);
      rc = sq_fail(SQ_EIO, "--plot %s: write error", a->plot);
    } else {
      sq_atomic_commit(&ad);
      sq_atomic_commit(&ag);
    }
  }
  free(dat);
  free(gp);
  return rc;
}

static int write_plots(const sp_cli *a, const sp_rows *rows) {
  if (sq_mkdirs(a->plot)) return sq_fail(SQ_EIO, "--plot %s", sq_last_error());
  char *gnuplot = sq_report_find_program("gnuplot");
  int rc = 0;
  for (int w = 0; !rc && w < 2; w++) {
    const char *kind = w ? "strong" : "weak";
    if (!(w ? a->strong : a->weak)) continue;
    rc = write_plot(a, rows, kind);
    if (!rc && gnuplot && sq_report_render(gnuplot, a->plot, kind))
      fprintf(stderr, "subquad seqpar: warning: gnuplot failed on %s/%s.gp (see %s.log)\n", a->plot, kind, kind);
  }
  free(gnuplot);
  return rc;
}

/* ---- the command ---------------------------------------------------------- */


static int seqpar(sp_ctx *x, const char *transfer) {
  const sp_cli *a = x->a;
  int P = x->f->size, rank = x->f->rank, status = 0;
  const sq_problem *p = &x->c->prob;
  int splits[1] = {P};
  sample_set ss = {0};
  ss.rows = sq_seqpar_sample_rows(a->T, splits, 1, SAMPLE_EXTRA, &ss.n);
  ss.bh = ga_B(p) * ga_H(p);
  ss.T = a->T;
  ss.DV = ga_DV(p);
  ss.vals = calloc((size_t)(ss.n * ss.bh * ss.DV) + 1, sizeof(float));
  if (!ss.rows || !ss.vals) {
    free((void *)ss.rows);
    free(ss.vals);
    fprintf(stderr, "subquad seqpar: no memory for the sampled rows\n");
    return 1;
  }
  /* 1. The single device, verified against the reference. */
  sq_result single;
  sq_result_init(&single);
  int failed = 0;
  if (rank == 0) {
    if (!a->quiet) fprintf(stderr, "seqpar: the single device, T=%lld: verify against the reference, time...\n", a->T);
    if (single_device(a, x->dev, x->c, &ss, &single)) failed = 1;
    else if (single.status != SQ_STATUS_OK) {
      fprintf(stderr, "subquad seqpar: the single device: %s %s\n", sq_status_name(single.status), single.reason);
      failed = 1;
    }
  }
  if (any_failed(x->world, failed)) {
    status = 1;
    goto out;
  }
  if (rank == 0) {
    sp_row row = {"main", 0, a->T, a->T, -1, 0, {0}, single.stats.median, single.stats.median, 1, single.max_rel_err};
    row.t.compute_ms = row.t.wall_ms = single.stats.median;
    rows_add(&x->rows, &row);
  }
  /* 2. The P-rank slices, each method verified, then timed. */
  int64_t t0, t1;
  sq_seqpar_split(a->T, P, rank, &t0, &t1);
  sq_seqpar_slice *s = NULL;
  if (sq_seqpar_slice_open(x->dev, x->c, a->seed, t0, t1, a->rerun, &s))
    fprintf(stderr, "subquad seqpar: rank %d: tokens [%lld, %lld): %s\n", rank, (long long)t0, (long long)t1,
            sq_last_error());
  if (any_failed(x->world, s == NULL)) {
    sq_seqpar_slice_close(s);
    status = 1;
    goto out;
  }
  int ok[SQ_SCAN_NMETHODS] = {0};
  for (int j = 0; j < a->nmethods; j++) {
    int m = a->methods[j];
    if (rank == 0 && !a->quiet) fprintf(stderr, "seqpar: %s over %d ranks: verify, time...\n", sq_scan_method_name(m), P);
    double err = NAN;
    int v = verify_method(x, s, m, &ss, t0, t1, &err);
    if (v < 0) {
      status = 1;
      break;
    }
    ok[m] = v;
    if (!v) {
      status = 1;
      if (rank == 0) {
        sp_row row = {"main", P, a->T, 0, m, 0, {0}, NAN, single.stats.median, 0, err};
        rows_add(&x->rows, &row);
        fprintf(stderr, "subquad seqpar: %s: the %d-rank output differs from the single device's (max_rel_err %.3g > %.3g)\n",
                sq_scan_method_name(m), P, err, sq_tolerance(p->dtype));
      }
      continue;
    }
    if (time_method(x, x->world, s, m, P, a->T, "main", single.stats.median, 1, err)) {
      status = 1;
      break;
    }
  }
  sq_seqpar_slice_close(s);
  /* 3. Scaling: slices of P' ranks (the main ones closed first). */
  if (!status && a->weak && scaling_series(x, "weak", ok)) status = 1;
  if (!status && a->strong && scaling_series(x, "strong", ok)) status = 1;
  if (rank == 0 && x->rows.n) {
    print_table(a, &x->rows, transfer, &single);
    if (a->out && write_csv(a, &x->rows, x->dev, P, transfer)) {
      fprintf(stderr, "subquad seqpar: %s\n", sq_last_error());
      status = 1;
    }
    if (a->plot && (a->weak || a->strong) && write_plots(a, &x->rows)) {
      fprintf(stderr, "subquad seqpar: %s\n", sq_last_error());
      status = 1;
    }
    if (!a->quiet && a->out && !status) fprintf(stderr, "wrote %s\n", a->out);
  }
out:
  sq_result_free(&single);
  free((void *)ss.rows);
  free(ss.vals);
  return status;
}

int sq_cmd_seqpar(int argc, char **argv) {
  sp_cli a = {.blocks = 16, .repeat = 3, .seed = 42, .nmethods = SQ_SCAN_NMETHODS,
              .methods = {SQ_SCAN_ALLGATHER, SQ_SCAN_ALLSCAN, SQ_SCAN_RING}};
  sq_case c;
  if (parse_args(argc, argv, &a) || build_case(&a, &c)) return sq_usage_error("seqpar", "%s", sq_last_error());
  if (a.out && sq_check_output_file(a.out)) return sq_usage_error("seqpar", "-o %s", sq_last_error());
  if (a.plot && sq_check_output_dir(a.plot)) return sq_usage_error("seqpar", "--plot %s", sq_last_error());
  sq_fleet f;
  if (sq_fleet_start(&f)) {
    fprintf(stderr, "subquad seqpar: %s\n", sq_last_error());
    return 1;
  }
  int status = 0;
  if (a.T < f.size) {
    if (f.rank == 0) sq_usage_error("seqpar", "--T %lld: fewer tokens than the %d ranks", a.T, f.size);
    sq_fleet_stop(&f);
    return 2;
  }
  sq_scan_group *world = NULL;
  sq_device *dev = NULL;
  char name[64];
  /* A rank the launcher bound to fewer CPUs than the host has (mpirun
   * binds each of a few ranks to a core): PoCL's CPU device of that rank
   * is those CPUs, so its threads neither outnumber them nor pin
   * themselves onto the other ranks' cores (the user's settings win). */
  cpu_set_t set;
  if (!sched_getaffinity(0, sizeof set, &set) && CPU_COUNT(&set) < sysconf(_SC_NPROCESSORS_ONLN)) {
    char n[16];
    snprintf(n, sizeof n, "%d", CPU_COUNT(&set));
    setenv("POCL_CPU_MAX_CU_NUM", n, 0);
    setenv("POCL_AFFINITY", "0", 0);
  }
  sq_devices_init();
  int rc = sq_scan_group_open(&f, f.size, &world);
  if (!rc) rc = sq_fleet_device(&f, a.device, name, sizeof name);
  if (!rc) rc = sq_device_open(name[0] ? name : NULL, &dev);
  if (!rc && dev->backend == &sq_backend_cpu) {
    /* The cpu device runs the references, not the kernels' state passes. */
    if (f.rank == 0) sq_usage_error("seqpar", "--device %s: seqpar runs kernels: give an OpenCL or CUDA device", dev->id);
    sq_device_close(dev);
    sq_scan_group_close(world);
    sq_fleet_stop(&f);
    return 2;
  }
  if (rc && f.size > 1) fprintf(stderr, "subquad seqpar: rank %d: %s\n", f.rank, sq_last_error());
  else if (rc) sq_usage_error("seqpar", "%s", sq_last_error());
  if (!world) {
    sq_fleet_abort(&f, 1);
    return 1;
  }
  if (any_failed(world, rc != 0)) {
    status = rc == SQ_ENODEV || rc == SQ_EINVAL ? 2 : 1;   /* a device that is not there: bad input */
  } else {
    /* The state crosses ranks through the host: read back after pass 1,
     * written before pass 2 (a D x DV state per head). */
    const char *transfer = "host staging";
    if (f.rank == 0 && !a.quiet)
      fprintf(stderr, "seqpar: %s on %d rank%s (%s), T=%lld\n", a.kernel, f.size, f.size > 1 ? "s" : "", dev->id,
              a.T);
    sp_ctx x = {.a = &a, .f = &f, .world = world, .dev = dev, .c = &c};
    status = seqpar(&x, transfer);
    free(x.rows.v);
  }
  if (dev) {
    sq_run_release_programs(dev);
    sq_device_close(dev);
  }
  sq_scan_group_close(world);
  sq_fleet_stop(&f);
  return status;
}
