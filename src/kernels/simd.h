/*
 * The SIMD kernel tables and their functions, beside the scalar reference (dispatch.h states the
 * contract each must meet). Which of these exist depends on the target: the *_avx2.c files are
 * compiled on x86-64 only (with -mavx2 -mfma -mf16c), *_neon.c and *_dotprod.c on AArch64 only (the
 * latter with +dotprod). The tables here are partial: each holds only the entries its instruction
 * set does faster, and dispatch.c completes it (g4_kernels_with_fallback) and hands it out only
 * when the CPU runs it (core/cpu.h).
 */
#ifndef G4_KERNELS_SIMD_H
#define G4_KERNELS_SIMD_H

#include <stdint.h>

#include "kernels/dispatch.h"

#if defined(__x86_64__)
#define G4_HAVE_AVX2_KERNELS 1
extern const g4_kernels g4_kernels_avx2_partial; /* kernels_avx2.c; the rest from the scalar table */

float g4_vec_dot_f32_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_f16_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_bf16_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q4_0_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q4_1_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q5_0_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q5_1_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q8_0_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q2_K_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q3_K_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q4_K_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q5_K_avx2(int64_t n, const void *w, const void *x);
float g4_vec_dot_q6_K_avx2(int64_t n, const void *w, const void *x);

/* Tiles (dispatch.h g4_dot_tile_fn), bit-identical to the vec_dots above. The avx2 table holds the
 * transposed tiles for Q4_0, Q8_0, Q4_K and Q6_K (tiles_transposed_avx2.c), which hand batches of
 * one or two tokens to their per-pair tiles (the _pairs below), and the per-pair tiles of Q4_1,
 * Q5_0 and Q5_1. */
void g4_dot_tile_q4_0_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride);
void g4_dot_tile_q8_0_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride);
void g4_dot_tile_q4_K_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride);
void g4_dot_tile_q6_K_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride);
/* Per-pair tiles of the 32-element block types (tiles_legacy_avx2.c). */
void g4_dot_tile_q4_1_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride);
void g4_dot_tile_q5_0_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride);
void g4_dot_tile_q5_1_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride, int nt,
                           float *y, size_t y_stride);
void g4_dot_tile_q4_0_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride);
void g4_dot_tile_q8_0_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride);
/* Per-pair tiles of Q4_K and Q6_K (tiles_kquants_avx2.c). */
void g4_dot_tile_q4_K_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride);
void g4_dot_tile_q6_K_pairs_avx2(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                                 int nt, float *y, size_t y_stride);

void g4_quantize_act_f16_avx2(const float *x, void *out, int64_t n);
void g4_quantize_act_bf16_avx2(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_0_avx2(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_1_avx2(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_K_avx2(const float *x, void *out, int64_t n);

void g4_rmsnorm_avx2(float *out, const float *x, const float *w, int64_t n, float eps);
void g4_softmax_avx2(float *x, int64_t n);
void g4_gelu_tanh_avx2(float *x, int64_t n);
void g4_softcap_avx2(float *x, int64_t n, float cap);
void g4_gelu_quick_avx2(float *x, int64_t n);
void g4_clamp_avx2(float *x, int64_t n, float lo, float hi);
#endif

#if defined(__aarch64__)
#define G4_HAVE_NEON_KERNELS 1
/* kernels_neon.c: neon's rest from the scalar table, neon-dotprod's (all but its SDOT dots) from neon */
extern const g4_kernels g4_kernels_neon_partial;
extern const g4_kernels g4_kernels_neon_dotprod_partial;

/* Float dots, activation quantizers and vector ops: baseline Armv8 NEON, shared by both tables. */
float g4_vec_dot_f32_neon(int64_t n, const void *w, const void *x);
float g4_vec_dot_f16_neon(int64_t n, const void *w, const void *x);
float g4_vec_dot_bf16_neon(int64_t n, const void *w, const void *x);

void g4_quantize_act_f16_neon(const float *x, void *out, int64_t n);
void g4_quantize_act_bf16_neon(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_0_neon(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_1_neon(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_K_neon(const float *x, void *out, int64_t n);

void g4_rmsnorm_neon(float *out, const float *x, const float *w, int64_t n, float eps);
void g4_softmax_neon(float *x, int64_t n);
void g4_gelu_tanh_neon(float *x, int64_t n);
void g4_softcap_neon(float *x, int64_t n, float cap);
void g4_gelu_quick_neon(float *x, int64_t n);
void g4_clamp_neon(float *x, int64_t n, float lo, float hi);

/* Integer dots, one set per int8 product instruction: _neon (SMULL/SADALP), _dotprod (SDOT). */
#define G4_DECLARE_INT_DOTS(suffix)                                                                                    \
    float g4_vec_dot_q4_0_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q4_1_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q5_0_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q5_1_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q8_0_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q2_K_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q3_K_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q4_K_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q5_K_##suffix(int64_t n, const void *w, const void *x);                                           \
    float g4_vec_dot_q6_K_##suffix(int64_t n, const void *w, const void *x);
G4_DECLARE_INT_DOTS(neon)
G4_DECLARE_INT_DOTS(dotprod)
#undef G4_DECLARE_INT_DOTS
#endif

#endif
