/* SPDX-License-Identifier: BSD-3-Clause */
/* The option helpers of the commands: the one-line usage error and strict
 * parsing of numbers and durations given as flags (commands.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "commands/commands.h"
#include "harness/fleet.h"

/* One line whatever the arguments hold: a value with a newline in it is
 * printed escaped, as sq_fail does. */
int sq_usage_error(const char *cmd, const char *fmt, ...) {
  static char raw[SQ_DETAIL_MAX], line[SQ_DETAIL_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  sq_escape_line(raw, line, sizeof line);
  /* Every rank of a fleet parses the same command line: rank 0 says what
   * is wrong once (a fault of one rank's own reaches it as a message). */
  if (sq_fleet_env_rank() == 0) fprintf(stderr, "subquad %s: %s\n", cmd, line);
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
