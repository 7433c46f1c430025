/* Temporary-then-rename output files, directory creation, and the file
 * identity checks that keep a report or a comparison from writing over one
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

static void outfile_free(sq_outfile *o) {
  free(o->path);
  free(o->tmp);
  o->path = o->tmp = NULL;
}

int sq_outfile_open(sq_outfile *o, const char *dir, const char *name) {
  o->f = NULL;
  o->path = o->tmp = NULL;
  o->path = sq_strf("%s/%s", dir, name);
  o->tmp = o->path ? sq_strf("%s.tmp.%ld", o->path, (long)getpid()) : NULL;
  if (!o->tmp) {
    outfile_free(o);
    return sq_fail(SQ_ENOMEM, "%s/%s: out of memory", dir, name);
  }
  o->f = fopen(o->tmp, "w");
  if (!o->f) {
    int rc = sq_fail(SQ_EIO, "%s: cannot write: %s", o->path, strerror(errno));
    outfile_free(o);
    return rc;
  }
  return 0;
}

int sq_outfile_commit(sq_outfile *o) {
  int bad = fflush(o->f) != 0 || ferror(o->f);
  int e = errno;
  if (fclose(o->f) != 0 && !bad) bad = 1, e = errno;
  o->f = NULL;
  if (!bad && rename(o->tmp, o->path) != 0) bad = 1, e = errno;
  int rc = 0;
  if (bad) {
    unlink(o->tmp);
    rc = sq_fail(SQ_EIO, "%s: cannot write: %s", o->path, strerror(e ? e : EIO));
  }
  outfile_free(o);
  return rc;
}

void sq_outfile_abort(sq_outfile *o) {
  if (o->f) fclose(o->f);
  o->f = NULL;
  if (o->tmp) unlink(o->tmp);
  outfile_free(o);
}

int sq_mkdir_p(const char *dir) {
  char *buf = strdup(dir);
  if (!buf) return -1;
  for (char *p = buf + 1;; p++) {
    char c = *p;
    if (c != '/' && c != 0) continue;
    *p = 0;
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
      free(buf);
      return -1;
    }
    *p = c;
    if (!c) break;
  }
  free(buf);
  struct stat st;
  if (stat(dir, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

int sq_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

char *sq_sidecar_path(const char *results) {
  size_t n = strlen(results);
  if (n >= 4 && !strcmp(results + n - 4, ".csv")) n -= 4;
  char *s = malloc(n + sizeof ".samples.csv");
  if (s) {
    memcpy(s, results, n);
    strcpy(s + n, ".samples.csv");
  }
  return s;
}
