/* SPDX-License-Identifier: BSD-3-Clause */
/* Deterministic inputs: every element is a hash of (seed, tensor, index), so
 * any element can be regenerated on its own, on any machine, in any order. */
#ifndef SQ_INPUTS_H
#define SQ_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

/* Uniform value in [-1, 1) for element `index` of `tensor`. */
float sq_input_value(uint64_t seed, int tensor, uint64_t index);

/* A caller's say over the inputs (tests that need chosen gates or a state
 * carried from another call): fn sees each input tensor's n values after
 * the op's init and before rounding to the storage type, and may rewrite
 * them. */
typedef struct sq_input_hook {
  void (*fn)(const sq_problem *p, int t, float *v, int64_t n, void *ctx);
  void *ctx;
} sq_input_hook;

/* Input tensor t of a problem, from its own stream (stream = tensor index,
 * so q, k and v of the attention ops keep streams 0, 1 and 2): the uniform
 * draws go through the tensor's init, are rounded to its storage type (the
 * dtype, or f32 for parameters and states) and read back as float. Sets
 * *stored (the bytes to upload) and *as_float; for f32 storage they are one
 * array. A hook (or NULL) rewrites the values before the rounding. 0, or
 * SQ_ENOMEM with the detail. */
int sq_inputs_tensor(const sq_problem *p, int t, uint64_t seed, const sq_input_hook *hook, void **stored,
                     float **as_float);
/* Storage dtype and bytes of tensor t (parameters and states stay f32). */
sq_dtype sq_tensor_dtype(const sq_problem *p, int t);
double sq_tensor_bytes(const sq_problem *p, int t);

/* Conversions between float and the 16-bit storage formats (round to
 * nearest even), shared by the inputs, the verifier and the dumps. */
uint16_t sq_f32_to_f16(float f);
float sq_f16_to_f32(uint16_t h);
uint16_t sq_f32_to_bf16(float f);
float sq_bf16_to_f32(uint16_t h);
void sq_storage_to_float(sq_dtype dt, const void *src, size_t n, float *dst);

#endif
