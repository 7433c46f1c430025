/* SPDX-License-Identifier: BSD-3-Clause */
/* Whole-file reading, mkdir -p, the atomic file writer (an O_TMPFILE, or a named temporary
 * where the file system has none, renamed over the target on commit), and
 * the up-front checks of output paths. Paths are allocated, never cut. */
#define _GNU_SOURCE   /* O_TMPFILE, AT_EMPTY_PATH */
#include "base/files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"

char *sq_strf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!s) {
    sq_fail(SQ_ENOMEM, "out of memory");
    return NULL;
  }
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

int sq_read_stream(FILE *fp, const char *name, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    n += fread(buf + n, 1, cap - n, fp);
    if (n < cap) break;
    char *b = realloc(buf, 2 * cap + 1);
    if (!b) free(buf);
    buf = b;
    cap *= 2;
  }
  if (!buf) return sq_fail(SQ_ENOMEM, "%s: out of memory reading it", name);
  if (ferror(fp)) {
    int e = errno;
    free(buf);
    return sq_fail(SQ_EIO, "%s: read error: %s", name, strerror(e));
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

int sq_read_file(const char *path, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    int e = errno;
    sq_fail(SQ_EIO, "%s: cannot open: %s", path, strerror(e));
    errno = e;
    return SQ_EIO;
  }
  int rc = sq_read_stream(fp, path, text, len);
  fclose(fp);
  return rc;
}

int sq_mkdirs(const char *path) {
  char *buf = strdup(path);
  if (!buf) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p) continue;
    char c = *p;
    *p = '\0';
    if (mkdir(buf, 0777) && errno != EEXIST) {
      int e = errno;
      sq_fail(SQ_EIO, "%s: %s", buf, strerror(e));
      free(buf);
      errno = e;
      return SQ_EIO;
    }
    if (!c) break;
    *p = c;
  }
  free(buf);
  struct stat st;
  if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
    int e = errno ? errno : ENOTDIR;
    if (!stat(path, &st)) e = ENOTDIR;
    sq_fail(SQ_EIO, "%s: %s", path, strerror(e));
    errno = e;
    return SQ_EIO;
  }
  return 0;
}

/* ---- the atomic writer ---------------------------------------------- */

/* The directory part of path ("." when none), allocated. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, path, n);
    d[n] = '\0';
  }
  return d;
}

int sq_mkdirs_parent(const char *path) {
  if (!strchr(path, '/')) return 0;
  char *dir = dir_of(path);
  if (!dir) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  int rc = sq_mkdirs(dir);
  free(dir);
  return rc;
}

/* The longest file name the directory takes. */
static long name_max(const char *dir) {
  long m = pathconf(dir, _PC_NAME_MAX);
  return m > 0 ? m : NAME_MAX;
}

/* Refuses, with the reason, a target the writer could only fail on after
 * the work: a name over the system's limits, a directory, or something
 * other than a regular file (renaming over /dev/null would replace it). */
static int check_target(const char *path, const char *dir) {
  size_t len = strlen(path);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (!len) return sq_fail(SQ_EIO, "empty file name");
  if (len >= PATH_MAX)
    return sq_fail(SQ_EIO, "%s: a path of %zu characters is longer than the system's limit of %d", path, len,
                   PATH_MAX - 1);
  if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
    return sq_fail(SQ_EIO, "%s: is a directory", path);
  if ((long)strlen(base) > name_max(dir))
    return sq_fail(SQ_EIO, "%s: a file name of %zu characters is longer than the file system's limit of %ld",
                   path, strlen(base), name_max(dir));
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode)) return sq_fail(SQ_EIO, "%s: is a directory", path);
    if (!S_ISREG(st.st_mode)) return sq_fail(SQ_EIO, "%s: not a regular file", path);
  } else if (errno != ENOENT) {
    return sq_fail(SQ_EIO, "%s: %s", path, strerror(errno));
  }
  return 0;
}

/* A fresh temporary name next to the target: TARGET.tmp.PID.N, or, where
 * that would pass the file system's name limit, DIR/.subquad.tmp.PID.N. */
