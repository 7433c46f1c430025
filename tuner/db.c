/* The tuning database: reading, writing and the fallback lookup (db.h). */
#include "tuner/db.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/error.h"
#include "tuner/csvrows.h"

extern const char *const sq_src_tunedb;   /* tuner/db/tunedb.csv, embedded */

static const char *const cols[] = {"backend", "device", "arch", "vendor", "kernel", "dtype",
                                   "causal", "D", "DV", "T_bucket", "params", "time_ms",
                                   "default_ms", "shape", "date"};
enum { NCOLS = sizeof cols / sizeof cols[0] };

int64_t sq_tunedb_bucket(int64_t T) {
  int64_t b = 1;
  while (b < T && b < ((int64_t)1 << 62)) b <<= 1;
  return b;
}

void sq_tunedb_user_path(char *buf, size_t n) {
  const char *e = getenv("SUBQUAD_TUNEDB"), *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
  if (e && *e) snprintf(buf, n, "%s", e);
  else if (x && *x) snprintf(buf, n, "%s/subquad/tunedb.csv", x);
  else if (h && *h) snprintf(buf, n, "%s/.local/share/subquad/tunedb.csv", h);
  else buf[0] = 0;
}

void sq_tunedb_free(sq_tunedb *db) {
  free(db->v);
  db->v = NULL;
  db->n = 0;
}

static int num(const char *s, double *v) {
  char *end;
  if (!*s) { *v = NAN; return 0; }
  *v = strtod(s, &end);
  return *end ? -1 : 0;
}

static int parse_entry(const char *path, const sq_csvrow *r, sq_tunedb_entry *e) {
  memset(e, 0, sizeof *e);
  if (r->nf != NCOLS) return sq_fail(SQ_EPARSE, "%s:%d: %d fields, want %d", path, r->line, r->nf, NCOLS);
  double causal, D, DV, tb;
  snprintf(e->backend, sizeof e->backend, "%s", r->f[0]);
  snprintf(e->device, sizeof e->device, "%s", r->f[1]);
  snprintf(e->arch, sizeof e->arch, "%s", r->f[2]);
  snprintf(e->vendor, sizeof e->vendor, "%s", r->f[3]);
  snprintf(e->kernel, sizeof e->kernel, "%s", r->f[4]);
  snprintf(e->dtype, sizeof e->dtype, "%s", r->f[5]);
  if (num(r->f[6], &causal) || num(r->f[7], &D) || num(r->f[8], &DV) || num(r->f[9], &tb) ||
      !(D >= 1 && D <= 0x1p62) || !(DV >= 1 && DV <= 0x1p62) || !(tb >= 1 && tb <= 0x1p62) ||
      (causal != 0 && causal != 1))   /* 2^62: the largest bucket, and int64_t holds it */
    return sq_fail(SQ_EPARSE, "%s:%d: causal, D, DV or T_bucket is not a valid number", path, r->line);
  e->causal = (int)causal;
  e->D = (int64_t)D;
  e->DV = (int64_t)DV;
  e->tbucket = (int64_t)tb;
  snprintf(e->params, sizeof e->params, "%s", r->f[10]);
  if (num(r->f[11], &e->time_ms) || num(r->f[12], &e->default_ms))
    return sq_fail(SQ_EPARSE, "%s:%d: time_ms or default_ms is not a number", path, r->line);
  snprintf(e->shape, sizeof e->shape, "%s", r->f[13]);
  snprintf(e->date, sizeof e->date, "%s", r->f[14]);
  if (!e->kernel[0]) return sq_fail(SQ_EPARSE, "%s:%d: empty kernel", path, r->line);
  return 0;
}

static int from_csv(const char *path, const sq_csvfile *f, sq_tunedb *db) {
  memset(db, 0, sizeof *db);
  if (f->nrows == 0) return 0;
  const sq_csvrow *h = &f->rows[0];
  if (h->nf != NCOLS) return sq_fail(SQ_EPARSE, "%s:%d: header has %d columns, want %d", path, h->line, h->nf, NCOLS);
  for (int i = 0; i < NCOLS; i++)
    if (strcmp(h->f[i], cols[i]))
      return sq_fail(SQ_EPARSE, "%s:%d: column %d is '%s', want '%s'", path, h->line, i + 1, h->f[i], cols[i]);
  if (!(db->v = calloc((size_t)f->nrows, sizeof *db->v))) return sq_fail(SQ_ENOMEM, "out of memory");
  for (int i = 1; i < f->nrows; i++) {
    int rc = parse_entry(path, &f->rows[i], &db->v[db->n]);
    if (rc) { sq_tunedb_free(db); return rc; }
    db->n++;
  }
  return 0;
}

int sq_tunedb_read(const char *path, sq_tunedb *db) {
  memset(db, 0, sizeof *db);
  if (access(path, F_OK) != 0 && errno == ENOENT) return 0;
  sq_csvfile f;
  int rc = sq_csv_read(path, &f, NULL);
  if (rc) return rc;
  rc = from_csv(path, &f, db);
  sq_csv_free(&f);
  return rc;
}

int sq_tunedb_builtin(sq_tunedb *db) {
  memset(db, 0, sizeof *db);
  FILE *fp = fmemopen((void *)sq_src_tunedb, strlen(sq_src_tunedb), "r");
  if (!fp) return sq_fail(SQ_ENOMEM, "built-in tuning database: fmemopen failed");
  sq_csvfile f;
  int rc = sq_csv_read_fp(fp, "(built-in tunedb.csv)", &f, NULL);
  fclose(fp);
  if (rc) return rc;
  rc = from_csv("(built-in tunedb.csv)", &f, db);
  sq_csv_free(&f);
  return rc;
}

