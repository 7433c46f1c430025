/* Fuzz target: a workloads catalog given with `--catalog FILE`
 * (workloads/catalog.c, sq_catalog_parse with the embedded papers and no
 * paper check, as sq_catalog_load does for a path). The text is handed over
 * without a terminating NUL, as the parser takes a length. Guarantees: a
 * refusal frees everything and names the file; an accepted row has a unique
 * name without blanks, commas or quotes, causal 0 or 1, numbers that are -1
 * (not applicable) or positive, a resolved kernel that supports the row's
 * mode, and, when runnable, a problem with every dimension positive. */
#include "harness/error.h"
#include "tests/fuzz/fuzz.h"
#include "workloads/catalog.h"

const char sq_fuzz_name[] = "catalog";

#define NAME "fuzz-workloads.csv"

static void check_workload(const sq_catalog *c, const sq_workload *w) {
  SQ_FUZZ_STR(w->name), SQ_FUZZ_STR(w->paper), SQ_FUZZ_STR(w->domain), SQ_FUZZ_STR(w->family);
  SQ_FUZZ_STR(w->kernel), SQ_FUZZ_STR(w->grid), SQ_FUZZ_STR(w->window), SQ_FUZZ_STR(w->op);
  SQ_FUZZ_CHECK(w->name[0] && !strpbrk(w->name, " ,\""), "workload name '%s'", w->name);
  SQ_FUZZ_CHECK(sq_catalog_find(c, w->name) == w, "workload name '%s' twice", w->name);
  SQ_FUZZ_CHECK(w->causal == 0 || w->causal == 1, "%s: causal %d", w->name, w->causal);
  SQ_FUZZ_CHECK(w->source && w->source[0] && w->notes, "%s: source or notes missing", w->name);
  for (int i = 0; i < SQ_WN_COUNT; i++)
    SQ_FUZZ_CHECK(w->num[i] == -1 || w->num[i] > 0, "%s: %s = %lld", w->name, sq_workload_num_names[i],
                  (long long)w->num[i]);
  if (!w->k) return;
  SQ_FUZZ_CHECK(w->k->modes & (w->causal ? SQ_CAUSAL : SQ_NONCAUSAL), "%s: %s lacks the row's mode", w->name,
                w->k->name);
  sq_problem p;
  SQ_FUZZ_CHECK(sq_workload_problem(w, &p) == 0, "%s: runnable row without a problem: %s", w->name, sq_last_error());
  SQ_FUZZ_CHECK(p.B > 0 && p.H > 0 && p.T > 0 && p.D > 0 && p.DV > 0, "%s: problem B=%lld H=%lld T=%lld D=%lld DV=%lld",
                w->name, (long long)p.B, (long long)p.H, (long long)p.T, (long long)p.D, (long long)p.DV);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sq_catalog c;
  sq_clear_error();
  /* A NULL text would mean "the embedded catalog". */
  const char *text = size ? (const char *)data : "";
  int rc = sq_catalog_parse(text, size, NAME, NULL, 0, NULL, 0, &c);
  if (rc) {
    sq_fuzz_refused(rc, NAME);
    SQ_FUZZ_CHECK(c.n == 0 && !c.w && !c.papers, "a refused catalog keeps %d rows", c.n);
    return 0;
  }
  for (int i = 0; i < c.n; i++) check_workload(&c, &c.w[i]);
  int numbers, sourced;
  sq_catalog_source_share(&c, &numbers, &sourced);
  SQ_FUZZ_CHECK(sourced >= 0 && sourced <= numbers, "%d sourced of %d numbers", sourced, numbers);
  sq_catalog_free(&c);
  return 0;
}
