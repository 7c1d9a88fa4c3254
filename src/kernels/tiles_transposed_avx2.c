/*
 * AVX2 prefill tiles for Q4_0, Q8_0, Q4_K and Q6_K weights: 8 rows x up to 8 tokens, with the eight
 * rows' blocks transposed in registers so that no per-pair horizontal sum is needed.
 *
 * After the transposition register k holds elements 4k..4k+3 of every row (lane r = row r). One
 * token's matching four activations are broadcast to all lanes, and one multiply-add gives all
 * eight rows' partial sums at once; the lanes simply accumulate. The transposition is paid once per
 * block of eight rows and shared by every token of the tile, so this pays from about three tokens
 * on; decode and shorter batches go to the per-pair tiles (tiles_legacy_avx2.c for Q4_0 and Q8_0,
 * tiles_kquants_avx2.c for Q4_K and Q6_K).
 *
 * The integer block sums are exact and the float term is the scalar reference's, (dw * dx) *
 * (float)isum (Q4_K: minus (dmin * dx) * (float)msum) added in block order, so every pair gets
 * g4_vec_dot_*_ref's bits.
 */
#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#include "kernels/blocks.h"
#include "kernels/dispatch.h"
#include "kernels/simd.h"
#include "kernels/tile_avx2.h"

/* Blocks whose activations are prepared at a time (bounds the stack arrays). */
#define PREP_BLOCKS 32

/* Below this many tokens the per-pair tiles are faster than transposing the weights. */
#define TRANSPOSED_MIN_TOKENS 3

/* 16 bytes from each of eight rows as four registers: c[k] lane r = bytes 4k..4k+3 of src[r]. Rows
 * r and r + 4 share a register (low and high 128-bit half), then a 4 x 4 transposition of 32-bit
 * units runs within each half. */
G4_INLINE void transpose8x16(const uint8_t *const src[8], __m256i c[4]) {
    __m256i p[4];
    for (int r = 0; r < 4; r++)
        p[r] = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)src[r + 4]), _mm_loadu_si128((const __m128i *)src[r]));
    const __m256i t0 = _mm256_unpacklo_epi32(p[0], p[1]), t1 = _mm256_unpacklo_epi32(p[2], p[3]);
    const __m256i t2 = _mm256_unpackhi_epi32(p[0], p[1]), t3 = _mm256_unpackhi_epi32(p[2], p[3]);
    c[0] = _mm256_unpacklo_epi64(t0, t1);
    c[1] = _mm256_unpackhi_epi64(t0, t1);
    c[2] = _mm256_unpacklo_epi64(t2, t3);
    c[3] = _mm256_unpackhi_epi64(t2, t3);
}

/* The same for 32 bytes: u[k] lane r = bytes 4k..4k+3 of src[r], k = 0..7. */
G4_INLINE void transpose8x32(const uint8_t *const src[8], __m256i u[8]) {
    const uint8_t *second[8];
    for (int r = 0; r < 8; r++) second[r] = src[r] + 16;
    transpose8x16(src, u);
    transpose8x16(second, u + 4);
}

