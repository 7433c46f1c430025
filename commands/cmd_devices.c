/* SPDX-License-Identifier: BSD-3-Clause */
/* `subquad devices`: every device with its backend, name, vendor, driver,
 * compute units, clock, memories, work-group limit and architecture, then
 * the host topology and the NUMA node nearest each GPU. --peaks measures
 * each device (stream GB/s, f32 GFLOP/s, G exp/s) and prints the figures
 * beside the spec-sheet values of the GPUs we know. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/error.h"
#include "base/json.h"
#include "commands/commands.h"
#include "harness/device.h"
#include "harness/topology.h"

/* Spec-sheet bandwidth and f32 (non-tensor) peak, for context only: the
 * roofline always uses measured peaks. First match of `match` in the
 * device name wins, so the more specific names come first. */
static const struct {
  const char *match;
  double gbs, gflops;
} known_gpus[] = {
  {"H200", 4800, 66900},
  {"H100 PCIe", 2000, 51200},
  {"H100 NVL", 3900, 60000},
  {"H100", 3350, 66900},
  {"A100 80GB PCIe", 1935, 19500},
  {"A100-PCIE", 1555, 19500},
  {"A100-SXM4-80GB", 2039, 19500},
  {"A100", 1555, 19500},
  {"L40S", 864, 91600},
  {"L4", 300, 30300},
  {"A10", 600, 31200},
  {"V100", 900, 15700},
  {"T4", 320, 8100},
  {"RTX 4090", 1008, 82600},
};

static int spec_index(const char *name) {
  for (size_t i = 0; i < sizeof known_gpus / sizeof known_gpus[0]; i++)
    if (strstr(name, known_gpus[i].match)) return (int)i;
  return -1;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: subquad devices [--peaks] [--device D] [--format table|csv|json]\n"
          "  Lists every device (cuda:N, opencl:N, cpu) and the host topology.\n"
          "  --peaks         measure stream bandwidth, f32 FMA and exp throughput, and an f32 GEMM\n"
          "                  through the vendor BLAS where there is one (a few seconds per device)\n"
          "  --device D      only device D (e.g. opencl:0, cuda:0, cpu)\n"
          "  --format F      table (default), csv or json (README, \"JSON output\")\n"
          "  --help          this text\n");
}

typedef struct opts {
  int peaks, csv, json;
  const char *device;
} opts;

static int parse(int argc, char **argv, opts *o, int *done) {
  *done = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      *done = 1;
      return 0;
    } else if (!strcmp(a, "--peaks")) {
      o->peaks = 1;
    } else if (!strcmp(a, "--device") || !strcmp(a, "--format")) {
      if (i + 1 >= argc) return sq_usage_error("devices", "%s needs a value", a);
      const char *v = argv[++i];
      if (!strcmp(a, "--device")) o->device = v;
      else if (!strcmp(v, "csv")) o->csv = 1, o->json = 0;
      else if (!strcmp(v, "json")) o->csv = 0, o->json = 1;
      else if (!strcmp(v, "table")) o->csv = 0, o->json = 0;
      else return sq_usage_error("devices", "--format: '%s' is not table, csv or json", v);
    } else {
      return sq_usage_error("devices", "unknown option '%s' (try subquad devices --help)", a);
    }
  }
  return 0;
}

static void fmt_peak(char *out, size_t n, double v) {
  if (v > 0) snprintf(out, n, "%.1f", v);
  else snprintf(out, n, "n/a");
}

typedef struct row {
  sq_device *dev;
  int numa;              /* nearest NUMA node of a GPU, -1 unknown */
  int peaks_rc;          /* 0, or the measuring error */
  char peaks_err[256];
} row;

