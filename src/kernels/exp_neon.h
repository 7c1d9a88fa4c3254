/* The NEON vector e^x shared by the vector ops (ops_neon.c) and attention (attention_neon.c).
 * Included only by *_neon.c files. */
#ifndef G4_KERNELS_EXP_NEON_H
#define G4_KERNELS_EXP_NEON_H

#include <arm_neon.h>

/* e^x as exp_avx2.h's exp_ps: k = round(x / ln2), r = x - k ln2 (two-part ln2), Cephes'
 * polynomial for e^r, 2^k via the exponent bits; within 2 ulp of expf for results >= FLT_MIN, 0
 * below and at -inf, NaN kept (FMIN/FMAX return NaN). */
static inline __attribute__((always_inline)) float32x4_t exp_f32(float32x4_t x) {
    const float32x4_t lo = vdupq_n_f32(-87.33654475f); /* ln FLT_MIN */
    const uint32x4_t underflow = vcltq_f32(x, lo);
    x = vminq_f32(x, vdupq_n_f32(88.0f));
    x = vmaxq_f32(x, lo);
    const float32x4_t k = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504088896341f)));
    float32x4_t r = vfmsq_f32(x, k, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, k, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
    p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
    p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
    p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
    const float32x4_t er = vaddq_f32(vfmaq_f32(r, p, vmulq_f32(r, r)), vdupq_n_f32(1.0f));
    const int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(k), vdupq_n_s32(127)), 23);
    const float32x4_t e = vmulq_f32(er, vreinterpretq_f32_s32(bits));
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(e), underflow));
}

#endif
