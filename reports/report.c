/* SPDX-License-Identifier: BSD-3-Clause */
/* The report's figures. Every figure is a gnuplot script plus the data file
 * it reads, both written here; the script renders itself to PNG and SVG, so
 * a researcher restyles a figure by editing the .gp and rerunning gnuplot
 * in the output directory. Rows from all inputs are pooled; a series is a
 * (device, kernel) pair, so several devices give one series each.
 *
 * Figures: scaling (one per problem group: causal, B, H, D, DV, dtype,
 * mode), per paper (speedups at that paper's workload shapes), roofline
 * (under each device's measured ceilings from the result metadata), and
 * tuning (best-so-far against evaluations from the --tune traces). */
#include "reports/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "kernels/kernel.h"
#include "reports/gate_plot.h"
#include "reports/outfile.h"
#include "reports/table.h"
#include "reports/tunefile.h"
#include "results/analysis.h"
#include "workloads/catalog.h"

typedef struct {
  const sq_result *r;
  int file;
} row_ref;

typedef struct {
  const sq_report_opts *o;
  const sq_results *files;
  int nfiles;
  row_ref *rows;
  int n;
  int ndev;                   /* distinct devices over all rows */
  sq_report_out *out;
} rep;

/* pngcairo where this gnuplot has it (antialiased), else the libgd png.
 * Every string in the scripts is single-quoted (see sq_gp_string), the
 * constant ones here included, so a double quote in a script can only come
 * from inside such a string. Both terminals are noenhanced: a label's '^',
 * '_', '@', '&' and braces are printed, not read as markup. */
static const char *const TERM_PNG =
    "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
    "  set terminal pngcairo size 1100,720 noenhanced font 'Sans,11'\n"
    "} else {\n"
    "  set terminal png size 1100,720 noenhanced\n"
    "}";
static const char *const TERM_SVG = "set terminal svg size 1100,720 dynamic noenhanced font 'Sans,11'";

void sq_gp_string(FILE *f, const char *s) {
  fputc('\'', f);
  for (; *s; s++) {
    if (*s == '\'') fputc('\'', f);
    fputc(sq_text_char(*s), f);
  }
  fputc('\'', f);
}

void sq_dat_text(FILE *f, const char *s) {
  for (; *s; s++) fputc(sq_text_char(*s), f);
}

/* A value that can stand on a log axis: positive, finite and not
 * subnormal (gnuplot's autoscaling of a subnormal lands on 0). Speedups of
 * extreme times underflow or overflow, and a results file may hold anything
 * strtod reads; such values are left out of the figures. */
static int plottable(double v) { return v > 0 && isnormal(v); }

static int is_ok(const sq_result *r) { return r->status == SQ_STATUS_OK && plottable(r->stats.median) && r->tokens > 0; }

/* A skipped row with a plottable prediction of its time. */
static int is_predicted(const sq_result *r) {
  return r->status == SQ_STATUS_SKIPPED && plottable(r->pred_ms) && r->tokens > 0;
}

static int is_quadratic(const sq_result *r) {
  const sq_kernel *k = sq_kernel_find(r->kernel);
  if (k) return k->quadratic;
  return !strcmp(r->family, "softmax_attn") || !strncmp(r->kernel, "softmax_attn", 12);
}

/* A framework peer's row (`run --peer`: "peer:torch.sdpa"): a baseline
 * like the quadratic kernels, drawn dashed under its own name; a softmax
 * peer also counts among the quadratic baselines (is_quadratic, by its
 * family), so crossovers are against the fastest softmax of anyone. */
static int is_peer(const sq_result *r) { return !strncmp(r->kernel, "peer:", 5); }

/* One scaling figure per group (sq_result_same_group: the baseline's shape
 * without its token axis, causal, dtype, mode): every kernel of that
 * problem at every token count, the softmax baselines included. */
static int same_group(const sq_result *a, const sq_result *b) { return sq_result_same_group(a, b); }

/* "cuda:3 NVIDIA H200" -> "cuda NVIDIA H200": a device's model, in place. */
static void device_model(char *device) {
  size_t b = strspn(device, "abcdefghijklmnopqrstuvwxyz"), d = b + 1 + strspn(device + b + 1, "0123456789");
  if (b && device[b] == ':' && d > b + 1 && device[d] == ' ') memmove(device + b, device + d, strlen(device + d) + 1);
}

static int same_shape(const sq_result *a, const sq_result *b) {
  return same_group(a, b) && a->tokens == b->tokens && !strcmp(a->device, b->device);
}

static void group_label(const sq_result *r, char *buf, size_t n) {
  char sans[SQ_SHAPE_TEXT_MAX];
  sq_result_group_shape(r, sans, sizeof sans);
  snprintf(buf, n, "%s, %s, %s, %s", r->causal ? "causal" : "non-causal", sans, r->dtype, r->mode);
}

/* The series title: the kernel, with its device when several are shown. */
static void series_title(const rep *R, const char *kernel, const char *device, char *buf, size_t n) {
  if (R->ndev > 1) snprintf(buf, n, "%s @ %.48s", kernel, device);
  else snprintf(buf, n, "%s", kernel);
}

/* "set WHAT 'text'": titles, axis labels, formats. */
static void gp_set(FILE *f, const char *what, const char *text) {
  fprintf(f, "set %s ", what);
  sq_gp_string(f, text);
  fputc('\n', f);
}

/* 'NAME.EXT' as a gnuplot string (figure names are built from slugs, but
 * every string takes the same road). */
static void gp_file(FILE *f, const char *name, const char *ext) {
  char fn[128];
  snprintf(fn, sizeof fn, "%s%s", name, ext); /* names fit: see sq_report_out.fig */
  sq_gp_string(f, fn);
}

static void gp_set_file(FILE *f, const char *what, const char *name, const char *ext) {
  fprintf(f, "set %s ", what);
  gp_file(f, name, ext);
  fputc('\n', f);
}

