/*
 * K-quants: 256-element super-blocks split into 16 or 32-element sub-blocks. Each sub-block gets
 * its own scale (and for Q2_K/Q4_K/Q5_K a min), found by a small search, and those sub-scales are
 * then quantized themselves against one half-precision super-block scale (d, dmin).
 *
 * The quantizers are ggml's quantize_row_*_ref (llama-quantize without an importance matrix) and
 * must write the same bytes. The searches compare float sums, so every sum below keeps ggml's
 * operand order and association (w*l*l is (w*l)*l, x*sl2/slx is (x*sl2)/slx, ...), divides where
 * ggml divides and multiplies by a reciprocal where ggml does. Reordering any of it changes
 * which candidate wins on some input; the vectors in tests/data/quants catch that.
 */
#include <math.h>
#include <string.h>

#include "kernels/quants.h"
#include "kernels/quants_rows.h"

/* No fused multiply-adds: see quants_legacy.c. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* ggml's threshold below which a group counts as all zero (GROUP_MAX_EPS). */
#define GROUP_ZERO_EPS 1e-15f

/*
 * Round to nearest, ties to even, the way ggml's nearest_int does: adding 1.5 * 2^23 leaves the
 * rounded integer in the low mantissa bits. Meant for |v| < 2^22; outside that (and for inf or
 * NaN, which appear when a sub-block's float scale is subnormal) it returns the same bit-derived
 * value as ggml, which the callers then clamp, so the bytes still agree.
 */
static int nearest_int(float v) {
    float biased = v + 12582912.0f;
    int32_t bits;
    memcpy(&bits, &biased, sizeof bits);
    return (bits & 0x007FFFFF) - 0x00400000;
}

static int clamp_int(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* ggml stores ints into int8_t fields with a plain cast; this is that conversion, spelled out. */
static int8_t wrap_int8(int v) {
    int b = (int)((unsigned)v & 0xFF);
    return (int8_t)(b >= 128 ? b - 256 : b);
}

/* The element of largest magnitude with its sign; the first one wins a tie. */
static float signed_absmax(const float *x, int n, float *amax_out) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; i++) {
        float ax = fabsf(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax_out) *amax_out = amax;
    return max;
}

/* ---- the sub-block scale searches ------------------------------------------------------------ */

/*
 * Symmetric codes l in [-nmax, nmax), x ~ scale * l, weighting each element by x^2 (ggml's
 * make_qx_quants with rmse_type 1, used by Q6_K). Starts from scale = max / -nmax, refits the
 * least-squares scale for the codes that gives, then tries 18 nearby starting scales and keeps
 * the codes whose refit explains most of the weighted signal (sumlx^2 / suml2). L gets l + nmax.
 */
