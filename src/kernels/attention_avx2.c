/*
 * AVX2 (+FMA +F16C) attention: attention.c's algorithm and key-block partition, vectorised.
 *
 * For one KV head, per block of G4_ATTN_BLOCK key positions:
 *   1. the K and V rows of the block to f32 once (F16 by F16C, Q8_0 by widening the int8s: both
 *      exact, the very values the scalar load produces);
 *   2. the query rows (head h of token t) that use this KV head, taken G4_ATTN_GROUP at a time
 *      when they see the same keys of the block (the heads of one token; whole tokens once the
 *      block is entirely in their past), so that each K and V load serves up to four rows;
 *   3. per row, the flash-attention update of attention.c: scores, block max, rescale of the
 *      running sum and accumulator, e^(s - M) by exp_ps below, S += their sum, acc += e v.
 *
 * Bits. Every per-row quantity comes from one instruction sequence whichever rows share its group:
 * q.k in a single 8-lane FMA accumulator over d (a masked load for head_dim % 8), added across
 * lanes in a fixed pattern; the block's e^(s - M) summed over the same lane chunks for a given
 * visible range; acc[d] = fma(e_j, v_j[d], acc[d]) one j after another. Which keys a row sees in a
 * block depends only on its position, so, as in the scalar version, a query gets the same bits in
 * any batch and any head range. Against the scalar version the results differ by rounding (the
 * summation order, FMA, exp_ps instead of expf); tests/unit/test_kernels_attention.c bounds it.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/attention.h"
#include "kernels/attention_driver.h"
#include "kernels/exp_avx2.h"
#include "kernels/blocks.h"
#include "kernels/quants.h"

#define KB G4_ATTN_BLOCK
#define G G4_ATTN_GROUP

#define ALWAYS_INLINE inline __attribute__((always_inline))

void g4_attn_exp_avx2(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp_ps(_mm256_loadu_ps(x + i)));
    if (i < n) {
        float pad[8] = {0};
        memcpy(pad, x + i, sizeof(float) * (size_t)(n - i));
        _mm256_storeu_ps(pad, exp_ps(_mm256_loadu_ps(pad)));
        memcpy(x + i, pad, sizeof(float) * (size_t)(n - i));
    }
}

static ALWAYS_INLINE float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static ALWAYS_INLINE float hmax_ps(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* Lanes [0, n) of a vector, 0 <= n < 8: the masked loads and stores of the last head_dim % 8. */
static ALWAYS_INLINE __m256i lanes_below(int64_t n) {
    static const int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(ones_then_zeros + 8 - n));
}

/* attention.c's load_block: the K or V slice of KV head g for positions [p0, p0 + n) into
 * dst[n][head_dim], the same f32 values as g4_dequantize_row gives. */
static void load_block(const g4_attn_cache *c, const void *base, int64_t g, size_t head_bytes, int64_t head_dim,
                       int64_t p0, int64_t n, float *dst) {
    for (int64_t j = 0; j < n; j++) {
        const int64_t slot = (p0 + j) % c->n_slots;
        const uint8_t *row = (const uint8_t *)base + (size_t)slot * c->row_bytes + (size_t)g * head_bytes;
        float *y = dst + j * head_dim;
        if (c->type == G4_TYPE_F16) {
            const g4_half *h = (const g4_half *)row;
            int64_t d = 0;
            for (; d + 8 <= head_dim; d += 8)
                _mm256_storeu_ps(y + d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + d))));
            for (; d < head_dim; d++) y[d] = g4_half_to_float(h[d]);
        } else if (c->type == G4_TYPE_Q8_0) {
            const g4_block_q8_0 *b = (const g4_block_q8_0 *)row;
            for (int64_t i = 0; i < head_dim / G4_QK8_0; i++, y += G4_QK8_0) {
                const __m256 d = _mm256_set1_ps(g4_half_to_float(b[i].d));
                for (int k = 0; k < G4_QK8_0; k += 8) {
                    const __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(b[i].qs + k)));
                    _mm256_storeu_ps(y + k, _mm256_mul_ps(_mm256_cvtepi32_ps(q), d)); /* (float)q * d, exact order */
                }
            }
        } else { /* F32 (a copy) or any other type the scalar path reads */
            g4_dequantize_row(c->type, row, y, head_dim);
        }
    }
}

/* s[r * KB + j] = scale * q_r . k_j for the rows of a group and the block keys j0..j1; keys in
 * pairs, so that four rows and two keys keep eight independent FMA chains in flight. The pair
 * and the single-key paths compute each (row, key) in the same single accumulator. */
