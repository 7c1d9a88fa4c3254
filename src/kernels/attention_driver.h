/*
 * The loop every attention kernel shares (attention.c, attention_avx2.c, attention_neon.c): for
 * each KV head, for each block of G4_ATTN_BLOCK key positions (starting at multiples of it), load
 * the block's K and V rows to f32 once, then hand the query rows (head h of token t) that use this
 * KV head to the kernel's block update, up to G4_ATTN_GROUP at a time when they see the same keys
 * of the block, so that the SIMD versions can share each K and V load among them. At the end every
 * row is divided by its softmax sum.
 *
 * Only the three steps differ by instruction set, and a kernel passes its own: the driver is
 * inlined into each, so the calls are direct. Each row's arithmetic does not depend on which rows
 * share its group, so a query gets the same bits in any batch and any head range.
 */
#ifndef G4_KERNELS_ATTENTION_DRIVER_H
#define G4_KERNELS_ATTENTION_DRIVER_H

#include <math.h>
#include <string.h>

#include "kernels/attention.h"

/* One query row of a group: a head of a token, with its running max and sum. */
typedef struct g4_attn_row {
    const float *q;
    float *acc; /* the output row, holding the unnormalised accumulator until the end */
    float *M, *S;
} g4_attn_row;

/* The K or V slice of KV head g for positions [p0, p0 + n) into dst[n][head_dim] as f32. */
typedef void (*g4_attn_load_fn)(const g4_attn_cache *c, const void *base, int64_t g, size_t head_bytes,
                                int64_t head_dim, int64_t p0, int64_t n, float *dst);
/* The flash-attention update of nr rows that all see the block keys j0..j1 (block-relative);
 * s is scratch for G4_ATTN_GROUP rows of G4_ATTN_BLOCK scores. */
typedef void (*g4_attn_group_fn)(const g4_attn_row *rows, int nr, const float *kblk, const float *vblk, int64_t hd,
                                 int64_t j0, int64_t j1, float scale, float *s);
/* acc[0..hd) *= inv */
typedef void (*g4_attn_scale_fn)(float *acc, int64_t hd, float inv);

static inline __attribute__((always_inline)) void
g4_attention_drive(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch,
                   g4_attn_load_fn load_block, g4_attn_group_fn group_step, g4_attn_scale_fn scale_row) {
    enum { KB = G4_ATTN_BLOCK, G = G4_ATTN_GROUP };
    const int64_t hd = a->head_dim, n_head = a->n_head, n_tok = a->n_tok;
    const int64_t n_gqa = n_head / a->n_head_kv;
    const int64_t q_stride = n_head * hd;
    size_t head_bytes;
    if (head_begin >= head_end || n_tok <= 0) return;
    if (!g4_type_row_bytes(a->cache->type, hd, &head_bytes)) return; /* caller's contract: never happens */

    /* the layout g4_attention_scratch_bytes sizes */
    float *kblk = (float *)scratch;
    float *vblk = kblk + KB * hd;
    float *s = vblk + KB * hd;     /* [G][KB] */
    float *M = s + G * KB;         /* [n_tok][n_head] */
    float *S = M + n_tok * n_head; /* [n_tok][n_head] */

    for (int64_t t = 0; t < n_tok; t++) {
        for (int64_t h = head_begin; h < head_end; h++) {
            M[t * n_head + h] = -INFINITY;
            S[t * n_head + h] = 0.0f;
            memset(a->out + t * q_stride + h * hd, 0, sizeof(float) * (size_t)hd);
        }
    }

    /* keys any query of the batch can see */
    const int64_t last = a->pos0 + n_tok - 1;
    int64_t first = 0;
    if (a->window > 0 && a->pos0 - a->window + 1 > 0) first = a->pos0 - a->window + 1;

    for (int64_t g = head_begin / n_gqa; g <= (head_end - 1) / n_gqa; g++) {
        const int64_t h0 = g * n_gqa > head_begin ? g * n_gqa : head_begin;
        const int64_t h1 = (g + 1) * n_gqa < head_end ? (g + 1) * n_gqa : head_end;

        /* blocks start at multiples of KB, so every query sees the same partition of its keys
         * (and so the same rounding) whatever batch it arrives in: prefill == decode exactly */
        for (int64_t kb = first - first % KB; kb <= last; kb += KB) {
            const int64_t nk = last - kb + 1 < KB ? last - kb + 1 : KB;
            load_block(a->cache, a->cache->k, g, head_bytes, hd, kb, nk, kblk);
            load_block(a->cache, a->cache->v, g, head_bytes, hd, kb, nk, vblk);

            /* rows in (token, head) order, grouped while they see the same keys of this block */
            g4_attn_row group[G];
            int n = 0;
            int64_t gj0 = 0, gj1 = -1;
            for (int64_t t = 0; t < n_tok; t++) {
                const int64_t p = a->pos0 + t;
                int64_t j0 = kb, j1 = kb + nk - 1; /* visible positions of this block, inclusive */
                if (a->window > 0 && p - a->window + 1 > j0) j0 = p - a->window + 1;
                if (!a->bidirectional && p < j1) j1 = p; /* the causal mask */
                if (j0 > j1) continue;
                j0 -= kb, j1 -= kb;

                for (int64_t h = h0; h < h1; h++) {
                    if (n == G || (n > 0 && (j0 != gj0 || j1 != gj1))) {
                        group_step(group, n, kblk, vblk, hd, gj0, gj1, a->scale, s);
                        n = 0;
                    }
                    gj0 = j0, gj1 = j1;
                    group[n++] = (g4_attn_row){a->q + t * q_stride + h * hd, a->out + t * q_stride + h * hd,
                                               &M[t * n_head + h], &S[t * n_head + h]};
                }
            }
            if (n > 0) group_step(group, n, kblk, vblk, hd, gj0, gj1, a->scale, s);
        }

        for (int64_t t = 0; t < n_tok; t++) {
            for (int64_t h = h0; h < h1; h++) {
                const float Sh = S[t * n_head + h];
                scale_row(a->out + t * q_stride + h * hd, hd, Sh > 0.0f ? 1.0f / Sh : 0.0f);
            }
        }
    }
}

#endif
