/* SPDX-License-Identifier: BSD-3-Clause */
/* Shapes of declared operators: parsing "KEY=VALUE,..." against an op's
 * axes, defaults, the canonical text, and tensor dims from the dims lists.
 * Every rejection is one line naming the key, the value and what the op
 * accepts. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "kernels/op.h"

int sq_op_naxes(const sq_op *op) {
  int n = 0;
  while (n < SQ_OP_MAX_AXES && op->axes[n].name) n++;
  return n;
}

int sq_op_ntensors(const sq_op *op) {
  int n = 0;
  while (n < SQ_OP_MAX_TENSORS && op->tensors[n].name) n++;
  return n;
}

int sq_op_axis_index(const sq_op *op, const char *name) {
  for (int a = 0, n = sq_op_naxes(op); a < n; a++)
    if (!strcmp(op->axes[a].name, name)) return a;
  return -1;
}

const sq_op *sq_op_find(const char *name) {
  for (int i = 0; i < sq_nops; i++)
    if (!strcmp(sq_ops[i]->name, name)) return sq_ops[i];
  return NULL;
}

/* "B, H, T, D, DV, causal" for error messages. */
static void key_list(const sq_op *op, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int a = 0; a < sq_op_naxes(op) && used < n; a++)
    used += (size_t)snprintf(buf + used, n - used, "%s%s", a ? ", " : "", op->axes[a].name);
}

static double axis_default(const sq_shape *s, const sq_axis *ax) {
  if (ax->def_from) {
    int from = sq_op_axis_index(s->op, ax->def_from);
    if (from >= 0) return s->v[from][0];
  }
  if (ax->def_fn) return ax->def_fn(s);
  if (ax->flags & SQ_AX_REQUIRED) return ax->lo;
  return ax->def;
}

/* Defaults are applied in declaration order, so def_from and def_fn may
 * read any earlier axis. */
static void fill_defaults(sq_shape *s) {
  for (int a = 0; a < sq_op_naxes(s->op); a++) {
    if (s->given & (1u << a)) continue;
    const sq_axis *ax = &s->op->axes[a];
    double d = axis_default(s, ax);
    int len = ax->kind == SQ_AXIS_LIST ? ax->len : 1;
    for (int i = 0; i < len; i++) s->v[a][i] = d;
  }
}

void sq_shape_defaults(const sq_op *op, sq_shape *s) {
  memset(s, 0, sizeof *s);
  s->op = op;
  fill_defaults(s);
}

static int parse_integer(const char *what, const char *key, const char *text, const sq_axis *ax,
                         double *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (!*text || *end || errno == ERANGE || text[0] == '+' || text[0] == ' ')
    return sq_fail(SQ_EINVAL, "%s: %s='%s' is not an integer", what, key, text);
  if ((double)v < ax->lo) return sq_fail(SQ_EINVAL, "%s: %s=%lld must be at least %.0f", what, key, v, ax->lo);
  if ((double)v > ax->hi)
    return sq_fail(SQ_EINVAL, "%s: %s=%lld is larger than the maximum %.0f", what, key, v, ax->hi);
  *out = (double)v;
  return 0;
}

