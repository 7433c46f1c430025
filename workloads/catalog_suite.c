/* SPDX-License-Identifier: BSD-3-Clause */
/* The catalog-drawn suites. `papers` is every runnable catalog row at its
 * real size (kernel batch = batch x windows), each sub-quadratic row
 * followed by softmax attention over the same tokens, heads and head dims
 * (the op's baseline shape, run by softmax_attn.flash in the row's mode),
 * so every row has its comparison in the same run; `vision`, `video` and
 * `pointcloud` are the rows of that domain, with their baselines, plus
 * sweeps built on the papers' own token layouts: the vision suite runs the
 * InLine-Swin-T stage shapes at 224 ... 1024 px and beyond (tokens per
 * stage = (R/4/2^s)^2), the video suite a frames x latent-resolution sweep
 * to minute-long clips, the point-cloud suite PCM's point counts. Pending
 * rows (no kernel of their op yet) are listed by `subquad workloads`, not
 * expanded here, until a kernel of their op lands. */
#include <stdio.h>
#include <string.h>

#include "base/error.h"
#include "workloads/catalog.h"
#include "workloads/suite.h"

static int add_row(sq_case_list *l, const sq_workload *w) {
  sq_problem p;
  int rc = sq_workload_problem(w, &p);
  if (rc) return rc;
  sq_suite_form(&p);
  return sq_case_list_add_problem(l, w->k, &p, w->name, w->paper);
}

/* The same shape: one op and equal values on every axis (the canonical
 * text would say the same, without formatting two texts per pair). */
static int same_shape(const sq_shape *a, const sq_shape *b) {
  if (a->op != b->op) return 0;
  for (int i = 0; i < sq_op_naxes(a->op); i++) {
    int len = a->op->axes[i].kind == SQ_AXIS_LIST ? a->op->axes[i].len : 1;
    for (int j = 0; j < len; j++)
      if (a->v[i][j] != b->v[i][j]) return 0;
  }
  return 1;
}

/* Whether the list already runs kernel k on problem p. */
static int listed(const sq_case_list *l, const sq_kernel *k, const sq_problem *p) {
  for (int i = 0; i < l->n; i++) {
    const sq_case *c = &l->v[i].c;
    if (c->kernel == k && c->prob.causal == p->causal && c->prob.dtype == p->dtype &&
        same_shape(&c->prob.shape, &p->shape))
      return 1;
  }
  return 0;
}

/* A baseline the softmax kernel runs, one instance at a time (the planner
 * slices batches): a head dim beyond its 256 (ZeCO's DV=512, which the op
 * and result files accept) gets no baseline case. */
static int softmax_accepts(const sq_kernel *flash, const sq_problem *b) {
  sq_problem one = *b;
  char why[160];
  sq_shape_unbatch(&one.shape);
  return flash->check(&one, NULL, 0, why, sizeof why) == 0;
}

/* After a sub-quadratic row: softmax_attn.flash at the row's baseline
 * shape in its mode, under the row's workload and paper (the catalog entry
 * the case comes from), unless a row of the suite or an earlier baseline
 * already runs that very case. */
static int add_baseline(sq_case_list *l, const sq_case_list *rows, const sq_suite_case *sc) {
  const sq_kernel *flash = sq_kernel_find("softmax_attn.flash");
  sq_problem b = {.causal = sc->c.prob.causal, .dtype = sc->c.prob.dtype};
  if (sc->c.kernel->quadratic || !flash || !(flash->modes & (b.causal ? SQ_CAUSAL : SQ_NONCAUSAL)) ||
      sq_shape_baseline(&sc->c.prob.shape, &b.shape) || !softmax_accepts(flash, &b) || listed(rows, flash, &b) ||
      listed(l, flash, &b))
    return 0;
  return sq_case_list_add_problem(l, flash, &b, sc->workload, sc->paper);
}

/* The runnable rows of a domain (NULL: all) in catalog order, each
 * sub-quadratic one followed by its baseline. The rows are gathered first
 * so a baseline never repeats a softmax row further down. */
static int add_rows(sq_case_list *l, const sq_catalog *c, const char *domain) {
  sq_case_list rows = {0};
  int rc = 0;
  for (int i = 0; !rc && i < c->n; i++) {
    const sq_workload *w = &c->w[i];
    if (w->k && (!domain || !strcmp(w->domain, domain))) rc = add_row(&rows, w);
  }
  for (int i = 0; !rc && i < rows.n; i++) {
    const sq_suite_case *sc = &rows.v[i];
    rc = sq_case_list_add_problem(l, sc->c.kernel, &sc->c.prob, sc->workload, sc->paper);
    if (!rc) rc = add_baseline(l, &rows, sc);
  }
  sq_case_list_free(&rows);
  return rc;
}

