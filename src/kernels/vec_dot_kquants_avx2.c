/*
 * AVX2 dot products of the K-quants with Q8_K activations. Per 256-element super-block the
 * integer sums of vec_dot.h (isum = sum_sub scale * sum(q * y), msum = sum_sub min * sum(y)) are
 * computed exactly in int32, and the float combination is the scalar reference's, term for term
 * and in the same order: these kernels return the reference's bits.
 *
 * vpmaddubsw multiplies unsigned weight quants by the signed activations; its int16 pair sums
 * stay far from saturation (at most 2 * 63 * 127). Types whose quants are signed (Q3_K, Q6_K) are
 * dotted with an unsigned offset and corrected with the activation's block sums:
 * sum (q - c) y = sum q y - c * sum y, where Q8_K's bsums are the sums of y over 16 elements.
 */
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/simd.h"

/* F16C's conversion is exact and gives g4_half_to_float's bits (NaNs quieted, payload kept). */
static inline float h2f(g4_half h) {
    return _cvtsh_ss(h);
}

static inline __m256i load32(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

static inline int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* Sub-block scales as int16 in both 128-bit lanes: the 8 scales of one 128-element half (16-element
 * sub-blocks) or of a whole Q4_K/Q5_K super-block (32-element sub-blocks). */
static inline __m256i scales16_i8(const int8_t s[8]) {
    return _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)s)));
}
static inline __m256i scales16_u8(const uint8_t s[8]) {
    return _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)s)));
}

/* Scale j of the 8 in every int16 of the low lane and scale k in the high lane (pshufb picks the
 * two bytes of int16 j within each lane). */
static inline __m256i pick_scales(__m256i scales16, int j, int k) {
    const __m128i lo = _mm_set1_epi16((short)(2 * j | (2 * j + 1) << 8));
    const __m128i hi = _mm_set1_epi16((short)(2 * k | (2 * k + 1) << 8));
    return _mm256_shuffle_epi8(scales16, _mm256_set_m128i(hi, lo));
}

/* The int16 pair sums of one 32-element run times the scales of its two 16-element sub-blocks
 * (run r of a half: scales 2r and 2r + 1 of that half; first 16 elements in the low lane),
 * accumulated as 8 int32. */
static inline __m256i add_scaled_run(__m256i acc, __m256i pairs16, __m256i half_scales16, int run) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs16, pick_scales(half_scales16, 2 * run, 2 * run + 1)));
}

/* sum_k c[k] * bsums[k] over the 16 sub-blocks, c given as 16 int16. */
static inline int32_t weighted_bsums(__m256i c16, const int16_t bsums[16]) {
    return hsum_i32(_mm256_madd_epi16(c16, load32(bsums)));
}

static inline __m256i bits_at(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8((char)mask));
}

float g4_vec_dot_q2_K_avx2(int64_t n, const void *w, const void *x) {
    const g4_block_q2_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        const int8_t *y = xb[b].qs;
        const uint8_t *sc = wb[b].scales; /* low nibble scale, high nibble min, per 16 */
        const __m128i sc_lo = _mm_and_si128(_mm_loadu_si128((const __m128i *)sc), _mm_set1_epi8(0x0F));
        int8_t scales[16];
        _mm_storeu_si128((__m128i *)scales, sc_lo);
        __m256i acc = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            const __m256i qs = load32(wb[b].qs + 32 * half), hs = scales16_i8(scales + 8 * half);
            for (int run = 0; run < 4; run++) {
                const __m256i p = _mm256_maddubs_epi16(bits_at(qs, 2 * run, 3), load32(y + 128 * half + 32 * run));
                acc = add_scaled_run(acc, p, hs, run);
            }
        }
        const __m256i mins = _mm256_cvtepu8_epi16(
            _mm_and_si128(_mm_srli_epi16(_mm_loadu_si128((const __m128i *)sc), 4), _mm_set1_epi8(0x0F)));
        const int32_t isum = hsum_i32(acc), msum = weighted_bsums(mins, xb[b].bsums);
        sum += (h2f(wb[b].d) * xb[b].d) * (float)isum - (h2f(wb[b].dmin) * xb[b].d) * (float)msum;
    }
    return sum;
}

/* Q3_K: q = low2 - 4 * (hmask bit clear) = (low2 | hbit << 2) - 4. */
float g4_vec_dot_q3_K_avx2(int64_t n, const void *w, const void *x) {
    const g4_block_q3_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        const int8_t *y = xb[b].qs;
        int8_t sc[16];
        g4_k3_scales(wb[b].scales, sc);
        const __m256i hm = load32(wb[b].hmask);
        __m256i acc = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            const __m256i qs = load32(wb[b].qs + 32 * half), hs = scales16_i8(sc + 8 * half);
            for (int run = 0; run < 4; run++) {
                const __m256i q =
                    _mm256_or_si256(bits_at(qs, 2 * run, 3), _mm256_slli_epi16(bits_at(hm, 4 * half + run, 1), 2));
                const __m256i p = _mm256_maddubs_epi16(q, load32(y + 128 * half + 32 * run));
                acc = add_scaled_run(acc, p, hs, run);
            }
        }
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
        const int32_t isum = hsum_i32(acc) - 4 * weighted_bsums(sc16, xb[b].bsums);
        sum += (h2f(wb[b].d) * xb[b].d) * (float)isum;
    }
    return sum;
}

