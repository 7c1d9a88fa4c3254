#include "gguf/gguf_types.h"

#include <strings.h>

#include "core/checked.h"

/* Block geometry from ggml-common.h (QK4_0 = 32, QK_K = 256, sizeof(block_*)). */
static const g4_type_info k_types[G4_TYPE_COUNT] = {
    [G4_TYPE_F32] = {"f32", 1, 4},
    [G4_TYPE_F16] = {"f16", 1, 2},
    [G4_TYPE_Q4_0] = {"q4_0", 32, 18},
    [G4_TYPE_Q4_1] = {"q4_1", 32, 20},
    [G4_TYPE_Q5_0] = {"q5_0", 32, 22},
    [G4_TYPE_Q5_1] = {"q5_1", 32, 24},
    [G4_TYPE_Q8_0] = {"q8_0", 32, 34},
    [G4_TYPE_Q8_1] = {"q8_1", 32, 36},
    [G4_TYPE_Q2_K] = {"q2_K", 256, 84},
    [G4_TYPE_Q3_K] = {"q3_K", 256, 110},
    [G4_TYPE_Q4_K] = {"q4_K", 256, 144},
    [G4_TYPE_Q5_K] = {"q5_K", 256, 176},
    [G4_TYPE_Q6_K] = {"q6_K", 256, 210},
    [G4_TYPE_Q8_K] = {"q8_K", 256, 292},
    [G4_TYPE_IQ2_XXS] = {"iq2_xxs", 256, 66},
    [G4_TYPE_IQ2_XS] = {"iq2_xs", 256, 74},
    [G4_TYPE_IQ3_XXS] = {"iq3_xxs", 256, 98},
    [G4_TYPE_IQ1_S] = {"iq1_s", 256, 50},
    [G4_TYPE_IQ4_NL] = {"iq4_nl", 32, 18},
    [G4_TYPE_IQ3_S] = {"iq3_s", 256, 110},
    [G4_TYPE_IQ2_S] = {"iq2_s", 256, 82},
    [G4_TYPE_IQ4_XS] = {"iq4_xs", 256, 136},
    [G4_TYPE_I8] = {"i8", 1, 1},
    [G4_TYPE_I16] = {"i16", 1, 2},
    [G4_TYPE_I32] = {"i32", 1, 4},
    [G4_TYPE_I64] = {"i64", 1, 8},
    [G4_TYPE_F64] = {"f64", 1, 8},
    [G4_TYPE_IQ1_M] = {"iq1_m", 256, 56},
    [G4_TYPE_BF16] = {"bf16", 1, 2},
    [G4_TYPE_TQ1_0] = {"tq1_0", 256, 54},
    [G4_TYPE_TQ2_0] = {"tq2_0", 256, 66},
    [G4_TYPE_MXFP4] = {"mxfp4", 32, 17},
    [G4_TYPE_NVFP4] = {"nvfp4", 64, 36},
    [G4_TYPE_Q1_0] = {"q1_0", 128, 18},
    [G4_TYPE_Q2_0] = {"q2_0", 64, 18},
};

const g4_type_info *g4_type_get(uint32_t type_id) {
    if (type_id >= G4_TYPE_COUNT || k_types[type_id].block_size == 0) return NULL;
    return &k_types[type_id];
}

const char *g4_type_name(uint32_t type_id) {
    const g4_type_info *t = g4_type_get(type_id);
    return t ? t->name : "unknown";
}

bool g4_type_from_name(const char *name, g4_type *out) {
    for (uint32_t i = 0; i < G4_TYPE_COUNT; i++) {
        if (k_types[i].block_size && strcasecmp(k_types[i].name, name) == 0) {
            *out = (g4_type)i;
            return true;
        }
    }
    return false;
}

bool g4_type_row_bytes(g4_type type, int64_t n, size_t *out) {
    const g4_type_info *t = g4_type_get((uint32_t)type);
    if (!t || n < 0 || n % t->block_size != 0) return false;
    uint64_t bytes;
    if (!g4_mul_u64((uint64_t)(n / t->block_size), t->type_size, &bytes) || bytes > SIZE_MAX) return false;
    *out = (size_t)bytes;
    return true;
}
