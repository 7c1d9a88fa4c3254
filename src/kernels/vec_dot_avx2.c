/*
 * AVX2 dot products for the float types and the 32-element block types (dispatch.h contract).
 *
 * Block types: each block's integer sum isum = sum qw * qx is formed exactly (int8 products with
 * vpmaddubsw, whose pair sums stay below 2 * 128 * 127 and so never saturate, then vpmaddwd into
 * int32), four blocks at a time reduced to one int32 lane each. The block's float term is the
 * scalar reference's, with the same roundings ((dw * dx) * (float)isum, plus mw * sx for the _1
 * types), and the terms are added to the running sum one at a time in block order: the result is
 * the reference's, bit for bit (the serial additions cost about 5% against four float lanes).
 *
 * Float types: products rounded to f32 as in the reference (exact for f16 and bf16), summed in
 * double in four lanes, so the result differs from the reference only by the order of double
 * additions (relative error of order n * 2^-53, invisible after the final rounding to f32).
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/blocks.h"
#include "kernels/quants.h"
#include "kernels/blocks_avx2.h"
#include "kernels/simd.h"

/* ---- float types ------------------------------------------------------------------------------ */

static inline __m256d widen_add(__m256d acc, __m128 p) {
    return _mm256_add_pd(acc, _mm256_cvtps_pd(p));
}

static inline double hsum_pd(__m256d a, __m256d b, __m256d c, __m256d d) {
    __m256d s = _mm256_add_pd(_mm256_add_pd(a, b), _mm256_add_pd(c, d));
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/* Loads 8 elements of each operand as f32; one function per storage format. */
static inline __m256 load_f32(const void *p, int64_t i) {
    return _mm256_loadu_ps((const float *)p + i);
}
static inline __m256 load_f16(const void *p, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const g4_half *)p + i)));
}

/* The float dot over load's 8-element loads (products rounded to f32, summed in double in four
 * lanes); the last n % 16 elements one at a time through product. */
typedef __m256 (*load8_fn)(const void *p, int64_t i);
typedef float (*product_fn)(const void *w, const void *x, int64_t i);
static inline __attribute__((always_inline)) float float_dot(int64_t n, const void *w, const void *x, load8_fn load,
                                                             product_fn product) {
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 p = _mm256_mul_ps(load(w, i), load(x, i));
        const __m256 q = _mm256_mul_ps(load(w, i + 8), load(x, i + 8));
        a0 = widen_add(a0, _mm256_castps256_ps128(p));
        a1 = widen_add(a1, _mm256_extractf128_ps(p, 1));
        a2 = widen_add(a2, _mm256_castps256_ps128(q));
        a3 = widen_add(a3, _mm256_extractf128_ps(q, 1));
    }
    double sum = hsum_pd(a0, a1, a2, a3);
    for (; i < n; i++) sum += (double)product(w, x, i);
    return (float)sum;
}

static inline float product_f32(const void *w, const void *x, int64_t i) {
    return ((const float *)w)[i] * ((const float *)x)[i];
}
static inline float product_f16(const void *w, const void *x, int64_t i) {
    return g4_half_to_float(((const g4_half *)w)[i]) * g4_half_to_float(((const g4_half *)x)[i]);
}

float g4_vec_dot_f32_avx2(int64_t n, const void *w, const void *x) {
    return float_dot(n, w, x, load_f32, product_f32);
}

float g4_vec_dot_f16_avx2(int64_t n, const void *w, const void *x) {
    return float_dot(n, w, x, load_f16, product_f16);
}

/* bf16 is the top half of an f32: a 32-bit lane holding two bf16 gives the even element by a shift
 * and the odd one by masking, with no shuffles. Both operands are split alike, so the products pair up. */
static inline __m256 bf16_even(__m256i v) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
static inline __m256 bf16_odd(__m256i v) {
    return _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xFFFF0000u)));
}

float g4_vec_dot_bf16_avx2(int64_t n, const void *w, const void *x) {
    const g4_bf16 *a = w, *b = x;
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i va = _mm256_loadu_si256((const __m256i *)(a + i)),
                      vb = _mm256_loadu_si256((const __m256i *)(b + i));
        const __m256 p = _mm256_mul_ps(bf16_even(va), bf16_even(vb));
        const __m256 q = _mm256_mul_ps(bf16_odd(va), bf16_odd(vb));
        a0 = widen_add(a0, _mm256_castps256_ps128(p));
        a1 = widen_add(a1, _mm256_extractf128_ps(p, 1));
        a2 = widen_add(a2, _mm256_castps256_ps128(q));
        a3 = widen_add(a3, _mm256_extractf128_ps(q, 1));
    }
    double sum = hsum_pd(a0, a1, a2, a3);
    for (; i < n; i++) sum += (double)(g4_bf16_to_float(a[i]) * g4_bf16_to_float(b[i]));
    return (float)sum;
}

/* ---- 32-element blocks -------------------------------------------------------------------------- */

/* Four blocks' 8-lane partial sums to their four totals [a, b, c, d]. */
static inline __m128i hsum4_i32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

