/* SPDX-License-Identifier: BSD-3-Clause */
/* Matching and judging rows for `subquad compare`. The statistics of a row
 * are recomputed from its raw samples when it has them, so a verdict never
 * depends on how the writer summarised them; without samples the row's own
 * summary serves for the table but no U test can run, so such a pair can
 * only be SAME or AMBIGUOUS, never SLOWER. A time that is not a finite
 * number >= 0, in a sample or a summary used, makes no verdict at all: the
 * pair is INVALID and the comparison bad input. */
#include "reports/compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/stats.h"
#include "reports/mannwhitney.h"
#include "reports/table.h"

static const char *const verdict_names[SQ_VERDICT_COUNT] = {
    "SAME", "FASTER", "SLOWER", "AMBIGUOUS", "FAILED", "FIXED", "SKIPPED", "ONLY-BASE", "ONLY-NEW", "INVALID"};

const char *sq_verdict_name(sq_verdict v) {
  return (unsigned)v < SQ_VERDICT_COUNT ? verdict_names[v] : "?";
}

void sq_compare_defaults(sq_compare_opts *o) {
  o->threshold = 0.05;
  o->alpha = 0.002;
  o->gap_floor = 0.01;
  o->ignore_device = 0;
}

double sq_compare_min_p(int m, int n) {
  if (m < 1 || n < 1) return 1;
  /* 2 / C(m + n, m): both extreme orderings, each 1 of C(m + n, m). */
  double p = 2 * exp(lgamma(m + 1.0) + lgamma(n + 1.0) - lgamma(m + n + 1.0));
  return p > 1 ? 1 : p;
}

static void row_stats(const sq_result *r, sq_stats *s) {
  if (r->nsamples > 0) sq_stats_compute(r->samples, r->nsamples, s);
  else *s = r->stats;
}

typedef struct round_sample {
  int round;
  double ms;
} round_sample;

static int by_round_then_ms(const void *a, const void *b) {
  const round_sample *x = a, *y = b;
  if (x->round != y->round) return (x->round > y->round) - (x->round < y->round);
  return (x->ms > y->ms) - (x->ms < y->ms);
}

/* The spread of a row's measuring rounds (run --rounds): the lowest and
 * highest of its per-round medians. Samples of one round were taken back to
 * back and share whatever the machine was doing then; rounds are spread over
 * the run, so their spread is what the run-to-run noise looks like. Returns
 * the number of rounds; 0 without raw samples or memory. */
static int round_spread(const sq_result *r, double *lo, double *hi) {
  int n = r->nsamples;
  round_sample *s = n > 0 ? malloc(sizeof *s * (size_t)n) : NULL;
  if (!s) return 0;
  for (int i = 0; i < n; i++) s[i] = (round_sample){sq_result_round(r, i), r->samples[i]};
  /* Sorted by round, each round's samples in order: every round is one
   * sorted run, wherever its samples stood in the file. */
  qsort(s, (size_t)n, sizeof *s, by_round_then_ms);
  int rounds = 0;
  *lo = INFINITY, *hi = -INFINITY;
  for (int a = 0, b; a < n; a = b) {
    for (b = a + 1; b < n && s[b].round == s[a].round; b++) {}
    double median = (s[a + (b - a - 1) / 2].ms + s[a + (b - a) / 2].ms) / 2;
    *lo = fmin(*lo, median);
    *hi = fmax(*hi, median);
    rounds++;
  }
  free(s);
  return rounds;
}

/* How far apart a pair's sides stand: its [min, Q3] gap, or its round gap
 * when that is smaller; what must exceed the --gap floor. */
static double separation(const sq_compare_row *r) {
  return isnan(r->round_gap) ? r->gap : fmin(r->gap, r->round_gap);
}

/* Why two timed rows are not apart enough, for the note. */
static void apart_note(const sq_compare_row *out, const sq_compare_opts *o, char *buf, size_t n) {
  if (out->gap <= o->gap_floor)
    snprintf(buf, n, "[min, Q3] intervals %s", out->gap > 0 ? "too close" : "overlap");
  else
    snprintf(buf, n, "rounds %s: BASE's %d round medians %.4g-%.4g ms, NEW's %d %.4g-%.4g ms",
             out->round_gap > 0 ? "too close" : "overlap", out->rounds[0], out->round_lo[0], out->round_hi[0],
             out->rounds[1], out->round_lo[1], out->round_hi[1]);
}

