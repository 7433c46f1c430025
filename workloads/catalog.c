/* SPDX-License-Identifier: BSD-3-Clause */
/* Loading and validating the paper catalog. Each workload row is checked
 * column by column (required columns, an operator that is declared, a
 * kernel that exists or is marked pending with its op's kind, a mode the
 * kernel supports, a shape the op's parser accepts, unique names, a known
 * paper); the first problem becomes "file:line: column: what is wrong".
 * Kernels are matched to rows by the op their descriptor points at. A
 * pending row resolves here to its op's preferred kernel for its mode as
 * soon as one is registered, so rows become runnable as kernels land
 * without editing the data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/error.h"
#include "base/files.h"
#include "kernels/attention.h"
#include "workloads/catalog.h"
#include "workloads/catalog_data.h"

enum { C_NAME, C_PAPER, C_DOMAIN, C_FAMILY, C_OP, C_KERNEL, C_CAUSAL, C_SHAPE, C_CALLS, C_OPERATOR,
       C_SOURCE, C_NOTES, C_COUNT };
static const char *const col_names[C_COUNT] = {"name", "paper", "domain", "family", "op", "kernel",
                                               "causal", "shape", "calls", "operator", "source", "notes"};
/* Columns a file must have; domain, calls (1 when absent), operator and
 * notes may be left out. */
static const int col_required[C_COUNT] = {[C_NAME] = 1, [C_PAPER] = 1, [C_FAMILY] = 1, [C_OP] = 1,
                                          [C_KERNEL] = 1, [C_CAUSAL] = 1, [C_SHAPE] = 1,
                                          [C_SOURCE] = 1};

#define BAD(...) sq_fail(SQ_EPARSE, __VA_ARGS__)

static int copy_field(const char *file, int line, const char *col, const char *v, char *dst,
                      size_t n) {
  if (strlen(v) >= n)
    return BAD("%s:%d: %s: '%.40s...' is longer than %zu characters", file, line, col, v, n - 1);
  strcpy(dst, v);
  return 0;
}

static int check_op(const char *file, int line, const char *name, sq_workload *w) {
  w->op = sq_op_find(name);
  if (w->op) return 0;
  char known[640];
  size_t used = 0;
  known[0] = '\0';
  for (int i = 0; i < sq_nops && used < sizeof known; i++)
    used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", sq_ops[i]->name);
  return BAD("%s:%d: op: '%s' is not a declared operator (known: %s)", file, line, name, known);
}

/* The op's preferred kernel in a mode: the first registered kernel of that
 * op which supports it. The registry lists an op's kernels best first (the
 * chunked forms before the recurrent ones), so a pending row runs the fast
 * form as soon as one lands. */
const sq_kernel *sq_op_kernel(const sq_op *op, int causal) {
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    if (k->op == op && (k->modes & (causal ? SQ_CAUSAL : SQ_NONCAUSAL))) return k;
  }
  return NULL;
}

static int check_kernel(const char *file, int line, sq_workload *w) {
  if (!strncmp(w->kernel, "pending:", 8)) {
    if (!w->kernel[8]) return BAD("%s:%d: kernel: 'pending:' needs a kind", file, line);
    if (w->op->pending && strcmp(w->op->pending, w->kernel))
      return BAD("%s:%d: kernel: '%s', but %s's kernels are %s", file, line, w->kernel,
                 w->op->name, w->op->pending);
    w->k = sq_op_kernel(w->op, w->causal);
    return 0;
  }
  w->k = sq_kernel_find(w->kernel);
  if (!w->k)
    return BAD("%s:%d: kernel: '%s' is not a registered kernel (write pending:KIND)", file,
               line, w->kernel);
  if (w->k->op != w->op)
    return BAD("%s:%d: op: %s computes %s, not %s", file, line, w->kernel, w->k->op->name, w->op->name);
  if (!(w->k->modes & (w->causal ? SQ_CAUSAL : SQ_NONCAUSAL)))
    return BAD("%s:%d: causal: %s does not support %s mode", file, line, w->kernel,
               w->causal ? "causal" : "non-causal");
  return 0;
}