G4_INLINE int32_t load_u32(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The four bytes at p in every 32-bit lane: one token's activations for four elements of all rows. */
G4_INLINE __m256i broadcast4(const void *p) {
    return _mm256_set1_epi32(load_u32(p));
}

/* Block b of row r or token t (the driver hands the rows over untyped). */
G4_INLINE const g4_block_q4_0 *q4_0_at(const void *const *w, int r, int64_t b) {
    return (const g4_block_q4_0 *)w[r] + b;
}
G4_INLINE const g4_block_q8_0 *q8_0_at(const void *const *w, int r, int64_t b) {
    return (const g4_block_q8_0 *)w[r] + b;
}
G4_INLINE const g4_block_q4_K *q4_K_at(const void *const *w, int r, int64_t b) {
    return (const g4_block_q4_K *)w[r] + b;
}
G4_INLINE const g4_block_q6_K *q6_K_at(const void *const *w, int r, int64_t b) {
    return (const g4_block_q6_K *)w[r] + b;
}
G4_INLINE const g4_block_q8_K *q8_K_at(const void *const *x, int t, int64_t b) {
    return (const g4_block_q8_K *)x[t] + b;
}

/* *h[r] in lane r, as floats (exact, F16C): one half-precision field of the eight rows' blocks. */
G4_INLINE __m256 halves_lanes(const g4_half *const h[8]) {
    return widen_halves((const uint16_t[8]){*h[0], *h[1], *h[2], *h[3], *h[4], *h[5], *h[6], *h[7]});
}

/* Signed byte jj of every 32-bit lane of v as both int16 halves of that lane (pair = 0), or bytes jj
 * and jj + 1 as the two halves (pair = 1): a row's scale ready for vpmaddwd. */
G4_INLINE __m256i bytes_as_pair(__m256i v, int jj, int pair) {
    const unsigned lo = 0x80u | (unsigned)jj << 8, hi = 0x80u | (unsigned)(jj + pair) << 8;
    const __m256i pick = _mm256_add_epi32(
        _mm256_set1_epi32((int)(lo | hi << 16)),
        _mm256_setr_epi32(0, 0x04000400, 0x08000800, 0x0C000C00, 0, 0x04000400, 0x08000800, 0x0C000C00));
    return _mm256_srai_epi16(_mm256_shuffle_epi8(v, pick), 8);
}

/* acc lane r += (dw[r] * dx) * (float)isum[r]: the reference's float term and order. */
G4_INLINE __m256 add_block_term(__m256 acc, __m256 dw, float dx, __m256i isum) {
    return _mm256_add_ps(acc, _mm256_mul_ps(_mm256_mul_ps(dw, _mm256_set1_ps(dx)), _mm256_cvtepi32_ps(isum)));
}

/* ---- Q4_0 -------------------------------------------------------------------------------------------
 * The nibbles n = q + 8 are used unsigned (0..15) against the signed activations: vpmaddubsw's pair
 * sums of eight registers stay within int16 (8 x 2 x 15 x 128 = 30720), so they add before a single
 * vpmaddwd, and the bias comes off exactly as isum = sum(n * y) - 8 * sum(y). */

/* Sum of the 32 activations of a block (exact in int32). */
G4_INLINE int32_t q8_block_sum(const int8_t *qs) {
    const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), load32(qs)), _mm256_set1_epi16(1));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

G4_INLINE void q4_0_rows8(int64_t nb, const void *const w[8], const void *const *x, int nt,
                          __m256 acc[G4_TILE_TOKENS]) {
    int32_t bias[G4_TILE_TOKENS][PREP_BLOCKS]; /* 8 * sum(y) per token and block */
    float dx[G4_TILE_TOKENS][PREP_BLOCKS];
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    for (int64_t b0 = 0; b0 < nb; b0 += PREP_BLOCKS) {
        const int nbb = (int)(nb - b0 < PREP_BLOCKS ? nb - b0 : PREP_BLOCKS);
        for (int t = 0; t < nt; t++)
            for (int i = 0; i < nbb; i++) {
                bias[t][i] = 8 * q8_block_sum(q8_0_at(x, t, b0 + i)->qs);
                dx[t][i] = _cvtsh_ss(q8_0_at(x, t, b0 + i)->d);
            }
        for (int i = 0; i < nbb; i++) {
            const int64_t b = b0 + i;
            const uint8_t *src[8];
            for (int r = 0; r < 8; r++) src[r] = q4_0_at(w, r, b)->qs;
            __m256i c[4], q[8];
            transpose8x16(src, c);
            for (int k = 0; k < 4; k++) {
                q[k] = _mm256_and_si256(c[k], low4);                           /* elements 4k..4k+3 */
                q[k + 4] = _mm256_and_si256(_mm256_srli_epi16(c[k], 4), low4); /* elements 16+4k.. */
            }
            const g4_half *d[8];
            for (int r = 0; r < 8; r++) d[r] = &q4_0_at(w, r, b)->d;
            const __m256 dw = halves_lanes(d);
            for (int t = 0; t < nt; t++) {
                const int8_t *y = q8_0_at(x, t, b)->qs;
                __m256i s16 = _mm256_setzero_si256();
                _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) s16 =
                    _mm256_add_epi16(s16, _mm256_maddubs_epi16(q[k], broadcast4(y + 4 * k)));
                const __m256i isum =
                    _mm256_sub_epi32(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)), _mm256_set1_epi32(bias[t][i]));
                acc[t] = add_block_term(acc[t], dw, dx[t][i], isum);
            }
        }
    }
}

