/* SPDX-License-Identifier: BSD-3-Clause */
/* The tuning database: reading, writing and the fallback lookup (db.h). */
#include "tuner/db.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/error.h"
#include "base/files.h"
#include "harness/run.h"

extern const char *const sq_src_tunedb;   /* tuner/db/tunedb.csv, embedded */

static const char *const cols[] = {"backend", "device", "arch", "vendor", "kernel", "dtype",
                                   "causal", "key", "params", "time_ms", "default_ms", "shape", "date"};
enum { NCOLS = sizeof cols / sizeof cols[0] };
/* Format 1: D, DV and T_bucket where format 2 has its key. */
static const char *const cols_v1[] = {"backend", "device", "arch", "vendor", "kernel", "dtype",
                                      "causal", "D", "DV", "T_bucket", "params", "time_ms",
                                      "default_ms", "shape", "date"};
enum { NCOLS_V1 = sizeof cols_v1 / sizeof cols_v1[0] };

int64_t sq_tunedb_bucket(int64_t T) {
  int64_t b = 1;
  while (b < T && b < ((int64_t)1 << 62)) b <<= 1;
  return b;
}

static int axis_len(const sq_axis *ax) { return ax->kind == SQ_AXIS_LIST ? ax->len : 1; }

/* A bucketed axis as its key field's value: each value's bucket, a grid's
 * written like the grid (grid~128x128). */
static void bucket_text(const sq_problem *p, int a, char *v, size_t n) {
  size_t used = 0;
  for (int i = 0; i < axis_len(&p->shape.op->axes[a]); i++)
    used += (size_t)snprintf(v + used, used < n ? n - used : 0, "%s%lld", i ? "x" : "",
                             (long long)sq_tunedb_bucket((int64_t)p->shape.v[a][i]));
}

int sq_tunedb_key(const sq_problem *p, char *buf, size_t n) {
  const sq_op *op = p->shape.op;
  size_t used = 0;
  buf[0] = '\0';
  for (int a = 0; a < sq_op_naxes(op); a++) {
    const sq_axis *ax = &op->axes[a];
    char v[64];
    if (ax->flags & SQ_AX_KEY) sq_shape_format_axis(&p->shape, a, v, sizeof v);
    else if (ax->flags & SQ_AX_BUCKET) bucket_text(p, a, v, sizeof v);
    else continue;
    used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s%c%s", used ? "," : "", ax->name,
                             ax->flags & SQ_AX_KEY ? '=' : '~', v);
  }
  return used < n ? 0 : sq_fail(SQ_EINVAL, "tuning key of %s longer than %zu characters", op->name, n - 1);
}

/* How far entry key `key` is from problem p: -1 when an exact field
 * differs (or names an axis the op lacks), else the summed log2 distance of
 * the bucketed fields. Axes the key does not name match anything; *named
 * counts the fields it does name, so that of two entries as near the more
 * specific one wins (an entry for one feature map over one for all). */
static double key_distance(const char *key, const sq_problem *p, int *named) {
  const sq_op *op = p->shape.op;
  double dist = 0;
  *named = 0;
  for (const char *f = key; *f;) {
    size_t len = strcspn(f, ",");
    char field[96];
    snprintf(field, sizeof field, "%.*s", (int)(len < sizeof field ? len : sizeof field - 1), f);
    f += len + (f[len] == ',');
    char *sep = strpbrk(field, "=~");
    if (!sep) return -1;
    char kind = *sep;
    *sep = '\0';
    int a = sq_op_axis_index(op, field);
    if (a < 0) return -1;
    ++*named;
    if (kind == '=') {
      char v[64];
      sq_shape_format_axis(&p->shape, a, v, sizeof v);
      if (strcmp(v, sep + 1)) return -1;
    } else {
      const char *b = sep + 1;
      for (int i = 0; i < axis_len(&op->axes[a]); i++) {
        char *end;
        double bi = strtod(b, &end);
        if (!(bi >= 1) || *end != (i + 1 < axis_len(&op->axes[a]) ? 'x' : '\0')) return -1;
        dist += fabs(log2(bi) - log2((double)sq_tunedb_bucket((int64_t)p->shape.v[a][i])));
        b = end + 1;
      }
    }
  }
  return dist;
}

