/* SPDX-License-Identifier: BSD-3-Clause */
/* The tuning database: the best known configuration per (device, kernel,
 * dtype, shape bucket), in readable CSV files. Lookups fall back from the
 * exact device to its architecture, then its vendor, then the kernel's
 * defaults, and say which level answered. Two files are consulted, the
 * user's (written by `subquad tune`; $SUBQUAD_TUNEDB, else
 * $XDG_DATA_HOME/subquad/tunedb.csv, else ~/.local/share/subquad/tunedb.csv)
 * before the shipped one (tuner/db/tunedb.csv): an installed binary reads
 * it from $(pkgdatadir)/tunedb.csv (found beside a relocated prefix too),
 * so a site can update it without a rebuild; a binary run from its build
 * tree uses the copy built into it.
 *
 * Key (format 2): the kernel's op declares which axes choose a
 * configuration. Its tuning-key axes match exactly (D, DV, the feature
 * map ...) and its bucketed axes by their power of two (the token count);
 * batch axes are ignored (they scale the launch grid, not the tile choice).
 * The key is written "T~16384,D=64,DV=64,feature=identity,normalize=0". A
 * level with no entry in the exact bucket uses its entry in the nearest
 * bucket (by log2 distance) before falling back to the next level.
 *
 * Format 1 files (columns D, DV, T_bucket) still read: their key names D,
 * DV and T only, and an axis a key does not name matches any value (a
 * format 1 entry never knew its feature map). */
#ifndef SQ_TUNER_DB_H
#define SQ_TUNER_DB_H

#include <stddef.h>
#include <stdint.h>

#include "harness/backend.h"
#include "kernels/kernel.h"

/* Fills pv with the best known configuration of kernel k for problem p on the
 * device, falling back device -> architecture -> vendor -> the kernel's defaults;
 * writes the level used ("tuned:device", "tuned:arch", "tuned:vendor", "default")
 * into level. Never fails: a missing or unreadable database means defaults (and
 * an unreadable user database is reported once on stderr by the caller via the
 * returned code SQ_EIO/SQ_EPARSE with detail, while pv still holds defaults).
 * On 0 the detail is empty: entries skipped on the way leave none behind. */
int sq_tunedb_lookup(const sq_device_info *dev, const sq_kernel *k, const sq_problem *p,
                     int *pv, char *level, size_t n);

/* One database row. */
typedef struct sq_tunedb_entry {
  char backend[16], device[128], arch[64], vendor[64];
  char kernel[64], dtype[8];
  int causal;
  char key[256];           /* the op's tuning axes: "T~16384,D=64,DV=64,..." */
  char params[256];        /* "CHUNK=64;WG=128" */
  double time_ms, default_ms;  /* measured side by side at the tuned shape */
  char shape[SQ_SHAPE_TEXT_MAX]; /* the shape it was tuned at: "B=1,H=2,T=16384,D=64,DV=64" */
  char date[32];
} sq_tunedb_entry;

typedef struct sq_tunedb {
  int n;
  sq_tunedb_entry *v;
} sq_tunedb;

/* T's bucket: the smallest power of two >= T. */
int64_t sq_tunedb_bucket(int64_t T);
/* The tuning key of problem p (see above): 0, or SQ_EINVAL when it does
 * not fit n bytes. */
int sq_tunedb_key(const sq_problem *p, char *buf, size_t n);
/* The user database's path, malloc'd ("" when no home can be found; NULL,
 * with the detail set, when out of memory). */
char *sq_tunedb_user_path(void);
/* The database a tune writes and --show lists, malloc'd: `given` (--db)
 * when not NULL, else the user's; NULL when out of memory. */
char *sq_tunedb_path(const char *given);
/* Reads a database file; a missing file is an empty database. SQ_EIO or
 * SQ_EPARSE ("file:line: what") otherwise. */
int sq_tunedb_read(const char *path, sq_tunedb *db);
/* The database shipped in the binary. */
int sq_tunedb_builtin(sq_tunedb *db);
/* The installed shipped database's file, malloc'd; NULL when the binary
 * is not installed (run from its build tree) or the file is missing. */
char *sq_tunedb_shipped_path(void);
/* The shipped database: the installed file, else the built-in copy;
 * `where` gets the file's path or "built in". */
int sq_tunedb_shipped(sq_tunedb *db, char *where, size_t n);
/* Adds e, replacing the entry with the same device, kernel, dtype, causal
 * and key, and rewrites the file atomically (always as format 2). */
int sq_tunedb_store(const char *path, const sq_tunedb_entry *e);
/* Writes a whole database to path (temporary file, then rename). */
int sq_tunedb_write(const char *path, const sq_tunedb *db);
void sq_tunedb_free(sq_tunedb *db);
/* The problem an entry was tuned for, from its key (bucketed axes at their
 * bucket, the others at the op's defaults; "~" read as "="): 0, or
 * SQ_EPARSE when the key is not a shape of k's op. */
int sq_tunedb_entry_problem(const sq_tunedb_entry *e, const sq_kernel *k, sq_problem *p);
/* Parses an entry's params for kernel k into pv (defaults for absent
 * names); SQ_EINVAL when a name is unknown or the result fails check. */
int sq_tunedb_params(const sq_tunedb_entry *e, const sq_kernel *k, const sq_problem *p, int *pv);

#endif
