/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the regression gate's statistics (reports/mannwhitney.c,
 * reports/compare.c): the U statistic and its p-value against cases worked
 * out by hand (exact distribution, ties and the normal approximation), and
 * golden verdicts on constructed sample sets: identical, shifted by 10 %,
 * wide overlapping noise, a small real shift under the threshold, failing
 * and skipped rows, rows on one side only, mismatched devices, rows measured
 * in rounds whose rounds overlap or do not, rows whose times are not times
 * (NaN, infinite or negative samples or statistics), and the exit status
 * each outcome calls for. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/stats.h"
#include "reports/compare.h"
#include "reports/mannwhitney.h"
#include "tests/tap.h"

static int near(double a, double b, double rel) { return fabs(a - b) <= rel * fabs(b); }

static void mwu_tests(void) {
  sq_mwu m;
  int rc;
  /* {1,2,3} vs {4,5,6}: no pair favours a, U = 0; of the C(6,3) = 20
   * equally likely orderings only one has U = 0, so p = 2 * 1/20. */
  double a1[] = {1, 2, 3}, b1[] = {4, 5, 6};
  rc = sq_mwu_test(a1, 3, b1, 3, &m);
  tap_ok(rc == 0 && m.u == 0 && m.exact && near(m.p, 0.1, 1e-12),
         "U=0 for separated 3+3: p = 2/20 (U=%g p=%g exact=%d)", m.u, m.p, m.exact);
  rc = sq_mwu_test(b1, 3, a1, 3, &m);
  tap_ok(rc == 0 && m.u == 9 && near(m.p, 0.1, 1e-12),
         "swapped samples: U = mn - U, same p (U=%g p=%g)", m.u, m.p);
  /* {1,3,5} vs {2,4,6}: pairs a > b are 3>2, 5>2, 5>4, U = 3. The counts of
   * U = 0..9 for m = n = 3 are 1,1,2,3,3,3,3,2,1,1, so P(U <= 3) = 7/20 and
   * p = 14/20. */
  double a2[] = {1, 3, 5}, b2[] = {2, 4, 6};
  rc = sq_mwu_test(a2, 3, b2, 3, &m);
  tap_ok(rc == 0 && m.u == 3 && near(m.p, 0.7, 1e-12),
         "interleaved 3+3: U = 3, p = 14/20 (U=%g p=%g)", m.u, m.p);
  static const int counts33[] = {1, 1, 2, 3, 3, 3, 3, 2, 1, 1};
  int cdf_ok = 1, cum = 0;
  for (int u = 0; u <= 9; u++) {
    cum += counts33[u];
    if (!near(sq_mwu_cdf_exact(3, 3, u), cum / 20.0, 1e-12)) cdf_ok = 0;
  }
  tap_ok(cdf_ok, "exact null distribution of U for m = n = 3 matches the hand count");
  /* {1,2} vs {3}: U = 0, 3 orderings, p = 2/3. */
  double a3[] = {1, 2}, b3[] = {3};
  rc = sq_mwu_test(a3, 2, b3, 1, &m);
  tap_ok(rc == 0 && m.u == 0 && near(m.p, 2.0 / 3, 1e-12),
         "2+1: p = 2/3 (p=%g)", m.p);
  /* Ties: {1,2,2} vs {2,3,4}. Midranks 1, 3, 3 | 3, 5, 6 give R1 = 7 and
   * U = 7 - 6 = 1 (the two 2s each tie the other 2: 0.5 + 0.5). One run of
   * three ties: sum(t^3 - t) = 24, var = 9/12 * (7 - 24/30) = 4.65;
   * z = (|1 - 4.5| - 0.5) / sqrt(4.65) = 1.3912, p = erfc(z / sqrt 2) = 0.1642. */
  double a4[] = {1, 2, 2}, b4[] = {2, 3, 4};
  double z = 3 / sqrt(4.65), want = erfc(z / sqrt(2.0));
  rc = sq_mwu_test(a4, 3, b4, 3, &m);
  tap_ok(rc == 0 && m.u == 1 && m.ties && !m.exact && near(m.p, want, 1e-12) &&
             near(m.p, 0.1642, 1e-3),
         "ties: U = 1, normal approximation with tie correction p = %.4f (got U=%g p=%.4f)", want, m.u, m.p);
  /* Every value equal: the variance is 0, no evidence of a difference. */
  double a5[] = {5, 5}, b5[] = {5, 5};
  rc = sq_mwu_test(a5, 2, b5, 2, &m);
  tap_ok(rc == 0 && m.u == 2 && m.p == 1, "all tied: U = 2, p = 1");
  /* 30 + 30 separated, exact: p = 2 / C(60, 30) = 2 / 118264581564861424. */
  double a6[30], b6[30];
  for (int i = 0; i < 30; i++) a6[i] = i, b6[i] = 30 + i;
  rc = sq_mwu_test(a6, 30, b6, 30, &m);
  tap_ok(rc == 0 && m.exact && near(m.p, 2 / 118264581564861424.0, 1e-9),
         "30+30 separated: exact p = 2/C(60,30) (p=%g)", m.p);
  /* 60 + 60 separated: normal approximation, z = (1800 - 0.5) / sqrt(36300). */
  double a7[60], b7[60];
  for (int i = 0; i < 60; i++) a7[i] = i, b7[i] = 60 + i;
  want = erfc((1800 - 0.5) / sqrt(3600.0 / 12 * 121) / sqrt(2.0));
  rc = sq_mwu_test(a7, 60, b7, 60, &m);
  tap_ok(rc == 0 && !m.exact && near(m.p, want, 1e-9),
         "60+60 separated: normal approximation p = %g (p=%g)", want, m.p);
  double nan1[] = {NAN};
  tap_ok(sq_mwu_test(nan1, 1, b1, 3, &m) == SQ_EINVAL && sq_mwu_test(a1, 0, b1, 3, &m) == SQ_EINVAL,
         "NAN or empty sample is refused");
}

