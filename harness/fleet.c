/* SPDX-License-Identifier: BSD-3-Clause */
/* A fleet of ranks over MPI (harness/fleet.h): start and stop, the device
 * and NUMA node of each rank, and byte messages. Everything MPI is here,
 * behind SQ_HAVE_MPI; without it a fleet is one process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "base/error.h"
#include "harness/fleet.h"
#include "harness/topology.h"

#ifdef SQ_HAVE_MPI
#include <mpi.h>
#if defined(OPEN_MPI) && OPEN_MPI
#include <mpi-ext.h>
#endif
#endif

int sq_fleet_launched(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (getenv(vars[i])) return 1;
  /* Slurm sets SLURM_PROCID in a batch script's shell too; a step of
   * several tasks (srun) has SLURM_STEP_NUM_TASKS. */
  return getenv("SLURM_PROCID") && getenv("SLURM_STEP_NUM_TASKS");
}

int sq_fleet_env_rank(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"};
  if (!sq_fleet_launched()) return 0;
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (getenv(vars[i])) return atoi(getenv(vars[i]));
  return 0;
}

static void one_process(sq_fleet *f) {
  memset(f, 0, sizeof *f);
  f->size = f->local_size = 1;
  if (gethostname(f->host, sizeof f->host) != 0) snprintf(f->host, sizeof f->host, "unknown");
  f->host[sizeof f->host - 1] = 0;
}

#ifdef SQ_HAVE_MPI
static int mpi_fail(int code, const char *what) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, msg, &len);
  return sq_fail(SQ_EIO, "MPI: %s: %.*s", what, len, msg);
}

