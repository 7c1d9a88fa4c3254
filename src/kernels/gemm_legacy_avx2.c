/*
 * AVX2 dot-product tiles for the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1 with Q8_0/Q8_1
 * activations, Q8_0 with Q8_0): eight (row, token) pairs at once, one per lane (tile_avx2.h). Per
 * block the eight pairs' integer sums come from blocks_avx2.h and are reduced together, then the
 * float term is formed lane-wise with the scalar reference's roundings, (dw * dx) * (float)isum
 * (+ mw * sx for the _1 types), and added to each pair's running sum in block order: every pair
 * gets the bits of g4_vec_dot_*_avx2 and of the reference.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/blocks.h"
#include "kernels/blocks_avx2.h"
#include "kernels/simd.h"
#include "kernels/tile_avx2.h"

/* nr rows x nt tokens (nr * nt == 8) over nb blocks. HAS_MIN: the _1 types' mw * sx term. */
#define G4_TILE32(name, WT, XT, BLOCK, HAS_MIN, MW, SX)                                                               \
    G4_INLINE __m256 name(int64_t nb, const WT *const *w, int nr, const XT *const *x, int nt) {                        \
        __m256 sum = _mm256_setzero_ps();                                                                              \
        const ptrdiff_t stride = (const char *)w[1] - (const char *)w[0];                                              \
        for (int64_t b = 0; b < nb; b++) {                                                                             \
            __m256i acc[8];                                                                                            \
            uint16_t dw[8] = {0}, dx[8] = {0}, mw[8] = {0}, sx[8] = {0};                                               \
            _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {                                                     \
                dw[r] = w[r][b].d;                                                                                     \
                if (HAS_MIN) mw[r] = MW(w[r][b]);                                                                      \
                if (nr == 8) prefetch_next_rows(&w[r][b], stride, 1);                                                  \
            }                                                                                                          \
            _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) {                                                     \
                dx[t] = x[t][b].d;                                                                                     \
                if (HAS_MIN) sx[t] = SX(x[t][b]);                                                                      \
            }                                                                                                          \
            _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {                                                     \
                _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) acc[r * nt + t] = BLOCK(&w[r][b], &x[t][b]);      \
            }                                                                                                          \
            const __m256 d = _mm256_mul_ps(half_lanes_by_row(dw, nt), half_lanes_by_token(dx, nt));                    \
            __m256 term = _mm256_mul_ps(d, _mm256_cvtepi32_ps(hsum8_i32(acc)));                                        \
            if (HAS_MIN)                                                                                               \
                term = _mm256_add_ps(term, _mm256_mul_ps(half_lanes_by_row(mw, nt), half_lanes_by_token(sx, nt)));     \
            sum = _mm256_add_ps(sum, term);                                                                            \
        }                                                                                                              \
        return sum;                                                                                                    \
    }                                                                                                                  \
    static __attribute__((noinline)) __m256 name##_8x1(int64_t nb, const WT *const *w, const XT *const *x) {           \
        return name(nb, w, 8, x, 1);                                                                                   \
    }                                                                                                                  \
    static __attribute__((noinline)) __m256 name##_4x2(int64_t nb, const WT *const *w, const XT *const *x) {           \
        return name(nb, w, 4, x, 2);                                                                                   \
    }                                                                                                                  \
    static __attribute__((noinline)) __m256 name##_2x4(int64_t nb, const WT *const *w, const XT *const *x) {           \
        return name(nb, w, 2, x, 4);                                                                                   \
    }

/* The min and sum fields the _1 types add; the _0 types never read them (HAS_MIN is 0). */
#define NO_FIELD(blk) ((void)(blk), (g4_half)0)
#define MIN_FIELD(blk) ((blk).m)
#define SUM_FIELD(blk) ((blk).s)

G4_TILE32(tile_q4_0, g4_block_q4_0, g4_block_q8_0, block_q4_0, 0, NO_FIELD, NO_FIELD)
G4_TILE32(tile_q4_1, g4_block_q4_1, g4_block_q8_1, block_q4_1, 1, MIN_FIELD, SUM_FIELD)
G4_TILE32(tile_q5_0, g4_block_q5_0, g4_block_q8_0, block_q5_0, 0, NO_FIELD, NO_FIELD)
G4_TILE32(tile_q5_1, g4_block_q5_1, g4_block_q8_1, block_q5_1, 1, MIN_FIELD, SUM_FIELD)
G4_TILE32(tile_q8_0, g4_block_q8_0, g4_block_q8_0, block_q8_0, 0, NO_FIELD, NO_FIELD)