/* Q4_K and Q5_K: chunk c of 64 elements is 32 bytes whose low nibbles are sub-block 2c and high
 * nibbles sub-block 2c + 1; Q5_K's fifth bits are bits 2c and 2c + 1 of qh[l]. */
static inline float dot_q4_q5_K(g4_half d, g4_half dmin, const uint8_t *scales12, const uint8_t *qs, const uint8_t *qh,
                                const g4_block_q8_K *xb) {
    uint8_t sc[8], mn[8];
    g4_k4_scales_mins(scales12, sc, mn);
    const __m256i h = qh ? load32(qh) : _mm256_setzero_si256();
    const __m256i scales = scales16_u8(sc);
    __m256i acc = _mm256_setzero_si256();
    for (int c = 0; c < 4; c++) {
        const __m256i raw = load32(qs + 32 * c);
        __m256i lo = _mm256_and_si256(raw, _mm256_set1_epi8(0x0F));
        __m256i hi = bits_at(raw, 4, 0x0F);
        if (qh) {
            lo = _mm256_or_si256(lo, _mm256_slli_epi16(bits_at(h, 2 * c, 1), 4));
            hi = _mm256_or_si256(hi, _mm256_slli_epi16(bits_at(h, 2 * c + 1, 1), 4));
        }
        const __m256i plo = _mm256_maddubs_epi16(lo, load32(xb->qs + 64 * c));
        const __m256i phi = _mm256_maddubs_epi16(hi, load32(xb->qs + 64 * c + 32));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(plo, pick_scales(scales, 2 * c, 2 * c)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(phi, pick_scales(scales, 2 * c + 1, 2 * c + 1)));
    }
    /* each min covers two 16-element bsums: the mins as int16 [m0 m0 m1 m1 ... m7 m7] */
    const __m128i dup = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_loadl_epi64((const __m128i *)mn), dup));
    const int32_t isum = hsum_i32(acc), msum = weighted_bsums(mins, xb->bsums);
    return (h2f(d) * xb->d) * (float)isum - (h2f(dmin) * xb->d) * (float)msum;
}

float g4_vec_dot_q4_K_avx2(int64_t n, const void *w, const void *x) {
    const g4_block_q4_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++)
        sum += dot_q4_q5_K(wb[b].d, wb[b].dmin, wb[b].scales, wb[b].qs, NULL, &xb[b]);
    return sum;
}

float g4_vec_dot_q5_K_avx2(int64_t n, const void *w, const void *x) {
    const g4_block_q5_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++)
        sum += dot_q4_q5_K(wb[b].d, wb[b].dmin, wb[b].scales, wb[b].qs, wb[b].qh, &xb[b]);
    return sum;
}

/* Q6_K: per 128-element half, run r takes its low 4 bits from ql bytes 0-31 (r even) or 32-63 (r
 * odd), low nibbles for r < 2, and its top 2 bits from bits 2r of qh; q = that 6-bit value - 32. */
float g4_vec_dot_q6_K_avx2(int64_t n, const void *w, const void *x) {
    const g4_block_q6_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        const int8_t *y = xb[b].qs, *sc = wb[b].scales;
        __m256i acc = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {
            const __m256i ql0 = load32(wb[b].ql + 64 * half), ql1 = load32(wb[b].ql + 64 * half + 32);
            const __m256i qh = load32(wb[b].qh + 32 * half), hs = scales16_i8(sc + 8 * half);
            const __m256i q[4] = {
                _mm256_or_si256(bits_at(ql0, 0, 0x0F), _mm256_slli_epi16(bits_at(qh, 0, 3), 4)),
                _mm256_or_si256(bits_at(ql1, 0, 0x0F), _mm256_slli_epi16(bits_at(qh, 2, 3), 4)),
                _mm256_or_si256(bits_at(ql0, 4, 0x0F), _mm256_slli_epi16(bits_at(qh, 4, 3), 4)),
                _mm256_or_si256(bits_at(ql1, 4, 0x0F), _mm256_slli_epi16(bits_at(qh, 6, 3), 4)),
            };
            for (int run = 0; run < 4; run++) {
                const __m256i p = _mm256_maddubs_epi16(q[run], load32(y + 128 * half + 32 * run));
                acc = add_scaled_run(acc, p, hs, run);
            }
        }
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
        const int32_t isum = hsum_i32(acc) - 32 * weighted_bsums(sc16, xb[b].bsums);
        sum += (h2f(wb[b].d) * xb[b].d) * (float)isum;
    }
    return sum;
}