/* ---- Q8_0 -------------------------------------------------------------------------------------------
 * Both sides are signed bytes, too wide for vpmaddubsw's int16 pair sums, so both are widened to
 * int16 and multiplied with vpmaddwd. A 4-byte unit (b0 b1 b2 b3) widens to the pairs (b0, b2) and
 * (b1, b3) with two shifts; the activations are widened the same way, so each vpmaddwd lane adds
 * two matching products. */

/* even lane k = (v[4k], v[4k+2]), odd lane k = (v[4k+1], v[4k+3]), as sign-extended int16. */
G4_INLINE void widen_pairs(__m256i v, __m256i *even, __m256i *odd) {
    *even = _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8);
    *odd = _mm256_srai_epi16(v, 8);
}

G4_INLINE void q8_0_rows8(int64_t nb, const void *const w[8], const void *const *x, int nt,
                          __m256 acc[G4_TILE_TOKENS]) {
    int32_t pairs[G4_TILE_TOKENS][PREP_BLOCKS][16]; /* per token and block: 8 even, then 8 odd pairs */
    float dx[G4_TILE_TOKENS][PREP_BLOCKS];
    for (int64_t b0 = 0; b0 < nb; b0 += PREP_BLOCKS) {
        const int nbb = (int)(nb - b0 < PREP_BLOCKS ? nb - b0 : PREP_BLOCKS);
        for (int t = 0; t < nt; t++)
            for (int i = 0; i < nbb; i++) {
                __m256i even, odd;
                widen_pairs(load32(q8_0_at(x, t, b0 + i)->qs), &even, &odd);
                _mm256_storeu_si256((__m256i *)pairs[t][i], even);
                _mm256_storeu_si256((__m256i *)(pairs[t][i] + 8), odd);
                dx[t][i] = _cvtsh_ss(q8_0_at(x, t, b0 + i)->d);
            }
        for (int i = 0; i < nbb; i++) {
            const int64_t b = b0 + i;
            const uint8_t *src[8];
            __m256i c[8];
            for (int r = 0; r < 8; r++) src[r] = (const uint8_t *)q8_0_at(w, r, b)->qs;
            transpose8x32(src, c);
            __m256i isum[G4_TILE_TOKENS];
            for (int t = 0; t < nt; t++) isum[t] = _mm256_setzero_si256();
            _Pragma("GCC unroll 1") for (int k = 0; k < 8; k++) {
                __m256i even, odd;
                widen_pairs(c[k], &even, &odd);
                for (int t = 0; t < nt; t++) {
                    const __m256i pe = _mm256_madd_epi16(even, _mm256_set1_epi32(pairs[t][i][k]));
                    const __m256i po = _mm256_madd_epi16(odd, _mm256_set1_epi32(pairs[t][i][8 + k]));
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(pe, po));
                }
            }
            const g4_half *d[8];
            for (int r = 0; r < 8; r++) d[r] = &q8_0_at(w, r, b)->d;
            const __m256 dw = halves_lanes(d);
            for (int t = 0; t < nt; t++) acc[t] = add_block_term(acc[t], dw, dx[t][i], isum[t]);
        }
    }
}

/* ---- Q4_K -------------------------------------------------------------------------------------------
 * Per 32-element sub-block j the nibbles are unsigned as in Q4_0, so eight registers' vpmaddubsw
 * sums again stay within int16, and one vpmaddwd against the rows' scale j (as an int16 pair) both
 * adds the pairs and applies the scale: isum = sum_j scale_j * sum(q * y), exactly. The mins use
 * Q8_K's 16-element sums, msum = sum_j min_j * (bsums[2j] + bsums[2j+1]): one vpmaddwd of the rows'
 * min j (an int16 pair) against the broadcast pair of sums. */

/* Scale bytes off..off + 3 of the eight rows' block b, lane r = row r. */
G4_INLINE __m256i q4_K_scale_bytes(const void *const w[8], int64_t b, int off) {
    return _mm256_setr_epi32(load_u32(&q4_K_at(w, 0, b)->scales[off]), load_u32(&q4_K_at(w, 1, b)->scales[off]),
                             load_u32(&q4_K_at(w, 2, b)->scales[off]), load_u32(&q4_K_at(w, 3, b)->scales[off]),
                             load_u32(&q4_K_at(w, 4, b)->scales[off]), load_u32(&q4_K_at(w, 5, b)->scales[off]),
                             load_u32(&q4_K_at(w, 6, b)->scales[off]), load_u32(&q4_K_at(w, 7, b)->scales[off]));
}

