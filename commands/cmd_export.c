/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad export RESULTS.csv --format json [-o FILE]`: a result file and
 * its raw-sample sidecar as one JSON document (results/result.h, "JSON
 * results"), for dashboards and notebooks that read no CSV dialect. The
 * file is read through the one results reader, so everything it refuses
 * (a sidecar of another run, a number out of range) is refused here too. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "commands/commands.h"
#include "results/result.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: subquad export RESULTS.csv [--format json] [-o FILE]\n"
          "  Writes a result file and its .samples.csv sidecar as one JSON document: the\n"
          "  metadata block, every row with typed columns and its raw samples (README,\n"
          "  \"JSON output\").\n"
          "  --format json     the output format (json, the default and only one)\n"
          "  -o FILE           write FILE (in full or not at all) instead of stdout\n"
          "  --help            this text\n");
}

int sq_cmd_export(int argc, char **argv) {
  static const struct option opts[] = {
    {"format", 1, 0, 'f'}, {"output", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  const char *out = "-";
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (strcmp(optarg, "json")) return sq_usage_error("export", "--format: '%s' is not json", optarg);
      break;
    case 'o': out = optarg; break;
    case 'h': usage(stdout); return 0;
    case ':': return sq_usage_error("export", "%s needs a value", argv[optind - 1]);
    default: return sq_usage_error("export", "unknown option '%s' (see subquad export --help)", argv[optind - 1]);
    }
  }
  if (optind == argc) return sq_usage_error("export", "name one RESULTS.csv");
  if (optind + 1 < argc) return sq_usage_error("export", "unexpected argument '%s'", argv[optind + 1]);
  sq_results res;
  sq_clear_error();
  if (sq_results_read(argv[optind], &res)) return sq_usage_error("export", "%s", sq_last_error());
  int rc = sq_results_save_json(out, &res.meta, res.rows, res.n);
  sq_results_free(&res);
  if (rc) {
    fprintf(stderr, "subquad export: %s\n", sq_last_error());
    return 1;
  }
  return 0;
}
