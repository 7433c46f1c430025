/* SPDX-License-Identifier: BSD-3-Clause */
/* The kernel descriptor: everything subquad knows about one operator
 * implementation besides its source text. A descriptor names the tunable
 * parameters and their candidate values, checks the constraints between them,
 * turns (problem, parameters) into a launch plan (defines, launches, scratch
 * buffers, local memory, work-group size), states the useful work of one
 * call, and carries a plain-C double-precision reference written from the
 * paper's equations. CLBlast's tuner descriptors are the model.
 *
 * What a kernel computes, its shape axes and tensors, is its operator's
 * declaration (kernels/op.h): a descriptor points at its op, and a problem
 * is a shape of that op plus the causal flag and the storage dtype. Buffer
 * slots are the op's tensor indices, then the plan's scratch buffers. */
#ifndef SQ_KERNEL_H
#define SQ_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/op.h"

#define SQ_MAX_PARAMS 8
#define SQ_MAX_VALUES 16
#define SQ_MAX_LAUNCHES 8
#define SQ_MAX_SCRATCH 4
#define SQ_MAX_ARGS 16
#define SQ_DEFINES_MAX 512

typedef enum { SQ_F32 = 0, SQ_F16 = 1, SQ_BF16 = 2 } sq_dtype;
typedef enum { SQ_FMAP_IDENTITY = 0, SQ_FMAP_ELU1 = 1 } sq_fmap;

const char *sq_dtype_name(sq_dtype t);
int sq_dtype_parse(const char *s, sq_dtype *out);   /* "f32", "f16", "bf16" */
size_t sq_dtype_size(sq_dtype t);

typedef struct sq_problem {
  sq_shape shape;          /* the operator and a value for each of its axes */
  int causal;              /* 1: token t sees tokens <= t (or the op's causal form) */
  sq_dtype dtype;          /* storage dtype of activations; accumulation is always f32 */
} sq_problem;

/* The value of axis `a` (an index into the op's axes; families name them
 * with an enum checked against the declaration by the tests). */
static inline int64_t sq_ax(const sq_problem *p, int a) { return (int64_t)p->shape.v[a][0]; }
static inline void sq_ax_set(sq_problem *p, int a, int64_t v) { p->shape.v[a][0] = (double)v; }

/* Buffer slots a launch refers to: tensor i of the op is slot i. */
enum { SQ_SLOT_SCRATCH0 = SQ_OP_MAX_TENSORS, SQ_NSLOTS = SQ_SLOT_SCRATCH0 + SQ_MAX_SCRATCH };

typedef enum { SQ_ARG_BUF, SQ_ARG_I32, SQ_ARG_F32 } sq_arg_kind;

typedef struct sq_arg {
  sq_arg_kind kind;
  int slot;                /* SQ_ARG_BUF */
  int32_t i;               /* SQ_ARG_I32 */
  float f;                 /* SQ_ARG_F32 */
} sq_arg;

/* A launch that is a call of the vendor's GEMM (cuBLAS on CUDA, CLBlast on
 * OpenCL) instead of a kernel of the text: for each z < batch, row-major
 * f32, C_z = alpha A_z op(B_z) + beta C_z, where op(B) = B or B^T, and X_z
 * starts z * stride_x elements into the buffer in slot x. */
typedef struct sq_gemm {
  int64_t batch;           /* 0: not a GEMM */
  int64_t m, n, k;
  int a, b, c;             /* buffer slots */
  int trans_b;
  int64_t lda, ldb, ldc, stride_a, stride_b, stride_c;
  float alpha, beta;
} sq_gemm;

typedef struct sq_launch {
  const char *entry;       /* kernel function name in the source text */
  size_t global[3];        /* work-items per dimension, a multiple of local */
  size_t local[3];         /* work-group size per dimension */
  int nargs;
  sq_arg args[SQ_MAX_ARGS];
  sq_gemm gemm;            /* gemm.batch > 0: this launch is the vendor's GEMM */
} sq_launch;

typedef struct sq_plan {
  char defines[SQ_DEFINES_MAX];          /* "-DHEAD_D=64 -DCHUNK=64 ..." */
  int nlaunch;
  sq_launch launch[SQ_MAX_LAUNCHES];
  int nscratch;
  size_t scratch_bytes[SQ_MAX_SCRATCH];
  size_t local_mem;        /* largest static local memory of any launch, bytes */
} sq_plan;

