/* SPDX-License-Identifier: BSD-3-Clause */
/* The fuzz targets without a fuzzing engine: feeds a target every file of
 * its seed corpus and crash reproducers, one TAP test point per file, so
 * `make check` (and the sanitizer build) replays them on every run. With
 * arguments it replays the files and folders given instead, which is how to
 * rerun one reproducer under a debugger:
 *
 *   tests/fuzz/results_replay tests/fuzz/crashes/results/crash-1234
 *
 * Without arguments it reads $top_srcdir/tests/fuzz/corpus/NAME (which must
 * hold at least one file: a target with nothing to replay fails) and
 * crashes/NAME (which may be absent). A broken guarantee aborts the
 * process, which the TAP driver reports as a failure after the last file
 * named in the log. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"
#include "tests/tap.h"

/* Reads a whole file; NULL when it cannot. */
static uint8_t *slurp(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  uint8_t *b = malloc(cap);
  while (b) {
    n += fread(b + n, 1, cap - n, f);
    if (n < cap) break;
    uint8_t *nb = realloc(b, cap *= 2);
    if (!nb) free(b);
    b = nb;
  }
  int bad = ferror(f);
  fclose(f);
  if (b && bad) {
    free(b);
    b = NULL;
  }
  *size = n;
  return b;
}

/* One test point per file; the input goes over in a buffer of exactly its
 * size, as libFuzzer hands it, so AddressSanitizer sees any read past it. */
static void replay_file(const char *path) {
  size_t size = 0;
  uint8_t *text = slurp(path, &size);
  if (!text) {
    tap_ok(0, "%s: cannot read it", path);
    return;
  }
  uint8_t *exact = malloc(size ? size : 1);
  if (size) memcpy(exact, text, size);
  free(text);
  tap_diag("replaying %s (%zu bytes)", path, size);
  LLVMFuzzerTestOneInput(exact, size);
  free(exact);
  tap_ok(1, "%s", path);
}

static int not_hidden(const struct dirent *e) { return e->d_name[0] != '.'; }

/* The files of a folder in name order; -1 when it cannot be read. */
static int replay_dir(const char *dir) {
  struct dirent **list;
  int n = scandir(dir, &list, not_hidden, alphasort);
  if (n < 0) return -1;
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
    replay_file(path);
    free(list[i]);
  }
  free(list);
  return n;
}

static void replay_arg(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) replay_dir(path);
  else replay_file(path);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; i++) replay_arg(argv[i]);
    return tap_done();
  }
  const char *top = getenv("top_srcdir");
  char dir[4096];
  if (!top || !*top) top = ".";
  /* The empty input first, as libFuzzer does. */
  LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
  tap_ok(1, "%s: the empty input", sq_fuzz_name);
  snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top, sq_fuzz_name);
  int n = replay_dir(dir);
  tap_ok(n > 0, "%s: %d seed inputs replayed", dir, n);
  snprintf(dir, sizeof dir, "%s/tests/fuzz/crashes/%s", top, sq_fuzz_name);
  n = replay_dir(dir);
  if (n < 0) tap_diag("%s: no crash reproducers", dir);
  else tap_diag("%s: %d crash reproducers replayed", dir, n);
  return tap_done();
}
