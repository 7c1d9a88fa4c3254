/*
 * Block formats: scalar reference quantize and dequantize, bit-compatible with ggml
 * (quantize_row_*_ref / dequantize_row_* in ggml-quants.c), plus half/bfloat conversions.
 * These are the ground truth the SIMD kernels and the tests are held against.
 */
#ifndef G4_KERNELS_QUANTS_H
#define G4_KERNELS_QUANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "gguf/gguf_types.h"
#include "kernels/blocks.h"

/* Exact conversions (round-to-nearest-even for the narrowing ones, as ggml's reference does). */
float g4_half_to_float(g4_half h);
g4_half g4_float_to_half(float f);
float g4_bf16_to_float(g4_bf16 h);
g4_bf16 g4_float_to_bf16(float f);

/* True for the types whose rows can be dequantized (and so used as weights): F32 F16 BF16 Q4_0
 * Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K Q8_K. */
bool g4_can_dequantize(g4_type t);
/* True for the types g4_quantize_row can produce. */
bool g4_can_quantize(g4_type t);

/* n elements (a multiple of the type's block size) from a row in type t to f32. */
void g4_dequantize_row(g4_type t, const void *src, float *dst, int64_t n);

/* n f32 values to type t with ggml's reference quantizer (no importance matrix): same bytes as
 * llama-quantize writes for that type without an imatrix. */
void g4_quantize_row(g4_type t, const float *src, void *dst, int64_t n);

#endif
