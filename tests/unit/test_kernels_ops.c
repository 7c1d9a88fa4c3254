/* Vector ops against hand-computed values and straightforward double-precision formulas.
 *
 * Tolerances (|got - want| <= ...), all against the double formula:
 *   rmsnorm   4e-7 * |want| + 1e-30   (a few f32 roundings: mean, sqrt, two multiplies)
 *   softmax   1e-6 * |want| + 1e-12   (expf ~1 ulp, then one multiply)
 *   gelu      2e-6 * |want| + 1e-7    (tanhf ~1-2 ulp; absolute part near the zero of gelu)
 *   softcap   1e-6 * cap              (tanhf and two multiplies)
 *   rope      see test_rope_matches_direct_formula: the angle recurrence ggml uses loses a few
 *             ulps per pair, so the error grows with pos.
 */
#include <math.h>
#include <string.h>

#include "kernels/ops.h"
#include "kernels/quants.h"
#include "testkit.h"

static void assert_close(double got, double want, double tol, const char *what, int64_t i) {
    if (!(fabs(got - want) <= tol))
        fail_msg("%s[%lld]: got %.9g want %.9g (tolerance %.3g)", what, (long long)i, got, want, tol);
}

/* ---- rmsnorm ---- */

static void test_rmsnorm_hand(void **state) {
    (void)state;
    /* mean of squares (1 + 4 + 9 + 16) / 4 = 7.5, eps 0.5: scale 1/sqrt(8) */
    const float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 2, 0.5f};
    float out[4];
    g4_rmsnorm(out, x, w, 4, 0.5f);
    const double s = 1.0 / sqrt(8.0);
    const double want[4] = {1 * s, 2 * s, 3 * s * 2, 4 * s * 0.5};
    for (int i = 0; i < 4; i++) assert_close(out[i], want[i], 1e-7, "rmsnorm", i);
    /* no weight, in place */
    float y[4] = {1, 2, 3, 4};
    g4_rmsnorm(y, y, NULL, 4, 0.5f);
    for (int i = 0; i < 4; i++) assert_close(y[i], (i + 1) * s, 1e-7, "rmsnorm in place", i);
}

static void test_rmsnorm_random(void **state) {
    (void)state;
    enum { N = 1536 };
    static float x[N], w[N], out[N];
    g4t_rng r;
    g4t_rng_seed(&r, 11);
    for (int i = 0; i < N; i++) {
        x[i] = 3.0f * g4t_rng_normal(&r);
        w[i] = g4t_rng_uniform(&r, -2, 2);
    }
    g4_rmsnorm(out, x, w, N, 1e-6f);
    double ss = 0;
    for (int i = 0; i < N; i++) ss += (double)x[i] * x[i];
    const double scale = 1.0 / sqrt(ss / N + 1e-6);
    for (int i = 0; i < N; i++) {
        double want = x[i] * scale * w[i];
        assert_close(out[i], want, 4e-7 * fabs(want) + 1e-30, "rmsnorm", i);
    }
}

/* ---- rope ---- */

static void test_rope_hand(void **state) {
    (void)state;
    /* 4 dims, all rotated, base 10000: pair 0 turns by pos, pair 1 by pos * 10000^(-1/2) = pos/100 */
    float x[4] = {1, 2, 3, 4};
    g4_rope_neox(x, 4, 4, 2, 10000.0f, NULL);
    const double a0 = 2.0, a1 = 0.02;
    const double want[4] = {1 * cos(a0) - 3 * sin(a0), 2 * cos(a1) - 4 * sin(a1), 1 * sin(a0) + 3 * cos(a0),
                            2 * sin(a1) + 4 * cos(a1)};
    for (int i = 0; i < 4; i++) assert_close(x[i], want[i], 1e-6, "rope", i);

    /* position 0 is the identity */
    float y[6] = {1, -2, 3, -4, 5, -6}, y0[6];
    memcpy(y0, y, sizeof y);
    g4_rope_neox(y, 6, 4, 0, 10000.0f, NULL);
    assert_memory_equal(y, y0, sizeof y);
}

/* The angle recurrence exactly as ggml's rope cache computes it (ggml-cpu/ops.cpp): our kernel must
 * produce the very same bits. */
