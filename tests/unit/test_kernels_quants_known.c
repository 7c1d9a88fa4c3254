/*
 * Block formats from first principles, independent of the ggml vectors: blocks worked out by hand
 * (quantizing small ramps and constants, decoding hand-packed scale and high-bit layouts), and
 * round-trip error bounds on normal data for every type.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/quants.h"
#include "kernels/quants_rows.h"
#include "testkit.h"

static void assert_floats(const float *got, const float *want, int n, const char *what) {
    for (int i = 0; i < n; i++) {
        if (got[i] != want[i]) fail_msg("%s: element %d is %.9g, want %.9g", what, i, (double)got[i], (double)want[i]);
    }
}

/* ---- quantizing by hand ---------------------------------------------------------------------- */

/* 0..31: amax 31, d = 31/127 -> half 0x33D0 = 0.244140625; q = round(j * 127/31), and j*127/31
 * is never within 1/62 of a tie, so float rounding cannot move it. */
static void test_q8_0_ramp(void **state) {
    (void)state;
    float x[32], y[32], want[32];
    for (int j = 0; j < 32; j++) x[j] = (float)j;
    g4_block_q8_0 b;
    g4_quantize_row(G4_TYPE_Q8_0, x, &b, 32);
    assert_int_equal(b.d, 0x33D0);
    for (int j = 0; j < 32; j++) {
        int q = (254 * j + 31) / 62; /* floor(j * 127/31 + 1/2) */
        assert_int_equal(b.qs[j], q);
        want[j] = (float)q * 0.244140625f;
    }
    assert_int_equal(b.qs[1], 4);
    assert_int_equal(b.qs[16], 66);
    assert_int_equal(b.qs[31], 127);
    g4_dequantize_row(G4_TYPE_Q8_0, &b, y, 32);
    assert_floats(y, want, 32, "q8_0 ramp");
}

/* Q8_0 rounds half away from zero (roundf), unlike the K-quants' ties-to-even. amax 127 makes
 * d = 1 exactly. */
static void test_q8_0_ties(void **state) {
    (void)state;
    float x[32] = {-127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 1.5f, 126.5f, -0.49f};
    static const int8_t want[8] = {-127, 3, -3, 1, -1, 2, 127, 0};
    g4_block_q8_0 b;
    g4_quantize_row(G4_TYPE_Q8_0, x, &b, 32);
    assert_int_equal(b.d, 0x3C00);
    for (int j = 0; j < 8; j++) assert_int_equal(b.qs[j], want[j]);
    for (int j = 8; j < 32; j++) assert_int_equal(b.qs[j], 0);
}

/* x_j = j - 16: the extreme -16 (first) sets d = -16 / -8 = 2, so q = trunc(x/2 + 8.5), clipped
 * to 15 at the top. Byte j packs element j (low nibble) with element j + 16 (high). */
static void test_q4_0_ramp(void **state) {
    (void)state;
    float x[32], y[32], want[32];
    for (int j = 0; j < 32; j++) x[j] = (float)(j - 16);
    g4_block_q4_0 b;
    g4_quantize_row(G4_TYPE_Q4_0, x, &b, 32);
    static const uint8_t qs[16] = {0x80, 0x91, 0x91, 0xA2, 0xA2, 0xB3, 0xB3, 0xC4,
                                   0xC4, 0xD5, 0xD5, 0xE6, 0xE6, 0xF7, 0xF7, 0xF8};
    assert_int_equal(b.d, 0x4000);
    assert_memory_equal(b.qs, qs, 16);
    for (int j = 0; j < 32; j++) {
        int q = j / 2 + (j % 2); /* trunc(j/2 + 0.5) */
        want[j] = (float)((q < 15 ? q : 15) - 8) * 2.0f;
    }
    g4_dequantize_row(G4_TYPE_Q4_0, &b, y, 32);
    assert_floats(y, want, 32, "q4_0 ramp");
    assert_true(y[0] == -16.0f && y[31] == 14.0f);
}

