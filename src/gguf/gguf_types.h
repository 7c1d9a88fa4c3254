/*
 * Tensor element types as GGUF stores them: the ggml type ids, names and block geometry.
 * The ids and sizes are part of the file format (llama.cpp's ggml.h / ggml-common.h), so the reader
 * can size every tensor, even of a type the kernels cannot compute with; whether a type can be
 * computed with is the kernels' business (src/kernels/quants.h).
 */
#ifndef G4_GGUF_TYPES_H
#define G4_GGUF_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum g4_type {
    G4_TYPE_F32 = 0,
    G4_TYPE_F16 = 1,
    G4_TYPE_Q4_0 = 2,
    G4_TYPE_Q4_1 = 3,
    G4_TYPE_Q5_0 = 6,
    G4_TYPE_Q5_1 = 7,
    G4_TYPE_Q8_0 = 8,
    G4_TYPE_Q8_1 = 9,
    G4_TYPE_Q2_K = 10,
    G4_TYPE_Q3_K = 11,
    G4_TYPE_Q4_K = 12,
    G4_TYPE_Q5_K = 13,
    G4_TYPE_Q6_K = 14,
    G4_TYPE_Q8_K = 15,
    G4_TYPE_IQ2_XXS = 16,
    G4_TYPE_IQ2_XS = 17,
    G4_TYPE_IQ3_XXS = 18,
    G4_TYPE_IQ1_S = 19,
    G4_TYPE_IQ4_NL = 20,
    G4_TYPE_IQ3_S = 21,
    G4_TYPE_IQ2_S = 22,
    G4_TYPE_IQ4_XS = 23,
    G4_TYPE_I8 = 24,
    G4_TYPE_I16 = 25,
    G4_TYPE_I32 = 26,
    G4_TYPE_I64 = 27,
    G4_TYPE_F64 = 28,
    G4_TYPE_IQ1_M = 29,
    G4_TYPE_BF16 = 30,
    G4_TYPE_TQ1_0 = 34,
    G4_TYPE_TQ2_0 = 35,
    G4_TYPE_MXFP4 = 39,
    G4_TYPE_NVFP4 = 40,
    G4_TYPE_Q1_0 = 41,
    G4_TYPE_Q2_0 = 42,
    G4_TYPE_COUNT = 43
} g4_type;

typedef struct g4_type_info {
    const char *name;   /* as ggml spells it: "f32", "q4_K" ... */
    int64_t block_size; /* elements per block; 0 = id not a valid type */
    size_t type_size;   /* bytes per block */
} g4_type_info;

/* NULL for an id that is not a known type (including ids ggml removed). */
const g4_type_info *g4_type_get(uint32_t type_id);

/* The type's name, or "unknown" for an id that is not a type. */
const char *g4_type_name(uint32_t type_id);

/* Looks a type up by its ggml name (case-insensitive: "q4_k" finds q4_K); false if none. */
bool g4_type_from_name(const char *name, g4_type *out);

/* Bytes for one row of n elements; false when n is not a whole number of blocks or it overflows. */
bool g4_type_row_bytes(g4_type type, int64_t n, size_t *out);

#endif
