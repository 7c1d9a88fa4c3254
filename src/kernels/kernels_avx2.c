/*
 * The AVX2 (+FMA +F16C) kernel table: x86-64 CPUs from Haswell / Zen 1 on. Only what AVX2 does
 * faster is listed; dispatch.c fills the rest from the scalar table (g4_kernels_with_fallback):
 * RoPE (a sine and cosine per pair, a few hundred per head: not worth a vector sincos) and the f32
 * "quantizer", a plain copy.
 */
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "kernels/simd.h"
#include "kernels/vec_dot.h"

const g4_kernels g4_kernels_avx2_partial = {
    .name = "avx2",
    .dot =
        {
            [G4_TYPE_F32] = {G4_TYPE_F32, NULL, g4_vec_dot_f32_avx2, NULL},
            [G4_TYPE_F16] = {G4_TYPE_F16, g4_quantize_act_f16_avx2, g4_vec_dot_f16_avx2, NULL},
            [G4_TYPE_BF16] = {G4_TYPE_BF16, g4_quantize_act_bf16_avx2, g4_vec_dot_bf16_avx2, NULL},
            [G4_TYPE_Q4_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_avx2, g4_vec_dot_q4_0_avx2, g4_dot_tile_q4_0_avx2},
            [G4_TYPE_Q4_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1_avx2, g4_vec_dot_q4_1_avx2, g4_dot_tile_q4_1_avx2},
            [G4_TYPE_Q5_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_avx2, g4_vec_dot_q5_0_avx2, g4_dot_tile_q5_0_avx2},
            [G4_TYPE_Q5_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1_avx2, g4_vec_dot_q5_1_avx2, g4_dot_tile_q5_1_avx2},
            [G4_TYPE_Q8_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_avx2, g4_vec_dot_q8_0_avx2, g4_dot_tile_q8_0_avx2},
            [G4_TYPE_Q2_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_avx2, g4_vec_dot_q2_K_avx2, NULL},
            [G4_TYPE_Q3_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_avx2, g4_vec_dot_q3_K_avx2, NULL},
            [G4_TYPE_Q4_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_avx2, g4_vec_dot_q4_K_avx2, g4_dot_tile_q4_K_avx2},
            [G4_TYPE_Q5_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_avx2, g4_vec_dot_q5_K_avx2, NULL},
            [G4_TYPE_Q6_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_avx2, g4_vec_dot_q6_K_avx2, g4_dot_tile_q6_K_avx2},
        },
    .rmsnorm = g4_rmsnorm_avx2,
    .softmax = g4_softmax_avx2,
    .gelu_tanh = g4_gelu_tanh_avx2,
    .softcap = g4_softcap_avx2,
    .gelu_quick = g4_gelu_quick_avx2,
    .clamp = g4_clamp_avx2,
    .attention = g4_attention_avx2,
};
