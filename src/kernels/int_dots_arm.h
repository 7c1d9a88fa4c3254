/*
 * The integer dot products for AArch64, written once and compiled twice: vec_dot_neon.c defines
 * dot16 with SMULL/SMLAL2/SADALP (baseline Armv8), vec_dot_dotprod.c with SDOT (Armv8.2 dotprod,
 * Cortex-A76 and later), then includes this file and defines its exported g4_vec_dot_*_neon or
 * g4_vec_dot_*_dotprod, each a call of the int_dot_* below. dot16(acc, a, b) adds the 16 products
 * a[i] * b[i] of two int8x16 vectors into the four int32 lanes of acc; both forms are exact (the
 * widening form's int16 pair sums are at most 2 * 128 * 127).
 *
 * Quants are unpacked to signed int8 (weights of -128 included) and dotted with the activation's
 * int8 values: every integer sum of vec_dot.h is exact in int32, and the float combination is the
 * reference's expression, term by term and in the reference's order (32-element blocks: four
 * blocks' integer sums and terms computed side by side, then added to the running sum one at a
 * time): these kernels return the scalar reference's bits.
 */
#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/simd.h"

#define G4_ARM_INLINE static inline __attribute__((always_inline))

/* Defined by the including file: the int8 product-accumulate of its instruction set. */
static inline int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b);

/* FCVT from half is exact and gives g4_half_to_float's bits (NaNs quieted, payload kept). */
static inline float h2f(g4_half h) {
    __fp16 f;
    memcpy(&f, &h, sizeof f);
    return (float)f;
}

/* ---- 32-element blocks --------------------------------------------------------------------------- */

/* The 32 quants of a block as two int8x16 (elements 0-15, 16-31). */
typedef struct {
    int8x16_t lo, hi;
} q32;

static inline q32 nibbles(const uint8_t qs[16]) {
    const uint8x16_t raw = vld1q_u8(qs);
    return (q32){vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), vreinterpretq_s8_u8(vshrq_n_u8(raw, 4))};
}

/* 0xFF in byte j where bit j of qh (little-endian 32 bits) is set: (lo: bits 0-15, hi: 16-31). */
static inline void bits32(const uint8_t qh[4], uint8x16_t *lo, uint8x16_t *hi) {
    const uint8x16_t sel = vreinterpretq_u8_u64(vdupq_n_u64(0x8040201008040201ull));
    const uint64_t spread = 0x0101010101010101ull;
    *lo = vtstq_u8(vcombine_u8(vcreate_u8(spread * qh[0]), vcreate_u8(spread * qh[1])), sel);
    *hi = vtstq_u8(vcombine_u8(vcreate_u8(spread * qh[2]), vcreate_u8(spread * qh[3])), sel);
}

static inline int32x4_t dot32(q32 w, const int8_t y[32]) {
    int32x4_t acc = dot16(vdupq_n_s32(0), w.lo, vld1q_s8(y));
    return dot16(acc, w.hi, vld1q_s8(y + 16));
}

