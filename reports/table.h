/* SPDX-License-Identifier: BSD-3-Clause */
/* A small text table shared by `compare` and `report`: cells are collected
 * as strings, then printed either aligned for a terminal or as a Markdown
 * table (GitHub job summaries, summary.md). */
#ifndef SQ_TABLE_H
#define SQ_TABLE_H

#include <stdio.h>

typedef struct sq_table {
  int ncols, nrows, cap;
  char **cells;      /* nrows * ncols, row-major; row 0 is the header */
  int *right;        /* per column: 1 to right-align (numbers) */
} sq_table;

/* A table with the given header (ncols names). 0 or SQ_ENOMEM. */
int sq_table_init(sq_table *t, int ncols, const char *const *header);
/* Marks column c right-aligned. */
void sq_table_align_right(sq_table *t, int c);
/* Appends a row of ncols cells (NULL is an empty cell). 0 or SQ_ENOMEM. */
int sq_table_add(sq_table *t, const char *const *cells);
/* Prints aligned text (markdown = 0) or a Markdown table (markdown = 1). */
void sq_table_print(FILE *f, const sq_table *t, int markdown);
/* Prints an HTML <table> (cells escaped). */
void sq_table_print_html(FILE *f, const sq_table *t);
/* Writes s with &, <, >, " and ' escaped for HTML. */
void sq_html_escape(FILE *f, const char *s);
/* Writes s as Markdown text: control characters replaced (sq_text_char),
 * and \ ` * [ ] < > | & backslash-escaped, so a value can neither break a
 * table row nor start emphasis, a link, a code span or raw HTML. */
void sq_md_escape(FILE *f, const char *s);
/* Writes s as a Markdown code span whose fence no backtick in s can close. */
void sq_md_code(FILE *f, const char *s);
/* One character of text from a file as printed: whitespace control
 * characters become ' ', the other control characters '?'. */
char sq_text_char(char c);
void sq_table_free(sq_table *t);

#endif
