/* SPDX-License-Identifier: BSD-3-Clause */
/* The error table's strings, the thread-local detail buffer, and the
 * escaping that keeps every detail on one line. */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Large enough for a message naming two paths of PATH_MAX; fixed, so a
 * worker thread that exits leaves nothing allocated behind. */
static _Thread_local char last_detail[SQ_DETAIL_MAX];

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

/* The escape of one byte into e (at most 4 characters); its length. */
static size_t escape_byte(unsigned char c, char *e) {
  static const char hex[] = "0123456789abcdef";
  if (c == '\n' || c == '\t' || c == '\r') {
    e[0] = '\\', e[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
    return 2;
  }
  if (c < 0x20 || c == 0x7f) {
    e[0] = '\\', e[1] = 'x', e[2] = hex[c >> 4], e[3] = hex[c & 15];
    return 4;
  }
  e[0] = (char)c;
  return 1;
}

size_t sq_escape_line(const char *in, char *out, size_t n) {
  if (!n) return 0;
  const unsigned char *p = (const unsigned char *)in;
  char e[4];
  size_t need = 0, o = 0;
  for (size_t i = 0; p[i]; i++) need += escape_byte(p[i], e);
  /* Too long: cut between two escapes and end with "..." to say so. */
  size_t room = need < n ? n - 1 : n - 1 < 3 ? 0 : n - 1 - 3;
  for (; *p; p++) {
    size_t len = escape_byte(*p, e);
    if (o + len > room) break;
    memcpy(out + o, e, len);
    o += len;
  }
  if (need >= n)
    for (size_t i = 0; i < 3 && o < n - 1; i++) out[o++] = '.';
  out[o] = '\0';
  return o;
}

int sq_fail(int err, const char *fmt, ...) {
  /* Formatted into a buffer of its own first: an argument may be the
   * current detail itself (sq_fail(e, "%s: %s", path, sq_last_error())). */
  static _Thread_local char raw[SQ_DETAIL_MAX];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(raw, sizeof raw, fmt, ap);
  va_end(ap);
  size_t o = sq_escape_line(len < 0 ? fmt : raw, last_detail, sizeof last_detail);
  if (len >= (int)sizeof raw && o >= 3) memcpy(last_detail + o - 3, "...", 3);
  return err;
}

const char *sq_last_error(void) { return last_detail; }

void sq_clear_error(void) { last_detail[0] = '\0'; }
