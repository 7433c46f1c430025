/* mkdir -p, walking the path one separator at a time. */
#include "harness/files.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/error.h"

int sq_mkdirs(const char *path) {
  char buf[1024];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return sq_fail(SQ_EIO, "%s: path too long", path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p) continue;
    char c = *p;
    *p = '\0';
    if (mkdir(buf, 0777) && errno != EEXIST) return sq_fail(SQ_EIO, "%s: %s", buf, strerror(errno));
    if (!c) break;
    *p = c;
  }
  struct stat st;
  if (stat(path, &st) || !S_ISDIR(st.st_mode)) return sq_fail(SQ_EIO, "%s: not a directory", path);
  return 0;
}