/* Strips one "assumed:" mark, counting the value and whether it is marked. */
static const char *unmark(const char *v, sq_workload *w, int axis) {
  w->nvalues++;
  if (strncmp(v, "assumed:", 8)) return v;
  w->nassumed++;
  w->assumed |= 1u << axis;
  return v + 8;
}

/* A product of factors on a batch axis, each a positive integer that may
 * be marked: "64*49", "128*assumed:64". Writes the product in decimal. */
static int product(const char *file, int line, sq_workload *w, int axis, char *v, char *out, size_t n) {
  const sq_axis *ax = &w->op->axes[axis];
  if (ax->kind != SQ_AXIS_INT || !(ax->flags & SQ_AX_BATCH))
    return BAD("%s:%d: shape: %s='%s': only a batch axis (B, H) may be a product", file, line, ax->name, v);
  int64_t prod = 1, hi = (int64_t)ax->hi;
  for (char *f = v, *next; f; f = next) {
    if ((next = strchr(f, '*'))) *next++ = '\0';
    const char *d = unmark(f, w, axis);
    size_t len = strlen(d);
    if (!len || strspn(d, "0123456789") != len || strspn(d, "0") == len)
      return BAD("%s:%d: shape: %s: factor '%s' is not a positive integer", file, line, ax->name, f);
    int64_t x = len > 18 ? hi + 1 : strtoll(d, NULL, 10);
    if (x > hi || prod > hi / x)
      return BAD("%s:%d: shape: %s: the product of its factors is out of range [%.0f, %.0f]", file, line,
                 ax->name, ax->lo, ax->hi);
    prod *= x;
  }
  snprintf(out, n, "%lld", (long long)prod);
  return 0;
}

/* One field "KEY=VALUE" in the op's plain syntax: the mark stripped, a
 * product multiplied out. A field the op does not know passes through
 * unchanged for its parser to name. */
static int plain_field(const char *file, int line, sq_workload *w, char *tok, char *out, size_t n) {
  char *eq = strchr(tok, '=');
  int a = -1;
  if (eq) {
    *eq = '\0';
    a = sq_op_axis_index(w->op, tok);
    *eq = '=';
  }
  if (a < 0) {
    snprintf(out, n, "%s", tok);
    return 0;
  }
  int k = snprintf(out, n, "%.*s=", (int)(eq - tok), tok);
  if (k < 0 || (size_t)k >= n) return BAD("%s:%d: shape: '%s' is too long", file, line, tok);
  if (strchr(eq + 1, '*')) return product(file, line, w, a, eq + 1, out + k, n - (size_t)k);
  snprintf(out + k, n - (size_t)k, "%s", unmark(eq + 1, w, a));
  return 0;
}

/* Rewrites the catalog's shape text into the op's plain syntax and counts
 * its values. */
static int plain_shape(const char *file, int line, sq_workload *w, char *out, size_t n) {
  char *buf = strdup(w->shape_text);
  if (!buf) return sq_fail(SQ_ENOMEM, "%s:%d: out of memory", file, line);
  size_t used = 0;
  int rc = 0;
  out[0] = '\0';
  for (char *tok = buf, *next; !rc && tok; tok = next) {
    if ((next = strchr(tok, ','))) *next++ = '\0';
    char field[160];
    rc = plain_field(file, line, w, tok, field, sizeof field);
    if (!rc)
      used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s%s", tok == buf ? "" : ",", field);
  }
  free(buf);
  if (!rc && used >= n) rc = BAD("%s:%d: shape: longer than %zu characters", file, line, n - 1);
  return rc;
}

/* The shape, validated by the op's own parser (ranges, required keys, the
 * op's constraints) even while the kernel is pending; the whole problem
 * must stay addressable. */
static int check_shape(const char *file, int line, sq_workload *w) {
  char plain[512], what[300];
  int rc = plain_shape(file, line, w, plain, sizeof plain);
  if (rc) return rc;
  snprintf(what, sizeof what, "%s:%d: shape", file, line);
  if (sq_shape_parse_op(w->op, plain, w->causal, what, &w->shape)) {
    char why[600];
    snprintf(why, sizeof why, "%s", sq_last_error());
    return BAD("%s", why);
  }
  double elems = (double)sq_shape_tokens(&w->shape);
  for (int a = 0; a < sq_op_naxes(w->op); a++)
    if (w->op->axes[a].flags & SQ_AX_BATCH) elems *= (double)sq_shape_int(&w->shape, w->op->axes[a].name);
  if (elems > 1e12)
    return BAD("%s:%d: shape: batch x tokens = %.3g is absurd (over 1e12)", file, line, elems);
  return 0;
}

