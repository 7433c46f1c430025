/* SPDX-License-Identifier: BSD-3-Clause */
/* Output files of the reports, each an sq_atomic file (base/files.h):
 * written in full or not at all, so an interrupted report never leaves a
 * truncated script, data file or page under its final name. Paths are
 * allocated to size: a long output directory is used whole or refused by
 * the system (ENAMETOOLONG), never cut short. */
#ifndef SQ_OUTFILE_H
#define SQ_OUTFILE_H

#include <stdio.h>

#include "base/files.h"

typedef struct sq_outfile {
  FILE *f;
  char *path;
  sq_atomic a;
} sq_outfile;

/* The longest file name the report writes into its directory, temporary
 * suffix included ("paper-<63>.svg.tmp.<pid>"), with room to spare: an
 * output directory must leave this much of PATH_MAX. */
#define SQ_OUTFILE_NAME_MAX 128

/* Opens DIR/NAME for writing. 0, SQ_EIO or SQ_ENOMEM. */
int sq_outfile_open(sq_outfile *o, const char *dir, const char *name);
/* Puts the whole file in place. 0 or SQ_EIO ("path: cannot write: why"). */
int sq_outfile_commit(sq_outfile *o);
void sq_outfile_abort(sq_outfile *o);

#endif
