/* Bidirectional (non-causal) attention (kernels/attention.h, g4_attn_args.bidirectional) in every
 * kernel table this CPU can run, as a vision encoder calls it: Q, K and V in f32 [N][n_head *
 * head_dim], K and V handed over as an F32 "cache" of N rows, pos0 = 0, every query seeing every key.
 *
 *  - the scalar g4_attention against a softmax over all N keys in double precision;
 *  - every SIMD table against the scalar one;
 *  - per table, the same bits for any split of the heads between calls (the thread pool's), and rows
 *    of heads outside the called range untouched;
 *  - a window in this mode masks only keys more than w - 1 behind the query, never later ones.
 * Sizes: head_dim 64 (E2B's ViT) and 72, odd ones with a tail in every vector width, N of one token,
 * N below, at and not a multiple of the key block (32), and a few hundred; scale 1.0 (the ViT's) and not.
 *
 * Tolerance, as in test_kernels_attention.c: every output element within
 * TOL_EPS (A + 1) max|v| of the reference, A = scale * max_j sum_d |q_d k_jd| the largest score the
 * terms could make, TOL_EPS = 4 FLT_EPSILON. A key left out (the causal mask kept) moves outputs by
 * O(0.1 max|v|).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention.h"
#include "kernels/dispatch.h"
#include "testkit.h"

#define TOL_EPS (4.0 * FLT_EPSILON)

typedef struct cfg {
    int64_t hd, n_head, n_tok, window;
    float scale;
} cfg;

static const cfg k_cfgs[] = {
    {64, 12, 1, 0, 1.0f},   /* one token */
    {64, 4, 31, 0, 1.0f},   /* under one key block */
    {64, 3, 32, 0, 1.0f},   /* exactly one block */
    {72, 4, 45, 0, 1.0f},   /* head dim 72, a block and a half */
    {72, 2, 300, 0, 1.0f},  /* many blocks, N not a multiple of the block */
    {64, 12, 130, 0, 1.0f}, /* E2B's head count */
    {20, 3, 33, 0, 0.35f},  /* tails in every vector width, scaled */
    {46, 2, 70, 20, 0.5f},  /* a window: past keys masked, future ones seen */
};
#define N_CFGS (sizeof k_cfgs / sizeof k_cfgs[0])

static const char *const k_names[] = {"avx2", "neon", "neon-dotprod"};
#define N_NAMES (sizeof k_names / sizeof k_names[0])

typedef struct qkv {
    float *q, *k, *v;
    g4_attn_cache cache;
} qkv;

static void qkv_init(qkv *x, const cfg *c, uint64_t seed) {
    const size_t n = (size_t)(c->n_tok * c->n_head * c->hd);
    g4t_rng rng;
    g4t_rng_seed(&rng, seed);
    x->q = malloc(sizeof(float) * n);
    x->k = malloc(sizeof(float) * n);
    x->v = malloc(sizeof(float) * n);
    assert_true(x->q && x->k && x->v);
    for (size_t i = 0; i < n; i++) {
        x->q[i] = g4t_rng_normal(&rng);
        x->k[i] = g4t_rng_normal(&rng);
        x->v[i] = g4t_rng_normal(&rng);
    }
    x->cache = (g4_attn_cache){.type = G4_TYPE_F32,
                               .k = x->k,
                               .v = x->v,
                               .row_bytes = sizeof(float) * (size_t)(c->n_head * c->hd),
                               .n_slots = c->n_tok};
}

static void qkv_free(qkv *x) {
    free(x->q);
    free(x->k);
    free(x->v);
}

/* k->attention for heads [h0, h1) into out, with a scratch full of NaNs; fails if a row of another
 * head changed. */
