/*
 * NEON activation quantizers, byte-identical to the scalar ones in act_quant.c: the same scale by
 * the same scalar expression, the same products, the clamp with FMINNM/FMAXNM (which, like fminf
 * and fmaxf, return the number when the other operand is a quiet NaN) and FCVTNS, which rounds
 * half to even as rintf does in the default rounding mode. Block scales use g4_float_to_half.
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "kernels/blocks.h"
#include "kernels/quants.h"
#include "kernels/simd.h"

/* max |x| over count (a multiple of 4) values, NaN skipped */
static inline float amax_of(const float *x, int count) {
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int i = 0; i < count; i += 4) m = vmaxnmq_f32(m, vabsq_f32(vld1q_f32(x + i)));
    return vmaxnmvq_f32(m);
}

/* round_to_int8(x * mul) for 4 values */
static inline int32x4_t quant4(const float *x, float32x4_t mul) {
    float32x4_t t = vmulq_f32(vld1q_f32(x), mul);
    t = vminnmq_f32(t, vdupq_n_f32(127.0f));
    t = vmaxnmq_f32(t, vdupq_n_f32(-127.0f));
    return vcvtnq_s32_f32(t);
}

/* 16 values to 16 int8 at q; returns their sum. */
static inline int32_t quant16(const float *x, float32x4_t mul, int8_t *q) {
    const int32x4_t a = quant4(x, mul), b = quant4(x + 4, mul), c = quant4(x + 8, mul), d = quant4(x + 12, mul);
    const int16x8_t ab = vcombine_s16(vmovn_s32(a), vmovn_s32(b)), cd = vcombine_s16(vmovn_s32(c), vmovn_s32(d));
    vst1q_s8(q, vcombine_s8(vmovn_s16(ab), vmovn_s16(cd)));
    return vaddvq_s32(vaddq_s32(vaddq_s32(a, b), vaddq_s32(c, d)));
}

static inline int quantize_block_q8(const float *x, float *d_out, int8_t q[32]) {
    const float amax = amax_of(x, 32);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const float32x4_t mul = vdupq_n_f32(id);
    const int sum = quant16(x, mul, q) + quant16(x + 16, mul, q + 16);
    *d_out = d;
    return sum;
}

void g4_quantize_act_q8_0_neon(const float *x, void *out, int64_t n) {
    g4_block_q8_0 *y = out;
    for (int64_t b = 0; b < n / G4_QK8_0; b++) {
        float d;
        quantize_block_q8(x + b * G4_QK8_0, &d, y[b].qs);
        y[b].d = g4_float_to_half(d);
    }
}

void g4_quantize_act_q8_1_neon(const float *x, void *out, int64_t n) {
    g4_block_q8_1 *y = out;
    for (int64_t b = 0; b < n / G4_QK8_1; b++) {
        float d;
        const int sum = quantize_block_q8(x + b * G4_QK8_1, &d, y[b].qs);
        y[b].d = g4_float_to_half(d);
        y[b].s = g4_float_to_half(d * (float)sum);
    }
}

void g4_quantize_act_q8_K_neon(const float *x, void *out, int64_t n) {
    g4_block_q8_K *y = out;
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        const float amax = amax_of(x, G4_QK_K);
        if (amax == 0.0f) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        float max = 0.0f; /* the first element of largest magnitude, with its sign */
        for (int j = 0; j < G4_QK_K; j++)
            if (fabsf(x[j]) == amax) {
                max = x[j];
                break;
            }
        const float iscale = -127.0f / max;
        const float32x4_t mul = vdupq_n_f32(iscale);
        for (int k = 0; k < G4_QK_K / 16; k++) y[b].bsums[k] = (int16_t)quant16(x + 16 * k, mul, y[b].qs + 16 * k);
        y[b].d = 1.0f / iscale;
    }
}

/* FCVTN rounds to nearest even exactly as g4_float_to_half, except that it keeps a NaN's payload
 * where ggml writes the canonical quiet NaN: groups holding a NaN take the scalar path. */
void g4_quantize_act_f16_neon(const float *x, void *out, int64_t n) {
    g4_half *h = out;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i);
        if (vminvq_u32(vceqq_f32(v, v)) == 0) { /* some lane is not equal to itself */
            for (int j = 0; j < 4; j++) h[i + j] = g4_float_to_half(x[i + j]);
            continue;
        }
        vst1_u16(h + i, vreinterpret_u16_f16(vcvt_f16_f32(v)));
    }
    for (; i < n; i++) h[i] = g4_float_to_half(x[i]);
}

/* g4_float_to_bf16 on 4 lanes: round the low 16 bits to nearest even; NaN truncated and quieted. */
void g4_quantize_act_bf16_neon(const float *x, void *out, int64_t n) {
    g4_bf16 *h = out;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32x4_t u = vreinterpretq_u32_f32(vld1q_f32(x + i));
        const uint32x4_t is_nan = vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7FFFFFFFu)), vdupq_n_u32(0x7F800000u));
        const uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
        const uint32x4_t rounded = vshrq_n_u32(vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7FFF)), lsb), 16);
        const uint32x4_t quiet = vorrq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x0040));
        vst1_u16(h + i, vmovn_u32(vbslq_u32(is_nan, quiet, rounded)));
    }
    for (; i < n; i++) h[i] = g4_float_to_bf16(x[i]);
}