static int add_fig(rep *R, const char *name, const char *title) {
  sq_report_out *o = R->out;
  if (o->nfigs >= SQ_REPORT_MAX_FIGS) return 0; /* the page lists the first ones */
  snprintf(o->fig[o->nfigs], sizeof o->fig[0], "%s", name);
  snprintf(o->fig_title[o->nfigs], sizeof o->fig_title[0], "%s", title);
  o->nfigs++;
  return 1;
}

/* Opens NAME.gp and NAME.dat; writes the script's preamble. */
static int open_fig(rep *R, const char *name, sq_outfile *gp, sq_outfile *dat) {
  char fn[128];
  snprintf(fn, sizeof fn, "%s.gp", name);
  if (sq_outfile_open(gp, R->o->outdir, fn)) return SQ_EIO;
  snprintf(fn, sizeof fn, "%s.dat", name);
  if (sq_outfile_open(dat, R->o->outdir, fn)) {
    sq_outfile_abort(gp);
    return SQ_EIO;
  }
  fprintf(gp->f,
          "# %s.gp: written by subquad report. Restyle freely, then run `gnuplot %s.gp`\n"
          "# in this directory: it reads %s.dat and writes %s.png and %s.svg.\n",
          name, name, name, name, name);
  fprintf(gp->f, "%s\n", TERM_PNG);
  gp_set_file(gp->f, "output", name, ".png");
  fprintf(gp->f, "set grid xtics ytics mxtics mytics lc rgb '#dddddd' lw 1, lc rgb '#f0f0f0' lw 1\n");
  fprintf(dat->f, "# %s.dat: data of %s.gp (blocks separated by two blank lines; gnuplot `index`)\n", name, name);
  return 0;
}

/* Ends the script (SVG via replot) and commits both files. */
static int close_fig(sq_outfile *gp, sq_outfile *dat, const char *name) {
  fprintf(gp->f, "%s\n", TERM_SVG);
  gp_set_file(gp->f, "output", name, ".svg");
  fprintf(gp->f, "replot\nunset output\n");
  int rc = sq_outfile_commit(dat);
  if (rc) {
    sq_outfile_abort(gp);
    return rc;
  }
  return sq_outfile_commit(gp);
}

/* ---- scaling -------------------------------------------------------- */

typedef struct {
  long long T;
  double ms, q1, q3;
} point;

static int cmp_point(const void *a, const void *b) {
  long long x = ((const point *)a)->T, y = ((const point *)b)->T;
  return (x > y) - (x < y);
}

/* Points of (device, kernel) in the group of g: measured (fastest row per
 * T, the best configuration) or predicted (skipped rows with pred_ms). */
static int series_points(const rep *R, const sq_result *g, const char *dev, const char *kernel, int predicted,
                         point *p) {
  int m = 0;
  for (int i = 0; i < R->n; i++) {
    const sq_result *r = R->rows[i].r;
    if (!same_group(r, g) || strcmp(r->device, dev) || strcmp(r->kernel, kernel)) continue;
    double ms;
    if (predicted) {
      if (!is_predicted(r)) continue;
      ms = r->pred_ms;
    } else {
      if (!is_ok(r)) continue;
      ms = r->stats.median;
    }
    int j;
    for (j = 0; j < m && p[j].T != r->tokens; j++) {}
    if (j < m && p[j].ms <= ms) continue;
    p[j].T = r->tokens;
    p[j].ms = ms;
    /* Quartiles that cannot stand on the log axis draw no bar. */
    p[j].q1 = !predicted && plottable(r->stats.q1) ? r->stats.q1 : ms;
    p[j].q3 = !predicted && plottable(r->stats.q3) ? r->stats.q3 : ms;
    if (j == m) m++;
  }
  qsort(p, (size_t)m, sizeof *p, cmp_point);
  return m;
}

/* Fastest measured quadratic baseline of `dev` at T in the group, or NAN. */
static double baseline_at(const rep *R, const sq_result *g, const char *dev, long long T) {
  double best = NAN;
  for (int i = 0; i < R->n; i++) {
    const sq_result *r = R->rows[i].r;
    if (is_ok(r) && same_group(r, g) && r->tokens == T && !strcmp(r->device, dev) && is_quadratic(r) &&
        !(r->stats.median >= best))
      best = r->stats.median;
  }
  return best;
}

/* The fastest predicted time of a skipped quadratic baseline of `dev` at
 * T in the group, or NAN. */
static double predicted_baseline_at(const rep *R, const sq_result *g, const char *dev, long long T) {
  double best = NAN;
  for (int i = 0; i < R->n; i++) {
    const sq_result *r = R->rows[i].r;
    if (is_predicted(r) && same_group(r, g) && r->tokens == T &&
        !strcmp(r->device, dev) && is_quadratic(r) && !(r->pred_ms >= best))
      best = r->pred_ms;
  }
  return best;
}

/* The smallest measured T from which the kernel stays faster than the
 * baseline: 0 when faster at every compared T, -1 never, -2 nothing to
 * compare with. */
static long long crossover(const rep *R, const sq_result *g, const char *dev, const point *p, int m) {
  long long from = -1, first = -1;
  for (int i = 0; i < m; i++) {
    double b = baseline_at(R, g, dev, p[i].T);
    if (isnan(b)) continue;
    if (first < 0) first = p[i].T;
    if (p[i].ms < b) {
      if (from < 0) from = p[i].T;
    } else {
      from = -1;
    }
  }
  if (first < 0) return -2;
  return from == first ? 0 : from;
}

static int push_series(rep *R, const sq_report_series *s) {
  sq_report_out *o = R->out;
  sq_report_series *ns = realloc(o->series, (o->nseries + 1) * sizeof *ns);
  if (!ns) return sq_fail(SQ_ENOMEM, "report: out of memory");
  o->series = ns;
  ns[o->nseries++] = *s;
  return 0;
}

/* Distinct (device, kernel) pairs among the rows of the group of g. */
static int group_series(const rep *R, const sq_result *g, const sq_result **sv) {
  int m = 0;
  for (int i = 0; i < R->n; i++) {
    const sq_result *r = R->rows[i].r;
    if (!same_group(r, g) || !(is_ok(r) || is_predicted(r))) continue;
    int j;
    for (j = 0; j < m; j++)
      if (!strcmp(sv[j]->device, r->device) && !strcmp(sv[j]->kernel, r->kernel)) break;
    if (j == m) sv[m++] = r;
  }
  return m;
}

