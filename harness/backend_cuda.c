/* SPDX-License-Identifier: BSD-3-Clause */
/* The `cuda` backend: the CUDA driver API, NVRTC and NVML, all opened with
 * dlopen at run time so one subquad binary runs with and without NVIDIA
 * drivers. Function-pointer types come from the toolkit's own prototypes
 * (__typeof__ of the header's declaration), and each symbol is looked up by
 * the name the header maps it to (cuMemAlloc -> cuMemAlloc_v2), so the
 * calling convention always matches the versioned export. A missing
 * libcuda, a failing cuInit or no device means zero devices, never an error.
 *
 * Kernels are the CUDA prelude plus the dialect text, compiled by NVRTC to
 * PTX for the device's compute capability and JIT-loaded by the driver.
 * Devices use their primary context; every entry point makes it current on
 * the calling thread, so builds on a thread pool work. */
#include "config.h"

#include <cuda.h>
#include <dlfcn.h>
#include <nvrtc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "harness/backend.h"
#include "harness/dynlib.h"
#include "harness/vendor_blas.h"
#include "harness/cuda_compile.h"
#include "kernels/sources.h"

#define SQ_STR_(x) #x
#define SQ_STR(x) SQ_STR_(x)

/* ---- the driver API ---------------------------------------------------- */

#define CU_FUNCS(X)                                                                         \
  X(cuInit) X(cuDriverGetVersion) X(cuDeviceGetCount) X(cuDeviceGet) X(cuDeviceGetName)     \
  X(cuDeviceGetAttribute) X(cuDeviceTotalMem) X(cuDeviceGetPCIBusId)                       \
  X(cuDevicePrimaryCtxRetain) X(cuDevicePrimaryCtxRelease) X(cuCtxSetCurrent)               \
  X(cuCtxSynchronize) X(cuMemGetInfo) X(cuMemAlloc) X(cuMemFree) X(cuMemcpyHtoD)            \
  X(cuMemcpyDtoH) X(cuMemsetD8) X(cuModuleLoadDataEx) X(cuModuleUnload)                     \
  X(cuModuleGetFunction) X(cuFuncGetAttribute) X(cuLaunchKernel) X(cuEventCreate)           \
  X(cuEventRecord) X(cuEventSynchronize) X(cuEventElapsedTime) X(cuEventDestroy)            \
  X(cuGetErrorName)

#define NVRTC_FUNCS(X)                                                                      \
  X(nvrtcVersion) X(nvrtcCreateProgram) X(nvrtcCompileProgram) X(nvrtcGetPTXSize)           \
  X(nvrtcGetPTX) X(nvrtcGetProgramLogSize) X(nvrtcGetProgramLog) X(nvrtcDestroyProgram)     \
  X(nvrtcGetErrorString)

#define SQ_FIELD(f) __typeof__(f) *f;
static struct {
  void *lib;
  CU_FUNCS(SQ_FIELD)
} cu;
static struct {
  void *lib;
  int major, minor;
  NVRTC_FUNCS(SQ_FIELD)
} nv;
#undef SQ_FIELD

/* NVML has no header in the toolkit; these are its stable C signatures. */
typedef int nvml_ret;
typedef struct nvml_dev_st *nvml_dev;
static struct {
  void *lib;
  nvml_ret (*init)(void);
  nvml_ret (*shutdown)(void);
  nvml_ret (*by_pci)(const char *, nvml_dev *);
  nvml_ret (*max_clock)(nvml_dev, int, unsigned *);
  nvml_ret (*clock)(nvml_dev, int, unsigned *);
  nvml_ret (*power)(nvml_dev, unsigned *);
  nvml_ret (*temperature)(nvml_dev, int, unsigned *);
  nvml_ret (*driver_version)(char *, unsigned);
} nvml;
enum { NVML_CLOCK_SM = 1, NVML_TEMPERATURE_GPU = 0 };

static int ndevices;
static int initialised;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *cu_err(CUresult r) {
  const char *s = NULL;
  if (cu.cuGetErrorName && cu.cuGetErrorName(r, &s) == CUDA_SUCCESS && s) return s;
  return "CUDA_ERROR_UNKNOWN";
}

#define CU_FAIL(code, call, r) sq_fail(code, "%s: %s (%d)", call, cu_err(r), (int)(r))

static void *sym(void *lib, const char *name, const char *fallback) {
  void *p = dlsym(lib, name);
  if (!p && fallback) p = dlsym(lib, fallback);
  return p;
}

