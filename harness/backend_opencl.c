/* SPDX-License-Identifier: BSD-3-Clause */
/* The `opencl` backend: every device of every platform the ICD loader
 * reports. A device gets a context and one in-order queue with profiling;
 * programs are the OpenCL prelude plus the dialect text, built for OpenCL C
 * 1.2 with the plan's defines (no fast-math: correctness first). Device time
 * comes from profiling events: from the start of the first launch after
 * timer_begin to the end of the last launch before timer_end. Every failing
 * call is reported with its OpenCL error name. */
#define CL_TARGET_OPENCL_VERSION 120
#include "config.h"

#ifdef SQ_HAVE_HWLOC
#include <hwloc.h>
#endif

#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "base/error.h"
#include "harness/backend.h"
#include "harness/device.h"
#include "harness/vendor_blas.h"
#include "kernels/sources.h"

/* NVIDIA's and AMD's vendor queries, in case the headers predate them. */
#ifndef CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV
#define CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV 0x4000
#define CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV 0x4001
#endif
#define SQ_CL_DEVICE_PCI_BUS_ID_NV 0x4008
#define SQ_CL_DEVICE_PCI_SLOT_ID_NV 0x4009
#define SQ_CL_DEVICE_PCI_DOMAIN_ID_NV 0x400A
#define SQ_CL_DEVICE_BOARD_NAME_AMD 0x4038
#define SQ_CL_DEVICE_TOPOLOGY_AMD 0x4037
#define SQ_CL_DEVICE_PCI_BUS_INFO_KHR 0x410F

/* ---- error names ------------------------------------------------------- */

static const char *cl_err_name(cl_int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
    E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
    E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_IMAGE_FORMAT_MISMATCH)
    E(CL_IMAGE_FORMAT_NOT_SUPPORTED) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
    E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE)
    E(CL_DEVICE_PARTITION_FAILED) E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE)
    E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM) E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT)
    E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE) E(CL_INVALID_HOST_PTR)
    E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) E(CL_INVALID_IMAGE_SIZE)
    E(CL_INVALID_SAMPLER) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS) E(CL_INVALID_PROGRAM)
    E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME) E(CL_INVALID_KERNEL_DEFINITION)
    E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE) E(CL_INVALID_ARG_SIZE)
    E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION) E(CL_INVALID_WORK_GROUP_SIZE)
    E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET) E(CL_INVALID_EVENT_WAIT_LIST)
    E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_GL_OBJECT) E(CL_INVALID_BUFFER_SIZE)
    E(CL_INVALID_MIP_LEVEL) E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY)
    E(CL_INVALID_IMAGE_DESCRIPTOR) E(CL_INVALID_COMPILER_OPTIONS) E(CL_INVALID_LINKER_OPTIONS)
    E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef E
  case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
  default: return "CL_UNKNOWN_ERROR";
  }
}

#define CL_FAIL(code, call, err) sq_fail(code, "%s: %s (%d)", call, cl_err_name(err), (int)(err))

/* PoCL and the LLVM inside it keep compiler state allocated until the
 * process exits, which LeakSanitizer reports as leaks on every sanitizer
 * build. They are not ours: LSan asks this hook (weak in the runtime) for
 * suppressions, so any binary that links the OpenCL backend gets them.
 * Our own allocations stay checked. */
__attribute__((used)) const char *__lsan_default_suppressions(void);
__attribute__((used)) const char *__lsan_default_suppressions(void) {
  return "leak:libpocl.so\nleak:libLLVM\nleak:libclang-cpp\nleak:libOpenCL.so\n";
}

/* ---- device list --------------------------------------------------------- */

typedef struct cl_entry {
  cl_platform_id platform;
  cl_device_id device;
} cl_entry;

static cl_entry *devices;
static int ndevices;
static int initialised;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

/* Lists every device of every platform. A missing ICD, no platform or a
 * platform without devices all mean "fewer devices", never an error. */
