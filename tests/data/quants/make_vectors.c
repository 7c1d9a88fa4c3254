/*
 * Writes the reference vectors in tests/data/quants from ggml itself (see README.md here for the
 * exact build and run commands). Not part of the libgemma4 build: it links llama.cpp's libggml-base.
 *
 * For every block type: deterministic f32 rows of several distributions go through
 * ggml_quantize_chunk (what llama-quantize calls, no importance matrix) and back through the
 * type's to_float; rows of random block bytes go through to_float only. Q8_K is not a
 * ggml_quantize_chunk type, so its exported quantize_row_q8_K_ref / dequantize_row_q8_K are used.
 * conversions.txt holds FNV-1a digests of ggml's half/bf16 conversions over fixed input sets.
 *
 * File layout (<type>.bin, little-endian):
 *   "G4QUANT1"  u32 ggml_type  u32 n_cases
 *   per case:   char name[16]  u32 n  u32 kind (1 = quantized from input, 2 = random block bytes)
 *               [f32 input[n] if kind 1]  u8 blocks[row_bytes(n)]  f32 dequantized[n]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"

/* Not in ggml.h: exported from libggml-base (ggml-quants.h). */
void quantize_row_q8_K_ref(const float *x, void *y, int64_t k);
void dequantize_row_q8_K(const void *x, float *y, int64_t k);

/* ---- deterministic inputs (splitmix64; Box-Muller in double) ------------------------------ */

static uint64_t rng_state;

