/* SPDX-License-Identifier: BSD-3-Clause */
/* Entry points of the CUDA backend usable without a CUDA device: compiling
 * a dialect kernel text to PTX with NVRTC (loaded at run time), and reading
 * a GPU's sensors through NVML where the library is present. */
#ifndef SQ_CUDA_COMPILE_H
#define SQ_CUDA_COMPILE_H

/* Compiles `source` (dialect text; the CUDA prelude is prepended) with
 * `defines` ("-DCHUNK=64 ...", may be NULL) for `arch` ("compute_90") into
 * PTX. Returns 0 and a malloc'd *ptx; SQ_ECOMPILE with the NVRTC log in
 * *log (malloc'd, may be NULL); SQ_EUNSUPPORTED when NVRTC cannot be
 * loaded. Safe to call from several threads at once. */
int sq_cuda_compile_ptx(const char *source, const char *defines, const char *arch, char **ptx, char **log);

/* The NVRTC version ("13.0") or "" when NVRTC cannot be loaded. */
const char *sq_cuda_nvrtc_version(void);

/* Current SM clock (MHz), power draw (mW) and temperature (C) of the GPU
 * at PCI bus id `pci_bus_id`, from NVML. Fields NVML cannot give are -1.
 * Returns SQ_EUNSUPPORTED when NVML is absent. */
int sq_cuda_sensors(const char *pci_bus_id, int *sm_clock_mhz, int *power_mw, int *temp_c);

#endif
