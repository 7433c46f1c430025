/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the harness pieces that need no device: statistics,
 * shape and parameter parsing, deterministic inputs, 16-bit conversions,
 * row selection for sampled verification, the .npy header, slopes, the
 * one-line error detail, the atomic file writer (kill -9 included) and the
 * time limit of a case typed by hand. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"
#include "base/files.h"
#include "base/stats.h"
#include "harness/dump.h"
#include "harness/inputs.h"
#include "harness/measure.h"
#include "harness/npy.h"
#include "harness/run.h"
#include "harness/verify.h"
#include "kernels/attention.h"
#include "results/analysis.h"
#include "tests/tap.h"
#include "workloads/planner.h"
#include "workloads/suite.h"

static void test_stats(void) {
  double x[] = {5, 1, 4, 2, 3};
  sq_stats s;
  sq_stats_compute(x, 5, &s);
  tap_ok(s.min == 1 && s.max == 5 && s.median == 3 && s.q1 == 2 && s.q3 == 4 && s.mean == 3,
         "stats: order statistics of 1..5");
  tap_ok(fabs(s.stddev - sqrt(2.5)) < 1e-12 && fabs(s.noise - sqrt(2.5) / 3) < 1e-12, "stats: sample stddev and noise");
  double y[] = {1, 2, 3, 4};
  sq_stats_compute(y, 4, &s);
  tap_ok(s.median == 2.5 && s.q1 == 1.75 && s.q3 == 3.25, "stats: interpolated quartiles (numpy's default)");
}

static void test_shapes(void) {
  sq_problem p;
  const sq_kernel *k = sq_kernel_find("softmax_attn.flash");
  tap_ok(!sq_problem_parse(k, "B=2,H=8,T=4096,D=64", 1, SQ_F32, &p) && att_B(&p) == 2 && att_H(&p) == 8 && att_T(&p) == 4096 &&
             att_D(&p) == 64 && att_DV(&p) == 64,
         "shape: full spec, DV defaults to D");
  tap_ok(!sq_problem_parse(k, "T=7,D=40,DV=24", 1, SQ_F32, &p) && att_B(&p) == 1 && att_H(&p) == 1 && att_DV(&p) == 24,
         "shape: B, H default to 1");
  const char *bad[] = {"T=0,D=64", "T=-1,D=64", "T=1e3,D=64", "T=8,D=300", "D=64", "T=8", "T=8,D=64,Q=1", "", "T=8,,D=4",
                       "B=1048576,H=1048576,T=2000000,D=64"};
  int rejected = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) rejected += sq_problem_parse(k, bad[i], 1, SQ_F32, &p) == SQ_EINVAL;
  tap_ok(rejected == (int)(sizeof bad / sizeof bad[0]), "shape: %d malformed specs rejected", rejected);
  tap_ok(sq_problem_parse(sq_kernel_find("linear_attn.causal_chunked"), "T=8,D=4", 0, SQ_F32, &p) == SQ_EINVAL &&
             strstr(sq_last_error(), "has no non-causal form"),
         "shape: a form the kernel lacks is refused (%s)", sq_last_error());
}

static void test_inputs(void) {
  float a = sq_input_value(42, 0, 12345), b = sq_input_value(42, 0, 12345), c = sq_input_value(43, 0, 12345);
  tap_ok(a == b && a != c && a >= -1 && a < 1, "inputs: deterministic per (seed, tensor, index)");
  int ok = 1;
  /* 11 significant bits fit f16, 8 fit bf16. */
  for (int i = -2047; i <= 2047; i++) {
    ok &= sq_f16_to_f32(sq_f32_to_f16(i / 256.0f)) == i / 256.0f;
    if (i >= -255 && i <= 255) ok &= sq_bf16_to_f32(sq_f32_to_bf16(i / 64.0f)) == i / 64.0f;
  }
  tap_ok(ok, "f16/bf16: exactly representable values round-trip");
  tap_ok(sq_f16_to_f32(sq_f32_to_f16(1.0f + 1.0f / 4096)) == 1.0f && sq_f16_to_f32(sq_f32_to_f16(65520.0f)) == INFINITY,
         "f16: round to nearest even, overflow to infinity");
  tap_ok(sq_bf16_to_f32(sq_f32_to_bf16(1.0f + 1.0f / 256)) == 1.0f, "bf16: round to nearest even");
}

static double cost_one(const sq_problem *p) { return 1; }

