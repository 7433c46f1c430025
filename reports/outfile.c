/* SPDX-License-Identifier: BSD-3-Clause */
/* The reports' output files (over the atomic writer), and the file
 * identity check that keeps a report or a comparison from writing over one
 * of its own inputs. */
#include "reports/outfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"

int sq_outfile_open(sq_outfile *o, const char *dir, const char *name) {
  o->f = NULL;
  if (!(o->path = sq_strf("%s/%s", dir, name))) return sq_fail(SQ_ENOMEM, "%s/%s: out of memory", dir, name);
  if (!(o->f = sq_atomic_open(&o->a, o->path))) {
    int rc = sq_fail(SQ_EIO, "%s: cannot write: %s", o->path, sq_last_error());
    free(o->path);
    o->path = NULL;
    return rc;
  }
  return 0;
}

int sq_outfile_commit(sq_outfile *o) {
  int rc = sq_atomic_commit(&o->a) ? sq_fail(SQ_EIO, "%s: cannot write: %s", o->path, sq_last_error()) : 0;
  o->f = NULL;
  free(o->path);
  o->path = NULL;
  return rc;
}

void sq_outfile_abort(sq_outfile *o) {
  if (o->f) sq_atomic_abort(&o->a);
  o->f = NULL;
  free(o->path);
  o->path = NULL;
}

