/* The result schema in code: the column table that both the writer and the
 * reader walk (so the two can never disagree on a field), the CSV writer
 * (libcsv quoting, temporary files renamed into place on close), the reader
 * (libcsv parsing fed one line at a time so every error can name its line),
 * the raw-sample sidecar, and the standard metadata block. Numbers are
 * written in the shortest form that reads back to the same double, and NAN
 * is an empty cell. */
#include "config.h"
#include "results/result.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "harness/error.h"

/* ---- column table ---------------------------------------------------- */

enum col_kind { COL_INT, COL_I64, COL_STR, COL_DBL, COL_STATUS };

struct col {
  const char *name;
  enum col_kind kind;
  size_t off;   /* offset of the field in sq_result */
  size_t size;  /* buffer size for COL_STR */
};

#define STR(f) COL_STR, offsetof(sq_result, f), sizeof(((sq_result *)0)->f)
#define NUM(k, f) k, offsetof(sq_result, f), 0

static const struct col cols[] = {
    {"id", NUM(COL_INT, id)},
    {"device", STR(device)},
    {"backend", STR(backend)},
    {"arch", STR(arch)},
    {"kernel", STR(kernel)},
    {"family", STR(family)},
    {"causal", NUM(COL_INT, causal)},
    {"B", NUM(COL_I64, B)},
    {"H", NUM(COL_I64, H)},
    {"T", NUM(COL_I64, T)},
    {"D", NUM(COL_I64, D)},
    {"DV", NUM(COL_I64, DV)},
    {"dtype", STR(dtype)},
    {"mode", STR(mode)},
    {"params", STR(params)},
    {"config_source", STR(config_source)},
    {"feature", STR(feature)},
    {"status", NUM(COL_STATUS, status)},
    {"reason", STR(reason)},
    {"verify", STR(verify)},
    {"max_rel_err", NUM(COL_DBL, max_rel_err)},
    {"tolerance", NUM(COL_DBL, tolerance)},
    {"samples", NUM(COL_INT, stats.n)},
    {"min_ms", NUM(COL_DBL, stats.min)},
    {"q1_ms", NUM(COL_DBL, stats.q1)},
    {"median_ms", NUM(COL_DBL, stats.median)},
    {"mean_ms", NUM(COL_DBL, stats.mean)},
    {"q3_ms", NUM(COL_DBL, stats.q3)},
    {"max_ms", NUM(COL_DBL, stats.max)},
    {"stddev_ms", NUM(COL_DBL, stats.stddev)},
    {"noise", NUM(COL_DBL, stats.noise)},
    {"gflops", NUM(COL_DBL, gflops)},
    {"gbs", NUM(COL_DBL, gbs)},
    {"peak_frac", NUM(COL_DBL, peak_frac)},
    {"pred_ms", NUM(COL_DBL, pred_ms)},
    {"pred_mem_bytes", NUM(COL_DBL, pred_mem_bytes)},
    {"suite", STR(suite)},
    {"workload", STR(workload)},
};
#define NCOLS ((int)(sizeof cols / sizeof cols[0]))

const char *const sq_result_columns[] = {
    "id", "device", "backend", "arch", "kernel", "family", "causal", "B", "H", "T", "D",
    "DV", "dtype", "mode", "params", "config_source", "feature", "status", "reason",
    "verify", "max_rel_err", "tolerance", "samples", "min_ms", "q1_ms", "median_ms",
    "mean_ms", "q3_ms", "max_ms", "stddev_ms", "noise", "gflops", "gbs", "peak_frac",
    "pred_ms", "pred_mem_bytes", "suite", "workload", NULL};

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
}

/* ---- writer ---------------------------------------------------------- */

struct sq_results_writer {
  FILE *f, *fs;              /* rows, samples */
  char *path, *spath;        /* final names */
  char *tmp, *stmp;          /* temporaries in the same directory */
};

/* "out.csv" -> "out.samples.csv"; a name without .csv gets the suffix. */
static char *samples_path(const char *path) {
  size_t n = strlen(path);
  if (n >= 4 && !strcmp(path + n - 4, ".csv")) n -= 4;
  char *s = malloc(n + 13);
  if (s) {
    memcpy(s, path, n);
    strcpy(s + n, ".samples.csv");
  }
  return s;
}

/* Creates a fresh temporary next to `path` (same file system, so rename is
 * atomic) with the permissions a plain fopen would have given. */
