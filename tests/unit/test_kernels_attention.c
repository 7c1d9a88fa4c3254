/* Streaming attention (kernels/attention.h) in every kernel table this CPU can run:
 *
 *  - the scalar g4_attention against a naive full softmax in double precision, on random data in a
 *    ring cache laid out as the model's KV cache (slot = position % slots): F32, F16 and Q8_0
 *    caches, head dims from 20 to 512 (including ones that are not a multiple of the vector width),
 *    GQA 8:1, 2:1 and 1:1, full causal and sliding windows shorter and longer than a key block,
 *    batches of 1..70 queries, at pos0 = 0 and at positions where the ring has wrapped;
 *  - every SIMD table's attention (avx2, neon, neon-dotprod) against the scalar one on the same cases;
 *  - per table, the property the model relies on for prefill == decode: a query's output has the
 *    same bits whether it comes in one batch, in chunks, or one token at a time (each way on its own
 *    ring, so that slots it cannot see hold different data), and for any split of the heads
 *    between calls (the thread pool's); rows of heads outside the called range are not written;
 *  - the vector e^x of the SIMD versions against expf.
 *
 * Tolerances. The outputs are softmax-weighted means of V rows. Rounding a score by delta moves the
 * output by at most about 2 |delta| max|v|, and a score's rounding is relative to
 * A = scale * max_j sum_d |q_d k_jd| (the largest score the terms could make). So every output
 * element must be within  TOL_EPS * (A + 1) * max|v|  of the reference, where max|v| runs over the
 * V values the query sees. TOL_EPS = 64 FLT_EPSILON (8e-6) covers the scalar float sum of 512
 * products (error growing like sqrt(hd) eps in practice) and the exp and normalisation roundings;
 * the measured worst case is printed (it is several times smaller). A wrong key, a missed mask or a
 * skipped rescale moves outputs by O(0.1 max|v|).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention.h"
#include "kernels/dispatch.h"
#include "kernels/quants.h"
#include "testkit.h"

#define MAX_TOK 70
#define TOL_EPS (4.0 * FLT_EPSILON)

typedef struct cfg {
    g4_type type;
    int64_t hd, n_head, n_head_kv, window;
    float scale;
} cfg;

static const cfg k_cfgs[] = {
    {G4_TYPE_F32, 46, 4, 2, 0, 0.30f},   /* 2:1, head dim with a tail in every vector width */
    {G4_TYPE_F16, 20, 2, 2, 11, 0.45f},  /* 1:1, window shorter than a block */
    {G4_TYPE_F16, 256, 8, 1, 40, 0.15f}, /* E2B sliding layer shape, window longer than a block */
    {G4_TYPE_F16, 512, 8, 1, 0, 0.12f},  /* E2B global layer shape */
    {G4_TYPE_Q8_0, 256, 4, 2, 5, 0.15f}, {G4_TYPE_Q8_0, 64, 8, 1, 0, 0.40f},
    {G4_TYPE_F32, 512, 2, 1, 33, 0.10f}, {G4_TYPE_F16, 128, 6, 3, 64, 0.25f},
};
#define N_CFGS (sizeof k_cfgs / sizeof k_cfgs[0])

/* (pos0, n_tok) of the batches compared with the reference; positions stay below MAX_POS. */
static const int64_t k_batches[][2] = {{0, 1},   {0, MAX_TOK},   {1, 1},   {37, 1},
                                       {33, 31}, {150, MAX_TOK}, {200, 5}, {229, 1}};
#define N_BATCHES (sizeof k_batches / sizeof k_batches[0])
#define MAX_POS 300

static const char *const k_names[] = {"avx2", "neon", "neon-dotprod"};
#define N_NAMES (sizeof k_names / sizeof k_names[0])

/* ---- a ring KV cache -------------------------------------------------------------------------- */

typedef struct ring {
    g4_attn_cache c;
    uint8_t *k, *v;
} ring;

/* Slots the model would give a layer: enough for a window and a batch of MAX_TOK, or every position. */
static int64_t ring_slots(const cfg *c) {
    return c->window > 0 ? c->window + MAX_TOK - 1 : MAX_POS;
}

