/*
 * Baseline Armv8 NEON dot products (every AArch64 core, the Cortex-A53 and A55 included).
 *
 * Integer types: int_dots_arm.h with the widening multiply-accumulate (SMULL + SMLAL2 into int16
 * pairs, SADALP into int32). Float types: products rounded to f32 as in the reference (exact for
 * f16 and bf16) and summed in double, two lanes per accumulator: the result differs from the
 * reference only in the order of the double additions.
 */
#include <arm_neon.h>

#include "kernels/quants.h"
#include "kernels/simd.h"

#include "kernels/int_dots_arm.h"

/* int_dots_arm.h's int8 product-accumulate: widening multiplies into int16 pairs, pairwise into int32. */
static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    int16x8_t p = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    p = vmlal_high_s8(p, a, b);
    return vpadalq_s16(acc, p);
}

/* ---- integer types ------------------------------------------------------------------------------ */

float g4_vec_dot_q4_0_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q4_0(n, w, x);
}
float g4_vec_dot_q4_1_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q4_1(n, w, x);
}
float g4_vec_dot_q5_0_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q5_0(n, w, x);
}
float g4_vec_dot_q5_1_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q5_1(n, w, x);
}
float g4_vec_dot_q8_0_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q8_0(n, w, x);
}
float g4_vec_dot_q2_K_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q2_K(n, w, x);
}
float g4_vec_dot_q3_K_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q3_K(n, w, x);
}
float g4_vec_dot_q4_K_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q4_K(n, w, x);
}
float g4_vec_dot_q5_K_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q5_K(n, w, x);
}
float g4_vec_dot_q6_K_neon(int64_t n, const void *w, const void *x) {
    return int_dot_q6_K(n, w, x);
}

/* ---- float types ------------------------------------------------------------------------------- */

static inline float64x2_t widen_add_lo(float64x2_t acc, float32x4_t p) {
    return vaddq_f64(acc, vcvt_f64_f32(vget_low_f32(p)));
}
static inline float64x2_t widen_add_hi(float64x2_t acc, float32x4_t p) {
    return vaddq_f64(acc, vcvt_high_f64_f32(p));
}

float g4_vec_dot_f32_neon(int64_t n, const void *w, const void *x) {
    const float *a = w, *b = x;
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t p = vmulq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
        const float32x4_t q = vmulq_f32(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
        s0 = widen_add_lo(s0, p);
        s1 = widen_add_hi(s1, p);
        s2 = widen_add_lo(s2, q);
        s3 = widen_add_hi(s3, q);
    }
    double sum = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
    for (; i < n; i++) sum += (double)(a[i] * b[i]);
    return (float)sum;
}

float g4_vec_dot_f16_neon(int64_t n, const void *w, const void *x) {
    const g4_half *a = w, *b = x;
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const float16x8_t ha = vreinterpretq_f16_u16(vld1q_u16(a + i));
        const float16x8_t hb = vreinterpretq_f16_u16(vld1q_u16(b + i));
        const float32x4_t p = vmulq_f32(vcvt_f32_f16(vget_low_f16(ha)), vcvt_f32_f16(vget_low_f16(hb)));
        const float32x4_t q = vmulq_f32(vcvt_high_f32_f16(ha), vcvt_high_f32_f16(hb));
        s0 = widen_add_lo(s0, p);
        s1 = widen_add_hi(s1, p);
        s2 = widen_add_lo(s2, q);
        s3 = widen_add_hi(s3, q);
    }
    double sum = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
    for (; i < n; i++) sum += (double)(g4_half_to_float(a[i]) * g4_half_to_float(b[i]));
    return (float)sum;
}

/* bf16 is the top half of an f32: a 32-bit lane holding two bf16 gives the even element by a shift
 * and the odd one by masking. Both operands are split alike, so the products pair up. */
float g4_vec_dot_bf16_neon(int64_t n, const void *w, const void *x) {
    const g4_bf16 *a = w, *b = x;
    const uint32x4_t top = vdupq_n_u32(0xFFFF0000u);
    float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const uint32x4_t va = vreinterpretq_u32_u16(vld1q_u16(a + i)), vb = vreinterpretq_u32_u16(vld1q_u16(b + i));
        const float32x4_t p =
            vmulq_f32(vreinterpretq_f32_u32(vshlq_n_u32(va, 16)), vreinterpretq_f32_u32(vshlq_n_u32(vb, 16)));
        const float32x4_t q =
            vmulq_f32(vreinterpretq_f32_u32(vandq_u32(va, top)), vreinterpretq_f32_u32(vandq_u32(vb, top)));
        s0 = widen_add_lo(s0, p);
        s1 = widen_add_hi(s1, p);
        s2 = widen_add_lo(s2, q);
        s3 = widen_add_hi(s3, q);
    }
    double sum = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
    for (; i < n; i++) sum += (double)(g4_bf16_to_float(a[i]) * g4_bf16_to_float(b[i]));
    return (float)sum;
}