/* Judges two timed rows. */
static void judge_timed(const sq_result *base, const sq_result *cur, const sq_compare_opts *o,
                        sq_compare_row *out) {
  sq_stats sb, sc;
  row_stats(base, &sb);
  row_stats(cur, &sc);
  out->base_ms = sb.median;
  out->cur_ms = sc.median;
  if (!(sb.median > 0) || !(sc.median > 0)) {
    out->verdict = SQ_VERDICT_AMBIGUOUS;
    snprintf(out->note, sizeof out->note, "no timing on %s", !(sb.median > 0) ? "BASE" : "NEW");
    return;
  }
  out->ratio = sc.median / sb.median;
  int slower = out->ratio > 1;
  /* The gap between the [min, Q3] intervals, positive when they are apart:
   * the slower side's best sample against the faster side's third quartile. */
  out->gap = slower ? (sc.min - sb.q3) / sb.median : (sb.min - sc.q3) / sb.median;
  /* Measured in rounds on both sides: every round of the slower side must
   * be slower than every round of the faster one too. Samples within a
   * round are not independent (a slow spell of the machine covers all of
   * them), so the U test alone can find a "significant" shift between two
   * runs that is only the machine; whole rounds apart is evidence the
   * machine's moods cannot fake as easily. */
  out->rounds[0] = round_spread(base, &out->round_lo[0], &out->round_hi[0]);
  out->rounds[1] = round_spread(cur, &out->round_lo[1], &out->round_hi[1]);
  if (out->rounds[0] > 1 && out->rounds[1] > 1)
    out->round_gap = slower ? (out->round_lo[1] - out->round_hi[0]) / sb.median
                            : (out->round_lo[0] - out->round_hi[1]) / sb.median;
  if (base->nsamples > 0 && cur->nsamples > 0) {
    sq_mwu m;
    if (sq_mwu_test(base->samples, base->nsamples, cur->samples, cur->nsamples, &m) == 0) {
      out->p = m.p;
      out->exact = m.exact;
    }
  }
  if (fabs(out->ratio - 1) <= o->threshold) {
    out->verdict = SQ_VERDICT_SAME;
    return;
  }
  int significant = !isnan(out->p) && out->p < o->alpha;
  int separated = separation(out) > o->gap_floor;
  if (significant && separated) {
    out->verdict = slower ? SQ_VERDICT_SLOWER : SQ_VERDICT_FASTER;
    return;
  }
  out->verdict = SQ_VERDICT_AMBIGUOUS;
  char apart[200];
  apart_note(out, o, apart, sizeof apart);
  if (isnan(out->p))
    snprintf(out->note, sizeof out->note, "no raw samples to test");
  else if (sq_compare_min_p(base->nsamples, cur->nsamples) >= o->alpha)
    snprintf(out->note, sizeof out->note, "too few samples (%d and %d) to reach p < %g", base->nsamples,
             cur->nsamples, o->alpha);
  else if (!significant && !separated)
    snprintf(out->note, sizeof out->note, "%s; p >= %g", apart, o->alpha);
  else if (!significant)
    snprintf(out->note, sizeof out->note, "p >= %g (n = %d, %d)", o->alpha, base->nsamples,
             cur->nsamples);
  else
    snprintf(out->note, sizeof out->note, "%s", apart);
}

static int bad_time(double x) { return !isfinite(x) || x < 0; }

