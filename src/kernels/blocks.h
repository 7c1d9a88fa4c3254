/*
 * Quantized block layouts, byte-for-byte as ggml stores them (ggml-common.h), so weights are used
 * straight from the mmapped GGUF. A row of n elements is n / QK blocks laid end to end; each block
 * carries its own scale(s) in IEEE half precision (g4_half, the raw 16 bits).
 */
#ifndef G4_KERNELS_BLOCKS_H
#define G4_KERNELS_BLOCKS_H

#include <stdint.h>

typedef uint16_t g4_half; /* IEEE 754 binary16 bits */
typedef uint16_t g4_bf16; /* bfloat16 bits (top half of a float) */

#define G4_QK4_0 32
#define G4_QK4_1 32
#define G4_QK5_0 32
#define G4_QK5_1 32
#define G4_QK8_0 32
#define G4_QK8_1 32
#define G4_QK_K 256
#define G4_K_SCALE_SIZE 12

typedef struct {
    g4_half d;
    uint8_t qs[G4_QK4_0 / 2];
} g4_block_q4_0; /* x = d * (q - 8) */
typedef struct {
    g4_half d, m;
    uint8_t qs[G4_QK4_1 / 2];
} g4_block_q4_1; /* x = d * q + m */
typedef struct {
    g4_half d;
    uint8_t qh[4];
    uint8_t qs[G4_QK5_0 / 2];
} g4_block_q5_0; /* x = d * (q - 16) */
typedef struct {
    g4_half d, m;
    uint8_t qh[4];
    uint8_t qs[G4_QK5_1 / 2];
} g4_block_q5_1; /* x = d * q + m */
typedef struct {
    g4_half d;
    int8_t qs[G4_QK8_0];
} g4_block_q8_0; /* x = d * q */
typedef struct {
    g4_half d, s;
    int8_t qs[G4_QK8_1];
} g4_block_q8_1; /* s = d * sum(q) */

/* K-quants: 256-element super-blocks of 16 or 32-element sub-blocks with quantized sub-scales. */
typedef struct {
    uint8_t scales[G4_QK_K / 16]; /* 4-bit scale | 4-bit min per 16 */
    uint8_t qs[G4_QK_K / 4];
    g4_half d, dmin;
} g4_block_q2_K;
typedef struct {
    uint8_t hmask[G4_QK_K / 8];
    uint8_t qs[G4_QK_K / 4];
    uint8_t scales[12]; /* 16 6-bit scales */
    g4_half d;
} g4_block_q3_K;
typedef struct {
    g4_half d, dmin;
    uint8_t scales[G4_K_SCALE_SIZE]; /* 8 6-bit scales and 8 6-bit mins */
    uint8_t qs[G4_QK_K / 2];
} g4_block_q4_K;
typedef struct {
    g4_half d, dmin;
    uint8_t scales[G4_K_SCALE_SIZE];
    uint8_t qh[G4_QK_K / 8];
    uint8_t qs[G4_QK_K / 2];
} g4_block_q5_K;
typedef struct {
    uint8_t ql[G4_QK_K / 2];
    uint8_t qh[G4_QK_K / 4];
    int8_t scales[G4_QK_K / 16];
    g4_half d;
} g4_block_q6_K;
typedef struct {
    float d;
    int8_t qs[G4_QK_K];
    int16_t bsums[G4_QK_K / 16]; /* sums of qs in groups of 16, for the K-quant min terms */
} g4_block_q8_K;

_Static_assert(sizeof(g4_block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(g4_block_q4_1) == 20, "q4_1 layout");
_Static_assert(sizeof(g4_block_q5_0) == 22, "q5_0 layout");
_Static_assert(sizeof(g4_block_q5_1) == 24, "q5_1 layout");
_Static_assert(sizeof(g4_block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(g4_block_q8_1) == 36, "q8_1 layout");
_Static_assert(sizeof(g4_block_q2_K) == 84, "q2_K layout");
_Static_assert(sizeof(g4_block_q3_K) == 110, "q3_K layout");
_Static_assert(sizeof(g4_block_q4_K) == 144, "q4_K layout");
_Static_assert(sizeof(g4_block_q5_K) == 176, "q5_K layout");
_Static_assert(sizeof(g4_block_q6_K) == 210, "q6_K layout");
_Static_assert(sizeof(g4_block_q8_K) == 292, "q8_K layout");

#endif