static inline int32x4_t block_q4_0(const void *wv, const void *xv) {
    const g4_block_q4_0 *w = wv;
    const g4_block_q8_0 *x = xv;
    q32 q = nibbles(w->qs);
    q.lo = vsubq_s8(q.lo, vdupq_n_s8(8));
    q.hi = vsubq_s8(q.hi, vdupq_n_s8(8));
    return dot32(q, x->qs);
}
static inline int32x4_t block_q4_1(const void *wv, const void *xv) {
    const g4_block_q4_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    return dot32(nibbles(w->qs), x->qs);
}
/* q5_0: (nibble | bit << 4) - 16 = the nibble with 0xF0 or-ed in where the bit is clear */
static inline int32x4_t block_q5_0(const void *wv, const void *xv) {
    const g4_block_q5_0 *w = wv;
    const g4_block_q8_0 *x = xv;
    uint8x16_t blo, bhi;
    bits32(w->qh, &blo, &bhi);
    q32 q = nibbles(w->qs);
    q.lo = vorrq_s8(q.lo, vreinterpretq_s8_u8(vbicq_u8(vdupq_n_u8(0xF0), blo)));
    q.hi = vorrq_s8(q.hi, vreinterpretq_s8_u8(vbicq_u8(vdupq_n_u8(0xF0), bhi)));
    return dot32(q, x->qs);
}
static inline int32x4_t block_q5_1(const void *wv, const void *xv) {
    const g4_block_q5_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    uint8x16_t blo, bhi;
    bits32(w->qh, &blo, &bhi);
    q32 q = nibbles(w->qs);
    q.lo = vorrq_s8(q.lo, vreinterpretq_s8_u8(vandq_u8(vdupq_n_u8(0x10), blo)));
    q.hi = vorrq_s8(q.hi, vreinterpretq_s8_u8(vandq_u8(vdupq_n_u8(0x10), bhi)));
    return dot32(q, x->qs);
}
static inline int32x4_t block_q8_0(const void *wv, const void *xv) {
    const g4_block_q8_0 *w = wv;
    const g4_block_q8_0 *x = xv;
    return dot32((q32){vld1q_s8(w->qs), vld1q_s8(w->qs + 16)}, x->qs);
}

/* The halves at p + i * stride, i < 4, as four floats (the conversion is exact). */
static inline float32x4_t halves4(const void *p, size_t stride) {
    const uint8_t *b = p;
    uint16_t h[4];
    for (int i = 0; i < 4; i++) memcpy(&h[i], b + (size_t)i * stride, 2);
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

static inline float32x4_t min4_q4_1(const void *wv, const void *xv) {
    const g4_block_q4_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    return vmulq_f32(halves4(&w->m, sizeof *w), halves4(&x->s, sizeof *x));
}
static inline float min1_q4_1(const void *wv, const void *xv) {
    const g4_block_q4_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    return h2f(w->m) * h2f(x->s);
}
static inline float32x4_t min4_q5_1(const void *wv, const void *xv) {
    const g4_block_q5_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    return vmulq_f32(halves4(&w->m, sizeof *w), halves4(&x->s, sizeof *x));
}
static inline float min1_q5_1(const void *wv, const void *xv) {
    const g4_block_q5_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    return h2f(w->m) * h2f(x->s);
}
/* The dot of n elements in blocks of 32: w_bytes and x_bytes long, their first field the half scale
 * d, block the integer kernel; the _1 types add min4 / min1 per block (NULL for the _0 types). */
typedef int32x4_t (*block_isum_fn)(const void *w, const void *x);
typedef float32x4_t (*min_terms4_fn)(const void *w, const void *x);
typedef float (*min_term_fn)(const void *w, const void *x);
G4_ARM_INLINE float dot_blocks32(int64_t n, const void *w, size_t w_bytes, const void *x, size_t x_bytes,
                                 block_isum_fn block, min_terms4_fn min4, min_term_fn min1) {
    const char *wb = w, *xb = x;
    const int64_t nb = n / 32;
    float sum = 0.0f;
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        const char *w0 = wb + (size_t)b * w_bytes, *x0 = xb + (size_t)b * x_bytes;
        const int32x4_t isum = vpaddq_s32(
            vpaddq_s32(block(w0, x0), block(w0 + w_bytes, x0 + x_bytes)),
            vpaddq_s32(block(w0 + 2 * w_bytes, x0 + 2 * x_bytes), block(w0 + 3 * w_bytes, x0 + 3 * x_bytes)));
        const float32x4_t d = vmulq_f32(halves4(w0, w_bytes), halves4(x0, x_bytes));
        float32x4_t term = vmulq_f32(d, vcvtq_f32_s32(isum));
        if (min4) term = vaddq_f32(term, min4(w0, x0));
        sum += vgetq_lane_f32(term, 0);
        sum += vgetq_lane_f32(term, 1);
        sum += vgetq_lane_f32(term, 2);
        sum += vgetq_lane_f32(term, 3);
    }
    for (; b < nb; b++) {
        const char *w0 = wb + (size_t)b * w_bytes, *x0 = xb + (size_t)b * x_bytes;
        const float d = h2f(*(const g4_half *)w0) * h2f(*(const g4_half *)x0);
        float term = d * (float)vaddvq_s32(block(w0, x0));
        if (min1) term += min1(w0, x0);
        sum += term;
    }
    return sum;
}

