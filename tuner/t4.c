/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel Tuner's formats in and out (t4.h): the T4 writer over a run's
 * evaluations, and the readers that turn a Kernel Tuner cache or a T4 file
 * into a recorded space through sq_space_from_table. */
#include "tuner/t4.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "base/error.h"
#include "base/files.h"
#include "base/json.h"

/* ---- writing ------------------------------------------------------------ */

int sq_t4_add(sq_t4 *t, int64_t cfg, const sq_outcome *o) {
  if (t->n == t->cap) {
    int64_t nc = t->cap ? 2 * t->cap : 64;
    sq_t4_eval *v = realloc(t->v, (size_t)nc * sizeof *v);
    if (!v) return sq_fail(SQ_ENOMEM, "T4: out of memory");
    t->v = v;
    t->cap = nc;
  }
  sq_t4_eval *e = &t->v[t->n++];
  e->cfg = cfg;
  e->o = *o;
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char sec[24];
  strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(e->timestamp, sizeof e->timestamp, "%.19s.%03dZ", sec, (int)(ts.tv_nsec / 1000000) % 1000);
  return 0;
}

int sq_t4_from_cache(sq_t4 *t, const sq_cache *c) {
  for (int64_t i = 0; i < c->space->n; i++) {
    if (!c->done[i]) continue;
    int rc = sq_t4_add(t, i, &c->out[i]);
    if (rc) return rc;
    t->v[t->n - 1].timestamp[0] = 0;
  }
  return 0;
}

void sq_t4_free(sq_t4 *t) {
  free(t->v);
  memset(t, 0, sizeof *t);
}

/* An outcome's status as T4's invalidity and as Kernel Tuner's error name
 * (NULL for a correct one). */
