/*
 * Scalar reference vector ops. Each follows the f32 path of ggml's CPU backend
 * (ggml-cpu/ops.cpp, vec.h) in its precision choices, so that a forward pass built from them
 * tracks llama.cpp's; where we deliberately differ it says so.
 */
#include "kernels/ops.h"

#include <math.h>
#include <stddef.h>

#include "kernels/quants.h"

/* As ggml_compute_forward_rms_norm_f32: squares in f32, their sum in double, the mean rounded to
 * f32 and the scale 1/sqrtf(mean + eps) in f32; then (x * scale) * w, the order of ggml's fused
 * rms_norm + mul. */
void g4_rmsnorm(float *out, const float *x, const float *w, int64_t n, float eps) {
    if (n <= 0) return;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += (double)(x[i] * x[i]);
    const float mean = (float)(sum / (double)n);
    const float scale = 1.0f / sqrtf(mean + eps);
    if (w) {
        for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
    } else {
        for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale;
    }
}

/* As ggml's rope (NEOX mode, freq_scale 1, no YaRN extrapolation, attn_factor 1): the angle of
 * pair i is built by repeated f32 multiplication, theta_i = theta_{i-1} * base^(-2/n_rot) from
 * theta_0 = pos, and divided by the pair's frequency factor; this recurrence (rather than a powf
 * per pair) is what ggml computes, and at pos ~ 10^5 the two differ in the last bits of the angle.
 * The first n_rot dims of n_head heads head_stride apart turn alike, so each pair's cosine and
 * sine are computed once for all of them (g4_rope_neox: one head; g4_rope_2d_neox: all heads). */
static void rope_neox_heads(float *x, int64_t n_head, int64_t head_stride, int64_t n_rot, int64_t pos, float base,
                            const float *freq_factors) {
    const int64_t half = n_rot / 2;
    const float theta_scale = powf(base, -2.0f / (float)n_rot);
    float theta = (float)pos;
    for (int64_t i = 0; i < half; i++) {
        const float angle = freq_factors ? theta / freq_factors[i] : theta;
        const float c = cosf(angle), s = sinf(angle);
        for (int64_t h = 0; h < n_head; h++) {
            float *xh = x + h * head_stride;
            const float x0 = xh[i], x1 = xh[i + half];
            xh[i] = x0 * c - x1 * s;
            xh[i + half] = x0 * s + x1 * c;
        }
        theta *= theta_scale;
    }
}

void g4_rope_neox(float *x, int64_t n_dims, int64_t n_rot, int64_t pos, float base, const float *freq_factors) {
    if (n_rot > n_dims) n_rot = n_dims;
    rope_neox_heads(x, 1, n_dims, n_rot, pos, base, freq_factors);
}

void g4_rope_2d_neox(float *x, int64_t n_head, int64_t head_dim, int64_t pos_x, int64_t pos_y, float base) {
    const int64_t n = head_dim / 2;
    if (n_head <= 0 || n <= 0) return;
    rope_neox_heads(x, n_head, head_dim, n, pos_x, base, NULL);
    rope_neox_heads(x + n, n_head, head_dim, n, pos_y, base, NULL);
}

/* As ggml_compute_forward_soft_max_f32: exp(x - max) in f32, their sum in double, then a multiply
 * by the reciprocal of the sum (rounded to f32). A row that is all -inf (nothing to attend to)
 * becomes all zeros rather than NaN. */
void g4_softmax(float *x, int64_t n) {
    if (n <= 0) return;
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) max = fmaxf(max, x[i]);
    if (max == -INFINITY) {
        for (int64_t i = 0; i < n; i++) x[i] = 0.0f;
        return;
    }
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += (double)x[i];
    }
    const float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

/*
 * ggml_gelu's formula and constants, evaluated in f32. ggml's CPU backend (GGML_GELU_FP16 in
 * ggml-cpu/vec.h) instead rounds x to f16, looks the result up in a table of f16 values, and
 * returns x itself for x >= 10 and 0 for x <= -10. The table costs up to 2^-11 relative error
 * twice (input and output rounding). We keep the exact formula: it differs from ggml's values by
 * at most those two roundings (the cosine between the two over N(0, 2) inputs is 1 - 4e-8, far
 * inside the 1e-5 budget for agreeing with llama.cpp), and is what a SIMD version can reproduce.
 * Only ggml's two cut-offs are taken over (they also keep -inf from becoming NaN).
 */
float g4_gelu_tanh(float x) {
    static const float sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    static const float coef_a = 0.044715f;
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x * (1.0f + coef_a * x * x)));
}

void g4_gelu_tanh_inplace(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = g4_gelu_tanh(x[i]);
}

/* ggml_vec_gelu_quick_f32's formula in f32 (its CPU backend also has an f16 table version, which
 * we do not copy, for gelu_tanh's reasons above). The cut-off only keeps -inf from becoming NaN:
 * below -60 the true value is under 60 e^-102, far below FLT_MIN. */
float g4_gelu_quick(float x) {
    if (x <= -60.0f) return 0.0f;
    return x / (1.0f + expf(-1.702f * x));
}

void g4_gelu_quick_inplace(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = g4_gelu_quick(x[i]);
}

/* ggml_compute_forward_clamp_f32: MAX(MIN(x, max), min) with the ternary macros. */
void g4_clamp(float *x, int64_t n, float lo, float hi) {
    for (int64_t i = 0; i < n; i++) {
        const float m = x[i] < hi ? x[i] : hi;
        x[i] = m > lo ? m : lo;
    }
}

/* llama.cpp builds the soft cap from ggml_scale(1/cap), ggml_tanh, ggml_scale(cap): a multiply by
 * the f32 reciprocal, not a division. */
void g4_softcap(float *x, int64_t n, float cap) {
    const float inv = 1.0f / cap;
    for (int64_t i = 0; i < n; i++) x[i] = tanhf(x[i] * inv) * cap;
}

void g4_get_row(g4_type t, const void *data, int64_t n, int64_t row, float *out) {
    size_t row_bytes;
    if (!g4_type_row_bytes(t, n, &row_bytes) || !g4_can_dequantize(t) || row < 0) {
        for (int64_t i = 0; i < n; i++) out[i] = NAN; /* the model validates types and shapes at load */
        return;
    }
    g4_dequantize_row(t, (const char *)data + (size_t)row * row_bytes, out, n);
}