static void rope_ggml_recurrence(float *x, int64_t n_dims, int64_t n_rot, int64_t pos, float base, const float *ff) {
    (void)n_dims;
    const float theta_scale = powf(base, -2.0f / (float)n_rot);
    float theta = (float)pos;
    for (int64_t i0 = 0; i0 < n_rot; i0 += 2) {
        const float f = ff ? ff[i0 / 2] : 1.0f;
        const float t = 1.0f * (theta / f);
        const float c = cosf(t) * 1.0f, s = sinf(t) * 1.0f;
        const int64_t ic = i0 / 2;
        const float x0 = x[ic], x1 = x[ic + n_rot / 2];
        x[ic] = x0 * c - x1 * s;
        x[ic + n_rot / 2] = x0 * s + x1 * c;
        theta *= theta_scale;
    }
}

static void make_head(g4t_rng *r, float *x, float *ff, int64_t n_dims, int64_t n_rot) {
    for (int64_t i = 0; i < n_dims; i++) x[i] = g4t_rng_normal(r);
    for (int64_t i = 0; i < n_rot / 2; i++) {
        /* Gemma 4's "proportional" global RoPE: ordinary factors for the first pairs, a huge factor
         * (no rotation) for the rest */
        ff[i] = i < n_rot / 8 ? g4t_rng_uniform(r, 1.0f, 4.0f) : 1e30f;
    }
}

static void test_rope_matches_ggml_recurrence(void **state) {
    (void)state;
    enum { D = 256 };
    float x[D], ff[D / 2], got[D], want[D];
    g4t_rng r;
    g4t_rng_seed(&r, 5);
    const int64_t positions[] = {0, 1, 7, 100, 4095, 32768, 131071};
    for (int use_ff = 0; use_ff < 2; use_ff++)
        for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
            const int64_t n_rot = use_ff ? D : D / 2;
            make_head(&r, x, ff, D, n_rot);
            memcpy(got, x, sizeof x);
            memcpy(want, x, sizeof x);
            g4_rope_neox(got, D, n_rot, positions[p], use_ff ? 1e6f : 1e4f, use_ff ? ff : NULL);
            rope_ggml_recurrence(want, D, n_rot, positions[p], use_ff ? 1e6f : 1e4f, use_ff ? ff : NULL);
            assert_memory_equal(got, want, sizeof got);
        }
}

/* Against the textbook formula in double: pair i turns by pos * base^(-2i/n_rot) / ff[i]. The f32
 * angle recurrence is off by up to ~ (i + 2) * 2^-24 relative, i.e. an absolute angle error that
 * grows with pos; the tolerance is that bound times the pair's magnitude. */
static void test_rope_matches_direct_formula(void **state) {
    (void)state;
    enum { D = 256, NROT = 128 };
    float x[D], ff[NROT / 2], got[D];
    g4t_rng r;
    g4t_rng_seed(&r, 6);
    const int64_t positions[] = {1, 3, 50, 1000, 8191};
    const float base = 10000.0f;
    for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
        const int64_t pos = positions[p];
        make_head(&r, x, ff, D, NROT);
        for (int i = 0; i < NROT / 2; i++) ff[i] = g4t_rng_uniform(&r, 1.0f, 8.0f);
        ff[NROT / 2 - 1] = 1e30f;
        memcpy(got, x, sizeof x);
        g4_rope_neox(got, D, NROT, pos, base, ff);
        for (int i = 0; i < NROT / 2; i++) {
            const double angle = (double)pos * pow(base, -2.0 * i / NROT) / ff[i];
            const double x0 = x[i], x1 = x[i + NROT / 2];
            const double mag = fabs(x0) + fabs(x1);
            const double angle_err = fabs(angle) * (i + 4) * 6e-8 + 1e-7; /* f32 recurrence + cosf/sinf */
            const double tol = mag * (angle_err + 4e-7);
            assert_close(got[i], x0 * cos(angle) - x1 * sin(angle), tol, "rope x0", i);
            assert_close(got[i + NROT / 2], x0 * sin(angle) + x1 * cos(angle), tol, "rope x1", i);
        }
        /* the unrotated pair (factor 1e30) and the dims past n_rot are untouched */
        assert_true(fabsf(got[NROT / 2 - 1] - x[NROT / 2 - 1]) <= 1e-6f * fabsf(x[NROT / 2 - 1]) + 1e-30f);
        assert_memory_equal(got + NROT, x + NROT, (D - NROT) * sizeof(float));
    }
}

