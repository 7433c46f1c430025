/* SPDX-License-Identifier: BSD-3-Clause */
/* Suites and the feasibility planner, without running anything: the quick
 * suite covers every registered kernel and mode in order; scaling reaches
 * 8M tokens; catalog suites expand; unknown names are refused. The planner,
 * on a described (not opened) PoCL-like device with 24 GiB, predicts the
 * 8M-token chunked linear attention feasible and softmax at 8M infeasible
 * with a reason, slices a batch that fits only per (b, h), and plans the
 * whole scaling suite in well under a second. The catalog suites follow
 * every sub-quadratic row with softmax_attn.flash at its baseline shape
 * (the same B, H, T, D, DV and mode) and never run one case twice for it;
 * the vision suite holds every runnable vision row. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "tap.h"
#include "workloads/catalog.h"
#include "workloads/planner.h"
#include "workloads/suite.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Whether p is the op's sweep shape `text` at p's own token count: the
 * shape parsed from `text` and p's token axis, in the suites' form. A grid
 * op's token axis is a list (grid=32x16), so p's own values are reused. */
static int sweep_shape_is(const sq_problem *p, const char *text) {
  const sq_op *op = p->shape.op;
  char full[SQ_SHAPE_TEXT_MAX], a[SQ_SHAPE_TEXT_MAX], b[SQ_SHAPE_TEXT_MAX], tok[64];
  if (!text) return 0;
  const int ta = sq_op_token_axis(op);
  const sq_axis *ax = &op->axes[ta];
  int used = snprintf(tok, sizeof tok, "%s=", ax->name);
  for (int i = 0; i < (ax->kind == SQ_AXIS_LIST ? ax->len : 1); i++)
    used += snprintf(tok + used, sizeof tok - (size_t)used, "%s%lld", i ? "x" : "", (long long)p->shape.v[ta][i]);
  snprintf(full, sizeof full, "%s,%s", text, tok);
  sq_shape want;
  if (sq_shape_parse_op(op, full, p->causal, "sweep", &want)) return 0;
  sq_problem q = *p;
  q.shape = want;
  sq_suite_form(&q);
  sq_shape_format(&q.shape, a, sizeof a);
  sq_shape_format(&p->shape, b, sizeof b);
  return !strcmp(a, b);
}

static void quick(void) {
  sq_suite_case *v;
  int n, rc = sq_suite_expand("quick", &v, &n);
  if (!tap_ok(rc == 0, "quick expands")) return;
  int want = 0;
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    int modes = !!(k->modes & SQ_CAUSAL) + !!(k->modes & SQ_NONCAUSAL);
    /* An op without a causal form (the selective scan) is swept once. */
    if (k->op->quick_shape) want += 6 * (k->op->causal_key ? modes : 1);
  }
  /* Less the cases past 1 GiB of buffers: the 16K scores of the two
   * baselines that materialise them (naive, blas). */
  int scores16k = 0, flash16k = 0;
  for (int i = 0; i < n; i++) {
    const int big = sq_shape_tokens(&v[i].c.prob.shape) == 16384;
    scores16k += big && (!strcmp(v[i].c.kernel->name, "softmax_attn.naive") ||
                         !strcmp(v[i].c.kernel->name, "softmax_attn.blas"));
    flash16k += big && !strcmp(v[i].c.kernel->name, "softmax_attn.flash");
  }
  tap_ok(n == want - 4 && !scores16k && flash16k == 2,
         "quick has %d cases: every kernel of an op with a quick shape x mode x 6 lengths (%d), less the naive and "
         "blas baselines' two each at 16K tokens (2 GiB of scores; flash keeps its 16K cases)", n, want - 4);
  int ordered = 1, shape = 1;
  for (int i = 0; i < n; i++) {
    const sq_problem *p = &v[i].c.prob;
    int64_t T = sq_shape_tokens(&p->shape);
    if (!sweep_shape_is(p, p->shape.op->quick_shape) || p->dtype != SQ_F32 || T < 512 || T > 16384 ||
        strcmp(v[i].c.config_source, "default"))
      shape = 0;
    if (i > 0) {
      const sq_suite_case *a = &v[i - 1], *b = &v[i];
      int ka = 0, kb = 0;
      for (int k = 0; k < sq_nkernels; k++) {
        if (sq_kernels[k] == a->c.kernel) ka = k;
        if (sq_kernels[k] == b->c.kernel) kb = k;
      }
      if (ka > kb || (ka == kb && a->c.prob.causal < b->c.prob.causal) ||
          (ka == kb && a->c.prob.causal == b->c.prob.causal &&
           sq_shape_tokens(&a->c.prob.shape) != sq_shape_tokens(&b->c.prob.shape) / 2))
        ordered = 0;
    }
  }
  tap_ok(shape, "quick: each op's quick shape (attention: B=1 H=2 D=64) f32, T in 512..16384, default parameters");
  tap_ok(ordered, "quick is ordered by kernel, mode (causal first), T");
  free(v);
}