/* The eight rows' 6-bit scales and mins of sub-block j as int16 pairs (kquant_scales.h's unpacking,
 * lane-wise). */
G4_INLINE void q4_K_scale_pairs(const void *const w[8], int64_t b, __m256i sc[8], __m256i mn[8]) {
    const __m256i u0 = q4_K_scale_bytes(w, b, 0), u1 = q4_K_scale_bytes(w, b, 4), u2 = q4_K_scale_bytes(w, b, 8);
    const __m256i m6 = _mm256_set1_epi8(0x3F), m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
    const __m256i sc03 = _mm256_and_si256(u0, m6), mn03 = _mm256_and_si256(u1, m6);
    const __m256i sc47 =
        _mm256_or_si256(_mm256_and_si256(u2, m4), _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(u0, 6), m2), 4));
    const __m256i mn47 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(u2, 4), m4),
                                         _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(u1, 6), m2), 4));
    for (int j = 0; j < 4; j++) { /* 6-bit values: the sign extension leaves them as they are */
        sc[j] = bytes_as_pair(sc03, j, 0);
        sc[j + 4] = bytes_as_pair(sc47, j, 0);
        mn[j] = bytes_as_pair(mn03, j, 0);
        mn[j + 4] = bytes_as_pair(mn47, j, 0);
    }
}

G4_INLINE void q4_K_rows8(int64_t nb, const void *const w[8], const void *const *x, int nt,
                          __m256 acc[G4_TILE_TOKENS]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    for (int64_t b = 0; b < nb; b++) {
        __m256i sc[8], mn[8], q[8][8]; /* q[j][k] lane r: elements 4k..4k+3 of sub-block j of row r */
        q4_K_scale_pairs(w, b, sc, mn);
        for (int c = 0; c < 4; c++) { /* 32 bytes: sub-block 2c in the low nibbles, 2c + 1 in the high */
            const uint8_t *src[8];
            __m256i u[8];
            for (int r = 0; r < 8; r++) src[r] = q4_K_at(w, r, b)->qs + 32 * c;
            transpose8x32(src, u);
            for (int k = 0; k < 8; k++) {
                q[2 * c][k] = _mm256_and_si256(u[k], low4);
                q[2 * c + 1][k] = _mm256_and_si256(_mm256_srli_epi16(u[k], 4), low4);
            }
        }
        const g4_half *d[8], *dm[8];
        for (int r = 0; r < 8; r++) {
            d[r] = &q4_K_at(w, r, b)->d;
            dm[r] = &q4_K_at(w, r, b)->dmin;
        }
        const __m256 dw = halves_lanes(d), dmin = halves_lanes(dm);
        for (int t = 0; t < nt; t++) {
            const int8_t *y = q8_K_at(x, t, b)->qs;
            const int16_t *bsums = q8_K_at(x, t, b)->bsums;
            __m256i isum = _mm256_setzero_si256(), msum = _mm256_setzero_si256();
            _Pragma("GCC unroll 1") for (int j = 0; j < 8; j++) {
                __m256i s16 = _mm256_setzero_si256();
                _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) s16 =
                    _mm256_add_epi16(s16, _mm256_maddubs_epi16(q[j][k], broadcast4(y + 32 * j + 4 * k)));
                isum = _mm256_add_epi32(isum, _mm256_madd_epi16(s16, sc[j]));
                msum = _mm256_add_epi32(msum, _mm256_madd_epi16(mn[j], broadcast4(bsums + 2 * j)));
            }
            const __m256 dx = _mm256_set1_ps(q8_K_at(x, t, b)->d);
            const __m256 a = _mm256_mul_ps(_mm256_mul_ps(dw, dx), _mm256_cvtepi32_ps(isum));
            const __m256 m = _mm256_mul_ps(_mm256_mul_ps(dmin, dx), _mm256_cvtepi32_ps(msum));
            acc[t] = _mm256_add_ps(acc[t], _mm256_sub_ps(a, m));
        }
    }
}

/* ---- Q6_K -------------------------------------------------------------------------------------------
 * The 6-bit quants are used unsigned (u = q + 32, 0..63); two registers' vpmaddubsw sums still fit
 * int16 (2 x 2 x 63 x 128 = 32256), so each 16-element sub-block takes two vpmaddwd against the rows'
 * scale k (an int16 pair). The offset comes off exactly with Q8_K's 16-element sums:
 * isum = sum_k scale_k * sum(u * y) - 32 * sum_k scale_k * bsums[k]. */

