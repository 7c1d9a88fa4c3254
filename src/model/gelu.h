/*
 * GELU (tanh approximation) as llama.cpp's CPU backend evaluates it: the input rounded to f16 and
 * looked up in a table of f16 results (GGML_GELU_FP16 in ggml-cpu/vec.h: table entry i is
 * fp16(gelu(fp16_to_f32(i)))), with x returned as is for x >= 10 and 0 for x <= -10.
 *
 * The exact formula (g4_gelu_tanh) differs from that by up to two f16 roundings per element. That
 * is harmless for one op, but over 35 layers of a Gemma 4 it is the largest single source of
 * disagreement with llama.cpp on f32 models (measured on a 9-layer test model: 1 - cosine of the
 * logits 2e-7 exact vs 2e-8 with the table, and bit-level agreement at position 0). The model
 * uses the table; being a lookup it is also cheaper than tanhf.
 */
#ifndef G4_MODEL_GELU_H
#define G4_MODEL_GELU_H

#include <stdint.h>

typedef struct g4_gelu_table {
    float v[65536]; /* indexed by the f16 bits of the input */
} g4_gelu_table;

/* Fills the table (65536 evaluations of g4_gelu_tanh; about a millisecond). */
void g4_gelu_table_init(g4_gelu_table *t);

/* x = gelu(x), in place. */
void g4_gelu_apply(const g4_gelu_table *t, float *x, int64_t n);

/* g = gelu(g) * u (ggml_geglu_split). */
void g4_geglu_apply(const g4_gelu_table *t, float *g, const float *u, int64_t n);

#endif
