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

#include "harness/error.h"

char *sq_strf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!s) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

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

int sq_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
