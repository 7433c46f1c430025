/* SPDX-License-Identifier: BSD-3-Clause */
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

#include "base/error.h"
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

/* The whole file as a string (caller frees); "" when unreadable. */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = calloc(1, 1 << 20);
  if (f && buf) buf[fread(buf, 1, (1 << 20) - 1, f)] = 0;
  if (f) fclose(f);
  return buf;
}

/* Removes the "# run_id:" line, as in a file an older version wrote. */
static void strip_run_id(const char *path) {
  char *text = read_text(path), *p = strstr(text, "# run_id:");
  if (p) {
    char *nl = strchr(p, '\n');
    memmove(p, nl + 1, strlen(nl + 1) + 1);
  }
  write_text(path, text);
  free(text);
}

/* Doubles are equal when bitwise-equal values or both NAN. */
static int same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static int same_row(const sq_result *a, const sq_result *b, char *why, size_t n) {
#define S(f) if (strcmp(a->f, b->f)) return snprintf(why, n, #f ": '%s' vs '%s'", a->f, b->f), 0
#define I(f) if (a->f != b->f) return snprintf(why, n, #f ": %lld vs %lld", (long long)a->f, (long long)b->f), 0
#define D(f) if (!same_double(a->f, b->f)) return snprintf(why, n, #f ": %.17g vs %.17g", a->f, b->f), 0
  I(id); S(device); S(backend); S(arch); S(kernel); S(family); I(causal);
  S(shape); I(tokens); S(baseline); S(dtype); S(mode); S(params); S(config_source);
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
  static double s0[] = {1.25, 0.1, 1.0 / 3.0, 2.5e-7, 987654321.98765432, 0.30000000000000004};
  for (int i = 0; i < 3; i++) sq_result_init(&r[i]);
  r[0].id = 0;
  snprintf(r[0].device, sizeof r[0].device, "opencl:0 pthread-skylake, \"AMD\" EPYC");
  snprintf(r[0].backend, sizeof r[0].backend, "opencl");
  snprintf(r[0].arch, sizeof r[0].arch, "  leading and trailing  ");
  snprintf(r[0].kernel, sizeof r[0].kernel, "linear_attn.causal_chunked");
  snprintf(r[0].family, sizeof r[0].family, "linear_attn");
  r[0].causal = 1;
  snprintf(r[0].shape, sizeof r[0].shape, "B=1,H=8,T=8388608,D=64,DV=128,feature=elu1,normalize=1");
  snprintf(r[0].baseline, sizeof r[0].baseline, "B=1,H=8,T=8388608,D=64,DV=128");
  r[0].tokens = 8388608;
  snprintf(r[0].dtype, sizeof r[0].dtype, "f32");
  snprintf(r[0].mode, sizeof r[0].mode, "cold");
  snprintf(r[0].params, sizeof r[0].params, "CHUNK=64;WG=128");
  snprintf(r[0].config_source, sizeof r[0].config_source, "tuned:device");
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
  snprintf(r[1].shape, sizeof r[1].shape, "B=1,H=1,T=8388608,D=64,DV=64");
  r[1].tokens = 8388608;
  snprintf(r[1].reason, sizeof r[1].reason, "infeasible: needs 281 TB > 80 GB");
  r[1].pred_ms = 1.5e9, r[1].pred_mem_bytes = 2.81e14;

  r[2].id = 3;
  r[2].status = SQ_STATUS_FAILED;
  snprintf(r[2].shape, sizeof r[2].shape, "B=2,H=4,T=128,D=32,DV=16");
  r[2].tokens = 128;
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

/* The malformed-file tests write format 1 files (B, H, T, D, DV and feature
 * columns), which the reader still reads and checks cell by cell. */
static const char *const V1_COLUMNS[] = {
    "id", "device", "backend", "arch", "kernel", "family", "causal", "B", "H", "T", "D",
    "DV", "dtype", "mode", "params", "config_source", "feature", "status", "reason",
    "verify", "max_rel_err", "tolerance", "samples", "min_ms", "q1_ms", "median_ms",
    "mean_ms", "q3_ms", "max_ms", "stddev_ms", "noise", "gflops", "gbs", "peak_frac",
    "pred_ms", "pred_mem_bytes", "suite", "workload", NULL};
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
  char want[512];
  snprintf(want, sizeof want, "%s:4: T: 'abc' is not a positive integer", p);
  tap_ok(read_error(p, want), "non-numeric T names file:line and the column");

  snprintf(row, sizeof row, ROW, "16", "done");
  snprintf(text, sizeof text, "# subquad-results 1\n%s%s", HEADER, row);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:3: status: 'done' is not ok, skipped or failed", p);
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
      {"id,sample,ms\n0,0,fast\n", ":2: ms: 'fast' is not a finite non-negative number", "sidecar non-numeric sample"},
      {"id,sample,ms\n0,0,1.5\n", ": row id 0 has 1 samples, its row says 0", "sidecar count disagrees with the row"},
      {"id,ms\n", ":1: header is not 'id,sample,ms,round'", "sidecar with a wrong header"},
      {"id,sample,ms,round\n0,0,1.5,first\n", ":2: round: 'first' is not a non-negative integer",
       "sidecar with a non-numeric round"},
      {"id,sample,ms,round\n0,0,1.5,-1\n", ":2: round: '-1' is not a non-negative integer",
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

/* One valid row of HEADER's columns with `col` set to `value` (quoted for
 * CSV when it needs to be). */
static void row_with(char *buf, size_t n, const char *col, const char *value) {
  static const char *const cells[] = {"0", "cpu", "cpu", "", "k", "f", "0", "1", "2", "16", "4", "4", "f32",
                                      "hot", "", "default", "", "ok", "", "", "", "", "0", "", "", "", "",
                                      "", "", "", "", "", "", "", "0", "0", "", ""};
  size_t len = 0;
  for (int c = 0; V1_COLUMNS[c]; c++) {
    const char *v = strcmp(V1_COLUMNS[c], col) ? cells[c] : value;
    len += (size_t)snprintf(buf + len, n - len, "%s", c ? "," : "");
    if (strpbrk(v, ",\"\n\r") || (*v == ' ' && v == value)) {
      len += (size_t)snprintf(buf + len, n - len, "\"");
      for (const char *p = v; *p; p++) len += (size_t)snprintf(buf + len, n - len, *p == '"' ? "\"\"" : "%c", *p);
      len += (size_t)snprintf(buf + len, n - len, "\"");
    } else {
      len += (size_t)snprintf(buf + len, n - len, "%s", v);
    }
  }
  snprintf(buf + len, n - len, "\n");
}

/* Hostile numbers, one cell at a time: each must fail with its line, the
 * column and what is wrong, on one line; the writer's own forms read. */
static void hostile_cell_tests(void) {
  char p[256], sp[256], row[8192], text[16384], want[512];
  path_in(p, sizeof p, "bad.csv");
  path_in(sp, sizeof sp, "bad.samples.csv");
  static const struct {
    const char *col, *value, *want;
  } bad[] = {
      {"median_ms", "nan", "median_ms: 'nan' is not a finite non-negative number"},
      {"median_ms", "NaN", "median_ms: 'NaN' is not a finite non-negative number"},
      {"min_ms", "inf", "min_ms: 'inf' is not a finite non-negative number"},
      {"mean_ms", "-inf", "mean_ms: '-inf' is not a finite non-negative number"},
      {"q1_ms", "-1", "q1_ms: '-1' is not a finite non-negative number"},
      {"q3_ms", "0x1p3", "q3_ms: '0x1p3' is not a finite non-negative number"},
      {"max_ms", "2e12", "max_ms: '2e12' is out of range (over 1000000000000)"},
      {"stddev_ms", "1e999", "stddev_ms: '1e999' is out of range"},
      {"noise", "infinity", "noise: 'infinity' is not a finite non-negative number"},
      {"gflops", "-5", "gflops: '-5' is not a finite non-negative number"},
      {"gbs", "inf", "gbs: 'inf' is not a finite non-negative number"},
      {"peak_frac", "nan", "peak_frac: 'nan' is not a finite non-negative number"},
      {"pred_ms", "-1", "pred_ms: '-1' is not a finite non-negative number"},
      {"pred_mem_bytes", "inf", "pred_mem_bytes: 'inf' is not a finite non-negative number"},
      {"tolerance", "inf", "tolerance: 'inf' is not a finite non-negative number"},
      {"max_rel_err", "nan", "max_rel_err: 'nan' is not a non-negative number or inf"},
      {"max_rel_err", "-inf", "max_rel_err: '-inf' is not a non-negative number or inf"},
      {"max_rel_err", "-0.5", "max_rel_err: '-0.5' is not a non-negative number or inf"},
      {"median_ms", " 1.5", "median_ms: ' 1.5' is not a finite non-negative number"},
      {"median_ms", "1.5x", "median_ms: '1.5x' is not a finite non-negative number"},
      {"median_ms", ".", "median_ms: '.' is not a finite non-negative number"},
      {"median_ms", "1e", "median_ms: '1e' is not a finite non-negative number"},
      {"B", "-4", "B: '-4' is not a positive integer"},
      {"H", "0", "H: '0' is not a positive integer"},
      {"T", "99999999999999999999", "T: '99999999999999999999' is out of range"},
      {"T", "2147483649", "T: '2147483649' is out of range (over 2147483648)"},
      {"D", "65537", "D: '65537' is out of range (over 65536)"},
      {"DV", "4.0", "DV: '4.0' is not a positive integer"},
      {"DV", "+4", "DV: '+4' is not a positive integer"},
      {"B", "1099511627776", "T: B x H x T = 35184372088832 is out of range (over 2^40)"},
      {"id", "-1", "id: '-1' is not a non-negative integer"},
      {"samples", "-3", "samples: '-3' is not a non-negative integer"},
      {"causal", "2", "causal: '2' is out of range (over 1)"},
      /* Cell text in a message stays on one line. */
      {"T", "16\n17", "T: '16\\n17' is not a positive integer"},
      {"T", "\x1b[2J\t'\\", "T: '\\x1b[2J\\t\\'\\\\' is not a positive integer"},
      {"status", "ok\r\nfailed", "status: 'ok\\r\\nfailed' is not ok, skipped or failed"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    row_with(row, sizeof row, bad[i].col, bad[i].value);
    snprintf(text, sizeof text, "# subquad-results 1\n%s%s", HEADER, row);
    write_text(p, text);
    snprintf(want, sizeof want, "%s:3: %s", p, bad[i].want);
    tap_ok(read_error(p, want) && !strchr(sq_last_error(), '\n'), "refused: %s", bad[i].want);
  }

  /* A very long cell is cut in the message. */
  char big[2000];
  memset(big, '9', sizeof big - 1);
  big[sizeof big - 1] = 0;
  big[0] = 'x';
  row_with(row, sizeof row, "T", big);
  snprintf(text, sizeof text, "# subquad-results 1\n%s%s", HEADER, row);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:3: T: 'x%.59s...' is not a positive integer", p, big + 1);
  tap_ok(read_error(p, want) && strlen(sq_last_error()) < 200 + strlen(p), "a 2000-byte cell is cut to 60 bytes and '...'");

  /* What the writer writes reads: inf for an output with NaN/Inf, the
   * shortest exponent forms, -0, empty cells. */
  static const struct {
    const char *col, *value;
    double want;
  } good[] = {
      {"max_rel_err", "inf", INFINITY}, {"median_ms", "1.5e+03", 1500}, {"median_ms", "2.5e-07", 2.5e-7},
      {"median_ms", ".5", 0.5},         {"median_ms", "5.", 5},         {"median_ms", "0", 0},
      {"tolerance", "-0", 0},           {"pred_ms", "1e+30", 1e30},     {"median_ms", "", NAN},
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    row_with(row, sizeof row, good[i].col, good[i].value);
    snprintf(text, sizeof text, "# subquad-results 1\n%s%s", HEADER, row);
    write_text(p, text);
    sq_results res;
    int rc = sq_results_read(p, &res);
    double got = NAN;
    if (rc == 0) {
      if (!strcmp(good[i].col, "max_rel_err")) got = res.rows[0].max_rel_err;
      else if (!strcmp(good[i].col, "tolerance")) got = res.rows[0].tolerance;
      else if (!strcmp(good[i].col, "pred_ms")) got = res.rows[0].pred_ms;
      else got = res.rows[0].stats.median;
      sq_results_free(&res);
    }
    tap_ok(rc == 0 && same_double(got, good[i].want), "%s '%s' reads as %g (%s)", good[i].col, good[i].value,
           good[i].want, rc ? sq_last_error() : "");
  }

  /* A duplicated column: the later one would silently win. */
  char hdr[1024];
  snprintf(hdr, sizeof hdr, "%.*s,T\n", (int)strlen(HEADER) - 1, HEADER);
  row_with(row, sizeof row, "T", "16");
  snprintf(text, sizeof text, "# subquad-results 1\n# host: h\n%s%.*s,-5\n", hdr, (int)strlen(row) - 1, row);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:3: duplicate column 'T'", p);
  tap_ok(read_error(p, want), "duplicated known column refused");
  snprintf(text, sizeof text, "# subquad-results 1\n%.*s,\"x\ny\",\"x\ny\"\n", (int)strlen(HEADER) - 1, HEADER);
  write_text(p, text);
  snprintf(want, sizeof want, "%s:2: duplicate column 'x\\ny'", p);
  tap_ok(read_error(p, want), "duplicated unknown column refused, its name on one line");

  /* Hostile samples in the sidecar: each names its line and the ms column. */
  row_with(row, sizeof row, "samples", "3");
  snprintf(text, sizeof text, "# subquad-results 1\n%s%s", HEADER, row);
  write_text(p, text);
  static const struct {
    const char *text, *want;
  } side[] = {
      {"id,sample,ms\n0,0,1.5\n0,1,nan\n0,2,1.5\n", ":3: ms: 'nan' is not a finite non-negative number"},
      {"id,sample,ms\n0,0,inf\n0,1,inf\n0,2,inf\n", ":2: ms: 'inf' is not a finite non-negative number"},
      {"id,sample,ms\n0,0,-inf\n0,1,1\n0,2,1\n", ":2: ms: '-inf' is not a finite non-negative number"},
      {"id,sample,ms,round\n0,0,1,0\n0,1,-2.5,0\n0,2,1,0\n", ":3: ms: '-2.5' is not a finite non-negative number"},
      {"id,sample,ms\n0,0,\n0,1,1\n0,2,1\n", ":2: ms: '' is not a finite non-negative number"},
      {"id,sample,ms\n0,0,0x1p1\n0,1,1\n0,2,1\n", ":2: ms: '0x1p1' is not a finite non-negative number"},
      {"id,sample,ms\n0,0,1e13\n0,1,1\n0,2,1\n", ":2: ms: '1e13' is out of range (over 1000000000000)"},
      {"id,sample,ms\n0,0,\"1\n5\"\n0,1,1\n0,2,1\n", ":2: ms: '1\\n5' is not a finite non-negative number"},
      {"id,sample,ms\n-1,0,1\n", ":2: id: '-1' is not a non-negative integer"},
      {"id,sample,ms\n0,-1,1\n", ":2: sample: '-1' is not a non-negative integer"},
      {"# run_id: \n# note\nid,sample,ms\n0,0,nan\n", ":4: ms: 'nan'"},
  };
  for (size_t i = 0; i < sizeof side / sizeof *side; i++) {
    write_text(sp, side[i].text);
    snprintf(want, sizeof want, "%s%s", sp, side[i].want);
    tap_ok(read_error(p, want) && !strchr(sq_last_error(), '\n'), "sidecar: %s", side[i].want);
  }
  FILE *f = fopen(sp, "wb");
  fwrite("id,sample,ms\n0,0,1\n0,1,2\0junk\n0,2,1\n", 1, 36, f);
  fclose(f);
  snprintf(want, sizeof want, "%s: binary data in a samples file", sp);
  tap_ok(read_error(p, want), "sidecar with a NUL byte refused");
  remove_all();
}

/* Writes one row (id 0) with samples {base, base + 1, base + 2} in round 0. */
static int write_run(const char *path, double base) {
  sq_result r;
  sq_result_init(&r);
  snprintf(r.shape, sizeof r.shape, "B=1,H=1,T=64,D=16,DV=16");
  r.tokens = 64;
  snprintf(r.kernel, sizeof r.kernel, "k");
  double s[3] = {base, base + 1, base + 2};
  r.samples = s;
  r.nsamples = 3;
  sq_stats_compute(s, 3, &r.stats);
  sq_results_writer *w;
  int rc = sq_results_open(path, NULL, &w);
  if (!rc) rc = sq_results_write(w, &r);
  if (!rc) rc = sq_results_close(w);
  else sq_results_abort(w);
  return rc;
}

/* Run ids: both files of a run carry the same one; a sidecar of another
 * run (a kill between the writer's two renames, or files copied apart) is
 * refused; a pair of files from before run ids still reads. */
static void run_id_tests(void) {
  char p[256], sp[256], want[1024];
  path_in(p, sizeof p, "run.csv");
  path_in(sp, sizeof sp, "run.samples.csv");
  sq_results res;

  tap_ok(write_run(p, 1) == 0, "run A written");
  char *rows_a = read_text(p), *side_a = read_text(sp);
  char id_a[64] = "", id_side[64] = "";
  const char *l = strstr(rows_a, "\n# run_id: ");
  if (l) sscanf(l, "\n# run_id: %63s", id_a);
  sscanf(side_a, "# run_id: %63s", id_side);
  tap_ok(strlen(id_a) >= 17 && !strcmp(id_a, id_side), "rows and sidecar carry one run id (%s, %s)", id_a, id_side);
  int rc = sq_results_read(p, &res);
  tap_ok(rc == 0 && res.n == 1 && res.rows[0].nsamples == 3 && sq_meta_get(&res.meta, "run_id") &&
             !strcmp(sq_meta_get(&res.meta, "run_id"), id_a),
         "a matching pair reads; run_id in the metadata (%s)", rc ? sq_last_error() : "");
  if (rc == 0) sq_results_free(&res);

  tap_ok(write_run(p, 10) == 0, "run B written to the same path");
  char *rows_b = read_text(p), *side_b = read_text(sp), id_b[64] = "";
  l = strstr(rows_b, "\n# run_id: ");
  if (l) sscanf(l, "\n# run_id: %63s", id_b);
  tap_ok(*id_b && strcmp(id_a, id_b), "each run gets its own id (%s, %s)", id_a, id_b);

  /* A's samples with B's rows: same ids and counts, only the run differs. */
  write_text(sp, side_a);
  snprintf(want, sizeof want, "%s: sidecar %s belongs to another run (run_id %s, results say %s)", p, sp, id_a, id_b);
  tap_ok(read_error(p, want), "A's sidecar with B's rows refused");
  /* A kill between the renames: B's sidecar already in place, A's rows. */
  write_text(sp, side_b);
  write_text(p, rows_a);
  snprintf(want, sizeof want, "%s: sidecar %s belongs to another run (run_id %s, results say %s)", p, sp, id_b, id_a);
  tap_ok(read_error(p, want), "B's sidecar with A's rows (killed between renames) refused");
  /* The same after an upgrade: the previous rows came from an older
   * version, without a run id. */
  strip_run_id(p);
  snprintf(want, sizeof want, "%s: sidecar %s belongs to another run (run_id %s, results say none)", p, sp, id_b);
  tap_ok(read_error(p, want), "a new sidecar next to rows without a run id refused");
  write_text(p, rows_a);
  write_text(sp, "id,sample,ms,round\n0,0,1,0\n0,1,2,0\n0,2,3,0\n");
  snprintf(want, sizeof want, "%s: sidecar %s belongs to another run (run_id none, results say %s)", p, sp, id_a);
  tap_ok(read_error(p, want), "a sidecar without a run id next to rows with one refused");
  /* Neither has one: files of older versions read. */
  strip_run_id(p);
  rc = sq_results_read(p, &res);
  tap_ok(rc == 0 && res.n == 1 && res.rows[0].nsamples == 3 && res.rows[0].samples[2] == 3,
         "an older pair without run ids reads (%s)", rc ? sq_last_error() : "");
  if (rc == 0) sq_results_free(&res);
  /* A hostile run id stays on one line in the message. */
  write_text(p, rows_a);
  write_text(sp, "# run_id: \x1b]0;owned\x07\nid,sample,ms\n");
  snprintf(want, sizeof want, "(run_id \\x1b]0;owned\\x07, results say %s)", id_a);
  tap_ok(read_error(p, want), "a hostile run id is escaped in the message");
  free(rows_a), free(side_a), free(rows_b), free(side_b);
  remove_all();
}

/* Files `subquad run` wrote: one by the version before run ids (format 1
 * all the same, so it must keep reading) and one by this version. */
static void data_file_tests(void) {
  static const char *const names[] = {"results_legacy.csv", "results_run_id.csv"};
  const char *top = getenv("top_srcdir");
  for (int i = 0; i < 2; i++) {
    char p[1024];
    snprintf(p, sizeof p, "%s/tests/data/%s", top ? top : ".", names[i]);
    sq_results res;
    int rc = sq_results_read(p, &res);
    tap_ok(rc == 0 && res.n == 1 && res.rows[0].nsamples == 4 && res.rows[0].stats.n == 4 &&
               sq_result_round(&res.rows[0], 3) == 1 && (i == 0) == !sq_meta_get(&res.meta, "run_id"),
           "%s reads with its 4 samples in 2 rounds (%s)", names[i], rc ? sq_last_error() : "");
    if (rc == 0) sq_results_free(&res);
  }
}

/* Format 2: a format 1 row reads as its case in format 2's terms (the
 * attention shape with its feature map, T as the tokens, softmax over the
 * same sizes as the baseline); rows are keyed by their whole shape, so a
 * feature map tells two cases apart; a shape its op refuses is refused. */
static void format2_tests(void) {
  const char *top = getenv("top_srcdir");
  char p[1024];
  snprintf(p, sizeof p, "%s/tests/data/results_legacy.csv", top ? top : ".");
  sq_results res;
  int rc = sq_results_read(p, &res);
  const sq_result *r = rc ? NULL : &res.rows[0];
  tap_ok(r && !strcmp(r->shape, "B=1,H=2,T=64,D=8,DV=8,feature=identity,normalize=0") && r->tokens == 64 &&
             !strcmp(r->baseline, "B=1,H=2,T=64,D=8,DV=8"),
         "a format 1 row reads as shape '%s', tokens %lld, baseline '%s'", r ? r->shape : "", r ? (long long)r->tokens : 0,
         r ? r->baseline : "");
  if (r) {
    sq_result other = *r;
    snprintf(other.shape, sizeof other.shape, "B=1,H=2,T=64,D=8,DV=8,feature=elu1,normalize=1");
    tap_ok(!sq_result_same_case(r, &other) && sq_result_same_group(r, &other),
           "the feature map is part of the row key (compare) but not of the group (one figure per problem)");
    sq_results_free(&res);
  }
  char q[256], row[8192], text[16384];
  path_in(q, sizeof q, "f2.csv");
  static const struct {
    const char *kernel, *shape, *tokens, *baseline, *want;
  } bad[] = {
      {"linear_attn.causal_chunked", "B=1,H=2,T=64,D=300", "64", "", "shape: D=300 is larger than the maximum 256"},
      {"linear_attn.causal_chunked", "B=1,H=2,T=64,D=8,N=4", "64", "", "shape: unknown key 'N'"},
      {"linear_attn.causal_chunked", "B=1,H=2,T=64,D=8", "65", "", "tokens: 65, but the shape has 64"},
      {"softmax_attn.flash", "B=1,H=2,T=64,D=8", "64", "B=1,X=2", "baseline: unknown key 'X'"},
      {"peer:x", "B=1;rm -rf", "64", "", "shape: 'B=1;rm -rf' is not KEY=VALUE,..."},
  };
  const char *header = "id,device,backend,arch,kernel,family,causal,shape,tokens,baseline,dtype,mode,params,"
                       "config_source,status,reason,verify,max_rel_err,tolerance,samples,min_ms,q1_ms,median_ms,"
                       "mean_ms,q3_ms,max_ms,stddev_ms,noise,gflops,gbs,peak_frac,pred_ms,pred_mem_bytes,suite,"
                       "workload\n";
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(row, sizeof row, "0,cpu,cpu,,%s,f,1,\"%s\",%s,\"%s\",f32,hot,,default,ok,,,,,0,,,,,,,,,,,,0,0,,\n",
             bad[i].kernel, bad[i].shape, bad[i].tokens, bad[i].baseline);
    snprintf(text, sizeof text, "# subquad-results 2\n%s%s", header, row);
    write_text(q, text);
    char want[512];
    snprintf(want, sizeof want, "%s:3: %s", q, bad[i].want);
    tap_ok(read_error(q, want), "format 2 refuses: %s", bad[i].want);
  }
  snprintf(text, sizeof text, "# subquad-results 3\n%s", header);
  write_text(q, text);
  tap_ok(read_error(q, "results format 3, this subquad reads formats 1 to 2"), "a newer format is refused by name");
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
  strip_run_id(path); /* an older version wrote neither file's run id */
  write_text(spath, "id,sample,ms\n0,0,1.25\n0,1,0.1\n0,2,0.5\n0,3,2.5e-7\n0,4,1e9\n0,5,0.3\n");
  rc = sq_results_read(path, &res);
  tap_ok(rc == 0 && res.n == 1 && res.rows[0].nsamples == 6 && !res.rows[0].sample_round &&
             sq_result_round(&res.rows[0], 5) == 0 && res.rows[0].samples[2] == 0.5,
         "older pair, sidecar without rounds: samples read, all in round 0 (%s)", rc ? sq_last_error() : "");
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
  hostile_cell_tests();
  format2_tests();
  run_id_tests();
  data_file_tests();

  sq_status s;
  tap_ok(sq_status_parse("skipped", &s) == 0 && s == SQ_STATUS_SKIPPED &&
             !strcmp(sq_status_name(SQ_STATUS_FAILED), "failed"),
         "status names round trip");
  for (int i = 0; i < 3; i++) sq_result_free(&rows[i]);
  rmdir(dir);
  return tap_done();
}
