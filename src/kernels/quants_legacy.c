/*
 * The original ggml block formats: 32 weights per block, one half-precision scale d, and for the
 * "_1" types a half-precision offset m. Q4/Q5 store unsigned codes; a 5th bit, when present, sits
 * in a separate 32-bit mask qh. The quantizers are ggml's quantize_row_*_ref (the path
 * llama-quantize takes without an importance matrix); the output must be the same bytes, so the
 * float operations below keep ggml's order, and each deviation from the obvious is commented.
 */
#include <float.h>
#include <math.h>

#include "kernels/quants.h"
#include "kernels/quants_rows.h"

/* Fused multiply-adds would round differently from ggml's reference (built for baseline x86-64,
 * which has no FMA). ISO C mode already keeps GCC from contracting; this holds for GNU modes,
 * -march flags and clang too. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/*
 * ggml casts floats straight to int8_t / uint8_t. That is undefined in C when the value is NaN or
 * out of range, which happens only when a block's f32 scale is a float subnormal (1/d overflows to
 * inf, so x * (1/d) is +-inf or NaN). Such a block stores d = 0 as a half, so its codes are never
 * seen, but to keep the bytes identical we reproduce what ggml's x86-64 build does: cvttss2si
 * yields INT32_MIN, whose low byte is 0. (ggml on ARM saturates instead; its bytes differ there.)
 */
static int32_t trunc_to_int32(float v) {
    if (!(v > -2147483904.0f && v < 2147483648.0f)) {
        return INT32_MIN;
    }
    return (int32_t)v;
}

/* The signed byte ggml's (int8_t) cast leaves, written without implementation-defined casts. */
static int low_byte_signed(int32_t v) {
    int b = (int)((uint32_t)v & 0xFF);
    return b >= 128 ? b - 256 : b;
}

static uint8_t low_byte(int32_t v) {
    return (uint8_t)((uint32_t)v & 0xFF);
}

/* The element of largest magnitude, sign kept; the first one wins a tie. The symmetric formats
 * map it to the most negative code, which leaves the spare level to the other sign. */
static float signed_absmax(const float *x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++) {
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    return max;
}

static void min_max(const float *x, int n, float *min_out, float *max_out) {
    float min = FLT_MAX, max = -FLT_MAX;
    for (int j = 0; j < n; j++) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
    *min_out = min;
    *max_out = max;
}

/* 1/d, or 0 for an all-zero block so that every code comes out as the zero level. */
static float inverse_or_zero(float d) {
    return d != 0.0f ? 1.0f / d : 0.0f;
}

/* The 5th bits of 32 codes as the little-endian 32-bit mask qh (bit j = element j). */
static void store_high_bits(uint8_t qh[4], uint32_t mask) {
    for (int k = 0; k < 4; k++) qh[k] = (uint8_t)(mask >> (8 * k));
}

