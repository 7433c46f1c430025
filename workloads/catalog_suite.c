/* The catalog-drawn suites. `papers` is every runnable catalog row at its
 * real size (kernel batch = batch x windows); `vision`, `video` and
 * `pointcloud` are the rows of that domain plus sweeps built on the papers'
 * own token layouts: the vision suite runs the InLine-Swin-T stage shapes at
 * 224 ... 1024 px and beyond (tokens per stage = (R/4/2^s)^2), the video
 * suite a frames x latent-resolution sweep to minute-long clips, the
 * point-cloud suite PCM's point counts. Pending rows (no kernel yet) are
 * listed by `subquad workloads`, not expanded here, until a kernel of their
 * family lands. */
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

static int add_rows(sq_case_list *l, const sq_catalog *c, const char *domain) {
  for (int i = 0; i < c->n; i++) {
    const sq_workload *w = &c->w[i];
    if (!w->k || (domain && strcmp(w->domain, domain))) continue;
    int rc = add_row(l, w);
    if (rc) return rc;
  }
  return 0;
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

/* InLine-Swin-T (heads 3|6|12|24, head dim 32, patch 4: the catalog rows
 * inline/inline-swin-t-224-...) at growing resolutions, global attention per
 * stage: the regime where linear attention should overtake softmax. */
static int vision_sweep(sq_case_list *l) {
  static const int res[] = {224, 384, 512, 768, 1024, 1536, 2048};
  static const int heads[] = {3, 6, 12, 24};
  char name[64];
  for (size_t r = 0; r < sizeof res / sizeof res[0]; r++)
    for (int s = 0; s < 4; s++) {
      int64_t side = (res[r] / 4) >> s;
      snprintf(name, sizeof name, "sweep/inline-swin-t-%d.s%d", res[r], s + 1);
      int rc = add_sweep_point(l, 1, heads[s], side * side, 32, 0, name, "InLine");
      if (rc) return rc;
    }
  return 0;
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
  char name[64];
  for (int s = 0; s < 2; s++)
    for (int f = 0; f < 3; f++) {
      int64_t T = (int64_t)frames[f] * side[s] * side[s];
      snprintf(name, sizeof name, "sweep/video-%dx%dx%d", frames[f], side[s], side[s]);
      int rc = add_sweep_point(l, 1, 1, T, 64, 0, name, "-");
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
