/* The patch-grid rearrangements (kernels/patch_grid.h):
 *
 *  - g4_im2col_patches against its definition, element by element, for 3 x 16 x 16 patches of an
 *    image of whole patches and of one with left-over pixels (ignored), one patch, 1 x 1 patches
 *    (the identity up to layout) and one channel; nothing written on bad sizes;
 *  - the reason it exists: im2col rows times a kernel stored [out][c][p][p] through g4_matmul
 *    (F32 and F16 weights) equals a stride-p convolution computed directly in double, within
 *    8 eps sum |terms| (F32) and the f16 roundings (F16, 2^-10 sum |terms|);
 *  - g4_avg_pool_patches against the mean in double (within 2 k^2 eps mean|x| + eps |mean|), exact
 *    on integer data where every sum and the division are exact, k = 1 bit-identical to the input,
 *    a grid that is not a multiple of k (edge dropped), one output token; nothing written on bad sizes.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/matmul.h"
#include "kernels/patch_grid.h"
#include "kernels/quants.h"
#include "testkit.h"

static float *random_floats(int64_t n, g4t_rng *r) {
    float *x = malloc(sizeof(float) * (size_t)n);
    assert_non_null(x);
    for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_uniform(r, -1.0f, 1.0f);
    return x;
}

/* ---- im2col ----------------------------------------------------------------------------------- */

static void check_im2col(int64_t c, int64_t h, int64_t w, int64_t p, g4t_rng *r) {
    const int64_t nx = w / p, ny = h / p, row = c * p * p;
    float *img = random_floats(c * h * w, r);
    float *out = malloc(sizeof(float) * (size_t)(nx * ny * row + 1));
    assert_non_null(out);
    out[nx * ny * row] = 777.0f; /* one past the end: must stay */
    assert_int_equal(g4_im2col_patches(img, c, h, w, p, out), nx * ny);
    for (int64_t t = 0; t < nx * ny; t++)
        for (int64_t i = 0; i < row; i++) {
            const int64_t ch = i / (p * p), ky = i / p % p, kx = i % p;
            const float want = img[(ch * h + (t / nx) * p + ky) * w + (t % nx) * p + kx];
            if (out[t * row + i] != want)
                fail_msg("im2col %lldx%lldx%lld p %lld: patch %lld elem %lld = %g, want %g", (long long)c, (long long)h,
                         (long long)w, (long long)p, (long long)t, (long long)i, (double)out[t * row + i],
                         (double)want);
        }
    assert_true(out[nx * ny * row] == 777.0f);
    free(img);
    free(out);
}

static void test_im2col(void **state) {
    (void)state;
    g4t_rng r;
    g4t_rng_seed(&r, 16);
    check_im2col(3, 48, 64, 16, &r); /* 4 x 3 patches */
    check_im2col(3, 50, 37, 16, &r); /* left-over pixels on both axes: 2 x 3 patches */
    check_im2col(3, 16, 16, 16, &r); /* one patch */
    check_im2col(2, 5, 7, 1, &r);    /* 1 x 1 patches */
    check_im2col(1, 9, 6, 3, &r);    /* one channel */
    float img[4] = {1, 2, 3, 4}, out[4] = {9, 9, 9, 9};
    assert_int_equal(g4_im2col_patches(img, 1, 2, 2, 3, out), 0); /* smaller than a patch */
    assert_int_equal(g4_im2col_patches(img, 0, 2, 2, 1, out), 0);
    assert_int_equal(g4_im2col_patches(img, 1, -2, 2, 1, out), 0);
    assert_int_equal(g4_im2col_patches(img, 1, 2, 2, 0, out), 0);
    for (int i = 0; i < 4; i++) assert_true(out[i] == 9.0f);
}

/* im2col + g4_matmul against the direct convolution in double. */
static void check_conv(g4_type type, double rel) {
    enum { C = 3, P = 16, H = 48, W = 32, E = 24 };
    const int64_t nx = W / P, ny = H / P, n = nx * ny, row = C * P * P;
    g4t_rng r;
    g4t_rng_seed(&r, 1616);
    float *img = random_floats(C * H * W, &r), *kern = random_floats(E * row, &r);
    size_t rb = 0;
    assert_true(g4_type_row_bytes(type, row, &rb));
    uint8_t *wdata = malloc(rb * E);
    float *cols = malloc(sizeof(float) * (size_t)(n * row)), *y = malloc(sizeof(float) * (size_t)(n * E));
    void *scratch = malloc(g4_matmul_scratch_bytes(type, row, n));
    assert_true(wdata && cols && y && scratch);
    for (int64_t o = 0; o < E; o++) g4_quantize_row(type, kern + o * row, wdata + (size_t)o * rb, row);
    const g4_matrix wm = {type, row, E, rb, wdata};
    assert_int_equal(g4_im2col_patches(img, C, H, W, P, cols), n);
    g4_matmul(&wm, cols, n, y, scratch, NULL);
    for (int64_t t = 0; t < n; t++)
        for (int64_t o = 0; o < E; o++) {
            double want = 0.0, mag = 0.0;
            for (int64_t c = 0; c < C; c++)
                for (int64_t ky = 0; ky < P; ky++)
                    for (int64_t kx = 0; kx < P; kx++) {
                        const double term = (double)img[(c * H + (t / nx) * P + ky) * W + (t % nx) * P + kx] *
                                            kern[o * row + (c * P + ky) * P + kx];
                        want += term;
                        mag += fabs(term);
                    }
            if (!(fabs(y[t * E + o] - want) <= rel * mag))
                fail_msg("%s conv: patch %lld out %lld = %.9g, want %.9g (bound %.3g)", g4_type_name(type),
                         (long long)t, (long long)o, (double)y[t * E + o], want, rel * mag);
        }
    free(img);
    free(kern);
    free(wdata);
    free(cols);
    free(y);
    free(scratch);
}

