/*
 * AVX2 per-pair dot-product tiles for Q4_K and Q6_K with Q8_K activations (dispatch.h
 * g4_dot_tile_fn), for decode and batches of one or two tokens: eight (row, token) pairs at once, as
 * 8 rows x 1 token (each activation block is loaded once for eight rows) or 4 x 2. Prefill (three
 * tokens or more) goes to the transposed tiles of tiles_transposed_avx2.c, which hand shorter
 * batches here. The eight int32 accumulators are reduced together (one lane per pair) and the float
 * combination runs lane-wise with the scalar reference's operations in its order (multiplies and
 * subtracts, never fused), so every pair gets the bits of g4_vec_dot_*_avx2 and of the reference.
 */
#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/kquant_scales.h"
#include "kernels/simd.h"
#include "kernels/tile_avx2.h"

/* Scale j of the 8 int16 in every int16 of the low lane and scale k in the high lane. */
G4_INLINE __m256i pick_scales(__m256i scales16, int j, int k) {
    const __m128i lo = _mm_set1_epi16((short)(2 * j | (2 * j + 1) << 8));
    const __m128i hi = _mm_set1_epi16((short)(2 * k | (2 * k + 1) << 8));
    return _mm256_shuffle_epi8(scales16, _mm256_set_m128i(hi, lo));
}

G4_INLINE __m256i bits_at(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8((char)mask));
}

/* Block b of row r or token t of a tile (the driver hands the rows over untyped). */
G4_INLINE const g4_block_q4_K *q4_K_at(const void *const *w, int r, int64_t b) {
    return block_at(w[r], b, sizeof(g4_block_q4_K));
}
G4_INLINE const g4_block_q6_K *q6_K_at(const void *const *w, int r, int64_t b) {
    return block_at(w[r], b, sizeof(g4_block_q6_K));
}
G4_INLINE const g4_block_q8_K *q8_K_at(const void *const *x, int t, int64_t b) {
    return block_at(x[t], b, sizeof(g4_block_q8_K));
}

/* ---- Q4_K ------------------------------------------------------------------------------------------ */

G4_INLINE __m256 tile_q4_K(int64_t nb, const void *const *w, int nr, const void *const *x, int nt) {
    __m256 sum = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m128i dup = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    for (int64_t b = 0; b < nb; b++) {
        __m256i acc[8], scales[8];
        uint8_t mn[8][8];
        float dw[8], dmin[8], dx[8];
        _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {
            uint8_t sc[8];
            g4_k4_scales_mins(q4_K_at(w, r, b)->scales, sc, mn[r]);
            scales[r] = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)sc)));
            dw[r] = _cvtsh_ss(q4_K_at(w, r, b)->d);
            dmin[r] = _cvtsh_ss(q4_K_at(w, r, b)->dmin);
        }
        _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) dx[t] = q8_K_at(x, t, b)->d;
        if (nr == 8) {
            const ptrdiff_t stride = (const char *)w[1] - (const char *)w[0];
            _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) prefetch_next_rows(q4_K_at(w, r, b), stride, 192);
        }
        _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_si256();
        _Pragma("GCC unroll 1") for (int c = 0; c < 4; c++) {
            _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {
                const __m256i raw = load32(q4_K_at(w, r, b)->qs + 32 * c);
                const __m256i lo = _mm256_and_si256(raw, m4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
                const __m256i slo = pick_scales(scales[r], 2 * c, 2 * c),
                              shi = pick_scales(scales[r], 2 * c + 1, 2 * c + 1);
                _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) {
                    const __m256i plo =
                        _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load32(q8_K_at(x, t, b)->qs + 64 * c)), slo);
                    const __m256i phi =
                        _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load32(q8_K_at(x, t, b)->qs + 64 * c + 32)), shi);
                    acc[r * nt + t] = _mm256_add_epi32(acc[r * nt + t], _mm256_add_epi32(plo, phi));
                }
            }
        }
        const __m256i isum = hsum8_i32(acc);
        _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {
            const __m256i mins = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_loadl_epi64((const __m128i *)mn[r]), dup));
            _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) acc[r * nt + t] =
                _mm256_madd_epi16(mins, load32(q8_K_at(x, t, b)->bsums));
        }
        const __m256i msum = hsum8_i32(acc);
        const __m256 dxv = lanes_by_token(dx, nt);
        const __m256 a = _mm256_mul_ps(_mm256_mul_ps(lanes_by_row(dw, nt), dxv), _mm256_cvtepi32_ps(isum));
        const __m256 m = _mm256_mul_ps(_mm256_mul_ps(lanes_by_row(dmin, nt), dxv), _mm256_cvtepi32_ps(msum));
        sum = _mm256_add_ps(sum, _mm256_sub_ps(a, m));
    }
    return sum;
}

