/* SPDX-License-Identifier: BSD-3-Clause */
/* A search space: each tunable parameter's candidate values (sorted
 * ascending) and the list of valid configurations, each stored as one value
 * index per parameter. It is built before the search with the constraints
 * applied as early as possible: a kernel's space is enumerated depth-first
 * and every partial assignment is checked with the descriptor's `check`, so a
 * pruned prefix never expands; a recorded space (replay) is the set of rows
 * of its file, the rows absent from it playing the part of the configurations
 * the constraints removed. Strategies only ever see this structure. */
#ifndef SQ_TUNER_SPACE_H
#define SQ_TUNER_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

#define SQ_SPACE_MAXP 24
#define SQ_SPACE_MAXV 64
#define SQ_SPACE_NAME 32

typedef struct sq_space {
  int np;
  char name[SQ_SPACE_MAXP][SQ_SPACE_NAME];
  int nv[SQ_SPACE_MAXP];
  int val[SQ_SPACE_MAXP][SQ_SPACE_MAXV];
  int64_t n;            /* valid configurations */
  uint8_t *idx;         /* n * np value indices */
  double *time;         /* replay: recorded ms per configuration (NAN: failed), else NULL */
  double product;       /* size of the full cartesian product */
  double removed;       /* product - n: what the constraints removed */
  double build_s;       /* wall time spent building */
  int64_t *slot;        /* open-addressing table: configuration index or -1 */
  size_t nslot;
} sq_space;

/* Extra whole-configuration check (device limits): 0 keeps, else removes. */
typedef int (*sq_space_filter)(void *ctx, const int *pv);

/* Enumerates the space of kernel k at problem p. `filter` (may be NULL) is
 * called on complete configurations that pass every `check`. */
int sq_space_from_kernel(const sq_kernel *k, const sq_problem *p, sq_space_filter filter,
                         void *ctx, sq_space *out);

/* Loads a recorded space: one column per parameter (integers) and a time_ms
 * column; an empty or non-finite time_ms marks a configuration that failed.
 * Bad files fail with SQ_EPARSE and "file:line: what". */
int sq_space_from_csv(const char *path, sq_space *out);

/* A recorded space from n rows read elsewhere (Kernel Tuner's JSON
 * formats): values[r * np + p] is row r's value of parameter p, ms[r] its
 * time (NAN: failed). SQ_EPARSE naming `path` as sq_space_from_csv. */
int sq_space_from_table(const char *path, int np, const char (*names)[SQ_SPACE_NAME], int64_t n,
                        const int *values, const double *ms, sq_space *out);

void sq_space_free(sq_space *s);

/* Index of the configuration with value indices vi[0..np), or -1. */
int64_t sq_space_find(const sq_space *s, const uint8_t *vi);
/* Index of the configuration with values pv[0..np), or -1. */
int64_t sq_space_find_values(const sq_space *s, const int *pv);
static inline const uint8_t *sq_space_cfg(const sq_space *s, int64_t i) { return s->idx + i * s->np; }
/* Parameter values of configuration i into pv. */
void sq_space_values(const sq_space *s, int64_t i, int *pv);
/* "NAME=V;NAME=V" of configuration i. */
void sq_space_format(const sq_space *s, int64_t i, char *buf, size_t n);

/* Nearest valid configuration that differs from i only in parameter p, in
 * direction dir (+1 / -1) along p's sorted values; -1 when none. This is the
 * neighbourhood of the local strategies: "change one parameter to the
 * adjacent candidate value", skipping values that make it invalid. */
int64_t sq_space_step(const sq_space *s, int64_t i, int p, int dir);

#endif
