/* SPDX-License-Identifier: BSD-3-Clause */
/* Small file-system helpers: reading a whole file, mkdir -p, the atomic
 * file writer every output goes through, and the checks a command makes on
 * its outputs before it starts any work. */
#ifndef SQ_FILES_H
#define SQ_FILES_H

#include <stdio.h>

/* printf into a fresh allocation: paths are sized to fit, never cut. NULL
 * (with the detail) when out of memory. */
char *sq_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads the file at `path` into a malloc'd buffer with a NUL after its
 * `len` bytes (the text itself may hold NULs). 0, SQ_ENOMEM, or SQ_EIO with
 * the detail "path: cannot open: reason" (errno left as the failed open
 * set it, so a caller can tell a missing file) or "path: read error:
 * reason". The one place that slurps a file. */
int sq_read_file(const char *path, char **text, size_t *len);
/* The same from an open stream, read to its end; `name` names it. */
int sq_read_stream(FILE *fp, const char *name, char **text, size_t *len);

/* mkdir -p: creates the directory and its parents. 0, or SQ_EIO with the
 * detail "path: reason" and errno set (ENOTDIR when the path or a parent is
 * a file), for callers that phrase the message themselves. The one mkdir -p
 * of the project. */
int sq_mkdirs(const char *path);

/* mkdir -p of the folder that holds the file `path` (nothing for a bare
 * name). 0, or SQ_EIO as sq_mkdirs. */
int sq_mkdirs_parent(const char *path);

/* A file written in full or not at all. The content goes to a temporary in
 * the target's directory and is renamed over the target on commit, so the
 * target holds either its old content or the whole new one, and a reader
 * never sees a half-written file. Where the kernel allows (Linux O_TMPFILE)
 * the temporary has no name until commit, so a process killed while writing
 * (kill -9 included) leaves no file behind at all; elsewhere it is a named
 * `TARGET.tmp.PID.N` file, which only a kill can leave behind.
 *
 *   sq_atomic a;
 *   FILE *f = sq_atomic_open(&a, path);
 *   if (!f) return SQ_EIO;              // detail: "path: strerror"
 *   ... fprintf(f, ...) ...
 *   if (sq_atomic_commit(&a)) return SQ_EIO;   // or sq_atomic_abort(&a)
 *
 * Two files that belong together (results and their samples) are finished
 * both, then committed both, so that nothing that can fail for lack of
 * space or an I/O error comes between the two renames:
 *
 *   if (sq_atomic_finish(&rows) || sq_atomic_finish(&samples)) -> abort both
 *   sq_atomic_commit(&samples); sq_atomic_commit(&rows);
 */
typedef struct sq_atomic {
  FILE *f;         /* the stream to write; NULL once committed or aborted */
  char *path;      /* the target */
  char *tmp;       /* the temporary's name while it has one (a named
                    * temporary from the start; an O_TMPFILE one from
                    * sq_atomic_finish to the rename), else NULL */
  int anonymous;   /* the temporary is an O_TMPFILE */
  int sync;        /* fsync the data (and the directory after the rename)
                    * on commit; sq_atomic_open sets it, a caller may clear it */
  int finished;    /* sq_atomic_finish done: f is closed, tmp names the data */
} sq_atomic;

/* Starts writing `path`. Returns the stream, or NULL with the detail (the
 * path and the system's reason: "is a directory", "not a regular file", a
 * name over the system's limits, the directory missing or not writable).
 * Nothing is created on failure. Environment: SUBQUAD_NO_TMPFILE=1 forces
 * named temporaries (for tests of the fallback). */
FILE *sq_atomic_open(sq_atomic *a, const char *path);

/* Flushes, fsyncs (when a->sync), closes and names the temporary: all that
 * can fail short of the rename. 0, or SQ_EIO with the detail (the temporary
 * is then removed, the target untouched, and `a` is aborted). Idempotent. */
int sq_atomic_finish(sq_atomic *a);

/* The reason of the last sq_atomic failure on `path`: its detail without
 * the leading "PATH: ", for callers that name the path their own way
 * ("-o PATH: cannot write: REASON"). */
const char *sq_atomic_reason(const char *path);

/* Finishes when not yet done, then renames the temporary over the target.
 * 0, or SQ_EIO with the detail; either way `a` is released. */
int sq_atomic_commit(sq_atomic *a);

/* Drops what was written: the target is untouched and the temporary gone.
 * Safe on an `a` already committed or aborted. */
void sq_atomic_abort(sq_atomic *a);

/* 1 when paths a and b name one file, whatever their spelling: the same
 * device and inode (symbolic and hard links followed), or, for files not
 * there yet, the same name in the same folder. Commands refuse an output
 * that names one of their inputs with it. */
int sq_same_file(const char *a, const char *b);

/* Checks, before any work, that `path` can be written as a file by
 * sq_atomic_open (by opening and aborting one): 0, or SQ_EIO with the
 * detail. */
int sq_check_output_file(const char *path);

/* Checks, before any work, that `path` is a writable directory or can be
 * made one by sq_mkdirs: it is not a file, and its nearest existing
 * ancestor is a directory this process can write in. 0, or SQ_EIO. */
int sq_check_output_dir(const char *path);

#endif