static const char *invalidity(const char *status, const char **kt_error) {
  static const struct { const char *status, *t4, *kt; } map[] = {
    {"ok", "correct", NULL},
    {"compile", "compile", "CompilationFailedConfig"},
    {"limits", "constraints", "InvalidConfig"},
    {"launch", "runtime", "RuntimeFailedConfig"},
    {"verify", "correctness", "RuntimeFailedConfig"},
    {"timeout", "timeout", "RuntimeFailedConfig"},
    {"crashed", "runtime", "RuntimeFailedConfig"},
    {"invalid", "constraints", "InvalidConfig"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(status, map[i].status)) {
      *kt_error = map[i].kt;
      return map[i].t4;
    }
  *kt_error = "RuntimeFailedConfig";
  return "runtime";
}

/* A time in ms from seconds, left out when not measured (the schema wants
 * a number, and JSON has no NaN). */
static void ms_key(sq_json *j, const char *key, double s) {
  if (isfinite(s)) sq_json_number(j, key, s * 1e3);
}

static void write_eval(sq_json *j, const sq_t4_eval *e, const sq_space *sp) {
  const sq_outcome *o = &e->o;
  const char *kt_error;
  const char *inv = invalidity(o->status, &kt_error);
  int pv[SQ_SPACE_MAXP];
  sq_space_values(sp, e->cfg, pv);
  sq_json_object(j, NULL);
  if (e->timestamp[0]) sq_json_string(j, "timestamp", e->timestamp);
  sq_json_object(j, "configuration");
  for (int p = 0; p < sp->np; p++) sq_json_int(j, sp->name[p], pv[p]);
  sq_json_end(j);
  sq_json_array(j, "objectives");
  sq_json_string(j, NULL, "time");
  sq_json_end(j);
  sq_json_object(j, "times");
  ms_key(j, "compilation_time", o->compile_s);
  sq_json_array(j, "runtimes");
  if (!kt_error && isfinite(o->ms)) sq_json_number(j, NULL, o->ms);
  sq_json_end(j);
  ms_key(j, "validation", o->verify_s);
  ms_key(j, "benchmark", o->bench_s);
  sq_json_end(j);
  sq_json_string(j, "invalidity", inv);
  sq_json_int(j, "correctness", strcmp(o->status, "verify") ? 1 : 0);
  sq_json_array(j, "measurements");
  sq_json_object(j, NULL);
  sq_json_string(j, "name", "time");
  if (!kt_error && isfinite(o->ms)) sq_json_number(j, "value", o->ms);
  else sq_json_string(j, "value", kt_error ? kt_error : "RuntimeFailedConfig");
  sq_json_string(j, "unit", "ms");
  sq_json_end(j);
  sq_json_end(j);
  if (o->message[0]) sq_json_string(j, "message", o->message);
  sq_json_end(j);
}

int sq_t4_save(const char *path, const sq_t4 *t, const sq_space *sp, const sq_t4_meta *m) {
  sq_atomic a;
  FILE *f = sq_atomic_open(&a, path);
  if (!f) return SQ_EIO;
  sq_json j;
  sq_json_begin(&j, f, 2);
  sq_json_object(&j, NULL);
  sq_json_string(&j, "schema_version", "1.0.0");
  sq_json_object(&j, "metadata");
  sq_json_string(&j, "timeunit", "milliseconds");
  sq_json_string(&j, "generator", "subquad " PACKAGE_VERSION);
  const char *k[] = {"kernel", "device", "shape", "dtype", "source"};
  const char *v[] = {m->kernel, m->device, m->shape, m->dtype, m->source};
  for (int i = 0; i < 5; i++)
    if (v[i]) sq_json_string(&j, k[i], v[i]);
  sq_json_end(&j);
  sq_json_array(&j, "results");
  for (int64_t i = 0; i < t->n; i++) write_eval(&j, &t->v[i], sp);
  sq_json_end(&j);
  if (sq_json_finish(&j)) {
    int rc = sq_fail(SQ_EIO, "%s: write failed: %s", path, strerror(errno));
    sq_atomic_abort(&a);
    return rc;
  }
  return sq_atomic_commit(&a);
}

/* ---- reading ------------------------------------------------------------ */

int sq_space_file_is_json(const char *path) {
  FILE *f = fopen(path, "r");
  int c = EOF;
  if (!f) return 0;
  while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {}
  fclose(f);
  return c == '{';
}

/* The rows being gathered: raw values per row and parameter, then times. */
typedef struct table {
  const char *path;
  int np;
  char names[SQ_SPACE_MAXP][SQ_SPACE_NAME];
  int64_t n, cap;
  const sq_jvalue **raw;   /* n * np */
  double *ms;
} table;

static int add_row(table *t) {
  if (t->n < t->cap) return 0;
  int64_t nc = t->cap ? 2 * t->cap : 256;
  const sq_jvalue **r = realloc(t->raw, (size_t)(nc * t->np) * sizeof *r);
  if (r) t->raw = r;
  double *m = realloc(t->ms, (size_t)nc * sizeof *m);
  if (m) t->ms = m;
  if (!r || !m) return sq_fail(SQ_ENOMEM, "%s: out of memory", t->path);
  t->cap = nc;
  return 0;
}

static int add_name(table *t, const char *name, int line) {
  if (t->np == SQ_SPACE_MAXP) return sq_fail(SQ_EPARSE, "%s:%d: more than %d parameters", t->path, line, SQ_SPACE_MAXP);
  if (strlen(name) >= SQ_SPACE_NAME || !*name)
    return sq_fail(SQ_EPARSE, "%s:%d: parameter name '%.40s' is empty or longer than %d bytes", t->path, line, name,
                   SQ_SPACE_NAME - 1);
  snprintf(t->names[t->np++], SQ_SPACE_NAME, "%s", name);
  return 0;
}

static int whole(const sq_jvalue *v) {
  return v->type == SQ_JNUMBER && v->number == floor(v->number) && fabs(v->number) <= INT_MAX;
}

/* Natural order of two parameter values: numbers (and booleans) by value,
 * before strings, strings by bytes. */
static int value_cmp(const sq_jvalue *a, const sq_jvalue *b) {
  int sa = a->type == SQ_JSTRING, sb = b->type == SQ_JSTRING;
  if (sa != sb) return sa - sb;
  if (sa) return strcmp(a->text, b->text);
  return (a->number > b->number) - (a->number < b->number);
}

static int cmp_ptr(const void *x, const void *y) {
  return value_cmp(*(const sq_jvalue *const *)x, *(const sq_jvalue *const *)y);
}

/* Parameter p's values as integers: themselves when all are whole
 * numbers, else their ranks (t4.h). */
static int column_ints(table *t, int p, int *vals) {
  int all_whole = 1;
  for (int64_t r = 0; r < t->n; r++) {
    const sq_jvalue *v = t->raw[r * t->np + p];
    if (v->type != SQ_JNUMBER && v->type != SQ_JSTRING && v->type != SQ_JBOOL)
      return sq_fail(SQ_EPARSE, "%s:%d: %s: a value that is no number, string or boolean", t->path, v->line,
                     t->names[p]);
    all_whole &= whole(v);
  }
  if (all_whole) {
    for (int64_t r = 0; r < t->n; r++) vals[r * t->np + p] = (int)t->raw[r * t->np + p]->number;
    return 0;
  }
  const sq_jvalue **d = malloc((size_t)t->n * sizeof *d);
  if (!d) return sq_fail(SQ_ENOMEM, "%s: out of memory", t->path);
  for (int64_t r = 0; r < t->n; r++) d[r] = t->raw[r * t->np + p];
  qsort(d, (size_t)t->n, sizeof *d, cmp_ptr);
  int64_t k = 0;
  for (int64_t r = 0; r < t->n; r++)
    if (!k || value_cmp(d[k - 1], d[r])) d[k++] = d[r];
  for (int64_t r = 0; r < t->n; r++) {
    int64_t lo = 0, hi = k - 1;
    const sq_jvalue *v = t->raw[r * t->np + p];
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (value_cmp(d[mid], v) < 0) lo = mid + 1;
      else hi = mid;
    }
    vals[r * t->np + p] = (int)lo;
  }
  free(d);
  return 0;
}