/* A constant 1.0 super-block: every sub-block fits exactly with scale 1/15, min 0, codes 15.
 * Scales 63 (top bits in bytes 0-3), mins 0, d = half((1/15)/63) = 0x1456, dmin = 0; decodes to
 * 0x1456 * 63 * 15 = 1048950 / 2^20. */
static void test_q4_K_constant(void **state) {
    (void)state;
    float x[256], y[256];
    for (int i = 0; i < 256; i++) x[i] = 1.0f;
    g4_block_q4_K b;
    g4_quantize_row(G4_TYPE_Q4_K, x, &b, 256);
    static const uint8_t scales[12] = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x0F, 0x0F, 0x0F, 0x0F};
    assert_int_equal(b.d, 0x1456);
    assert_int_equal(b.dmin, 0);
    assert_memory_equal(b.scales, scales, 12);
    for (int i = 0; i < 128; i++) assert_int_equal(b.qs[i], 0xFF);
    g4_dequantize_row(G4_TYPE_Q4_K, &b, y, 256);
    for (int i = 0; i < 256; i++) assert_true(y[i] == 1048950.0f / 1048576.0f);
}

/* x = (i % 16) - 8: max is the first -8, iscale = -127 / -8 = 15.875 (exact), so q = 15.875 * x
 * rounded to nearest even: the ties at x = +-4 (63.5) go to +-64. Each 16-group sums to -127. */
static void test_q8_K_ramp_and_bsums(void **state) {
    (void)state;
    float x[256], y[256];
    for (int i = 0; i < 256; i++) x[i] = (float)(i % 16 - 8);
    static const int8_t q16[16] = {-127, -111, -95, -79, -64, -48, -32, -16, 0, 16, 32, 48, 64, 79, 95, 111};
    g4_block_q8_K b;
    memset(&b, 0x77, sizeof b);
    g4_quantize_row(G4_TYPE_Q8_K, x, &b, 256);
    assert_true(b.d == 1.0f / 15.875f);
    for (int i = 0; i < 256; i++) assert_int_equal(b.qs[i], q16[i % 16]);
    for (int g = 0; g < 16; g++) assert_int_equal(b.bsums[g], -127);
    g4_dequantize_row(G4_TYPE_Q8_K, &b, y, 256);
    for (int i = 0; i < 256; i++) assert_true(y[i] == b.d * (float)q16[i % 16]);

    /* an all-zero block: d = 0, codes 0 and (unlike ggml, which leaves them) bsums 0 */
    memset(x, 0, sizeof x);
    memset(&b, 0x77, sizeof b);
    g4_quantize_row(G4_TYPE_Q8_K, x, &b, 256);
    assert_true(b.d == 0.0f);
    for (int i = 0; i < 256; i++) assert_int_equal(b.qs[i], 0);
    for (int g = 0; g < 16; g++) assert_int_equal(b.bsums[g], 0);
}

/* ---- decoding hand-packed blocks ------------------------------------------------------------- */

/* Q4_K / Q5_K: scales {1,2,3,4,17,33,48,63}, mins {0,1,2,3,16,32,47,62} packed by hand: bytes
 * 0-3 = scale 0-3 | top 2 bits of scale 4-7 << 6, bytes 4-7 likewise for mins, bytes 8-11 = low
 * nibble of scale 4-7 | low nibble of min 4-7 << 4. */
static const uint8_t K_SCALES[12] = {0x41, 0x82, 0xC3, 0xC4, 0x40, 0x81, 0x82, 0xC3, 0x01, 0x01, 0xF0, 0xEF};
static const uint8_t K_SC[8] = {1, 2, 3, 4, 17, 33, 48, 63};
static const uint8_t K_M[8] = {0, 1, 2, 3, 16, 32, 47, 62};