const char *sq_compare_bad_timing(const sq_result *r, char *buf, size_t n) {
  if (r->status != SQ_STATUS_OK) return NULL;
  for (int i = 0; i < r->nsamples; i++)
    if (bad_time(r->samples[i])) {
      snprintf(buf, n, "sample %d is %g", i, r->samples[i]);
      return buf;
    }
  if (r->nsamples > 0) return NULL; /* the statistics are recomputed from the samples */
  /* Without samples the row's own summary is used; an empty cell reads as
   * NaN and means "not given", anything else must be a time. */
  static const char *const names[] = {"min_ms", "q1_ms", "median_ms", "q3_ms"};
  const double v[] = {r->stats.min, r->stats.q1, r->stats.median, r->stats.q3};
  for (int i = 0; i < 4; i++)
    if (!isnan(v[i]) && bad_time(v[i])) {
      snprintf(buf, n, "%s is %g", names[i], v[i]);
      return buf;
    }
  return NULL;
}

void sq_compare_pair(const sq_result *base, const sq_result *cur, const sq_compare_opts *o,
                     sq_compare_row *out) {
  memset(out, 0, sizeof *out);
  out->base = base;
  out->cur = cur;
  out->base_ms = out->cur_ms = out->ratio = out->gap = out->round_gap = out->p = NAN;
  char why[120];
  for (int side = 0; side < 2; side++)
    if (sq_compare_bad_timing(side ? cur : base, why, sizeof why)) {
      out->verdict = SQ_VERDICT_INVALID;
      snprintf(out->note, sizeof out->note, "%s: %s, not a time", side ? "NEW" : "BASE", why);
      return;
    }
  if (cur->status == SQ_STATUS_FAILED) {
    out->verdict = SQ_VERDICT_FAILED;
    snprintf(out->note, sizeof out->note, "%s: %s",
             base->status == SQ_STATUS_FAILED ? "still failing" : "newly failing", cur->reason);
  } else if (base->status == SQ_STATUS_FAILED) {
    out->verdict = cur->status == SQ_STATUS_OK ? SQ_VERDICT_FIXED : SQ_VERDICT_SKIPPED;
    snprintf(out->note, sizeof out->note, "failed in BASE: %s", base->reason);
  } else if (base->status == SQ_STATUS_OK && cur->status == SQ_STATUS_OK) {
    judge_timed(base, cur, o, out);
  } else if (base->status == SQ_STATUS_OK) {
    /* A measured case that is now skipped may hide a regression; it cannot
     * pass as SAME. */
    out->verdict = SQ_VERDICT_AMBIGUOUS;
    snprintf(out->note, sizeof out->note, "now skipped: %s", cur->reason);
  } else {
    out->verdict = SQ_VERDICT_SKIPPED;
    snprintf(out->note, sizeof out->note, "%s", cur->status == SQ_STATUS_OK ? "skipped in BASE" : cur->reason);
  }
}

/* One case on both sides (sq_result_same_case), on one device unless told
 * to ignore the devices. */
static int same_key(const sq_result *a, const sq_result *b, int ignore_device) {
  return (ignore_device || !strcmp(a->device, b->device)) && sq_result_same_case(a, b);
}

/* The distinct devices of a file, as "a, b" for messages; the count. */
static int devices_of(const sq_results *r, char *buf, size_t n) {
  int count = 0;
  buf[0] = 0;
  for (int i = 0; i < r->n; i++) {
    int seen = 0;
    for (int j = 0; j < i && !seen; j++) seen = !strcmp(r->rows[j].device, r->rows[i].device);
    if (seen) continue;
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s'%s'", count ? ", " : "", r->rows[i].device);
    /* The list goes into a one-line message. */
    for (char *p = buf + len; *p; p++) *p = sq_text_char(*p);
    count++;
  }
  return count;
}

/* 1 when every device of `a` occurs in `b`. */
static int devices_within(const sq_results *a, const sq_results *b) {
  for (int i = 0; i < a->n; i++) {
    int found = 0;
    for (int j = 0; j < b->n && !found; j++) found = !strcmp(a->rows[i].device, b->rows[j].device);
    if (!found) return 0;
  }
  return 1;
}

/* The first ok row of either file whose times cannot be judged, as an
 * SQ_EPARSE naming the side, the row and the value; 0 when none. */
