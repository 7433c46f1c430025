/* Reading tuning traces. Each line is parsed on its own with libcsv (tuner
 * files keep every record on one line), which lets every error name its
 * line. Lines are read whole however long, and a record with more fields,
 * or longer fields, than kept here is refused rather than cut. The
 * best-so-far series is the running minimum of the successful times in file
 * order, which is evaluation order for both caches (appended as the search
 * runs) and replay output. */
#include "reports/tunefile.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"

#define MAXF 64

struct fields {
  int n;
  int over;          /* a field beyond MAXF, or longer than f[0] holds */
  char f[MAXF][256];
};

static void on_field(void *s, size_t len, void *data) {
  struct fields *fl = data;
  if (fl->n >= MAXF || len >= sizeof fl->f[0]) {
    fl->over = 1;
    return;
  }
  memcpy(fl->f[fl->n], s, len);
  fl->f[fl->n++][len] = 0;
}

static int split(const char *line, struct fields *fl) {
  struct csv_parser p;
  fl->n = fl->over = 0;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) return -1;
  size_t len = strlen(line);
  int rc = csv_parse(&p, line, len, on_field, NULL, fl) == len && csv_fini(&p, on_field, NULL, fl) == 0 ? 0 : -1;
  csv_free(&p);
  return rc;
}

static int col_of(const struct fields *h, const char *name) {
  for (int i = 0; i < h->n; i++)
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

int sq_tune_read(const char *path, sq_tune_trace **out, int *nout) {
  *out = NULL;
  *nout = 0;
  FILE *f = fopen(path, "r");
  if (!f) return sq_fail(errno == ENOENT ? SQ_ENOTFOUND : SQ_EIO, "%s: %s", path, strerror(errno));
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  char label[sizeof((sq_tune_trace *)0)->label], *line = NULL;
  size_t cap = 0;
  ssize_t got;
  snprintf(label, sizeof label, "%s", base); /* a file name fits; see tunefile.h */
  struct fields *h = calloc(2, sizeof *h), *r = h ? h + 1 : NULL;
  int lineno = 0, have_header = 0, tcol = -1, scol = -1, gcol = -1, rc = 0;
  sq_tune_trace *t = NULL;
  int n = 0;
  if (!h) rc = sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  while (!rc && (got = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (strlen(line) != (size_t)got) {
      rc = sq_fail(SQ_EPARSE, "%s:%d: NUL byte in the line", path, lineno);
      break;
    }
    line[strcspn(line, "\r\n")] = 0;
    if (!have_header && line[0] == '#') {
      /* "# strategy: anneal" or "# strategy=anneal" names the trace. */
      const char *s = line + 1;
      while (*s == ' ') s++;
      if (!strncmp(s, "strategy", 8) && (s[8] == ':' || s[8] == '=')) {
        s += 9;
        while (*s == ' ') s++;
        snprintf(label, sizeof label, "%s", s);
      }
      continue;
    }
    if (!line[0] || line[0] == '#') continue;
    struct fields *dst = have_header ? r : h;
    if (split(line, dst) != 0) {
      rc = sq_fail(SQ_EPARSE, "%s:%d: malformed CSV record", path, lineno);
      break;
    }
    if (dst->over) {
      rc = sq_fail(SQ_EPARSE, "%s:%d: more than %d fields, or a field of %zu bytes or more", path, lineno, MAXF,
                   sizeof dst->f[0]);
      break;
    }
    if (!have_header) {
      const char *names[] = {"time_ms", "ms", "time", "best_ms"};
      for (int i = 0; i < 4 && tcol < 0; i++) tcol = col_of(h, names[i]);
      if (tcol < 0) {
        rc = sq_fail(SQ_EPARSE, "%s:%d: no time column (time_ms, ms, time or best_ms) in the header", path, lineno);
        break;
      }
      scol = col_of(h, "status");
      gcol = col_of(h, "strategy");
      have_header = 1;
      continue;
    }
    if (r->n != h->n) {
      rc = sq_fail(SQ_EPARSE, "%s:%d: %d fields, the header has %d", path, lineno, r->n, h->n);
      break;
    }
    const char *st = scol >= 0 ? r->f[scol] : "ok";
    if (!strcmp(st, "attempting") || !strcmp(st, "attempt")) continue;
    double ms = NAN;
    if (!strcmp(st, "ok") && r->f[tcol][0]) {
      char *end;
      ms = strtod(r->f[tcol], &end);
      if (*end) {
        rc = sq_fail(SQ_EPARSE, "%s:%d: column '%s': '%s' is not a number", path, lineno, h->f[tcol], r->f[tcol]);
        break;
      }
      if (!(ms > 0) || !isfinite(ms)) ms = NAN;
    }
    sq_tune_trace *tr = trace_for(&t, &n, gcol >= 0 ? r->f[gcol] : label);
    if (!tr || push(tr, ms) != 0) rc = sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  }
  fclose(f);
  free(line);
  free(h);
  if (!rc && !have_header) rc = sq_fail(SQ_EPARSE, "%s:%d: no header line", path, lineno + 1);
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