/* Resolves every driver symbol. cuEventElapsedTime_v2 only exists in
 * 12.8+ drivers; the older unversioned export has the same signature. */
static int load_driver_symbols(void) {
#define SQ_LOAD(f)                                                                          \
  cu.f = (__typeof__(cu.f))sym(cu.lib, SQ_STR(f), !strcmp(SQ_STR(f), "cuEventElapsedTime_v2") \
                                                    ? "cuEventElapsedTime" : NULL);         \
  if (!cu.f) return -1;
  CU_FUNCS(SQ_LOAD)
#undef SQ_LOAD
  return 0;
}

static void unload_driver(void) {
  if (cu.lib) dlclose(cu.lib);
  memset(&cu, 0, sizeof cu);
}

static void load_nvml(void) {
  nvml.lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!nvml.lib) return;
  nvml.init = (nvml_ret (*)(void))dlsym(nvml.lib, "nvmlInit_v2");
  nvml.shutdown = (nvml_ret (*)(void))dlsym(nvml.lib, "nvmlShutdown");
  nvml.by_pci = (nvml_ret (*)(const char *, nvml_dev *))dlsym(nvml.lib, "nvmlDeviceGetHandleByPciBusId_v2");
  nvml.max_clock = (nvml_ret (*)(nvml_dev, int, unsigned *))dlsym(nvml.lib, "nvmlDeviceGetMaxClockInfo");
  nvml.clock = (nvml_ret (*)(nvml_dev, int, unsigned *))dlsym(nvml.lib, "nvmlDeviceGetClockInfo");
  nvml.power = (nvml_ret (*)(nvml_dev, unsigned *))dlsym(nvml.lib, "nvmlDeviceGetPowerUsage");
  nvml.temperature = (nvml_ret (*)(nvml_dev, int, unsigned *))dlsym(nvml.lib, "nvmlDeviceGetTemperature");
  nvml.driver_version = (nvml_ret (*)(char *, unsigned))dlsym(nvml.lib, "nvmlSystemGetDriverVersion");
  if (!nvml.init || !nvml.shutdown || !nvml.by_pci || nvml.init() != 0) {
    dlclose(nvml.lib);
    memset(&nvml, 0, sizeof nvml);
  }
}

/* Opens libcuda (SUBQUAD_CUDA_LIBRARY overrides the path, so tests can
 * point it at a missing file or at the toolkit's stub) and counts devices. */
static void load_driver(void) {
  const char *const names[] = {"libcuda.so.1", "libcuda.so", NULL};
  if (!(cu.lib = sq_dlopen_first("SUBQUAD_CUDA_LIBRARY", names, NULL))) return;
  int n = 0;
  if (load_driver_symbols() || cu.cuInit(0) != CUDA_SUCCESS || cu.cuDeviceGetCount(&n) != CUDA_SUCCESS || n <= 0) {
    unload_driver();
    return;
  }
  ndevices = n;
  load_nvml();
}

static int cuda_init(void) {
  pthread_mutex_lock(&init_lock);
  if (!initialised) {
    load_driver();
    initialised = 1;
  }
  pthread_mutex_unlock(&init_lock);
  return 0;
}

static int cuda_count(void) {
  cuda_init();
  return ndevices;
}

static void cuda_fini(void) {
  pthread_mutex_lock(&init_lock);
  if (nvml.lib) {
    nvml.shutdown();
    dlclose(nvml.lib);
    memset(&nvml, 0, sizeof nvml);
  }
  unload_driver();
  ndevices = 0;
  initialised = 0;
  pthread_mutex_unlock(&init_lock);
}

/* ---- NVRTC ------------------------------------------------------------- */

static pthread_once_t nvrtc_once = PTHREAD_ONCE_INIT;

static void load_nvrtc(void) {
  const char *const names[] = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11",
#ifdef SQ_CUDA_HOME
                               SQ_CUDA_HOME "/lib64/libnvrtc.so", SQ_CUDA_HOME "/lib/libnvrtc.so",
#endif
                               NULL};
  if (!(nv.lib = sq_dlopen_first(NULL, names, NULL))) return;
#define SQ_LOAD(f)                                     \
  nv.f = (__typeof__(nv.f))dlsym(nv.lib, SQ_STR(f));   \
  if (!nv.f) goto fail;
  NVRTC_FUNCS(SQ_LOAD)
#undef SQ_LOAD
  if (nv.nvrtcVersion(&nv.major, &nv.minor) != NVRTC_SUCCESS) goto fail;
  return;
fail:
  dlclose(nv.lib);
  memset(&nv, 0, sizeof nv);
}

