/* Running a case one (b, h) slice at a time, for problems whose tensors do
 * not fit the device as a whole. Each slice is a full case of its own (B=1,
 * H=1, its own seed), verified before it is timed; the row of the whole case
 * sums the slices' samples index by index, so its statistics are those of
 * running every slice back to back. The first slice that fails or is
 * skipped decides the row, naming the slice. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "harness/stats.h"
#include "workloads/planner.h"

/* Adds slice row `r` into the running sums; 0 or SQ_ENOMEM. */
static int accumulate(double **sum, int *n, int *first, const sq_result *r) {
  if (*first) {
    *sum = calloc((size_t)(r->nsamples > 0 ? r->nsamples : 1), sizeof **sum);
    if (!*sum) return sq_fail(SQ_ENOMEM, "sliced run: no memory for %d samples", r->nsamples);
    *n = r->nsamples;
    *first = 0;
  } else if (r->nsamples < *n) {
    *n = r->nsamples;   /* keep only indices every slice has */
  }
  for (int i = 0; i < *n; i++) (*sum)[i] += r->samples[i];
  return 0;
}

int sq_case_run_sliced(sq_device *dev, const sq_case *c, const sq_run_opts *o,
                       sq_result *out) {
  const sq_problem *p = &c->prob;
  int64_t nslices = p->B * p->H;
  sq_case sc = *c;
  sc.prob.B = sc.prob.H = 1;
  sq_run_opts so = *o;
  double *sum = NULL, worst = 0;
  int nsum = 0, first = 1, rc = 0;
  char verify[32] = "";
  sq_result r;
  sq_result_init(&r);
  for (int64_t s = 0; s < nslices; s++) {
    so.seed = o->seed + (uint64_t)s;
    sq_result_init(&r);
    rc = sq_case_run(dev, &sc, &so, &r, NULL);
    if (rc) {
      sq_result_free(&r);
      break;
    }
    if (r.status != SQ_STATUS_OK) {
      /* The row of the whole case, with the failing slice's status. */
      char why[sizeof r.reason];
      snprintf(why, sizeof why, "%s", r.reason);
      sq_status st = r.status;
      sq_result_free(&r);
      sq_result_init(out);
      sq_case_describe(dev, c, out);
      out->status = st;
      snprintf(out->reason, sizeof out->reason, "slice b=%lld h=%lld of %lld: %.160s",
               (long long)(s / p->H), (long long)(s % p->H), (long long)nslices, why);
      free(sum);
      return 0;
    }
    if (r.max_rel_err > worst || s == 0) worst = r.max_rel_err;
    snprintf(verify, sizeof verify, "%s", r.verify);
    if (!o->verify_only && (rc = accumulate(&sum, &nsum, &first, &r))) {
      sq_result_free(&r);
      break;
    }
    if (s + 1 < nslices) sq_result_free(&r);
  }
  if (rc) {
    free(sum);
    return rc;
  }
  /* `r` is the last slice's row: keep its device, mode and tolerance, and
   * restore the whole problem. */
  *out = r;   /* `out` may arrive uninitialised: overwrite, never free */
  out->samples = NULL;
  out->sample_round = NULL;   /* slices run in one round; sums keep none */
  out->nsamples = 0;
  free(r.samples);
  free(r.sample_round);
  out->B = p->B;
  out->H = p->H;
  out->max_rel_err = worst;
  snprintf(out->verify, sizeof out->verify, "%s", verify);
  if (nsum > 0) {
    out->samples = sum;
    out->nsamples = nsum;
    sq_stats_compute(sum, nsum, &out->stats);
    sq_case_fill_metrics(dev, c, out);
  } else {
    free(sum);
  }
  char prev[sizeof out->reason];
  snprintf(prev, sizeof prev, "%s", out->reason);
  snprintf(out->reason, sizeof out->reason, "sliced into %lld (b,h) slices%s%.200s",
           (long long)nslices, prev[0] ? "; " : "", prev);
  return 0;
}