static inline int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* sum + t[0] + t[1] + t[2] + t[3], one rounding after each addition, in that order. */
static inline float add_in_order(float sum, __m128 t) {
    __m128 s = _mm_add_ss(_mm_set_ss(sum), t);
    s = _mm_add_ss(s, _mm_movehdup_ps(t));
    s = _mm_add_ss(s, _mm_movehl_ps(t, t));
    s = _mm_add_ss(s, _mm_shuffle_ps(t, t, 3));
    return _mm_cvtss_f32(s);
}

/* The halves at p, p + stride, p + 2 stride, p + 3 stride as four floats (F16C is exact). */
static inline __m128 halves4(const void *p, size_t stride) {
    const uint8_t *b = p;
    uint16_t h[4];
    for (int i = 0; i < 4; i++) memcpy(&h[i], b + (size_t)i * stride, 2);
    return _mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)h));
}

/* mw * sx for four consecutive blocks (w_bytes apart) and for one: the _1 types' min term, with the
 * reference's roundings. */
typedef __m128 (*min_terms4_fn)(const void *w, const void *x);
typedef float (*min_term_fn)(const void *w, const void *x);
static inline __m128 min4_q4_1(const void *w, const void *x) {
    return _mm_mul_ps(halves4(&((const g4_block_q4_1 *)w)->m, sizeof(g4_block_q4_1)),
                      halves4(&((const g4_block_q8_1 *)x)->s, sizeof(g4_block_q8_1)));
}
static inline float min1_q4_1(const void *w, const void *x) {
    return g4_half_to_float(((const g4_block_q4_1 *)w)->m) * g4_half_to_float(((const g4_block_q8_1 *)x)->s);
}
static inline __m128 min4_q5_1(const void *w, const void *x) {
    return _mm_mul_ps(halves4(&((const g4_block_q5_1 *)w)->m, sizeof(g4_block_q5_1)),
                      halves4(&((const g4_block_q8_1 *)x)->s, sizeof(g4_block_q8_1)));
}
static inline float min1_q5_1(const void *w, const void *x) {
    return g4_half_to_float(((const g4_block_q5_1 *)w)->m) * g4_half_to_float(((const g4_block_q8_1 *)x)->s);
}

/* The dot of n elements in blocks of 32: w_bytes and x_bytes long, their first field the half scale
 * d, block the 8-lane integer kernel; the _1 types add min4 / min1 per block (NULL for the _0 types). */
static inline __attribute__((always_inline)) float dot32(int64_t n, const void *w, size_t w_bytes, const void *x,
                                                         size_t x_bytes, g4_block_isum_fn block, min_terms4_fn min4,
                                                         min_term_fn min1) {
    const char *wb = w, *xb = x;
    const int64_t nb = n / 32;
    float sum = 0.0f;
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        const char *w0 = wb + (size_t)b * w_bytes, *x0 = xb + (size_t)b * x_bytes;
        const __m128i isum =
            hsum4_i32(block(w0, x0), block(w0 + w_bytes, x0 + x_bytes), block(w0 + 2 * w_bytes, x0 + 2 * x_bytes),
                      block(w0 + 3 * w_bytes, x0 + 3 * x_bytes));
        const __m128 d = _mm_mul_ps(halves4(w0, w_bytes), halves4(x0, x_bytes));
        __m128 term = _mm_mul_ps(d, _mm_cvtepi32_ps(isum));
        if (min4) term = _mm_add_ps(term, min4(w0, x0));
        sum = add_in_order(sum, term);
    }
    for (; b < nb; b++) {
        const char *w0 = wb + (size_t)b * w_bytes, *x0 = xb + (size_t)b * x_bytes;
        const float d = g4_half_to_float(*(const g4_half *)w0) * g4_half_to_float(*(const g4_half *)x0);
        float term = d * (float)hsum_i32(block(w0, x0));
        if (min1) term += min1(w0, x0);
        sum += term;
    }
    return sum;
}

float g4_vec_dot_q4_0_avx2(int64_t n, const void *w, const void *x) {
    return dot32(n, w, sizeof(g4_block_q4_0), x, sizeof(g4_block_q8_0), block_q4_0, NULL, NULL);
}

float g4_vec_dot_q4_1_avx2(int64_t n, const void *w, const void *x) {
    return dot32(n, w, sizeof(g4_block_q4_1), x, sizeof(g4_block_q8_1), block_q4_1, min4_q4_1, min1_q4_1);
}

float g4_vec_dot_q5_0_avx2(int64_t n, const void *w, const void *x) {
    return dot32(n, w, sizeof(g4_block_q5_0), x, sizeof(g4_block_q8_0), block_q5_0, NULL, NULL);
}

float g4_vec_dot_q5_1_avx2(int64_t n, const void *w, const void *x) {
    return dot32(n, w, sizeof(g4_block_q5_1), x, sizeof(g4_block_q8_1), block_q5_1, min4_q5_1, min1_q5_1);
}

float g4_vec_dot_q8_0_avx2(int64_t n, const void *w, const void *x) {
    return dot32(n, w, sizeof(g4_block_q8_0), x, sizeof(g4_block_q8_0), block_q8_0, NULL, NULL);
}