static uint32_t load_high_bits(const uint8_t qh[4]) {
    return (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
}

/* ---- Q4_0: x = d * (q - 8), q in 0..15; byte j holds element j (low) and j + 16 (high) ------- */

/* Symmetric 4-bit code: d = max / -8 puts the extreme element at code 0; x / d + 8 is then
 * rounded half up (truncating after + 8.5) and the one value that reaches 16 is clipped. */
static uint8_t q4_0_code(float xd) {
    int c = low_byte_signed(trunc_to_int32(xd + 8.5f));
    return (uint8_t)(c < 15 ? c : 15);
}

void g4_quantize_row_q4_0(const float *x, g4_block_q4_0 *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK4_0; b++, x += G4_QK4_0) {
        const float d = signed_absmax(x, G4_QK4_0) / -8;
        const float id = inverse_or_zero(d);
        y[b].d = g4_float_to_half(d);
        for (int j = 0; j < G4_QK4_0 / 2; j++) {
            uint8_t lo = q4_0_code(x[j] * id);
            uint8_t hi = q4_0_code(x[j + G4_QK4_0 / 2] * id);
            y[b].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

void g4_dequantize_row_q4_0(const g4_block_q4_0 *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK4_0; b++, y += G4_QK4_0) {
        const float d = g4_half_to_float(x[b].d);
        for (int j = 0; j < G4_QK4_0 / 2; j++) {
            y[j] = (float)((x[b].qs[j] & 0x0F) - 8) * d;
            y[j + G4_QK4_0 / 2] = (float)((x[b].qs[j] >> 4) - 8) * d;
        }
    }
}

/* ---- Q4_1: x = d * q + m, q in 0..15 over [min, max] ---------------------------------------- */

static uint8_t q4_1_code(float xd) {
    int c = low_byte_signed(trunc_to_int32(xd + 0.5f));
    return (uint8_t)(c < 15 ? c : 15);
}

void g4_quantize_row_q4_1(const float *x, g4_block_q4_1 *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK4_1; b++, x += G4_QK4_1) {
        float min, max;
        min_max(x, G4_QK4_1, &min, &max);
        const float d = (max - min) / 15;
        const float id = inverse_or_zero(d);
        y[b].d = g4_float_to_half(d);
        y[b].m = g4_float_to_half(min);
        for (int j = 0; j < G4_QK4_1 / 2; j++) {
            uint8_t lo = q4_1_code((x[j] - min) * id);
            uint8_t hi = q4_1_code((x[j + G4_QK4_1 / 2] - min) * id);
            y[b].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

void g4_dequantize_row_q4_1(const g4_block_q4_1 *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK4_1; b++, y += G4_QK4_1) {
        const float d = g4_half_to_float(x[b].d);
        const float m = g4_half_to_float(x[b].m);
        for (int j = 0; j < G4_QK4_1 / 2; j++) {
            y[j] = (float)(x[b].qs[j] & 0x0F) * d + m;
            y[j + G4_QK4_1 / 2] = (float)(x[b].qs[j] >> 4) * d + m;
        }
    }
}

/* ---- Q5_0: x = d * (q - 16), q in 0..31; low nibbles as Q4_0, 5th bits in qh ----------------- */

static uint8_t q5_0_code(float xd) {
    int c = low_byte_signed(trunc_to_int32(xd + 16.5f));
    return (uint8_t)(c < 31 ? c : 31);
}

void g4_quantize_row_q5_0(const float *x, g4_block_q5_0 *y, int64_t n) {
    const int half = G4_QK5_0 / 2;
    for (int64_t b = 0; b < n / G4_QK5_0; b++, x += G4_QK5_0) {
        const float d = signed_absmax(x, G4_QK5_0) / -16;
        const float id = inverse_or_zero(d);
        y[b].d = g4_float_to_half(d);
        uint32_t high = 0;
        for (int j = 0; j < half; j++) {
            uint8_t lo = q5_0_code(x[j] * id);
            uint8_t hi = q5_0_code(x[j + half] * id);
            y[b].qs[j] = (uint8_t)((lo & 0x0F) | (hi & 0x0F) << 4);
            high |= (uint32_t)(lo >> 4 & 1) << j;
            high |= (uint32_t)(hi >> 4 & 1) << (j + half);
        }
        store_high_bits(y[b].qh, high);
    }
}

void g4_dequantize_row_q5_0(const g4_block_q5_0 *x, float *y, int64_t n) {
    const int half = G4_QK5_0 / 2;
    for (int64_t b = 0; b < n / G4_QK5_0; b++, y += G4_QK5_0) {
        const float d = g4_half_to_float(x[b].d);
        const uint32_t high = load_high_bits(x[b].qh);
        for (int j = 0; j < half; j++) {
            int lo = (x[b].qs[j] & 0x0F) | (int)(high >> j & 1) << 4;
            int hi = (x[b].qs[j] >> 4) | (int)(high >> (j + half) & 1) << 4;
            y[j] = (float)(lo - 16) * d;
            y[j + half] = (float)(hi - 16) * d;
        }
    }
}

/* ---- Q5_1: x = d * q + m, q in 0..31 --------------------------------------------------------- */

void g4_quantize_row_q5_1(const float *x, g4_block_q5_1 *y, int64_t n) {
    const int half = G4_QK5_1 / 2;
    for (int64_t b = 0; b < n / G4_QK5_1; b++, x += G4_QK5_1) {
        float min, max;
        min_max(x, G4_QK5_1, &min, &max);
        const float d = (max - min) / 31;
        const float id = inverse_or_zero(d);
        y[b].d = g4_float_to_half(d);
        y[b].m = g4_float_to_half(min);
        uint32_t high = 0;
        for (int j = 0; j < half; j++) {
            /* no clip here in ggml: (x - min) / d rounds to at most 31 */
            uint8_t lo = low_byte(trunc_to_int32((x[j] - min) * id + 0.5f));
            uint8_t hi = low_byte(trunc_to_int32((x[j + half] - min) * id + 0.5f));
            y[b].qs[j] = (uint8_t)((lo & 0x0F) | (hi & 0x0F) << 4);
            high |= (uint32_t)(lo >> 4 & 1) << j;
            high |= (uint32_t)(hi >> 4 & 1) << (j + half);
        }
        store_high_bits(y[b].qh, high);
    }
}

void g4_dequantize_row_q5_1(const g4_block_q5_1 *x, float *y, int64_t n) {
    const int half = G4_QK5_1 / 2;
    for (int64_t b = 0; b < n / G4_QK5_1; b++, y += G4_QK5_1) {
        const float d = g4_half_to_float(x[b].d);
        const float m = g4_half_to_float(x[b].m);
        const uint32_t high = load_high_bits(x[b].qh);
        for (int j = 0; j < half; j++) {
            int lo = (x[b].qs[j] & 0x0F) | (int)(high >> j & 1) << 4;
            int hi = (x[b].qs[j] >> 4) | (int)(high >> (j + half) & 1) << 4;
            y[j] = (float)lo * d + m;
            y[j + half] = (float)hi * d + m;
        }
    }
}

/* ---- Q8_0: x = d * q, q in -127..127 (round half away from zero) ----------------------------- */

void g4_quantize_row_q8_0(const float *x, g4_block_q8_0 *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK8_0; b++, x += G4_QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < G4_QK8_0; j++) {
            amax = amax > fabsf(x[j]) ? amax : fabsf(x[j]);
        }
        const float d = amax / 127;
        const float id = inverse_or_zero(d);
        y[b].d = g4_float_to_half(d);
        for (int j = 0; j < G4_QK8_0; j++) {
            y[b].qs[j] = (int8_t)low_byte_signed(trunc_to_int32(roundf(x[j] * id)));
        }
    }
}

void g4_dequantize_row_q8_0(const g4_block_q8_0 *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK8_0; b++, y += G4_QK8_0) {
        const float d = g4_half_to_float(x[b].d);
        for (int j = 0; j < G4_QK8_0; j++) y[j] = (float)x[b].qs[j] * d;
    }
}