static void test_im2col_matmul_is_the_convolution(void **state) {
    (void)state;
    check_conv(G4_TYPE_F32, 8 * FLT_EPSILON);
    check_conv(G4_TYPE_F16, 1.0 / 1024.0); /* weights and pixels each rounded to f16: 2 x 2^-11 */
}

/* ---- average pooling -------------------------------------------------------------------------- */

static void check_pool(const float *x, int64_t gx, int64_t gy, int64_t f, int64_t k, int exact) {
    const int64_t ox = gx / k, oy = gy / k;
    float *out = malloc(sizeof(float) * (size_t)(ox * oy * f + 1));
    assert_non_null(out);
    out[ox * oy * f] = 777.0f;
    assert_int_equal(g4_avg_pool_patches(x, gx, gy, f, k, out), ox * oy);
    for (int64_t t = 0; t < ox * oy; t++)
        for (int64_t e = 0; e < f; e++) {
            double sum = 0.0, mag = 0.0;
            for (int64_t ky = 0; ky < k; ky++)
                for (int64_t kx = 0; kx < k; kx++) {
                    const double v = x[(((t / ox) * k + ky) * gx + (t % ox) * k + kx) * f + e];
                    sum += v;
                    mag += fabs(v);
                }
            const double want = sum / (double)(k * k), mean_abs = mag / (double)(k * k);
            /* an f32 sum of k^2 terms is off by at most (k^2 - 1) eps sum|x|, the division by eps */
            const double bound =
                exact ? 0.0 : 2.0 * (double)(k * k) * FLT_EPSILON * mean_abs + FLT_EPSILON * fabs(want);
            if (!(fabs(out[t * f + e] - want) <= bound))
                fail_msg("pool %lldx%lld k %lld: token %lld feat %lld = %.9g, want %.9g (bound %.3g)", (long long)gx,
                         (long long)gy, (long long)k, (long long)t, (long long)e, (double)out[t * f + e], want, bound);
        }
    assert_true(out[ox * oy * f] == 777.0f);
    free(out);
}

static void test_avg_pool(void **state) {
    (void)state;
    g4t_rng r;
    g4t_rng_seed(&r, 33);
    const int64_t grids[][3] = {{12, 9, 3}, {42, 60, 3}, {7, 5, 3}, {3, 3, 3}, {8, 6, 2}, {5, 4, 1}};
    for (size_t i = 0; i < sizeof grids / sizeof grids[0]; i++) {
        const int64_t gx = grids[i][0], gy = grids[i][1], k = grids[i][2], f = 37;
        float *x = random_floats(gx * gy * f, &r);
        check_pool(x, gx, gy, f, k, 0);
        if (k == 1) { /* the identity */
            float *out = malloc(sizeof(float) * (size_t)(gx * gy * f));
            assert_int_equal(g4_avg_pool_patches(x, gx, gy, f, 1, out), gx * gy);
            assert_memory_equal(out, x, sizeof(float) * (size_t)(gx * gy * f));
            free(out);
        }
        /* small integers: every sum exact, and a 2 x 2 mean is a division by 4 */
        for (int64_t j = 0; j < gx * gy * f; j++) x[j] = (float)(int)(g4t_rng_uniform(&r, -100.0f, 100.0f));
        if (k == 2) check_pool(x, gx, gy, f, k, 1);
        free(x);
    }
    float x[4] = {1, 2, 3, 4}, out[4] = {9, 9, 9, 9};
    assert_int_equal(g4_avg_pool_patches(x, 2, 2, 1, 3, out), 0); /* grid smaller than k */
    assert_int_equal(g4_avg_pool_patches(x, 2, 2, 1, 0, out), 0);
    assert_int_equal(g4_avg_pool_patches(x, 0, 2, 1, 1, out), 0);
    assert_int_equal(g4_avg_pool_patches(x, 2, 2, -1, 1, out), 0);
    for (int i = 0; i < 4; i++) assert_true(out[i] == 9.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_im2col),
        cmocka_unit_test(test_im2col_matmul_is_the_convolution),
        cmocka_unit_test(test_avg_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
