/* SPDX-License-Identifier: BSD-3-Clause */
/* The gate's strip plot (reports/gate_plot.h). Each round's ratio is a
 * point, spread sideways by its round number so the rounds of a case do not
 * hide one another and a drift over the run shows as a slope within the
 * column; the estimate and its interval stand over the points as an error
 * bar; the band of +-threshold is where SAME lives. */
#include "reports/gate_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "reports/outfile.h"
#include "reports/report.h"

/* Block 0: x, ratio of each round; block 1: x, estimate, lo, hi. */
static void write_data(FILE *f, const sq_paired_row *const *rows, int n) {
  fprintf(f, "# ratios.dat: written by subquad gate\n# block 0: case x, ratio new/base of one round, round\n");
  for (int i = 0; i < n; i++) {
    double *mb = NULL, *mc = NULL;
    int nb = 0, nc = 0;
    if (!rows[i]->base || !rows[i]->cur || sq_round_medians(rows[i]->base, &mb, &nb) ||
        sq_round_medians(rows[i]->cur, &mc, &nc)) {
      free(mb);
      continue;
    }
    int m = nb < nc ? nb : nc;
    for (int k = 0; k < m; k++)
      if (mb[k] > 0 && mc[k] > 0) fprintf(f, "%.4f %.6g %d\n", i + 1 + 0.5 * ((k + 0.5) / m - 0.5), mc[k] / mb[k], k);
    free(mb);
    free(mc);
  }
  fprintf(f, "\n\n# block 1: case x, estimate, interval low, interval high\n");
  for (int i = 0; i < n; i++) {
    const sq_paired *p = &rows[i]->p;
    if (isfinite(p->ratio) && p->coverage > 0 && isfinite(p->lo) && isfinite(p->hi) && p->lo > 0)
      fprintf(f, "%d %.6g %.6g %.6g\n", i + 1, p->ratio, p->lo, p->hi);
  }
}

static void write_script(FILE *f, const sq_paired_row *const *rows, int n, const sq_paired_table *t,
                         const char *witness) {
  fprintf(f, "# ratios.gp: written by subquad gate. Restyle freely, then run `gnuplot ratios.gp`\n"
             "# in this directory: it reads ratios.dat and writes ratios.png and ratios.svg.\n");
  fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
             "  set terminal pngcairo size 1100,720 noenhanced font 'Sans,11'\n"
             "} else {\n"
             "  set terminal png size 1100,720 noenhanced\n"
             "}\nset output 'ratios.png'\n");
  fprintf(f, "set title 'per-round ratio new/base (points), estimate and %g%% interval (bars), +-%g%% band'\n",
          t->confidence * 100, t->threshold * 100);
  fprintf(f, "set logscale y\nset ylabel 'new / base'\nset xrange [0.3:%d.7]\nset grid ytics lc rgb '#dddddd'\n", n);
  fprintf(f, "set object 1 rect from graph 0, first %.6g to graph 1, first %.6g fc rgb '#e4f2e4' fs solid "
             "noborder behind\n",
          1 - t->threshold, 1 + t->threshold);
  fprintf(f, "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb '#888888' dt 2\n");
  fprintf(f, "set xtics rotate by 60 right font ',8' (");
  for (int i = 0; i < n; i++) {
    const sq_result *k = rows[i]->cur ? rows[i]->cur : rows[i]->base;
    char label[SQ_SHAPE_TEXT_MAX + 200];
    int wit = witness && !strcmp(k->workload, witness);
    /* Kernel and token count: the full shape would not fit under a column. */
    snprintf(label, sizeof label, "%s%s %s%s T=%lld", wit ? "witness: " : "", sq_verdict_name(rows[i]->p.verdict),
             k->kernel, k->causal ? "" : " nc", (long long)k->tokens);
    sq_gp_string(f, label);
    fprintf(f, " %d%s", i + 1, i + 1 < n ? ", " : "");
  }
  fprintf(f, ")\nset bmargin 16\nset key top left\n");
  fprintf(f, "plot 'ratios.dat' index 0 using 1:2 with points pt 7 ps 0.6 lc rgb '#4477aa' title 'one round', \\\n"
             "     'ratios.dat' index 1 using 1:2:3:4 with yerrorbars pt 5 ps 1 lw 2 lc rgb '#cc3311' title "
             "'estimate, interval'\n");
  fprintf(f, "set terminal svg size 1100,720 dynamic noenhanced font 'Sans,11'\nset output 'ratios.svg'\nreplot\n"
             "unset output\n");
}

int sq_gate_plot_write(const char *dir, const sq_paired_table *t, const char *witness) {
  const sq_paired_row **rows = malloc(sizeof *rows * (size_t)(t->n + 1));
  int n = 0;
  if (!rows) return sq_fail(SQ_ENOMEM, "no memory for the figure");
  /* The cases first, the witness last. */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < t->n; i++) {
      const sq_result *k = t->rows[i].cur ? t->rows[i].cur : t->rows[i].base;
      int wit = witness && !strcmp(k->workload, witness);
      if (wit == pass) rows[n++] = &t->rows[i];
    }
  sq_outfile gp, dat;
  int rc = sq_outfile_open(&dat, dir, "ratios.dat");
  if (!rc && (rc = sq_outfile_open(&gp, dir, "ratios.gp"))) sq_outfile_abort(&dat);
  if (!rc) {
    write_data(dat.f, rows, n);
    write_script(gp.f, rows, n, t, witness);
    rc = sq_outfile_commit(&dat);
    if (rc) sq_outfile_abort(&gp);
    else rc = sq_outfile_commit(&gp);
  }
  free(rows);
  return rc;
}

int sq_gate_plot(const char *dir, const sq_paired_table *t, const char *witness) {
  int rc = sq_gate_plot_write(dir, t, witness);
  if (rc) return rc;
  char *prog = sq_report_find_program("gnuplot");
  fflush(NULL); /* gnuplot runs in a child, which must not write our buffers again */
  if (prog && sq_report_render(prog, dir, "ratios"))
    fprintf(stderr, "subquad gate: gnuplot failed on %s/ratios.gp (see %s/ratios.log)\n", dir, dir);
  free(prog);
  return 0;
}
