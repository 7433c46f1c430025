/* `subquad report RESULTS.csv [more.csv ...] -o DIR`: reads the result
 * files (and tuning traces given with --tune), writes the figures' scripts
 * and data, renders them with gnuplot when it is there, and writes
 * index.html and summary.md. Exit: 0 done (also when gnuplot is missing:
 * the scripts are written and the message says how to render them), 1 when
 * gnuplot failed on a figure, 2 on a bad flag or input file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/commands.h"
#include "harness/error.h"
#include "reports/report.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: subquad report RESULTS.csv [more.csv ...] [-o DIR] [options]\n"
          "  -o DIR            output directory (default: report)\n"
          "  --tune FILE       a tuning trace (tune cache or replay output); repeatable\n"
          "  --gnuplot PROG    gnuplot program (default: gnuplot on PATH)\n"
          "  --no-render       write scripts and data only\n"
          "writes DIR/index.html, DIR/summary.md and per figure NAME.gp, NAME.dat, NAME.png, NAME.svg\n");
}

int sq_cmd_report(int argc, char **argv) {
  sq_report_opts o = {.outdir = "report", .render = 1};
  const char **inputs = calloc(argc + 1, sizeof *inputs), **tune = calloc(argc + 1, sizeof *tune);
  int nin = 0, status = 0;
  if (!inputs || !tune) {
    free(inputs), free(tune);
    return sq_usage_error("report", "out of memory");
  }
  for (int i = 1; i < argc && !status; i++) {
    const char *a = argv[i];
    int needs = !strcmp(a, "-o") || !strcmp(a, "--tune") || !strcmp(a, "--gnuplot");
    if (needs && i + 1 >= argc) {
      status = sq_usage_error("report", "%s needs a value", a);
      break;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      free(inputs), free(tune);
      return 0;
    } else if (!strcmp(a, "-o")) {
      o.outdir = argv[++i];
    } else if (!strcmp(a, "--tune")) {
      tune[o.ntune++] = argv[++i];
    } else if (!strcmp(a, "--gnuplot")) {
      o.gnuplot = argv[++i];
    } else if (!strcmp(a, "--no-render")) {
      o.render = 0;
    } else if (a[0] == '-' && a[1]) {
      status = sq_usage_error("report", "unknown option '%s' (subquad report --help)", a);
    } else {
      inputs[nin++] = a;
    }
  }
  if (!status && !nin && !o.ntune) status = sq_usage_error("report", "needs at least one RESULTS.csv (subquad report --help)");
  if (!status && !*o.outdir) status = sq_usage_error("report", "-o: empty directory name");
  o.tune = tune;
  sq_results *files = calloc(nin + 1, sizeof *files);
  int nread = 0;
  if (!status && !files) status = sq_usage_error("report", "out of memory");
  for (; !status && nread < nin; nread++)
    if (sq_results_read(inputs[nread], &files[nread]) != 0) status = sq_usage_error("report", "%s", sq_last_error());
  sq_report_out out;
  if (!status) {
    int rc = sq_report_build(&o, inputs, files, nin, &out);
    if (rc) {
      /* A bad tuning trace or an empty input is bad input; a write
       * failure is a failed run. */
      status = rc == SQ_EPARSE || rc == SQ_EINVAL || rc == SQ_ENOTFOUND ? 2 : 1;
      fprintf(stderr, "subquad report: %s\n", sq_last_error());
    } else {
      printf("subquad report: %d figure%s, index.html and summary.md in %s\n", out.nfigs, out.nfigs == 1 ? "" : "s",
             o.outdir);
      if (out.note[0]) fprintf(stderr, "subquad report: %s\n", out.note);
      if (!out.rendered && out.nfigs && o.render && strstr(out.note, "failed")) status = 1;
      sq_report_out_free(&out);
    }
  }
  for (int i = 0; i < nread; i++) sq_results_free(&files[i]);
  free(files), free(inputs), free(tune);
  return status;
}
