/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad report`: gnuplot figures (scaling, per paper, roofline, tuning)
 * from one or more result files, each as a .gp script and the .dat data it
 * reads, rendered to PNG and SVG when gnuplot is found, plus index.html and
 * summary.md. Rows of several devices give one series per device. */
#ifndef SQ_REPORT_H
#define SQ_REPORT_H

#include "results/result.h"

typedef struct sq_report_opts {
  const char *outdir;
  const char *const *tune;   /* tuning traces: caches or replay output */
  int ntune;
  int render;                /* run gnuplot when found */
  const char *gnuplot;       /* program name or path */
} sq_report_opts;

#define SQ_REPORT_MAX_FIGS 128

/* One scaling series: its fitted slope and crossover, for the tables. */
typedef struct sq_report_series {
  int group;                 /* scaling figure number */
  char group_label[SQ_SHAPE_TEXT_MAX + 64]; /* "causal, B=1,H=8,D=64,DV=64, f32, hot" */
  char device[160], kernel[64];
  int quadratic;
  int npoints;
  double slope;              /* log-log slope over the upper half of T */
  long long slope_tmin, slope_tmax;
  long long crossover;       /* linear kernels: T from which it stays faster; 0 always; -1 never; -2 no baseline */
  long long tmax;            /* largest measured T */
  double ms_at_tmax;
  double speedup;            /* over the fastest measured quadratic baseline at speedup_T; NAN when none */
  long long speedup_T;       /* the largest T where both were measured */
  double pred_speedup;       /* at tmax over a skipped baseline's predicted time; NAN when none */
} sq_report_series;

typedef struct sq_report_out {
  int nfigs;
  char fig[SQ_REPORT_MAX_FIGS][96];      /* base names: "scaling-1" */
  char fig_title[SQ_REPORT_MAX_FIGS][SQ_SHAPE_TEXT_MAX + 200];
  int rendered;              /* PNG and SVG were made */
  int render_failed;         /* gnuplot ran and failed on a figure */
  char *note;                /* why not, and how to render; NULL when nothing to say */
  int nseries;
  sq_report_series *series;
} sq_report_out;

/* Writes everything into o->outdir (created when missing). `paths` name
 * the inputs in the page. 0, or a negative SQ_E* code (SQ_EIO writing,
 * SQ_EPARSE in a tuning trace, SQ_EINVAL with no rows at all). The caller
 * checks the tuning traces and the directory first (cmd_report.c), so that
 * bad input is refused before any figure is written. */
int sq_report_build(const sq_report_opts *o, const char *const *paths, const sq_results *files,
                    int nfiles, sq_report_out *out);
void sq_report_out_free(sq_report_out *out);

/* Writes index.html and summary.md (reports/report_page.c). */
int sq_report_pages(const sq_report_opts *o, const char *const *paths, const sq_results *files,
                    int nfiles, const sq_report_out *out);

/* The program `prog`: a path as given, or the first match on PATH;
 * malloc'ed, NULL when not found. */
char *sq_report_find_program(const char *prog);
/* Runs `gnuplot NAME.gp` in dir (NAME.png and NAME.svg made afresh; its
 * messages kept in NAME.log only when it fails). 0, or -1. */
int sq_report_render(const char *gnuplot, const char *dir, const char *name);

/* Writes s as a single-quoted gnuplot string: every text that reaches a
 * .gp script (titles, labels, key entries, tic labels, file names) goes
 * through here. Inside '...' gnuplot does no backquote command
 * substitution, no @macro expansion and no backslash escapes; the only
 * special character is the quote itself, written twice. A string cannot
 * span lines, so whitespace control characters become spaces and the other
 * control characters '?'. */
void sq_gp_string(FILE *f, const char *s);

/* Writes s as text of a .dat comment line: control characters replaced as
 * in sq_gp_string, so no value can end the comment and start a record. */
void sq_dat_text(FILE *f, const char *s);

#endif
