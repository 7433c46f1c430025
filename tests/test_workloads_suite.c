/* Suites and the feasibility planner, without running anything: the quick
 * suite covers every registered kernel and mode in order; scaling reaches
 * 8M tokens; catalog suites expand; unknown names are refused. The planner,
 * on a described (not opened) PoCL-like device with 24 GiB, predicts the
 * 8M-token chunked linear attention feasible and softmax at 8M infeasible
 * with a reason, slices a batch that fits only per (b, h), and plans the
 * whole scaling suite in well under a second. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "tap.h"
#include "workloads/planner.h"
#include "workloads/suite.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void quick(void) {
  sq_suite_case *v;
  int n, rc = sq_suite_expand("quick", &v, &n);
  if (!tap_ok(rc == 0, "quick expands")) return;
  int want = 0;
  for (int i = 0; i < sq_nkernels; i++)
    want += 6 * (!!(sq_kernels[i]->modes & SQ_CAUSAL) + !!(sq_kernels[i]->modes & SQ_NONCAUSAL));
  tap_ok(n == want, "quick has %d cases: every kernel x mode x 6 lengths (%d)", n, want);
  int ordered = 1, shape = 1;
  for (int i = 0; i < n; i++) {
    const sq_problem *p = &v[i].c.prob;
    if (att_B(p) != 1 || att_H(p) != 2 || att_D(p) != 64 || att_DV(p) != 64 || p->dtype != SQ_F32 ||
        att_T(p) < 512 || att_T(p) > 16384 || strcmp(v[i].c.config_source, "default"))
      shape = 0;
    if (i > 0) {
      const sq_suite_case *a = &v[i - 1], *b = &v[i];
      int ka = 0, kb = 0;
      for (int k = 0; k < sq_nkernels; k++) {
        if (sq_kernels[k] == a->c.kernel) ka = k;
        if (sq_kernels[k] == b->c.kernel) kb = k;
      }
      if (ka > kb || (ka == kb && a->c.prob.causal < b->c.prob.causal) ||
          (ka == kb && a->c.prob.causal == b->c.prob.causal && att_T(&a->c.prob) != att_T(&b->c.prob) / 2))
        ordered = 0;
    }
  }
  tap_ok(shape, "quick: B=1 H=2 D=64 f32, T in 512..16384, default parameters");
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
  for (int i = 0; i < n; i++) h1 &= att_B(&v[i].c.prob) == 1 && att_H(&v[i].c.prob) == 1 && att_D(&v[i].c.prob) == 64;
  tap_ok(h1, "scaling: B=1 H=1 D=64");
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
  tap_ok(sq_suite_max_case_s("scaling") == 180 && sq_suite_max_case_s("quick") == 60,
         "scaling runs under a 180 s case limit, the others 60 s");
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

int main(void) {
  quick();
  scaling();
  planner_memory();
  catalog_suites();
  return tap_done();
}
