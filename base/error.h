/* SPDX-License-Identifier: BSD-3-Clause */
/* Error codes for the whole library. One X-macro table makes the enum, the
 * names and the messages (the libuv way), so a code never lacks its text.
 * Functions return 0 or a negative SQ_E* code and leave a one-line detail
 * (which input, which call, the backend's own error name) in a thread-local
 * buffer that sq_last_error() returns. Only the command layer turns codes
 * into exit statuses; the library never exits.
 *
 * The detail belongs to the failure that set it. A function that returns 0
 * leaves none of the failures it handled on the way (an entry it skipped, a
 * case whose failure became a row): otherwise the next failure that sets no
 * detail of its own would be printed with that stale text. A caller prints
 * the detail only after a call that failed, and the code's message
 * (sq_strerror) when the detail is empty. */
#ifndef SQ_ERROR_H
#define SQ_ERROR_H

#include <stddef.h>

#define SQ_ERRNO_MAP(X)                                              \
  X(INVAL, "invalid argument")                                       \
  X(NOMEM, "out of memory")                                          \
  X(NODEV, "no such device")                                         \
  X(BACKEND, "backend call failed")                                  \
  X(COMPILE, "kernel compilation failed")                            \
  X(LIMITS, "configuration exceeds the device's limits")             \
  X(LAUNCH, "kernel launch failed")                                  \
  X(VERIFY, "result does not match the reference")                   \
  X(TIMEOUT, "timed out")                                            \
  X(IO, "input/output error")                                        \
  X(PARSE, "malformed input")                                        \
  X(UNSUPPORTED, "not supported")                                    \
  X(NOTFOUND, "not found")                                           \
  X(MISMATCH, "inputs do not match")                                 \
  X(INFEASIBLE, "case is infeasible on this device")

typedef enum {
  SQ_OK = 0,
  SQ__EFIRST = -100,
#define SQ_ERR_ENUM(name, msg) SQ_E##name,
  SQ_ERRNO_MAP(SQ_ERR_ENUM)
#undef SQ_ERR_ENUM
  SQ__ELAST
} sq_err;

/* The code's message ("invalid argument") and name ("SQ_EINVAL"). */
const char *sq_strerror(int err);
const char *sq_err_name(int err);

/* Records a one-line detail for `err` and returns `err`, so a failing path
 * reads `return sq_fail(SQ_EINVAL, "--shape: T=%s is not a number", s);`.
 * Whatever the arguments hold, the detail is one line: control characters
 * are escaped (sq_escape_line). An argument may be sq_last_error(). */
int sq_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The longest detail kept, terminator included; a longer one is cut and
 * ends in "...". */
#define SQ_DETAIL_MAX 8192

/* Copies `in` into out (n bytes, terminator included) as one line: newline,
 * tab and carriage return become \n, \t, \r, other control characters
 * \xNN; other bytes (UTF-8 included) are kept. Backslashes are kept as they
 * are, so a detail quoting another detail is not escaped twice. Text that
 * does not fit is cut between two escapes and ends in "...". Returns the
 * length written. */
size_t sq_escape_line(const char *in, char *out, size_t n);

/* The detail of the last sq_fail on this thread ("" when none). */
const char *sq_last_error(void);
void sq_clear_error(void);

#endif
