/* SPDX-License-Identifier: BSD-3-Clause */
/* The JSON writer and parser (base/json.h): every string the writer is
 * given comes back from the parser byte for byte (control characters,
 * quotes, backslashes, UTF-8), non-finite numbers are written as null,
 * numbers round-trip exactly, and the parser refuses malformed documents
 * with a line number. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/json.h"
#include "tests/tap.h"

static char *write_doc(size_t *len, const char *hostile) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  sq_json j;
  sq_json_begin(&j, f, 1);
  sq_json_object(&j, NULL);
  sq_json_string(&j, "hostile", hostile);
  sq_json_string(&j, hostile, "as a key");
  sq_json_number(&j, "nan", NAN);
  sq_json_number(&j, "inf", INFINITY);
  sq_json_number(&j, "third", 1.0 / 3);
  sq_json_number(&j, "big", 1.7976931348623157e308);
  sq_json_int(&j, "int", -9007199254740993LL);
  sq_json_array(&j, "list");
  for (int i = 0; i < 3; i++) sq_json_number(&j, NULL, i * 0.1);
  sq_json_object(&j, NULL);
  sq_json_end(&j);
  sq_json_null(&j, NULL);
  sq_json_bool(&j, NULL, 1);
  sq_json_end(&j);
  tap_ok(sq_json_finish(&j) == 0, "the writer reports no error");
  fclose(f);
  return buf;
}

static void refused(const char *doc, const char *want) {
  sq_jvalue v;
  int rc = sq_json_parse(doc, strlen(doc), "t.json", &v);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), want), "refused: %s (%s)", want, sq_last_error());
}

int main(void) {
  char hostile[160];
  int k = 0;
  for (int c = 1; c < 128; c++) hostile[k++] = (char)c;
  strcpy(hostile + k, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");   /* é € and an emoji */
  size_t len;
  char *doc = write_doc(&len, hostile);
  sq_jvalue v;
  int rc = sq_json_parse(doc, len, "doc", &v);
  tap_ok(rc == 0, "the writer's document parses (%s)", rc ? sq_last_error() : "ok");
  const sq_jvalue *h = sq_json_get(&v, "hostile");
  tap_ok(h && h->type == SQ_JSTRING && !strcmp(h->text, hostile), "every ASCII character and UTF-8 round-trips");
  tap_ok(v.n > 1 && v.keys[1] && !strcmp(v.keys[1], hostile), "a hostile key round-trips");
  tap_ok(sq_json_get(&v, "nan") && sq_json_get(&v, "nan")->type == SQ_JNULL, "NaN is written as null");
  tap_ok(sq_json_get(&v, "inf") && sq_json_get(&v, "inf")->type == SQ_JNULL, "infinity is written as null");
  tap_ok(sq_json_get(&v, "third") && sq_json_get(&v, "third")->number == 1.0 / 3, "1/3 round-trips exactly");
  tap_ok(sq_json_get(&v, "big") && sq_json_get(&v, "big")->number == 1.7976931348623157e308, "DBL_MAX round-trips");
  const sq_jvalue *i = sq_json_get(&v, "int");
  tap_ok(i && !strcmp(i->text, "-9007199254740993"), "a 64-bit integer keeps its digits (%s)", i ? i->text : "-");
  const sq_jvalue *l = sq_json_get(&v, "list");
  tap_ok(l && l->type == SQ_JARRAY && l->n == 6 && l->items[3].type == SQ_JOBJECT && l->items[5].type == SQ_JBOOL,
         "nested containers keep their items");
  tap_ok(!memchr(doc, '\t', len) && !memchr(doc, '\r', len), "no raw control character in the output");
  sq_json_free(&v);
  free(doc);

  const char *u = "{\"a\": \"\\u00e9\\ud83d\\ude00\\/\", \"b\": [1e2, -0.5, 0]}";
  tap_ok(sq_json_parse(u, strlen(u), "u", &v) == 0 && !strcmp(sq_json_get(&v, "a")->text, "\xc3\xa9\xf0\x9f\x98\x80/"),
         "\\u escapes and surrogate pairs decode to UTF-8");
  sq_json_free(&v);
  refused("{\"a\": 1,}", "an object key is not a string");
  refused("[1 2]", "no ',' or ']'");
  refused("{\"a\" 1}", "no ':'");
  refused("\"abc", "not closed");
  refused("[01]", "no ',' or ']'");
  refused("[1.]", "no digit after its point");
  refused("[NaN]", "not a JSON value");
  refused("[1e999]", "too large");
  refused("{}\n{}", "t.json:2: text after");
  refused("[\"\\ud800\"]", "lone surrogate");
  refused("[\"a\tb\"]", "control character");
  char deep[200];
  memset(deep, '[', 100);
  deep[100] = 0;
  refused(deep, "nested more than 64");
  return tap_done();
}