/* One row per device through the one CSV writer (quoting where needed). */
static void print_csv(row *rows, int n, const sq_topology *t, int peaks) {
  static const char *const hdr[] = {
    "id", "backend", "name", "vendor", "driver", "platform", "arch", "is_gpu", "compute_units", "clock_mhz",
    "global_mem", "local_mem", "cache_bytes", "max_alloc", "max_wg", "pci_bus_id", "numa_node", "host_packages",
    "host_cores", "host_pus", "host_numa_nodes", "host_l3_bytes", "peak_gbs", "peak_gflops", "peak_gexps",
    "spec_gbs", "spec_gflops", "peak_gemm_gflops"};
  enum { NBASE = 22, NALL = 28 };
  sq_csv_write_row(stdout, hdr, peaks ? NALL : NBASE);
  for (int i = 0; i < n; i++) {
    const sq_device_info *in = &rows[i].dev->info;
    char num[NALL][32];
    const char *f[NALL] = {rows[i].dev->id, in->backend, in->name, in->vendor, in->driver, in->platform, in->arch};
    for (int k = 7; k < NALL; k++) f[k] = num[k];
    snprintf(num[7], 32, "%d", in->is_gpu);
    snprintf(num[8], 32, "%d", in->compute_units);
    snprintf(num[9], 32, "%d", in->clock_mhz);
    snprintf(num[10], 32, "%llu", (unsigned long long)in->global_mem);
    snprintf(num[11], 32, "%llu", (unsigned long long)in->local_mem);
    snprintf(num[12], 32, "%llu", (unsigned long long)in->cache_bytes);
    snprintf(num[13], 32, "%llu", (unsigned long long)in->max_alloc);
    snprintf(num[14], 32, "%zu", in->max_wg);
    f[15] = in->pci_bus_id;
    snprintf(num[16], 32, "%d", rows[i].numa);
    snprintf(num[17], 32, "%d", t->packages);
    snprintf(num[18], 32, "%d", t->cores);
    snprintf(num[19], 32, "%d", t->pus);
    snprintf(num[20], 32, "%d", t->numa_nodes);
    snprintf(num[21], 32, "%llu", (unsigned long long)t->l3_bytes);
    if (peaks) {
      const sq_peaks *p = &rows[i].dev->peaks;
      int s = spec_index(in->name);
      fmt_peak(num[22], 32, p->gbs);
      fmt_peak(num[23], 32, p->gflops);
      fmt_peak(num[24], 32, p->gexps);
      fmt_peak(num[25], 32, s >= 0 ? known_gpus[s].gbs : 0);
      fmt_peak(num[26], 32, s >= 0 ? known_gpus[s].gflops : 0);
      fmt_peak(num[27], 32, p->gemm_gflops);
    }
    sq_csv_write_row(stdout, f, peaks ? NALL : NBASE);
  }
}

/* The CSV's fields as one JSON document: {"schema": "subquad-devices",
 * "schema_version": 1, "devices": [...], "host": {...}}; a figure not
 * measured or not known is null. */
static void print_json(row *rows, int n, const sq_topology *t, int peaks) {
  sq_json j;
  sq_json_begin(&j, stdout, 2);
  sq_json_object(&j, NULL);
  sq_json_string(&j, "schema", "subquad-devices");
  sq_json_int(&j, "schema_version", 1);
  sq_json_array(&j, "devices");
  for (int i = 0; i < n; i++) {
    const sq_device_info *in = &rows[i].dev->info;
    sq_json_object(&j, NULL);
    sq_json_string(&j, "id", rows[i].dev->id);
    sq_json_string(&j, "backend", in->backend);
    sq_json_string(&j, "name", in->name);
    sq_json_string(&j, "vendor", in->vendor);
    sq_json_string(&j, "driver", in->driver);
    sq_json_string(&j, "platform", in->platform);
    sq_json_string(&j, "arch", in->arch);
    sq_json_bool(&j, "is_gpu", in->is_gpu);
    sq_json_int(&j, "compute_units", in->compute_units);
    sq_json_int(&j, "clock_mhz", in->clock_mhz);
    sq_json_int(&j, "global_mem", (long long)in->global_mem);
    sq_json_int(&j, "local_mem", (long long)in->local_mem);
    sq_json_int(&j, "cache_bytes", (long long)in->cache_bytes);
    sq_json_int(&j, "max_alloc", (long long)in->max_alloc);
    sq_json_int(&j, "max_wg", (long long)in->max_wg);
    sq_json_string(&j, "pci_bus_id", in->pci_bus_id);
    if (rows[i].numa >= 0) sq_json_int(&j, "numa_node", rows[i].numa);
    else sq_json_null(&j, "numa_node");
    if (peaks) {
      const sq_peaks *p = &rows[i].dev->peaks;
      int s = spec_index(in->name);
      sq_json_number(&j, "peak_gbs", p->gbs > 0 ? p->gbs : NAN);
      sq_json_number(&j, "peak_gflops", p->gflops > 0 ? p->gflops : NAN);
      sq_json_number(&j, "peak_gexps", p->gexps > 0 ? p->gexps : NAN);
      sq_json_number(&j, "spec_gbs", s >= 0 ? known_gpus[s].gbs : NAN);
      sq_json_number(&j, "spec_gflops", s >= 0 ? known_gpus[s].gflops : NAN);
      sq_json_number(&j, "peak_gemm_gflops", p->gemm_gflops > 0 ? p->gemm_gflops : NAN);
      if (rows[i].peaks_rc) sq_json_string(&j, "peaks_error", rows[i].peaks_err);
    }
    sq_json_end(&j);
  }
  sq_json_end(&j);
  sq_json_object(&j, "host");
  sq_json_string(&j, "source", t->source);
  sq_json_int(&j, "packages", t->packages);
  sq_json_int(&j, "cores", t->cores);
  sq_json_int(&j, "pus", t->pus);
  sq_json_int(&j, "numa_nodes", t->numa_nodes);
  sq_json_int(&j, "l3_bytes", (long long)t->l3_bytes);
  sq_json_int(&j, "memory", (long long)t->memory);
  sq_json_end(&j);
  sq_json_finish(&j);
}

