/* SPDX-License-Identifier: BSD-3-Clause */
/* The results reader's guarantees, checked by the results and the sidecar
 * targets on every input: a refusal frees everything and names the file; an
 * accepted file has terminated strings, known statuses, unique ids and, per
 * row, either no raw samples or as many as its `samples` column says; and it
 * survives a round trip through the writer unchanged (the writer prints every
 * number in a form that reads back to the same double, and quotes every text
 * cell that would not read back bare), so the reader never accepts what the
 * writer cannot reproduce. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "results/result.h"
#include "tests/fuzz/fuzz.h"

static void check_row(const sq_result *r) {
  SQ_FUZZ_STR(r->device), SQ_FUZZ_STR(r->backend), SQ_FUZZ_STR(r->arch), SQ_FUZZ_STR(r->kernel);
  SQ_FUZZ_STR(r->family), SQ_FUZZ_STR(r->dtype), SQ_FUZZ_STR(r->mode), SQ_FUZZ_STR(r->params);
  SQ_FUZZ_STR(r->config_source), SQ_FUZZ_STR(r->shape), SQ_FUZZ_STR(r->baseline), SQ_FUZZ_STR(r->reason);
  SQ_FUZZ_STR(r->verify), SQ_FUZZ_STR(r->suite), SQ_FUZZ_STR(r->workload);
  SQ_FUZZ_CHECK(r->status == SQ_STATUS_OK || r->status == SQ_STATUS_SKIPPED || r->status == SQ_STATUS_FAILED,
                "row %d: status %d", r->id, (int)r->status);
  SQ_FUZZ_CHECK(r->tokens >= 1, "row %d: tokens %lld", r->id, (long long)r->tokens);
  SQ_FUZZ_CHECK(r->nsamples == 0 || (r->nsamples == r->stats.n && r->samples),
                "row %d: %d raw samples, its samples column says %d", r->id, r->nsamples, r->stats.n);
  for (int i = 0; i < r->nsamples; i++)
    SQ_FUZZ_CHECK(sq_result_round(r, i) >= 0, "row %d: sample %d in round %d", r->id, i, sq_result_round(r, i));
}

static void check_accepted(const sq_results *res) {
  SQ_FUZZ_CHECK(res->n >= 0 && (res->n == 0 || res->rows), "%d rows at %p", res->n, (void *)res->rows);
  SQ_FUZZ_CHECK(res->meta.n >= 0 && res->meta.n <= SQ_META_MAX, "%d metadata lines", res->meta.n);
  for (int i = 0; i < res->meta.n; i++) {
    SQ_FUZZ_STR(res->meta.key[i]);
    SQ_FUZZ_STR(res->meta.value[i]);
  }
  for (int i = 0; i < res->n; i++) {
    check_row(&res->rows[i]);
    for (int j = 0; j < i; j++)
      SQ_FUZZ_CHECK(res->rows[j].id != res->rows[i].id, "row id %d twice", res->rows[i].id);
  }
}

static int same_double(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* Every field the file carries, compared after the round trip. */
static void check_same_row(const sq_result *a, const sq_result *b) {
#define S(f) SQ_FUZZ_CHECK(!strcmp(a->f, b->f), "row %d: " #f " '%s' came back as '%s'", a->id, a->f, b->f)
#define I(f) SQ_FUZZ_CHECK(a->f == b->f, "row %d: " #f " %lld came back as %lld", a->id, (long long)a->f, (long long)b->f)
#define D(f) SQ_FUZZ_CHECK(same_double(a->f, b->f), "row %d: " #f " %.17g came back as %.17g", a->id, a->f, b->f)
  I(id), S(device), S(backend), S(arch), S(kernel), S(family), I(causal);
  S(shape), I(tokens), S(baseline), S(dtype), S(mode), S(params), S(config_source);
  I(status), S(reason), S(verify), D(max_rel_err), D(tolerance), I(stats.n);
  D(stats.min), D(stats.q1), D(stats.median), D(stats.mean), D(stats.q3), D(stats.max);
  D(stats.stddev), D(stats.noise), D(gflops), D(gbs), D(peak_frac), D(pred_ms), D(pred_mem_bytes);
  S(suite), S(workload), I(nsamples);
  for (int i = 0; i < a->nsamples; i++) {
    D(samples[i]);
    SQ_FUZZ_CHECK(sq_result_round(a, i) == sq_result_round(b, i), "row %d: sample %d changed round", a->id, i);
  }
#undef S
#undef I
#undef D
}

static void round_trip(const sq_results *res) {
  char path[256];
  sq_fuzz_path(path, sizeof path, "roundtrip.csv");
  sq_results_writer *w;
  int rc = sq_results_open(path, &res->meta, &w);
  for (int i = 0; !rc && i < res->n; i++) rc = sq_results_write(w, &res->rows[i]);
  if (rc) sq_results_abort(w);
  else rc = sq_results_close(w);
  SQ_FUZZ_CHECK(rc == 0, "writing the accepted rows failed: %s", sq_last_error());
  sq_results back;
  rc = sq_results_read(path, &back);
  SQ_FUZZ_CHECK(rc == 0, "the writer's copy of an accepted file is refused: %s", sq_last_error());
  SQ_FUZZ_CHECK(back.n == res->n, "%d rows came back as %d", res->n, back.n);
  /* The writer heads the copy with a run id of its own (it never copies
   * one): every other metadata line must come back, in order, unless the
   * block was already full. */
  SQ_FUZZ_CHECK(sq_meta_get(&back.meta, "run_id") != NULL, "the copy has no run id");
  int a = 0, b = 0;
  for (;; a++, b++) {
    while (a < res->meta.n && !strcmp(res->meta.key[a], "run_id")) a++;
    while (b < back.meta.n && !strcmp(back.meta.key[b], "run_id")) b++;
    if (a >= res->meta.n || b >= back.meta.n) break;
    SQ_FUZZ_CHECK(!strcmp(back.meta.key[b], res->meta.key[a]) && !strcmp(back.meta.value[b], res->meta.value[a]),
                  "metadata '%s: %s' came back as '%s: %s'", res->meta.key[a], res->meta.value[a],
                  back.meta.key[b], back.meta.value[b]);
  }
  SQ_FUZZ_CHECK(a >= res->meta.n || back.meta.n == SQ_META_MAX, "metadata line '%s' was lost", res->meta.key[a]);
  for (int i = 0; i < res->n; i++) check_same_row(&res->rows[i], &back.rows[i]);
  sq_results_free(&back);
}

void sq_fuzz_results(const char *path) {
  /* Details name the results file or its sidecar: both start with the name
   * without its .csv. */
  char stem[256];
  snprintf(stem, sizeof stem, "%.*s", (int)strlen(path) - 4, path);
  sq_results res;
  sq_clear_error();
  int rc = sq_results_read(path, &res);
  if (rc) {
    sq_fuzz_refused(rc, stem);
    SQ_FUZZ_CHECK(res.n == 0 && !res.rows, "a refused file leaves %d rows", res.n);
    return;
  }
  check_accepted(&res);
  round_trip(&res);
  sq_results_free(&res);
}