/* Kernel calls per model layer: a whole number 1..64 written plainly, 1
 * when the file has no calls column (an older catalog). */
static int parse_calls(const char *file, int line, const char *v, int *calls) {
  *calls = 1;
  if (!v) return 0;
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || *v == '+' || *v == '-' || n < 1 || n > 64)
    return BAD("%s:%d: calls: '%s' is not a whole number from 1 to 64 (kernel calls per layer)", file, line, v);
  *calls = (int)n;
  return 0;
}

static int parse_row(const char *file, const sq_csvrow *r, const int *map, sq_workload *w) {
  int line = r->line, rc;
  memset(w, 0, sizeof *w);
  w->line = line;
  const char *v[C_COUNT];
  for (int c = 0; c < C_COUNT; c++) v[c] = map[c] >= 0 ? r->f[map[c]] : NULL;
  if ((rc = copy_field(file, line, "name", v[C_NAME], w->name, sizeof w->name))) return rc;
  if (!w->name[0]) return BAD("%s:%d: name: empty", file, line);
  for (const char *p = w->name; *p; p++)
    if (*p <= ' ' || *p == ',' || *p == '"')
      return BAD("%s:%d: name: '%s' has a space, comma or quote", file, line, w->name);
  if ((rc = copy_field(file, line, "paper", v[C_PAPER], w->paper, sizeof w->paper))) return rc;
  if (!w->paper[0]) return BAD("%s:%d: paper: empty", file, line);
  if ((rc = copy_field(file, line, "domain", v[C_DOMAIN] ? v[C_DOMAIN] : "", w->domain,
                       sizeof w->domain)))
    return rc;
  if ((rc = copy_field(file, line, "family", v[C_FAMILY], w->family, sizeof w->family))) return rc;
  if (!w->family[0]) return BAD("%s:%d: family: empty", file, line);
  if ((rc = check_op(file, line, v[C_OP], w))) return rc;
  if ((rc = copy_field(file, line, "kernel", v[C_KERNEL], w->kernel, sizeof w->kernel))) return rc;
  if (strcmp(v[C_CAUSAL], "0") && strcmp(v[C_CAUSAL], "1"))
    return BAD("%s:%d: causal: '%s' is not 0 or 1", file, line, v[C_CAUSAL]);
  w->causal = v[C_CAUSAL][0] == '1';
  if ((rc = copy_field(file, line, "shape", v[C_SHAPE], w->shape_text, sizeof w->shape_text))) return rc;
  if ((rc = parse_calls(file, line, v[C_CALLS], &w->calls))) return rc;
  if ((rc = copy_field(file, line, "operator", v[C_OPERATOR] ? v[C_OPERATOR] : "", w->words,
                       sizeof w->words)))
    return rc;
  if (!v[C_SOURCE][0]) return BAD("%s:%d: source: empty (cite the paper or code)", file, line);
  w->source = strdup(v[C_SOURCE]);
  w->notes = strdup(v[C_NOTES] ? v[C_NOTES] : "");
  if (!w->source || !w->notes) return sq_fail(SQ_ENOMEM, "%s:%d: out of memory", file, line);
  if ((rc = check_kernel(file, line, w))) return rc;
  return check_shape(file, line, w);
}

/* Maps header names to columns: unknown, duplicate or missing required
 * columns are errors on line of the header. */
static int map_header(const char *file, const sq_csvrow *h, int *map) {
  for (int c = 0; c < C_COUNT; c++) map[c] = -1;
  for (int j = 0; j < h->nf; j++) {
    int c = 0;
    while (c < C_COUNT && strcmp(col_names[c], h->f[j])) c++;
    if (c == C_COUNT)
      return BAD("%s:%d: %s: unknown column (known: name, paper, domain, family, op, kernel, "
                 "causal, shape, calls, operator, source, notes)",
                 file, h->line, h->f[j]);
    if (map[c] >= 0) return BAD("%s:%d: %s: column appears twice", file, h->line, h->f[j]);
    map[c] = j;
  }
  for (int c = 0; c < C_COUNT; c++)
    if (col_required[c] && map[c] < 0)
      return BAD("%s:%d: %s: missing column", file, h->line, col_names[c]);
  return 0;
}

