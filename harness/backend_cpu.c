/* SPDX-License-Identifier: BSD-3-Clause */
/* The `cpu` backend: the host as one device. It holds buffers in host memory
 * (64-byte aligned) and times with the monotonic wall clock; it does not
 * compile kernel texts (the harness runs the plain-C references on it), so
 * build and launch answer SQ_EUNSUPPORTED. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "harness/backend.h"
#include "harness/topology.h"

typedef struct cpu_impl {
  struct timespec t0;
  int timing;
} cpu_impl;

static int cpu_init(void) { return 0; }
static int cpu_count(void) { return 1; }

/* The value of the first "key : value" line of /proc/cpuinfo, or "". */
static void cpuinfo_field(const char *key, char *out, size_t n) {
  out[0] = 0;
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  size_t klen = strlen(key);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) || (line[klen] != ' ' && line[klen] != '\t' && line[klen] != ':')) continue;
    char *c = strchr(line, ':');
    if (!c) continue;
    c++;
    while (*c == ' ' || *c == '\t') c++;
    c[strcspn(c, "\n")] = 0;
    snprintf(out, n, "%s", c);
    break;
  }
  fclose(f);
}

/* Max clock from cpufreq, else the current "cpu MHz" of /proc/cpuinfo. */
static int cpu_clock_mhz(void) {
  FILE *f = fopen("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "r");
  long khz = 0;
  if (f) {
    if (fscanf(f, "%ld", &khz) != 1) khz = 0;
    fclose(f);
  }
  if (khz > 0) return (int)(khz / 1000);
  char mhz[64];
  cpuinfo_field("cpu MHz", mhz, sizeof mhz);
  return mhz[0] ? (int)atof(mhz) : 0;
}

static int cpu_info(int index, sq_device_info *out) {
  if (index != 0) return sq_fail(SQ_ENODEV, "cpu: no device %d (the host is cpu:0)", index);
  memset(out, 0, sizeof *out);
  sq_topology topo;
  sq_topology_get(&topo);
  struct utsname u;
  int have_uname = uname(&u) == 0;
  snprintf(out->backend, sizeof out->backend, "cpu");
  cpuinfo_field("model name", out->name, sizeof out->name);
  if (!out->name[0]) snprintf(out->name, sizeof out->name, "%s host", have_uname ? u.machine : "unknown");
  cpuinfo_field("vendor_id", out->vendor, sizeof out->vendor);
  if (!out->vendor[0]) snprintf(out->vendor, sizeof out->vendor, "unknown");
  snprintf(out->driver, sizeof out->driver, "%.20s %.40s", have_uname ? u.sysname : "host",
           have_uname ? u.release : "");
  snprintf(out->arch, sizeof out->arch, "host-%.50s", have_uname ? u.machine : "unknown");
  snprintf(out->platform, sizeof out->platform, "host (%s topology)", topo.source);
  out->compute_units = topo.pus;
  out->clock_mhz = cpu_clock_mhz();
  /* hwloc counts NUMA-node memory, which misses hot-plugged memory on some
   * virtual machines: the kernel's page count is the larger truth. */
  long pages = sysconf(_SC_PHYS_PAGES), avail = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  uint64_t phys = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
  out->global_mem = phys > topo.memory ? phys : topo.memory;
  out->free_mem = avail > 0 && psz > 0 ? (uint64_t)avail * (uint64_t)psz : topo.memory;
  out->local_mem = topo.l2_bytes;
  out->cache_bytes = topo.l3_bytes;
  out->max_alloc = out->global_mem;
  out->host_unified = 1;
  /* The references run one work-item at a time. */
  out->max_wg = 1;
  out->max_wg_dims[0] = out->max_wg_dims[1] = out->max_wg_dims[2] = 1;
  out->fp64 = 1;
  out->fp16 = 0;
  return 0;
}

static int cpu_open(int index, void **impl) {
  if (index != 0) return sq_fail(SQ_ENODEV, "cpu: no device %d (the host is cpu:0)", index);
  cpu_impl *c = calloc(1, sizeof *c);
  if (!c) return sq_fail(SQ_ENOMEM, "cpu: out of memory opening the device");
  *impl = c;
  return 0;
}

static void cpu_close(void *impl) { free(impl); }

static int cpu_alloc(void *impl, size_t bytes, sq_buf *out) {
  /* aligned_alloc wants a multiple of the alignment, and a zero-byte
   * buffer still gets a valid pointer. */
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded < bytes) return sq_fail(SQ_ENOMEM, "cpu: buffer of %zu bytes is too large", bytes);
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (!p) return sq_fail(SQ_ENOMEM, "cpu: cannot allocate %zu bytes", bytes);
  out->h = p;
  out->bytes = bytes;
  return 0;
}

