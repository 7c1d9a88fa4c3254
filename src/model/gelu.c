/* The f16-table GELU of llama.cpp's CPU backend (see gelu.h). */
#include "model/gelu.h"

#include "kernels/ops.h"
#include "kernels/quants.h"

void g4_gelu_table_init(g4_gelu_table *t) {
    for (uint32_t i = 0; i < 65536; i++) {
        const float x = g4_half_to_float((g4_half)i);
        t->v[i] = g4_half_to_float(g4_float_to_half(g4_gelu_tanh(x)));
    }
}

static inline float gelu_one(const g4_gelu_table *t, float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    return t->v[g4_float_to_half(x)];
}

void g4_gelu_apply(const g4_gelu_table *t, float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = gelu_one(t, x[i]);
}

void g4_geglu_apply(const g4_gelu_table *t, float *g, const float *u, int64_t n) {
    for (int64_t i = 0; i < n; i++) g[i] = gelu_one(t, g[i]) * u[i];
}