int sq_fleet_start(sq_fleet *f) {
  one_process(f);
  if (!sq_fleet_launched()) return 0;
  int provided = 0;
  if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    return sq_fail(SQ_EIO, "MPI: MPI_Init_thread failed");
  f->mpi = 1;
  /* Errors come back as codes, so a lost rank is a failed row, not a
   * crash of the rank that noticed. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &f->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &f->size);
  MPI_Comm local;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, f->rank, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
    MPI_Comm_rank(local, &f->local_rank);
    MPI_Comm_size(local, &f->local_size);
    MPI_Comm_free(&local);
  }
  if (provided < MPI_THREAD_FUNNELED) {
    sq_fleet_stop(f);
    return sq_fail(SQ_EUNSUPPORTED, "MPI: the library gives no MPI_THREAD_FUNNELED (a rank measures on one thread "
                                    "while another talks to the fleet)");
  }
  return 0;
}

void sq_fleet_stop(sq_fleet *f) {
  if (f && f->mpi) MPI_Finalize();
  if (f) f->mpi = 0;
}

void sq_fleet_abort(const sq_fleet *f, int code) {
  fflush(NULL);
  if (f && f->mpi) MPI_Abort(MPI_COMM_WORLD, code);
  exit(code);
}

int sq_fleet_cuda_aware(void) {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() ? 1 : 0;
#elif defined(MPIX_CUDA_AWARE_SUPPORT)
  return 0;
#else
  return -1;
#endif
}

int sq_fleet_send(const sq_fleet *f, int to, int tag, const void *buf, size_t n) {
  if (!f->mpi) return sq_fail(SQ_EUNSUPPORTED, "a fleet of one has no rank %d", to);
  if (n > 2147483647u) return sq_fail(SQ_EINVAL, "a message of %zu bytes is over MPI's count", n);
  int rc = MPI_Send(buf, (int)n, MPI_BYTE, to, tag, MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "send");
}

static int receive(int from, int tag, int *got_from, int *got_tag, void **buf, size_t *n) {
  MPI_Status st;
  int rc = MPI_Probe(from, tag, MPI_COMM_WORLD, &st), count = 0;
  if (rc != MPI_SUCCESS) return mpi_fail(rc, "probe");
  MPI_Get_count(&st, MPI_BYTE, &count);
  char *b = malloc(count ? (size_t)count : 1);
  if (!b) return sq_fail(SQ_ENOMEM, "no memory for a message of %d bytes", count);
  rc = MPI_Recv(b, count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (rc != MPI_SUCCESS) {
    free(b);
    return mpi_fail(rc, "receive");
  }
  *buf = b;
  *n = (size_t)count;
  if (got_from) *got_from = st.MPI_SOURCE;
  if (got_tag) *got_tag = st.MPI_TAG;
  return 0;
}

int sq_fleet_poll(const sq_fleet *f, int tag, int *from, int *got_tag, void **buf, size_t *n) {
  if (!f->mpi) return 0;
  int flag = 0;
  MPI_Status st;
  if (MPI_Iprobe(MPI_ANY_SOURCE, tag < 0 ? MPI_ANY_TAG : tag, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS || !flag)
    return 0;
  return receive(st.MPI_SOURCE, st.MPI_TAG, from, got_tag, buf, n) ? -1 : 1;
}

int sq_fleet_recv(const sq_fleet *f, int from, int tag, int *got_from, int *got_tag, void **buf, size_t *n) {
  if (!f->mpi) return sq_fail(SQ_EUNSUPPORTED, "a fleet of one receives nothing");
  return receive(from < 0 ? MPI_ANY_SOURCE : from, tag < 0 ? MPI_ANY_TAG : tag, got_from, got_tag, buf, n);
}

int sq_fleet_allgather(const sq_fleet *f, const void *mine, size_t n, void *all) {
  if (!f->mpi) {
    memcpy(all, mine, n);
    return 0;
  }
  if (n > 2147483647u) return sq_fail(SQ_EINVAL, "an all-gather of %zu bytes is over MPI's count", n);
  int rc = MPI_Allgather(mine, (int)n, MPI_BYTE, all, (int)n, MPI_BYTE, MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "all-gather");
}

int sq_fleet_barrier(const sq_fleet *f) {
  if (!f->mpi) return 0;
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "barrier");
}

#else /* no MPI: a fleet of one */

/* The launchers' own size, for the error of a build without MPI. */
static int launched_size(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (getenv(vars[i])) return atoi(getenv(vars[i]));
  return 0;
}


int sq_fleet_start(sq_fleet *f) {
  one_process(f);
  int n = sq_fleet_launched() ? launched_size() : 1;
  if (n > 1)
    return sq_fail(SQ_EUNSUPPORTED, "started as one of %d ranks, but this subquad was built without MPI "
                                    "(configure --with-mpi; Debian: apt-get install libopenmpi-dev)", n);
  return 0;
}

void sq_fleet_stop(sq_fleet *f) { (void)f; }

void sq_fleet_abort(const sq_fleet *f, int code) {
  (void)f;
  fflush(NULL);
  exit(code);
}

int sq_fleet_cuda_aware(void) { return -1; }

int sq_fleet_send(const sq_fleet *f, int to, int tag, const void *buf, size_t n) {
  return sq_fail(SQ_EUNSUPPORTED, "a fleet of one has no rank %d", to);
}

int sq_fleet_poll(const sq_fleet *f, int tag, int *from, int *got_tag, void **buf, size_t *n) { return 0; }

int sq_fleet_recv(const sq_fleet *f, int from, int tag, int *got_from, int *got_tag, void **buf, size_t *n) {
  return sq_fail(SQ_EUNSUPPORTED, "a fleet of one receives nothing");
}

int sq_fleet_allgather(const sq_fleet *f, const void *mine, size_t n, void *all) {
  memcpy(all, mine, n);
  return 0;
}

int sq_fleet_barrier(const sq_fleet *f) { return 0; }
#endif

/* The i-th comma-separated name of list into name; 0, or -1 past its end. */
static int nth_name(const char *list, int i, char *name, size_t n) {
  const char *p = list;
  for (int k = 0; k < i; k++) {
    p = strchr(p, ',');
    if (!p) return -1;
    p++;
  }
  size_t len = strcspn(p, ",");
  snprintf(name, n, "%.*s", (int)len, p);
  return 0;
}

int sq_fleet_device(const sq_fleet *f, const char *list, char *name, size_t n) {
  name[0] = 0;
  if (list) {
    int names = 1;
    for (const char *p = list; (p = strchr(p, ',')); p++) names++;
    if (names == 1) return nth_name(list, 0, name, n);
    if (names < f->local_size)
      return sq_fail(SQ_EINVAL, "--device: %d names for the %d ranks on host %s (give one per rank, or one for all)",
                     names, f->local_size, f->host);
    return nth_name(list, f->local_rank, name, n);
  }
  /* No list: the local rank's GPU (CUDA numbers them as the host does). */
  int gpus = 0, total = sq_devices_count();
  char id[32];
  for (int i = 0; i < total; i++)
    if (!sq_devices_id(i, id, sizeof id) && !strncmp(id, "cuda:", 5)) gpus++;
  sq_clear_error();
  if (gpus > 1 || (gpus == 1 && f->local_size == 1)) snprintf(name, n, "cuda:%d", f->local_rank % gpus);
  return 0;
}

void sq_fleet_bind(const sq_device *dev, char *how, size_t n) {
  sq_topology t;
  sq_topology_get(&t);
  int node = t.numa_nodes > 1 ? sq_topology_gpu_numa(dev->info.pci_bus_id) : -1;
  char why[128];
  /* A device with no NUMA node of its own (a CPU device, or a host of one
   * node) gets every core: a launcher that bound the rank to one core
   * (mpirun does for two ranks or fewer) would starve its host threads. */
  if (sq_topology_bind_numa(node, why, sizeof why)) snprintf(how, n, "none (%s)", why);
  else if (node >= 0) snprintf(how, n, "numa %d", node);
  else snprintf(how, n, "all cores (%s)", t.numa_nodes > 1 ? "no NUMA node known for the device" : "one NUMA node");
}
