/* SPDX-License-Identifier: BSD-3-Clause */
/* The tuning database: the fallback order device -> architecture -> vendor
 * -> defaults, the level reported, shape buckets (exact first, then the
 * nearest), entries that do not fit the problem skipped, the backend kept
 * apart, store replacing an entry with the same key, and an unreadable user
 * database giving defaults with SQ_EPARSE. Every row is checked on load as
 * --param and --shape check their values (issue 10, item 7): a parameter
 * the planner would divide by (FL_SPLIT=0), a value that wraps an int, a
 * fraction, an unknown or repeated name, and out-of-range shape and time
 * columns are refused with "FILE:LINE: COLUMN: what"; the shipped database
 * still loads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "kernels/attention.h"
#include "tests/tap.h"
#include "tuner/db.h"

static char path[] = "/tmp/sq_tuner_db_XXXXXX";

static void entry(sq_tunedb *db, const char *be, const char *dev, const char *arch, const char *vendor,
                  const char *kernel, int64_t bucket, const char *params) {
  sq_tunedb_entry *e = &db->v[db->n++];
  memset(e, 0, sizeof *e);
  snprintf(e->backend, sizeof e->backend, "%s", be);
  snprintf(e->device, sizeof e->device, "%s", dev);
  snprintf(e->arch, sizeof e->arch, "%s", arch);
  snprintf(e->vendor, sizeof e->vendor, "%s", vendor);
  snprintf(e->kernel, sizeof e->kernel, "%s", kernel);
  snprintf(e->dtype, sizeof e->dtype, "f32");
  e->causal = 1;
  snprintf(e->key, sizeof e->key, "D=64,DV=64,T~%lld", (long long)bucket);
  snprintf(e->params, sizeof e->params, "%s", params);
  e->time_ms = 1;
  e->default_ms = 2;
}

static int lookup(const sq_device_info *d, const sq_kernel *k, const sq_problem *p, int *pv, char *lvl) {
  return sq_tunedb_lookup(d, k, p, pv, lvl, 32);
}

/* One database of the header and `row`: refused with SQ_EPARSE and a
 * detail "PATH:2: want...". */
static void refused(const char *row, const char *want) {
  FILE *f = fopen(path, "w");
  fprintf(f, "backend,device,arch,vendor,kernel,dtype,causal,D,DV,T_bucket,params,time_ms,default_ms,shape,date\n"
             "%s\n", row);
  fclose(f);
  sq_tunedb db;
  char prefix[600];
  snprintf(prefix, sizeof prefix, "%s:2: %s", path, want);
  sq_clear_error();
  int rc = sq_tunedb_read(path, &db);
  tap_ok(rc == SQ_EPARSE && !strncmp(sq_last_error(), prefix, strlen(prefix)) && !strchr(sq_last_error(), '\n'),
         "refused: %s (%s)", row, sq_last_error());
  if (!rc) sq_tunedb_free(&db);
}

#define FLASH "opencl,GPU One,gfx1,Acme,softmax_attn.flash,f32,1,64,64,16384,"
#define NONC "opencl,GPU One,gfx1,Acme,linear_attn.noncausal,f32,0,64,64,16384,"
#define TAIL ",1.5,2,\"B=1,H=2,T=16384,D=64,DV=64\",2026-11-28"