static void test_q4_K_scale_packing(void **state) {
    (void)state;
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        g4_q4k_scale_min(K_SCALES, j, &sc, &m);
        assert_int_equal(sc, K_SC[j]);
        assert_int_equal(m, K_M[j]);
    }
    /* d = 1, dmin = 0.5, every qs byte 0x5A: even sub-blocks decode code 10, odd ones code 5 */
    g4_block_q4_K b;
    b.d = 0x3C00;
    b.dmin = 0x3800;
    memcpy(b.scales, K_SCALES, 12);
    memset(b.qs, 0x5A, sizeof b.qs);
    static const float per_sub[8] = {10, 9.5f, 29, 18.5f, 162, 149, 456.5f, 284}; /* sc*q - m/2 */
    float y[256];
    g4_dequantize_row(G4_TYPE_Q4_K, &b, y, 256);
    for (int i = 0; i < 256; i++) assert_true(y[i] == per_sub[i / 32]);
}

static void test_q5_K_high_bits(void **state) {
    (void)state;
    /* as above, plus qh = 0xAA: bit j of qh[l] is sub-block j's 5th bit, so odd sub-blocks get +16 */
    g4_block_q5_K b;
    b.d = 0x3C00;
    b.dmin = 0x3800;
    memcpy(b.scales, K_SCALES, 12);
    memset(b.qh, 0xAA, sizeof b.qh);
    memset(b.qs, 0x5A, sizeof b.qs);
    static const float per_sub[8] = {10, 41.5f, 29, 82.5f, 162, 677, 456.5f, 1292};
    float y[256];
    g4_dequantize_row(G4_TYPE_Q5_K, &b, y, 256);
    for (int i = 0; i < 256; i++) assert_true(y[i] == per_sub[i / 32]);
}

/* Q3_K: stored scales S_j = 4j + 2 (signed 4j - 30). Low nibbles: bytes 0-7 = S_j | S_{j+8} << 4;
 * top bits: byte 8 + i = S_i>>4 | S_{i+4}>>4 << 2 | S_{i+8}>>4 << 4 | S_{i+12}>>4 << 6 = 0xE4. */
static void test_q3_K_layout(void **state) {
    (void)state;
    static const uint8_t packed[12] = {0x22, 0x66, 0xAA, 0xEE, 0x22, 0x66, 0xAA, 0xEE, 0xE4, 0xE4, 0xE4, 0xE4};
    int8_t sc[16];
    g4_q3k_scales(packed, sc);
    for (int j = 0; j < 16; j++) assert_int_equal(sc[j], 4 * j - 30);

    /* qs = 0x1B: bit pairs 3,2,1,0 for the four 32-element quarters of each half; hmask = 0x0F
     * sets the high bit (no -4) for elements 0..127 only. d = 0.5. */
    g4_block_q3_K b;
    memcpy(b.scales, packed, 12);
    memset(b.qs, 0x1B, sizeof b.qs);
    memset(b.hmask, 0x0F, sizeof b.hmask);
    b.d = 0x3800;
    float y[256];
    g4_dequantize_row(G4_TYPE_Q3_K, &b, y, 256);
    for (int e = 0; e < 256; e++) {
        int q = 3 - (e % 128) / 32 - (e < 128 ? 0 : 4);
        assert_true(y[e] == 0.5f * (float)(4 * (e / 16) - 30) * (float)q);
    }
    assert_true(y[0] == -45.0f && y[40] == -22.0f && y[130] == -1.0f && y[200] == -27.0f && y[255] == -60.0f);
}

/* Q6_K: ql = 0x31 (low nibble 1, high 3), qh = 0xE4 (top bits 0,1,2,3 for the four quarters):
 * codes 1, 17, 35, 51 -> minus 32: -31, -15, 3, 19. d = 0.25, scales alternate +-(1..8). */