static float symmetric_scale_search(int n, int nmax, const float *x, int8_t *L) {
    float amax;
    const float max = signed_absmax(x, n, &amax);
    if (amax < GROUP_ZERO_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int step = -9; step <= 9; step++) {
        if (step == 0) continue;
        iscale = -(nmax + 0.1f * step) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        /* sumlx^2 / suml2 > best, without the division */
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++) {
                L[i] = (int8_t)(nmax + clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/*
 * Symmetric codes for Q3_K (ggml's make_q3_quants with do_rmse): start from scale = max / -nmax,
 * then up to five sweeps of coordinate descent, moving one code at a time to its best value given
 * all the others, kept only if the x^2-weighted fit improves. L gets l + nmax.
 */
static float q3_scale_search(int n, int nmax, const float *x, int8_t *L) {
    float amax;
    const float max = signed_absmax(x, n, &amax);
    if (amax < GROUP_ZERO_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    const float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; i++) {
        int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
        L[i] = (int8_t)l;
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    for (int sweep = 0; sweep < 5; sweep++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            float w = x[i] * x[i];
            /* the sums without element i */
            float slx = sumlx - w * x[i] * L[i];
            if (slx > 0) {
                float sl2 = suml2 - w * L[i] * L[i];
                int new_l = clamp_int(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
                if (new_l != L[i]) {
                    slx += w * x[i] * new_l;
                    sl2 += w * new_l * new_l;
                    /* slx^2 / sl2 > sumlx^2 / suml2, cross-multiplied */
                    if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                        L[i] = (int8_t)new_l;
                        sumlx = slx;
                        suml2 = sl2;
                        changed++;
                    }
                }
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/*
 * Affine codes l in [0, nmax], x ~ scale * l + min with min <= 0 (ggml's make_qkx2_quants, used
 * by Q2_K, Q4_K, Q5_K). Starts from the [min, max] range, then for nstep + 1 stretched ranges
 * rounds the codes and solves the weighted least squares for (scale, min), keeping the codes with
 * the smallest weighted error (absolute if use_mad, else squared). Returns scale; *neg_min gets
 * -min (a non-negative number, which is how the formats store it).
 */
typedef struct {
    int nmax;
    float rmin, rdelta; /* candidate k stretches the range to (nmax + rmin + rdelta * k) levels */
    int nstep;
    bool use_mad;
} affine_search_params;

static float affine_error_term(float diff, bool use_mad) {
    return use_mad ? fabsf(diff) : diff * diff;
}

static float affine_scale_search(const affine_search_params *p, int n, const float *x, const float *weights, uint8_t *L,
                                 float *neg_min) {
    uint8_t Laux[32];
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0; /* the formats subtract a non-negative dmin * m: the offset cannot be > 0 */
    if (max == min) {
        memset(L, 0, (size_t)n);
        *neg_min = -min;
        return 0.0f;
    }
    float iscale = p->nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; i++) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)clamp_int(l, 0, p->nmax);
        float diff = scale * L[i] + min - x[i];
        best_error += weights[i] * affine_error_term(diff, p->use_mad);
    }
    for (int step = 0; step <= p->nstep; step++) {
        iscale = (p->rmin + p->rdelta * step + p->nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp_int(nearest_int(iscale * (x[i] - min)), 0, p->nmax);
            Laux[i] = (uint8_t)l;
            float w = weights[i];
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * x[i];
        }
        /* normal equations of min over (scale, offset) of sum w (scale * l + offset - x)^2 */
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; i++) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                cur_error += weights[i] * affine_error_term(diff, p->use_mad);
            }
            if (cur_error < best_error) {
                memcpy(L, Laux, (size_t)n);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *neg_min = -min;
    return scale;
}

/* ---- shared packing ---------------------------------------------------------------------------- */

/* Q2_K / Q3_K low bits: in each 128-element half, byte k holds elements k, k+32, k+64, k+96
 * in bit pairs 0-1, 2-3, 4-5, 6-7. */
static void pack_2bit(const uint8_t *L, uint8_t qs[G4_QK_K / 4]) {
    for (int h = 0; h < G4_QK_K; h += 128) {
        for (int k = 0; k < 32; k++) {
            qs[h / 4 + k] = (uint8_t)(L[h + k] | L[h + k + 32] << 2 | L[h + k + 64] << 4 | L[h + k + 96] << 6);
        }
    }
}

static int unpack_2bit(const uint8_t qs[G4_QK_K / 4], int e) {
    int h = e / 128, quarter = (e % 128) / 32, k = e % 32;
    return (qs[32 * h + k] >> (2 * quarter)) & 3;
}

/* Q4_K / Q5_K scales: 8 six-bit scales and 8 six-bit mins in 12 bytes. Sub-blocks 0-3 use the low
 * 6 bits of bytes 0-3 (scale) and 4-7 (min); sub-blocks 4-7 keep their low 4 bits in the nibbles of
 * bytes 8-11 and their top 2 bits in the spare top bits of bytes 0-3 (scale) and 4-7 (min). */
void g4_q4k_scale_min(const uint8_t scales[12], int j, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = scales[j] & 63;
        *min = scales[j + 4] & 63;
    } else {
        *scale = (uint8_t)((scales[j + 4] & 0x0F) | (scales[j - 4] >> 6) << 4);
        *min = (uint8_t)((scales[j + 4] >> 4) | (scales[j] >> 6) << 4);
    }
}

static void pack_q4k_scales(const float scales[8], const float mins[8], float max_scale, float max_min,
                            uint8_t packed[12]) {
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < 8; j++) {
        uint8_t ls = (uint8_t)nearest_int(inv_scale * scales[j]);
        uint8_t lm = (uint8_t)nearest_int(inv_min * mins[j]);
        ls = ls < 63 ? ls : 63;
        lm = lm < 63 ? lm : 63;
        if (j < 4) {
            packed[j] = ls;
            packed[j + 4] = lm;
        } else {
            packed[j + 4] = (uint8_t)((ls & 0x0F) | (lm & 0x0F) << 4);
            packed[j - 4] |= (uint8_t)((ls >> 4) << 6);
            packed[j] |= (uint8_t)((lm >> 4) << 6);
        }
    }
}

/* Q3_K scales: 16 six-bit values (stored + 32). Low nibbles: scales 0-7 in the low nibbles of
 * bytes 0-7, scales 8-15 in their high nibbles. Top 2 bits of scale j: byte 8 + j % 4, bit pair
 * j / 4. */
void g4_q3k_scales(const uint8_t packed[12], int8_t out[16]) {
    for (int j = 0; j < 16; j++) {
        int low = j < 8 ? packed[j] & 0x0F : packed[j - 8] >> 4;
        int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((low | high << 4) - 32);
    }
}

/* The K quantizers' affine sub-block search inputs: x plus per-element weights. Q4_K/Q5_K weight
 * by rms(sub-block) + |x| (the rms term keeps small values from being ignored). */
static void rms_plus_abs_weights(const float *x, float *w) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; l++) sum_x2 += x[l] * x[l];
    const float av_x = sqrtf(sum_x2 / 32);
    for (int l = 0; l < 32; l++) w[l] = av_x + fabsf(x[l]);
}

