/*
 * NEON attention (baseline Armv8: both the "neon" and "neon-dotprod" tables use it), the same
 * structure as attention_avx2.c with 4-lane vectors:
 *   1. the K and V rows of a block to f32 once (F16 by FCVTL, Q8_0 by widening the int8s: exact,
 *      the values the scalar load produces);
 *   2. the query rows that use the KV head, G4_ATTN_GROUP at a time when they see the same keys of
 *      the block, sharing every K and V load;
 *   3. per row, attention.c's flash-attention update with e^(s - M) by exp_f32 below.
 *
 * Bits: each (row, key) score is one 4-lane FMA accumulator over d added across lanes by FADDP;
 * acc[d] = fma(e_j, v_j[d], acc[d]) one j after another; the block's e-sum over the same 4-key
 * chunks for a given visible range. None of it depends on which rows share a group, and the keys a
 * row sees in a block depend only on its position: the same bits in any batch and head range.
 * Head dims that are not a multiple of 4 go through zero-padded vectors (NEON has no masked load).
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "kernels/attention.h"
#include "kernels/attention_driver.h"
#include "kernels/exp_neon.h"
#include "kernels/blocks.h"
#include "kernels/quants.h"

#define KB G4_ATTN_BLOCK
#define G G4_ATTN_GROUP

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The first n < 4 floats of x in a zero-padded vector, and the way back. */
static ALWAYS_INLINE float32x4_t load_part(const float *x, int64_t n) {
    float pad[4] = {0};
    memcpy(pad, x, sizeof(float) * (size_t)n);
    return vld1q_f32(pad);
}
static ALWAYS_INLINE void store_part(float *x, float32x4_t v, int64_t n) {
    float pad[4];
    vst1q_f32(pad, v);
    memcpy(x, pad, sizeof(float) * (size_t)n);
}

void g4_attn_exp_neon(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(x + i, exp_f32(vld1q_f32(x + i)));
    if (i < n) store_part(x + i, exp_f32(load_part(x + i, n - i)), n - i);
}

/* attention.c's load_block: the K or V slice of KV head g for positions [p0, p0 + n) into
 * dst[n][head_dim], the same f32 values as g4_dequantize_row gives. */
static void load_block(const g4_attn_cache *c, const void *base, int64_t g, size_t head_bytes, int64_t head_dim,
                       int64_t p0, int64_t n, float *dst) {
    for (int64_t j = 0; j < n; j++) {
        const int64_t slot = (p0 + j) % c->n_slots;
        const uint8_t *row = (const uint8_t *)base + (size_t)slot * c->row_bytes + (size_t)g * head_bytes;
        float *y = dst + j * head_dim;
        if (c->type == G4_TYPE_F16) {
            const g4_half *h = (const g4_half *)row;
            int64_t d = 0;
            for (; d + 4 <= head_dim; d += 4) vst1q_f32(y + d, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h + d))));
            for (; d < head_dim; d++) y[d] = g4_half_to_float(h[d]);
        } else if (c->type == G4_TYPE_Q8_0) {
            const g4_block_q8_0 *b = (const g4_block_q8_0 *)row;
            for (int64_t i = 0; i < head_dim / G4_QK8_0; i++, y += G4_QK8_0) {
                const float d = g4_half_to_float(b[i].d);
                for (int k = 0; k < G4_QK8_0; k += 8) {
                    const int16x8_t q = vmovl_s8(vld1_s8(b[i].qs + k));
                    /* (float)q * d, as the scalar dequantizer */
                    vst1q_f32(y + k, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(q))), d));
                    vst1q_f32(y + k + 4, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(q))), d));
                }
            }
        } else { /* F32 (a copy) or any other type the scalar path reads */
            g4_dequantize_row(c->type, row, y, head_dim);
        }
    }
}

/* s[r * KB + j] = scale * q_r . k_j for the rows of a group and the block keys j0..j1, keys in
 * pairs (eight FMA chains for four rows); both paths compute a (row, key) in one accumulator. */