G4_ARM_INLINE float int_dot_q4_0(int64_t n, const void *w, const void *x) {
    return dot_blocks32(n, w, sizeof(g4_block_q4_0), x, sizeof(g4_block_q8_0), block_q4_0, NULL, NULL);
}
G4_ARM_INLINE float int_dot_q4_1(int64_t n, const void *w, const void *x) {
    return dot_blocks32(n, w, sizeof(g4_block_q4_1), x, sizeof(g4_block_q8_1), block_q4_1, min4_q4_1, min1_q4_1);
}
G4_ARM_INLINE float int_dot_q5_0(int64_t n, const void *w, const void *x) {
    return dot_blocks32(n, w, sizeof(g4_block_q5_0), x, sizeof(g4_block_q8_0), block_q5_0, NULL, NULL);
}
G4_ARM_INLINE float int_dot_q5_1(int64_t n, const void *w, const void *x) {
    return dot_blocks32(n, w, sizeof(g4_block_q5_1), x, sizeof(g4_block_q8_1), block_q5_1, min4_q5_1, min1_q5_1);
}
G4_ARM_INLINE float int_dot_q8_0(int64_t n, const void *w, const void *x) {
    return dot_blocks32(n, w, sizeof(g4_block_q8_0), x, sizeof(g4_block_q8_0), block_q8_0, NULL, NULL);
}

/* ---- K-quants ------------------------------------------------------------------------------------- */

/* sum of q * y over 16 elements times an integer sub-block scale, added to acc */
static inline int32x4_t scaled16(int32x4_t acc, int8x16_t q, const int8_t *y, int scale) {
    return vmlaq_n_s32(acc, dot16(vdupq_n_s32(0), q, vld1q_s8(y)), scale);
}

/* sum_k c[k] * bsums[k] for 16 int16 weights c */
static inline int32_t weighted_bsums(int16x8_t c_lo, int16x8_t c_hi, const int16_t bsums[16]) {
    const int16x8_t b_lo = vld1q_s16(bsums), b_hi = vld1q_s16(bsums + 8);
    int32x4_t s = vmull_s16(vget_low_s16(c_lo), vget_low_s16(b_lo));
    s = vmlal_high_s16(s, c_lo, b_lo);
    s = vmlal_s16(s, vget_low_s16(c_hi), vget_low_s16(b_hi));
    s = vmlal_high_s16(s, c_hi, b_hi);
    return vaddvq_s32(s);
}

static inline int8x16_t bits_at(uint8x16_t v, int shift, uint8_t mask) {
    return vreinterpretq_s8_u8(vandq_u8(vshlq_u8(v, vdupq_n_s8((int8_t)-shift)), vdupq_n_u8(mask)));
}

G4_ARM_INLINE float int_dot_q2_K(int64_t n, const void *w, const void *x) {
    const g4_block_q2_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        const int8_t *y = xb[b].qs;
        const uint8_t *sc = wb[b].scales; /* low nibble scale, high nibble min, per 16 */
        int32x4_t acc = vdupq_n_s32(0);
        for (int half = 0; half < 2; half++) {
            const uint8x16_t q0 = vld1q_u8(wb[b].qs + 32 * half), q1 = vld1q_u8(wb[b].qs + 32 * half + 16);
            for (int run = 0; run < 4; run++) {
                const int k = 8 * half + 2 * run;
                const int8_t *yr = y + 128 * half + 32 * run;
                acc = scaled16(acc, bits_at(q0, 2 * run, 3), yr, sc[k] & 0x0F);
                acc = scaled16(acc, bits_at(q1, 2 * run, 3), yr + 16, sc[k + 1] & 0x0F);
            }
        }
        const uint8x16_t mins = vshrq_n_u8(vld1q_u8(sc), 4);
        const int32_t msum = weighted_bsums(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(mins))),
                                            vreinterpretq_s16_u16(vmovl_high_u8(mins)), xb[b].bsums);
        const int32_t isum = vaddvq_s32(acc);
        sum += (h2f(wb[b].d) * xb[b].d) * (float)isum - (h2f(wb[b].dmin) * xb[b].d) * (float)msum;
    }
    return sum;
}

