/* SPDX-License-Identifier: BSD-3-Clause */
/* The CSV reader and writer (csv.h). The text is fed to libcsv one line at
 * a time, so each record knows the line it starts on and each error the
 * line it was found on; comment lines are taken out before libcsv sees
 * them, and only between records. */
#include "base/csv.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"

typedef struct scan {
  const char *name;
  const sq_csv_hooks *h;
  int line;          /* line being fed */
  sq_csvrow cur;     /* the record being built; cur.line is where it began */
  int cap;           /* room in cur.f */
  int nrows;         /* records delivered so far */
  int unterminated;  /* the last record was completed by csv_fini (no line break after it) */
  int rc;            /* first error, from a hook or the allocator (sticky) */
} scan;

void sq_csvrow_free(sq_csvrow *r) {
  for (int i = 0; r->f && i < r->nf; i++) free(r->f[i]);
  free(r->f);
  r->f = NULL;
  r->nf = 0;
}

static void on_field(void *s, size_t len, void *data) {
  scan *x = data;
  if (x->rc) return;
  if (x->cur.nf == x->cap) {
    int cap = x->cap ? 2 * x->cap : 16;
    char **f = realloc(x->cur.f, (size_t)cap * sizeof *f);
    if (!f) { x->rc = sq_fail(SQ_ENOMEM, "%s:%d: out of memory", x->name, x->cur.line); return; }
    x->cur.f = f;
    x->cap = cap;
  }
  char *v = malloc(len + 1);
  if (!v) { x->rc = sq_fail(SQ_ENOMEM, "%s:%d: out of memory", x->name, x->cur.line); return; }
  if (len) memcpy(v, s, len);
  v[len] = '\0';
  x->cur.f[x->cur.nf++] = v;
}

static void on_record(int c, void *data) {
  scan *x = data;
  if (!x->rc && x->cur.nf) {
    x->unterminated = c == -1;
    x->nrows++;
    if (x->h->on_row) x->rc = x->h->on_row(x->h->ctx, &x->cur);
  }
  sq_csvrow_free(&x->cur);
  x->cap = 0;
}

/* A comment line [s, s + n) without its '#', the blanks after it and its
 * line break, for the hook. */
static int comment(scan *x, const char *s, size_t n) {
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
  while (n && (*s == '#' || *s == ' ')) s++, n--;
  char *t = malloc(n + 1);
  if (!t) return sq_fail(SQ_ENOMEM, "%s:%d: out of memory", x->name, x->line);
  memcpy(t, s, n);
  t[n] = '\0';
  int rc = x->h->on_comment(x->h->ctx, x->line, t);
  free(t);
  return rc;
}

static int parse_error(const scan *x, const struct csv_parser *p) {
  if (csv_error((struct csv_parser *)p) == CSV_EPARSE)
    return sq_fail(SQ_EPARSE, "%s:%d: malformed CSV (a stray or unbalanced quote)", x->name, x->line);
  return sq_fail(SQ_ENOMEM, "%s:%d: malformed CSV: %s", x->name, x->line,
                 csv_strerror(csv_error((struct csv_parser *)p)));
}

/* Feeds the lines of text; 0 or the first error. */
static int feed(scan *x, struct csv_parser *p, const char *text, size_t len, int flags) {
  size_t pos = 0;
  while (pos < len && !x->rc) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - (text + pos)) + 1 : len - pos;
    x->line++;
    if (memchr(text + pos, '\0', n)) return sq_fail(SQ_EPARSE, "%s:%d: NUL byte (not a text file)", x->name, x->line);
    if (p->pstate == 0) {
      /* No record in progress: one begins on this line, or a comment. */
      x->cur.line = x->line;
      if (text[pos] == '#') {
        if (!x->nrows && x->h->on_comment) x->rc = comment(x, text + pos, n);
        pos += n;
        continue;
      }
    }
    if (csv_parse(p, text + pos, n, on_field, on_record, x) != n && !x->rc) return parse_error(x, p);
    pos += n;
    if ((flags & SQ_CSV_ONE_LINE) && nl && p->pstate != 0 && !x->rc)
      return sq_fail(SQ_EPARSE, "%s:%d: malformed CSV (unbalanced quotes: a quoted field runs past its line)",
                     x->name, x->line);
  }
  return x->rc;
}