char *sq_tunedb_user_path(void) {
  const char *e = getenv("SUBQUAD_TUNEDB"), *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
  if (e && *e) return sq_strf("%s", e);
  if (x && *x) return sq_strf("%s/subquad/tunedb.csv", x);
  if (h && *h) return sq_strf("%s/.local/share/subquad/tunedb.csv", h);
  return sq_strf("%s", "");
}

char *sq_tunedb_path(const char *given) { return given ? sq_strf("%s", given) : sq_tunedb_user_path(); }

void sq_tunedb_free(sq_tunedb *db) {
  free(db->v);
  db->v = NULL;
  db->n = 0;
}

/* The checks below hold a database file to what --param and --shape accept:
 * a tuning database comes from elsewhere (a colleague, a repository), and
 * its parameters reach the planner (FL_SPLIT=0 divided by zero there;
 * 99999999999 wrapped to an int). */

/* A text column into its fixed buffer, refused rather than cut. */
static int text(const char *path, int line, const char *col, const char *s, char *dst, size_t n) {
  if (strlen(s) >= n) return sq_fail(SQ_EPARSE, "%s:%d: %s: longer than %zu characters", path, line, col, n - 1);
  memcpy(dst, s, strlen(s) + 1);
  return 0;
}

/* A whole decimal integer in [lo, hi]. */
static int integer(const char *path, int line, const char *col, const char *s, long long lo, long long hi,
                   int64_t *out) {
  char *end;
  errno = 0;
  long long v = *s ? strtoll(s, &end, 10) : 0;
  if (!*s || *end || errno == ERANGE || v < lo || v > hi)
    return sq_fail(SQ_EPARSE, "%s:%d: %s: '%.40s' is not an integer from %lld to %lld", path, line, col, s, lo, hi);
  *out = v;
  return 0;
}

/* A time in milliseconds: empty (unknown, NAN) or positive and finite. */
static int time_ms(const char *path, int line, const char *col, const char *s, double *out) {
  char *end;
  *out = NAN;
  if (!*s) return 0;
  double v = strtod(s, &end);
  if (*end || !isfinite(v) || v <= 0)
    return sq_fail(SQ_EPARSE, "%s:%d: %s: '%.40s' is not a positive finite time", path, line, col, s);
  *out = v;
  return 0;
}

static int key_problem(const char *path, int line, const sq_kernel *k, const sq_tunedb_entry *e, sq_problem *p) {
  char text[sizeof e->key], what[64];
  snprintf(text, sizeof text, "%s", e->key);
  for (char *c = text; *c; c++)
    if (*c == '~') *c = '=';
  snprintf(what, sizeof what, "%s:%d: key", path, line);
  memset(p, 0, sizeof *p);
  p->causal = e->causal;
  if (sq_dtype_parse(e->dtype, &p->dtype)) return sq_fail(SQ_EPARSE, "%s:%d: dtype: '%s'", path, line, e->dtype);
  int rc = sq_shape_parse_op(k->op, text, e->causal, what, &p->shape);
  return rc ? sq_fail(SQ_EPARSE, "%s", sq_last_error()) : 0;
}

int sq_tunedb_entry_problem(const sq_tunedb_entry *e, const sq_kernel *k, sq_problem *p) {
  return key_problem("tuning database", 0, k, e, p);
}

/* Each NAME=VALUE of the params column as --param checks it: a parameter
 * of the kernel, given once, with a value sq_param_value_parse accepts;
 * then the kernel's constraints at the entry's own shape. A kernel this
 * build does not know (a database of a newer subquad) gets the value
 * checks only; lookups never match it. */
