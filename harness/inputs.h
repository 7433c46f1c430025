/* Deterministic inputs: every element is a hash of (seed, tensor, index), so
 * any element can be regenerated on its own, on any machine, in any order. */
#ifndef SQ_INPUTS_H
#define SQ_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/kernel.h"

enum { SQ_TENSOR_Q = 0, SQ_TENSOR_K = 1, SQ_TENSOR_V = 2 };

/* Uniform value in [-1, 1) for element `index` of `tensor`. */
float sq_input_value(uint64_t seed, int tensor, uint64_t index);

/* Fills n values into dst as stored in dtype (f32, f16 or bf16 bits) and
 * into as_float (the stored value read back as float; may be NULL). */
void sq_inputs_fill(uint64_t seed, int tensor, sq_dtype dt, size_t n, void *dst, float *as_float);

/* Conversions between float and the 16-bit storage formats (round to
 * nearest even), shared by the inputs, the verifier and the dumps. */
uint16_t sq_f32_to_f16(float f);
float sq_f16_to_f32(uint16_t h);
uint16_t sq_f32_to_bf16(float f);
float sq_bf16_to_f32(uint16_t h);
void sq_storage_to_float(sq_dtype dt, const void *src, size_t n, float *dst);

#endif