static void call(const g4_kernels *k, const cfg *c, const qkv *x, float *out, int64_t h0, int64_t h1) {
    const g4_attn_args a = {.cache = &x->cache,
                            .n_head = c->n_head,
                            .n_head_kv = c->n_head,
                            .head_dim = c->hd,
                            .scale = c->scale,
                            .window = c->window,
                            .bidirectional = true,
                            .n_tok = c->n_tok,
                            .pos0 = 0,
                            .q = x->q,
                            .out = out};
    const size_t bytes = g4_attention_scratch_bytes(c->hd, c->n_head, c->n_tok);
    const size_t out_bytes = sizeof(float) * (size_t)(c->n_tok * c->n_head * c->hd);
    void *scratch = malloc(bytes);
    float *before = malloc(out_bytes);
    assert_true(scratch && before);
    memset(scratch, 0xFF, bytes);
    memcpy(before, out, out_bytes);
    k->attention(&a, h0, h1, scratch);
    for (int64_t t = 0; t < c->n_tok; t++)
        for (int64_t h = 0; h < c->n_head; h++) {
            if (h >= h0 && h < h1) continue;
            const size_t row = (size_t)((t * c->n_head + h) * c->hd);
            if (memcmp(out + row, before + row, sizeof(float) * (size_t)c->hd) != 0)
                fail_msg("%s: head %lld outside [%lld, %lld) was written", k->name, (long long)h, (long long)h0,
                         (long long)h1);
        }
    free(scratch);
    free(before);
}

static float *sentinel_rows(const cfg *c) {
    const int64_t n = c->n_tok * c->n_head * c->hd;
    float *x = malloc(sizeof(float) * (size_t)n);
    assert_non_null(x);
    for (int64_t i = 0; i < n; i++) x[i] = -12345.0f;
    return x;
}

/* The textbook softmax in double over the keys j with (window 0 or t - j < window), all later
 * ones included; bound[t * n_head + h] as at the top. */
static void naive(const cfg *c, const qkv *x, double *out, double *bound) {
    const int64_t hd = c->hd, w = c->n_head * hd;
    double *s = malloc(sizeof(double) * (size_t)c->n_tok);
    assert_non_null(s);
    for (int64_t t = 0; t < c->n_tok; t++) {
        const int64_t lo = c->window > 0 && t - c->window + 1 > 0 ? t - c->window + 1 : 0;
        for (int64_t h = 0; h < c->n_head; h++) {
            const float *qh = x->q + t * w + h * hd;
            double *o = out + t * w + h * hd;
            double mx = -INFINITY, A = 0.0, vmax = 0.0, sum = 0.0;
            for (int64_t j = lo; j < c->n_tok; j++) {
                const float *kj = x->k + j * w + h * hd;
                double dot = 0.0, mag = 0.0;
                for (int64_t d = 0; d < hd; d++) {
                    dot += (double)qh[d] * kj[d];
                    mag += fabs((double)qh[d] * kj[d]);
                }
                s[j] = dot * c->scale;
                if (s[j] > mx) mx = s[j];
                if (mag * c->scale > A) A = mag * c->scale;
            }
            memset(o, 0, sizeof(double) * (size_t)hd);
            for (int64_t j = lo; j < c->n_tok; j++) {
                const float *vj = x->v + j * w + h * hd;
                const double e = exp(s[j] - mx);
                sum += e;
                for (int64_t d = 0; d < hd; d++) {
                    o[d] += e * vj[d];
                    if (fabs(vj[d]) > vmax) vmax = fabs(vj[d]);
                }
            }
            for (int64_t d = 0; d < hd; d++) o[d] /= sum;
            bound[t * c->n_head + h] = TOL_EPS * (A + 1.0) * vmax;
        }
    }
    free(s);
}

/* Largest |got - want| / bound; fails past 1. */
static double check_close(const char *what, const cfg *c, const float *got, const double *want, const double *bound) {
    double worst = 0.0;
    for (int64_t i = 0; i < c->n_tok * c->n_head * c->hd; i++) {
        const double err = fabs((double)got[i] - want[i]), b = bound[i / c->hd];
        if (!(err <= b))
            fail_msg("%s, hd %lld heads %lld N %lld window %lld: token %lld head %lld elem %lld: %.9g vs %.9g "
                     "(bound %.3g)",
                     what, (long long)c->hd, (long long)c->n_head, (long long)c->n_tok, (long long)c->window,
                     (long long)(i / (c->n_head * c->hd)), (long long)(i / c->hd % c->n_head), (long long)(i % c->hd),
                     (double)got[i], want[i], b);
        if (err / b > worst) worst = err / b;
    }
    return worst;
}