static int check_params(const char *path, int line, const sq_tunedb_entry *e) {
  const sq_kernel *k = sq_kernel_find(e->kernel);
  char buf[sizeof e->params], seen[SQ_MAX_PARAMS] = {0};
  int pv[SQ_MAX_PARAMS];
  if (k) sq_kernel_default_params(k, pv);
  snprintf(buf, sizeof buf, "%s", e->params);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq || eq == tok) return sq_fail(SQ_EPARSE, "%s:%d: params: '%.40s' is not NAME=VALUE", path, line, tok);
    *eq = 0;
    int i = k ? sq_kernel_param_index(k, tok) : -1, v;
    char why[64];
    if (k && i < 0) return sq_fail(SQ_EPARSE, "%s:%d: %.40s: %s has no such parameter", path, line, tok, k->name);
    if (sq_param_value_parse(k ? &k->params[i] : NULL, eq + 1, &v, why, sizeof why))
      return sq_fail(SQ_EPARSE, "%s:%d: %.40s: '%.40s' %s", path, line, tok, eq + 1, why);
    if (!k) continue;
    if (seen[i]++) return sq_fail(SQ_EPARSE, "%s:%d: %s: given twice", path, line, tok);
    pv[i] = v;
  }
  if (!k) return 0;
  sq_problem p;
  char why[256];
  if (key_problem(path, line, k, e, &p)) return SQ_EPARSE;
  if (k->check(&p, pv, k->nparams, why, sizeof why))
    return sq_fail(SQ_EPARSE, "%s:%d: params: %s at %s, %s: %s", path, line, k->name, e->key, e->dtype, why);
  return 0;
}

/* A key is NAME=VALUE and NAME~BUCKET fields in the characters shape texts
 * use; an empty one would match every problem. (A kernel this build knows
 * then has its key parsed as a shape of its op, in check_params.) */
static int key_syntax(const char *path, int line, const char *key) {
  if (!*key) return sq_fail(SQ_EPARSE, "%s:%d: key: empty", path, line);
  for (const char *f = key; *f;) {
    size_t len = strcspn(f, ",");
    size_t name = strcspn(f, "=~");
    if (!len || name == 0 || name >= len)
      return sq_fail(SQ_EPARSE, "%s:%d: key: '%.40s' is not NAME=VALUE or NAME~BUCKET fields", path, line, key);
    for (size_t i = 0; i < len; i++)
      if (!(isalnum((unsigned char)f[i]) || strchr("_=~.-", f[i])))
        return sq_fail(SQ_EPARSE, "%s:%d: key: '%.40s' is not NAME=VALUE or NAME~BUCKET fields", path, line, key);
    f += len + (f[len] == ',');
    if (f[-1] == ',' && !*f) return sq_fail(SQ_EPARSE, "%s:%d: key: '%.40s' ends in a comma", path, line, key);
  }
  return 0;
}

/* The key of a format 1 row: D, DV exact, T by its bucket. */
static int key_v1(const char *path, int line, const sq_csvrow *r, sq_tunedb_entry *e) {
  int64_t D, DV, tb;
  int rc = integer(path, line, "D", r->f[7], 1, 256, &D);
  if (!rc) rc = integer(path, line, "DV", r->f[8], 1, 256, &DV);
  if (!rc) rc = integer(path, line, "T_bucket", r->f[9], 1, (long long)1 << 31, &tb);
  if (!rc && (tb & (tb - 1)))
    rc = sq_fail(SQ_EPARSE, "%s:%d: T_bucket: %lld is not a power of two", path, line, (long long)tb);
  if (!rc) snprintf(e->key, sizeof e->key, "D=%lld,DV=%lld,T~%lld", (long long)D, (long long)DV, (long long)tb);
  return rc;
}

static int parse_entry(const char *path, const sq_csvrow *r, int format, sq_tunedb_entry *e) {
  memset(e, 0, sizeof *e);
  const int line = r->line, ncols = format == 1 ? NCOLS_V1 : NCOLS;
  const char *const *names = format == 1 ? cols_v1 : cols;
  if (r->nf != ncols) return sq_fail(SQ_EPARSE, "%s:%d: %d fields, want %d", path, line, r->nf, ncols);
  /* Columns after the key sit 2 further right in format 1. */
  const int shift = format == 1 ? 2 : 0;
  struct { int col; char *dst; size_t n; } texts[] = {
    {0, e->backend, sizeof e->backend}, {1, e->device, sizeof e->device}, {2, e->arch, sizeof e->arch},
    {3, e->vendor, sizeof e->vendor}, {4, e->kernel, sizeof e->kernel}, {5, e->dtype, sizeof e->dtype},
    {8 + shift, e->params, sizeof e->params}, {11 + shift, e->shape, sizeof e->shape},
    {12 + shift, e->date, sizeof e->date}};
  int rc = 0;
  for (size_t i = 0; !rc && i < sizeof texts / sizeof texts[0]; i++)
    rc = text(path, line, names[texts[i].col], r->f[texts[i].col], texts[i].dst, texts[i].n);
  int64_t causal = 0;
  sq_dtype dt;
  if (!rc && !e->kernel[0]) rc = sq_fail(SQ_EPARSE, "%s:%d: kernel: empty", path, line);
  if (!rc && sq_dtype_parse(e->dtype, &dt))
    rc = sq_fail(SQ_EPARSE, "%s:%d: dtype: '%s' is not f32, f16 or bf16", path, line, e->dtype);
  if (!rc) rc = integer(path, line, "causal", r->f[6], 0, 1, &causal);
  e->causal = (int)causal;
  if (!rc) rc = format == 1 ? key_v1(path, line, r, e) : text(path, line, "key", r->f[7], e->key, sizeof e->key);
  if (!rc) rc = key_syntax(path, line, e->key);
  if (!rc) rc = time_ms(path, line, "time_ms", r->f[9 + shift], &e->time_ms);
  if (!rc) rc = time_ms(path, line, "default_ms", r->f[10 + shift], &e->default_ms);
  if (!rc) rc = check_params(path, line, e);
  return rc;
}

