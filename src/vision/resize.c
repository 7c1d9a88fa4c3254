/*
 * Pillow's BICUBIC resample (see resize.h), written from its description: the arithmetic is
 * Pillow's to the last operation, because a weight that rounds differently moves an output byte.
 */
#include "vision/resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"

/* Pillow is built without fused multiply-adds on x86-64; fusing here would move a weight by an ulp.
 * GCC contracts only in GNU modes (the build is -std=c11); clang needs telling. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

enum { PRECISION_BITS = 32 - 8 - 2 }; /* int32 accumulator: 8 bits of pixel, 2 of headroom */

/* Keys' cubic convolution kernel with a = -0.5 (Pillow's; PyTorch and ggml use -0.75), support 2. */
static double cubic(double x) {
    const double a = -0.5;
    if (x < 0.0) x = -x;
    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

/* The taps of one pass from n_in to n_out pixels: output o reads count[o] inputs from first[o],
 * with weights w[o * ksize + j] in 2^22 fixed point. */
typedef struct taps {
    int ksize;
    int *first, *count;
    int32_t *w;
} taps;

static void taps_free(taps *t) {
    free(t->first);
    free(t->count);
    free(t->w);
}

/* Pillow's precompute_coeffs followed by normalize_coeffs_8bpc. The double weights of one output
 * are computed twice (once to sum them, once to normalise and round) instead of being stored:
 * the kernel is a pure function of the same operands, so both passes see the same values, and the
 * table stays int32 only. */
static gemma4_status taps_make(int n_in, int n_out, taps *t, g4_error *err) {
    memset(t, 0, sizeof *t);
    const double scale = (double)n_in / n_out;
    const double filterscale = scale < 1.0 ? 1.0 : scale;
    const double support = 2.0 * filterscale;
    const double ss = 1.0 / filterscale;
    t->ksize = (int)ceil(support) * 2 + 1;
    size_t n_w;
    if (!g4_mul_size((size_t)n_out, (size_t)t->ksize, &n_w) || !g4_mul_size(n_w, sizeof(int32_t), &n_w))
        return g4_fail(err, GEMMA4_ERR_NOMEM, "resize %d -> %d: weight table size overflows", n_in, n_out);
    t->first = malloc((size_t)n_out * sizeof *t->first);
    t->count = malloc((size_t)n_out * sizeof *t->count);
    t->w = calloc(n_w / sizeof(int32_t), sizeof(int32_t));
    if (!t->first || !t->count || !t->w) {
        taps_free(t);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "resize %d -> %d: out of memory for the weights", n_in, n_out);
    }
    const double fixed_one = ldexp(1.0, PRECISION_BITS);
    for (int o = 0; o < n_out; o++) {
        const double center = (o + 0.5) * scale;
        int lo = (int)(center - support + 0.5);
        if (lo < 0) lo = 0;
        int hi = (int)(center + support + 0.5);
        if (hi > n_in) hi = n_in;
        const int count = hi - lo;
        double sum = 0.0;
        for (int j = 0; j < count; j++) sum += cubic((j + lo - center + 0.5) * ss);
        int32_t *w = t->w + (size_t)o * t->ksize;
        for (int j = 0; j < count; j++) {
            double k = cubic((j + lo - center + 0.5) * ss);
            if (sum != 0.0) k /= sum;
            /* Pillow adds +-0.5 and truncates toward zero (round half away from zero) */
            w[j] = (int32_t)(k < 0 ? -0.5 + k * fixed_one : 0.5 + k * fixed_one);
        }
        t->first[o] = lo;
        t->count[o] = count;
    }
    return GEMMA4_OK;
}

/* Pillow's clip8: the accumulator back to a byte. The shift is done on non-negative values only
 * (shifting a negative int is implementation-defined in C; every negative sum clips to 0). */