/* Deterministic noise: a 64-bit LCG mapped to [-0.5, 0.5). */
static uint64_t lcg = 12345;
static double noise(void) {
  lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(lcg >> 11) / 9007199254740992.0 - 0.5;
}

/* A timed row: n samples of median * (1 + width * noise). */
static void timed(sq_result *r, const char *kernel, long long T, double median, double width, int n) {
  sq_result_init(r);
  snprintf(r->device, sizeof r->device, "opencl:0 cpu");
  snprintf(r->kernel, sizeof r->kernel, "%s", kernel);
  snprintf(r->shape, sizeof r->shape, "B=1,H=4,T=%lld,D=64,DV=64", T);
  r->tokens = T;
  snprintf(r->dtype, sizeof r->dtype, "f32");
  snprintf(r->mode, sizeof r->mode, "hot");
  r->status = SQ_STATUS_OK;
  r->nsamples = n;
  r->samples = malloc(n * sizeof *r->samples);
  for (int i = 0; i < n; i++) r->samples[i] = median * (1 + width * noise());
  sq_stats_compute(r->samples, n, &r->stats);
}

static sq_verdict verdict_of(const sq_result *a, const sq_result *b, sq_compare_row *row) {
  sq_compare_opts o;
  sq_compare_defaults(&o);
  sq_compare_pair(a, b, &o, row);
  return row->verdict;
}

