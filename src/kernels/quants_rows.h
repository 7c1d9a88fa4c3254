/*
 * The per-format row functions behind g4_quantize_row / g4_dequantize_row (quants.h), for code
 * inside src/kernels that knows its block type statically (for example quantizing activations
 * to Q8_0 or Q8_K for a dot product). n is the number of elements, a multiple of the block size;
 * y / x point at n / block_size blocks.
 *
 * Quantizers are ggml's quantize_row_*_ref (no importance matrix), byte for byte; dequantizers
 * are ggml's dequantize_row_*, float for float.
 */
#ifndef G4_KERNELS_QUANTS_ROWS_H
#define G4_KERNELS_QUANTS_ROWS_H

#include <stdint.h>

#include "kernels/blocks.h"

/* quants_legacy.c: 32-element blocks with one half scale (and a half min for the _1 types). */
void g4_quantize_row_q4_0(const float *x, g4_block_q4_0 *y, int64_t n);
void g4_quantize_row_q4_1(const float *x, g4_block_q4_1 *y, int64_t n);
void g4_quantize_row_q5_0(const float *x, g4_block_q5_0 *y, int64_t n);
void g4_quantize_row_q5_1(const float *x, g4_block_q5_1 *y, int64_t n);
void g4_quantize_row_q8_0(const float *x, g4_block_q8_0 *y, int64_t n);
void g4_dequantize_row_q4_0(const g4_block_q4_0 *x, float *y, int64_t n);
void g4_dequantize_row_q4_1(const g4_block_q4_1 *x, float *y, int64_t n);
void g4_dequantize_row_q5_0(const g4_block_q5_0 *x, float *y, int64_t n);
void g4_dequantize_row_q5_1(const g4_block_q5_1 *x, float *y, int64_t n);
void g4_dequantize_row_q8_0(const g4_block_q8_0 *x, float *y, int64_t n);

/* quants_k.c: 256-element super-blocks. */
void g4_quantize_row_q2_K(const float *x, g4_block_q2_K *y, int64_t n);
void g4_quantize_row_q3_K(const float *x, g4_block_q3_K *y, int64_t n);
void g4_quantize_row_q4_K(const float *x, g4_block_q4_K *y, int64_t n);
void g4_quantize_row_q5_K(const float *x, g4_block_q5_K *y, int64_t n);
void g4_quantize_row_q6_K(const float *x, g4_block_q6_K *y, int64_t n);
void g4_quantize_row_q8_K(const float *x, g4_block_q8_K *y, int64_t n); /* fills bsums too */
void g4_dequantize_row_q2_K(const g4_block_q2_K *x, float *y, int64_t n);
void g4_dequantize_row_q3_K(const g4_block_q3_K *x, float *y, int64_t n);
void g4_dequantize_row_q4_K(const g4_block_q4_K *x, float *y, int64_t n);
void g4_dequantize_row_q5_K(const g4_block_q5_K *x, float *y, int64_t n);
void g4_dequantize_row_q6_K(const g4_block_q6_K *x, float *y, int64_t n);
void g4_dequantize_row_q8_K(const g4_block_q8_K *x, float *y, int64_t n);

/* The 6-bit sub-block scale and min j (0..7) of a Q4_K / Q5_K block's 12 packed scale bytes. */
void g4_q4k_scale_min(const uint8_t scales[12], int j, uint8_t *scale, uint8_t *min);

/* The 16 signed sub-block scales (-32..31) of a Q3_K block's 12 packed scale bytes. */
void g4_q3k_scales(const uint8_t packed[12], int8_t out[16]);

#endif
