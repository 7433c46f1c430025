/* Built programs cached per (device, source, defines): suites reuse one
 * build across every T of a shape, and the tuner's compile-ahead threads
 * fill it while the device measures. */
#ifndef SQ_PROGCACHE_H
#define SQ_PROGCACHE_H

#include "harness/device.h"

/* Returns the cached program or builds it. On a compile failure returns
 * SQ_ECOMPILE with the log's first error line in the detail; the failure is
 * cached too, so a bad configuration is compiled once. */
int sq_progcache_get(sq_device *dev, const char *source, const char *defines, sq_prog **out);

/* Releases every program of the device. */
void sq_progcache_release(sq_device *dev);

#endif
