/*
 * Causal multi-head attention of a batch of queries over a KV cache, streamed with online softmax:
 * keys and values are read in small blocks (dequantized once per block and shared by all the
 * queries and grouped heads that use them), so no T x T score matrix is ever formed.
 *
 *   out[t][h] = sum_j softmax_j(scale * q[t][h] . K[j][g]) V[j][g]     g = h / (n_head / n_head_kv)
 *
 * over the positions j the query at position p = pos0 + t may see: 0..p, or with a sliding window
 * of w, p-w+1..p (llama.cpp's LLAMA_SWA_TYPE_STANDARD: masked when p - j >= w).
 *
 * Bidirectional (non-causal) mode, for encoders whose tokens all see each other (a vision
 * transformer): the causal bound goes, so every query of the batch sees every position up to the
 * batch's last, 0..pos0+n_tok-1; a window, if set, still masks keys with p - j >= w (as llama.cpp's
 * non-causal sliding-window layers do), never later keys. An encoder passes its K and V as an F32
 * cache of n_slots = n_tok rows (row_bytes = n_head_kv * head_dim * 4) and pos0 = 0. In this mode
 * a query's keys depend on the batch, so only the head-split invariance below holds, not the
 * batch invariance.
 *
 * The cache is a ring: position j lives in slot j % n_slots. The caller guarantees that every
 * position a query of the batch needs is still stored (for a window w and a batch of n_tok that
 * means n_slots >= w + n_tok - 1 once the ring wraps).
 */
#ifndef G4_KERNELS_ATTENTION_H
#define G4_KERNELS_ATTENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gguf/gguf_types.h"

typedef struct g4_attn_cache {
    g4_type type;     /* element type of K and V: F32, F16 or Q8_0 (any type g4_dequantize_row reads) */
    const void *k;    /* n_slots rows of n_head_kv * head_dim elements */
    const void *v;    /* same layout as k */
    size_t row_bytes; /* bytes of one slot (one position, all KV heads) */
    int64_t n_slots;
} g4_attn_cache;

typedef struct g4_attn_args {
    const g4_attn_cache *cache;
    int64_t n_head;     /* query heads */
    int64_t n_head_kv;  /* KV heads; n_head is a multiple of it */
    int64_t head_dim;   /* for Q8_0 a multiple of 32 */
    float scale;        /* applied to q.k before the softmax */
    int64_t window;     /* > 0: sliding window size; 0: no window */
    bool bidirectional; /* false: causal (the text model); true: no causal mask (see top) */
    int64_t n_tok;      /* queries, at positions pos0 .. pos0 + n_tok - 1 */
    int64_t pos0;
    const float *q; /* [n_tok][n_head * head_dim] */
    float *out;     /* [n_tok][n_head * head_dim]; the rows of heads [head_begin, head_end) are written */
} g4_attn_args;

/* Key positions per block. Blocks start at multiples of it, so every query sees the same partition
 * of its keys (and so the same rounding) whatever batch it arrives in and whichever head range a
 * call computes: within one kernel table, prefill and token-by-token decode give the same bits. */
#define G4_ATTN_BLOCK 32

/* Query rows (a head of a token) the SIMD versions take through one key block together, sharing
 * each K and V load among them. */
#define G4_ATTN_GROUP 4

/* Scratch bytes for one call of g4_attention or any table's attention (each concurrent caller
 * needs its own). */
size_t g4_attention_scratch_bytes(int64_t head_dim, int64_t n_head, int64_t n_tok);

/* Computes the query heads [head_begin, head_end) of all n_tok queries. Calls over disjoint head
 * ranges touch disjoint output and may run in parallel. The scalar reference (attention.c); the
 * kernel tables (dispatch.h) carry it or a SIMD version with the same contract. */
void g4_attention(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch);

/* SIMD versions (attention_avx2.c, attention_neon.c): the same algorithm and block partition, with
 * dot products and accumulations in vector lanes and e^x by a polynomial. Against the scalar one
 * they differ by rounding only (tests/unit/test_kernels_attention.c states the tolerance). The
 * g4_attn_exp_* functions are that e^x, exported so that the tests can hold it against expf. */
#if defined(__x86_64__)
void g4_attention_avx2(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch);
void g4_attn_exp_avx2(float *x, int64_t n);
#endif
#if defined(__aarch64__)
void g4_attention_neon(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch);
void g4_attn_exp_neon(float *x, int64_t n);
#endif

#endif
