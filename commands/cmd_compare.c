/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad compare BASE.csv NEW.csv`: the regression gate's command line.
 * Unlike the other commands it exits 3 on every bad input (a flag, a file,
 * different devices), because 1 and 2 carry the verdict: 0 pass, 1 slower
 * or failing, 2 only ambiguous rows in the way (see reports/compare.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "commands/commands.h"
#include "reports/compare.h"
#include "reports/paired.h"
#include "reports/outfile.h"
#include "reports/table.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: subquad compare BASE.csv NEW.csv [options]\n"
          "  --threshold PCT     practical median change (default 5)\n"
          "  --alpha P           Mann-Whitney U significance level (default 0.002)\n"
          "  --gap PCT           least gap between [min, Q3] intervals, and between the\n"
          "                      ranges of per-round medians (default 1)\n"
          "  --format text|md    table layout (default text)\n"
          "  --ambiguous fail|pass  exit 2 (fail, default) or 0 when only ambiguous rows remain\n"
          "  --ignore-device     match rows across devices\n"
          "  --calibrate         BASE and NEW are two runs of one binary (A/A): also say\n"
          "                      how far they drift and the least --gap or --threshold\n"
          "                      under which a gate on this machine calls none of it a change\n"
          "  --paired            judge two files of one `subquad gate` run as the gate does:\n"
          "                      per-round ratios paired by round (--threshold applies)\n"
          "  -o FILE             write the table to FILE instead of stdout\n"
          "exit: 0 nothing slower, 1 slower or failing rows, 2 only ambiguous rows, 3 bad input\n");
}

static int bad(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "subquad compare: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  return SQ_COMPARE_BAD_INPUT;
}

/* "5", "5%" or "5.5" percent -> fraction. */
static int parse_pct(const char *flag, const char *s, double *out) {
  char *buf = strdup(s);
  if (!buf) return sq_fail(SQ_ENOMEM, "%s: out of memory", flag);
  size_t n = strlen(buf);
  if (n && buf[n - 1] == '%') buf[n - 1] = 0;
  double v;
  int rc = sq_parse_f64(buf, flag, 0, 1000, &v);
  free(buf);
  if (rc != 0) return -1;
  *out = v / 100;
  return 0;
}

struct args {
  const char *files[2];
  int nfiles, markdown, ambiguous_fails, calibrate, paired;
  const char *interleaved;   /* the gate run both files share, or NULL */
  const char *partial[2];    /* a file's `progress` line when its run had not finished */
  const char *out;
  sq_compare_opts o;
};

static int parse_args(int argc, char **argv, struct args *a) {
  for (int i = 1; i < argc; i++) {
    char *arg = argv[i], *val = NULL;
    char *eq = !strncmp(arg, "--", 2) ? strchr(arg, '=') : NULL;
    char name[64];
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    /* No option is that long: the whole argument names the unknown one. */
    if (arg[0] == '-' && len >= sizeof name) return bad("unknown option '%s'%s", arg, "");
    snprintf(name, sizeof name, "%.*s", (int)len, arg);
    int takes = !strcmp(name, "--threshold") || !strcmp(name, "--alpha") || !strcmp(name, "--gap") ||
                !strcmp(name, "--format") || !strcmp(name, "--ambiguous") || !strcmp(name, "-o");
    if (takes) {
      if (eq) val = eq + 1;
      else if (i + 1 < argc) val = argv[++i];
      else return bad("%s needs a value%s", name, "");
    } else if (eq) {
      return bad("unknown option '%s'%s", name, "");
    }
    if (!strcmp(name, "--threshold")) {
      if (parse_pct("--threshold", val, &a->o.threshold)) return bad("%s%s", sq_last_error(), "");
    } else if (!strcmp(name, "--gap")) {
      if (parse_pct("--gap", val, &a->o.gap_floor)) return bad("%s%s", sq_last_error(), "");
    } else if (!strcmp(name, "--alpha")) {
      if (sq_parse_f64(val, "--alpha", 1e-12, 0.5, &a->o.alpha)) return bad("%s%s", sq_last_error(), "");
    } else if (!strcmp(name, "--format")) {
      if (strcmp(val, "text") && strcmp(val, "md")) return bad("--format: '%s' is not text or md%s", val, "");
      a->markdown = !strcmp(val, "md");
    } else if (!strcmp(name, "--ambiguous")) {
      if (strcmp(val, "fail") && strcmp(val, "pass"))
        return bad("--ambiguous: '%s' is not fail or pass%s", val, "");
      a->ambiguous_fails = !strcmp(val, "fail");
    } else if (!strcmp(name, "-o")) {
      a->out = val;
    } else if (!strcmp(name, "--ignore-device")) {
      a->o.ignore_device = 1;
    } else if (!strcmp(name, "--calibrate")) {
      a->calibrate = 1;
    } else if (!strcmp(name, "--paired")) {
      a->paired = 1;
    } else if (arg[0] == '-' && arg[1]) {
      return bad("unknown option '%s'%s", arg, "");
    } else if (a->nfiles < 2) {
      a->files[a->nfiles++] = arg;
    } else {
      return bad("one BASE and one NEW file, not also '%s'%s", arg, "");
    }
  }
  if (a->nfiles != 2) return bad("needs BASE.csv and NEW.csv (subquad compare --help)%s%s", "", "");
  return 0;
}

/* Room a named temporary beside -o's path may need ("PATH.tmp.PID.N"). */
#define TEMP_SUFFIX_MAX 40

/* Checks -o before the inputs are read: a path the system can open with
 * its temporary suffix, and not one of the inputs or their sidecars under
 * any spelling (same file by device and inode: another path, a symbolic
 * or a hard link), which the table would replace. */
static int check_output(const struct args *a) {
  const char *path = a->out;
  if (!path) return 0;
  if (!*path) return bad("-o: empty file name%s%s", "", "");
  if (strlen(path) + TEMP_SUFFIX_MAX >= PATH_MAX) {
    fprintf(stderr, "subquad compare: -o %s: path too long (%zu characters; at most %d)\n", path, strlen(path),
            PATH_MAX - 1 - TEMP_SUFFIX_MAX);
    return SQ_COMPARE_BAD_INPUT;
  }
  for (int i = 0; i < 2; i++) {
    char *side = sq_results_samples_path(a->files[i]);
    int input = sq_same_file(path, a->files[i]), sidecar = side && sq_same_file(path, side);
    if (input || sidecar) {
      fprintf(stderr, "subquad compare: -o %s: is %s%s%s, which the table would replace; write it elsewhere\n", path,
              sidecar ? "the samples of " : "", i ? "NEW " : "BASE ", a->files[i]);
      free(side);
      return SQ_COMPARE_BAD_INPUT;
    }
    free(side);
  }
  return 0;
}

/* Says whether the two files were measured interleaved (DESIGN.md
 * section 8): two runs taken one after the other see two machines when
 * the runner drifts, and no test inside the files can tell that from a
 * change. */
static void interleaving_note(FILE *f, const struct args *a, int md) {
  if (a->interleaved) {
    /* The run id is text from the files: printed as one line, or as code. */
    fprintf(f, "BASE and NEW were measured interleaved by one gate run (");
    if (md) sq_md_code(f, a->interleaved);
    else
      for (const char *p = a->interleaved; *p; p++) fputc(sq_text_char(*p), f);
    fprintf(f, a->paired ? "); judged paired by round\n" : "): --paired judges them as the gate did, by round\n");
  } else
    fprintf(f, "note: BASE and NEW were not measured interleaved (not written by one `subquad gate` run): "
               "a drift of the machine between the two runs cannot be told from a change\n");
  /* A run saved while it was still going (killed, or read mid-run) lacks
   * cases and rounds: its rows compare, but the file says so. */
  for (int i = 0; i < 2; i++) {
    if (!a->partial[i]) continue;
    fprintf(f, "note: %s is a partial run: ", i ? "NEW" : "BASE");
    if (md) sq_md_code(f, a->partial[i]);
    else
      for (const char *p = a->partial[i]; *p; p++) fputc(sq_text_char(*p), f);
    fputc('\n', f);
  }
  if (md) fputc('\n', f);
}

/* Writes the table to stdout, or to -o as a whole file (base/files.h):
 * the old table stays until the new one is complete. */
static int write_output(const struct args *a, const sq_comparison *c, const sq_paired_table *pt, int status) {
  const char *path = a->out, *base = a->files[0], *cur = a->files[1];
  int md = a->markdown;
  FILE *f = stdout;
  sq_atomic out;
  if (path && !(f = sq_atomic_open(&out, path))) return bad("-o %s: cannot write: %s", path, sq_atomic_reason(path));
  static const char *const words[] = {"PASS", "REGRESSION", "AMBIGUOUS"};
  if (md) {
    fprintf(f, "### subquad compare: %s\n\nBASE ", words[status]);
    sq_md_code(f, base);
    fprintf(f, ", NEW ");
    sq_md_code(f, cur);
    fprintf(f, "\n\n");
  } else {
    fprintf(f, "subquad compare: BASE %s, NEW %s\n\n", base, cur);
  }
  interleaving_note(f, a, md);
  if (!md) fputc('\n', f);
  if (pt) sq_paired_print(f, pt, md, SQ_GATE_WITNESS);
  else sq_compare_print(f, c, md);
  if (a->calibrate && c) {
    sq_calibration k;
    sq_compare_calibrate(c, &a->o, &k);
    fputc('\n', f);
    sq_calibration_print(f, &k, &a->o, md);
  }
  if (md) fputc('\n', f);
  fprintf(f, "verdict: %s (exit %d)\n", words[status], status);
  if (path && sq_atomic_commit(&out)) return bad("-o %s: cannot write: %s", path, sq_atomic_reason(path));
  return 0;
}

/* --paired: the gate's verdict on its two files. Rounds pair only when
 * they were taken together, so other files are refused. */
static int compare_paired(struct args *a, const sq_results *base, const sq_results *cur) {
  if (!a->interleaved)
    return bad("--paired: %s and %s were not measured interleaved by one gate run", a->files[0], a->files[1]);
  sq_paired_opts po;
  sq_paired_defaults(&po);
  po.threshold = a->o.threshold;
  po.ignore_device = a->o.ignore_device;
  sq_paired_table t;
  if (sq_paired_results(base, cur, &po, &t)) return bad("%s%s", sq_last_error(), "");
  sq_paired_uncount(&t, SQ_GATE_WITNESS);
  int status = sq_paired_status(&t, a->ambiguous_fails);
  if (write_output(a, NULL, &t, status)) status = SQ_COMPARE_BAD_INPUT;
  sq_paired_free(&t);
  return status;
}

int sq_cmd_compare(int argc, char **argv) {
  struct args a = {.ambiguous_fails = 1};
  sq_compare_defaults(&a.o);
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
  int rc = parse_args(argc, argv, &a);
  if (!rc) rc = check_output(&a);
  if (rc) return rc;
  sq_results base, cur;
  if (sq_results_read(a.files[0], &base) != 0) return bad("%s%s", sq_last_error(), "");
  if (sq_results_read(a.files[1], &cur) != 0) {
    sq_results_free(&base);
    return bad("%s%s", sq_last_error(), "");
  }
  const char *ib = sq_meta_get(&base.meta, "interleaved"), *ic = sq_meta_get(&cur.meta, "interleaved");
  a.interleaved = ib && ic && !strcmp(ib, ic) ? ib : NULL;
  a.partial[0] = sq_meta_get(&base.meta, "progress");
  a.partial[1] = sq_meta_get(&cur.meta, "progress");
  if (a.paired) {
    rc = compare_paired(&a, &base, &cur);
    sq_results_free(&base);
    sq_results_free(&cur);
    return rc;
  }
  sq_comparison c;
  rc = sq_compare_results(&base, &cur, &a.o, &c);
  if (rc == 0 && c.count[SQ_VERDICT_ONLY_BASE] + c.count[SQ_VERDICT_ONLY_NEW] == c.n) {
    /* A gate that compared nothing must not pass. */
    rc = sq_fail(SQ_EMISMATCH, "%s and %s have no rows in common", a.files[0], a.files[1]);
    sq_compare_free(&c);
  }
  int status = SQ_COMPARE_BAD_INPUT;
  if (rc == 0) {
    status = sq_compare_status(&c, a.ambiguous_fails);
    if (write_output(&a, &c, NULL, status)) status = SQ_COMPARE_BAD_INPUT;
    sq_compare_free(&c);
  } else {
    bad("%s%s", sq_last_error(), "");
  }
  sq_results_free(&base);
  sq_results_free(&cur);
  return status;
}
