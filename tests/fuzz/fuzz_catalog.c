/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: a workloads catalog given with `--catalog FILE`
 * (workloads/catalog.c, sq_catalog_parse with the embedded papers and no
 * paper check, as sq_catalog_load does for a path). The text is handed over
 * without a terminating NUL, as the parser takes a length. Guarantees: a
 * refusal frees everything and names the file; an accepted row has a unique
 * name without blanks, commas or quotes, causal 0 or 1, an op, a shape of
 * that op whose canonical text parses back to the same shape, a resolved
 * kernel of that op that supports the row's mode, and, when runnable, a
 * problem with every tensor non-empty. */
#include "base/error.h"
#include "tests/fuzz/fuzz.h"
#include "workloads/catalog.h"

const char sq_fuzz_name[] = "catalog";

#define NAME "fuzz-workloads.csv"

static void check_workload(const sq_catalog *c, const sq_workload *w) {
  SQ_FUZZ_STR(w->name), SQ_FUZZ_STR(w->paper), SQ_FUZZ_STR(w->domain), SQ_FUZZ_STR(w->family);
  SQ_FUZZ_STR(w->kernel), SQ_FUZZ_STR(w->shape_text), SQ_FUZZ_STR(w->words);
  SQ_FUZZ_CHECK(w->name[0] && !strpbrk(w->name, " ,\""), "workload name '%s'", w->name);
  SQ_FUZZ_CHECK(sq_catalog_find(c, w->name) == w, "workload name '%s' twice", w->name);
  SQ_FUZZ_CHECK(w->causal == 0 || w->causal == 1, "%s: causal %d", w->name, w->causal);
  SQ_FUZZ_CHECK(w->source && w->source[0] && w->notes, "%s: source or notes missing", w->name);
  SQ_FUZZ_CHECK(w->op && w->shape.op == w->op, "%s: shape of another op", w->name);
  char text[SQ_SHAPE_TEXT_MAX];
  sq_shape back;
  sq_shape_format(&w->shape, text, sizeof text);
  SQ_FUZZ_CHECK(!sq_shape_parse_op(w->op, text, w->causal, "fuzz", &back), "%s: canonical shape '%s' refused: %s",
                w->name, text, sq_last_error());
  char again[SQ_SHAPE_TEXT_MAX];
  sq_shape_format(&back, again, sizeof again);
  SQ_FUZZ_CHECK(!strcmp(text, again), "%s: shape '%s' reads back as '%s'", w->name, text, again);
  if (!w->k) return;
  SQ_FUZZ_CHECK(w->k->op == w->op, "%s: kernel %s of another op", w->name, w->k->name);
  SQ_FUZZ_CHECK(w->k->modes & (w->causal ? SQ_CAUSAL : SQ_NONCAUSAL), "%s: %s lacks the row's mode", w->name,
                w->k->name);
  sq_problem p;
  SQ_FUZZ_CHECK(sq_workload_problem(w, &p) == 0, "%s: runnable row without a problem: %s", w->name, sq_last_error());
  for (int t = 0; t < sq_op_ntensors(w->op); t++)
    SQ_FUZZ_CHECK(sq_tensor_elems(&p.shape, &w->op->tensors[t]) >= 1, "%s: tensor %s is empty", w->name,
                  w->op->tensors[t].name);
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
