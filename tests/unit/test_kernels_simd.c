/* Every SIMD kernel table this CPU can run (g4_kernels_by_name) against the scalar reference:
 *
 *  - dispatch: which tables exist for the features the CPU reports; the AVX2 table must be there
 *    when the CPU has AVX2 (checked through the compiler's own cpuid, not core/cpu.c), the dotprod
 *    table exactly when the kernel's HWCAP says dotprod; g4_kernels_best picks the fastest;
 *  - activation quantizers: byte-identical output for random rows, zeros, ties, huge and tiny
 *    values, infinities and NaN, for one block and many;
 *  - dot products of every weight type, for one block, a few (the tail paths) and many:
 *      * integer types (32-element blocks and K-quants): bit-identical to the scalar reference
 *        (the same exact integer sums, the same float expression per block, added in the same
 *        order), for random inputs and for extreme quants (every bit pattern at its largest,
 *        activations at +-127, q8_0 weights at -128: saturation in the int8 multiply-adds);
 *      * f32/f16/bf16 (summed in double in a different order): bit-identical when the inputs make
 *        every float step exact (small integers), and otherwise within 1e-6 * sum_i |w_i x_i|;
 *  - g4_matmul_with(simd) against the table's own vec_dot and against g4_matmul_with(scalar) for
 *    1..5 tokens, without a pool and on 1..4 threads;
 *  - vector ops with the tolerances stated at test_ops.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

#include "core/cpu.h"
#include "core/pool.h"
#include "kernels/blocks.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/quants.h"
#include "kernels/simd.h"
#include "testkit.h"

static const g4_type k_types[] = {G4_TYPE_F32,  G4_TYPE_F16,  G4_TYPE_BF16, G4_TYPE_Q4_0, G4_TYPE_Q4_1,
                                  G4_TYPE_Q5_0, G4_TYPE_Q5_1, G4_TYPE_Q8_0, G4_TYPE_Q2_K, G4_TYPE_Q3_K,
                                  G4_TYPE_Q4_K, G4_TYPE_Q5_K, G4_TYPE_Q6_K};
#define N_TYPES (sizeof k_types / sizeof k_types[0])

static const char *const k_names[] = {"scalar", "avx2", "neon", "neon-dotprod"};
#define N_NAMES (sizeof k_names / sizeof k_names[0])

/* The runnable non-scalar tables, filled by the group setup. */
static const g4_kernels *g_simd[N_NAMES];
static int g_n_simd;

static const g4_kernels *scalar(void) {
    return g4_kernels_scalar();
}

static bool is_float_type(g4_type t) {
    return t == G4_TYPE_F32 || t == G4_TYPE_F16 || t == G4_TYPE_BF16;
}

static size_t row_bytes(g4_type t, int64_t n) {
    size_t b = 0;
    assert_true(g4_type_row_bytes(t, n, &b));
    return b;
}

static int setup_tables(void **state) {
    (void)state;
    char desc[128], names[128] = "";
    g4_cpu_features_describe(g4_cpu_features_get(), desc, sizeof desc);
    for (size_t i = 0; i < N_NAMES; i++) {
        const g4_kernels *k = g4_kernels_by_name(k_names[i]);
        if (!k || k == scalar()) continue;
        g_simd[g_n_simd++] = k;
        strcat(names, " ");
        strcat(names, k->name);
    }
    print_message("cpu: %s\nSIMD tables tested against scalar:%s\nbest table: %s\n", desc, g_n_simd ? names : " none",
                  g4_kernels_best()->name);
    return 0;
}

/* ---- dispatch ----------------------------------------------------------------------------------- */

