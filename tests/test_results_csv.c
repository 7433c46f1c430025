/* Tests of the result files (results/result.c): a writer round trip that
 * must read back every field identically (odd characters in text cells,
 * NAN, awkward doubles, raw samples through the sidecar), an aborted writer
 * that leaves nothing behind, and malformed or truncated files that must
 * fail with SQ_EPARSE and a "file:line:" detail. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/error.h"
#include "results/result.h"
#include "tests/tap.h"

static char dir[64];

static void path_in(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static int count_files(void) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  if (d) closedir(d);
  return n;
}

static void remove_all(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[512];
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      unlink(p);
    }
  if (d) closedir(d);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
}

/* Doubles are equal when bitwise-equal values or both NAN. */
static int same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static int same_row(const sq_result *a, const sq_result *b, char *why, size_t n) {
#define S(f) if (strcmp(a->f, b->f)) return snprintf(why, n, #f ": '%s' vs '%s'", a->f, b->f), 0
#define I(f) if (a->f != b->f) return snprintf(why, n, #f ": %lld vs %lld", (long long)a->f, (long long)b->f), 0
#define D(f) if (!same_double(a->f, b->f)) return snprintf(why, n, #f ": %.17g vs %.17g", a->f, b->f), 0
  I(id); S(device); S(backend); S(arch); S(kernel); S(family); I(causal);
  I(B); I(H); I(T); I(D); I(DV); S(dtype); S(mode); S(params); S(config_source); S(feature);
  I(status); S(reason); S(verify); D(max_rel_err); D(tolerance);
  I(stats.n); D(stats.min); D(stats.q1); D(stats.median); D(stats.mean); D(stats.q3);
  D(stats.max); D(stats.stddev); D(stats.noise); D(gflops); D(gbs); D(peak_frac);
  D(pred_ms); D(pred_mem_bytes); S(suite); S(workload); I(nsamples);
  for (int i = 0; i < a->nsamples; i++) D(samples[i]);
  for (int i = 0; i < a->nsamples; i++)
    if (sq_result_round(a, i) != sq_result_round(b, i))
      return snprintf(why, n, "round of sample %d: %d vs %d", i, sq_result_round(a, i), sq_result_round(b, i)), 0;
#undef S
#undef I
#undef D
  return 1;
}

static void make_rows(sq_result r[3]) {
  static double s0[] = {1.25, 0.1, 1.0 / 3.0, 2.5e-7, 1e300, 0.30000000000000004};
  for (int i = 0; i < 3; i++) sq_result_init(&r[i]);
  r[0].id = 0;
  snprintf(r[0].device, sizeof r[0].device, "opencl:0 pthread-skylake, \"AMD\" EPYC");
  snprintf(r[0].backend, sizeof r[0].backend, "opencl");
  snprintf(r[0].arch, sizeof r[0].arch, "  leading and trailing  ");
  snprintf(r[0].kernel, sizeof r[0].kernel, "linear_attn.causal_chunked");
  snprintf(r[0].family, sizeof r[0].family, "linear_attn");
  r[0].causal = 1;
  r[0].B = 1, r[0].H = 8, r[0].T = 8388608, r[0].D = 64, r[0].DV = 128;
  snprintf(r[0].dtype, sizeof r[0].dtype, "f32");
  snprintf(r[0].mode, sizeof r[0].mode, "cold");
  snprintf(r[0].params, sizeof r[0].params, "CHUNK=64;WG=128");
  snprintf(r[0].config_source, sizeof r[0].config_source, "tuned:device");
  snprintf(r[0].feature, sizeof r[0].feature, "elu1+norm");
  r[0].status = SQ_STATUS_OK;
  snprintf(r[0].reason, sizeof r[0].reason, "max rel err 1.2e-6, ok");
  snprintf(r[0].verify, sizeof r[0].verify, "rows 1/512");
  r[0].max_rel_err = 1.2e-6, r[0].tolerance = 1e-4;
  r[0].nsamples = 6;
  r[0].samples = malloc(sizeof s0);
  memcpy(r[0].samples, s0, sizeof s0);
  static const int rounds0[] = {0, 0, 1, 1, 2, 7};
  r[0].sample_round = malloc(sizeof rounds0);
  memcpy(r[0].sample_round, rounds0, sizeof rounds0);
  sq_stats_compute(r[0].samples, 6, &r[0].stats);
  r[0].gflops = 123.456789012345678, r[0].gbs = 1.0 / 7.0, r[0].peak_frac = 0.1 + 0.2;
  snprintf(r[0].suite, sizeof r[0].suite, "quick");
  snprintf(r[0].workload, sizeof r[0].workload, "katharopoulos20/lm");

  r[1].id = 7;
  snprintf(r[1].kernel, sizeof r[1].kernel, "softmax_attn.naive");
  r[1].status = SQ_STATUS_SKIPPED;
  r[1].T = 8388608;
  snprintf(r[1].reason, sizeof r[1].reason, "infeasible: needs 281 TB > 80 GB");
  r[1].pred_ms = 1.5e9, r[1].pred_mem_bytes = 2.81e14;

  r[2].id = 3;
  r[2].status = SQ_STATUS_FAILED;
  snprintf(r[2].reason, sizeof r[2].reason,
           "compile: \"x.cl\", line 3: error,\nunexpected ';'\r\nand \"\"quotes\"\"");
  r[2].max_rel_err = INFINITY;
  r[2].tolerance = -0.0;
}