G4_NOINLINE __m256 tile_q4_K_8x1(int64_t nb, const void *const *w, const void *const *x) {
    return tile_q4_K(nb, w, 8, x, 1);
}
G4_NOINLINE __m256 tile_q4_K_4x2(int64_t nb, const void *const *w, const void *const *x) {
    return tile_q4_K(nb, w, 4, x, 2);
}

/* ---- Q6_K ------------------------------------------------------------------------------------------ */

G4_INLINE __m256 tile_q6_K(int64_t nb, const void *const *w, int nr, const void *const *x, int nt) {
    __m256 sum = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        __m256i acc[8];
        float dw[8], dx[8];
        _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) dw[r] = _cvtsh_ss(q6_K_at(w, r, b)->d);
        _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) dx[t] = q8_K_at(x, t, b)->d;
        if (nr == 8) {
            const ptrdiff_t stride = (const char *)w[1] - (const char *)w[0];
            _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) prefetch_next_rows(q6_K_at(w, r, b), stride, 192);
        }
        _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_si256();
        _Pragma("GCC unroll 1") for (int half = 0; half < 2; half++) {
            _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {
                const g4_block_q6_K *wb = q6_K_at(w, r, b);
                const __m256i ql0 = load32(wb->ql + 64 * half), ql1 = load32(wb->ql + 64 * half + 32);
                const __m256i qh = load32(wb->qh + 32 * half);
                const __m256i hs = _mm256_broadcastsi128_si256(
                    _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(wb->scales + 8 * half))));
                _Pragma("GCC unroll 8") for (int run = 0; run < 4; run++) {
                    const __m256i ql = run & 1 ? ql1 : ql0;
                    const __m256i q = _mm256_or_si256(bits_at(ql, run < 2 ? 0 : 4, 0x0F),
                                                      _mm256_slli_epi16(bits_at(qh, 2 * run, 3), 4));
                    const __m256i s = pick_scales(hs, 2 * run, 2 * run + 1);
                    _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) {
                        const __m256i p = _mm256_maddubs_epi16(q, load32(q8_K_at(x, t, b)->qs + 128 * half + 32 * run));
                        acc[r * nt + t] = _mm256_add_epi32(acc[r * nt + t], _mm256_madd_epi16(p, s));
                    }
                }
            }
        }
        const __m256i isum = hsum8_i32(acc);
        _Pragma("GCC unroll 8") for (int r = 0; r < nr; r++) {
            const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)q6_K_at(w, r, b)->scales));
            _Pragma("GCC unroll 8") for (int t = 0; t < nt; t++) acc[r * nt + t] =
                _mm256_madd_epi16(sc16, load32(q8_K_at(x, t, b)->bsums));
        }
        const __m256i corr = hsum8_i32(acc);
        const __m256i q = _mm256_sub_epi32(isum, _mm256_slli_epi32(corr, 5)); /* isum - 32 * sum sc * bsums */
        const __m256 a =
            _mm256_mul_ps(_mm256_mul_ps(lanes_by_row(dw, nt), lanes_by_token(dx, nt)), _mm256_cvtepi32_ps(q));
        sum = _mm256_add_ps(sum, a);
    }
    return sum;
}

G4_NOINLINE __m256 tile_q6_K_8x1(int64_t nb, const void *const *w, const void *const *x) {
    return tile_q6_K(nb, w, 8, x, 1);
}
G4_NOINLINE __m256 tile_q6_K_4x2(int64_t nb, const void *const *w, const void *const *x) {
    return tile_q6_K(nb, w, 4, x, 2);
}

/* ---- entries: two tokens a pass (longer batches take the transposed tiles) ---------------------------- */

void g4_dot_tile_q4_K_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride) {
    g4_pairs_tile_drive(n / G4_QK_K, w, w_stride, nr, x, x_stride, nt, y, y_stride, 2, tile_q4_K_8x1, tile_q4_K_4x2,
                        NULL);
}

void g4_dot_tile_q6_K_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride) {
    g4_pairs_tile_drive(n / G4_QK_K, w, w_stride, nr, x, x_stride, nt, y, y_stride, 2, tile_q6_K_8x1, tile_q6_K_4x2,
                        NULL);
}