/* ---- softmax ---- */

static void test_softmax_hand(void **state) {
    (void)state;
    float x[3] = {0.0f, logf(2.0f), logf(4.0f)};
    g4_softmax(x, 3);
    assert_close(x[0], 1.0 / 7, 1e-7, "softmax", 0);
    assert_close(x[1], 2.0 / 7, 1e-7, "softmax", 1);
    assert_close(x[2], 4.0 / 7, 1e-7, "softmax", 2);

    /* large inputs do not overflow; -inf entries get exactly 0 */
    float y[4] = {1000.0f, -INFINITY, 1000.0f, -INFINITY};
    g4_softmax(y, 4);
    assert_true(y[0] == 0.5f && y[2] == 0.5f && y[1] == 0.0f && y[3] == 0.0f);

    /* nothing to attend to: zeros, not NaN */
    float z[3] = {-INFINITY, -INFINITY, -INFINITY};
    g4_softmax(z, 3);
    for (int i = 0; i < 3; i++) assert_true(z[i] == 0.0f);
}

static void test_softmax_random(void **state) {
    (void)state;
    enum { N = 4096 };
    static float x[N], orig[N];
    g4t_rng r;
    g4t_rng_seed(&r, 12);
    for (int i = 0; i < N; i++) orig[i] = x[i] = 8.0f * g4t_rng_normal(&r);
    g4_softmax(x, N);
    double max = -INFINITY, sum = 0, total = 0;
    /* (a plain compare, not fmax: Debian's aarch64 gcc 12 crashes vectorising fmax over a float array) */
    for (int i = 0; i < N; i++)
        if (orig[i] > max) max = orig[i];
    for (int i = 0; i < N; i++) sum += exp((double)orig[i] - max);
    for (int i = 0; i < N; i++) {
        double want = exp((double)orig[i] - max) / sum;
        assert_close(x[i], want, 1e-6 * want + 1e-12, "softmax", i);
        total += x[i];
    }
    assert_close(total, 1.0, 1e-5, "softmax sum", 0);
}

/* ---- gelu ---- */

