/*
 * The two rearrangements of a grid of image patches a vision transformer needs around its matmuls.
 * Nothing here knows about a particular model; sizes are the caller's.
 *
 * Layout: an image of gx x gy patches of p x p pixels; patch (row, col) is row gx + col ("row-major
 * patch order"), and a patch's rows of features are [gx * gy][n_feat], one row per patch.
 *
 *   g4_im2col_patches: a planar image [c][h][w] into one row per patch of its c p p pixels in the
 *     order (channel, y in the patch, x in the patch). A stride-p convolution with a p x p kernel
 *     and no padding is then one matmul of these rows with the kernel stored [out][c][p][p], as
 *     ggml_conv_2d computes it.
 *   g4_avg_pool_patches: the mean of each k x k block of patch rows (stride k, no padding), as
 *     ggml_pool_2d(GGML_OP_POOL_AVG, k, k, k, k, 0, 0) over the grid.
 *
 * Both only move and add floats (memory-bound), so there is one version and no kernel-table entry:
 * the compiler's vectorisation of these loops is as fast as a hand-written one would be.
 */
#ifndef G4_KERNELS_PATCH_GRID_H
#define G4_KERNELS_PATCH_GRID_H

#include <stdint.h>

/* img: [channels][h][w] floats. Writes floor(w/p) * floor(h/p) rows of channels * p * p floats to
 * out, row (r * floor(w/p) + q) = out[(c * p + ky) * p + kx] = img[c][r * p + ky][q * p + kx];
 * pixels past the last whole patch are ignored (ggml_conv_2d's output size without padding).
 * Returns the number of rows written; 0 (nothing written) when a size is not positive or the
 * image is smaller than one patch. */
int64_t g4_im2col_patches(const float *img, int64_t channels, int64_t h, int64_t w, int64_t p, float *out);

/* x: gx * gy rows of n_feat floats in row-major patch order. Writes (gx/k) * (gy/k) rows to out
 * (out may not alias x), token (R * (gx/k) + Q) = the mean of the rows of patches
 * (R k + ky, Q k + kx), ky, kx < k; a partial block at the right or bottom edge is dropped. The
 * mean is ggml's: an f32 sum in (ky, kx) order, divided by (float)(k k). Returns the number of
 * rows written; 0 (nothing written) when a size is not positive or the grid is smaller than k. */
int64_t g4_avg_pool_patches(const float *x, int64_t gx, int64_t gy, int64_t n_feat, int64_t k, float *out);

#endif