/* Every registered kernel of the linear-attention and softmax families in
 * one mode at (B, H, T, D): the sweeps' comparison set. */
static int add_sweep_point(sq_case_list *l, int64_t B, int64_t H, int64_t T, int64_t D,
                           int causal, const char *workload, const char *paper) {
  unsigned bit = causal ? SQ_CAUSAL : SQ_NONCAUSAL;
  for (int i = 0; i < sq_nkernels; i++) {
    const sq_kernel *k = sq_kernels[i];
    if (!(k->modes & bit) || (strcmp(k->family, "linear_attn") && !k->quadratic)) continue;
    int rc = sq_case_list_add(l, k, B, H, T, D, D, causal, workload, paper);
    if (rc) return rc;
  }
  return 0;
}

/* One non-causal case of an op's first kernel, its shape as --shape text;
 * nothing while the op has no kernel, or when the list already runs it. */
static int add_shape_case(sq_case_list *l, const char *op, const char *text, const char *workload,
                          const char *paper) {
  const sq_op *o = sq_op_find(op);
  const sq_kernel *k = o ? sq_op_kernel(o, 0) : NULL;
  if (!k) return 0;
  sq_problem p = {.causal = 0, .dtype = SQ_F32};
  int rc = sq_shape_parse_op(k->op, text, 0, workload, &p.shape);
  if (rc || listed(l, k, &p)) return rc;
  return sq_case_list_add_problem(l, k, &p, workload, paper);
}

/* A grid side as Swin windows it: padded to a multiple of the window M, or,
 * when the grid is no larger than M, one window of the grid's size with the
 * shift turned off. */
static void swin_window(int64_t side, int64_t M, int64_t *grid, int64_t *win, int64_t *shift) {
  *grid = side <= M ? side : (side + M - 1) / M * M;
  *win = side <= M ? side : M;
  *shift = side <= M ? 0 : M / 2;
}

/* The local-window kernels at one stage of the vision sweep (heads, head
 * dim 32): Swin's shifted windows with their bias at M = 7, 8, 12 and 16
 * (Swin-T/B use 7 at 224 px and 12 at 384, LaMamba-Diff 8, SwinIR-style
 * restorers 16), and NAT's 7x7 neighbourhood, plain and with DiNAT's
 * dilation (side / 7: the sparse-global setting of its 224 px stages). */
static int window_stage(sq_case_list *l, int res, int stage, int64_t side, int64_t heads) {
  static const int wins[] = {7, 8, 12, 16};
  char name[96], text[200];
  int rc = 0;
  for (size_t w = 0; !rc && w < sizeof wins / sizeof wins[0]; w++) {
    int64_t g, m, sh;
    swin_window(side, wins[w], &g, &m, &sh);
    snprintf(name, sizeof name, "sweep/swin-%d.s%d.w%d", res, stage, wins[w]);
    snprintf(text, sizeof text, "B=1,H=%lld,D=32,grid=%lldx%lld,win=%lldx%lld,shift=%lldx%lld,has_rpb=1",
             (long long)heads, (long long)g, (long long)g, (long long)m, (long long)m, (long long)sh,
             (long long)sh);
    rc = add_shape_case(l, "local_attn.window_2d", text, name, "Swin");
  }
  /* NAT (dilation 1) and DiNAT, whose dilation spreads the 7 keys over the
   * whole side; one case when the two coincide. */
  const int64_t dinat = side / 7 > 1 ? side / 7 : 1;
  for (int64_t d = 1; !rc; d = dinat) {
    snprintf(name, sizeof name, "sweep/%s-%d.s%d", d == 1 ? "nat" : "dinat", res, stage);
    snprintf(text, sizeof text, "B=1,H=%lld,D=32,grid=%lldx%lld,kernel_size=7x7,dilation=%lldx%lld",
             (long long)heads, (long long)side, (long long)side, (long long)d, (long long)d);
    rc = add_shape_case(l, "local_attn.neighborhood_2d", text, name, "-");
    if (d == dinat) break;
  }
  return rc;
}

/* InLine-Swin-T (heads 3|6|12|24, head dim 32, patch 4: the catalog rows
 * inline/inline-swin-t-224-...) at growing resolutions, global attention per
 * stage: the regime where linear attention should overtake softmax; and at
 * the same stages the local-window kernels, whose cost grows with the
 * tokens at a fixed window. */
