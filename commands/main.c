/* SPDX-License-Identifier: BSD-3-Clause */
/* The `subquad` program: dispatches to a subcommand (commands/). Only this
 * layer turns library error codes into exit statuses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "base/revision.h"
#include "commands/commands.h"
#include "harness/topology.h"

int sq_argc;
char **sq_argv;

static const struct {
  const char *name;
  int (*fn)(int, char **);
  const char *summary;
} commands[] = {
  {"devices", sq_cmd_devices, "list devices and host topology; --peaks measures them"},
  {"workloads", sq_cmd_workloads, "list the paper catalog and suites"},
  {"run", sq_cmd_run, "verify and benchmark a kernel or a suite"},
  {"tune", sq_cmd_tune, "autotune a kernel's parameters, or replay a recorded space"},
  {"report", sq_cmd_report, "gnuplot figures and an index page from result files"},
  {"export", sq_cmd_export, "a result file and its samples as one JSON document"},
  {"compare", sq_cmd_compare, "regression gate between two result files"},
  {"gate", sq_cmd_gate, "interleaved, paired regression gate between two binaries"},
  {"worker", sq_cmd_worker, "measuring process driven by gate over stdin/stdout"},
  {"seqpar", sq_cmd_seqpar, "sequence-parallel benchmark: one sequence split over MPI ranks"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: subquad COMMAND [options]   (subquad COMMAND --help for its options)\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
  sq_argc = argc;
  sq_argv = argv;
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("subquad %s (%s)\n", PACKAGE_VERSION, SQ_GIT_REVISION);
    return 0;
  }
  uint64_t cap;
  if (sq_host_memory_cap(&cap) < 0) {
    fprintf(stderr, "subquad: SUBQUAD_HOST_MEMORY: '%s' is not a size (bytes, or a number with K, M or G)\n",
            getenv("SUBQUAD_HOST_MEMORY"));
    return 2;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "subquad: unknown command '%s' (try subquad --help)\n", argv[1]);
  return 2;
}