/* ---- Q2_K: x = d * sc * q - dmin * m, q in 0..3, 16 sub-blocks of 16, 4-bit sc and m ---------- */

void g4_quantize_row_q2_K(const float *x, g4_block_q2_K *y, int64_t n) {
    static const affine_search_params search = {.nmax = 3, .rmin = -0.5f, .rdelta = 0.1f, .nstep = 15, .use_mad = true};
    const float q4scale = 15.f;
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        uint8_t L[G4_QK_K];
        float weights[16], mins[16], scales[16];
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) weights[l] = fabsf(x[16 * j + l]);
            scales[j] = affine_scale_search(&search, 16, x + 16 * j, weights, L + 16 * j, &mins[j]);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }

        g4_block_q2_K *blk = &y[b];
        if (max_scale > 0) {
            const float iscale = q4scale / max_scale;
            for (int j = 0; j < 16; j++) blk->scales[j] = (uint8_t)nearest_int(iscale * scales[j]);
            blk->d = g4_float_to_half(max_scale / q4scale);
        } else {
            memset(blk->scales, 0, sizeof blk->scales);
            blk->d = g4_float_to_half(0.f);
        }
        if (max_min > 0) {
            const float iscale = q4scale / max_min;
            for (int j = 0; j < 16; j++) {
                blk->scales[j] = (uint8_t)(blk->scales[j] | (unsigned)nearest_int(iscale * mins[j]) << 4);
            }
            blk->dmin = g4_float_to_half(max_min / q4scale);
        } else {
            blk->dmin = g4_float_to_half(0.f);
        }

        /* Requantize against the scales as stored (rounded), so the codes fit what decodes. */
        for (int j = 0; j < 16; j++) {
            const float d = g4_half_to_float(blk->d) * (blk->scales[j] & 0xF);
            if (!d) continue;
            const float dm = g4_half_to_float(blk->dmin) * (blk->scales[j] >> 4);
            for (int l = 0; l < 16; l++) {
                L[16 * j + l] = (uint8_t)clamp_int(nearest_int((x[16 * j + l] + dm) / d), 0, 3);
            }
        }
        pack_2bit(L, blk->qs);
    }
}

