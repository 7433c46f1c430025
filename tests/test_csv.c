/* SPDX-License-Identifier: BSD-3-Clause */
/* The one CSV reader and writer (base/csv.h): leading comments kept apart
 * with their lines, later comments and blank lines skipped, each record
 * with the line it starts on (quoted line breaks included), the one-line
 * mode of the tuner's files, a record cut short at the end (partial), the
 * errors with file:line, and the writer's quoting read back unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/error.h"
#include "tests/tap.h"

static int parse(const char *text, int flags, sq_csvfile *f, int *partial) {
  sq_clear_error();
  return sq_csv_parse(text, strlen(text), "t.csv", flags, f, partial);
}

/* rc is SQ_EPARSE and the detail starts with `want`. */
static void refused(const char *text, int flags, const char *want, const char *what) {
  sq_csvfile f;
  int rc = parse(text, flags, &f, NULL);
  tap_ok(rc == SQ_EPARSE && !strncmp(sq_last_error(), want, strlen(want)), "%s: %s", what, sq_last_error());
  if (!rc) sq_csv_free(&f);
}

static void comments_and_lines(void) {
  sq_csvfile f;
  const char *text = "# format 2\n#  key: value\n\na,b\n# later comment\n1,\"two\nlines\"\n\n3,4\r\n";
  int rc = parse(text, 0, &f, NULL);
  tap_ok(!rc && f.ncomments == 2 && !strcmp(f.comments[0], "format 2") && !strcmp(f.comments[1], "key: value") &&
         f.comment_line[0] == 1 && f.comment_line[1] == 2,
         "leading comments kept apart without '#', with their lines");
  tap_ok(!rc && f.nrows == 3 && f.rows[0].line == 4 && f.rows[1].line == 6 && f.rows[2].line == 9,
         "records carry the line they start on (a quoted line break and skipped lines counted)");
  tap_ok(!rc && f.nrows == 3 && !strcmp(f.rows[1].f[1], "two\nlines") && !strcmp(f.rows[2].f[1], "4"),
         "a quoted line break is data; CRLF ends a record");
  if (!rc) sq_csv_free(&f);
  /* A '#' at the start of a line inside quotes is data, not a comment. */
  rc = parse("a,b\n\"x\n# not a comment\",y\n", 0, &f, NULL);
  tap_ok(!rc && f.nrows == 2 && !strcmp(f.rows[1].f[0], "x\n# not a comment"), "'#' inside quotes is data");
  if (!rc) sq_csv_free(&f);
}

static void errors(void) {
  refused("a,b\n1,2\n3,x\"y\n", 0, "t.csv:3: malformed CSV (a stray or unbalanced quote)", "stray quote: its line");
  refused("a,b\n1,\"2\n3,4\n", 0, "t.csv:2: file ends inside a quoted field (malformed CSV)",
          "the text ends inside quotes: the record's first line");
  refused("a,b\n1,\"2\n3\",4\n", SQ_CSV_ONE_LINE, "t.csv:2: malformed CSV (unbalanced quotes",
          "one-line mode: a quoted line break is malformed, at its line");
  sq_csvfile f;
  sq_clear_error();
  int rc = sq_csv_parse("a,b\n1,2\n3,\0x\n", 12, "t.csv", 0, &f, NULL);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), "t.csv:3: NUL byte"), "a NUL byte in the text: %s",
         sq_last_error());
}

static void partial(void) {
  sq_csvfile f;
  int cut = -1;
  int rc = parse("# h\nstatus,x\nok,1\nok,\"cut sho", SQ_CSV_ONE_LINE, &f, &cut);
  tap_ok(!rc && cut == 4 && f.nrows == 2, "a record cut inside quotes: partial at its line, dropped (cut %d)", cut);
  if (!rc) sq_csv_free(&f);
  rc = parse("status,x\nok,1\nok,2", SQ_CSV_ONE_LINE, &f, &cut);
  tap_ok(!rc && cut == 3 && f.nrows == 3 && !strcmp(f.rows[2].f[1], "2"),
         "a last record without its newline: partial at its line, kept");
  if (!rc) sq_csv_free(&f);
  rc = parse("status,x\nok,1\n", SQ_CSV_ONE_LINE, &f, &cut);
  tap_ok(!rc && cut == 0 && f.nrows == 2, "a whole file: no partial record");
  if (!rc) sq_csv_free(&f);
  rc = parse("a\n\"b\nc", 0, &f, &cut);
  tap_ok(!rc && cut == 2 && f.nrows == 1, "multi-line mode: a cut quoted record is partial at its first line");
  if (!rc) sq_csv_free(&f);
  rc = parse("a\nb", 0, &f, NULL);
  tap_ok(!rc && f.nrows == 2, "without partial, a last record without its newline is an ordinary record");
  if (!rc) sq_csv_free(&f);
}

static int stop_at_second(void *ctx, sq_csvrow *r) {
  int *seen = ctx;
  return ++*seen == 2 ? -12345 : 0;
}

static void streaming(void) {
  int seen = 0;
  sq_csv_hooks h = {.on_row = stop_at_second, .ctx = &seen};
  int rc = sq_csv_scan("a\nb\nc\nd,\"e\n", 11, "t.csv", 0, &h, NULL);
  tap_ok(rc == -12345 && seen == 2, "a hook's non-zero return stops the scan before a later error");
}

static void writer(void) {
  const char *cells[] = {"#first", "plain", "a,b", "say \"hi\"", "two\nlines", " lead", "trail\t", "", "cr\rx"};
  const int n = sizeof cells / sizeof cells[0];
  char path[] = "/tmp/sq_test_csv_XXXXXX";
  int fd = mkstemp(path);
  FILE *fp = fd >= 0 ? fdopen(fd, "w+") : NULL;
  if (!tap_ok(fp != NULL, "temporary file")) return;
  const char *lone[] = {""};
  int rc = sq_csv_write_row(fp, cells, n);
  if (!rc) rc = sq_csv_write_row(fp, lone, 1);
  if (!rc) rc = sq_csv_write_row(fp, cells + 1, 1);
  fflush(fp);
  rewind(fp);
  char line[64] = "";
  tap_ok(!rc && fgets(line, sizeof line, fp) && !strncmp(line, "\"#first\",plain,\"a,b\"", 20),
         "only the cells that need quotes are quoted (%s)", line);
  sq_csvfile f;
  rewind(fp);
  rc = sq_csv_read_fp(fp, path, 0, &f, NULL);
  int same = !rc && f.nrows == 3 && f.rows[0].nf == n && f.rows[1].nf == 1 && !f.rows[1].f[0][0];
  for (int i = 0; same && i < n; i++) same = !strcmp(f.rows[0].f[i], cells[i]);
  tap_ok(same && f.ncomments == 0 && !strcmp(f.rows[2].f[0], "plain"),
         "every cell reads back unchanged ('#' first, blanks, quotes, line breaks, a lone empty cell)");
  if (!rc) sq_csv_free(&f);
  fclose(fp);
  rc = sq_csv_read(path, 0, &f, NULL);
  tap_ok(!rc && f.nrows == 3, "read from a path");
  if (!rc) sq_csv_free(&f);
  unlink(path);
  rc = sq_csv_read("/nonexistent/x.csv", 0, &f, NULL);
  tap_ok(rc == SQ_EIO && strstr(sq_last_error(), "/nonexistent/x.csv: cannot open"), "a missing file: %s",
         sq_last_error());
}

int main(void) {
  comments_and_lines();
  errors();
  partial();
  streaming();
  writer();
  return tap_done();
}
