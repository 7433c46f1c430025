/* Small CSV reading for the tuner's files (recorded spaces, caches and the
 * tuning database): the file's leading "# ..." comment lines are kept apart,
 * every other line is one record split into fields by libcsv. Records never
 * span lines in these files (writers keep messages on one line), which lets
 * a reader name the line of a malformed record. */
#ifndef SQ_TUNER_CSVROWS_H
#define SQ_TUNER_CSVROWS_H

#include <stdio.h>

#include "harness/files.h"

typedef struct sq_csvrow {
  int line;          /* 1-based line number in the file */
  int nf;
  char **f;          /* nf fields, each NUL-terminated */
} sq_csvrow;

typedef struct sq_csvfile {
  int ncomments;
  char **comments;   /* comment lines without the leading "# " and newline */
  int nrows;
  sq_csvrow *rows;   /* the first row is the header where the file has one */
} sq_csvfile;

/* Reads `path`. SQ_EIO when it cannot be opened (detail names the file and
 * errno), SQ_EPARSE for a malformed line ("file:line: what"). A final line
 * without its newline (maybe a record cut by a kill) sets *partial to its
 * line number (0 when none) rather than failing: a cache reader drops the row
 * of that line, other readers may keep it. */
int sq_csv_read(const char *path, sq_csvfile *out, int *partial);
/* The same from an open stream; `path` names it in messages. */
int sq_csv_read_fp(FILE *fp, const char *path, sq_csvfile *out, int *partial);
void sq_csv_free(sq_csvfile *f);

/* Writes one record of n fields with quoting where needed, then '\n'. */
int sq_csv_write_row(FILE *fp, const char *const *fields, int n);

#endif