static uint8_t clip8(int32_t acc) {
    if (acc < 0) return 0;
    const int32_t v = acc >> PRECISION_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

/* Sums of |w| stay below 1.25 x 2^22 for this kernel, so 255 x that plus the rounding half fits an
 * int32 as in Pillow. */
static void pass_horizontal(const g4_image *src, const taps *t, g4_image *dst) {
    for (uint32_t y = 0; y < src->height; y++) {
        const uint8_t *row = src->rgb + (size_t)y * src->width * 3;
        uint8_t *out = dst->rgb + (size_t)y * dst->width * 3;
        for (uint32_t o = 0; o < dst->width; o++) {
            const int32_t *w = t->w + (size_t)o * t->ksize;
            const uint8_t *p = row + (size_t)t->first[o] * 3;
            int32_t r = 1 << (PRECISION_BITS - 1), g = r, b = r;
            for (int j = 0; j < t->count[o]; j++, p += 3) {
                r += p[0] * w[j];
                g += p[1] * w[j];
                b += p[2] * w[j];
            }
            out[3 * o + 0] = clip8(r);
            out[3 * o + 1] = clip8(g);
            out[3 * o + 2] = clip8(b);
        }
    }
}

/* Whole rows at a time: acc holds one output row's sums (width x 3 int32). */
static void pass_vertical(const g4_image *src, const taps *t, int32_t *acc, g4_image *dst) {
    const size_t row_bytes = (size_t)src->width * 3;
    for (uint32_t o = 0; o < dst->height; o++) {
        const int32_t *w = t->w + (size_t)o * t->ksize;
        for (size_t i = 0; i < row_bytes; i++) acc[i] = 1 << (PRECISION_BITS - 1);
        for (int j = 0; j < t->count[o]; j++) {
            const uint8_t *row = src->rgb + (size_t)(t->first[o] + j) * row_bytes;
            for (size_t i = 0; i < row_bytes; i++) acc[i] += row[i] * w[j];
        }
        uint8_t *out = dst->rgb + (size_t)o * row_bytes;
        for (size_t i = 0; i < row_bytes; i++) out[i] = clip8(acc[i]);
    }
}

gemma4_status g4_resize_bicubic(const g4_image *src, uint32_t width, uint32_t height, g4_image *out, g4_error *err) {
    memset(out, 0, sizeof *out);
    if (!src || !src->rgb || src->width == 0 || src->height == 0)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "resize: the source image is empty");
    if (width == 0 || height == 0 || width > INT32_MAX || height > INT32_MAX || src->width > INT32_MAX ||
        src->height > INT32_MAX)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "resize %u x %u -> %u x %u: sides must be 1..2^31-1", src->width,
                       src->height, width, height);
    const bool horizontal = width != src->width, vertical = height != src->height;
    gemma4_status st = g4_image_new(width, height, out, err);
    if (st != GEMMA4_OK) return st;
    if (!horizontal && !vertical) {
        memcpy(out->rgb, src->rgb, (size_t)width * height * 3);
        return GEMMA4_OK;
    }

    taps th = {0}, tv = {0};
    g4_image mid = {0}; /* the horizontal pass's result when a vertical pass follows */
    int32_t *acc = NULL;
    if (horizontal) st = taps_make((int)src->width, (int)width, &th, err);
    if (st == GEMMA4_OK && vertical) st = taps_make((int)src->height, (int)height, &tv, err);
    if (st == GEMMA4_OK && horizontal && vertical) st = g4_image_new(width, src->height, &mid, err);
    if (st == GEMMA4_OK && vertical) {
        acc = malloc((size_t)width * 3 * sizeof *acc);
        if (!acc) st = g4_fail(err, GEMMA4_ERR_NOMEM, "resize: out of memory for a %u-pixel row", width);
    }
    if (st == GEMMA4_OK) {
        if (horizontal) pass_horizontal(src, &th, vertical ? &mid : out);
        if (vertical) pass_vertical(horizontal ? &mid : src, &tv, acc, out);
    }
    free(acc);
    g4_image_free(&mid);
    taps_free(&th);
    taps_free(&tv);
    if (st != GEMMA4_OK) g4_image_free(out);
    return st;
}
