/*
 * Row-level entry points of quants.h: which types can be converted, and the dispatch from a
 * g4_type to the per-format functions (quants_legacy.c, quants_k.c, fp16.c).
 *
 * Preconditions, as for ggml's row functions: n is a multiple of the type's block size and the
 * buffers hold n elements / the row's bytes. Only whole blocks are converted. A type outside the
 * g4_can_* tables is a caller bug: quantize then writes nothing and dequantize writes zeros,
 * so the failure is visible in the output rather than a crash.
 */
#include <string.h>

#include "kernels/quants.h"
#include "kernels/quants_rows.h"

bool g4_can_dequantize(g4_type t) {
    switch (t) {
    case G4_TYPE_F32:
    case G4_TYPE_F16:
    case G4_TYPE_BF16:
    case G4_TYPE_Q4_0:
    case G4_TYPE_Q4_1:
    case G4_TYPE_Q5_0:
    case G4_TYPE_Q5_1:
    case G4_TYPE_Q8_0:
    case G4_TYPE_Q2_K:
    case G4_TYPE_Q3_K:
    case G4_TYPE_Q4_K:
    case G4_TYPE_Q5_K:
    case G4_TYPE_Q6_K:
    case G4_TYPE_Q8_K:
        return true;
    default:
        return false;
    }
}

/* Every dequantizable type has a quantizer too (F32 is a copy, as in ggml_quantize_chunk). */
bool g4_can_quantize(g4_type t) {
    return g4_can_dequantize(t);
}

void g4_dequantize_row(g4_type t, const void *src, float *dst, int64_t n) {
    if (n <= 0) return;
    /* one line per type, read as a table */
    // clang-format off
    switch (t) {
    case G4_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case G4_TYPE_F16: {
        const g4_half *h = src;
        for (int64_t i = 0; i < n; i++) dst[i] = g4_half_to_float(h[i]);
    } break;
    case G4_TYPE_BF16: {
        const g4_bf16 *h = src;
        for (int64_t i = 0; i < n; i++) dst[i] = g4_bf16_to_float(h[i]);
    } break;
    case G4_TYPE_Q4_0: g4_dequantize_row_q4_0(src, dst, n); break;
    case G4_TYPE_Q4_1: g4_dequantize_row_q4_1(src, dst, n); break;
    case G4_TYPE_Q5_0: g4_dequantize_row_q5_0(src, dst, n); break;
    case G4_TYPE_Q5_1: g4_dequantize_row_q5_1(src, dst, n); break;
    case G4_TYPE_Q8_0: g4_dequantize_row_q8_0(src, dst, n); break;
    case G4_TYPE_Q2_K: g4_dequantize_row_q2_K(src, dst, n); break;
    case G4_TYPE_Q3_K: g4_dequantize_row_q3_K(src, dst, n); break;
    case G4_TYPE_Q4_K: g4_dequantize_row_q4_K(src, dst, n); break;
    case G4_TYPE_Q5_K: g4_dequantize_row_q5_K(src, dst, n); break;
    case G4_TYPE_Q6_K: g4_dequantize_row_q6_K(src, dst, n); break;
    case G4_TYPE_Q8_K: g4_dequantize_row_q8_K(src, dst, n); break;
    default: memset(dst, 0, (size_t)n * sizeof(float)); break;
    }
    // clang-format on
}

void g4_quantize_row(g4_type t, const float *src, void *dst, int64_t n) {
    if (n <= 0) return;
    /* one line per type, read as a table */
    // clang-format off
    switch (t) {
    case G4_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); break;
    case G4_TYPE_F16: {
        g4_half *h = dst;
        for (int64_t i = 0; i < n; i++) h[i] = g4_float_to_half(src[i]);
    } break;
    case G4_TYPE_BF16: {
        g4_bf16 *h = dst;
        for (int64_t i = 0; i < n; i++) h[i] = g4_float_to_bf16(src[i]);
    } break;
    case G4_TYPE_Q4_0: g4_quantize_row_q4_0(src, dst, n); break;
    case G4_TYPE_Q4_1: g4_quantize_row_q4_1(src, dst, n); break;
    case G4_TYPE_Q5_0: g4_quantize_row_q5_0(src, dst, n); break;
    case G4_TYPE_Q5_1: g4_quantize_row_q5_1(src, dst, n); break;
    case G4_TYPE_Q8_0: g4_quantize_row_q8_0(src, dst, n); break;
    case G4_TYPE_Q2_K: g4_quantize_row_q2_K(src, dst, n); break;
    case G4_TYPE_Q3_K: g4_quantize_row_q3_K(src, dst, n); break;
    case G4_TYPE_Q4_K: g4_quantize_row_q4_K(src, dst, n); break;
    case G4_TYPE_Q5_K: g4_quantize_row_q5_K(src, dst, n); break;
    case G4_TYPE_Q6_K: g4_quantize_row_q6_K(src, dst, n); break;
    case G4_TYPE_Q8_K: g4_quantize_row_q8_K(src, dst, n); break;
    default: break;
    }
    // clang-format on
}
