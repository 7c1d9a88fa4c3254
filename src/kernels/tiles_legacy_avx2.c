/*
 * AVX2 per-pair dot-product tiles for the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1 with
 * Q8_0/Q8_1 activations, Q8_0 with Q8_0): eight (row, token) pairs at once, one per lane
 * (tile_avx2.h). Per block the eight pairs' integer sums come from blocks_avx2.h and are reduced
 * together, then the float term is formed lane-wise with the scalar reference's roundings,
 * (dw * dx) * (float)isum (+ mw * sx for the _1 types), and added to each pair's running sum in
 * block order: every pair gets the bits of g4_vec_dot_*_avx2 and of the reference.
 *
 * Q4_0 and Q8_0 prefill (three tokens or more) goes to tiles_transposed_avx2.c, which hands shorter
 * batches to the _pairs tiles here; Q4_1, Q5_0 and Q5_1 use these for every batch.
 */
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/blocks_avx2.h"
#include "kernels/simd.h"
#include "kernels/tile_avx2.h"

/* The _1 types' min and sum fields (NULL steps for the _0 types, which have none). */
typedef g4_half (*half_field_fn)(const void *block);
static inline g4_half q4_1_min(const void *w) {
    return ((const g4_block_q4_1 *)w)->m;
}
static inline g4_half q5_1_min(const void *w) {
    return ((const g4_block_q5_1 *)w)->m;
}
static inline g4_half q8_1_sum(const void *x) {
    return ((const g4_block_q8_1 *)x)->s;
}

/* nr rows x nt tokens (nr * nt == 8) over nb blocks of w_bytes (weights) and x_bytes (activations),
 * whose first field is the half scale d. weight_min and act_sum: the _1 types' mw * sx term. */
G4_INLINE __m256 tile32(int64_t nb, const void *const *w, size_t w_bytes, int nr, const void *const *x, size_t x_bytes,
                        int nt, g4_block_isum_fn block, half_field_fn weight_min, half_field_fn act_sum) {
    __m256 sum = _mm256_setzero_ps();
    const ptrdiff_t stride = (const char *)w[1] - (const char *)w[0];
    for (int64_t b = 0; b < nb; b++) {
        __m256i acc[8];
        uint16_t dw[8] = {0}, dx[8] = {0}, mw[8] = {0}, sx[8] = {0};
        _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {
            const void *wb = block_at(w[r], b, w_bytes);
            dw[r] = *(const g4_half *)wb;
            if (weight_min) mw[r] = weight_min(wb);
            if (nr == 8) prefetch_next_rows(wb, stride, 1);
        }
        _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) {
            const void *xb = block_at(x[t], b, x_bytes);
            dx[t] = *(const g4_half *)xb;
            if (act_sum) sx[t] = act_sum(xb);
        }
        _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {
            _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) acc[r * nt + t] =
                block(block_at(w[r], b, w_bytes), block_at(x[t], b, x_bytes));
        }
        const __m256 d = _mm256_mul_ps(half_lanes_by_row(dw, nt), half_lanes_by_token(dx, nt));
        __m256 term = _mm256_mul_ps(d, _mm256_cvtepi32_ps(hsum8_i32(acc)));
        if (weight_min)
            term = _mm256_add_ps(term, _mm256_mul_ps(half_lanes_by_row(mw, nt), half_lanes_by_token(sx, nt)));
        sum = _mm256_add_ps(sum, term);
    }
    return sum;
}

/* ---- the shapes of each type ---------------------------------------------------------------------- */

G4_NOINLINE __m256 q4_0_8x1(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q4_0), 8, x, sizeof(g4_block_q8_0), 1, block_q4_0, NULL, NULL);
}
G4_NOINLINE __m256 q4_0_4x2(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q4_0), 4, x, sizeof(g4_block_q8_0), 2, block_q4_0, NULL, NULL);
}
G4_NOINLINE __m256 q4_0_2x4(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q4_0), 2, x, sizeof(g4_block_q8_0), 4, block_q4_0, NULL, NULL);
}

G4_NOINLINE __m256 q4_1_8x1(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q4_1), 8, x, sizeof(g4_block_q8_1), 1, block_q4_1, q4_1_min, q8_1_sum);
}
G4_NOINLINE __m256 q4_1_4x2(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q4_1), 4, x, sizeof(g4_block_q8_1), 2, block_q4_1, q4_1_min, q8_1_sum);
}
G4_NOINLINE __m256 q4_1_2x4(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q4_1), 2, x, sizeof(g4_block_q8_1), 4, block_q4_1, q4_1_min, q8_1_sum);
}

G4_NOINLINE __m256 q5_0_8x1(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q5_0), 8, x, sizeof(g4_block_q8_0), 1, block_q5_0, NULL, NULL);
}
G4_NOINLINE __m256 q5_0_4x2(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q5_0), 4, x, sizeof(g4_block_q8_0), 2, block_q5_0, NULL, NULL);
}
G4_NOINLINE __m256 q5_0_2x4(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q5_0), 2, x, sizeof(g4_block_q8_0), 4, block_q5_0, NULL, NULL);
}

G4_NOINLINE __m256 q5_1_8x1(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q5_1), 8, x, sizeof(g4_block_q8_1), 1, block_q5_1, q5_1_min, q8_1_sum);
}
G4_NOINLINE __m256 q5_1_4x2(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q5_1), 4, x, sizeof(g4_block_q8_1), 2, block_q5_1, q5_1_min, q8_1_sum);
}
G4_NOINLINE __m256 q5_1_2x4(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q5_1), 2, x, sizeof(g4_block_q8_1), 4, block_q5_1, q5_1_min, q8_1_sum);
}

G4_NOINLINE __m256 q8_0_8x1(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q8_0), 8, x, sizeof(g4_block_q8_0), 1, block_q8_0, NULL, NULL);
}
G4_NOINLINE __m256 q8_0_4x2(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q8_0), 4, x, sizeof(g4_block_q8_0), 2, block_q8_0, NULL, NULL);
}
G4_NOINLINE __m256 q8_0_2x4(int64_t nb, const void *const *w, const void *const *x) {
    return tile32(nb, w, sizeof(g4_block_q8_0), 2, x, sizeof(g4_block_q8_0), 4, block_q8_0, NULL, NULL);
}

/* ---- entries: up to four tokens a pass ------------------------------------------------------------- */

void g4_dot_tile_q4_0_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride) {
    g4_pairs_tile_drive(n / 32, w, w_stride, nr, x, x_stride, nt, y, y_stride, 4, q4_0_8x1, q4_0_4x2, q4_0_2x4);
}

void g4_dot_tile_q4_1_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    g4_pairs_tile_drive(n / 32, w, w_stride, nr, x, x_stride, nt, y, y_stride, 4, q4_1_8x1, q4_1_4x2, q4_1_2x4);
}

void g4_dot_tile_q5_0_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    g4_pairs_tile_drive(n / 32, w, w_stride, nr, x, x_stride, nt, y, y_stride, 4, q5_0_8x1, q5_0_4x2, q5_0_2x4);
}

void g4_dot_tile_q5_1_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride) {
    g4_pairs_tile_drive(n / 32, w, w_stride, nr, x, x_stride, nt, y, y_stride, 4, q5_1_8x1, q5_1_4x2, q5_1_2x4);
}

void g4_dot_tile_q8_0_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride) {
    g4_pairs_tile_drive(n / 32, w, w_stride, nr, x, x_stride, nt, y, y_stride, 4, q8_0_8x1, q8_0_4x2, q8_0_2x4);
}