static ALWAYS_INLINE void scores(const g4_attn_row *rows, const int nr, const float *kblk, int64_t hd, int64_t j0,
                                 int64_t j1, float scale, float *s) {
    const int64_t hd4 = hd & ~(int64_t)3;
    int64_t j = j0;
    for (; j + 1 <= j1; j += 2) {
        const float *k0 = kblk + j * hd, *k1 = k0 + hd;
        float32x4_t a0[G], a1[G];
        for (int r = 0; r < nr; r++) a0[r] = a1[r] = vdupq_n_f32(0.0f);
        for (int64_t d = 0; d < hd4; d += 4) {
            const float32x4_t kv0 = vld1q_f32(k0 + d), kv1 = vld1q_f32(k1 + d);
            for (int r = 0; r < nr; r++) {
                const float32x4_t qv = vld1q_f32(rows[r].q + d);
                a0[r] = vfmaq_f32(a0[r], qv, kv0);
                a1[r] = vfmaq_f32(a1[r], qv, kv1);
            }
        }
        if (hd4 < hd) {
            const float32x4_t kv0 = load_part(k0 + hd4, hd - hd4), kv1 = load_part(k1 + hd4, hd - hd4);
            for (int r = 0; r < nr; r++) {
                const float32x4_t qv = load_part(rows[r].q + hd4, hd - hd4);
                a0[r] = vfmaq_f32(a0[r], qv, kv0);
                a1[r] = vfmaq_f32(a1[r], qv, kv1);
            }
        }
        for (int r = 0; r < nr; r++) {
            s[r * KB + j] = vaddvq_f32(a0[r]) * scale;
            s[r * KB + j + 1] = vaddvq_f32(a1[r]) * scale;
        }
    }
    if (j == j1) {
        const float *k0 = kblk + j * hd;
        float32x4_t a0[G];
        for (int r = 0; r < nr; r++) a0[r] = vdupq_n_f32(0.0f);
        for (int64_t d = 0; d < hd4; d += 4) {
            const float32x4_t kv0 = vld1q_f32(k0 + d);
            for (int r = 0; r < nr; r++) a0[r] = vfmaq_f32(a0[r], vld1q_f32(rows[r].q + d), kv0);
        }
        if (hd4 < hd) {
            const float32x4_t kv0 = load_part(k0 + hd4, hd - hd4);
            for (int r = 0; r < nr; r++) a0[r] = vfmaq_f32(a0[r], load_part(rows[r].q + hd4, hd - hd4), kv0);
        }
        for (int r = 0; r < nr; r++) s[r * KB + j] = vaddvq_f32(a0[r]) * scale;
    }
}

/* attention_avx2.c's softmax_step on 4-key chunks: s[j0..j1] become e^(s_j - M'), M and S move on,
 * and the factor e^(M - M') for the accumulator is returned (1: unchanged, 0: first block). */
static float softmax_step(float *s, int64_t j0, int64_t j1, float *M, float *S) {
    const int64_t c0 = j0 / 4, c1 = j1 / 4;
    for (int64_t j = c0 * 4; j < j0; j++) s[j] = -INFINITY;
    for (int64_t j = j1 + 1; j < c1 * 4 + 4; j++) s[j] = -INFINITY;

    float32x4_t mv = vld1q_f32(s + c0 * 4);
    for (int64_t c = c0 + 1; c <= c1; c++) mv = vmaxq_f32(mv, vld1q_f32(s + c * 4));
    const float mb = vmaxvq_f32(mv);
    float corr = 1.0f;
    if (mb > *M) {
        corr = vgetq_lane_f32(exp_f32(vdupq_n_f32(*M - mb)), 0);
        *S *= corr;
        *M = mb;
    }
    const float32x4_t m = vdupq_n_f32(*M);
    float32x4_t sum = vdupq_n_f32(0.0f);
    for (int64_t c = c0; c <= c1; c++) {
        const float32x4_t e = exp_f32(vsubq_f32(vld1q_f32(s + c * 4), m));
        vst1q_f32(s + c * 4, e);
        sum = vaddq_f32(sum, e);
    }
    *S += vaddvq_f32(sum);
    return corr;
}

/* acc_r = acc_r * corr_r + sum_{j0..j1} e_rj v_j for the rows of a group, 16 columns at a time
 * (then 4, then a padded tail), each V load serving every row. */