/* Fills the series summary (slope, crossover, speedup at the largest T)
 * of one (device, kernel) of the group from its measured points. */
static void summarise(const rep *R, const sq_result *g, const sq_result *s, const point *p, int m, int gi,
                      const char *label, sq_report_series *rs) {
  memset(rs, 0, sizeof *rs);
  rs->group = gi, rs->npoints = m, rs->slope = NAN, rs->crossover = -2;
  rs->speedup = rs->pred_speedup = rs->ms_at_tmax = NAN;
  rs->quadratic = is_quadratic(s) || is_peer(s);
  snprintf(rs->group_label, sizeof rs->group_label, "%s", label);
  snprintf(rs->device, sizeof rs->device, "%s", s->device);
  snprintf(rs->kernel, sizeof rs->kernel, "%s", s->kernel);
  if (!m) return;
  /* The slope over the upper half of T: small T are launch-bound, the
   * asymptotic exponent is what the figure is about. */
  int lo = m >= 4 ? m / 2 : 0;
  double x[m], y[m];
  for (int i = lo; i < m; i++) x[i - lo] = (double)p[i].T, y[i - lo] = p[i].ms;
  rs->slope = sq_loglog_slope(x, y, m - lo);
  rs->slope_tmin = p[lo].T, rs->slope_tmax = p[m - 1].T;
  rs->tmax = p[m - 1].T, rs->ms_at_tmax = p[m - 1].ms;
  if (!rs->quadratic) {
    rs->crossover = crossover(R, g, s->device, p, m);
    for (int i = m - 1; i >= 0 && isnan(rs->speedup); i--) {
      rs->speedup = baseline_at(R, g, s->device, p[i].T) / p[i].ms;
      rs->speedup_T = p[i].T;
    }
    rs->pred_speedup = predicted_baseline_at(R, g, s->device, rs->tmax) / rs->ms_at_tmax;
  }
}

/* A gnuplot text label at `at` (gnuplot coordinates), aligned left or right. */
static void gp_label(FILE *f, const char *txt, const char *at, const char *align) {
  fprintf(f, "set label ");
  sq_gp_string(f, txt);
  fprintf(f, " at %s %s front tc rgb '#333333'\n", at, align);
}

static int scaling_figure(rep *R, const sq_result *g, int gi) {
  char name[64], label[SQ_SHAPE_TEXT_MAX + 64], title[SQ_SHAPE_TEXT_MAX + 200];
  snprintf(name, sizeof name, "scaling-%d", gi);
  group_label(g, label, sizeof label);
  const sq_result **sv = malloc(R->n * sizeof *sv);
  point *p = malloc(R->n * sizeof *p), *pp = malloc((R->n + 1) * sizeof *pp);
  sq_report_series *rs = malloc(R->n * sizeof *rs);
  if (!sv || !p || !pp || !rs) {
    free(sv), free(p), free(pp), free(rs);
    return sq_fail(SQ_ENOMEM, "report: out of memory");
  }
  int ns = group_series(R, g, sv), rc = 0;
  for (int s = 0; s < ns && !rc; s++) {
    int m = series_points(R, g, sv[s]->device, sv[s]->kernel, 0, p);
    summarise(R, g, sv[s], p, m, gi, label, &rs[s]);
    rc = push_series(R, &rs[s]);
  }
  sq_outfile gp, dat;
  if (rc || (rc = open_fig(R, name, &gp, &dat))) goto out;
  snprintf(title, sizeof title, "Time per call against sequence length (%s)", label);
  gp_set(gp.f, "title", title);
  gp_set(gp.f, "xlabel", "sequence length T (tokens; ki = 1024, Mi = 1024^2)");
  gp_set(gp.f, "ylabel", "median time per call (ms); bars: Q1..Q3");
  gp_set(gp.f, "format x", "%.0b%B");
  fprintf(gp.f, "set logscale x 2\nset logscale y 10\nset key top left box opaque\n");
  long long tlo = 0, thi = 0;
  for (int i = 0; i < R->n; i++) {
    const sq_result *r = R->rows[i].r;
    if (!same_group(r, g) || !(is_ok(r) || is_predicted(r))) continue;
    if (!tlo || r->tokens < tlo) tlo = r->tokens;
    if (r->tokens > thi) thi = r->tokens;
  }
  if (tlo <= 0) tlo = 1;
  if (thi <= tlo) thi = tlo + 1;
  /* Crossovers: the T from which a linear kernel stays faster than the
   * fastest quadratic baseline, a dotted vertical line each. */
  for (int s = 0, k = 0; s < ns; s++) {
    if (rs[s].crossover < 0) continue;
    char st[200], txt[300], at[64];
    series_title(R, rs[s].kernel, rs[s].device, st, sizeof st);
    if (rs[s].crossover == 0) {
      /* No crossover to mark, but the reader should not have to infer
       * that from the absence of a line. */
      snprintf(txt, sizeof txt, "%s faster at every measured T ", st);
      snprintf(at, sizeof at, "graph 0.99, graph %.2f", 0.05 + 0.05 * k++);
      gp_label(gp.f, txt, at, "right");
      continue;
    }
    fprintf(gp.f, "set arrow from %lld, graph 0 to %lld, graph 1 nohead dt 3 lw 1.5 lc rgb '#555555'\n",
            rs[s].crossover, rs[s].crossover);
    /* The label sits on the side of the line with more room. */
    int right = log((double)rs[s].crossover / tlo) > 0.5 * log((double)thi / tlo);
    snprintf(txt, sizeof txt, right ? "crossover: %s faster from T=%lld " : " crossover: %s faster from T=%lld", st,
             rs[s].crossover);
    snprintf(at, sizeof at, "%lld, graph %.2f", rs[s].crossover, 0.05 + 0.05 * k++);
    gp_label(gp.f, txt, at, right ? "right" : "left");
  }
  int block = 0;
  for (int s = 0; s < ns; s++) {
    char st[200], lt[300];
    int m = series_points(R, g, sv[s]->device, sv[s]->kernel, 0, p);
    int mp = series_points(R, g, sv[s]->device, sv[s]->kernel, 1, pp + 1);
    series_title(R, sv[s]->kernel, sv[s]->device, st, sizeof st);
    if (m > 0) {
      fprintf(dat.f, "# block %d: ", block);
      sq_dat_text(dat.f, st);
      fprintf(dat.f, " measured\n# T median_ms q1_ms q3_ms\n");
      for (int i = 0; i < m; i++) fprintf(dat.f, "%lld %.9g %.9g %.9g\n", p[i].T, p[i].ms, p[i].q1, p[i].q3);
      fprintf(dat.f, "\n\n");
      if (isnan(rs[s].slope)) snprintf(lt, sizeof lt, "%s", st);
      else snprintf(lt, sizeof lt, "%s: slope %.2f (T %lld..%lld)", st, rs[s].slope, rs[s].slope_tmin, rs[s].slope_tmax);
      fputs(block ? ", \\\n    " : "plot ", gp.f);
      gp_file(gp.f, name, ".dat");
      fprintf(gp.f, " index %d using 1:2:3:4 with yerrorlines lw 2 %s ps 0.8 lc %d title ", block,
              is_peer(sv[s]) ? "dt 4 pt 6" : "pt 7", s + 1);
      sq_gp_string(gp.f, lt);
      block++;
    }
    if (mp > 0) {
      /* The dashed prediction starts from the last measured point below it. */
      int start = 1;
      if (m > 0 && p[m - 1].T < pp[1].T) pp[0] = p[m - 1], start = 0;
      fprintf(dat.f, "# block %d: ", block);
      sq_dat_text(dat.f, st);
      fprintf(dat.f, " predicted by the planner (skipped rows)\n# T pred_ms\n");
      for (int i = start; i <= mp; i++) fprintf(dat.f, "%lld %.9g\n", pp[i].T, pp[i].ms);
      fprintf(dat.f, "\n\n");
      snprintf(lt, sizeof lt, "%s: predicted (skipped)", st);
      fputs(block ? ", \\\n    " : "plot ", gp.f);
      gp_file(gp.f, name, ".dat");
      fprintf(gp.f, " index %d using 1:2 with linespoints dt 2 lw 2 pt 6 lc %d title ", block, s + 1);
      sq_gp_string(gp.f, lt);
      block++;
    }
  }
  fprintf(gp.f, "\n");
  if (!block) {
    sq_outfile_abort(&gp);
    sq_outfile_abort(&dat);
  } else if (!(rc = close_fig(&gp, &dat, name))) {
    add_fig(R, name, title);
  }
out:
  free(sv), free(p), free(pp), free(rs);
  return rc;
}