static int read_error(const char *path, const char *want) {
  sq_results res;
  int rc = sq_results_read(path, &res);
  if (rc == 0) {
    sq_results_free(&res);
    tap_diag("read succeeded, want '%s'", want);
    return 0;
  }
  if (rc != SQ_EPARSE || !strstr(sq_last_error(), want)) {
    tap_diag("got %s: '%s', want '%s'", sq_err_name(rc), sq_last_error(), want);
    return 0;
  }
  return 1;
}

static const char *HEADER =
    "id,device,backend,arch,kernel,family,causal,B,H,T,D,DV,dtype,mode,params,config_source,"
    "feature,status,reason,verify,max_rel_err,tolerance,samples,min_ms,q1_ms,median_ms,mean_ms,"
    "q3_ms,max_ms,stddev_ms,noise,gflops,gbs,peak_frac,pred_ms,pred_mem_bytes,suite,workload\n";
static const char *ROW =
    "0,cpu,cpu,,k,f,0,1,2,%s,4,4,f32,hot,,default,,%s,,,,,0,,,,,,,,,,,,0,0,,\n";

static void malformed_tests(void) {
  char p[256], text[4096], row[512];
  path_in(p, sizeof p, "bad.csv");

  snprintf(row, sizeof row, ROW, "abc", "ok");
  snprintf(text, sizeof text, "# subquad-results 1\n# host: h\n%s%s", HEADER, row);
  write_text(p, text);
  char want[300];
  snprintf(want, sizeof want, "%s:4: column 'T': 'abc' is not a number", p);
  tap_ok(read_error(p, want), "non-numeric T names file:line and the column");

  snprintf(row, sizeof row, ROW, "16", "done");
  snprintf(text, sizeof text, "# subquad-results 1\n%s%s", HEADER, row);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:3: column 'status': 'done'", p);
  tap_ok(read_error(p, want), "bad status names file:line");

  snprintf(row, sizeof row, ROW, "16", "ok");
  snprintf(text, sizeof text, "# subquad-results 1\n%s%.*s", HEADER, 30, row);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:3: 13 fields, the header has 38", p);
  tap_ok(read_error(p, want), "truncated row gives file:line");

  snprintf(text, sizeof text, "# subquad-results 1\n%s0,\"unterminated", HEADER);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:3: file ends inside a quoted field", p);
  tap_ok(read_error(p, want), "file cut inside a quoted cell gives file:line");

  snprintf(text, sizeof text, "# subquad-results 1\nid,device\n");
  write_text(p, text);
  snprintf(want, sizeof want, "%s:2: header lacks the column 'backend'", p);
  tap_ok(read_error(p, want), "missing column gives file:line");

  write_text(p, "id,device\n");
  snprintf(want, sizeof want, "%s:1: not a subquad results file", p);
  tap_ok(read_error(p, want), "missing version line");

  write_text(p, "# subquad-results 9\n");
  snprintf(want, sizeof want, "%s:1: results format 9", p);
  tap_ok(read_error(p, want), "newer format version is refused");

  write_text(p, "# subquad-results 1\n# host: h\n");
  snprintf(want, sizeof want, "%s:3: no header line", p);
  tap_ok(read_error(p, want), "file with no header");

  write_text(p, "");
  snprintf(want, sizeof want, "%s:1: not a subquad results file", p);
  tap_ok(read_error(p, want), "empty file");

  snprintf(row, sizeof row, ROW, "16", "ok");
  snprintf(text, sizeof text, "# subquad-results 1\n%s%s%s", HEADER, row, row);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:4: row id 0 appears twice", p);
  tap_ok(read_error(p, want), "duplicate row id");

  /* Sidecar problems: an unknown id, a non-numeric sample, a count that
   * disagrees with the row, a bad header, a bad or missing round. */
  char sp[256];
  path_in(sp, sizeof sp, "bad.samples.csv");
  snprintf(row, sizeof row, ROW, "16", "ok");
  snprintf(text, sizeof text, "# subquad-results 1\n%s%s", HEADER, row);
  write_text(p, text);
  static const struct {
    const char *text, *want, *what;
  } sidecars[] = {
      {"id,sample,ms\n5,0,1.0\n", ":2: sample of row id 5", "sidecar sample of an unknown row"},
      {"id,sample,ms\n0,0,fast\n", ":2: column 'ms': 'fast' is not a number", "sidecar non-numeric sample"},
      {"id,sample,ms\n0,0,1.5\n", ": row id 0 has 1 samples, its row says 0", "sidecar count disagrees with the row"},
      {"id,ms\n", ":1: header is not 'id,sample,ms,round'", "sidecar with a wrong header"},
      {"id,sample,ms,round\n0,0,1.5,first\n", ":2: column 'round': 'first' is not a round number",
       "sidecar with a non-numeric round"},
      {"id,sample,ms,round\n0,0,1.5,-1\n", ":2: column 'round': '-1' is not a round number",
       "sidecar with a negative round"},
      {"id,sample,ms,round\n0,0,1.5\n", ":2: 3 fields, want 4 as in the header", "sidecar row without its round"},
  };
  for (size_t i = 0; i < sizeof sidecars / sizeof *sidecars; i++) {
    write_text(sp, sidecars[i].text);
    snprintf(want, sizeof want, "%s%s", sp, sidecars[i].want);
    tap_ok(read_error(p, want), "%s", sidecars[i].what);
  }
  remove_all();
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/sq-results-test.XXXXXX");
  if (!mkdtemp(dir)) {
    tap_ok(0, "mkdtemp");
    return tap_done();
  }
  char path[256], spath[256];
  path_in(path, sizeof path, "r.csv");
  path_in(spath, sizeof spath, "r.samples.csv");

  /* Round trip. */
  sq_result rows[3];
  make_rows(rows);
  sq_meta meta = {0};
  char *argv[] = {"subquad", "run", "--suite", "quick", "--param", "it's a test", NULL};
  sq_meta_standard(&meta, 6, argv);
  sq_meta_set(&meta, "peak_gbs", "41.5");
  sq_meta_set(&meta, "note", "two\nlines");
  sq_results_writer *w;
  int rc = sq_results_open(path, &meta, &w);
  tap_ok(rc == 0, "open writer (%s)", rc ? sq_last_error() : "");
  if (rc) return tap_done();
  for (int i = 0; i < 3; i++) sq_results_write(w, &rows[i]);
  tap_ok(access(path, F_OK) != 0, "nothing under the final name before close");
  tap_ok(sq_results_close(w) == 0, "close renames into place");
  tap_ok(access(spath, F_OK) == 0, "sidecar %s exists", spath);
  tap_ok(count_files() == 2, "no temporaries left (%d files)", count_files());

  sq_results res;
  rc = sq_results_read(path, &res);
  tap_ok(rc == 0, "read back (%s)", rc ? sq_last_error() : "");
  if (rc) return tap_done();
  tap_ok(res.n == 3, "3 rows read (%d)", res.n);
  for (int i = 0; i < 3 && i < res.n; i++) {
    char why[600] = "";
    tap_ok(same_row(&rows[i], &res.rows[i], why, sizeof why), "row %d reads back identically %s", i, why);
  }
  tap_ok(res.n == 3 && signbit(res.rows[2].tolerance), "-0.0 keeps its sign");
  const char *v = sq_meta_get(&res.meta, "version"), *g = sq_meta_get(&res.meta, "git_revision");
  const char *d = sq_meta_get(&res.meta, "date"), *c = sq_meta_get(&res.meta, "command");
  tap_ok(v && g && d && sq_meta_get(&res.meta, "host") && sq_meta_get(&res.meta, "os"),
         "standard metadata keys present");
  tap_ok(d && strlen(d) == 20 && d[10] == 'T' && d[19] == 'Z', "date is ISO-8601 UTC (%s)", d ? d : "");
  tap_ok(c && !strcmp(c, "subquad run --suite quick --param 'it'\\''s a test'"), "command line quoted (%s)",
         c ? c : "");
  tap_ok(sq_meta_get(&res.meta, "peak_gbs") && !strcmp(sq_meta_get(&res.meta, "peak_gbs"), "41.5"),
         "custom metadata key");
  tap_ok(sq_meta_get(&res.meta, "note") && !strcmp(sq_meta_get(&res.meta, "note"), "two lines"),
         "newline in a metadata value is flattened");
  sq_results_free(&res);

  /* Shortest exact number form: 0.1 is written as 0.1, not 0.1000...01. */
  FILE *f = fopen(path, "r");
  char line[4096];
  int found = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "0,", 2) && strstr(line, ",0.30000000000000004,")) found = 1;
  if (f) fclose(f);
  f = fopen(spath, "r");
  int short01 = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strcmp(line, "0,1,0.1,0\n")) short01 = 1;
  if (f) fclose(f);
  tap_ok(found && short01, "doubles in their shortest exact form");

  /* Aborting leaves the old files as they were and no temporaries. */
  rc = sq_results_open(path, &meta, &w);
  sq_results_write(w, &rows[1]);
  sq_results_abort(w);
  rc = sq_results_read(path, &res);
  tap_ok(rc == 0 && res.n == 3 && count_files() == 2, "abort keeps the previous file intact");
  if (rc == 0) sq_results_free(&res);
  remove_all();
  rc = sq_results_open(path, &meta, &w);
  sq_results_write(w, &rows[0]);
  sq_results_abort(w);
  tap_ok(count_files() == 0, "aborted writer leaves nothing (%d files)", count_files());

  /* A sidecar from before the round column reads as one round. */
  rc = sq_results_open(path, NULL, &w);
  sq_results_write(w, &rows[0]);
  sq_results_close(w);
  write_text(spath, "id,sample,ms\n0,0,1.25\n0,1,0.1\n0,2,0.5\n0,3,2.5e-7\n0,4,1e300\n0,5,0.3\n");
  rc = sq_results_read(path, &res);
  tap_ok(rc == 0 && res.n == 1 && res.rows[0].nsamples == 6 && !res.rows[0].sample_round &&
             sq_result_round(&res.rows[0], 5) == 0 && res.rows[0].samples[2] == 0.5,
         "sidecar without rounds: samples read, all in round 0 (%s)", rc ? sq_last_error() : "");
  if (rc == 0) sq_results_free(&res);
  remove_all();

  /* A file without a sidecar reads, with no samples. */
  rc = sq_results_open(path, NULL, &w);
  sq_results_write(w, &rows[0]);
  sq_results_close(w);
  unlink(spath);
  rc = sq_results_read(path, &res);
  tap_ok(rc == 0 && res.n == 1 && res.rows[0].nsamples == 0 && res.rows[0].stats.n == 6,
         "missing sidecar: rows without samples");
  if (rc == 0) sq_results_free(&res);
  remove_all();

  tap_ok(sq_results_read("/nonexistent/x.csv", &res) == SQ_ENOTFOUND, "missing file is SQ_ENOTFOUND");

  malformed_tests();

  sq_status s;
  tap_ok(sq_status_parse("skipped", &s) == 0 && s == SQ_STATUS_SKIPPED &&
             !strcmp(sq_status_name(SQ_STATUS_FAILED), "failed"),
         "status names round trip");
  for (int i = 0; i < 3; i++) sq_result_free(&rows[i]);
  rmdir(dir);
  return tap_done();
}
