/* The AVX2 vector e^x shared by the vector ops (ops_avx2.c: softmax, gelu, softcap) and attention
 * (attention_avx2.c). Included only by *_avx2.c files. */
#ifndef G4_KERNELS_EXP_AVX2_H
#define G4_KERNELS_EXP_AVX2_H

#include <immintrin.h>

/* e^x: x = k ln2 + r with |r| <= ln2 / 2 (ln2 split in two so that k ln2 is exact), e^r by
 * Cephes' degree-6 polynomial, 2^k through the exponent bits. Within 2 ulp of expf for results of
 * at least FLT_MIN; 0 below (where expf would give a subnormal), so e^-inf = 0 as the first block
 * needs; NaN propagates. Attention only asks for x <= 0; the clamp at 88 keeps 2^k finite anyway. */
static inline __attribute__((always_inline)) __m256 exp_ps(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.33654475f); /* ln FLT_MIN */
    const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_set1_ps(88.0f), x); /* min/max return x when it is NaN */
    x = _mm256_max_ps(lo, x);
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    const __m256 er = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(underflow, _mm256_mul_ps(er, _mm256_castsi256_ps(bits)));
}

#endif