static int scaling_figures(rep *R) {
  const sq_result **groups = malloc((R->n + 1) * sizeof *groups);
  long long *ts = malloc((R->n + 1) * sizeof *ts);
  int ng = 0, gi = 0, rc = 0;
  if (!groups || !ts) rc = sq_fail(SQ_ENOMEM, "report: out of memory");
  for (int i = 0; !rc && i < R->n; i++) {
    int j;
    for (j = 0; j < ng && !same_group(groups[j], R->rows[i].r); j++) {}
    if (j == ng) groups[ng++] = R->rows[i].r;
  }
  for (int j = 0; !rc && j < ng; j++) {
    /* A scaling figure needs at least two token counts. */
    int nt = 0;
    for (int i = 0; i < R->n; i++) {
      const sq_result *r = R->rows[i].r;
      if (!same_group(r, groups[j]) || !(is_ok(r) || is_predicted(r))) continue;
      int k;
      for (k = 0; k < nt && ts[k] != r->tokens; k++) {}
      if (k == nt) ts[nt++] = r->tokens;
    }
    if (nt >= 2) rc = scaling_figure(R, groups[j], ++gi);
  }
  free(groups);
  free(ts);
  return rc;
}

/* ---- per paper ------------------------------------------------------- */

/* The paper of a workload: the catalog's when it knows the entry, else the
 * name's prefix before '/' (catalog names are "paper/entry"). */
static void paper_of(const char *workload, char *buf, size_t n) {
  const sq_catalog *c = NULL;
  const sq_workload *w = NULL;
  if (sq_catalog_get(&c) == 0 && c) w = sq_catalog_find(c, workload);
  if (w) {
    snprintf(buf, n, "%s", w->paper);
    return;
  }
  const char *slash = strchr(workload, '/');
  snprintf(buf, n, "%.*s", slash ? (int)(slash - workload) : (int)strlen(workload), workload);
}

static void slug(const char *s, char *buf, size_t n) {
  size_t j = 0;
  for (; *s && j + 1 < n; s++)
    buf[j++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ? *s : '_';
  buf[j] = 0;
}

/* The quadratic baseline at r's shape and device: measured (fastest ok)
 * or, when every baseline was skipped there, predicted. */
static double paper_baseline(const rep *R, const sq_result *r, int *predicted) {
  double best = NAN, pred = NAN;
  for (int i = 0; i < R->n; i++) {
    const sq_result *b = R->rows[i].r;
    if (!is_quadratic(b) || !same_shape(b, r)) continue;
    if (is_ok(b) && !(b->stats.median >= best)) best = b->stats.median;
    if (is_predicted(b) && !(b->pred_ms >= pred)) pred = b->pred_ms;
  }
  *predicted = isnan(best) && !isnan(pred);
  return isnan(best) ? pred : best;
}

/* A log axis from lo/below to hi*above, both kept positive and finite
 * (lo and hi are plottable; the margins may underflow or overflow). */
static void log_range(double lo, double hi, double below, double above, double *from, double *to) {
  *from = plottable(lo / below) ? lo / below : lo;
  *to = plottable(hi * above) ? hi * above : hi;
}

/* Labelled 1-2-5 tics between from and to (positive and finite): a log
 * axis spanning less than a decade would otherwise show a single label.
 * Over more than a dozen decades gnuplot's own tics serve, so the list is
 * short whatever the data. */
static void log_tics(FILE *f, const char *axis, double from, double to) {
  double dlo = floor(log10(from)), dhi = ceil(log10(to));
  if (!(dhi - dlo <= 12)) return;
  fprintf(f, "set %s (", axis);
  int first = 1;
  for (int d = (int)dlo; d <= (int)dhi; d++)
    for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
      double v = m * pow(10, d);
      if (v < from || v > to) continue;
      fprintf(f, "%s'%g' %g", first ? "" : ", ", v, v);
      first = 0;
    }
  fprintf(f, ")\n");
}

