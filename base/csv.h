/* SPDX-License-Identifier: BSD-3-Clause */
/* The one CSV reader and writer of subquad (libcsv underneath): result files
 * and sidecars, the catalog, the tuner's spaces, caches and tuning database,
 * tuning traces, and the CSV that commands print.
 *
 * Reading: blank lines are skipped; a line that starts with '#' outside a
 * record is a comment, and the comments before the first record (the
 * file's preamble: format versions, metadata, cache keys) are kept apart.
 * Every record carries the line it starts on, so a reader can say
 * "file:line: column: what". Quoted fields may span lines, unless the
 * reader asks for SQ_CSV_ONE_LINE (the tuner's files, which are appended
 * and cut line by line). A NUL byte is refused: these are text files.
 *
 * A last record without its newline may be one that a kill cut short (a
 * cache being appended). A reader that passes `partial` learns its line
 * instead of an error when the text ends inside its quotes (the record is
 * then dropped), and also when it parsed (the record is kept): the cache
 * drops that record, other readers may keep it. Without `partial` a text
 * that ends inside quotes is an error and a record without its newline is
 * an ordinary record.
 *
 * Errors (SQ_EPARSE, detail naming the input and the line):
 *   NAME:LINE: malformed CSV (a stray or unbalanced quote)
 *   NAME:LINE: malformed CSV (unbalanced quotes: a quoted field runs past its line)
 *   NAME:LINE: file ends inside a quoted field (malformed CSV)
 *   NAME:LINE: NUL byte (not a text file)
 *
 * Writing: sq_csv_write_row quotes a field only where it must (a comma, a
 * quote, a line break, a leading or trailing blank that libcsv would trim,
 * a '#' that would make the record a comment), so plain cells stay
 * greppable and everything written reads back unchanged. */
#ifndef SQ_CSV_H
#define SQ_CSV_H

#include <stddef.h>
#include <stdio.h>

/* Flags of a reader. */
enum {
  SQ_CSV_ONE_LINE = 1,   /* a record ends with its line: a quoted line break is malformed */
};

typedef struct sq_csvrow {
  int line;          /* 1-based line the record starts on */
  int nf;
  char **f;          /* nf fields, each NUL-terminated */
} sq_csvrow;

/* A whole file in memory. */
typedef struct sq_csvfile {
  int ncomments;
  char **comments;   /* leading comment lines without '#', the blanks after it and the line break */
  int *comment_line; /* the line of each */
  int nrows;
  sq_csvrow *rows;   /* the first row is the header where the file has one */
} sq_csvfile;

/* Parses text[0..len) (NUL bytes refused, so it need not be terminated);
 * `name` names it in messages. 0, SQ_EPARSE or SQ_ENOMEM; on failure `out`
 * holds nothing. `partial` may be NULL (see above). */
int sq_csv_parse(const char *text, size_t len, const char *name, int flags, sq_csvfile *out, int *partial);
/* Reads and parses the file at `path`: as sq_read_file, then sq_csv_parse. */
int sq_csv_read(const char *path, int flags, sq_csvfile *out, int *partial);
/* The same from an open stream read to its end; `name` names it. */
int sq_csv_read_fp(FILE *fp, const char *name, int flags, sq_csvfile *out, int *partial);
void sq_csv_free(sq_csvfile *f);

/* Streaming, for readers that judge each record as it comes and keep
 * nothing of the text (result files of millions of samples): on_comment
 * gets each leading comment line (may be NULL), on_row each record in
 * order. A hook that returns non-zero stops the parse, which returns that
 * value. on_row may keep the fields by taking r->f (setting it to NULL);
 * otherwise they are freed after the call. */
typedef struct sq_csv_hooks {
  int (*on_comment)(void *ctx, int line, const char *text);
  int (*on_row)(void *ctx, sq_csvrow *r);
  void *ctx;
} sq_csv_hooks;

int sq_csv_scan(const char *text, size_t len, const char *name, int flags, const sq_csv_hooks *h, int *partial);

/* The fields of a record freed (r->f may be NULL). */
void sq_csvrow_free(sq_csvrow *r);

/* Writes one record of n fields (NULL reads as empty), quoted where
 * needed, then '\n'. 0, or SQ_EIO when the stream fails. */
int sq_csv_write_row(FILE *fp, const char *const *fields, int n);

#endif
