/* SPDX-License-Identifier: BSD-3-Clause */
/* The report's pages: index.html (the figures' SVGs inline, the device
 * block, the tables) and summary.md (the same tables in Markdown, short
 * enough for a CI job summary). Both are built from the same sq_table
 * values so the two never disagree. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "base/revision.h"
#include "base/error.h"
#include "reports/outfile.h"
#include "reports/report.h"
#include "reports/table.h"

/* Metadata keys of the device block, in display order. */
static const char *const device_keys[] = {
    "device", "device_name", "device_vendor", "platform", "driver", "arch", "compute_units",
    "global_mem_bytes", "peak_gbs", "peak_gflops", "peak_gexps", "host", "os", NULL};

/* Devices: one column per input whose "device" (or first row's device) has
 * not been shown yet. */
static int device_table(const char *const *paths, const sq_results *files, int nfiles, sq_table *t) {
  const char *head[1 + 16] = {"key"};
  int cols[16], nc = 0;
  for (int f = 0; f < nfiles && nc < 16; f++) {
    const char *d = sq_meta_get(&files[f].meta, "device");
    if (!d && files[f].n) d = files[f].rows[0].device;
    if (!d) continue;
    int seen = 0;
    for (int c = 0; c < nc && !seen; c++) {
      const char *e = sq_meta_get(&files[cols[c]].meta, "device");
      if (!e && files[cols[c]].n) e = files[cols[c]].rows[0].device;
      const char *h1 = sq_meta_get(&files[f].meta, "host"), *h2 = sq_meta_get(&files[cols[c]].meta, "host");
      seen = e && !strcmp(d, e) && (!h1 || !h2 || !strcmp(h1, h2));
    }
    if (!seen) cols[nc] = f, head[1 + nc++] = paths[f];
  }
  if (sq_table_init(t, 1 + nc, head)) return SQ_ENOMEM;
  for (int k = 0; device_keys[k]; k++) {
    const char *cells[17] = {device_keys[k]};
    int any = 0;
    for (int c = 0; c < nc; c++) {
      const char *v = sq_meta_get(&files[cols[c]].meta, device_keys[k]);
      if (!v && !strcmp(device_keys[k], "device") && files[cols[c]].n) v = files[cols[c]].rows[0].device;
      cells[1 + c] = v ? v : "-";
      any |= v != NULL;
    }
    if (any && sq_table_add(t, cells)) return SQ_ENOMEM;
  }
  return 0;
}

static int inputs_table(const char *const *paths, const sq_results *files, int nfiles, sq_table *t) {
  static const char *const head[] = {"file", "rows", "ok", "skipped", "failed", "date", "revision", "command"};
  if (sq_table_init(t, 8, head)) return SQ_ENOMEM;
  for (int c = 1; c <= 4; c++) sq_table_align_right(t, c);
  for (int f = 0; f < nfiles; f++) {
    int cnt[3] = {0};
    for (int i = 0; i < files[f].n; i++) cnt[files[f].rows[i].status % 3]++;
    char n[4][16];
    snprintf(n[0], 16, "%d", files[f].n);
    for (int s = 0; s < 3; s++) snprintf(n[s + 1], 16, "%d", cnt[s]);
    const char *d = sq_meta_get(&files[f].meta, "date"), *g = sq_meta_get(&files[f].meta, "git_revision");
    const char *c = sq_meta_get(&files[f].meta, "command");
    const char *cells[] = {paths[f], n[0], n[1], n[2], n[3], d ? d : "-", g ? g : "-", c ? c : "-"};
    if (sq_table_add(t, cells)) return SQ_ENOMEM;
  }
  return 0;
}

static void fmt_num(char *buf, size_t n, const char *fmt, double v) {
  if (isnan(v)) snprintf(buf, n, "-");
  else snprintf(buf, n, fmt, v);
}