/* Scale bytes off..off + 3 of the eight rows' block b, lane r = row r. */
G4_INLINE __m256i q6_K_scale_bytes(const void *const w[8], int64_t b, int off) {
    return _mm256_setr_epi32(load_u32(&q6_K_at(w, 0, b)->scales[off]), load_u32(&q6_K_at(w, 1, b)->scales[off]),
                             load_u32(&q6_K_at(w, 2, b)->scales[off]), load_u32(&q6_K_at(w, 3, b)->scales[off]),
                             load_u32(&q6_K_at(w, 4, b)->scales[off]), load_u32(&q6_K_at(w, 5, b)->scales[off]),
                             load_u32(&q6_K_at(w, 6, b)->scales[off]), load_u32(&q6_K_at(w, 7, b)->scales[off]));
}

G4_INLINE void q6_K_rows8(int64_t nb, const void *const w[8], const void *const *x, int nt,
                          __m256 acc[G4_TILE_TOKENS]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), low2 = _mm256_set1_epi8(0x03);
    for (int64_t b = 0; b < nb; b++) {
        /* u[run][k] lane r: elements 32 run + 4k .. +3 of row r, unsigned 0..63 */
        __m256i u[8][8], sc[16], sc_pairs[8];
        for (int half = 0; half < 2; half++) {
            const uint8_t *lo0[8], *lo1[8], *hi[8];
            for (int r = 0; r < 8; r++) {
                lo0[r] = q6_K_at(w, r, b)->ql + 64 * half;
                lo1[r] = lo0[r] + 32;
                hi[r] = q6_K_at(w, r, b)->qh + 32 * half;
            }
            __m256i ql0[8], ql1[8], qh[8];
            transpose8x32(lo0, ql0);
            transpose8x32(lo1, ql1);
            transpose8x32(hi, qh);
            for (int k = 0; k < 8; k++)
                for (int run = 0; run < 4; run++) {
                    const __m256i ql = run & 1 ? ql1[k] : ql0[k];
                    const __m256i low = _mm256_and_si256(_mm256_srli_epi16(ql, 4 * (run >> 1)), low4);
                    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh[k], 2 * run), low2);
                    u[4 * half + run][k] = _mm256_or_si256(low, _mm256_slli_epi16(high, 4));
                }
        }
        for (int i = 0; i < 4; i++) {
            const __m256i bytes = q6_K_scale_bytes(w, b, 4 * i);
            for (int jj = 0; jj < 4; jj++) sc[4 * i + jj] = bytes_as_pair(bytes, jj, 0);
            sc_pairs[2 * i] = bytes_as_pair(bytes, 0, 1);
            sc_pairs[2 * i + 1] = bytes_as_pair(bytes, 2, 1);
        }
        const g4_half *d[8];
        for (int r = 0; r < 8; r++) d[r] = &q6_K_at(w, r, b)->d;
        const __m256 dw = halves_lanes(d);
        for (int t = 0; t < nt; t++) {
            const int8_t *y = q8_K_at(x, t, b)->qs;
            const int16_t *bsums = q8_K_at(x, t, b)->bsums;
            __m256i isum = _mm256_setzero_si256(), offset = _mm256_setzero_si256();
            _Pragma("GCC unroll 1") for (int run = 0; run < 8; run++) {
                _Pragma("GCC unroll 2") for (int h = 0; h < 2; h++) { /* sub-block k = 2 run + h: units 4h..4h+3 */
                    const __m256i *q = &u[run][4 * h];
                    const int8_t *yk = y + 32 * run + 16 * h;
                    const __m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(q[0], broadcast4(yk)),
                                                        _mm256_maddubs_epi16(q[1], broadcast4(yk + 4)));
                    const __m256i s1 = _mm256_add_epi16(_mm256_maddubs_epi16(q[2], broadcast4(yk + 8)),
                                                        _mm256_maddubs_epi16(q[3], broadcast4(yk + 12)));
                    const __m256i s = sc[2 * run + h];
                    isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(s0, s), _mm256_madd_epi16(s1, s)));
                }
                offset = _mm256_add_epi32(offset, _mm256_madd_epi16(sc_pairs[run], broadcast4(bsums + 2 * run)));
            }
            isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(offset, 5));
            acc[t] = add_block_term(acc[t], dw, q8_K_at(x, t, b)->d, isum);
        }
    }
}

/* ---- entries ------------------------------------------------------------------------------------- */