static void enumerate(void) {
  cl_uint np = 0;
  if (clGetPlatformIDs(0, NULL, &np) != CL_SUCCESS || np == 0) return;
  cl_platform_id *plats = calloc(np, sizeof *plats);
  if (!plats) return;
  if (clGetPlatformIDs(np, plats, NULL) != CL_SUCCESS) np = 0;
  for (cl_uint p = 0; p < np; p++) {
    cl_uint nd = 0;
    if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0) continue;
    cl_device_id *ids = calloc(nd, sizeof *ids);
    cl_entry *grown = realloc(devices, (size_t)(ndevices + (int)nd) * sizeof *devices);
    if (!ids || !grown) {
      free(ids);
      if (grown) devices = grown;
      continue;
    }
    devices = grown;
    if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, ids, NULL) == CL_SUCCESS)
      for (cl_uint d = 0; d < nd; d++) devices[ndevices++] = (cl_entry){plats[p], ids[d]};
    free(ids);
  }
  free(plats);
}

/* PoCL sizes its CPU device's memory from hwloc's NUMA nodes, and on some
 * virtual machines those miss hot-plugged memory (here: 5.2 GiB of 23 GiB),
 * which caps the largest buffer at 1 GiB and refuses million-token cases
 * that fit in RAM. Where the nodes hold under 90 % of the kernel's page
 * count, hand hwloc (and so PoCL) a copy of the topology with the memory
 * corrected, for the duration of the platform's start-up only. Returns the
 * temporary file to remove afterwards, or NULL. */
static char *correct_hwloc_memory(void) {
#ifdef SQ_HAVE_HWLOC
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  if (getenv("HWLOC_XMLFILE") || getenv("SUBQUAD_KEEP_HWLOC") || pages <= 0 || psz <= 0) return NULL;
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo)) return NULL;
  char *path = NULL;
  if (!hwloc_topology_load(topo) && hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) == 1) {
    hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, 0);
    double phys = (double)pages * (double)psz;
    const char *tmp = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/subquad-topology-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = (double)node->attr->numanode.local_memory < 0.9 * phys ? mkstemp(buf) : -1;
    if (fd >= 0) {
      close(fd);
      node->attr->numanode.local_memory = (hwloc_uint64_t)phys;
      if (!hwloc_topology_export_xml(topo, buf, 0) && (path = strdup(buf))) {
        setenv("HWLOC_XMLFILE", path, 1);
        setenv("HWLOC_THISSYSTEM", "1", 1);
      } else {
        remove(buf);
      }
    }
  }
  hwloc_topology_destroy(topo);
  return path;
#else
  return NULL;
#endif
}

static void restore_hwloc(char *path) {
  if (!path) return;
  unsetenv("HWLOC_XMLFILE");
  unsetenv("HWLOC_THISSYSTEM");
  remove(path);
  free(path);
}

static int ocl_init(void) {
  pthread_mutex_lock(&init_lock);
  if (!initialised) {
    sq_pocl_pin_threads();   /* read by PoCL when the platform starts */
    char *topology = correct_hwloc_memory();
    enumerate();
    restore_hwloc(topology);
    initialised = 1;
  }
  pthread_mutex_unlock(&init_lock);
  return 0;
}

static int ocl_count(void) {
  ocl_init();
  return ndevices;
}

static void ocl_fini(void) {
  pthread_mutex_lock(&init_lock);
  free(devices);
  devices = NULL;
  ndevices = 0;
  initialised = 0;
  pthread_mutex_unlock(&init_lock);
}

static int check_index(int index) {
  ocl_init();
  if (index < 0 || index >= ndevices)
    return sq_fail(SQ_ENODEV, "opencl: no device %d (%d device%s)", index, ndevices, ndevices == 1 ? "" : "s");
  return 0;
}

/* ---- device info --------------------------------------------------------- */

static void dev_str(cl_device_id d, cl_device_info what, char *out, size_t n) {
  out[0] = 0;
  if (clGetDeviceInfo(d, what, n, out, NULL) != CL_SUCCESS) out[0] = 0;
  out[n - 1] = 0;
}

static uint64_t dev_u64(cl_device_id d, cl_device_info what) {
  cl_ulong v = 0;
  return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? v : 0;
}

static unsigned dev_uint(cl_device_id d, cl_device_info what) {
  cl_uint v = 0;
  return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? v : 0;
}

static int has_extension(cl_device_id d, const char *ext) {
  size_t n = 0;
  if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, 0, NULL, &n) != CL_SUCCESS || !n) return 0;
  char *s = malloc(n + 1);
  if (!s) return 0;
  int found = 0;
  if (clGetDeviceInfo(d, CL_DEVICE_EXTENSIONS, n, s, NULL) == CL_SUCCESS) {
    s[n] = 0;
    size_t len = strlen(ext);
    for (char *p = strstr(s, ext); p && !found; p = strstr(p + 1, ext))
      found = (p == s || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0);
  }
  free(s);
  return found;
}

