/*
 * The integer core of the 32-element block types on AVX2: for one weight block and one activation
 * block, isum = sum qw * qx as eight int32 partial sums (exact: vpmaddubsw pair sums stay below
 * 2 * 128 * 127 and never saturate, then vpmaddwd into int32). Shared by the vec_dots
 * (vec_dot_avx2.c) and the tiles (tiles_legacy_avx2.c), whose drivers serve every type and so
 * take these as step functions over untyped blocks. Included only by *_avx2.c files.
 */
#ifndef G4_KERNELS_BLOCKS_AVX2_H
#define G4_KERNELS_BLOCKS_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "kernels/blocks.h"

/* Sum of q[i] * y[i] over 32 int8 pairs as 8 int32 partial sums. The sign of q moves onto y so
 * that vpmaddubsw sees |q| as its unsigned operand (|-128| reads as 128, still exact). */
static inline __m256i dot_i8(__m256i q, __m256i y) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(y, q));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* The same for q in 0..127. */
static inline __m256i dot_u8(__m256i q, __m256i y) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q, y), _mm256_set1_epi16(1));
}

/* 16 bytes of nibbles to 32 values 0..15 in element order: low nibbles (elements 0-15), then high. */
static inline __m256i nibbles32(const uint8_t *qs) {
    const __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

/* Byte j = 0xFF where bit j of the little-endian 32-bit qh is set, else 0. */
static inline __m256i bits32(const uint8_t qh[4]) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i spread =
        _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                                            0x0101010101010101, 0x0000000000000000));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

/* The step the vec_dot and tile drivers take: one block pair's isum as 8 int32 partial sums. */
typedef __m256i (*g4_block_isum_fn)(const void *w, const void *x);

static inline __m256i y32(const int8_t *qs) {
    return _mm256_loadu_si256((const __m256i *)qs);
}

static inline __m256i block_q4_0(const void *wv, const void *xv) {
    const g4_block_q4_0 *w = wv;
    const g4_block_q8_0 *x = xv;
    return dot_i8(_mm256_sub_epi8(nibbles32(w->qs), _mm256_set1_epi8(8)), y32(x->qs));
}
static inline __m256i block_q4_1(const void *wv, const void *xv) {
    const g4_block_q4_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    return dot_u8(nibbles32(w->qs), y32(x->qs));
}
/* q5_0: (nibble | bit << 4) - 16, i.e. the nibble with 0xF0 or-ed in (= minus 16) where the bit is clear. */
static inline __m256i block_q5_0(const void *wv, const void *xv) {
    const g4_block_q5_0 *w = wv;
    const g4_block_q8_0 *x = xv;
    const __m256i minus16 = _mm256_andnot_si256(bits32(w->qh), _mm256_set1_epi8((char)0xF0));
    return dot_i8(_mm256_or_si256(nibbles32(w->qs), minus16), y32(x->qs));
}
static inline __m256i block_q5_1(const void *wv, const void *xv) {
    const g4_block_q5_1 *w = wv;
    const g4_block_q8_1 *x = xv;
    const __m256i plus16 = _mm256_and_si256(bits32(w->qh), _mm256_set1_epi8(0x10));
    return dot_u8(_mm256_or_si256(nibbles32(w->qs), plus16), y32(x->qs));
}
static inline __m256i block_q8_0(const void *wv, const void *xv) {
    const g4_block_q8_0 *w = wv;
    const g4_block_q8_0 *x = xv;
    return dot_i8(y32(w->qs), y32(x->qs));
}

#endif
