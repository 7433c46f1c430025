/* SPDX-License-Identifier: BSD-3-Clause */
/* The result schema: one row per (device, kernel, causal, shape, dtype,
 * mode, params), the metadata block that makes a file reproducible, and the
 * raw-sample sidecar. Files are CSV written with libcsv:
 *
 *   # subquad-results 1                  <- format version
 *   # run_id: 3f9c...-6650b3c1           <- this run (random bits, time)
 *   # key: value                         <- metadata block (see sq_meta)
 *   id,device,backend,kernel,...         <- header (sq_result_columns)
 *   rows...
 *
 * The sidecar FILE.samples.csv starts with the same `# run_id: ...` line,
 * then holds `id,sample,ms,round` for every raw sample: `round` is the
 * measuring pass (run --rounds) that took it, which the regression gate
 * needs because samples of one pass share the machine's mood. Sidecars
 * without the column (older files) read as one round; files without run ids
 * (older versions) read when neither has one.
 * Writers go to a temporary file renamed into place on close, so an
 * interrupted run never leaves a truncated file under the final name. */
#ifndef SQ_RESULT_H
#define SQ_RESULT_H

#include <stdint.h>
#include <stdio.h>

#include "base/stats.h"
#include "kernels/op.h"

/* Format 2 names a row's case by its op's canonical shape; format 1 files
 * (B, H, T, D, DV and feature columns) still read, their shape rebuilt. */
#define SQ_RESULTS_FORMAT 2

typedef enum { SQ_STATUS_OK = 0, SQ_STATUS_SKIPPED, SQ_STATUS_FAILED } sq_status;

const char *sq_status_name(sq_status s);
int sq_status_parse(const char *s, sq_status *out);

typedef struct sq_result {
  int id;                  /* row id within the file, keys the samples */
  char device[160];        /* "opencl:0 pthread-skylake-avx512-AMD EPYC" */
  char backend[16];
  char arch[64];
  char kernel[64];
  char family[32];
  int causal;
  char shape[SQ_SHAPE_TEXT_MAX];    /* canonical shape of the kernel's op, options included */
  int64_t tokens;                   /* the op's token axis: T, or Hg*Wg for a grid */
  char baseline[SQ_SHAPE_TEXT_MAX]; /* the softmax_attn shape it is compared with ("" for one) */
  char dtype[8];
  char mode[8];            /* cold | hot */
  char params[256];        /* "CHUNK=64;WG=128" */
  char config_source[32];  /* default | cli | tuned:device | tuned:arch | tuned:vendor */
  sq_status status;
  char reason[256];        /* why skipped or failed; verification detail when ok */
  char verify[32];         /* "full" | "rows 1/512" | "" */
  double max_rel_err;      /* NAN when not verified */
  double tolerance;
  sq_stats stats;          /* milliseconds */
  double gflops, gbs, peak_frac;
  double pred_ms, pred_mem_bytes;  /* planner prediction (0 when none) */
  char suite[32];          /* suite the row came from, "" for a single case */
  char workload[64];       /* catalog entry the row came from, "" when none */
  char host[64];           /* the host that measured it ("" in files before fleet runs) */
  int rank;                /* its rank in a fleet run (mpirun), 0 otherwise */
  int nsamples;            /* raw samples (in `samples`, owned) */
  double *samples;
  int *sample_round;       /* measuring round of each sample (owned); NULL: all one round */
} sq_result;

void sq_result_init(sq_result *r);
void sq_result_free(sq_result *r);   /* frees the samples */

/* The identity of a row's case, the one test every consumer matches rows
 * by (compare, report, the gate): kernel, causal, shape, dtype and mode
 * equal. Two rows of one device are the same case exactly when it holds. */
int sq_result_same_case(const sq_result *a, const sq_result *b);
/* The row's comparison group: its baseline shape (its own shape for a
 * quadratic row) without the token axis, plus causal, dtype and mode. A
 * scaling figure holds one group: every kernel at every token count. */