static void test_bad_rows(void) {
  refused(FLASH "FL_BM=16;FL_SPLIT=0" TAIL, "FL_SPLIT: '0' is not a positive integer");
  refused(NONC "SPLIT=0" TAIL, "SPLIT: '0' is not a positive integer");
  refused(NONC "SPLIT=99999999999" TAIL, "SPLIT: '99999999999' is not a positive integer");
  refused(NONC "SPLIT=4294968320" TAIL, "SPLIT: '4294968320' is not a positive integer");
  refused(NONC "SPLIT=2048.9" TAIL, "SPLIT: '2048.9' is not a positive integer");
  refused(NONC "SPLIT=-1024" TAIL, "SPLIT: '-1024' is not a positive integer");
  refused(NONC "SPLIT=" TAIL, "SPLIT: '' is not a positive integer");
  refused(NONC "LA_RUNS=2000000" TAIL, "LA_RUNS: '2000000' is not an integer from 0 to 1048576");
  refused(NONC "SPLIT=1024;SPLIT=2048" TAIL, "SPLIT: given twice");
  refused(NONC "NOPE=3" TAIL, "NOPE: linear_attn.noncausal has no such parameter");
  refused(NONC "SPLIT" TAIL, "params: 'SPLIT' is not NAME=VALUE");
  refused(FLASH "FL_BM=128;FL_SPLIT=4" TAIL, "params: softmax_attn.flash at D=64");
  refused("opencl,GPU One,gfx1,Acme,softmax_attn.flash,f32,1,0,64,16384,FL_BM=16" TAIL, "D: '0' is not an integer");
  refused("opencl,GPU One,gfx1,Acme,softmax_attn.flash,f32,1,64.5,64,16384,FL_BM=16" TAIL, "D: '64.5' is not");
  refused("opencl,GPU One,gfx1,Acme,softmax_attn.flash,f32,1,64,-64,16384,FL_BM=16" TAIL, "DV: '-64' is not");
  refused("opencl,GPU One,gfx1,Acme,softmax_attn.flash,f32,2,64,64,16384,FL_BM=16" TAIL, "causal: '2' is not");
  refused("opencl,GPU One,gfx1,Acme,softmax_attn.flash,f32,1,64,64,1000,FL_BM=16" TAIL, "T_bucket: 1000 is not a power");
  refused("opencl,GPU One,gfx1,Acme,softmax_attn.flash,f32,1,64,64,0,FL_BM=16" TAIL, "T_bucket: '0' is not");
  refused("opencl,GPU One,gfx1,Acme,softmax_attn.flash,f64,1,64,64,16384,FL_BM=16" TAIL, "dtype: 'f64' is not");
  refused(FLASH "FL_BM=16,-1.5,2,x,y", "time_ms: '-1.5' is not a positive finite time");
  refused(FLASH "FL_BM=16,nan,2,x,y", "time_ms: 'nan' is not");
  refused(FLASH "FL_BM=16,1,inf,x,y", "default_ms: 'inf' is not");
  refused(FLASH "FL_BM=16,0,2,x,y", "time_ms: '0' is not");
  char longdev[300];
  memset(longdev, 'x', 200);
  longdev[200] = 0;
  char row[700];
  snprintf(row, sizeof row, "opencl,%s,gfx1,Acme,softmax_attn.flash,f32,1,64,64,16384,FL_BM=16" TAIL, longdev);
  refused(row, "device: longer than 127 characters");
  /* A kernel this build does not know: the values are checked, the names
   * cannot be. */
  refused("opencl,GPU One,gfx1,Acme,future.kernel,f32,1,64,64,16384,X=0.5" TAIL, "X: '0.5' is not an integer from 0");
  FILE *f = fopen(path, "w");
  fprintf(f, "backend,device,arch,vendor,kernel,dtype,causal,D,DV,T_bucket,params,time_ms,default_ms,shape,date\n"
             "opencl,GPU One,gfx1,Acme,future.kernel,f32,1,64,64,16384,X=3;Y=0,,,,\n"
             NONC "LA_RUNS=0;SPLIT=2048" TAIL "\n");
  fclose(f);
  sq_tunedb db;
  int rc = sq_tunedb_read(path, &db);
  tap_ok(rc == 0 && db.n == 2, "an unknown kernel's entry, empty times and LA_RUNS=0 (a listed value) load (%s)",
         rc ? sq_last_error() : "ok");
  if (!rc) sq_tunedb_free(&db);
}

/* Format 2 keys hold the op's tuning axes, the feature map included: an
 * entry tuned for elu1+norm does not answer an identity problem, while a
 * format 1 entry (which never knew its feature map) answers both. */
