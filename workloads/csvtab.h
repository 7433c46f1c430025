/* A whole CSV text read into memory with libcsv: records of fields, each
 * record with the line it ends on, so validators can say "file:line".
 * Lines starting with '#' are comments; blank lines are skipped. */
#ifndef SQ_CSVTAB_H
#define SQ_CSVTAB_H

#include <stddef.h>

typedef struct sq_csvrec {
  int line;
  int n;
  char **f;
} sq_csvrec;

typedef struct sq_csvtab {
  int n, cap;
  sq_csvrec *r;
} sq_csvtab;

/* 0, SQ_EPARSE ("name:line: malformed CSV: ...") or SQ_ENOMEM. */
int sq_csvtab_parse(const char *text, size_t len, const char *name, sq_csvtab *out);
void sq_csvtab_free(sq_csvtab *t);

/* Reads a file into a malloc'd NUL-terminated buffer: 0 or SQ_EIO. */
int sq_read_file(const char *path, char **text, size_t *len);

#endif
