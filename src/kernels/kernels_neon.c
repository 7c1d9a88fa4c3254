/*
 * The AArch64 kernel tables: "neon" (baseline Armv8: Cortex-A53/A55/A72, Raspberry Pi 3 and 4) and
 * "neon-dotprod" (integer dots with SDOT: Cortex-A76 / Raspberry Pi 5 and later). They share the
 * float dots, the activation quantizers and the vector ops; RoPE stays scalar.
 */
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "kernels/simd.h"
#include "kernels/vec_dot.h"

#define G4_ARM_TABLE(table_name, sfx)                                                                                  \
    {                                                                                                                  \
        .name = table_name,                                                                                            \
        .dot =                                                                                                         \
            {                                                                                                          \
                [G4_TYPE_F32] = {G4_TYPE_F32, g4_quantize_act_f32, g4_vec_dot_f32_neon},                               \
                [G4_TYPE_F16] = {G4_TYPE_F16, g4_quantize_act_f16_neon, g4_vec_dot_f16_neon},                          \
                [G4_TYPE_BF16] = {G4_TYPE_BF16, g4_quantize_act_bf16_neon, g4_vec_dot_bf16_neon},                      \
                [G4_TYPE_Q4_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_neon, g4_vec_dot_q4_0_##sfx},                     \
                [G4_TYPE_Q4_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1_neon, g4_vec_dot_q4_1_##sfx},                     \
                [G4_TYPE_Q5_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_neon, g4_vec_dot_q5_0_##sfx},                     \
                [G4_TYPE_Q5_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1_neon, g4_vec_dot_q5_1_##sfx},                     \
                [G4_TYPE_Q8_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0_neon, g4_vec_dot_q8_0_##sfx},                     \
                [G4_TYPE_Q2_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q2_K_##sfx},                     \
                [G4_TYPE_Q3_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q3_K_##sfx},                     \
                [G4_TYPE_Q4_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q4_K_##sfx},                     \
                [G4_TYPE_Q5_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q5_K_##sfx},                     \
                [G4_TYPE_Q6_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K_neon, g4_vec_dot_q6_K_##sfx},                     \
            },                                                                                                         \
        .rmsnorm = g4_rmsnorm_neon, .rope_neox = g4_rope_neox, .softmax = g4_softmax_neon,                             \
        .gelu_tanh = g4_gelu_tanh_neon, .softcap = g4_softcap_neon, .attention = g4_attention_neon,                    \
    }

const g4_kernels g4_kernels_neon_table = G4_ARM_TABLE("neon", neon);
const g4_kernels g4_kernels_neon_dotprod_table = G4_ARM_TABLE("neon-dotprod", dotprod);