int sq_csv_scan(const char *text, size_t len, const char *name, int flags, const sq_csv_hooks *h, int *partial) {
  if (partial) *partial = 0;
  struct csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) return sq_fail(SQ_ENOMEM, "%s: out of memory", name);
  scan x = {.name = name, .h = h};
  int rc = feed(&x, &p, text, len, flags);
  if (!rc) {
    int begun = p.pstate != 0, start = x.cur.line;
    if (csv_fini(&p, on_field, on_record, &x) != 0) {
      /* The text ends inside a quoted field: a record cut short. */
      if (partial) *partial = start;
      else if (flags & SQ_CSV_ONE_LINE)
        rc = sq_fail(SQ_EPARSE, "%s:%d: malformed CSV (unbalanced quotes: a quoted field runs past its line)", name,
                     start);
      else
        rc = sq_fail(SQ_EPARSE, "%s:%d: file ends inside a quoted field (malformed CSV)", name, start);
    } else if (begun && x.unterminated && partial) {
      *partial = start;
    }
    if (!rc) rc = x.rc;
  }
  csv_free(&p);
  sq_csvrow_free(&x.cur);
  return rc;
}

/* ---- a whole file in memory ------------------------------------------ */

typedef struct table {
  sq_csvfile *f;
  int cap;
  const char *name;
} table;

static int keep_comment(void *ctx, int line, const char *text) {
  table *t = ctx;
  sq_csvfile *f = t->f;
  char **c = realloc(f->comments, (size_t)(f->ncomments + 1) * sizeof *c);
  if (c) f->comments = c;
  int *l = c ? realloc(f->comment_line, (size_t)(f->ncomments + 1) * sizeof *l) : NULL;
  if (l) f->comment_line = l;
  if (!c || !l || !(c[f->ncomments] = strdup(text))) return sq_fail(SQ_ENOMEM, "%s: out of memory", t->name);
  l[f->ncomments++] = line;
  return 0;
}

static int keep_row(void *ctx, sq_csvrow *r) {
  table *t = ctx;
  sq_csvfile *f = t->f;
  if (f->nrows == t->cap) {
    int cap = t->cap ? 2 * t->cap : 64;
    sq_csvrow *rows = realloc(f->rows, (size_t)cap * sizeof *rows);
    if (!rows) return sq_fail(SQ_ENOMEM, "%s:%d: out of memory", t->name, r->line);
    f->rows = rows;
    t->cap = cap;
  }
  f->rows[f->nrows++] = *r;
  r->f = NULL;   /* the table owns the fields now */
  r->nf = 0;
  return 0;
}

int sq_csv_parse(const char *text, size_t len, const char *name, int flags, sq_csvfile *out, int *partial) {
  memset(out, 0, sizeof *out);
  table t = {.f = out, .name = name};
  sq_csv_hooks h = {.on_comment = keep_comment, .on_row = keep_row, .ctx = &t};
  int rc = sq_csv_scan(text, len, name, flags, &h, partial);
  if (rc) {
    sq_csv_free(out);
    if (partial) *partial = 0;
  }
  return rc;
}

int sq_csv_read(const char *path, int flags, sq_csvfile *out, int *partial) {
  memset(out, 0, sizeof *out);
  if (partial) *partial = 0;
  char *text;
  size_t len;
  int rc = sq_read_file(path, &text, &len);
  if (rc) return rc;
  rc = sq_csv_parse(text, len, path, flags, out, partial);
  free(text);
  return rc;
}

int sq_csv_read_fp(FILE *fp, const char *name, int flags, sq_csvfile *out, int *partial) {
  memset(out, 0, sizeof *out);
  if (partial) *partial = 0;
  char *text;
  size_t len;
  int rc = sq_read_stream(fp, name, &text, &len);
  if (rc) return rc;
  rc = sq_csv_parse(text, len, name, flags, out, partial);
  free(text);
  return rc;
}

void sq_csv_free(sq_csvfile *f) {
  for (int i = 0; i < f->ncomments; i++) free(f->comments[i]);
  free(f->comments);
  free(f->comment_line);
  for (int i = 0; i < f->nrows; i++) sq_csvrow_free(&f->rows[i]);
  free(f->rows);
  memset(f, 0, sizeof *f);
}

/* ---- writing ---------------------------------------------------------- */

/* Whether s must be quoted to read back as itself: separators, quotes and
 * line breaks; blanks at either end (libcsv trims them from bare fields);
 * a '#' opening a record (it would read as a comment); and an empty lone
 * field (its record would read as a blank line). */
static int needs_quotes(const char *s, int first, int n) {
  size_t len = strlen(s);
  if (!len) return n == 1;
  if (strpbrk(s, ",\"\r\n")) return 1;
  if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t') return 1;
  return first && s[0] == '#';
}

int sq_csv_write_row(FILE *fp, const char *const *fields, int n) {
  for (int i = 0; i < n; i++) {
    const char *s = fields[i] ? fields[i] : "";
    if (i && fputc(',', fp) == EOF) return sq_fail(SQ_EIO, "write failed");
    if (needs_quotes(s, i == 0, n) ? csv_fwrite(fp, s, strlen(s)) != 0 : fputs(s, fp) == EOF)
      return sq_fail(SQ_EIO, "write failed");
  }
  if (fputc('\n', fp) == EOF) return sq_fail(SQ_EIO, "write failed");
  return 0;
}
