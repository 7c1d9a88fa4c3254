/*
 * AVX2 versions of the vector ops (ops.h contracts). Against the scalar ones:
 *   rmsnorm: the same f32 squares summed in double (in four lanes), the same scale expression and
 *            products: equal to the reference except for the order of the double additions;
 *   softmax: exp by the polynomial of exp_avx2.h (within 2 ulp of expf for results >= FLT_MIN, 0 instead of
 *            a subnormal below), sum in double, the same reciprocal multiply;
 *   gelu:    0.5 x (1 + tanh(u)) computed as x / (1 + exp(-2u)), the same value without the
 *            cancellation that makes the tanhf form lose relative accuracy for x < 0;
 *   softcap: cap * tanh(x / cap) with the tanh below (within a few ulp of tanhf).
 * tests/unit/test_kernels_simd.c states and checks the tolerances.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/exp_avx2.h"
#include "kernels/ops.h"
#include "kernels/simd.h"

/* tanh: Cephes' odd polynomial below |z| = 0.625, 1 - 2 / (e^{2|z|} + 1) with z's sign above. */
static inline __m256 tanh_ps(__m256 z) {
    const __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
    const __m256 a = _mm256_andnot_ps(sign, z);
    const __m256 z2 = _mm256_mul_ps(z, z);
    __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(2.06390887954e-2f));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(-5.37397155531e-2f));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(1.33314422036e-1f));
    p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(-3.33332819422e-1f));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z2), z, z);
    const __m256 e = exp_ps(_mm256_add_ps(a, a));
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    large = _mm256_or_ps(large, _mm256_and_ps(z, sign));
    return _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

static inline __m256 gelu_ps(__m256 x) {
    const __m256 u =
        _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.79788456080286535587989211986876f), x),
                      _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), x), x, _mm256_set1_ps(1.0f)));
    const __m256 e = exp_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), u));
    __m256 g = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    /* ggml's cut-offs: 0 at or below -10, x itself at or above 10 */
    g = _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-10.0f), _CMP_LE_OQ), g);
    return _mm256_blendv_ps(g, x, _mm256_cmp_ps(x, _mm256_set1_ps(10.0f), _CMP_GE_OQ));
}

/* The last n % 8 values through a zero-padded vector, so that every element sees the same code. */
static inline __m256 load_tail(const float *x, int64_t count) {
    float pad[8] = {0};
    memcpy(pad, x, (size_t)count * sizeof(float));
    return _mm256_loadu_ps(pad);
}
static inline void store_tail(float *x, __m256 v, int64_t count) {
    float pad[8];
    _mm256_storeu_ps(pad, v);
    memcpy(x, pad, (size_t)count * sizeof(float));
}

void g4_gelu_tanh_avx2(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu_ps(_mm256_loadu_ps(x + i)));
    if (i < n) store_tail(x + i, gelu_ps(load_tail(x + i, n - i)), n - i);
}

/* x / (1 + e^(-1.702 x)), 0 at or below -60 (the scalar cut-off); exp_ps saturates at e^88,
 * where the scalar expf gives inf, so between -60 and -51.7 the two differ by < 1e-36. */
static inline __m256 gelu_quick_ps(__m256 x) {
    const __m256 e = exp_ps(_mm256_mul_ps(_mm256_set1_ps(-1.702f), x));
    const __m256 g = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_set1_ps(-60.0f), _CMP_LE_OQ), g);
}

void g4_gelu_quick_avx2(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu_quick_ps(_mm256_loadu_ps(x + i)));
    if (i < n) store_tail(x + i, gelu_quick_ps(load_tail(x + i, n - i)), n - i);
}

/* min_ps(a, b) returns b when a is NaN, max_ps(a, b) b likewise: the scalar ternaries exactly. */
void g4_clamp_avx2(float *x, int64_t n, float lo, float hi) {
    const __m256 l = _mm256_set1_ps(lo), h = _mm256_set1_ps(hi);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_max_ps(_mm256_min_ps(_mm256_loadu_ps(x + i), h), l));
    g4_clamp(x + i, n - i, lo, hi); /* the last n % lanes: the scalar ternaries, the same bits */
}

static inline __m256 softcap_ps(__m256 x, __m256 inv, __m256 cap) {
    return _mm256_mul_ps(tanh_ps(_mm256_mul_ps(x, inv)), cap);
}

void g4_softcap_avx2(float *x, int64_t n, float cap) {
    const __m256 inv = _mm256_set1_ps(1.0f / cap), capv = _mm256_set1_ps(cap);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, softcap_ps(_mm256_loadu_ps(x + i), inv, capv));
    if (i < n) store_tail(x + i, softcap_ps(load_tail(x + i, n - i), inv, capv), n - i);
}

static inline double hsum_pd(__m256d a, __m256d b) {
    const __m256d s = _mm256_add_pd(a, b);
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/* Adds the 8 f32 lanes of v to two double accumulators. */
static inline void add_widened(__m256d *a, __m256d *b, __m256 v) {
    *a = _mm256_add_pd(*a, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    *b = _mm256_add_pd(*b, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

void g4_rmsnorm_avx2(float *out, const float *x, const float *w, int64_t n, float eps) {
    if (n <= 0) return;
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        add_widened(&s0, &s1, _mm256_mul_ps(v, v));
    }
    double sum = hsum_pd(s0, s1);
    for (; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    const __m256 sv = _mm256_set1_ps(scale);
    i = 0;
    if (w) {
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), sv), _mm256_loadu_ps(w + i)));
        for (; i < n; i++) out[i] = x[i] * scale * w[i];
    } else {
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), sv));
        for (; i < n; i++) out[i] = x[i] * scale;
    }
}

void g4_softmax_avx2(float *x, int64_t n) {
    if (n <= 0) return;
    __m256 mv = _mm256_set1_ps(-INFINITY);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(_mm256_loadu_ps(x + i), mv); /* NaN skipped, as fmaxf */
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float max = _mm_cvtss_f32(m4);
    for (; i < n; i++) max = fmaxf(max, x[i]);
    if (max == -INFINITY) {
        memset(x, 0, (size_t)n * sizeof(float));
        return;
    }
    const __m256 maxv = _mm256_set1_ps(max);
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), maxv));
        _mm256_storeu_ps(x + i, e);
        add_widened(&s0, &s1, e);
    }
    double sum = hsum_pd(s0, s1);
    if (i < n) {
        float pad[8];
        for (int j = 0; j < 8; j++) pad[j] = i + j < n ? x[i + j] - max : -INFINITY;
        _mm256_storeu_ps(pad, exp_ps(_mm256_loadu_ps(pad)));
        for (int64_t j = i; j < n; j++) {
            x[j] = pad[j - i];
            sum += (double)x[j];
        }
    }
    const float inv = (float)(1.0 / sum);
    const __m256 iv = _mm256_set1_ps(inv);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), iv));
    for (; i < n; i++) x[i] *= inv;
}
