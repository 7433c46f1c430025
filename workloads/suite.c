/* SPDX-License-Identifier: BSD-3-Clause */
/* Suite expansion. The sweeps (quick, scaling) are generated from the kernel
 * registry, so a kernel that joins sq_kernels[] joins them with no edit here;
 * the catalog suites (papers, vision, video, pointcloud) come from the paper
 * catalog through sq_catalog_suite_expand. Cases are ordered by kernel, then
 * mode (causal first), then T, so result files read as tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/run.h"
#include "kernels/attention.h"
#include "workloads/suite.h"

const char *const sq_suite_names[] = {"quick", "papers", "scaling", "vision", "video",
                                      "pointcloud", NULL};

static const char *const suite_docs[] = {
  "every kernel, causal and non-causal, B=1 H=2 D=64, T=512..16384 (CI-sized)",
  "every catalog shape at its real size",
  "T=1K..8M in powers of 2, linear kernels and softmax baselines, B=1 H=1 D=64",
  "vision catalog shapes: tokens per stage at 224..1024 and beyond",
  "video catalog shapes: frames x resolution in tokens",
  "point-cloud catalog shapes: points and voxel groups",
};

const char *sq_suite_doc(const char *name) {
  for (int i = 0; sq_suite_names[i]; i++)
    if (!strcmp(sq_suite_names[i], name)) return suite_docs[i];
  return NULL;
}

/* The scaling suite exists to reach 8M tokens: its heaviest linear-time
 * case there (a 4096-token window, 2.2 TFLOP at D=16) takes minutes of a
 * two-core CPU with its verification, so it gets five. */
double sq_suite_max_case_s(const char *name) {
  return name && !strcmp(name, "scaling") ? 300 : 60;
}

int sq_suite_rounds(const char *name) { return name && !strcmp(name, "scaling") ? 1 : 5; }

void sq_suite_problem(const sq_kernel *k, int64_t B, int64_t H, int64_t T, int64_t D,
                      int64_t DV, int causal, sq_problem *p) {
  sq_att_problem(p, k->op, B, H, T, D, DV > 0 ? DV : D, causal, SQ_F32);
  sq_suite_form(p);
}

void sq_suite_form(sq_problem *p) {
  /* Linear attention as its paper defines it: phi = elu + 1 with the
   * normaliser, unless the shape (a catalog row) states its own. */
  if (p->shape.op != &sq_op_linear_attn) return;
  if (!(p->shape.given & (1u << SQ_ATT_FEATURE))) sq_ax_set(p, SQ_ATT_FEATURE, SQ_FMAP_ELU1);
  if (!(p->shape.given & (1u << SQ_ATT_NORMALIZE))) sq_ax_set(p, SQ_ATT_NORMALIZE, 1);
}

int sq_case_list_add_problem(sq_case_list *l, const sq_kernel *k, const sq_problem *p, const char *workload,
                             const char *paper) {
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 64;
    sq_suite_case *v = realloc(l->v, (size_t)cap * sizeof *v);
    if (!v) return sq_fail(SQ_ENOMEM, "suite: out of memory for %d cases", cap);
    l->v = v;
    l->cap = cap;
  }
  sq_suite_case *sc = &l->v[l->n++];
  memset(sc, 0, sizeof *sc);
  sc->c.kernel = k;
  sc->c.prob = *p;
  sq_kernel_default_params(k, sc->c.params);
  strcpy(sc->c.config_source, "default");
  snprintf(sc->workload, sizeof sc->workload, "%s", workload ? workload : "");
  snprintf(sc->paper, sizeof sc->paper, "%s", paper ? paper : "");
  return 0;
}

int sq_case_list_add(sq_case_list *l, const sq_kernel *k, int64_t B, int64_t H, int64_t T,
                     int64_t D, int64_t DV, int causal, const char *workload,
                     const char *paper) {
  sq_problem p;
  sq_suite_problem(k, B, H, T, D, DV, causal, &p);
  return sq_case_list_add_problem(l, k, &p, workload, paper);
}

