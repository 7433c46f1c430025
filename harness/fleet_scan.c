/* SPDX-License-Identifier: BSD-3-Clause */
/* The state combines of the sequence-parallel benchmark over MPI
 * (harness/fleet_scan.h): an all-gather of every rank's (ht, A), ZeCO's
 * All-Scan (the state in blocks of rows, each combined and forwarded with a
 * non-blocking send the moment it arrives, so the blocks pipeline down the
 * ranks) and a plain ring (each rank waits for its whole incoming state,
 * then sends the next one whole). Without MPI a group is one rank. */
#include "harness/fleet_scan.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "base/error.h"

#ifdef SQ_HAVE_MPI
#include <mpi.h>
#endif

static const char *const method_names[SQ_SCAN_NMETHODS] = {"allgather", "allscan", "ring"};

const char *sq_scan_method_name(sq_scan_method m) {
  return (unsigned)m < SQ_SCAN_NMETHODS ? method_names[m] : "?";
}

int sq_scan_method_parse(const char *s, sq_scan_method *out) {
  for (int i = 0; i < SQ_SCAN_NMETHODS; i++)
    if (!strcmp(s, method_names[i])) {
      *out = (sq_scan_method)i;
      return 0;
    }
  return sq_fail(SQ_EINVAL, "'%s' is not a method (allgather, allscan or ring)", s);
}

double sq_scan_wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct sq_scan_group {
  int rank, size;
#ifdef SQ_HAVE_MPI
  int mpi;
  MPI_Comm comm;
#endif
};

int sq_scan_group_rank(const sq_scan_group *g) { return g->rank; }
int sq_scan_group_size(const sq_scan_group *g) { return g->size; }

/* S_out[rows lo..hi) = diag(A) S_in + ht over those rows (s_in NULL: zero). */
static inline void combine_rows(int64_t lo, int64_t hi, int64_t cols, const float *A, const float *s_in, const float *ht,
                         float *s_out) {
  for (int64_t i = lo; i < hi; i++) {
    const float *h = ht + i * cols;
    float *o = s_out + (i - lo) * cols;
    if (!s_in) {
      memcpy(o, h, sizeof(float) * (size_t)cols);
      continue;
    }
    const float *s = s_in + i * cols;
    float a = A[i];
    for (int64_t j = 0; j < cols; j++) o[j] = a * s[j] + h[j];
  }
}

/* The part of a wait [from, to] that came before the sender sent. */
static inline double idle_part(double from, double to, double sent) {
  double idle = sent - from;
  if (idle < 0) idle = 0;
  if (idle > to - from) idle = to - from;
  return idle;
}

#ifdef SQ_HAVE_MPI

int sq_scan_have_mpi(void) { return 1; }

static int mpi_fail(int code, const char *what) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, msg, &len);
  return sq_fail(SQ_EIO, "MPI: %s: %.*s", what, len, msg);
}

int sq_scan_group_open(const sq_fleet *f, int n, sq_scan_group **out) {
  *out = NULL;
  if (n < 1 || n > f->size) return sq_fail(SQ_EINVAL, "a group of %d ranks in a fleet of %d", n, f->size);
  sq_scan_group *g = calloc(1, sizeof *g);
  if (!g) return sq_fail(SQ_ENOMEM, "no memory for a group");
  g->rank = f->rank;
  g->size = n;
  g->mpi = f->mpi;
  if (!f->mpi) {
    *out = g;
    return 0;
  }
  int rc = MPI_Comm_split(MPI_COMM_WORLD, f->rank < n ? 0 : MPI_UNDEFINED, f->rank, &g->comm);
  if (rc != MPI_SUCCESS) {
    free(g);
    return mpi_fail(rc, "splitting the fleet");
  }
  if (f->rank >= n) {
    free(g);
    return 0;
  }
  MPI_Comm_set_errhandler(g->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(g->comm, &g->rank);
  MPI_Comm_size(g->comm, &g->size);
  *out = g;
  return 0;
}

void sq_scan_group_close(sq_scan_group *g) {
  if (!g) return;
  if (g->mpi) MPI_Comm_free(&g->comm);
  free(g);
}

/* Waits for a bookkeeping collective with short sleeps between tests: a
 * blocking wait spins a core, and a rank waiting for another to finish its
 * work (the single device, a smaller group of the scaling runs) would take
 * half of a 2-core host from it. The combines themselves wait blocking. */
static int polite_wait(MPI_Request *req) {
  struct timespec nap = {0, 100000};
  for (;;) {
    int done = 0;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS || done) return rc;
    nanosleep(&nap, NULL);
  }
}

