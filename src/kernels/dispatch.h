/*
 * Kernel tables: one struct of function pointers per instruction set (scalar, avx2, neon,
 * neon-dotprod), chosen once from the CPU's features when a model loads. The scalar table is
 * complete and is the reference every other table is tested against:
 *
 *   - act quantizers: byte-identical output to the scalar one (same scale, same ties-to-even
 *     rounding), so that the integer parts of the dot products can be compared exactly;
 *   - integer dot products (Q*): the integer block sums are exact in every table; the float
 *     combination may differ in order only, within 1e-6 relative of sum |terms| (tests state it).
 *     The avx2, neon and neon-dotprod tables go further and add the terms in the scalar order, so
 *     they return the scalar bits (tests/unit/test_kernels_simd.c checks it);
 *   - float dot products (F32/F16/BF16) and vector ops: within stated tolerances of the scalar ones.
 *
 * A SIMD table is written with only the entries it does faster; every entry it leaves NULL is
 * the scalar one (g4_kernels_with_fallback), filled in once when the table is first handed out, so
 * the hot loops never test for NULL. A new op is added to the struct, to the scalar table and to
 * g4_kernels_with_fallback (dispatch.c), and to the SIMD tables that have a faster version only.
 *
 * A table handed out is immutable; picking one involves no mutable state beyond that one-time
 * completion. The model keeps the `const g4_kernels *` it was given and calls through it; g4_matmul
 * (matmul.h) and the ops.h functions are the scalar/best-table conveniences for everything else.
 */
#ifndef G4_KERNELS_DISPATCH_H
#define G4_KERNELS_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf_types.h"
#include "kernels/attention.h"
#include "kernels/matmul.h"

/* Dot product of one stored weight row (n elements) with one activation row already in the
 * weight type's activation format. */
typedef float (*g4_vec_dot_fn)(int64_t n, const void *w_row, const void *x_row);

/* n f32 activations to the activation format (n a multiple of its block size). */
typedef void (*g4_act_quantize_fn)(const float *x, void *out, int64_t n);

/* A register-blocked tile of dot products, returning vec_dot's bits for each pair:
 * y[t * y_stride + r] = vec_dot(n, w + r * w_stride, x + t * x_stride) for r < nr, t < nt, with
 * 1 <= nr <= G4_TILE_ROWS and 1 <= nt <= G4_TILE_TOKENS. Loading a weight block once for several
 * tokens (prefill) and an activation block once for several rows (decode) is what it buys. */
#define G4_TILE_ROWS 8
#define G4_TILE_TOKENS 8
typedef void (*g4_dot_tile_fn)(int64_t n, const void *w, size_t w_stride, int nr, const void *x, size_t x_stride,
                               int nt, float *y, size_t y_stride);

typedef struct g4_dot_kernel {
    g4_type act_type;            /* activation format (g4_vec_dot_type) */
    g4_act_quantize_fn quantize; /* f32 -> act_type */
    g4_vec_dot_fn
        vec_dot; /* NULL in the scalar table: a type we do not compute with; in a SIMD table: the scalar entry */
    g4_dot_tile_fn tile; /* optional (NULL: the matmul calls vec_dot per pair) */
} g4_dot_kernel;

typedef struct g4_kernels {
    const char *name;                 /* "scalar", "avx2", "neon", "neon-dotprod" */
    g4_dot_kernel dot[G4_TYPE_COUNT]; /* indexed by weight type */

    /* Vector ops with the ops.h contracts. */
    void (*rmsnorm)(float *out, const float *x, const float *w, int64_t n, float eps);
    void (*rope_neox)(float *x, int64_t n_dims, int64_t n_rot, int64_t pos, float base, const float *freq_factors);
    void (*rope_2d_neox)(float *x, int64_t n_head, int64_t head_dim, int64_t pos_x, int64_t pos_y, float base);
    void (*softmax)(float *x, int64_t n);
    void (*gelu_tanh)(float *x, int64_t n);
    void (*softcap)(float *x, int64_t n, float cap);
    void (*gelu_quick)(float *x, int64_t n);
    void (*clamp)(float *x, int64_t n, float lo, float hi);

    /* g4_attention's contract and scratch (attention.h); within 1e-5-level rounding of the scalar
     * one, and bit-identical to itself between batch and token-by-token and across head splits. */
    void (*attention)(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch);
} g4_kernels;

/* The scalar reference table (always available, every entry set). */
const g4_kernels *g4_kernels_scalar(void);

/* partial completed from base: a dot entry without vec_dot is base's entry whole (activation format
 * and quantizer with it), a NULL quantizer of an entry with base's activation format is base's, and
 * every NULL op is base's; the tile stays as partial has it (NULL: per-pair vec_dot). This is how
 * dispatch.c completes the SIMD tables (base: the scalar table; for neon-dotprod, neon). */
g4_kernels g4_kernels_with_fallback(const g4_kernels *partial, const g4_kernels *base);

/* The fastest table this CPU runs. Pure function of the CPU: the same pointer on every call.
 * x86-64: "avx2" when the CPU has AVX2+FMA+F16C (and the OS saves YMM state), else "scalar";
 * AArch64: "neon-dotprod" when HWCAP reports dotprod, else "neon". Nothing needs AVX-512. */
const g4_kernels *g4_kernels_best(void);

/* The table called name ("scalar", "avx2", "neon", "neon-dotprod"), or NULL when the name is
 * unknown or this build or CPU cannot run that table. For an explicit choice (the API layer
 * honours the GEMMA4_KERNELS environment variable through this; kernels never read it) and for
 * tests that hold every runnable table against the scalar one. */
const g4_kernels *g4_kernels_by_name(const char *name);

/* True when g4_matmul can use weights of type t (F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K
 * Q4_K Q5_K Q6_K). The model checks this when it binds weights; g4_matmul on any other type
 * writes NaN to y. */
bool g4_matmul_supports(g4_type t);

/* g4_matmul (matmul.h) with an explicit table: g4_matmul(...) == g4_matmul_with(g4_kernels_best(), ...).
 * The scratch layout is the same for every table (g4_matmul_scratch_bytes). */
void g4_matmul_with(const g4_kernels *k, const g4_matrix *w, const float *x, int64_t n_tok, float *y, void *scratch,
                    struct g4_pool *pool);

#endif
