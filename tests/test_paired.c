/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the gate's paired verdict (reports/paired.c): the signed-rank
 * distribution and the Hodges-Lehmann interval against values worked out by
 * hand and from the published critical values, and golden verdicts on
 * constructed paired rows: identical sides, a 10 % shift either way, a 10 %
 * shift hidden inside drift that hits both sides of each round (where the
 * unpaired compare cannot call it), an A/A pair under the same drift, too
 * few rounds, wide noise, failing and skipped rows, a case on one side only,
 * a sample that is not a time, and the exit status each outcome calls for. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "reports/compare.h"
#include "reports/paired.h"
#include "tests/tap.h"

static int near(double a, double b, double tol) { return fabs(a - b) <= tol; }

static void signrank_tests(void) {
  /* n = 6: only the empty subset sums to 0, {1} to 1, {2} to 2, {3} and
   * {1,2} to 3: P(T+ <= 3) = 5/64. */
  tap_ok(near(sq_signrank_cdf(6, 0), 1 / 64.0, 1e-15) && near(sq_signrank_cdf(6, 3), 5 / 64.0, 1e-15),
         "signed-rank cdf n=6 by hand (%g, %g)", sq_signrank_cdf(6, 0), sq_signrank_cdf(6, 3));
  /* The two-sided 5 % critical value for n = 10 is 8 (published tables):
   * P(T+ <= 8) = 25/1024 <= 0.025 < P(T+ <= 9) = 33/1024. */
  tap_ok(near(sq_signrank_cdf(10, 8), 25 / 1024.0, 1e-15) && near(sq_signrank_cdf(10, 9), 33 / 1024.0, 1e-15),
         "signed-rank cdf n=10 at the 5%% critical value (%g, %g)", sq_signrank_cdf(10, 8),
         sq_signrank_cdf(10, 9));
  tap_ok(sq_signrank_cdf(10, 55) == 1 && sq_signrank_cdf(10, -1) == 0, "cdf ends at 0 and 1");
  double total = 0;
  for (int t = 0; t <= 20 * 21 / 2; t++) total = sq_signrank_cdf(20, t);
  tap_ok(near(total, 1, 1e-12), "cdf n=20 reaches 1 (%g)", total);
}

static void hl_tests(void) {
  double est, lo, hi, cov;
  /* {1, 2, 3}: Walsh averages 1, 1.5, 2, 2, 2.5, 3, median 2; three
   * values cannot give a 95 % interval (P(T+ = 0) = 1/8). */
  double a[] = {1, 2, 3};
  int n = sq_hodges_lehmann(a, 3, 0.95, &est, &lo, &hi, &cov);
  tap_ok(n == 3 && est == 2 && isinf(lo) && isinf(hi) && cov == 0, "HL of 1,2,3 is 2, no 95%% interval (%g [%g, %g])",
         est, lo, hi);
  /* 1..10: 55 Walsh averages; c = 9, so the interval is the 9th smallest
   * and 9th largest: 3 and 8, with coverage 1 - 2 * 25/1024. */
  double b[10];
  for (int i = 0; i < 10; i++) b[i] = i + 1;
  n = sq_hodges_lehmann(b, 10, 0.95, &est, &lo, &hi, &cov);
  tap_ok(n == 10 && est == 5.5 && lo == 3 && hi == 8 && near(cov, 1 - 50 / 1024.0, 1e-12),
         "HL of 1..10: 5.5 in [3, 8], coverage %.4f (got %g [%g, %g])", cov, est, lo, hi);
  /* At 99 %: P(T+ <= 3) = 5/1024 <= 0.005 < P(T+ <= 4) = 7/1024, c = 4:
   * the 4th smallest and 4th largest Walsh averages, 2 and 9. */
  n = sq_hodges_lehmann(b, 10, 0.99, &est, &lo, &hi, &cov);
  tap_ok(n == 10 && lo == 2 && hi == 9 && near(cov, 1 - 10 / 1024.0, 1e-12),
         "HL of 1..10 at 99%%: [2, 9], coverage %.4f (got [%g, %g])", cov, lo, hi);
  /* NaNs are left out: the same answer. */
  double c[12] = {NAN, 1, 2, 3, 4, 5, NAN, 6, 7, 8, 9, 10};
  n = sq_hodges_lehmann(c, 12, 0.95, &est, &lo, &hi, &cov);
  tap_ok(n == 10 && est == 5.5 && lo == 3 && hi == 8, "NaN pairs are left out (%d values)", n);
  /* One wild value moves the estimate little. */
  b[9] = 1000;
  sq_hodges_lehmann(b, 10, 0.95, &est, &lo, &hi, &cov);
  tap_ok(est <= 6.5, "a wild value barely moves the estimate (%g)", est);
}