static int scaling_table(const sq_report_out *out, int multi_device, sq_table *t) {
  static const char *const head[] = {"figure", "problem", "kernel", "device", "points", "slope", "slope over T",
                                     "largest T", "ms at largest T", "speedup vs softmax", "crossover T"};
  if (sq_table_init(t, 11, head)) return SQ_ENOMEM;
  for (int c = 4; c <= 10; c++) sq_table_align_right(t, c);
  for (int i = 0; i < out->nseries; i++) {
    const sq_report_series *s = &out->series[i];
    char fig[32], pts[16], slope[32], range[64], tmax[32], ms[32], sp[96], cx[48];
    snprintf(fig, sizeof fig, "scaling-%d", s->group);
    snprintf(pts, sizeof pts, "%d", s->npoints);
    fmt_num(slope, sizeof slope, "%.2f", s->slope);
    if (isnan(s->slope)) snprintf(range, sizeof range, "-");
    else snprintf(range, sizeof range, "%lld..%lld", s->slope_tmin, s->slope_tmax);
    if (s->npoints) snprintf(tmax, sizeof tmax, "%lld", s->tmax);
    else snprintf(tmax, sizeof tmax, "-");
    fmt_num(ms, sizeof ms, "%.4g", s->ms_at_tmax);
    if (isnan(s->speedup)) snprintf(sp, sizeof sp, "-");
    else snprintf(sp, sizeof sp, "%.3gx at T=%lld", s->speedup, s->speedup_T);
    if (!isnan(s->pred_speedup)) {
      size_t len = strlen(sp);
      snprintf(sp + len, sizeof sp - len, "%s%.3gx predicted at T=%lld", isnan(s->speedup) ? "" : "; ",
               s->pred_speedup, s->tmax);
    }
    if (s->quadratic) snprintf(cx, sizeof cx, "(baseline)");
    else if (s->crossover > 0) snprintf(cx, sizeof cx, "%lld", s->crossover);
    else if (s->crossover == 0) snprintf(cx, sizeof cx, "faster at every T");
    else if (s->crossover == -1) snprintf(cx, sizeof cx, "not overtaken");
    else snprintf(cx, sizeof cx, "no baseline");
    const char *cells[] = {fig, s->group_label, s->kernel, s->device, pts, slope, range,
                           tmax, ms, sp, cx};
    if (sq_table_add(t, cells)) return SQ_ENOMEM;
  }
  return 0;
}

static int problems_table(const sq_results *files, int nfiles, int max, sq_table *t, int *more) {
  static const char *const head[] = {"status", "kernel", "device", "shape", "reason"};
  if (sq_table_init(t, 5, head)) return SQ_ENOMEM;
  *more = 0;
  for (int f = 0; f < nfiles; f++)
    for (int i = 0; i < files[f].n; i++) {
      const sq_result *r = &files[f].rows[i];
      if (r->status == SQ_STATUS_OK) continue;
      if (t->nrows > max) {
        (*more)++;
        continue;
      }
      char shape[SQ_SHAPE_TEXT_MAX + 32];
      snprintf(shape, sizeof shape, "%s %s %s", r->causal ? "causal" : "non-causal", r->shape, r->dtype);
      const char *cells[] = {sq_status_name(r->status), r->kernel, r->device, shape, r->reason};
      if (sq_table_add(t, cells)) return SQ_ENOMEM;
    }
  return 0;
}

/* Copies DIR/NAME.svg into the page from its <svg element on. */
static void inline_svg(FILE *f, const char *dir, const char *name) {
  char *path = sq_strf("%s/%s.svg", dir, name);
  FILE *s = path ? fopen(path, "r") : NULL;
  free(path);
  if (!s) {
    fprintf(f, "<p class=\"note\">");
    sq_html_escape(f, name);
    fprintf(f, ".svg is missing.</p>\n");
    return;
  }
  char buf[8192];
  int started = 0;
  while (fgets(buf, sizeof buf, s)) {
    char *p = started ? buf : strstr(buf, "<svg");
    if (!p) continue;
    started = 1;
    fputs(p, f);
  }
  fclose(s);
}

static const char *const CSS =
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 8px;"
    "font-size:90%;text-align:left}td.num{text-align:right}th{background:#f3f3f3}"
    ".note{background:#fff6d6;padding:0.5em}.fig svg{max-width:100%;height:auto}";

