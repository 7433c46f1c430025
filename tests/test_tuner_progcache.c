/* SPDX-License-Identifier: BSD-3-Clause */
/* The program cache is bounded (issue 10, item 9: a tune of 2,240
 * configurations grew by 0.3 MB per configuration because every built
 * program stayed cached). With a fake backend that counts its builds and
 * releases: the cache never holds more than its capacity of unpinned
 * programs, releases what it evicts (least recently used first), never
 * evicts a pinned program, bounds failed builds too, stays consistent under
 * concurrent get/put, and releases everything on sq_progcache_release. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/progcache.h"
#include "tests/tap.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int nbuilt, nreleased, nfailed, held_released;
static char last_released[64];

/* A build makes a program whose handle is its define string; "FAIL..."
 * does not compile. */
static int fake_build(void *impl, const char *source, const char *defines, sq_prog *out, char **log) {
  (void)impl; (void)source;
  if (!strncmp(defines, "FAIL", 4)) {
    pthread_mutex_lock(&mu);
    nfailed++;
    pthread_mutex_unlock(&mu);
    if (log) *log = strdup("x.cl:1:1: error: does not compile");
    return sq_fail(SQ_ECOMPILE, "fake build");
  }
  out->h = strdup(defines);
  out->impl = NULL;
  pthread_mutex_lock(&mu);
  nbuilt++;
  pthread_mutex_unlock(&mu);
  return 0;
}

static void fake_release(void *impl, sq_prog *prog) {
  (void)impl;
  pthread_mutex_lock(&mu);
  nreleased++;
  snprintf(last_released, sizeof last_released, "%s", (char *)prog->h);
  held_released += !strcmp(prog->h, "HELD");
  pthread_mutex_unlock(&mu);
  free(prog->h);
  prog->h = NULL;
}

static const sq_backend fake = {.name = "fake", .build = fake_build, .release = fake_release};
static const char *const source = "kernel text";

/* get + put of one configuration, as one tuner evaluation does. */
static int use(sq_device *dev, const char *defines) {
  sq_prog *p;
  int rc = sq_progcache_get(dev, source, defines, &p);
  if (!rc) {
    if (!p || strcmp(p->h, defines)) return -1;
    sq_progcache_put(dev, p);
  }
  return rc;
}

static void test_bound(sq_device *dev) {
  char d[32];
  int most = 0, bad = 0;
  sq_progcache_set_capacity(4);
  nbuilt = nreleased = 0;
  for (int i = 0; i < 2240; i++) {
    snprintf(d, sizeof d, "-DCFG=%d", i);
    bad += use(dev, d) != 0;
    int n = sq_progcache_count(dev);
    if (n > most) most = n;
  }
  tap_ok(!bad, "2240 configurations built and used");
  tap_ok(most <= 4, "the cache never held more than its capacity of 4 (at most %d)", most);
  tap_ok(nbuilt == 2240 && nreleased == 2240 - 4, "every evicted program was released (%d built, %d released)",
         nbuilt, nreleased);
  sq_progcache_release(dev);
  tap_ok(nreleased == 2240 && sq_progcache_count(dev) == 0, "release frees the rest (%d released)", nreleased);
}

static void test_lru(sq_device *dev) {
  sq_progcache_set_capacity(3);
  nbuilt = nreleased = 0;
  use(dev, "A"), use(dev, "B"), use(dev, "C");
  use(dev, "A");   /* A is now the most recently used: B goes first */
  use(dev, "D");
  tap_ok(nreleased == 1 && !strcmp(last_released, "B"), "the least recently used goes first (released %s)",
         last_released);
  use(dev, "A");
  tap_ok(nbuilt == 4, "a cached program is not built again (%d builds)", nbuilt);
  sq_progcache_release(dev);
}

static void test_pinned(sq_device *dev) {
  char d[32];
  sq_prog *held;
  sq_progcache_set_capacity(2);
  nbuilt = nreleased = 0;
  int rc = sq_progcache_get(dev, source, "HELD", &held);
  int most = 0;
  for (int i = 0; i < 50; i++) {
    snprintf(d, sizeof d, "-DX=%d", i);
    use(dev, d);
    int n = sq_progcache_count(dev);
    if (n > most) most = n;
  }
  tap_ok(!rc && held && held->h && !strcmp(held->h, "HELD") && !held_released,
         "a pinned program survives 50 evictions");
  tap_ok(most <= 3, "pinned ones pass the capacity by their number only (at most %d of 2 + 1)", most);
  sq_progcache_put(dev, held);
  use(dev, "-DY=1"), use(dev, "-DY=2");
  tap_ok(sq_progcache_count(dev) <= 2 && held_released == 1, "once put back, it is evicted like any other");
  sq_progcache_release(dev);
}

static void test_failed(sq_device *dev) {
  char d[32];
  sq_prog *p = (sq_prog *)1;
  sq_progcache_set_capacity(3);
  nfailed = 0;
  int rc = sq_progcache_get(dev, source, "FAIL-0", &p);
  tap_ok(rc == SQ_ECOMPILE && !p && strstr(sq_last_error(), "does not compile"),
         "a failed build: SQ_ECOMPILE, no program, the log's error line (%s)", sq_last_error());
  rc = sq_progcache_get(dev, source, "FAIL-0", &p);
  tap_ok(rc == SQ_ECOMPILE && nfailed == 1, "a failed build is cached, not compiled again");
  for (int i = 1; i < 40; i++) {
    snprintf(d, sizeof d, "FAIL-%d", i);
    use(dev, d);
  }
  tap_ok(sq_progcache_count(dev) <= 3, "failed builds count against the capacity (%d held)",
         sq_progcache_count(dev));
  sq_progcache_release(dev);
}

typedef struct worker_arg {
  sq_device *dev;
  unsigned seed;
  int bad;
} worker_arg;

static void *worker(void *arg) {
  worker_arg *w = arg;
  char d[32];
  for (int i = 0; i < 3000; i++) {
    w->seed = w->seed * 1103515245u + 12345u;
    snprintf(d, sizeof d, "-DK=%u", (w->seed >> 16) % 12);
    sq_prog *p;
    if (sq_progcache_get(w->dev, source, d, &p)) { w->bad++; continue; }
    /* Still this program while pinned, whatever the other threads evict. */
    if (!p->h || strcmp(p->h, d)) w->bad++;
    sq_progcache_put(w->dev, p);
  }
  return NULL;
}

static void test_threads(sq_device *dev) {
  sq_progcache_set_capacity(3);
  nbuilt = nreleased = 0;
  pthread_t th[4];
  worker_arg w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (worker_arg){.dev = dev, .seed = 7u * (unsigned)i + 1};
    pthread_create(&th[i], NULL, worker, &w[i]);
  }
  int bad = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    bad += w[i].bad;
  }
  int held = sq_progcache_count(dev);
  tap_ok(!bad, "4 threads, 12 keys, capacity 3: every pinned program stayed valid (%d bad)", bad);
  tap_ok(held <= 3 && nbuilt - nreleased == held, "afterwards %d held = %d built - %d released", held, nbuilt,
         nreleased);
  sq_progcache_release(dev);
  tap_ok(nbuilt == nreleased, "all released at the end");
}

int main(void) {
  sq_device dev = {.backend = &fake};
  snprintf(dev.id, sizeof dev.id, "fake:0");
  test_bound(&dev);
  test_lru(&dev);
  test_pinned(&dev);
  test_failed(&dev);
  test_threads(&dev);
  sq_progcache_set_capacity(0);
  return tap_done();
}
