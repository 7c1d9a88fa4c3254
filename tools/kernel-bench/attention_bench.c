/*
 * kernel-bench's attention case: one bidirectional attention call per table over an encoder-sized
 * batch (a vision transformer's patches: 4032 of them for a 280-token E2B image), f32 Q, K and V
 * of unit-variance-like values, as its q/k/v norms produce. A single timed call per table: at that
 * size one call is tens of GFLOP, seconds even for the SIMD tables.
 */
#include "attention_bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/attention.h"

typedef struct job {
    const g4_kernels *k;
    const g4_attn_args *args;
    char *scratch;
    size_t stride;
} job;

/* Heads split evenly over the threads, each with its own scratch (as src/model/forward.c does). */
static void worker(void *ctx, int ith, int nth) {
    const job *j = ctx;
    const int64_t n_head = j->args->n_head;
    j->k->attention(j->args, n_head * ith / nth, n_head * (ith + 1) / nth, j->scratch + (size_t)ith * j->stride);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int kb_bench_bidirectional_attention(const g4_kernels *const *tables, int nt, g4_pool *pool, int64_t n_tok,
                                     int64_t n_head, int64_t head_dim) {
    const int nth = g4_pool_size(pool);
    const size_t n = (size_t)(n_tok * n_head * head_dim);
    const size_t stride = (g4_attention_scratch_bytes(head_dim, n_head, n_tok) + 63) & ~(size_t)63;
    float *q = malloc(n * sizeof(float)), *k = malloc(n * sizeof(float)), *v = malloc(n * sizeof(float));
    float *out = malloc(n * sizeof(float));
    char *scratch = malloc(stride * (size_t)nth);
    int rc = 1;
    if (!q || !k || !v || !out || !scratch) goto done;
    uint64_t s = 0x2545F4914F6CDD1Dull;
    for (size_t i = 0; i < n; i++) { /* uniform in [-1.7, 1.7): variance ~1 */
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        const float u = (float)((s * 0x2545F4914F6CDD1Dull) >> 40) / 16777216.0f * 3.4f - 1.7f;
        q[i] = u, k[i] = u * 0.9f + 0.1f, v[i] = -u;
    }
    const g4_attn_cache cache = {.type = G4_TYPE_F32,
                                 .k = k,
                                 .v = v,
                                 .row_bytes = sizeof(float) * (size_t)(n_head * head_dim),
                                 .n_slots = n_tok};
    const g4_attn_args args = {.cache = &cache,
                               .n_head = n_head,
                               .n_head_kv = n_head,
                               .head_dim = head_dim,
                               .scale = 1.0f,
                               .bidirectional = true,
                               .n_tok = n_tok,
                               .q = q,
                               .out = out};
    const double flops = 4.0 * (double)n_tok * (double)n_tok * (double)head_dim * (double)n_head;
    printf("\nbidirectional attention: %lld tokens, %lld heads x %lld, %d thread(s), %.1f GFLOP per call\n",
           (long long)n_tok, (long long)n_head, (long long)head_dim, nth, flops * 1e-9);
    double first = 0.0;
    for (int t = 0; t < nt; t++) {
        job j = {tables[t], &args, scratch, stride};
        const double t0 = now_s();
        g4_pool_run(pool, worker, &j);
        const double sec = now_s() - t0;
        if (t == 0) first = sec;
        printf("%-14s %9.3f s %8.2f GFLOP/s", tables[t]->name, sec, flops / sec * 1e-9);
        if (t > 0) printf("   x%.2f over %s", first / sec, tables[0]->name);
        printf("   (out[0] = %.6f)\n", (double)out[0]);
        fflush(stdout);
    }
    rc = 0;
done:
    free(q);
    free(k);
    free(v);
    free(out);
    free(scratch);
    return rc;
}
