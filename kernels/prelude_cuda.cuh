/* SPDX-License-Identifier: BSD-3-Clause */
/* CUDA prelude of the portable kernel dialect, compiled by NVRTC in front of
 * every kernel source (see kernels/prelude_opencl.cl for the same names in
 * OpenCL). NVRTC compiles C++, so kernel texts stay in the C subset both
 * languages share. */
#define SQ_CUDA 1
#define KERNEL extern "C" __global__ void
#define GLOBAL
#define CGLOBAL const
#define LOCAL __shared__
#define LOCAL_PTR /* shared memory is in the generic address space: a plain pointer */
#define RESTRICT __restrict__
#define DEVFN static __device__ __forceinline__
/* Before a loop over time steps whose body unrolls a loop over the state:
 * kept rolled, since unrolling both made NVRTC emit 64K lines of PTX for the
 * gated recurrence and take 17 s per program (0.6 s rolled). */
#define UNROLL_STEPS _Pragma("unroll 1")
#define BARRIER() __syncthreads()
DEVFN int sq_gid(int d) {
  return d == 0 ? (int)(blockIdx.x * blockDim.x + threadIdx.x)
       : d == 1 ? (int)(blockIdx.y * blockDim.y + threadIdx.y)
                : (int)(blockIdx.z * blockDim.z + threadIdx.z);
}
DEVFN int sq_lid(int d) { return d == 0 ? (int)threadIdx.x : d == 1 ? (int)threadIdx.y : (int)threadIdx.z; }
DEVFN int sq_grp(int d) { return d == 0 ? (int)blockIdx.x : d == 1 ? (int)blockIdx.y : (int)blockIdx.z; }
DEVFN int sq_lsz(int d) { return d == 0 ? (int)blockDim.x : d == 1 ? (int)blockDim.y : (int)blockDim.z; }
DEVFN int sq_ngrp(int d) { return d == 0 ? (int)gridDim.x : d == 1 ? (int)gridDim.y : (int)gridDim.z; }
#define GID(d) sq_gid(d)
#define LID(d) sq_lid(d)
#define GRP(d) sq_grp(d)
#define LSZ(d) sq_lsz(d)
#define NGRP(d) sq_ngrp(d)
typedef long long IDX;
#define EXP2(x) exp2f(x)
#define EXP(x) expf(x)
#define EXPM1(x) expm1f(x)
#define LOG2(x) log2f(x)
#define SQRT(x) sqrtf(x)
#define FMA(a, b, c) fmaf(a, b, c)
#define FMAX(a, b) fmaxf(a, b)
#define FMIN(a, b) fminf(a, b)
#define INFINITY __int_as_float(0x7f800000)

#ifndef DTYPE
#define DTYPE 0
#endif
#if DTYPE == 0
typedef float STORE_T;
#define LOAD(p, i) ((p)[i])
#define STORE(p, i, x) ((p)[i] = (x))
#elif DTYPE == 1
#include <cuda_fp16.h>
typedef __half STORE_T;
#define LOAD(p, i) __half2float((p)[i])
#define STORE(p, i, x) ((p)[i] = __float2half_rn(x))
#else
typedef unsigned short STORE_T;
DEVFN float sq_bf16_to_f32(unsigned short h) { return __uint_as_float(((unsigned)h) << 16); }
DEVFN unsigned short sq_f32_to_bf16(float f) {
  unsigned u = __float_as_uint(f);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (unsigned short)(u >> 16);
}
#define LOAD(p, i) sq_bf16_to_f32((p)[i])
#define STORE(p, i, x) ((p)[i] = sq_f32_to_bf16(x))
#endif