/* PoCL's CPU devices carry the LLVM CPU name in their version string
 * ("... HSTR: pthread-x86_64-pc-linux-gnu-skylake-avx512"): driver, then a
 * four-part target triple, then the -march name. */
static void pocl_march(cl_device_id d, const char *name, char *out, size_t n) {
  char ver[256];
  dev_str(d, CL_DEVICE_VERSION, ver, sizeof ver);
  const char *h = strstr(ver, "HSTR: ");
  if (h) {
    h += 6;
    const char *p = h;
    int dashes = 0;
    while (*p && dashes < 5)
      if (*p++ == '-') dashes++;
    if (dashes == 5 && *p) {
      snprintf(out, n, "pocl-cpu-%.*s", (int)strcspn(p, " "), p);
      return;
    }
  }
  /* Fall back on the device name "pthread-<march>-<model>": its second
   * field is the start of the march name. */
  const char *a = strchr(name, '-');
  if (a) {
    a++;
    snprintf(out, n, "pocl-cpu-%.*s", (int)strcspn(a, "-"), a);
  } else {
    snprintf(out, n, "pocl-cpu");
  }
}

static void fill_arch(const cl_entry *e, sq_device_info *o) {
  cl_device_id d = e->device;
  cl_uint major = 0, minor = 0;
  if (strstr(o->platform, "Portable Computing Language") && !o->is_gpu) {
    pocl_march(d, o->name, o->arch, sizeof o->arch);
  } else if (has_extension(d, "cl_nv_device_attribute_query") &&
             clGetDeviceInfo(d, CL_DEVICE_COMPUTE_CAPABILITY_MAJOR_NV, sizeof major, &major, NULL) == CL_SUCCESS &&
             clGetDeviceInfo(d, CL_DEVICE_COMPUTE_CAPABILITY_MINOR_NV, sizeof minor, &minor, NULL) == CL_SUCCESS) {
    o->cc_major = (int)major;
    o->cc_minor = (int)minor;
    snprintf(o->arch, sizeof o->arch, "sm_%u%u", major, minor);
  } else if (!strncmp(o->name, "gfx", 3)) {
    /* AMD's ROCm and Mesa name the device by its gfx target. */
    snprintf(o->arch, sizeof o->arch, "%.*s", (int)strcspn(o->name, ": "), o->name);
  } else {
    /* Vendor, type and name: "intel-gpu-Intel(R) Arc(TM) A770". */
    char v[16];
    snprintf(v, sizeof v, "%.15s", o->vendor);
    v[strcspn(v, " ")] = 0;
    for (char *c = v; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    snprintf(o->arch, sizeof o->arch, "%s-%s-%.40s", v[0] ? v : "opencl", o->is_gpu ? "gpu" : "dev", o->name);
  }
}

static void fill_pci(cl_device_id d, sq_device_info *o) {
  typedef struct { cl_uint domain, bus, device, function; } pci_khr;
  pci_khr k;
  if (has_extension(d, "cl_khr_pci_bus_info") &&
      clGetDeviceInfo(d, SQ_CL_DEVICE_PCI_BUS_INFO_KHR, sizeof k, &k, NULL) == CL_SUCCESS) {
    snprintf(o->pci_bus_id, sizeof o->pci_bus_id, "%04x:%02x:%02x.%x", k.domain & 0xffff, k.bus & 0xff,
             k.device & 0x1f, k.function & 7);
    return;
  }
  if (has_extension(d, "cl_nv_device_attribute_query")) {
    cl_uint bus = 0, slot = 0, dom = 0;
    if (clGetDeviceInfo(d, SQ_CL_DEVICE_PCI_BUS_ID_NV, sizeof bus, &bus, NULL) == CL_SUCCESS &&
        clGetDeviceInfo(d, SQ_CL_DEVICE_PCI_SLOT_ID_NV, sizeof slot, &slot, NULL) == CL_SUCCESS) {
      if (clGetDeviceInfo(d, SQ_CL_DEVICE_PCI_DOMAIN_ID_NV, sizeof dom, &dom, NULL) != CL_SUCCESS) dom = 0;
      /* The slot id packs device (bits 3..7) and function (bits 0..2). */
      snprintf(o->pci_bus_id, sizeof o->pci_bus_id, "%04x:%02x:%02x.%x", dom & 0xffff, bus & 0xff,
               (slot >> 3) & 0x1f, slot & 7);
    }
  }
}

static int ocl_info(int index, sq_device_info *o) {
  int rc = check_index(index);
  if (rc) return rc;
  const cl_entry *e = &devices[index];
  cl_device_id d = e->device;
  memset(o, 0, sizeof *o);
  snprintf(o->backend, sizeof o->backend, "opencl");
  dev_str(d, CL_DEVICE_NAME, o->name, sizeof o->name);
  dev_str(d, CL_DEVICE_VENDOR, o->vendor, sizeof o->vendor);
  dev_str(d, CL_DRIVER_VERSION, o->driver, sizeof o->driver);
  if (clGetPlatformInfo(e->platform, CL_PLATFORM_NAME, sizeof o->platform, o->platform, NULL) != CL_SUCCESS)
    o->platform[0] = 0;
  o->platform[sizeof o->platform - 1] = 0;
  cl_device_type type = 0;
  if (clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL) != CL_SUCCESS) type = 0;
  o->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
  if (has_extension(d, "cl_amd_device_attribute_query")) {
    char board[128];
    dev_str(d, SQ_CL_DEVICE_BOARD_NAME_AMD, board, sizeof board);
    /* Keep the gfx name for the arch below, but show the board name. */
    if (board[0] && !strncmp(o->name, "gfx", 3)) {
      snprintf(o->arch, sizeof o->arch, "%.*s", (int)strcspn(o->name, ": "), o->name);
      snprintf(o->name, sizeof o->name, "%s", board);
    }
  }
  o->compute_units = (int)dev_uint(d, CL_DEVICE_MAX_COMPUTE_UNITS);
  o->clock_mhz = (int)dev_uint(d, CL_DEVICE_MAX_CLOCK_FREQUENCY);
  o->global_mem = dev_u64(d, CL_DEVICE_GLOBAL_MEM_SIZE);
  o->free_mem = o->global_mem;
  cl_bool unified = CL_FALSE;
  o->host_unified = clGetDeviceInfo(d, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL) == CL_SUCCESS &&
                    unified;
  o->local_mem = dev_u64(d, CL_DEVICE_LOCAL_MEM_SIZE);
  o->cache_bytes = dev_u64(d, CL_DEVICE_GLOBAL_MEM_CACHE_SIZE);
  o->max_alloc = dev_u64(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
  size_t wg = 0, dims[3] = {0, 0, 0};
  if (clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL) == CL_SUCCESS) o->max_wg = wg;
  cl_uint ndims = dev_uint(d, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS);
  if (ndims >= 3 && clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof dims, dims, NULL) == CL_SUCCESS)
    memcpy(o->max_wg_dims, dims, sizeof dims);
  o->fp64 = dev_u64(d, CL_DEVICE_DOUBLE_FP_CONFIG) != 0 || has_extension(d, "cl_khr_fp64");
  o->fp16 = has_extension(d, "cl_khr_fp16");
  if (!o->arch[0]) fill_arch(e, o);
  fill_pci(d, o);
  return 0;
}

