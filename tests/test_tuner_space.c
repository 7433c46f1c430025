/* SPDX-License-Identifier: BSD-3-Clause */
/* Tuner search spaces: the constraint pruning of a small hand-checked space
 * gives exactly its valid set and never expands a rejected prefix; device
 * filters; recorded spaces load, and malformed ones are refused with
 * file:line; the one-parameter neighbourhood. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "tests/tap.h"
#include "tuner/space.h"

static int calls[4];

/* A*B <= 8 (needs two values), C == 1 only with A >= 2 (needs three). */
static int check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) {
  calls[nset]++;
  if (nset >= 2 && pv[0] * pv[1] > 8) { snprintf(why, n, "A*B > 8"); return SQ_EINVAL; }
  if (nset >= 3 && pv[2] == 1 && pv[0] < 2) { snprintf(why, n, "C needs A >= 2"); return SQ_EINVAL; }
  return 0;
}

static const sq_kernel toy = {
  .name = "toy", .op = &sq_op_softmax_attn, .nparams = 3,
  .params = {{"A", 4, {8, 1, 4, 2}, 1, ""}, {"B", 4, {1, 2, 4, 8}, 1, ""}, {"C", 2, {0, 1}, 0, ""}},
  .check = check,
};

static int no_eight(void *ctx, const int *pv) { (void)ctx; return pv[1] == 8; }

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(text, f);
  return fclose(f);
}

static void bad_file(const char *text, const char *want, const char *what) {
  char path[] = "/tmp/sq_tuner_space_XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  write_file(path, text);
  sq_space s;
  int rc = sq_space_from_csv(path, &s);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), want) && strstr(sq_last_error(), path), "%s refused (%s)",
         what, sq_last_error());
  if (!rc) sq_space_free(&s);
  unlink(path);
}

int main(void) {
  sq_problem p;
  sq_att_problem(&p, &sq_op_softmax_attn, 1, 1, 64, 16, 16, 0, SQ_F32);
  sq_space s;
  tap_ok(sq_space_from_kernel(&toy, &p, NULL, NULL, &s) == 0, "toy space builds");
  /* By hand: (A,B) pairs with A*B <= 8 are 10; C=0 keeps all 10, C=1 the
   * 6 with A >= 2: 16 valid of 32. */
  tap_ok(s.n == 16 && s.product == 32 && s.removed == 16, "16 of 32 valid, 16 removed (got %lld)", (long long)s.n);
  int exact = 1;
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 4; b++)
      for (int c = 0; c < 2; c++) {
        int pv[3] = {1 << a, 1 << b, c};
        int valid = pv[0] * pv[1] <= 8 && !(c == 1 && pv[0] < 2);
        exact &= (sq_space_find_values(&s, pv) >= 0) == valid;
      }
  tap_ok(exact, "the enumerated set is exactly the valid set");
  tap_ok(calls[3] == 20, "C is only tried under the 10 accepted (A,B) prefixes: %d checks, not 32", calls[3]);
  tap_ok(s.val[0][0] == 1 && s.val[0][3] == 8, "candidate values sorted ascending");
  int pv[3] = {2, 2, 1};
  int64_t i = sq_space_find_values(&s, pv);
  int64_t up = sq_space_step(&s, i, 1, +1);
  int got[3];
  sq_space_values(&s, up, got);
  tap_ok(up >= 0 && got[0] == 2 && got[1] == 4 && got[2] == 1, "step B up: 2,2,1 -> 2,4,1");
  int pv2[3] = {2, 4, 0};
  int64_t j = sq_space_find_values(&s, pv2);
  tap_ok(sq_space_step(&s, j, 1, +1) < 0, "step off the valid set gives none (2,8 violates A*B)");
  int pv3[3] = {1, 1, 0};
  sq_space_values(&s, sq_space_step(&s, sq_space_find_values(&s, pv3), 0, +1), got);
  tap_ok(got[0] == 2, "step A from 1 goes to the adjacent value 2");
  sq_space_free(&s);

  tap_ok(sq_space_from_kernel(&toy, &p, no_eight, NULL, &s) == 0 && s.n == 15,
         "a device filter removes the one valid configuration with B=8 (15 left)");
  sq_space_free(&s);

  char tiny[1024];
  const char *top = getenv("top_srcdir");
  snprintf(tiny, sizeof tiny, "%s/tests/data/tuner_tiny.csv", top ? top : ".");
  int rc = sq_space_from_csv(tiny, &s);
  tap_ok(rc == 0 && s.np == 2 && s.n == 11 && s.product == 12, "tiny recorded space: 11 rows of a 4x3 product");
  if (!rc) {
    int a[2] = {3, 2}, b[2] = {4, 2};
    tap_ok(isnan(s.time[sq_space_find_values(&s, a)]), "an empty time_ms is a failed configuration");
    tap_ok(sq_space_find_values(&s, b) < 0, "an absent row is not in the space");
    char buf[64];
    sq_space_format(&s, 0, buf, sizeof buf);
    tap_ok(!strcmp(buf, "x=1;y=1"), "format: %s", buf);
    sq_space_free(&s);
  }
  bad_file("x,y\n1,2\n", "no time_ms column", "no time_ms");
  bad_file("x,time_ms\n1,2.0\nfoo,3\n", ":3:", "non-integer parameter");
  bad_file("x,time_ms\n1,2.0\n2\n", ":3:", "short row");
  bad_file("x,time_ms\n1,2.0\n1,3.0\n", "two rows", "duplicate configuration");
  bad_file("x,time_ms\n1,abc\n", ":2:", "bad time");
  bad_file("", "empty", "empty file");
  rc = sq_space_from_csv("/nonexistent/space.csv", &s);
  tap_ok(rc == SQ_EIO && strstr(sq_last_error(), "/nonexistent/space.csv"), "missing file: %s", sq_last_error());
  return tap_done();
}