static void test_rows(void) {
  sq_kernel k = {.reference_row_cost = cost_one};
  sq_problem p;
  sq_att_problem(&p, &sq_op_softmax_attn, 1, 1, 1000, 4, 4, 0, SQ_F32);
  int64_t n, stride, *rows = sq_verify_rows(&k, &p, 1e9, &n, &stride);
  tap_ok(rows && n == 1000 && stride == 1, "verify rows: all rows under budget");
  free(rows);
  rows = sq_verify_rows(&k, &p, 100, &n, &stride);
  tap_ok(rows && stride == 10 && rows[0] == 0 && rows[n - 1] == 999 && n == 101, "verify rows: strided sample keeps first and last");
  free(rows);
}

static void test_npy(void) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  int64_t shape[2] = {2, 3};
  const char *path = "test_npy_out.npy";
  int rc = sq_npy_write(path, "<f4", 4, data, shape, 2);
  FILE *f = fopen(path, "rb");
  unsigned char buf[256] = {0};
  size_t got = f ? fread(buf, 1, sizeof buf, f) : 0;
  if (f) fclose(f);
  remove(path);
  unsigned hlen = buf[8] | buf[9] << 8;
  tap_ok(!rc && got == 10 + hlen + 24 && !memcmp(buf, "\x93NUMPY\x01\x00", 8) && (10 + hlen) % 64 == 0 &&
           strstr((char *)buf + 10, "'shape': (2, 3)") && !memcmp(buf + 10 + hlen, data, 24),
         "npy: version 1.0 header, aligned, shape and data");
}

static void test_rounds(void) {
  sq_measure_opts all, one;
  sq_measure_defaults(&all);
  sq_measure_round(&all, 1, &one);
  tap_ok(!memcmp(&all, &one, sizeof one), "rounds: one round takes the whole budget");
  sq_measure_round(&all, 3, &one);
  tap_ok(one.min_samples == 4 && one.max_samples == 333, "rounds: 3 rounds share 10 (rounded up) and 1000 samples");
  tap_ok(fabs(one.min_time_s - all.min_time_s / 3) < 1e-12 && fabs(one.timeout_s - all.timeout_s / 3) < 1e-12,
         "rounds: minimum time and timeout are shared out");
  tap_ok(one.max_noise == all.max_noise && one.warmup == all.warmup && one.mode == all.mode,
         "rounds: noise target, warm-up and mode apply to every round");
  sq_measure_round(&all, 20, &one);
  tap_ok(one.min_samples == 2 && one.max_samples == 50, "rounds: at least 2 samples a round");
}

static void test_slope(void) {
  double x[] = {1024, 2048, 4096, 8192}, y[] = {1, 4, 16, 64}, z[] = {3, 6, 12, 24};
  tap_ok(fabs(sq_loglog_slope(x, y, 4) - 2) < 1e-12 && fabs(sq_loglog_slope(x, z, 4) - 1) < 1e-12,
         "analysis: log-log slopes of T^2 and T");
  tap_ok(isnan(sq_loglog_slope(x, y, 1)), "analysis: one point has no slope");
}

/* ---- one-line error details ------------------------------------------ */

static void test_error_line(void) {
  /* The failing input of issue 10: a value with a newline in it. */
  sq_fail(SQ_EINVAL, "--shape: '%s' is not KEY=VALUE", "T=8\nD=64\tx\x01");
  const char *d = sq_last_error();
  tap_ok(!strchr(d, '\n') && !strcmp(d, "--shape: 'T=8\\nD=64\\tx\\x01' is not KEY=VALUE"),
         "error: control characters escaped as \\n, \\t, \\xNN (%s)", d);
  sq_fail(SQ_EIO, "-o %s", sq_last_error());
  tap_ok(!strcmp(sq_last_error(), "-o --shape: 'T=8\\nD=64\\tx\\x01' is not KEY=VALUE"),
         "error: a detail quoting the last detail is neither garbled nor escaped twice");
  char *big = malloc(20000);
  memset(big, '\n', 19999);
  big[19999] = '\0';
  sq_fail(SQ_EIO, "%s", big);
  d = sq_last_error();
  size_t n = strlen(d);
  tap_ok(n < SQ_DETAIL_MAX && n > 1000 && !strchr(d, '\n') && !strcmp(d + n - 3, "...") && d[n - 4] == 'n',
         "error: an over-long detail is cut between escapes and ends in ...");
  free(big);
  char out[8];
  sq_escape_line("ab\ncdef", out, sizeof out);
  tap_ok(!strcmp(out, "ab\\n..."), "escape: cut to the buffer, never inside an escape (%s)", out);
  sq_escape_line("abc\xc3\xa9", out, sizeof out);
  tap_ok(!strcmp(out, "abc\xc3\xa9"), "escape: UTF-8 kept as it is");
}