/* The format a file's comment line names ("subquad-tunedb 2: ..."); a
 * file without one is format 1 if its header says so. */
static int file_format(const sq_csvfile *f) {
  for (int i = 0; i < f->ncomments; i++) {
    int v;
    if (sscanf(f->comments[i], "subquad-tunedb %d", &v) == 1) return v;
  }
  return f->nrows && f->rows[0].nf == NCOLS_V1 ? 1 : 2;
}

static int from_csv(const char *path, const sq_csvfile *f, sq_tunedb *db) {
  memset(db, 0, sizeof *db);
  if (f->nrows == 0) return 0;
  int format = file_format(f);
  if (format != 1 && format != 2)
    return sq_fail(SQ_EPARSE, "%s: tuning database format %d, this subquad reads formats 1 and 2", path, format);
  const char *const *names = format == 1 ? cols_v1 : cols;
  const int ncols = format == 1 ? NCOLS_V1 : NCOLS;
  const sq_csvrow *h = &f->rows[0];
  if (h->nf != ncols) return sq_fail(SQ_EPARSE, "%s:%d: header has %d columns, want %d", path, h->line, h->nf, ncols);
  for (int i = 0; i < ncols; i++)
    if (strcmp(h->f[i], names[i]))
      return sq_fail(SQ_EPARSE, "%s:%d: column %d is '%s', want '%s'", path, h->line, i + 1, h->f[i], names[i]);
  if (!(db->v = calloc((size_t)f->nrows, sizeof *db->v))) return sq_fail(SQ_ENOMEM, "out of memory");
  for (int i = 1; i < f->nrows; i++) {
    int rc = parse_entry(path, &f->rows[i], format, &db->v[db->n]);
    if (rc) { sq_tunedb_free(db); return rc; }
    db->n++;
  }
  return 0;
}

int sq_tunedb_read(const char *path, sq_tunedb *db) {
  memset(db, 0, sizeof *db);
  if (access(path, F_OK) != 0 && errno == ENOENT) return 0;
  sq_csvfile f;
  int rc = sq_csv_read(path, SQ_CSV_ONE_LINE, &f, NULL);
  if (rc) return rc;
  rc = from_csv(path, &f, db);
  sq_csv_free(&f);
  return rc;
}

int sq_tunedb_builtin(sq_tunedb *db) {
  memset(db, 0, sizeof *db);
  static const char name[] = "(built-in tunedb.csv)";
  sq_csvfile f;
  int rc = sq_csv_parse(sq_src_tunedb, strlen(sq_src_tunedb), name, SQ_CSV_ONE_LINE, &f, NULL);
  if (rc) return rc;
  rc = from_csv(name, &f, db);
  sq_csv_free(&f);
  return rc;
}

/* The installed binary's data folder. Where `make install` put the
 * binary, $(bindir), it is $(pkgdatadir); a binary moved with its prefix
 * (DESTDIR staging, a relocated tree: bin/subquad beside share/subquad)
 * finds its data beside it, at the same place relative to itself; a binary
 * run from its build tree has none and uses the copy built into it. The
 * paths come from the makefile (Makefile.am, SQ_PREFIX ...). */