int sq_scan_allgather(sq_scan_group *g, const void *mine, size_t n, void *all) {
  if (!g->mpi || g->size == 1) {
    memcpy(all, mine, n);
    return 0;
  }
  if (n > 2147483647u) return sq_fail(SQ_EINVAL, "an all-gather of %zu bytes is over MPI's count", n);
  MPI_Request req;
  int rc = MPI_Iallgather(mine, (int)n, MPI_BYTE, all, (int)n, MPI_BYTE, g->comm, &req);
  if (!rc) rc = polite_wait(&req);
  return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "all-gather");
}

int sq_scan_barrier(sq_scan_group *g) {
  if (!g->mpi || g->size == 1) return 0;
  MPI_Request req;
  int rc = MPI_Ibarrier(g->comm, &req);
  if (!rc) rc = polite_wait(&req);
  return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "barrier");
}

/* A message: the sender's clock, then floats. */
#define HDR sizeof(double)

static int msg_bytes(int64_t floats, int *out) {
  double b = (double)HDR + 4.0 * (double)floats;
  if (b > 2147483647.0) return sq_fail(SQ_EINVAL, "a state message of %.0f bytes is over MPI's count", b);
  *out = (int)b;
  return 0;
}

static void stamp(unsigned char *msg) {
  double now = sq_scan_wall_s();
  memcpy(msg, &now, sizeof now);
}

static double stamp_of(const unsigned char *msg) {
  double t;
  memcpy(&t, msg, sizeof t);
  return t;
}

/* Every rank's [clock | ht | A] to all; each forms the prefix of those
 * before it. */
static int by_allgather(sq_scan_group *g, int64_t rows, int64_t cols, const float *ht, const float *A,
                        float *s_in, sq_scan_times *t, double t0) {
  int n = 0;
  int rc = msg_bytes(rows * cols + rows, &n);
  if (rc) return rc;
  unsigned char *mine = malloc((size_t)n), *all = malloc((size_t)n * (size_t)g->size);
  if (!mine || !all) {
    free(mine);
    free(all);
    return sq_fail(SQ_ENOMEM, "no memory for an all-gather of %d x %d bytes", g->size, n);
  }
  memcpy(mine + HDR, ht, sizeof(float) * (size_t)(rows * cols));
  memcpy(mine + HDR + sizeof(float) * (size_t)(rows * cols), A, sizeof(float) * (size_t)rows);
  stamp(mine);
  rc = MPI_Allgather(mine, n, MPI_BYTE, all, n, MPI_BYTE, g->comm);
  double t1 = sq_scan_wall_s();
  if (rc != MPI_SUCCESS) rc = mpi_fail(rc, "all-gather of the states");
  double last = t0;
  for (int j = 0; !rc && j < g->size; j++) {
    double s = stamp_of(all + (size_t)j * (size_t)n);
    if (s > last) last = s;
  }
  t->idle_ms = 1e3 * idle_part(t0, t1, last);
  memset(s_in, 0, sizeof(float) * (size_t)(rows * cols));
  for (int j = 0; !rc && j < g->rank; j++) {
    const unsigned char *m = all + (size_t)j * (size_t)n;
    const float *hj = (const float *)(m + HDR), *aj = hj + rows * cols;
    combine_rows(0, rows, cols, aj, s_in, hj, s_in);
  }
  free(mine);
  free(all);
  return rc;
}

