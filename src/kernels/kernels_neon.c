/*
 * The AArch64 kernel tables: "neon" (baseline Armv8: Cortex-A53/A55/A72, Raspberry Pi 3 and 4) and
 * "neon-dotprod" (integer dots with SDOT: Cortex-A76 / Raspberry Pi 5 and later). Each lists only
 * what it does itself; dispatch.c completes neon from the scalar table (RoPE and the f32 "quantizer"
 * stay scalar) and neon-dotprod from neon, whose float dots, activation quantizers and vector ops it
 * shares.
 */
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "kernels/simd.h"
#include "kernels/vec_dot.h"

const g4_kernels g4_kernels_neon_partial = {
    .name = "neon",
    .dot =
        {
            [G4_TYPE_F32] = {G4_TYPE_F32, NULL, g4_vec_dot_f32_neon},
            [G4_TYPE_F16] = {G4_TYPE_F16, g4_quantize_act_f16_neon, g4_vec_dot_f16_neon},
            [G4_TYPE_BF16] = {G4_TYPE_BF16, g4_quantize_act_bf16_neon, g4_vec_dot_bf16_neon},
            [G4_TYPE_Q4_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_neon, g4_vec_dot_q4_0_neon},
            [G4_TYPE_Q4_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1_neon, g4_vec_dot_q4_1_neon},
            [G4_TYPE_Q5_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_neon, g4_vec_dot_q5_0_neon},
            [G4_TYPE_Q5_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1_neon, g4_vec_dot_q5_1_neon},
            [G4_TYPE_Q8_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_neon, g4_vec_dot_q8_0_neon},
            [G4_TYPE_Q2_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q2_K_neon},
            [G4_TYPE_Q3_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q3_K_neon},
            [G4_TYPE_Q4_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q4_K_neon},
            [G4_TYPE_Q5_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q5_K_neon},
            [G4_TYPE_Q6_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q6_K_neon},
        },
    .rmsnorm = g4_rmsnorm_neon,
    .softmax = g4_softmax_neon,
    .gelu_tanh = g4_gelu_tanh_neon,
    .softcap = g4_softcap_neon,
    .gelu_quick = g4_gelu_quick_neon,
    .clamp = g4_clamp_neon,
    .attention = g4_attention_neon,
};

/* The quantizers (NULL) are neon's: the activation formats are the same. */
const g4_kernels g4_kernels_neon_dotprod_partial = {
    .name = "neon-dotprod",
    .dot =
        {
            [G4_TYPE_Q4_0] = {G4_TYPE_Q8_0, NULL, g4_vec_dot_q4_0_dotprod},
            [G4_TYPE_Q4_1] = {G4_TYPE_Q8_1, NULL, g4_vec_dot_q4_1_dotprod},
            [G4_TYPE_Q5_0] = {G4_TYPE_Q8_0, NULL, g4_vec_dot_q5_0_dotprod},
            [G4_TYPE_Q5_1] = {G4_TYPE_Q8_1, NULL, g4_vec_dot_q5_1_dotprod},
            [G4_TYPE_Q8_0] = {G4_TYPE_Q8_0, NULL, g4_vec_dot_q8_0_dotprod},
            [G4_TYPE_Q2_K] = {G4_TYPE_Q8_K, NULL, g4_vec_dot_q2_K_dotprod},
            [G4_TYPE_Q3_K] = {G4_TYPE_Q8_K, NULL, g4_vec_dot_q3_K_dotprod},
            [G4_TYPE_Q4_K] = {G4_TYPE_Q8_K, NULL, g4_vec_dot_q4_K_dotprod},
            [G4_TYPE_Q5_K] = {G4_TYPE_Q8_K, NULL, g4_vec_dot_q5_K_dotprod},
            [G4_TYPE_Q6_K] = {G4_TYPE_Q8_K, NULL, g4_vec_dot_q6_K_dotprod},
        },
};
