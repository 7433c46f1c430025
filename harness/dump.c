/* Dumps of verified cases for researchers and for the independent NumPy
 * check: one .npy per tensor (the stored values as float32, exact for f16
 * and bf16) and case.json with the op's shape keys, one folder per case.
 * Paths are built on the heap, so a long root is never cut short. */
#include "harness/dump.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "harness/files.h"
#include "harness/npy.h"

/* A malloc'd printf, or NULL (with the detail) when out of memory. */
static char *heap_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *heap_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!s) {
    sq_fail(SQ_ENOMEM, "no memory for a dump path");
    return NULL;
  }
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* "B1.H2.T4096.D64.DV64": the sizes, then options that differ from their
 * defaults ("normalize1"), so two cases never share a folder while the
 * attention ops keep the names they always had. */
static void folder_shape(const sq_problem *p, char *buf, size_t n) {
  const sq_op *op = p->shape.op;
  sq_shape defaults;
  sq_shape_defaults(op, &defaults);
  size_t used = 0;
  buf[0] = '\0';
  for (int a = 0; a < sq_op_naxes(op) && used < n; a++) {
    const sq_axis *ax = &op->axes[a];
    int option = (ax->flags & SQ_AX_OPTION) || ax->kind == SQ_AXIS_REAL;
    if (option && !memcmp(defaults.v[a], p->shape.v[a], sizeof defaults.v[a])) continue;
    if (option && ax->kind == SQ_AXIS_REAL) continue;   /* a computed scale differs per D */
    char v[64];
    sq_shape_format_axis(&p->shape, a, v, sizeof v);
    used += (size_t)snprintf(buf + used, n - used, "%s%s%s", used ? "." : "", ax->name, v);
  }
}

/* One axis as a JSON value of its kind. */
static void json_axis(FILE *f, const sq_axis *ax, const double *v) {
  switch (ax->kind) {
  case SQ_AXIS_BOOL: fprintf(f, "%s", v[0] ? "true" : "false"); break;
  case SQ_AXIS_REAL: fprintf(f, "%.9g", v[0]); break;
  case SQ_AXIS_ENUM: fprintf(f, "\"%s\"", ax->names[(int)v[0]]); break;
  case SQ_AXIS_LIST:
    fputc('[', f);
    for (int i = 0; i < ax->len; i++) fprintf(f, "%s%lld", i ? ", " : "", (long long)v[i]);
    fputc(']', f);
    break;
  default: fprintf(f, "%lld", (long long)v[0]);
  }
}

static int write_case_json(const char *dir, const sq_case *c, const sq_result *r, uint64_t seed) {
  const sq_problem *p = &c->prob;
  const sq_op *op = p->shape.op;
  char *path = heap_printf("%s/case.json", dir);
  if (!path) return SQ_ENOMEM;
  FILE *f = fopen(path, "w");
  if (!f) {
    int rc = sq_fail(SQ_EIO, "%s: cannot write", path);
    free(path);
    return rc;
  }
  fprintf(f, "{\n  \"kernel\": \"%s\",\n  \"dtype\": \"%s\",\n", c->kernel->name, sq_dtype_name(p->dtype));
  if (op->causal_key) fprintf(f, "  \"causal\": %s,\n", p->causal ? "true" : "false");
  for (int a = 0; a < sq_op_naxes(op); a++) {
    fprintf(f, "  \"%s\": ", op->axes[a].name);
    json_axis(f, &op->axes[a], p->shape.v[a]);
    fprintf(f, ",\n");
  }
  fprintf(f,
          "  \"note\": \"arrays hold the stored values as float32 (exact for f16 and bf16)\",\n"
          "  \"params\": \"%s\",\n  \"seed\": %llu,\n  \"max_rel_err\": %.6g,\n  \"verify\": \"%s\",\n"
          "  \"device\": \"%s\"\n}\n",
          r->params, (unsigned long long)seed, r->max_rel_err, r->verify, r->device);
  int rc = fclose(f) ? sq_fail(SQ_EIO, "%s: write failed", path) : 0;
  free(path);
  return rc;
}

int sq_dump_case(const char *root, const sq_case *c, const sq_result *r, uint64_t seed, const float *const *in,
                 const float *const *out) {
  const sq_problem *p = &c->prob;
  const sq_op *op = p->shape.op;
  char shape[SQ_SHAPE_TEXT_MAX];
  folder_shape(p, shape, sizeof shape);
  char *dir = heap_printf("%s/%s.%s.%s.%s", root, c->kernel->name, p->causal ? "causal" : "noncausal", shape,
                          sq_dtype_name(p->dtype));
  if (!dir) return SQ_ENOMEM;
  int rc = sq_mkdirs(dir) ? SQ_EIO : 0;
  for (int t = 0; !rc && t < sq_op_ntensors(op); t++) {
    const float *data = op->tensors[t].out ? out[t] : in[t];
    if (!data) continue;
    int64_t dims[SQ_TENSOR_MAX_DIMS];
    int nd = sq_tensor_dims(&p->shape, &op->tensors[t], dims);
    char *path = heap_printf("%s/%s.npy", dir, op->tensors[t].name);
    rc = path ? sq_npy_write(path, "<f4", 4, data, dims, nd) : SQ_ENOMEM;
    free(path);
  }
  if (!rc) rc = write_case_json(dir, c, r, seed);
  free(dir);
  return rc;
}