static int find_case(const sq_suite_case *v, int n, const char *kernel, int causal, int64_t T) {
  for (int i = 0; i < n; i++)
    if (!strcmp(v[i].c.kernel->name, kernel) && v[i].c.prob.causal == causal &&
        att_T(&v[i].c.prob) == T)
      return i;
  return -1;
}

static sq_device pocl24(void) {
  sq_device d;
  memset(&d, 0, sizeof d);
  snprintf(d.id, sizeof d.id, "opencl:0");
  snprintf(d.info.backend, sizeof d.info.backend, "opencl");
  d.info.compute_units = 2;
  d.info.global_mem = d.info.free_mem = d.info.max_alloc = 24ULL << 30;
  return d;
}

static void scaling(void) {
  sq_suite_case *v;
  int n, rc = sq_suite_expand("scaling", &v, &n);
  if (!tap_ok(rc == 0 && n > 0, "scaling expands (%d cases)", n)) return;
  int lin = find_case(v, n, "linear_attn.causal_chunked", 1, 8388608);
  int smx = find_case(v, n, "softmax_attn.flash", 1, 8388608);
  tap_ok(lin >= 0 && smx >= 0 && find_case(v, n, "softmax_attn.flash", 0, 1024) >= 0,
         "scaling runs T=1K..8M for linear and softmax kernels");
  int h1 = 1;
  for (int i = 0; i < n; i++) h1 &= sweep_shape_is(&v[i].c.prob, v[i].c.prob.shape.op->scaling_shape);
  tap_ok(h1, "scaling: each op's scaling shape (attention: B=1 H=1 D=64)");
  sq_device dev = pocl24();
  sq_prediction pr;
  if (lin >= 0) {
    rc = sq_predict(&dev, &v[lin].c, sq_suite_max_case_s("scaling"), &pr);
    tap_ok(rc == 0 && pr.feasible && !pr.sliced && pr.bytes > 8e9 && pr.bytes < 24e9,
           "8M causal_chunked is feasible on 24 GiB: %.1f GiB, %s", pr.bytes / 1073741824.0,
           pr.why);
  }
  if (smx >= 0) {
    double t0 = now_s();
    rc = sq_predict(&dev, &v[smx].c, 60, &pr);
    tap_ok(rc == 0 && !pr.feasible && strstr(pr.why, "predicted") && strstr(pr.why, "> 1 min") &&
               pr.ms > 3.6e6 && pr.bytes > 0,
           "8M softmax is infeasible: %s", pr.why);
    tap_ok(now_s() - t0 < 0.1, "and that is decided at once");
  }
  double t0 = now_s();
  int feasible = 0;
  for (int i = 0; i < n; i++) {
    if (sq_predict(&dev, &v[i].c, 60, &pr)) break;
    feasible += pr.feasible;
  }
  tap_ok(now_s() - t0 < 1.0, "the whole scaling suite is planned in %.3f s (%d of %d feasible)",
         now_s() - t0, feasible, n);
  tap_ok(sq_suite_max_case_s("scaling") == 300 && sq_suite_max_case_s("quick") == 60,
         "scaling runs under a 5 min case limit, the others 60 s");
  free(v);
}

