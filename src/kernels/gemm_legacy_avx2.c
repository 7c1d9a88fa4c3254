/*
 * AVX2 dot-product tiles for the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1 with Q8_0/Q8_1
 * activations, Q8_0 with Q8_0): eight (row, token) pairs at once, one per lane (tile_avx2.h). Per
 * block the eight pairs' integer sums come from blocks_avx2.h and are reduced together, then the
 * float term is formed lane-wise with the scalar reference's roundings, (dw * dx) * (float)isum
 * (+ mw * sx for the _1 types), and added to each pair's running sum in block order: every pair
 * gets the bits of g4_vec_dot_*_avx2 and of the reference.
 */
#include <immintrin.h>

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

/* Q4_0 and Q8_0 use these for decode and short batches; prefill goes to gemm_transposed_avx2.c. */
G4_TILE_ENTRY(g4_dot_tile_q4_0_pairs_avx2, g4_block_q4_0, g4_block_q8_0, 32, tile_q4_0_8x1, tile_q4_0_4x2, tile_q4_0_2x4)
G4_TILE_ENTRY(g4_dot_tile_q4_1_avx2, g4_block_q4_1, g4_block_q8_1, 32, tile_q4_1_8x1, tile_q4_1_4x2, tile_q4_1_2x4)
G4_TILE_ENTRY(g4_dot_tile_q5_0_avx2, g4_block_q5_0, g4_block_q8_0, 32, tile_q5_0_8x1, tile_q5_0_4x2, tile_q5_0_2x4)
G4_TILE_ENTRY(g4_dot_tile_q5_1_avx2, g4_block_q5_1, g4_block_q8_1, 32, tile_q5_1_8x1, tile_q5_1_4x2, tile_q5_1_2x4)
G4_TILE_ENTRY(g4_dot_tile_q8_0_pairs_avx2, g4_block_q8_0, g4_block_q8_0, 32, tile_q8_0_8x1, tile_q8_0_4x2, tile_q8_0_2x4)