static int paper_figure(rep *R, const char *paper, char (*entries)[64], int ne, const sq_result **sv, int ns) {
  char name[96], sl[64], title[200], xlabel[160];
  slug(paper, sl, sizeof sl);
  snprintf(name, sizeof name, "paper-%s", sl);
  /* Speedups first (measured, and against a predicted baseline where
   * every baseline was skipped), so the axis range and the legend only
   * hold what is there. A speedup that is not plottable (a ratio of
   * extreme times gone to 0 or inf) is left out. */
  double *meas = malloc((size_t)ne * ns * sizeof *meas), *pred = malloc((size_t)ne * ns * sizeof *pred);
  int *any_pred = calloc((size_t)ns, sizeof *any_pred);
  if (!meas || !pred || !any_pred) {
    free(meas), free(pred), free(any_pred);
    return sq_fail(SQ_ENOMEM, "report: out of memory");
  }
  double lo = 1, hi = 1;
  int any = 0;
  for (int e = 0; e < ne; e++)
    for (int k = 0; k < ns; k++) {
      double *m = &meas[e * ns + k], *pr = &pred[e * ns + k];
      *m = *pr = NAN;
      for (int i = 0; i < R->n; i++) {
        const sq_result *r = R->rows[i].r;
        if (!is_ok(r) || strcmp(r->workload, entries[e]) || strcmp(r->kernel, sv[k]->kernel) ||
            strcmp(r->device, sv[k]->device))
          continue;
        int predicted;
        double b = paper_baseline(R, r, &predicted), v = b / r->stats.median;
        if (!plottable(v)) continue;
        if (predicted) *pr = v, any_pred[k] = 1;
        else *m = v;
      }
      for (int j = 0; j < 2; j++) {
        double v = j ? *pr : *m;
        if (!isnan(v)) lo = fmin(lo, v), hi = fmax(hi, v), any = 1;
      }
    }
  int rc = 0;
  sq_outfile gp, dat;
  if (!any || (rc = open_fig(R, name, &gp, &dat))) goto out;
  snprintf(title, sizeof title, "Speedup over the fastest quadratic baseline at the shapes of %s", paper);
  snprintf(xlabel, sizeof xlabel, "workload shape (%s)", paper);
  gp_set(gp.f, "title", title);
  gp_set(gp.f, "xlabel", xlabel);
  gp_set(gp.f, "ylabel", "speedup over softmax attention (x, log scale)");
  double ylo, yhi;
  log_range(lo, hi, 2, 2, &ylo, &yhi);
  fprintf(gp.f,
          "set logscale y 10\nset datafile missing '?'\nset xrange [-0.5:%d.5]\nset yrange [%.6g:%.6g]\n"
          "set key top left box opaque\nset bmargin 8\n",
          ne - 1, ylo, yhi);
  log_tics(gp.f, "ytics", ylo, yhi);
  /* The entries label the x axis from here, not from the data file: the
   * .dat holds numbers only, so no name can break a record. */
  fprintf(gp.f, "set xtics rotate by -25 left noenhanced (");
  for (int e = 0; e < ne; e++) {
    fputs(e ? ", \\\n    " : "", gp.f);
    sq_gp_string(gp.f, entries[e]);
    fprintf(gp.f, " %d", e);
  }
  fprintf(gp.f, ")\n");
  fprintf(dat.f, "# columns: entry number (the x tic labels are in %s.gp), then per series its measured and\n"
                 "# predicted speedup ('?' when none)\n",
          name);
  for (int k = 0; k < ns; k++) {
    fprintf(dat.f, "# series %d: ", k + 1);
    sq_dat_text(dat.f, sv[k]->kernel);
    fprintf(dat.f, " @ ");
    sq_dat_text(dat.f, sv[k]->device);
    fprintf(dat.f, ": columns %d, %d\n", 2 + 2 * k, 3 + 2 * k);
  }
  for (int e = 0; e < ne; e++) {
    fprintf(dat.f, "# entry %d: ", e);
    sq_dat_text(dat.f, entries[e]);
    fprintf(dat.f, "\n%d", e);
    for (int k = 0; k < ns; k++) {
      fprintf(dat.f, isnan(meas[e * ns + k]) ? " ?" : " %.6g", meas[e * ns + k]);
      fprintf(dat.f, isnan(pred[e * ns + k]) ? " ?" : " %.6g", pred[e * ns + k]);
    }
    fprintf(dat.f, "\n");
  }
  fprintf(gp.f, "plot 1 with lines dt 2 lw 1.5 lc rgb 'black' title 'quadratic baseline (= 1)'");
  for (int k = 0; k < ns; k++) {
    char st[200], lt[260];
    series_title(R, sv[k]->kernel, sv[k]->device, st, sizeof st);
    fputs(", \\\n    ", gp.f);
    gp_file(gp.f, name, ".dat");
    fprintf(gp.f, " using 1:%d with points pt 7 ps 1.6 lc %d title ", 2 + 2 * k, k + 1);
    sq_gp_string(gp.f, st);
    if (!any_pred[k]) continue;
    snprintf(lt, sizeof lt, "%s vs predicted baseline (skipped)", st);
    fputs(", \\\n    ", gp.f);
    gp_file(gp.f, name, ".dat");
    fprintf(gp.f, " using 1:%d with points pt 6 ps 1.6 lc %d title ", 3 + 2 * k, k + 1);
    sq_gp_string(gp.f, lt);
  }
  fprintf(gp.f, "\n");
  rc = close_fig(&gp, &dat, name);
  if (!rc) add_fig(R, name, title);
out:
  free(meas), free(pred), free(any_pred);
  return rc;
}