static FILE *open_tmp(const char *path, char **tmp_out) {
  static unsigned counter;
  size_t n = strlen(path) + 48;
  char *tmp = malloc(n);
  if (!tmp) return NULL;
  for (int tries = 0; tries < 100; tries++) {
    snprintf(tmp, n, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      FILE *f = fdopen(fd, "w");
      if (!f) {
        close(fd);
        unlink(tmp);
        break;
      }
      *tmp_out = tmp;
      return f;
    }
    if (errno != EEXIST) break;
  }
  free(tmp);
  return NULL;
}

static void writer_free(sq_results_writer *w) {
  free(w->path);
  free(w->spath);
  free(w->tmp);
  free(w->stmp);
  free(w);
}

/* Writes a text cell: bare when that reads back unchanged, else quoted by
 * libcsv (which doubles embedded quotes). libcsv trims unquoted blanks, so a
 * cell with leading or trailing blanks is quoted too. */
static void put_str(FILE *f, const char *s) {
  size_t n = strlen(s);
  int quote = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
  if (quote || strpbrk(s, ",\"\r\n")) csv_fwrite(f, s, n);
  else fputs(s, f);
}

/* The shortest %.Ng (N = 15..17) that strtod reads back to exactly x. */
static void put_double(FILE *f, double x) {
  char buf[40];
  if (isnan(x)) return;
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  fputs(buf, f);
}

int sq_results_open(const char *path, const sq_meta *meta, sq_results_writer **out) {
  *out = NULL;
  sq_results_writer *w = calloc(1, sizeof *w);
  if (!w || !(w->path = strdup(path)) || !(w->spath = samples_path(path))) {
    if (w) writer_free(w);
    return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  }
  if (!(w->f = open_tmp(path, &w->tmp))) {
    int e = errno;
    writer_free(w);
    return sq_fail(SQ_EIO, "%s: cannot create a temporary file: %s", path, strerror(e));
  }
  if (!(w->fs = open_tmp(w->spath, &w->stmp))) {
    int e = errno;
    fclose(w->f);
    unlink(w->tmp);
    writer_free(w);
    return sq_fail(SQ_EIO, "%s: cannot create a temporary file: %s", path, strerror(e));
  }
  fprintf(w->f, "# subquad-results %d\n", SQ_RESULTS_FORMAT);
  for (int i = 0; meta && i < meta->n; i++) fprintf(w->f, "# %s: %s\n", meta->key[i], meta->value[i]);
  for (int c = 0; c < NCOLS; c++) fprintf(w->f, "%s%s", c ? "," : "", cols[c].name);
  fputc('\n', w->f);
  fputs("id,sample,ms,round\n", w->fs);
  *out = w;
  return 0;
}

int sq_results_write(sq_results_writer *w, const sq_result *r) {
  const char *base = (const char *)r;
  for (int c = 0; c < NCOLS; c++) {
    const void *p = base + cols[c].off;
    if (c) fputc(',', w->f);
    switch (cols[c].kind) {
    case COL_INT: fprintf(w->f, "%d", *(const int *)p); break;
    case COL_I64: fprintf(w->f, "%lld", (long long)*(const int64_t *)p); break;
    case COL_STR: put_str(w->f, (const char *)p); break;
    case COL_DBL: put_double(w->f, *(const double *)p); break;
    case COL_STATUS: fputs(sq_status_name(*(const sq_status *)p), w->f); break;
    }
  }
  fputc('\n', w->f);
  for (int i = 0; i < r->nsamples; i++) {
    fprintf(w->fs, "%d,%d,", r->id, i);
    put_double(w->fs, r->samples[i]);
    fprintf(w->fs, ",%d\n", sq_result_round(r, i));
  }
  if (ferror(w->f) || ferror(w->fs))
    return sq_fail(SQ_EIO, "%s: write failed: %s", w->path, strerror(errno));
  return 0;
}

/* Flushes and closes one temporary: 0, or the errno that lost data. */
static int finish(FILE *f) {
  int bad = fflush(f) != 0 || ferror(f);
  int e = errno;
  if (fsync(fileno(f)) != 0 && errno != EINVAL) bad = 1, e = errno;
  if (fclose(f) != 0 && !bad) bad = 1, e = errno;
  return bad ? (e ? e : EIO) : 0;
}

int sq_results_close(sq_results_writer *w) {
  if (!w) return 0;
  int e1 = finish(w->f), e2 = finish(w->fs);
  int rc = 0;
  if (e1 || e2) {
    rc = sq_fail(SQ_EIO, "%s: write failed: %s", w->path, strerror(e1 ? e1 : e2));
  } else if (rename(w->stmp, w->spath) != 0) {
    rc = sq_fail(SQ_EIO, "%s: cannot rename into place: %s", w->spath, strerror(errno));
  } else if (rename(w->tmp, w->path) != 0) {
    /* The sidecar goes first so the rows are never visible without their
     * samples; if the rows then fail, the stale-looking sidecar goes too. */
    rc = sq_fail(SQ_EIO, "%s: cannot rename into place: %s", w->path, strerror(errno));
    unlink(w->spath);
  }
  if (rc) {
    unlink(w->tmp);
    unlink(w->stmp);
  }
  writer_free(w);
  return rc;
}