static void ring_init(ring *r, const cfg *c) {
    size_t head_bytes = 0;
    assert_true(g4_type_row_bytes(c->type, c->hd, &head_bytes));
    r->c.type = c->type;
    r->c.row_bytes = head_bytes * (size_t)c->n_head_kv;
    r->c.n_slots = ring_slots(c);
    r->k = calloc((size_t)r->c.n_slots, r->c.row_bytes);
    r->v = calloc((size_t)r->c.n_slots, r->c.row_bytes);
    assert_true(r->k && r->v);
    r->c.k = r->k;
    r->c.v = r->v;
}

static void ring_free(ring *r) {
    free(r->k);
    free(r->v);
}

/* A row of n values that depends only on (what, p): rings filled in different orders agree on
 * every position they hold. what: 0 K, 1 V, 2 Q. */
static void values_of(int what, int64_t p, float *x, int64_t n) {
    g4t_rng rng;
    g4t_rng_seed(&rng, 0x51ED5EEDull + (uint64_t)p * 3 + (uint64_t)what);
    for (int64_t i = 0; i < n; i++) x[i] = g4t_rng_normal(&rng);
}

/* Stores position p's K and V (all KV heads) into its slot, in the cache type. */
static void ring_put(ring *r, const cfg *c, int64_t p) {
    const int64_t n = c->n_head_kv * c->hd;
    float *x = malloc(sizeof(float) * (size_t)n);
    const size_t off = (size_t)(p % r->c.n_slots) * r->c.row_bytes;
    values_of(0, p, x, n);
    g4_quantize_row(c->type, x, r->k + off, n);
    values_of(1, p, x, n);
    g4_quantize_row(c->type, x, r->v + off, n);
    free(x);
}

static float *queries(const cfg *c, int64_t pos0, int64_t n_tok) {
    const int64_t w = c->n_head * c->hd;
    float *q = malloc(sizeof(float) * (size_t)(n_tok * w));
    for (int64_t t = 0; t < n_tok; t++) values_of(2, pos0 + t, q + t * w, w);
    return q;
}

/* ---- running a table -------------------------------------------------------------------------- */

static const float k_sentinel = -12345.0f;

/* Calls k->attention for heads [h0, h1) with a scratch full of garbage, and checks that the other
 * heads' rows of out are untouched. */
static void call(const g4_kernels *k, const cfg *c, const ring *r, int64_t pos0, int64_t n_tok, const float *q,
                 float *out, int64_t h0, int64_t h1) {
    const g4_attn_args a = {.cache = &r->c,
                            .n_head = c->n_head,
                            .n_head_kv = c->n_head_kv,
                            .head_dim = c->hd,
                            .scale = c->scale,
                            .window = c->window,
                            .n_tok = n_tok,
                            .pos0 = pos0,
                            .q = q,
                            .out = out};
    const size_t bytes = g4_attention_scratch_bytes(c->hd, c->n_head, n_tok);
    void *scratch = malloc(bytes);
    assert_non_null(scratch);
    memset(scratch, 0xFF, bytes); /* NaN everywhere: the kernel must not read what it did not write */
    const size_t out_bytes = sizeof(float) * (size_t)(n_tok * c->n_head * c->hd);
    float *before = malloc(out_bytes);
    memcpy(before, out, out_bytes);
    k->attention(&a, h0, h1, scratch);
    free(scratch);
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t h = 0; h < c->n_head; h++) {
            if (h >= h0 && h < h1) continue;
            const size_t row = (size_t)((t * c->n_head + h) * c->hd);
            if (memcmp(out + row, before + row, sizeof(float) * (size_t)c->hd) != 0)
                fail_msg("%s: head %lld outside [%lld, %lld) was written", k->name, (long long)h, (long long)h0,
                         (long long)h1);
        }
    free(before);
}

static float *sentinel_rows(int64_t n) {
    float *x = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = k_sentinel;
    return x;
}

/* ---- the double-precision reference ----------------------------------------------------------- */

/* out[n_tok][n_head][hd] by the textbook softmax over every visible key, from the values as the
 * ring stores them; bound[t * n_head + h] = TOL_EPS * (A + 1) * max|v| of that query (see top). */
