/*
 * Scalar reference dot products for the K-quants against Q8_K activations. Each 256-element
 * super-block is unpacked to 256 small integers in element order plus its integer sub-block
 * scales (and mins), then dotted exactly in integers; vec_dot.h documents the float combination.
 *
 * Bit layouts (ggml-common.h): in Q2_K, Q3_K and Q6_K each 128-element half of a super-block
 * packs four 32-element runs into the same 32 bytes at bit offsets 0, 2, 4, 6; in Q4_K and Q5_K
 * each 64-element chunk packs two 32-element runs into 32 bytes as low and high nibbles.
 */
#include <stdint.h>

#include "kernels/blocks.h"
#include "kernels/quants.h"
#include "kernels/vec_dot.h"

/* sum over one sub-block of len elements of q * y */
static int32_t run_isum(const int8_t *q, const int8_t *y, int len) {
    int32_t sum = 0;
    for (int i = 0; i < len; i++) sum += q[i] * y[i];
    return sum;
}

/* The 8 (scale, min) pairs of Q4_K/Q5_K, 6 bits each, packed in 12 bytes: pairs 0-3 sit in the low
 * 6 bits of bytes 0-3 (scales) and 4-7 (mins); pairs 4-7 keep their low 4 bits in the nibbles of
 * bytes 8-11 and their top 2 bits in the spare top bits of bytes 0-7. */
static void kquant_scale_min(const uint8_t s[G4_K_SCALE_SIZE], int j, int *scale, int *min) {
    if (j < 4) {
        *scale = s[j] & 63;
        *min = s[j + 4] & 63;
    } else {
        *scale = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* The 16 signed 6-bit scales of Q3_K: scale k keeps its low 4 bits in a nibble of bytes 0-7 (low
 * nibbles for k < 8, high nibbles for k >= 8) and its top 2 bits in bytes 8-11; stored biased by 32. */
static int q3_k_scale(const uint8_t s[12], int k) {
    int low = k < 8 ? (s[k] & 0x0F) : (s[k - 8] >> 4);
    int high = (s[8 + k % 4] >> (2 * (k / 4))) & 3;
    return (low | high << 4) - 32;
}

float g4_vec_dot_q2_K_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q2_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        int8_t q[G4_QK_K];
        for (int half = 0; half < 2; half++)
            for (int run = 0; run < 4; run++)
                for (int l = 0; l < 32; l++) q[128 * half + 32 * run + l] = (wb[b].qs[32 * half + l] >> (2 * run)) & 3;
        int32_t isum = 0, msum = 0;
        for (int k = 0; k < 16; k++) {
            isum += (wb[b].scales[k] & 0x0F) * run_isum(q + 16 * k, xb[b].qs + 16 * k, 16);
            msum += (wb[b].scales[k] >> 4) * xb[b].bsums[k];
        }
        sum += (g4_half_to_float(wb[b].d) * xb[b].d) * (float)isum -
               (g4_half_to_float(wb[b].dmin) * xb[b].d) * (float)msum;
    }
    return sum;
}

float g4_vec_dot_q3_K_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q3_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        int8_t q[G4_QK_K];
        /* 2 low bits from qs, and a high bit from hmask that, when clear, means "minus 4" */
        for (int half = 0; half < 2; half++)
            for (int run = 0; run < 4; run++)
                for (int l = 0; l < 32; l++) {
                    int low = (wb[b].qs[32 * half + l] >> (2 * run)) & 3;
                    int high = (wb[b].hmask[l] >> (4 * half + run)) & 1;
                    q[128 * half + 32 * run + l] = (int8_t)(low - (high ? 0 : 4));
                }
        int32_t isum = 0;
        for (int k = 0; k < 16; k++) isum += q3_k_scale(wb[b].scales, k) * run_isum(q + 16 * k, xb[b].qs + 16 * k, 16);
        sum += (g4_half_to_float(wb[b].d) * xb[b].d) * (float)isum;
    }
    return sum;
}

/* Q4_K and Q5_K differ only in the fifth bit (qh == NULL for Q4_K). */
static float dot_q4_q5_K(const g4_half *d, const g4_half *dmin, const uint8_t *scales, const uint8_t *qs,
                         const uint8_t *qh, const g4_block_q8_K *xb) {
    int8_t q[G4_QK_K];
    for (int chunk = 0; chunk < 4; chunk++)
        for (int l = 0; l < 32; l++) {
            int lo = qs[32 * chunk + l] & 0x0F, hi = qs[32 * chunk + l] >> 4;
            if (qh) {
                lo |= ((qh[l] >> (2 * chunk)) & 1) << 4;
                hi |= ((qh[l] >> (2 * chunk + 1)) & 1) << 4;
            }
            q[64 * chunk + l] = (int8_t)lo;
            q[64 * chunk + 32 + l] = (int8_t)hi;
        }
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < 8; j++) {
        int scale, min;
        kquant_scale_min(scales, j, &scale, &min);
        isum += scale * run_isum(q + 32 * j, xb->qs + 32 * j, 32);
        msum += min * (xb->bsums[2 * j] + xb->bsums[2 * j + 1]);
    }
    return (g4_half_to_float(*d) * xb->d) * (float)isum - (g4_half_to_float(*dmin) * xb->d) * (float)msum;
}

float g4_vec_dot_q4_K_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q4_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++)
        sum += dot_q4_q5_K(&wb[b].d, &wb[b].dmin, wb[b].scales, wb[b].qs, NULL, &xb[b]);
    return sum;
}

float g4_vec_dot_q5_K_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q5_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++)
        sum += dot_q4_q5_K(&wb[b].d, &wb[b].dmin, wb[b].scales, wb[b].qs, wb[b].qh, &xb[b]);
    return sum;
}

float g4_vec_dot_q6_K_ref(int64_t n, const void *w, const void *x) {
    const g4_block_q6_K *wb = w;
    const g4_block_q8_K *xb = x;
    float sum = 0.0f;
    for (int64_t b = 0; b < n / G4_QK_K; b++) {
        int8_t q[G4_QK_K];
        /* low 4 bits: ql bytes 0-31 / 32-63 of the half, low then high nibble; top 2 bits: qh */
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = wb[b].ql + 64 * half, *qh = wb[b].qh + 32 * half;
            for (int run = 0; run < 4; run++)
                for (int l = 0; l < 32; l++) {
                    int low = (ql[l + 32 * (run & 1)] >> (4 * (run >> 1))) & 0x0F;
                    int high = (qh[l] >> (2 * run)) & 3;
                    q[128 * half + 32 * run + l] = (int8_t)((low | high << 4) - 32);
                }
        }
        int32_t isum = 0;
        for (int k = 0; k < 16; k++) isum += wb[b].scales[k] * run_isum(q + 16 * k, xb[b].qs + 16 * k, 16);
        sum += (g4_half_to_float(wb[b].d) * xb[b].d) * (float)isum;
    }
    return sum;
}
