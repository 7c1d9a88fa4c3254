/*
 * Half and bfloat16 conversions: hand-checked edge cases (signed zeros, subnormals, overflow
 * boundaries, rounding ties, inf, NaN payloads), then digests of ggml's own conversions over all
 * 65536 16-bit inputs and a million-float sample (tests/data/quants/conversions.txt). The
 * exhaustive 2^32 comparison is tests/data/quants/check_conversions.c, run by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/quants.h"
#include "testkit.h"

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

typedef struct {
    uint32_t f32;
    uint16_t h;
} pair;

static void test_half_to_float(void **state) {
    (void)state;
    static const pair cases[] = {
        {0x00000000, 0x0000}, /* +0 */
        {0x80000000, 0x8000}, /* -0 */
        {0x3F800000, 0x3C00}, /* 1 */
        {0xC0000000, 0xC000}, /* -2 */
        {0x477FE000, 0x7BFF}, /* 65504, largest half */
        {0x38800000, 0x0400}, /* 2^-14, smallest normal */
        {0x33800000, 0x0001}, /* 2^-24, smallest subnormal */
        {0x387FC000, 0x03FF}, /* largest subnormal, 1023 * 2^-24 */
        {0xB3800000, 0x8001}, /* -2^-24 */
        {0x3EAAA000, 0x3555}, /* 0.333251953125 */
        {0x7F800000, 0x7C00}, /* inf */
        {0xFF800000, 0xFC00}, /* -inf */
        {0x7FC00000, 0x7E00}, /* quiet NaN */
        {0xFFC00000, 0xFE00}, /* negative quiet NaN */
        {0x7FC02000, 0x7C01}, /* signalling NaN: payload kept, comes out quiet (as ggml) */
        {0x7FFFE000, 0x7FFF}, /* all payload bits */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t got = bits_of(g4_half_to_float(cases[i].h));
        if (got != cases[i].f32) fail_msg("half 0x%04x -> 0x%08x, want 0x%08x", cases[i].h, got, cases[i].f32);
    }
}

static void test_float_to_half(void **state) {
    (void)state;
    static const pair cases[] = {
        {0x3F800000, 0x3C00}, /* 1 */
        {0x80000000, 0x8000}, /* -0 keeps its sign */
        {0x3DCCCCCD, 0x2E66}, /* 0.1 */
        {0x477FE000, 0x7BFF}, /* 65504 */
        {0x477FEFFF, 0x7BFF}, /* just below the overflow tie */
        {0x477FF000, 0x7C00}, /* 65520: tie between 65504 (odd) and 65536 -> even = inf */
        {0x47800000, 0x7C00}, /* 65536 */
        {0x7F7FFFFF, 0x7C00}, /* FLT_MAX */
        {0xFF7FFFFF, 0xFC00}, /* -FLT_MAX */
        {0x7F800000, 0x7C00}, /* inf */
        {0xFF800000, 0xFC00}, /* -inf */
        {0x3F801000, 0x3C00}, /* 1 + 2^-11: tie, even neighbour below */
        {0x3F803000, 0x3C02}, /* 1 + 3 * 2^-11: tie, even neighbour above */
        {0x3F801001, 0x3C01}, /* just above a tie */
        {0x3F800FFF, 0x3C00}, /* just below a tie */
        {0x3FFFF000, 0x4000}, /* tie between 0x3FFF (odd) and 2: the carry bumps the exponent */
        {0x38800000, 0x0400}, /* 2^-14 */
        {0x387FC000, 0x03FF}, /* largest subnormal */
        {0x387FE000, 0x0400}, /* tie between 0x3FF (odd) and 0x400 -> smallest normal */
        {0x33800000, 0x0001}, /* 2^-24 */
        {0x33000000, 0x0000}, /* 2^-25: tie between 0 and 2^-24 -> 0 */
        {0x33000001, 0x0001}, /* just above that tie */
        {0x33C00000, 0x0002}, /* 1.5 * 2^-24: tie -> 2 */
        {0x34200000, 0x0002}, /* 2.5 * 2^-24: tie -> 2 */
        {0xB3000001, 0x8001}, /* negative subnormal */
        {0x322BCC77, 0x0000}, /* 1e-8 */
        {0xB22BCC77, 0x8000}, /* -1e-8 */
        {0x00000001, 0x0000}, /* float subnormal */
        {0x7FC00000, 0x7E00}, /* NaN */
        {0xFFC00000, 0xFE00}, /* negative NaN keeps its sign */
        {0x7F800001, 0x7E00}, /* signalling NaN: canonical quiet NaN, payload dropped */
        {0x7FFFFFFF, 0x7E00},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint16_t got = g4_float_to_half(float_of(cases[i].f32));
        if (got != cases[i].h) fail_msg("float 0x%08x -> half 0x%04x, want 0x%04x", cases[i].f32, got, cases[i].h);
    }
}

