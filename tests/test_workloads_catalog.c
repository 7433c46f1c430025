/* The paper catalog: the embedded files load and cover every paper of the
 * reading list (with workloads or a reason), names are unique, most numbers
 * carry a source, runnable rows map to registered kernels; and each kind of
 * malformed file is rejected with "file:line: column: what". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention.h"
#include "harness/error.h"
#include "tap.h"
#include "workloads/catalog.h"

static char datadir[512];

/* Loads tests/data/NAME and checks it fails with SQ_EPARSE and a message
 * naming the file, the line and the expected text. */
static void expect_bad(const char *name, int line, const char *what) {
  char path[700], want[800];
  snprintf(path, sizeof path, "%s/%s", datadir, name);
  sq_catalog c;
  int rc = sq_catalog_load(path, &c);
  snprintf(want, sizeof want, "%s:%d: ", path, line);
  const char *e = sq_last_error();
  tap_ok(rc == SQ_EPARSE && strstr(e, want) && strstr(e, what), "%s rejected: %s", name, e);
  if (!rc) sq_catalog_free(&c);
}

/* A paper listed with neither workloads nor the reason it has none. */
static void paper_without_reason(void) {
  const char *papers = "paper,title,reason\nA,Paper A,\nB,Paper B,\n";
  const char *rows = "name,paper,domain,family,kernel,causal,batch,windows,heads,dk,dv,dstate,tokens,grid,window,"
                     "operator,source,notes\n"
                     "a/one,A,lm,linear_attn,linear_attn.causal_chunked,1,1,-,2,64,-,-,1024,-,-,op,abstract,\n";
  sq_catalog c;
  int rc = sq_catalog_parse(rows, strlen(rows), "w.csv", papers, strlen(papers), "p.csv", 1, &c);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), "p.csv:3: reason: 'B' has no workload rows"),
         "a paper with no rows and no reason is rejected (%s)", rc ? sq_last_error() : "accepted");
  if (!rc) sq_catalog_free(&c);
  const char *guess = "name,paper,domain,family,kernel,causal,batch,windows,heads,dk,dv,dstate,tokens,grid,window,"
                      "operator,source,notes\n"
                      "a/one,A,lm,linear_attn,linear_attn.causal_chunked,1,1,-,2,64,-,-,1024,-,-,op,abstract,\n"
                      "b/one,B,lm,linear_attn,linear_attn.causal_chunked,1,assumed:1,-,assumed:2,assumed:64,-,-,"
                      "assumed:1024,-,-,op,abstract,\n";
  rc = sq_catalog_parse(guess, strlen(guess), "w.csv", papers, strlen(papers), "p.csv", 1, &c);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), "w.csv:3: source: every number of 'b/one' is assumed"),
         "a row whose every number is assumed is rejected (%s)", rc ? sq_last_error() : "accepted");
  if (!rc) sq_catalog_free(&c);
}

