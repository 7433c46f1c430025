/* SPDX-License-Identifier: BSD-3-Clause */
/* The append-only, crash-safe tuning cache (cache.h). */
#include "tuner/cache.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/error.h"

const char *const sq_cache_key_names[SQ_CACHE_NKEY] = {"device", "driver", "kernel",
                                                       "shape", "dtype", "source-hash"};
#define MAGIC "subquad-tune-cache 1"

void sq_hash_text(const char *s, size_t n, char out[17]) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static int status_known(const char *s) {
  static const char *const ok[] = {"ok", "compile", "limits", "launch", "verify",
                                   "timeout", "crashed", "invalid"};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (!strcmp(s, ok[i])) return 1;
  return 0;
}

static int write_header(sq_cache *c, const sq_cache_key *key) {
  const sq_space *sp = c->space;
  fprintf(c->fp, "# %s\n", MAGIC);
  for (int i = 0; i < SQ_CACHE_NKEY; i++) fprintf(c->fp, "# %s: %s\n", sq_cache_key_names[i], key->value[i]);
  fprintf(c->fp, "# params:");
  for (int p = 0; p < sp->np; p++) fprintf(c->fp, "%s%s", p ? "," : " ", sp->name[p]);
  fprintf(c->fp, "\n");
  const char *h[SQ_SPACE_MAXP + 6] = {"status"};
  int k = 1;
  for (int p = 0; p < sp->np; p++) h[k++] = sp->name[p];
  static const char *const tail[] = {"time_ms", "compile_s", "verify_s", "bench_s", "message"};
  for (int i = 0; i < 5; i++) h[k++] = tail[i];
  int rc = sq_csv_write_row(c->fp, h, k);
  if (rc || fflush(c->fp) || fsync(fileno(c->fp))) return sq_fail(SQ_EIO, "%s: %s", c->path, strerror(errno));
  return 0;
}

/* The header of an existing cache against this run's. `cut` is the line a
 * kill cut short: the column header cut there would be truncated away. */
static int check_header(const sq_cache *c, const sq_csvfile *f, int cut, const sq_cache_key *key) {
  const char *path = c->path;
  if (f->ncomments < 1 || strcmp(f->comments[0], MAGIC))
    return sq_fail(SQ_EMISMATCH, "%s: not a subquad tuning cache (no '# %s' line)", path, MAGIC);
  for (int i = 0; i < SQ_CACHE_NKEY; i++) {
    const char *want = key->value[i], *have = NULL;
    size_t kl = strlen(sq_cache_key_names[i]);
    for (int j = 1; j < f->ncomments; j++)
      if (!strncmp(f->comments[j], sq_cache_key_names[i], kl) && f->comments[j][kl] == ':')
        have = f->comments[j] + kl + 1 + (f->comments[j][kl + 1] == ' ');
    if (!have) return sq_fail(SQ_EMISMATCH, "%s: header has no '%s' line", path, sq_cache_key_names[i]);
    if (strcmp(have, want))
      return sq_fail(SQ_EMISMATCH, "%s: written for %s '%s', this run is '%s'; use another --cache",
                     path, sq_cache_key_names[i], have, want);
  }
  const sq_space *sp = c->space;
  const sq_csvrow *h = f->nrows ? &f->rows[0] : NULL;
  int ok = h && h->nf == sp->np + 6 && !strcmp(h->f[0], "status");
  for (int p = 0; ok && p < sp->np; p++) ok = !strcmp(h->f[1 + p], sp->name[p]);
  if (!ok) return sq_fail(SQ_EMISMATCH, "%s: its columns are not this run's parameters; use another --cache", path);
  if (h->line == cut)
    return sq_fail(SQ_EPARSE, "%s:%d: the column header is cut short; remove the file to start over", path, cut);
  return 0;
}

/* The numbers of a record are checked as strictly as --param and the
 * results readers check theirs: a cache left by a killed run or edited by
 * hand must not turn into a search result (a negative time was taken for an
 * error code; 2.9 was read as 2). */
static int field_int(const char *path, int line, const char *col, const char *s, int *out) {
  char *end;
  errno = 0;
  long v = *s ? strtol(s, &end, 10) : 0;
  if (!*s || *end) return sq_fail(SQ_EPARSE, "%s:%d: %s: '%.40s' is not an integer", path, line, col, s);
  if (errno == ERANGE || v < -2147483647L || v > 2147483647L)
    return sq_fail(SQ_EPARSE, "%s:%d: %s: %.40s is out of range", path, line, col, s);
  *out = (int)v;
  return 0;
}

/* An empty field is NAN; a number must be finite, >= 0 and, with
 * positive, > 0. */
