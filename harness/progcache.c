/* SPDX-License-Identifier: BSD-3-Clause */
/* A small thread-safe cache of built programs, bounded: a list in
 * most-recently-used order under one mutex, holding at most `capacity`
 * programs per device. A program in use is pinned (sq_progcache_get pins,
 * sq_progcache_put unpins) and never evicted; the least recently used
 * unpinned one is released through the backend when the cache is over its
 * capacity. Without the bound, a tune kept every configuration's program
 * (and the backend's kernels and binaries) for the whole run: about 0.3 MB
 * per configuration on PoCL. The build itself runs outside the lock so
 * several threads compile at once; a key under construction is marked so a
 * second thread waits for it instead of compiling the same text twice. */
#include "harness/progcache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

typedef struct entry {
  struct entry *next;      /* towards the least recently used */
  sq_device *dev;
  const char *source;
  char *defines;
  int state;               /* 0 building, 1 built, < 0 the build's error */
  int pins;                /* users between get and put */
  char *error;             /* detail of a failed build */
  sq_prog prog;
} entry;

static entry *head;        /* the most recently used */
static int capacity = SQ_PROGCACHE_DEFAULT_CAPACITY;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t built = PTHREAD_COND_INITIALIZER;

/* Finds a key and moves it to the front. */
static entry *find(sq_device *dev, const char *source, const char *defines) {
  for (entry **pp = &head; *pp; pp = &(*pp)->next) {
    entry *e = *pp;
    if (e->dev != dev || e->source != source || strcmp(e->defines, defines)) continue;
    *pp = e->next;
    e->next = head;
    head = e;
    return e;
  }
  return NULL;
}

static void free_entry(entry *e) {
  if (e->state == 1) e->dev->backend->release(e->dev->impl, &e->prog);
  free(e->defines);
  free(e->error);
  free(e);
}

/* Under the lock: releases the least recently used unpinned programs of dev
 * while it holds more than the capacity. Pinned and building ones stay, so
 * the count can pass the capacity by the number of users at most. */
static void evict(sq_device *dev) {
  int n = 0;
  for (entry *e = head; e; e = e->next) n += e->dev == dev;
  while (n > capacity) {
    entry **victim = NULL;
    for (entry **pp = &head; *pp; pp = &(*pp)->next)
      if ((*pp)->dev == dev && !(*pp)->pins && (*pp)->state != 0) victim = pp;
    if (!victim) return;
    entry *e = *victim;
    *victim = e->next;
    free_entry(e);
    n--;
  }
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
  *out = NULL;
  pthread_mutex_lock(&lock);
  entry *e = find(dev, source, defines);
  if (e) {
    e->pins++;
    while (e->state == 0) pthread_cond_wait(&built, &lock);
    int rc = 0;
    if (e->state < 0) {
      /* A failed build is kept (compiled once) but not held by anyone. */
      e->pins--;
      rc = sq_fail(e->state, "%s", e->error ? e->error : "compile failed");
    } else {
      *out = &e->prog;
    }
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
  *e = (entry){.next = head, .dev = dev, .source = source, .defines = d, .pins = 1};
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
  if (rc) {
    e->error = strdup(detail);
    e->pins--;
  } else {
    *out = &e->prog;
  }
  pthread_cond_broadcast(&built);
  evict(dev);
  pthread_mutex_unlock(&lock);
  return rc ? sq_fail(rc, "%s", detail) : 0;
}

void sq_progcache_put(sq_device *dev, sq_prog *prog) {
  if (!prog) return;
  pthread_mutex_lock(&lock);
  for (entry *e = head; e; e = e->next)
    if (&e->prog == prog && e->dev == dev) {
      if (e->pins > 0) e->pins--;
      break;
    }
  evict(dev);
  pthread_mutex_unlock(&lock);
}

void sq_progcache_set_capacity(int n) {
  pthread_mutex_lock(&lock);
  capacity = n > 0 ? n : SQ_PROGCACHE_DEFAULT_CAPACITY;
  pthread_mutex_unlock(&lock);
}

int sq_progcache_count(const sq_device *dev) {
  int n = 0;
  pthread_mutex_lock(&lock);
  for (entry *e = head; e; e = e->next) n += e->dev == dev;
  pthread_mutex_unlock(&lock);
  return n;
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
    free_entry(e);
  }
  pthread_mutex_unlock(&lock);
}
