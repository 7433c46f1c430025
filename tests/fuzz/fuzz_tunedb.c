/* SPDX-License-Identifier: BSD-3-Clause */
/* Fuzz target: a tuning database file, as `run` reads the user's database
 * (tuner/db.c, sq_tunedb_read) and as each entry's parameters are applied
 * (sq_tunedb_params). Guarantees: a refusal names the file and frees the
 * entries; an accepted entry has causal 0 or 1, a key and a kernel name, and
 * a known kernel's key is a shape of its op; parameters accepted for a kernel pass the kernel's
 * own check; and the database survives a rewrite through sq_tunedb_write
 * (what `tune` does to store an entry) with every entry's key and texts
 * unchanged, since a changed key would silently orphan the entry. Once per
 * process it also checks that the shipped database's entries all apply. */
#include <math.h>
#include <stdio.h>

#include "base/error.h"
#include "kernels/kernel.h"
#include "tests/fuzz/fuzz.h"
#include "tuner/db.h"

const char sq_fuzz_name[] = "tunedb";

/* Applies the entry's parameters to the problem its key stands for. */
static void check_params(const sq_tunedb_entry *e) {
  const sq_kernel *k = sq_kernel_find(e->kernel);
  if (!k) return;
  sq_problem p;
  SQ_FUZZ_CHECK(sq_tunedb_entry_problem(e, k, &p) == 0, "%s: accepted key '%s' is not a shape: %s", k->name, e->key,
                sq_last_error());
  int pv[SQ_MAX_PARAMS];
  sq_clear_error();
  int rc = sq_tunedb_params(e, k, &p, pv);
  if (rc) {
    sq_fuzz_refused(rc, "tuning database");
    return;
  }
  char why[256];
  SQ_FUZZ_CHECK(!k->check || k->check(&p, pv, k->nparams, why, sizeof why) == 0,
                "%s: accepted parameters '%s' fail the kernel's check", k->name, e->params);
}

static void check_entry(const sq_tunedb_entry *e) {
  SQ_FUZZ_STR(e->backend), SQ_FUZZ_STR(e->device), SQ_FUZZ_STR(e->arch), SQ_FUZZ_STR(e->vendor);
  SQ_FUZZ_STR(e->kernel), SQ_FUZZ_STR(e->dtype), SQ_FUZZ_STR(e->params), SQ_FUZZ_STR(e->shape);
  SQ_FUZZ_STR(e->date);
  SQ_FUZZ_CHECK(e->kernel[0], "an entry without a kernel");
  SQ_FUZZ_CHECK(e->causal == 0 || e->causal == 1, "causal %d", e->causal);
  SQ_FUZZ_STR(e->key);
  SQ_FUZZ_CHECK(e->key[0], "an entry without a key");
  check_params(e);
}

static void check_same(const sq_tunedb_entry *a, const sq_tunedb_entry *b) {
#define S(f) SQ_FUZZ_CHECK(!strcmp(a->f, b->f), #f " '%s' came back as '%s'", a->f, b->f)
#define I(f) SQ_FUZZ_CHECK(a->f == b->f, #f " %lld came back as %lld", (long long)a->f, (long long)b->f)
  S(backend), S(device), S(arch), S(vendor), S(kernel), S(dtype), I(causal), S(key);
  S(params), S(shape), S(date);
#undef S
#undef I
  /* Times are rewritten with 6 digits: only "none" must stay "none". */
  SQ_FUZZ_CHECK(isnan(a->time_ms) == isnan(b->time_ms) && isnan(a->default_ms) == isnan(b->default_ms),
                "an empty time came back filled, or the reverse");
}

static void round_trip(const sq_tunedb *db) {
  char path[256];
  sq_fuzz_path(path, sizeof path, "rewritten.csv");
  SQ_FUZZ_CHECK(sq_tunedb_write(path, db) == 0, "rewriting failed: %s", sq_last_error());
  sq_tunedb back;
  SQ_FUZZ_CHECK(sq_tunedb_read(path, &back) == 0, "the rewritten database is refused: %s", sq_last_error());
  SQ_FUZZ_CHECK(back.n == db->n, "%d entries came back as %d", db->n, back.n);
  for (int i = 0; i < db->n; i++) check_same(&db->v[i], &back.v[i]);
  sq_tunedb_free(&back);
}

/* Once: every entry of the shipped database applies, at the shape it was
 * tuned at, so the parameter rules never refuse what `tune` writes (0 is a
 * candidate of some parameters). */
static void check_shipped(void) {
  sq_tunedb db;
  SQ_FUZZ_CHECK(sq_tunedb_builtin(&db) == 0 && db.n > 0, "the shipped database: %s", sq_last_error());
  for (int i = 0; i < db.n; i++) {
    const sq_tunedb_entry *e = &db.v[i];
    const sq_kernel *k = sq_kernel_find(e->kernel);
    sq_problem p;
    int pv[SQ_MAX_PARAMS];
    SQ_FUZZ_CHECK(k && sq_tunedb_entry_problem(e, k, &p) == 0 && sq_tunedb_params(e, k, &p, pv) == 0, "shipped entry %s %s '%s' refused: %s", e->device,
                  e->kernel, e->params, sq_last_error());
  }
  sq_tunedb_free(&db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int shipped_checked;
  if (!shipped_checked) {
    check_shipped();
    shipped_checked = 1;
  }
  char path[256];
  sq_fuzz_path(path, sizeof path, "tunedb.csv");
  sq_fuzz_write(path, data, size);
  sq_tunedb db;
  sq_clear_error();
  int rc = sq_tunedb_read(path, &db);
  if (rc) {
    sq_fuzz_refused(rc, path);
    SQ_FUZZ_CHECK(db.n == 0 && !db.v, "a refused database keeps %d entries", db.n);
    return 0;
  }
  for (int i = 0; i < db.n; i++) check_entry(&db.v[i]);
  round_trip(&db);
  sq_tunedb_free(&db);
  return 0;
}