static void planner_memory(void) {
  sq_device dev = pocl24();
  dev.info.free_mem = dev.info.global_mem = 4ULL << 30;
  dev.info.max_alloc = 1ULL << 30;
  sq_case_list l = {0};
  const sq_kernel *k = sq_kernel_find("linear_attn.noncausal");
  if (!tap_ok(k != NULL, "linear_attn.noncausal is registered")) return;
  /* 8 x 8 heads of 1M tokens x 64: 2 GiB per tensor, 64 MiB per slice. */
  sq_case_list_add(&l, k, 8, 8, 1 << 20, 64, 64, 0, "", "");
  /* One head of 8M tokens: a 2 GiB tensor that no slicing helps. */
  sq_case_list_add(&l, k, 1, 1, 1 << 23, 64, 64, 0, "", "");
  sq_prediction pr;
  int rc = sq_predict(&dev, &l.v[0].c, 1e9, &pr);
  tap_ok(rc == 0 && pr.feasible && pr.sliced && strstr(pr.why, "sliced into 64"),
         "a batch that fits only per (b,h) is sliced: %s", pr.why);
  dev.info.free_mem = dev.info.global_mem = 24ULL << 30;
  rc = sq_predict(&dev, &l.v[1].c, 1e9, &pr);
  tap_ok(rc == 0 && !pr.feasible && strstr(pr.why, "largest allocation"),
         "a single head too large is skipped: %s", pr.why);
  dev.info.max_alloc = 0;
  dev.info.free_mem = dev.info.global_mem = 4ULL << 30;
  rc = sq_predict(&dev, &l.v[1].c, 1e9, &pr);
  tap_ok(rc == 0 && !pr.feasible && strstr(pr.why, "GiB free"), "over free memory: %s", pr.why);
  rc = sq_predict(NULL, &l.v[1].c, 1e9, &pr);
  tap_ok(rc == 0 && pr.feasible, "without a device memory is not judged");
  /* A CPU device's buffers are host memory, and the runner's float copies
   * come out of it too: however much the device claims, a case larger
   * than the host's available memory is sliced (an out-of-memory kill
   * would end the whole run). 16 x 16 heads of 1M x 64: 64 GiB a tensor. */
  dev.info.free_mem = dev.info.global_mem = dev.info.max_alloc = 1ULL << 40;
  dev.info.host_unified = 1;
  setenv("SUBQUAD_HOST_MEMORY", "32G", 1);
  sq_case_list_add(&l, k, 16, 16, 1 << 20, 64, 64, 0, "", "");
  rc = sq_predict(&dev, &l.v[2].c, 1e9, &pr);
  tap_ok(rc == 0 && pr.feasible && pr.sliced && strstr(pr.why, "sliced into 256"),
         "a CPU device's case over the host's available memory is sliced: %s", pr.why);
  dev.info.host_unified = 0;
  rc = sq_predict(&dev, &l.v[2].c, 1e9, &pr);
  tap_ok(rc == 0 && pr.feasible && pr.sliced,
         "a GPU's case whose host copies exceed the host's memory is sliced too: %s", pr.why);
  dev.info.free_mem = dev.info.global_mem = 4ULL << 30;
  setenv("SUBQUAD_HOST_MEMORY", "64G", 1);
  sq_ax_set(&l.v[0].c.prob, SQ_ATT_T, 0);
  tap_ok(sq_predict(&dev, &l.v[0].c, 60, &pr) == SQ_EINVAL, "a zero dimension is refused");
  sq_case_list_free(&l);
}

static void catalog_suites(void) {
  const char *names[] = {"papers", "vision", "video", "pointcloud"};
  for (int s = 0; s < 4; s++) {
    sq_suite_case *v;
    int n, rc = sq_suite_expand(names[s], &v, &n), named = 1;
    for (int i = 0; i < n; i++) named &= v[i].workload[0] != 0 && v[i].c.kernel != NULL;
    tap_ok(rc == 0 && n > 0 && named, "%s expands to %d named cases", names[s], n);
    if (!rc) free(v);
  }
  sq_suite_case *v;
  int n;
  int rc = sq_suite_expand("bogus", &v, &n);
  tap_ok(rc == SQ_EINVAL && strstr(sq_last_error(), "bogus") && v == NULL && n == 0,
         "an unknown suite is refused naming it: %s", sq_last_error());
  int all = 1;
  for (int i = 0; sq_suite_names[i]; i++) all &= sq_suite_doc(sq_suite_names[i]) != NULL;
  tap_ok(all && sq_suite_doc("bogus") == NULL, "every suite name has a description");
}