static int paper_figures(rep *R) {
  char(*papers)[64] = calloc(R->n + 1, sizeof *papers), (*entries)[64] = calloc(R->n + 1, sizeof *entries);
  const sq_result **sv = malloc((R->n + 1) * sizeof *sv);
  int np = 0, rc = 0;
  if (!papers || !entries || !sv) rc = sq_fail(SQ_ENOMEM, "report: out of memory");
  for (int i = 0; !rc && i < R->n; i++) {
    const sq_result *r = R->rows[i].r;
    if (!r->workload[0] || !is_ok(r) || is_quadratic(r)) continue;
    char p[64];
    paper_of(r->workload, p, sizeof p);
    int j;
    for (j = 0; j < np && strcmp(papers[j], p); j++) {}
    if (j == np) snprintf(papers[np++], 64, "%s", p);
  }
  for (int j = 0; !rc && j < np; j++) {
    /* Entries and (device, kernel) series of this paper with a baseline. */
    int ne = 0, ns = 0;
    for (int i = 0; i < R->n; i++) {
      const sq_result *r = R->rows[i].r;
      char p[64];
      int predicted;
      if (!r->workload[0] || !is_ok(r) || is_quadratic(r)) continue;
      paper_of(r->workload, p, sizeof p);
      if (strcmp(p, papers[j]) || isnan(paper_baseline(R, r, &predicted))) continue;
      int k;
      for (k = 0; k < ne && strcmp(entries[k], r->workload); k++) {}
      if (k == ne) snprintf(entries[ne++], 64, "%s", r->workload);
      for (k = 0; k < ns && (strcmp(sv[k]->kernel, r->kernel) || strcmp(sv[k]->device, r->device)); k++) {}
      if (k == ns) sv[ns++] = r;
    }
    if (ne && ns) rc = paper_figure(R, papers[j], entries, ne, sv, ns);
  }
  free(papers);
  free(entries);
  free(sv);
  return rc;
}

/* ---- roofline -------------------------------------------------------- */

/* Metadata value `key` of file f as a number; NAN when absent or not one. */
static double meta_number(const sq_results *f, const char *key) {
  const char *v = sq_meta_get(&f->meta, key);
  char *end;
  double x = v && *v ? strtod(v, &end) : NAN;
  return v && *v && !*end ? x : NAN;
}

/* The measured ceilings of the device of file f: meta peak_gbs, and the
 * better of peak_gflops and peak_gemm_gflops, as peak_frac takes them (NAN
 * when the run did not measure them). */
static void peaks_of(const sq_results *f, double *gbs, double *gflops) {
  *gbs = meta_number(f, "peak_gbs");
  *gflops = meta_number(f, "peak_gflops");
  double gemm = meta_number(f, "peak_gemm_gflops");
  if (gemm > *gflops) *gflops = gemm;
}

/* A row the roofline can place: measured, with a plottable rate, traffic
 * and intensity. */
static int on_roofline(const sq_result *r) {
  return is_ok(r) && plottable(r->gflops) && plottable(r->gbs) && plottable(r->gflops / r->gbs);
}

static int roofline_figure(rep *R) {
  const sq_result **sv = malloc((R->n + 1) * sizeof *sv);
  int *svfile = malloc((R->n + 1) * sizeof *svfile);
  int ns = 0, rc = 0;
  double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
  if (!sv || !svfile) {
    free(sv), free(svfile);
    return sq_fail(SQ_ENOMEM, "report: out of memory");
  }
  for (int i = 0; i < R->n; i++) {
    const sq_result *r = R->rows[i].r;
    if (!on_roofline(r)) continue;
    int k;
    for (k = 0; k < ns && (strcmp(sv[k]->kernel, r->kernel) || strcmp(sv[k]->device, r->device)); k++) {}
    if (k == ns) svfile[ns] = R->rows[i].file, sv[ns++] = r;
    double ai = r->gflops / r->gbs;
    xmin = fmin(xmin, ai), xmax = fmax(xmax, ai), ymin = fmin(ymin, r->gflops), ymax = fmax(ymax, r->gflops);
  }
  if (!ns) goto out;
  sq_outfile gp, dat;
  if ((rc = open_fig(R, "roofline", &gp, &dat))) goto out;
  /* One roof per device that carries measured peaks. */
  char devs[16][160];
  double pb[16], pf[16];
  int nd = 0;
  for (int k = 0; k < ns && nd < 16; k++) {
    int d;
    for (d = 0; d < nd && strcmp(devs[d], sv[k]->device); d++) {}
    if (d < nd) continue;
    peaks_of(&R->files[svfile[k]], &pb[nd], &pf[nd]);
    if (!plottable(pb[nd]) || !plottable(pf[nd]) || !plottable(pf[nd] / pb[nd])) continue;
    snprintf(devs[nd], sizeof devs[nd], "%s", sv[k]->device);
    xmin = fmin(xmin, pf[nd] / pb[nd]), xmax = fmax(xmax, pf[nd] / pb[nd]), ymax = fmax(ymax, pf[nd]);
    nd++;
  }
  const char *title = nd ? "Roofline: achieved GFLOP/s under the measured bandwidth and compute ceilings"
                         : "Achieved GFLOP/s against arithmetic intensity (no measured peaks in the inputs: no ceilings)";
  gp_set(gp.f, "title", title);
  gp_set(gp.f, "xlabel", "arithmetic intensity (useful FLOP per compulsory byte)");
  gp_set(gp.f, "ylabel", "achieved GFLOP/s");
  double x0, x1, y0, y1;
  log_range(xmin, xmax, 4, 4, &x0, &x1);
  log_range(ymin, ymax, 4, 2, &y0, &y1);
  fprintf(gp.f,
          "set logscale xy 10\nset key bottom right box opaque\n"
          "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\nset samples 400\n",
          x0, x1, y0, y1);
  fprintf(gp.f, "plot ");
  for (int d = 0; d < nd; d++) {
    char lt[300];
    snprintf(lt, sizeof lt, "ceiling %.40s: %.4g GB/s, %.4g GFLOP/s", devs[d], pb[d], pf[d]);
    fprintf(gp.f, "%s(x * %.9g < %.9g ? x * %.9g : %.9g) with lines lw 2.5 dt %d lc rgb '#222222' title ",
            d ? ", \\\n    " : "", pb[d], pf[d], pb[d], pf[d], d + 1);
    sq_gp_string(gp.f, lt);
  }
  for (int k = 0; k < ns; k++) {
    char st[200];
    series_title(R, sv[k]->kernel, sv[k]->device, st, sizeof st);
    fprintf(dat.f, "# block %d: ", k);
    sq_dat_text(dat.f, st);
    fprintf(dat.f, "\n# intensity_flop_per_byte gflops T\n");
    for (int i = 0; i < R->n; i++) {
      const sq_result *r = R->rows[i].r;
      if (on_roofline(r) && !strcmp(r->kernel, sv[k]->kernel) &&
          !strcmp(r->device, sv[k]->device))
        fprintf(dat.f, "%.9g %.9g %lld\n", r->gflops / r->gbs, r->gflops, (long long)r->tokens);
    }
    fprintf(dat.f, "\n\n");
    fputs(nd || k ? ", \\\n    " : "", gp.f);
    gp_file(gp.f, "roofline", ".dat");
    fprintf(gp.f, " index %d using 1:2 with points pt %d ps 1.3 lc %d title ", k, 5 + 2 * (k % 4), k + 1);
    sq_gp_string(gp.f, st);
  }
  fprintf(gp.f, "\n");
  rc = close_fig(&gp, &dat, "roofline");
  if (!rc) add_fig(R, "roofline", title);
out:
  free(sv);
  free(svfile);
  return rc;
}