static void naive(const cfg *c, const ring *r, int64_t pos0, int64_t n_tok, const float *q, double *out,
                  double *bound) {
    const int64_t hd = c->hd, n_kv = c->n_head_kv, n_gqa = c->n_head / n_kv;
    float *krow = malloc(sizeof(float) * (size_t)(n_kv * hd)), *vrow = malloc(sizeof(float) * (size_t)(n_kv * hd));
    double *s = malloc(sizeof(double) * MAX_POS);
    for (int64_t t = 0; t < n_tok; t++) {
        const int64_t p = pos0 + t;
        const int64_t lo = c->window > 0 && p - c->window + 1 > 0 ? p - c->window + 1 : 0;
        for (int64_t h = 0; h < c->n_head; h++) {
            const int64_t g = h / n_gqa;
            const float *qh = q + (t * c->n_head + h) * hd;
            double *o = out + (t * c->n_head + h) * hd;
            double mx = -INFINITY, A = 0.0, vmax = 0.0, sum = 0.0;
            for (int64_t j = lo; j <= p; j++) {
                const size_t off = (size_t)(j % r->c.n_slots) * r->c.row_bytes;
                g4_dequantize_row(c->type, r->k + off, krow, n_kv * hd);
                double dot = 0.0, mag = 0.0;
                for (int64_t d = 0; d < hd; d++) {
                    dot += (double)qh[d] * krow[g * hd + d];
                    mag += fabs((double)qh[d] * krow[g * hd + d]);
                }
                s[j - lo] = dot * c->scale;
                if (s[j - lo] > mx) mx = s[j - lo];
                if (mag * c->scale > A) A = mag * c->scale;
            }
            memset(o, 0, sizeof(double) * (size_t)hd);
            for (int64_t j = lo; j <= p; j++) {
                const size_t off = (size_t)(j % r->c.n_slots) * r->c.row_bytes;
                g4_dequantize_row(c->type, r->v + off, vrow, n_kv * hd);
                const double e = exp(s[j - lo] - mx);
                sum += e;
                for (int64_t d = 0; d < hd; d++) {
                    o[d] += e * vrow[g * hd + d];
                    if (fabs(vrow[g * hd + d]) > vmax) vmax = fabs(vrow[g * hd + d]);
                }
            }
            for (int64_t d = 0; d < hd; d++) o[d] /= sum;
            bound[t * c->n_head + h] = TOL_EPS * (A + 1.0) * vmax;
        }
    }
    free(krow);
    free(vrow);
    free(s);
}

/* Largest |got - want| / bound over a batch; fails past 1 (bound already holds TOL_EPS). */
static double check_close(const char *what, const cfg *c, int64_t pos0, int64_t n_tok, const float *got,
                          const double *want, const double *bound) {
    double worst = 0.0;
    for (int64_t t = 0; t < n_tok; t++)
        for (int64_t h = 0; h < c->n_head; h++)
            for (int64_t d = 0; d < c->hd; d++) {
                const int64_t i = (t * c->n_head + h) * c->hd + d;
                const double err = fabs((double)got[i] - want[i]), b = bound[t * c->n_head + h];
                if (!(err <= b)) {
                    fail_msg("%s, %s hd %lld heads %lld/%lld window %lld, batch at %lld of %lld: position %lld head "
                             "%lld elem %lld: %.9g vs %.9g (bound %.3g)",
                             what, g4_type_name(c->type), (long long)c->hd, (long long)c->n_head,
                             (long long)c->n_head_kv, (long long)c->window, (long long)pos0, (long long)n_tok,
                             (long long)(pos0 + t), (long long)h, (long long)d, (double)got[i], want[i], b);
                }
                if (err / b > worst) worst = err / b;
            }
    return worst;
}

/* ---- tests ------------------------------------------------------------------------------------ */

static const g4_kernels *g_tables[N_NAMES + 1]; /* scalar first, then the runnable SIMD tables */
static int g_n_tables;

static int setup_tables(void **state) {
    (void)state;
    g_tables[g_n_tables++] = g4_kernels_scalar();
    char names[64] = "";
    for (size_t i = 0; i < N_NAMES; i++) {
        const g4_kernels *k = g4_kernels_by_name(k_names[i]);
        if (!k) continue;
        g_tables[g_n_tables++] = k;
        strcat(names, " ");
        strcat(names, k->name);
    }
    print_message("SIMD attention tested against scalar:%s\n", g_n_tables > 1 ? names : " none (no such table here)");
    return 0;
}

