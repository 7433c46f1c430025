/* SPDX-License-Identifier: BSD-3-Clause */
/* Text tables: column widths are computed over every cell before printing,
 * so columns line up whatever the data. Cells come from result files, so
 * nothing in them may act on the reader: control characters (newlines,
 * terminal escapes) are replaced when a cell is added, Markdown output
 * backslash-escapes what would break the table or start markup or raw HTML,
 * and HTML output escapes what would start a tag or an entity. */
#include "reports/table.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"

int sq_table_init(sq_table *t, int ncols, const char *const *header) {
  memset(t, 0, sizeof *t);
  t->ncols = ncols;
  t->right = calloc((size_t)ncols, sizeof *t->right);
  if (!t->right) return sq_fail(SQ_ENOMEM, "table: out of memory");
  return sq_table_add(t, header);
}

void sq_table_align_right(sq_table *t, int c) {
  if (c >= 0 && c < t->ncols) t->right[c] = 1;
}

int sq_table_add(sq_table *t, const char *const *cells) {
  if (t->nrows == t->cap) {
    int cap = t->cap ? 2 * t->cap : 16;
    char **nc = realloc(t->cells, (size_t)cap * t->ncols * sizeof *nc);
    if (!nc) return sq_fail(SQ_ENOMEM, "table: out of memory");
    t->cells = nc;
    t->cap = cap;
  }
  char **row = t->cells + (size_t)t->nrows * t->ncols;
  for (int c = 0; c < t->ncols; c++) {
    /* Newlines would break both layouts, and a terminal acts on escape
     * sequences: a cell is one line of printable text. */
    row[c] = strdup(cells[c] ? cells[c] : "");
    if (!row[c]) {
      while (c--) free(row[c]);
      return sq_fail(SQ_ENOMEM, "table: out of memory");
    }
    for (char *p = row[c]; *p; p++) *p = sq_text_char(*p);
  }
  t->nrows++;
  return 0;
}

char sq_text_char(char ch) {
  unsigned char c = (unsigned char)ch;
  if (c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') return ' ';
  if (c < 0x20 || c == 0x7f) return '?';
  return ch;
}

void sq_md_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    char c = sq_text_char(*s);
    if (strchr("\\`*[]<>|&", c)) fputc('\\', f);
    fputc(c, f);
  }
}

void sq_md_code(FILE *f, const char *s) {
  /* CommonMark: a code span's fence is a run of backticks longer than any
   * run inside it; a space pads content that starts or ends with one. */
  int longest = 0, run = 0;
  for (const char *p = s; *p; p++) {
    run = *p == '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  size_t n = strlen(s);
  int pad = n && (s[0] == '`' || s[n - 1] == '`');
  for (int i = 0; i <= longest; i++) fputc('`', f);
  if (pad) fputc(' ', f);
  for (const char *p = s; *p; p++) fputc(sq_text_char(*p), f);
  if (pad) fputc(' ', f);
  for (int i = 0; i <= longest; i++) fputc('`', f);
}

static void put_md_cell(FILE *f, const char *s) {
  fputc(' ', f);
  sq_md_escape(f, s);
  fputs(" |", f);
}

void sq_table_print(FILE *f, const sq_table *t, int markdown) {
  if (markdown) {
    for (int r = 0; r < t->nrows; r++) {
      fputc('|', f);
      for (int c = 0; c < t->ncols; c++) put_md_cell(f, t->cells[(size_t)r * t->ncols + c]);
      fputc('\n', f);
      if (r == 0) {
        fputc('|', f);
        for (int c = 0; c < t->ncols; c++) fputs(t->right[c] ? "---:|" : "---|", f);
        fputc('\n', f);
      }
    }
    return;
  }
  int *w = calloc((size_t)t->ncols, sizeof *w);
  if (!w) return;
  for (int r = 0; r < t->nrows; r++)
    for (int c = 0; c < t->ncols; c++) {
      int len = (int)strlen(t->cells[(size_t)r * t->ncols + c]);
      if (len > w[c]) w[c] = len;
    }
  for (int r = 0; r < t->nrows; r++) {
    /* Each line is built first so trailing blanks (empty last cells) can be
     * trimmed before it is printed. */
    char *line = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&line, &len);
    if (!m) break;
    for (int c = 0; c < t->ncols; c++) {
      const char *s = t->cells[(size_t)r * t->ncols + c];
      if (c) fputs("  ", m);
      fprintf(m, t->right[c] ? "%*s" : "%-*s", w[c], s);
    }
    fclose(m);
    while (len && line[len - 1] == ' ') line[--len] = 0;
    fprintf(f, "%s\n", line);
    free(line);
  }
  free(w);
}

void sq_html_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fputc(*s, f);
    }
  }
}

void sq_table_print_html(FILE *f, const sq_table *t) {
  fputs("<table>\n", f);
  for (int r = 0; r < t->nrows; r++) {
    fputs("<tr>", f);
    for (int c = 0; c < t->ncols; c++) {
      const char *tag = r ? "td" : "th";
      fprintf(f, "<%s%s>", tag, t->right[c] && r ? " class=\"num\"" : "");
      sq_html_escape(f, t->cells[(size_t)r * t->ncols + c]);
      fprintf(f, "</%s>", tag);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
}

void sq_table_free(sq_table *t) {
  for (int i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
  free(t->cells);
  free(t->right);
  memset(t, 0, sizeof *t);
}