static void print_table(row *rows, int n, const sq_topology *t, int peaks) {
  printf("%-10s %-7s %-36s %-20s %-18s %5s %6s %10s %9s %6s  %s\n", "device", "backend", "name", "vendor", "driver",
         "CUs", "MHz", "global MiB", "local KiB", "max wg", "arch");
  for (int i = 0; i < n; i++) {
    const sq_device_info *in = &rows[i].dev->info;
    printf("%-10s %-7s %-36.36s %-20.20s %-18.18s %5d %6d %10llu %9llu %6zu  %s\n", rows[i].dev->id, in->backend,
           in->name, in->vendor, in->driver, in->compute_units, in->clock_mhz,
           (unsigned long long)(in->global_mem >> 20), (unsigned long long)(in->local_mem >> 10), in->max_wg,
           in->arch);
  }
  printf("\nhost topology (%s): %d package%s, %d cores, %d PUs, %d NUMA node%s, L3 %llu MiB, memory %llu MiB\n",
         t->source, t->packages, t->packages == 1 ? "" : "s", t->cores, t->pus, t->numa_nodes,
         t->numa_nodes == 1 ? "" : "s", (unsigned long long)(t->l3_bytes >> 20),
         (unsigned long long)(t->memory >> 20));
  for (int i = 0; i < n; i++) {
    const sq_device_info *in = &rows[i].dev->info;
    if (!in->is_gpu) continue;
    char node[32];
    if (rows[i].numa >= 0) snprintf(node, sizeof node, "NUMA node %d", rows[i].numa);
    else snprintf(node, sizeof node, "NUMA node unknown");
    printf("  %-10s PCI %-14s %s\n", rows[i].dev->id, in->pci_bus_id[0] ? in->pci_bus_id : "unknown", node);
  }
  if (!peaks) return;
  printf("\nmeasured peaks (spec-sheet values where known)\n");
  printf("%-10s %10s %10s %10s %10s %12s %12s\n", "device", "GB/s", "spec GB/s", "GFLOP/s", "spec", "Gexp/s",
         "GEMM GFLOP/s");
  for (int i = 0; i < n; i++) {
    const sq_peaks *p = &rows[i].dev->peaks;
    int s = spec_index(rows[i].dev->info.name);
    char a[32], b[32], c[32], d[32], e[32], g[32];
    fmt_peak(a, sizeof a, p->gbs);
    fmt_peak(b, sizeof b, s >= 0 ? known_gpus[s].gbs : 0);
    fmt_peak(c, sizeof c, p->gflops);
    fmt_peak(d, sizeof d, s >= 0 ? known_gpus[s].gflops : 0);
    fmt_peak(e, sizeof e, p->gexps);
    fmt_peak(g, sizeof g, p->gemm_gflops);
    printf("%-10s %10s %10s %10s %10s %12s %12s", rows[i].dev->id, a, b, c, d, e, g);
    if (rows[i].peaks_rc) printf("   (failed: %s)", rows[i].peaks_err);
    printf("\n");
  }
}

int sq_cmd_devices(int argc, char **argv) {
  opts o = {0};
  int done, rc = parse(argc, argv, &o, &done);
  if (rc || done) return rc;
  int n = o.device ? 1 : sq_devices_count();
  row *rows = calloc((size_t)(n > 0 ? n : 1), sizeof *rows);
  if (!rows) return sq_usage_error("devices", "out of memory");
  int status = 0, opened = 0;
  for (int i = 0; i < n; i++) {
    char id[32];
    if (o.device) snprintf(id, sizeof id, "%s", o.device);
    else if (sq_devices_id(i, id, sizeof id)) continue;
    if ((rc = sq_device_open(id, &rows[opened].dev))) {
      if (o.device) {
        free(rows);
        return sq_usage_error("devices", "--device: %s", sq_last_error());
      }
      fprintf(stderr, "subquad devices: cannot open %s: %s\n", id, sq_last_error());
      status = 1;
      continue;
    }
    row *r = &rows[opened++];
    r->numa = r->dev->info.is_gpu ? sq_topology_gpu_numa(r->dev->info.pci_bus_id) : -1;
    if (o.peaks) {
      if (isatty(2)) fprintf(stderr, "measuring %s ...\n", r->dev->id);
      if ((r->peaks_rc = sq_device_measure_peaks(r->dev))) {
        snprintf(r->peaks_err, sizeof r->peaks_err, "%s", sq_last_error());
        fprintf(stderr, "subquad devices: peaks of %s: %s\n", r->dev->id, r->peaks_err);
        status = 1;
      }
    }
  }
  sq_topology topo;
  sq_topology_get(&topo);
  if (o.json) print_json(rows, opened, &topo, o.peaks);
  else if (o.csv) print_csv(rows, opened, &topo, o.peaks);
  else print_table(rows, opened, &topo, o.peaks);
  for (int i = 0; i < opened; i++) sq_device_close(rows[i].dev);
  free(rows);
  return status;
}
