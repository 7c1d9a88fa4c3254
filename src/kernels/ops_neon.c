/*
 * NEON versions of the vector ops, the same algorithms as ops_avx2.c (whose header states how each
 * relates to the scalar reference; the tests hold both to the same tolerances).
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "kernels/exp_neon.h"
#include "kernels/ops.h"
#include "kernels/simd.h"

static inline float32x4_t tanh_f32(float32x4_t z) {
    const float32x4_t a = vabsq_f32(z), z2 = vmulq_f32(z, z);
    float32x4_t p = vdupq_n_f32(-5.70498872745e-3f);
    p = vfmaq_f32(vdupq_n_f32(2.06390887954e-2f), p, z2);
    p = vfmaq_f32(vdupq_n_f32(-5.37397155531e-2f), p, z2);
    p = vfmaq_f32(vdupq_n_f32(1.33314422036e-1f), p, z2);
    p = vfmaq_f32(vdupq_n_f32(-3.33332819422e-1f), p, z2);
    const float32x4_t small = vfmaq_f32(z, vmulq_f32(p, z2), z);
    const float32x4_t e = exp_f32(vaddq_f32(a, a));
    const float32x4_t one = vdupq_n_f32(1.0f);
    float32x4_t large = vsubq_f32(one, vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(e, one)));
    const uint32x4_t sign = vdupq_n_u32(0x80000000u);
    large = vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(large), vandq_u32(vreinterpretq_u32_f32(z), sign)));
    return vbslq_f32(vcltq_f32(a, vdupq_n_f32(0.625f)), small, large);
}

static inline float32x4_t gelu_f32(float32x4_t x) {
    const float32x4_t u = vmulq_f32(vmulq_f32(vdupq_n_f32(0.79788456080286535587989211986876f), x),
                                    vfmaq_f32(vdupq_n_f32(1.0f), vmulq_f32(vdupq_n_f32(0.044715f), x), x));
    const float32x4_t e = exp_f32(vmulq_f32(vdupq_n_f32(-2.0f), u));
    float32x4_t g = vdivq_f32(x, vaddq_f32(vdupq_n_f32(1.0f), e));
    g = vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(g), vcleq_f32(x, vdupq_n_f32(-10.0f))));
    return vbslq_f32(vcgeq_f32(x, vdupq_n_f32(10.0f)), x, g);
}

/* The last n % 4 values through a zero-padded vector, so that every element sees the same code. */
static inline float32x4_t load_tail(const float *x, int64_t count) {
    float pad[4] = {0};
    memcpy(pad, x, (size_t)count * sizeof(float));
    return vld1q_f32(pad);
}
static inline void store_tail(float *x, float32x4_t v, int64_t count) {
    float pad[4];
    vst1q_f32(pad, v);
    memcpy(x, pad, (size_t)count * sizeof(float));
}

void g4_gelu_tanh_neon(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, gelu_f32(vld1q_f32(x + i)));
    if (i < n) store_tail(x + i, gelu_f32(load_tail(x + i, n - i)), n - i);
}

/* ops_avx2.c's gelu_quick_ps. */
static inline float32x4_t gelu_quick_f32(float32x4_t x) {
    const float32x4_t e = exp_f32(vmulq_f32(vdupq_n_f32(-1.702f), x));
    const float32x4_t g = vdivq_f32(x, vaddq_f32(vdupq_n_f32(1.0f), e));
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(g), vcleq_f32(x, vdupq_n_f32(-60.0f))));
}

void g4_gelu_quick_neon(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, gelu_quick_f32(vld1q_f32(x + i)));
    if (i < n) store_tail(x + i, gelu_quick_f32(load_tail(x + i, n - i)), n - i);
}

/* By compare and select rather than vminq/vmaxq (which return NaN for a NaN), so that a NaN
 * becomes hi, then lo, as in the scalar ternaries. */
void g4_clamp_neon(float *x, int64_t n, float lo, float hi) {
    const float32x4_t l = vdupq_n_f32(lo), h = vdupq_n_f32(hi);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i);
        const float32x4_t m = vbslq_f32(vcltq_f32(v, h), v, h);
        vst1q_f32(x + i, vbslq_f32(vcgtq_f32(m, l), m, l));
    }
    g4_clamp(x + i, n - i, lo, hi); /* the last n % lanes: the scalar ternaries, the same bits */
}

void g4_softcap_neon(float *x, int64_t n, float cap) {
    const float32x4_t inv = vdupq_n_f32(1.0f / cap), capv = vdupq_n_f32(cap);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_f32(tanh_f32(vmulq_f32(vld1q_f32(x + i), inv)), capv));
    if (i < n) store_tail(x + i, vmulq_f32(tanh_f32(vmulq_f32(load_tail(x + i, n - i), inv)), capv), n - i);
}

void g4_rmsnorm_neon(float *out, const float *x, const float *w, int64_t n, float eps) {
    if (n <= 0) return;
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i), sq = vmulq_f32(v, v);
        s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(sq)));
        s1 = vaddq_f64(s1, vcvt_high_f64_f32(sq));
    }
    double sum = vaddvq_f64(vaddq_f64(s0, s1));
    for (; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    i = 0;
    if (w) {
        for (; i + 4 <= n; i += 4)
            vst1q_f32(out + i, vmulq_f32(vmulq_n_f32(vld1q_f32(x + i), scale), vld1q_f32(w + i)));
        for (; i < n; i++) out[i] = x[i] * scale * w[i];
    } else {
        for (; i + 4 <= n; i += 4) vst1q_f32(out + i, vmulq_n_f32(vld1q_f32(x + i), scale));
        for (; i < n; i++) out[i] = x[i] * scale;
    }
}

void g4_softmax_neon(float *x, int64_t n) {
    if (n <= 0) return;
    float32x4_t mv = vdupq_n_f32(-INFINITY);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) mv = vmaxnmq_f32(mv, vld1q_f32(x + i)); /* NaN skipped, as fmaxf */
    float max = vmaxnmvq_f32(mv);
    for (; i < n; i++) max = fmaxf(max, x[i]);
    if (max == -INFINITY) {
        memset(x, 0, (size_t)n * sizeof(float));
        return;
    }
    const float32x4_t maxv = vdupq_n_f32(max);
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0;
    for (i = 0; i + 4 <= n; i += 4) {
        const float32x4_t e = exp_f32(vsubq_f32(vld1q_f32(x + i), maxv));
        vst1q_f32(x + i, e);
        s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(e)));
        s1 = vaddq_f64(s1, vcvt_high_f64_f32(e));
    }
    double sum = vaddvq_f64(vaddq_f64(s0, s1));
    if (i < n) {
        float pad[4];
        for (int j = 0; j < 4; j++) pad[j] = i + j < n ? x[i + j] - max : -INFINITY;
        vst1q_f32(pad, exp_f32(vld1q_f32(pad)));
        for (int64_t j = i; j < n; j++) {
            x[j] = pad[j - i];
            sum += (double)x[j];
        }
    }
    const float inv = (float)(1.0 / sum);
    for (i = 0; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_n_f32(vld1q_f32(x + i), inv));
    for (; i < n; i++) x[i] *= inv;
}
