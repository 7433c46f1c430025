/* SPDX-License-Identifier: BSD-3-Clause */
/* The JSON writer and parser (json.h). The writer keeps a stack of open
 * containers so that commas and indentation come out right without the
 * callers counting; numbers are written in the shortest form that reads
 * back to the same double. The parser is recursive descent over the text
 * with a depth limit, building a tree the readers walk. */
#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

/* ---- writer ------------------------------------------------------------ */

void sq_json_begin(sq_json *j, FILE *f, int pretty) {
  memset(j, 0, sizeof *j);
  j->f = f;
  j->pretty = pretty;
}

static void put_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    default:
      if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
      else fputc(*p, f);
    }
  }
  fputc('"', f);
}

/* The separator, line break and key before a value. */
static void lead(sq_json *j, const char *key) {
  int d = j->depth;
  if (d > 0) {
    if (j->count[d - 1]++) fputc(',', j->f);
    if (d <= j->pretty) fprintf(j->f, "\n%*s", 2 * d, "");
    if (j->kind[d - 1] == '{') {
      put_string(j->f, key ? key : "");
      fputs(d <= j->pretty ? ": " : ":", j->f);
    }
  }
}

static void open_container(sq_json *j, const char *key, char kind) {
  lead(j, key);
  fputc(kind, j->f);
  if (j->depth < SQ_JSON_DEPTH) {
    j->kind[j->depth] = kind;
    j->count[j->depth] = 0;
  }
  j->depth++;
}

void sq_json_object(sq_json *j, const char *key) { open_container(j, key, '{'); }
void sq_json_array(sq_json *j, const char *key) { open_container(j, key, '['); }

void sq_json_end(sq_json *j) {
  if (j->depth <= 0) return;
  int d = j->depth--;
  if (d <= j->pretty && j->count[d - 1]) fprintf(j->f, "\n%*s", 2 * (d - 1), "");
  fputc(j->kind[d - 1] == '{' ? '}' : ']', j->f);
}

void sq_json_string(sq_json *j, const char *key, const char *s) {
  lead(j, key);
  if (s) put_string(j->f, s);
  else fputs("null", j->f);
}

void sq_json_number(sq_json *j, const char *key, double x) {
  lead(j, key);
  if (!isfinite(x)) {
    fputs("null", j->f);
    return;
  }
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    if (strtod(buf, NULL) == x) break;
  }
  fputs(buf, j->f);
}

void sq_json_int(sq_json *j, const char *key, long long x) {
  lead(j, key);
  fprintf(j->f, "%lld", x);
}

void sq_json_bool(sq_json *j, const char *key, int b) {
  lead(j, key);
  fputs(b ? "true" : "false", j->f);
}

void sq_json_null(sq_json *j, const char *key) {
  lead(j, key);
  fputs("null", j->f);
}

int sq_json_finish(sq_json *j) {
  while (j->depth > 0) sq_json_end(j);
  fputc('\n', j->f);
  return ferror(j->f) ? sq_fail(SQ_EIO, "write failed: %s", strerror(errno)) : 0;
}

/* ---- parser ------------------------------------------------------------ */

typedef struct parser {
  const char *s, *end, *name;
  int line, depth;
} parser;

#define MAX_DEPTH 64

static int perr(parser *p, const char *what) {
  return sq_fail(SQ_EPARSE, "%s:%d: %s", p->name, p->line, what);
}

static void skip_ws(parser *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) {
    if (*p->s == '\n') p->line++;
    p->s++;
  }
}