static int parse_papers(const char *text, size_t len, const char *name, sq_catalog *c) {
  sq_csvfile t;
  int rc = sq_csv_parse(text, len, name, 0, &t, NULL);
  if (rc) return rc;
  if (t.nrows == 0 || t.rows[0].nf != 3 || strcmp(t.rows[0].f[0], "paper") || strcmp(t.rows[0].f[1], "title") ||
      strcmp(t.rows[0].f[2], "reason")) {
    rc = BAD("%s:%d: header: expected 'paper,title,reason'", name, t.nrows ? t.rows[0].line : 1);
    goto out;
  }
  c->papers = calloc((size_t)t.nrows, sizeof *c->papers);
  if (!c->papers) { rc = sq_fail(SQ_ENOMEM, "%s: out of memory", name); goto out; }
  for (int i = 1; i < t.nrows && !rc; i++) {
    const sq_csvrow *r = &t.rows[i];
    sq_paper *p = &c->papers[c->npapers];
    if (r->nf != 3) { rc = BAD("%s:%d: %d fields, expected 3", name, r->line, r->nf); break; }
    if (!r->f[0][0]) { rc = BAD("%s:%d: paper: empty", name, r->line); break; }
    if (!r->f[1][0]) { rc = BAD("%s:%d: title: empty", name, r->line); break; }
    if ((rc = copy_field(name, r->line, "paper", r->f[0], p->paper, sizeof p->paper)) ||
        (rc = copy_field(name, r->line, "title", r->f[1], p->title, sizeof p->title)) ||
        (rc = copy_field(name, r->line, "reason", r->f[2], p->reason, sizeof p->reason)))
      break;
    p->line = r->line;
    for (int j = 0; j < c->npapers; j++)
      if (!strcmp(c->papers[j].paper, p->paper))
        rc = BAD("%s:%d: paper: '%s' is listed twice", name, r->line, p->paper);
    c->npapers++;
  }
out:
  sq_csv_free(&t);
  return rc;
}

/* True when every value the row's shape writes is marked assumed: a guessed
 * shape, not a paper's. */
static int all_assumed(const sq_workload *w) { return w->nassumed == w->nvalues; }

static int parse_workloads(const char *text, size_t len, const char *name, int check_papers,
                           sq_catalog *c) {
  sq_csvfile t;
  int rc = sq_csv_parse(text, len, name, 0, &t, NULL), map[C_COUNT];
  if (rc) return rc;
  if (t.nrows == 0) { rc = BAD("%s:1: header: the file is empty", name); goto out; }
  if ((rc = map_header(name, &t.rows[0], map))) goto out;
  c->w = calloc((size_t)t.nrows, sizeof *c->w);
  if (!c->w) { rc = sq_fail(SQ_ENOMEM, "%s: out of memory", name); goto out; }
  for (int i = 1; i < t.nrows && !rc; i++) {
    const sq_csvrow *r = &t.rows[i];
    if (r->nf != t.rows[0].nf) {
      rc = BAD("%s:%d: %d fields, the header has %d", name, r->line, r->nf, t.rows[0].nf);
      break;
    }
    sq_workload *w = &c->w[c->n];
    rc = parse_row(name, r, map, w);
    c->n++; /* counted even on failure so sq_catalog_free releases its strings */
    if (rc) break;
    const sq_workload *dup = sq_catalog_find(c, w->name);
    if (dup != w) {
      rc = BAD("%s:%d: name: '%s' already used on line %d", name, r->line, w->name, dup->line);
      break;
    }
    if (check_papers && all_assumed(w)) {
      rc = BAD("%s:%d: source: every number of '%s' is assumed; a catalog row needs at least one sourced number",
               name, r->line, w->name);
      break;
    }
    sq_paper *p = (sq_paper *)sq_catalog_paper(c, w->paper);
    if (p) p->nworkloads++;
    else if (check_papers)
      rc = BAD("%s:%d: paper: '%s' is not in papers.csv", name, r->line, w->paper);
  }
out:
  sq_csv_free(&t);
  return rc;
}

