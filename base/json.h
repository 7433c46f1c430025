/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON, both ways, self-contained: a streaming writer for the JSON outputs
 * (results, devices, Kernel Tuner's T4) and a small tree parser for the
 * JSON inputs (Kernel Tuner caches and T4 files replayed as recorded
 * spaces). The writer escapes every string (control characters as \u00XX)
 * and writes non-finite numbers as null, so its output always parses; the
 * parser refuses what RFC 8259 refuses and says "name:line: what". */
#ifndef SQ_JSON_H
#define SQ_JSON_H

#include <stddef.h>
#include <stdio.h>

/* ---- writer ------------------------------------------------------------ */

#define SQ_JSON_DEPTH 32

typedef struct sq_json {
  FILE *f;
  int depth;
  int pretty;                    /* containers up to this depth get one item a line */
  char kind[SQ_JSON_DEPTH];      /* '{' or '[' per open container */
  int count[SQ_JSON_DEPTH];      /* items written in it so far */
} sq_json;

/* Starts a document on f; containers nested deeper than `pretty` are
 * written on one line (sample arrays stay compact). */
void sq_json_begin(sq_json *j, FILE *f, int pretty);
/* Each value call takes its key inside an object and NULL elsewhere. */
void sq_json_object(sq_json *j, const char *key);
void sq_json_array(sq_json *j, const char *key);
void sq_json_end(sq_json *j);                    /* closes the innermost container */
void sq_json_string(sq_json *j, const char *key, const char *s);   /* NULL: null */
void sq_json_number(sq_json *j, const char *key, double x);        /* NaN, inf: null */
void sq_json_int(sq_json *j, const char *key, long long x);
void sq_json_bool(sq_json *j, const char *key, int b);
void sq_json_null(sq_json *j, const char *key);
/* Ends the document with a newline; 0, or SQ_EIO when the stream failed. */
int sq_json_finish(sq_json *j);

/* ---- parser ------------------------------------------------------------ */

typedef enum { SQ_JNULL, SQ_JBOOL, SQ_JNUMBER, SQ_JSTRING, SQ_JARRAY, SQ_JOBJECT } sq_jtype;

typedef struct sq_jvalue {
  sq_jtype type;
  int line;                 /* where the value starts, for messages */
  double number;            /* SQ_JNUMBER; SQ_JBOOL: 0 or 1 */
  char *text;               /* SQ_JSTRING: the string (UTF-8, NUL-terminated);
                             * SQ_JNUMBER: the number as written */
  int n;                    /* items of an array or object */
  char **keys;              /* SQ_JOBJECT: the item keys */
  struct sq_jvalue *items;
} sq_jvalue;

/* Parses a whole document; `name` names it in messages. 0, SQ_ENOMEM, or
 * SQ_EPARSE with "name:line: what". */
int sq_json_parse(const char *text, size_t len, const char *name, sq_jvalue *out);
void sq_json_free(sq_jvalue *v);
/* The item of an object under key (the first one), or NULL (also when v
 * is no object). */
const sq_jvalue *sq_json_get(const sq_jvalue *v, const char *key);

#endif
