/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading tuning traces through the CSV reader in its one-record-per-line
 * mode (tuner files are appended line by line), so every error names its
 * line. A record with more fields, or longer fields, than a trace keeps is
 * refused rather than cut. The best-so-far series is the running minimum
 * of the successful times in file order, which is evaluation order for
 * both caches (appended as the search runs) and replay output. */
#include "reports/tunefile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/error.h"
#include "base/files.h"

#define MAXF 64
#define MAXLEN 256

/* A record within the limits a trace keeps. */
static int within_limits(const sq_csvrow *r) {
  if (r->nf > MAXF) return 0;
  for (int i = 0; i < r->nf; i++)
    if (strlen(r->f[i]) >= MAXLEN) return 0;
  return 1;
}

static int too_big(const char *path, const sq_csvrow *r) {
  return sq_fail(SQ_EPARSE, "%s:%d: more than %d fields, or a field of %d bytes or more", path, r->line, MAXF,
                 MAXLEN);
}

static int col_of(const sq_csvrow *h, const char *name) {
  for (int i = 0; i < h->nf; i++)
    if (!strcmp(h->f[i], name)) return i;
  return -1;
}

static sq_tune_trace *trace_for(sq_tune_trace **t, int *n, const char *label) {
  for (int i = 0; i < *n; i++)
    if (!strcmp((*t)[i].label, label)) return &(*t)[i];
  sq_tune_trace *nt = realloc(*t, (*n + 1) * sizeof *nt);
  if (!nt) return NULL;
  *t = nt;
  memset(&nt[*n], 0, sizeof nt[*n]);
  snprintf(nt[*n].label, sizeof nt[*n].label, "%s", label);
  return &nt[(*n)++];
}

static int push(sq_tune_trace *tr, double ms) {
  double *nb = realloc(tr->best, (tr->n + 1) * sizeof *nb);
  if (!nb) return -1;
  tr->best = nb;
  double prev = tr->n ? nb[tr->n - 1] : NAN;
  nb[tr->n++] = isnan(ms) ? prev : (isnan(prev) || ms < prev ? ms : prev);
  return 0;
}

/* The trace's label from the leading comments: "# strategy: anneal" or
 * "# strategy=anneal" names it. */
static void label_of(const sq_csvfile *f, char *label, size_t n) {
  for (int i = 0; i < f->ncomments; i++) {
    const char *s = f->comments[i];
    if (strncmp(s, "strategy", 8) || (s[8] != ':' && s[8] != '=')) continue;
    s += 9;
    while (*s == ' ') s++;
    snprintf(label, n, "%s", s);
  }
}

/* Lines in text, a last one without its newline included. */
static int count_lines(const char *text, size_t len) {
  int n = 0;
  for (size_t i = 0; i < len; i++) n += text[i] == '\n';
  return n + (len && text[len - 1] != '\n');
}

static int read_traces(const char *path, const sq_csvfile *f, char *label, sq_tune_trace **t, int *n) {
  if (!f->nrows) return 0;
  const sq_csvrow *h = &f->rows[0];
  int tcol = -1;
  if (!within_limits(h)) return too_big(path, h);
  const char *names[] = {"time_ms", "ms", "time", "best_ms"};
  for (int i = 0; i < 4 && tcol < 0; i++) tcol = col_of(h, names[i]);
  if (tcol < 0)
    return sq_fail(SQ_EPARSE, "%s:%d: no time column (time_ms, ms, time or best_ms) in the header", path, h->line);
  int scol = col_of(h, "status"), gcol = col_of(h, "strategy");
  for (int i = 1; i < f->nrows; i++) {
    const sq_csvrow *r = &f->rows[i];
    if (!within_limits(r)) return too_big(path, r);
    if (r->nf != h->nf) return sq_fail(SQ_EPARSE, "%s:%d: %d fields, the header has %d", path, r->line, r->nf, h->nf);
    const char *st = scol >= 0 ? r->f[scol] : "ok";
    if (!strcmp(st, "attempting") || !strcmp(st, "attempt")) continue;
    double ms = NAN;
    if (!strcmp(st, "ok") && r->f[tcol][0]) {
      char *end;
      ms = strtod(r->f[tcol], &end);
      if (*end)
        return sq_fail(SQ_EPARSE, "%s:%d: column '%s': '%s' is not a number", path, r->line, h->f[tcol], r->f[tcol]);
      if (!(ms > 0) || !isfinite(ms)) ms = NAN;
    }
    sq_tune_trace *tr = trace_for(t, n, gcol >= 0 ? r->f[gcol] : label);
    if (!tr || push(tr, ms) != 0) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  }
  return 0;
}

int sq_tune_read(const char *path, sq_tune_trace **out, int *nout) {
  *out = NULL;
  *nout = 0;
  char *text;
  size_t len;
  int rc = sq_read_file(path, &text, &len);
  if (rc) return rc == SQ_EIO && errno == ENOENT ? SQ_ENOTFOUND : rc;
  sq_csvfile f;
  rc = sq_csv_parse(text, len, path, SQ_CSV_ONE_LINE, &f, NULL);
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char label[sizeof((sq_tune_trace *)0)->label];
  snprintf(label, sizeof label, "%s", base); /* a file name fits; see tunefile.h */
  sq_tune_trace *t = NULL;
  int n = 0;
  if (!rc) {
    label_of(&f, label, sizeof label);
    rc = read_traces(path, &f, label, &t, &n);
    if (!rc && !f.nrows) rc = sq_fail(SQ_EPARSE, "%s:%d: no header line", path, count_lines(text, len) + 1);
    sq_csv_free(&f);
  }
  free(text);
  if (rc) {
    sq_tune_free(t, n);
    return rc;
  }
  *out = t;
  *nout = n;
  return 0;
}

void sq_tune_free(sq_tune_trace *t, int n) {
  for (int i = 0; i < n; i++) free(t[i].best);
  free(t);
}