/* Useful work of one call, from the recurrent (or plain quadratic) form:
 * what a chunked variant happens to execute does not count. */
typedef struct sq_work {
  double flops;            /* multiply and add count 1 each */
  double bytes;            /* compulsory global traffic: read inputs once, write outputs once */
  double exps;             /* exponentials */
} sq_work;

typedef struct sq_param {
  const char *name;        /* the define's name: "CHUNK" */
  int nvalues;
  int values[SQ_MAX_VALUES];
  int def;                 /* default value; compiles untuned */
  const char *doc;
} sq_param;

#define SQ_CAUSAL 1u
#define SQ_NONCAUSAL 2u

typedef struct sq_kernel {
  const char *name;        /* "linear_attn.causal_chunked" */
  const sq_op *op;         /* what it computes: axes, tensors */
  const char *family;      /* "linear_attn", "softmax_attn" */
  const char *doc;         /* one line */
  const char *const *source;   /* points at the embedded text (kernels/sources.h) */
  unsigned modes;          /* SQ_CAUSAL | SQ_NONCAUSAL: which it supports */
  int quadratic;           /* 1 for the softmax baselines */
  /* 1: the reference computes each asked row on its own (attention,
   * windows), so a sampled verification costs only its rows; 0: it runs a
   * recurrence over every token whatever rows are asked. */
  int ref_by_row;
  int vendor_blas;         /* 1: its plan has vendor GEMM steps (cuBLAS, CLBlast) */
  int nparams;
  sq_param params[SQ_MAX_PARAMS];
  /* Constraints between parameters, checked on the first `nset` values so
   * the tuner can prune partial assignments early. 0 when valid, else
   * SQ_EINVAL with the reason in why. */
  int (*check)(const sq_problem *p, const int *pv, int nset, char *why, size_t whylen);
  /* Fills a launch plan; the problem has been validated. */
  int (*plan)(const sq_problem *p, const int *pv, sq_plan *out);
  sq_work (*work)(const sq_problem *p);
  /* Reference in double precision from the equations. in[i] holds input
   * tensor i of the op as stored, read as float (NULL for outputs and absent
   * tensors). It computes every output tensor into out[i]: over the token
   * rows rows[0..nrows) only (sorted, each < the token count) for outputs
   * whose dims hold the token axis, laid out as the tensor with that axis
   * cut to nrows; in full for the others (a final state). */
  int (*reference)(const sq_problem *p, const float *const *in, const int64_t *rows, int64_t nrows,
                   double *const *out);
  /* Reference cost per output row, in flops, over every other index of the
   * output: lets the harness choose the full reference or sampled rows. */
  double (*reference_row_cost)(const sq_problem *p);
} sq_kernel;

/* The registry (kernels/registry.c). */
extern const sq_kernel *const sq_kernels[];
extern const int sq_nkernels;
const sq_kernel *sq_kernel_find(const char *name);
int sq_kernel_param_index(const sq_kernel *k, const char *name);
void sq_kernel_default_params(const sq_kernel *k, int *pv);

/* Plan-building helpers (kernels/kernel.c). */
void sq_plan_init(sq_plan *pl);
void sq_plan_define(sq_plan *pl, const char *name, long value);
void sq_plan_define_text(sq_plan *pl, const char *name, const char *value);
/* Standard defines every kernel text sees: CAUSAL, DTYPE, and each axis of
 * the op that declares a define name (HEAD_D, HEAD_DV, FMAP ...). */
void sq_plan_problem_defines(sq_plan *pl, const sq_problem *p);
sq_launch *sq_plan_launch(sq_plan *pl, const char *entry, size_t g0, size_t g1, size_t g2,
                          size_t l0, size_t l1, size_t l2);
/* A vendor GEMM step (entry "vendor_gemm", no work-groups). */
sq_launch *sq_plan_gemm(sq_plan *pl, const sq_gemm *g);
int sq_plan_scratch(sq_plan *pl, size_t bytes);      /* returns the slot */
void sq_arg_buf(sq_launch *l, int slot);
void sq_arg_i32(sq_launch *l, int32_t v);
void sq_arg_f32(sq_launch *l, float v);
size_t sq_round_up(size_t x, size_t m);

#endif