/* ---- open / close -------------------------------------------------------- */

typedef struct ocl_impl {
  cl_context ctx;
  cl_command_queue q;
  cl_device_id dev;
  int timing;            /* between timer_begin and timer_end */
  cl_event first, last;  /* first and latest launch since timer_begin */
  int unified;           /* device memory is the host's (CL_DEVICE_HOST_UNIFIED_MEMORY) */
} ocl_impl;

static int ocl_open(int index, void **impl) {
  int rc = check_index(index);
  if (rc) return rc;
  cl_int err;
  ocl_impl *c = calloc(1, sizeof *c);
  if (!c) return sq_fail(SQ_ENOMEM, "opencl: out of memory opening device %d", index);
  c->dev = devices[index].device;
  cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)devices[index].platform, 0};
  c->ctx = clCreateContext(props, 1, &c->dev, NULL, NULL, &err);
  if (!c->ctx) {
    free(c);
    return CL_FAIL(SQ_EBACKEND, "clCreateContext", err);
  }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  /* clCreateCommandQueue is the 1.2 call; it still works on 2.x/3.x. */
  c->q = clCreateCommandQueue(c->ctx, c->dev, CL_QUEUE_PROFILING_ENABLE, &err);
#pragma GCC diagnostic pop
  if (!c->q) {
    clReleaseContext(c->ctx);
    free(c);
    return CL_FAIL(SQ_EBACKEND, "clCreateCommandQueue", err);
  }
  cl_bool unified = CL_FALSE;
  c->unified = clGetDeviceInfo(c->dev, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified, NULL) == CL_SUCCESS &&
               unified;
  *impl = c;
  return 0;
}

