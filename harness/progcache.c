/* A small thread-safe program cache: a linked list under one mutex; the
 * build itself runs outside the lock so several threads compile at once.
 * A key under construction is marked so a second thread waits for it
 * instead of compiling the same text twice. */
#include "harness/progcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/error.h"

typedef struct entry {
  struct entry *next;
  sq_device *dev;
  const char *source;
  char *defines;
  int state;               /* 0 building, 1 built, < 0 the build's error */
  char *error;             /* detail of a failed build */
  sq_prog prog;
} entry;

static entry *head;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t built = PTHREAD_COND_INITIALIZER;

static entry *find(sq_device *dev, const char *source, const char *defines) {
  for (entry *e = head; e; e = e->next)
    if (e->dev == dev && e->source == source && !strcmp(e->defines, defines)) return e;
  return NULL;
}

/* First line of a build log that says "error", else its first line. */
static void log_summary(const char *log, char *out, size_t n) {
  const char *line = log ? strstr(log, "error") : NULL;
  if (line) while (line > log && line[-1] != '\n') line--;
  if (!line) line = log ? log : "";
  size_t len = strcspn(line, "\n");
  if (len >= n) len = n - 1;
  memcpy(out, line, len);
  out[len] = '\0';
}

int sq_progcache_get(sq_device *dev, const char *source, const char *defines, sq_prog **out) {
  pthread_mutex_lock(&lock);
  entry *e = find(dev, source, defines);
  if (e) {
    while (e->state == 0) pthread_cond_wait(&built, &lock);
    int rc = e->state < 0 ? sq_fail(e->state, "%s", e->error ? e->error : "compile failed") : 0;
    *out = &e->prog;
    pthread_mutex_unlock(&lock);
    return rc;
  }
  e = calloc(1, sizeof *e);
  char *d = e ? strdup(defines) : NULL;
  if (!d) {
    free(e);
    pthread_mutex_unlock(&lock);
    return sq_fail(SQ_ENOMEM, "no memory for the program cache");
  }
  *e = (entry){.next = head, .dev = dev, .source = source, .defines = d};
  head = e;
  pthread_mutex_unlock(&lock);

  char *log = NULL;
  int rc = dev->backend->build(dev->impl, source, defines, &e->prog, &log);
  char detail[512] = "";
  if (rc) {
    char first[400];
    log_summary(log, first, sizeof first);
    snprintf(detail, sizeof detail, "%s%s%s", sq_last_error(), *first ? ": " : "", first);
  }
  free(log);

  pthread_mutex_lock(&lock);
  e->state = rc ? rc : 1;
  if (rc) e->error = strdup(detail);
  pthread_cond_broadcast(&built);
  pthread_mutex_unlock(&lock);
  *out = &e->prog;
  return rc ? sq_fail(rc, "%s", detail) : 0;
}

void sq_progcache_release(sq_device *dev) {
  pthread_mutex_lock(&lock);
  for (entry **pp = &head; *pp;) {
    entry *e = *pp;
    if (e->dev != dev) {
      pp = &e->next;
      continue;
    }
    *pp = e->next;
    if (e->state == 1) dev->backend->release(dev->impl, &e->prog);
    free(e->defines);
    free(e->error);
    free(e);
  }
  pthread_mutex_unlock(&lock);
}
