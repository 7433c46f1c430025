/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenCL prelude of the portable kernel dialect. The OpenCL backend puts this
 * text in front of every kernel source; kernels/prelude_cuda.cuh gives the
 * same names their CUDA meaning. Kernel texts use only these names for
 * address spaces, indices, barriers, math and dtype-dependent loads. */
#define SQ_OPENCL 1
#define KERNEL __kernel void
#define GLOBAL __global
#define CGLOBAL const __global
#define LOCAL __local
#define LOCAL_PTR __local /* a pointer parameter into local memory */
#define RESTRICT restrict
#define DEVFN static inline
/* Before a loop over time steps whose body unrolls a loop over the state:
 * PoCL's vectoriser needs both unrolled (the gated recurrences ran 1.6-1.9x
 * slower with the step loop rolled, measured side by side by `gate`). */
#define UNROLL_STEPS _Pragma("unroll")
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define GID(d) ((int)get_global_id(d))
#define LID(d) ((int)get_local_id(d))
#define GRP(d) ((int)get_group_id(d))
#define LSZ(d) ((int)get_local_size(d))
#define NGRP(d) ((int)get_num_groups(d))
typedef long IDX;
#define EXP2(x) exp2(x)
#define EXP(x) exp(x)
#define EXPM1(x) expm1(x)
#define LOG2(x) log2(x)
#define SQRT(x) sqrt(x)
#define FMA(a, b, c) fma(a, b, c)
#define FMAX(a, b) fmax(a, b)
#define FMIN(a, b) fmin(a, b)

/* Storage dtype: 0 f32, 1 f16, 2 bf16 (as 16-bit integers). Arithmetic is
 * f32 throughout; LOAD and STORE convert. */
#ifndef DTYPE
#define DTYPE 0
#endif
#if DTYPE == 0
typedef float STORE_T;
#define LOAD(p, i) ((p)[i])
#define STORE(p, i, x) ((p)[i] = (x))
#elif DTYPE == 1
typedef half STORE_T;
#define LOAD(p, i) vload_half((i), (p))
#define STORE(p, i, x) vstore_half_rte((x), (i), (p))
#else
typedef ushort STORE_T;
DEVFN float sq_bf16_to_f32(ushort h) { return as_float(((uint)h) << 16); }
DEVFN ushort sq_f32_to_bf16(float f) {
  uint u = as_uint(f);
  u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest even */
  return (ushort)(u >> 16);
}
#define LOAD(p, i) sq_bf16_to_f32((p)[i])
#define STORE(p, i, x) ((p)[i] = sq_f32_to_bf16(x))
#endif
