/* Dumps of verified cases for researchers: q, k, v and o as .npy (the
 * stored values as float32, exact for f16 and bf16) and case.json with the
 * shape, the parameters and how it was verified, one folder per case. Every
 * file is written in full or not at all; paths are allocated, never cut. */
#include "harness/dump.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "harness/files.h"
#include "harness/npy.h"

/* A JSON string: quotes, backslashes and control characters escaped (a
 * device or parameter text could hold any of them). */
static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static int write_json(const char *path, const sq_case *c, const sq_result *r, uint64_t seed) {
  const sq_problem *p = &c->prob;
  sq_atomic a;
  FILE *f = sq_atomic_open(&a, path);
  if (!f) return SQ_EIO;
  fprintf(f, "{\n  \"kernel\": ");
  json_string(f, c->kernel->name);
  fprintf(f,
          ",\n  \"causal\": %s,\n  \"B\": %lld, \"H\": %lld, \"T\": %lld, \"D\": %lld, \"DV\": %lld,\n"
          "  \"dtype\": \"%s\",\n  \"note\": \"arrays hold the stored values as float32 (exact for f16 and bf16)\",\n"
          "  \"feature_map\": \"%s\",\n  \"normalize\": %s,\n  \"scale\": %s,\n  \"params\": ",
          p->causal ? "true" : "false", (long long)p->B, (long long)p->H, (long long)p->T, (long long)p->D,
          (long long)p->DV, sq_dtype_name(p->dtype), p->fmap == SQ_FMAP_ELU1 ? "elu+1" : "identity",
          p->normalize ? "true" : "false", c->kernel->quadratic ? "\"1/sqrt(D)\"" : "null");
  json_string(f, r->params);
  fprintf(f, ",\n  \"seed\": %llu,\n  \"max_rel_err\": %.6g,\n  \"verify\": ", (unsigned long long)seed,
          r->max_rel_err);
  json_string(f, r->verify);
  fprintf(f, ",\n  \"device\": ");
  json_string(f, r->device);
  fprintf(f, "\n}\n");
  if (ferror(f)) {
    sq_fail(SQ_EIO, "%s: write failed: %s", path, strerror(errno));
    sq_atomic_abort(&a);
    return SQ_EIO;
  }
  return sq_atomic_commit(&a);
}

int sq_dump_case(const char *root, const sq_case *c, const sq_result *r, uint64_t seed, const float *q,
                 const float *k, const float *v, const float *o) {
  const sq_problem *p = &c->prob;
  char *dir = sq_strf("%s/%s.%s.B%lld.H%lld.T%lld.D%lld.DV%lld.%s", root, c->kernel->name,
                          p->causal ? "causal" : "noncausal", (long long)p->B, (long long)p->H, (long long)p->T,
                          (long long)p->D, (long long)p->DV, sq_dtype_name(p->dtype));
  if (!dir) return SQ_ENOMEM;
  int rc = sq_mkdirs(dir);
  int64_t shape_k[4] = {p->B, p->H, p->T, p->D}, shape_v[4] = {p->B, p->H, p->T, p->DV};
  static const char *const names[5] = {"q.npy", "k.npy", "v.npy", "o.npy", "case.json"};
  const float *data[4] = {q, k, v, o};
  for (int i = 0; !rc && i < 5; i++) {
    char *path = sq_strf("%s/%s", dir, names[i]);
    if (!path) rc = SQ_ENOMEM;
    else if (i < 4) rc = sq_npy_write(path, "<f4", 4, data[i], i < 2 ? shape_k : shape_v, 4);
    else rc = write_json(path, c, r, seed);
    free(path);
  }
  free(dir);
  return rc;
}