static int build(table *t, sq_space *out) {
  int *vals = malloc((size_t)(t->n * t->np) * sizeof *vals + 1);
  if (!vals) return sq_fail(SQ_ENOMEM, "%s: out of memory", t->path);
  int rc = 0;
  for (int p = 0; p < t->np && !rc; p++) rc = column_ints(t, p, vals);
  if (!rc) rc = sq_space_from_table(t->path, t->np, (const char (*)[SQ_SPACE_NAME])t->names, t->n, vals, t->ms, out);
  free(vals);
  return rc;
}

/* One configuration's parameter values out of an object holding them. */
static int take_values(table *t, const sq_jvalue *obj) {
  int rc = add_row(t);
  if (rc) return rc;
  for (int p = 0; p < t->np; p++) {
    const sq_jvalue *v = sq_json_get(obj, t->names[p]);
    if (!v) return sq_fail(SQ_EPARSE, "%s:%d: a configuration without %s", t->path, obj->line, t->names[p]);
    t->raw[t->n * t->np + p] = v;
  }
  return 0;
}

/* A positive finite time, or a failure (NAN) when `failed`. */
static int take_time(table *t, const sq_jvalue *v, int line, const char *what) {
  if (!v || v->type != SQ_JNUMBER || !(v->number > 0))
    return sq_fail(SQ_EPARSE, "%s:%d: %s is not a positive time", t->path, v ? v->line : line, what);
  t->ms[t->n] = v->number;
  return 0;
}

/* Kernel Tuner's cache: "tune_params_keys" and "cache": {"v1,v2,...":
 * {param: value, ..., "time": ms or an error name}}. */
static int from_kt_cache(table *t, const sq_jvalue *doc) {
  const sq_jvalue *keys = sq_json_get(doc, "tune_params_keys"), *cache = sq_json_get(doc, "cache");
  const sq_jvalue *objective = sq_json_get(doc, "objective");
  if (!keys || keys->type != SQ_JARRAY || !cache || cache->type != SQ_JOBJECT)
    return sq_fail(SQ_EPARSE, "%s: a Kernel Tuner cache needs tune_params_keys (array) and cache (object)", t->path);
  if (objective && objective->type == SQ_JSTRING && strcmp(objective->text, "time"))
    return sq_fail(SQ_EPARSE, "%s: objective '%.40s': only a time objective replays", t->path, objective->text);
  for (int i = 0; i < keys->n; i++) {
    if (keys->items[i].type != SQ_JSTRING)
      return sq_fail(SQ_EPARSE, "%s:%d: tune_params_keys holds a non-string", t->path, keys->items[i].line);
    int rc = add_name(t, keys->items[i].text, keys->items[i].line);
    if (rc) return rc;
  }
  for (int i = 0; i < cache->n; i++) {
    const sq_jvalue *e = &cache->items[i];
    if (e->type != SQ_JOBJECT) return sq_fail(SQ_EPARSE, "%s:%d: a cache entry is no object", t->path, e->line);
    int rc = take_values(t, e);
    if (rc) return rc;
    const sq_jvalue *tm = sq_json_get(e, "time");
    /* A failed configuration: "time" (or any field) holds an error name. */
    int failed = tm && tm->type == SQ_JSTRING;
    for (int k = 0; !failed && k < e->n; k++)
      failed = e->items[k].type == SQ_JSTRING && strstr(e->items[k].text, "Config") &&
               (!strcmp(e->items[k].text, "InvalidConfig") || !strcmp(e->items[k].text, "ErrorConfig") ||
                !strcmp(e->items[k].text, "CompilationFailedConfig") ||
                !strcmp(e->items[k].text, "RuntimeFailedConfig"));
    if (failed) t->ms[t->n] = NAN;
    else if ((rc = take_time(t, tm, e->line, "time"))) return rc;
    t->n++;
  }
  return 0;
}

/* T4: "results": [{"configuration": {...}, "invalidity": ...,
 * "measurements": [{"name": "time", "value": ms}], "times": {...}}]. The
 * time is the measurement named like the first objective (else "time"),
 * else the mean of times.runtimes. */
