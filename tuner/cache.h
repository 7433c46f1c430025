/* SPDX-License-Identifier: BSD-3-Clause */
/* The tuning cache: an append-only CSV file, one flushed record per
 * evaluation, that makes a tune crash-safe and resumable.
 *
 *   # subquad-tune-cache 1
 *   # device: opencl pthread-...        <- the key: a cache whose key lines
 *   # driver: 6.0 ...                      differ from this run's is refused
 *   # kernel: linear_attn.causal_chunked
 *   # shape: B=1,H=2,T=16384,D=64,DV=64,causal=1
 *   # dtype: f32
 *   # source-hash: 9f1c...
 *   # params: CHUNK,LA_WY,LA_BK,LA_BN
 *   status,CHUNK,LA_WY,LA_BK,LA_BN,time_ms,compile_s,verify_s,bench_s,message
 *   attempting,64,16,16,64,,,,,
 *   ok,64,16,16,64,812.5,1.92,0.41,6.03,
 *
 * An `attempting` record is flushed to the disk before each measurement.
 * On --resume, a configuration whose last record is `attempting` was running
 * when the process died: it gets a `crashed` record and is never run again;
 * every configuration with a result record is answered from the cache. So
 * each configuration has exactly one result record, whatever the number of
 * kills. A final line cut by the kill is truncated away before appending. */
#ifndef SQ_TUNER_CACHE_H
#define SQ_TUNER_CACHE_H

#include <stdint.h>
#include <stdio.h>

#include "tuner/space.h"

#define SQ_CACHE_NKEY 6

/* The key lines, in order: device, driver, kernel, shape, dtype, source-hash. */
typedef struct sq_cache_key {
  char value[SQ_CACHE_NKEY][SQ_SHAPE_TEXT_MAX + 32];   /* the shape key holds a canonical shape */
} sq_cache_key;
extern const char *const sq_cache_key_names[SQ_CACHE_NKEY];

/* One evaluation's outcome. status: ok, compile, limits, launch, verify,
 * timeout, crashed, invalid (replay: a recorded failure). */
typedef struct sq_outcome {
  char status[12];
  double ms;               /* NAN unless ok */
  double compile_s, verify_s, bench_s;
  char message[256];
} sq_outcome;

typedef struct sq_cache {
  FILE *fp;
  char *path;              /* malloc'd copy */
  const sq_space *space;
  uint8_t *done;           /* per configuration: 1 when it has a result record */
  sq_outcome *out;         /* its outcome */
  int64_t nresults, ncrashed_now;
  int sync;                /* fdatasync after each attempting record */
} sq_cache;

/* Opens the cache. A new file gets the header. An existing one is refused
 * unless `resume` (SQ_EINVAL: "exists; pass --resume..."), and with resume
 * its key lines and columns must match (SQ_EMISMATCH naming the first
 * difference); its records are loaded and crashed attempts recorded. */
int sq_cache_open(const char *path, const sq_cache_key *key, const sq_space *sp, int resume,
                  sq_cache *c);
/* 1 and *o when cfg has a result record. */
int sq_cache_lookup(const sq_cache *c, int64_t cfg, sq_outcome *o);
int sq_cache_attempt(sq_cache *c, int64_t cfg);
int sq_cache_record(sq_cache *c, int64_t cfg, const sq_outcome *o);
void sq_cache_close(sq_cache *c);

/* The best ok record (-1 when none) of an opened cache. */
int64_t sq_cache_best(const sq_cache *c, double *ms);

/* FNV-1a 64 of a text, as 16 hex digits. */
void sq_hash_text(const char *s, size_t n, char out[17]);

#endif
