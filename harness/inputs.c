/* SPDX-License-Identifier: BSD-3-Clause */
/* Deterministic inputs from a counter-based hash (splitmix64): element i of
 * tensor t under seed s is the same number on every machine and in any
 * order, so inputs never need to be stored, and a sampled reference row can
 * be regenerated alone. Also the 16-bit float conversions. */
#include "harness/inputs.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

float sq_input_value(uint64_t seed, int tensor, uint64_t index) {
  uint64_t h = splitmix64(seed ^ splitmix64(((uint64_t)tensor << 56) ^ index));
  /* 24 random bits -> [-1, 1): exactly representable in f32. */
  return (float)((double)(h >> 40) / (double)(1u << 23) - 1.0);
}

static uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

uint16_t sq_f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

float sq_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t sq_f32_to_f16(float f) {
  uint32_t u = f32_bits(f);
  uint32_t sign = (u >> 16) & 0x8000u;
  int32_t exp = (int32_t)((u >> 23) & 0xff) - 127 + 15;
  uint32_t mant = u & 0x7fffffu;
  if (((u >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
  if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
  if (exp <= 0) {
    if (exp < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    uint32_t shift = (uint32_t)(14 - exp);
    uint32_t half = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++; /* may carry into the exponent: correct */
  return (uint16_t)h;
}

float sq_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu;
  if (exp == 0) {
    if (!mant) return bits_f32(sign);
    float f = (float)mant / 1024.0f / 16384.0f; /* subnormal: mant * 2^-24 */
    return sign ? -f : f;
  }
  if (exp == 31) return bits_f32(sign | 0x7f800000u | (mant << 13));
  return bits_f32(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

void sq_storage_to_float(sq_dtype dt, const void *src, size_t n, float *dst) {
  if (dt == SQ_F32) {
    memcpy(dst, src, n * sizeof(float));
    return;
  }
  const uint16_t *s = src;
  for (size_t i = 0; i < n; i++) dst[i] = dt == SQ_F16 ? sq_f16_to_f32(s[i]) : sq_bf16_to_f32(s[i]);
}

sq_dtype sq_tensor_dtype(const sq_problem *p, int t) {
  return p->shape.op->tensors[t].f32 ? SQ_F32 : p->dtype;
}

double sq_tensor_bytes(const sq_problem *p, int t) {
  return sq_tensor_elems(&p->shape, &p->shape.op->tensors[t]) * (double)sq_dtype_size(sq_tensor_dtype(p, t));
}

/* Rounds v to the storage type in place, writing the stored bits. */
static void store(sq_dtype dt, float *v, size_t n, void *dst) {
  for (size_t i = 0; dt != SQ_F32 && i < n; i++) {
    uint16_t h = dt == SQ_F16 ? sq_f32_to_f16(v[i]) : sq_f32_to_bf16(v[i]);
    ((uint16_t *)dst)[i] = h;
    v[i] = dt == SQ_F16 ? sq_f16_to_f32(h) : sq_bf16_to_f32(h);
  }
}

int sq_inputs_tensor(const sq_problem *p, int t, uint64_t seed, const sq_input_hook *hook, void **stored,
                     float **as_float) {
  const sq_tensor *ts = &p->shape.op->tensors[t];
  sq_dtype dt = sq_tensor_dtype(p, t);
  size_t n = (size_t)sq_tensor_elems(&p->shape, ts);
  /* Page-aligned, so a device sharing the host's memory can read it in
   * place (sq_buf_wrap). */
  float *f = NULL;
  if (posix_memalign((void **)&f, 4096, (n ? n : 1) * sizeof(float))) f = NULL;
  void *s = dt == SQ_F32 ? (void *)f : malloc((n ? n : 1) * 2);
  if (!f || !s) {
    free(f);
    if (s != (void *)f) free(s);
    return sq_fail(SQ_ENOMEM, "no host memory for the %zu elements of input %s", n, ts->name);
  }
  for (size_t i = 0; i < n; i++) f[i] = sq_input_value(seed, t, i);
  if (ts->init) ts->init(&p->shape, p->causal, f, (int64_t)n);
  if (hook && hook->fn) hook->fn(p, t, f, (int64_t)n, hook->ctx);
  store(dt, f, n, s);
  *stored = s;
  *as_float = f;
  return 0;
}