static int from_t4(table *t, const sq_jvalue *doc) {
  const sq_jvalue *res = sq_json_get(doc, "results");
  if (!res || res->type != SQ_JARRAY) return sq_fail(SQ_EPARSE, "%s: a T4 file needs a results array", t->path);
  if (!res->n) return sq_fail(SQ_EPARSE, "%s: no configurations", t->path);
  const sq_jvalue *c0 = sq_json_get(&res->items[0], "configuration");
  if (!c0 || c0->type != SQ_JOBJECT) return sq_fail(SQ_EPARSE, "%s:%d: a result without a configuration", t->path, res->items[0].line);
  for (int i = 0; i < c0->n; i++) {
    int rc = add_name(t, c0->keys[i], c0->items[i].line);
    if (rc) return rc;
  }
  for (int i = 0; i < res->n; i++) {
    const sq_jvalue *r = &res->items[i], *cfg = sq_json_get(r, "configuration");
    if (!cfg || cfg->type != SQ_JOBJECT) return sq_fail(SQ_EPARSE, "%s:%d: a result without a configuration", t->path, r->line);
    if (cfg->n != t->np) return sq_fail(SQ_EPARSE, "%s:%d: a configuration with other parameters than the first's", t->path, cfg->line);
    int rc = take_values(t, cfg);
    if (rc) return rc;
    const sq_jvalue *inv = sq_json_get(r, "invalidity");
    if (inv && (inv->type != SQ_JSTRING || strcmp(inv->text, "correct"))) {
      t->ms[t->n++] = NAN;
      continue;
    }
    const sq_jvalue *obj = sq_json_get(r, "objectives"), *meas = sq_json_get(r, "measurements"), *val = NULL;
    const char *want = obj && obj->type == SQ_JARRAY && obj->n && obj->items[0].type == SQ_JSTRING ? obj->items[0].text : "time";
    for (int k = 0; meas && meas->type == SQ_JARRAY && k < meas->n && !val; k++) {
      const sq_jvalue *nm = sq_json_get(&meas->items[k], "name");
      if (nm && nm->type == SQ_JSTRING && !strcmp(nm->text, want)) val = sq_json_get(&meas->items[k], "value");
    }
    if (val) {
      if ((rc = take_time(t, val, r->line, want))) return rc;
    } else {
      const sq_jvalue *times = sq_json_get(r, "times"), *rt = sq_json_get(times, "runtimes");
      double sum = 0;
      int ok = rt && rt->type == SQ_JARRAY && rt->n > 0;
      for (int k = 0; ok && k < rt->n; k++) {
        ok = rt->items[k].type == SQ_JNUMBER && rt->items[k].number > 0;
        if (ok) sum += rt->items[k].number;
      }
      if (!ok)
        return sq_fail(SQ_EPARSE, "%s:%d: a correct result with no '%s' measurement and no runtimes", t->path, r->line, want);
      t->ms[t->n] = sum / rt->n;
    }
    t->n++;
  }
  return 0;
}

/* Kernel Tuner appends to its cache as it tunes and closes the JSON only
 * at the end: a file a killed run left reads as Kernel Tuner reads it, the
 * trailing comma dropped and the two closing braces added. */
static char *close_kt_cache(const char *text, size_t len) {
  while (len && strchr(" \t\r\n", text[len - 1])) len--;
  if (len >= 3 && (!memcmp(text + len - 3, "}\n}", 3) || !memcmp(text + len - 3, "}}}", 3))) return NULL;
  if (len && text[len - 1] == ',') len--;
  char *s = malloc(len + 4);
  if (s) {
    memcpy(s, text, len);
    memcpy(s + len, "}\n}", 4);
  }
  return s;
}

int sq_space_from_json(const char *path, sq_space *out) {
  char *text;
  size_t len;
  memset(out, 0, sizeof *out);
  int rc = sq_read_file(path, &text, &len);
  if (rc) return rc;
  sq_jvalue doc;
  rc = sq_json_parse(text, len, path, &doc);
  if (rc == SQ_EPARSE && strstr(text, "\"tune_params_keys\"")) {
    char first[SQ_DETAIL_MAX];
    snprintf(first, sizeof first, "%s", sq_last_error());
    char *closed = close_kt_cache(text, len);
    if (closed && !(rc = sq_json_parse(closed, strlen(closed), path, &doc))) sq_clear_error();
    else if (closed) rc = sq_fail(SQ_EPARSE, "%s", first);
    free(closed);
  }
  free(text);
  if (rc) return rc;
  table t = {.path = path};
  if (doc.type != SQ_JOBJECT) rc = sq_fail(SQ_EPARSE, "%s: the document is no object", path);
  else if (sq_json_get(&doc, "cache")) rc = from_kt_cache(&t, &doc);
  else if (sq_json_get(&doc, "results")) rc = from_t4(&t, &doc);
  else rc = sq_fail(SQ_EPARSE, "%s: neither a Kernel Tuner cache (no \"cache\") nor a T4 file (no \"results\")", path);
  if (!rc) rc = build(&t, out);
  free(t.raw);
  free(t.ms);
  sq_json_free(&doc);
  return rc;
}