static void test_q6_K_layout(void **state) {
    (void)state;
    static const int8_t scales[16] = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8};
    static const int codes[4] = {-31, -15, 3, 19};
    g4_block_q6_K b;
    memset(b.ql, 0x31, sizeof b.ql);
    memset(b.qh, 0xE4, sizeof b.qh);
    memcpy(b.scales, scales, 16);
    b.d = 0x3400;
    float y[256];
    g4_dequantize_row(G4_TYPE_Q6_K, &b, y, 256);
    for (int e = 0; e < 256; e++) assert_true(y[e] == 0.25f * (float)scales[e / 16] * (float)codes[(e % 128) / 32]);
    assert_true(y[0] == -7.75f && y[16] == 7.75f && y[40] == -7.5f && y[70] == 2.25f);
    assert_true(y[127] == -19.0f && y[200] == 5.25f && y[255] == -38.0f);
}

/* Q2_K: scale byte s = s | (15 - s) << 4 (4-bit scale s, min 15 - s), qs = 0x1B, d = 0.5,
 * dmin = 0.25: x = 0.5 * s * q - 0.25 * (15 - s). */
static void test_q2_K_layout(void **state) {
    (void)state;
    static const uint8_t scales[16] = {0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x96, 0x87,
                                       0x78, 0x69, 0x5A, 0x4B, 0x3C, 0x2D, 0x1E, 0x0F};
    g4_block_q2_K b;
    memcpy(b.scales, scales, 16);
    memset(b.qs, 0x1B, sizeof b.qs);
    b.d = 0x3800;
    b.dmin = 0x3400;
    float y[256];
    g4_dequantize_row(G4_TYPE_Q2_K, &b, y, 256);
    for (int e = 0; e < 256; e++) {
        int s = e / 16, q = 3 - (e % 128) / 32;
        assert_true(y[e] == 0.5f * (float)s * (float)q - 0.25f * (float)(15 - s));
    }
    assert_true(y[0] == -3.75f && y[40] == -1.25f && y[200] == 5.25f && y[255] == 0.0f);
}

/* Legacy 5-bit: qs = 0x21 everywhere; qh sets bit 0 (element 0) and bit 16 (element 16) only. */
static void test_legacy_layouts(void **state) {
    (void)state;
    float y[32];
    g4_block_q5_0 b50;
    b50.d = 0x3800; /* 0.5 */
    memset(b50.qs, 0x21, sizeof b50.qs);
    memcpy(b50.qh, (uint8_t[4]){0x01, 0x00, 0x01, 0x00}, 4);
    g4_dequantize_row(G4_TYPE_Q5_0, &b50, y, 32);
    for (int j = 0; j < 32; j++) {
        float want = j == 0 ? 0.5f : j < 16 ? -7.5f : j == 16 ? 1.0f : -7.0f; /* (q - 16) / 2 */
        assert_true(y[j] == want);
    }
    g4_block_q5_1 b51;
    b51.d = 0x3800;
    b51.m = 0xBC00; /* -1 */
    memset(b51.qs, 0x21, sizeof b51.qs);
    memcpy(b51.qh, (uint8_t[4]){0x01, 0x00, 0x01, 0x00}, 4);
    g4_dequantize_row(G4_TYPE_Q5_1, &b51, y, 32);
    for (int j = 0; j < 32; j++) {
        float want = j == 0 ? 7.5f : j < 16 ? -0.5f : j == 16 ? 8.0f : 0.0f; /* q / 2 - 1 */
        assert_true(y[j] == want);
    }
    g4_block_q4_1 b41;
    b41.d = 0x3400; /* 0.25 */
    b41.m = 0x3C00; /* 1 */
    memset(b41.qs, 0xF3, sizeof b41.qs);
    g4_dequantize_row(G4_TYPE_Q4_1, &b41, y, 32);
    for (int j = 0; j < 32; j++) assert_true(y[j] == (j < 16 ? 1.75f : 4.75f));
}

/* ---- round trip ------------------------------------------------------------------------------- */

typedef struct {
    g4_type type;
    const char *name;
    double max_rel_rmse; /* RMSE of dequantize(quantize(x)) - x over RMS of x, x ~ N(0, 1) */
} error_bound;

/* Measured on this data (in parentheses) with about 10-15% headroom; a search that regresses
 * (or a packing bug) shows up well above these. */