static int check_times(const sq_results *base, const sq_results *cur) {
  for (int side = 0; side < 2; side++) {
    const sq_results *f = side ? cur : base;
    for (int i = 0; i < f->n; i++) {
      char why[120], name[200];
      if (!sq_compare_bad_timing(&f->rows[i], why, sizeof why)) continue;
      snprintf(name, sizeof name, "%s", f->rows[i].kernel);
      for (char *p = name; *p; p++) *p = sq_text_char(*p);
      return sq_fail(SQ_EPARSE, "%s row id %d (%s, T=%lld): %s; a time must be a finite number >= 0",
                     side ? "NEW" : "BASE", f->rows[i].id, name, (long long)f->rows[i].tokens, why);
    }
  }
  return 0;
}

int sq_compare_results(const sq_results *base, const sq_results *cur, const sq_compare_opts *o,
                       sq_comparison *out) {
  memset(out, 0, sizeof *out);
  int bad = check_times(base, cur);
  if (bad) return bad;
  char db[512], dc[512];
  int nb = devices_of(base, db, sizeof db);
  devices_of(cur, dc, sizeof dc);
  if (!o->ignore_device && (!devices_within(base, cur) || !devices_within(cur, base)))
    return sq_fail(SQ_EMISMATCH, "different devices: BASE has %s, NEW has %s (--ignore-device to compare anyway)",
                   db, dc);
  /* Devices over both sides: with --ignore-device they may differ. */
  out->multi_device = nb > 1 || (cur->n && base->n && strcmp(cur->rows[0].device, base->rows[0].device));
  for (int i = 1; i < cur->n && !out->multi_device; i++)
    out->multi_device = strcmp(cur->rows[i].device, cur->rows[0].device) != 0;
  out->rows = calloc((size_t)(base->n + cur->n) + 1, sizeof *out->rows);
  char *used = calloc((size_t)base->n + 1, 1);
  if (!out->rows || !used) {
    free(used);
    free(out->rows);
    out->rows = NULL;
    return sq_fail(SQ_ENOMEM, "compare: out of memory");
  }
  /* Rows with the same key pair up in order of appearance (a suite may
   * visit a shape twice, from two papers). */
  double logsum = 0;
  for (int i = 0; i < cur->n; i++) {
    const sq_result *c = &cur->rows[i];
    int j;
    for (j = 0; j < base->n; j++)
      if (!used[j] && same_key(&base->rows[j], c, o->ignore_device)) break;
    sq_compare_row *row = &out->rows[out->n++];
    if (j < base->n) {
      used[j] = 1;
      sq_compare_pair(&base->rows[j], c, o, row);
      if (row->ratio > 0 && isfinite(row->ratio)) {
        logsum += log(row->ratio);
        out->ngeo++;
      }
    } else {
      memset(row, 0, sizeof *row);
      row->cur = c;
      row->base_ms = row->ratio = row->gap = row->round_gap = row->p = NAN;
      row->cur_ms = c->status == SQ_STATUS_OK ? c->stats.median : NAN;
      /* A failing row is a regression whether or not BASE knew it. */
      row->verdict = c->status == SQ_STATUS_FAILED ? SQ_VERDICT_FAILED : SQ_VERDICT_ONLY_NEW;
      snprintf(row->note, sizeof row->note, "%s%s", c->status == SQ_STATUS_FAILED ? "only in NEW: " : "",
               c->status == SQ_STATUS_FAILED ? c->reason : "");
    }
  }
  for (int j = 0; j < base->n; j++) {
    if (used[j]) continue;
    sq_compare_row *row = &out->rows[out->n++];
    memset(row, 0, sizeof *row);
    row->base = &base->rows[j];
    row->base_ms = row->base->status == SQ_STATUS_OK ? row->base->stats.median : NAN;
    row->cur_ms = row->ratio = row->gap = row->round_gap = row->p = NAN;
    row->verdict = SQ_VERDICT_ONLY_BASE;
  }
  free(used);
  out->alpha = o->alpha;
  for (int i = 0; i < out->n; i++) {
    const sq_compare_row *r = &out->rows[i];
    out->count[r->verdict]++;
    if (r->base && r->cur && !isnan(r->ratio) && r->base->nsamples && r->cur->nsamples &&
        sq_compare_min_p(r->base->nsamples, r->cur->nsamples) >= o->alpha)
      out->few_samples++;
  }
  out->geomean = out->ngeo ? exp(logsum / out->ngeo) : NAN;
  return 0;
}