/* The whole state from r-1, the next whole to r+1. */
static int by_ring(sq_scan_group *g, int64_t rows, int64_t cols, const float *ht, const float *A, float *s_in,
                   sq_scan_times *t, double t0) {
  int n = 0;
  int rc = msg_bytes(rows * cols, &n);
  if (rc) return rc;
  unsigned char *msg = malloc((size_t)n);
  if (!msg) return sq_fail(SQ_ENOMEM, "no memory for a %d-byte state", n);
  size_t state = sizeof(float) * (size_t)(rows * cols);
  if (g->rank == 0) {
    memset(s_in, 0, state);
  } else {
    rc = MPI_Recv(msg, n, MPI_BYTE, g->rank - 1, 0, g->comm, MPI_STATUS_IGNORE);
    double t1 = sq_scan_wall_s();
    if (rc != MPI_SUCCESS) rc = mpi_fail(rc, "receiving the state");
    else {
      t->idle_ms = 1e3 * idle_part(t0, t1, stamp_of(msg));
      memcpy(s_in, msg + HDR, state);
    }
  }
  if (!rc && g->rank + 1 < g->size) {
    combine_rows(0, rows, cols, A, g->rank ? s_in : NULL, ht, (float *)(msg + HDR));
    stamp(msg);
    rc = MPI_Send(msg, n, MPI_BYTE, g->rank + 1, 0, g->comm);
    if (rc != MPI_SUCCESS) rc = mpi_fail(rc, "sending the state");
  }
  free(msg);
  return rc;
}

/* ZeCO's All-Scan: block j of S_in(r) arrives from r-1, block j of
 * S_in(r+1) leaves for r+1 at once (non-blocking) while block j+1 is still
 * on its way in. */
static int by_allscan(sq_scan_group *g, int blocks, int64_t rows, int64_t cols, const float *ht, const float *A,
                      float *s_in, sq_scan_times *t, double t0) {
  int nb = blocks < 1 ? 1 : blocks;
  if (nb > rows) nb = (int)rows;
  if (nb > 32767) nb = 32767;   /* tags: MPI guarantees 32767 */
  int first = g->rank == 0, last = g->rank + 1 == g->size;
  size_t span = HDR + sizeof(float) * (size_t)((rows + nb - 1) / nb + 1) * (size_t)cols;
  unsigned char *in = first ? NULL : malloc(span * (size_t)nb);
  unsigned char *out = last ? NULL : malloc(span * (size_t)nb);
  MPI_Request *req = malloc(sizeof(MPI_Request) * 2 * (size_t)nb);
  if ((!first && !in) || (!last && !out) || !req) {
    free(in);
    free(out);
    free(req);
    return sq_fail(SQ_ENOMEM, "no memory for %d state blocks", nb);
  }
  MPI_Request *rreq = req, *sreq = req + nb;
  for (int j = 0; j < 2 * nb; j++) req[j] = MPI_REQUEST_NULL;
  int rc = 0;
  for (int j = 0; !rc && !first && j < nb; j++) {
    int64_t lo = rows * j / nb, hi = rows * (j + 1) / nb;
    int n = 0;
    if (!(rc = msg_bytes((hi - lo) * cols, &n))) {
      int e = MPI_Irecv(in + span * (size_t)j, n, MPI_BYTE, g->rank - 1, j, g->comm, &rreq[j]);
      if (e != MPI_SUCCESS) rc = mpi_fail(e, "posting a block's receive");
    }
  }
  if (first) memset(s_in, 0, sizeof(float) * (size_t)(rows * cols));
  double idle = 0;
  for (int j = 0; !rc && j < nb; j++) {
    int64_t lo = rows * j / nb, hi = rows * (j + 1) / nb;
    if (!first) {
      double w0 = sq_scan_wall_s();
      int e = MPI_Wait(&rreq[j], MPI_STATUS_IGNORE);
      double w1 = sq_scan_wall_s();
      if (e != MPI_SUCCESS) {
        rc = mpi_fail(e, "receiving a state block");
        break;
      }
      const unsigned char *m = in + span * (size_t)j;
      idle += idle_part(w0, w1, stamp_of(m));
      memcpy(s_in + lo * cols, m + HDR, sizeof(float) * (size_t)((hi - lo) * cols));
    }
    if (last) continue;
    unsigned char *m = out + span * (size_t)j;
    combine_rows(lo, hi, cols, A, first ? NULL : s_in, ht, (float *)(m + HDR));
    int n = 0;
    if ((rc = msg_bytes((hi - lo) * cols, &n))) break;
    stamp(m);
    int e = MPI_Isend(m, n, MPI_BYTE, g->rank + 1, j, g->comm, &sreq[j]);
    if (e != MPI_SUCCESS) rc = mpi_fail(e, "sending a state block");
  }
  /* Every request completes (or is cancelled) before the buffers go. */
  if (rc) {
    for (int j = 0; j < nb; j++)
      if (rreq[j] != MPI_REQUEST_NULL) MPI_Cancel(&rreq[j]);
  }
  int e = MPI_Waitall(2 * nb, req, MPI_STATUSES_IGNORE);
  if (!rc && e != MPI_SUCCESS) rc = mpi_fail(e, "completing the block sends");
  (void)t0;
  t->idle_ms = 1e3 * idle;
  free(in);
  free(out);
  free(req);
  return rc;
}

