/* SPDX-License-Identifier: BSD-3-Clause */
/* Slopes, speedups and crossovers over result rows. Rows are grouped by
 * their group (sq_result_same_group: the baseline shape without its token
 * axis, causal, dtype, mode) and device, so a linear kernel is always
 * compared with the softmax baselines of its own problem. */
#include "results/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernel.h"

double sq_loglog_slope(const double *x, const double *y, int n) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (!(x[i] > 0 && y[i] > 0)) continue;
    double lx = log(x[i]), ly = log(y[i]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly;
    m++;
  }
  double den = m * sxx - sx * sx;
  return m < 2 || den == 0 ? NAN : (m * sxy - sx * sy) / den;
}

static int is_ok(const sq_result *r) { return r->status == SQ_STATUS_OK && r->nsamples > 0; }

/* A kernel this build lacks (a framework peer's "peer:torch.sdpa", a newer
 * file's) is quadratic by its family: softmax attention is the baseline
 * whoever computes it. */
static int is_quadratic(const sq_result *r) {
  const sq_kernel *k = sq_kernel_find(r->kernel);
  return k ? k->quadratic : !strcmp(r->family, "softmax_attn");
}

/* is_quadratic of the rows of a kernel, by its name. */
static int named_quadratic(const sq_result *rows, int n, const char *kernel) {
  for (int i = 0; i < n; i++)
    if (!strcmp(rows[i].kernel, kernel)) return is_quadratic(&rows[i]);
  return 0;
}

double sq_rows_slope(const sq_result *rows, int n, const char *kernel, int causal, long long tmin, long long tmax) {
  double *x = malloc(sizeof *x * (n ? n : 1)), *y = malloc(sizeof *y * (n ? n : 1));
  int m = 0;
  for (int i = 0; x && y && i < n; i++) {
    const sq_result *r = &rows[i];
    if (!is_ok(r) || strcmp(r->kernel, kernel) || r->causal != causal || r->tokens < tmin || r->tokens > tmax) continue;
    x[m] = (double)r->tokens;
    y[m++] = r->stats.median;
  }
  double s = sq_loglog_slope(x, y, m);
  free(x);
  free(y);
  return s;
}

static int same_group(const sq_result *a, const sq_result *b) {
  return sq_result_same_group(a, b) && !strcmp(a->device, b->device);
}

/* Median of `kernel` at T in the group of `g`, or NAN. */
static double median_at(const sq_result *rows, int n, const sq_result *g, const char *kernel, long long T) {
  for (int i = 0; i < n; i++)
    if (is_ok(&rows[i]) && same_group(&rows[i], g) && rows[i].tokens == T && !strcmp(rows[i].kernel, kernel))
      return rows[i].stats.median;
  return NAN;
}