/* ---- tuning ---------------------------------------------------------- */

static int tuning_figure(rep *R) {
  if (!R->o->ntune) return 0;
  sq_tune_trace *all = NULL;
  int nall = 0, rc = 0;
  for (int f = 0; !rc && f < R->o->ntune; f++) {
    sq_tune_trace *t;
    int n;
    if ((rc = sq_tune_read(R->o->tune[f], &t, &n))) break;
    sq_tune_trace *na = realloc(all, (nall + n + 1) * sizeof *na);
    if (!na) {
      sq_tune_free(t, n);
      rc = sq_fail(SQ_ENOMEM, "report: out of memory");
      break;
    }
    all = na;
    memcpy(all + nall, t, n * sizeof *t);
    nall += n;
    free(t);
  }
  sq_outfile gp, dat;
  if (!rc && nall && !(rc = open_fig(R, "tuning", &gp, &dat))) {
    const char *title = "Tuning: best time so far against evaluations, per strategy";
    gp_set(gp.f, "title", title);
    /* A log time axis only when the traces span more than a decade. */
    double lo = INFINITY, hi = 0;
    int maxn = 0;
    for (int k = 0; k < nall; k++) {
      if (all[k].n > maxn) maxn = all[k].n;
      for (int i = 0; i < all[k].n; i++)
        if (!isnan(all[k].best[i])) lo = fmin(lo, all[k].best[i]), hi = fmax(hi, all[k].best[i]);
    }
    fprintf(gp.f,
            "set xlabel 'evaluations'\nset ylabel 'best time so far (ms)'\nset key top right box opaque\n"
            "set xrange [0.5:%d.5]\n%s%s",
            maxn, hi > 10 * lo ? "set logscale y 10\n" : "", maxn <= 20 ? "set xtics 1\n" : "");
    int block = 0;
    for (int k = 0; k < nall; k++) {
      int any = 0;
      fprintf(dat.f, "# block %d: ", block);
      sq_dat_text(dat.f, all[k].label);
      fprintf(dat.f, "\n# evaluation best_ms\n");
      for (int i = 0; i < all[k].n; i++)
        if (!isnan(all[k].best[i])) fprintf(dat.f, "%d %.9g\n", i + 1, all[k].best[i]), any = 1;
      fprintf(dat.f, "\n\n");
      if (!any) continue;
      fputs(block ? ", \\\n    " : "plot ", gp.f);
      gp_file(gp.f, "tuning", ".dat");
      fprintf(gp.f, " index %d using 1:2 with steps lw 2 lc %d title ", block, k + 1);
      sq_gp_string(gp.f, all[k].label);
      /* Points mark each evaluation, the last one included. */
      fputs(", \\\n    ", gp.f);
      gp_file(gp.f, "tuning", ".dat");
      fprintf(gp.f, " index %d using 1:2 with points pt 7 ps 0.6 lc %d notitle", block, k + 1);
      block++;
    }
    fprintf(gp.f, "\n");
    if (!block) {
      sq_outfile_abort(&gp);
      sq_outfile_abort(&dat);
    } else if (!(rc = close_fig(&gp, &dat, "tuning"))) {
      add_fig(R, "tuning", title);
    }
  }
  sq_tune_free(all, nall);
  return rc;
}

/* ---- rendering ------------------------------------------------------- */

/* Sets the note (replacing one already set); a note that cannot be
 * allocated is dropped, the figures stand without it. */
static void set_note(sq_report_out *o, char *note) {
  free(o->note);
  o->note = note;
}

/* The gnuplot program: a path as given, or the first match on PATH;
 * malloc'ed, NULL when not found. */
char *sq_report_find_program(const char *prog) {
  if (strchr(prog, '/')) return access(prog, X_OK) == 0 ? strdup(prog) : NULL;
  const char *path = getenv("PATH");
  if (!path) path = "/usr/bin:/bin";
  while (*path) {
    const char *colon = strchr(path, ':');
    size_t len = colon ? (size_t)(colon - path) : strlen(path);
    char *buf = sq_strf("%.*s/%s", (int)(len ? len : 1), len ? path : ".", prog);
    if (buf && access(buf, X_OK) == 0) return buf;
    free(buf);
    path += len + (colon != NULL);
  }
  return NULL;
}