static void test_tables_have_attention(void **state) {
    (void)state;
    assert_ptr_equal(g4_kernels_scalar()->attention, g4_attention);
    for (int i = 0; i < g_n_tables; i++) assert_non_null(g_tables[i]->attention);
    assert_non_null(g4_kernels_best()->attention);
}

/* Scalar against the double reference, then each SIMD table against the scalar one. */
static void test_against_reference(void **state) {
    (void)state;
    double worst[N_NAMES + 1] = {0};
    for (size_t ci = 0; ci < N_CFGS; ci++) {
        const cfg *c = &k_cfgs[ci];
        int wrapped = 0;
        for (size_t bi = 0; bi < N_BATCHES; bi++) {
            const int64_t pos0 = k_batches[bi][0], n_tok = k_batches[bi][1], n = n_tok * c->n_head * c->hd;
            ring r;
            ring_init(&r, c);
            for (int64_t p = 0; p < pos0 + n_tok; p++) ring_put(&r, c, p);
            wrapped += pos0 + n_tok > r.c.n_slots;
            float *q = queries(c, pos0, n_tok);
            double *ref = malloc(sizeof(double) * (size_t)n),
                   *bound = malloc(sizeof(double) * (size_t)(n_tok * c->n_head));
            double *scal = malloc(sizeof(double) * (size_t)n);
            naive(c, &r, pos0, n_tok, q, ref, bound);
            for (int i = 0; i < g_n_tables; i++) {
                float *out = sentinel_rows(n);
                call(g_tables[i], c, &r, pos0, n_tok, q, out, 0, c->n_head);
                double e;
                if (i == 0) {
                    e = check_close("scalar vs double reference", c, pos0, n_tok, out, ref, bound);
                    for (int64_t k = 0; k < n; k++) scal[k] = out[k];
                } else {
                    e = check_close(g_tables[i]->name, c, pos0, n_tok, out, scal, bound);
                }
                if (e > worst[i]) worst[i] = e;
                free(out);
            }
            free(q);
            free(ref);
            free(bound);
            free(scal);
            ring_free(&r);
        }
        if (c->window > 0 && !wrapped)
            fail_msg("window %lld: no batch where the ring has wrapped", (long long)c->window);
    }
    print_message("worst error / bound: scalar vs double %.3f", worst[0]);
    for (int i = 1; i < g_n_tables; i++) print_message(", %s vs scalar %.3f", g_tables[i]->name, worst[i]);
    print_message(" (bound = %.0f eps (A + 1) max|v|)\n", TOL_EPS / FLT_EPSILON);
}

/* One way of feeding positions 0..P-1 to a table: batches of the given sizes (cycled), each after
 * its K and V are written to a fresh ring, each call split over the head ranges cut at `cuts`. */
typedef struct schedule {
    int64_t sizes[4];
    int n_sizes;
    int64_t cuts[4]; /* head indices strictly inside (0, n_head), 0-terminated */
} schedule;

static float *run_schedule(const g4_kernels *k, const cfg *c, const schedule *sch, int64_t P) {
    const int64_t w = c->n_head * c->hd;
    float *all = malloc(sizeof(float) * (size_t)(P * w));
    ring r;
    ring_init(&r, c);
    int si = 0;
    for (int64_t p0 = 0; p0 < P;) {
        int64_t n = sch->sizes[si++ % sch->n_sizes];
        if (n > P - p0) n = P - p0;
        for (int64_t p = p0; p < p0 + n; p++) ring_put(&r, c, p);
        float *q = queries(c, p0, n), *out = sentinel_rows(n * w);
        int64_t h0 = 0;
        for (int i = 0; i <= 4; i++) {
            const int64_t h1 = i < 4 && sch->cuts[i] > h0 && sch->cuts[i] < c->n_head ? sch->cuts[i] : c->n_head;
            call(k, c, &r, p0, n, q, out, h0, h1);
            h0 = h1;
            if (h0 == c->n_head) break;
        }
        memcpy(all + p0 * w, out, sizeof(float) * (size_t)(n * w));
        free(q);
        free(out);
        p0 += n;
    }
    ring_free(&r);
    return all;
}