static void test_bf16(void **state) {
    (void)state;
    static const pair to_float[] = {
        {0x3F800000, 0x3F80}, {0x80000000, 0x8000},
        {0x7F800000, 0x7F80}, {0x7F810000, 0x7F81}, /* a signalling NaN stays as is: widening is a shift */
        {0x00010000, 0x0001},
    };
    for (size_t i = 0; i < sizeof to_float / sizeof to_float[0]; i++) {
        assert_int_equal(bits_of(g4_bf16_to_float(to_float[i].h)), to_float[i].f32);
    }
    static const pair from_float[] = {
        {0x3F800000, 0x3F80},                       /* 1 */
        {0x80000000, 0x8000},                       /* -0 */
        {0x3F808000, 0x3F80},                       /* tie, even below */
        {0x3F818000, 0x3F82},                       /* tie, even above */
        {0x3F808001, 0x3F81},                       /* above a tie */
        {0x3F807FFF, 0x3F80},                       /* below a tie */
        {0x7F7F7FFF, 0x7F7F},                       /* largest that stays finite */
        {0x7F7F8000, 0x7F80},                       /* tie at the top: rounds to inf */
        {0x7F7FFFFF, 0x7F80},                       /* FLT_MAX -> inf */
        {0x7F800000, 0x7F80},                       /* inf */
        {0xFF800000, 0xFF80},                       /* -inf */
        {0x7FC00000, 0x7FC0},                       /* NaN */
        {0x7F800001, 0x7FC0},                       /* signalling NaN whose payload is cut: forced quiet, not inf */
        {0xFF800001, 0xFFC0}, {0x7FA00000, 0x7FE0}, /* payload kept, quiet bit set */
        {0x00000001, 0x0000},                       /* subnormals round like everything else */
        {0x00008000, 0x0000}, {0x00018000, 0x0002},
    };
    for (size_t i = 0; i < sizeof from_float / sizeof from_float[0]; i++) {
        uint16_t got = g4_float_to_bf16(float_of(from_float[i].f32));
        if (got != from_float[i].h) {
            fail_msg("float 0x%08x -> bf16 0x%04x, want 0x%04x", from_float[i].f32, got, from_float[i].h);
        }
    }
}

/* Every finite half widens and narrows back to itself. */
static void test_half_round_trip(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF)) continue; /* NaNs canonicalise */
        assert_int_equal(g4_float_to_half(g4_half_to_float((g4_half)h)), h);
        assert_int_equal(g4_float_to_bf16(g4_bf16_to_float((g4_bf16)h)),
                         (h & 0x7F80) == 0x7F80 && (h & 0x7F) ? h | 0x40 : h);
    }
}

/* ---- digests of ggml's conversions ----------------------------------------------------------- */

typedef struct {
    uint64_t h;
} fnv;

static void fnv_bytes(fnv *s, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) s->h = (s->h ^ b[i]) * 0x100000001B3ull;
}
static void fnv_u16(fnv *s, uint16_t v) {
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    fnv_bytes(s, b, 2);
}
static void fnv_u32(fnv *s, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fnv_bytes(s, b, 4);
}