/* Q3_K: q = low2 - 4 where the hmask bit (4 * half + run) is clear. */
G4_ARM_INLINE float int_dot_q3_K(int64_t n, const void *w, const void *x) {
    const g4_block_q3_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        const int8_t *y = xb[b].qs;
        int8_t sc[16];
        g4_k3_scales(wb[b].scales, sc);
        const uint8x16_t m0 = vld1q_u8(wb[b].hmask), m1 = vld1q_u8(wb[b].hmask + 16);
        int32x4_t acc = vdupq_n_s32(0);
        for (int half = 0; half < 2; half++) {
            const uint8x16_t q0 = vld1q_u8(wb[b].qs + 32 * half), q1 = vld1q_u8(wb[b].qs + 32 * half + 16);
            for (int run = 0; run < 4; run++) {
                const int k = 8 * half + 2 * run;
                const int8_t *yr = y + 128 * half + 32 * run;
                const uint8x16_t bit = vdupq_n_u8((uint8_t)(1u << (4 * half + run)));
                const int8x16_t w0 =
                    vsubq_s8(bits_at(q0, 2 * run, 3), vreinterpretq_s8_u8(vbicq_u8(vdupq_n_u8(4), vtstq_u8(m0, bit))));
                const int8x16_t w1 =
                    vsubq_s8(bits_at(q1, 2 * run, 3), vreinterpretq_s8_u8(vbicq_u8(vdupq_n_u8(4), vtstq_u8(m1, bit))));
                acc = scaled16(acc, w0, yr, sc[k]);
                acc = scaled16(acc, w1, yr + 16, sc[k + 1]);
            }
        }
        sum += (h2f(wb[b].d) * xb[b].d) * (float)vaddvq_s32(acc);
    }
    return sum;
}

/* Q4_K and Q5_K: chunk c of 64 elements is 32 bytes whose low nibbles are sub-block 2c and high
 * nibbles sub-block 2c + 1; Q5_K's fifth bits are bits 2c and 2c + 1 of qh[l]. */
static inline float dot_q4_q5_K(g4_half d, g4_half dmin, const uint8_t *scales12, const uint8_t *qs, const uint8_t *qh,
                                const g4_block_q8_K *xb) {
    uint8_t sc[8], mn[8];
    g4_k4_scales_mins(scales12, sc, mn);
    uint8x16_t h0 = qh ? vld1q_u8(qh) : vdupq_n_u8(0), h1 = qh ? vld1q_u8(qh + 16) : vdupq_n_u8(0);
    const uint8x16_t low4 = vdupq_n_u8(0x0F), one = vdupq_n_u8(1);
    int32x4_t acc = vdupq_n_s32(0);
    for (int c = 0; c < 4; c++) {
        const uint8x16_t r0 = vld1q_u8(qs + 32 * c), r1 = vld1q_u8(qs + 32 * c + 16);
        uint8x16_t lo0 = vandq_u8(r0, low4), lo1 = vandq_u8(r1, low4);
        uint8x16_t hi0 = vshrq_n_u8(r0, 4), hi1 = vshrq_n_u8(r1, 4);
        if (qh) {
            lo0 = vorrq_u8(lo0, vshlq_n_u8(vandq_u8(h0, one), 4));
            lo1 = vorrq_u8(lo1, vshlq_n_u8(vandq_u8(h1, one), 4));
            hi0 = vorrq_u8(hi0, vshlq_n_u8(vandq_u8(vshrq_n_u8(h0, 1), one), 4));
            hi1 = vorrq_u8(hi1, vshlq_n_u8(vandq_u8(vshrq_n_u8(h1, 1), one), 4));
            h0 = vshrq_n_u8(h0, 2);
            h1 = vshrq_n_u8(h1, 2);
        }
        const int8_t *y = xb->qs + 64 * c;
        int32x4_t slo = dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(lo0), vld1q_s8(y));
        slo = dot16(slo, vreinterpretq_s8_u8(lo1), vld1q_s8(y + 16));
        int32x4_t shi = dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(hi0), vld1q_s8(y + 32));
        shi = dot16(shi, vreinterpretq_s8_u8(hi1), vld1q_s8(y + 48));
        acc = vmlaq_n_s32(acc, slo, sc[2 * c]);
        acc = vmlaq_n_s32(acc, shi, sc[2 * c + 1]);
    }
    /* each min covers two 16-element bsums */
    const uint8x8_t m = vld1_u8(mn);
    const int16x8_t mins_lo = vreinterpretq_s16_u16(vmovl_u8(vzip1_u8(m, m)));
    const int16x8_t mins_hi = vreinterpretq_s16_u16(vmovl_u8(vzip2_u8(m, m)));
    const int32_t isum = vaddvq_s32(acc), msum = weighted_bsums(mins_lo, mins_hi, xb->bsums);
    return (h2f(d) * xb->d) * (float)isum - (h2f(dmin) * xb->d) * (float)msum;
}