void g4_dequantize_row_q2_K(const g4_block_q2_K *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, y += G4_QK_K) {
        const float d = g4_half_to_float(x[b].d);
        const float dmin = g4_half_to_float(x[b].dmin);
        for (int s = 0; s < 16; s++) {
            const uint8_t sc = x[b].scales[s];
            const float dl = d * (sc & 0xF);
            const float ml = dmin * (sc >> 4);
            for (int e = 16 * s; e < 16 * s + 16; e++) y[e] = dl * unpack_2bit(x[b].qs, e) - ml;
        }
    }
}

/* ---- Q3_K: x = d * sc * (q - 4), q in 0..7 (2 low bits + hmask bit), 16 six-bit signed sc ------- */

void g4_quantize_row_q3_K(const float *x, g4_block_q3_K *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        int8_t L[G4_QK_K];
        float scales[16];
        float max_scale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = q3_scale_search(16, 4, x + 16 * j, L + 16 * j);
            const float scale = fabsf(scales[j]);
            if (scale > amax) {
                amax = scale;
                max_scale = scales[j];
            }
        }

        g4_block_q3_K *blk = &y[b];
        memset(blk->scales, 0, sizeof blk->scales);
        if (max_scale) {
            /* the largest sub-scale maps to -32, like the codes inside a sub-block */
            const float iscale = -32.f / max_scale;
            for (int j = 0; j < 16; j++) {
                int l = clamp_int(wrap_int8(nearest_int(iscale * scales[j])), -32, 31) + 32;
                if (j < 8) {
                    blk->scales[j] = (uint8_t)(l & 0xF);
                } else {
                    blk->scales[j - 8] |= (uint8_t)((l & 0xF) << 4);
                }
                blk->scales[j % 4 + 8] |= (uint8_t)((l >> 4) << (2 * (j / 4)));
            }
            blk->d = g4_float_to_half(1 / iscale);
        } else {
            blk->d = g4_float_to_half(0.f);
        }

        int8_t sc[16];
        g4_q3k_scales(blk->scales, sc);
        for (int j = 0; j < 16; j++) {
            const float d = g4_half_to_float(blk->d) * sc[j];
            if (!d) continue;
            for (int l = 0; l < 16; l++) {
                L[16 * j + l] = (int8_t)(clamp_int(nearest_int(x[16 * j + l] / d), -4, 3) + 4);
            }
        }

        /* Bit 2 of each code goes to hmask: element e at byte e % 32, bit e / 32. */
        uint8_t low[G4_QK_K];
        memset(blk->hmask, 0, sizeof blk->hmask);
        for (int e = 0; e < G4_QK_K; e++) {
            int q = L[e];
            if (q > 3) {
                blk->hmask[e % 32] |= (uint8_t)(1u << (e / 32));
                q -= 4;
            }
            low[e] = (uint8_t)q;
        }
        pack_2bit(low, blk->qs);
    }
}

void g4_dequantize_row_q3_K(const g4_block_q3_K *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, y += G4_QK_K) {
        const float d_all = g4_half_to_float(x[b].d);
        int8_t sc[16];
        g4_q3k_scales(x[b].scales, sc);
        for (int s = 0; s < 16; s++) {
            const float dl = d_all * sc[s];
            for (int e = 16 * s; e < 16 * s + 16; e++) {
                int high_set = x[b].hmask[e % 32] >> (e / 32) & 1;
                y[e] = dl * (unpack_2bit(x[b].qs, e) - (high_set ? 0 : 4));
            }
        }
    }
}

/* ---- Q4_K / Q5_K: x = d * sc * q - dmin * m, 8 sub-blocks of 32, 6-bit sc and m ---------------- */