static void test_v2_keys(void) {
  const sq_kernel *k = sq_kernel_find("linear_attn.causal_chunked");
  int c = sq_kernel_param_index(k, "CHUNK");
  FILE *f = fopen(path, "w");
  fprintf(f, "# subquad-tunedb 2: test\n"
             "backend,device,arch,vendor,kernel,dtype,causal,key,params,time_ms,default_ms,shape,date\n"
             "opencl,GPU Two,gfx2,Acme,linear_attn.causal_chunked,f32,1,"
             "\"D=64,DV=64,feature=elu1,normalize=1,T~16384\",CHUNK=16,1,2,,\n");
  fclose(f);
  setenv("SUBQUAD_TUNEDB", path, 1);
  sq_device_info dev = {0};
  snprintf(dev.backend, sizeof dev.backend, "opencl");
  snprintf(dev.name, sizeof dev.name, "GPU Two");
  sq_problem p;
  sq_att_problem(&p, k->op, 1, 2, 16384, 64, 64, 1, SQ_F32);
  int pv[SQ_MAX_PARAMS];
  char lvl[32];
  int rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "default"), "format 2: an elu1+norm entry does not answer identity (%s)", lvl);
  sq_ax_set(&p, SQ_ATT_FEATURE, SQ_FMAP_ELU1);
  sq_ax_set(&p, SQ_ATT_NORMALIZE, 1);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:device") && pv[c] == 16, "format 2: it answers elu1+norm (%s, CHUNK=%d)", lvl,
         pv[c]);
  char key[256];
  tap_ok(!sq_tunedb_key(&p, key, sizeof key) && !strcmp(key, "T~16384,D=64,DV=64,feature=elu1,normalize=1"),
         "the key of a problem: %s", key);
  f = fopen(path, "w");
  fprintf(f, "backend,device,arch,vendor,kernel,dtype,causal,D,DV,T_bucket,params,time_ms,default_ms,shape,date\n"
             "opencl,GPU Two,gfx2,Acme,linear_attn.causal_chunked,f32,1,64,64,16384,CHUNK=16,1,2,,\n");
  fclose(f);
  rc = lookup(&dev, k, &p, pv, lvl);
  int elu = rc == 0 && !strcmp(lvl, "tuned:device");
  sq_ax_set(&p, SQ_ATT_FEATURE, SQ_FMAP_IDENTITY);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(elu && rc == 0 && !strcmp(lvl, "tuned:device"), "a format 1 entry answers every feature map");
  /* An entry for every feature map first in the file, one for elu1+norm
   * after it, both at the problem's bucket: the more specific one wins. */
  f = fopen(path, "w");
  fprintf(f, "# subquad-tunedb 2: test\n"
             "backend,device,arch,vendor,kernel,dtype,causal,key,params,time_ms,default_ms,shape,date\n"
             "opencl,GPU Two,gfx2,Acme,linear_attn.causal_chunked,f32,1,\"D=64,DV=64,T~16384\",CHUNK=32,1,2,,\n"
             "opencl,GPU Two,gfx2,Acme,linear_attn.causal_chunked,f32,1,"
             "\"D=64,DV=64,feature=elu1,normalize=1,T~16384\",CHUNK=16,1,2,,\n");
  fclose(f);
  sq_ax_set(&p, SQ_ATT_FEATURE, SQ_FMAP_ELU1);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == 0 && pv[c] == 16, "of two entries as near, the one naming the feature map wins (CHUNK=%d)", pv[c]);
  sq_ax_set(&p, SQ_ATT_FEATURE, SQ_FMAP_IDENTITY);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == 0 && pv[c] == 32, "and the general one answers identity (CHUNK=%d)", pv[c]);
  f = fopen(path, "w");
  fprintf(f, "# subquad-tunedb 2: test\n"
             "backend,device,arch,vendor,kernel,dtype,causal,key,params,time_ms,default_ms,shape,date\n"
             "opencl,GPU Two,gfx2,Acme,linear_attn.causal_chunked,f32,1,\"D=64,N=3,T~16\",CHUNK=16,1,2,,\n");
  fclose(f);
  sq_tunedb db;
  rc = sq_tunedb_read(path, &db);
  tap_ok(rc == SQ_EPARSE && strstr(sq_last_error(), ":3: key: unknown key 'N'"), "a key the op does not declare is refused (%s)",
         sq_last_error());
  if (!rc) sq_tunedb_free(&db);
  /* A grid op's token axis is a list: its key buckets each side, and an
   * entry answers a grid of nearby sides. */
  const sq_kernel *w = sq_kernel_find("local_attn.window_2d.flash");
  int qb = sq_kernel_param_index(w, "WN_QB");
  sq_problem g;
  rc = sq_problem_parse(w, "B=1,H=2,D=64,grid=128x96,win=8x8,shift=4x4,has_rpb=1", 0, SQ_F32, &g);
  tap_ok(!rc && !sq_tunedb_key(&g, key, sizeof key) &&
             !strcmp(key, "D=64,DV=64,grid~128x128,win=8x8,shift=4x4,has_rpb=1"),
         "a grid's key buckets each side: %s", key);
  f = fopen(path, "w");
  fprintf(f, "# subquad-tunedb 2: test\n"
             "backend,device,arch,vendor,kernel,dtype,causal,key,params,time_ms,default_ms,shape,date\n"
             "opencl,GPU Two,gfx2,Acme,local_attn.window_2d.flash,f32,0,\"%s\",WN_QB=32,1,2,,\n", key);
  fclose(f);
  rc = lookup(&dev, w, &g, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:device") && pv[qb] == 32, "and the entry answers that grid (%s, WN_QB=%d)",
         lvl, pv[qb]);
  unsetenv("SUBQUAD_TUNEDB");
  unlink(path);
}

