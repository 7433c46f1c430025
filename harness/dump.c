/* Dumps of verified cases for researchers: q, k, v and o as .npy (the
 * stored values as float32, exact for f16 and bf16) and case.json with the
 * shape, the parameters and how it was verified, one folder per case. */
#include "harness/dump.h"

#include <stdio.h>

#include "harness/error.h"
#include "harness/files.h"
#include "harness/npy.h"

int sq_dump_case(const char *root, const sq_case *c, const sq_result *r, uint64_t seed, const float *q,
                 const float *k, const float *v, const float *o) {
  const sq_problem *p = &c->prob;
  char dir[1024], path[1200];
  snprintf(dir, sizeof dir, "%s/%s.%s.B%lld.H%lld.T%lld.D%lld.DV%lld.%s", root, c->kernel->name,
           p->causal ? "causal" : "noncausal", (long long)p->B, (long long)p->H, (long long)p->T,
           (long long)p->D, (long long)p->DV, sq_dtype_name(p->dtype));
  if (sq_mkdirs(dir)) return SQ_EIO;
  int64_t shape_k[4] = {p->B, p->H, p->T, p->D}, shape_v[4] = {p->B, p->H, p->T, p->DV};
  static const char *const names[4] = {"q", "k", "v", "o"};
  const float *data[4] = {q, k, v, o};
  for (int i = 0; i < 4; i++) {
    snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
    int rc = sq_npy_write(path, "<f4", 4, data[i], i < 2 ? shape_k : shape_v, 4);
    if (rc) return rc;
  }
  snprintf(path, sizeof path, "%s/case.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) return sq_fail(SQ_EIO, "%s: cannot write", path);
  fprintf(f,
          "{\n  \"kernel\": \"%s\",\n  \"causal\": %s,\n  \"B\": %lld, \"H\": %lld, \"T\": %lld, \"D\": %lld, \"DV\": %lld,\n"
          "  \"dtype\": \"%s\",\n  \"note\": \"arrays hold the stored values as float32 (exact for f16 and bf16)\",\n"
          "  \"feature_map\": \"%s\",\n  \"normalize\": %s,\n  \"scale\": %s,\n  \"params\": \"%s\",\n"
          "  \"seed\": %llu,\n  \"max_rel_err\": %.6g,\n  \"verify\": \"%s\",\n  \"device\": \"%s\"\n}\n",
          c->kernel->name, p->causal ? "true" : "false", (long long)p->B, (long long)p->H, (long long)p->T,
          (long long)p->D, (long long)p->DV, sq_dtype_name(p->dtype), p->fmap == SQ_FMAP_ELU1 ? "elu+1" : "identity",
          p->normalize ? "true" : "false", c->kernel->quadratic ? "\"1/sqrt(D)\"" : "null", r->params,
          (unsigned long long)seed, r->max_rel_err, r->verify, r->device);
  return fclose(f) ? sq_fail(SQ_EIO, "%s: write failed", path) : 0;
}