/* The sub-block searches and scale packing the two formats share; returns the codes in L. */
static void q45k_quantize_block(const affine_search_params *search, const float *x, uint8_t L[G4_QK_K], g4_half *d_out,
                                g4_half *dmin_out, uint8_t packed[12]) {
    float weights[32], mins[8], scales[8];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; j++) {
        rms_plus_abs_weights(x + 32 * j, weights);
        scales[j] = affine_scale_search(search, 32, x + 32 * j, weights, L + 32 * j, &mins[j]);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    pack_q4k_scales(scales, mins, max_scale, max_min, packed);
    *d_out = g4_float_to_half(max_scale / 63.f);
    *dmin_out = g4_float_to_half(max_min / 63.f);

    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        g4_q4k_scale_min(packed, j, &sc, &m);
        const float d = g4_half_to_float(*d_out) * sc;
        if (!d) continue;
        const float dm = g4_half_to_float(*dmin_out) * m;
        for (int l = 0; l < 32; l++) {
            L[32 * j + l] = (uint8_t)clamp_int(nearest_int((x[32 * j + l] + dm) / d), 0, search->nmax);
        }
    }
}

void g4_quantize_row_q4_K(const float *x, g4_block_q4_K *y, int64_t n) {
    static const affine_search_params search = {
        .nmax = 15, .rmin = -1.f, .rdelta = 0.1f, .nstep = 20, .use_mad = false};
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        uint8_t L[G4_QK_K];
        q45k_quantize_block(&search, x, L, &y[b].d, &y[b].dmin, y[b].scales);
        /* each 64-element pair of sub-blocks shares 32 bytes: first in low nibbles, second high */
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                y[b].qs[32 * p + l] = (uint8_t)(L[64 * p + l] | L[64 * p + 32 + l] << 4);
            }
        }
    }
}

void g4_dequantize_row_q4_K(const g4_block_q4_K *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, y += G4_QK_K) {
        const float d = g4_half_to_float(x[b].d);
        const float dmin = g4_half_to_float(x[b].dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            g4_q4k_scale_min(x[b].scales, j, &sc, &m);
            const float dl = d * sc, ml = dmin * m;
            const uint8_t *q = x[b].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; l++) y[32 * j + l] = dl * ((q[l] >> shift) & 0xF) - ml;
        }
    }
}

void g4_quantize_row_q5_K(const float *x, g4_block_q5_K *y, int64_t n) {
    static const affine_search_params search = {
        .nmax = 31, .rmin = -0.5f, .rdelta = 0.1f, .nstep = 15, .use_mad = false};
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        uint8_t L[G4_QK_K];
        q45k_quantize_block(&search, x, L, &y[b].d, &y[b].dmin, y[b].scales);
        /* low 4 bits as in Q4_K; the 5th bit of sub-block j's element l is bit j of qh[l] */
        memset(y[b].qh, 0, sizeof y[b].qh);
        for (int j = 0; j < 8; j++) {
            for (int l = 0; l < 32; l++) {
                int q = L[32 * j + l];
                if (q > 15) y[b].qh[l] |= (uint8_t)(1u << j);
            }
        }
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) {
                y[b].qs[32 * p + l] = (uint8_t)((L[64 * p + l] & 0xF) | (L[64 * p + 32 + l] & 0xF) << 4);
            }
        }
    }
}

void g4_dequantize_row_q5_K(const g4_block_q5_K *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, y += G4_QK_K) {
        const float d = g4_half_to_float(x[b].d);
        const float dmin = g4_half_to_float(x[b].dmin);
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            g4_q4k_scale_min(x[b].scales, j, &sc, &m);
            const float dl = d * sc, ml = dmin * m;
            const uint8_t *q = x[b].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            for (int l = 0; l < 32; l++) {
                int code = ((q[l] >> shift) & 0xF) + ((x[b].qh[l] >> j & 1) ? 16 : 0);
                y[32 * j + l] = dl * code - ml;
            }
        }
    }
}

/* ---- Q6_K: x = d * sc * (q - 32), q in 0..63 (4 low bits in ql, 2 high in qh), 8-bit sc ------- */