void sq_case_list_free(sq_case_list *l) {
  free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

/* The token axis at T tokens, as --shape text: a count, or for a grid op
 * (windows, neighbourhoods) the most nearly square grid of T tokens, T a
 * power of two: 32x16 for 512 in 2D, 8x8x8 in 3D. The sides stay powers of
 * two, so the sweep shapes' windows (8, 4x8x8) tile them. */
static void token_text(const sq_axis *ax, int64_t T, char *out, size_t n) {
  if (ax->kind != SQ_AXIS_LIST) {
    snprintf(out, n, "%s=%lld", ax->name, (long long)T);
    return;
  }
  int bits = 0, used = snprintf(out, n, "%s=", ax->name);
  while (((int64_t)1 << (bits + 1)) <= T) bits++;
  for (int i = 0; i < ax->len; i++) {
    int side = (bits + ax->len - 1 - i) / (ax->len - i);   /* the larger share first */
    bits -= side;
    used += snprintf(out + used, (size_t)used < n ? n - (size_t)used : 0, "%s%lld", i ? "x" : "",
                     (long long)1 << side);
  }
}

/* The problem of kernel k in a sweep: the op's sweep shape with its token
 * axis at T, in the suites' form. */
static int sweep_problem(const sq_kernel *k, const char *shape, int64_t T, int causal, sq_problem *p) {
  const sq_op *op = k->op;
  char text[SQ_SHAPE_TEXT_MAX], tokens[64];
  token_text(&op->axes[sq_op_token_axis(op)], T, tokens, sizeof tokens);
  snprintf(text, sizeof text, "%s,%s", shape, tokens);
  memset(p, 0, sizeof *p);
  p->causal = causal;
  p->dtype = SQ_F32;
  int rc = sq_shape_parse_op(op, text, causal, op->name, &p->shape);
  if (!rc) sq_suite_form(p);
  return rc;
}

/* Every mode the kernel supports, causal first, over T = tmin..tmax in
 * powers of two, at the op's sweep shape. An op without a causal form
 * (the selective scan: its K axis says the directions) runs once. */
static int sweep_kernel(sq_case_list *l, const sq_kernel *k, const char *shape, int64_t tmin, int64_t tmax) {
  static const struct { unsigned bit; int causal; } modes[] = {{SQ_CAUSAL, 1},
                                                               {SQ_NONCAUSAL, 0}};
  for (int m = 0, swept = 0; m < 2 && (k->op->causal_key || !swept); m++) {
    if (!(k->modes & modes[m].bit)) continue;
    swept = 1;
    for (int64_t T = tmin; T <= tmax; T *= 2) {
      sq_problem p;
      int rc = sweep_problem(k, shape, T, modes[m].causal, &p);
      if (!rc) rc = sq_case_list_add_problem(l, k, &p, "", "");
      if (rc) return rc;
    }
  }
  return 0;
}

/* The quick suite's cases stay under 1 GiB of buffers: what passes it are
 * the materialised-scores baselines (naive, blas) at 16K tokens (2 GiB of
 * scores, a tenth of the suite's time on two CPU cores), where flash
 * attention gives the quadratic side already. */
#define QUICK_MAX_BYTES 1073741824.0

static double case_bytes(const sq_suite_case *sc) {
  sq_plan pl;
  sq_case_memory m = {0};
  if (sc->c.kernel->plan(&sc->c.prob, sc->c.params, &pl)) return 0;
  sq_case_memory_of(&sc->c.prob, &pl, &m);
  return m.total;
}

/* quick: every kernel whose op has a quick shape (attention: B=1, H=2,
 * D=64) at T=512..16384, sized for CI on two CPU cores. */
static int expand_quick(sq_case_list *l) {
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    int rc = k->op->quick_shape ? sweep_kernel(l, k, k->op->quick_shape, 512, 16384) : 0;
    if (rc) return rc;
  }
  int kept = 0;
  for (int i = 0; i < l->n; i++)
    if (case_bytes(&l->v[i]) <= QUICK_MAX_BYTES) l->v[kept++] = l->v[i];
  l->n = kept;
  return 0;
}

/* scaling: T = 1K..8M for every kernel whose op has a scaling shape (the
 * linear-attention kernels and the quadratic baselines at B=1, H=1,
 * D=64); the planner turns the baselines' infeasible tail into skipped
 * rows with predictions. */
static int expand_scaling(sq_case_list *l) {
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    int rc = k->op->scaling_shape ? sweep_kernel(l, k, k->op->scaling_shape, 1024, 8388608) : 0;
    if (rc) return rc;
  }
  return 0;
}

int sq_suite_expand(const char *name, sq_suite_case **cases, int *n) {
  *cases = NULL;
  *n = 0;
  if (!name || !sq_suite_doc(name))
    return sq_fail(SQ_EINVAL,
                   "suite '%s' is unknown (known: quick, papers, scaling, vision, video, "
                   "pointcloud)",
                   name ? name : "(null)");
  sq_case_list l = {0};
  int rc;
  if (!strcmp(name, "quick"))
    rc = expand_quick(&l);
  else if (!strcmp(name, "scaling"))
    rc = expand_scaling(&l);
  else
    rc = sq_catalog_suite_expand(name, &l);
  if (rc) {
    sq_case_list_free(&l);
    return rc;
  }
  *cases = l.v;
  *n = l.n;
  return 0;
}
