/*
 * What every AVX2 dot-product tile (dispatch.h g4_dot_tile_fn) shares: the tile computes eight
 * (row, token) pairs at once, one per float lane, as 8 rows x 1 token (decode: each activation
 * block is loaded once for eight rows), 4 x 2, or 2 x 4 (each weight block is unpacked once for four
 * tokens). Prefill of the main weight types uses the transposed tiles instead
 * (gemm_transposed_avx2.c). Included only by *_avx2.c files.
 */
#ifndef G4_KERNELS_TILE_AVX2_H
#define G4_KERNELS_TILE_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define G4_INLINE static inline __attribute__((always_inline))

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
    return _mm256_permutevar8x32_ps(widen_halves(h), _mm256_setr_epi32(0 / nt, 1 / nt, 2 / nt, 3 / nt, 4 / nt, 5 / nt,
                                                                       6 / nt, 7 / nt));
}
G4_INLINE __m256 half_lanes_by_token(const uint16_t h[8], int nt) {
    return _mm256_permutevar8x32_ps(widen_halves(h), _mm256_setr_epi32(0 % nt, 1 % nt, 2 % nt, 3 % nt, 4 % nt, 5 % nt,
                                                                       6 % nt, 7 % nt));
}

/* Starts loading the next tile's rows (the 8 after these, w_stride bytes apart) while this one
 * computes: decode streams every weight from memory once. */
G4_INLINE void prefetch_next_rows(const void *block, ptrdiff_t row_stride, int bytes) {
    const char *p = (const char *)block + 8 * row_stride;
    for (int off = 0; off < bytes; off += 64) _mm_prefetch(p + off, _MM_HINT_T0);
}

/* Splits the nr x nt request into 8-lane shapes (8 x 1 for one token, 4 x 2 for two, 2 x 4 for three
 * or four) of at most max_tt tokens; rows and tokens past the request repeat the last one (computed,
 * not stored). SHAPE_CALL computes the tile of tr rows from nb blocks of wr[] and xr[]. */
#define G4_TILE_ENTRY_SPLIT(name, wtype, xtype, qk, max_tt, SHAPE_CALL)                                                \
    void name(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt, float *y,    \
              size_t y_stride) {                                                                                       \
        const int64_t nb = n / (qk);                                                                                   \
        for (int t0 = 0; t0 < nt; t0 += (max_tt)) {                                                                    \
            const int ntt = nt - t0 < (max_tt) ? nt - t0 : (max_tt);                                                   \
            const int tr = ntt == 1 ? 8 : ntt == 2 ? 4 : 2, tt = 8 / tr;                                               \
            for (int r0 = 0; r0 < nr; r0 += tr) {                                                                      \
                const wtype *wr[8];                                                                                    \
                const xtype *xr[8];                                                                                    \
                for (int r = 0; r < tr; r++) {                                                                         \
                    const int rr = r0 + r < nr ? r0 + r : nr - 1;                                                      \
                    wr[r] = (const wtype *)((const char *)w + (size_t)rr * w_stride);                                  \
                }                                                                                                      \
                for (int t = 0; t < tt; t++)                                                                           \
                    xr[t] = (const xtype *)((const char *)x + (size_t)(t0 + (t < ntt ? t : ntt - 1)) * x_stride);      \
                float out[8];                                                                                          \
                _mm256_storeu_ps(out, SHAPE_CALL);                                                                     \
                for (int r = 0; r < tr && r0 + r < nr; r++)                                                            \
                    for (int t = 0; t < ntt; t++) y[(size_t)(t0 + t) * y_stride + (size_t)(r0 + r)] = out[r * tt + t]; \
            }                                                                                                          \
        }                                                                                                              \
    }

/* Up to four tokens per pass, in the three shapes. */
#define G4_TILE_ENTRY(name, wtype, xtype, qk, k8x1, k4x2, k2x4)                                                        \
    G4_TILE_ENTRY_SPLIT(name, wtype, xtype, qk, 4,                                                                     \
                        tr == 8 ? k8x1(nb, wr, xr) : tr == 4 ? k4x2(nb, wr, xr) : k2x4(nb, wr, xr))

/* For tiles that serve only decode and short batches (prefill has its own): two tokens per pass,
 * so only the 8 x 1 and 4 x 2 shapes exist. */
#define G4_TILE_ENTRY_DECODE(name, wtype, xtype, qk, k8x1, k4x2)                                                       \
    G4_TILE_ENTRY_SPLIT(name, wtype, xtype, qk, 2, tr == 8 ? k8x1(nb, wr, xr) : k4x2(nb, wr, xr))

#endif