/* The same case: kernel, mode, dtype and every axis value. */
static int same_case(const sq_case *a, const sq_case *b) {
  char ta[SQ_SHAPE_TEXT_MAX], tb[SQ_SHAPE_TEXT_MAX];
  sq_shape_format(&a->prob.shape, ta, sizeof ta);
  sq_shape_format(&b->prob.shape, tb, sizeof tb);
  return a->kernel == b->kernel && a->prob.causal == b->prob.causal && a->prob.dtype == b->prob.dtype &&
         !strcmp(ta, tb);
}

/* The index of the case of `kernel` under `workload`, or -1. */
static int case_of(const sq_suite_case *v, int n, const char *workload, const char *kernel) {
  for (int i = 0; i < n; i++)
    if (!strcmp(v[i].workload, workload) && !strcmp(v[i].c.kernel->name, kernel)) return i;
  return -1;
}

static int att_is(const sq_case *c, int causal, int64_t B, int64_t H, int64_t T, int64_t D, int64_t DV) {
  const sq_shape *s = &c->prob.shape;
  return c->prob.causal == causal && sq_shape_int(s, "B") == B && sq_shape_int(s, "H") == H &&
         sq_shape_tokens(s) == T && sq_shape_int(s, "D") == D && sq_shape_int(s, "DV") == DV;
}

/* Whether the softmax kernel runs the baseline of c (its head dims stop
 * at 256; the op's DV goes to 1024). */
static int has_baseline(const sq_case *c, sq_problem *b) {
  const sq_kernel *flash = sq_kernel_find("softmax_attn.flash");
  char why[160];
  b->causal = c->prob.causal;
  b->dtype = c->prob.dtype;
  if (c->kernel->quadratic || sq_shape_baseline(&c->prob.shape, &b->shape)) return 0;
  sq_problem one = *b;
  sq_shape_unbatch(&one.shape);
  return flash->check(&one, NULL, 0, why, sizeof why) == 0;
}

/* The embedded papers suite: every sub-quadratic case has softmax at its
 * baseline in the list; the only cases listed twice are distinct catalog
 * rows (two papers with one shape), never an added baseline. */
static void papers_baselines(void) {
  const sq_catalog *cat;
  sq_suite_case *v;
  int n;
  if (!tap_ok(!sq_catalog_get(&cat) && !sq_suite_expand("papers", &v, &n), "papers expands")) return;
  const sq_kernel *flash = sq_kernel_find("softmax_attn.flash");
  int linear = 0, covered = 0, without = 0, baselines = 0, dup_rows = 0, dup_bad = 0;
  for (int i = 0; i < n; i++) {
    const sq_workload *w = sq_catalog_find(cat, v[i].workload);
    int added = w && w->k != v[i].c.kernel;
    baselines += added;
    if (added && (v[i].c.kernel != flash || w->k->quadratic || strcmp(v[i].paper, w->paper))) dup_bad++;
    for (int j = 0; j < i; j++) {
      if (!same_case(&v[i].c, &v[j].c)) continue;
      const sq_workload *u = sq_catalog_find(cat, v[j].workload);
      if (added || !u || u->k != v[j].c.kernel || !strcmp(v[j].workload, v[i].workload)) dup_bad++;
      else dup_rows++;
    }
    if (v[i].c.kernel->quadratic) continue;
    linear++;
    sq_case want = {.kernel = flash};
    if (!has_baseline(&v[i].c, &want.prob)) {
      without++;
      continue;
    }
    for (int j = 0; j < n; j++)
      if (same_case(&v[j].c, &want)) {
        covered++;
        break;
      }
  }
  tap_ok(linear > 0 && covered + without == linear,
         "papers: each of the %d sub-quadratic cases has softmax_attn.flash at its baseline (%d; %d beyond softmax's "
         "head dims)",
         linear, covered, without);
  tap_ok(baselines > 0 && dup_bad == 0,
         "papers: %d baselines added under their row's workload and paper, none a duplicate (%d identical pairs are "
         "distinct catalog rows)",
         baselines, dup_rows);
  int l = case_of(v, n, "l2vit/l2vit-t-224-lga.s1", "linear_attn.noncausal");
  tap_ok(l >= 0 && l + 1 < n && !strcmp(v[l + 1].c.kernel->name, "softmax_attn.flash") &&
             !strcmp(v[l + 1].workload, v[l].workload) && !strcmp(v[l + 1].paper, "L2ViT") &&
             att_is(&v[l + 1].c, 0, 64, 3, 3136, 32, 32) && att_is(&v[l].c, 0, 64, 3, 3136, 32, 32),
         "L2ViT-T stage 1's linear attention is followed by softmax at B=64 H=3 T=3136 D=32 DV=32, non-causal");
  free(v);
  if (!tap_ok(!sq_suite_expand("vision", &v, &n), "vision expands")) return;
  int rows = 0, found = 0, vig = 0;
  for (int i = 0; i < cat->n; i++) {
    const sq_workload *w = &cat->w[i];
    if (!w->k || strcmp(w->domain, "vision")) continue;
    rows++;
    int j = case_of(v, n, w->name, w->k->name);
    found += j >= 0 && v[j].c.prob.causal == w->causal;
    vig += j >= 0 && !strcmp(w->op->name, "linear_attn.gla") && !strcmp(w->paper, "ViG") && !w->causal;
  }
  tap_ok(rows > 0 && found == rows, "vision holds all %d runnable vision rows in their modes (%d; ViG's bidirectional GLA: %d)",
         rows, found, vig);
  free(v);
}