static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(void) {
    return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

static float rng_uniform(float lo, float hi) {
    return (float)(lo + (hi - lo) * rng_unit());
}

static float rng_normal(void) {
    double u1 = rng_unit() + 1e-300, u2 = rng_unit();
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

enum { MAX_N = 512 };

typedef struct {
    const char *name;
    int n;
    void (*fill)(float *x, int n);
    int for_quantized; /* 0: only for F16/BF16 (inf, nan, values beyond the block types' domain) */
} input_case;

static void fill_normal(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = rng_normal();
}
static void fill_uniform(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = rng_uniform(-1.0f, 1.0f);
}

/* LLM-weight-like: small normal values with about 1% outliers fifty times larger. */
static void fill_outliers(float *x, int n) {
    for (int i = 0; i < n; i++) {
        x[i] = 0.02f * rng_normal();
        if (rng_next() % 100 == 0) x[i] *= 50.0f;
    }
}

/* A whole zero super-block, then a normal one with a zero 32-run (zero sub-blocks of every size). */
static void fill_zeros(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = (i < 256 || (i >= 320 && i < 352)) ? 0.0f : rng_normal();
}

static void fill_sparse(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = (rng_next() % 10 == 0) ? rng_normal() : 0.0f;
}

/* Scales around the half-precision subnormal range (block scales lose bits when stored). */
static void fill_tiny(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 1e-6f * rng_normal();
}

/* Below ggml's GROUP_MAX_EPS (1e-15): the K-quant searches treat such groups as zero. */
static void fill_below_eps(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 1e-16f * rng_normal();
}

/* f32 subnormals: 1/scale overflows to inf, the float->int conversions leave the C-defined range. */
static void fill_denormal(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 1e-39f * rng_normal();
}

static void fill_large(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 1000.0f * rng_normal();
}

/* Large enough that some block scales overflow half precision (stored as inf). */
static void fill_huge(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 1e5f * rng_normal();
}

static void fill_positive(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = rng_uniform(0.5f, 2.0f);
}

static void fill_negative(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = -rng_uniform(0.5f, 2.0f);
}

static void fill_offset(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = 3.0f + rng_normal();
}

/* Each 16-run has its own magnitude, 1e-3 .. 10: exercises the quantized sub-block scales. */
static void fill_mixed(float *x, int n) {
    for (int i = 0; i < n; i += 16) {
        float s = powf(10.0f, rng_uniform(-3.0f, 1.0f));
        for (int j = 0; j < 16; j++) x[i + j] = s * rng_normal();
    }
}

/* Multiples of 1/8: many products land exactly on rounding ties. */
static void fill_grid(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = roundf(8.0f * rng_normal()) / 8.0f;
}

static void fill_ramp(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = (float)(i % 64) - 31.5f;
}

/* Constant sub-blocks (min == max) with signs alternating per 16 and per 32. */
static void fill_constant(float *x, int n) {
    for (int i = 0; i < n; i++) x[i] = ((i / 16) % 3 == 0) ? 0.75f : ((i / 32) % 2 ? -1.5f : 2.0f);
}

static float bits_to_float(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Half/bf16 edge cases: specials, subnormals, overflow boundaries, rounding ties, then randoms. */
static void fill_special(float *x, int n) {
    static const uint32_t bits[] = {
        0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000,
        0x7FFFFFFF, 0xFFBFFFFF, 0x3F800000, 0xBF800000, 0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001,
        0x47800000, 0x7F7FFFFF, 0x33800000, 0x33000000, 0x33000001, 0x32FFFFFF, 0x387FC000, 0x38800000,
        0x387FE000, 0x387FF000, 0x3F801000, 0x3F803000, 0x3F800FFF, 0x3F801001, 0x3F808000, 0x3F818000,
        0x3F807FFF, 0x3F808001, 0x00000001, 0x007FFFFF, 0x00800000, 0x80000001, 0x7F7F8000, 0x7F7F7FFF,
        0x33C00000, 0x34200000, 0x35000000, 0x3500C000, 0x3500A000, 0x3500E000, 0xB3800000, 0xB3000001,
    };
    int nb = (int)(sizeof bits / sizeof bits[0]);
    for (int i = 0; i < n; i++) {
        if (i < nb) {
            x[i] = bits_to_float(bits[i]);
        } else {
            x[i] = bits_to_float((uint32_t)rng_next()); /* any pattern, NaNs included */
        }
    }
}

static const input_case CASES[] = {
    {"normal", 512, fill_normal, 1},       {"uniform", 256, fill_uniform, 1},   {"outliers", 256, fill_outliers, 1},
    {"zeros", 512, fill_zeros, 1},         {"sparse", 256, fill_sparse, 1},     {"tiny", 256, fill_tiny, 1},
    {"below-eps", 256, fill_below_eps, 1}, {"denormal", 256, fill_denormal, 1}, {"large", 256, fill_large, 1},
    {"huge", 256, fill_huge, 1},           {"positive", 256, fill_positive, 1}, {"negative", 256, fill_negative, 1},
    {"offset", 256, fill_offset, 1},       {"mixed", 512, fill_mixed, 1},       {"grid", 256, fill_grid, 1},
    {"ramp", 256, fill_ramp, 1},           {"constant", 256, fill_constant, 1}, {"special", 512, fill_special, 0},
};
enum { N_CASES = (int)(sizeof CASES / sizeof CASES[0]) };

/* ---- random block bytes for dequantization --------------------------------------------------- */

/* A random finite half in roughly [-4, 4] (exponent kept below 17 so no inf/nan scales). */
static uint16_t random_half_scale(void) {
    uint16_t h = (uint16_t)rng_next();
    uint16_t exp = (uint16_t)(rng_next() % 17); /* 2^-15 .. 2^1 */
    return (uint16_t)((h & 0x83FF) | (exp << 10));
}

static void put_half(uint8_t *p, uint16_t h) {
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

/* Random bytes for every field, with the half (or f32) scale fields replaced by finite values. */
static void random_blocks(enum ggml_type t, uint8_t *q, size_t bytes) {
    for (size_t i = 0; i < bytes; i++) q[i] = (uint8_t)rng_next();
    size_t bs = ggml_type_size(t);
    for (size_t b = 0; b < bytes; b += bs) {
        uint8_t *p = q + b;
        switch (t) {
        case GGML_TYPE_F16:
        case GGML_TYPE_BF16:
            break; /* any bits, NaNs included */
        case GGML_TYPE_Q4_0:
        case GGML_TYPE_Q5_0:
        case GGML_TYPE_Q8_0:
            put_half(p, random_half_scale());
            break;
        case GGML_TYPE_Q4_1:
        case GGML_TYPE_Q5_1:
        case GGML_TYPE_Q4_K:
        case GGML_TYPE_Q5_K:
            put_half(p, random_half_scale());
            put_half(p + 2, random_half_scale());
            break;
        case GGML_TYPE_Q2_K: /* d, dmin at the end */
            put_half(p + 80, random_half_scale());
            put_half(p + 82, random_half_scale());
            break;
        case GGML_TYPE_Q3_K:
            put_half(p + 108, random_half_scale());
            break;
        case GGML_TYPE_Q6_K:
            put_half(p + 208, random_half_scale());
            break;
        case GGML_TYPE_Q8_K: {
            float d = rng_uniform(-0.05f, 0.05f);
            memcpy(p, &d, 4);
            /* bsums must agree with qs for a well-formed block; to_float ignores them anyway */
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int j = 0; j < 16; j++) s += (int8_t)p[4 + g * 16 + j];
                int16_t s16 = (int16_t)s;
                memcpy(p + 4 + 256 + 2 * g, &s16, 2);
            }
        } break;
        default:
            break;
        }
    }
}

/* ---- ggml calls ------------------------------------------------------------------------------ */

static void ggml_quantize(enum ggml_type t, const float *x, void *q, int n) {
    if (t == GGML_TYPE_Q8_K) {
        quantize_row_q8_K_ref(x, q, n);
    } else {
        ggml_quantize_chunk(t, x, q, 0, 1, n, NULL);
    }
}

static void ggml_dequantize(enum ggml_type t, const void *q, float *y, int n) {
    if (t == GGML_TYPE_Q8_K) {
        dequantize_row_q8_K(q, y, n);
    } else {
        ggml_get_type_traits(t)->to_float(q, y, n);
    }
}

/* ---- output ---------------------------------------------------------------------------------- */

static void put_u32(FILE *f, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void put_case_header(FILE *f, const char *name, int n, uint32_t kind) {
    char padded[16] = {0};
    strncpy(padded, name, sizeof padded - 1);
    fwrite(padded, 1, 16, f);
    put_u32(f, (uint32_t)n);
    put_u32(f, kind);
}

static int write_type(const char *dir, enum ggml_type t) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.bin", dir, ggml_type_name(t));
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return 1;
    }
    int is_float = (t == GGML_TYPE_F16 || t == GGML_TYPE_BF16);
    uint32_t n_cases = 0;
    for (int c = 0; c < N_CASES; c++) n_cases += (CASES[c].for_quantized || is_float);
    n_cases += 1; /* random bytes */
    fwrite("G4QUANT1", 1, 8, f);
    put_u32(f, (uint32_t)t);
    put_u32(f, n_cases);

    static float x[MAX_N], y[MAX_N];
    static uint8_t q[MAX_N * 4];
    for (int c = 0; c < N_CASES; c++) {
        /* every type sees the same inputs: reseed from the case index */
        rng_state = 0x51ED270B27A4C3E1ull + 7919u * (uint64_t)c;
        int n = CASES[c].n;
        CASES[c].fill(x, n);
        if (!CASES[c].for_quantized && !is_float) continue;
        size_t bytes = ggml_row_size(t, n);
        memset(q, 0, sizeof q); /* quantize_row_q8_K_ref leaves bsums of all-zero blocks unwritten */
        ggml_quantize(t, x, q, n);
        ggml_dequantize(t, q, y, n);
        put_case_header(f, CASES[c].name, n, 1);
        fwrite(x, sizeof(float), (size_t)n, f);
        fwrite(q, 1, bytes, f);
        fwrite(y, sizeof(float), (size_t)n, f);
    }
    rng_state = 0xB10C0B17E5ull + (uint64_t)t;
    int n = 512;
    size_t bytes = ggml_row_size(t, n);
    random_blocks(t, q, bytes);
    ggml_dequantize(t, q, y, n);
    put_case_header(f, "random-bytes", n, 2);
    fwrite(q, 1, bytes, f);
    fwrite(y, sizeof(float), (size_t)n, f);
    int err = ferror(f);
    err |= fclose(f);
    if (err) {
        fprintf(stderr, "%s: write failed\n", path);
        return 1;
    }
    printf("%-10s %s\n", ggml_type_name(t), path);
    return 0;
}

/* ---- conversion digests ---------------------------------------------------------------------- */

typedef struct {
    uint64_t h;
} fnv;

static void fnv_bytes(fnv *s, const void *p, size_t n) {
    const uint8_t *b = p;
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
static uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* The sampled float inputs: every top half (sign, exponent, 7 mantissa bits) with low halves
 * around the half and bf16 rounding points. The unit test builds the same list. */
static const uint16_t SAMPLE_LOWS[] = {0x0000, 0x0001, 0x0FFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x2FFF,
                                       0x3000, 0x3001, 0x7FFF, 0x8000, 0x8001, 0xBFFF, 0xC000, 0xFFFF};

static int write_conversions(const char *dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/conversions.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fnv h2f = {0xCBF29CE484222325ull}, b2f = {0xCBF29CE484222325ull};
    for (uint32_t h = 0; h < 65536; h++) {
        fnv_u32(&h2f, float_bits(ggml_fp16_to_fp32((ggml_fp16_t)h)));
        ggml_bf16_t b = {(uint16_t)h};
        fnv_u32(&b2f, float_bits(ggml_bf16_to_fp32(b)));
    }
    fnv f2h = {0xCBF29CE484222325ull}, f2b = {0xCBF29CE484222325ull};
    uint64_t count = 0;
    for (uint32_t hi = 0; hi < 65536; hi++) {
        for (size_t k = 0; k < sizeof SAMPLE_LOWS / sizeof SAMPLE_LOWS[0]; k++) {
            float v = bits_to_float(hi << 16 | SAMPLE_LOWS[k]);
            fnv_u16(&f2h, ggml_fp32_to_fp16(v));
            fnv_u16(&f2b, ggml_fp32_to_bf16(v).bits);
            count++;
        }
    }
    fprintf(f, "# FNV-1a 64 digests of ggml's conversions (see README.md); outputs hashed little-endian\n");
    fprintf(f, "half_to_float_all %016llx 65536\n", (unsigned long long)h2f.h);
    fprintf(f, "bf16_to_float_all %016llx 65536\n", (unsigned long long)b2f.h);
    fprintf(f, "float_to_half_sampled %016llx %llu\n", (unsigned long long)f2h.h, (unsigned long long)count);
    fprintf(f, "float_to_bf16_sampled %016llx %llu\n", (unsigned long long)f2b.h, (unsigned long long)count);
    int err = ferror(f);
    err |= fclose(f);
    if (err) return 1;
    printf("%-10s %s\n", "digests", path);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    static const enum ggml_type TYPES[] = {
        GGML_TYPE_F16,  GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0,
        GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K, GGML_TYPE_Q8_K,
    };
    int err = 0;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) err |= write_type(argv[1], TYPES[i]);
    err |= write_conversions(argv[1]);
    return err;
}