int sq_scan_combine(sq_scan_group *g, sq_scan_method m, int blocks, int64_t rows, int64_t cols, const float *ht,
                    const float *A, float *s_in, sq_scan_times *t) {
  memset(t, 0, sizeof *t);
  double t0 = sq_scan_wall_s();
  int rc;
  if (!g->mpi || g->size == 1) {
    memset(s_in, 0, sizeof(float) * (size_t)(rows * cols));
    rc = 0;
  } else if (m == SQ_SCAN_ALLGATHER) {
    rc = by_allgather(g, rows, cols, ht, A, s_in, t, t0);
  } else if (m == SQ_SCAN_RING) {
    rc = by_ring(g, rows, cols, ht, A, s_in, t, t0);
  } else {
    rc = by_allscan(g, blocks, rows, cols, ht, A, s_in, t, t0);
  }
  double total = 1e3 * (sq_scan_wall_s() - t0);
  t->comm_ms = total > t->idle_ms ? total - t->idle_ms : 0;
  return rc;
}

#else /* no MPI: a group of one */

int sq_scan_have_mpi(void) { return 0; }

int sq_scan_group_open(const sq_fleet *f, int n, sq_scan_group **out) {
  *out = NULL;
  if (n != 1 || f->size != 1) return sq_fail(SQ_EINVAL, "a group of %d ranks in a fleet of %d", n, f->size);
  sq_scan_group *g = calloc(1, sizeof *g);
  if (!g) return sq_fail(SQ_ENOMEM, "no memory for a group");
  g->size = 1;
  *out = g;
  return 0;
}

void sq_scan_group_close(sq_scan_group *g) { free(g); }

int sq_scan_allgather(sq_scan_group *g, const void *mine, size_t n, void *all) {
  (void)g;
  memcpy(all, mine, n);
  return 0;
}

int sq_scan_barrier(sq_scan_group *g) {
  (void)g;
  return 0;
}

int sq_scan_combine(sq_scan_group *g, sq_scan_method m, int blocks, int64_t rows, int64_t cols, const float *ht,
                    const float *A, float *s_in, sq_scan_times *t) {
  (void)g;
  (void)m;
  (void)blocks;
  (void)ht;
  (void)A;
  memset(t, 0, sizeof *t);
  memset(s_in, 0, sizeof(float) * (size_t)(rows * cols));
  return 0;
}

#endif