static int vision_sweep(sq_case_list *l) {
  static const int res[] = {224, 384, 512, 768, 1024, 1536, 2048};
  static const int heads[] = {3, 6, 12, 24};
  char name[64];
  for (size_t r = 0; r < sizeof res / sizeof res[0]; r++)
    for (int s = 0; s < 4; s++) {
      int64_t side = (res[r] / 4) >> s;
      snprintf(name, sizeof name, "sweep/inline-swin-t-%d.s%d", res[r], s + 1);
      int rc = add_sweep_point(l, 1, heads[s], side * side, 32, 0, name, "InLine");
      if (!rc) rc = window_stage(l, res[r], s + 1, side, heads[s]);
      if (rc) return rc;
    }
  return 0;
}

/* Video Swin's 3D windows over a frames x side x side grid: (8, 7, 7)
 * shifted by (4, 3, 3), with the bias table, the grid padded to the window
 * on each axis as Video Swin pads it (34 frames -> 40, 32 -> 35). */
static int video_windows(sq_case_list *l, int64_t frames, int64_t side, char *text, size_t n) {
  int64_t gt, mt, st, gs, ms, ss;
  char name[64];
  swin_window(frames, 8, &gt, &mt, &st);
  swin_window(side, 7, &gs, &ms, &ss);
  snprintf(name, sizeof name, "sweep/video-swin-%lldx%lldx%lld", (long long)frames, (long long)side,
           (long long)side);
  snprintf(text, n, "B=1,H=1,D=64,grid=%lldx%lldx%lld,win=%lldx%lldx%lld,shift=%lldx%lldx%lld,has_rpb=1",
           (long long)gt, (long long)gs, (long long)gs, (long long)mt, (long long)ms, (long long)ms,
           (long long)st, (long long)ss, (long long)ss);
  return add_shape_case(l, "local_attn.window_3d", text, name, "-");
}

/* Video token counts, latent frames x height x width: 34|68|136 latent
 * frames (17, 34 and 68 s at 16 fps under an 8x temporal compression) at
 * 32x32 and 48x48 latent tokens a frame, one head of 64 as in the scaling
 * suite: how far each kernel gets toward minute-long video (LinGen's 68 s,
 * whose own sizes are unpublished). The sweep names no paper: its layout is
 * an assumption written down here, not a catalog shape. */
static int video_sweep(sq_case_list *l) {
  static const int frames[] = {34, 68, 136};
  static const int side[] = {32, 48};
  char name[64], text[200];
  for (int s = 0; s < 2; s++)
    for (int f = 0; f < 3; f++) {
      int64_t T = (int64_t)frames[f] * side[s] * side[s];
      snprintf(name, sizeof name, "sweep/video-%dx%dx%d", frames[f], side[s], side[s]);
      int rc = add_sweep_point(l, 1, 1, T, 64, 0, name, "-");
      if (!rc) rc = video_windows(l, frames[f], side[s], text, sizeof text);
      if (rc) return rc;
    }
  return 0;
}

/* PCM's point counts (1024 ModelNet40, 2048 ShapeNetPart, 24576 S3DIS
 * voxel_max: catalog rows pcm/...) and LION's voxel groups (4096 ... 512),
 * non-causal as point sets have no order, one head of 64. */
static int pointcloud_sweep(sq_case_list *l) {
  static const struct { int64_t n; const char *what, *paper; } pts[] = {
    {512, "lion-group-512", "LION"},   {1024, "pcm-modelnet40-1024", "PCM"},
    {2048, "pcm-shapenetpart-2048", "PCM"}, {4096, "lion-group-4096", "LION"},
    {24576, "pcm-s3dis-24576", "PCM"}};
  char name[64];
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    snprintf(name, sizeof name, "sweep/%s", pts[i].what);
    int rc = add_sweep_point(l, 1, 1, pts[i].n, 64, 0, name, pts[i].paper);
    if (rc) return rc;
  }
  return 0;
}

int sq_catalog_suite_expand(const char *name, sq_case_list *l) {
  const sq_catalog *c;
  int rc = sq_catalog_get(&c);
  if (rc) return rc;
  if (!strcmp(name, "papers")) return add_rows(l, c, NULL);
  if (!strcmp(name, "vision")) return (rc = add_rows(l, c, "vision")) ? rc : vision_sweep(l);
  if (!strcmp(name, "video")) return (rc = add_rows(l, c, "video")) ? rc : video_sweep(l);
  if (!strcmp(name, "pointcloud"))
    return (rc = add_rows(l, c, "pointcloud")) ? rc : pointcloud_sweep(l);
  return sq_fail(SQ_EINVAL, "suite '%s' is not drawn from the catalog", name);
}