static void test_dispatch(void **state) {
    (void)state;
    const g4_cpu_features *cpu = g4_cpu_features_get();
    assert_ptr_equal(g4_kernels_by_name("scalar"), scalar());
    assert_null(g4_kernels_by_name("no-such-table"));
    assert_null(g4_kernels_by_name(NULL));
    assert_null(g4_kernels_by_name("AVX2")); /* names are exact */
    assert_ptr_equal(g4_kernels_best(), g4_kernels_best());
    for (size_t i = 0; i < N_NAMES; i++) {
        const g4_kernels *k = g4_kernels_by_name(k_names[i]);
        if (k) assert_string_equal(k->name, k_names[i]);
    }
#if defined(__x86_64__)
    __builtin_cpu_init();
    const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (has_avx2 && !g4_kernels_by_name("avx2"))
        fail_msg("the CPU reports AVX2 and FMA but the avx2 kernel table is not available");
    if (has_avx2) assert_true(cpu->x86_avx2);
    assert_ptr_equal(g4_kernels_best(), cpu->x86_avx2 ? g4_kernels_by_name("avx2") : scalar());
    assert_null(g4_kernels_by_name("neon"));
#elif defined(__aarch64__)
    if (!g4_kernels_by_name("neon")) fail_msg("AArch64 without the neon kernel table");
#if defined(__linux__)
    const bool dotprod = (getauxval(AT_HWCAP) & (1ul << 20)) != 0; /* HWCAP_ASIMDDP */
    assert_int_equal(cpu->arm_dotprod, dotprod);
    assert_int_equal(g4_kernels_by_name("neon-dotprod") != NULL, dotprod);
#endif
    assert_ptr_equal(g4_kernels_best(), g4_kernels_by_name(cpu->arm_dotprod ? "neon-dotprod" : "neon"));
    assert_null(g4_kernels_by_name("avx2"));
#else
    assert_ptr_equal(g4_kernels_best(), scalar());
#endif
    /* every table computes with the same weight types in the same activation formats */
    for (int k = 0; k < g_n_simd; k++)
        for (int t = 0; t < G4_TYPE_COUNT; t++) {
            assert_int_equal(g_simd[k]->dot[t].vec_dot != NULL, scalar()->dot[t].vec_dot != NULL);
            if (scalar()->dot[t].vec_dot) {
                assert_int_equal(g_simd[k]->dot[t].act_type, scalar()->dot[t].act_type);
                assert_non_null(g_simd[k]->dot[t].quantize);
            }
        }
}

/* ---- inputs ------------------------------------------------------------------------------------- */

typedef enum { W_RANDOM, W_EXACT, W_EXTREME_HI, W_EXTREME_LO, W_ZERO } wmode;

static g4_half signed_half(g4t_rng *r, float v) {
    return g4_float_to_half((g4t_rng_u64(r) & 1) ? v : -v);
}

/* Block scale: realistic random in W_RANDOM, else a power of two (so products with the
 * activation scale stay exact). */
static g4_half scale_half(g4t_rng *r, wmode m, float lo, float hi) {
    if (m == W_RANDOM) return signed_half(r, g4t_rng_uniform(r, lo, hi));
    return signed_half(r, 0x1p-4f);
}

/* n_rows rows of type t. Quant bits: random, all ones, or all zeros; float types get normal
 * values (W_RANDOM) or small integers. */