static void drop_events(ocl_impl *c) {
  if (c->last && c->last != c->first) clReleaseEvent(c->last);
  if (c->first) clReleaseEvent(c->first);
  c->first = c->last = NULL;
}

static void ocl_close(void *impl) {
  ocl_impl *c = impl;
  if (!c) return;
  clFinish(c->q);
  drop_events(c);
  clReleaseCommandQueue(c->q);
  clReleaseContext(c->ctx);
  free(c);
}

/* ---- buffers ------------------------------------------------------------- */

static int ocl_alloc(void *impl, size_t bytes, sq_buf *out) {
  ocl_impl *c = impl;
  cl_int err;
  /* A zero-byte buffer is invalid in OpenCL; give it one word. */
  cl_mem m = clCreateBuffer(c->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
  if (!m) return sq_fail(err == CL_INVALID_BUFFER_SIZE ? SQ_ELIMITS : SQ_ENOMEM, "clCreateBuffer(%zu bytes): %s",
                         bytes, cl_err_name(err));
  out->h = m;
  out->bytes = bytes;
  return 0;
}

static int ocl_wrap(void *impl, void *host, size_t bytes, sq_buf *out) {
  ocl_impl *c = impl;
  if (!c->unified || !bytes) return SQ_EUNSUPPORTED;
  cl_int err;
  cl_mem m = clCreateBuffer(c->ctx, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR, bytes, host, &err);
  if (!m) return SQ_EUNSUPPORTED;   /* the caller allocates and writes instead */
  out->h = m;
  out->bytes = bytes;
  return 0;
}

static void ocl_free(void *impl, sq_buf *buf) {
  if (buf && buf->h) clReleaseMemObject((cl_mem)buf->h);
  if (buf) {
    buf->h = NULL;
    buf->bytes = 0;
  }
}

static int range_ok(const sq_buf *buf, size_t offset, size_t bytes, const char *what) {
  if (!buf || !buf->h) return sq_fail(SQ_EINVAL, "opencl %s: no buffer", what);
  if (offset > buf->bytes || bytes > buf->bytes - offset)
    return sq_fail(SQ_EINVAL, "opencl %s: range [%zu, +%zu) is outside the %zu-byte buffer", what, offset,
                   bytes, buf->bytes);
  return 0;
}

static int ocl_write(void *impl, sq_buf *buf, size_t offset, const void *src, size_t bytes) {
  ocl_impl *c = impl;
  int rc = range_ok(buf, offset, bytes, "write");
  if (rc || !bytes) return rc;
  cl_int err = clEnqueueWriteBuffer(c->q, (cl_mem)buf->h, CL_TRUE, offset, bytes, src, 0, NULL, NULL);
  return err == CL_SUCCESS ? 0 : CL_FAIL(SQ_EBACKEND, "clEnqueueWriteBuffer", err);
}

static int ocl_read(void *impl, const sq_buf *buf, size_t offset, void *dst, size_t bytes) {
  ocl_impl *c = impl;
  int rc = range_ok(buf, offset, bytes, "read");
  if (rc || !bytes) return rc;
  cl_int err = clEnqueueReadBuffer(c->q, (cl_mem)buf->h, CL_TRUE, offset, bytes, dst, 0, NULL, NULL);
  return err == CL_SUCCESS ? 0 : CL_FAIL(SQ_EBACKEND, "clEnqueueReadBuffer", err);
}

static int ocl_fill(void *impl, sq_buf *buf, uint8_t byte) {
  ocl_impl *c = impl;
  if (!buf || !buf->h) return sq_fail(SQ_EINVAL, "opencl fill: no buffer");
  if (!buf->bytes) return 0;
  cl_int err = clEnqueueFillBuffer(c->q, (cl_mem)buf->h, &byte, 1, 0, buf->bytes, 0, NULL, NULL);
  if (err != CL_SUCCESS) return CL_FAIL(SQ_EBACKEND, "clEnqueueFillBuffer", err);
  /* Fill is synchronous for the caller, like write. */
  err = clFinish(c->q);
  return err == CL_SUCCESS ? 0 : CL_FAIL(SQ_EBACKEND, "clFinish", err);
}

/* ---- programs -------------------------------------------------------------- */

/* Kernel objects of one program, created on first use by entry name. */
typedef struct kcache {
  pthread_mutex_t lock;
  int n;
  char **names;
  cl_kernel *kernels;
} kcache;

static char *build_log(cl_program p, cl_device_id d) {
  size_t n = 0;
  if (clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, 0, NULL, &n) != CL_SUCCESS || !n) return NULL;
  char *s = malloc(n + 1);
  if (!s) return NULL;
  if (clGetProgramBuildInfo(p, d, CL_PROGRAM_BUILD_LOG, n, s, NULL) != CL_SUCCESS) {
    free(s);
    return NULL;
  }
  s[n] = 0;
  return s;
}