G4_ARM_INLINE float int_dot_q4_K(int64_t n, const void *w, const void *x) {
    const g4_block_q4_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++)
        sum += dot_q4_q5_K(wb[b].d, wb[b].dmin, wb[b].scales, wb[b].qs, NULL, &xb[b]);
    return sum;
}

G4_ARM_INLINE float int_dot_q5_K(int64_t n, const void *w, const void *x) {
    const g4_block_q5_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++)
        sum += dot_q4_q5_K(wb[b].d, wb[b].dmin, wb[b].scales, wb[b].qs, wb[b].qh, &xb[b]);
    return sum;
}

/* Q6_K: per 128-element half, run r takes its low 4 bits from ql bytes 0-31 (r even) or 32-63 (r
 * odd), low nibbles for r < 2, and its top 2 bits from bits 2r of qh; q = that 6-bit value - 32. */
G4_ARM_INLINE float int_dot_q6_K(int64_t n, const void *w, const void *x) {
    const g4_block_q6_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        const int8_t *sc = wb[b].scales;
        int32x4_t acc = vdupq_n_s32(0);
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = wb[b].ql + 64 * half, *qh = wb[b].qh + 32 * half;
            const int8_t *y = xb[b].qs + 128 * half;
            for (int part = 0; part < 2; part++) { /* elements l = 16 part .. 16 part + 15 of each run */
                const uint8x16_t l0 = vld1q_u8(ql + 16 * part), l1 = vld1q_u8(ql + 32 + 16 * part);
                const uint8x16_t h = vld1q_u8(qh + 16 * part);
                const uint8x16_t low4 = vdupq_n_u8(0x0F), three = vdupq_n_u8(3);
                const uint8x16_t q[4] = {
                    vorrq_u8(vandq_u8(l0, low4), vshlq_n_u8(vandq_u8(h, three), 4)),
                    vorrq_u8(vandq_u8(l1, low4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 2), three), 4)),
                    vorrq_u8(vshrq_n_u8(l0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 4), three), 4)),
                    vorrq_u8(vshrq_n_u8(l1, 4), vshlq_n_u8(vshrq_n_u8(h, 6), 4)),
                };
                for (int run = 0; run < 4; run++) {
                    const int8x16_t wq = vsubq_s8(vreinterpretq_s8_u8(q[run]), vdupq_n_s8(32));
                    acc = scaled16(acc, wq, y + 32 * run + 16 * part, sc[8 * half + 2 * run + part]);
                }
            }
        }
        sum += (h2f(wb[b].d) * xb[b].d) * (float)vaddvq_s32(acc);
    }
    return sum;
}