int sq_compare_status(const sq_comparison *c, int ambiguous_fails) {
  if (c->count[SQ_VERDICT_INVALID]) return SQ_COMPARE_BAD_INPUT;
  if (c->count[SQ_VERDICT_SLOWER] || c->count[SQ_VERDICT_FAILED]) return SQ_COMPARE_REGRESSION;
  if (c->count[SQ_VERDICT_AMBIGUOUS] && ambiguous_fails) return SQ_COMPARE_AMBIGUOUS;
  return SQ_COMPARE_PASS;
}

static void fmt_ms(char *buf, size_t n, double ms) {
  if (isnan(ms)) snprintf(buf, n, "-");
  else snprintf(buf, n, "%.4g", ms);
}

static void fmt_shape(char *buf, size_t n, const sq_result *r) { snprintf(buf, n, "%s", r->shape); }

/* Prints s as one line of text, or of Markdown. */
static void put_text(FILE *f, const char *s, int md) {
  if (md) sq_md_escape(f, s);
  else
    for (; *s; s++) fputc(sq_text_char(*s), f);
}

void sq_compare_print(FILE *f, const sq_comparison *c, int md) {
  static const char *const head[] = {"verdict", "device", "kernel", "causal", "shape", "dtype", "mode",
                                     "base ms", "new ms", "change", "p", "note"};
  /* One device: named once above the table instead of in every row. */
  int dev = c->multi_device, nc = dev ? 12 : 11;
  const char *h[12];
  for (int i = 0, j = 0; i < 12; i++)
    if (i != 1 || dev) h[j++] = head[i];
  if (!dev && c->n) {
    const sq_compare_row *r0 = &c->rows[0];
    const char *device = (r0->cur ? r0->cur : r0->base)->device;
    fprintf(f, "device: ");
    if (md) sq_md_code(f, device);
    else put_text(f, device, 0);
    fprintf(f, "\n\n");
  }
  sq_table t;
  if (sq_table_init(&t, nc, h) != 0) return;
  for (int col = 7; col <= 10; col++) sq_table_align_right(&t, col - !dev);
  for (int i = 0; i < c->n; i++) {
    const sq_compare_row *r = &c->rows[i];
    const sq_result *k = r->cur ? r->cur : r->base;
    char shape[SQ_SHAPE_TEXT_MAX], bms[32], cms[32], chg[32], p[32];
    fmt_shape(shape, sizeof shape, k);
    fmt_ms(bms, sizeof bms, r->base_ms);
    fmt_ms(cms, sizeof cms, r->cur_ms);
    if (isnan(r->ratio)) snprintf(chg, sizeof chg, "-");
    else snprintf(chg, sizeof chg, "%+.1f%%", (r->ratio - 1) * 100);
    if (isnan(r->p)) snprintf(p, sizeof p, "-");
    else snprintf(p, sizeof p, "%.2g%s", r->p, r->exact ? "" : "~");
    const char *cells[] = {sq_verdict_name(r->verdict), k->device, k->kernel, k->causal ? "yes" : "no",
                           shape, k->dtype, k->mode, bms, cms, chg, p, r->note};
    if (!dev) memmove(cells + 1, cells + 2, 10 * sizeof *cells);
    sq_table_add(&t, cells);
  }
  char geo[32] = "-";
  if (c->ngeo) snprintf(geo, sizeof geo, "%+.1f%%", (c->geomean - 1) * 100);
  char nrows[48];
  snprintf(nrows, sizeof nrows, "geometric mean of %d timed pairs", c->ngeo);
  const char *sum[] = {"geomean", "", "", "", "", "", "", "", "", geo, "", nrows};
  if (!dev) memmove(sum + 1, sum + 2, 10 * sizeof *sum);
  sq_table_add(&t, sum);
  sq_table_print(f, &t, md);
  sq_table_free(&t);
  fprintf(f, "%s", md ? "\n" : "\n");
  int first = 1;
  fprintf(f, "%d rows:", c->n);
  for (int v = 0; v < SQ_VERDICT_COUNT; v++)
    if (c->count[v]) {
      fprintf(f, "%s %d %s", first ? "" : ",", c->count[v], sq_verdict_name((sq_verdict)v));
      first = 0;
    }
  fprintf(f, "\n");
  if (md) fprintf(f, "\n");
  fprintf(f, "p: two-sided Mann-Whitney U (~ = normal approximation, else exact)\n");
  if (c->few_samples) {
    if (md) fputc('\n', f);
    fprintf(f, "note: %d timed pair%s too few raw samples to ever reach p < %g (at least 7 per side are needed); "
               "long cases stop at the timeout, so give them more (subquad run --min-samples 12 --timeout 60)\n",
            c->few_samples, c->few_samples == 1 ? " has" : "s have", c->alpha);
  }
}