static void verdict_tests(void) {
  sq_result a, b;
  sq_compare_row row;
  sq_verdict v;

  timed(&a, "k", 4096, 10, 0.04, 20);
  timed(&b, "k", 4096, 10, 0, 20);
  memcpy(b.samples, a.samples, 20 * sizeof *a.samples);
  sq_stats_compute(b.samples, 20, &b.stats);
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_SAME && row.ratio == 1 && row.p == 1,
         "identical samples: SAME, ratio 1, p 1 (%s, p=%g)", sq_verdict_name(row.verdict), row.p);
  sq_result_free(&b);

  timed(&b, "k", 4096, 10, 0.04, 20);
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_SAME, "same distribution, new draws: SAME (%s, %+.1f%%)",
         sq_verdict_name(row.verdict), (row.ratio - 1) * 100);
  sq_result_free(&b);

  timed(&b, "k", 4096, 11, 0.04, 20);
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_SLOWER && row.p < 0.002 && row.gap > 0.01,
         "shifted +10%%, 4%% noise: SLOWER (%s, p=%g, gap=%.3f)", sq_verdict_name(row.verdict), row.p, row.gap);
  v = verdict_of(&b, &a, &row);
  tap_ok(v == SQ_VERDICT_FASTER, "shifted -10%%: FASTER (%s)",
         sq_verdict_name(row.verdict));
  sq_result_free(&b);

  timed(&b, "k", 4096, 11, 1.0, 20);
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS,
         "shifted +10%% under wide overlapping noise: AMBIGUOUS (%s, %+.1f%%, p=%g, note '%s')",
         sq_verdict_name(row.verdict), (row.ratio - 1) * 100, row.p, row.note);
  sq_result_free(&b);

  timed(&b, "k", 4096, 10.3, 0.002, 20);
  sq_result c;
  timed(&c, "k", 4096, 10, 0.002, 20);
  v = verdict_of(&c, &b, &row);
  tap_ok(v == SQ_VERDICT_SAME && row.p < 0.002,
         "a real +3%% shift under the 5%% threshold: SAME although significant (p=%g)", row.p);
  sq_result_free(&b);
  sq_result_free(&c);

  /* Too few samples for the exact test to reach p < 0.002 (2/C(12,6) = 0.0022). */
  timed(&b, "k", 4096, 20, 0.01, 6);
  timed(&c, "k", 4096, 10, 0.01, 6);
  v = verdict_of(&c, &b, &row);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS && row.exact && strstr(row.note, "too few samples (6 and 6)"),
         "6+6 samples twice as slow: AMBIGUOUS, the exact test cannot reach 0.002 (p=%g, '%s')", row.p, row.note);
  tap_ok(fabs(sq_compare_min_p(6, 6) - 2.0 / 924) < 1e-12 && sq_compare_min_p(7, 7) < 0.002,
         "smallest p: 2/C(12,6) = %.5f for 6+6, %.5f for 7+7", sq_compare_min_p(6, 6), sq_compare_min_p(7, 7));
  sq_result_free(&b);
  sq_result_free(&c);

  /* Summaries without raw samples: never SLOWER. */
  timed(&b, "k", 4096, 12, 0.01, 20);
  timed(&c, "k", 4096, 10, 0.01, 20);
  sq_result_free(&b);
  sq_result_free(&c);
  b.stats.n = c.stats.n = 0;
  v = verdict_of(&c, &b, &row);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS && isnan(row.p),
         "no raw samples, +20%%: AMBIGUOUS (%s)", row.note);

  timed(&b, "k", 4096, 10, 0.04, 20);
  b.status = SQ_STATUS_FAILED;
  snprintf(b.reason, sizeof b.reason, "verify: max rel err 0.3");
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_FAILED && strstr(row.note, "newly failing"),
         "newly failing row: FAILED (%s)", row.note);
  v = verdict_of(&b, &a, &row);
  tap_ok(v == SQ_VERDICT_FIXED, "failing in BASE, ok in NEW: FIXED");
  v = verdict_of(&b, &b, &row);
  tap_ok(v == SQ_VERDICT_FAILED && strstr(row.note, "still failing"),
         "failing on both sides: FAILED (still failing)");
  b.status = SQ_STATUS_SKIPPED;
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS, "measured, now skipped: AMBIGUOUS");
  v = verdict_of(&b, &b, &row);
  tap_ok(v == SQ_VERDICT_SKIPPED, "skipped on both sides: SKIPPED");
  sq_result_free(&b);
  sq_result_free(&a);
}

