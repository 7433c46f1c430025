/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernel Tuner interop: tuning results written in the T4 format (the Open
 * Autotuning Results Schema, version 1.0.0, that Kernel Tuner writes with
 * store_output_file and ships in kernel_tuner/schema/T4/1.0.0/), and the
 * two JSON forms of a recorded space `subquad tune --replay` reads: a
 * Kernel Tuner cache file (the JSON `cache=` writes: tune_params_keys and a
 * "cache" object of configurations with their "time"; one left open by a
 * killed run reads too, as Kernel Tuner reads it) and a T4 results file.
 *
 * A T4 result per evaluation: its configuration, "objectives": ["time"],
 * "times" in milliseconds (compilation_time, runtimes, validation,
 * benchmark), "invalidity" (correct, compile, runtime, timeout,
 * correctness, constraints), "correctness", and the measurement "time" in
 * ms (a failed one has Kernel Tuner's error name as its value:
 * CompilationFailedConfig, RuntimeFailedConfig, InvalidConfig).
 *
 * Parameter values are integers in subquad's spaces; a recorded space
 * whose parameter takes other values (floats, strings, booleans) replays
 * with each value replaced by its rank among the parameter's values, in
 * their natural order, which keeps every strategy's neighbourhoods. */
#ifndef SQ_TUNER_T4_H
#define SQ_TUNER_T4_H

#include <stdint.h>

#include "tuner/cache.h"
#include "tuner/space.h"

typedef struct sq_t4_eval {
  int64_t cfg;
  sq_outcome o;
  char timestamp[32];
} sq_t4_eval;

/* The evaluations of a run, in order, as the tuner hands them over. */
typedef struct sq_t4 {
  int64_t n, cap;
  sq_t4_eval *v;
} sq_t4;

int sq_t4_add(sq_t4 *t, int64_t cfg, const sq_outcome *o);
/* Every configuration with a result record in an opened cache, in the
 * space's order and without timestamps: a device tune continues in fresh
 * processes, and only its cache has all of its evaluations. */
int sq_t4_from_cache(sq_t4 *t, const sq_cache *c);
void sq_t4_free(sq_t4 *t);

/* What the T4 file's metadata records (strings; NULL leaves one out). */
typedef struct sq_t4_meta {
  const char *kernel, *device, *shape, *dtype, *source;
} sq_t4_meta;

/* Writes the evaluations of t over space sp as a T4 file, in full or not
 * at all. */
int sq_t4_save(const char *path, const sq_t4 *t, const sq_space *sp, const sq_t4_meta *m);

/* Whether a --replay file is JSON (its first non-blank byte is '{'). */
int sq_space_file_is_json(const char *path);
/* Loads a Kernel Tuner cache or a T4 file as a recorded space. SQ_EIO,
 * SQ_ENOMEM, or SQ_EPARSE naming the file (and line) and what is wrong. */
int sq_space_from_json(const char *path, sq_space *out);

#endif
