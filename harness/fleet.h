/* SPDX-License-Identifier: BSD-3-Clause */
/* A fleet: the processes an MPI launcher (mpirun, mpiexec, Slurm's srun)
 * started together, one per device. This is the only file that calls MPI;
 * the commands above it see ranks, hosts and byte messages. A process not
 * started by a launcher, or a build without MPI (configure --with-mpi=no),
 * is a fleet of one: rank 0 of 1, and nothing below is sent anywhere.
 *
 * Ranks on one host are numbered by node-local rank (the launcher's own
 * variable where it sets one, else the order of ranks sharing a host
 * name), which picks each rank's device. */
#ifndef SQ_FLEET_H
#define SQ_FLEET_H

#include <stddef.h>

#include "harness/device.h"

typedef struct sq_fleet {
  int rank, size;             /* 0 and 1 outside a fleet */
  int local_rank, local_size; /* among the ranks on this host */
  char host[64];
  int mpi;                    /* 1: MPI was initialised (sq_fleet_stop finalises it) */
} sq_fleet;

/* Whether a launcher started this process (its environment says so:
 * OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK, or SLURM_NTASKS with
 * SLURM_PROCID). */
int sq_fleet_launched(void);
/* This process's rank as the launcher's environment gives it (before MPI
 * starts; 0 when not launched). */
int sq_fleet_env_rank(void);

/* Joins the fleet: MPI_Init_thread (funneled: only the thread that called
 * this one talks to the others) when launched, else a fleet of one. A
 * launch of more than one rank by a build without MPI fails with
 * SQ_EUNSUPPORTED rather than running the same work N times. */
int sq_fleet_start(sq_fleet *f);
void sq_fleet_stop(sq_fleet *f);
/* Ends every rank of the job at once (a rank is lost and cannot be told to
 * stop): MPI_Abort; exit(code) in a fleet of one. */
void sq_fleet_abort(const sq_fleet *f, int code);
/* Whether MPI moves device buffers itself (CUDA-aware Open MPI), as the
 * library says at run time: 1, 0, or -1 when it cannot tell. */
int sq_fleet_cuda_aware(void);

/* The device of this rank: the local_rank-th name of a comma-separated
 * list (as many names as ranks per host, or one for all), else with no
 * list the local_rank-th GPU of the host when it has as many, else the
 * default device. SQ_EINVAL when the list is shorter than the ranks on a
 * host. */
int sq_fleet_device(const sq_fleet *f, const char *list, char *name, size_t n);

/* Binds this process (its threads and its memory) to the NUMA node
 * nearest the device (hwloc; a GPU by its PCI bus id). `how` gets what was
 * done, for the result file: "numa 1", or "none (one NUMA node)". Never
 * fails: a host where binding is impossible runs unbound. */
void sq_fleet_bind(const sq_device *dev, char *how, size_t n);

/* Messages between ranks: a tag and a byte buffer. */
int sq_fleet_send(const sq_fleet *f, int to, int tag, const void *buf, size_t n);
/* A message waiting from any rank (any tag when tag < 0): 1 with it in
 * *buf (malloc'ed; the caller frees it), *n, *from and *tag; 0 when none
 * is waiting. Never blocks. */
int sq_fleet_poll(const sq_fleet *f, int tag, int *from, int *got_tag, void **buf, size_t *n);
/* Blocks until a message from `from` (any rank when < 0) arrives. */
int sq_fleet_recv(const sq_fleet *f, int from, int tag, int *got_from, int *got_tag, void **buf, size_t *n);

/* All ranks gather `n` bytes from each (the same n everywhere) into
 * all[size * n]; every rank waits for all. */
int sq_fleet_allgather(const sq_fleet *f, const void *mine, size_t n, void *all);
int sq_fleet_barrier(const sq_fleet *f);

#endif