const char *sq_results_temp_path(const sq_results_writer *w, int which) {
  return which ? w->stmp : w->tmp;
}

void sq_results_abort(sq_results_writer *w) {
  if (!w) return;
  fclose(w->f);
  fclose(w->fs);
  unlink(w->tmp);
  unlink(w->stmp);
  writer_free(w);
}

/* ---- reader ---------------------------------------------------------- */

/* Parser state shared with the libcsv callbacks. */
struct reader {
  const char *file;
  int line;             /* line being fed */
  int rec_line;         /* line where the current record began */
  int err;              /* first error (sticky) */
  int nfields;          /* fields seen in the current record */
  char **fields;        /* the current record's fields */
  size_t *lens;
  int cap;
  void (*on_record)(struct reader *);
  void *ctx;
};

static void rd_field(void *s, size_t len, void *data) {
  struct reader *rd = data;
  if (rd->err) return;
  if (rd->nfields == rd->cap) {
    int cap = rd->cap ? 2 * rd->cap : 64;
    char **f = realloc(rd->fields, cap * sizeof *f);
    size_t *l = f ? realloc(rd->lens, cap * sizeof *l) : NULL;
    if (f) rd->fields = f;
    if (!l) {
      rd->err = sq_fail(SQ_ENOMEM, "%s:%d: out of memory", rd->file, rd->rec_line);
      return;
    }
    rd->lens = l;
    for (int i = rd->cap; i < cap; i++) rd->fields[i] = NULL;
    rd->cap = cap;
  }
  char *copy = realloc(rd->fields[rd->nfields], len + 1);
  if (!copy) {
    rd->err = sq_fail(SQ_ENOMEM, "%s:%d: out of memory", rd->file, rd->rec_line);
    return;
  }
  if (len) memcpy(copy, s, len);
  copy[len] = 0;
  rd->fields[rd->nfields] = copy;
  rd->lens[rd->nfields++] = len;
}

static void rd_record(int c, void *data) {
  struct reader *rd = data;
  if (!rd->err && rd->nfields) rd->on_record(rd);
  rd->nfields = 0;
}

static void rd_free(struct reader *rd) {
  for (int i = 0; i < rd->cap; i++) free(rd->fields[i]);
  free(rd->fields);
  free(rd->lens);
}

/* Reads a whole file into a NUL-terminated buffer. */
static int slurp(const char *path, char **buf, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return sq_fail(errno == ENOENT ? SQ_ENOTFOUND : SQ_EIO, "%s: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  while (b) {
    n += fread(b + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    char *nb = realloc(b, cap *= 2);
    if (!nb) free(b);
    b = nb;
  }
  int bad = ferror(f);
  fclose(f);
  if (!b) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  if (bad) {
    free(b);
    return sq_fail(SQ_EIO, "%s: read error", path);
  }
  b[n] = 0;
  *buf = b;
  *len = n;
  return 0;
}

/* Feeds text[0..len) to libcsv one line at a time, starting at line
 * `first_line`, so each record knows the line it began on. */
static int parse_csv(struct reader *rd, const char *text, size_t len, int first_line) {
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
    return sq_fail(SQ_ENOMEM, "%s: out of memory", rd->file);
  rd->line = first_line;
  size_t pos = 0;
  while (pos < len && !rd->err) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) + 1 : len;
    if (p.pstate == 0) rd->rec_line = rd->line; /* no record in progress */
    if (csv_parse(&p, text + pos, end - pos, rd_field, rd_record, rd) != end - pos) {
      rd->err = sq_fail(SQ_EPARSE, "%s:%d: %s", rd->file, rd->line,
                        p.status == CSV_EPARSE ? "malformed quoting" : csv_strerror(csv_error(&p)));
      break;
    }
    pos = end;
    rd->line++;
  }
  if (!rd->err && csv_fini(&p, rd_field, rd_record, rd) != 0)
    rd->err = sq_fail(SQ_EPARSE, "%s:%d: file ends inside a quoted field", rd->file, rd->rec_line);
  csv_free(&p);
  return rd->err;
}

static int parse_long(const char *s, long long *v) {
  char *end;
  errno = 0;
  *v = strtoll(s, &end, 10);
  return *s && !*end && errno != ERANGE;
}