static char *installed_datadir(void) {
#if defined(SQ_PREFIX) && defined(SQ_BINDIR) && defined(SQ_PKGDATADIR) && defined(SQ_BUILDDIR)
  char exe[PATH_MAX], build[PATH_MAX];
  if (!realpath("/proc/self/exe", exe)) return NULL;
  char *slash = strrchr(exe, '/');
  if (!slash) return NULL;
  *slash = 0;   /* exe is now the binary's folder */
  if (realpath(SQ_BUILDDIR, build) && !strcmp(build, exe)) return NULL;
  size_t np = strlen(SQ_PREFIX), ne = strlen(exe);
  const char *bin_rel = SQ_BINDIR + np, *data_rel = SQ_PKGDATADIR + np;
  size_t nb = strlen(bin_rel);
  if (!strncmp(SQ_BINDIR, SQ_PREFIX, np) && !strncmp(SQ_PKGDATADIR, SQ_PREFIX, np) && ne >= nb &&
      !strcmp(exe + ne - nb, bin_rel)) {
    char *d = sq_strf("%.*s%s", (int)(ne - nb), exe, data_rel);
    struct stat st;
    if (d && stat(d, &st) == 0 && S_ISDIR(st.st_mode)) return d;
    free(d);
  }
  struct stat st;
  if (stat(SQ_PKGDATADIR, &st) == 0 && S_ISDIR(st.st_mode)) return sq_strf("%s", SQ_PKGDATADIR);
#endif
  return NULL;
}

char *sq_tunedb_shipped_path(void) {
  char *d = installed_datadir();
  if (!d) return NULL;
  char *p = sq_strf("%s/tunedb.csv", d);
  free(d);
  if (p && access(p, F_OK) != 0) {
    free(p);
    return NULL;
  }
  return p;
}

int sq_tunedb_shipped(sq_tunedb *db, char *where, size_t n) {
  char *path = sq_tunedb_shipped_path();
  if (!path) {
    snprintf(where, n, "built in");
    return sq_tunedb_builtin(db);
  }
  snprintf(where, n, "%s", path);
  int rc = sq_tunedb_read(path, db);
  free(path);
  return rc;
}

int sq_tunedb_write(const char *path, const sq_tunedb *db) {
  int rc = sq_mkdirs_parent(path);
  if (rc) return rc;
  sq_atomic out;
  FILE *fp = sq_atomic_open(&out, path);
  if (!fp) return SQ_EIO;
  fprintf(fp, "# subquad-tunedb 2: best configuration per device, kernel, dtype and tuning key\n");
  rc = sq_csv_write_row(fp, cols, NCOLS);
  for (int i = 0; i < db->n && !rc; i++) {
    const sq_tunedb_entry *e = &db->v[i];
    char c[8], t[32], dm[32];
    snprintf(c, sizeof c, "%d", e->causal);
    snprintf(t, sizeof t, isnan(e->time_ms) ? "" : "%.6g", e->time_ms);
    snprintf(dm, sizeof dm, isnan(e->default_ms) ? "" : "%.6g", e->default_ms);
    const char *f[NCOLS] = {e->backend, e->device, e->arch, e->vendor, e->kernel, e->dtype, c, e->key,
                            e->params, t, dm, e->shape, e->date};
    rc = sq_csv_write_row(fp, f, NCOLS);
  }
  if (rc) sq_atomic_abort(&out);
  else rc = sq_atomic_commit(&out);
  return rc;
}

static int same_key(const sq_tunedb_entry *a, const sq_tunedb_entry *b) {
  return !strcmp(a->backend, b->backend) && !strcmp(a->device, b->device) &&
         !strcmp(a->kernel, b->kernel) && !strcmp(a->dtype, b->dtype) && a->causal == b->causal &&
         !strcmp(a->key, b->key);
}

int sq_tunedb_store(const char *path, const sq_tunedb_entry *e) {
  sq_tunedb db;
  int rc = sq_tunedb_read(path, &db);
  if (rc) return rc;
  int i = 0;
  while (i < db.n && !same_key(&db.v[i], e)) i++;
  if (i == db.n) {
    sq_tunedb_entry *v = realloc(db.v, (size_t)(db.n + 1) * sizeof *v);
    if (!v) { sq_tunedb_free(&db); return sq_fail(SQ_ENOMEM, "out of memory"); }
    db.v = v;
    db.n++;
  }
  db.v[i] = *e;
  rc = sq_tunedb_write(path, &db);
  sq_tunedb_free(&db);
  return rc;
}

