/*
 * Matrix multiplication of stored weights by f32 activations, the engine's hot path.
 *
 *   y[t][o] = sum_i W[o][i] * x[t][i]      for t < n_tok, o < n_out, i < n_in
 *
 * W is a GGUF tensor {ne0 = n_in, ne1 = n_out} in its stored block format, used in place. As in
 * ggml, the activations are first converted to the weight type's partner format (Q8_0 for
 * Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1 (their min term needs the block sum), Q8_K for the K-quants, F16 for F16, BF16 for
 * BF16, F32 for F32) and the dot products run on integer or half data; that is also what makes our results track
 * llama.cpp's. The conversion buffer is caller-provided scratch (the decode loop never allocates).
 */
#ifndef G4_KERNELS_MATMUL_H
#define G4_KERNELS_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf_types.h"

struct g4_pool; /* thread pool (src/core/pool.h); NULL means run on the calling thread */

typedef struct g4_matrix {
    g4_type type;
    int64_t n_in;     /* elements per row (ne0) */
    int64_t n_out;    /* rows (ne1) */
    size_t row_bytes; /* bytes per row in the stored format */
    const void *data;
} g4_matrix;

/* The activation format the dot products of weight type t consume. */
g4_type g4_vec_dot_type(g4_type t);

/* Scratch bytes g4_matmul needs for n_tok rows of n_in activations against weights of type t. */
size_t g4_matmul_scratch_bytes(g4_type t, int64_t n_in, int64_t n_tok);

/* y (n_tok x n_out, row-major) = x (n_tok x n_in, row-major) times W^T. */
void g4_matmul(const g4_matrix *w, const float *x, int64_t n_tok, float *y, void *scratch, struct g4_pool *pool);

/* One dot product of a stored row (type t) with an activation row already in g4_vec_dot_type(t):
 * the scalar reference every SIMD kernel is tested against. n is a multiple of the block size. */
float g4_vec_dot_ref(g4_type t, int64_t n, const void *w_row, const void *x_row);

/* Converts n activations to g4_vec_dot_type(t) (quantize_row_q8_0 / q8_K, f16, bf16, copy). */
void g4_quantize_activations(g4_type t, const float *x, void *out, int64_t n);

#endif