static int ocl_build(void *impl, const char *source, const char *defines, sq_prog *out, char **log) {
  ocl_impl *c = impl;
  if (log) *log = NULL;
  out->h = out->impl = NULL;
  if (!source) return sq_fail(SQ_EINVAL, "opencl build: no source text");
  const char *parts[5] = {sq_src_prelude_opencl, "\n", sq_src_tiles, "\n", source};
  cl_int err;
  cl_program p = clCreateProgramWithSource(c->ctx, 5, parts, NULL, &err);
  if (!p) return CL_FAIL(SQ_EBACKEND, "clCreateProgramWithSource", err);
  size_t dlen = defines ? strlen(defines) : 0;
  char *opts = malloc(dlen + 32);
  if (!opts) {
    clReleaseProgram(p);
    return sq_fail(SQ_ENOMEM, "opencl build: out of memory");
  }
  snprintf(opts, dlen + 32, "%s%s-cl-std=CL1.2", dlen ? defines : "", dlen ? " " : "");
  err = clBuildProgram(p, 1, &c->dev, opts, NULL, NULL);
  free(opts);
  if (err != CL_SUCCESS) {
    char *l = build_log(p, c->dev);
    if (log) *log = l;
    else free(l);
    clReleaseProgram(p);
    return CL_FAIL(err == CL_INVALID_BUILD_OPTIONS ? SQ_EINVAL : SQ_ECOMPILE, "clBuildProgram", err);
  }
  kcache *kc = calloc(1, sizeof *kc);
  if (!kc) {
    clReleaseProgram(p);
    return sq_fail(SQ_ENOMEM, "opencl build: out of memory");
  }
  pthread_mutex_init(&kc->lock, NULL);
  out->h = p;
  out->impl = kc;
  return 0;
}

static int get_kernel(sq_prog *prog, const char *entry, cl_kernel *out) {
  kcache *kc = prog->impl;
  if (!prog->h || !kc) return sq_fail(SQ_EINVAL, "opencl: program is not built");
  if (!entry) return sq_fail(SQ_EINVAL, "opencl: no entry point named");
  int rc = 0;
  pthread_mutex_lock(&kc->lock);
  for (int i = 0; i < kc->n; i++)
    if (!strcmp(kc->names[i], entry)) {
      *out = kc->kernels[i];
      goto done;
    }
  cl_int err;
  cl_kernel k = clCreateKernel((cl_program)prog->h, entry, &err);
  if (!k) {
    rc = sq_fail(SQ_EBACKEND, "clCreateKernel(%s): %s", entry, cl_err_name(err));
    goto done;
  }
  char **names = realloc(kc->names, (size_t)(kc->n + 1) * sizeof *names);
  if (names) kc->names = names;
  cl_kernel *ks = realloc(kc->kernels, (size_t)(kc->n + 1) * sizeof *ks);
  if (ks) kc->kernels = ks;
  char *name = strdup(entry);
  if (!names || !ks || !name) {
    free(name);
    clReleaseKernel(k);
    rc = sq_fail(SQ_ENOMEM, "opencl: out of memory caching kernel %s", entry);
    goto done;
  }
  kc->names[kc->n] = name;
  kc->kernels[kc->n++] = k;
  *out = k;
done:
  pthread_mutex_unlock(&kc->lock);
  return rc;
}