static ALWAYS_INLINE void scores(const g4_attn_row *rows, const int nr, const float *kblk, int64_t hd, int64_t j0,
                                 int64_t j1, float scale, float *s) {
    const int64_t hd8 = hd & ~(int64_t)7;
    const __m256i tail = lanes_below(hd - hd8);
    int64_t j = j0;
    for (; j + 1 <= j1; j += 2) {
        const float *k0 = kblk + j * hd, *k1 = k0 + hd;
        __m256 a0[G], a1[G];
        for (int r = 0; r < nr; r++) a0[r] = a1[r] = _mm256_setzero_ps();
        for (int64_t d = 0; d < hd8; d += 8) {
            const __m256 kv0 = _mm256_loadu_ps(k0 + d), kv1 = _mm256_loadu_ps(k1 + d);
            for (int r = 0; r < nr; r++) {
                const __m256 qv = _mm256_loadu_ps(rows[r].q + d);
                a0[r] = _mm256_fmadd_ps(qv, kv0, a0[r]);
                a1[r] = _mm256_fmadd_ps(qv, kv1, a1[r]);
            }
        }
        if (hd8 < hd) {
            const __m256 kv0 = _mm256_maskload_ps(k0 + hd8, tail), kv1 = _mm256_maskload_ps(k1 + hd8, tail);
            for (int r = 0; r < nr; r++) {
                const __m256 qv = _mm256_maskload_ps(rows[r].q + hd8, tail);
                a0[r] = _mm256_fmadd_ps(qv, kv0, a0[r]);
                a1[r] = _mm256_fmadd_ps(qv, kv1, a1[r]);
            }
        }
        for (int r = 0; r < nr; r++) {
            s[r * KB + j] = hsum_ps(a0[r]) * scale;
            s[r * KB + j + 1] = hsum_ps(a1[r]) * scale;
        }
    }
    if (j == j1) {
        const float *k0 = kblk + j * hd;
        __m256 a0[G];
        for (int r = 0; r < nr; r++) a0[r] = _mm256_setzero_ps();
        for (int64_t d = 0; d < hd8; d += 8) {
            const __m256 kv0 = _mm256_loadu_ps(k0 + d);
            for (int r = 0; r < nr; r++) a0[r] = _mm256_fmadd_ps(_mm256_loadu_ps(rows[r].q + d), kv0, a0[r]);
        }
        if (hd8 < hd) {
            const __m256 kv0 = _mm256_maskload_ps(k0 + hd8, tail);
            for (int r = 0; r < nr; r++) a0[r] = _mm256_fmadd_ps(_mm256_maskload_ps(rows[r].q + hd8, tail), kv0, a0[r]);
        }
        for (int r = 0; r < nr; r++) s[r * KB + j] = hsum_ps(a0[r]) * scale;
    }
}

/* The softmax half of the update for one row: s[j0..j1] (its scores) become e^(s_j - M'), and M, S
 * move to the new running max; returns the factor e^(M - M') the accumulator must be scaled by
 * (1 when the max did not move, 0 on the row's first block, whose accumulator is still zero).
 * Lanes of the 8-key chunks outside j0..j1 hold -inf, so they count for nothing. */
static float softmax_step(float *s, int64_t j0, int64_t j1, float *M, float *S) {
    const int64_t c0 = j0 / 8, c1 = j1 / 8;
    for (int64_t j = c0 * 8; j < j0; j++) s[j] = -INFINITY;
    for (int64_t j = j1 + 1; j < c1 * 8 + 8; j++) s[j] = -INFINITY;

    __m256 mv = _mm256_loadu_ps(s + c0 * 8);
    for (int64_t c = c0 + 1; c <= c1; c++) mv = _mm256_max_ps(mv, _mm256_loadu_ps(s + c * 8));
    const float mb = hmax_ps(mv);
    float corr = 1.0f;
    if (mb > *M) {
        corr = _mm256_cvtss_f32(exp_ps(_mm256_set1_ps(*M - mb)));
        *S *= corr;
        *M = mb;
    }
    const __m256 m = _mm256_set1_ps(*M);
    __m256 sum = _mm256_setzero_ps();
    for (int64_t c = c0; c <= c1; c++) {
        const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(s + c * 8), m));
        _mm256_storeu_ps(s + c * 8, e);
        sum = _mm256_add_ps(sum, e);
    }
    *S += hsum_ps(sum);
    return corr;
}

