/* SPDX-License-Identifier: BSD-3-Clause */
/* Host topology (see topology.h). hwloc gives the real picture, including
 * PCI locality; without it, sysconf still gives PUs, memory and caches, and
 * cores/packages are taken from /proc/cpuinfo when it is there. The hwloc
 * topology is loaded once per process, since loading it with I/O devices
 * costs tens of milliseconds. */
#include "config.h"
#include "harness/topology.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef SQ_HAVE_HWLOC
#include <hwloc.h>
#endif

static void sysconf_topology(sq_topology *t) {
  snprintf(t->source, sizeof t->source, "sysconf");
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  t->pus = n > 0 ? (int)n : 1;
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  if (pages > 0 && psz > 0) t->memory = (uint64_t)pages * (uint64_t)psz;
#ifdef _SC_LEVEL3_CACHE_SIZE
  long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l3 > 0) t->l3_bytes = (uint64_t)l3;
#endif
#ifdef _SC_LEVEL2_CACHE_SIZE
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 > 0) t->l2_bytes = (uint64_t)l2;
  if (!t->l3_bytes && l2 > 0) t->l3_bytes = (uint64_t)l2;
#endif
  /* Cores and packages: distinct "physical id" and "core id" pairs. */
  FILE *f = fopen("/proc/cpuinfo", "r");
  int phys = -1, maxphys = -1, ncore = 0;
  unsigned char seen[16 * 256] = {0};
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    int v;
    if (sscanf(line, "physical id : %d", &v) == 1) {
      phys = v;
      if (v > maxphys) maxphys = v;
    } else if (sscanf(line, "core id : %d", &v) == 1 && phys >= 0 && phys < 16 && v >= 0 && v < 256) {
      if (!seen[phys * 256 + v]) {
        seen[phys * 256 + v] = 1;
        ncore++;
      }
    }
  }
  if (f) fclose(f);
  t->packages = maxphys >= 0 ? maxphys + 1 : 1;
  t->cores = ncore > 0 ? ncore : t->pus;
  t->numa_nodes = 1;
}

#ifdef SQ_HAVE_HWLOC
static hwloc_topology_t topo;
static int topo_ok;
static pthread_once_t topo_once = PTHREAD_ONCE_INIT;

static void load_topology(void) {
  if (hwloc_topology_init(&topo) < 0) return;
  /* Keep PCI devices so GPUs can be placed relative to NUMA nodes. */
  hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  if (hwloc_topology_load(topo) < 0) {
    hwloc_topology_destroy(topo);
    return;
  }
  topo_ok = 1;
}

/* The process keeps the topology until exit; this destructor frees it so a
 * leak checker sees a clean exit. */
__attribute__((destructor)) static void unload_topology(void) {
  if (topo_ok) hwloc_topology_destroy(topo);
  topo_ok = 0;
}

static uint64_t largest_cache(hwloc_obj_type_t type) {
  uint64_t best = 0;
  int n = hwloc_get_nbobjs_by_type(topo, type);
  for (int i = 0; i < n; i++) {
    hwloc_obj_t o = hwloc_get_obj_by_type(topo, type, i);
    if (o && o->attr && o->attr->cache.size > best) best = o->attr->cache.size;
  }
  return best;
}
#endif

int sq_topology_get(sq_topology *out) {
  memset(out, 0, sizeof *out);
  sysconf_topology(out);
#ifdef SQ_HAVE_HWLOC
  pthread_once(&topo_once, load_topology);
  if (!topo_ok) return 0;
  snprintf(out->source, sizeof out->source, "hwloc");
  int n;
  if ((n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE)) > 0) out->packages = n;
  if ((n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE)) > 0) out->cores = n;
  if ((n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU)) > 0) out->pus = n;
  n = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  out->numa_nodes = n > 0 ? n : 1;
  uint64_t l3 = largest_cache(HWLOC_OBJ_L3CACHE), l2 = largest_cache(HWLOC_OBJ_L2CACHE);
  if (l3) out->l3_bytes = l3;
  else if (l2) out->l3_bytes = l2;
  if (l2) out->l2_bytes = l2;
  hwloc_obj_t root = hwloc_get_root_obj(topo);
  if (root && root->total_memory) out->memory = root->total_memory;
#endif
  return 0;
}

int sq_topology_gpu_numa(const char *pci_bus_id) {
#ifdef SQ_HAVE_HWLOC
  if (!pci_bus_id || !*pci_bus_id) return -1;
  pthread_once(&topo_once, load_topology);
  if (!topo_ok) return -1;
  hwloc_obj_t pci = hwloc_get_pcidev_by_busidstring(topo, pci_bus_id);
  if (!pci) return -1;
  hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(topo, pci);
  if (!anc || !anc->nodeset) return -1;
  int node = hwloc_bitmap_first(anc->nodeset);
  return node >= 0 ? node : -1;
#else
  (void)pci_bus_id;
  return -1;
#endif
}

int sq_topology_bind_numa(int node, char *why, size_t n) {
#ifdef SQ_HAVE_HWLOC
  pthread_once(&topo_once, load_topology);
  if (!topo_ok) return snprintf(why, n, "hwloc could not load the topology"), -1;
  if (node < 0) {
    /* The whole machine: undoes a launcher's binding to one core. */
    hwloc_obj_t root = hwloc_get_root_obj(topo);
    if (hwloc_set_cpubind(topo, root->cpuset, HWLOC_CPUBIND_PROCESS) < 0)
      return snprintf(why, n, "binding the threads failed"), -1;
    return 0;
  }
  hwloc_obj_t numa = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)node);
  if (!numa || !numa->cpuset) return snprintf(why, n, "no NUMA node %d", node), -1;
  if (hwloc_set_cpubind(topo, numa->cpuset, HWLOC_CPUBIND_PROCESS) < 0)
    return snprintf(why, n, "binding the threads failed"), -1;
  /* Memory first touched from now on comes from the node; a failure here
   * (no NUMA support in the kernel) leaves the threads bound. */
  hwloc_set_membind(topo, numa->nodeset, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_PROCESS | HWLOC_MEMBIND_BYNODESET);
  return 0;
#else
  snprintf(why, n, "built without hwloc");
  return -1;
#endif
}

int sq_host_memory_cap(uint64_t *bytes) {
  const char *cap = getenv("SUBQUAD_HOST_MEMORY");
  if (!cap) return 0;
  char *end;
  double v = strtod(cap, &end), unit = 1;
  if (*end == 'K') unit = 1024.0;
  if (*end == 'M') unit = 1048576.0;
  if (*end == 'G') unit = 1073741824.0;
  if (unit > 1) end++;
  if (end == cap || *end || !(v > 0) || v * unit > 1e18) return -1;
  *bytes = (uint64_t)(v * unit);
  return 1;
}

uint64_t sq_host_memory_available(void) {
  uint64_t cap;
  if (sq_host_memory_cap(&cap) == 1) return cap;
  FILE *f = fopen("/proc/meminfo", "r");
  char line[128];
  unsigned long long kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
  if (f) fclose(f);
  if (kib) return (uint64_t)kib * 1024;
  long avail = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  return avail > 0 && psz > 0 ? (uint64_t)avail * (uint64_t)psz : 0;
}
