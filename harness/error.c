/* The error table's strings and the thread-local detail buffer. */
#include "harness/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_detail[1024];

const char *sq_strerror(int err) {
  switch (err) {
  case SQ_OK: return "success";
#define SQ_ERR_MSG(name, msg) case SQ_E##name: return msg;
    SQ_ERRNO_MAP(SQ_ERR_MSG)
#undef SQ_ERR_MSG
  default: return "unknown error";
  }
}

const char *sq_err_name(int err) {
  switch (err) {
  case SQ_OK: return "SQ_OK";
#define SQ_ERR_NAME(name, msg) case SQ_E##name: return "SQ_E" #name;
    SQ_ERRNO_MAP(SQ_ERR_NAME)
#undef SQ_ERR_NAME
  default: return "SQ_EUNKNOWN";
  }
}

int sq_fail(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_detail, sizeof last_detail, fmt, ap);
  va_end(ap);
  return err;
}

const char *sq_last_error(void) { return last_detail; }

void sq_clear_error(void) { last_detail[0] = '\0'; }