/* A row from samples given round by round: rounds[k] samples in round k. */
static void in_rounds(sq_result *r, const double *x, const int *per_round, int nrounds, int keep_rounds) {
  int n = 0;
  for (int k = 0; k < nrounds; k++) n += per_round[k];
  timed(r, "softmax_attn.flash", 4096, 1, 0, n);
  r->sample_round = keep_rounds ? malloc(n * sizeof *r->sample_round) : NULL;
  for (int k = 0, i = 0; k < nrounds; k++)
    for (int j = 0; j < per_round[k]; j++, i++) {
      r->samples[i] = x[i];
      if (keep_rounds) r->sample_round[i] = k;
    }
  sq_stats_compute(r->samples, n, &r->stats);
}

/* Rows measured in rounds (run --rounds): a shift between two runs counts
 * only when every round of one side is apart from every round of the other.
 * The first case is a real A/B pair from this VM (flash causal, T=4096, an
 * unchanged kernel): BASE caught the machine at 78 to 104 ms, NEW never left
 * its 75 ms level, and the samples alone called that 15 % FASTER. */
static void round_tests(void) {
  static const double base_x[] = {82.5, 81.2, 78.2, 78.0, 99.9, 100.1, 78.5, 78.3, 92.3, 100.8, 103.8, 89.0, 95.1};
  static const int base_n[] = {2, 2, 2, 2, 5};
  static const double new_x[] = {74.8, 75.0, 76.8, 76.6, 75.8, 75.7, 75.3, 75.4, 78.4, 78.6};
  static const int new_n[] = {2, 2, 2, 2, 2};
  sq_result a, b;
  sq_compare_row row;
  in_rounds(&a, base_x, base_n, 5, 0);
  in_rounds(&b, new_x, new_n, 5, 0);
  sq_verdict v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_FASTER && row.p < 0.002 && row.gap > 0.01 && isnan(row.round_gap),
         "drifting machine, rounds unknown: the samples alone say FASTER (%s, %+.1f%%, p=%.2g)",
         sq_verdict_name(v), (row.ratio - 1) * 100, row.p);
  sq_result_free(&a);
  sq_result_free(&b);
  in_rounds(&a, base_x, base_n, 5, 1);
  in_rounds(&b, new_x, new_n, 5, 1);
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS && row.rounds[0] == 5 && row.rounds[1] == 5 && row.round_gap < 0 &&
             near(row.round_lo[0], 78.1, 1e-12) && near(row.round_hi[1], 78.5, 1e-12) &&
             strstr(row.note, "rounds overlap"),
         "the same samples in 5 rounds each: AMBIGUOUS, BASE's best round 78.1 ms is not above NEW's worst 78.5 "
         "(%s, '%s')", sq_verdict_name(v), row.note);
  sq_result_free(&b);

  /* A slowdown larger than that machine's drift (its rounds span 28 %)
   * shows in every round: SLOWER. */
  double shifted[13];
  for (int i = 0; i < 13; i++) shifted[i] = base_x[i] * 1.35;
  in_rounds(&b, shifted, base_n, 5, 1);
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_SLOWER && row.round_gap > 0.01,
         "every sample +35%% on the drifting machine: SLOWER (%s, round gap %.3f)", sq_verdict_name(v),
         row.round_gap);
  sq_result_free(&b);

  /* On a steady machine a 10 % shift is SLOWER in rounds as without. */
  sq_result c, d;
  timed(&c, "k", 4096, 10, 0.04, 20);
  timed(&d, "k", 4096, 11, 0.04, 20);
  c.sample_round = malloc(20 * sizeof *c.sample_round);
  d.sample_round = malloc(20 * sizeof *d.sample_round);
  for (int i = 0; i < 20; i++) c.sample_round[i] = d.sample_round[i] = i / 4;
  v = verdict_of(&c, &d, &row);
  tap_ok(v == SQ_VERDICT_SLOWER && row.rounds[0] == 5 && row.round_gap > 0.01,
         "steady machine, +10%% in 5 rounds: SLOWER (%s, round gap %.3f)", sq_verdict_name(v), row.round_gap);
  sq_result_free(&c);
  sq_result_free(&d);

  /* Rounds on one side only: the sample tests decide alone. */
  in_rounds(&b, new_x, new_n, 5, 0);
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_FASTER && row.rounds[1] == 1 && isnan(row.round_gap),
         "rounds on one side only are not compared (%s)", sq_verdict_name(v));
  sq_result_free(&b);
  sq_result_free(&a);
}

