/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad report RESULTS.csv [more.csv ...] -o DIR`: reads the result
 * files (and tuning traces given with --tune), writes the figures' scripts
 * and data, renders them with gnuplot when it is there, and writes
 * index.html and summary.md. Exit: 0 done (also when gnuplot is missing:
 * the scripts are written and the message says how to render them), 1 when
 * gnuplot failed on a figure or a write failed midway, 2 on a bad flag,
 * input file or output directory, found before anything is written. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "commands/commands.h"
#include "reports/outfile.h"
#include "reports/report.h"
#include "reports/tunefile.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: subquad report RESULTS.csv [more.csv ...] [-o DIR] [options]\n"
          "  -o DIR            output directory (default: report)\n"
          "  --tune FILE       a tuning trace (tune cache or replay output); repeatable\n"
          "  --gnuplot PROG    gnuplot program (default: gnuplot on PATH)\n"
          "  --no-render       write scripts and data only\n"
          "writes DIR/index.html, DIR/summary.md and per figure NAME.gp, NAME.dat, NAME.png, NAME.svg\n");
}

/* 1 when the report could write a file of this name into its directory:
 * the pages, a figure's script, data, images and gnuplot log, or one of
 * their temporaries. */
static int output_name(const char *name) {
  static const char *const ext[] = {".gp", ".dat", ".png", ".svg", ".log"};
  size_t n = strlen(name);
  if (!strcmp(name, "index.html") || !strcmp(name, "summary.md") || strstr(name, ".tmp.")) return 1;
  for (int i = 0; i < 5; i++) {
    size_t k = strlen(ext[i]);
    if (n > k && !strcmp(name + n - k, ext[i])) return 1;
  }
  return 0;
}

/* The input (results file, its sidecar, or tuning trace) that DIR/NAME
 * is, or NULL. */
static const char *input_at(const char *path, const char *const *inputs, int nin, const char *const *tune,
                            int ntune) {
  for (int i = 0; i < nin; i++) {
    char *side = sq_results_samples_path(inputs[i]);
    int same = sq_same_file(path, inputs[i]) || (side && sq_same_file(path, side));
    free(side);
    if (same) return inputs[i];
  }
  for (int i = 0; i < ntune; i++)
    if (sq_same_file(path, tune[i])) return tune[i];
  return NULL;
}

/* Checks -o before anything is written: short enough for the files that
 * go into it, holding no input under a name the report writes (rename
 * would replace it; gnuplot would write through a link to it), and
 * creatable and writable. The messages are printed here, whole: a long
 * path must not cost the reason. 0 or exit status 2. */
static int check_outdir(const char *dir, const char *const *inputs, int nin, const char *const *tune, int ntune) {
  size_t len = strlen(dir);
  if (len + 1 + SQ_OUTFILE_NAME_MAX >= PATH_MAX)
    return sq_usage_error("report", "-o %s: path too long (%zu characters; the files written into it need it under %d)",
                          dir, len, PATH_MAX - 1 - SQ_OUTFILE_NAME_MAX);
  DIR *d = opendir(dir);
  int status = 0;
  for (struct dirent *e; d && !status && (e = readdir(d));) {
    if (!output_name(e->d_name)) continue;
    char *path = sq_strf("%s/%s", dir, e->d_name);
    if (!path) {
      status = sq_usage_error("report", "out of memory");
      break;
    }
    const char *in = input_at(path, inputs, nin, tune, ntune);
    if (in)
      status = sq_usage_error("report", "-o %s: %s is the input %s and would be overwritten; choose another directory",
                              dir, path, in);
    free(path);
  }
  if (d) closedir(d);
  if (status) return status;
  if (sq_mkdirs(dir) != 0) return sq_usage_error("report", "-o %s: cannot create directory: %s", dir, strerror(errno));
  if (access(dir, W_OK | X_OK) != 0) return sq_usage_error("report", "-o %s: cannot write: %s", dir, strerror(errno));
  return 0;
}

/* A malformed input file: one line and exit status 3, as compare gives
 * (2 stays for a bad command line, -o included). */
static int bad_input(void) {
  sq_usage_error("report", "%s", sq_last_error());
  return 3;
}

/* Reads every tuning trace once before anything is written: a bad one is
 * bad input. 0 or exit status 3. */
static int check_traces(const char *const *tune, int ntune) {
  for (int f = 0; f < ntune; f++) {
    sq_tune_trace *t;
    int n;
    if (sq_tune_read(tune[f], &t, &n) != 0) return bad_input();
    sq_tune_free(t, n);
  }
  return 0;
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
    if (sq_results_read(inputs[nread], &files[nread]) != 0) status = bad_input();
  int total = 0;
  for (int i = 0; i < nread; i++) total += files[i].n;
  if (!status && !total && !o.ntune) {
    sq_fail(SQ_EPARSE, "no result rows in %s%s", inputs[0], nin > 1 ? " and the other inputs" : "");
    status = bad_input();
  }
  if (!status) status = check_traces(tune, o.ntune);
  if (!status) status = check_outdir(o.outdir, inputs, nin, tune, o.ntune);
  sq_report_out out;
  if (!status) {
    int rc = sq_report_build(&o, inputs, files, nin, &out);
    if (rc) {
      /* A bad tuning trace or an empty input is bad input; a write
       * failure is a failed run. */
      status = rc == SQ_EPARSE || rc == SQ_EINVAL || rc == SQ_ENOTFOUND ? 3 : 1;
      fprintf(stderr, "subquad report: %s\n", sq_last_error());
    } else {
      printf("subquad report: %d figure%s, index.html and summary.md in %s\n", out.nfigs, out.nfigs == 1 ? "" : "s",
             o.outdir);
      if (out.note) fprintf(stderr, "subquad report: %s\n", out.note);
      if (out.render_failed) status = 1;
      sq_report_out_free(&out);
    }
  }
  for (int i = 0; i < nread; i++) sq_results_free(&files[i]);
  free(files), free(inputs), free(tune);
  return status;
}