/* Deterministic jitter in [-1, 1). */
static unsigned rng = 12345;
static double jitter(void) {
  rng = rng * 1103515245u + 12345u;
  return ((rng >> 8) & 0xffff) / 32768.0 - 1;
}

/* A row measured in `rounds` rounds of 3 samples each, round k centred on
 * level[k] * scale, the samples spread by `spread` (a fraction). */
static void make_row(sq_result *r, const char *kernel, const double *level, int rounds, double scale,
                     double spread) {
  sq_result_init(r);
  snprintf(r->device, sizeof r->device, "opencl:0 test");
  snprintf(r->kernel, sizeof r->kernel, "%s", kernel);
  snprintf(r->shape, sizeof r->shape, "B=1,H=2,T=512,D=64");
  snprintf(r->dtype, sizeof r->dtype, "f32");
  snprintf(r->mode, sizeof r->mode, "cold");
  r->causal = 1;
  r->status = SQ_STATUS_OK;
  r->nsamples = rounds * 3;
  r->samples = malloc(sizeof *r->samples * (size_t)r->nsamples);
  r->sample_round = malloc(sizeof *r->sample_round * (size_t)r->nsamples);
  for (int k = 0; k < rounds; k++)
    for (int j = 0; j < 3; j++) {
      r->samples[3 * k + j] = level[k] * scale * (1 + spread * jitter());
      r->sample_round[3 * k + j] = k;
    }
  sq_stats_compute(r->samples, r->nsamples, &r->stats);
}

#define R 12

static sq_verdict paired(const sq_result *b, const sq_result *c, sq_paired *p) {
  sq_paired_opts o;
  sq_paired_defaults(&o);
  sq_paired_rows(b, c, &o, p);
  return p->verdict;
}

