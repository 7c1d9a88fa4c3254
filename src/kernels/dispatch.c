/*
 * The kernel tables and the choice between them. The scalar table lives here; the SIMD tables
 * (kernels_avx2.c, kernels_neon.c) are compiled only for their architecture (simd.h) and handed
 * out only when core/cpu.h reports the features they were compiled for.
 */
#include "kernels/dispatch.h"

#include <string.h>

#include "core/cpu.h"
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "kernels/simd.h"
#include "kernels/vec_dot.h"

static const g4_kernels k_scalar = {
    .name = "scalar",
    .dot =
        {
            /* Types not listed stay all-zero: vec_dot NULL means unsupported. */
            [G4_TYPE_F32] = {G4_TYPE_F32, g4_quantize_act_f32, g4_vec_dot_f32_ref},
            [G4_TYPE_F16] = {G4_TYPE_F16, g4_quantize_act_f16, g4_vec_dot_f16_ref},
            [G4_TYPE_BF16] = {G4_TYPE_BF16, g4_quantize_act_bf16, g4_vec_dot_bf16_ref},
            [G4_TYPE_Q4_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0, g4_vec_dot_q4_0_ref},
            [G4_TYPE_Q4_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1, g4_vec_dot_q4_1_ref},
            [G4_TYPE_Q5_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0, g4_vec_dot_q5_0_ref},
            [G4_TYPE_Q5_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1, g4_vec_dot_q5_1_ref},
            [G4_TYPE_Q8_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0, g4_vec_dot_q8_0_ref},
            [G4_TYPE_Q2_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q2_K_ref},
            [G4_TYPE_Q3_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q3_K_ref},
            [G4_TYPE_Q4_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q4_K_ref},
            [G4_TYPE_Q5_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q5_K_ref},
            [G4_TYPE_Q6_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q6_K_ref},
        },
    .rmsnorm = g4_rmsnorm,
    .rope_neox = g4_rope_neox,
    .softmax = g4_softmax,
    .gelu_tanh = g4_gelu_tanh_inplace,
    .softcap = g4_softcap,
    .attention = g4_attention,
};

const g4_kernels *g4_kernels_scalar(void) {
    return &k_scalar;
}

const g4_kernels *g4_kernels_by_name(const char *name) {
    if (!name) return NULL;
    const g4_cpu_features *cpu = g4_cpu_features_get();
    (void)cpu; /* unused on architectures without SIMD tables */
    if (strcmp(name, "scalar") == 0) return &k_scalar;
#if defined(G4_HAVE_AVX2_KERNELS)
    if (strcmp(name, "avx2") == 0) return cpu->x86_avx2 ? &g4_kernels_avx2_table : NULL;
#endif
#if defined(G4_HAVE_NEON_KERNELS)
    if (strcmp(name, "neon") == 0) return cpu->arm_neon ? &g4_kernels_neon_table : NULL;
    if (strcmp(name, "neon-dotprod") == 0) return cpu->arm_dotprod ? &g4_kernels_neon_dotprod_table : NULL;
#endif
    return NULL;
}

/* The CPU features are detected once (core/cpu.c), so this is a load and a few branches: cheap
 * enough for g4_matmul to call on every matmul. */
const g4_kernels *g4_kernels_best(void) {
    const g4_cpu_features *cpu = g4_cpu_features_get();
    (void)cpu;
#if defined(G4_HAVE_AVX2_KERNELS)
    if (cpu->x86_avx2) return &g4_kernels_avx2_table;
#endif
#if defined(G4_HAVE_NEON_KERNELS)
    if (cpu->arm_dotprod) return &g4_kernels_neon_dotprod_table;
    if (cpu->arm_neon) return &g4_kernels_neon_table;
#endif
    return &k_scalar;
}

/* A type is supported when its table entry has a dot product (the unset entries are all zero). */
bool g4_matmul_supports(g4_type t) {
    return (unsigned)t < G4_TYPE_COUNT && k_scalar.dot[t].vec_dot != NULL;
}
