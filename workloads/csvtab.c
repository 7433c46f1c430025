/* CSV texts into records with line numbers, through libcsv. The text is fed
 * one line at a time so that each completed record knows the line it ends
 * on; quoted fields spanning lines still parse (they report their last). */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "workloads/csvtab.h"

typedef struct reader {
  sq_csvtab *t;
  int line;
  int nf, capf;
  char **f;
  int oom;
} reader;

static void on_field(void *s, size_t len, void *data) {
  reader *r = data;
  if (r->oom) return;
  if (r->nf == r->capf) {
    int cap = r->capf ? 2 * r->capf : 32;
    char **f = realloc(r->f, (size_t)cap * sizeof *f);
    if (!f) { r->oom = 1; return; }
    r->f = f;
    r->capf = cap;
  }
  char *v = malloc(len + 1);
  if (!v) { r->oom = 1; return; }
  if (len) memcpy(v, s, len);
  v[len] = 0;
  r->f[r->nf++] = v;
}

static void on_record(int c, void *data) {
  reader *r = data;
  (void)c;
  if (r->oom) return;
  sq_csvtab *t = r->t;
  if (t->n == t->cap) {
    int cap = t->cap ? 2 * t->cap : 256;
    sq_csvrec *v = realloc(t->r, (size_t)cap * sizeof *v);
    if (!v) { r->oom = 1; return; }
    t->r = v;
    t->cap = cap;
  }
  t->r[t->n++] = (sq_csvrec){.line = r->line, .n = r->nf, .f = r->f};
  r->f = NULL;
  r->nf = r->capf = 0;
}

int sq_csvtab_parse(const char *text, size_t len, const char *name, sq_csvtab *out) {
  memset(out, 0, sizeof *out);
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
    return sq_fail(SQ_ENOMEM, "%s: cannot start the CSV parser", name);
  reader r = {.t = out};
  int rc = 0;
  size_t pos = 0;
  while (pos < len && !rc) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (text + pos)) + 1 : len - pos;
    r.line++;
    /* A comment line outside a quoted field: skip it whole. */
    if (text[pos] == '#' && r.nf == 0) {
      pos += n;
      continue;
    }
    if (csv_parse(&p, text + pos, n, on_field, on_record, &r) != n)
      rc = sq_fail(SQ_EPARSE, "%s:%d: malformed CSV: %s", name, r.line,
                   csv_strerror(csv_error(&p)));
    pos += n;
  }
  if (!rc && csv_fini(&p, on_field, on_record, &r) != 0)
    rc = sq_fail(SQ_EPARSE, "%s:%d: malformed CSV: %s", name, r.line,
                 csv_strerror(csv_error(&p)));
  csv_free(&p);
  if (!rc && r.oom) rc = sq_fail(SQ_ENOMEM, "%s: out of memory", name);
  for (int i = 0; i < r.nf; i++) free(r.f[i]);
  free(r.f);
  if (rc) sq_csvtab_free(out);
  return rc;
}

void sq_csvtab_free(sq_csvtab *t) {
  for (int i = 0; i < t->n; i++) {
    for (int j = 0; j < t->r[i].n; j++) free(t->r[i].f[j]);
    free(t->r[i].f);
  }
  free(t->r);
  memset(t, 0, sizeof *t);
}

int sq_read_file(const char *path, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return sq_fail(SQ_EIO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  int rc = 0;
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    cap *= 2;
    char *b = realloc(buf, cap + 1);
    if (!b) { free(buf); buf = NULL; }
    else buf = b;
  }
  if (!buf) rc = sq_fail(SQ_ENOMEM, "%s: out of memory reading it", path);
  else if (ferror(f)) rc = sq_fail(SQ_EIO, "%s: read error: %s", path, strerror(errno));
  fclose(f);
  if (rc) { free(buf); return rc; }
  buf[n] = 0;
  *text = buf;
  *len = n;
  return 0;
}