static int write_html(const sq_report_opts *o, const char *const *paths, const sq_results *files, int nfiles,
                      const sq_report_out *out, sq_table *tabs, int more) {
  sq_outfile h;
  if (sq_outfile_open(&h, o->outdir, "index.html")) return SQ_EIO;
  FILE *f = h.f;
  fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>subquad report</title>\n<style>%s</style></head><body>\n",
          CSS);
  fprintf(f, "<h1>subquad report</h1>\n<p>subquad %s (%s); %d input file%s.</p>\n", PACKAGE_VERSION, SQ_GIT_REVISION,
          nfiles, nfiles == 1 ? "" : "s");
  if (out->note) {
    fprintf(f, "<p class=\"note\">");
    sq_html_escape(f, out->note);
    fprintf(f, "</p>\n");
  }
  fprintf(f, "<h2>Devices</h2>\n");
  sq_table_print_html(f, &tabs[0]);
  fprintf(f, "<h2>Inputs</h2>\n");
  sq_table_print_html(f, &tabs[1]);
  fprintf(f, "<h2>Scaling: slopes, speedups, crossovers</h2>\n<p>Slopes are least-squares fits of log time against "
             "log T over the upper half of the measured T; speedups are over the fastest quadratic baseline of the "
             "same problem and device.</p>\n");
  sq_table_print_html(f, &tabs[2]);
  fprintf(f, "<h2>Figures</h2>\n");
  if (!out->nfigs) fprintf(f, "<p>No figure: the inputs hold no measured series to plot.</p>\n");
  for (int i = 0; i < out->nfigs; i++) {
    /* Figure names are slugs (letters, digits, '-', '_'), safe in an id
     * and a relative URL; they are escaped all the same. */
    const char *fig = out->fig[i];
    fprintf(f, "<div class=\"fig\"><h3 id=\"");
    sq_html_escape(f, fig);
    fprintf(f, "\">");
    sq_html_escape(f, out->fig_title[i]);
    fprintf(f, "</h3>\n");
    if (out->rendered) inline_svg(f, o->outdir, fig);
    else fprintf(f, "<p class=\"note\">Not rendered: see the note at the top.</p>\n");
    static const char *const links[][2] = {{".png", "PNG"}, {".svg", "SVG"}, {".gp", "gnuplot script"}, {".dat", "data"}};
    fprintf(f, "<p>");
    for (int k = 0; k < 4; k++) {
      fprintf(f, "%s<a href=\"", k ? " · " : "");
      sq_html_escape(f, fig);
      fprintf(f, "%s\">%s</a>", links[k][0], links[k][1]);
    }
    fprintf(f, "</p></div>\n");
  }
  fprintf(f, "<h2>Skipped and failed rows</h2>\n");
  if (tabs[3].nrows > 1) sq_table_print_html(f, &tabs[3]);
  else fprintf(f, "<p>None.</p>\n");
  if (more) fprintf(f, "<p>… and %d more (see the result files).</p>\n", more);
  fprintf(f, "</body></html>\n");
  (void)paths, (void)files;
  return sq_outfile_commit(&h);
}

static int write_md(const sq_report_opts *o, const sq_results *files, int nfiles, const sq_report_out *out,
                    sq_table *tabs, int more) {
  sq_outfile h;
  if (sq_outfile_open(&h, o->outdir, "summary.md")) return SQ_EIO;
  FILE *f = h.f;
  int cnt[3] = {0}, total = 0;
  for (int k = 0; k < nfiles; k++)
    for (int i = 0; i < files[k].n; i++) cnt[files[k].rows[i].status % 3]++, total++;
  fprintf(f, "## subquad report\n\n%d rows from %d file%s: %d ok, %d skipped, %d failed.\n\n", total, nfiles,
          nfiles == 1 ? "" : "s", cnt[0], cnt[1], cnt[2]);
  if (out->note) {
    fputs("> ", f);
    sq_md_escape(f, out->note);
    fputs("\n\n", f);
  }
  fprintf(f, "### Devices\n\n");
  sq_table_print(f, &tabs[0], 1);
  fprintf(f, "\n### Scaling\n\n");
  if (tabs[2].nrows > 1) sq_table_print(f, &tabs[2], 1);
  else fprintf(f, "No scaling series (fewer than two T per problem).\n");
  fprintf(f, "\n### Skipped and failed rows\n\n");
  if (tabs[3].nrows > 1) sq_table_print(f, &tabs[3], 1);
  else fprintf(f, "None.\n");
  if (more) fprintf(f, "\n… and %d more.\n", more);
  fprintf(f, "\n### Figures\n\n");
  for (int i = 0; i < out->nfigs; i++) {
    char png[128]; /* names fit: see sq_report_out.fig */
    snprintf(png, sizeof png, "%s.png", out->fig[i]);
    fputs("- ", f);
    sq_md_code(f, png);
    fputs(" / `.svg` / `.gp`: ", f);
    sq_md_escape(f, out->fig_title[i]);
    fputc('\n', f);
  }
  if (!out->nfigs) fprintf(f, "None.\n");
  return sq_outfile_commit(&h);
}

int sq_report_pages(const sq_report_opts *o, const char *const *paths, const sq_results *files, int nfiles,
                    const sq_report_out *out) {
  sq_table tabs[4];
  memset(tabs, 0, sizeof tabs);
  int multi = 0, more = 0, rc = 0;
  for (int i = 1; i < out->nseries; i++) multi |= strcmp(out->series[i].device, out->series[0].device) != 0;
  if (device_table(paths, files, nfiles, &tabs[0]) || inputs_table(paths, files, nfiles, &tabs[1]) ||
      scaling_table(out, multi, &tabs[2]) || problems_table(files, nfiles, 100, &tabs[3], &more))
    rc = sq_fail(SQ_ENOMEM, "report: out of memory");
  if (!rc) rc = write_html(o, paths, files, nfiles, out, tabs, more);
  if (!rc) rc = write_md(o, files, nfiles, out, tabs, more);
  for (int i = 0; i < 4; i++)
    if (tabs[i].right) sq_table_free(&tabs[i]);
  return rc;
}