int main(void) {
  close(mkstemp(path));
  setenv("SUBQUAD_TUNEDB", path, 1);
  const sq_kernel *k = sq_kernel_find("softmax_attn.flash");
  if (!k) return tap_ok(0, "softmax_attn.flash is registered"), tap_done();
  int bm = sq_kernel_param_index(k, "FL_BM"), bn = sq_kernel_param_index(k, "FL_BN");
  sq_problem p;
  sq_att_problem(&p, k->op, 1, 2, 16384, 64, 64, 1, SQ_F32);
  sq_device_info dev = {0}, twin = {0}, cousin = {0}, stranger = {0};
  snprintf(dev.backend, sizeof dev.backend, "opencl");
  snprintf(dev.name, sizeof dev.name, "GPU One");
  snprintf(dev.arch, sizeof dev.arch, "gfx1");
  snprintf(dev.vendor, sizeof dev.vendor, "Acme");
  twin = dev;     /* same architecture, another board */
  snprintf(twin.name, sizeof twin.name, "GPU One Pro");
  cousin = twin;  /* same vendor only */
  snprintf(cousin.arch, sizeof cousin.arch, "gfx2");
  stranger = cousin;
  snprintf(stranger.vendor, sizeof stranger.vendor, "Other");

  sq_tunedb db = {0};
  db.v = calloc(16, sizeof *db.v);
  entry(&db, "opencl", "GPU One", "gfx1", "Acme", k->name, 16384, "FL_BM=16;FL_BN=8");
  entry(&db, "opencl", "GPU Zero", "gfx1", "Acme", k->name, 16384, "FL_BM=32;FL_BN=8");
  entry(&db, "opencl", "GPU Nine", "gfx9", "Acme", k->name, 16384, "FL_BM=128;FL_BN=8");
  entry(&db, "cuda", "GPU One", "gfx1", "Acme", k->name, 16384, "FL_BM=128;FL_BN=64");
  entry(&db, "opencl", "GPU One", "gfx1", "Acme", k->name, 1024, "FL_BM=16;FL_BN=32");
  entry(&db, "opencl", "GPU One", "gfx1", "Acme", "linear_attn.causal_chunked", 16384, "CHUNK=16");
  tap_ok(sq_tunedb_write(path, &db) == 0, "database written");

  int pv[SQ_MAX_PARAMS], def[SQ_MAX_PARAMS];
  char lvl[32];
  int rc;
  sq_kernel_default_params(k, def);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:device") && pv[bm] == 16 && pv[bn] == 8,
         "the device's own entry first (%s, FL_BM=%d)", lvl, pv[bm]);
  rc = lookup(&twin, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:arch") && (pv[bm] == 16 || pv[bm] == 32),
         "another board of the architecture: tuned:arch (%s, FL_BM=%d)", lvl, pv[bm]);
  rc = lookup(&cousin, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:vendor"), "same vendor only: %s", lvl);
  rc = lookup(&stranger, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "default") && !memcmp(pv, def, sizeof(int) * k->nparams),
         "nothing known: the kernel's defaults (%s)", lvl);
  sq_problem small = p;
  sq_ax_set(&small, SQ_ATT_T, 1000);   /* bucket 1024: its own entry */
  rc = lookup(&dev, k, &small, pv, lvl);
  tap_ok(rc == 0 && pv[bn] == 32, "the exact bucket wins (T=1000 -> 1024: FL_BN=%d)", pv[bn]);
  sq_ax_set(&small, SQ_ATT_T, 1500);   /* bucket 2048: 1024 is nearer than 16384 */
  rc = lookup(&dev, k, &small, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:device") && pv[bn] == 32,
         "no exact bucket: the nearest one (T=1500 -> 1024's entry, FL_BN=%d)", pv[bn]);
  sq_problem nc = p;
  nc.causal = 0;
  rc = lookup(&dev, k, &nc, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "default"), "causal is part of the key");
  sq_device_info cu = dev;
  snprintf(cu.backend, sizeof cu.backend, "cuda");
  rc = lookup(&cu, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:device") && pv[bm] == 128 && pv[bn] == 64,
         "the backend keeps CUDA's entry apart");

  /* An entry that does not fit the problem is skipped: the device's entry
   * in the next-nearest bucket answers. */
  snprintf(db.v[0].key, sizeof db.v[0].key, "D=32,DV=32,T~16384");
  sq_tunedb_write(path, &db);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:device") && pv[bm] == 16 && pv[bn] == 32,
         "an unusable entry is skipped (%s, FL_BN=%d)", lvl, pv[bn]);
  db.v[4].causal = 0;
  sq_tunedb_write(path, &db);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "tuned:arch") && pv[bm] == 32, "with none left at the device: the next level (%s)", lvl);

  /* Regression: a lookup that skips entries whose parameters do not fit the
   * problem (here B*H over the grid limit) succeeds with the defaults and
   * leaves no detail, so a later error that sets none is not printed with
   * this stale tuning-database text. */
  sq_problem wide = p;
  sq_ax_set(&wide, SQ_ATT_H, 70000);
  sq_clear_error();
  rc = lookup(&dev, k, &wide, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "default") && !sq_last_error()[0],
         "entries skipped by a lookup leave no detail behind ('%s')", sq_last_error());

  sq_tunedb_entry e = db.v[1];
  snprintf(e.params, sizeof e.params, "FL_BM=64;FL_BN=16");
  tap_ok(sq_tunedb_store(path, &e) == 0, "store");
  sq_tunedb back;
  tap_ok(sq_tunedb_read(path, &back) == 0 && back.n == db.n && !strcmp(back.v[1].params, "FL_BM=64;FL_BN=16"),
         "store replaces the entry with the same key (%d entries)", back.n);
  sq_tunedb_free(&back);

  FILE *f = fopen(path, "w");
  fputs("backend,device\nnot,a,database\n", f);
  fclose(f);
  rc = lookup(&dev, k, &p, pv, lvl);
  tap_ok(rc == SQ_EPARSE && !strcmp(lvl, "default") && !memcmp(pv, def, sizeof(int) * k->nparams),
         "an unreadable user database: defaults and SQ_EPARSE (%s)", sq_last_error());
  unlink(path);
  rc = lookup(&stranger, k, &p, pv, lvl);
  tap_ok(rc == 0 && !strcmp(lvl, "default"), "a missing database: defaults");
  tap_ok(sq_tunedb_builtin(&back) == 0, "the shipped database parses (%d entries)", back.n);
  sq_tunedb_free(&back);
  test_bad_rows();
  test_v2_keys();
  tap_ok(sq_tunedb_bucket(16384) == 16384 && sq_tunedb_bucket(16385) == 32768 && sq_tunedb_bucket(1) == 1,
         "buckets: powers of two, rounding up");
  sq_tunedb_free(&db);
  return tap_done();
}