/* The process keeps NVRTC loaded until exit. */
__attribute__((destructor)) static void unload_nvrtc(void) {
  if (nv.lib) dlclose(nv.lib);
  nv.lib = NULL;
}

const char *sq_cuda_nvrtc_version(void) {
  static char v[16];
  pthread_once(&nvrtc_once, load_nvrtc);
  if (!nv.lib) return "";
  snprintf(v, sizeof v, "%d.%d", nv.major, nv.minor);
  return v;
}

/* Splits "-DA=1 -DB=2" into separate options (NVRTC takes one per entry). */
static int split_defines(const char *defines, char **copy, const char **opts, int max) {
  int n = 0;
  *copy = strdup(defines ? defines : "");
  if (!*copy) return -1;
  for (char *save = NULL, *t = strtok_r(*copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
    if (n >= max) return -1;
    opts[n++] = t;
  }
  return n;
}

static int nvrtc_log(nvrtcProgram p, char **log) {
  size_t n = 0;
  if (!log) return 0;
  *log = NULL;
  if (nv.nvrtcGetProgramLogSize(p, &n) != NVRTC_SUCCESS || n <= 1) return 0;
  *log = malloc(n);
  if (*log && nv.nvrtcGetProgramLog(p, *log) != NVRTC_SUCCESS) {
    free(*log);
    *log = NULL;
  }
  return 0;
}

/* One NVRTC compilation; `include` adds -I<toolkit>/include for NVRTC
 * versions without built-in cuda_fp16.h. */
static int compile_once(const char *text, const char *defines, const char *arch, int include, char **ptx,
                        char **log) {
  enum { MAXOPT = 96 };
  const char *opts[MAXOPT];
  char *copy = NULL, archopt[64], incopt[512];
  int n = split_defines(defines, &copy, opts, MAXOPT - 5);
  if (n < 0) {
    free(copy);
    return sq_fail(SQ_EINVAL, "nvrtc: too many defines in '%s'", defines ? defines : "");
  }
  snprintf(archopt, sizeof archopt, "--gpu-architecture=%s", arch);
  opts[n++] = archopt;
  opts[n++] = "-default-device";
  opts[n++] = "--std=c++14";
  /* The prelude defines helpers a given kernel may not use. */
  opts[n++] = "--diag-suppress=177";
#ifdef SQ_CUDA_HOME
  snprintf(incopt, sizeof incopt, "-I%s/include", SQ_CUDA_HOME);
  if (include) opts[n++] = incopt;
#else
  (void)incopt;
  (void)include;
#endif
  nvrtcProgram p;
  nvrtcResult r = nv.nvrtcCreateProgram(&p, text, "subquad.cu", 0, NULL, NULL);
  if (r != NVRTC_SUCCESS) {
    free(copy);
    return sq_fail(SQ_EBACKEND, "nvrtcCreateProgram: %s", nv.nvrtcGetErrorString(r));
  }
  r = nv.nvrtcCompileProgram(p, n, opts);
  free(copy);
  nvrtc_log(p, log);
  int rc = 0;
  if (r != NVRTC_SUCCESS) {
    rc = sq_fail(r == NVRTC_ERROR_INVALID_OPTION ? SQ_EINVAL : SQ_ECOMPILE, "nvrtcCompileProgram(%s): %s", arch,
                 nv.nvrtcGetErrorString(r));
  } else {
    size_t sz = 0;
    r = nv.nvrtcGetPTXSize(p, &sz);
    *ptx = r == NVRTC_SUCCESS ? malloc(sz + 1) : NULL;
    if (!*ptx || (r = nv.nvrtcGetPTX(p, *ptx)) != NVRTC_SUCCESS) {
      free(*ptx);
      *ptx = NULL;
      rc = r != NVRTC_SUCCESS ? sq_fail(SQ_EBACKEND, "nvrtcGetPTX: %s", nv.nvrtcGetErrorString(r))
                              : sq_fail(SQ_ENOMEM, "nvrtc: out of memory for the PTX");
    } else {
      (*ptx)[sz] = 0;
    }
  }
  nv.nvrtcDestroyProgram(&p);
  return rc;
}

int sq_cuda_compile_ptx(const char *source, const char *defines, const char *arch, char **ptx, char **log) {
  *ptx = NULL;
  if (log) *log = NULL;
  pthread_once(&nvrtc_once, load_nvrtc);
  if (!nv.lib) return sq_fail(SQ_EUNSUPPORTED, "nvrtc: libnvrtc could not be loaded");
  if (!source || !arch) return sq_fail(SQ_EINVAL, "nvrtc: no source text or architecture");
  size_t n = strlen(sq_src_prelude_cuda) + strlen(sq_src_tiles) + strlen(source) + 3;
  char *text = malloc(n);
  if (!text) return sq_fail(SQ_ENOMEM, "nvrtc: out of memory");
  snprintf(text, n, "%s\n%s\n%s", sq_src_prelude_cuda, sq_src_tiles, source);
  char *l = NULL;
  int rc = compile_once(text, defines, arch, 0, ptx, &l);
  /* Older NVRTC lacks the built-in cuda_fp16.h: retry with the toolkit's. */
  if (rc == SQ_ECOMPILE && l && strstr(l, "cuda_fp16.h")) {
    free(l);
    l = NULL;
    rc = compile_once(text, defines, arch, 1, ptx, &l);
  }
  free(text);
  if (log) *log = l;
  else free(l);
  return rc;
}

/* ---- NVML ---------------------------------------------------------------- */

int sq_cuda_sensors(const char *pci_bus_id, int *sm_clock_mhz, int *power_mw, int *temp_c) {
  *sm_clock_mhz = *power_mw = *temp_c = -1;
  cuda_init();
  nvml_dev d;
  if (!nvml.lib) return sq_fail(SQ_EUNSUPPORTED, "nvml: libnvidia-ml is not loaded");
  if (nvml.by_pci(pci_bus_id, &d) != 0) return sq_fail(SQ_ENODEV, "nvml: no GPU at PCI bus id %s", pci_bus_id);
  unsigned v;
  if (nvml.clock && nvml.clock(d, NVML_CLOCK_SM, &v) == 0) *sm_clock_mhz = (int)v;
  if (nvml.power && nvml.power(d, &v) == 0) *power_mw = (int)v;
  if (nvml.temperature && nvml.temperature(d, NVML_TEMPERATURE_GPU, &v) == 0) *temp_c = (int)v;
  return 0;
}

/* ---- device info ----------------------------------------------------------- */

static int check_index(int index) {
  cuda_init();
  if (index < 0 || index >= ndevices)
    return sq_fail(SQ_ENODEV, "cuda: no device %d (%d device%s)", index, ndevices, ndevices == 1 ? "" : "s");
  return 0;
}

static int attr(CUdevice d, CUdevice_attribute a) {
  int v = 0;
  return cu.cuDeviceGetAttribute(&v, a, d) == CUDA_SUCCESS ? v : 0;
}

static int cuda_info(int index, sq_device_info *o) {
  int rc = check_index(index);
  if (rc) return rc;
  CUdevice d;
  CUresult r = cu.cuDeviceGet(&d, index);
  if (r != CUDA_SUCCESS) return CU_FAIL(SQ_EBACKEND, "cuDeviceGet", r);
  memset(o, 0, sizeof *o);
  snprintf(o->backend, sizeof o->backend, "cuda");
  if ((r = cu.cuDeviceGetName(o->name, (int)sizeof o->name, d)) != CUDA_SUCCESS)
    return CU_FAIL(SQ_EBACKEND, "cuDeviceGetName", r);
  snprintf(o->vendor, sizeof o->vendor, "NVIDIA Corporation");
  int ver = 0;
  cu.cuDriverGetVersion(&ver);
  snprintf(o->platform, sizeof o->platform, "CUDA %d.%d", ver / 1000, ver % 1000 / 10);
  char dv[64] = "";
  if (nvml.driver_version && nvml.driver_version(dv, sizeof dv) == 0) snprintf(o->driver, sizeof o->driver, "%s", dv);
  else snprintf(o->driver, sizeof o->driver, "CUDA driver %d.%d", ver / 1000, ver % 1000 / 10);
  o->cc_major = attr(d, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  o->cc_minor = attr(d, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  snprintf(o->arch, sizeof o->arch, "sm_%d%d", o->cc_major, o->cc_minor);
  char bus[32] = "";
  if (cu.cuDeviceGetPCIBusId(bus, (int)sizeof bus, d) == CUDA_SUCCESS) {
    /* Lower case, 4-digit domain: the form hwloc and sysfs use. */
    for (char *c = bus; *c; c++) *c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
    const char *b = bus;
    if (strlen(bus) == 16 && !strncmp(bus, "0000", 4)) b = bus + 4;  /* "00000000:17:00.0" */
    snprintf(o->pci_bus_id, sizeof o->pci_bus_id, "%s", b);
  }
  o->is_gpu = 1;
  o->compute_units = attr(d, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  o->clock_mhz = attr(d, CU_DEVICE_ATTRIBUTE_CLOCK_RATE) / 1000;
  nvml_dev nd;
  unsigned mhz;
  if (nvml.lib && nvml.max_clock && nvml.by_pci(o->pci_bus_id, &nd) == 0 && nvml.max_clock(nd, NVML_CLOCK_SM, &mhz) == 0)
    o->clock_mhz = (int)mhz;
  size_t total = 0;
  if ((r = cu.cuDeviceTotalMem(&total, d)) != CUDA_SUCCESS) return CU_FAIL(SQ_EBACKEND, "cuDeviceTotalMem", r);
  o->global_mem = total;
  o->free_mem = total;
  o->local_mem = (uint64_t)attr(d, CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
  o->cache_bytes = (uint64_t)attr(d, CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
  o->max_alloc = total;
  o->max_wg = (size_t)attr(d, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK);
  o->max_wg_dims[0] = (size_t)attr(d, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X);
  o->max_wg_dims[1] = (size_t)attr(d, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y);
  o->max_wg_dims[2] = (size_t)attr(d, CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z);
  o->fp64 = 1;
  o->fp16 = o->cc_major * 10 + o->cc_minor >= 53;
  return 0;
}

/* ---- open / close ---------------------------------------------------------- */

typedef struct cuda_impl {
  CUdevice dev;
  CUcontext ctx;
  CUevent start, stop;
  int timing;
  char arch[32];                 /* "compute_90" for NVRTC */
  void *blas;                    /* cuBLAS handle, made at the first GEMM step */
  pthread_mutex_t load_lock;     /* module loads from build threads */
} cuda_impl;

static int make_current(cuda_impl *c) {
  CUresult r = cu.cuCtxSetCurrent(c->ctx);
  return r == CUDA_SUCCESS ? 0 : CU_FAIL(SQ_EBACKEND, "cuCtxSetCurrent", r);
}

static int cuda_open(int index, void **impl) {
  int rc = check_index(index);
  if (rc) return rc;
  cuda_impl *c = calloc(1, sizeof *c);
  if (!c) return sq_fail(SQ_ENOMEM, "cuda: out of memory opening device %d", index);
  CUresult r = cu.cuDeviceGet(&c->dev, index);
  if (r != CUDA_SUCCESS) {
    free(c);
    return CU_FAIL(SQ_EBACKEND, "cuDeviceGet", r);
  }
  if ((r = cu.cuDevicePrimaryCtxRetain(&c->ctx, c->dev)) != CUDA_SUCCESS) {
    free(c);
    return CU_FAIL(SQ_EBACKEND, "cuDevicePrimaryCtxRetain", r);
  }
  if ((rc = make_current(c))) goto fail;
  if ((r = cu.cuEventCreate(&c->start, CU_EVENT_DEFAULT)) != CUDA_SUCCESS) {
    rc = CU_FAIL(SQ_EBACKEND, "cuEventCreate", r);
    goto fail;
  }
  if ((r = cu.cuEventCreate(&c->stop, CU_EVENT_DEFAULT)) != CUDA_SUCCESS) {
    cu.cuEventDestroy(c->start);
    rc = CU_FAIL(SQ_EBACKEND, "cuEventCreate", r);
    goto fail;
  }
  snprintf(c->arch, sizeof c->arch, "compute_%d%d", attr(c->dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
           attr(c->dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
  pthread_mutex_init(&c->load_lock, NULL);
  *impl = c;
  return 0;
fail:
  cu.cuDevicePrimaryCtxRelease(c->dev);
  free(c);
  return rc;
}

static void cuda_close(void *impl) {
  cuda_impl *c = impl;
  if (!c) return;
  if (!make_current(c)) {
    cu.cuCtxSynchronize();
    sq_cublas_destroy(c->blas);
    cu.cuEventDestroy(c->start);
    cu.cuEventDestroy(c->stop);
  }
  cu.cuDevicePrimaryCtxRelease(c->dev);
  pthread_mutex_destroy(&c->load_lock);
  free(c);
}

/* ---- buffers --------------------------------------------------------------- */

static CUdeviceptr dptr(const sq_buf *b) { return (CUdeviceptr)(uintptr_t)b->h; }

static int cuda_alloc(void *impl, size_t bytes, sq_buf *out) {
  int rc = make_current(impl);
  if (rc) return rc;
  CUdeviceptr p = 0;
  CUresult r = cu.cuMemAlloc(&p, bytes ? bytes : 4);
  if (r != CUDA_SUCCESS)
    return sq_fail(r == CUDA_ERROR_OUT_OF_MEMORY ? SQ_ENOMEM : SQ_EBACKEND, "cuMemAlloc(%zu bytes): %s", bytes,
                   cu_err(r));
  out->h = (void *)(uintptr_t)p;
  out->bytes = bytes;
  return 0;
}

static void cuda_free(void *impl, sq_buf *buf) {
  if (!buf) return;
  if (buf->h && !make_current(impl)) cu.cuMemFree(dptr(buf));
  buf->h = NULL;
  buf->bytes = 0;
}

static int range_ok(const sq_buf *buf, size_t offset, size_t bytes, const char *what) {
  if (!buf || !buf->h) return sq_fail(SQ_EINVAL, "cuda %s: no buffer", what);
  if (offset > buf->bytes || bytes > buf->bytes - offset)
    return sq_fail(SQ_EINVAL, "cuda %s: range [%zu, +%zu) is outside the %zu-byte buffer", what, offset, bytes,
                   buf->bytes);
  return 0;
}

static int cuda_write(void *impl, sq_buf *buf, size_t offset, const void *src, size_t bytes) {
  int rc = range_ok(buf, offset, bytes, "write");
  if (rc || !bytes || (rc = make_current(impl))) return rc;
  CUresult r = cu.cuMemcpyHtoD(dptr(buf) + offset, src, bytes);
  return r == CUDA_SUCCESS ? 0 : CU_FAIL(SQ_EBACKEND, "cuMemcpyHtoD", r);
}

static int cuda_read(void *impl, const sq_buf *buf, size_t offset, void *dst, size_t bytes) {
  int rc = range_ok(buf, offset, bytes, "read");
  if (rc || !bytes || (rc = make_current(impl))) return rc;
  CUresult r = cu.cuMemcpyDtoH(dst, dptr(buf) + offset, bytes);
  return r == CUDA_SUCCESS ? 0 : CU_FAIL(SQ_EBACKEND, "cuMemcpyDtoH", r);
}

static int cuda_fill(void *impl, sq_buf *buf, uint8_t byte) {
  if (!buf || !buf->h) return sq_fail(SQ_EINVAL, "cuda fill: no buffer");
  int rc = make_current(impl);
  if (rc || !buf->bytes) return rc;
  CUresult r = cu.cuMemsetD8(dptr(buf), byte, buf->bytes);
  if (r == CUDA_SUCCESS) r = cu.cuCtxSynchronize();
  return r == CUDA_SUCCESS ? 0 : CU_FAIL(SQ_EBACKEND, "cuMemsetD8", r);
}

/* ---- programs ---------------------------------------------------------------- */

typedef struct fcache {
  pthread_mutex_t lock;
  int n;
  char **names;
  CUfunction *fns;
} fcache;

static int cuda_build(void *impl, const char *source, const char *defines, sq_prog *out, char **log) {
  cuda_impl *c = impl;
  out->h = out->impl = NULL;
  if (log) *log = NULL;
  char *ptx = NULL;
  /* NVRTC runs on the calling thread, with no lock: programs are distinct. */
  int rc = sq_cuda_compile_ptx(source, defines, c->arch, &ptx, log);
  if (rc) return rc;
  fcache *fc = calloc(1, sizeof *fc);
  if (!fc) {
    free(ptx);
    return sq_fail(SQ_ENOMEM, "cuda build: out of memory");
  }
  char jitlog[4096] = "";
  CUjit_option opt[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *val[] = {jitlog, (void *)(uintptr_t)sizeof jitlog};
  CUmodule m = NULL;
  CUresult r;
  /* The driver's JIT and module table: one loader at a time per device,
   * with the context current on this (possibly pool) thread. */
  pthread_mutex_lock(&c->load_lock);
  rc = make_current(c);
  r = rc ? CUDA_SUCCESS : cu.cuModuleLoadDataEx(&m, ptx, 2, opt, val);
  pthread_mutex_unlock(&c->load_lock);
  free(ptx);
  if (rc || r != CUDA_SUCCESS) {
    free(fc);
    if (rc) return rc;
    if (log && jitlog[0]) *log = strdup(jitlog);
    return CU_FAIL(r == CUDA_ERROR_INVALID_PTX || r == CUDA_ERROR_INVALID_IMAGE || r == CUDA_ERROR_NO_BINARY_FOR_GPU
                     ? SQ_ECOMPILE : SQ_EBACKEND,
                   "cuModuleLoadDataEx", r);
  }
  pthread_mutex_init(&fc->lock, NULL);
  out->h = m;
  out->impl = fc;
  return 0;
}

static int get_function(cuda_impl *c, sq_prog *prog, const char *entry, CUfunction *out) {
  fcache *fc = prog->impl;
  if (!prog->h || !fc) return sq_fail(SQ_EINVAL, "cuda: program is not built");
  if (!entry) return sq_fail(SQ_EINVAL, "cuda: no entry point named");
  int rc = 0;
  pthread_mutex_lock(&fc->lock);
  for (int i = 0; i < fc->n; i++)
    if (!strcmp(fc->names[i], entry)) {
      *out = fc->fns[i];
      goto done;
    }
  CUfunction f;
  if ((rc = make_current(c))) goto done;
  CUresult r = cu.cuModuleGetFunction(&f, (CUmodule)prog->h, entry);
  if (r != CUDA_SUCCESS) {
    rc = sq_fail(SQ_EBACKEND, "cuModuleGetFunction(%s): %s", entry, cu_err(r));
    goto done;
  }
  char **names = realloc(fc->names, (size_t)(fc->n + 1) * sizeof *names);
  if (names) fc->names = names;
  CUfunction *fns = realloc(fc->fns, (size_t)(fc->n + 1) * sizeof *fns);
  if (fns) fc->fns = fns;
  char *name = strdup(entry);
  if (!names || !fns || !name) {
    free(name);
    rc = sq_fail(SQ_ENOMEM, "cuda: out of memory caching kernel %s", entry);
    goto done;
  }
  fc->names[fc->n] = name;
  fc->fns[fc->n++] = f;
  *out = f;
done:
  pthread_mutex_unlock(&fc->lock);
  return rc;
}

static int cuda_limits(void *impl, sq_prog *prog, const char *entry, sq_kernel_limits *out) {
  CUfunction f;
  int rc = get_function(impl, prog, entry, &f);
  if (rc) return rc;
  int wg = 0, shared = 0, regs = 0;
  CUresult r = cu.cuFuncGetAttribute(&wg, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f);
  if (r == CUDA_SUCCESS) r = cu.cuFuncGetAttribute(&shared, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f);
  if (r == CUDA_SUCCESS) r = cu.cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, f);
  if (r != CUDA_SUCCESS) return CU_FAIL(SQ_EBACKEND, "cuFuncGetAttribute", r);
  out->max_wg = (size_t)wg;
  out->local_mem = (size_t)shared;
  out->registers = regs;
  return 0;
}

static void cuda_release(void *impl, sq_prog *prog) {
  if (!prog) return;
  fcache *fc = prog->impl;
  if (fc) {
    for (int i = 0; i < fc->n; i++) free(fc->names[i]);
    free(fc->names);
    free(fc->fns);
    pthread_mutex_destroy(&fc->lock);
    free(fc);
  }
  if (prog->h && !make_current(impl)) cu.cuModuleUnload((CUmodule)prog->h);
  prog->h = prog->impl = NULL;
}

/* ---- launch and timing ------------------------------------------------------- */

/* A vendor GEMM step through cuBLAS, on the legacy default stream as the
 * kernels, so the timing events bracket it. */
static int cuda_gemm(cuda_impl *c, const sq_launch *l, sq_buf *const *bufs) {
  const sq_gemm *g = &l->gemm;
  const int slots[3] = {g->a, g->b, g->c};
  for (int i = 0; i < 3; i++)
    if (slots[i] < 0 || slots[i] >= SQ_NSLOTS || !bufs || !bufs[slots[i]])
      return sq_fail(SQ_EINVAL, "cuda GEMM: buffer slot %d is not bound", slots[i]);
  int rc = make_current(c);
  if (!rc && !c->blas) rc = sq_cublas_create(&c->blas);
  if (rc) return rc;
  return sq_cublas_gemm(c->blas, g, dptr(bufs[g->a]), dptr(bufs[g->b]), dptr(bufs[g->c]));
}

static int cuda_launch(void *impl, sq_prog *prog, const sq_launch *l, sq_buf *const *bufs) {
  cuda_impl *c = impl;
  if (l->gemm.batch) return cuda_gemm(c, l, bufs);
  CUfunction f;
  int rc = get_function(c, prog, l->entry, &f);
  if (rc) return rc;
  if (l->nargs < 0 || l->nargs > SQ_MAX_ARGS) return sq_fail(SQ_EINVAL, "cuda launch %s: bad argument count", l->entry);
  CUdeviceptr ptrs[SQ_MAX_ARGS];
  int32_t ints[SQ_MAX_ARGS];
  float flts[SQ_MAX_ARGS];
  void *params[SQ_MAX_ARGS];
  for (int i = 0; i < l->nargs; i++) {
    const sq_arg *a = &l->args[i];
    if (a->kind == SQ_ARG_BUF) {
      if (a->slot < 0 || a->slot >= SQ_NSLOTS || !bufs || !bufs[a->slot] || !bufs[a->slot]->h)
        return sq_fail(SQ_EINVAL, "cuda launch %s: argument %d names buffer slot %d, which is not bound", l->entry,
                       i, a->slot);
      ptrs[i] = dptr(bufs[a->slot]);
      params[i] = &ptrs[i];
    } else if (a->kind == SQ_ARG_I32) {
      ints[i] = a->i;
      params[i] = &ints[i];
    } else {
      flts[i] = a->f;
      params[i] = &flts[i];
    }
  }
  unsigned grid[3], block[3];
  for (int d = 0; d < 3; d++) {
    size_t g = l->global[d] ? l->global[d] : 1, b = l->local[d] ? l->local[d] : 1;
    if (g % b)
      return sq_fail(SQ_EINVAL, "cuda launch %s: global size %zu is not a multiple of local size %zu (dim %d)",
                     l->entry, g, b, d);
    grid[d] = (unsigned)(g / b);
    block[d] = (unsigned)b;
  }
  if ((rc = make_current(c))) return rc;
  CUresult r = cu.cuLaunchKernel(f, grid[0], grid[1], grid[2], block[0], block[1], block[2], 0, NULL, params, NULL);
  if (r != CUDA_SUCCESS)
    return sq_fail(r == CUDA_ERROR_INVALID_VALUE || r == CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES ? SQ_ELIMITS : SQ_ELAUNCH,
                   "cuLaunchKernel(%s, grid %ux%ux%u, block %ux%ux%u): %s", l->entry, grid[0], grid[1], grid[2],
                   block[0], block[1], block[2], cu_err(r));
  return 0;
}

static int cuda_timer_begin(void *impl) {
  cuda_impl *c = impl;
  int rc = make_current(c);
  if (rc) return rc;
  CUresult r = cu.cuEventRecord(c->start, NULL);
  if (r != CUDA_SUCCESS) return CU_FAIL(SQ_EBACKEND, "cuEventRecord", r);
  c->timing = 1;
  return 0;
}

static int cuda_timer_end(void *impl, double *ms) {
  cuda_impl *c = impl;
  if (!c->timing) return sq_fail(SQ_EINVAL, "cuda: timer_end without timer_begin");
  c->timing = 0;
  int rc = make_current(c);
  if (rc) return rc;
  CUresult r = cu.cuEventRecord(c->stop, NULL);
  if (r != CUDA_SUCCESS) return CU_FAIL(SQ_EBACKEND, "cuEventRecord", r);
  /* A failed kernel surfaces here as a sticky error. */
  if ((r = cu.cuEventSynchronize(c->stop)) != CUDA_SUCCESS) return CU_FAIL(SQ_ELAUNCH, "cuEventSynchronize", r);
  float f = 0;
  if ((r = cu.cuEventElapsedTime(&f, c->start, c->stop)) != CUDA_SUCCESS)
    return CU_FAIL(SQ_EBACKEND, "cuEventElapsedTime", r);
  *ms = f;
  return 0;
}

static int cuda_finish(void *impl) {
  int rc = make_current(impl);
  if (rc) return rc;
  CUresult r = cu.cuCtxSynchronize();
  return r == CUDA_SUCCESS ? 0 : CU_FAIL(SQ_ELAUNCH, "cuCtxSynchronize", r);
}

const sq_backend sq_backend_cuda = {
  .abi = SQ_BACKEND_ABI,
  .name = "cuda",
  .init = cuda_init,
  .device_count = cuda_count,
  .device_info = cuda_info,
  .open = cuda_open,
  .close = cuda_close,
  .alloc = cuda_alloc,
  .free = cuda_free,
  .write = cuda_write,
  .read = cuda_read,
  .fill = cuda_fill,
  .build = cuda_build,
  .kernel_limits = cuda_limits,
  .release = cuda_release,
  .launch = cuda_launch,
  .timer_begin = cuda_timer_begin,
  .timer_end = cuda_timer_end,
  .finish = cuda_finish,
  .fini = cuda_fini,
};