static void cpu_free(void *impl, sq_buf *buf) {
  free(buf->h);
  buf->h = NULL;
  buf->bytes = 0;
}

static int range_ok(const sq_buf *buf, size_t offset, size_t bytes, const char *what) {
  if (!buf || !buf->h) return sq_fail(SQ_EINVAL, "cpu %s: no buffer", what);
  if (offset > buf->bytes || bytes > buf->bytes - offset)
    return sq_fail(SQ_EINVAL, "cpu %s: range [%zu, +%zu) is outside the %zu-byte buffer", what, offset,
                   bytes, buf->bytes);
  return 0;
}

static int cpu_write(void *impl, sq_buf *buf, size_t offset, const void *src, size_t bytes) {
  int rc = range_ok(buf, offset, bytes, "write");
  if (rc) return rc;
  memcpy((char *)buf->h + offset, src, bytes);
  return 0;
}

static int cpu_read(void *impl, const sq_buf *buf, size_t offset, void *dst, size_t bytes) {
  int rc = range_ok(buf, offset, bytes, "read");
  if (rc) return rc;
  memcpy(dst, (const char *)buf->h + offset, bytes);
  return 0;
}

static int cpu_fill(void *impl, sq_buf *buf, uint8_t byte) {
  if (!buf || !buf->h) return sq_fail(SQ_EINVAL, "cpu fill: no buffer");
  memset(buf->h, byte, buf->bytes);
  return 0;
}

static int cpu_build(void *impl, const char *source, const char *defines, sq_prog *out, char **log) {
  if (log) *log = NULL;
  return sq_fail(SQ_EUNSUPPORTED, "cpu: kernel texts do not run on the cpu device (it runs the references)");
}

static int cpu_limits(void *impl, sq_prog *prog, const char *entry, sq_kernel_limits *out) {
  return sq_fail(SQ_EUNSUPPORTED, "cpu: no built kernels on the cpu device");
}

static void cpu_release(void *impl, sq_prog *prog) {}

static int cpu_launch(void *impl, sq_prog *prog, const sq_launch *l, sq_buf *const *bufs) {
  return sq_fail(SQ_EUNSUPPORTED, "cpu: kernel '%s' cannot launch on the cpu device", l ? l->entry : "?");
}

static int cpu_timer_begin(void *impl) {
  cpu_impl *c = impl;
  clock_gettime(CLOCK_MONOTONIC, &c->t0);
  c->timing = 1;
  return 0;
}

static int cpu_timer_end(void *impl, double *ms) {
  cpu_impl *c = impl;
  if (!c->timing) return sq_fail(SQ_EINVAL, "cpu: timer_end without timer_begin");
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  *ms = (double)(t1.tv_sec - c->t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - c->t0.tv_nsec) * 1e-6;
  c->timing = 0;
  return 0;
}

static int cpu_finish(void *impl) { return 0; }
static void cpu_fini(void) {}

const sq_backend sq_backend_cpu = {
  .abi = SQ_BACKEND_ABI,
  .name = "cpu",
  .init = cpu_init,
  .device_count = cpu_count,
  .device_info = cpu_info,
  .open = cpu_open,
  .close = cpu_close,
  .alloc = cpu_alloc,
  .free = cpu_free,
  .write = cpu_write,
  .read = cpu_read,
  .fill = cpu_fill,
  .build = cpu_build,
  .kernel_limits = cpu_limits,
  .release = cpu_release,
  .launch = cpu_launch,
  .timer_begin = cpu_timer_begin,
  .timer_end = cpu_timer_end,
  .finish = cpu_finish,
  .fini = cpu_fini,
};