static const g4_kernels *g_tables[N_NAMES + 1]; /* scalar first, then the runnable SIMD tables */
static int g_n_tables;

static int setup_tables(void **state) {
    (void)state;
    g_tables[g_n_tables++] = g4_kernels_scalar();
    for (size_t i = 0; i < N_NAMES; i++) {
        const g4_kernels *k = g4_kernels_by_name(k_names[i]);
        if (k) g_tables[g_n_tables++] = k;
    }
    return 0;
}

/* Scalar against the double reference, then each SIMD table against the scalar one. */
static void test_against_reference(void **state) {
    (void)state;
    double worst[N_NAMES + 1] = {0};
    for (size_t ci = 0; ci < N_CFGS; ci++) {
        const cfg *c = &k_cfgs[ci];
        const int64_t n = c->n_tok * c->n_head * c->hd;
        qkv x;
        qkv_init(&x, c, 0xB1D1ull + ci);
        double *ref = malloc(sizeof(double) * (size_t)n), *scal = malloc(sizeof(double) * (size_t)n);
        double *bound = malloc(sizeof(double) * (size_t)(c->n_tok * c->n_head));
        assert_true(ref && scal && bound);
        naive(c, &x, ref, bound);
        for (int i = 0; i < g_n_tables; i++) {
            float *out = sentinel_rows(c);
            call(g_tables[i], c, &x, out, 0, c->n_head);
            double e;
            if (i == 0) {
                e = check_close("scalar vs double reference", c, out, ref, bound);
                for (int64_t k = 0; k < n; k++) scal[k] = out[k];
            } else {
                e = check_close(g_tables[i]->name, c, out, scal, bound);
            }
            if (e > worst[i]) worst[i] = e;
            free(out);
        }
        free(ref);
        free(scal);
        free(bound);
        qkv_free(&x);
    }
    print_message("bidirectional attention, worst error / bound: scalar vs double %.3f", worst[0]);
    for (int i = 1; i < g_n_tables; i++) print_message(", %s vs scalar %.3f", g_tables[i]->name, worst[i]);
    print_message(" (bound = %.0f eps (A + 1) max|v|)\n", TOL_EPS / FLT_EPSILON);
}

/* One head per call, and two uneven halves, give the bits of one call over all heads. */
static void test_head_split_invariance(void **state) {
    (void)state;
    for (int ti = 0; ti < g_n_tables; ti++) {
        for (size_t ci = 0; ci < N_CFGS; ci++) {
            const cfg *c = &k_cfgs[ci];
            const size_t bytes = sizeof(float) * (size_t)(c->n_tok * c->n_head * c->hd);
            qkv x;
            qkv_init(&x, c, 0x5B117ull + ci);
            float *whole = sentinel_rows(c), *one = sentinel_rows(c), *halves = sentinel_rows(c);
            call(g_tables[ti], c, &x, whole, 0, c->n_head);
            for (int64_t h = 0; h < c->n_head; h++) call(g_tables[ti], c, &x, one, h, h + 1);
            const int64_t cut = (c->n_head + 1) / 3;
            call(g_tables[ti], c, &x, halves, 0, cut);
            call(g_tables[ti], c, &x, halves, cut, c->n_head);
            if (memcmp(whole, one, bytes) != 0 || memcmp(whole, halves, bytes) != 0)
                fail_msg("%s, hd %lld N %lld: a head split changed the bits", g_tables[ti]->name, (long long)c->hd,
                         (long long)c->n_tok);
            free(whole);
            free(one);
            free(halves);
            qkv_free(&x);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_head_split_invariance),
    };
    return cmocka_run_group_tests(tests, setup_tables, NULL);
}