/* acc_r = acc_r * corr_r + sum_{j0..j1} e_rj v_j for the rows of a group: 16 columns at a time
 * (then 8, then a masked tail), each V load serving every row of the group. */
static ALWAYS_INLINE void accumulate(const g4_attn_row *rows, const int nr, const float *e, const float *corr,
                                     const float *vblk, int64_t hd, int64_t j0, int64_t j1) {
    int64_t d = 0;
    for (; d + 16 <= hd; d += 16) {
        __m256 c0[G], c1[G];
        for (int r = 0; r < nr; r++) {
            const __m256 f = _mm256_set1_ps(corr[r]);
            c0[r] = _mm256_mul_ps(_mm256_loadu_ps(rows[r].acc + d), f);
            c1[r] = _mm256_mul_ps(_mm256_loadu_ps(rows[r].acc + d + 8), f);
        }
        for (int64_t j = j0; j <= j1; j++) {
            const __m256 v0 = _mm256_loadu_ps(vblk + j * hd + d), v1 = _mm256_loadu_ps(vblk + j * hd + d + 8);
            for (int r = 0; r < nr; r++) {
                const __m256 w = _mm256_broadcast_ss(e + r * KB + j);
                c0[r] = _mm256_fmadd_ps(w, v0, c0[r]);
                c1[r] = _mm256_fmadd_ps(w, v1, c1[r]);
            }
        }
        for (int r = 0; r < nr; r++) {
            _mm256_storeu_ps(rows[r].acc + d, c0[r]);
            _mm256_storeu_ps(rows[r].acc + d + 8, c1[r]);
        }
    }
    /* at most two more vectors: a full one, then the masked tail */
    for (; d < hd; d += 8) {
        const __m256i lanes = hd - d >= 8 ? _mm256_set1_epi32(-1) : lanes_below(hd - d);
        __m256 c0[G];
        for (int r = 0; r < nr; r++)
            c0[r] = _mm256_mul_ps(_mm256_maskload_ps(rows[r].acc + d, lanes), _mm256_set1_ps(corr[r]));
        for (int64_t j = j0; j <= j1; j++) {
            const __m256 v0 = _mm256_maskload_ps(vblk + j * hd + d, lanes);
            for (int r = 0; r < nr; r++) c0[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(e + r * KB + j), v0, c0[r]);
        }
        for (int r = 0; r < nr; r++) _mm256_maskstore_ps(rows[r].acc + d, lanes, c0[r]);
    }
}

/* The block update of nr rows that all see the block keys j0..j1 (block-relative). */
static ALWAYS_INLINE void group_step_n(const g4_attn_row *rows, const int nr, const float *kblk, const float *vblk,
                                       int64_t hd, int64_t j0, int64_t j1, float scale, float *s) {
    float corr[G];
    scores(rows, nr, kblk, hd, j0, j1, scale, s);
    for (int r = 0; r < nr; r++) corr[r] = softmax_step(s + r * KB, j0, j1, rows[r].M, rows[r].S);
    accumulate(rows, nr, s, corr, vblk, hd, j0, j1);
}

/* One instance per group size, so that the per-row loops unroll and the accumulators stay in
 * registers. */
static void group_step(const g4_attn_row *rows, int nr, const float *kblk, const float *vblk, int64_t hd, int64_t j0,
                       int64_t j1, float scale, float *s) {
    switch (nr) {
    case 4:
        group_step_n(rows, 4, kblk, vblk, hd, j0, j1, scale, s);
        break;
    case 3:
        group_step_n(rows, 3, kblk, vblk, hd, j0, j1, scale, s);
        break;
    case 2:
        group_step_n(rows, 2, kblk, vblk, hd, j0, j1, scale, s);
        break;
    default:
        group_step_n(rows, 1, kblk, vblk, hd, j0, j1, scale, s);
        break;
    }
}

_Static_assert(G4_ATTN_GROUP == 4, "group_step has one case per group size");
_Static_assert(G4_ATTN_BLOCK % 8 == 0, "softmax_step works on whole 8-key chunks of a block");

static void scale_row(float *acc, int64_t hd, float inv) {
    const __m256 v = _mm256_set1_ps(inv);
    int64_t d = 0;
    for (; d + 8 <= hd; d += 8) _mm256_storeu_ps(acc + d, _mm256_mul_ps(_mm256_loadu_ps(acc + d), v));
    for (; d < hd; d++) acc[d] *= inv;
}

void g4_attention_avx2(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch) {
    g4_attention_drive(a, head_begin, head_end, scratch, load_block, group_step, scale_row);
}