int sq_tunedb_params(const sq_tunedb_entry *e, const sq_kernel *k, const sq_problem *p, int *pv) {
  sq_kernel_default_params(k, pv);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", e->params);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq) return sq_fail(SQ_EINVAL, "tuning database: '%s' is not NAME=VALUE", tok);
    *eq = 0;
    int i = sq_kernel_param_index(k, tok);
    char why[64];
    if (i < 0 || sq_param_value_parse(&k->params[i], eq + 1, &pv[i], why, sizeof why))
      return sq_fail(SQ_EINVAL, "tuning database: %s: bad parameter '%s'", k->name, tok);
  }
  char why[256];
  if (k->check && k->check(p, pv, k->nparams, why, sizeof why))
    return sq_fail(SQ_EINVAL, "tuning database: %s: %s", k->name, why);
  return 0;
}

static int level_match(const sq_tunedb_entry *e, const sq_device_info *dev, int level) {
  if (strcmp(e->backend, dev->backend)) return 0;
  if (level == 0) return !strcmp(e->device, dev->name);
  if (level == 1) return dev->arch[0] && !strcmp(e->arch, dev->arch);
  return dev->vendor[0] && !strcmp(e->vendor, dev->vendor);
}

/* Best usable entry of one level across the databases: exact bucket first,
 * else the nearest; of entries as near, the one whose key names more axes;
 * then earlier databases and earlier rows. */
static int find_level(const sq_tunedb *dbs, int ndb, const sq_device_info *dev, const sq_kernel *k,
                      const sq_problem *p, int level, int *pv) {
  double best = INFINITY;
  int best_named = -1, named;
  int tmp[SQ_MAX_PARAMS];
  for (int d = 0; d < ndb; d++)
    for (int i = 0; i < dbs[d].n; i++) {
      const sq_tunedb_entry *e = &dbs[d].v[i];
      if (strcmp(e->kernel, k->name) || strcmp(e->dtype, sq_dtype_name(p->dtype)) ||
          e->causal != p->causal || !level_match(e, dev, level))
        continue;
      double dist = key_distance(e->key, p, &named);
      if (dist < 0 || dist > best || (dist == best && named <= best_named) || sq_tunedb_params(e, k, p, tmp))
        continue;
      best = dist;
      best_named = named;
      memcpy(pv, tmp, sizeof tmp);
    }
  return isfinite(best);
}

int sq_tunedb_lookup(const sq_device_info *dev, const sq_kernel *k, const sq_problem *p,
                     int *pv, char *level, size_t n) {
  static const char *const names[] = {"tuned:device", "tuned:arch", "tuned:vendor"};
  sq_kernel_default_params(k, pv);
  snprintf(level, n, "default");
  char *path = sq_tunedb_user_path();
  if (!path) return SQ_ENOMEM;
  sq_tunedb dbs[2] = {{0}, {0}};
  int rc = path[0] ? sq_tunedb_read(path, &dbs[0]) : 0;
  free(path);
  if (rc) return rc;   /* an unreadable user database: defaults, reported by the caller */
  char where[PATH_MAX];
  if (sq_tunedb_shipped(&dbs[1], where, sizeof where)) memset(&dbs[1], 0, sizeof dbs[1]);
  for (int l = 0; l < 3; l++) {
    int tmp[SQ_MAX_PARAMS];
    if (find_level(dbs, 2, dev, k, p, l, tmp)) {
      memcpy(pv, tmp, (size_t)k->nparams * sizeof(int));
      snprintf(level, n, "%s", names[l]);
      break;
    }
  }
  sq_tunedb_free(&dbs[0]);
  sq_tunedb_free(&dbs[1]);
  /* Entries skipped on the way (their parameters do not fit this problem)
   * and a built-in database that would not read are no failure of the
   * lookup: their detail must not outlive it, or the next error that sets
   * none would be printed as a stale tuning-database message. */
  sq_clear_error();
  return 0;
}