/* State of the main-file reader. */
struct rows_ctx {
  sq_results *out;
  int header_seen;
  int map[NCOLS];        /* our column -> field index in the file */
  int nfile;             /* fields per record in the file */
  int cap;
};

static void on_header(struct reader *rd, struct rows_ctx *x) {
  x->nfile = rd->nfields;
  for (int c = 0; c < NCOLS; c++) {
    x->map[c] = -1;
    for (int i = 0; i < rd->nfields; i++)
      if (!strcmp(rd->fields[i], cols[c].name)) x->map[c] = i;
    if (x->map[c] < 0) {
      rd->err = sq_fail(SQ_EPARSE, "%s:%d: header lacks the column '%s'", rd->file, rd->rec_line,
                        cols[c].name);
      return;
    }
  }
  x->header_seen = 1;
}

/* Stores one cell into the row; 0 or an error naming file, line, column. */
static int set_cell(struct reader *rd, sq_result *r, const struct col *c, const char *s, size_t len) {
  void *p = (char *)r + c->off;
  long long v;
  switch (c->kind) {
  case COL_STR:
    if (len >= c->size)
      return sq_fail(SQ_EPARSE, "%s:%d: column '%s': value is longer than %zu bytes", rd->file,
                     rd->rec_line, c->name, c->size - 1);
    memcpy(p, s, len + 1);
    return 0;
  case COL_INT:
  case COL_I64:
    if (!parse_long(s, &v) || (c->kind == COL_INT && (v < -2147483647LL - 1 || v > 2147483647LL)))
      return sq_fail(SQ_EPARSE, "%s:%d: column '%s': '%s' is not a number", rd->file, rd->rec_line,
                     c->name, s);
    if (c->kind == COL_INT) *(int *)p = (int)v;
    else *(int64_t *)p = v;
    return 0;
  case COL_DBL: {
    char *end;
    if (!*s) {
      *(double *)p = NAN;
      return 0;
    }
    double d = strtod(s, &end);
    if (*end)
      return sq_fail(SQ_EPARSE, "%s:%d: column '%s': '%s' is not a number", rd->file, rd->rec_line,
                     c->name, s);
    *(double *)p = d;
    return 0;
  }
  case COL_STATUS:
    if (sq_status_parse(s, (sq_status *)p) != 0)
      return sq_fail(SQ_EPARSE, "%s:%d: column '%s': '%s' is not ok, skipped or failed", rd->file,
                     rd->rec_line, c->name, s);
    return 0;
  }
  return 0;
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
  for (int c = 0; c < NCOLS && !rd->err; c++)
    rd->err = set_cell(rd, r, &cols[c], rd->fields[x->map[c]], rd->lens[x->map[c]]);
  if (rd->err) return;
  for (int i = 0; i < out->n; i++)
    if (out->rows[i].id == r->id) {
      rd->err = sq_fail(SQ_EPARSE, "%s:%d: row id %d appears twice", rd->file, rd->rec_line, r->id);
      return;
    }
  out->n++;
}

/* Reads the leading comment block: the version line, then `# key: value`
 * lines. Returns the offset of the first line after it. */
static int read_preamble(const char *path, const char *text, size_t len, sq_meta *meta,
                         size_t *body, int *line) {
  int version;
  char tail;
  int got = sscanf(text, "# subquad-results %d%c", &version, &tail);
  if (got < 1 || (got == 2 && tail != '\n' && tail != '\r'))
    return sq_fail(SQ_EPARSE, "%s:1: not a subquad results file (want '# subquad-results %d')", path,
                   SQ_RESULTS_FORMAT);
  if (version != SQ_RESULTS_FORMAT)
    return sq_fail(SQ_EPARSE, "%s:1: results format %d, this subquad reads format %d", path, version,
                   SQ_RESULTS_FORMAT);
  size_t pos = 0;
  *line = 1;
  while (pos < len && text[pos] == '#') {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    if (*line > 1) {
      /* "# key: value"; a comment without a key is kept out of the block. */
      const char *s = text + pos + 1, *e = text + end;
      while (s < e && *s == ' ') s++;
      const char *colon = memchr(s, ':', (size_t)(e - s));
      if (colon && colon > s) {
        char key[32], value[512];
        snprintf(key, sizeof key, "%.*s", (int)(colon - s), s);
        const char *v = colon + 1;
        if (v < e && *v == ' ') v++;
        while (e > v && e[-1] == '\r') e--;
        snprintf(value, sizeof value, "%.*s", (int)(e - v), v);
        sq_meta_set(meta, key, value);
      }
    }
    pos = nl ? end + 1 : len;
    (*line)++;
  }
  *body = pos;
  return 0;
}