int sq_result_same_group(const sq_result *a, const sq_result *b);
/* The group's shape as text ("B=1,H=2,D=64,DV=64"), for labels. */
void sq_result_group_shape(const sq_result *r, char *buf, size_t n);

/* The round of sample i: 0 when the row keeps no rounds. */
static inline int sq_result_round(const sq_result *r, int i) { return r->sample_round ? r->sample_round[i] : 0; }

/* Metadata block: key/value pairs, kept in order. */
#define SQ_META_MAX 32
typedef struct sq_meta {
  int n;
  char key[SQ_META_MAX][32];
  char value[SQ_META_MAX][512];
} sq_meta;

void sq_meta_set(sq_meta *m, const char *key, const char *value);
const char *sq_meta_get(const sq_meta *m, const char *key);
/* Fills version, git revision, date, host, command line. */
void sq_meta_standard(sq_meta *m, int argc, char **argv);

/* Writer. */
typedef struct sq_results_writer sq_results_writer;
int sq_results_open(const char *path, const sq_meta *meta, sq_results_writer **out);
int sq_results_write(sq_results_writer *w, const sq_result *r);
int sq_results_close(sq_results_writer *w);    /* flush, rename into place */
void sq_results_abort(sq_results_writer *w);   /* remove the temporaries */
/* The temporary files being written (0: rows, 1: samples), for a signal
 * handler that must remove them without calling into the writer. */
const char *sq_results_temp_path(const sq_results_writer *w, int which);

/* Reader: all rows with their samples (from the sidecar when present).
 * Malformed input fails with SQ_EPARSE and a detail "file:line: column:
 * what" (cell text escaped to one line): a number outside its column's
 * range (non-finite, negative, a shape that is not positive), a duplicated
 * column, a sidecar of another run. */
typedef struct sq_results {
  sq_meta meta;
  int n;
  sq_result *rows;
} sq_results;

int sq_results_read(const char *path, sq_results *out);
void sq_results_free(sq_results *r);

/* The sidecar's name: "out.csv" -> "out.samples.csv" (a name without .csv
 * gets the suffix). Malloc'ed; NULL when out of memory. */
char *sq_results_samples_path(const char *path);

/* A row as bytes for another process of the same build (a fleet rank
 * sending rank 0 what it measured): the fixed fields, the samples and
 * their rounds. pack: 0 and a malloc'ed *buf, or SQ_ENOMEM. unpack: 0
 * and an owned row, SQ_EPARSE for bytes that are not a packed row, or
 * SQ_ENOMEM. */
int sq_result_pack(const sq_result *r, void **buf, size_t *n);
int sq_result_unpack(const void *buf, size_t n, sq_result *r);

/* The header's column names, in order, NULL-terminated. */
extern const char *const sq_result_columns[];

/* JSON results (README, "JSON output"; results/results.schema.json): one
 * document holding the metadata and every row with its raw samples:
 *
 *   {"schema": "subquad-results", "schema_version": 1, "results_format": 2,
 *    "run_id": "...", "metadata": {"key": "value", ...},
 *    "rows": [{"id": 1, "device": "...", ... every CSV column, typed:
 *              numbers as numbers, an empty (unmeasured) number as null,
 *              "sample_ms": [ms, ...], "sample_rounds": [round, ...]}, ...]}
 *
 * The run id is the metadata's (a file converted keeps its run's), else a
 * fresh one. Bumping SQ_RESULTS_JSON_VERSION means a reader of the old
 * version would misread the new: added keys do not bump it. */
#define SQ_RESULTS_JSON_VERSION 1
int sq_results_json(FILE *f, const sq_meta *meta, const sq_result *rows, int n);
/* The same written in full or not at all to path ("-": stdout). */
int sq_results_save_json(const char *path, const sq_meta *meta, const sq_result *rows, int n);

#endif
