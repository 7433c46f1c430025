/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the fuzz targets in tests/fuzz/: one target per parser, each a
 * libFuzzer entry point (LLVMFuzzerTestOneInput) that `make fuzz` links with
 * the engine and `make check` links with replay_main.c, which feeds it the
 * seed corpus and the crash reproducers. A target must free everything it
 * allocates (LeakSanitizer runs under libFuzzer) and states what the parser
 * guarantees with SQ_FUZZ_CHECK: a broken guarantee aborts, which both the
 * engine and the replay report as a crash. Parsers that only take a path
 * get the input through a file in a scratch folder private to the process. */
#ifndef SQ_FUZZ_H
#define SQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The entry point, under libFuzzer's name. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The target's name: its inputs live in tests/fuzz/corpus/NAME and
 * tests/fuzz/crashes/NAME. Each target defines it. */
extern const char sq_fuzz_name[];

/* PATH := this process's scratch folder + "/" + file. The folder is made on
 * first use ($TMPDIR, else /dev/shm so that no input costs a disk write,
 * else /tmp) and removed with its files at exit. */
void sq_fuzz_path(char *buf, size_t n, const char *file);
/* Replaces the file at path with data[0..size). */
void sq_fuzz_write(const char *path, const void *data, size_t size);

/* Reports a broken guarantee on stderr and aborts. */
void sq_fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* An expression, so that checks of one kind can share a line. */
#define SQ_FUZZ_CHECK(cond, ...) ((cond) ? (void)0 : sq_fuzz_fail(__VA_ARGS__))

/* A fixed-size text field holds a NUL inside its buffer. */
#define SQ_FUZZ_STR(field) SQ_FUZZ_CHECK(memchr((field), 0, sizeof(field)) != NULL, "%s is not terminated", #field)

/* What every refusal guarantees: a negative SQ_E* code and a detail that
 * names the input (`input` is a substring the detail must contain). */
void sq_fuzz_refused(int rc, const char *input);

/* The results reader's guarantees for the file at `path` (and its sidecar),
 * shared by the results and sidecar targets (results_check.c). */
void sq_fuzz_results(const char *path);

#endif