static int ocl_limits(void *impl, sq_prog *prog, const char *entry, sq_kernel_limits *out) {
  ocl_impl *c = impl;
  cl_kernel k;
  int rc = get_kernel(prog, entry, &k);
  if (rc) return rc;
  size_t wg = 0;
  cl_ulong lm = 0;
  cl_int err = clGetKernelWorkGroupInfo(k, c->dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
  if (err != CL_SUCCESS) return CL_FAIL(SQ_EBACKEND, "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE)", err);
  err = clGetKernelWorkGroupInfo(k, c->dev, CL_KERNEL_LOCAL_MEM_SIZE, sizeof lm, &lm, NULL);
  if (err != CL_SUCCESS) return CL_FAIL(SQ_EBACKEND, "clGetKernelWorkGroupInfo(CL_KERNEL_LOCAL_MEM_SIZE)", err);
  out->max_wg = wg;
  out->local_mem = (size_t)lm;
  out->registers = 0;
  return 0;
}

static void ocl_release(void *impl, sq_prog *prog) {
  if (!prog) return;
  kcache *kc = prog->impl;
  if (kc) {
    for (int i = 0; i < kc->n; i++) {
      clReleaseKernel(kc->kernels[i]);
      free(kc->names[i]);
    }
    free(kc->names);
    free(kc->kernels);
    pthread_mutex_destroy(&kc->lock);
    free(kc);
  }
  if (prog->h) clReleaseProgram((cl_program)prog->h);
  prog->h = prog->impl = NULL;
}

/* ---- launch and timing ----------------------------------------------------- */

static int set_args(cl_kernel k, const sq_launch *l, sq_buf *const *bufs) {
  for (int i = 0; i < l->nargs; i++) {
    const sq_arg *a = &l->args[i];
    cl_int err;
    if (a->kind == SQ_ARG_BUF) {
      if (a->slot < 0 || a->slot >= SQ_NSLOTS || !bufs || !bufs[a->slot] || !bufs[a->slot]->h)
        return sq_fail(SQ_EINVAL, "opencl launch %s: argument %d names buffer slot %d, which is not bound",
                       l->entry, i, a->slot);
      cl_mem m = (cl_mem)bufs[a->slot]->h;
      err = clSetKernelArg(k, (cl_uint)i, sizeof m, &m);
    } else if (a->kind == SQ_ARG_I32) {
      cl_int v = a->i;
      err = clSetKernelArg(k, (cl_uint)i, sizeof v, &v);
    } else {
      cl_float v = a->f;
      err = clSetKernelArg(k, (cl_uint)i, sizeof v, &v);
    }
    if (err != CL_SUCCESS)
      return sq_fail(SQ_ELAUNCH, "clSetKernelArg(%s, %d): %s", l->entry, i, cl_err_name(err));
  }
  return 0;
}

/* Keeps a launch's event as the first or the latest of the timed span. */
static void keep_event(ocl_impl *c, cl_event ev) {
  if (!ev) return;
  if (!c->first) c->first = ev;
  else if (c->last && c->last != c->first) clReleaseEvent(c->last);
  c->last = ev;
}

static cl_mem gemm_mem(sq_buf *const *bufs, int slot) {
  return slot >= 0 && slot < SQ_NSLOTS && bufs && bufs[slot] ? (cl_mem)bufs[slot]->h : NULL;
}

/* A vendor GEMM step through CLBlast. CLBlast gives the event of its last
 * kernel only, and may run others before it (padding, transposes): a
 * marker ahead of it starts the timed span when it comes first. */
static int ocl_gemm(ocl_impl *c, const sq_launch *l, sq_buf *const *bufs) {
  const sq_gemm *g = &l->gemm;
  cl_mem a = gemm_mem(bufs, g->a), b = gemm_mem(bufs, g->b), m = gemm_mem(bufs, g->c);
  if (!a || !b || !m) return sq_fail(SQ_EINVAL, "opencl GEMM: a buffer slot (%d, %d, %d) is not bound", g->a, g->b, g->c);
  if (c->timing && !c->first) {
    cl_event mark = NULL;
    cl_int err = clEnqueueMarkerWithWaitList(c->q, 0, NULL, &mark);
    if (err != CL_SUCCESS) return CL_FAIL(SQ_ELAUNCH, "clEnqueueMarkerWithWaitList", err);
    keep_event(c, mark);
  }
  cl_event ev = NULL;
  int rc = sq_clblast_gemm(&c->q, g, a, b, m, c->timing ? &ev : NULL);
  if (!rc) keep_event(c, ev);
  return rc;
}

static int ocl_launch(void *impl, sq_prog *prog, const sq_launch *l, sq_buf *const *bufs) {
  ocl_impl *c = impl;
  if (l->gemm.batch) return ocl_gemm(c, l, bufs);
  cl_kernel k;
  int rc = get_kernel(prog, l->entry, &k);
  if (rc) return rc;
  if ((rc = set_args(k, l, bufs))) return rc;
  size_t g[3], lo[3];
  cl_uint dims = 1;
  for (int d = 0; d < 3; d++) {
    g[d] = l->global[d] ? l->global[d] : 1;
    lo[d] = l->local[d] ? l->local[d] : 1;
    if (g[d] % lo[d])
      return sq_fail(SQ_EINVAL, "opencl launch %s: global size %zu is not a multiple of local size %zu (dim %d)",
                     l->entry, g[d], lo[d], d);
    if (d > 0 && (g[d] > 1 || lo[d] > 1)) dims = (cl_uint)d + 1;
  }
  cl_event ev = NULL;
  cl_int err = clEnqueueNDRangeKernel(c->q, k, dims, NULL, g, lo, 0, NULL, c->timing ? &ev : NULL);
  if (err != CL_SUCCESS)
    return sq_fail(err == CL_INVALID_WORK_GROUP_SIZE || err == CL_OUT_OF_RESOURCES ? SQ_ELIMITS : SQ_ELAUNCH,
                   "clEnqueueNDRangeKernel(%s, global %zux%zux%zu, local %zux%zux%zu): %s", l->entry, g[0], g[1],
                   g[2], lo[0], lo[1], lo[2], cl_err_name(err));
  keep_event(c, ev);
  return 0;
}

static int ocl_timer_begin(void *impl) {
  ocl_impl *c = impl;
  drop_events(c);
  c->timing = 1;
  return 0;
}

static int ocl_timer_end(void *impl, double *ms) {
  ocl_impl *c = impl;
  if (!c->timing) return sq_fail(SQ_EINVAL, "opencl: timer_end without timer_begin");
  c->timing = 0;
  *ms = 0;
  if (!c->first) return 0;  /* nothing was launched: no device time */
  cl_int err = clWaitForEvents(1, &c->last);
  if (err != CL_SUCCESS) {
    drop_events(c);
    return CL_FAIL(SQ_ELAUNCH, "clWaitForEvents", err);
  }
  cl_ulong t0 = 0, t1 = 0;
  err = clGetEventProfilingInfo(c->first, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
  if (err == CL_SUCCESS) err = clGetEventProfilingInfo(c->last, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
  drop_events(c);
  if (err != CL_SUCCESS) return CL_FAIL(SQ_EBACKEND, "clGetEventProfilingInfo", err);
  *ms = t1 > t0 ? (double)(t1 - t0) * 1e-6 : 0.0;
  return 0;
}

static int ocl_finish(void *impl) {
  ocl_impl *c = impl;
  cl_int err = clFinish(c->q);
  return err == CL_SUCCESS ? 0 : CL_FAIL(SQ_ELAUNCH, "clFinish", err);
}

const sq_backend sq_backend_opencl = {
  .abi = SQ_BACKEND_ABI,
  .name = "opencl",
  .init = ocl_init,
  .device_count = ocl_count,
  .device_info = ocl_info,
  .open = ocl_open,
  .close = ocl_close,
  .alloc = ocl_alloc,
  .free = ocl_free,
  .write = ocl_write,
  .read = ocl_read,
  .fill = ocl_fill,
  .build = ocl_build,
  .kernel_limits = ocl_limits,
  .release = ocl_release,
  .launch = ocl_launch,
  .timer_begin = ocl_timer_begin,
  .timer_end = ocl_timer_end,
  .finish = ocl_finish,
  .fini = ocl_fini,
  .wrap = ocl_wrap,
};
