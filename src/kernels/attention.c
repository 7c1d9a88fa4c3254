/*
 * Streaming attention over a ring KV cache (see attention.h). Scalar reference: the loop over KV
 * heads and key blocks is attention_driver.h's, shared with attention_avx2.c and attention_neon.c,
 * which do the block update (score dot products, the exponentials and the V accumulation) in
 * vector lanes and are tested against this one.
 *
 * For one KV head the loop is: for each block of KB key positions, dequantize K and V once to f32,
 * then update every (query, head) of the group with the flash-attention recurrence
 *   M' = max(M, max_j s_j),  S' = S e^(M-M') + sum_j e^(s_j-M'),  acc' = acc e^(M-M') + sum_j e^(s_j-M') v_j
 * and divide by S at the end. Q and K stay f32 (K as stored, widened), as llama.cpp's tiled CPU
 * flash-attention path does.
 */
#include "kernels/attention.h"
#include "kernels/attention_driver.h"

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

/* The block update of attention.c, one row after another (nr rows see keys j0..j1). */
static void group_step(const g4_attn_row *rows, int nr, const float *kblk, const float *vblk, int64_t hd, int64_t j0,
                       int64_t j1, float scale, float *s) {
    for (int r = 0; r < nr; r++) {
        const float *qh = rows[r].q;
        float *acc = rows[r].acc;
        float *Mh = rows[r].M, *Sh = rows[r].S;

        float mb = -INFINITY;
        for (int64_t j = j0; j <= j1; j++) {
            const float sj = dot_f32(qh, kblk + j * hd, hd) * scale;
            s[j] = sj;
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
            const float e = expf(s[j] - *Mh);
            const float *vj = vblk + j * hd;
            *Sh += e;
            for (int64_t d = 0; d < hd; d++) acc[d] += e * vj[d];
        }
    }
}

static void scale_row(float *acc, int64_t hd, float inv) {
    for (int64_t d = 0; d < hd; d++) acc[d] *= inv;
}

void g4_attention(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch) {
    g4_attention_drive(a, head_begin, head_end, scratch, load_block, group_step, scale_row);
}
