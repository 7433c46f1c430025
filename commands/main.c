/* The `subquad` program: dispatches to a subcommand. Only this layer turns
 * library error codes into exit statuses. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "base/error.h"
#include "commands/commands.h"

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
  {"compare", sq_cmd_compare, "regression gate between two result files"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: subquad COMMAND [options]   (subquad COMMAND --help for its options)\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

/* One line whatever the arguments hold: a value with a newline in it is
 * printed escaped, as sq_fail does. */
int sq_usage_error(const char *cmd, const char *fmt, ...) {
  static char raw[SQ_DETAIL_MAX], line[SQ_DETAIL_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  sq_escape_line(raw, line, sizeof line);
  fprintf(stderr, "subquad %s: %s\n", cmd, line);
  return 2;
}

int sq_parse_i64(const char *s, const char *what, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (!*s || *end || errno == ERANGE)
    return sq_fail(SQ_EINVAL, "%s: '%s' is not an integer", what, s);
  if (v < lo || v > hi)
    return sq_fail(SQ_EINVAL, "%s: %lld is out of range [%lld, %lld]", what, v, lo, hi);
  *out = v;
  return 0;
}

int sq_parse_f64(const char *s, const char *what, double lo, double hi, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (!*s || *end || errno == ERANGE || !isfinite(v))
    return sq_fail(SQ_EINVAL, "%s: '%s' is not a number", what, s);
  if (v < lo || v > hi) return sq_fail(SQ_EINVAL, "%s: %g is out of range [%g, %g]", what, v, lo, hi);
  *out = v;
  return 0;
}

int sq_parse_duration(const char *s, const char *what, double *seconds) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  double unit = 1;
  if (end == s || errno == ERANGE || !isfinite(v) || v < 0)
    return sq_fail(SQ_EINVAL, "%s: '%s' is not a duration (e.g. 90s, 10m, 2h)", what, s);
  if (!strcmp(end, "h")) unit = 3600;
  else if (!strcmp(end, "m")) unit = 60;
  else if (*end && strcmp(end, "s"))
    return sq_fail(SQ_EINVAL, "%s: '%s' is not a duration (e.g. 90s, 10m, 2h)", what, s);
  *seconds = v * unit;
  return 0;
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
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "subquad: unknown command '%s' (try subquad --help)\n", argv[1]);
  return 2;
}