static int parse_value(const char *what, const sq_axis *ax, const char *text, double *v) {
  const char *key = ax->name;
  switch (ax->kind) {
  case SQ_AXIS_INT:
    return parse_integer(what, key, text, ax, v);
  case SQ_AXIS_BOOL:
    if (strcmp(text, "0") && strcmp(text, "1"))
      return sq_fail(SQ_EINVAL, "%s: %s='%s' is not 0 or 1", what, key, text);
    v[0] = text[0] == '1';
    return 0;
  case SQ_AXIS_REAL: {
    char *end;
    errno = 0;
    double r = strtod(text, &end);
    if (!*text || *end || errno == ERANGE || !isfinite(r))
      return sq_fail(SQ_EINVAL, "%s: %s='%s' is not a number", what, key, text);
    if (r < ax->lo || r > ax->hi)
      return sq_fail(SQ_EINVAL, "%s: %s=%g is out of range [%g, %g]", what, key, r, ax->lo, ax->hi);
    v[0] = r;
    return 0;
  }
  case SQ_AXIS_ENUM:
    for (int i = 0; ax->names[i]; i++)
      if (!strcmp(text, ax->names[i])) return v[0] = i, 0;
    {
      char names[160];
      size_t used = 0;
      for (int i = 0; ax->names[i] && used < sizeof names; i++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", ax->names[i]);
      return sq_fail(SQ_EINVAL, "%s: %s='%s' is not one of %s", what, key, text, names);
    }
  case SQ_AXIS_LIST: {
    char part[32];
    const char *p = text;
    for (int i = 0; i < ax->len; i++) {
      const char *x = strchr(p, 'x');
      size_t n = x ? (size_t)(x - p) : strlen(p);
      if ((x == NULL) != (i == ax->len - 1) || n == 0 || n >= sizeof part)
        return sq_fail(SQ_EINVAL, "%s: %s='%s' is not %d integers written like %s", what, key, text,
                       ax->len, ax->len == 3 ? "8x7x7" : "14x14");
      memcpy(part, p, n);
      part[n] = '\0';
      int rc = parse_integer(what, key, part, ax, &v[i]);
      if (rc) return rc;
      p = x ? x + 1 : p + n;
    }
    return 0;
  }
  }
  return sq_fail(SQ_EINVAL, "%s: %s: unknown axis kind", what, key);
}

static int parse_field(const char *what, sq_shape *s, char *tok, const char *keys) {
  char *eq = strchr(tok, '=');
  if (!eq) return sq_fail(SQ_EINVAL, "%s: '%s' is not KEY=VALUE (%s keys: %s)", what, tok, s->op->name, keys);
  *eq = '\0';
  int a = sq_op_axis_index(s->op, tok);
  if (a < 0) return sq_fail(SQ_EINVAL, "%s: unknown key '%s' (%s keys: %s)", what, tok, s->op->name, keys);
  if (s->given & (1u << a)) return sq_fail(SQ_EINVAL, "%s: %s is given twice", what, tok);
  int rc = parse_value(what, &s->op->axes[a], eq + 1, s->v[a]);
  if (rc) return rc;
  s->given |= 1u << a;
  return 0;
}

int sq_shape_parse_op(const sq_op *op, const char *text, int causal, const char *what, sq_shape *out) {
  char keys[256];
  key_list(op, keys, sizeof keys);
  sq_shape s;
  memset(&s, 0, sizeof s);
  s.op = op;
  char *buf = strdup(text);
  if (!buf) return sq_fail(SQ_ENOMEM, "%s: out of memory", what);
  int rc = 0;
  for (char *next = buf, *tok; !rc && (tok = next);) {
    next = strchr(tok, ',');
    if (next) *next++ = '\0';
    rc = *tok ? parse_field(what, &s, tok, keys)
              : sq_fail(SQ_EINVAL, "%s: empty field in '%s' (%s keys: %s)", what, text, op->name, keys);
  }
  free(buf);
  if (rc) return rc;
  for (int a = 0; a < sq_op_naxes(op); a++)
    if ((op->axes[a].flags & SQ_AX_REQUIRED) && !(s.given & (1u << a)))
      return sq_fail(SQ_EINVAL, "%s: %s is missing (%s keys: %s)", what, op->axes[a].name, op->name, keys);
  fill_defaults(&s);
  if (op->check) {
    char why[200];
    if (op->check(&s, causal, why, sizeof why)) return sq_fail(SQ_EINVAL, "%s: %s", what, why);
  }
  *out = s;
  return 0;
}

/* Reals print with %.9g: enough to read back the same float32 scale. */
static int format_value(const sq_axis *ax, const double *v, char *buf, size_t n) {
  switch (ax->kind) {
  case SQ_AXIS_REAL:
    return snprintf(buf, n, "%.9g", v[0]);
  case SQ_AXIS_ENUM:
    return snprintf(buf, n, "%s", ax->names[(int)v[0]]);
  case SQ_AXIS_LIST: {
    int used = 0;
    for (int i = 0; i < ax->len; i++)
      used += snprintf(buf + used, n > (size_t)used ? n - (size_t)used : 0, "%s%lld", i ? "x" : "", (long long)v[i]);
    return used;
  }
  default:
    return snprintf(buf, n, "%lld", (long long)v[0]);
  }
}

void sq_shape_format(const sq_shape *s, char *buf, size_t n) {
  size_t used = 0;
  if (n) buf[0] = '\0';
  for (int a = 0; a < sq_op_naxes(s->op) && used < n; a++) {
    used += (size_t)snprintf(buf + used, n - used, "%s%s=", a ? "," : "", s->op->axes[a].name);
    if (used < n) used += (size_t)format_value(&s->op->axes[a], s->v[a], buf + used, n - used);
  }
}

void sq_shape_format_axis(const sq_shape *s, int a, char *buf, size_t n) {
  if (n) buf[0] = '\0';
  if (a >= 0 && a < sq_op_naxes(s->op)) format_value(&s->op->axes[a], s->v[a], buf, n);
}

/* Accessors name the axis; a name the op does not declare is a programming
 * error in a kernel descriptor, caught by the tests, so it reads as 0. */
int64_t sq_shape_int(const sq_shape *s, const char *axis) {
  int a = sq_op_axis_index(s->op, axis);
  return a < 0 ? 0 : (int64_t)s->v[a][0];
}

int64_t sq_shape_list(const sq_shape *s, const char *axis, int i) {
  int a = sq_op_axis_index(s->op, axis);
  return a < 0 || i < 0 || i >= SQ_AXIS_MAX_LEN ? 0 : (int64_t)s->v[a][i];
}

double sq_shape_real(const sq_shape *s, const char *axis) {
  int a = sq_op_axis_index(s->op, axis);
  return a < 0 ? 0 : s->v[a][0];
}

static int64_t axis_product(const sq_shape *s, int a) {
  const sq_axis *ax = &s->op->axes[a];
  int64_t p = 1;
  for (int i = 0; i < (ax->kind == SQ_AXIS_LIST ? ax->len : 1); i++) p *= (int64_t)s->v[a][i];
  return p;
}

int sq_op_token_axis(const sq_op *op) {
  for (int a = 0; a < sq_op_naxes(op); a++)
    if (op->axes[a].flags & SQ_AX_TOKENS) return a;
  return -1;
}

int64_t sq_shape_tokens(const sq_shape *s) {
  int a = sq_op_token_axis(s->op);
  return a < 0 ? 0 : axis_product(s, a);
}

int sq_tensor_present(const sq_shape *s, const sq_tensor *t, int causal) {
  if (!t->when) return 1;
  int negate = t->when[0] == '!';
  const char *name = t->when + negate;
  int on = !strcmp(name, "causal") ? causal : sq_shape_int(s, name) != 0;
  return negate ? !on : on;
}

/* One dims entry: "T", "grid" (the product of its values) or "grid[1]". */
static int64_t dim_value(const sq_shape *s, const char *tok) {
  char name[32];
  const char *br = strchr(tok, '[');
  size_t n = br ? (size_t)(br - tok) : strlen(tok);
  if (n >= sizeof name) return 0;
  memcpy(name, tok, n);
  name[n] = '\0';
  int a = sq_op_axis_index(s->op, name);
  if (a < 0) return 0;
  return br ? (int64_t)s->v[a][atoi(br + 1)] : axis_product(s, a);
}

int sq_tensor_dims(const sq_shape *s, const sq_tensor *t, int64_t *dims) {
  if (t->dims_fn) return t->dims_fn(s, dims);
  int nd = 0;
  for (const char *p = t->dims; *p && nd < SQ_TENSOR_MAX_DIMS;) {
    char tok[40];
    size_t n = strcspn(p, ",");
    if (n >= sizeof tok) n = sizeof tok - 1;
    memcpy(tok, p, n);
    tok[n] = '\0';
    dims[nd++] = dim_value(s, tok);
    p += n;
    if (*p == ',') p++;
  }
  return nd;
}

double sq_tensor_elems(const sq_shape *s, const sq_tensor *t) {
  int64_t dims[SQ_TENSOR_MAX_DIMS];
  int nd = sq_tensor_dims(s, t, dims);
  double e = 1;
  for (int i = 0; i < nd; i++) e *= (double)dims[i];
  return e;
}

/* The i-th comma-separated entry of a dims list, without any [index]. */
static void dims_entry(const char *dims, int i, char *buf, size_t n) {
  const char *p = dims;
  for (int k = 0; k < i && p; k++) {
    p = strchr(p, ',');
    if (p) p++;
  }
  size_t len = p ? strcspn(p, ",[") : 0;
  if (len >= n) len = n - 1;
  if (p) memcpy(buf, p, len);
  buf[len] = '\0';
}

int sq_tensor_token_dim(const sq_shape *s, const sq_tensor *t) {
  if (!t->dims) return -1;
  int nd = 1;
  for (const char *p = t->dims; *p; p++) nd += *p == ',';
  for (int i = 0; i < nd; i++) {
    char name[40];
    dims_entry(t->dims, i, name, sizeof name);
    int a = sq_op_axis_index(s->op, name);
    if (a >= 0 && a == sq_op_token_axis(s->op) && !strchr(t->dims, '[')) return i;
  }
  return -1;
}

void sq_tensor_dim_name(const sq_shape *s, const sq_tensor *t, int i, char *buf, size_t n) {
  if (i == sq_tensor_token_dim(s, t)) {
    snprintf(buf, n, "t");
    return;
  }
  if (!t->dims) {
    snprintf(buf, n, "d%d", i);
    return;
  }
  dims_entry(t->dims, i, buf, n);
  for (char *p = buf; *p; p++) *p = (char)tolower((unsigned char)*p);
}

double sq_shape_instances(const sq_shape *s) {
  double n = 1;
  for (int a = 0; a < sq_op_naxes(s->op); a++)
    if (s->op->axes[a].flags & SQ_AX_BATCH) n *= (double)axis_product(s, a);
  return n;
}

void sq_shape_unbatch(sq_shape *s) {
  if (s->op->slice) {
    s->op->slice(s);
    return;
  }
  for (int a = 0; a < sq_op_naxes(s->op); a++)
    if (s->op->axes[a].flags & SQ_AX_BATCH) s->v[a][0] = 1;
}

double sq_shape_slices(const sq_shape *s) {
  sq_shape one = *s;
  sq_shape_unbatch(&one);
  return sq_shape_instances(s) / sq_shape_instances(&one);
}

int sq_shape_baseline(const sq_shape *s, sq_shape *softmax) {
  if (!s->op->baseline) return SQ_EUNSUPPORTED;
  s->op->baseline(s, softmax);
  return 0;
}