/* A small catalog: a baseline that a softmax row already runs is not
 * repeated, nor one that an earlier row added; GLA rows (once a GLA
 * kernel is registered) take a baseline at DV = D + 1 and none at
 * ZeCO's DV = 512. */
static void baselines_file(void) {
  const char *top = getenv("top_srcdir");
  char path[600];
  snprintf(path, sizeof path, "%s/tests/data/workloads_baselines.csv", top ? top : ".");
  sq_suite_case *v;
  int n;
  int rc = sq_catalog_set_path(path);
  if (!rc) rc = sq_suite_expand("papers", &v, &n);
  if (!tap_ok(rc == 0, "%s expands (%s)", path, rc ? sq_last_error() : "ok")) {
    sq_catalog_set_path(NULL);
    return;
  }
  const sq_kernel *gla = NULL;
  for (int i = 0; i < sq_nkernels && !gla; i++)
    if (!strcmp(sq_kernels[i]->op->name, "linear_attn.gla") && (sq_kernels[i]->modes & SQ_CAUSAL)) gla = sq_kernels[i];
  int want = gla ? 8 : 5, flash196 = 0;
  for (int i = 0; i < n; i++)
    flash196 += !strcmp(v[i].c.kernel->name, "softmax_attn.flash") && att_is(&v[i].c, 0, 2, 3, 196, 32, 32);
  tap_ok(n == want, "%d cases: 4 rows and one baseline, with GLA 2 rows and one baseline more (%d)", want, n);
  tap_ok(flash196 == 1 && case_of(v, n, "b/lin", "softmax_attn.flash") < 0,
         "a baseline that a softmax row runs is listed once, as that row");
  int b2 = case_of(v, n, "b/lin2", "softmax_attn.flash");
  tap_ok(b2 >= 1 && !strcmp(v[b2 - 1].workload, "b/lin2") && att_is(&v[b2].c, 1, 1, 2, 512, 64, 64) &&
             !strcmp(v[b2].paper, "A") && case_of(v, n, "b/lin3", "softmax_attn.flash") < 0,
         "a causal linear row is followed by its causal baseline, which a second row does not repeat");
  int z = case_of(v, n, "b/zeco", gla ? gla->name : "-"), lc = case_of(v, n, "b/lawcat", "softmax_attn.flash");
  if (gla)
    tap_ok(z >= 0 && case_of(v, n, "b/zeco", "softmax_attn.flash") < 0 && lc >= 0 &&
               att_is(&v[lc].c, 1, 1, 4, 1024, 64, 65),
           "GLA: no softmax at DV=512; the ones-column row's baseline has DV=65");
  else
    tap_ok(z < 0 && lc < 0 && !sq_last_error()[0], "GLA rows wait for their kernel, with no baseline and no error");
  free(v);
  sq_catalog_set_path(NULL);
}

int main(void) {
  /* Plans judged against a fixed host, not this machine's free memory. */
  setenv("SUBQUAD_HOST_MEMORY", "64G", 1);
  quick();
  scaling();
  planner_memory();
  catalog_suites();
  papers_baselines();
  baselines_file();
  return tap_done();
}