/* The smallest whole percent strictly above a fraction, as a fraction. */
static double pct_above(double x) { return (floor(x * 100 + 1e-9) + 1) / 100; }

void sq_compare_calibrate(const sq_comparison *c, const sq_compare_opts *o, sq_calibration *k) {
  memset(k, 0, sizeof *k);
  k->gap = o->gap_floor, k->threshold = o->threshold;
  for (int i = 0; i < c->n; i++) {
    const sq_compare_row *r = &c->rows[i];
    if (isnan(r->p) || isnan(r->ratio)) continue;
    k->ntimed++;
    double change = fabs(r->ratio - 1);
    if (!k->largest || change > fabs(k->largest->ratio - 1)) k->largest = r;
    if (r->verdict != SQ_VERDICT_FASTER && r->verdict != SQ_VERDICT_SLOWER) continue;
    /* A called row passed every test; raising either the gap floor above
     * its separation or the threshold above its change would fail it. */
    k->called++;
    if (!k->decides || separation(r) > separation(k->decides)) k->decides = r;
    k->threshold = fmax(k->threshold, pct_above(change));
  }
  if (k->decides) k->gap = pct_above(separation(k->decides));
}

/* "kernel causal SHAPE", printed as put_text does; malloc'ed, NULL
 * when out of memory (the caller prints "?"). */
static char *row_name(const sq_compare_row *r, int md) {
  const sq_result *k = r->cur ? r->cur : r->base;
  char shape[SQ_SHAPE_TEXT_MAX], *s = NULL;
  size_t n = 0;
  fmt_shape(shape, sizeof shape, k);
  FILE *m = open_memstream(&s, &n);
  if (!m) return NULL;
  put_text(m, k->kernel, md);
  fprintf(m, " %s %s", k->causal ? "causal" : "non-causal", shape);
  fclose(m);
  return s;
}

void sq_calibration_print(FILE *f, const sq_calibration *k, const sq_compare_opts *o, int md) {
  char *name;
  const char *item = md ? "- " : "  ";
  fprintf(f, "%sA/A calibration (BASE and NEW taken as runs of one binary):%s\n", md ? "**" : "", md ? "**" : "");
  if (md) fputc('\n', f);
  if (!k->largest) {
    fprintf(f, "%sno timed pair with raw samples on both sides: nothing to calibrate from\n", item);
    return;
  }
  name = row_name(k->largest, md);
  fprintf(f, "%s%d timed pairs; the largest median change is %+.1f%% (%s)\n", item, k->ntimed,
          (k->largest->ratio - 1) * 100, name ? name : "?");
  free(name);
  if (!k->called) {
    fprintf(f, "%sno row was called a change: --gap %g --threshold %g hold on this machine for this pair\n", item,
            o->gap_floor * 100, o->threshold * 100);
    return;
  }
  name = row_name(k->decides, md);
  fprintf(f, "%s%d row%s called a change; a gate on this machine needs --gap %g (%s stands %.1f%% apart) or "
             "--threshold %g\n",
          item, k->called, k->called == 1 ? " was" : "s were", k->gap * 100, name ? name : "?",
          separation(k->decides) * 100, k->threshold * 100);
  free(name);
}

void sq_compare_free(sq_comparison *c) {
  free(c->rows);
  memset(c, 0, sizeof *c);
}