static int field_real(const char *path, int line, const char *col, const char *s, int positive, double *out) {
  char *end;
  *out = NAN;
  if (!*s) return 0;
  double v = strtod(s, &end);
  if (*end || !isfinite(v) || v < 0 || (positive && v == 0))
    return sq_fail(SQ_EPARSE, "%s:%d: %s: '%.40s' is not a %s number", path, line, col, s,
                   positive ? "positive finite" : "finite non-negative");
  *out = v;
  return 0;
}

/* One result record's outcome. An ok record needs a time; the others have
 * none (a file this code wrote leaves it empty). */
static int parse_outcome(const sq_cache *c, const sq_csvrow *row, sq_outcome *o) {
  const int np = c->space->np, line = row->line;
  const char *path = c->path;
  static const char *const cols[4] = {"time_ms", "compile_s", "verify_s", "bench_s"};
  double *dst[4] = {&o->ms, &o->compile_s, &o->verify_s, &o->bench_s};
  for (int i = 0; i < 4; i++) {
    int rc = field_real(path, line, cols[i], row->f[np + 1 + i], i == 0, dst[i]);
    if (rc) return rc;
  }
  int ok = !strcmp(row->f[0], "ok");
  if (ok && isnan(o->ms)) return sq_fail(SQ_EPARSE, "%s:%d: time_ms: an ok record without a time", path, line);
  if (!ok && !isnan(o->ms))
    return sq_fail(SQ_EPARSE, "%s:%d: time_ms: a '%s' record with a time", path, line, row->f[0]);
  snprintf(o->status, sizeof o->status, "%s", row->f[0]);
  snprintf(o->message, sizeof o->message, "%s", row->f[np + 5]);
  return 0;
}

/* Loads the records; returns the configurations left `attempting`. Every
 * record is checked before anything is used or appended. */
static int load_records(sq_cache *c, const sq_csvfile *f, int cut_line, uint8_t *pending) {
  const sq_space *sp = c->space;
  for (int r = 1; r < f->nrows; r++) {
    const sq_csvrow *row = &f->rows[r];
    if (row->line == cut_line) break;   /* the record the kill cut short */
    if (row->nf != sp->np + 6) return sq_fail(SQ_EPARSE, "%s:%d: %d fields, want %d", c->path, row->line, row->nf, sp->np + 6);
    int pv[SQ_SPACE_MAXP];
    for (int p = 0; p < sp->np; p++) {
      int rc = field_int(c->path, row->line, sp->name[p], row->f[1 + p], &pv[p]);
      if (rc) return rc;
    }
    const char *st = row->f[0];
    if (strcmp(st, "attempting") && !status_known(st))
      return sq_fail(SQ_EPARSE, "%s:%d: status: unknown status '%.40s'", c->path, row->line, st);
    int64_t cfg = sq_space_find_values(sp, pv);
    if (cfg < 0)
      return sq_fail(SQ_EMISMATCH, "%s:%d: a configuration outside this run's space; use another --cache", c->path, row->line);
    if (!strcmp(st, "attempting")) { if (!c->done[cfg]) pending[cfg] = 1; continue; }
    sq_outcome o = {0};
    int rc = parse_outcome(c, row, &o);
    if (rc) return rc;
    pending[cfg] = 0;
    if (c->done[cfg]) continue;   /* never happens in a file this code wrote */
    c->out[cfg] = o;
    c->done[cfg] = 1;
    c->nresults++;
  }
  return 0;
}

/* Cuts a final line that lacks its newline, so appends start clean. */
static int truncate_partial(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return sq_fail(SQ_EIO, "%s: %s", path, strerror(errno));
  long keep = 0, pos = 0;
  int ch;
  while ((ch = fgetc(fp)) != EOF) {
    pos++;
    if (ch == '\n') keep = pos;
  }
  fclose(fp);
  if (keep != pos && truncate(path, keep)) return sq_fail(SQ_EIO, "%s: %s", path, strerror(errno));
  return 0;
}

static int resume_file(sq_cache *c, const sq_cache_key *key) {
  sq_csvfile f;
  int cut = 0, rc = sq_csv_read(c->path, SQ_CSV_ONE_LINE, &f, &cut);
  if (rc) return rc;
  uint8_t *pending = calloc((size_t)c->space->n + 1, 1);
  if (!pending) rc = sq_fail(SQ_ENOMEM, "out of memory");
  if (!rc) rc = check_header(c, &f, cut, key);
  if (!rc) rc = load_records(c, &f, cut, pending);
  sq_csv_free(&f);
  if (!rc) rc = truncate_partial(c->path);
  if (!rc && !(c->fp = fopen(c->path, "a"))) rc = sq_fail(SQ_EIO, "%s: %s", c->path, strerror(errno));
  for (int64_t i = 0; !rc && i < c->space->n; i++) {
    if (!pending[i]) continue;
    sq_outcome o = {.ms = NAN, .compile_s = NAN, .verify_s = NAN, .bench_s = NAN};
    snprintf(o.status, sizeof o.status, "crashed");
    snprintf(o.message, sizeof o.message, "the run died while this configuration was running");
    rc = sq_cache_record(c, i, &o);
    c->ncrashed_now++;
  }
  free(pending);
  return rc;
}