static G4_TILE_ENTRY(q4_0_tile_shapes, g4_block_q4_0, g4_block_q8_0, 32, 4, tile_q4_0_8x1, tile_q4_0_4x2, tile_q4_0_2x4,
                     tile_q4_0_2x4)

/*
 * Q4_0 prefill: 8 rows x up to 8 tokens with the eight rows' blocks transposed in registers, so that
 * no per-pair horizontal sum is needed. Register k holds elements 4k..4k+3 of every row (lane r =
 * row r) as unsigned nibbles 0..15; one token's matching four activations are broadcast to all lanes,
 * and vpmaddubsw gives every row's partial sums at once. Eight such products stay within int16
 * (8 x 2 x 15 x 128 = 30720), so they add before one vpmaddwd. The nibbles carry a +8 bias, removed
 * exactly as isum = sum(n * y) - 8 * sum(y). The float term and the block order are the reference's,
 * so every pair still gets g4_vec_dot_q4_0_ref's bits. The transposition is paid once per block of
 * eight rows and shared by all the tokens.
 */

/* Blocks whose activation sums and scales are prepared at a time (bounds the stack arrays). */
#define Q4_0_PREP_BLOCKS 64

/* Block b of eight rows as 8 registers: q[k] lane r = the nibbles of elements 4k..4k+3 of row r. */
G4_INLINE void q4_0_transpose8(const g4_block_q4_0 *const w[8], int64_t b, __m256i q[8]) {
    __m256i p[4];
    for (int r = 0; r < 4; r++)
        p[r] = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)w[r + 4][b].qs),
                                _mm_loadu_si128((const __m128i *)w[r][b].qs));
    /* 4 x 4 transposition of 32-bit chunks within each 128-bit half: c[k] lane r = chunk k of row r. */
    const __m256i t0 = _mm256_unpacklo_epi32(p[0], p[1]), t1 = _mm256_unpacklo_epi32(p[2], p[3]);
    const __m256i t2 = _mm256_unpackhi_epi32(p[0], p[1]), t3 = _mm256_unpackhi_epi32(p[2], p[3]);
    const __m256i c[4] = {_mm256_unpacklo_epi64(t0, t1), _mm256_unpackhi_epi64(t0, t1), _mm256_unpacklo_epi64(t2, t3),
                          _mm256_unpackhi_epi64(t2, t3)};
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    for (int k = 0; k < 4; k++) {
        q[k] = _mm256_and_si256(c[k], low4);                             /* elements 4k..4k+3 */
        q[k + 4] = _mm256_and_si256(_mm256_srli_epi16(c[k], 4), low4);   /* elements 16+4k.. */
    }
}

/* Sum of the 32 activations of a block (exact in int32). */
G4_INLINE int32_t q8_block_sum(const int8_t *qs) {
    const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), load32(qs)), _mm256_set1_epi16(1));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* acc[t] lane r += the dot products of rows w[0..7] with tokens x[0..nt-1] over nb blocks. */
