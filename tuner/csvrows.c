/* CSV reading and writing for the tuner's files, one record per line, on top
 * of libcsv (see csvrows.h). */
#include "tuner/csvrows.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/error.h"

typedef struct rowbuild {
  sq_csvrow row;
  int cap;
  int oom;
} rowbuild;

static void on_field(void *s, size_t len, void *data) {
  rowbuild *b = data;
  if (b->oom) return;
  if (b->row.nf == b->cap) {
    int cap = b->cap ? 2 * b->cap : 16;
    char **f = realloc(b->row.f, (size_t)cap * sizeof *f);
    if (!f) { b->oom = 1; return; }
    b->row.f = f;
    b->cap = cap;
  }
  char *c = malloc(len + 1);
  if (!c) { b->oom = 1; return; }
  memcpy(c, s ? s : "", len);
  c[len] = 0;
  b->row.f[b->row.nf++] = c;
}

static void on_row(int c, void *data) { (void)c; (void)data; }

static void row_free(sq_csvrow *r) {
  for (int i = 0; i < r->nf; i++) free(r->f[i]);
  free(r->f);
  r->f = NULL;
  r->nf = 0;
}

/* Splits one line (without its newline) into a row. */
static int parse_line(const char *path, int lineno, const char *s, size_t len, sq_csvrow *out) {
  struct csv_parser p;
  rowbuild b = {0};
  if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI)) return sq_fail(SQ_ENOMEM, "csv_init");
  size_t used = csv_parse(&p, s, len, on_field, on_row, &b);
  int bad = used != len || csv_fini(&p, on_field, on_row, &b) != 0;
  csv_free(&p);
  if (b.oom) { row_free(&b.row); return sq_fail(SQ_ENOMEM, "%s:%d: out of memory", path, lineno); }
  if (bad) {
    row_free(&b.row);
    return sq_fail(SQ_EPARSE, "%s:%d: malformed CSV (unbalanced quotes?)", path, lineno);
  }
  b.row.line = lineno;
  *out = b.row;
  return 0;
}

static int push_comment(sq_csvfile *f, const char *s, size_t len) {
  char **c = realloc(f->comments, (size_t)(f->ncomments + 1) * sizeof *c);
  if (!c) return sq_fail(SQ_ENOMEM, "out of memory");
  f->comments = c;
  while (len && (*s == '#' || *s == ' ')) s++, len--;
  if (!(c[f->ncomments] = strndup(s, len))) return sq_fail(SQ_ENOMEM, "out of memory");
  f->ncomments++;
  return 0;
}

static int push_row(sq_csvfile *f, int *cap, sq_csvrow r) {
  if (f->nrows == *cap) {
    int nc = *cap ? 2 * *cap : 64;
    sq_csvrow *rows = realloc(f->rows, (size_t)nc * sizeof *rows);
    if (!rows) return sq_fail(SQ_ENOMEM, "out of memory");
    f->rows = rows;
    *cap = nc;
  }
  f->rows[f->nrows++] = r;
  return 0;
}

int sq_csv_read(const char *path, sq_csvfile *out, int *partial) {
  memset(out, 0, sizeof *out);
  if (partial) *partial = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) return sq_fail(SQ_EIO, "%s: %s", path, strerror(errno));
  int rc = sq_csv_read_fp(fp, path, out, partial);
  fclose(fp);
  return rc;
}

int sq_csv_read_fp(FILE *fp, const char *path, sq_csvfile *out, int *partial) {
  memset(out, 0, sizeof *out);
  if (partial) *partial = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t n;
  int lineno = 0, cap = 0, rc = 0;
  while ((n = getline(&line, &lcap, fp)) >= 0) {
    lineno++;
    int cut = n == 0 || line[n - 1] != '\n';
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    if (n == 0) continue;
    if (line[0] == '#') {
      if (out->nrows == 0 && (rc = push_comment(out, line, (size_t)n))) break;
      continue;
    }
    sq_csvrow r = {0};
    if ((rc = parse_line(path, lineno, line, (size_t)n, &r))) {
      if (cut && partial) { *partial = lineno; rc = 0; }
      break;
    }
    if (cut && partial) *partial = lineno;
    if ((rc = push_row(out, &cap, r))) { row_free(&r); break; }
  }
  if (!rc && ferror(fp)) rc = sq_fail(SQ_EIO, "%s: read error", path);
  free(line);
  if (rc) sq_csv_free(out);
  return rc;
}

void sq_csv_free(sq_csvfile *f) {
  for (int i = 0; i < f->ncomments; i++) free(f->comments[i]);
  free(f->comments);
  for (int i = 0; i < f->nrows; i++) row_free(&f->rows[i]);
  free(f->rows);
  memset(f, 0, sizeof *f);
}

int sq_csv_write_row(FILE *fp, const char *const *fields, int n) {
  for (int i = 0; i < n; i++) {
    if (i && fputc(',', fp) == EOF) return sq_fail(SQ_EIO, "write failed");
    const char *s = fields[i] ? fields[i] : "";
    size_t len = strlen(s);
    /* Quoted when it would not read back bare: libcsv trims unquoted
     * blanks, and a record starting with '#' reads as a comment. */
    int quote = len && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t' ||
                        (i == 0 && s[0] == '#'));
    if (quote || strpbrk(s, ",\"\n\r")) {
      if (csv_fwrite(fp, s, len)) return sq_fail(SQ_EIO, "write failed");
    } else if (fputs(s, fp) == EOF) {
      return sq_fail(SQ_EIO, "write failed");
    }
  }
  if (fputc('\n', fp) == EOF) return sq_fail(SQ_EIO, "write failed");
  return 0;
}