static int hex4(parser *p, unsigned *out) {
  if (p->end - p->s < 4) return perr(p, "a \\u escape is cut short");
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p->s[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return perr(p, "a \\u escape with a non-hex digit");
  }
  p->s += 4;
  *out = v;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* A string after its opening quote, into a fresh allocation (escapes only
 * shrink the text, so its raw length bounds the result). */
static int parse_string(parser *p, char **out) {
  const char *q = p->s;
  while (q < p->end && *q != '"') q += *q == '\\' && q + 1 < p->end ? 2 : 1;
  if (q >= p->end) return perr(p, "a string is not closed");
  char *o = malloc((size_t)(q - p->s) + 1), *w = o;
  if (!o) return sq_fail(SQ_ENOMEM, "%s: out of memory", p->name);
  while (*p->s != '"') {
    unsigned char c = (unsigned char)*p->s++;
    if (c < 0x20) { free(o); return perr(p, "a control character inside a string"); }
    if (c != '\\') { *w++ = (char)c; continue; }
    char e = *p->s++;
    unsigned cp, lo;
    switch (e) {
    case '"': *w++ = '"'; break;
    case '\\': *w++ = '\\'; break;
    case '/': *w++ = '/'; break;
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'u':
      if (hex4(p, &cp)) { free(o); return SQ_EPARSE; }
      if (cp >= 0xd800 && cp < 0xdc00 && p->end - p->s >= 6 && p->s[0] == '\\' && p->s[1] == 'u') {
        p->s += 2;
        if (hex4(p, &lo)) { free(o); return SQ_EPARSE; }
        if (lo < 0xdc00 || lo > 0xdfff) { free(o); return perr(p, "a broken surrogate pair"); }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      } else if (cp >= 0xd800 && cp < 0xe000) {
        free(o);
        return perr(p, "a lone surrogate in a \\u escape");
      }
      if (!cp) { free(o); return perr(p, "a NUL character in a string"); }
      w += put_utf8(w, cp);
      break;
    default: free(o); return perr(p, "an unknown escape in a string");
    }
  }
  p->s++;
  *w = 0;
  *out = o;
  return 0;
}

static int parse_number(parser *p, sq_jvalue *v) {
  const char *a = p->s, *q = a;
  if (q < p->end && *q == '-') q++;
  if (q >= p->end || *q < '0' || *q > '9') return perr(p, "not a JSON value");
  if (*q == '0') q++;
  else while (q < p->end && *q >= '0' && *q <= '9') q++;
  if (q < p->end && *q == '.') {
    q++;
    if (q >= p->end || *q < '0' || *q > '9') return perr(p, "a number with no digit after its point");
    while (q < p->end && *q >= '0' && *q <= '9') q++;
  }
  if (q < p->end && (*q == 'e' || *q == 'E')) {
    q++;
    if (q < p->end && (*q == '+' || *q == '-')) q++;
    if (q >= p->end || *q < '0' || *q > '9') return perr(p, "a number with no digit in its exponent");
    while (q < p->end && *q >= '0' && *q <= '9') q++;
  }
  size_t n = (size_t)(q - a);
  if (!(v->text = malloc(n + 1))) return sq_fail(SQ_ENOMEM, "%s: out of memory", p->name);
  memcpy(v->text, a, n);
  v->text[n] = 0;
  v->number = strtod(v->text, NULL);
  if (!isfinite(v->number)) return perr(p, "a number too large for a double");
  v->type = SQ_JNUMBER;
  p->s = q;
  return 0;
}

static int parse_value(parser *p, sq_jvalue *v);

static int grow(parser *p, sq_jvalue *v, int *cap, int keys) {
  if (v->n < *cap) return 0;
  int nc = *cap ? 2 * *cap : 8;
  sq_jvalue *it = realloc(v->items, (size_t)nc * sizeof *it);
  if (it) v->items = it;
  char **k = keys ? realloc(v->keys, (size_t)nc * sizeof *k) : NULL;
  if (keys && k) v->keys = k;
  if (!it || (keys && !k)) return sq_fail(SQ_ENOMEM, "%s: out of memory", p->name);
  *cap = nc;
  return 0;
}

/* An array or object after its opening bracket. */
static int parse_container(parser *p, sq_jvalue *v, int object) {
  char close = object ? '}' : ']';
  int cap = 0, rc;
  v->type = object ? SQ_JOBJECT : SQ_JARRAY;
  if (++p->depth > MAX_DEPTH) return perr(p, "nested more than 64 deep");
  skip_ws(p);
  if (p->s < p->end && *p->s == close) {
    p->s++;
    p->depth--;
    return 0;
  }
  for (;;) {
    if ((rc = grow(p, v, &cap, object))) return rc;
    sq_jvalue *it = &v->items[v->n];
    memset(it, 0, sizeof *it);
    if (object) {
      v->keys[v->n] = NULL;
      skip_ws(p);
      if (p->s >= p->end || *p->s != '"') { v->n++; return perr(p, "an object key is not a string"); }
      p->s++;
      if ((rc = parse_string(p, &v->keys[v->n]))) { v->n++; return rc; }
      skip_ws(p);
      if (p->s >= p->end || *p->s != ':') { v->n++; return perr(p, "no ':' after an object key"); }
      p->s++;
    }
    v->n++;
    if ((rc = parse_value(p, it))) return rc;
    skip_ws(p);
    if (p->s < p->end && *p->s == ',') { p->s++; continue; }
    if (p->s < p->end && *p->s == close) { p->s++; break; }
    return perr(p, object ? "no ',' or '}' after an object item" : "no ',' or ']' after an array item");
  }
  p->depth--;
  return 0;
}

static int literal(parser *p, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n)) return perr(p, "not a JSON value");
  p->s += n;
  return 0;
}

static int parse_value(parser *p, sq_jvalue *v) {
  skip_ws(p);
  v->line = p->line;
  if (p->s >= p->end) return perr(p, "the document ends where a value should be");
  switch (*p->s) {
  case '{': p->s++; return parse_container(p, v, 1);
  case '[': p->s++; return parse_container(p, v, 0);
  case '"': p->s++; v->type = SQ_JSTRING; return parse_string(p, &v->text);
  case 't': v->type = SQ_JBOOL; v->number = 1; return literal(p, "true");
  case 'f': v->type = SQ_JBOOL; return literal(p, "false");
  case 'n': v->type = SQ_JNULL; return literal(p, "null");
  default: return parse_number(p, v);
  }
}

int sq_json_parse(const char *text, size_t len, const char *name, sq_jvalue *out) {
  parser p = {.s = text, .end = text + len, .name = name, .line = 1};
  memset(out, 0, sizeof *out);
  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) p.s += 3;   /* a byte-order mark */
  int rc = parse_value(&p, out);
  if (!rc) {
    skip_ws(&p);
    if (p.s < p.end) rc = perr(&p, "text after the document's end");
  }
  if (rc) sq_json_free(out);
  return rc;
}

void sq_json_free(sq_jvalue *v) {
  if (!v) return;
  for (int i = 0; i < v->n; i++) {
    if (v->keys) free(v->keys[i]);
    if (v->items) sq_json_free(&v->items[i]);
  }
  free(v->keys);
  free(v->items);
  free(v->text);
  memset(v, 0, sizeof *v);
}

const sq_jvalue *sq_json_get(const sq_jvalue *v, const char *key) {
  if (!v || v->type != SQ_JOBJECT) return NULL;
  for (int i = 0; i < v->n; i++)
    if (v->keys[i] && !strcmp(v->keys[i], key)) return &v->items[i];
  return NULL;
}
