/* SPDX-License-Identifier: BSD-3-Clause */
/* The host's topology: packages, cores, hardware threads, NUMA nodes and
 * last-level cache, from hwloc where subquad was built with it and from
 * sysconf otherwise, plus the NUMA node nearest a GPU given its PCI bus id
 * (hwloc only). Results record it so a number can be traced to its host. */
#ifndef SQ_TOPOLOGY_H
#define SQ_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

typedef struct sq_topology {
  char source[16];       /* "hwloc" or "sysconf" */
  int packages;          /* sockets; 0 when unknown */
  int cores;             /* physical cores */
  int pus;               /* hardware threads (processing units) */
  int numa_nodes;        /* 1 when the host is not NUMA or it is unknown */
  uint64_t l3_bytes;     /* largest L3 (else last-level) cache, 0 when unknown */
  uint64_t l2_bytes;     /* L2 of one core, 0 when unknown */
  uint64_t memory;       /* physical memory, bytes */
} sq_topology;

/* Fills *out; never fails (unknown fields stay 0), returns 0. */
int sq_topology_get(sq_topology *out);

/* Bytes of host memory available now without swapping (MemAvailable, which
 * counts reclaimable page cache; else the free pages), 0 when unknown.
 * SUBQUAD_HOST_MEMORY (bytes, or with a K, M or G suffix) replaces the
 * probe: a share of a node to plan within, or a fixed host for tests. */
uint64_t sq_host_memory_available(void);
/* SUBQUAD_HOST_MEMORY: 1 and *bytes when set and valid, 0 when unset, -1
 * when malformed (the command line refuses to start). */
int sq_host_memory_cap(uint64_t *bytes);

/* The OS index of the NUMA node nearest the PCI device "0000:17:00.0",
 * -1 when unknown (no hwloc, hwloc does not see the device, or one node). */
int sq_topology_gpu_numa(const char *pci_bus_id);

/* Binds the calling process's threads and future memory to NUMA node
 * `node` (OS index; hwloc only), or its threads to every core of the host
 * when node < 0: 0, or non-zero with why filled. */
int sq_topology_bind_numa(int node, char *why, size_t n);

#endif
