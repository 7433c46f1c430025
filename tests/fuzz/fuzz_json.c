/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: the JSON parser (base/json.c) and the Kernel Tuner spaces
 * read through it (tuner/t4.c, sq_space_from_json, as `tune --replay` loads
 * a cache or T4 file). Guarantees: a refusal names the input; an accepted
 * document written back by the JSON writer parses again to the same tree
 * (types, keys, strings byte for byte, numbers exactly); an accepted space
 * has 1 to SQ_SPACE_MAXP parameters, at least one configuration, each found
 * again by its values, and times that are positive or NAN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/error.h"
#include "base/json.h"
#include "tests/fuzz/fuzz.h"
#include "tuner/t4.h"

const char sq_fuzz_name[] = "json";

static void write_value(sq_json *j, const char *key, const sq_jvalue *v) {
  switch (v->type) {
  case SQ_JNULL: sq_json_null(j, key); break;
  case SQ_JBOOL: sq_json_bool(j, key, v->number != 0); break;
  case SQ_JNUMBER: sq_json_number(j, key, v->number); break;
  case SQ_JSTRING: sq_json_string(j, key, v->text); break;
  case SQ_JARRAY:
  case SQ_JOBJECT:
    if (v->type == SQ_JARRAY) sq_json_array(j, key);
    else sq_json_object(j, key);
    for (int i = 0; i < v->n; i++) write_value(j, v->type == SQ_JOBJECT ? v->keys[i] : NULL, &v->items[i]);
    sq_json_end(j);
    break;
  }
}

static void same(const sq_jvalue *a, const sq_jvalue *b) {
  SQ_FUZZ_CHECK(a->type == b->type && a->n == b->n, "type %d/%d, %d/%d items", a->type, b->type, a->n, b->n);
  if (a->type == SQ_JNUMBER || a->type == SQ_JBOOL)
    SQ_FUZZ_CHECK(a->number == b->number, "number %.17g became %.17g", a->number, b->number);
  if (a->type == SQ_JSTRING) SQ_FUZZ_CHECK(!strcmp(a->text, b->text), "a string changed");
  for (int i = 0; i < a->n; i++) {
    if (a->type == SQ_JOBJECT) SQ_FUZZ_CHECK(!strcmp(a->keys[i], b->keys[i]), "a key changed");
    same(&a->items[i], &b->items[i]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sq_jvalue v, w;
  sq_clear_error();
  int rc = sq_json_parse((const char *)data, size, "fuzz.json", &v);
  if (rc) {
    sq_fuzz_refused(rc, "fuzz.json");
  } else {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    SQ_FUZZ_CHECK(f != NULL, "open_memstream");
    sq_json j;
    sq_json_begin(&j, f, 2);
    write_value(&j, NULL, &v);
    SQ_FUZZ_CHECK(sq_json_finish(&j) == 0, "the writer failed");
    fclose(f);
    rc = sq_json_parse(buf, len, "again.json", &w);
    SQ_FUZZ_CHECK(rc == 0, "the writer's output does not parse: %s", sq_last_error());
    same(&v, &w);
    sq_json_free(&w);
    free(buf);
    sq_json_free(&v);
  }
  char path[256];
  sq_fuzz_path(path, sizeof path, "space.json");
  sq_fuzz_write(path, data, size);
  sq_space s;
  sq_clear_error();
  rc = sq_space_from_json(path, &s);
  if (rc) {
    sq_fuzz_refused(rc, path);
    return 0;
  }
  SQ_FUZZ_CHECK(s.np >= 1 && s.np <= SQ_SPACE_MAXP && s.n >= 1, "%d parameters, %lld configurations", s.np,
                (long long)s.n);
  for (int64_t i = 0; i < s.n; i++) {
    int pv[SQ_SPACE_MAXP];
    sq_space_values(&s, i, pv);
    SQ_FUZZ_CHECK(sq_space_find_values(&s, pv) == i, "configuration %lld not found by its values", (long long)i);
    SQ_FUZZ_CHECK(isnan(s.time[i]) || (isfinite(s.time[i]) && s.time[i] > 0), "time %g", s.time[i]);
  }
  sq_space_free(&s);
  return 0;
}
