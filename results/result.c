/* SPDX-License-Identifier: BSD-3-Clause */
/* The result schema in code: the column table that both the writer and the
 * reader walk (so the two can never disagree on a field), the CSV writer
 * and the reader (both through base/csv, whose records carry the line
 * they start on, so every error can name its line; temporary files renamed
 * into place on close),
 * the raw-sample sidecar with the run id that ties it to its rows, and the
 * standard metadata block. Numbers are written in the shortest form that
 * reads back to the same double, and NAN is an empty cell; every number read
 * goes through one parser that checks it against its column's range. */
#include "config.h"
#include "results/result.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/error.h"
#include "base/files.h"
#include "base/json.h"
#include "base/revision.h"
#include "kernels/kernel.h"

/* ---- column table ---------------------------------------------------- */

enum col_kind { COL_INT, COL_I64, COL_STR, COL_DBL, COL_STATUS };

/* What a numeric cell may hold. */
enum {
  NUM_WHOLE = 1, /* an integer (written %d / %lld) */
  NUM_EMPTY = 2, /* '' reads as NAN: the writer's form of "not measured" */
  NUM_INF = 4,   /* 'inf' reads as INFINITY: max_rel_err of an output with NaN/Inf */
};
struct num_spec {
  double lo, hi; /* inclusive */
  unsigned flags;
};

/* Columns of format 1 only: the attention shape, rebuilt into `shape`. */
struct legacy {
  int64_t B, H, T, D, DV;
  char feature[32];
};

struct col {
  const char *name;
  enum col_kind kind;
  size_t off;   /* offset of the field in sq_result (in struct legacy when v1) */
  size_t size;  /* buffer size for COL_STR */
  struct num_spec num;
  int v1;       /* 1: format 1 only, read into struct legacy; 2: format 2 only; 0: both;
                 * 3: format 2, may be absent (added since) */
};

/* The ranges are what the writer can produce, with room: shapes as large as
 * the catalog allows (its batch x windows x heads x tokens is at most 1e12,
 * under 2^40; head dimensions at most 65536), times up to 1e12 ms (31
 * years), predictions of absurd skipped cases up to 1e30. Beyond them a
 * number is a corrupted or hostile file, and downstream arithmetic (ratios,
 * logarithms, products of dimensions) must not see it. */
#define P40 1099511627776.0 /* 2^40 */
#define ID {0, 2147483647.0, NUM_WHOLE}
#define DIM(hi) {1, hi, NUM_WHOLE}
#define MS {0, 1e12, NUM_EMPTY}
#define RATE {0, 1e15, NUM_EMPTY}

#define STR(f) COL_STR, offsetof(sq_result, f), sizeof(((sq_result *)0)->f), {0, 0, 0}, 0
#define STR2(f) COL_STR, offsetof(sq_result, f), sizeof(((sq_result *)0)->f), {0, 0, 0}, 2
#define NUM(k, f, ...) k, offsetof(sq_result, f), 0, __VA_ARGS__, 0
#define NUM2(k, f, ...) k, offsetof(sq_result, f), 0, __VA_ARGS__, 2
#define STRNEW(f) COL_STR, offsetof(sq_result, f), sizeof(((sq_result *)0)->f), {0, 0, 0}, 3
#define NUMNEW(k, f, ...) k, offsetof(sq_result, f), 0, __VA_ARGS__, 3
#define OLD(k, f, ...) k, offsetof(struct legacy, f), 0, __VA_ARGS__, 1
#define OLDSTR(f) COL_STR, offsetof(struct legacy, f), sizeof(((struct legacy *)0)->f), {0, 0, 0}, 1

/* In the order of format 2's header; the format 1 columns where they were. */
static const struct col cols[] = {
    {"id", NUM(COL_INT, id, ID)},
    {"device", STR(device)},
    {"backend", STR(backend)},
    {"arch", STR(arch)},
    {"kernel", STR(kernel)},
    {"family", STR(family)},
    {"causal", NUM(COL_INT, causal, {0, 1, NUM_WHOLE})},
    {"shape", STR2(shape)},
    {"tokens", NUM2(COL_I64, tokens, DIM(2147483648.0))},
    {"baseline", STR2(baseline)},
    {"B", OLD(COL_I64, B, DIM(P40))},
    {"H", OLD(COL_I64, H, DIM(P40))},
    {"T", OLD(COL_I64, T, DIM(2147483648.0))},
    {"D", OLD(COL_I64, D, DIM(65536))},
    {"DV", OLD(COL_I64, DV, DIM(65536))},
    {"dtype", STR(dtype)},
    {"mode", STR(mode)},
    {"params", STR(params)},
    {"config_source", STR(config_source)},
    {"feature", OLDSTR(feature)},
    {"status", COL_STATUS, offsetof(sq_result, status), 0, {0, 0, 0}, 0},
    {"reason", STR(reason)},
    {"verify", STR(verify)},
    {"max_rel_err", NUM(COL_DBL, max_rel_err, {0, DBL_MAX, NUM_EMPTY | NUM_INF})},
    {"tolerance", NUM(COL_DBL, tolerance, {0, 1e6, NUM_EMPTY})},
    {"samples", NUM(COL_INT, stats.n, ID)},
    {"min_ms", NUM(COL_DBL, stats.min, MS)},
    {"q1_ms", NUM(COL_DBL, stats.q1, MS)},
    {"median_ms", NUM(COL_DBL, stats.median, MS)},
    {"mean_ms", NUM(COL_DBL, stats.mean, MS)},
    {"q3_ms", NUM(COL_DBL, stats.q3, MS)},
    {"max_ms", NUM(COL_DBL, stats.max, MS)},
    {"stddev_ms", NUM(COL_DBL, stats.stddev, MS)},
    {"noise", NUM(COL_DBL, stats.noise, {0, 1e6, NUM_EMPTY})},
    {"gflops", NUM(COL_DBL, gflops, RATE)},
    {"gbs", NUM(COL_DBL, gbs, RATE)},
    {"peak_frac", NUM(COL_DBL, peak_frac, {0, 1e6, NUM_EMPTY})},
    {"pred_ms", NUM(COL_DBL, pred_ms, {0, 1e30, NUM_EMPTY})},
    {"pred_mem_bytes", NUM(COL_DBL, pred_mem_bytes, {0, 1e30, NUM_EMPTY})},
    {"suite", STR(suite)},
    {"workload", STR(workload)},
    /* Format 2 files written before fleet runs lack these two. */
    {"host", STRNEW(host)},
    {"rank", NUMNEW(COL_INT, rank, {0, 1e7, NUM_WHOLE})},
};
#define NCOLS ((int)(sizeof cols / sizeof cols[0]))

