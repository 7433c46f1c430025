/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad workloads`: the paper catalog and the suites, with the planner's
 * prediction of memory and time for each case on the chosen device.
 *
 *   subquad workloads [--suite S] [--paper P] [--family F] [--format table|csv]
 *                     [--device D] [--peaks] [--catalog FILE] [--max-case-seconds T]
 *
 * Without --suite it lists every catalog row (runnable or `pending kernel`)
 * and every paper without a workload with its reason; with --suite it lists
 * the cases the suite expands to. Exit 0, or 2 for a bad flag or catalog. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/error.h"
#include "commands/commands.h"
#include "harness/device.h"
#include "workloads/catalog.h"
#include "workloads/planner.h"
#include "workloads/suite.h"

typedef struct wl_cli {
  const char *suite, *paper, *family, *device, *catalog;
  int csv, peaks;
  double max_case_s;
} wl_cli;

static void usage(FILE *f) {
  fprintf(f,
          "usage: subquad workloads [--suite S] [--paper P] [--family F] [--format table|csv]\n"
          "                         [--device D] [--peaks] [--catalog FILE] [--max-case-seconds T]\n"
          "  --suite S            list the cases of suite S:");
  for (int i = 0; sq_suite_names[i]; i++) fprintf(f, " %s", sq_suite_names[i]);
  fprintf(f,
          "\n  --paper P            only this paper (short name, e.g. Swin)\n"
          "  --family F           only this family, op or kernel family (e.g. ssm_scan, ssm.ssd)\n"
          "  --format table|csv   output format (default table)\n"
          "  --device D           predict for this device (default: the default device)\n"
          "  --peaks              measure the device's peaks first (a few seconds)\n"
          "  --catalog FILE       read this workloads file instead of the built-in catalog\n"
          "  --max-case-seconds T a case predicted longer is infeasible (default: the suite's, as run uses; 90s, 10m)\n");
}

static int parse_args(int argc, char **argv, wl_cli *a) {
  enum { O_SUITE = 1, O_PAPER, O_FAMILY, O_FORMAT, O_DEVICE, O_PEAKS, O_CATALOG, O_MAXS, O_HELP };
  static const struct option opts[] = {
    {"suite", 1, 0, O_SUITE},   {"paper", 1, 0, O_PAPER},     {"family", 1, 0, O_FAMILY},
    {"format", 1, 0, O_FORMAT}, {"device", 1, 0, O_DEVICE},   {"peaks", 0, 0, O_PEAKS},
    {"catalog", 1, 0, O_CATALOG}, {"max-case-seconds", 1, 0, O_MAXS}, {"help", 0, 0, O_HELP},
    {0, 0, 0, 0}};
  opterr = 0;
  optind = 1;
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_SUITE:
      if (!sq_suite_doc(optarg)) {
        sq_usage_error("workloads", "--suite: unknown suite '%s' (known: quick, papers, "
                       "scaling, vision, video, pointcloud)", optarg);
        return 2;
      }
      a->suite = optarg;
      break;
    case O_PAPER: a->paper = optarg; break;
    case O_FAMILY: a->family = optarg; break;
    case O_FORMAT:
      if (!strcmp(optarg, "csv")) a->csv = 1;
      else if (!strcmp(optarg, "table")) a->csv = 0;
      else return sq_usage_error("workloads", "--format: '%s' is not table or csv", optarg);
      break;
    case O_DEVICE: a->device = optarg; break;
    case O_PEAKS: a->peaks = 1; break;
    case O_CATALOG: a->catalog = optarg; break;
    case O_MAXS:
      if (sq_parse_duration(optarg, "--max-case-seconds", &a->max_case_s) || a->max_case_s <= 0)
        return sq_usage_error("workloads", "--max-case-seconds: '%s' is not a positive duration",
                              optarg);
      break;
    case 'h':
    case O_HELP: usage(stdout); return 1;
    default:
      return sq_usage_error("workloads", "unknown or incomplete option '%s' (see --help)",
                            argv[optind - 1]);
    }
  }
  if (optind < argc)
    return sq_usage_error("workloads", "unexpected argument '%s' (see --help)", argv[optind]);
  return 0;
}

static void fmt_bytes(double b, char *buf, size_t n) {
  if (b >= 1073741824.0) snprintf(buf, n, "%.1f GiB", b / 1073741824.0);
  else if (b >= 1048576.0) snprintf(buf, n, "%.1f MiB", b / 1048576.0);
  else snprintf(buf, n, "%.0f KiB", b / 1024.0);
}

static const char *verdict(const sq_prediction *p) {
  return !p->feasible ? "skip" : p->sliced ? "sliced" : "ok";
}

static int family_match(const char *want, const sq_workload *w, const sq_kernel *k) {
  if (!want) return 1;
  return (w && (!strcmp(w->family, want) || !strcmp(w->op->name, want))) || (k && !strcmp(k->family, want));
}

static int list_suite(const wl_cli *a, const sq_catalog *cat, sq_device *dev) {
  sq_suite_case *v;
  int n, rc = sq_suite_expand(a->suite, &v, &n);
  if (rc) return sq_usage_error("workloads", "%s", sq_last_error());
  static const char *const hdr[] = {"suite", "workload", "paper", "kernel", "family", "causal",
                                    "B", "H", "T", "D", "DV", "tokens", "pred_mem_bytes",
                                    "pred_ms", "plan", "reason"};
  if (a->csv) sq_csv_write_row(stdout, hdr, 16);
  else
    printf("%-40s %-28s %-6s %5s %3s %8s %4s %11s %9s %10s %-6s %s\n", "workload", "kernel", "mode",
           "B", "H", "T", "D", "tokens", "memory", "a call", "plan", "reason");
  int shown = 0, feasible = 0;
  for (int i = 0; i < n; i++) {
    const sq_suite_case *sc = &v[i];
    const sq_problem *p = &sc->c.prob;
    const sq_workload *w = sc->workload[0] ? sq_catalog_find(cat, sc->workload) : NULL;
    if (a->paper && strcmp(a->paper, sc->paper)) continue;
    if (!family_match(a->family, w, sc->c.kernel)) continue;
    sq_prediction pr;
    if (sq_predict(dev, &sc->c, a->max_case_s, &pr)) {
      pr.feasible = 0;
      snprintf(pr.why, sizeof pr.why, "%s", sq_last_error());
    }
    shown++;
    feasible += pr.feasible;
    char c[16][48], mem[32], ms[32];
    const long long B = (long long)sq_shape_int(&p->shape, "B"), H = (long long)sq_shape_int(&p->shape, "H"),
                    T = (long long)sq_shape_tokens(&p->shape), D = (long long)sq_shape_int(&p->shape, "D"),
                    DV = (long long)sq_shape_int(&p->shape, "DV");
    long long tokens = B * T;
    if (a->csv) {
      snprintf(c[0], 48, "%lld", B);
      snprintf(c[1], 48, "%lld", H);
      snprintf(c[2], 48, "%lld", T);
      snprintf(c[3], 48, "%lld", D);
      snprintf(c[4], 48, "%lld", DV);
      snprintf(c[5], 48, "%lld", tokens);
      snprintf(c[6], 48, "%.0f", pr.bytes);
      snprintf(c[7], 48, "%.6g", pr.ms);
      const char *row[] = {a->suite, sc->workload, sc->paper, sc->c.kernel->name,
                           sc->c.kernel->family, p->causal ? "1" : "0", c[0], c[1], c[2], c[3],
                           c[4], c[5], c[6], c[7], verdict(&pr), pr.why};
      sq_csv_write_row(stdout, row, 16);
    } else {
      fmt_bytes(pr.bytes, mem, sizeof mem);
      sq_format_duration(pr.ms * 1e-3, ms, sizeof ms);
      printf("%-40s %-28s %-6s %5lld %3lld %8lld %4lld %11lld %9s %10s %-6s %s\n",
             sc->workload[0] ? sc->workload : "-", sc->c.kernel->name,
             p->causal ? "causal" : "nc", B, H, T, D, tokens, mem, ms, verdict(&pr), pr.why);
    }
  }
  if (!a->csv)
    printf("# suite %s: %d cases listed, %d feasible on %s\n", a->suite, shown, feasible,
           dev ? dev->id : "(no device: memory not judged)");
  free(v);
  return 0;
}

#define CATALOG_COLS 18

static void catalog_row(const wl_cli *a, const sq_catalog *cat, const sq_workload *w,
                        sq_device *dev) {
  const sq_paper *pp = sq_catalog_paper(cat, w->paper);
  sq_prediction pr = {0};
  const char *status = "pending kernel";
  sq_shape shape = w->shape;
  if (w->k) {
    sq_problem p;
    sq_case_list l = {0};
    sq_workload_problem(w, &p);
    sq_suite_form(&p);
    if (!sq_case_list_add_problem(&l, w->k, &p, w->name, w->paper)) {
      shape = l.v[0].c.prob.shape;
      if (sq_predict(dev, &l.v[0].c, a->max_case_s, &pr))
        snprintf(pr.why, sizeof pr.why, "%s", sq_last_error());
      status = verdict(&pr);
    }
    sq_case_list_free(&l);
  } else {
    snprintf(pr.why, sizeof pr.why, "no subquad kernel for %s yet", w->kernel + 8);
  }
  if (a->csv) {
    char canon[SQ_SHAPE_TEXT_MAX], tokens[32], mem[32], ms[32], calls[16];
    sq_shape_format(&shape, canon, sizeof canon);
    snprintf(tokens, sizeof tokens, "%lld", (long long)sq_shape_tokens(&shape));
    snprintf(mem, sizeof mem, "%.0f", pr.bytes);
    snprintf(ms, sizeof ms, "%.6g", pr.ms);
    snprintf(calls, sizeof calls, "%d", w->calls);
    const char *row[CATALOG_COLS] = {w->paper, pp ? pp->title : "", w->name, w->domain, w->family, w->words,
                                     w->op->name, w->k ? w->k->name : w->kernel, status, w->causal ? "1" : "0",
                                     calls, canon, w->shape_text, tokens, w->k ? mem : "", w->k ? ms : "", pr.why,
                                     w->source};
    sq_csv_write_row(stdout, row, CATALOG_COLS);
  } else {
    char mem[32] = "-", ms[32] = "-", brief[256];
    if (w->k) {
      fmt_bytes(pr.bytes, mem, sizeof mem);
      sq_format_duration(pr.ms * 1e-3, ms, sizeof ms);
    }
    sq_workload_shape_brief(w, brief, sizeof brief);
    printf("%-16s %-44s %-26s %-6s %-36s %5d %9s %9s %-14s %s\n", w->paper, w->name,
           w->k ? w->k->name : w->kernel, w->causal ? "causal" : "nc", brief, w->calls, mem, ms, status, pr.why);
  }
}

static int list_catalog(const wl_cli *a, const sq_catalog *cat, sq_device *dev) {
  static const char *const hdr[CATALOG_COLS] = {
    "paper", "title", "workload", "domain", "family", "operator", "op", "kernel", "status", "causal",
    "calls", "shape", "catalog_shape", "tokens", "pred_mem_bytes", "pred_ms", "reason", "source"};
  if (a->csv) sq_csv_write_row(stdout, hdr, CATALOG_COLS);
  else
    printf("%-16s %-44s %-26s %-6s %-36s %5s %9s %9s %-14s %s\n", "paper", "workload", "kernel", "mode",
           "shape", "calls", "memory", "a call", "status", "reason");
  int shown = 0, runnable = 0;
  for (int i = 0; i < cat->n; i++) {
    const sq_workload *w = &cat->w[i];
    if ((a->paper && strcmp(a->paper, w->paper)) || !family_match(a->family, w, w->k)) continue;
    catalog_row(a, cat, w, dev);
    shown++;
    runnable += w->k != NULL;
  }
  /* Papers without a workload appear with their reason, so the listing
   * accounts for the whole reading list. */
  for (int i = 0; i < cat->npapers; i++) {
    const sq_paper *p = &cat->papers[i];
    if (p->nworkloads || a->family || (a->paper && strcmp(a->paper, p->paper))) continue;
    const char *why = p->reason[0] ? p->reason : "no workload in this catalog";
    if (a->csv) {
      const char *row[CATALOG_COLS] = {p->paper, p->title, "", "", "", "", "", "", "no workload"};
      row[16] = why;
      sq_csv_write_row(stdout, row, CATALOG_COLS);
    } else {
      printf("%-16s %-44s %-26s %s\n", p->paper, "-", "-", why);
    }
  }
  if (!a->csv) {
    int nums, src, with = 0;
    sq_catalog_source_share(cat, &nums, &src);
    for (int i = 0; i < cat->npapers; i++) with += cat->papers[i].nworkloads > 0;
    printf("# %s: %d workloads listed (%d runnable, %d pending kernel); %d papers, %d with "
           "workloads; %d of %d numbers (%.1f%%) carry a source; predictions for %s\n",
           cat->file, shown, runnable, shown - runnable, cat->npapers, with, src, nums,
           nums ? 100.0 * src / nums : 0.0, dev ? dev->id : "no device (memory not judged)");
  }
  return 0;
}

int sq_cmd_workloads(int argc, char **argv) {
  wl_cli a = {.max_case_s = -1};
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc == 1 ? 0 : rc;
  /* The same default limit as `subquad run` gives the suite. */
  if (a.max_case_s < 0) a.max_case_s = sq_suite_max_case_s(a.suite);
  const sq_catalog *cat;
  if (sq_catalog_set_path(a.catalog) || sq_catalog_get(&cat))
    return sq_usage_error("workloads", "%s", sq_last_error());
  if (a.paper && !sq_catalog_paper(cat, a.paper)) {
    int known = 0;
    for (int i = 0; i < cat->n && !known; i++) known = !strcmp(cat->w[i].paper, a.paper);
    if (!known)
      return sq_usage_error("workloads", "--paper: '%s' is not in the catalog (see the paper "
                            "column of subquad workloads)", a.paper);
  }
  sq_device *dev = NULL;
  sq_devices_init();
  if (sq_device_open(a.device, &dev)) {
    if (a.device) return sq_usage_error("workloads", "--device: %s", sq_last_error());
    fprintf(stderr, "subquad workloads: no default device (%s); memory is not judged\n",
            sq_last_error());
    dev = NULL;
  }
  if (dev && a.peaks && sq_device_measure_peaks(dev))
    fprintf(stderr, "subquad workloads: peaks not measured (%s); using defaults\n",
            sq_last_error());
  rc = a.suite ? list_suite(&a, cat, dev) : list_catalog(&a, cat, dev);
  if (dev) sq_device_close(dev);
  return rc;
}