int sq_catalog_parse(const char *wtext, size_t wlen, const char *wname, const char *ptext,
                     size_t plen, const char *pname, int check_papers, sq_catalog *out) {
  memset(out, 0, sizeof *out);
  if (!wtext) {
    wtext = sq_src_workloads;
    wlen = strlen(wtext);
    wname = "workloads.csv (embedded)";
  }
  if (!ptext) {
    ptext = sq_src_papers;
    plen = strlen(ptext);
    pname = "papers.csv (embedded)";
  }
  snprintf(out->file, sizeof out->file, "%s", wname);
  int rc = parse_papers(ptext, plen, pname, out);
  if (!rc) rc = parse_workloads(wtext, wlen, wname, check_papers, out);
  /* A paper is in the catalog with workloads or with the reason it has none. */
  for (int i = 0; !rc && check_papers && i < out->npapers; i++)
    if (!out->papers[i].nworkloads && !out->papers[i].reason[0])
      rc = BAD("%s:%d: reason: '%s' has no workload rows; say why", pname, out->papers[i].line,
               out->papers[i].paper);
  if (rc) sq_catalog_free(out);
  return rc;
}

int sq_catalog_load(const char *path, sq_catalog *out) {
  if (!path) return sq_catalog_parse(NULL, 0, NULL, NULL, 0, NULL, 1, out);
  char *text;
  size_t len;
  int rc = sq_read_file(path, &text, &len);
  if (rc) return rc;
  /* Another file may catalogue papers of its own: the paper check applies
   * to the embedded pair only. */
  rc = sq_catalog_parse(text, len, path, NULL, 0, NULL, 0, out);
  free(text);
  return rc;
}

void sq_catalog_free(sq_catalog *c) {
  for (int i = 0; i < c->n; i++) {
    free(c->w[i].source);
    free(c->w[i].notes);
  }
  free(c->w);
  free(c->papers);
  memset(c, 0, sizeof *c);
}

static sq_catalog g_catalog;
static int g_loaded;
static char *g_path;

int sq_catalog_set_path(const char *path) {
  if (g_loaded) {
    sq_catalog_free(&g_catalog);
    g_loaded = 0;
  }
  free(g_path);
  g_path = NULL;
  if (path && !(g_path = strdup(path))) return sq_fail(SQ_ENOMEM, "--catalog: out of memory");
  return 0;
}

int sq_catalog_get(const sq_catalog **out) {
  if (!g_loaded) {
    int rc = sq_catalog_load(g_path, &g_catalog);
    if (rc) return rc;
    g_loaded = 1;
  }
  *out = &g_catalog;
  return 0;
}

const sq_workload *sq_catalog_find(const sq_catalog *c, const char *name) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->w[i].name, name)) return &c->w[i];
  return NULL;
}

const sq_paper *sq_catalog_paper(const sq_catalog *c, const char *paper) {
  for (int i = 0; i < c->npapers; i++)
    if (!strcmp(c->papers[i].paper, paper)) return &c->papers[i];
  return NULL;
}

int sq_workload_problem(const sq_workload *w, sq_problem *p) {
  memset(p, 0, sizeof *p);
  if (!w->k) return sq_fail(SQ_EUNSUPPORTED, "%s: pending kernel (%s)", w->name, w->kernel);
  p->shape = w->shape;
  p->causal = w->causal;
  p->dtype = SQ_F32;
  return 0;
}

void sq_workload_shape_brief(const sq_workload *w, char *buf, size_t n) {
  size_t used = 0;
  if (n) buf[0] = '\0';
  for (const char *p = w->shape_text; *p && used + 1 < n;) {
    if (!strncmp(p, "assumed:", 8)) {
      buf[used++] = '~';
      p += 8;
    } else {
      buf[used++] = *p++;
    }
  }
  if (n) buf[used < n ? used : n - 1] = '\0';
}

void sq_catalog_source_share(const sq_catalog *c, int *numbers, int *sourced) {
  *numbers = *sourced = 0;
  for (int i = 0; i < c->n; i++) {
    *numbers += c->w[i].nvalues;
    *sourced += c->w[i].nvalues - c->w[i].nassumed;
  }
}
