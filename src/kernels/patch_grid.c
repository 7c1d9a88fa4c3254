/*
 * im2col and average pooling over a grid of patches (patch_grid.h): plain loops in the order that
 * gives ggml's bits (the pooled sum per element in (ky, kx) order), written so that the innermost
 * loop runs over contiguous floats.
 */
#include "kernels/patch_grid.h"

#include <stddef.h>
#include <string.h>

int64_t g4_im2col_patches(const float *img, int64_t channels, int64_t h, int64_t w, int64_t p, float *out) {
    if (channels <= 0 || h <= 0 || w <= 0 || p <= 0) return 0;
    const int64_t nx = w / p, ny = h / p, row_len = channels * p * p;
    for (int64_t r = 0; r < ny; r++) {
        for (int64_t q = 0; q < nx; q++) {
            float *dst = out + (r * nx + q) * row_len;
            for (int64_t c = 0; c < channels; c++) {
                for (int64_t ky = 0; ky < p; ky++) {
                    const float *src = img + (c * h + r * p + ky) * w + q * p;
                    memcpy(dst + (c * p + ky) * p, src, sizeof(float) * (size_t)p);
                }
            }
        }
    }
    return nx * ny;
}

int64_t g4_avg_pool_patches(const float *x, int64_t gx, int64_t gy, int64_t n_feat, int64_t k, float *out) {
    if (gx <= 0 || gy <= 0 || n_feat <= 0 || k <= 0) return 0;
    const int64_t ox = gx / k, oy = gy / k;
    const float area = (float)(k * k);
    for (int64_t R = 0; R < oy; R++) {
        for (int64_t Q = 0; Q < ox; Q++) {
            float *o = out + (R * ox + Q) * n_feat;
            for (int64_t f = 0; f < n_feat; f++) o[f] = 0.0f;
            for (int64_t ky = 0; ky < k; ky++) {
                for (int64_t kx = 0; kx < k; kx++) {
                    const float *row = x + ((R * k + ky) * gx + Q * k + kx) * n_feat;
                    for (int64_t f = 0; f < n_feat; f++) o[f] += row[f];
                }
            }
            for (int64_t f = 0; f < n_feat; f++) o[f] /= area;
        }
    }
    return ox * oy;
}