static const error_bound BOUNDS[] = {
    {G4_TYPE_F16, "f16", 0.00025},  /* (0.00020) */
    {G4_TYPE_BF16, "bf16", 0.0019}, /* (0.00167) */
    {G4_TYPE_Q8_0, "q8_0", 0.0062}, /* (0.0053) */
    {G4_TYPE_Q8_K, "q8_K", 0.0080}, /* (0.0069) */
    {G4_TYPE_Q6_K, "q6_K", 0.0200}, /* (0.0177) */
    {G4_TYPE_Q5_K, "q5_K", 0.0410}, /* (0.0358) */
    {G4_TYPE_Q5_1, "q5_1", 0.0430}, /* (0.0374) */
    {G4_TYPE_Q5_0, "q5_0", 0.0480}, /* (0.0422) */
    {G4_TYPE_Q4_K, "q4_K", 0.0810}, /* (0.0712) */
    {G4_TYPE_Q4_1, "q4_1", 0.0880}, /* (0.0777) */
    {G4_TYPE_Q4_0, "q4_0", 0.0960}, /* (0.0850) */
    {G4_TYPE_Q3_K, "q3_K", 0.1700}, /* (0.1504) */
    {G4_TYPE_Q2_K, "q2_K", 0.3300}, /* (0.2956) */
};

static void test_round_trip_error(void **state) {
    (void)state;
    enum { N = 256 * 64 };
    float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
    void *q = malloc(N * sizeof(float));
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(q);
    g4t_rng rng;
    g4t_rng_seed(&rng, 2024);
    double sum_x2 = 0;
    for (int i = 0; i < N; i++) {
        x[i] = g4t_rng_normal(&rng);
        sum_x2 += (double)x[i] * x[i];
    }
    double prev = 0;
    for (size_t t = 0; t < sizeof BOUNDS / sizeof BOUNDS[0]; t++) {
        g4_quantize_row(BOUNDS[t].type, x, q, N);
        g4_dequantize_row(BOUNDS[t].type, q, y, N);
        double sum_e2 = 0;
        for (int i = 0; i < N; i++) sum_e2 += ((double)y[i] - x[i]) * ((double)y[i] - x[i]);
        double rel = sqrt(sum_e2 / sum_x2);
        print_message("%-5s relative RMSE %.5f (bound %.5f)\n", BOUNDS[t].name, rel, BOUNDS[t].max_rel_rmse);
        if (!(rel <= BOUNDS[t].max_rel_rmse)) {
            fail_msg("%s: relative RMSE %.5f above its bound %.5f", BOUNDS[t].name, rel, BOUNDS[t].max_rel_rmse);
        }
        /* the list is ordered by precision: fewer bits never does better here */
        assert_true(rel >= prev * 0.9);
        prev = rel;
    }
    /* an all-zero row decodes to zeros in every format */
    memset(x, 0, N * sizeof(float));
    for (size_t t = 0; t < sizeof BOUNDS / sizeof BOUNDS[0]; t++) {
        g4_quantize_row(BOUNDS[t].type, x, q, N);
        g4_dequantize_row(BOUNDS[t].type, q, y, N);
        for (int i = 0; i < N; i++) {
            if (y[i] != 0.0f) fail_msg("%s: zero row decodes to %g at %d", BOUNDS[t].name, (double)y[i], i);
        }
    }
    free(x);
    free(y);
    free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_q8_0_ramp),           cmocka_unit_test(test_q8_0_ties),
        cmocka_unit_test(test_q4_0_ramp),           cmocka_unit_test(test_q4_K_constant),
        cmocka_unit_test(test_q8_K_ramp_and_bsums), cmocka_unit_test(test_q4_K_scale_packing),
        cmocka_unit_test(test_q5_K_high_bits),      cmocka_unit_test(test_q3_K_layout),
        cmocka_unit_test(test_q6_K_layout),         cmocka_unit_test(test_q2_K_layout),
        cmocka_unit_test(test_legacy_layouts),      cmocka_unit_test(test_round_trip_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