/* Files: BASE has k1, k2 (ok), k3 (ok); NEW has k1 same, k2 +10 %, k4 only. */
static void file_tests(void) {
  sq_results base = {0}, cur = {0};
  base.n = 3, cur.n = 3;
  base.rows = calloc(3, sizeof(sq_result));
  cur.rows = calloc(3, sizeof(sq_result));
  timed(&base.rows[0], "k1", 1024, 5, 0.04, 20);
  timed(&base.rows[1], "k2", 1024, 8, 0.04, 20);
  timed(&base.rows[2], "k3", 1024, 9, 0.04, 20);
  timed(&cur.rows[0], "k1", 1024, 5, 0.04, 20);
  timed(&cur.rows[1], "k2", 1024, 8.8, 0.04, 20);
  timed(&cur.rows[2], "k4", 1024, 9, 0.04, 20);
  sq_compare_opts o;
  sq_compare_defaults(&o);
  sq_comparison c;
  int rc = sq_compare_results(&base, &cur, &o, &c);
  tap_ok(rc == 0 && c.n == 4, "match: 2 pairs and 2 one-sided rows (%d rows)", c.n);
  if (rc == 0) {
    tap_ok(c.count[SQ_VERDICT_SAME] == 1 && c.count[SQ_VERDICT_SLOWER] == 1 &&
               c.count[SQ_VERDICT_ONLY_BASE] == 1 && c.count[SQ_VERDICT_ONLY_NEW] == 1,
           "verdicts SAME, SLOWER, ONLY-BASE (k3), ONLY-NEW (k4)");
    tap_ok(c.rows[3].verdict == SQ_VERDICT_ONLY_BASE && !strcmp(c.rows[3].base->kernel, "k3") &&
               c.rows[2].verdict == SQ_VERDICT_ONLY_NEW && !strcmp(c.rows[2].cur->kernel, "k4"),
           "one-sided rows are listed with their kernel");
    double r0 = c.rows[0].ratio, r1 = c.rows[1].ratio;
    tap_ok(c.ngeo == 2 && near(c.geomean, sqrt(r0 * r1), 1e-12), "geometric mean of the ratios (%.4f)",
           c.geomean);
    tap_ok(sq_compare_status(&c, 1) == SQ_COMPARE_REGRESSION, "a SLOWER row: exit 1");
    /* Read as an A/A pair, the k2 shift is drift a gate must not call: the
     * least settings that silence it are just above its separation and
     * its change. */
    sq_calibration k;
    sq_compare_calibrate(&c, &o, &k);
    double sep = c.rows[1].gap, chg = c.rows[1].ratio - 1;
    tap_ok(k.ntimed == 2 && k.called == 1 && k.decides == &c.rows[1] && k.largest == &c.rows[1] &&
               k.gap > sep && k.gap <= sep + 0.01 + 1e-12 && k.threshold > chg && k.threshold <= chg + 0.01 + 1e-12,
           "calibration: k2 decides, --gap %g above its %.2f%% gap, --threshold %g above its %+.2f%%", k.gap * 100,
           sep * 100, k.threshold * 100, chg * 100);
    o.gap_floor = k.gap;
    sq_comparison c2 = {0};
    int none = sq_compare_results(&base, &cur, &o, &c2) == 0 && !c2.count[SQ_VERDICT_SLOWER];
    sq_compare_free(&c2);
    o.gap_floor = 0.01, o.threshold = k.threshold;
    none = none && sq_compare_results(&base, &cur, &o, &c2) == 0 && !c2.count[SQ_VERDICT_SLOWER];
    sq_compare_free(&c2);
    sq_compare_defaults(&o);
    tap_ok(none, "calibration: either suggested setting alone makes the pair call nothing");
    FILE *devnull = fopen("/dev/null", "w");
    sq_compare_print(devnull, &c, 0);
    sq_compare_print(devnull, &c, 1);
    fclose(devnull);
    sq_compare_free(&c);
  }
  /* Only ambiguous: NEW's k2 under wide noise. */
  sq_result_free(&cur.rows[1]);
  timed(&cur.rows[1], "k2", 1024, 8.8, 1.0, 20);
  rc = sq_compare_results(&base, &cur, &o, &c);
  tap_ok(rc == 0 && c.count[SQ_VERDICT_AMBIGUOUS] == 1 && sq_compare_status(&c, 1) == SQ_COMPARE_AMBIGUOUS &&
             sq_compare_status(&c, 0) == SQ_COMPARE_PASS,
         "only an ambiguous row: exit 2, or 0 with --ambiguous=pass");
  if (rc == 0) sq_compare_free(&c);
  /* A failing row only in NEW is a regression too. */
  cur.rows[2].status = SQ_STATUS_FAILED;
  rc = sq_compare_results(&base, &cur, &o, &c);
  tap_ok(rc == 0 && c.rows[2].verdict == SQ_VERDICT_FAILED && sq_compare_status(&c, 0) == SQ_COMPARE_REGRESSION,
         "a failing row only in NEW: FAILED, exit 1");
  if (rc == 0) sq_compare_free(&c);
  /* Another device. */
  for (int i = 0; i < 3; i++) snprintf(cur.rows[i].device, sizeof cur.rows[i].device, "cuda:0 H100");
  rc = sq_compare_results(&base, &cur, &o, &c);
  tap_ok(rc == SQ_EMISMATCH && strstr(sq_last_error(), "cuda:0 H100"), "different devices: SQ_EMISMATCH (%s)",
         sq_last_error());
  o.ignore_device = 1;
  rc = sq_compare_results(&base, &cur, &o, &c);
  tap_ok(rc == 0 && c.count[SQ_VERDICT_ONLY_BASE] == 1, "--ignore-device matches across devices");
  if (rc == 0) sq_compare_free(&c);
  sq_results_free(&base);
  sq_results_free(&cur);
}