int sq_cache_open(const char *path, const sq_cache_key *key, const sq_space *sp, int resume,
                  sq_cache *c) {
  memset(c, 0, sizeof *c);
  c->path = strdup(path);
  c->space = sp;
  c->sync = 1;
  c->done = calloc((size_t)sp->n + 1, 1);
  c->out = calloc((size_t)sp->n + 1, sizeof *c->out);
  if (!c->path || !c->done || !c->out) { sq_cache_close(c); return sq_fail(SQ_ENOMEM, "out of memory"); }
  struct stat st;
  int exists = stat(path, &st) == 0 && st.st_size > 0;
  int rc;
  if (exists && !resume)
    rc = sq_fail(SQ_EINVAL, "--cache %s exists: pass --resume to continue it, or remove it to start over", path);
  else if (exists)
    rc = resume_file(c, key);
  else if (!(c->fp = fopen(path, "w")))
    rc = sq_fail(SQ_EIO, "--cache %s: %s", path, strerror(errno));
  else
    rc = write_header(c, key);
  if (rc) sq_cache_close(c);
  return rc;
}

int sq_cache_lookup(const sq_cache *c, int64_t cfg, sq_outcome *o) {
  if (!c->done[cfg]) return 0;
  *o = c->out[cfg];
  return 1;
}

static void fmt_num(char *b, size_t n, double v, const char *f) {
  if (isnan(v)) b[0] = 0;
  else snprintf(b, n, f, v);
}

static int write_record(sq_cache *c, int64_t cfg, const char *status, const sq_outcome *o) {
  const sq_space *sp = c->space;
  char vals[SQ_SPACE_MAXP][16], nums[4][32], msg[256];
  const char *f[SQ_SPACE_MAXP + 6];
  int pv[SQ_SPACE_MAXP], k = 0;
  sq_space_values(sp, cfg, pv);
  f[k++] = status;
  for (int p = 0; p < sp->np; p++) {
    snprintf(vals[p], sizeof vals[p], "%d", pv[p]);
    f[k++] = vals[p];
  }
  fmt_num(nums[0], 32, o ? o->ms : NAN, "%.6g");
  fmt_num(nums[1], 32, o ? o->compile_s : NAN, "%.3f");
  fmt_num(nums[2], 32, o ? o->verify_s : NAN, "%.3f");
  fmt_num(nums[3], 32, o ? o->bench_s : NAN, "%.3f");
  for (int i = 0; i < 4; i++) f[k++] = nums[i];
  /* One line per record: the reader and the crash logic rely on it. */
  snprintf(msg, sizeof msg, "%s", o ? o->message : "");
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  f[k++] = msg;
  int rc = sq_csv_write_row(c->fp, f, k);
  if (!rc && fflush(c->fp)) rc = sq_fail(SQ_EIO, "%s: %s", c->path, strerror(errno));
  return rc;
}

int sq_cache_attempt(sq_cache *c, int64_t cfg) {
  int rc = write_record(c, cfg, "attempting", NULL);
  /* On the disk before the launch: a launch can take the machine down. */
  if (!rc && c->sync && fdatasync(fileno(c->fp)))
    rc = sq_fail(SQ_EIO, "%s: %s", c->path, strerror(errno));
  return rc;
}

int sq_cache_record(sq_cache *c, int64_t cfg, const sq_outcome *o) {
  int rc = write_record(c, cfg, o->status, o);
  if (rc) return rc;
  if (!c->done[cfg]) c->nresults++;
  c->done[cfg] = 1;
  c->out[cfg] = *o;
  return 0;
}

int64_t sq_cache_best(const sq_cache *c, double *ms) {
  int64_t best = -1;
  *ms = INFINITY;
  for (int64_t i = 0; i < c->space->n; i++)
    if (c->done[i] && !strcmp(c->out[i].status, "ok") && c->out[i].ms < *ms) {
      *ms = c->out[i].ms;
      best = i;
    }
  return best;
}

void sq_cache_close(sq_cache *c) {
  if (c->fp) fclose(c->fp);
  free(c->path);
  free(c->done);
  free(c->out);
  memset(c, 0, sizeof *c);
}
