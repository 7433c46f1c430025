/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the raw-sample sidecar (FILE.samples.csv, read by
 * sq_results_read after its results file). The results file is fixed and
 * valid, written once per process by the writer: rows 1 and 2 ok with 3 and
 * 2 samples, row 7 skipped with none, so the input's ids, counts and rounds
 * meet real rows. The guarantees checked are in results_check.c. */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "results/result.h"
#include "tests/fuzz/fuzz.h"

const char sq_fuzz_name[] = "sidecar";

static void fixed_row(sq_result *r, int id, sq_status st, int n) {
  sq_result_init(r);
  r->id = id;
  snprintf(r->device, sizeof r->device, "opencl:0 fuzz-device");
  snprintf(r->backend, sizeof r->backend, "opencl");
  snprintf(r->kernel, sizeof r->kernel, "linear_attn.causal_chunked");
  snprintf(r->family, sizeof r->family, "linear_attn");
  r->causal = 1;
  snprintf(r->shape, sizeof r->shape, "B=1,H=1,T=64,D=16,DV=16,feature=identity,normalize=0");
  snprintf(r->baseline, sizeof r->baseline, "B=1,H=1,T=64,D=16,DV=16");
  r->tokens = 64;
  snprintf(r->dtype, sizeof r->dtype, "f32");
  snprintf(r->mode, sizeof r->mode, "cold");
  r->status = st;
  r->stats.n = n;
  if (n) r->stats.min = r->stats.median = r->stats.mean = 0.25;
}

/* Writes the results file and checks that it reads back on its own, so a
 * change of the format that breaks the fixture fails loudly instead of
 * turning every input into a refusal. */
static void write_fixture(const char *path) {
  static const int ids[] = {1, 2, 7}, counts[] = {3, 2, 0};
  sq_results_writer *w;
  int rc = sq_results_open(path, NULL, &w);
  for (int i = 0; i < 3 && !rc; i++) {
    sq_result r;
    fixed_row(&r, ids[i], counts[i] ? SQ_STATUS_OK : SQ_STATUS_SKIPPED, counts[i]);
    rc = sq_results_write(w, &r);
  }
  if (rc) sq_results_abort(w);
  else rc = sq_results_close(w);
  sq_results res;
  if (!rc) rc = sq_results_read(path, &res);
  SQ_FUZZ_CHECK(rc == 0 && res.n == 3, "the fixed results file does not read back: %s", sq_last_error());
  sq_results_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  char path[256], spath[256];
  sq_fuzz_path(path, sizeof path, "fixed.csv");
  sq_fuzz_path(spath, sizeof spath, "fixed.samples.csv");
  if (!ready) {
    write_fixture(path);
    ready = 1;
  }
  sq_fuzz_write(spath, data, size);
  sq_fuzz_results(path);
  return 0;
}