static void verdict_tests(void) {
  double calm[R], drift[R];
  /* The drifting machine: slow episodes of 1.6x that come and go. */
  for (int k = 0; k < R; k++) {
    calm[k] = 2.0;
    drift[k] = (k % 4 < 2) ? 2.0 : 3.2;
  }
  sq_result b, c;
  sq_paired p;
  sq_verdict v;

  make_row(&b, "k", calm, R, 1, 0.01);
  make_row(&c, "k", calm, R, 1, 0);
  memcpy(c.samples, b.samples, sizeof *b.samples * (size_t)b.nsamples);
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_SAME && p.ratio == 1 && p.npairs == R,
         "identical sides: SAME, ratio 1 (%s %g, %d pairs)", sq_verdict_name(p.verdict), p.ratio, p.npairs);
  sq_result_free(&c);

  make_row(&c, "k", calm, R, 1.10, 0.01);
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_SLOWER && near(p.ratio, 1.10, 0.01) && p.lo > 1.05,
         "10%% slower: SLOWER (%s %.3f [%.3f, %.3f])", sq_verdict_name(p.verdict), p.ratio, p.lo, p.hi);
  sq_result_free(&c);
  make_row(&c, "k", calm, R, 0.90, 0.01);
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_FASTER && near(p.ratio, 0.90, 0.01) && p.hi < 0.95,
         "10%% faster: FASTER (%s %.3f [%.3f, %.3f])", sq_verdict_name(p.verdict), p.ratio, p.lo, p.hi);
  sq_result_free(&c);
  sq_result_free(&b);

  /* Drift that hits both sides of each round: the unpaired test sees
   * two wide, overlapping distributions; the pairs see the 10 %. */
  make_row(&b, "k", drift, R, 1, 0.01);
  make_row(&c, "k", drift, R, 1.10, 0.01);
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_SLOWER && near(p.ratio, 1.10, 0.01),
         "10%% inside 1.6x drift on both sides: SLOWER (%s %.3f [%.3f, %.3f])", sq_verdict_name(p.verdict), p.ratio,
         p.lo, p.hi);
  sq_compare_opts co;
  sq_compare_row cr;
  sq_compare_defaults(&co);
  sq_compare_pair(&b, &c, &co, &cr);
  tap_ok(cr.verdict != SQ_VERDICT_SLOWER, "the unpaired compare cannot call it (%s)", sq_verdict_name(cr.verdict));
  sq_result_free(&c);
  make_row(&c, "k", drift, R, 1, 0.01);
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_SAME, "A/A inside the same drift: SAME (%s %.3f [%.3f, %.3f])",
         sq_verdict_name(p.verdict), p.ratio, p.lo, p.hi);
  sq_result_free(&c);
  sq_result_free(&b);

  /* Too few rounds for an interval. */
  make_row(&b, "k", calm, 4, 1, 0.01);
  make_row(&c, "k", calm, 4, 1.5, 0.01);
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS && strstr(p.note, "too few") && strstr(p.note, "(8 are needed)"),
         "4 rounds: AMBIGUOUS, too few (%s: %s)", sq_verdict_name(p.verdict), p.note);
  sq_result_free(&c);
  sq_result_free(&b);

  /* Wide noise around a 5 % change: the interval straddles the threshold. */
  double wild[R];
  for (int k = 0; k < R; k++) wild[k] = 2.0 * (1 + 0.25 * jitter());
  make_row(&b, "k", calm, R, 1, 0.01);
  make_row(&c, "k", wild, R, 1.05, 0.01);
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS, "noisy rounds: AMBIGUOUS (%s %.3f [%.3f, %.3f])",
         sq_verdict_name(p.verdict), p.ratio, p.lo, p.hi);

  /* Failures and skips. */
  c.status = SQ_STATUS_FAILED;
  snprintf(c.reason, sizeof c.reason, "verify: wrong");
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_FAILED && strstr(p.note, "NEW failed"), "NEW failing: FAILED (%s)",
         p.note);
  v = paired(&c, &b, &p);
  tap_ok(v == SQ_VERDICT_FIXED, "BASE failing, NEW ok: FIXED (%s)", sq_verdict_name(p.verdict));
  c.status = SQ_STATUS_SKIPPED;
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS, "now skipped: AMBIGUOUS");
  c.status = SQ_STATUS_OK;
  c.samples[2] = NAN;
  v = paired(&b, &c, &p);
  tap_ok(v == SQ_VERDICT_INVALID, "a NaN sample: INVALID (%s)", p.note);
  c.samples[2] = 2;
  sq_result_free(&c);

  /* Whole files: a case on one side only, and the exit statuses. */
  sq_results fb = {0}, fc = {0};
  fb.n = 2, fc.n = 2;
  fb.rows = calloc(2, sizeof *fb.rows);
  fc.rows = calloc(2, sizeof *fc.rows);
  make_row(&fb.rows[0], "same", calm, R, 1, 0.01);
  make_row(&fc.rows[0], "same", calm, R, 1, 0.01);
  make_row(&fb.rows[1], "base_only", calm, R, 1, 0.01);
  make_row(&fc.rows[1], "new_only", calm, R, 1, 0.01);
  sq_paired_opts o;
  sq_paired_defaults(&o);
  sq_paired_table t;
  int rc = sq_paired_results(&fb, &fc, &o, &t);
  tap_ok(rc == 0 && t.n == 3 && t.rows[0].p.verdict == SQ_VERDICT_SAME && t.rows[1].p.verdict == SQ_VERDICT_ONLY_NEW &&
           t.rows[2].p.verdict == SQ_VERDICT_ONLY_BASE,
         "one-sided cases: ONLY-NEW and ONLY-BASE beside a SAME (%d rows)", t.n);
  tap_ok(sq_paired_status(&t, 1) == SQ_COMPARE_PASS, "exit 0 for SAME and one-sided rows");
  sq_paired_print(stdout, &t, 0, NULL);
  sq_paired_free(&t);
  sq_result_free(&fc.rows[0]);
  make_row(&fc.rows[0], "same", calm, R, 1.2, 0.01);
  sq_paired_results(&fb, &fc, &o, &t);
  tap_ok(sq_paired_status(&t, 1) == SQ_COMPARE_REGRESSION, "exit 1 for a SLOWER row");
  sq_paired_free(&t);
  sq_result_free(&fc.rows[0]);
  make_row(&fc.rows[0], "same", wild, R, 1.05, 0.01);
  sq_paired_results(&fb, &fc, &o, &t);
  tap_ok(sq_paired_status(&t, 1) == SQ_COMPARE_AMBIGUOUS && sq_paired_status(&t, 0) == SQ_COMPARE_PASS,
         "exit 2 for an AMBIGUOUS row (0 when ambiguity passes)");
  sq_paired_free(&t);
  snprintf(fc.rows[0].device, sizeof fc.rows[0].device, "cuda:0 other");
  tap_ok(sq_paired_results(&fb, &fc, &o, &t) == SQ_EMISMATCH, "different devices: SQ_EMISMATCH (%s)",
         sq_last_error());
  for (int i = 0; i < 2; i++) {
    sq_result_free(&fb.rows[i]);
    sq_result_free(&fc.rows[i]);
  }
  free(fb.rows);
  free(fc.rows);
  sq_result_free(&b);
}

int main(void) {
  signrank_tests();
  hl_tests();
  verdict_tests();
  return tap_done();
}
