/*
 * Vector operations of a transformer, scalar reference versions: RMS norm, RoPE, softmax, GELU,
 * softcap, and embedding-row lookup. Nothing here knows about Gemma; the model code composes them.
 */
#ifndef G4_KERNELS_OPS_H
#define G4_KERNELS_OPS_H

#include <stdint.h>

#include "gguf/gguf_types.h"

/* out = x / sqrt(mean(x^2) + eps) * w  (w may be NULL: no weight). out may alias x. */
void g4_rmsnorm(float *out, const float *x, const float *w, int64_t n, float eps);

/* NEOX-style rotary embedding on one head of n_dims values: dims i and i + n_rot/2 form pair i
 * (i < n_rot/2) and turn by angle pos * base^(-2i/n_rot) / freq_factor[i] (freq_factors may be
 * NULL = all 1). Dims >= n_rot are left alone. In place. */
void g4_rope_neox(float *x, int64_t n_dims, int64_t n_rot, int64_t pos, float base, const float *freq_factors);

/* Two-axis rotary embedding of one token's n_head heads of head_dim values (x[n_head][head_dim]), as
 * a vision transformer over a grid of patches applies it: each head is cut in halves of
 * n = head_dim / 2 dims; the first half turns by pos_x, the second by pos_y, each as g4_rope_neox
 * on n dims (dims i and i + n/2 of the half form pair i, angle pos * base^(-2i/n)). Bit-identical
 * to calling g4_rope_neox(h, n, n, pos_x, base, NULL) and g4_rope_neox(h + n, n, n, pos_y, base, NULL)
 * on every head h (llama.cpp's gemma4v: two NEOX ropes of n_dims = head_dim/2, the second at
 * offset head_dim/2); the angles are computed once for all heads. In place. */
void g4_rope_2d_neox(float *x, int64_t n_head, int64_t head_dim, int64_t pos_x, int64_t pos_y, float base);

/* x = softmax(x) over n values, in place (numerically stable). */
void g4_softmax(float *x, int64_t n);

/* GELU, tanh approximation, as ggml_gelu: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
float g4_gelu_tanh(float x);
void g4_gelu_tanh_inplace(float *x, int64_t n);

/* GELU, sigmoid approximation ("quick GELU", ggml_gelu_quick): x sigmoid(1.702 x), computed as
 * x / (1 + e^(-1.702 x)); 0 for x <= -60 (where the true value is below FLT_MIN, and -inf would
 * give NaN). In place. */
float g4_gelu_quick(float x);
void g4_gelu_quick_inplace(float *x, int64_t n);

/* x = min(max(x, lo), hi) elementwise, in place, evaluated as ggml_clamp does (max(min(x, hi), lo)
 * with C comparisons), so a NaN becomes hi (then lo if hi < lo). The clipped linears' bounds. */
void g4_clamp(float *x, int64_t n, float lo, float hi);

/* x = cap * tanh(x / cap), in place. */
void g4_softcap(float *x, int64_t n, float cap);

/* Dequantizes row `row` of a {n, n_rows} tensor stored in type t into out[0..n). */
void g4_get_row(g4_type t, const void *data, int64_t n, int64_t row, float *out);

#endif
