/* SPDX-License-Identifier: BSD-3-Clause */
/* Dumps of verified cases for researchers and for the independent NumPy
 * check (FAMILIES.md §0.1): one .npy per present tensor of the op (the
 * stored values as float32, exact for f16 and bf16) and case.json with the
 * op's shape keys, one folder per case. Every file is written in full or
 * not at all; paths are allocated, never cut. */
#include "harness/dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/files.h"
#include "harness/npy.h"

/* "B1.H2.T4096.D64.DV64": the sizes, then options that differ from their
 * defaults ("featureelu1.normalize1"), so two cases never share a folder
 * while the attention ops keep the names they always had. */
static void folder_shape(const sq_problem *p, char *buf, size_t n) {
  const sq_op *op = p->shape.op;
  sq_shape defaults;
  sq_shape_defaults(op, &defaults);
  size_t used = 0;
  buf[0] = '\0';
  for (int a = 0; a < sq_op_naxes(op) && used < n; a++) {
    const sq_axis *ax = &op->axes[a];
    /* A real (the scale) is computed from other axes by default: left out. */
    if (ax->kind == SQ_AXIS_REAL) continue;
    if ((ax->flags & SQ_AX_OPTION) && !memcmp(defaults.v[a], p->shape.v[a], sizeof defaults.v[a])) continue;
    char v[64];
    sq_shape_format_axis(&p->shape, a, v, sizeof v);
    used += (size_t)snprintf(buf + used, n - used, "%s%s%s", used ? "." : "", ax->name, v);
  }
}

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

/* One axis as a JSON value of its kind: booleans true/false, lists as
 * arrays of integers (FAMILIES.md §0.1). */
static void json_axis(FILE *f, const sq_axis *ax, const double *v) {
  switch (ax->kind) {
  case SQ_AXIS_BOOL: fprintf(f, "%s", v[0] ? "true" : "false"); break;
  case SQ_AXIS_REAL: fprintf(f, "%.9g", v[0]); break;
  case SQ_AXIS_ENUM: json_string(f, ax->names[(int)v[0]]); break;
  case SQ_AXIS_LIST:
    fputc('[', f);
    for (int i = 0; i < ax->len; i++) fprintf(f, "%s%lld", i ? ", " : "", (long long)v[i]);
    fputc(']', f);
    break;
  default: fprintf(f, "%lld", (long long)v[0]);
  }
}

static int write_json(const char *path, const sq_case *c, const sq_result *r, uint64_t seed) {
  const sq_problem *p = &c->prob;
  const sq_op *op = p->shape.op;
  sq_atomic a;
  FILE *f = sq_atomic_open(&a, path);
  if (!f) return SQ_EIO;
  /* "kernel" is what is computed, the op (FAMILIES.md §0.1: "ssm.ssd");
   * which implementation computed it is provenance. */
  fprintf(f, "{\n  \"kernel\": ");
  json_string(f, op->name);
  fprintf(f, ",\n  \"implementation\": ");
  json_string(f, c->kernel->name);
  fprintf(f, ",\n  \"dtype\": \"%s\",\n", sq_dtype_name(p->dtype));
  if (op->causal_key) fprintf(f, "  \"causal\": %s,\n", p->causal ? "true" : "false");
  for (int i = 0; i < sq_op_naxes(op); i++) {
    /* The contract's "state (causal only)": a bidirectional case has none. */
    if (op->causal_key && !p->causal && !strcmp(op->axes[i].name, "state")) continue;
    fprintf(f, "  \"%s\": ", op->axes[i].name);
    json_axis(f, &op->axes[i], p->shape.v[i]);
    fprintf(f, ",\n");
  }
  fprintf(f, "  \"note\": \"arrays hold the stored values as float32 (exact for f16 and bf16)\",\n  \"params\": ");
  json_string(f, r->params);
  /* The contract's optional provenance key for ssm.ssd: the chunk size. */
  int chunk = sq_kernel_param_index(c->kernel, "CHUNK");
  if (chunk >= 0 && !strcmp(op->name, "ssm.ssd")) fprintf(f, ",\n  \"chunk\": %d", c->params[chunk]);
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

int sq_dump_case(const char *root, const sq_case *c, const sq_result *r, uint64_t seed, const float *const *in,
                 const float *const *out) {
  const sq_problem *p = &c->prob;
  const sq_op *op = p->shape.op;
  char shape[SQ_SHAPE_TEXT_MAX];
  folder_shape(p, shape, sizeof shape);
  char *dir = sq_strf("%s/%s.%s.%s.%s", root, c->kernel->name, p->causal ? "causal" : "noncausal", shape,
                          sq_dtype_name(p->dtype));
  if (!dir) return SQ_ENOMEM;
  int rc = sq_mkdirs(dir);
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++) {
    const float *data = op->tensors[t].out ? out[t] : in[t];
    if (!data) continue;
    int64_t dims[SQ_TENSOR_MAX_DIMS];
    int nd = sq_tensor_dims(&p->shape, &op->tensors[t], dims);
    char *path = sq_strf("%s/%s.npy", dir, op->tensors[t].name);
    rc = path ? sq_npy_write(path, "<f4", 4, data, dims, nd) : SQ_ENOMEM;
    free(path);
  }
  char *json = rc ? NULL : sq_strf("%s/case.json", dir);
  if (!rc) rc = json ? write_json(json, c, r, seed) : SQ_ENOMEM;
  free(json);
  free(dir);
  return rc;
}
