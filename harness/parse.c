/* Parsing of a case from the command line (--shape in the kernel's op's
 * keys, the causal flag, the dtype) and of parameter assignments
 * ("CHUNK=64"). Every rejection names the offending key or value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "harness/run.h"

#define SQ_MAX_ELEMS (1LL << 40)    /* ~4 TiB of f32 in one tensor: beyond any device */

int sq_problem_parse(const sq_kernel *k, const char *shape, int causal, sq_dtype dtype, sq_problem *p) {
  memset(p, 0, sizeof *p);
  p->causal = causal >= 0 ? causal : (k->modes & SQ_CAUSAL) != 0;
  p->dtype = dtype;
  if (!(k->modes & (p->causal ? SQ_CAUSAL : SQ_NONCAUSAL)))
    return sq_fail(SQ_EINVAL, "%s: %s has no %s form", p->causal ? "--causal" : "--noncausal", k->name,
                   p->causal ? "causal" : "non-causal");
  int rc = sq_shape_parse_op(k->op, shape, p->causal, "--shape", &p->shape);
  if (rc) return rc;
  const sq_op *op = k->op;
  for (int t = 0; t < sq_op_ntensors(op); t++) {
    double elems = sq_tensor_elems(&p->shape, &op->tensors[t]);
    if (elems > (double)SQ_MAX_ELEMS)
      return sq_fail(SQ_EINVAL, "--shape: %s has %.3g elements in %s, over the limit of 2^40", shape, elems,
                     op->tensors[t].name);
  }
  return 0;
}

int sq_params_parse(const sq_kernel *k, const char *assign, int *pv) {
  const char *eq = strchr(assign, '=');
  char name[64];
  if (!eq || eq == assign || (size_t)(eq - assign) >= sizeof name)
    return sq_fail(SQ_EINVAL, "--param: '%s' is not NAME=VALUE", assign);
  memcpy(name, assign, (size_t)(eq - assign));
  name[eq - assign] = '\0';
  int i = sq_kernel_param_index(k, name);
  if (i < 0) {
    char known[256] = "";
    for (int j = 0; j < k->nparams; j++) {
      size_t len = strlen(known);
      snprintf(known + len, sizeof known - len, "%s%s", j ? ", " : "", k->params[j].name);
    }
    return sq_fail(SQ_EINVAL, "--param: %s has no parameter '%s' (parameters: %s)", k->name, name,
                   k->nparams ? known : "none");
  }
  char *end;
  errno = 0;
  long v = strtol(eq + 1, &end, 10);
  if (!eq[1] || *end || errno == ERANGE || v < 1 || v > 1 << 20)
    return sq_fail(SQ_EINVAL, "--param: %s='%s' is not a positive integer", name, eq + 1);
  pv[i] = (int)v;
  return 0;
}

void sq_params_format(const sq_kernel *k, const int *pv, char *buf, size_t n) {
  buf[0] = '\0';
  for (int i = 0; i < k->nparams; i++) {
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s=%d", i ? ";" : "", k->params[i].name, pv[i]);
  }
}
