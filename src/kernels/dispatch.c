/*
 * The kernel tables and the choice between them. The scalar table lives here; the SIMD tables
 * (kernels_avx2.c, kernels_neon.c) are compiled only for their architecture (simd.h), hold only
 * the entries they do faster, and are handed out completed (g4_kernels_with_fallback: the rest from
 * the scalar table, or for neon-dotprod from the neon one), and only when core/cpu.h reports the
 * features they were compiled for.
 */
#include "kernels/dispatch.h"

#include <pthread.h>
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
            [G4_TYPE_F32] = {G4_TYPE_F32, g4_quantize_act_f32, g4_vec_dot_f32_ref, NULL},
            [G4_TYPE_F16] = {G4_TYPE_F16, g4_quantize_act_f16, g4_vec_dot_f16_ref, NULL},
            [G4_TYPE_BF16] = {G4_TYPE_BF16, g4_quantize_act_bf16, g4_vec_dot_bf16_ref, NULL},
            [G4_TYPE_Q4_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0, g4_vec_dot_q4_0_ref, NULL},
            [G4_TYPE_Q4_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1, g4_vec_dot_q4_1_ref, NULL},
            [G4_TYPE_Q5_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0, g4_vec_dot_q5_0_ref, NULL},
            [G4_TYPE_Q5_1] = {G4_TYPE_Q8_1, g4_quantize_act_q8_1, g4_vec_dot_q5_1_ref, NULL},
            [G4_TYPE_Q8_0] = {G4_TYPE_Q8_0, g4_quantize_act_q8_0, g4_vec_dot_q8_0_ref, NULL},
            [G4_TYPE_Q2_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q2_K_ref, NULL},
            [G4_TYPE_Q3_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q3_K_ref, NULL},
            [G4_TYPE_Q4_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q4_K_ref, NULL},
            [G4_TYPE_Q5_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q5_K_ref, NULL},
            [G4_TYPE_Q6_K] = {G4_TYPE_Q8_K, g4_quantize_act_q8_K, g4_vec_dot_q6_K_ref, NULL},
        },
    .rmsnorm = g4_rmsnorm,
    .rope_neox = g4_rope_neox,
    .rope_2d_neox = g4_rope_2d_neox,
    .softmax = g4_softmax,
    .gelu_tanh = g4_gelu_tanh_inplace,
    .softcap = g4_softcap,
    .gelu_quick = g4_gelu_quick_inplace,
    .clamp = g4_clamp,
    .attention = g4_attention,
};

const g4_kernels *g4_kernels_scalar(void) {
    return &k_scalar;
}

g4_kernels g4_kernels_with_fallback(const g4_kernels *partial, const g4_kernels *base) {
    g4_kernels k = *partial;
    for (int t = 0; t < G4_TYPE_COUNT; t++) {
        g4_dot_kernel *d = &k.dot[t];
        if (!d->vec_dot)
            *d = base->dot[t];
        else if (!d->quantize && d->act_type == base->dot[t].act_type)
            d->quantize = base->dot[t].quantize;
    }
    if (!k.rmsnorm) k.rmsnorm = base->rmsnorm;
    if (!k.rope_neox) k.rope_neox = base->rope_neox;
    if (!k.rope_2d_neox) k.rope_2d_neox = base->rope_2d_neox;
    if (!k.softmax) k.softmax = base->softmax;
    if (!k.gelu_tanh) k.gelu_tanh = base->gelu_tanh;
    if (!k.softcap) k.softcap = base->softcap;
    if (!k.gelu_quick) k.gelu_quick = base->gelu_quick;
    if (!k.clamp) k.clamp = base->clamp;
    if (!k.attention) k.attention = base->attention;
    return k;
}

/* The SIMD tables as handed out: their files' partial tables completed once, on first use, and
 * never written again. */
#if defined(G4_HAVE_AVX2_KERNELS) || defined(G4_HAVE_NEON_KERNELS)
static struct {
#if defined(G4_HAVE_AVX2_KERNELS)
    g4_kernels avx2;
#endif
#if defined(G4_HAVE_NEON_KERNELS)
    g4_kernels neon, neon_dotprod;
#endif
} g_tables;
static pthread_once_t g_tables_once = PTHREAD_ONCE_INIT;

static void complete_tables(void) {
#if defined(G4_HAVE_AVX2_KERNELS)
    g_tables.avx2 = g4_kernels_with_fallback(&g4_kernels_avx2_partial, &k_scalar);
#endif
#if defined(G4_HAVE_NEON_KERNELS)
    g_tables.neon = g4_kernels_with_fallback(&g4_kernels_neon_partial, &k_scalar);
    g_tables.neon_dotprod = g4_kernels_with_fallback(&g4_kernels_neon_dotprod_partial, &g_tables.neon);
#endif
}
#endif

#if defined(G4_HAVE_AVX2_KERNELS)
static const g4_kernels *avx2_table(void) {
    pthread_once(&g_tables_once, complete_tables);
    return &g_tables.avx2;
}
#endif
#if defined(G4_HAVE_NEON_KERNELS)
static const g4_kernels *neon_table(void) {
    pthread_once(&g_tables_once, complete_tables);
    return &g_tables.neon;
}
static const g4_kernels *neon_dotprod_table(void) {
    pthread_once(&g_tables_once, complete_tables);
    return &g_tables.neon_dotprod;
}
#endif

const g4_kernels *g4_kernels_by_name(const char *name) {
    if (!name) return NULL;
    const g4_cpu_features *cpu = g4_cpu_features_get();
    (void)cpu; /* unused on architectures without SIMD tables */
    if (strcmp(name, "scalar") == 0) return &k_scalar;
#if defined(G4_HAVE_AVX2_KERNELS)
    if (strcmp(name, "avx2") == 0) return cpu->x86_avx2 ? avx2_table() : NULL;
#endif
#if defined(G4_HAVE_NEON_KERNELS)
    if (strcmp(name, "neon") == 0) return cpu->arm_neon ? neon_table() : NULL;
    if (strcmp(name, "neon-dotprod") == 0) return cpu->arm_dotprod ? neon_dotprod_table() : NULL;
#endif
    return NULL;
}

/* The CPU features are detected once (core/cpu.c) and the tables completed once, so this is a few
 * loads and branches: cheap enough for g4_matmul to call on every matmul. */
const g4_kernels *g4_kernels_best(void) {
    const g4_cpu_features *cpu = g4_cpu_features_get();
    (void)cpu;
#if defined(G4_HAVE_AVX2_KERNELS)
    if (cpu->x86_avx2) return avx2_table();
#endif
#if defined(G4_HAVE_NEON_KERNELS)
    if (cpu->arm_dotprod) return neon_dotprod_table();
    if (cpu->arm_neon) return neon_table();
#endif
    return &k_scalar;
}

/* A type is supported when its table entry has a dot product (the unset entries are all zero). */
bool g4_matmul_supports(g4_type t) {
    return (unsigned)t < G4_TYPE_COUNT && k_scalar.dot[t].vec_dot != NULL;
}
