/*
 * AVX2 activation quantizers, byte-identical to the scalar ones in act_quant.c (the tests compare
 * bytes): the same scale computed by the same scalar float expression, the same multiplications,
 * the same clamp (vminps/vmaxps take the non-NaN operand in the order written here, as fminf and
 * fmaxf do) and the same rounding (vcvtps2dq rounds half to even in the default MXCSR mode, as
 * rintf does). Block scales go through the scalar g4_float_to_half.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/blocks.h"
#include "kernels/quants.h"
#include "kernels/simd.h"
#include "kernels/vec_dot.h"

static inline __m256 abs_ps(__m256 v) {
    return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
}

/* Largest of 8 non-NaN lanes. */
static inline float hmax_ps(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* max |x| over 8 * k values; NaN inputs are skipped (the accumulator is the second operand). */
static inline float amax_ps(const float *x, int count) {
    __m256 m = _mm256_setzero_ps();
    for (int i = 0; i < count; i += 8) m = _mm256_max_ps(abs_ps(_mm256_loadu_ps(x + i)), m);
    return hmax_ps(m);
}

/* round_to_int8(v * mul) for 8 values: fminf(127, .) then fmaxf(-127, .) then rintf. */
static inline __m256i quant8(const float *x, __m256 mul) {
    __m256 t = _mm256_mul_ps(_mm256_loadu_ps(x), mul);
    t = _mm256_min_ps(t, _mm256_set1_ps(127.0f)); /* a NaN product becomes 127, as fminf(127, NaN) */
    t = _mm256_max_ps(t, _mm256_set1_ps(-127.0f));
    return _mm256_cvtps_epi32(t);
}

/* 32 int32 (four vectors of 8, in element order) to 32 int8. */
static inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    return _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static inline int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* One 32-element q8 block as act_quant.c's quantize_block_q8; returns sum(q). */
static inline int quantize_block_q8(const float *x, float *d_out, int8_t q[32]) {
    const float amax = amax_ps(x, 32);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const __m256 mul = _mm256_set1_ps(id);
    const __m256i a = quant8(x, mul), b = quant8(x + 8, mul), c = quant8(x + 16, mul), e = quant8(x + 24, mul);
    _mm256_storeu_si256((__m256i *)q, pack32(a, b, c, e));
    *d_out = d;
    return hsum_i32(_mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, e)));
}

void g4_quantize_act_q8_0_avx2(const float *x, void *out, int64_t n) {
    g4_block_q8_0 *y = out;
    for (int64_t b = 0; b < n / G4_QK8_0; b++) {
        float d;
        quantize_block_q8(x + b * G4_QK8_0, &d, y[b].qs);
        y[b].d = g4_float_to_half(d);
    }
}

void g4_quantize_act_q8_1_avx2(const float *x, void *out, int64_t n) {
    g4_block_q8_1 *y = out;
    for (int64_t b = 0; b < n / G4_QK8_1; b++) {
        float d;
        const int sum = quantize_block_q8(x + b * G4_QK8_1, &d, y[b].qs);
        y[b].d = g4_float_to_half(d);
        y[b].s = g4_float_to_half(d * (float)sum);
    }
}

void g4_quantize_act_q8_K_avx2(const float *x, void *out, int64_t n) {
    g4_block_q8_K *y = out;
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        const float amax = amax_ps(x, G4_QK_K);
        if (amax == 0.0f) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        /* the signed value of the first element of largest magnitude, as the scalar scan keeps */
        float max = 0.0f;
        for (int i = 0; i < G4_QK_K; i += 8) {
            const int hit =
                _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(x + i)), _mm256_set1_ps(amax), _CMP_EQ_OQ));
            if (hit) {
                max = x[i + __builtin_ctz((unsigned)hit)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 mul = _mm256_set1_ps(iscale);
        for (int j = 0; j < G4_QK_K; j += 32) {
            const __m256i a = quant8(x + j, mul), c = quant8(x + j + 8, mul);
            const __m256i e = quant8(x + j + 16, mul), f = quant8(x + j + 24, mul);
            _mm256_storeu_si256((__m256i *)(y[b].qs + j), pack32(a, c, e, f));
            y[b].bsums[j / 16] = (int16_t)hsum_i32(_mm256_add_epi32(a, c));
            y[b].bsums[j / 16 + 1] = (int16_t)hsum_i32(_mm256_add_epi32(e, f));
        }
        y[b].d = 1.0f / iscale;
    }
}

/* F16C rounds to nearest even exactly as g4_float_to_half, except that it keeps a NaN's payload
 * where ggml writes the canonical quiet NaN: groups holding a NaN take the scalar path. */
void g4_quantize_act_f16_avx2(const float *x, void *out, int64_t n) {
    g4_half *h = out;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) {
            for (int j = 0; j < 8; j++) h[i + j] = g4_float_to_half(x[i + j]);
            continue;
        }
        _mm_storeu_si128((__m128i *)(h + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) h[i] = g4_float_to_half(x[i]);
}

/* g4_float_to_bf16 on 8 lanes: round the low 16 bits to nearest even; NaN truncated and quieted. */
static inline __m256i bf16x8(__m256 v) {
    const __m256i u = _mm256_castps_si256(v);
    const __m256i is_nan =
        _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded =
        _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb), 16);
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x0040));
    return _mm256_blendv_epi8(rounded, quiet, is_nan);
}

void g4_quantize_act_bf16_avx2(const float *x, void *out, int64_t n) {
    g4_bf16 *h = out;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i lo = bf16x8(_mm256_loadu_ps(x + i)), hi = bf16x8(_mm256_loadu_ps(x + i + 8));
        /* packus interleaves the 128-bit lanes: [lo.0 hi.0 lo.1 hi.1] -> [lo.0 lo.1 hi.0 hi.1] */
        const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8);
        _mm256_storeu_si256((__m256i *)(h + i), packed);
    }
    for (; i < n; i++) h[i] = g4_float_to_bf16(x[i]);
}
