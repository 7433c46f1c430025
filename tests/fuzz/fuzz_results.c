/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the results file (results/result.c, sq_results_read) as
 * `compare`, `report` and `calibrate` read a file handed to them, without a
 * sidecar. The guarantees checked are in results_check.c. */
#include "tests/fuzz/fuzz.h"

const char sq_fuzz_name[] = "results";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[256];
  sq_fuzz_path(path, sizeof path, "results.csv");
  sq_fuzz_write(path, data, size);
  sq_fuzz_results(path);
  return 0;
}