/* ---- the atomic writer ------------------------------------------------ */

/* The directory's entries, sorted, each with its size: "a:3 b:0 ". */
static void list_dir(const char *dir, char *buf, size_t n) {
  struct dirent **v;
  int k = scandir(dir, &v, NULL, alphasort);
  buf[0] = '\0';
  for (int i = 0; i < k; i++) {
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, v[i]->d_name);
    if (strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, "..") && !stat(path, &st)) {
      size_t len = strlen(buf);
      snprintf(buf + len, n - len, "%s:%lld ", v[i]->d_name, (long long)st.st_size);
    }
    free(v[i]);
  }
  if (k >= 0) free(v);
}

static int file_is(const char *path, const char *want) {
  char got[256] = "";
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(got, 1, sizeof got - 1, f) : 0;
  if (f) fclose(f);
  got[n] = '\0';
  return f && !strcmp(got, want);
}

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static void remove_tree(const char *dir) {
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd)) tap_diag("could not remove %s", dir);
}

static void test_atomic_commit_abort(const char *dir, const char *how) {
  char target[700], before[2048], after[2048];
  snprintf(target, sizeof target, "%s/out.csv", dir);
  put(target, "old\n");
  sq_atomic a;
  FILE *f = sq_atomic_open(&a, target);
  int named = f && a.tmp != NULL;
  if (f) fputs("new\n", f);
  tap_ok(f && file_is(target, "old\n") && !sq_atomic_commit(&a) && file_is(target, "new\n"),
         "atomic (%s): the target keeps its old content until commit, then has the new", how);
  list_dir(dir, before, sizeof before);
  f = sq_atomic_open(&a, target);
  if (f) fputs("half a file", f);
  sq_atomic_abort(&a);
  list_dir(dir, after, sizeof after);
  tap_ok(f && file_is(target, "new\n") && !strcmp(before, after) && !strcmp(after, "out.csv:4 "),
         "atomic (%s): abort leaves the target untouched and no other file (%s)", how, after);
  tap_ok(named == (getenv("SUBQUAD_NO_TMPFILE") != NULL), "atomic (%s): %s temporary", how,
         named ? "a named" : "an unnamed");
  /* Two files finished, then committed back to back. */
  char second[700];
  snprintf(second, sizeof second, "%s/out.samples.csv", dir);
  sq_atomic r, sm;
  FILE *fr = sq_atomic_open(&r, target), *fs = sq_atomic_open(&sm, second);
  if (fr && fs) fputs("rows\n", fr), fputs("samples\n", fs);
  int ok = fr && fs && !sq_atomic_finish(&r) && !sq_atomic_finish(&sm) && file_is(target, "new\n") &&
           !sq_atomic_commit(&sm) && !sq_atomic_commit(&r);
  tap_ok(ok && file_is(target, "rows\n") && file_is(second, "samples\n"),
         "atomic (%s): two files finished, then committed back to back", how);
  list_dir(dir, after, sizeof after);
  tap_ok(!strcmp(after, "out.csv:5 out.samples.csv:8 "), "atomic (%s): no temporaries left (%s)", how, after);
  unlink(second);
}

/* Issue 10 item 8: kill -9 while writing left empty .tmp files. A child
 * opens the writer, writes, tells the parent, and is killed before it can
 * commit: the directory must read exactly as before. */
