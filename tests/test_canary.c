/* SPDX-License-Identifier: BSD-3-Clause */
/* The canary after every output buffer catches a kernel that writes out of
 * bounds, and an output element that is never written fails verification
 * (outputs start as NaN): both give a `failed` row with a `verify:` reason
 * and no timing. The faulty kernels are test-only descriptors that copy V
 * into O, one writing one element too many, one skipping the last row. */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "harness/device.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "tests/tap.h"
#include "tests/test_device.h"

static const char *const faulty_text =
  "KERNEL copy_v(CGLOBAL STORE_T *RESTRICT v, GLOBAL STORE_T *RESTRICT o, int n) {\n"
  "  int i = GID(0);\n"
  "  if (i < n + OVERRUN - SKIP) STORE(o, i, LOAD(v, i));\n"
  "}\n";

static int no_check(const sq_problem *p, const int *pv, int nset, char *why, size_t n) { return 0; }

static int overrun;
static int skip_row;

static int plan_copy(const sq_problem *p, const int *pv, sq_plan *pl) {
  sq_plan_init(pl);
  sq_plan_problem_defines(pl, p);
  sq_plan_define(pl, "OVERRUN", overrun);
  sq_plan_define(pl, "SKIP", skip_row ? (long)att_DV(p) : 0);
  int n = (int)(att_B(p) * att_H(p) * att_T(p) * att_DV(p));
  sq_launch *l = sq_plan_launch(pl, "copy_v", (size_t)n + 64, 1, 1, 64, 1, 1);
  sq_arg_buf(l, SQ_ATT_V);
  sq_arg_buf(l, SQ_ATT_O);
  sq_arg_i32(l, n);
  return 0;
}

static sq_work work_copy(const sq_problem *p) {
  return (sq_work){.bytes = 8.0 * att_B(p) * att_H(p) * att_T(p) * att_DV(p)};
}

/* The "reference" of a copy is V itself. */
static int ref_copy(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                    double *const *out) {
  const float *v = in[SQ_ATT_V];
  double *o = out[SQ_ATT_O];
  for (int64_t bh = 0; bh < att_B(p) * att_H(p); bh++)
    for (int64_t r = 0; r < nrows; r++)
      for (int64_t j = 0; j < att_DV(p); j++) o[(bh * nrows + r) * att_DV(p) + j] = v[(bh * att_T(p) + rows[r]) * att_DV(p) + j];
  return 0;
}

static double cost_copy(const sq_problem *p) { return (double)att_DV(p); }

static const sq_kernel copy_kernel = {
  .name = "test.copy_v", .op = &sq_op_softmax_attn, .family = "test", .doc = "copies V into O", .source = &faulty_text,
  .modes = SQ_CAUSAL | SQ_NONCAUSAL, .check = no_check, .plan = plan_copy, .work = work_copy,
  .reference = ref_copy, .reference_row_cost = cost_copy};

static void run_copy(sq_device *dev, int over, int skip, sq_result *r) {
  overrun = over;
  skip_row = skip;
  sq_case c = {.kernel = &copy_kernel};
  sq_att_problem(&c.prob, &sq_op_softmax_attn, 1, 2, 33, 8, 8, 1, SQ_F32);
  sq_run_opts o;
  sq_run_defaults(&o);
  o.measure.min_samples = 1;
  o.measure.min_time_s = 0;
  sq_case_run(dev, &c, &o, r, NULL);
}

int main(void) {
  sq_device *dev;
  if (test_device_open(&dev)) {
    tap_skip("canary", TEST_DEVICE_MISSING);
    return tap_done();
  }
  sq_result r;
  run_copy(dev, 0, 0, &r);
  tap_ok(r.status == SQ_STATUS_OK && r.max_rel_err == 0 && r.nsamples > 0,
         "an in-bounds copy verifies and is timed (%s %s)", sq_status_name(r.status), r.reason);
  sq_result_free(&r);
  sq_fail(SQ_EINVAL, "an older failure");
  run_copy(dev, 1, 0, &r);
  tap_ok(r.status == SQ_STATUS_FAILED && strstr(r.reason, "canary") && r.nsamples == 0,
         "a write one element past O is caught by the canary and not timed (%s)", r.reason);
  tap_ok(!sq_last_error()[0], "a case's failure is its row's: no detail is left for the caller ('%s')",
         sq_last_error());
  sq_result_free(&r);
  run_copy(dev, 0, 1, &r);
  tap_ok(r.status == SQ_STATUS_FAILED && strstr(r.reason, "verify") && strstr(r.reason, "NaN") && r.nsamples == 0,
         "an output row never written fails verification as NaN (%s)", r.reason);
  sq_result_free(&r);
  sq_run_release_programs(dev);
  sq_device_close(dev);
  return tap_done();
}