static void embedded(void) {
  sq_catalog c;
  int rc = sq_catalog_load(NULL, &c);
  if (!tap_ok(rc == 0, "embedded catalog loads (%s)", rc ? sq_last_error() : "ok")) return;
  tap_ok(c.npapers == 53, "53 papers listed (%d)", c.npapers);
  int uncovered = 0, with = 0;
  for (int i = 0; i < c.npapers; i++) {
    if (c.papers[i].nworkloads) with++;
    else if (!c.papers[i].reason[0]) uncovered++;
  }
  tap_ok(uncovered == 0, "every paper has workloads or a reason (%d without)", uncovered);
  tap_ok(with >= 39, "%d papers have workloads", with);
  int nums, src;
  sq_catalog_source_share(&c, &nums, &src);
  tap_diag("%d of %d numbers (%.1f%%) carry a source", src, nums, 100.0 * src / nums);
  tap_ok(nums > 1500 && src >= 0.90 * nums, "at least 90%% of the numbers carry a source (%.1f%%)",
         100.0 * src / nums);
  int runnable = 0, bad = 0, dups = 0;
  for (int i = 0; i < c.n; i++) {
    const sq_workload *w = &c.w[i];
    if (sq_catalog_find(&c, w->name) != w) dups++;
    if (!w->k) {
      bad += strncmp(w->kernel, "pending:", 8) != 0;
      continue;
    }
    runnable++;
    sq_problem p;
    if (sq_workload_problem(w, &p) || att_B(&p) < 1 || att_H(&p) < 1 || att_T(&p) < 1 || att_D(&p) < 1 || att_DV(&p) < 1 ||
        !(w->k->modes & (p.causal ? SQ_CAUSAL : SQ_NONCAUSAL)))
      bad++;
  }
  tap_ok(dups == 0, "workload names are unique");
  tap_ok(bad == 0 && runnable > 100, "%d runnable rows map to kernels with valid shapes", runnable);
  const sq_workload *w = sq_catalog_find(&c, "swin/swin-t-224.s1");
  tap_ok(w && w->k && w->num[SQ_WN_WINDOWS] == 64 && w->num[SQ_WN_TOKENS] == 49 &&
             w->num[SQ_WN_HEADS] == 3 && w->num[SQ_WN_DK] == 32,
         "Swin-T stage 1: 64 windows of 49 tokens, 3 heads of 32");
  sq_problem p;
  tap_ok(w && !sq_workload_problem(w, &p) && att_B(&p) == 64 * 64 && att_T(&p) == 49,
         "its kernel batch is batch x windows (4096)");
  w = sq_catalog_find(&c, "mmmamba/mmmamba-linear-103k-tokens");
  tap_ok(w && !w->k && !strcmp(w->kernel, "pending:ssd") &&
             sq_workload_problem(w, &p) == SQ_EUNSUPPORTED,
         "a Mamba2 row stays in the catalog as pending kernel");
  sq_catalog_free(&c);
}

static void good_file(void) {
  char path[700];
  snprintf(path, sizeof path, "%s/workloads_good.csv", datadir);
  sq_catalog c;
  int rc = sq_catalog_load(path, &c);
  tap_ok(rc == 0 && c.n == 2 && c.w[1].num[SQ_WN_WINDOWS] == 64 && c.w[0].num[SQ_WN_DV] == 32,
         "a small well-formed file loads; dv defaults to dk (%s)", rc ? sq_last_error() : "ok");
  if (!rc) sq_catalog_free(&c);
  rc = sq_catalog_load("/nonexistent/catalog.csv", &c);
  tap_ok(rc == SQ_EIO && strstr(sq_last_error(), "/nonexistent/catalog.csv"),
         "a missing file is an I/O error naming it");
}

int main(void) {
  const char *top = getenv("top_srcdir");
  snprintf(datadir, sizeof datadir, "%s/tests/data", top ? top : ".");
  embedded();
  good_file();
  expect_bad("workloads_missing_column.csv", 1, "missing column");
  expect_bad("workloads_unknown_column.csv", 1, "colour: unknown column");
  expect_bad("workloads_non_numeric.csv", 3, "heads: 'three' is not a whole number");
  expect_bad("workloads_negative.csv", 3, "tokens: '-49' is negative");
  expect_bad("workloads_absurd.csv", 3, "tokens: '99999999999' is absurd");
  expect_bad("workloads_zero.csv", 3, "batch: '0' must be positive");
  expect_bad("workloads_duplicate.csv", 4, "name: 'ok/one' already used on line 2");
  expect_bad("workloads_unknown_kernel.csv", 3, "kernel: 'softmax_attn.turbo' is not a registered");
  expect_bad("workloads_bad_mode.csv", 3, "does not support non-causal mode");
  expect_bad("workloads_field_count.csv", 3, "12 fields, the header has 16");
  expect_bad("workloads_no_source.csv", 3, "source: empty");
  expect_bad("workloads_bad_quote.csv", 3, "malformed CSV");
  paper_without_reason();
  return tap_done();
}
