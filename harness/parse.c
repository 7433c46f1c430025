/* Parsing of shapes ("B=1,H=8,T=4096,D=64") and parameter assignments
 * ("CHUNK=64"), shared by the CLI and the workload files. Every rejection
 * names the offending key or value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"
#include "harness/run.h"

#define SQ_MAX_T 2147483647LL       /* kernels index tokens with int */
#define SQ_MAX_BH 1048576LL
#define SQ_MAX_ELEMS (1LL << 40)    /* ~4 TiB of f32: beyond any device */

static int parse_dim(const char *key, const char *val, long long hi, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(val, &end, 10);
  if (!*val || *end || errno == ERANGE)
    return sq_fail(SQ_EINVAL, "--shape: %s='%s' is not an integer", key, val);
  if (v < 1) return sq_fail(SQ_EINVAL, "--shape: %s=%lld must be at least 1", key, v);
  if (v > hi) return sq_fail(SQ_EINVAL, "--shape: %s=%lld is larger than the maximum %lld", key, v, hi);
  *out = v;
  return 0;
}

int sq_shape_parse(const char *s, sq_problem *p) {
  char buf[256];
  if (strlen(s) >= sizeof buf) return sq_fail(SQ_EINVAL, "--shape: '%.40s...' is too long", s);
  strcpy(buf, s);
  int64_t B = 0, H = 0, T = 0, D = 0, DV = 0;
  static const char *const keys[] = {"B", "H", "T", "D", "DV"};
  int64_t *dst[] = {&B, &H, &T, &D, &DV};
  const long long hi[] = {SQ_MAX_BH, SQ_MAX_BH, SQ_MAX_T, 256, 256};
  for (char *next = buf, *tok; (tok = next);) {
    next = strchr(tok, ',');
    if (next) *next++ = '\0';
    if (!*tok) return sq_fail(SQ_EINVAL, "--shape: empty field in '%s'", s);
    char *eq = strchr(tok, '=');
    if (!eq) return sq_fail(SQ_EINVAL, "--shape: '%s' is not KEY=VALUE (keys: B, H, T, D, DV)", tok);
    *eq = '\0';
    int k = -1;
    for (int i = 0; i < 5; i++)
      if (!strcmp(tok, keys[i])) k = i;
    if (k < 0) return sq_fail(SQ_EINVAL, "--shape: unknown key '%s' (keys: B, H, T, D, DV)", tok);
    if (*dst[k]) return sq_fail(SQ_EINVAL, "--shape: %s is given twice", tok);
    int rc = parse_dim(tok, eq + 1, hi[k], dst[k]);
    if (rc) return rc;
  }
  if (!T) return sq_fail(SQ_EINVAL, "--shape: T (tokens) is missing in '%s'", s);
  if (!D) return sq_fail(SQ_EINVAL, "--shape: D (head dim) is missing in '%s'", s);
  p->B = B ? B : 1;
  p->H = H ? H : 1;
  p->T = T;
  p->D = D;
  p->DV = DV ? DV : D;
  double elems = (double)p->B * p->H * p->T * (p->D > p->DV ? p->D : p->DV);
  if (elems > (double)SQ_MAX_ELEMS)
    return sq_fail(SQ_EINVAL, "--shape: %s has %.3g elements per tensor, over the limit of 2^40", s, elems);
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
