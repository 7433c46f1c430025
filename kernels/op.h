/* SPDX-License-Identifier: BSD-3-Clause */
/* Operators: what one kernel family computes, declared rather than assumed.
 * An operator (sq_op) names its shape axes (sizes such as B, T or N, lists
 * such as a 14x14 grid, booleans such as has_z, reals such as scale, and
 * enumerations such as a feature map) and its tensors (inputs and outputs,
 * their dims as lists of axes, which stay f32 whatever the storage dtype).
 * Everything that used to hard-code Q, K, V -> O over (B, H, T, D) works
 * from the declaration instead: --shape, the catalog's shape column, the
 * result files' canonical shape, dumps (FAMILIES.md §0.1) and the tuning
 * database key.
 *
 * A shape (sq_shape) is one operator plus a value for every axis. Its
 * canonical text lists every axis in declaration order ("B=1,H=2,T=4096,
 * D=64,DV=64,...") and is the identity of a case wherever rows are matched.
 * Values given explicitly are remembered, so a row can be written with only
 * what differs from the defaults when that reads better (the catalog). */
#ifndef SQ_OP_H
#define SQ_OP_H

#include <stddef.h>
#include <stdint.h>

#define SQ_OP_MAX_AXES 16
#define SQ_OP_MAX_TENSORS 16
#define SQ_AXIS_MAX_LEN 3       /* a list axis holds at most a 3D grid */
#define SQ_TENSOR_MAX_DIMS 6
#define SQ_SHAPE_TEXT_MAX 384   /* a canonical shape text always fits */

typedef enum {
  SQ_AXIS_INT,   /* a size or a count: T=4096 */
  SQ_AXIS_BOOL,  /* 0 or 1: has_z=1 */
  SQ_AXIS_REAL,  /* a real number: scale=0.125 */
  SQ_AXIS_LIST,  /* len integers written AxB[xC]: grid=14x14 */
  SQ_AXIS_ENUM,  /* one of names[]: feature=elu1 */
} sq_axis_kind;

/* Axis flags. */
#define SQ_AX_BATCH 0x01u    /* independent instances: the planner may slice over it */
#define SQ_AX_OPTION 0x02u   /* selects a variant of the computation, not a size */
#define SQ_AX_KEY 0x04u      /* part of the tuning-database key, exactly */
#define SQ_AX_BUCKET 0x08u   /* part of the tuning-database key, bucketed to a power of two */
#define SQ_AX_REQUIRED 0x10u /* no default: the shape must give it */
#define SQ_AX_TOKENS 0x20u   /* the token axis (a list axis: the product of its values) */

typedef struct sq_shape sq_shape;

typedef struct sq_axis {
  const char *name;          /* "T", "grid", "has_z": the --shape and case.json key */
  sq_axis_kind kind;
  int len;                   /* SQ_AXIS_LIST: how many values */
  unsigned flags;
  double lo, hi;             /* range of every value (ints: inclusive) */
  double def;                /* default, unless REQUIRED, def_from or def_fn says otherwise */
  const char *def_from;      /* default copies this earlier axis (DV from D) */
  double (*def_fn)(const sq_shape *s);   /* computed default (scale = D^-1/2) */
  const char *define;        /* -DNAME=value for kernel texts, or NULL */
  const char *const *names;  /* SQ_AXIS_ENUM: NULL-terminated value names */
  const char *doc;           /* one line, for --help and errors */
} sq_axis;

/* A tensor's dims are a comma-separated list of axis names ("B,H,T,D"); a
 * list axis stands for the product of its values ("B,H,grid,D" has
 * T = Hg*Wg tokens) unless written NAME[i] for one of them. */
typedef struct sq_tensor {
  const char *name;          /* "q", "delta", "log_gamma", "o", "ht" */
  int out;                   /* 1: written by the kernel */
  const char *dims;
  int f32;                   /* parameters and states stay f32 whatever the dtype */
  const char *when;          /* present only when this bool axis is 1 ("has_z"), or when
                              * it is 0 when written "!causal"; NULL: always */
  /* Dims that the list syntax cannot say (Swin's bias table is
   * [H][2Mh-1][2Mw-1]): fills dims, returns their count. */
  int (*dims_fn)(const sq_shape *s, int64_t *dims);
  /* Well-conditioned inputs: turns the n uniform draws r in [-1, 1) of this
   * tensor's stream into its values, in place, before rounding to the
   * storage dtype (A = -exp(...), log-sigmoid gates ...). NULL: r as is.
   * causal: the form being run (RWKV-4's decay w > 0 when causal, a
   * growth-allowing w/T in Bi-WKV). */
  void (*init)(const sq_shape *s, int causal, float *v, int64_t n);
} sq_tensor;

