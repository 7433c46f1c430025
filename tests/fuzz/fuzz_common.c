/* SPDX-License-Identifier: BSD-3-Clause */
/* The fuzz targets' shared helpers (fuzz.h): the per-process scratch folder
 * through which inputs reach the parsers that only take a path, the abort on
 * a broken guarantee, and the guarantees every refusal makes. */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "tests/fuzz/fuzz.h"

static char scratch[200];

void sq_fuzz_fail(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "fuzz target %s: broken guarantee: ", sq_fuzz_name);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  abort();
}

/* Removes the scratch folder at exit; a crash leaves it for inspection. */
static void remove_scratch(void) {
  DIR *d = opendir(scratch);
  if (d) {
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)))
      if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
        snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
        unlink(path);
      }
    closedir(d);
  }
  rmdir(scratch);
}

static int writable_dir(const char *d) {
  struct stat st;
  return d && *d && stat(d, &st) == 0 && S_ISDIR(st.st_mode) && access(d, W_OK | X_OK) == 0;
}

static void make_scratch(void) {
  const char *base = getenv("TMPDIR");
  if (!writable_dir(base)) base = writable_dir("/dev/shm") ? "/dev/shm" : "/tmp";
  snprintf(scratch, sizeof scratch, "%s/sq-fuzz-%s-XXXXXX", base, sq_fuzz_name);
  if (!mkdtemp(scratch)) sq_fuzz_fail("cannot make a scratch folder %s", scratch);
  atexit(remove_scratch);
}

void sq_fuzz_path(char *buf, size_t n, const char *file) {
  if (!scratch[0]) make_scratch();
  if ((size_t)snprintf(buf, n, "%s/%s", scratch, file) >= n) sq_fuzz_fail("path %s/%s too long", scratch, file);
}

void sq_fuzz_write(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) sq_fuzz_fail("cannot write %s", path);
  size_t put = size ? fwrite(data, 1, size, f) : 0;
  if (fclose(f) != 0 || put != size) sq_fuzz_fail("cannot write %s", path);
}

void sq_fuzz_refused(int rc, const char *input) {
  const char *e = sq_last_error();
  SQ_FUZZ_CHECK(rc < 0, "refusal with code %d, not a negative SQ_E* code", rc);
  SQ_FUZZ_CHECK(e[0], "refusal (%s) without a detail", sq_err_name(rc));
  SQ_FUZZ_CHECK(!input || strstr(e, input), "the detail '%s' does not name the input %s", e, input);
}
