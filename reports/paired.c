/* SPDX-License-Identifier: BSD-3-Clause */
/* The paired verdict (reports/paired.h): per-round medians, the
 * Hodges-Lehmann estimate with its exact signed-rank interval, the verdict
 * rule and the gate's table.
 *
 * Why Hodges-Lehmann with the exact interval rather than a bootstrap: the
 * gate gets few pairs (10 to a few dozen rounds), where a percentile
 * bootstrap's interval is too narrow (it cannot reach past the observed
 * extremes and undercovers badly under 20 values); the exact interval keeps
 * its stated coverage at any n under the one assumption that the log
 * ratios are symmetric about their median, which pairing makes plausible
 * (what is left is measurement noise of two like sides). It is also
 * deterministic: the same samples always give the same verdict, so golden
 * tests can pin verdicts and a gate never flips on a resampling seed. And
 * it is robust: the Walsh averages ignore a stray round as the median does,
 * where a t interval would be dragged by one interrupted round. */
#include "reports/paired.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/stats.h"
#include "reports/table.h"

void sq_paired_defaults(sq_paired_opts *o) {
  o->threshold = 0.05;
  /* 99 %, not 95 %: a suite judges a hundred rows at once, and on a
   * drifting machine the pairs are only roughly symmetric; a gate that
   * calls a change in an A/A run is worse than one that asks for rounds. */
  o->confidence = 0.99;
  o->ignore_device = 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_sorted(const double *v, int n) { return (v[(n - 1) / 2] + v[n / 2]) / 2; }

int sq_round_medians(const sq_result *r, double **out, int *n) {
  int rounds = 0;
  *out = NULL;
  *n = 0;
  for (int i = 0; i < r->nsamples; i++)
    if (sq_result_round(r, i) + 1 > rounds) rounds = sq_result_round(r, i) + 1;
  if (!rounds) return 0;
  double *med = malloc(sizeof *med * (size_t)rounds), *buf = malloc(sizeof *buf * (size_t)r->nsamples);
  if (!med || !buf) {
    free(med);
    free(buf);
    return sq_fail(SQ_ENOMEM, "no memory for round medians");
  }
  /* Rounds are few and rows short: one pass over the samples per round. */
  for (int k = 0; k < rounds; k++) {
    int m = 0;
    for (int i = 0; i < r->nsamples; i++)
      if (sq_result_round(r, i) == k) buf[m++] = r->samples[i];
    qsort(buf, (size_t)m, sizeof *buf, cmp_double);
    med[k] = m ? median_sorted(buf, m) : NAN;
  }
  free(buf);
  *out = med;
  *n = rounds;
  return 0;
}

#define SIGNRANK_MAX 1000

/* The signed-rank distribution of n values as cumulative probabilities
 * cdf[t] = P(T+ <= t), t = 0 .. n(n+1)/2 (malloc'ed; NULL when out of
 * memory). count[s], the subsets of {1..n} summing to s, is built one rank
 * at a time; in double it is exact up to 2^53 and within rounding after
 * (2^1000 still fits). */
static double *signrank_table(int n) {
  int top = n * (n + 1) / 2;
  double *count = calloc((size_t)top + 1, sizeof *count);
  if (!count) return NULL;
  count[0] = 1;
  for (int k = 1; k <= n; k++)
    for (int s = k * (k + 1) / 2; s >= k; s--) count[s] += count[s - k];
  double total = ldexp(1, n), below = 0;
  for (int s = 0; s <= top; s++) {
    below += count[s];
    count[s] = below / total;
  }
  return count;
}

double sq_signrank_cdf(int n, int t) {
  if (n < 0 || n > SIGNRANK_MAX) return NAN;
  if (t < 0) return 0;
  if (t >= n * (n + 1) / 2) return 1;
  double *cdf = signrank_table(n);
  double p = cdf ? cdf[t] : NAN;
  free(cdf);
  return p;
}

int sq_hodges_lehmann(const double *x, int n, double confidence, double *est, double *lo, double *hi,
                      double *coverage) {
  int m = 0;
  *est = NAN, *lo = -INFINITY, *hi = INFINITY, *coverage = 0;
  double *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
  if (!v) return sq_fail(SQ_ENOMEM, "no memory for the pairs");
  for (int i = 0; i < n; i++)
    if (!isnan(x[i])) v[m++] = x[i];
  if (m > SIGNRANK_MAX) m = SIGNRANK_MAX; /* a gate never runs this many rounds */
  if (!m) {
    free(v);
    return 0;
  }
  int nw = m * (m + 1) / 2;
  double *w = malloc(sizeof *w * (size_t)nw);
  if (!w) {
    free(v);
    return sq_fail(SQ_ENOMEM, "no memory for the Walsh averages");
  }
  int k = 0;
  for (int i = 0; i < m; i++)
    for (int j = i; j < m; j++) w[k++] = (v[i] + v[j]) / 2;
  qsort(w, (size_t)nw, sizeof *w, cmp_double);
  *est = median_sorted(w, nw);
  /* The interval runs from the c-th smallest to the c-th largest Walsh
   * average, c the least count with P(T+ < c) <= (1 - confidence) / 2;
   * its exact coverage is 1 - 2 P(T+ < c). One pass over the table. */
  double tail = (1 - confidence) / 2, *cdf = signrank_table(m);
  if (!cdf) {
    free(w);
    free(v);
    return sq_fail(SQ_ENOMEM, "no memory for the signed-rank table");
  }
  int c = 0;
  while (c < nw && cdf[c] <= tail) c++;
  if (c > 0) {
    *lo = w[c - 1];
    *hi = w[nw - c];
    *coverage = 1 - 2 * cdf[c - 1];
  }
  free(cdf);
  free(w);
  free(v);
  return m;
}

void sq_paired_judge(const double *base_rounds, const double *new_rounds, int nrounds, const sq_paired_opts *o,
                     sq_paired *out) {
  double *d = malloc(sizeof *d * (size_t)(nrounds > 0 ? nrounds : 1));
  double *b = malloc(sizeof *b * (size_t)(nrounds > 0 ? nrounds : 1)), *c = malloc(sizeof *c * (size_t)(nrounds > 0 ? nrounds : 1));
  int n = 0;
  out->verdict = SQ_VERDICT_AMBIGUOUS;
  if (!d || !b || !c) {
    snprintf(out->note, sizeof out->note, "out of memory");
    goto done;
  }
  for (int i = 0; i < nrounds; i++)
    if (base_rounds[i] > 0 && new_rounds[i] > 0 && isfinite(base_rounds[i]) && isfinite(new_rounds[i])) {
      d[n] = log(new_rounds[i] / base_rounds[i]);
      b[n] = base_rounds[i];
      c[n++] = new_rounds[i];
    }
  out->npairs = n;
  if (!n) {
    snprintf(out->note, sizeof out->note, "no round timed on both sides");
    goto done;
  }
  qsort(b, (size_t)n, sizeof *b, cmp_double);
  qsort(c, (size_t)n, sizeof *c, cmp_double);
  out->base_ms = median_sorted(b, n);
  out->new_ms = median_sorted(c, n);
  double est, lo, hi;
  if (sq_hodges_lehmann(d, n, o->confidence, &est, &lo, &hi, &out->coverage) < 0) {
    snprintf(out->note, sizeof out->note, "out of memory");
    goto done;
  }
  out->ratio = exp(est), out->lo = exp(lo), out->hi = exp(hi);
  double up = 1 + o->threshold, down = 1 - o->threshold;
  if (!(out->coverage > 0))
    snprintf(out->note, sizeof out->note, "%d paired rounds are too few for a %g%% interval (%d are needed)", n,
             o->confidence * 100, (int)ceil(log2(2 / (1 - o->confidence)) - 1e-9));
  else if (out->lo > up)
    out->verdict = SQ_VERDICT_SLOWER;
  else if (out->hi < down)
    out->verdict = SQ_VERDICT_FASTER;
  else if (out->lo >= down && out->hi <= up)
    out->verdict = SQ_VERDICT_SAME;
  else
    snprintf(out->note, sizeof out->note, "interval reaches across the +-%g%% threshold", o->threshold * 100);
done:
  free(d);
  free(b);
  free(c);
}

/* A timed side's per-round medians, or why it cannot be judged. */
static int bad_samples(const sq_result *r, char *why, size_t n) {
  for (int i = 0; i < r->nsamples; i++)
    if (!isfinite(r->samples[i]) || r->samples[i] < 0) {
      snprintf(why, n, "sample %d is %g", i, r->samples[i]);
      return 1;
    }
  return 0;
}

static void judge_ok(const sq_result *base, const sq_result *cur, const sq_paired_opts *o, sq_paired *out) {
  double *mb = NULL, *mc = NULL;
  int nb = 0, nc = 0;
  if (sq_round_medians(base, &mb, &nb) || sq_round_medians(cur, &mc, &nc)) {
    out->verdict = SQ_VERDICT_AMBIGUOUS;
    snprintf(out->note, sizeof out->note, "out of memory");
  } else if (!nb || !nc) {
    out->verdict = SQ_VERDICT_AMBIGUOUS;
    snprintf(out->note, sizeof out->note, "no samples on %s", !nb ? "BASE" : "NEW");
  } else {
    /* Rounds pair by number: round k of both sides was measured in the
     * same gate round, back to back. */
    sq_paired_judge(mb, mc, nb < nc ? nb : nc, o, out);
  }
  free(mb);
  free(mc);
}

void sq_paired_rows(const sq_result *base, const sq_result *cur, const sq_paired_opts *o, sq_paired *out) {
  memset(out, 0, sizeof *out);
  out->ratio = out->base_ms = out->new_ms = NAN;
  out->lo = -INFINITY, out->hi = INFINITY;
  char why[120];
  for (int side = 0; side < 2; side++) {
    const sq_result *r = side ? cur : base;
    if (r && r->status == SQ_STATUS_OK && bad_samples(r, why, sizeof why)) {
      out->verdict = SQ_VERDICT_INVALID;
      snprintf(out->note, sizeof out->note, "%s: %s, not a time", side ? "NEW" : "BASE", why);
      return;
    }
  }
  if (!base || !cur) {
    const sq_result *r = base ? base : cur;
    /* A failing row is a regression whether or not BASE knew it. */
    out->verdict = !base && r->status == SQ_STATUS_FAILED ? SQ_VERDICT_FAILED
                   : base                                ? SQ_VERDICT_ONLY_BASE
                                                         : SQ_VERDICT_ONLY_NEW;
    snprintf(out->note, sizeof out->note, "%s%s", out->verdict == SQ_VERDICT_FAILED ? "only in NEW: " : "",
             out->verdict == SQ_VERDICT_FAILED ? r->reason : "");
  } else if (cur->status == SQ_STATUS_FAILED) {
    out->verdict = SQ_VERDICT_FAILED;
    snprintf(out->note, sizeof out->note, "%s: %s",
             base->status == SQ_STATUS_FAILED ? "failing on both sides" : "NEW failed", cur->reason);
  } else if (base->status == SQ_STATUS_FAILED) {
    out->verdict = cur->status == SQ_STATUS_OK ? SQ_VERDICT_FIXED : SQ_VERDICT_SKIPPED;
    snprintf(out->note, sizeof out->note, "BASE failed: %s", base->reason);
  } else if (base->status == SQ_STATUS_OK && cur->status == SQ_STATUS_OK) {
    judge_ok(base, cur, o, out);
  } else if (base->status == SQ_STATUS_OK) {
    out->verdict = SQ_VERDICT_AMBIGUOUS;
    snprintf(out->note, sizeof out->note, "now skipped: %s", cur->reason);
  } else {
    out->verdict = SQ_VERDICT_SKIPPED;
    snprintf(out->note, sizeof out->note, "%s", cur->status == SQ_STATUS_OK ? "skipped in BASE" : cur->reason);
  }
}

static int same_key(const sq_result *a, const sq_result *b, int ignore_device) {
  return (ignore_device || !strcmp(a->device, b->device)) && sq_result_same_case(a, b);
}

int sq_paired_results(const sq_results *base, const sq_results *cur, const sq_paired_opts *o, sq_paired_table *out) {
  memset(out, 0, sizeof *out);
  out->threshold = o->threshold;
  out->confidence = o->confidence;
  if (!o->ignore_device && base->n && cur->n && strcmp(base->rows[0].device, cur->rows[0].device))
    return sq_fail(SQ_EMISMATCH, "different devices: BASE has '%s', NEW has '%s'", base->rows[0].device,
                   cur->rows[0].device);
  out->rows = calloc((size_t)(base->n + cur->n) + 1, sizeof *out->rows);
  char *used = calloc((size_t)base->n + 1, 1);
  if (!out->rows || !used) {
    free(used);
    free(out->rows);
    out->rows = NULL;
    return sq_fail(SQ_ENOMEM, "paired verdicts: out of memory");
  }
  double logsum = 0;
  for (int i = 0; i < cur->n; i++) {
    int j;
    for (j = 0; j < base->n; j++)
      if (!used[j] && same_key(&base->rows[j], &cur->rows[i], o->ignore_device)) break;
    sq_paired_row *row = &out->rows[out->n++];
    row->cur = &cur->rows[i];
    if (j < base->n) used[j] = 1, row->base = &base->rows[j];
    sq_paired_rows(row->base, row->cur, o, &row->p);
  }
  for (int j = 0; j < base->n; j++)
    if (!used[j]) {
      sq_paired_row *row = &out->rows[out->n++];
      row->base = &base->rows[j];
      sq_paired_rows(row->base, NULL, o, &row->p);
    }
  free(used);
  for (int i = 0; i < out->n; i++) {
    const sq_paired *p = &out->rows[i].p;
    out->count[p->verdict]++;
    if (p->ratio > 0 && isfinite(p->ratio)) {
      logsum += log(p->ratio);
      out->ngeo++;
    }
  }
  out->geomean = out->ngeo ? exp(logsum / out->ngeo) : NAN;
  return 0;
}

int sq_paired_status(const sq_paired_table *t, int ambiguous_fails) {
  if (t->count[SQ_VERDICT_INVALID]) return SQ_COMPARE_BAD_INPUT;
  if (t->count[SQ_VERDICT_SLOWER] || t->count[SQ_VERDICT_FAILED]) return SQ_COMPARE_REGRESSION;
  if (t->count[SQ_VERDICT_AMBIGUOUS] && ambiguous_fails) return SQ_COMPARE_AMBIGUOUS;
  return SQ_COMPARE_PASS;
}

void sq_paired_uncount(sq_paired_table *t, const char *label) {
  for (int i = 0; i < t->n; i++) {
    const sq_result *k = t->rows[i].cur ? t->rows[i].cur : t->rows[i].base;
    if (!strcmp(k->workload, label)) t->count[t->rows[i].p.verdict]--;
  }
}

static void fmt_num(char *buf, size_t n, double x, const char *fmt) {
  if (isnan(x)) snprintf(buf, n, "-");
  else snprintf(buf, n, fmt, x);
}

static void fmt_pct(char *buf, size_t n, double ratio) {
  if (isnan(ratio)) snprintf(buf, n, "-");
  else if (isinf(ratio)) snprintf(buf, n, "inf");
  else snprintf(buf, n, "%+.1f%%", (ratio - 1) * 100);
}

void sq_paired_print(FILE *f, const sq_paired_table *t, int md, const char *skip_workload) {
  static const char *const head[] = {"verdict", "kernel", "causal", "shape", "dtype", "mode", "base ms",
                                     "new ms", "change", "interval", "rounds", "note"};
  sq_table tb;
  if (sq_table_init(&tb, 12, head) != 0) return;
  for (int col = 6; col <= 10; col++) sq_table_align_right(&tb, col);
  int shown = 0, count[SQ_VERDICT_COUNT] = {0};
  for (int i = 0; i < t->n; i++) {
    const sq_paired_row *r = &t->rows[i];
    const sq_result *k = r->cur ? r->cur : r->base;
    if (skip_workload && !strcmp(k->workload, skip_workload)) continue;
    char bms[32], cms[32], chg[32], lo[32], hi[32], iv[72], nr[16];
    fmt_num(bms, sizeof bms, r->p.base_ms, "%.4g");
    fmt_num(cms, sizeof cms, r->p.new_ms, "%.4g");
    fmt_pct(chg, sizeof chg, r->p.ratio);
    fmt_pct(lo, sizeof lo, r->p.lo);
    fmt_pct(hi, sizeof hi, r->p.hi);
    if (isnan(r->p.ratio) || !(r->p.coverage > 0)) snprintf(iv, sizeof iv, "-");
    else snprintf(iv, sizeof iv, "[%s, %s]", lo, hi);
    snprintf(nr, sizeof nr, "%d", r->p.npairs);
    const char *cells[] = {sq_verdict_name(r->p.verdict), k->kernel, k->causal ? "yes" : "no", k->shape, k->dtype,
                           k->mode, bms, cms, chg, iv, nr, r->p.note};
    sq_table_add(&tb, cells);
    count[r->p.verdict]++;
    shown++;
  }
  sq_table_print(f, &tb, md);
  sq_table_free(&tb);
  fprintf(f, "\n%d rows:", shown);
  for (int v = 0, first = 1; v < SQ_VERDICT_COUNT; v++)
    if (count[v]) {
      fprintf(f, "%s %d %s", first ? "" : ",", count[v], sq_verdict_name((sq_verdict)v));
      first = 0;
    }
  fprintf(f, "\n%s", md ? "\n" : "");
  fprintf(f, "change: Hodges-Lehmann median of the per-round ratios new/base; interval: its exact %g%% "
             "signed-rank interval; threshold +-%g%%\n",
          t->confidence * 100, t->threshold * 100);
}

void sq_paired_free(sq_paired_table *t) {
  free(t->rows);
  memset(t, 0, sizeof *t);
}
