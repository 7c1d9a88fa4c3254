/*
 * kernel-bench: times one matmul of TOKENS tokens (1 by default: a GEMV; -k 512: a prefill GEMM)
 * against an n x n weight matrix (1536 by default: Gemma 4 E2B's width) for every weight type and
 * every kernel table this CPU runs, and the vector ops on a 262144-wide row (the vocabulary
 * softcap). Prints microseconds per call, weight GB/s and the speedup over the scalar table. A
 * development tool, not a test: timings depend on the machine and its load.
 *
 *   kernel-bench [-n DIM] [-t THREADS] [-k TOKENS] [-s SECONDS_PER_CASE] [-T TABLE] [-a N]
 *
 * -T times only that table (no speedup column): before/after comparisons of one table's kernels
 * without the minutes the scalar GEMMs take at -k 512.
 * -a N times instead one bidirectional attention call of N tokens, 12 heads x 64 (Gemma 4 E2B's
 * vision encoder: N = 4032 patches for a 280-token image) per table (attention_bench.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu.h"
#include "core/pool.h"
#include "kernels/blocks.h"
#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/quants.h"

#include "attention_bench.h"

static const g4_type k_types[] = {G4_TYPE_F32,  G4_TYPE_F16,  G4_TYPE_BF16, G4_TYPE_Q8_0, G4_TYPE_Q4_0,
                                  G4_TYPE_Q4_1, G4_TYPE_Q5_0, G4_TYPE_Q5_1, G4_TYPE_Q2_K, G4_TYPE_Q3_K,
                                  G4_TYPE_Q4_K, G4_TYPE_Q5_K, G4_TYPE_Q6_K};
static const char *const k_tables[] = {"scalar", "avx2", "neon", "neon-dotprod"};
#define N_TABLES (sizeof k_tables / sizeof k_tables[0])

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float rnd(void) { /* uniform in [-1, 1) */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((rng_state * 0x2545F4914F6CDD1Dull) >> 40) / 8388608.0f - 1.0f;
}

/* Realistic weights: random f32 rows quantized with the reference quantizer. */
static void *make_matrix(g4_type t, int64_t n, size_t *row_bytes) {
    if (!g4_type_row_bytes(t, n, row_bytes)) return NULL;
    uint8_t *w = malloc(*row_bytes * (size_t)n);
    float *row = malloc((size_t)n * sizeof(float));
    if (!w || !row) {
        free(w);
        free(row);
        return NULL;
    }
    for (int64_t r = 0; r < n; r++) {
        for (int64_t i = 0; i < n; i++) row[i] = rnd() * 0.05f;
        g4_quantize_row(t, row, w + (size_t)r * *row_bytes, n);
    }
    free(row);
    return w;
}

/* Mean seconds per call of fn over at least min_s seconds (after one warm-up call). */
#define TIME_IT(min_s, result, ...)                                                                                    \
    do {                                                                                                               \
        __VA_ARGS__;                                                                                                   \
        long reps_ = 0;                                                                                                \
        const double t0_ = now_s();                                                                                    \
        double t1_;                                                                                                    \
        do {                                                                                                           \
            for (int i_ = 0; i_ < 4; i_++) {                                                                           \
                __VA_ARGS__;                                                                                           \
            }                                                                                                          \
            reps_ += 4;                                                                                                \
            t1_ = now_s();                                                                                             \
        } while (t1_ - t0_ < (min_s));                                                                                 \
        (result) = (t1_ - t0_) / (double)reps_;                                                                        \
    } while (0)

