/*
 * Scalar reference dot products for the float types and the 32-element block types. Each block
 * is first unpacked to its 32 small integers (element j of the block at index j), then dotted
 * with the activation's int8 values; the arithmetic is documented in vec_dot.h.
 */
#include "kernels/vec_dot.h"

#include "kernels/blocks.h"
#include "kernels/quants.h"

float g4_vec_dot_f32_ref(int64_t n, const void *w, const void *x) {
    const float *a = w, *b = x;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(a[i] * b[i]);
    return (float)sum;
}

/* Products of two halves (or two bfloats) are exact in f32, so only the sum's precision matters. */
float g4_vec_dot_f16_ref(int64_t n, const void *w, const void *x) {
    const g4_half *a = w, *b = x;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(g4_half_to_float(a[i]) * g4_half_to_float(b[i]));
    return (float)sum;
}

float g4_vec_dot_bf16_ref(int64_t n, const void *w, const void *x) {
    const g4_bf16 *a = w, *b = x;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(g4_bf16_to_float(a[i]) * g4_bf16_to_float(b[i]));
    return (float)sum;
}

/* 4-bit quants: byte j holds element j in its low nibble and element j + 16 in its high one. */
static void unpack_nibbles(const uint8_t qs[16], int q[32]) {
    for (int j = 0; j < 16; j++) {
        q[j] = qs[j] & 0x0F;
        q[j + 16] = qs[j] >> 4;
    }
}

/* 5-bit quants: the nibbles as above, plus bit j of the 32-bit little-endian qh as bit 4 of element j. */
static void unpack_nibbles_5bit(const uint8_t qs[16], const uint8_t qh_bytes[4], int q[32]) {
    uint32_t qh =
        (uint32_t)qh_bytes[0] | (uint32_t)qh_bytes[1] << 8 | (uint32_t)qh_bytes[2] << 16 | (uint32_t)qh_bytes[3] << 24;
    unpack_nibbles(qs, q);
    for (int j = 0; j < 32; j++) q[j] |= (int)((qh >> j) & 1) << 4;
}

static int32_t block_isum(const int q[32], const int8_t y[32]) {
    int32_t sum = 0;
    for (int j = 0; j < 32; j++) sum += q[j] * y[j];
    return sum;
}

float g4_vec_dot_q4_0_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q4_0 *wb = w;
    const g4_block_q8_0 *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK4_0; b++) {
        int q[32];
        unpack_nibbles(wb[b].qs, q);
        for (int j = 0; j < 32; j++) q[j] -= 8;
        float d = g4_half_to_float(wb[b].d) * g4_half_to_float(xb[b].d);
        sum += d * (float)block_isum(q, xb[b].qs);
    }
    return sum;
}

float g4_vec_dot_q4_1_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q4_1 *wb = w;
    const g4_block_q8_1 *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK4_1; b++) {
        int q[32];
        unpack_nibbles(wb[b].qs, q);
        float d = g4_half_to_float(wb[b].d) * g4_half_to_float(xb[b].d);
        sum += d * (float)block_isum(q, xb[b].qs) + g4_half_to_float(wb[b].m) * g4_half_to_float(xb[b].s);
    }
    return sum;
}

float g4_vec_dot_q5_0_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q5_0 *wb = w;
    const g4_block_q8_0 *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK5_0; b++) {
        int q[32];
        unpack_nibbles_5bit(wb[b].qs, wb[b].qh, q);
        for (int j = 0; j < 32; j++) q[j] -= 16;
        float d = g4_half_to_float(wb[b].d) * g4_half_to_float(xb[b].d);
        sum += d * (float)block_isum(q, xb[b].qs);
    }
    return sum;
}

float g4_vec_dot_q5_1_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q5_1 *wb = w;
    const g4_block_q8_1 *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK5_1; b++) {
        int q[32];
        unpack_nibbles_5bit(wb[b].qs, wb[b].qh, q);
        float d = g4_half_to_float(wb[b].d) * g4_half_to_float(xb[b].d);
        sum += d * (float)block_isum(q, xb[b].qs) + g4_half_to_float(wb[b].m) * g4_half_to_float(xb[b].s);
    }
    return sum;
}

float g4_vec_dot_q8_0_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q8_0 *wb = w;
    const g4_block_q8_0 *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK8_0; b++) {
        int q[32];
        for (int j = 0; j < 32; j++) q[j] = wb[b].qs[j];
        float d = g4_half_to_float(wb[b].d) * g4_half_to_float(xb[b].d);
        sum += d * (float)block_isum(q, xb[b].qs);
    }
    return sum;
}
