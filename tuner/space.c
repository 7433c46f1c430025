/* SPDX-License-Identifier: BSD-3-Clause */
/* Building search spaces (from a kernel descriptor with early pruning, or
 * from a recorded CSV) and looking configurations up in them. */
#include "tuner/space.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/csv.h"
#include "base/error.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static uint64_t hash_cfg(const uint8_t *vi, int np) {
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < np; i++) h = (h ^ vi[i]) * 1099511628211ull;
  return h ^ (h >> 29);
}

static int build_table(sq_space *s) {
  size_t ns = 16;
  while (ns < (size_t)s->n * 2) ns <<= 1;
  free(s->slot);
  if (!(s->slot = malloc(ns * sizeof *s->slot))) return sq_fail(SQ_ENOMEM, "space: out of memory");
  for (size_t i = 0; i < ns; i++) s->slot[i] = -1;
  s->nslot = ns;
  for (int64_t i = 0; i < s->n; i++) {
    size_t h = hash_cfg(sq_space_cfg(s, i), s->np) & (ns - 1);
    while (s->slot[h] >= 0) {
      if (!memcmp(sq_space_cfg(s, s->slot[h]), sq_space_cfg(s, i), (size_t)s->np))
        return sq_fail(SQ_EPARSE, "space: configuration %lld appears twice", (long long)i);
      h = (h + 1) & (ns - 1);
    }
    s->slot[h] = i;
  }
  return 0;
}

int64_t sq_space_find(const sq_space *s, const uint8_t *vi) {
  if (!s->nslot) return -1;
  size_t h = hash_cfg(vi, s->np) & (s->nslot - 1);
  while (s->slot[h] >= 0) {
    if (!memcmp(sq_space_cfg(s, s->slot[h]), vi, (size_t)s->np)) return s->slot[h];
    h = (h + 1) & (s->nslot - 1);
  }
  return -1;
}

static int value_index(const sq_space *s, int p, int v) {
  for (int j = 0; j < s->nv[p]; j++)
    if (s->val[p][j] == v) return j;
  return -1;
}

int64_t sq_space_find_values(const sq_space *s, const int *pv) {
  uint8_t vi[SQ_SPACE_MAXP];
  for (int p = 0; p < s->np; p++) {
    int j = value_index(s, p, pv[p]);
    if (j < 0) return -1;
    vi[p] = (uint8_t)j;
  }
  return sq_space_find(s, vi);
}

void sq_space_values(const sq_space *s, int64_t i, int *pv) {
  const uint8_t *c = sq_space_cfg(s, i);
  for (int p = 0; p < s->np; p++) pv[p] = s->val[p][c[p]];
}

void sq_space_format(const sq_space *s, int64_t i, char *buf, size_t n) {
  size_t o = 0;
  buf[0] = 0;
  const uint8_t *c = sq_space_cfg(s, i);
  for (int p = 0; p < s->np && o < n; p++)
    o += (size_t)snprintf(buf + o, n - o, "%s%s=%d", p ? ";" : "", s->name[p], s->val[p][c[p]]);
}

int64_t sq_space_step(const sq_space *s, int64_t i, int p, int dir) {
  uint8_t vi[SQ_SPACE_MAXP];
  memcpy(vi, sq_space_cfg(s, i), (size_t)s->np);
  for (int j = vi[p] + dir; j >= 0 && j < s->nv[p]; j += dir) {
    vi[p] = (uint8_t)j;
    int64_t k = sq_space_find(s, vi);
    if (k >= 0) return k;
  }
  return -1;
}

void sq_space_free(sq_space *s) {
  free(s->idx);
  free(s->time);
  free(s->slot);
  memset(s, 0, sizeof *s);
}

/* --- enumeration from a kernel descriptor --------------------------------- */

typedef struct enum_ctx {
  const sq_kernel *k;
  const sq_problem *p;
  sq_space_filter filter;
  void *fctx;
  sq_space *s;
  int64_t cap;
  int pv[SQ_SPACE_MAXP];
  uint8_t vi[SQ_SPACE_MAXP];
  int err;
} enum_ctx;

static int push_cfg(enum_ctx *e) {
  sq_space *s = e->s;
  if (s->n == e->cap) {
    int64_t cap = e->cap ? 2 * e->cap : 256;
    uint8_t *idx = realloc(s->idx, (size_t)(cap * s->np));
    if (!idx) return sq_fail(SQ_ENOMEM, "space: out of memory");
    s->idx = idx;
    e->cap = cap;
  }
  memcpy(s->idx + s->n * s->np, e->vi, (size_t)s->np);
  s->n++;
  return 0;
}

/* Assigns parameter `depth` every candidate value; a prefix the descriptor
 * rejects is not expanded further. */
