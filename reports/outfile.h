/* Output files of the reports: written to a temporary beside the final
 * name and renamed into place when complete, so an interrupted report never
 * leaves a truncated script, data file or page under its final name. */
#ifndef SQ_OUTFILE_H
#define SQ_OUTFILE_H

#include <stdio.h>

typedef struct sq_outfile {
  FILE *f;
  char path[4096], tmp[4120];
} sq_outfile;

/* Opens DIR/NAME for writing through a temporary. 0 or SQ_EIO. */
int sq_outfile_open(sq_outfile *o, const char *dir, const char *name);
/* Flushes, closes and renames into place. 0 or SQ_EIO (temporary removed). */
int sq_outfile_commit(sq_outfile *o);
void sq_outfile_abort(sq_outfile *o);

/* Creates a directory and its missing parents. 0 or SQ_EIO. */
int sq_mkdir_p(const char *dir);

#endif
