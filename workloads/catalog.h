/* The paper catalog: every paper of the reading list (papers.csv: short
 * name, title, and the reason when it has no kernel workload) and every
 * workload shape taken from them (workloads.csv: one row per kernel-sized
 * operator call, each number a plain value from the cited source or marked
 * `assumed:`). Both files are embedded into the binary at build time;
 * `--catalog FILE` reads another workloads file instead. Loading validates
 * every row and fails with SQ_EPARSE and "file:line: column: what is wrong". */
#ifndef SQ_CATALOG_H
#define SQ_CATALOG_H

#include <stdint.h>

#include "kernels/kernel.h"

/* The numeric columns of a workload row, in file order. */
enum { SQ_WN_BATCH = 0, SQ_WN_WINDOWS, SQ_WN_HEADS, SQ_WN_DK, SQ_WN_DV, SQ_WN_DSTATE,
       SQ_WN_TOKENS, SQ_WN_COUNT };
extern const char *const sq_workload_num_names[SQ_WN_COUNT];

typedef struct sq_workload {
  char name[64];           /* unique: "swin/swin-t-224.s1" */
  char paper[64];          /* short paper name, a key of papers.csv */
  char domain[16];         /* lm | vision | video | pointcloud | pathology */
  char family[32];         /* operator family: softmax_attn, window_attn, ssm_scan ... */
  char kernel[64];         /* as written: a kernel name or "pending:FAMILY" */
  const sq_kernel *k;      /* resolved kernel, NULL while pending */
  int causal;
  int64_t num[SQ_WN_COUNT];/* -1 where the file says "-" (not applicable) */
  unsigned assumed;        /* bit i set: num[i] is marked assumed */
  unsigned given;          /* bit i set: the file states num[i] (not "-", not a default) */
  char grid[48];           /* token grid: "56x56", "136x32x32", "-" */
  char window[32];         /* window or chunk: "7x7", "1024", "-" */
  char op[160];            /* the paper's operator, in words */
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
const sq_paper *sq_catalog_paper(const sq_catalog *c, const char *paper);

/* Kernel-sized problem of a runnable row: B = batch x windows, H = heads,
 * T = tokens, D = dk, DV = dv, in f32. SQ_EUNSUPPORTED while pending. */
int sq_workload_problem(const sq_workload *w, sq_problem *p);

/* Numbers in the file and how many of them carry a source (not assumed). */
void sq_catalog_source_share(const sq_catalog *c, int *numbers, int *sourced);

#endif
