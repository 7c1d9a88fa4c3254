/*
 * Streaming attention over a ring KV cache (see attention.h). Scalar reference: attention_avx2.c
 * and attention_neon.c follow the same structure with the inner loops (score dot products, the
 * exponentials and the V accumulation) in vector lanes, and are tested against this one.
 *
 * For one KV head the loop is: for each block of KB key positions, dequantize K and V once to f32,
 * then update every (query, head) of the group with the flash-attention recurrence
 *   M' = max(M, max_j s_j),  S' = S e^(M-M') + sum_j e^(s_j-M'),  acc' = acc e^(M-M') + sum_j e^(s_j-M') v_j
 * and divide by S at the end. Q and K stay f32 (K as stored, widened), as llama.cpp's tiled CPU
 * flash-attention path does.
 */
#include "kernels/attention.h"

#include <math.h>
#include <string.h>

#include "kernels/quants.h"

#define KB G4_ATTN_BLOCK

/* The layout every table uses: K and V blocks, the block scores of a group of query rows (the
 * scalar version uses one row of it), running max and sum per (query, head). */
size_t g4_attention_scratch_bytes(int64_t head_dim, int64_t n_head, int64_t n_tok) {
    return sizeof(float) * (size_t)(2 * KB * head_dim + G4_ATTN_GROUP * KB + 2 * n_tok * n_head);
}

static float dot_f32(const float *a, const float *b, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* The K or V slice of KV head g for positions [p0, p0 + n) into dst[n][head_dim]. */
static void load_block(const g4_attn_cache *c, const void *base, int64_t g, size_t head_bytes, int64_t head_dim,
                       int64_t p0, int64_t n, float *dst) {
    for (int64_t j = 0; j < n; j++) {
        const int64_t slot = (p0 + j) % c->n_slots;
        const uint8_t *row = (const uint8_t *)base + (size_t)slot * c->row_bytes + (size_t)g * head_bytes;
        g4_dequantize_row(c->type, row, dst + j * head_dim, head_dim);
    }
}

void g4_attention(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch) {
    const int64_t hd = a->head_dim, n_head = a->n_head, n_tok = a->n_tok;
    const int64_t n_gqa = n_head / a->n_head_kv;
    const int64_t q_stride = n_head * hd;
    size_t head_bytes;
    if (head_begin >= head_end || n_tok <= 0) return;
    if (!g4_type_row_bytes(a->cache->type, hd, &head_bytes)) return; /* caller's contract: never happens */

    float *kblk = (float *)scratch;
    float *vblk = kblk + KB * hd;
    float *s = vblk + KB * hd;
    float *M = s + G4_ATTN_GROUP * KB; /* [n_tok][n_head] */
    float *S = M + n_tok * n_head;     /* [n_tok][n_head] */

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

            for (int64_t t = 0; t < n_tok; t++) {
                const int64_t p = a->pos0 + t;
                int64_t j0 = kb, j1 = kb + nk - 1; /* visible positions of this block, inclusive */
                if (a->window > 0 && p - a->window + 1 > j0) j0 = p - a->window + 1;
                if (p < j1) j1 = p;
                if (j0 > j1) continue;

                for (int64_t h = h0; h < h1; h++) {
                    const float *qh = a->q + t * q_stride + h * hd;
                    float *acc = a->out + t * q_stride + h * hd;
                    float *Mh = &M[t * n_head + h], *Sh = &S[t * n_head + h];

                    float mb = -INFINITY;
                    for (int64_t j = j0; j <= j1; j++) {
                        const float sj = dot_f32(qh, kblk + (j - kb) * hd, hd) * a->scale;
                        s[j - kb] = sj;
                        if (sj > mb) mb = sj;
                    }
                    if (mb > *Mh) {
                        const float corr = expf(*Mh - mb); /* 0 for the first block */
                        if (*Sh != 0.0f) {
                            for (int64_t d = 0; d < hd; d++) acc[d] *= corr;
                        }
                        *Sh *= corr;
                        *Mh = mb;
                    }
                    for (int64_t j = j0; j <= j1; j++) {
                        const float e = expf(s[j - kb] - *Mh);
                        const float *vj = vblk + (j - kb) * hd;
                        *Sh += e;
                        for (int64_t d = 0; d < hd; d++) acc[d] += e * vj[d];
                    }
                }
            }
        }

        for (int64_t t = 0; t < n_tok; t++) {
            for (int64_t h = h0; h < h1; h++) {
                const float Sh = S[t * n_head + h];
                const float inv = Sh > 0.0f ? 1.0f / Sh : 0.0f;
                float *acc = a->out + t * q_stride + h * hd;
                for (int64_t d = 0; d < hd; d++) acc[d] *= inv;
            }
        }
    }
}