/* Same sample as make_vectors.c: every top 16 bits with low halves around the rounding points. */
static const uint16_t SAMPLE_LOWS[] = {0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x2FFF,
                                       0x3000, 0x3001, 0x7FFF, 0x8000, 0x8001, 0xBFFF, 0xC000, 0xFFFF};

static uint64_t expected_digest(const char *text, const char *key, uint64_t *count) {
    const char *line = strstr(text, key);
    if (!line) fail_msg("conversions.txt has no line '%s'", key);
    unsigned long long digest = 0, n = 0;
    if (sscanf(line + strlen(key), " %llx %llu", &digest, &n) != 2) fail_msg("conversions.txt: bad line '%s'", key);
    if (count) *count = n;
    return digest;
}

static void test_digests_match_ggml(void **state) {
    (void)state;
    char path[1024];
    g4t_data_path(path, sizeof path, "quants/conversions.txt");
    size_t size = 0;
    char *raw = g4t_read_file(path, &size);
    if (!raw) fail_msg("cannot read %s (written by tests/data/quants/make_vectors.c, see README.md there)", path);
    char *text = malloc(size + 1);
    assert_non_null(text);
    memcpy(text, raw, size);
    text[size] = 0;
    free(raw);

    fnv h2f = {0xCBF29CE484222325ull}, b2f = {0xCBF29CE484222325ull};
    for (uint32_t h = 0; h < 65536; h++) {
        fnv_u32(&h2f, bits_of(g4_half_to_float((g4_half)h)));
        fnv_u32(&b2f, bits_of(g4_bf16_to_float((g4_bf16)h)));
    }
    fnv f2h = {0xCBF29CE484222325ull}, f2b = {0xCBF29CE484222325ull};
    uint64_t count = 0;
    for (uint32_t hi = 0; hi < 65536; hi++) {
        for (size_t k = 0; k < sizeof SAMPLE_LOWS / sizeof SAMPLE_LOWS[0]; k++) {
            float v = float_of(hi << 16 | SAMPLE_LOWS[k]);
            fnv_u16(&f2h, g4_float_to_half(v));
            fnv_u16(&f2b, g4_float_to_bf16(v));
            count++;
        }
    }
    uint64_t n_f2h = 0, n_f2b = 0;
    assert_int_equal(h2f.h, expected_digest(text, "half_to_float_all", NULL));
    assert_int_equal(b2f.h, expected_digest(text, "bf16_to_float_all", NULL));
    assert_int_equal(f2h.h, expected_digest(text, "float_to_half_sampled", &n_f2h));
    assert_int_equal(f2b.h, expected_digest(text, "float_to_bf16_sampled", &n_f2b));
    assert_int_equal(count, n_f2h);
    assert_int_equal(count, n_f2b);
    free(text);
}

/* Row conversion through the g4_quantize_row / g4_dequantize_row entry points. */
static void test_rows(void **state) {
    (void)state;
    float x[8] = {1.0f, -2.5f, 65520.0f, 1e-8f, 0.1f, -0.0f, 3.0e-5f, 1000.0f}, y[8];
    g4_half h[8];
    g4_quantize_row(G4_TYPE_F16, x, h, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(h[i], g4_float_to_half(x[i]));
    g4_dequantize_row(G4_TYPE_F16, h, y, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(bits_of(y[i]), bits_of(g4_half_to_float(h[i])));
    g4_bf16 b[8];
    g4_quantize_row(G4_TYPE_BF16, x, b, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(b[i], g4_float_to_bf16(x[i]));
    g4_dequantize_row(G4_TYPE_BF16, b, y, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(bits_of(y[i]), (uint32_t)b[i] << 16);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_to_float),   cmocka_unit_test(test_float_to_half),      cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_half_round_trip), cmocka_unit_test(test_digests_match_ggml), cmocka_unit_test(test_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