typedef struct sq_op {
  const char *name;          /* "linear_attn", "ssm.selective_scan" */
  const char *doc;
  sq_axis axes[SQ_OP_MAX_AXES];         /* in key order, ended by a NULL name */
  sq_tensor tensors[SQ_OP_MAX_TENSORS]; /* inputs then outputs, ended by a NULL name */
  /* Constraints between axes the ranges cannot say (D % G == 0, a window
   * that divides the grid): 0, or SQ_EINVAL with a one-line reason. */
  int (*check)(const sq_shape *s, int causal, char *why, size_t whylen);
  const char *pending;       /* the catalog kind still waiting for kernels, or NULL */
  int causal_key;            /* case.json carries "causal" (FAMILIES.md §0.2) */
  /* The quadratic case a row is compared with: softmax attention over the
   * same tokens (B, H, T, D, DV as the README's mapping says). NULL for the
   * softmax op itself. */
  void (*baseline)(const sq_shape *s, sq_shape *softmax);
  /* The sweeps' shapes without the token axis, which the sweep sets: the
   * quick suite's (CI-sized) and the scaling suite's (to 8M tokens). NULL:
   * the op's kernels are not in that sweep. */
  const char *quick_shape, *scaling_shape;
  /* The shape of one slice when a case runs slice by slice: NULL, every
   * batch axis 1; an op whose batch axis another axis must divide says
   * how instead (Mamba-2: one group's heads, H/G of them, G = 1). */
  void (*slice)(sq_shape *s);
} sq_op;

/* One operator and a value for every axis. List values sit in v[a][0..len);
 * other kinds in v[a][0] (bools 0/1, enums the index, reals the number). */
struct sq_shape {
  const sq_op *op;
  double v[SQ_OP_MAX_AXES][SQ_AXIS_MAX_LEN];
  unsigned given;            /* bit a: axis a was given, not defaulted */
};

/* How many axes and tensors an op declares (its lists end at a NULL name,
 * so a declaration never carries a count that could disagree with it). */
int sq_op_naxes(const sq_op *op);
int sq_op_ntensors(const sq_op *op);

/* The baseline shape of s (0), or SQ_EUNSUPPORTED when the op is itself
 * the quadratic baseline. */
int sq_shape_baseline(const sq_shape *s, sq_shape *softmax);

/* The registry of operators (kernels/ops.c). */
extern const sq_op *const sq_ops[];
extern const int sq_nops;
const sq_op *sq_op_find(const char *name);
int sq_op_axis_index(const sq_op *op, const char *name);   /* -1 when absent */

/* Parses "KEY=VALUE,..." for op: unknown keys, values out of range or of the
 * wrong kind, repeated keys and missing required keys fail with SQ_EINVAL
 * and a one-line detail that lists the op's keys. Defaults fill the rest;
 * then op->check runs. `what` prefixes errors ("--shape", "file.csv:12"). */
int sq_shape_parse_op(const sq_op *op, const char *text, int causal, const char *what, sq_shape *out);
/* The defaults of every axis (required axes set to their lower bound). */
void sq_shape_defaults(const sq_op *op, sq_shape *s);
/* Canonical text: every axis in declaration order. */
void sq_shape_format(const sq_shape *s, char *buf, size_t n);
/* The value of axis a alone, as the canonical text writes it ("14x14"). */
void sq_shape_format_axis(const sq_shape *s, int a, char *buf, size_t n);

/* The index of the op's token axis (every op declares exactly one; the
 * tests check it). */
int sq_op_token_axis(const sq_op *op);

/* Values: an int/bool/enum axis, the i-th value of a list, a real. */
int64_t sq_shape_int(const sq_shape *s, const char *axis);
int64_t sq_shape_list(const sq_shape *s, const char *axis, int i);
double sq_shape_real(const sq_shape *s, const char *axis);
/* Tokens per batch instance: the token axis (the product of a list). */
int64_t sq_shape_tokens(const sq_shape *s);

/* Tensors: presence (its `when`), dims (number returned) and elements. */
int sq_tensor_present(const sq_shape *s, const sq_tensor *t, int causal);
int sq_tensor_dims(const sq_shape *s, const sq_tensor *t, int64_t *dims);
double sq_tensor_elems(const sq_shape *s, const sq_tensor *t);
/* The dim that is the token axis (-1 when none, e.g. a state), and the name
 * of dim i in lower case for messages ("b", "h", "t", "dv"). */
int sq_tensor_token_dim(const sq_shape *s, const sq_tensor *t);
void sq_tensor_dim_name(const sq_shape *s, const sq_tensor *t, int i, char *buf, size_t n);
/* Instances the op computes independently: the product of its batch axes;
 * the shape of one slice, the smallest independent part a case can run as
 * (op->slice, else every batch axis 1); and how many slices make s. */
double sq_shape_instances(const sq_shape *s);
void sq_shape_unbatch(sq_shape *s);
double sq_shape_slices(const sq_shape *s);

#endif
