/*
 * Tensor values, generated and encoded a chunk of rows at a time so that a 10 GB model never
 * sits in memory. Every value is first rounded to bf16, the precision the Gemma checkpoints are
 * published in: the f32, f16 and bf16 files of one seed then hold the same model, and quantizing
 * the bf16 file with llama-quantize gives exactly the bytes of gguf-synth's own quantized file.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/quants.h"
#include "rng.h"
#include "synth.h"

#define CHUNK_ELEMENTS ((int64_t)1 << 20)

size_t synth_tensor_nbytes(const synth_tensor *t) {
    size_t row = 0;
    if (!g4_type_row_bytes(t->type, t->ne[0], &row)) return 0;
    return row * (size_t)synth_tensor_rows(t);
}

int64_t synth_tensor_rows(const synth_tensor *t) {
    int64_t rows = 1;
    for (int d = 1; d < SYNTH_MAX_DIMS; d++) rows *= t->ne[d];
    return rows;
}

static void generate(const synth_tensor *t, int64_t first, int64_t n, float *out) {
    if (t->init == SYNTH_INIT_ROPE_FREQS) {
        for (int64_t i = 0; i < n; i++) out[i] = first + i < (int64_t)t->n_rot_pairs ? 1.0f : 1e30f;
        return;
    }
    const double mean = t->mean, std = t->std;
    for (int64_t i = 0; i < n; i++) {
        const double noise = std * synth_normal_at(t->key, (uint64_t)(first + i));
        const double value = mean + noise; /* a separate statement: never fused into an FMA */
        out[i] = g4_bf16_to_float(g4_float_to_bf16((float)value));
    }
}

static void encode(g4_type type, const float *src, void *dst, int64_t ne0, int64_t rows, size_t row_bytes) {
    const int64_t n = ne0 * rows;
    switch (type) {
    case G4_TYPE_F32:
        memcpy(dst, src, (size_t)n * sizeof(float));
        break;
    case G4_TYPE_F16: {
        g4_half *h = dst;
        for (int64_t i = 0; i < n; i++) h[i] = g4_float_to_half(src[i]);
        break;
    }
    case G4_TYPE_BF16: {
        g4_bf16 *h = dst;
        for (int64_t i = 0; i < n; i++) h[i] = g4_float_to_bf16(src[i]);
        break;
    }
    default:
        for (int64_t r = 0; r < rows; r++)
            g4_quantize_row(type, src + r * ne0, (uint8_t *)dst + (size_t)r * row_bytes, ne0);
        break;
    }
}

gemma4_status synth_tensor_stream(const synth_tensor *t, synth_emit_fn emit, void *ctx, g4_error *err) {
    size_t row_bytes = 0;
    if (!g4_type_row_bytes(t->type, t->ne[0], &row_bytes))
        return g4_fail(err, GEMMA4_ERR_INTERNAL, "tensor '%s': %lld elements are not whole %s blocks", t->name,
                       (long long)t->ne[0], g4_type_name(t->type));
    const int64_t ne0 = t->ne[0], ne1 = synth_tensor_rows(t);
    const int64_t chunk_rows = ne0 >= CHUNK_ELEMENTS ? 1 : CHUNK_ELEMENTS / ne0;
    float *src = malloc((size_t)(chunk_rows * ne0) * sizeof *src);
    void *dst = malloc((size_t)chunk_rows * row_bytes);
    gemma4_status st = GEMMA4_OK;
    if (!src || !dst) st = g4_fail(err, GEMMA4_ERR_NOMEM, "tensor '%s': out of memory for a chunk", t->name);
    for (int64_t r0 = 0; r0 < ne1 && st == GEMMA4_OK; r0 += chunk_rows) {
        const int64_t rows = ne1 - r0 < chunk_rows ? ne1 - r0 : chunk_rows;
        generate(t, r0 * ne0, rows * ne0, src);
        encode(t->type, src, dst, ne0, rows, row_bytes);
        st = emit(ctx, dst, (size_t)rows * row_bytes, err);
    }
    free(src);
    free(dst);
    return st;
}