/* Accumulates acc[t] lane r += pair (row r, token t) over nb blocks, for all eight rows and nt tokens. */
typedef void (*rows8_fn)(int64_t nb, const void *const rows[8], const void *const *tokens, int nt,
                         __m256 acc[G4_TILE_TOKENS]);

/* The g4_dot_tile_fn contract over an 8-row kernel, in two instances: full, for G4_TILE_TOKENS tokens
 * (its token loops unrolled, accumulators in registers), and part, for any nt. Batches below
 * TRANSPOSED_MIN_TOKENS go to the type's per-pair tile; rows past nr repeat the last one (computed,
 * not stored). */
G4_INLINE void transposed_tile_drive(int64_t n, int64_t qk, const void *w, size_t w_stride, int nr, const void *x,
                                     size_t x_stride, int nt, float *y, size_t y_stride, rows8_fn full, rows8_fn part,
                                     g4_dot_tile_fn pairs_tile) {
    if (nt < TRANSPOSED_MIN_TOKENS) {
        pairs_tile(n, w, w_stride, nr, x, x_stride, nt, y, y_stride);
        return;
    }
    const void *wr[8], *xr[G4_TILE_TOKENS];
    for (int r = 0; r < 8; r++) wr[r] = (const char *)w + (size_t)(r < nr ? r : nr - 1) * w_stride;
    for (int t = 0; t < nt; t++) xr[t] = (const char *)x + (size_t)t * x_stride;
    __m256 acc[G4_TILE_TOKENS];
    for (int t = 0; t < G4_TILE_TOKENS; t++) acc[t] = _mm256_setzero_ps();
    (nt == G4_TILE_TOKENS ? full : part)(n / qk, wr, xr, nt, acc);
    for (int t = 0; t < nt; t++) {
        float out[8];
        _mm256_storeu_ps(out, acc[t]);
        for (int r = 0; r < nr; r++) y[(size_t)t * y_stride + (size_t)r] = out[r];
    }
}

/* ---- the instances of each type ---------------------------------------------------------------------- */

G4_NOINLINE void q4_0_full(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    (void)nt;
    q4_0_rows8(nb, w, x, G4_TILE_TOKENS, acc);
}
G4_NOINLINE void q4_0_part(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    q4_0_rows8(nb, w, x, nt, acc);
}

G4_NOINLINE void q8_0_full(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    (void)nt;
    q8_0_rows8(nb, w, x, G4_TILE_TOKENS, acc);
}
G4_NOINLINE void q8_0_part(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    q8_0_rows8(nb, w, x, nt, acc);
}

G4_NOINLINE void q4_K_full(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    (void)nt;
    q4_K_rows8(nb, w, x, G4_TILE_TOKENS, acc);
}
G4_NOINLINE void q4_K_part(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    q4_K_rows8(nb, w, x, nt, acc);
}

G4_NOINLINE void q6_K_full(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    (void)nt;
    q6_K_rows8(nb, w, x, G4_TILE_TOKENS, acc);
}
G4_NOINLINE void q6_K_part(int64_t nb, const void *const w[8], const void *const *x, int nt,
                           __m256 acc[G4_TILE_TOKENS]) {
    q6_K_rows8(nb, w, x, nt, acc);
}

/* ---- the tiles the avx2 table holds ------------------------------------------------------------------- */

void g4_dot_tile_q4_0_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    transposed_tile_drive(n, G4_QK4_0, w, w_stride, nr, x, x_stride, nt, y, y_stride, q4_0_full, q4_0_part,
                          g4_dot_tile_q4_0_pairs_avx2);
}

void g4_dot_tile_q8_0_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    transposed_tile_drive(n, G4_QK8_0, w, w_stride, nr, x, x_stride, nt, y, y_stride, q8_0_full, q8_0_part,
                          g4_dot_tile_q8_0_pairs_avx2);
}

void g4_dot_tile_q4_K_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    transposed_tile_drive(n, G4_QK_K, w, w_stride, nr, x, x_stride, nt, y, y_stride, q4_K_full, q4_K_part,
                          g4_dot_tile_q4_K_pairs_avx2);
}

void g4_dot_tile_q6_K_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    transposed_tile_drive(n, G4_QK_K, w, w_stride, nr, x, x_stride, nt, y, y_stride, q6_K_full, q6_K_part,
                          g4_dot_tile_q6_K_pairs_avx2);
}
