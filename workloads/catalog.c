/* Loading and validating the paper catalog. Each workload row is checked
 * column by column (required columns, numbers that are positive and of a
 * sane size, a kernel that exists or is marked pending, a mode the kernel
 * supports, unique names, a known paper); the first problem becomes
 * "file:line: column: what is wrong". A pending row whose family gains a
 * registered kernel resolves to it here, so rows become runnable as kernels
 * land without editing the data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "kernels/attention.h"
#include "workloads/catalog.h"
#include "workloads/catalog_data.h"
#include "workloads/csvtab.h"

const char *const sq_workload_num_names[SQ_WN_COUNT] = {"batch", "windows", "heads", "dk",
                                                        "dv", "dstate", "tokens"};

/* Largest believable value per numeric column: larger is a typo or a unit
 * slip (bytes for tokens), not a workload. */
static const int64_t num_max[SQ_WN_COUNT] = {1000000, 100000000, 4096, 65536, 65536,
                                             65536, 1LL << 31};

enum { C_NAME, C_PAPER, C_DOMAIN, C_FAMILY, C_KERNEL, C_CAUSAL, C_NUM0, C_GRID = C_NUM0 + SQ_WN_COUNT,
       C_WINDOW, C_OPERATOR, C_SOURCE, C_NOTES, C_COUNT };
static const char *const col_names[C_COUNT] = {
  "name", "paper", "domain", "family", "kernel", "causal", "batch", "windows", "heads", "dk",
  "dv", "dstate", "tokens", "grid", "window", "operator", "source", "notes"};
/* Columns a file must have; the others default (windows 1, dv = dk, ...). */
static const int col_required[C_COUNT] = {[C_NAME] = 1, [C_PAPER] = 1, [C_FAMILY] = 1,
                                          [C_KERNEL] = 1, [C_CAUSAL] = 1,
                                          [C_NUM0 + SQ_WN_BATCH] = 1,
                                          [C_NUM0 + SQ_WN_HEADS] = 1,
                                          [C_NUM0 + SQ_WN_DK] = 1,
                                          [C_NUM0 + SQ_WN_TOKENS] = 1, [C_SOURCE] = 1};

#define BAD(...) sq_fail(SQ_EPARSE, __VA_ARGS__)

static int copy_field(const char *file, int line, const char *col, const char *v, char *dst,
                      size_t n) {
  if (strlen(v) >= n)
    return BAD("%s:%d: %s: '%.40s...' is longer than %zu characters", file, line, col, v, n - 1);
  strcpy(dst, v);
  return 0;
}

/* "64", "assumed:64" or "-" (not applicable: -1). */
static int parse_num(const char *file, int line, int i, const char *v, int64_t *out,
                     int *assumed) {
  const char *col = sq_workload_num_names[i];
  *assumed = 0;
  if (!strcmp(v, "-")) {
    *out = -1;
    return 0;
  }
  const char *s = v;
  if (!strncmp(s, "assumed:", 8)) {
    *assumed = 1;
    s += 8;
  }
  if (!*s) return BAD("%s:%d: %s: empty value (write a number, assumed:N or -)", file, line, col);
  if (*s == '-') return BAD("%s:%d: %s: '%s' is negative", file, line, col, v);
  int64_t x = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return BAD("%s:%d: %s: '%s' is not a whole number", file, line, col, v);
    if (x > num_max[i]) break;
    x = x * 10 + (*p - '0');
  }
  if (x == 0) return BAD("%s:%d: %s: '%s' must be positive", file, line, col, v);
  if (x > num_max[i])
    return BAD("%s:%d: %s: '%s' is absurd (more than %lld)", file, line, col, v,
               (long long)num_max[i]);
  *out = x;
  return 0;
}

static const sq_kernel *family_kernel(const char *family, int causal) {
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    if (!strcmp(k->family, family) && (k->modes & (causal ? SQ_CAUSAL : SQ_NONCAUSAL))) return k;
  }
  return NULL;
}

static int check_kernel(const char *file, int line, sq_workload *w) {
  if (!strncmp(w->kernel, "pending:", 8)) {
    if (!w->kernel[8]) return BAD("%s:%d: kernel: 'pending:' needs a family", file, line);
    w->k = family_kernel(w->kernel + 8, w->causal);
    return 0;
  }
  w->k = sq_kernel_find(w->kernel);
  if (!w->k)
    return BAD("%s:%d: kernel: '%s' is not a registered kernel (write pending:FAMILY)", file,
               line, w->kernel);
  if (!(w->k->modes & (w->causal ? SQ_CAUSAL : SQ_NONCAUSAL)))
    return BAD("%s:%d: causal: %s does not support %s mode", file, line, w->kernel,
               w->causal ? "causal" : "non-causal");
  return 0;
}

/* A runnable row needs every dimension of the kernel's problem, and the
 * whole problem must stay addressable. */
static int check_shape(const char *file, int line, sq_workload *w) {
  static const int need[] = {SQ_WN_BATCH, SQ_WN_HEADS, SQ_WN_DK, SQ_WN_TOKENS};
  for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
    if (w->num[need[i]] < 0 && (w->k || need[i] == SQ_WN_BATCH || need[i] == SQ_WN_TOKENS))
      return BAD("%s:%d: %s: '-' but %s needs it", file, line, sq_workload_num_names[need[i]],
                 w->k ? w->k->name : "every row");
  if (w->num[SQ_WN_WINDOWS] < 0) w->num[SQ_WN_WINDOWS] = 1;
  if (w->num[SQ_WN_DV] < 0) {
    w->num[SQ_WN_DV] = w->num[SQ_WN_DK];
    if (w->assumed & (1u << SQ_WN_DK)) w->assumed |= 1u << SQ_WN_DV;
  }
  double elems = (double)w->num[SQ_WN_BATCH] * (double)w->num[SQ_WN_WINDOWS] *
                 (double)(w->num[SQ_WN_HEADS] > 0 ? w->num[SQ_WN_HEADS] : 1) *
                 (double)w->num[SQ_WN_TOKENS];
  if (elems > 1e12)
    return BAD("%s:%d: tokens: batch x windows x heads x tokens = %.3g is absurd (over 1e12)",
               file, line, elems);
  return 0;
}

