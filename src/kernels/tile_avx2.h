/*
 * What every AVX2 dot-product tile (dispatch.h g4_dot_tile_fn) shares: the tile computes eight
 * (row, token) pairs at once, one per float lane, as 8 rows x 1 token (decode: each activation
 * block is loaded once for eight rows), 4 x 2, or 2 x 4 (each weight block is unpacked once for four
 * tokens), and the driver that serves the dispatch.h contract with those shapes. Prefill of Q4_0,
 * Q8_0, Q4_K and Q6_K uses the transposed tiles instead (tiles_transposed_avx2.c). Included only by
 * *_avx2.c files.
 */
#ifndef G4_KERNELS_TILE_AVX2_H
#define G4_KERNELS_TILE_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define G4_INLINE static inline __attribute__((always_inline))
#define G4_NOINLINE static __attribute__((noinline))

G4_INLINE __m256i load32(const void *p) {
    return _mm256_loadu_si256((const __m256i *)p);
}

/* The eight int32 lanes of each acc[i] summed into lane i of the result. */
G4_INLINE __m256i hsum8_i32(const __m256i acc[8]) {
    const __m256i s01 = _mm256_hadd_epi32(acc[0], acc[1]), s23 = _mm256_hadd_epi32(acc[2], acc[3]);
    const __m256i s45 = _mm256_hadd_epi32(acc[4], acc[5]), s67 = _mm256_hadd_epi32(acc[6], acc[7]);
    const __m256i s0123 = _mm256_hadd_epi32(s01, s23), s4567 = _mm256_hadd_epi32(s45, s67);
    return _mm256_add_epi32(_mm256_permute2x128_si256(s0123, s4567, 0x20),
                            _mm256_permute2x128_si256(s0123, s4567, 0x31));
}

/* Lane r * nt + t: the per-row value v[r] (by row) or the per-token value v[t] (by token), built in
 * registers (a float array loaded as a vector would stall on store forwarding). */
G4_INLINE __m256 lanes_by_row(const float *v, int nt) {
    return _mm256_setr_ps(v[0 / nt], v[1 / nt], v[2 / nt], v[3 / nt], v[4 / nt], v[5 / nt], v[6 / nt], v[7 / nt]);
}
G4_INLINE __m256 lanes_by_token(const float *v, int nt) {
    return _mm256_setr_ps(v[0 % nt], v[1 % nt], v[2 % nt], v[3 % nt], v[4 % nt], v[5 % nt], v[6 % nt], v[7 % nt]);
}

/* The same lanes from half-precision values h[0..7] (only the first nr or nt are used): eight halves
 * in one register, widened exactly by F16C and spread by a lane permute. Building the lanes in
 * registers rather than through a float array on the stack avoids a store-forwarding stall per
 * block, which the 32-element block types pay eight times per super-block's worth of work. */
G4_INLINE __m256 widen_halves(const uint16_t h[8]) {
    return _mm256_cvtph_ps(_mm_set_epi16((short)h[7], (short)h[6], (short)h[5], (short)h[4], (short)h[3], (short)h[2],
                                         (short)h[1], (short)h[0]));
}
G4_INLINE __m256 half_lanes_by_row(const uint16_t h[8], int nt) {
    return _mm256_permutevar8x32_ps(widen_halves(h),
                                    _mm256_setr_epi32(0 / nt, 1 / nt, 2 / nt, 3 / nt, 4 / nt, 5 / nt, 6 / nt, 7 / nt));
}
G4_INLINE __m256 half_lanes_by_token(const uint16_t h[8], int nt) {
    return _mm256_permutevar8x32_ps(widen_halves(h),
                                    _mm256_setr_epi32(0 % nt, 1 % nt, 2 % nt, 3 % nt, 4 % nt, 5 % nt, 6 % nt, 7 % nt));
}

/* Starts loading the next tile's rows (the 8 after these, w_stride bytes apart) while this one
 * computes: decode streams every weight from memory once. */
G4_INLINE void prefetch_next_rows(const void *block, ptrdiff_t row_stride, int bytes) {
    const char *p = (const char *)block + 8 * row_stride;
    for (int off = 0; off < bytes; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

/* Block b of a row that arrives untyped (one driver serves every block type): (const T *)row + b. */
G4_INLINE const void *block_at(const void *row, int64_t b, size_t block_bytes) {
    return (const char *)row + (size_t)b * block_bytes;
}

/* One 8-lane shape of a per-pair tile: rows w[0..tr) against tokens x[0..8 / tr) over nb blocks,
 * lane r * (8 / tr) + t holding pair (r, t). Each type has one per shape, specialised (noinline) on
 * tr so that its row and token loops unroll. */
typedef __m256 (*g4_pairs_shape_fn)(int64_t nb, const void *const *w, const void *const *x);

/* The g4_dot_tile_fn contract over the 8-lane shapes: the nr x nt request is split into 8 x 1 (one
 * token), 4 x 2 (two) or 2 x 4 (three or four) shapes of at most max_tokens (2 or 4) tokens each;
 * rows and tokens past the request repeat the last one (computed, not stored). With max_tokens 2
 * only the first two shapes run (shape_2x4 may be NULL). */
G4_INLINE void g4_pairs_tile_drive(int64_t nb, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                   int nt, float *y, size_t y_stride, int max_tokens, g4_pairs_shape_fn shape_8x1,
                                   g4_pairs_shape_fn shape_4x2, g4_pairs_shape_fn shape_2x4) {
    for (int t0 = 0; t0 < nt; t0 += max_tokens) {
        const int ntt = nt - t0 < max_tokens ? nt - t0 : max_tokens;
        const int tr = ntt == 1 ? 8 : ntt == 2 ? 4 : 2, tt = 8 / tr;
        for (int r0 = 0; r0 < nr; r0 += tr) {
            const void *wr[8], *xr[8];
            for (int r = 0; r < tr; r++) {
                const int rr = r0 + r < nr ? r0 + r : nr - 1;
                wr[r] = (const char *)w + (size_t)rr * w_stride;
            }
            for (int t = 0; t < tt; t++) xr[t] = (const char *)x + (size_t)(t0 + (t < ntt ? t : ntt - 1)) * x_stride;
            const __m256 v = tr == 8                      ? shape_8x1(nb, wr, xr)
                             : tr == 4 || max_tokens == 2 ? shape_4x2(nb, wr, xr)
                                                          : shape_2x4(nb, wr, xr);
            float out[8];
            _mm256_storeu_ps(out, v);
            for (int r = 0; r < tr && r0 + r < nr; r++)
                for (int t = 0; t < ntt; t++) y[(size_t)(t0 + t) * y_stride + (size_t)(r0 + r)] = out[r * tt + t];
        }
    }
}

#endif
