/* SPDX-License-Identifier: BSD-3-Clause */
/* The paper catalog: every paper of the reading list (papers.csv: short
 * name, title, and the reason when it has no kernel workload) and every
 * workload shape taken from them (workloads.csv: one row per kernel-sized
 * operator call). A row names its operator (`op`, a declared sq_op) and
 * gives its `shape` in the op's axis names, each value a plain number from
 * the cited source or marked `assumed:`; the catalog alone may write a
 * batch axis as a product of factors (B=64*49: batch x windows), so the
 * provenance of each factor survives. Both files are embedded into the
 * binary at build time; `--catalog FILE` reads another workloads file
 * instead. Loading validates every row, its shape against its op even while
 * the row's kernel is pending, and fails with SQ_EPARSE and "file:line:
 * column: what is wrong". */
#ifndef SQ_CATALOG_H
#define SQ_CATALOG_H

#include <stdint.h>

#include "kernels/kernel.h"
#include "kernels/op.h"

typedef struct sq_workload {
  char name[64];           /* unique: "swin/swin-t-224.s1" */
  char paper[64];          /* short paper name, a key of papers.csv */
  char domain[16];         /* lm | vision | video | pointcloud | pathology */
  char family[32];         /* operator family: softmax_attn, window_attn, ssm_scan ... */
  const sq_op *op;         /* the operator the row computes */
  char kernel[64];         /* as written: a kernel name or "pending:KIND" */
  const sq_kernel *k;      /* resolved kernel, NULL while pending */
  int causal;
  char shape_text[256];    /* as written: "B=64*64,H=3,T=49,D=assumed:32" */
  sq_shape shape;          /* parsed against op, defaults filled */
  unsigned assumed;        /* bit a: a value of axis a is marked assumed */
  int nvalues;             /* values the shape writes (each factor of a product is one) */
  int nassumed;            /* how many of them are marked assumed */
  /* Kernel calls per model layer at this shape: the orders of a
   * multi-order scan that the model runs as separate calls (PlainMamba's
   * four zig-zag orders: 4; Restore-RWKV's row- and column-major Bi-WKV:
   * 2; VMamba's four directions folded into channels: 1). A layer costs
   * calls x one call's time. */
  int calls;
  char words[160];         /* the paper's operator, in words */
  char *source;            /* where the numbers come from (malloc'd) */
  char *notes;             /* derivations and caveats (malloc'd) */
  int line;                /* line in its file */
} sq_workload;

typedef struct sq_paper {
  char paper[64];
  char title[256];
  char reason[256];        /* why it has no workload, "" when it has some */
  int nworkloads;          /* rows of the loaded workloads file */
  int line;                /* line in papers.csv */
} sq_paper;

typedef struct sq_catalog {
  int n;
  sq_workload *w;
  int npapers;
  sq_paper *papers;
  char file[256];          /* name used in messages: "workloads.csv (embedded)" or a path */
} sq_catalog;

/* Parses and validates a workloads text and a papers text (either may be
 * NULL: the embedded one is used). `wname`/`pname` name them in errors.
 * When `check_papers` is set every workload's paper must be in the papers
 * file. 0 or SQ_EPARSE / SQ_ENOMEM with the detail. */
int sq_catalog_parse(const char *wtext, size_t wlen, const char *wname, const char *ptext,
                     size_t plen, const char *pname, int check_papers, sq_catalog *out);

/* Loads the workloads file at `path` (NULL: the embedded catalog); SQ_EIO
 * when it cannot be read. */
int sq_catalog_load(const char *path, sq_catalog *out);
void sq_catalog_free(sq_catalog *c);

/* The process-wide catalog used by the catalog suites: loaded on first use
 * from the path set with sq_catalog_set_path (NULL: embedded). */
int sq_catalog_set_path(const char *path);
int sq_catalog_get(const sq_catalog **out);

const sq_workload *sq_catalog_find(const sq_catalog *c, const char *name);
/* The op's preferred kernel in a mode (causal 1 or 0): the first
 * registered kernel of the op that has it, or NULL while it is pending. */
const sq_kernel *sq_op_kernel(const sq_op *op, int causal);
const sq_paper *sq_catalog_paper(const sq_catalog *c, const char *paper);

/* Kernel-sized problem of a runnable row, from its shape (B, H, T, D, DV
 * and the linear options when the op has them), in f32. SQ_EUNSUPPORTED
 * while pending. */
int sq_workload_problem(const sq_workload *w, sq_problem *p);

/* The shape as the table shows it: the values the row writes, in the op's
 * order, `assumed:` shortened to `~` ("B=64*64,H=3,T=49,D=~32"). */
void sq_workload_shape_brief(const sq_workload *w, char *buf, size_t n);

/* Values the shapes write and how many of them carry a source (not
 * assumed); defaults the op fills in are not the file's and do not count. */
void sq_catalog_source_share(const sq_catalog *c, int *numbers, int *sourced);

#endif