/* Fastest quadratic baseline at T in the group of `g`, or NAN. */
static double best_quadratic_at(const sq_result *rows, int n, const sq_result *g, long long T) {
  double best = NAN;
  for (int i = 0; i < n; i++)
    if (is_ok(&rows[i]) && same_group(&rows[i], g) && rows[i].tokens == T && is_quadratic(&rows[i]) &&
        !(rows[i].stats.median >= best))
      best = rows[i].stats.median;
  return best;
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* Distinct kernels and T values of the group of rows[g], in first-seen and
 * ascending order. */
static void group_axes(const sq_result *rows, int n, int g, const char **kernels, int *nk, long long *ts, int *nt) {
  *nk = *nt = 0;
  for (int i = 0; i < n; i++) {
    if (!same_group(&rows[i], &rows[g])) continue;
    int seen = 0;
    for (int j = 0; j < *nk; j++) seen |= !strcmp(kernels[j], rows[i].kernel);
    if (!seen) kernels[(*nk)++] = rows[i].kernel;
    seen = 0;
    for (int j = 0; j < *nt; j++) seen |= ts[j] == rows[i].tokens;
    if (!seen) ts[(*nt)++] = rows[i].tokens;
  }
  qsort(ts, (size_t)*nt, sizeof *ts, cmp_ll);
}

long long sq_rows_crossover(const sq_result *rows, int n, const char *kernel, int causal) {
  for (int g = 0; g < n; g++) {
    if (strcmp(rows[g].kernel, kernel) || rows[g].causal != causal) continue;
    const char **ks = malloc(sizeof *ks * n);
    long long *ts = malloc(sizeof *ts * n);
    int nk, nt;
    long long from = -1;
    if (ks && ts) {
      group_axes(rows, n, g, ks, &nk, ts, &nt);
      for (int j = nt - 1; j >= 0; j--) {
        double lin = median_at(rows, n, &rows[g], kernel, ts[j]), quad = best_quadratic_at(rows, n, &rows[g], ts[j]);
        if (isnan(lin) || isnan(quad)) continue;
        if (lin < quad) from = ts[j];
        else break;
      }
      if (from == ts[0]) from = 0;
    }
    free(ks);
    free(ts);
    return from;
  }
  return -1;
}

static const char *short_name(const char *k) {
  const char *dot = strchr(k, '.');
  return dot ? dot + 1 : k;
}

static void print_slopes(FILE *f, const sq_result *rows, int n, const sq_result *r, const char **ks, int nk,
                         long long t0, long long t1) {
  char label[48];
  snprintf(label, sizeof label, "slope %lld..%lld", t0, t1);
  fprintf(f, "%s\n%9s", label, "");
  for (int k = 0; k < nk; k++) {
    double s = sq_rows_slope(rows, n, ks[k], r->causal, t0, t1);
    if (isnan(s)) fprintf(f, " %18s", "-");
    else fprintf(f, " %18.3f", s);
  }
  fprintf(f, "   (log-log slope of median time in T)\n");
}

static void print_group(FILE *f, const sq_result *rows, int n, int g) {
  const char **ks = malloc(sizeof *ks * n);
  long long *ts = malloc(sizeof *ts * n);
  int nk, nt;
  if (!ks || !ts) goto out;
  group_axes(rows, n, g, ks, &nk, ts, &nt);
  const sq_result *r = &rows[g];
  int nquad = 0;
  for (int k = 0; k < nk; k++) nquad += named_quadratic(rows, n, ks[k]);
  if (nt < 2 && (nquad == 0 || nquad == nk)) goto out; /* nothing to compare or fit */
  char sans[SQ_SHAPE_TEXT_MAX];
  sq_result_group_shape(r, sans, sizeof sans);
  fprintf(f, "%s, %s %s %s: median ms per kernel, then x = speedup of each linear kernel over the faster softmax baseline\n",
          r->causal ? "causal" : "non-causal", sans, r->dtype, r->mode);
  fprintf(f, "%9s", "T");
  for (int k = 0; k < nk; k++) fprintf(f, " %18.18s", short_name(ks[k]));
  for (int k = 0; k < nk; k++)
    if (!named_quadratic(rows, n, ks[k])) fprintf(f, "  x %-15.15s", short_name(ks[k]));
  fprintf(f, "\n");
  for (int t = 0; t < nt; t++) {
    fprintf(f, "%9lld", ts[t]);
    for (int k = 0; k < nk; k++) {
      double m = median_at(rows, n, r, ks[k], ts[t]);
      if (isnan(m)) fprintf(f, " %18s", "-");
      else fprintf(f, " %18.4g", m);
    }
    double quad = best_quadratic_at(rows, n, r, ts[t]);
    for (int k = 0; k < nk; k++) {
      if (named_quadratic(rows, n, ks[k])) continue;
      double m = median_at(rows, n, r, ks[k], ts[t]);
      if (isnan(m) || isnan(quad)) fprintf(f, "  %-17s", "-");
      else fprintf(f, "  %-17.3g", quad / m);
    }
    fprintf(f, "\n");
  }
  print_slopes(f, rows, n, r, ks, nk, ts[0], ts[nt - 1]);
  /* The upper T range, where launch overheads no longer blur the order. */
  if (nt > 4) print_slopes(f, rows, n, r, ks, nk, ts[nt - 4], ts[nt - 1]);
  for (int k = 0; k < nk; k++) {
    if (named_quadratic(rows, n, ks[k])) continue;
    long long x = sq_rows_crossover(rows, n, ks[k], r->causal);
    if (x > 0) fprintf(f, "crossover: %s overtakes the softmax baselines from T=%lld\n", ks[k], x);
    else if (x == 0) fprintf(f, "crossover: %s is faster at every measured T\n", ks[k]);
  }
  fprintf(f, "\n");
out:
  free(ks);
  free(ts);
}

void sq_print_speedup_table(FILE *f, const sq_result *rows, int n) {
  for (int g = 0; g < n; g++) {
    int first = 1;
    for (int j = 0; j < g; j++)
      if (same_group(&rows[j], &rows[g])) first = 0;
    if (first) print_group(f, rows, n, g);
  }
}
