/*
 * Activation quantizers: f32 activations to the format the dot products consume (vec_dot.h says
 * which rounding each one matches and why). Runs once per activation row per matmul, so it is off
 * the hot path for decode but on it for prefill.
 */
#include <math.h>
#include <string.h>

#include "kernels/blocks.h"
#include "kernels/quants.h"
#include "kernels/vec_dot.h"

void g4_quantize_act_f32(const float *x, void *out, int64_t n) {
    memcpy(out, x, (size_t)n * sizeof(float));
}

void g4_quantize_act_f16(const float *x, void *out, int64_t n) {
    g4_half *h = out;
    for (int64_t i = 0; i < n; i++) h[i] = g4_float_to_half(x[i]);
}

void g4_quantize_act_bf16(const float *x, void *out, int64_t n) {
    g4_bf16 *h = out;
    for (int64_t i = 0; i < n; i++) h[i] = g4_float_to_bf16(x[i]);
}

/* Round half to even (rintf in the default rounding mode), clamped to the int8 range first so
 * that a NaN or infinity in the input cannot make the conversion undefined. */
static int8_t round_to_int8(float v) {
    v = fmaxf(-127.0f, fminf(127.0f, v));
    return (int8_t)rintf(v);
}

/* One 32-element block as the x86 backend does it; returns sum(q) for q8_1's s. */
static int quantize_block_q8(const float *x, float *d_out, int8_t q[32]) {
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int j = 0; j < 32; j++) {
        q[j] = round_to_int8(x[j] * id);
        sum += q[j];
    }
    *d_out = d;
    return sum;
}

void g4_quantize_act_q8_0(const float *x, void *out, int64_t n) {
    g4_block_q8_0 *y = out;
    for (int64_t b = 0; b < n / G4_QK8_0; b++) {
        float d;
        quantize_block_q8(x + b * G4_QK8_0, &d, y[b].qs);
        y[b].d = g4_float_to_half(d);
    }
}

void g4_quantize_act_q8_1(const float *x, void *out, int64_t n) {
    g4_block_q8_1 *y = out;
    for (int64_t b = 0; b < n / G4_QK8_1; b++) {
        float d;
        int sum = quantize_block_q8(x + b * G4_QK8_1, &d, y[b].qs);
        y[b].d = g4_float_to_half(d);
        y[b].s = g4_float_to_half(d * (float)sum);
    }
}

void g4_quantize_act_q8_K(const float *x, void *out, int64_t n) {
    g4_block_q8_K *y = out;
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        float max = 0.0f, amax = 0.0f;
        for (int j = 0; j < G4_QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        /* Scaling by -127/max maps the largest-magnitude value to exactly -127, so the quants
         * never reach -128 (which the SIMD dot products could not negate). */
        const float iscale = -127.0f / max;
        for (int j = 0; j < G4_QK_K; j++) y[b].qs[j] = round_to_int8(iscale * x[j]);
        for (int k = 0; k < G4_QK_K / 16; k++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += y[b].qs[16 * k + j];
            y[b].bsums[k] = (int16_t)sum;
        }
        y[b].d = 1.0f / iscale;
    }
}
