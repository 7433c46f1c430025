/* SPDX-License-Identifier: BSD-3-Clause */
/* The communication of the sequence-parallel benchmark (harness/seqpar.h):
 * groups of the first P' ranks of a fleet and the three ways of combining
 * the per-rank states of a chunked linear-attention scan into each rank's
 * incoming state. The only file of seqpar's that calls MPI; a build without
 * MPI (or a process no launcher started) is a group of one, where every
 * combine returns the zero state.
 *
 * The state of a rank is `rows` independent rows of `cols` floats (rows =
 * B*H*D, cols = DV for the gated kernels), with a decay per row: rank r
 * owns the local final state ht(r) (its slice run from a zero state) and
 * the slice's total decay A(r); the incoming states are
 *   S_in(0) = 0,   S_in(r+1) = diag(A(r)) S_in(r) + ht(r).
 *
 * Every message carries the sender's wall clock when it sent it, so a wait
 * splits into idle (before the data existed: the sender was still
 * computing) and communication (the rest). The clocks are CLOCK_REALTIME:
 * exact among the ranks of one host, as good as the hosts' time
 * synchronisation across hosts. */
#ifndef SQ_FLEET_SCAN_H
#define SQ_FLEET_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "harness/fleet.h"

typedef enum { SQ_SCAN_ALLGATHER = 0, SQ_SCAN_ALLSCAN = 1, SQ_SCAN_RING = 2, SQ_SCAN_NMETHODS = 3 } sq_scan_method;

const char *sq_scan_method_name(sq_scan_method m);   /* "allgather", "allscan", "ring" */
int sq_scan_method_parse(const char *s, sq_scan_method *out);

/* A group: the first `size` ranks of the fleet. */
typedef struct sq_scan_group sq_scan_group;

/* Collective over the whole fleet: every rank calls it with the same n
 * (1..fleet size). Ranks r < n get their group in *out; the others get
 * NULL (and take no part in its calls). 0, or SQ_EINVAL / SQ_EIO. */
int sq_scan_group_open(const sq_fleet *f, int n, sq_scan_group **out);
void sq_scan_group_close(sq_scan_group *g);
int sq_scan_group_rank(const sq_scan_group *g);
int sq_scan_group_size(const sq_scan_group *g);

/* What one combine cost this rank, in milliseconds of wall clock. */
typedef struct sq_scan_times {
  double comm_ms;          /* moving and combining states */
  double idle_ms;          /* waiting for a rank that had not yet sent */
} sq_scan_times;

/* Fills s_in[rows * cols] with this rank's incoming state from every
 * rank's ht[rows * cols] and A[rows]. `blocks` (All-Scan only): the rows
 * are sent in that many blocks (1 .. rows), each forwarded on as soon as it
 * is formed, so rank r+1 combines block j while block j+1 is in flight to
 * it. Collective over the group. 0, or SQ_EIO / SQ_ENOMEM with the detail. */
int sq_scan_combine(sq_scan_group *g, sq_scan_method m, int blocks, int64_t rows, int64_t cols, const float *ht,
                    const float *A, float *s_in, sq_scan_times *t);

/* Collectives over the group for the benchmark's bookkeeping: every rank's
 * n bytes to all (all[size * n]); a barrier. */
int sq_scan_allgather(sq_scan_group *g, const void *mine, size_t n, void *all);
int sq_scan_barrier(sq_scan_group *g);

/* Whether this build talks MPI at all (0: fleets of one only). */
int sq_scan_have_mpi(void);

/* Wall clock in seconds (CLOCK_REALTIME), the one the messages carry. */
double sq_scan_wall_s(void);

#endif