/* Whether column c belongs to a file of `format`. */
static int in_format(const struct col *c, int format) {
  return !c->v1 || (c->v1 == 1) == (format == 1);
}

const char *const sq_result_columns[] = {
    "id", "device", "backend", "arch", "kernel", "family", "causal", "shape", "tokens", "baseline",
    "dtype", "mode", "params", "config_source", "status", "reason",
    "verify", "max_rel_err", "tolerance", "samples", "min_ms", "q1_ms", "median_ms",
    "mean_ms", "q3_ms", "max_ms", "stddev_ms", "noise", "gflops", "gbs", "peak_frac",
    "pred_ms", "pred_mem_bytes", "suite", "workload", NULL};

/* ---- the tests rows are matched by ------------------------------------ */

int sq_result_same_case(const sq_result *a, const sq_result *b) {
  return !strcmp(a->kernel, b->kernel) && a->causal == b->causal && !strcmp(a->shape, b->shape) &&
         !strcmp(a->dtype, b->dtype) && !strcmp(a->mode, b->mode);
}

/* The shape a row is grouped by and the name of its token axis: the
 * baseline (a softmax_attn shape: T) or, for a quadratic row, its own shape
 * and its kernel's token axis ("T" for a kernel this build lacks). */
static const char *group_shape(const sq_result *r, const char **tokens) {
  const sq_kernel *k = r->baseline[0] ? NULL : sq_kernel_find(r->kernel);
  *tokens = k ? k->op->axes[sq_op_token_axis(k->op)].name : "T";
  return r->baseline[0] ? r->baseline : r->shape;
}

/* The next field of a shape text after *p that is not the token axis:
 * its start and length (0 at the end); *p moves past it. */
static size_t next_field(const char **p, const char *tokens, const char **field) {
  size_t tlen = strlen(tokens);
  while (**p) {
    size_t len = strcspn(*p, ",");
    *field = *p;
    *p += len + ((*p)[len] == ',');
    if (!(len > tlen && !strncmp(*field, tokens, tlen) && (*field)[tlen] == '=')) return len;
  }
  return 0;
}

int sq_result_same_group(const sq_result *a, const sq_result *b) {
  if (a->causal != b->causal || strcmp(a->dtype, b->dtype) || strcmp(a->mode, b->mode)) return 0;
  const char *ta, *tb, *pa = group_shape(a, &ta), *pb = group_shape(b, &tb), *fa, *fb;
  for (;;) {
    size_t la = next_field(&pa, ta, &fa), lb = next_field(&pb, tb, &fb);
    if (la != lb || (la && strncmp(fa, fb, la))) return 0;
    if (!la) return 1;
  }
}

void sq_result_group_shape(const sq_result *r, char *buf, size_t n) {
  const char *tokens, *p = group_shape(r, &tokens), *f;
  size_t used = 0, len;
  if (n) buf[0] = '\0';
  while (used < n && (len = next_field(&p, tokens, &f)))
    used += (size_t)snprintf(buf + used, n - used, "%s%.*s", used ? "," : "", (int)len, f);
}

/* ---- status, rows, metadata ------------------------------------------ */

static const char *const status_names[] = {"ok", "skipped", "failed"};

const char *sq_status_name(sq_status s) {
  return (unsigned)s < 3 ? status_names[s] : "?";
}

int sq_status_parse(const char *s, sq_status *out) {
  for (int i = 0; i < 3; i++)
    if (!strcmp(s, status_names[i])) {
      *out = (sq_status)i;
      return 0;
    }
  return sq_fail(SQ_EPARSE, "status '%s' is not ok, skipped or failed", s);
}

void sq_result_init(sq_result *r) {
  memset(r, 0, sizeof *r);
  /* Unmeasured numbers are NAN (an empty cell), so a skipped row never
   * pretends to have taken 0 ms; the prediction is 0 when there is none. */
  r->max_rel_err = r->tolerance = NAN;
  r->stats.min = r->stats.q1 = r->stats.median = r->stats.mean = NAN;
  r->stats.q3 = r->stats.max = r->stats.stddev = r->stats.noise = NAN;
  r->gflops = r->gbs = r->peak_frac = NAN;
}

void sq_result_free(sq_result *r) {
  free(r->samples);
  free(r->sample_round);
  r->samples = NULL;
  r->sample_round = NULL;
  r->nsamples = 0;
}

static void copy_str(char *dst, size_t n, const char *src) {
  snprintf(dst, n, "%s", src ? src : "");
}