G4_INLINE void q4_0_rows8(int64_t nb, const g4_block_q4_0 *const w[8], const g4_block_q8_0 *const *x, int nt,
                          __m256 acc[G4_TILE_TOKENS]) {
    int32_t bias[G4_TILE_TOKENS][Q4_0_PREP_BLOCKS]; /* 8 * sum(y) per token and block */
    float dx[G4_TILE_TOKENS][Q4_0_PREP_BLOCKS];
    for (int64_t b0 = 0; b0 < nb; b0 += Q4_0_PREP_BLOCKS) {
        const int nbb = (int)(nb - b0 < Q4_0_PREP_BLOCKS ? nb - b0 : Q4_0_PREP_BLOCKS);
        for (int t = 0; t < nt; t++)
            for (int i = 0; i < nbb; i++) {
                bias[t][i] = 8 * q8_block_sum(x[t][b0 + i].qs);
                dx[t][i] = _cvtsh_ss(x[t][b0 + i].d);
            }
        for (int i = 0; i < nbb; i++) {
            const int64_t b = b0 + i;
            __m256i q[8];
            q4_0_transpose8(w, b, q);
            uint16_t dh[8];
            for (int r = 0; r < 8; r++) dh[r] = w[r][b].d;
            const __m256 dw = widen_halves(dh);
            for (int t = 0; t < nt; t++) {
                const int8_t *y = x[t][b].qs;
                __m256i s16 = _mm256_setzero_si256();
                _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) {
                    int32_t y4;
                    memcpy(&y4, y + 4 * k, 4);
                    s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(q[k], _mm256_set1_epi32(y4)));
                }
                const __m256i isum =
                    _mm256_sub_epi32(_mm256_madd_epi16(s16, _mm256_set1_epi16(1)), _mm256_set1_epi32(bias[t][i]));
                const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(dx[t][i]));
                acc[t] = _mm256_add_ps(acc[t], _mm256_mul_ps(d, _mm256_cvtepi32_ps(isum)));
            }
        }
    }
}

static __attribute__((noinline)) void q4_0_rows8_full(int64_t nb, const g4_block_q4_0 *const w[8],
                                                      const g4_block_q8_0 *const *x, __m256 acc[G4_TILE_TOKENS]) {
    q4_0_rows8(nb, w, x, G4_TILE_TOKENS, acc);
}
static __attribute__((noinline)) void q4_0_rows8_part(int64_t nb, const g4_block_q4_0 *const w[8],
                                                      const g4_block_q8_0 *const *x, int nt, __m256 acc[G4_TILE_TOKENS]) {
    q4_0_rows8(nb, w, x, nt, acc);
}

/* Below this many tokens the per-pair tiles are faster than transposing the weights. */
#define Q4_0_TRANSPOSED_MIN_TOKENS 3

void g4_dot_tile_q4_0_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    if (nt < Q4_0_TRANSPOSED_MIN_TOKENS) {
        q4_0_tile_shapes(n, w, w_stride, nr, x, x_stride, nt, y, y_stride);
        return;
    }
    const g4_block_q4_0 *wr[8];
    const g4_block_q8_0 *xr[G4_TILE_TOKENS];
    for (int r = 0; r < 8; r++) /* rows past nr repeat the last one (computed, not stored) */
        wr[r] = (const g4_block_q4_0 *)((const char *)w + (size_t)(r < nr ? r : nr - 1) * w_stride);
    for (int t = 0; t < nt; t++) xr[t] = (const g4_block_q8_0 *)((const char *)x + (size_t)t * x_stride);
    __m256 acc[G4_TILE_TOKENS];
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
    if (nt == G4_TILE_TOKENS)
        q4_0_rows8_full(n / 32, wr, xr, acc);
    else
        q4_0_rows8_part(n / 32, wr, xr, nt, acc);
    for (int t = 0; t < nt; t++) {
        float out[8];
        _mm256_storeu_ps(out, acc[t]);
        for (int r = 0; r < nr; r++) y[(size_t)t * y_stride + (size_t)r] = out[r];
    }
}
G4_TILE_ENTRY(g4_dot_tile_q4_1_avx2, g4_block_q4_1, g4_block_q8_1, 32, 4, tile_q4_1_8x1, tile_q4_1_4x2, tile_q4_1_2x4, tile_q4_1_2x4)
G4_TILE_ENTRY(g4_dot_tile_q5_0_avx2, g4_block_q5_0, g4_block_q8_0, 32, 4, tile_q5_0_8x1, tile_q5_0_4x2, tile_q5_0_2x4, tile_q5_0_2x4)
G4_TILE_ENTRY(g4_dot_tile_q5_1_avx2, g4_block_q5_1, g4_block_q8_1, 32, 4, tile_q5_1_8x1, tile_q5_1_4x2, tile_q5_1_2x4, tile_q5_1_2x4)
G4_TILE_ENTRY(g4_dot_tile_q8_0_avx2, g4_block_q8_0, g4_block_q8_0, 32, 4, tile_q8_0_8x1, tile_q8_0_4x2, tile_q8_0_2x4, tile_q8_0_2x4)