static ALWAYS_INLINE void accumulate(const g4_attn_row *rows, const int nr, const float *e, const float *corr,
                                     const float *vblk, int64_t hd, int64_t j0, int64_t j1) {
    int64_t d = 0;
    for (; d + 16 <= hd; d += 16) {
        float32x4_t c[G][4];
        for (int r = 0; r < nr; r++)
            for (int i = 0; i < 4; i++) c[r][i] = vmulq_n_f32(vld1q_f32(rows[r].acc + d + 4 * i), corr[r]);
        for (int64_t j = j0; j <= j1; j++) {
            const float *vj = vblk + j * hd + d;
            const float32x4_t v0 = vld1q_f32(vj), v1 = vld1q_f32(vj + 4), v2 = vld1q_f32(vj + 8),
                              v3 = vld1q_f32(vj + 12);
            for (int r = 0; r < nr; r++) {
                const float w = e[r * KB + j];
                c[r][0] = vfmaq_n_f32(c[r][0], v0, w);
                c[r][1] = vfmaq_n_f32(c[r][1], v1, w);
                c[r][2] = vfmaq_n_f32(c[r][2], v2, w);
                c[r][3] = vfmaq_n_f32(c[r][3], v3, w);
            }
        }
        for (int r = 0; r < nr; r++)
            for (int i = 0; i < 4; i++) vst1q_f32(rows[r].acc + d + 4 * i, c[r][i]);
    }
    /* at most three full vectors, then the padded tail */
    for (; d < hd; d += 4) {
        const int64_t n = hd - d < 4 ? hd - d : 4;
        float32x4_t c0[G];
        for (int r = 0; r < nr; r++) c0[r] = vmulq_n_f32(load_part(rows[r].acc + d, n), corr[r]);
        for (int64_t j = j0; j <= j1; j++) {
            const float32x4_t v0 = load_part(vblk + j * hd + d, n);
            for (int r = 0; r < nr; r++) c0[r] = vfmaq_n_f32(c0[r], v0, e[r * KB + j]);
        }
        for (int r = 0; r < nr; r++) store_part(rows[r].acc + d, c0[r], n);
    }
}

/* The block update of nr rows that all see the block keys j0..j1 (block-relative). */
static ALWAYS_INLINE void group_step_n(const g4_attn_row *rows, const int nr, const float *kblk, const float *vblk,
                                       int64_t hd, int64_t j0, int64_t j1, float scale, float *s) {
    float corr[G];
    scores(rows, nr, kblk, hd, j0, j1, scale, s);
    for (int r = 0; r < nr; r++) corr[r] = softmax_step(s + r * KB, j0, j1, rows[r].M, rows[r].S);
    accumulate(rows, nr, s, corr, vblk, hd, j0, j1);
}

/* One instance per group size, so that the per-row loops unroll into registers. */
static void group_step(const g4_attn_row *rows, int nr, const float *kblk, const float *vblk, int64_t hd, int64_t j0,
                       int64_t j1, float scale, float *s) {
    switch (nr) {
    case 4:
        group_step_n(rows, 4, kblk, vblk, hd, j0, j1, scale, s);
        break;
    case 3:
        group_step_n(rows, 3, kblk, vblk, hd, j0, j1, scale, s);
        break;
    case 2:
        group_step_n(rows, 2, kblk, vblk, hd, j0, j1, scale, s);
        break;
    default:
        group_step_n(rows, 1, kblk, vblk, hd, j0, j1, scale, s);
        break;
    }
}

_Static_assert(G4_ATTN_GROUP == 4, "group_step has one case per group size");
_Static_assert(G4_ATTN_BLOCK % 4 == 0, "softmax_step works on whole 4-key chunks of a block");

static void scale_row(float *acc, int64_t hd, float inv) {
    int64_t d = 0;
    for (; d + 4 <= hd; d += 4) vst1q_f32(acc + d, vmulq_n_f32(vld1q_f32(acc + d), inv));
    for (; d < hd; d++) acc[d] *= inv;
}

void g4_attention_neon(const g4_attn_args *a, int64_t head_begin, int64_t head_end, void *scratch) {
    g4_attention_drive(a, head_begin, head_end, scratch, load_block, group_step, scale_row);
}
