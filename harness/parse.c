/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing of a case from the command line (--shape in the kernel's op's
 * keys, the causal flag, the dtype) and of parameter assignments
 * ("CHUNK=64"). Every rejection names the offending key or value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
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
  char why[64];
  if (sq_param_value_parse(&k->params[i], eq + 1, &pv[i], why, sizeof why))
    return sq_fail(SQ_EINVAL, "--param: %s='%s' %s", name, eq + 1, why);
  return 0;
}

int sq_param_value_parse(const sq_param *par, const char *s, int *v, char *why, size_t n) {
  /* Zero is a value only for a parameter that lists it (a switch, or
   * "automatic"); elsewhere a zero divides in the planner. */
  int lo = par ? 1 : 0;
  for (int j = 0; par && j < par->nvalues; j++)
    if (par->values[j] == 0) lo = 0;
  char *end;
  errno = 0;
  long x = strtol(s, &end, 10);
  if (!*s || *end || errno == ERANGE || x < lo || x > SQ_PARAM_MAX) {
    if (lo) snprintf(why, n, "is not a positive integer (1 to %d)", SQ_PARAM_MAX);
    else snprintf(why, n, "is not an integer from 0 to %d", SQ_PARAM_MAX);
    return SQ_EINVAL;
  }
  *v = (int)x;
  return 0;
}

void sq_params_format(const sq_kernel *k, const int *pv, char *buf, size_t n) {
  buf[0] = '\0';
  for (int i = 0; i < k->nparams; i++) {
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s%s=%d", i ? ";" : "", k->params[i].name, pv[i]);
  }
}

/* The KERNEL: prefix of a spec: its length, 0 when there is none. */
static size_t spec_kernel_len(const char *spec) {
  const char *eq = strchr(spec, '='), *colon = strchr(spec, ':');
  return colon && eq && colon < eq ? (size_t)(colon - spec) : 0;
}

int sq_param_spec_check(const char *spec, const char *flag) {
  size_t n = spec_kernel_len(spec);
  char kname[128];
  if (!n) return 0;
  snprintf(kname, sizeof kname, "%.*s", (int)n, spec);
  return sq_kernel_find(kname) ? 0 : sq_fail(SQ_EINVAL, "%s: '%s' is not a kernel (see subquad list)", flag, kname);
}

const char *sq_param_spec_for(const char *spec, const sq_kernel *k) {
  size_t n = spec_kernel_len(spec);
  if (!n) return spec;
  return strlen(k->name) == n && !strncmp(k->name, spec, n) ? spec + n + 1 : NULL;
}