static void *make_weights(g4t_rng *r, g4_type t, int64_t n, int64_t n_rows, wmode m) {
    const size_t total = row_bytes(t, n) * (size_t)n_rows, bsize = g4_type_get(t)->type_size;
    uint8_t *w = malloc(total);
    assert_non_null(w);
    for (size_t i = 0; i < total; i++)
        w[i] = m == W_EXTREME_HI ? 0xFF : m == W_EXTREME_LO || m == W_ZERO ? 0x00 : (uint8_t)g4t_rng_u64(r);
    const size_t nb = total / bsize;
    for (size_t b = 0; b < nb; b++) {
        void *blk = w + b * bsize;
        const float small_int = (float)((int)(g4t_rng_u64(r) % 17) - 8);
        switch (t) {
        case G4_TYPE_F32:
            ((float *)w)[b] = m == W_RANDOM ? g4t_rng_normal(r) : m == W_ZERO ? 0.0f : small_int;
            break;
        case G4_TYPE_F16:
            ((g4_half *)w)[b] = g4_float_to_half(m == W_RANDOM ? g4t_rng_normal(r) : m == W_ZERO ? 0.0f : small_int);
            break;
        case G4_TYPE_BF16:
            ((g4_bf16 *)w)[b] = g4_float_to_bf16(m == W_RANDOM ? g4t_rng_normal(r) : m == W_ZERO ? 0.0f : small_int);
            break;
        case G4_TYPE_Q4_0:
            ((g4_block_q4_0 *)blk)->d = scale_half(r, m, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q5_0:
            ((g4_block_q5_0 *)blk)->d = scale_half(r, m, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q8_0:
            ((g4_block_q8_0 *)blk)->d = scale_half(r, m, 1e-4f, 1e-3f);
            if (m == W_EXTREME_HI) memset(((g4_block_q8_0 *)blk)->qs, 0x80, 32); /* -128: |q| reads as 128 */
            break;
        case G4_TYPE_Q4_1:
        case G4_TYPE_Q5_1: {
            g4_half *dm = blk; /* d, m lead both blocks */
            dm[0] = scale_half(r, m, 1e-3f, 2e-2f);
            dm[1] = m == W_RANDOM ? signed_half(r, g4t_rng_uniform(r, 1e-2f, 1e-1f))
                                  : g4_float_to_half(small_int * 0x1p-4f);
            break;
        }
        case G4_TYPE_Q2_K:
            ((g4_block_q2_K *)blk)->d = scale_half(r, m, 1e-3f, 2e-2f);
            ((g4_block_q2_K *)blk)->dmin = scale_half(r, m, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q3_K:
            ((g4_block_q3_K *)blk)->d = scale_half(r, m, 1e-3f, 2e-2f);
            break;
        case G4_TYPE_Q4_K:
            ((g4_block_q4_K *)blk)->d = scale_half(r, m, 1e-4f, 2e-3f);
            ((g4_block_q4_K *)blk)->dmin = scale_half(r, m, 1e-4f, 2e-3f);
            break;
        case G4_TYPE_Q5_K:
            ((g4_block_q5_K *)blk)->d = scale_half(r, m, 1e-4f, 2e-3f);
            ((g4_block_q5_K *)blk)->dmin = scale_half(r, m, 1e-4f, 2e-3f);
            break;
        case G4_TYPE_Q6_K:
            ((g4_block_q6_K *)blk)->d = scale_half(r, m, 1e-5f, 1e-4f);
            break;
        default:
            fail_msg("no generator for %s", g4_type_name(t));
        }
    }
    return w;
}

/* Activations matching the weight mode: normal with outliers; integers in [-127, 127] whose
 * blocks all hold a 127 (so every q8 scale is exactly 1 and the quants are the integers); +-127;
 * zeros. */
static void make_activations(g4t_rng *r, float *x, int64_t n, wmode m) {
    for (int64_t i = 0; i < n; i++) {
        switch (m) {
        case W_RANDOM:
            x[i] = g4t_rng_normal(r) * (i % 97 == 0 ? 8.0f : 1.0f);
            break;
        case W_EXACT:
            x[i] = i % 32 == 0 ? 127.0f : (float)((int)(g4t_rng_u64(r) % 255) - 127);
            break;
        case W_EXTREME_HI:
        case W_EXTREME_LO:
            x[i] = (i % 3) ? 127.0f : -127.0f;
            break;
        case W_ZERO:
            x[i] = 0.0f;
            break;
        }
    }
}

/* ---- activation quantizers ------------------------------------------------------------------------ */

static void check_quantizer_identical(const g4_kernels *k, g4_type wt, const float *x, int64_t n, const char *what) {
    const g4_type act = scalar()->dot[wt].act_type;
    const size_t rb = row_bytes(act, n);
    uint8_t *want = malloc(rb), *got = malloc(rb);
    assert_true(want && got);
    memset(want, 0xA5, rb);
    memset(got, 0x5A, rb);
    scalar()->dot[wt].quantize(x, want, n);
    k->dot[wt].quantize(x, got, n);
    for (size_t i = 0; i < rb; i++)
        if (got[i] != want[i])
            fail_msg("%s %s quantizer, %s, n=%lld: byte %zu is %02x, scalar wrote %02x", k->name, g4_type_name(act),
                     what, (long long)n, i, got[i], want[i]);
    free(want);
    free(got);
}

static void test_act_quantizers_identical(void **state) {
    (void)state;
    enum { MAXN = 256 * 9 };
    static float x[MAXN];
    /* one weight type per activation format */
    const g4_type via[] = {G4_TYPE_F16, G4_TYPE_BF16, G4_TYPE_Q4_0, G4_TYPE_Q4_1, G4_TYPE_Q4_K};
    g4t_rng r;
    g4t_rng_seed(&r, 7);
    for (int k = 0; k < g_n_simd; k++)
        for (size_t v = 0; v < sizeof via / sizeof via[0]; v++) {
            const g4_type wt = via[v];
            const int64_t bs = g4_type_get(scalar()->dot[wt].act_type)->block_size;
            const int64_t sizes[] = {bs == 1 ? 37 : bs, bs == 1 ? 1031 : bs * 3, bs == 1 ? MAXN : MAXN / bs * bs};
            for (size_t si = 0; si < 3; si++) {
                const int64_t n = sizes[si];
                for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(&r) * (i % 97 == 0 ? 8.0f : 1.0f);
                check_quantizer_identical(g_simd[k], wt, x, n, "normal");
                for (int64_t i = 0; i < n; i++) x[i] = 0.0f;
                x[n / 2] = -0.0f;
                check_quantizer_identical(g_simd[k], wt, x, n, "zeros");
                /* halves: x * 127 / amax lands on .5 ties; equal magnitudes of both signs */
                for (int64_t i = 0; i < n; i++) x[i] = (float)((i % 9) - 4) * 0.5f;
                check_quantizer_identical(g_simd[k], wt, x, n, "ties");
                for (int64_t i = 0; i < n; i++) x[i] = (i % 2 ? -1.0f : 1.0f) * (i % 5 ? FLT_MAX : 1e30f);
                check_quantizer_identical(g_simd[k], wt, x, n, "huge");
                for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(&r) * 1e-40f; /* f32 subnormals */
                check_quantizer_identical(g_simd[k], wt, x, n, "subnormal");
                for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(&r) * 7e4f; /* f16 overflow and rounding */
                x[0] = 65519.996f;
                x[n - 1] = 65520.0f;
                check_quantizer_identical(g_simd[k], wt, x, n, "f16 range");
                for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(&r);
                x[n / 3] = INFINITY;
                x[n - 1] = NAN;
                check_quantizer_identical(g_simd[k], wt, x, n, "inf and nan");
                for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(&r);
                x[0] = -NAN;
                check_quantizer_identical(g_simd[k], wt, x, n, "nan");
            }
        }
}

/* ---- dot products ------------------------------------------------------------------------------- */

/* sum_b |term_b|: each block's float term (each product, for the float types) by the scalar
 * reference on that block alone. */
static double term_magnitude(g4_type t, int64_t n, const uint8_t *w, const uint8_t *xq) {
    const g4_type act = scalar()->dot[t].act_type;
    const int64_t bs = g4_type_get(t)->block_size;
    const size_t wsz = g4_type_get(t)->type_size, xsz = row_bytes(act, bs);
    double mag = 0;
    for (int64_t b = 0; b < n / bs; b++)
        mag += fabs((double)scalar()->dot[t].vec_dot(bs, w + (size_t)b * wsz, xq + (size_t)b * xsz));
    return mag;
}

/* Compares one table's dot with the scalar one; returns the error relative to sum |terms|. */
static double check_dot(const g4_kernels *k, g4_type t, int64_t n, const uint8_t *w, const uint8_t *xq, bool exact,
                        const char *what) {
    const float want = scalar()->dot[t].vec_dot(n, w, xq), got = k->dot[t].vec_dot(n, w, xq);
    if (exact || !is_float_type(t)) {
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("%s %s, %s, n=%lld: %.9g, scalar %.9g (must be bit-identical)", k->name, g4_type_name(t), what,
                     (long long)n, got, want);
        return 0;
    }
    const double mag = term_magnitude(t, n, w, xq), err = fabs((double)got - want);
    if (!(err <= 1e-6 * mag))
        fail_msg("%s %s, %s, n=%lld: %.9g, scalar %.9g (error %.3g > 1e-6 * sum|terms| = %.3g)", k->name,
                 g4_type_name(t), what, (long long)n, got, want, err, 1e-6 * mag);
    return mag > 0 ? err / mag : 0;
}

static void test_vec_dots(void **state) {
    (void)state;
    enum { MAXN = 2048 + 7 };
    static float x[MAXN];
    static uint8_t xq[MAXN * 4 + 64];
    static const char *const mode_names[] = {"random", "exact", "extreme-hi", "extreme-lo", "zero"};
    g4t_rng r;
    g4t_rng_seed(&r, 11);
    for (int k = 0; k < g_n_simd; k++) {
        for (size_t ti = 0; ti < N_TYPES; ti++) {
            const g4_type t = k_types[ti];
            const int64_t bs = g4_type_get(t)->block_size;
            /* one block, three (tails only), seven (a group of four and a tail), many */
            int64_t sizes[4] = {bs, 3 * bs, 7 * bs, 2048};
            if (is_float_type(t)) sizes[0] = 1, sizes[1] = 15, sizes[2] = 37, sizes[3] = 2048 + 7;
            double worst = 0;
            for (int mode = W_RANDOM; mode <= W_ZERO; mode++)
                for (size_t si = 0; si < 4; si++) {
                    const int64_t n = sizes[si];
                    const int rows = mode == W_RANDOM ? 6 : 2;
                    uint8_t *w = make_weights(&r, t, n, rows, (wmode)mode);
                    for (int row = 0; row < rows; row++) {
                        make_activations(&r, x, n, (wmode)mode);
                        scalar()->dot[t].quantize(x, xq, n);
                        const double e = check_dot(g_simd[k], t, n, w + (size_t)row * row_bytes(t, n), xq,
                                                   mode != W_RANDOM, mode_names[mode]);
                        if (e > worst) worst = e;
                    }
                    free(w);
                }
            print_message("%-12s %-5s %s, worst |error| / sum|terms| = %.2e\n", g_simd[k]->name, g4_type_name(t),
                          is_float_type(t) ? "exact cases bit-identical" : "bit-identical", worst);
        }
    }
}

/* ---- matmul ------------------------------------------------------------------------------------- */

static void test_matmul_tables(void **state) {
    (void)state;
    enum { N_IN = 512, N_OUT = 37, MAX_TOK = 5 };
    static float x[MAX_TOK * N_IN], y[MAX_TOK * N_OUT], ys[MAX_TOK * N_OUT], own[MAX_TOK * N_OUT];
    static uint8_t xq[MAX_TOK][N_IN * 4 + 64];
    g4_pool *pools[4];
    for (int i = 0; i < 4; i++) assert_non_null(pools[i] = g4_pool_new(i + 1));
    g4t_rng r;
    g4t_rng_seed(&r, 13);
    for (int k = 0; k < g_n_simd; k++)
        for (size_t ti = 0; ti < N_TYPES; ti++) {
            const g4_type t = k_types[ti];
            uint8_t *wdata = make_weights(&r, t, N_IN, N_OUT, W_RANDOM);
            const g4_matrix w = {t, N_IN, N_OUT, row_bytes(t, N_IN), wdata};
            for (int64_t n_tok = 1; n_tok <= MAX_TOK; n_tok++) {
                make_activations(&r, x, n_tok * N_IN, W_RANDOM);
                for (int64_t tok = 0; tok < n_tok; tok++) {
                    g_simd[k]->dot[t].quantize(x + tok * N_IN, xq[tok], N_IN);
                    for (int o = 0; o < N_OUT; o++)
                        own[tok * N_OUT + o] =
                            g_simd[k]->dot[t].vec_dot(N_IN, wdata + (size_t)o * w.row_bytes, xq[tok]);
                }
                const size_t sb = g4_matmul_scratch_bytes(t, N_IN, n_tok);
                void *scratch = sb ? malloc(sb) : NULL;
                g4_matmul_with(scalar(), &w, x, n_tok, ys, scratch, NULL);
                for (int p = -1; p < 4; p++) {
                    memset(y, 0xFF, sizeof y);
                    g4_matmul_with(g_simd[k], &w, x, n_tok, y, scratch, p < 0 ? NULL : pools[p]);
                    const int nth = p < 0 ? 0 : p + 1;
                    if (memcmp(y, own, (size_t)(n_tok * N_OUT) * sizeof(float)) != 0)
                        fail_msg("%s %s, %lld tokens, %d threads: matmul differs from the table's own dot products",
                                 g_simd[k]->name, g4_type_name(t), (long long)n_tok, nth);
                    for (int64_t tok = 0; tok < n_tok; tok++)
                        for (int o = 0; o < N_OUT; o++) {
                            const float a = y[tok * N_OUT + o], b = ys[tok * N_OUT + o];
                            if (!is_float_type(t)) {
                                if (memcmp(&a, &b, sizeof a) != 0)
                                    fail_msg("%s %s token %lld row %d: %.9g, scalar matmul %.9g", g_simd[k]->name,
                                             g4_type_name(t), (long long)tok, o, a, b);
                                continue;
                            }
                            const double mag = term_magnitude(t, N_IN, wdata + (size_t)o * w.row_bytes, xq[tok]);
                            if (!(fabs((double)a - b) <= 1e-6 * mag))
                                fail_msg("%s %s token %lld row %d, %d threads: %.9g, scalar matmul %.9g",
                                         g_simd[k]->name, g4_type_name(t), (long long)tok, o, nth, a, b);
                        }
                }
                free(scratch);
            }
            free(wdata);
        }
    for (int i = 0; i < 4; i++) g4_pool_free(pools[i]);
}

/* ---- dot tiles ----------------------------------------------------------------------------------- */

/* Every tile shape (nr x nt up to G4_TILE_ROWS x G4_TILE_TOKENS) of `tile` returns dk's vec_dot
 * bits pair by pair (and so the scalar reference's), on random and edge-case blocks, and writes
 * nothing outside the tile. Returns the number of tile calls checked. */
static int check_tile(g4t_rng *r, const char *table, g4_type t, g4_dot_tile_fn tile, const g4_dot_kernel *dk) {
    enum { MAXN = 2048, ROWS = G4_TILE_ROWS, TOKS = G4_TILE_TOKENS, YS = ROWS + 3 };
    static float x[MAXN];
    static uint8_t xq[TOKS][MAXN * 4 + 64];
    static float y[TOKS * YS];
    int checked = 0;
    const int64_t bs = g4_type_get(t)->block_size, sizes[3] = {bs, 3 * bs, MAXN};
    for (int mode = W_RANDOM; mode <= W_ZERO; mode++)
        for (int si = 0; si < 3; si++) {
            const int64_t n = sizes[si];
            const size_t rb = row_bytes(t, n), xs = sizeof xq[0];
            uint8_t *w = make_weights(r, t, n, ROWS, (wmode)mode);
            for (int tok = 0; tok < TOKS; tok++) {
                make_activations(r, x, n, (wmode)mode);
                dk->quantize(x, xq[tok], n);
            }
            for (int nr = 1; nr <= ROWS; nr++)
                for (int nt = 1; nt <= TOKS; nt++) {
                    memset(y, 0xFF, sizeof y);
                    tile(n, w, rb, nr, xq[0], xs, nt, y, YS);
                    for (int tok = 0; tok < TOKS; tok++)
                        for (int row = 0; row < YS; row++) {
                            const float got = y[tok * YS + row];
                            float want;
                            if (tok < nt && row < nr)
                                want = dk->vec_dot(n, w + (size_t)row * rb, xq[tok]);
                            else
                                memset(&want, 0xFF, sizeof want);
                            if (memcmp(&got, &want, sizeof got) != 0)
                                fail_msg("%s %s tile %dx%d, n=%lld, row %d token %d: %.9g, vec_dot %.9g", table,
                                         g4_type_name(t), nr, nt, (long long)n, row, tok, got, want);
                        }
                    checked++;
                }
            free(w);
        }
    return checked;
}

static void test_dot_tiles(void **state) {
    (void)state;
    g4t_rng r;
    g4t_rng_seed(&r, 17);
    int checked = 0;
    for (int k = 0; k < g_n_simd; k++)
        for (size_t ti = 0; ti < N_TYPES; ti++) {
            const g4_dot_kernel *dk = &g_simd[k]->dot[k_types[ti]];
            if (dk->tile) checked += check_tile(&r, g_simd[k]->name, k_types[ti], dk->tile, dk);
        }
#if defined(G4_HAVE_AVX2_KERNELS)
    /* The per-pair tiles that the transposed prefill tiles hand short batches to, at every shape. */
    const g4_kernels *avx2 = NULL;
    for (int k = 0; k < g_n_simd; k++)
        if (!strcmp(g_simd[k]->name, "avx2")) avx2 = g_simd[k];
    if (avx2) {
        checked += check_tile(&r, "avx2 pairs", G4_TYPE_Q4_0, g4_dot_tile_q4_0_pairs_avx2, &avx2->dot[G4_TYPE_Q4_0]);
        checked += check_tile(&r, "avx2 pairs", G4_TYPE_Q8_0, g4_dot_tile_q8_0_pairs_avx2, &avx2->dot[G4_TYPE_Q8_0]);
        checked += check_tile(&r, "avx2 pairs", G4_TYPE_Q4_K, g4_dot_tile_q4_K_pairs_avx2, &avx2->dot[G4_TYPE_Q4_K]);
        checked += check_tile(&r, "avx2 pairs", G4_TYPE_Q6_K, g4_dot_tile_q6_K_pairs_avx2, &avx2->dot[G4_TYPE_Q6_K]);
    }
#endif
    print_message("dot tiles: %d tile calls bit-identical to vec_dot\n", checked);
}

/* ---- vector ops --------------------------------------------------------------------------------- */

/* Tolerances, |simd - scalar| <= rel * |scalar| + abs_x * |x| + tiny:
 *   rmsnorm  rel 1e-6              (same products; the double sum only reordered)
 *   softmax  rel 2e-6, tiny 1e-37  (polynomial exp within 2 ulp; 0 where expf gives a subnormal)
 *   gelu     rel 2e-6, abs_x 1e-7  (the reference's 1 + tanhf(u) cancels for x < 0: its own error
 *                                    is up to |x| * 2^-24 there)
 *   softcap  rel 2e-6, tiny 1e-37 * cap
 * rope is the scalar function in every table. */
typedef struct {
    double rel, abs_x, tiny;
} tolerance;

static void check_close(const char *table, const char *op, const float *got, const float *want, const float *in,
                        int64_t n, tolerance tol, double *worst) {
    for (int64_t i = 0; i < n; i++) {
        if (isnan(want[i]) || isnan(got[i])) {
            if (!(isnan(want[i]) && isnan(got[i])))
                fail_msg("%s %s[%lld] (x = %.9g): %.9g, scalar %.9g", table, op, (long long)i, in[i], got[i], want[i]);
            continue;
        }
        const double bound = tol.rel * fabs(want[i]) + tol.abs_x * fabs(in[i]) + tol.tiny;
        const double err = fabs((double)got[i] - want[i]);
        if (!(err <= bound) && !(got[i] == want[i]))
            fail_msg("%s %s[%lld] (x = %.9g): %.9g, scalar %.9g (error %.3g > %.3g)", table, op, (long long)i, in[i],
                     got[i], want[i], err, bound);
        if (bound > 0 && err / bound > *worst) *worst = err / bound;
    }
}

static void test_ops(void **state) {
    (void)state;
    enum { MAXN = 2048 + 5 };
    static float x[MAXN], wgt[MAXN], a[MAXN], b[MAXN];
    g4t_rng r;
    g4t_rng_seed(&r, 17);
    const int64_t sizes[] = {1, 7, 8, 13, 256, 1536, MAXN};
    for (int k = 0; k < g_n_simd; k++) {
        const g4_kernels *s = scalar(), *v = g_simd[k];
        double worst[4] = {0};
        assert_ptr_equal(v->rope_neox, s->rope_neox);
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            const int64_t n = sizes[si];
            for (int pattern = 0; pattern < 3; pattern++) {
                for (int64_t i = 0; i < n; i++) {
                    const float scale = pattern == 0 ? 1.0f : pattern == 1 ? 30.0f : 1e-3f;
                    x[i] = g4t_rng_normal(&r) * scale;
                    wgt[i] = 1.0f + 0.1f * g4t_rng_normal(&r);
                }
                /* rmsnorm, with and without weights */
                s->rmsnorm(a, x, wgt, n, 1e-6f);
                v->rmsnorm(b, x, wgt, n, 1e-6f);
                check_close(v->name, "rmsnorm", b, a, x, n, (tolerance){1e-6, 0, 0}, &worst[0]);
                s->rmsnorm(a, x, NULL, n, 1e-6f);
                v->rmsnorm(b, x, NULL, n, 1e-6f);
                check_close(v->name, "rmsnorm", b, a, x, n, (tolerance){1e-6, 0, 0}, &worst[0]);
                /* softmax, with masked (-inf) entries */
                memcpy(a, x, (size_t)n * sizeof(float));
                if (n > 3) a[1] = a[n - 1] = -INFINITY;
                memcpy(b, a, (size_t)n * sizeof(float));
                s->softmax(a, n);
                v->softmax(b, n);
                check_close(v->name, "softmax", b, a, x, n, (tolerance){2e-6, 0, 1e-37}, &worst[1]);
                /* gelu over [-12, 12] and the random values */
                for (int64_t i = 0; i < n; i++) a[i] = pattern == 1 ? -12.0f + 24.0f * (float)i / (float)n : x[i];
                memcpy(b, a, (size_t)n * sizeof(float));
                memcpy(wgt, a, (size_t)n * sizeof(float));
                s->gelu_tanh(a, n);
                v->gelu_tanh(b, n);
                check_close(v->name, "gelu", b, a, wgt, n, (tolerance){2e-6, 1e-7, 0}, &worst[2]);
                /* softcap at Gemma's final-logit cap */
                memcpy(a, x, (size_t)n * sizeof(float));
                memcpy(b, x, (size_t)n * sizeof(float));
                s->softcap(a, n, 30.0f);
                v->softcap(b, n, 30.0f);
                check_close(v->name, "softcap", b, a, x, n, (tolerance){2e-6, 0, 30e-37}, &worst[3]);
            }
        }
        /* edges: all -inf softmax row is zeros; infinities and NaN through gelu and softcap */
        float row[9] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY,
                        -INFINITY, -INFINITY, -INFINITY, -INFINITY};
        v->softmax(row, 9);
        for (int i = 0; i < 9; i++) assert_true(row[i] == 0.0f);
        const float edge[9] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 10.0f, -10.0f, 1e-30f, -1e-30f};
        memcpy(a, edge, sizeof edge);
        memcpy(b, edge, sizeof edge);
        s->gelu_tanh(a, 9);
        v->gelu_tanh(b, 9);
        check_close(v->name, "gelu edges", b, a, edge, 9, (tolerance){2e-6, 1e-7, 0}, &worst[2]);
        memcpy(a, edge, sizeof edge);
        memcpy(b, edge, sizeof edge);
        s->softcap(a, 9, 30.0f);
        v->softcap(b, 9, 30.0f);
        check_close(v->name, "softcap edges", b, a, edge, 9, (tolerance){2e-6, 0, 30e-37}, &worst[3]);
        print_message("%-12s worst error / tolerance: rmsnorm %.2f softmax %.2f gelu %.2f softcap %.2f\n", v->name,
                      worst[0], worst[1], worst[2], worst[3]);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),  cmocka_unit_test(test_act_quantizers_identical),
        cmocka_unit_test(test_vec_dots),  cmocka_unit_test(test_matmul_tables),
        cmocka_unit_test(test_dot_tiles), cmocka_unit_test(test_ops),
    };
    return cmocka_run_group_tests(tests, setup_tables, NULL);
}