static double gelu_double(double x) {
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

static void test_gelu_hand(void **state) {
    (void)state;
    assert_true(g4_gelu_tanh(0.0f) == 0.0f);
    assert_close(g4_gelu_tanh(1.0f), 0.841191990607, 1e-6, "gelu(1)", 0);
    assert_close(g4_gelu_tanh(-1.0f), -0.158808009393, 1e-6, "gelu(-1)", 0);
    assert_close(g4_gelu_tanh(3.0f), 2.996363, 1e-5, "gelu(3)", 0);
    /* ggml's cut-offs: 0 at and below -10, identity at and above 10, also for infinities */
    assert_true(g4_gelu_tanh(-10.0f) == 0.0f && g4_gelu_tanh(-INFINITY) == 0.0f);
    assert_true(g4_gelu_tanh(12.5f) == 12.5f && g4_gelu_tanh(INFINITY) == INFINITY);
}

static void test_gelu_random(void **state) {
    (void)state;
    enum { N = 20000 };
    static float x[N], y[N];
    g4t_rng r;
    g4t_rng_seed(&r, 13);
    for (int i = 0; i < N; i++) x[i] = y[i] = g4t_rng_uniform(&r, -9.99f, 9.99f);
    g4_gelu_tanh_inplace(y, N);
    for (int i = 0; i < N; i++) {
        double want = gelu_double(x[i]);
        assert_close(y[i], want, 2e-6 * fabs(want) + 1e-7, "gelu", i);
    }
}

/* How far the exact formula is from ggml's f16 table (input and output rounded to half): within
 * two half-precision roundings, i.e. 2^-10 relative plus the smallest normal half's step. */
static void test_gelu_vs_ggml_f16_table(void **state) {
    (void)state;
    g4t_rng r;
    g4t_rng_seed(&r, 14);
    for (int i = 0; i < 20000; i++) {
        float x = 2.0f * g4t_rng_normal(&r);
        float table = g4_half_to_float(g4_float_to_half(g4_gelu_tanh(g4_half_to_float(g4_float_to_half(x)))));
        float exact = g4_gelu_tanh(x);
        /* d gelu / dx is at most ~1.13, so the input rounding moves the output by <= 1.13 * |x| * 2^-11 */
        double tol = fabs(exact) * 0x1p-11 + 1.13 * fabs(x) * 0x1p-11 + 0x1p-24;
        assert_close(exact, table, tol, "gelu vs f16 table", i);
    }
}

/* ---- softcap ---- */

static void test_softcap(void **state) {
    (void)state;
    float x[5] = {0.0f, 30.0f, -15.0f, 1e6f, -INFINITY};
    g4_softcap(x, 5, 30.0f);
    assert_true(x[0] == 0.0f);
    assert_close(x[1], 30 * tanh(1.0), 3e-5, "softcap", 1);
    assert_close(x[2], 30 * tanh(-0.5), 3e-5, "softcap", 2);
    assert_true(x[3] == 30.0f && x[4] == -30.0f);

    g4t_rng r;
    g4t_rng_seed(&r, 15);
    for (int i = 0; i < 10000; i++) {
        float v = 40.0f * g4t_rng_normal(&r), got = v;
        g4_softcap(&got, 1, 30.0f);
        assert_close(got, 30.0 * tanh(v / 30.0), 1e-6 * 30.0, "softcap random", i);
    }
}

/* ---- get_row ---- */

static void test_get_row_f32_f16(void **state) {
    (void)state;
    const float table[3][4] = {{1, 2, 3, 4}, {-1, 0.5f, 0.25f, 8}, {9, 10, 11, 12}};
    float out[4];
    g4_get_row(G4_TYPE_F32, table, 4, 1, out);
    assert_memory_equal(out, table[1], sizeof out);

    g4_half h[3][4];
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 4; i++) h[r][i] = g4_float_to_half(table[r][i]); /* all exact in half */
    g4_get_row(G4_TYPE_F16, h, 4, 2, out);
    assert_memory_equal(out, table[2], sizeof out);
}

static void test_get_row_q8_0(void **state) {
    (void)state;
    /* 3 rows of 64 values = 2 blocks each; row r block b has scale 0.5 * (r + 1) and quants b * 32 + j - 40 */
    g4_block_q8_0 rows[3][2];
    for (int r = 0; r < 3; r++)
        for (int b = 0; b < 2; b++) {
            rows[r][b].d = g4_float_to_half(0.5f * (float)(r + 1));
            for (int j = 0; j < 32; j++) rows[r][b].qs[j] = (int8_t)(b * 32 + j - 40);
        }
    float out[64];
    g4_get_row(G4_TYPE_Q8_0, rows, 64, 2, out);
    for (int i = 0; i < 64; i++) assert_close(out[i], 1.5 * (i - 40), 0, "get_row q8_0", i);
}

static void test_get_row_rejects_bad_type(void **state) {
    (void)state;
    float data[4] = {1, 2, 3, 4}, out[3];
    g4_get_row(G4_TYPE_Q4_0, data, 3, 0, out); /* 3 is not a whole number of q4_0 blocks */
    for (int i = 0; i < 3; i++) assert_true(isnan(out[i]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rmsnorm_hand),
        cmocka_unit_test(test_rmsnorm_random),
        cmocka_unit_test(test_rope_hand),
        cmocka_unit_test(test_rope_matches_ggml_recurrence),
        cmocka_unit_test(test_rope_matches_direct_formula),
        cmocka_unit_test(test_softmax_hand),
        cmocka_unit_test(test_softmax_random),
        cmocka_unit_test(test_gelu_hand),
        cmocka_unit_test(test_gelu_random),
        cmocka_unit_test(test_gelu_vs_ggml_f16_table),
        cmocka_unit_test(test_softcap),
        cmocka_unit_test(test_get_row_f32_f16),
        cmocka_unit_test(test_get_row_q8_0),
        cmocka_unit_test(test_get_row_rejects_bad_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
