/*
 * Scalar reference dot products and activation quantizers, one per weight type (the entries of
 * the scalar kernel table, dispatch.h). The math follows ggml's generic CPU kernels
 * (ggml-cpu/quants.c, vec.cpp); the arithmetic is spelled out here because the SIMD versions and
 * the tests must reproduce it:
 *
 * Float types (products exact or rounded to f32, as ggml; sums in double):
 *   f32:  sum += (double)(w[i] * x[i])            f16/bf16: the same on the widened values
 * 32-element blocks, w block b with scale dw (and min mw), activation block with scale dx (and
 * s = dx * sum(qx) for q8_1); isum = sum over the block of qw * qx, exact in int32; s starts at 0f:
 *   q4_0, q5_0, q8_0 (x q8_0):  s += (dw * dx) * (float)isum
 *   q4_1, q5_1       (x q8_1):  s += (dw * dx) * (float)isum + mw * sx
 * 256-element super-blocks (x q8_K, scale dx = y.d, bsums = sums of 16 qx): the sub-block scales
 * and mins are small integers, so isum = sum_sub scale_sub * sum(qw * qx) and
 * msum = sum_sub min_sub * sum(qx) are exact in int32; s starts at 0f:
 *   q3_K, q6_K:        s += (dw * dx) * (float)isum
 *   q2_K, q4_K, q5_K:  s += (dw * dx) * (float)isum - (dmin * dx) * (float)msum
 *   (q3_K and q6_K have signed quants and no mins; their scales are signed.)
 */
#ifndef G4_KERNELS_VEC_DOT_H
#define G4_KERNELS_VEC_DOT_H

#include <stdint.h>

float g4_vec_dot_f32_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_f16_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_bf16_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q4_0_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q4_1_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q5_0_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q5_1_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q8_0_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q2_K_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q3_K_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q4_K_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q5_K_ref(int64_t n, const void *w, const void *x);
float g4_vec_dot_q6_K_ref(int64_t n, const void *w, const void *x);

/*
 * Activation quantizers. ggml's CPU backend on x86 (arch/x86/quants.c, AVX) quantizes q8_0/q8_1
 * with d = amax / 127, multiplier 127 / amax and round-half-to-even; its portable _ref version
 * uses the multiplier 1 / d and roundf (half away from zero), and ARM NEON 1 / d with half-to-even.
 * We match the x86 kernel, where most llama.cpp comparisons run: multiplier 127 / amax,
 * half-to-even. q8_K is quantize_row_q8_K_ref (used by every ggml backend): scale -127 / max with
 * max the signed value of largest magnitude (first one on ties), half-to-even, d = 1 / scale.
 */
void g4_quantize_act_f32(const float *x, void *out, int64_t n);
void g4_quantize_act_f16(const float *x, void *out, int64_t n);
void g4_quantize_act_bf16(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_0(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_1(const float *x, void *out, int64_t n);
void g4_quantize_act_q8_K(const float *x, void *out, int64_t n);

#endif
