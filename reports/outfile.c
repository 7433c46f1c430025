/* Temporary-then-rename output files and directory creation for reports. */
#include "reports/outfile.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/error.h"

int sq_outfile_open(sq_outfile *o, const char *dir, const char *name) {
  snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
  snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", o->path, (long)getpid());
  o->f = fopen(o->tmp, "w");
  if (!o->f) return sq_fail(SQ_EIO, "%s: cannot write: %s", o->path, strerror(errno));
  return 0;
}

int sq_outfile_commit(sq_outfile *o) {
  int bad = fflush(o->f) != 0 || ferror(o->f);
  int e = errno;
  if (fclose(o->f) != 0 && !bad) bad = 1, e = errno;
  o->f = NULL;
  if (!bad && rename(o->tmp, o->path) != 0) bad = 1, e = errno;
  if (bad) {
    unlink(o->tmp);
    return sq_fail(SQ_EIO, "%s: cannot write: %s", o->path, strerror(e ? e : EIO));
  }
  return 0;
}

void sq_outfile_abort(sq_outfile *o) {
  if (o->f) fclose(o->f);
  o->f = NULL;
  unlink(o->tmp);
}

int sq_mkdir_p(const char *dir) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1;; p++) {
    char c = *p;
    if (c != '/' && c != 0) continue;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return sq_fail(SQ_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    *p = c;
    if (!c) break;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return sq_fail(SQ_EIO, "%s: not a directory", dir);
  return 0;
}