void sq_meta_set(sq_meta *m, const char *key, const char *value) {
  int i;
  for (i = 0; i < m->n; i++)
    if (!strcmp(m->key[i], key)) break;
  if (i == m->n) {
    if (m->n >= SQ_META_MAX) return; /* full: the block is informative only */
    m->n++;
  }
  copy_str(m->key[i], sizeof m->key[i], key);
  copy_str(m->value[i], sizeof m->value[i], value);
  /* A value is one line of the file; a newline would end the block early. */
  for (char *p = m->value[i]; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
}

const char *sq_meta_get(const sq_meta *m, const char *key) {
  for (int i = 0; i < m->n; i++)
    if (!strcmp(m->key[i], key)) return m->value[i];
  return NULL;
}

/* Appends one argument to the command line, single-quoted when the shell
 * would split or expand it, so the line can be pasted back to rerun. */
static void append_arg(char *buf, size_t n, const char *arg) {
  size_t len = strlen(buf);
  int plain = *arg != 0;
  for (const char *p = arg; *p; p++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,/:+@%", *p))
      plain = 0;
  if (len && len + 1 < n) buf[len++] = ' ', buf[len] = 0;
  if (plain) {
    snprintf(buf + len, n - len, "%s", arg);
    return;
  }
  if (len + 1 < n) buf[len++] = '\'', buf[len] = 0;
  for (const char *p = arg; *p && len + 5 < n; p++) {
    if (*p == '\'') len += (size_t)snprintf(buf + len, n - len, "'\\''");
    else buf[len++] = *p, buf[len] = 0;
  }
  if (len + 1 < n) buf[len++] = '\'', buf[len] = 0;
}

void sq_meta_standard(sq_meta *m, int argc, char **argv) {
  char buf[512];
  sq_meta_set(m, "version", PACKAGE_VERSION);
  sq_meta_set(m, "git_revision", SQ_GIT_REVISION);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  sq_meta_set(m, "date", buf);
  if (gethostname(buf, sizeof buf) != 0) snprintf(buf, sizeof buf, "unknown");
  buf[sizeof buf - 1] = 0;
  sq_meta_set(m, "host", buf);
  struct utsname u;
  if (uname(&u) == 0) {
    snprintf(buf, sizeof buf, "%s %s %s", u.sysname, u.release, u.machine);
    sq_meta_set(m, "os", buf);
  }
  buf[0] = 0;
  for (int i = 0; i < argc; i++) append_arg(buf, sizeof buf, argv[i]);
  sq_meta_set(m, "command", buf);
  /* How the measuring process was scheduled: a gate's workers may run
   * above the machine's other work (commands/gate_proc.h). */
  struct sched_param sp;
  int policy = sched_getscheduler(0);
  if ((policy == SCHED_RR || policy == SCHED_FIFO) && !sched_getparam(0, &sp))
    snprintf(buf, sizeof buf, "%s %d", policy == SCHED_RR ? "SCHED_RR" : "SCHED_FIFO", sp.sched_priority);
  else
    snprintf(buf, sizeof buf, "nice %d", getpriority(PRIO_PROCESS, 0));
  sq_meta_set(m, "scheduling", buf);
}

/* ---- writer ---------------------------------------------------------- */

struct sq_results_writer {
  sq_atomic rows, samples;   /* the two files, each written in full or not at all */
  FILE *f, *fs;              /* their streams */
  char *path;                /* the rows' final name, for messages */
};

char *sq_results_samples_path(const char *path) {
  size_t n = strlen(path);
  if (n >= 4 && !strcmp(path + n - 4, ".csv")) n -= 4;
  char *s = malloc(n + 13);
  if (s) {
    memcpy(s, path, n);
    strcpy(s + n, ".samples.csv");
  }
  return s;
}

static void writer_free(sq_results_writer *w) {
  free(w->path);
  free(w);
}

/* The shortest %.Ng (N = 15..17) that strtod reads back to exactly x; NAN
 * is an empty cell. */
static void fmt_double(char *buf, size_t n, double x) {
  buf[0] = '\0';
  if (isnan(x)) return;
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
}

/* A fresh run id: 64 random bits and the time, so the rows and the sidecar
 * of one run can be told from those of any other. */
static void new_run_id(char *buf, size_t n) {
  static unsigned counter;
  uint64_t r = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r) {
    /* No entropy device: the clock, the process and a counter, mixed
     * (splitmix64's finaliser) so close calls still differ everywhere. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 40) ^ counter++;
    r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
    r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
    r ^= r >> 31;
  }
  if (fd >= 0) close(fd);
  snprintf(buf, n, "%016" PRIx64 "-%" PRIx64, r, (uint64_t)time(NULL));
}

int sq_results_open(const char *path, const sq_meta *meta, sq_results_writer **out) {
  *out = NULL;
  sq_results_writer *w = calloc(1, sizeof *w);
  char *spath = sq_results_samples_path(path);
  if (!w || !spath || !(w->path = strdup(path))) {
    free(w), free(spath);
    return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  }
  if (!(w->f = sq_atomic_open(&w->rows, path))) {
    free(spath);
    writer_free(w);
    return SQ_EIO;
  }
  w->fs = sq_atomic_open(&w->samples, spath);
  free(spath);
  if (!w->fs) {
    int rc = sq_fail(SQ_EIO, "%s", sq_last_error());
    sq_atomic_abort(&w->rows);
    writer_free(w);
    return rc;
  }
  /* The run id heads both files; the reader refuses a pair that differs. A
   * run_id in the caller's block (copied from a file read) is not ours. */
  char run_id[64];
  new_run_id(run_id, sizeof run_id);
  fprintf(w->f, "# subquad-results %d\n# run_id: %s\n", SQ_RESULTS_FORMAT, run_id);
  for (int i = 0; meta && i < meta->n; i++)
    if (strcmp(meta->key[i], "run_id")) fprintf(w->f, "# %s: %s\n", meta->key[i], meta->value[i]);
  const char *names[NCOLS];
  int n = 0;
  for (int c = 0; c < NCOLS; c++)
    if (in_format(&cols[c], SQ_RESULTS_FORMAT)) names[n++] = cols[c].name;
  sq_csv_write_row(w->f, names, n);
  fprintf(w->fs, "# run_id: %s\nid,sample,ms,round\n", run_id);
  *out = w;
  return 0;
}

int sq_results_write(sq_results_writer *w, const sq_result *r) {
  const char *base = (const char *)r;
  const char *cell[NCOLS];
  char num[NCOLS][40];
  int n = 0, rc = 0;
  for (int c = 0; c < NCOLS; c++) {
    if (!in_format(&cols[c], SQ_RESULTS_FORMAT)) continue;
    const void *p = base + cols[c].off;
    cell[n] = num[n];
    switch (cols[c].kind) {
    case COL_INT: snprintf(num[n], sizeof num[n], "%d", *(const int *)p); break;
    case COL_I64: snprintf(num[n], sizeof num[n], "%lld", (long long)*(const int64_t *)p); break;
    case COL_STR: cell[n] = (const char *)p; break;
    case COL_DBL: fmt_double(num[n], sizeof num[n], *(const double *)p); break;
    case COL_STATUS: cell[n] = sq_status_name(*(const sq_status *)p); break;
    }
    n++;
  }
  rc = sq_csv_write_row(w->f, cell, n);
  for (int i = 0; !rc && i < r->nsamples; i++) {
    char id[16], k[16], ms[40], round[16];
    const char *f[4] = {id, k, ms, round};
    snprintf(id, sizeof id, "%d", r->id);
    snprintf(k, sizeof k, "%d", i);
    fmt_double(ms, sizeof ms, r->samples[i]);
    snprintf(round, sizeof round, "%d", sq_result_round(r, i));
    rc = sq_csv_write_row(w->fs, f, 4);
  }
  if (rc || ferror(w->f) || ferror(w->fs))
    return sq_fail(SQ_EIO, "%s: write failed: %s", w->path, strerror(errno));
  return 0;
}

int sq_results_close(sq_results_writer *w) {
  if (!w) return 0;
  /* Both finished before either is renamed: all that can fail for lack of
   * space or an I/O error is behind us when the renames come. The sidecar
   * goes first, so rows are never visible without their samples; the run
   * id in both headers tells a reader a pair that a kill split. */
  int rc = sq_atomic_finish(&w->rows);
  if (!rc) rc = sq_atomic_finish(&w->samples);
  if (rc) {
    rc = sq_fail(SQ_EIO, "%s: write failed: %s", w->path, sq_last_error());
    sq_atomic_abort(&w->rows);
    sq_atomic_abort(&w->samples);
  } else if ((rc = sq_atomic_commit(&w->samples))) {
    sq_atomic_abort(&w->rows);
  } else {
    rc = sq_atomic_commit(&w->rows);
  }
  writer_free(w);
  return rc;
}

const char *sq_results_temp_path(const sq_results_writer *w, int which) {
  return which ? w->samples.tmp : w->rows.tmp;
}

void sq_results_abort(sq_results_writer *w) {
  if (!w) return;
  sq_atomic_abort(&w->rows);
  sq_atomic_abort(&w->samples);
  writer_free(w);
}

/* ---- JSON ------------------------------------------------------------ */

/* One row as an object: the CSV's columns in their order and types (an
 * empty number cell, NAN, is null), then the raw samples (the sidecar's ms
 * column; `samples` is the CSV's count of them) and their rounds. */
static void json_row(sq_json *j, const sq_result *r) {
  const char *base = (const char *)r;
  sq_json_object(j, NULL);
  for (int c = 0; c < NCOLS; c++) {
    if (!in_format(&cols[c], SQ_RESULTS_FORMAT)) continue;
    const void *p = base + cols[c].off;
    switch (cols[c].kind) {
    case COL_INT: sq_json_int(j, cols[c].name, *(const int *)p); break;
    case COL_I64: sq_json_int(j, cols[c].name, (long long)*(const int64_t *)p); break;
    case COL_STR: sq_json_string(j, cols[c].name, (const char *)p); break;
    case COL_STATUS: sq_json_string(j, cols[c].name, sq_status_name(*(const sq_status *)p)); break;
    case COL_DBL: {
      double x = *(const double *)p;
      /* max_rel_err of an output holding NaN or Inf is infinite: JSON has
       * no infinity, so it is written as the CSV writes it, "inf". */
      if (isinf(x)) sq_json_string(j, cols[c].name, x > 0 ? "inf" : "-inf");
      else sq_json_number(j, cols[c].name, x);
      break;
    }
    }
  }
  sq_json_array(j, "sample_ms");
  for (int i = 0; i < r->nsamples; i++) sq_json_number(j, NULL, r->samples[i]);
  sq_json_end(j);
  sq_json_array(j, "sample_rounds");
  for (int i = 0; i < r->nsamples; i++) sq_json_int(j, NULL, sq_result_round(r, i));
  sq_json_end(j);
  sq_json_end(j);
}

int sq_results_json(FILE *f, const sq_meta *meta, const sq_result *rows, int n) {
  sq_json j;
  char run_id[64];
  const char *id = meta ? sq_meta_get(meta, "run_id") : NULL;
  if (!id || !*id) {
    new_run_id(run_id, sizeof run_id);
    id = run_id;
  }
  sq_json_begin(&j, f, 3);
  sq_json_object(&j, NULL);
  sq_json_string(&j, "schema", "subquad-results");
  sq_json_int(&j, "schema_version", SQ_RESULTS_JSON_VERSION);
  sq_json_int(&j, "results_format", SQ_RESULTS_FORMAT);
  sq_json_string(&j, "run_id", id);
  sq_json_object(&j, "metadata");
  for (int i = 0; meta && i < meta->n; i++)
    if (strcmp(meta->key[i], "run_id")) sq_json_string(&j, meta->key[i], meta->value[i]);
  sq_json_end(&j);
  sq_json_array(&j, "rows");
  for (int i = 0; i < n; i++) json_row(&j, &rows[i]);
  sq_json_end(&j);
  return sq_json_finish(&j);
}

int sq_results_save_json(const char *path, const sq_meta *meta, const sq_result *rows, int n) {
  if (!strcmp(path, "-")) {
    int rc = sq_results_json(stdout, meta, rows, n);
    return rc || fflush(stdout) ? sq_fail(SQ_EIO, "stdout: write failed: %s", strerror(errno)) : 0;
  }
  sq_atomic a;
  FILE *f = sq_atomic_open(&a, path);
  if (!f) return SQ_EIO;
  if (sq_results_json(f, meta, rows, n)) {
    int rc = sq_fail(SQ_EIO, "%s: write failed: %s", path, strerror(errno));
    sq_atomic_abort(&a);
    return rc;
  }
  return sq_atomic_commit(&a);
}

/* ---- reader ---------------------------------------------------------- */

/* The state of a reader, handed each record by the CSV scanner. */
struct reader {
  const char *file;
  int rec_line;         /* the line the current record starts on */
  int err;              /* first error (sticky) */
  int nfields;          /* the current record's fields */
  char **fields;
  void (*on_record)(struct reader *);
  void *ctx;
};

static int rd_row(void *ctx, sq_csvrow *r) {
  struct reader *rd = ctx;
  rd->rec_line = r->line;
  rd->nfields = r->nf;
  rd->fields = r->f;
  rd->on_record(rd);
  rd->fields = NULL;
  return rd->err;
}

/* Parses the text's records, past its leading comments (on_comment gets
 * them), into rd's on_record. */
static int parse_csv(struct reader *rd, const char *text, size_t len,
                     int (*on_comment)(void *ctx, int line, const char *text)) {
  sq_csv_hooks h = {.on_comment = on_comment, .on_row = rd_row, .ctx = rd};
  rd->err = sq_csv_scan(text, len, rd->file, 0, &h, NULL);
  return rd->err;
}

/* ---- numbers, and cell text in messages ------------------------------- */

/* A cell's text as it may appear inside a one-line message: bytes outside
 * printable ASCII as \n, \r, \t or \xNN, quotes and backslashes escaped,
 * cut after SHOW_MAX bytes with "..." (a hostile cell may be megabytes). */
#define SHOW_MAX 60
#define SHOW_BUF (4 * SHOW_MAX + 4)
static const char *show(char buf[SHOW_BUF], const char *s, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (i == SHOW_MAX) {
      memcpy(buf + o, "...", 4);
      return buf;
    }
    if (c == '\n' || c == '\r' || c == '\t') {
      buf[o++] = '\\';
      buf[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
    } else if (c == '\\' || c == '\'') {
      buf[o++] = '\\';
      buf[o++] = (char)c;
    } else if (c < 0x20 || c > 0x7e) {
      o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
    } else {
      buf[o++] = (char)c;
    }
  }
  buf[o] = 0;
  return buf;
}

/* The number syntax the writer prints: [-]digits, or for a non-integer
 * [-]digits[.digits][e[+-]digits] (digits on at least one side of the
 * point). strtod alone would also take blanks, hex, inf and nan. */
static int decimal_syntax(const char *s, int whole) {
  static const char digits[] = "0123456789";
  const char *p = s + (*s == '-');
  size_t nd = strspn(p, digits);
  p += nd;
  if (whole) return nd && !*p;
  if (*p == '.') {
    size_t f = strspn(++p, digits);
    p += f;
    nd += f;
  }
  if (!nd) return 0;
  if (*p == 'e' || *p == 'E') {
    p += p[1] == '+' || p[1] == '-' ? 2 : 1;
    size_t e = strspn(p, digits);
    if (!e) return 0;
    p += e;
  }
  return !*p;
}

/* Reads the numeric cell s[0..len) of `col` under `sp`: 0 and the value,
 * or SQ_EPARSE with "file:line: col: what is wrong". Every number a reader
 * takes from a file goes through here. */
static int parse_num(const struct reader *rd, const char *col, const char *s, size_t len,
                     const struct num_spec *sp, double *out) {
  char v[SHOW_BUF];
  int whole = sp->flags & NUM_WHOLE;
  double d = NAN;
  if (!len && (sp->flags & NUM_EMPTY)) {
    *out = NAN;
    return 0;
  }
  if ((sp->flags & NUM_INF) && !strcmp(s, "inf")) {
    *out = INFINITY;
    return 0;
  }
  if (strlen(s) == len && decimal_syntax(s, whole)) {
    errno = 0;
    if (whole) {
      long long x = strtoll(s, NULL, 10);
      d = errno == ERANGE ? (x < 0 ? -HUGE_VAL : HUGE_VAL) : (double)x;
    } else {
      d = strtod(s, NULL); /* overflow: HUGE_VAL, out of range below */
    }
  }
  if (!(d >= sp->lo))
    return sq_fail(SQ_EPARSE, "%s:%d: %s: '%s' is not a %s", rd->file, rd->rec_line, col, show(v, s, len),
                   whole ? (sp->lo >= 1 ? "positive integer" : "non-negative integer")
                         : (sp->flags & NUM_INF ? "non-negative number or inf" : "finite non-negative number"));
  if (d > sp->hi)
    return sq_fail(SQ_EPARSE, "%s:%d: %s: '%s' is out of range (over %.15g)", rd->file, rd->rec_line, col,
                   show(v, s, len), sp->hi);
  *out = d;
  return 0;
}

/* State of the main-file reader. */
struct rows_ctx {
  sq_results *out;
  int format;            /* of the file: 1 or 2 */
  int header_seen;
  int map[NCOLS];        /* our column -> field index in the file */
  int body_line;         /* the first line after the leading comments */
  int nfile;             /* fields per record in the file */
  int cap;
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The header's first duplicated name, or NULL (sorting a copy keeps a
 * hostile header of a million fields from taking quadratic time). */
static const char *duplicate_name(struct reader *rd) {
  char **sorted = malloc((size_t)rd->nfields * sizeof *sorted);
  const char *dup = NULL;
  if (!sorted) return NULL;
  memcpy(sorted, rd->fields, (size_t)rd->nfields * sizeof *sorted);
  qsort(sorted, (size_t)rd->nfields, sizeof *sorted, cmp_str);
  for (int i = 1; i < rd->nfields && !dup; i++)
    if (!strcmp(sorted[i - 1], sorted[i])) dup = sorted[i];
  free(sorted);
  return dup;
}

static void on_header(struct reader *rd, struct rows_ctx *x) {
  char v[SHOW_BUF];
  const char *dup = duplicate_name(rd);
  if (dup) {
    /* Else the later column would silently win. */
    rd->err = sq_fail(SQ_EPARSE, "%s:%d: duplicate column '%s'", rd->file, rd->rec_line, show(v, dup, strlen(dup)));
    return;
  }
  x->nfile = rd->nfields;
  for (int c = 0; c < NCOLS; c++) {
    x->map[c] = -1;
    if (!in_format(&cols[c], x->format)) continue;
    for (int i = 0; i < rd->nfields; i++)
      if (!strcmp(rd->fields[i], cols[c].name)) x->map[c] = i;
    if (x->map[c] < 0 && cols[c].v1 == 3) continue; /* optional: absent from older files */
    if (x->map[c] < 0) {
      rd->err = sq_fail(SQ_EPARSE, "%s:%d: header lacks the column '%s'", rd->file, rd->rec_line,
                        cols[c].name);
      return;
    }
  }
  x->header_seen = 1;
}

/* Stores one cell into the row; 0 or an error naming file, line, column. */
static int set_cell(struct reader *rd, void *r, const struct col *c, const char *s, size_t len) {
  void *p = (char *)r + c->off;
  char v[SHOW_BUF];
  double d;
  int rc;
  switch (c->kind) {
  case COL_STR:
    if (len >= c->size)
      return sq_fail(SQ_EPARSE, "%s:%d: %s: value is longer than %zu bytes", rd->file, rd->rec_line, c->name,
                     c->size - 1);
    memcpy(p, s, len + 1);
    return 0;
  case COL_STATUS:
    if (sq_status_parse(s, (sq_status *)p) != 0)
      return sq_fail(SQ_EPARSE, "%s:%d: %s: '%s' is not ok, skipped or failed", rd->file, rd->rec_line, c->name,
                     show(v, s, len));
    return 0;
  case COL_INT:
  case COL_I64:
  case COL_DBL:
    if ((rc = parse_num(rd, c->name, s, len, &c->num, &d))) return rc;
    if (c->kind == COL_INT) *(int *)p = (int)d;
    else if (c->kind == COL_I64) *(int64_t *)p = (int64_t)d;
    else *(double *)p = d;
    return 0;
  }
  return 0;
}

/* A format 1 row's case in format 2's terms: linear attention's shape has
 * its feature map (identity|elu1, +norm), softmax's has none; the tokens are
 * T, and a linear row's baseline is softmax over the same B, H, T, D, DV. */
static int shape_from_v1(struct reader *rd, const struct legacy *v, sq_result *r) {
  if ((double)v->B * (double)v->H * (double)v->T > P40)
    return sq_fail(SQ_EPARSE, "%s:%d: T: B x H x T = %.15g is out of range (over 2^40)", rd->file, rd->rec_line,
                   (double)v->B * (double)v->H * (double)v->T);
  char attn[160];
  snprintf(attn, sizeof attn, "B=%lld,H=%lld,T=%lld,D=%lld,DV=%lld", (long long)v->B, (long long)v->H,
           (long long)v->T, (long long)v->D, (long long)v->DV);
  r->tokens = v->T;
  if (!strcmp(v->feature, "softmax") || !v->feature[0]) {
    snprintf(r->shape, sizeof r->shape, "%s", attn);
    r->baseline[0] = '\0';
    return 0;
  }
  int elu = !strncmp(v->feature, "elu1", 4), norm = strstr(v->feature, "+norm") != NULL;
  if (!elu && strncmp(v->feature, "identity", 8)) {
    char b[SHOW_BUF];
    return sq_fail(SQ_EPARSE, "%s:%d: feature: '%s' is not identity, elu1 or softmax", rd->file, rd->rec_line,
                   show(b, v->feature, strlen(v->feature)));
  }
  snprintf(r->shape, sizeof r->shape, "%s,feature=%s,normalize=%d", attn, elu ? "elu1" : "identity", norm);
  snprintf(r->baseline, sizeof r->baseline, "%s", attn);
  return 0;
}

/* A shape text of a known kernel's op must parse against the op (ranges
 * included) in the row's own form (causal or not: the window ops have no
 * causal form, RWKV-7 no other) and agree with the tokens column; a kernel
 * this build lacks (a newer file, a peer) keeps its text, checked for its
 * characters only. The baseline must parse as softmax attention. */
static int check_shape_text(struct reader *rd, const char *col, const sq_op *op, const char *text,
                            int64_t tokens, int causal) {
  char b[SHOW_BUF];
  for (const char *p = text; *p; p++)
    if (!(isalnum((unsigned char)*p) || strchr("_=,.-+x", *p)))
      return sq_fail(SQ_EPARSE, "%s:%d: %s: '%s' is not KEY=VALUE,...", rd->file, rd->rec_line, col,
                     show(b, text, strlen(text)));
  if (!op) return 0;
  char what[96];
  snprintf(what, sizeof what, "%s:%d: %s", rd->file, rd->rec_line, col);
  sq_shape sh;
  if (sq_shape_parse_op(op, text, causal, what, &sh)) return sq_fail(SQ_EPARSE, "%s", sq_last_error());
  if (tokens && sq_shape_tokens(&sh) != tokens)
    return sq_fail(SQ_EPARSE, "%s:%d: tokens: %lld, but the shape has %lld", rd->file, rd->rec_line,
                   (long long)tokens, (long long)sq_shape_tokens(&sh));
  if (sq_shape_instances(&sh) * (double)sq_shape_tokens(&sh) > P40)
    return sq_fail(SQ_EPARSE, "%s:%d: %s: over 2^40 token rows", rd->file, rd->rec_line, col);
  return 0;
}

static int check_shapes(struct reader *rd, sq_result *r) {
  const sq_kernel *k = sq_kernel_find(r->kernel);
  int rc = check_shape_text(rd, "shape", k ? k->op : NULL, r->shape, r->tokens, r->causal);
  if (!rc && r->baseline[0])
    rc = check_shape_text(rd, "baseline", sq_op_find("softmax_attn"), r->baseline, 0, r->causal);
  return rc;
}

static void on_row(struct reader *rd) {
  struct rows_ctx *x = rd->ctx;
  if (!x->header_seen) {
    on_header(rd, x);
    return;
  }
  if (rd->nfields != x->nfile) {
    rd->err = sq_fail(SQ_EPARSE, "%s:%d: %d fields, the header has %d", rd->file, rd->rec_line,
                      rd->nfields, x->nfile);
    return;
  }
  sq_results *out = x->out;
  if (out->n == x->cap) {
    int cap = x->cap ? 2 * x->cap : 64;
    sq_result *nr = realloc(out->rows, cap * sizeof *nr);
    if (!nr) {
      rd->err = sq_fail(SQ_ENOMEM, "%s:%d: out of memory", rd->file, rd->rec_line);
      return;
    }
    out->rows = nr;
    x->cap = cap;
  }
  sq_result *r = &out->rows[out->n];
  sq_result_init(r);
  struct legacy old;
  memset(&old, 0, sizeof old);
  for (int c = 0; c < NCOLS && !rd->err; c++)
    if (x->map[c] >= 0)
      rd->err = set_cell(rd, cols[c].v1 == 1 ? (void *)&old : (void *)r, &cols[c], rd->fields[x->map[c]],
                         strlen(rd->fields[x->map[c]]));
  /* A format 1 row becomes its format 2 case first; either way the shape
   * must then be one its kernel's op accepts, so what reads is what the
   * writer can write back. */
  if (!rd->err && x->format == 1) rd->err = shape_from_v1(rd, &old, r);
  if (!rd->err) rd->err = check_shapes(rd, r);
  if (rd->err) return;
  for (int i = 0; i < out->n; i++)
    if (out->rows[i].id == r->id) {
      rd->err = sq_fail(SQ_EPARSE, "%s:%d: row id %d appears twice", rd->file, rd->rec_line, r->id);
      return;
    }
  out->n++;
}

/* Splits a comment "key: value" (its '#' gone) into key and value; 0 for
 * a comment without a key. */
static int comment_kv(const char *s, char *key, size_t kn, char *value, size_t vn) {
  const char *colon = strchr(s, ':');
  if (!colon || colon == s) return 0;
  snprintf(key, kn, "%.*s", (int)(colon - s), s);
  const char *v = colon + 1;
  if (*v == ' ') v++;
  snprintf(value, vn, "%s", v);
  return 1;
}

/* The version line: "# subquad-results N" first in the file. */
static int check_version(const char *path, const char *text, int *format) {
  int version;
  char tail;
  int got = sscanf(text, "# subquad-results %d%c", &version, &tail);
  if (got < 1 || (got == 2 && tail != '\n' && tail != '\r'))
    return sq_fail(SQ_EPARSE, "%s:1: not a subquad results file (want '# subquad-results %d')", path,
                   SQ_RESULTS_FORMAT);
  if (version < 1 || version > SQ_RESULTS_FORMAT)
    return sq_fail(SQ_EPARSE, "%s:1: results format %d, this subquad reads formats 1 to %d", path, version,
                   SQ_RESULTS_FORMAT);
  *format = version;
  return 0;
}

/* The metadata block: the leading `# key: value` lines after the version
 * (a comment without a key is kept out of the block). */
static int meta_comment(void *ctx, int line, const char *text) {
  struct reader *rd = ctx;
  struct rows_ctx *x = rd->ctx;
  char key[32], value[512];
  x->body_line = line + 1;
  if (line > 1 && comment_kv(text, key, sizeof key, value, sizeof value)) sq_meta_set(&x->out->meta, key, value);
  return 0;
}

/* State of the sidecar reader. */
struct samples_ctx {
  sq_results *res;
  const char *path;      /* the results file */
  char run_id[512];      /* the sidecar's ("" when it has none) */
  int header_seen;
  int nfields;           /* 4 with the round column, 3 without (older files) */
  int *cap;              /* per row */
};

/* Room for one more sample (and its round) in row i. */
static int grow_samples(struct samples_ctx *x, int i) {
  sq_result *r = &x->res->rows[i];
  if (r->nsamples < x->cap[i]) return 0;
  int cap = x->cap[i] ? 2 * x->cap[i] : 16;
  double *ns = realloc(r->samples, cap * sizeof *ns);
  if (ns) r->samples = ns;
  int *nr = ns && x->nfields == 4 ? realloc(r->sample_round, cap * sizeof *nr) : NULL;
  if (nr) r->sample_round = nr;
  if (!ns || (x->nfields == 4 && !nr)) return SQ_ENOMEM;
  x->cap[i] = cap;
  return 0;
}

static int run_id_comment(void *ctx, int line, const char *text) {
  struct reader *rd = ctx;
  struct samples_ctx *x = rd->ctx;
  char key[32], value[512];
  if (comment_kv(text, key, sizeof key, value, sizeof value) && !strcmp(key, "run_id"))
    snprintf(x->run_id, sizeof x->run_id, "%s", value);
  return 0;
}

/* A sidecar belongs to its results file when both carry the same run id,
 * or (files of older versions) neither does. A kill between the writer's
 * two renames leaves one run's samples next to another run's rows. */
static int check_run_id(const struct samples_ctx *x, const char *spath) {
  const char *rows_id = sq_meta_get(&x->res->meta, "run_id"), *side_id = x->run_id;
  if (!rows_id) rows_id = "";
  if (!strcmp(rows_id, side_id)) return 0;
  char a[SHOW_BUF], b[SHOW_BUF];
  return sq_fail(SQ_EPARSE, "%s: sidecar %s belongs to another run (run_id %s, results say %s)", x->path, spath,
                 *side_id ? show(a, side_id, strlen(side_id)) : "none",
                 *rows_id ? show(b, rows_id, strlen(rows_id)) : "none");
}

static void on_sample(struct reader *rd) {
  struct samples_ctx *x = rd->ctx;
  static const char *const names[] = {"id", "sample", "ms", "round"};
  /* A sample is a measured time; the others are indices. */
  static const struct num_spec specs[] = {ID, ID, {0, 1e12, 0}, ID};
  if (!x->header_seen) {
    x->header_seen = 1;
    if ((rd->err = check_run_id(x, rd->file))) return;
    int ok = rd->nfields == 3 || rd->nfields == 4;
    for (int c = 0; ok && c < rd->nfields; c++) ok = !strcmp(rd->fields[c], names[c]);
    if (!ok) rd->err = sq_fail(SQ_EPARSE, "%s:%d: header is not 'id,sample,ms,round'", rd->file, rd->rec_line);
    x->nfields = rd->nfields;
    x->header_seen = 1;
    return;
  }
  double v[4] = {0};
  if (rd->nfields != x->nfields) {
    rd->err = sq_fail(SQ_EPARSE, "%s:%d: %d fields, want %d as in the header", rd->file, rd->rec_line,
                      rd->nfields, x->nfields);
    return;
  }
  for (int c = 0; c < x->nfields; c++)
    if ((rd->err = parse_num(rd, names[c], rd->fields[c], strlen(rd->fields[c]), &specs[c], &v[c]))) return;
  sq_results *res = x->res;
  int id = (int)v[0], i;
  for (i = 0; i < res->n && res->rows[i].id != id; i++) {}
  if (i == res->n) {
    rd->err = sq_fail(SQ_EPARSE, "%s:%d: sample of row id %d, which the results file lacks", rd->file,
                      rd->rec_line, id);
    return;
  }
  if (grow_samples(x, i)) {
    rd->err = sq_fail(SQ_ENOMEM, "%s:%d: out of memory", rd->file, rd->rec_line);
    return;
  }
  sq_result *r = &res->rows[i];
  if (r->sample_round) r->sample_round[r->nsamples] = (int)v[3];
  r->samples[r->nsamples++] = v[2];
}

/* Joins the sidecar's samples to the rows. A missing sidecar is not an
 * error (a file may have been trimmed to its rows); a present one must be
 * of the same run and agree with each row's sample count. */
static int read_samples(const char *path, sq_results *res) {
  char *spath = sq_results_samples_path(path), *text;
  size_t len;
  if (!spath) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  if (access(spath, F_OK) != 0) {
    free(spath);
    return 0;
  }
  int rc = sq_read_file(spath, &text, &len);
  if (rc) {
    free(spath);
    return rc;
  }
  struct samples_ctx x = {.res = res, .path = path, .cap = calloc(res->n ? res->n : 1, sizeof(int))};
  struct reader rd = {.file = spath, .on_record = on_sample, .ctx = &x};
  if (!x.cap) rc = sq_fail(SQ_ENOMEM, "%s: out of memory", spath);
  else if (memchr(text, 0, len)) rc = sq_fail(SQ_EPARSE, "%s: binary data in a samples file", spath);
  if (!rc) rc = parse_csv(&rd, text, len, run_id_comment);
  if (!rc && !x.header_seen) rc = check_run_id(&x, spath);
  for (int i = 0; !rc && i < res->n; i++) {
    const sq_result *r = &res->rows[i];
    if (r->nsamples && r->nsamples != r->stats.n)
      rc = sq_fail(SQ_EPARSE, "%s: row id %d has %d samples, its row says %d", spath, r->id,
                   r->nsamples, r->stats.n);
  }
  free(x.cap);
  free(text);
  free(spath);
  return rc;
}

int sq_results_read(const char *path, sq_results *out) {
  memset(out, 0, sizeof *out);
  char *text;
  size_t len = 0;
  int rc = sq_read_file(path, &text, &len);
  if (rc) return rc == SQ_EIO && errno == ENOENT ? SQ_ENOTFOUND : rc;
  struct rows_ctx x = {.out = out, .body_line = 1};
  if (memchr(text, 0, len)) rc = sq_fail(SQ_EPARSE, "%s: binary data in a results file", path);
  if (!rc) rc = check_version(path, text, &x.format);
  struct reader rd = {.file = path, .on_record = on_row, .ctx = &x};
  if (!rc) rc = parse_csv(&rd, text, len, meta_comment);
  if (!rc && !x.header_seen) rc = sq_fail(SQ_EPARSE, "%s:%d: no header line", path, x.body_line);
  free(text);
  if (!rc) rc = read_samples(path, out);
  if (rc) sq_results_free(out);
  return rc;
}

void sq_results_free(sq_results *r) {
  for (int i = 0; i < r->n; i++) sq_result_free(&r->rows[i]);
  free(r->rows);
  r->rows = NULL;
  r->n = 0;
}

/* ---- rows between processes ------------------------------------------ */

#define PACK_MAGIC 0x73717231u /* "sqr1" */

struct pack_head {
  uint32_t magic, row_bytes;
  int32_t nsamples, has_rounds;
};

int sq_result_pack(const sq_result *r, void **buf, size_t *n) {
  int ns = r->nsamples > 0 ? r->nsamples : 0, hr = ns && r->sample_round;
  size_t bytes = sizeof(struct pack_head) + sizeof *r + (size_t)ns * sizeof(double) + (hr ? (size_t)ns * sizeof(int) : 0);
  char *b = malloc(bytes);
  if (!b) return sq_fail(SQ_ENOMEM, "no memory to pack a row of %d samples", ns);
  struct pack_head h = {PACK_MAGIC, (uint32_t)sizeof *r, ns, hr};
  sq_result flat = *r;
  flat.samples = NULL;
  flat.sample_round = NULL;
  char *p = b;
  memcpy(p, &h, sizeof h), p += sizeof h;
  memcpy(p, &flat, sizeof flat), p += sizeof flat;
  if (ns) memcpy(p, r->samples, (size_t)ns * sizeof(double)), p += (size_t)ns * sizeof(double);
  if (hr) memcpy(p, r->sample_round, (size_t)ns * sizeof(int));
  *buf = b;
  *n = bytes;
  return 0;
}

int sq_result_unpack(const void *buf, size_t n, sq_result *r) {
  struct pack_head h;
  const char *p = buf;
  if (n < sizeof h) return sq_fail(SQ_EPARSE, "a packed row of %zu bytes is too short", n);
  memcpy(&h, p, sizeof h), p += sizeof h;
  if (h.magic != PACK_MAGIC || h.row_bytes != sizeof *r || h.nsamples < 0 || h.nsamples > 100000000)
    return sq_fail(SQ_EPARSE, "not a packed row of this build");
  size_t ns = (size_t)h.nsamples;
  if (n != sizeof h + sizeof *r + ns * sizeof(double) + (h.has_rounds ? ns * sizeof(int) : 0))
    return sq_fail(SQ_EPARSE, "a packed row of %zu bytes does not hold its %zu samples", n, ns);
  memcpy(r, p, sizeof *r), p += sizeof *r;
  r->samples = NULL;
  r->sample_round = NULL;
  r->nsamples = 0;
  /* Text fields end inside their arrays whatever the bytes said. */
  r->device[sizeof r->device - 1] = r->kernel[sizeof r->kernel - 1] = r->shape[sizeof r->shape - 1] = 0;
  r->reason[sizeof r->reason - 1] = r->host[sizeof r->host - 1] = r->params[sizeof r->params - 1] = 0;
  if (!ns) return 0;
  r->samples = malloc(ns * sizeof(double));
  r->sample_round = h.has_rounds ? malloc(ns * sizeof(int)) : NULL;
  if (!r->samples || (h.has_rounds && !r->sample_round)) {
    sq_result_free(r);
    return sq_fail(SQ_ENOMEM, "no memory for a row of %zu samples", ns);
  }
  memcpy(r->samples, p, ns * sizeof(double)), p += ns * sizeof(double);
  if (h.has_rounds) memcpy(r->sample_round, p, ns * sizeof(int));
  r->nsamples = (int)ns;
  return 0;
}
