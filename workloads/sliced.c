/* SPDX-License-Identifier: BSD-3-Clause */
/* Running a case one (b, h) slice at a time, for problems whose tensors do
 * not fit the device as a whole. Each slice is a full case of its own (the
 * op's slice: B=1 and H=1, or one group's heads for Mamba-2; its own
 * seed), verified before it is timed; the row of the whole case
 * sums the slices' samples index by index, so its statistics are those of
 * running every slice back to back. The first slice that fails or is
 * skipped decides the row, naming the slice. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/stats.h"
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

/* "b=1 h=3": slice s's index on each batch axis (row-major, as the axes
 * are declared), counted in slices: a slice of Mamba-2 heads H/G wide
 * makes h the group. */
static void slice_name(const sq_problem *p, const sq_problem *one, int64_t s, char *buf, size_t n) {
  const sq_op *op = p->shape.op;
  int64_t idx[SQ_OP_MAX_AXES] = {0};
  for (int a = sq_op_naxes(op) - 1; a >= 0; a--) {
    if (!(op->axes[a].flags & SQ_AX_BATCH)) continue;
    int64_t len = sq_ax(p, a) / sq_ax(one, a);
    idx[a] = s % len;
    s /= len;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (int a = 0; a < sq_op_naxes(op) && used < n; a++)
    if (op->axes[a].flags & SQ_AX_BATCH)
      used += (size_t)snprintf(buf + used, n - used, "%s%c=%lld", used ? " " : "",
                               (char)tolower((unsigned char)op->axes[a].name[0]), (long long)idx[a]);
}

int sq_case_run_sliced(sq_device *dev, const sq_case *c, const sq_run_opts *o,
                       sq_result *out) {
  const sq_problem *p = &c->prob;
  int64_t nslices = (int64_t)sq_shape_slices(&p->shape);
  sq_case sc = *c;
  sq_shape_unbatch(&sc.prob.shape);
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
      char at[64];
      slice_name(p, &sc.prob, s, at, sizeof at);
      snprintf(out->reason, sizeof out->reason, "slice %s of %lld: %.160s", at, (long long)nslices, why);
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
  sq_case_describe(dev, c, out);   /* the whole case's identity, not the slice's */
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
  snprintf(out->reason, sizeof out->reason, "sliced into %lld slices%s%.200s",
           (long long)nslices, prev[0] ? "; " : "", prev);
  return 0;
}