static void test_atomic_kill(const char *dir) {
  char target[700], before[2048], after[2048];
  snprintf(target, sizeof target, "%s/out.csv", dir);
  put(target, "old\n");
  list_dir(dir, before, sizeof before);
  int fds[2];
  if (pipe(fds)) {
    tap_ok(0, "atomic: pipe: %s", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    sq_atomic a;
    FILE *f = sq_atomic_open(&a, target);
    char tell = f ? (a.anonymous ? 'a' : 'n') : 'x';
    if (f) fputs("new content, never committed\n", f), fflush(f);
    if (write(fds[1], &tell, 1) != 1) _exit(1);
    for (;;) pause();
  }
  char got = 'x';
  if (read(fds[0], &got, 1) != 1) got = 'x';
  kill(pid, SIGKILL);
  int st;
  waitpid(pid, &st, 0);
  close(fds[0]);
  close(fds[1]);
  list_dir(dir, after, sizeof after);
  if (got == 'n') {
    tap_skip("atomic: kill -9 between open and commit leaves the directory as it was",
             "this file system has no O_TMPFILE: a named temporary is left, as documented");
    return;
  }
  tap_ok(got == 'a' && WIFSIGNALED(st) && !strcmp(before, after) && file_is(target, "old\n"),
         "atomic: kill -9 between open and commit leaves the directory as it was (%s -> %s)", before, after);
}

static void test_atomic_paths(const char *dir) {
  /* Over PATH_MAX: refused with the reason, and the detail one line. */
  size_t n = 5000;
  char *p = malloc(n + 1);
  memset(p, 'a', n);
  p[n] = '\0';
  memcpy(p, dir, strlen(dir));
  p[strlen(dir)] = '/';
  sq_atomic a;
  tap_ok(!sq_atomic_open(&a, p) && strstr(sq_last_error(), "a path of 5000 characters is longer than"),
         "atomic: a path over the system's limit is refused clearly");
  /* A file name over the file system's limit (255). */
  snprintf(p, n, "%s/", dir);
  memset(p + strlen(p), 'b', 300);
  p[strlen(dir) + 1 + 300] = '\0';
  tap_ok(!sq_atomic_open(&a, p) && strstr(sq_last_error(), "a file name of 300 characters is longer than"),
         "atomic: a file name over the file system's limit is refused clearly");
  /* A dump under a folder of ~1,100 characters lands under that folder,
   * where fixed buffers used to cut the path (and write elsewhere). */
  snprintf(p, n, "%s", dir);
  while (strlen(p) < 1100) strcat(p, "/0123456789012345678901234567890123456789");
  sq_case c = {.kernel = sq_kernel_find("softmax_attn.naive")};
  sq_att_problem(&c.prob, &sq_op_softmax_attn, 1, 1, 2, 1, 1, 0, SQ_F32);
  sq_result r;
  sq_result_init(&r);
  float q[2] = {1, 2};
  const float *tensors[SQ_OP_MAX_TENSORS] = {q, q, q, q};
  size_t root = strlen(p);
  int rc = c.kernel ? sq_dump_case(p, &c, &r, 42, tensors, tensors) : -1;
  strcat(p, "/softmax_attn.naive.noncausal.B1.H1.T2.D1.DV1.f32/case.json");
  struct stat st;
  tap_ok(!rc && !stat(p, &st) && st.st_size > 0, "dump: under a folder of %zu characters, at that path (%s)", root,
         rc ? sq_last_error() : "ok");
  strcpy(p + strlen(p) - 9, "o.npy");
  tap_ok(!stat(p, &st) && st.st_size == 128 + 8, "dump: o.npy written whole at a path of %zu characters", strlen(p));
  /* The target is a directory, or its folder is missing. */
  tap_ok(!sq_atomic_open(&a, dir) && strstr(sq_last_error(), ": is a directory"),
         "atomic: a directory as target is refused at open (%s)", sq_last_error());
  snprintf(p, n, "%s/missing/out.csv", dir);
  tap_ok(!sq_atomic_open(&a, p) && strstr(sq_last_error(), p) && strstr(sq_last_error(), strerror(ENOENT)),
         "atomic: a missing folder: the detail names the path and the reason (%s)", sq_last_error());
  free(p);
}

static void test_check_dirs(const char *dir) {
  char p[600], file[600];
  snprintf(file, sizeof file, "%s/plain", dir);
  put(file, "x");
  snprintf(p, sizeof p, "%s/new/deeper", dir);
  tap_ok(!sq_check_output_dir(p) && !sq_check_output_dir(dir), "check dir: existing or creatable folders pass");
  snprintf(p, sizeof p, "%s/plain/sub", dir);
  tap_ok(sq_check_output_dir(p) == SQ_EIO && strstr(sq_last_error(), strerror(ENOTDIR)),
         "check dir: a file on the way is refused (%s)", sq_last_error());
  tap_ok(sq_check_output_dir(file) == SQ_EIO, "check dir: a file is not a folder");
  tap_ok(sq_check_output_file(dir) == SQ_EIO && !sq_check_output_file(file),
         "check file: a folder is refused, a file passes");
  char now[2048];
  list_dir(dir, now, sizeof now);
  tap_ok(!strstr(now, "new") && file_is(file, "x"), "checks create and change nothing (%s)", now);
  unlink(file);
}

static void test_atomic(void) {
  const char *t = getenv("TMPDIR");
  char dir[600], target[700];
  snprintf(dir, sizeof dir, "%s/sq-atomic-XXXXXX", t && *t ? t : "/tmp");
  if (!tap_ok(mkdtemp(dir) != NULL, "atomic: a scratch folder in %s", dir)) return;
  test_atomic_commit_abort(dir, "O_TMPFILE");
  test_atomic_kill(dir);
  setenv("SUBQUAD_NO_TMPFILE", "1", 1);
  test_atomic_commit_abort(dir, "named fallback");
  unsetenv("SUBQUAD_NO_TMPFILE");
  snprintf(target, sizeof target, "%s/out.csv", dir);
  unlink(target);
  test_atomic_paths(dir);
  test_check_dirs(dir);
  remove_tree(dir);
}

/* ---- the time limit of a case typed by hand --------------------------- */

/* Issue 10 item 10: `run --kernel linear_attn.causal_chunked --shape
 * B=1,H=1,T=8388608,D=64` answered "skipped: predicted 1.3 min > 1 min". */
static void test_case_limit(void) {
  const sq_kernel *k = sq_kernel_find("linear_attn.causal_chunked");
  sq_case_list l = {0};
  if (!tap_ok(k && !sq_case_list_add(&l, k, 1, 1, 8388608, 64, 64, 1, "", ""), "limit: the case of the issue")) return;
  sq_prediction pr;
  double lim = sq_case_time_limit(NULL, -1);
  int rc = sq_predict(NULL, &l.v[0].c, lim, &pr);
  tap_ok(!rc && lim == 0 && pr.feasible && pr.total_s > 60,
         "limit: a case typed by hand runs, predicted %.0f s (%s)", pr.total_s, pr.why);
  rc = sq_predict(NULL, &l.v[0].c, sq_case_time_limit(NULL, 60), &pr);
  tap_ok(!rc && !pr.feasible && !strncmp(pr.why, "predicted", 9) && strstr(pr.why, "> 1 min"),
         "limit: --max-case-seconds given by the user still skips it (%s)", pr.why);
  tap_ok(sq_case_time_limit("quick", -1) == sq_suite_max_case_s("quick") && sq_case_time_limit("quick", 5) == 5 &&
           sq_case_time_limit("quick", -1) > 0,
         "limit: a suite keeps its own limit unless one is given");
  sq_case_list_free(&l);
}

/* peak_frac's compute ceiling is the better of the FMA chains and the
 * vendor GEMM: a GEMM twice as fast as the chains halves a compute-bound
 * row's fraction; a slower one changes nothing. */
static void test_peak_frac_ceiling(void) {
  const sq_kernel *k = sq_kernel_find("softmax_attn.naive");
  sq_case_list l = {0};
  if (!tap_ok(k && !sq_case_list_add(&l, k, 1, 1, 4096, 64, 64, 0, "", ""), "peak_frac: a compute-bound case")) return;
  sq_device dev;
  memset(&dev, 0, sizeof dev);
  dev.peaks = (sq_peaks){.gbs = 1e6, .gflops = 100, .gexps = 1e6};
  sq_result r;
  memset(&r, 0, sizeof r);
  r.stats.median = 50;
  double frac[3];
  double gemm[3] = {0, 50, 200};
  for (int i = 0; i < 3; i++) {
    dev.peaks.gemm_gflops = gemm[i];
    sq_case_fill_metrics(&dev, &l.v[0].c, &r);
    frac[i] = r.peak_frac;
  }
  tap_ok(frac[0] > 0 && frac[1] == frac[0] && fabs(frac[2] - frac[0] / 2) < 1e-12 * frac[0],
         "peak_frac: no GEMM %.4g, a slower GEMM %.4g, a GEMM 2x the chains %.4g", frac[0], frac[1], frac[2]);
  sq_case_list_free(&l);
}

int main(void) {
  test_stats();
  test_shapes();
  test_inputs();
  test_rows();
  test_npy();
  test_slope();
  test_rounds();
  test_error_line();
  test_atomic();
  test_case_limit();
  test_peak_frac_ceiling();
  return tap_done();
}