static int enumerate(enum_ctx *e, int depth) {
  const sq_space *s = e->s;
  if (depth == s->np) {
    if (e->filter && e->filter(e->fctx, e->pv)) return 0;
    return push_cfg(e);
  }
  for (int j = 0; j < s->nv[depth]; j++) {
    e->pv[depth] = s->val[depth][j];
    e->vi[depth] = (uint8_t)j;
    char why[256];
    if (e->k->check && e->k->check(e->p, e->pv, depth + 1, why, sizeof why)) continue;
    int rc = enumerate(e, depth + 1);
    if (rc) return rc;
  }
  return 0;
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

int sq_space_from_kernel(const sq_kernel *k, const sq_problem *p, sq_space_filter filter,
                         void *ctx, sq_space *out) {
  double t0 = now_s();
  memset(out, 0, sizeof *out);
  if (k->nparams > SQ_SPACE_MAXP) return sq_fail(SQ_EINVAL, "%s: too many parameters", k->name);
  out->np = k->nparams;
  out->product = 1;
  for (int i = 0; i < k->nparams; i++) {
    const sq_param *pa = &k->params[i];
    snprintf(out->name[i], SQ_SPACE_NAME, "%s", pa->name);
    out->nv[i] = pa->nvalues;
    memcpy(out->val[i], pa->values, (size_t)pa->nvalues * sizeof(int));
    /* Sorted order makes "adjacent candidate value" mean the next size. */
    qsort(out->val[i], (size_t)pa->nvalues, sizeof(int), cmp_int);
    out->product *= pa->nvalues;
  }
  enum_ctx e = {.k = k, .p = p, .filter = filter, .fctx = ctx, .s = out};
  int rc = out->np ? enumerate(&e, 0) : push_cfg(&e);
  if (!rc) rc = build_table(out);
  if (rc) { sq_space_free(out); return rc; }
  out->removed = out->product - (double)out->n;
  out->build_s = now_s() - t0;
  return 0;
}

/* --- recorded spaces --------------------------------------------------------- */

static int parse_int(const char *s, int *v) {
  char *end;
  long x = strtol(s, &end, 10);
  if (!*s || *end || x < -2147483647L || x > 2147483647L) return -1;
  *v = (int)x;
  return 0;
}

static int add_value(sq_space *s, int p, int v) {
  if (value_index(s, p, v) >= 0) return 0;
  if (s->nv[p] == SQ_SPACE_MAXV) return -1;
  s->val[p][s->nv[p]++] = v;
  return 0;
}

static int csv_header(const char *path, const sq_csvfile *f, sq_space *s, int *tcol) {
  if (f->nrows < 1) return sq_fail(SQ_EPARSE, "%s: empty file (want a header and rows)", path);
  const sq_csvrow *h = &f->rows[0];
  *tcol = -1;
  for (int i = 0; i < h->nf; i++) {
    if (!strcmp(h->f[i], "time_ms")) {
      if (*tcol >= 0) return sq_fail(SQ_EPARSE, "%s:%d: time_ms appears twice", path, h->line);
      *tcol = i;
      continue;
    }
    if (!h->f[i][0]) return sq_fail(SQ_EPARSE, "%s:%d: empty column name", path, h->line);
    if (s->np == SQ_SPACE_MAXP)
      return sq_fail(SQ_EPARSE, "%s:%d: more than %d parameter columns", path, h->line, SQ_SPACE_MAXP);
    snprintf(s->name[s->np++], SQ_SPACE_NAME, "%s", h->f[i]);
  }
  if (*tcol < 0) return sq_fail(SQ_EPARSE, "%s:%d: no time_ms column", path, h->line);
  if (!s->np) return sq_fail(SQ_EPARSE, "%s:%d: no parameter columns", path, h->line);
  return 0;
}

/* First pass: each parameter's values; second pass: configurations. */
static int csv_values(const char *path, const sq_csvfile *f, sq_space *s, int tcol) {
  for (int r = 1; r < f->nrows; r++) {
    const sq_csvrow *row = &f->rows[r];
    if (row->nf != s->np + 1)
      return sq_fail(SQ_EPARSE, "%s:%d: %d fields, header has %d", path, row->line, row->nf, s->np + 1);
    for (int i = 0, p = 0; i < row->nf; i++) {
      if (i == tcol) continue;
      int v;
      if (parse_int(row->f[i], &v))
        return sq_fail(SQ_EPARSE, "%s:%d: %s='%s' is not an integer", path, row->line, s->name[p], row->f[i]);
      if (add_value(s, p, v))
        return sq_fail(SQ_EPARSE, "%s:%d: %s has more than %d values", path, row->line, s->name[p], SQ_SPACE_MAXV);
      p++;
    }
  }
  for (int p = 0; p < s->np; p++) qsort(s->val[p], (size_t)s->nv[p], sizeof(int), cmp_int);
  return 0;
}

static int csv_configs(const char *path, const sq_csvfile *f, sq_space *s, int tcol) {
  s->n = f->nrows - 1;
  s->idx = malloc((size_t)(s->n * s->np) + 1);
  s->time = malloc((size_t)s->n * sizeof(double) + 1);
  if (!s->idx || !s->time) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  for (int r = 1; r < f->nrows; r++) {
    const sq_csvrow *row = &f->rows[r];
    uint8_t *c = s->idx + (int64_t)(r - 1) * s->np;
    for (int i = 0, p = 0; i < row->nf; i++) {
      if (i == tcol) continue;
      int v = 0;
      parse_int(row->f[i], &v);
      c[p] = (uint8_t)value_index(s, p, v);
      p++;
    }
    /* An empty time is a configuration that failed when recorded; anything
     * else must be a time a search can compare (inf, nan, 0 and negative
     * ones are refused, not read as failures or as the best). */
    const char *t = row->f[tcol];
    char *end;
    double ms = *t ? strtod(t, &end) : NAN;
    if (*t && (*end || !isfinite(ms) || ms <= 0))
      return sq_fail(SQ_EPARSE, "%s:%d: time_ms: '%.40s' is not a positive finite time (leave it empty for a "
                     "failed configuration)", path, row->line, t);
    s->time[r - 1] = ms;
  }
  return 0;
}

int sq_space_from_csv(const char *path, sq_space *out) {
  double t0 = now_s();
  memset(out, 0, sizeof *out);
  sq_csvfile f;
  int rc = sq_csv_read(path, SQ_CSV_ONE_LINE, &f, NULL), tcol = -1;
  if (rc) return rc;
  if (!(rc = csv_header(path, &f, out, &tcol)) && !(rc = csv_values(path, &f, out, tcol)) &&
      !(rc = csv_configs(path, &f, out, tcol))) {
    if (out->n == 0) rc = sq_fail(SQ_EPARSE, "%s: no configurations", path);
    else if ((rc = build_table(out)) == SQ_EPARSE)
      rc = sq_fail(SQ_EPARSE, "%s: a configuration appears on two rows", path);
  }
  sq_csv_free(&f);
  if (rc) { sq_space_free(out); return rc; }
  out->product = 1;
  for (int p = 0; p < out->np; p++) out->product *= out->nv[p];
  out->removed = out->product - (double)out->n;
  out->build_s = now_s() - t0;
  return 0;
}

/* A recorded space from rows already read (the JSON formats, tuner/t4.c):
 * the same checks as a CSV's, messages naming `path`. */
int sq_space_from_table(const char *path, int np, const char (*names)[SQ_SPACE_NAME], int64_t n,
                        const int *values, const double *ms, sq_space *out) {
  double t0 = now_s();
  memset(out, 0, sizeof *out);
  int rc = 0;
  if (np < 1 || np > SQ_SPACE_MAXP) return sq_fail(SQ_EPARSE, "%s: %d parameters (1 to %d)", path, np, SQ_SPACE_MAXP);
  if (n < 1) return sq_fail(SQ_EPARSE, "%s: no configurations", path);
  out->np = np;
  for (int p = 0; p < np; p++) snprintf(out->name[p], SQ_SPACE_NAME, "%s", names[p]);
  for (int64_t r = 0; r < n && !rc; r++)
    for (int p = 0; p < np && !rc; p++)
      if (add_value(out, p, values[r * np + p]))
        rc = sq_fail(SQ_EPARSE, "%s: %s has more than %d values", path, names[p], SQ_SPACE_MAXV);
  for (int p = 0; p < np; p++) qsort(out->val[p], (size_t)out->nv[p], sizeof(int), cmp_int);
  if (!rc) {
    out->n = n;
    out->idx = malloc((size_t)(n * np) + 1);
    out->time = malloc((size_t)n * sizeof(double) + 1);
    if (!out->idx || !out->time) rc = sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  }
  for (int64_t r = 0; r < n && !rc; r++) {
    for (int p = 0; p < np; p++) out->idx[r * np + p] = (uint8_t)value_index(out, p, values[r * np + p]);
    if (!isnan(ms[r]) && !(isfinite(ms[r]) && ms[r] > 0))
      rc = sq_fail(SQ_EPARSE, "%s: configuration %lld: %g is not a positive finite time", path, (long long)r + 1, ms[r]);
    out->time[r] = ms[r];
  }
  if (!rc && (rc = build_table(out)) == SQ_EPARSE) rc = sq_fail(SQ_EPARSE, "%s: a configuration appears twice", path);
  if (rc) {
    sq_space_free(out);
    return rc;
  }
  out->product = 1;
  for (int p = 0; p < out->np; p++) out->product *= out->nv[p];
  out->removed = out->product - (double)out->n;
  out->build_s = now_s() - t0;
  return 0;
}