static void test_batch_and_split_invariance(void **state) {
    (void)state;
    const int64_t P = 160;
    const schedule base = {{MAX_TOK}, 1, {0}};
    const schedule others[] = {
        {{1}, 1, {1, 0}},       /* decode, head 0 alone (as a thread that got one head) */
        {{7, 31, 1}, 3, {0}},   /* ragged chunks */
        {{5}, 1, {1, 2, 3, 0}}, /* one head per call for the first heads */
        {{64, 3}, 2, {4, 0}},   /* two threads' split of 8 heads */
        {{MAX_TOK}, 1, {3, 0}}, /* the same batches, an uneven head split */
    };
    for (int ti = 0; ti < g_n_tables; ti++) {
        const g4_kernels *k = g_tables[ti];
        for (size_t ci = 0; ci < N_CFGS; ci++) {
            const cfg *c = &k_cfgs[ci];
            float *want = run_schedule(k, c, &base, P);
            for (size_t si = 0; si < sizeof others / sizeof others[0]; si++) {
                float *got = run_schedule(k, c, &others[si], P);
                for (int64_t i = 0; i < P * c->n_head * c->hd; i++) {
                    if (memcmp(&got[i], &want[i], sizeof(float)) != 0) {
                        const int64_t per_pos = c->n_head * c->hd;
                        fail_msg("%s, %s hd %lld window %lld, schedule %zu: position %lld head %lld elem %lld: %.9g "
                                 "vs %.9g in batches of %d",
                                 k->name, g4_type_name(c->type), (long long)c->hd, (long long)c->window, si,
                                 (long long)(i / per_pos), (long long)(i % per_pos / c->hd), (long long)(i % c->hd),
                                 (double)got[i], (double)want[i], MAX_TOK);
                    }
                }
                free(got);
            }
            free(want);
        }
    }
}

/* Units in the last place between two positive floats. */
static int64_t ulps(float a, float b) {
    int32_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    return ia > ib ? (int64_t)ia - ib : (int64_t)ib - ia;
}

/* The SIMD e^x: within 2 ulp of expf wherever expf is at least FLT_MIN (every x the attention
 * gives it is <= 0), exactly 1 at 0, 0 below ln FLT_MIN and at -inf, NaN for NaN. */
static void check_exp(const char *name, void (*vexp)(float *, int64_t)) {
    const int64_t n = 200003; /* odd: the tail path too */
    float *x = malloc(sizeof(float) * (size_t)n), *y = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++) x[i] = -87.3f * (float)i / (float)(n - 1); /* 0 .. -87.3 */
    memcpy(y, x, sizeof(float) * (size_t)n);
    vexp(y, n);
    int64_t worst = 0;
    for (int64_t i = 0; i < n; i++) {
        const float want = expf(x[i]);
        const int64_t u = ulps(y[i], want);
        if (u > 2)
            fail_msg("%s exp(%.9g) = %.9g, expf %.9g: %lld ulp", name, (double)x[i], (double)y[i], (double)want,
                     (long long)u);
        if (u > worst) worst = u;
    }
    float sp[] = {0.0f, -0.0f, -INFINITY, -87.5f, -100.0f, -1e30f, NAN, -1.0f, 1.0f};
    vexp(sp, sizeof sp / sizeof sp[0]);
    assert_true(sp[0] == 1.0f && sp[1] == 1.0f);
    assert_true(sp[2] == 0.0f && sp[3] == 0.0f && sp[4] == 0.0f && sp[5] == 0.0f);
    assert_true(isnan(sp[6]));
    assert_true(ulps(sp[7], expf(-1.0f)) <= 2 && ulps(sp[8], expf(1.0f)) <= 2);
    print_message("%s exp: worst %lld ulp from expf over [-87.3, 0]\n", name, (long long)worst);
    free(x);
    free(y);
}

static void test_vector_exp(void **state) {
    (void)state;
    int checked = 0;
#if defined(__x86_64__)
    if (g4_kernels_by_name("avx2")) check_exp("avx2", g4_attn_exp_avx2), checked++;
#endif
#if defined(__aarch64__)
    if (g4_kernels_by_name("neon")) check_exp("neon", g4_attn_exp_neon), checked++;
#endif
    if (!checked) print_message("no SIMD attention table on this CPU: no vector exp to check\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_have_attention),
        cmocka_unit_test(test_vector_exp),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_batch_and_split_invariance),
    };
    return cmocka_run_group_tests(tests, setup_tables, NULL);
}