int main(int argc, char **argv) {
    int64_t n = 1536, n_tok = 1, n_attn = 0;
    int threads = 1;
    double min_s = 0.3;
    const char *only_table = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "-n"))
            n = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-t"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "-k"))
            n_tok = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "-s"))
            min_s = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "-T"))
            only_table = argv[i + 1];
        else if (!strcmp(argv[i], "-a"))
            n_attn = atoll(argv[i + 1]);
        else {
            fprintf(stderr, "usage: %s [-n DIM] [-t THREADS] [-k TOKENS] [-s SECONDS] [-T TABLE] [-a N]\n", argv[0]);
            return 2;
        }
    }
    if (n <= 0 || n % 256 != 0 || threads < 1 || n_tok < 1 || n_attn < 0) {
        fprintf(stderr, "DIM must be a positive multiple of 256, THREADS and TOKENS >= 1, N >= 0\n");
        return 2;
    }
    char desc[128];
    g4_cpu_features_describe(g4_cpu_features_get(), desc, sizeof desc);
    const g4_kernels *tables[N_TABLES];
    int nt = 0;
    printf("cpu %s; best table %s; %s %lld x %lld, %lld token(s), %d thread(s)\n", desc, g4_kernels_best()->name,
           n_tok == 1 ? "GEMV" : "GEMM", (long long)n, (long long)n, (long long)n_tok, threads);
    for (size_t i = 0; i < N_TABLES; i++)
        if (g4_kernels_by_name(k_tables[i]) && (!only_table || !strcmp(only_table, k_tables[i])))
            tables[nt++] = g4_kernels_by_name(k_tables[i]);
    if (nt == 0) {
        fprintf(stderr, "no kernel table \"%s\" runs on this CPU (scalar, avx2, neon, neon-dotprod)\n", only_table);
        return 2;
    }

    g4_pool *pool = threads > 1 ? g4_pool_new(threads) : NULL;
    if (threads > 1 && !pool) return 1;
    if (n_attn > 0) {
        const int rc = kb_bench_bidirectional_attention(tables, nt, pool, n_attn, 12, 64);
        g4_pool_free(pool);
        return rc;
    }
    float *x = malloc((size_t)(n * n_tok) * sizeof(float)), *y = malloc((size_t)(n * n_tok) * sizeof(float));
    size_t scratch_bytes = 64;
    for (size_t ti = 0; ti < sizeof k_types / sizeof k_types[0]; ti++) {
        const size_t b = g4_matmul_scratch_bytes(k_types[ti], n, n_tok);
        if (b > scratch_bytes) scratch_bytes = b;
    }
    void *scratch = malloc(scratch_bytes);
    if (!x || !y || !scratch || (threads > 1 && !pool)) return 1;
    for (int64_t i = 0; i < n * n_tok; i++) x[i] = rnd();

    printf("%-6s", "type");
    for (int k = 0; k < nt; k++) printf(" %14s us   GB/s", tables[k]->name);
    for (int k = 1; k < nt; k++) printf("  x%-s", tables[k]->name);
    printf("\n");
    for (size_t ti = 0; ti < sizeof k_types / sizeof k_types[0]; ti++) {
        const g4_type t = k_types[ti];
        size_t rb;
        void *data = make_matrix(t, n, &rb);
        if (!data) return 1;
        const g4_matrix w = {t, n, n, rb, data};
        double sec[N_TABLES];
        printf("%-6s", g4_type_name(t));
        for (int k = 0; k < nt; k++) {
            TIME_IT(min_s, sec[k], g4_matmul_with(tables[k], &w, x, n_tok, y, scratch, pool));
            printf(" %17.1f %6.2f", sec[k] * 1e6, (double)rb * (double)n / sec[k] * 1e-9);
        }
        for (int k = 1; k < nt; k++) printf("  %5.2f", sec[0] / sec[k]);
        printf("\n");
        fflush(stdout);
        free(data);
    }

    /* vector ops on one vocabulary-sized row; the in-place ops are timed with the 1 MiB copy that
     * restores their input (the same for every table) */
    const int64_t m = 262144;
    float *v = malloc((size_t)m * sizeof(float)), *o = malloc((size_t)m * sizeof(float));
    if (!v || !o) return 1;
    for (int64_t i = 0; i < m; i++) v[i] = rnd() * 8.0f;
    printf("\n%-8s", "op");
    for (int k = 0; k < nt; k++) printf(" %12s us", tables[k]->name);
    printf("   (n = %lld)\n", (long long)m);
    static const char *const ops[] = {"rmsnorm", "softmax", "gelu", "softcap"};
    for (int op = 0; op < 4; op++) {
        printf("%-8s", ops[op]);
        for (int k = 0; k < nt; k++) {
            const g4_kernels *kt = tables[k];
            double s;
            switch (op) {
            case 0:
                TIME_IT(min_s, s, kt->rmsnorm(o, v, v, m, 1e-6f));
                break;
            case 1:
                TIME_IT(min_s, s, memcpy(o, v, (size_t)m * sizeof(float)); kt->softmax(o, m));
                break;
            case 2:
                TIME_IT(min_s, s, memcpy(o, v, (size_t)m * sizeof(float)); kt->gelu_tanh(o, m));
                break;
            default:
                TIME_IT(min_s, s, memcpy(o, v, (size_t)m * sizeof(float)); kt->softcap(o, m, 30.0f));
                break;
            }
            printf(" %15.1f", s * 1e6);
        }
        printf("\n");
    }
    free(v);
    free(o);
    free(x);
    free(y);
    free(scratch);
    g4_pool_free(pool);
    return 0;
}