static int parse_row(const char *file, const sq_csvrec *r, const int *map, sq_workload *w) {
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
  if ((rc = copy_field(file, line, "kernel", v[C_KERNEL], w->kernel, sizeof w->kernel))) return rc;
  if (strcmp(v[C_CAUSAL], "0") && strcmp(v[C_CAUSAL], "1"))
    return BAD("%s:%d: causal: '%s' is not 0 or 1", file, line, v[C_CAUSAL]);
  w->causal = v[C_CAUSAL][0] == '1';
  for (int i = 0; i < SQ_WN_COUNT; i++) {
    int a;
    const char *s = v[C_NUM0 + i] ? v[C_NUM0 + i] : "-";
    if ((rc = parse_num(file, line, i, s, &w->num[i], &a))) return rc;
    if (a) w->assumed |= 1u << i;
    if (w->num[i] >= 0) w->given |= 1u << i;
  }
  if ((rc = copy_field(file, line, "grid", v[C_GRID] ? v[C_GRID] : "-", w->grid, sizeof w->grid)))
    return rc;
  if ((rc = copy_field(file, line, "window", v[C_WINDOW] ? v[C_WINDOW] : "-", w->window,
                       sizeof w->window)))
    return rc;
  if ((rc = copy_field(file, line, "operator", v[C_OPERATOR] ? v[C_OPERATOR] : "", w->op,
                       sizeof w->op)))
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
static int map_header(const char *file, const sq_csvrec *h, int *map) {
  for (int c = 0; c < C_COUNT; c++) map[c] = -1;
  for (int j = 0; j < h->n; j++) {
    int c = 0;
    while (c < C_COUNT && strcmp(col_names[c], h->f[j])) c++;
    if (c == C_COUNT)
      return BAD("%s:%d: %s: unknown column (known: name, paper, domain, family, kernel, "
                 "causal, batch, windows, heads, dk, dv, dstate, tokens, grid, window, "
                 "operator, source, notes)",
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
  sq_csvtab t;
  int rc = sq_csvtab_parse(text, len, name, &t);
  if (rc) return rc;
  if (t.n == 0 || t.r[0].n != 3 || strcmp(t.r[0].f[0], "paper") || strcmp(t.r[0].f[1], "title") ||
      strcmp(t.r[0].f[2], "reason")) {
    rc = BAD("%s:%d: header: expected 'paper,title,reason'", name, t.n ? t.r[0].line : 1);
    goto out;
  }
  c->papers = calloc((size_t)t.n, sizeof *c->papers);
  if (!c->papers) { rc = sq_fail(SQ_ENOMEM, "%s: out of memory", name); goto out; }
  for (int i = 1; i < t.n && !rc; i++) {
    const sq_csvrec *r = &t.r[i];
    sq_paper *p = &c->papers[c->npapers];
    if (r->n != 3) { rc = BAD("%s:%d: %d fields, expected 3", name, r->line, r->n); break; }
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
  sq_csvtab_free(&t);
  return rc;
}

/* True when every number the row has is marked assumed: a guessed shape,
 * not a paper's. */
static int all_assumed(const sq_workload *w) {
  for (int j = 0; j < SQ_WN_COUNT; j++)
    if ((w->given & (1u << j)) && !(w->assumed & (1u << j))) return 0;
  return 1;
}

static int parse_workloads(const char *text, size_t len, const char *name, int check_papers,
                           sq_catalog *c) {
  sq_csvtab t;
  int rc = sq_csvtab_parse(text, len, name, &t), map[C_COUNT];
  if (rc) return rc;
  if (t.n == 0) { rc = BAD("%s:1: header: the file is empty", name); goto out; }
  if ((rc = map_header(name, &t.r[0], map))) goto out;
  c->w = calloc((size_t)t.n, sizeof *c->w);
  if (!c->w) { rc = sq_fail(SQ_ENOMEM, "%s: out of memory", name); goto out; }
  for (int i = 1; i < t.n && !rc; i++) {
    const sq_csvrec *r = &t.r[i];
    if (r->n != t.r[0].n) {
      rc = BAD("%s:%d: %d fields, the header has %d", name, r->line, r->n, t.r[0].n);
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
  sq_csvtab_free(&t);
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
  sq_att_problem(p, w->k->op, w->num[SQ_WN_BATCH] * w->num[SQ_WN_WINDOWS], w->num[SQ_WN_HEADS],
                 w->num[SQ_WN_TOKENS], w->num[SQ_WN_DK], w->num[SQ_WN_DV], w->causal, SQ_F32);
  return 0;
}

void sq_catalog_source_share(const sq_catalog *c, int *numbers, int *sourced) {
  *numbers = *sourced = 0;
  for (int i = 0; i < c->n; i++)
    for (int j = 0; j < SQ_WN_COUNT; j++) {
      /* Defaults filled in for "-" (one window, DV = DK) are not the file's. */
      if (!(c->w[i].given & (1u << j))) continue;
      (*numbers)++;
      if (!(c->w[i].assumed & (1u << j))) (*sourced)++;
    }
}