/* Times that are not times (issue 10, item 3): no verdict may rest on them.
 * Before the guard a 2x slower side with one NaN sample was AMBIGUOUS and
 * passed with --ambiguous=pass, four inf samples a side were SAME, and
 * negative samples SAME. */
static void bad_time_tests(void) {
  sq_result a, b;
  sq_compare_row row;
  sq_verdict v;
  timed(&a, "k", 4096, 10, 0.04, 20);
  timed(&b, "k", 4096, 20, 0.04, 20);
  b.samples[7] = NAN;
  v = verdict_of(&a, &b, &row);
  tap_ok(v == SQ_VERDICT_INVALID && strstr(row.note, "NEW: sample 7 is nan"),
         "2x slower with one NaN sample: INVALID, not AMBIGUOUS (%s, '%s')", sq_verdict_name(v), row.note);
  sq_comparison c = {.n = 1, .rows = &row};
  c.count[v]++;
  tap_ok(sq_compare_status(&c, 0) == SQ_COMPARE_BAD_INPUT && sq_compare_status(&c, 1) == SQ_COMPARE_BAD_INPUT,
         "an INVALID row is bad input (exit 3) even with --ambiguous=pass");
  sq_result_free(&b);

  sq_result x, y;
  timed(&x, "k", 4096, 1, 0, 4);
  timed(&y, "k", 4096, 1, 0, 4);
  for (int i = 0; i < 4; i++) x.samples[i] = y.samples[i] = INFINITY;
  v = verdict_of(&x, &y, &row);
  tap_ok(v == SQ_VERDICT_INVALID && strstr(row.note, "BASE: sample 0 is inf"),
         "four inf samples a side: INVALID, not SAME (%s, '%s')", sq_verdict_name(v), row.note);
  for (int i = 0; i < 4; i++) x.samples[i] = -10 - i, y.samples[i] = -10 - i;
  v = verdict_of(&x, &y, &row);
  tap_ok(v == SQ_VERDICT_INVALID && strstr(row.note, "BASE: sample 0 is -10"),
         "negative samples: INVALID, not SAME (%s, '%s')", sq_verdict_name(v), row.note);
  x.samples[0] = 0;
  for (int i = 1; i < 4; i++) x.samples[i] = y.samples[i] = 1;
  y.samples[0] = 1;
  v = verdict_of(&x, &y, &row);
  tap_ok(v != SQ_VERDICT_INVALID, "a sample of 0 ms is a time (%s)", sq_verdict_name(v));
  sq_result_free(&x);
  sq_result_free(&y);

  /* Summaries without samples: a given statistic must be a time; an empty
   * (NaN) median is "no timing", as before. */
  timed(&x, "k", 4096, 10, 0.01, 20);
  timed(&y, "k", 4096, 10, 0.01, 20);
  sq_result_free(&x);
  sq_result_free(&y);
  x.stats.n = y.stats.n = 0;
  y.stats.median = -5;
  v = verdict_of(&x, &y, &row);
  tap_ok(v == SQ_VERDICT_INVALID && strstr(row.note, "NEW: median_ms is -5"),
         "no samples, negative median: INVALID ('%s')", row.note);
  y.stats.median = 10, y.stats.q1 = INFINITY;
  v = verdict_of(&x, &y, &row);
  tap_ok(v == SQ_VERDICT_INVALID && strstr(row.note, "NEW: q1_ms is inf"), "no samples, infinite Q1: INVALID ('%s')",
         row.note);
  y.stats.q1 = 9.9, y.stats.median = NAN;
  v = verdict_of(&x, &y, &row);
  tap_ok(v == SQ_VERDICT_AMBIGUOUS && strstr(row.note, "no timing on NEW"),
         "no samples, empty median: AMBIGUOUS, no timing (%s, '%s')", sq_verdict_name(v), row.note);

  /* Files: the whole comparison is refused, naming the side and the row,
   * also when the bad row has no partner. */
  sq_results base = {0}, cur = {0};
  base.n = 1, cur.n = 2;
  base.rows = calloc(1, sizeof(sq_result));
  cur.rows = calloc(2, sizeof(sq_result));
  timed(&base.rows[0], "k1", 1024, 5, 0.04, 20);
  timed(&cur.rows[0], "k1", 1024, 5, 0.04, 20);
  timed(&cur.rows[1], "k9", 1024, 5, 0.04, 20);
  cur.rows[1].id = 1;
  cur.rows[1].samples[3] = -1;
  sq_compare_opts o;
  sq_compare_defaults(&o);
  int rc = sq_compare_results(&base, &cur, &o, &c);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), "NEW row id 1 (k9, T=1024): sample 3 is -1"),
         "a negative sample in a row only in NEW: SQ_EPARSE (%s)", sq_last_error());
  if (rc == 0) sq_compare_free(&c);
  cur.rows[1].samples[3] = 5;
  rc = sq_compare_results(&base, &cur, &o, &c);
  tap_ok(rc == 0 && c.count[SQ_VERDICT_INVALID] == 0, "the same files with the sample mended compare");
  if (rc == 0) sq_compare_free(&c);
  sq_results_free(&base);
  sq_results_free(&cur);
  sq_result_free(&a);
}

int main(void) {
  mwu_tests();
  verdict_tests();
  file_tests();
  round_tests();    /* after the file tests: its draws would move the noise they were tuned on */
  bad_time_tests(); /* and this after both, for the same reason */
  return tap_done();
}