/* State of the sidecar reader. */
struct samples_ctx {
  sq_results *res;
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

static void on_sample(struct reader *rd) {
  struct samples_ctx *x = rd->ctx;
  static const char *const names[] = {"id", "sample", "ms", "round"};
  if (!x->header_seen) {
    int ok = rd->nfields == 3 || rd->nfields == 4;
    for (int c = 0; ok && c < rd->nfields; c++) ok = !strcmp(rd->fields[c], names[c]);
    if (!ok) rd->err = sq_fail(SQ_EPARSE, "%s:%d: header is not 'id,sample,ms,round'", rd->file, rd->rec_line);
    x->nfields = rd->nfields;
    x->header_seen = 1;
    return;
  }
  long long v[4] = {0};
  double ms = 0;
  char *end;
  if (rd->nfields != x->nfields) {
    rd->err = sq_fail(SQ_EPARSE, "%s:%d: %d fields, want %d as in the header", rd->file, rd->rec_line,
                      rd->nfields, x->nfields);
    return;
  }
  for (int c = 0; c < x->nfields; c++) {
    const char *f = rd->fields[c];
    int ok;
    if (c == 2) ok = (ms = strtod(f, &end), *f && !*end && !isnan(ms)); /* NAN: no time, nor one a rewrite keeps */
    else ok = parse_long(f, &v[c]) && (c != 3 || (v[c] >= 0 && v[c] <= INT_MAX));
    if (!ok) {
      rd->err = sq_fail(SQ_EPARSE, "%s:%d: column '%s': '%s' is not a %s", rd->file, rd->rec_line, names[c],
                        f, c == 3 ? "round number" : "number");
      return;
    }
  }
  sq_results *res = x->res;
  int i;
  for (i = 0; i < res->n && res->rows[i].id != v[0]; i++) {}
  if (i == res->n) {
    rd->err = sq_fail(SQ_EPARSE, "%s:%d: sample of row id %lld, which the results file lacks",
                      rd->file, rd->rec_line, v[0]);
    return;
  }
  if (grow_samples(x, i)) {
    rd->err = sq_fail(SQ_ENOMEM, "%s:%d: out of memory", rd->file, rd->rec_line);
    return;
  }
  sq_result *r = &res->rows[i];
  if (r->sample_round) r->sample_round[r->nsamples] = (int)v[3];
  r->samples[r->nsamples++] = ms;
}

/* Joins the sidecar's samples to the rows. A missing sidecar is not an
 * error (a file may have been trimmed to its rows); a present one must agree
 * with each row's sample count. */
static int read_samples(const char *path, sq_results *res) {
  char *spath = samples_path(path), *text;
  size_t len;
  if (!spath) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  if (access(spath, F_OK) != 0) {
    free(spath);
    return 0;
  }
  int rc = slurp(spath, &text, &len);
  if (rc) {
    free(spath);
    return rc;
  }
  struct samples_ctx x = {.res = res, .cap = calloc(res->n ? res->n : 1, sizeof(int))};
  struct reader rd = {.file = spath, .on_record = on_sample, .ctx = &x};
  if (!x.cap) rc = sq_fail(SQ_ENOMEM, "%s: out of memory", spath);
  else rc = parse_csv(&rd, text, len, 1);
  for (int i = 0; !rc && i < res->n; i++) {
    const sq_result *r = &res->rows[i];
    if (r->nsamples && r->nsamples != r->stats.n)
      rc = sq_fail(SQ_EPARSE, "%s: row id %d has %d samples, its row says %d", spath, r->id,
                   r->nsamples, r->stats.n);
  }
  rd_free(&rd);
  free(x.cap);
  free(text);
  free(spath);
  return rc;
}

int sq_results_read(const char *path, sq_results *out) {
  memset(out, 0, sizeof *out);
  char *text;
  size_t len = 0, body = 0;
  int line = 1, rc = slurp(path, &text, &len);
  if (rc) return rc;
  if (memchr(text, 0, len)) rc = sq_fail(SQ_EPARSE, "%s: binary data in a results file", path);
  if (!rc) rc = read_preamble(path, text, len, &out->meta, &body, &line);
  struct rows_ctx x = {.out = out};
  struct reader rd = {.file = path, .on_record = on_row, .ctx = &x};
  if (!rc) rc = parse_csv(&rd, text + body, len - body, line);
  if (!rc && !x.header_seen) rc = sq_fail(SQ_EPARSE, "%s:%d: no header line", path, line);
  rd_free(&rd);
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
