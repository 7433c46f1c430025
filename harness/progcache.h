/* SPDX-License-Identifier: BSD-3-Clause */
/* Built programs cached per (device, source, defines): suites reuse one
 * build across every T of a shape, and the tuner's compile-ahead threads
 * fill it while the device measures. The cache is bounded (an LRU of at
 * most a small number of programs per device), so a tune of any number of
 * configurations holds a bounded number of programs. */
#ifndef SQ_PROGCACHE_H
#define SQ_PROGCACHE_H

#include "harness/device.h"

/* Programs kept per device: every program of a suite's cases, so that its
 * measuring rounds (--rounds) do not compile them again, while a long tune
 * holds tens of megabytes at most. The tuner lowers it to
 * SQ_PROGCACHE_TUNE_CAPACITY: a tune measures each configuration once, so it
 * only needs its compile-ahead window (4 configurations ahead plus those
 * being built and measured). */
#define SQ_PROGCACHE_DEFAULT_CAPACITY 64
#define SQ_PROGCACHE_TUNE_CAPACITY 16

/* Returns the cached program or builds it, pinned: it stays valid (is not
 * evicted) until the caller hands it back with sq_progcache_put. On a
 * compile failure returns SQ_ECOMPILE with the log's first error line in the
 * detail, *out is NULL and nothing is pinned; the failure is cached too, so
 * a bad configuration is compiled once while it stays in the cache. */
int sq_progcache_get(sq_device *dev, const char *source, const char *defines, sq_prog **out);

/* Unpins a program from sq_progcache_get (NULL is ignored); the least
 * recently used unpinned programs beyond the capacity are released. */
void sq_progcache_put(sq_device *dev, sq_prog *prog);

/* Programs kept per device (n <= 0: the default); for tests and tools. */
void sq_progcache_set_capacity(int n);
/* Entries the cache holds for dev now (built, failed or building). */
int sq_progcache_count(const sq_device *dev);

/* Releases every program of the device. */
void sq_progcache_release(sq_device *dev);

#endif