/* Runs `gnuplot NAME.gp` in the output directory, its messages going to
 * NAME.log (kept only when gnuplot fails). NAME.png, NAME.svg and NAME.log
 * are removed first: gnuplot opens its outputs in place, and must create
 * them afresh rather than write through whatever link was left there. */
int sq_report_render(const char *gnuplot, const char *dir, const char *name) {
  char script[128], png[128], svg[128], log[128]; /* names fit: see sq_report_out.fig */
  snprintf(script, sizeof script, "%s.gp", name);
  snprintf(png, sizeof png, "%s.png", name);
  snprintf(svg, sizeof svg, "%s.svg", name);
  snprintf(log, sizeof log, "%s.log", name);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (chdir(dir) != 0) _exit(127);
    unlink(png), unlink(svg), unlink(log);
    if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(127);
    execl(gnuplot, "gnuplot", script, (char *)NULL);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
  char *logpath = sq_strf("%s/%s", dir, log);
  if (ok && logpath) unlink(logpath);
  free(logpath);
  return ok ? 0 : -1;
}

static void render(rep *R) {
  sq_report_out *o = R->out;
  const char *gp = R->o->gnuplot ? R->o->gnuplot : "gnuplot";
  if (!o->nfigs) return;
  if (!R->o->render) {
    set_note(o, sq_strf("rendering skipped (--no-render): run `cd %s && for f in *.gp; do gnuplot \"$f\"; done`",
                        R->o->outdir));
    return;
  }
  char *prog = sq_report_find_program(gp);
  if (!prog) {
    set_note(o, sq_strf("gnuplot not found (%s): scripts and data are written; render with `cd %s && for f in *.gp; "
                        "do gnuplot \"$f\"; done`",
                        gp, R->o->outdir));
    return;
  }
  int failed = 0;
  char first[96] = "";
  for (int i = 0; i < o->nfigs; i++)
    if (sq_report_render(prog, R->o->outdir, o->fig[i]) != 0 && !failed++) snprintf(first, sizeof first, "%s", o->fig[i]);
  free(prog);
  o->render_failed = failed > 0;
  if (failed)
    set_note(o, sq_strf("gnuplot failed on %d of %d figures (first: %s.gp; see %s/%s.log)", failed, o->nfigs, first,
                        R->o->outdir, first));
  else
    o->rendered = 1;
}

/* ---- the gate's pair ------------------------------------------------ */

/* Two files of one `subquad gate` run (the same `interleaved` id): the
 * strip plot of their per-round ratios, as the gate draws it. */
static int paired_figure(rep *R) {
  if (R->nfiles != 2) return 0;
  const char *a = sq_meta_get(&R->files[0].meta, "interleaved"), *b = sq_meta_get(&R->files[1].meta, "interleaved");
  if (!a || !b || strcmp(a, b)) return 0;
  const char *side = sq_meta_get(&R->files[0].meta, "gate_side");
  int base = side && !strcmp(side, "new") ? 1 : 0;
  sq_paired_opts po;
  sq_paired_defaults(&po);
  sq_paired_table t;
  if (sq_paired_results(&R->files[base], &R->files[!base], &po, &t)) {
    sq_clear_error(); /* another device on a side: no pairs to draw */
    return 0;
  }
  int rc = sq_gate_plot_write(R->o->outdir, &t, SQ_GATE_WITNESS);
  sq_paired_free(&t);
  if (!rc) add_fig(R, "ratios", "Interleaved gate run: per-round ratios new/base, estimates and intervals, threshold band");
  return rc;
}

int sq_report_build(const sq_report_opts *o, const char *const *paths, const sq_results *files, int nfiles,
                    sq_report_out *out) {
  memset(out, 0, sizeof *out);
  rep R = {.o = o, .files = files, .nfiles = nfiles, .out = out};
  int total = 0;
  for (int f = 0; f < nfiles; f++) total += files[f].n;
  if (!total && !o->ntune) return sq_fail(SQ_EINVAL, "no result rows in %s%s", nfiles ? paths[0] : "the inputs",
                                          nfiles > 1 ? " and the other inputs" : "");
  R.rows = malloc((total + 1) * sizeof *R.rows);
  sq_result *models = malloc((total + 1) * sizeof *models);
  if (!R.rows || !models) {
    free(R.rows);
    free(models);
    return sq_fail(SQ_ENOMEM, "report: out of memory");
  }
  for (int f = 0; f < nfiles; f++)
    for (int i = 0; i < files[f].n; i++) {
      /* Series are per device model: identical GPUs (the ranks of a
       * fleet run, which hand cases out anew each run) share one line. */
      sq_result *r = &models[R.n];
      *r = files[f].rows[i];
      device_model(r->device);
      int d;
      for (d = 0; d < R.n && strcmp(R.rows[d].r->device, r->device); d++) {}
      if (d == R.n) R.ndev++;
      R.rows[R.n].r = r;
      R.rows[R.n++].file = f;
    }
  /* The command has read the tuning traces and checked the directory
   * before calling: a trace that fails now fails the tuning figure. */
  int rc = 0;
  if (sq_mkdirs(o->outdir) != 0)
    rc = sq_fail(SQ_EIO, "%s: cannot create directory: %s", o->outdir, strerror(errno));
  if (!rc) rc = scaling_figures(&R);
  if (!rc) rc = paper_figures(&R);
  if (!rc) rc = roofline_figure(&R);
  if (!rc) rc = tuning_figure(&R);
  if (!rc) rc = paired_figure(&R);
  if (!rc) render(&R);
  if (!rc) rc = sq_report_pages(o, paths, files, nfiles, out);
  free(R.rows);
  free(models);
  if (rc) sq_report_out_free(out);
  return rc;
}

void sq_report_out_free(sq_report_out *out) {
  free(out->note);
  out->note = NULL;
  free(out->series);
  out->series = NULL;
  out->nseries = 0;
}