void g4_quantize_row_q6_K(const float *x, g4_block_q6_K *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        int8_t L[G4_QK_K];
        float scales[16];
        float max_scale = 0, max_abs_scale = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = symmetric_scale_search(16, 32, x + 16 * j, L + 16 * j);
            const float abs_scale = fabsf(scales[j]);
            if (abs_scale > max_abs_scale) {
                max_abs_scale = abs_scale;
                max_scale = scales[j];
            }
        }

        g4_block_q6_K *blk = &y[b];
        if (max_abs_scale < GROUP_ZERO_EPS) {
            memset(blk, 0, sizeof *blk);
            continue;
        }
        const float iscale = -128.f / max_scale;
        blk->d = g4_float_to_half(1 / iscale);
        for (int j = 0; j < 16; j++) {
            int s = nearest_int(iscale * scales[j]);
            blk->scales[j] = wrap_int8(s < 127 ? s : 127);
        }

        for (int j = 0; j < 16; j++) {
            const float d = g4_half_to_float(blk->d) * blk->scales[j];
            if (!d) continue;
            for (int l = 0; l < 16; l++) {
                L[16 * j + l] = (int8_t)(clamp_int(nearest_int(x[16 * j + l] / d), -32, 31) + 32);
            }
        }

        /* In each 128-element half: ql byte k holds elements k (low) and k+64 (high), byte k+32
         * holds k+32 and k+96; qh byte k holds the top 2 bits of k, k+32, k+64, k+96. */
        for (int h = 0; h < 2; h++) {
            const int8_t *Lh = L + 128 * h;
            uint8_t *ql = blk->ql + 64 * h;
            uint8_t *qh = blk->qh + 32 * h;
            for (int k = 0; k < 32; k++) {
                ql[k] = (uint8_t)((Lh[k] & 0xF) | (Lh[k + 64] & 0xF) << 4);
                ql[k + 32] = (uint8_t)((Lh[k + 32] & 0xF) | (Lh[k + 96] & 0xF) << 4);
                qh[k] =
                    (uint8_t)(Lh[k] >> 4 | (Lh[k + 32] >> 4) << 2 | (Lh[k + 64] >> 4) << 4 | (Lh[k + 96] >> 4) << 6);
            }
        }
    }
}

void g4_dequantize_row_q6_K(const g4_block_q6_K *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, y += G4_QK_K) {
        const float d = g4_half_to_float(x[b].d);
        for (int e = 0; e < G4_QK_K; e++) {
            const int h = e / 128, quarter = (e % 128) / 32, k = e % 32;
            const uint8_t lowbyte = x[b].ql[64 * h + k + 32 * (quarter & 1)];
            const int low = quarter < 2 ? lowbyte & 0xF : lowbyte >> 4;
            const int high = (x[b].qh[32 * h + k] >> (2 * quarter)) & 3;
            y[e] = d * x[b].scales[e / 16] * ((low | high << 4) - 32);
        }
    }
}

/* ---- Q8_K: x = d * q with an f32 d, q in -127..127 (activations for the K dot products) -------- */

void g4_quantize_row_q8_K(const float *x, g4_block_q8_K *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, x += G4_QK_K) {
        float amax;
        const float max = signed_absmax(x, G4_QK_K, &amax);
        if (!amax) {
            /* ggml leaves bsums unwritten here; zero is what they sum to */
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        /* -127 rather than -128, so the codes stay symmetric: ggml's SIMD dot products rely on it */
        const float iscale = -127.f / max;
        for (int j = 0; j < G4_QK_K; j++) {
            int v = nearest_int(iscale * x[j]);
            y[b].qs[j] = wrap_int8(v < 127 ? v : 127);
        }
        for (int g = 0; g < G4_QK_K / 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[b].qs[16 * g + l];
            y[b].bsums[g] = (int16_t)sum;
        }
        y[b].d = 1 / iscale;
    }
}

void g4_dequantize_row_q8_K(const g4_block_q8_K *x, float *y, int64_t n) {
    for (int64_t b = 0; b < n / G4_QK_K; b++, y += G4_QK_K) {
        for (int j = 0; j < G4_QK_K; j++) y[j] = x[b].d * x[b].qs[j];
    }
}
