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
 * The cache is a ring: position j lives in slot j % n_slots. The caller guarantees that every
 * position a query of the batch needs is still stored (for a window w and a batch of n_tok that
 * means n_slots >= w + n_tok - 1 once the ring wraps).
 */
#ifndef G4_KERNELS_ATTENTION_H
#define G4_KERNELS_ATTENTION_H

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
    int64_t n_head;    /* query heads */
    int64_t n_head_kv; /* KV heads; n_head is a multiple of it */
    int64_t head_dim;  /* for Q8_0 a multiple of 32 */
    float scale;       /* applied to q.k before the softmax */
    int64_t window;    /* > 0: sliding window size; 0: full causal */
    int64_t n_tok;     /* queries, at positions pos0 .. pos0 + n_tok - 1 */
    int64_t pos0;
    const float *q; /* [n_tok][n_head * head_dim] */
    float *out;     /* [n_tok][n_head * head_dim]; the rows of heads [head_begin, head_end) are written */
} g4_attn_args;

/* Scratch bytes for one call of g4_attention (each concurrent caller needs its own). */
size_t g4_attention_scratch_bytes(int64_t head_dim, int64_t n_head, int64_t n_tok);

/* Computes the query heads [head_begin, head_end) of all n_tok queries. Calls over disjoint head
 * ranges touch disjoint output and may run in parallel. */
void g4_attention(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch);

#endif