/* mkdir -p of path's folder. */
static int make_parent(const char *path) {
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return 0;
  *slash = 0;
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(dir, 0755) && errno != EEXIST) return sq_fail(SQ_EIO, "%s: %s", dir, strerror(errno));
    *p = '/';
  }
  if (mkdir(dir, 0755) && errno != EEXIST) return sq_fail(SQ_EIO, "%s: %s", dir, strerror(errno));
  return 0;
}

int sq_tunedb_write(const char *path, const sq_tunedb *db) {
  int rc = make_parent(path);
  if (rc) return rc;
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
  FILE *fp = fopen(tmp, "w");
  if (!fp) return sq_fail(SQ_EIO, "%s: %s", tmp, strerror(errno));
  fprintf(fp, "# subquad-tunedb 1: best configuration per device, kernel, dtype and shape bucket\n");
  rc = sq_csv_write_row(fp, cols, NCOLS);
  for (int i = 0; i < db->n && !rc; i++) {
    const sq_tunedb_entry *e = &db->v[i];
    char c[8], d[24], dv[24], tb[24], t[32], dm[32];
    snprintf(c, sizeof c, "%d", e->causal);
    snprintf(d, sizeof d, "%lld", (long long)e->D);
    snprintf(dv, sizeof dv, "%lld", (long long)e->DV);
    snprintf(tb, sizeof tb, "%lld", (long long)e->tbucket);
    snprintf(t, sizeof t, isnan(e->time_ms) ? "" : "%.6g", e->time_ms);
    snprintf(dm, sizeof dm, isnan(e->default_ms) ? "" : "%.6g", e->default_ms);
    const char *f[NCOLS] = {e->backend, e->device, e->arch, e->vendor, e->kernel, e->dtype, c, d, dv,
                            tb, e->params, t, dm, e->shape, e->date};
    rc = sq_csv_write_row(fp, f, NCOLS);
  }
  if (fflush(fp) || fsync(fileno(fp))) rc = rc ? rc : sq_fail(SQ_EIO, "%s: %s", tmp, strerror(errno));
  fclose(fp);
  if (!rc && rename(tmp, path)) rc = sq_fail(SQ_EIO, "%s: %s", path, strerror(errno));
  if (rc) unlink(tmp);
  return rc;
}

static int same_key(const sq_tunedb_entry *a, const sq_tunedb_entry *b) {
  return !strcmp(a->backend, b->backend) && !strcmp(a->device, b->device) &&
         !strcmp(a->kernel, b->kernel) && !strcmp(a->dtype, b->dtype) && a->causal == b->causal &&
         a->D == b->D && a->DV == b->DV && a->tbucket == b->tbucket;
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

/* One of the parameter's candidates (FL_BN and LA_RUNS have 0), or in the
 * range --param accepts: a kernel's check may divide by any other value. */
static int usable_value(const sq_param *q, long v) {
  for (int j = 0; j < q->nvalues; j++)
    if (q->values[j] == v) return 1;
  return v >= 1 && v <= 1 << 20;
}

int sq_tunedb_params(const sq_tunedb_entry *e, const sq_kernel *k, const sq_problem *p, int *pv) {
  sq_kernel_default_params(k, pv);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", e->params);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    char *eq = strchr(tok, '='), *end;
    if (!eq) return sq_fail(SQ_EINVAL, "tuning database: '%s' is not NAME=VALUE", tok);
    *eq = 0;
    int i = sq_kernel_param_index(k, tok);
    errno = 0;
    long v = strtol(eq + 1, &end, 10);
    if (i < 0 || *end || end == eq + 1 || errno == ERANGE || !usable_value(&k->params[i], v))
      return sq_fail(SQ_EINVAL, "tuning database: %s: bad parameter '%s'", k->name, tok);
    pv[i] = (int)v;
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

static double bucket_dist(int64_t a, int64_t b) { return fabs(log2((double)a) - log2((double)b)); }

/* Best usable entry of one level across the databases: exact bucket first,
 * else the nearest; earlier databases win ties. */
static int find_level(const sq_tunedb *dbs, int ndb, const sq_device_info *dev, const sq_kernel *k,
                      const sq_problem *p, int level, int *pv) {
  int64_t want = sq_tunedb_bucket(p->T);
  double best = INFINITY;
  int tmp[SQ_MAX_PARAMS];
  for (int d = 0; d < ndb; d++)
    for (int i = 0; i < dbs[d].n; i++) {
      const sq_tunedb_entry *e = &dbs[d].v[i];
      if (strcmp(e->kernel, k->name) || strcmp(e->dtype, sq_dtype_name(p->dtype)) ||
          e->causal != p->causal || e->D != p->D || e->DV != p->DV || !level_match(e, dev, level))
        continue;
      double dist = bucket_dist(e->tbucket, want);
      if (dist >= best || sq_tunedb_params(e, k, p, tmp)) continue;
      best = dist;
      memcpy(pv, tmp, sizeof tmp);
    }
  return isfinite(best);
}

int sq_tunedb_lookup(const sq_device_info *dev, const sq_kernel *k, const sq_problem *p,
                     int *pv, char *level, size_t n) {
  static const char *const names[] = {"tuned:device", "tuned:arch", "tuned:vendor"};
  sq_kernel_default_params(k, pv);
  snprintf(level, n, "default");
  char path[1024];
  sq_tunedb_user_path(path, sizeof path);
  sq_tunedb dbs[2] = {{0}, {0}};
  int rc = path[0] ? sq_tunedb_read(path, &dbs[0]) : 0;
  if (rc) return rc;   /* an unreadable user database: defaults, reported by the caller */
  if (sq_tunedb_builtin(&dbs[1])) memset(&dbs[1], 0, sizeof dbs[1]);
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
  return 0;
}