static char *temp_name(const sq_atomic *a, const char *dir) {
  static unsigned counter;
  unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
  const char *base = strrchr(a->path, '/');
  base = base ? base + 1 : a->path;
  size_t size = strlen(a->path) + 64;
  char *t = malloc(size);
  if (!t) return NULL;
  if ((long)strlen(base) + 40 <= name_max(dir))
    snprintf(t, size, "%s.tmp.%ld.%u", a->path, (long)getpid(), n);
  else
    snprintf(t, size, "%.*s.subquad.tmp.%ld.%u", (int)(base - a->path), a->path, (long)getpid(), n);
  return t;
}

/* Opens a named temporary (O_EXCL, a fresh name on a clash): the fd or -1. */
static int open_named(sq_atomic *a, const char *dir) {
  for (int tries = 0; tries < 100; tries++) {
    free(a->tmp);
    if (!(a->tmp = temp_name(a, dir))) {
      errno = ENOMEM;
      return -1;
    }
    int fd = open(a->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

/* Opens an unnamed O_TMPFILE in dir: the fd, or -1 with errno. It can only
 * be named later through /proc/self/fd (or AT_EMPTY_PATH, which needs a
 * capability), so without /proc it is not used. */
static int open_anonymous(const char *dir) {
#ifdef O_TMPFILE
  const char *off = getenv("SUBQUAD_NO_TMPFILE");
  if ((off && *off && strcmp(off, "0")) || access("/proc/self/fd", X_OK)) {
    errno = EOPNOTSUPP;
    return -1;
  }
  return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#else
  (void)dir;
  errno = EOPNOTSUPP;
  return -1;
#endif
}

static void release(sq_atomic *a) {
  free(a->path);
  free(a->tmp);
  memset(a, 0, sizeof *a);
}

const char *sq_atomic_reason(const char *path) {
  const char *e = sq_last_error();
  size_t n = strlen(path);
  return !strncmp(e, path, n) && !strncmp(e + n, ": ", 2) ? e + n + 2 : e;
}

FILE *sq_atomic_open(sq_atomic *a, const char *path) {
  memset(a, 0, sizeof *a);
  char *dir = dir_of(path);
  if (!dir || !(a->path = strdup(path))) {
    free(dir);
    release(a);
    sq_fail(SQ_ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  if (check_target(path, dir)) {
    free(dir);
    release(a);
    return NULL;
  }
  int fd = open_anonymous(dir);
  if (fd >= 0) {
    a->anonymous = 1;
  } else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
    /* No O_TMPFILE here (an old kernel reads the flag as O_DIRECTORY and
     * answers EISDIR; some file systems answer EOPNOTSUPP). */
    fd = open_named(a, dir);
  }
  int e = errno;
  free(dir);
  if (fd < 0 || !(a->f = fdopen(fd, "w"))) {
    if (fd >= 0) e = errno, close(fd);
    if (a->tmp && fd >= 0) unlink(a->tmp);
    sq_fail(SQ_EIO, "%s: %s", path, strerror(e));
    release(a);
    return NULL;
  }
  a->sync = 1;
  return a->f;
}

/* Gives the O_TMPFILE behind fd a fresh temporary name: 0 or errno. */
static int name_anonymous(sq_atomic *a, int fd) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  char *dir = dir_of(a->path);
  if (!dir) return ENOMEM;
  int e = EEXIST;
  for (int tries = 0; tries < 100 && e == EEXIST; tries++) {
    free(a->tmp);
    if (!(a->tmp = temp_name(a, dir))) {
      e = ENOMEM;
      break;
    }
    e = 0;
    if (linkat(AT_FDCWD, proc, AT_FDCWD, a->tmp, AT_SYMLINK_FOLLOW)) {
      e = errno;
#ifdef AT_EMPTY_PATH
      if (e != EEXIST && !linkat(fd, "", AT_FDCWD, a->tmp, AT_EMPTY_PATH)) e = 0;
#endif
    }
  }
  free(dir);
  if (e) {
    free(a->tmp);
    a->tmp = NULL;
  }
  return e;
}

int sq_atomic_finish(sq_atomic *a) {
  if (a->finished) return 0;
  if (!a->f) return sq_fail(SQ_EIO, "%s: already committed or aborted", a->path ? a->path : "file");
  int fd = fileno(a->f), e = 0;
  if (fflush(a->f) || ferror(a->f)) e = errno ? errno : EIO;
  /* EINVAL: a file that cannot be synced (a pipe, some special files). */
  if (!e && a->sync && fsync(fd) && errno != EINVAL) e = errno;
  if (!e && a->anonymous) e = name_anonymous(a, fd);
  if (fclose(a->f) && !e) e = errno ? errno : EIO;
  a->f = NULL;
  if (e) {
    sq_fail(SQ_EIO, "%s: write failed: %s", a->path, strerror(e));
    sq_atomic_abort(a);
    return SQ_EIO;
  }
  a->finished = 1;
  return 0;
}

/* Makes a rename durable: fsync of the directory that holds it. */
static void sync_dir(const char *path) {
  char *dir = dir_of(path);
  int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

int sq_atomic_commit(sq_atomic *a) {
  int rc = sq_atomic_finish(a);
  if (rc) return rc;
  if (rename(a->tmp, a->path)) {
    sq_fail(SQ_EIO, "%s: %s", a->path, strerror(errno));
    sq_atomic_abort(a);
    return SQ_EIO;
  }
  if (a->sync) sync_dir(a->path);
  release(a);
  return 0;
}

void sq_atomic_abort(sq_atomic *a) {
  if (a->f) fclose(a->f);
  if (a->tmp) unlink(a->tmp);
  release(a);
}

/* ---- up-front checks -------------------------------------------------- */

int sq_check_output_file(const char *path) {
  sq_atomic a;
  if (!sq_atomic_open(&a, path)) return SQ_EIO;
  sq_atomic_abort(&a);
  return 0;
}

int sq_check_output_dir(const char *path) {
  size_t len = strlen(path);
  if (!len) return sq_fail(SQ_EIO, "empty directory name");
  if (len >= PATH_MAX)
    return sq_fail(SQ_EIO, "%s: a path of %zu characters is longer than the system's limit of %d", path, len,
                   PATH_MAX - 1);
  char *p = strdup(path);
  if (!p) return sq_fail(SQ_ENOMEM, "%s: out of memory", path);
  int rc = 0;
  /* Up from the path to the first thing that exists: it must be a
   * directory this process can create entries in. */
  for (;;) {
    struct stat st;
    if (stat(p, &st) == 0) {
      if (!S_ISDIR(st.st_mode)) rc = sq_fail(SQ_EIO, "%s: %s is not a directory", path, p);
      else if (access(p, W_OK | X_OK)) rc = sq_fail(SQ_EIO, "%s: %s: %s", path, p, strerror(errno));
      break;
    }
    if (errno != ENOENT) {
      rc = sq_fail(SQ_EIO, "%s: %s", path, strerror(errno));
      break;
    }
    char *slash = strrchr(p, '/');
    while (slash && slash > p && slash[-1] == '/') slash--;   /* "a//b" */
    if (!slash && !strcmp(p, ".")) {
      rc = sq_fail(SQ_EIO, "%s: the current directory is gone", path);
      break;
    }
    if (!slash) strcpy(p, ".");
    else slash[slash == p] = '\0';
  }
  free(p);
  return rc;
}

/* The folder part of a path ("." when none), malloc'd; *base its last name. */
static char *folder_of(const char *path, const char **base) {
  const char *slash = strrchr(path, '/');
  *base = slash ? slash + 1 : path;
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

int sq_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
  if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  if (ea || eb) return 0;
  const char *na, *nb;
  char *da = folder_of(a, &na), *db = folder_of(b, &nb);
  int same = da && db && !strcmp(na, nb) && stat(da, &sa) == 0 && stat(db, &sb) == 0 &&
             sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  free(da);
  free(db);
  return same;
}
