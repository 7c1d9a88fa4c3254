/* Two-axis RoPE (g4_rope_2d_neox, kernels/ops.h), the vision transformer's:
 *
 *  - the pairing spelled out on a head of 8: dims (0, 2) and (1, 3) turn by pos_x and pos_x / 10
 *    (base 100, n = 4), dims (4, 6) and (5, 7) by pos_y and pos_y / 10;
 *  - bit-identical to g4_rope_neox on each half of each head (which is how llama.cpp's gemma4v
 *    graph builds it: two NEOX ropes of n_dims = head_dim / 2, the second at offset head_dim / 2),
 *    for head_dim 64 (E2B) and 72 and small odd shapes, 1 and 12 heads, grid positions 0..120;
 *  - against the rotation computed in double with angle pos * base^(-2i/n) by pow:
 *      |got - want| <= 4 FLT_EPSILON (1 + (i + 2) angle_i) (|x_i| + |x_{i+n/2}|)
 *    per element of pair i: the f32 angle is built by i multiplications (ggml's recurrence), each
 *    rounding it by eps relative, and an angle error of delta moves the pair by delta |x|;
 *  - every kernel table carries the scalar function (rope has no SIMD version: a sine and cosine
 *    per pair, computed once per token for all heads).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "testkit.h"

static void test_pairing_on_a_small_head(void **state) {
    (void)state;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    g4_rope_2d_neox(x, 1, 8, 3, 5, 100.0f);
    const double ax[2] = {3.0, 0.3}, ay[2] = {5.0, 0.5};
    const double in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    double want[8];
    for (int i = 0; i < 2; i++) {
        want[i] = in[i] * cos(ax[i]) - in[i + 2] * sin(ax[i]);
        want[i + 2] = in[i] * sin(ax[i]) + in[i + 2] * cos(ax[i]);
        want[4 + i] = in[4 + i] * cos(ay[i]) - in[6 + i] * sin(ay[i]);
        want[6 + i] = in[4 + i] * sin(ay[i]) + in[6 + i] * cos(ay[i]);
    }
    for (int d = 0; d < 8; d++)
        if (fabs(x[d] - want[d]) > 1e-5) fail_msg("dim %d: %.9g, want %.9g", d, (double)x[d], want[d]);
    /* position (0, 0) is the identity */
    float y[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    g4_rope_2d_neox(y, 1, 8, 0, 0, 100.0f);
    for (int d = 0; d < 8; d++) assert_true(y[d] == (float)in[d]);
}

typedef struct shape {
    int64_t n_head, head_dim;
} shape;

static const shape k_shapes[] = {{12, 64}, {1, 64}, {4, 72}, {3, 20}, {2, 6}, {1, 4}};
#define N_SHAPES (sizeof k_shapes / sizeof k_shapes[0])

static void test_against_rope_neox_and_double(void **state) {
    (void)state;
    g4t_rng r;
    g4t_rng_seed(&r, 2026);
    const int64_t positions[][2] = {{0, 0}, {1, 0}, {0, 1}, {7, 3}, {39, 27}, {119, 2}, {63, 120}};
    double worst = 0.0;
    for (size_t si = 0; si < N_SHAPES; si++) {
        const int64_t nh = k_shapes[si].n_head, hd = k_shapes[si].head_dim, n = hd / 2, half = n / 2;
        float *x = malloc(sizeof(float) * (size_t)(nh * hd)), *got = malloc(sizeof(float) * (size_t)(nh * hd));
        float *ref = malloc(sizeof(float) * (size_t)(nh * hd));
        assert_true(x && got && ref);
        for (size_t pi = 0; pi < sizeof positions / sizeof positions[0]; pi++) {
            const int64_t px = positions[pi][0], py = positions[pi][1];
            for (int64_t i = 0; i < nh * hd; i++) x[i] = g4t_rng_normal(&r);
            memcpy(got, x, sizeof(float) * (size_t)(nh * hd));
            memcpy(ref, x, sizeof(float) * (size_t)(nh * hd));
            g4_rope_2d_neox(got, nh, hd, px, py, 100.0f);
            for (int64_t h = 0; h < nh; h++) {
                g4_rope_neox(ref + h * hd, n, n, px, 100.0f, NULL);
                g4_rope_neox(ref + h * hd + n, n, n, py, 100.0f, NULL);
            }
            if (memcmp(got, ref, sizeof(float) * (size_t)(nh * hd)) != 0)
                fail_msg("%lld heads of %lld at (%lld, %lld): not g4_rope_neox's bits on the halves", (long long)nh,
                         (long long)hd, (long long)px, (long long)py);
            for (int64_t h = 0; h < nh; h++)
                for (int axis = 0; axis < 2; axis++) {
                    const int64_t base_d = h * hd + axis * n, pos = axis ? py : px;
                    for (int64_t i = 0; i < half; i++) {
                        const double angle = (double)pos * pow(100.0, -2.0 * (double)i / (double)n);
                        const double a = x[base_d + i], b = x[base_d + i + half];
                        const double w0 = a * cos(angle) - b * sin(angle), w1 = a * sin(angle) + b * cos(angle);
                        const double bound = 4.0 * FLT_EPSILON * (1.0 + (double)(i + 2) * angle) * (fabs(a) + fabs(b));
                        const double e0 = fabs(got[base_d + i] - w0), e1 = fabs(got[base_d + i + half] - w1);
                        if (!(e0 <= bound && e1 <= bound))
                            fail_msg("%lld x %lld at (%lld, %lld), head %lld axis %d pair %lld: (%.9g, %.9g), want "
                                     "(%.9g, %.9g), bound %.3g",
                                     (long long)nh, (long long)hd, (long long)px, (long long)py, (long long)h, axis,
                                     (long long)i, (double)got[base_d + i], (double)got[base_d + i + half], w0, w1,
                                     bound);
                        if (e0 / bound > worst) worst = e0 / bound;
                        if (e1 / bound > worst) worst = e1 / bound;
                    }
                    /* an odd half leaves its last dim alone */
                    if (n % 2) assert_true(got[base_d + n - 1] == x[base_d + n - 1]);
                }
        }
        free(x);
        free(got);
        free(ref);
    }
    print_message("rope_2d_neox vs double: worst error / bound %.3f\n", worst);
}

static void test_tables_carry_it(void **state) {
    (void)state;
    const char *const names[] = {"scalar", "avx2", "neon", "neon-dotprod"};
    assert_ptr_equal(g4_kernels_scalar()->rope_2d_neox, g4_rope_2d_neox);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const g4_kernels *k = g4_kernels_by_name(names[i]);
        if (k) assert_ptr_equal(k->rope_2d_neox, g4_rope_2d_neox);
    }
    /* nothing to rotate: no heads, or a head of one dim */
    float x[2] = {1.0f, 2.0f};
    g4_rope_2d_neox(x, 0, 64, 5, 5, 100.0f);
    g4_rope_2d_neox(x, 2, 1, 5, 5, 100.0f);
    assert_true(x[0] == 1.0f && x[1] == 2.0f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairing_on_a_small_head),
        cmocka_unit_test(test_against_rope_neox_and_double),
        cmocka_unit_test(test_tables_carry_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
