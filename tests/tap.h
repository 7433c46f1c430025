/* SPDX-License-Identifier: BSD-3-Clause */
/* A minimal TAP producer for the C tests. Each check prints "ok N - name" or
 * "not ok N - name"; tap_done() prints the plan, the closing line
 * "N passed, N failed" and returns the exit status. A check that cannot run
 * on this machine is reported with tap_skip() and its reason. */
#ifndef SQ_TAP_H
#define SQ_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_fail, tap_skipped;

static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...) {
  va_list ap;
  printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
  if (!cond) tap_fail++;
  return cond;
}

static inline void tap_skip(const char *what, const char *why) {
  printf("ok %d - %s # SKIP %s\n", ++tap_n, what, why);
  tap_skipped++;
  fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...) {
  va_list ap;
  printf("# ");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

static inline int tap_done(void) {
  printf("1..%d\n", tap_n);
  printf("# %d passed, %d failed%s\n", tap_n - tap_fail - tap_skipped, tap_fail,
         tap_skipped ? "" : "");
  if (tap_skipped) printf("# %d skipped\n", tap_skipped);
  return tap_fail ? 1 : 0;
}

#endif
