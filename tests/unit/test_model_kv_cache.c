/* KV cache sizing, ring semantics (sliding-window boundaries, batches that cross the wrap),
 * rewind rules, and the streaming attention over it against a naive masked softmax. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention.h"
#include "kernels/quants.h"
#include "model/kv_cache.h"
#include "testkit.h"

/* A hand-made hparams: 4 layers [S, G, S(shared), G(shared)] reading layers 0 and 1. */
static g4_hparams make_hp(uint32_t head_dim_swa, uint32_t head_dim, uint32_t n_swa) {
    g4_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.n_layer = 4;
    hp.n_embd = 64;
    hp.n_ctx_train = 1024;
    hp.head_dim = head_dim;
    hp.head_dim_swa = head_dim_swa;
    hp.n_swa = n_swa;
    hp.n_shared_kv = 2;
    hp.n_layer_kv = 2;
    const bool swa[4] = {true, false, true, false};
    for (int i = 0; i < 4; i++) {
        hp.is_swa[i] = swa[i];
        hp.n_head[i] = 4;
        hp.n_head_kv[i] = 2;
        hp.n_ff[i] = 64;
    }
    return hp;
}

static void test_sizes(void **state) {
    (void)state;
    g4_hparams hp = make_hp(32, 64, 8);
    g4_kv_config cfg = {.n_ctx = 100, .n_batch = 3, .type = G4_TYPE_F16, .swa_full = false};
    g4_kv_size sz;
    g4_error err = {0};
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_OK);
    assert_int_equal(sz.n_swa_layers, 1);
    assert_int_equal(sz.n_global_layers, 1);
    assert_int_equal(sz.swa_slots, 8 + 3 - 1);
    assert_int_equal(sz.global_slots, 100);
    assert_int_equal(sz.bytes_swa_layer, 2 * 10 * 2 * 32 * 2); /* K+V, slots, kv heads, dims, f16 */
    assert_int_equal(sz.bytes_global_layer, 2 * 100 * 2 * 64 * 2);
    assert_int_equal(sz.total, sz.bytes_swa_layer + sz.bytes_global_layer);

    cfg.swa_full = true;
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_OK);
    assert_int_equal(sz.swa_slots, 100);

    cfg.swa_full = false; /* the ring never exceeds the context */
    cfg.n_ctx = 6;
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_OK);
    assert_int_equal(sz.swa_slots, 6);

    cfg.n_ctx = 100;
    cfg.type = G4_TYPE_Q8_0;
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_OK);
    assert_int_equal(sz.bytes_global_layer, 2 * 100 * 2 * (64 / 32) * 34);

    cfg.type = G4_TYPE_Q4_0;
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "q4_0"));

    g4_hparams hp16 = make_hp(16, 64, 8); /* q8_0 needs whole 32-blocks per head */
    cfg.type = G4_TYPE_Q8_0;
    assert_int_equal(g4_kv_size_of(&hp16, &cfg, &sz, &err), GEMMA4_ERR_UNSUPPORTED);

    cfg.type = G4_TYPE_F16;
    cfg.n_ctx = 1025;
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_ERR_INVALID_ARG);
    cfg.n_ctx = 0;
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_ERR_INVALID_ARG);
    cfg.n_ctx = 100;
    cfg.n_batch = 0;
    assert_int_equal(g4_kv_size_of(&hp, &cfg, &sz, &err), GEMMA4_ERR_INVALID_ARG);
}

static void test_shared_layers_view_source(void **state) {
    (void)state;
    g4_hparams hp = make_hp(32, 64, 8);
    g4_kv_config cfg = {.n_ctx = 50, .n_batch = 4, .type = G4_TYPE_F32};
    g4_kv_cache *kv;
    g4_error err = {0};
    assert_int_equal(g4_kv_new(&hp, &cfg, &kv, &err), GEMMA4_OK);
    g4_attn_cache a0, a1, a2, a3;
    g4_kv_view(kv, 0, &a0);
    g4_kv_view(kv, 1, &a1);
    g4_kv_view(kv, 2, &a2);
    g4_kv_view(kv, 3, &a3);
    assert_ptr_equal(a2.k, a0.k);
    assert_ptr_equal(a2.v, a0.v);
    assert_ptr_equal(a3.k, a1.k);
    assert_int_equal(a0.n_slots, 8 + 4 - 1);
    assert_int_equal(a1.n_slots, 50);
    assert_ptr_not_equal(a0.k, a1.k);
    assert_null(kv->layers[2].k);
    g4_kv_free(kv);
}

/* Reference: softmax over the visible positions of full (non-ring) K/V arrays. */
static void naive_attention(const float *q, const float *K, const float *V, int64_t n_head, int64_t n_head_kv,
                            int64_t hd, int64_t window, int64_t p, float *out) {
    const int64_t n_gqa = n_head / n_head_kv, kvw = n_head_kv * hd;
    double *w = malloc(sizeof(double) * (size_t)(p + 1));
    for (int64_t h = 0; h < n_head; h++) {
        const int64_t g = h / n_gqa;
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j <= p; j++) {
            const bool visible = window == 0 || p - j < window;
            if (!visible) {
                w[j] = -INFINITY;
                continue;
            }
            double s = 0;
            for (int64_t d = 0; d < hd; d++) s += (double)q[h * hd + d] * K[j * kvw + g * hd + d];
            w[j] = s;
            if (s > mx) mx = s;
        }
        for (int64_t j = 0; j <= p; j++) {
            w[j] = isinf(w[j]) ? 0 : exp(w[j] - mx);
            sum += w[j];
        }
        for (int64_t d = 0; d < hd; d++) {
            double acc = 0;
            for (int64_t j = 0; j <= p; j++) acc += w[j] * V[j * kvw + g * hd + d];
            out[h * hd + d] = (float)(acc / sum);
        }
    }
    free(w);
}

/* Feeds P positions in batches of B through a ring cache of one layer (as the forward pass
 * does: write the batch, then attend) and compares every query with the naive reference. */
static void run_ring(g4_type type, int64_t window, int64_t B, int64_t P, bool swa_full, float tol) {
    g4_hparams hp = make_hp(32, 32, (uint32_t)(window ? window : 8));
    /* layer 0 is the one under test: sliding when window > 0, global otherwise */
    hp.is_swa[0] = window > 0;
    hp.n_shared_kv = 0;
    hp.n_layer_kv = 4;
    const int64_t n_head = 4, n_head_kv = 2, hd = 32, kvw = n_head_kv * hd, qw = n_head * hd;
    g4_kv_config cfg = {.n_ctx = P, .n_batch = B, .type = type, .swa_full = swa_full};
    g4_kv_cache *kv;
    g4_error err = {0};
    if (g4_kv_new(&hp, &cfg, &kv, &err) != GEMMA4_OK) fail_msg("%s", err.msg);

    g4t_rng rng;
    g4t_rng_seed(&rng, 7 + (uint64_t)B);
    float *K = malloc(sizeof(float) * (size_t)(P * kvw)), *V = malloc(sizeof(float) * (size_t)(P * kvw));
    float *Q = malloc(sizeof(float) * (size_t)(P * qw));
    float *out = malloc(sizeof(float) * (size_t)(B * qw)), *ref = malloc(sizeof(float) * (size_t)qw);
    for (int64_t i = 0; i < P * kvw; i++) K[i] = g4t_rng_normal(&rng), V[i] = g4t_rng_normal(&rng);
    for (int64_t i = 0; i < P * qw; i++) Q[i] = 0.5f * g4t_rng_normal(&rng);
    /* what the reference sees: the values as the cache type stores them */
    for (int64_t j = 0; j < P; j++) {
        float tmp[64];
        uint8_t enc[256];
        if (type == G4_TYPE_F32) continue;
        g4_quantize_row(type, K + j * kvw, enc, kvw);
        g4_dequantize_row(type, enc, tmp, kvw);
        memcpy(K + j * kvw, tmp, sizeof tmp);
        g4_quantize_row(type, V + j * kvw, enc, kvw);
        g4_dequantize_row(type, enc, tmp, kvw);
        memcpy(V + j * kvw, tmp, sizeof tmp);
    }

    size_t scratch_bytes = g4_attention_scratch_bytes(hd, n_head, B);
    void *scratch = malloc(scratch_bytes);
    for (int64_t p0 = 0; p0 < P; p0 += B) {
        const int64_t n = P - p0 < B ? P - p0 : B;
        g4_kv_write(kv, 0, p0, n, K + p0 * kvw, V + p0 * kvw);
        g4_attn_cache view;
        g4_kv_view(kv, 0, &view);
        const g4_attn_args a = {.cache = &view,
                                .n_head = n_head,
                                .n_head_kv = n_head_kv,
                                .head_dim = hd,
                                .scale = 1.0f,
                                .window = window,
                                .n_tok = n,
                                .pos0 = p0,
                                .q = Q + p0 * qw,
                                .out = out};
        /* two calls over split head ranges, as two pool threads would */
        g4_attention(&a, 0, 1, scratch);
        g4_attention(&a, 1, n_head, scratch);
        g4_kv_advance(kv, n);
        for (int64_t t = 0; t < n; t++) {
            naive_attention(Q + (p0 + t) * qw, K, V, n_head, n_head_kv, hd, window, p0 + t, ref);
            for (int64_t i = 0; i < qw; i++) {
                if (fabsf(out[t * qw + i] - ref[i]) > tol) {
                    fail_msg("type %s window %lld batch %lld: position %lld elem %lld: %g vs %g", g4_type_name(type),
                             (long long)window, (long long)B, (long long)(p0 + t), (long long)i,
                             (double)out[t * qw + i], (double)ref[i]);
                }
            }
        }
    }
    assert_int_equal(kv->n_pos, P);
    free(scratch);
    free(K);
    free(V);
    free(Q);
    free(out);
    free(ref);
    g4_kv_free(kv);
}

static void test_ring_matches_naive(void **state) {
    (void)state;
    /* window 8: ring of 8 + B - 1 slots; batches of 3 cross the wrap at different offsets */
    for (int64_t B = 1; B <= 5; B++) run_ring(G4_TYPE_F32, 8, B, 61, false, 1e-5f);
    run_ring(G4_TYPE_F32, 8, 16, 70, false, 1e-5f);  /* batch larger than the window */
    run_ring(G4_TYPE_F32, 8, 3, 40, true, 1e-5f);    /* full sliding cache */
    run_ring(G4_TYPE_F32, 0, 3, 75, false, 1e-5f);   /* global layer: everything 0..p */
    run_ring(G4_TYPE_F32, 40, 7, 100, false, 1e-5f); /* window longer than a key block */
    run_ring(G4_TYPE_F16, 8, 3, 50, false, 1e-4f);
    run_ring(G4_TYPE_Q8_0, 8, 4, 50, false, 1e-4f);
}

/* Window boundaries, exactly: zero keys make the attention uniform over what is visible, and
 * one-hot values reveal which positions those are. */
static void test_window_boundaries(void **state) {
    (void)state;
    const int64_t hd = 64, window = 5, B = 4, P = 40;
    g4_hparams hp = make_hp(64, 64, (uint32_t)window);
    hp.n_head[0] = 1;
    hp.n_head_kv[0] = 1;
    g4_kv_config cfg = {.n_ctx = P, .n_batch = B, .type = G4_TYPE_F32};
    g4_kv_cache *kv;
    g4_error err = {0};
    assert_int_equal(g4_kv_new(&hp, &cfg, &kv, &err), GEMMA4_OK);
    assert_int_equal(kv->size.swa_slots, window + B - 1);
    float k[4 * 64], v[4 * 64], q[4 * 64], out[4 * 64];
    memset(k, 0, sizeof k);
    memset(q, 0, sizeof q);
    void *scratch = malloc(g4_attention_scratch_bytes(hd, 1, B));
    for (int64_t p0 = 0; p0 < P; p0 += B) {
        memset(v, 0, sizeof v);
        for (int64_t t = 0; t < B; t++) v[t * hd + (p0 + t)] = 1.0f;
        g4_kv_write(kv, 0, p0, B, k, v);
        g4_attn_cache view;
        g4_kv_view(kv, 0, &view);
        const g4_attn_args a = {.cache = &view,
                                .n_head = 1,
                                .n_head_kv = 1,
                                .head_dim = hd,
                                .scale = 1.0f,
                                .window = window,
                                .n_tok = B,
                                .pos0 = p0,
                                .q = q,
                                .out = out};
        g4_attention(&a, 0, 1, scratch);
        g4_kv_advance(kv, B);
        for (int64_t t = 0; t < B; t++) {
            const int64_t p = p0 + t, lo = p - window + 1 > 0 ? p - window + 1 : 0;
            const float w = 1.0f / (float)(p - lo + 1);
            for (int64_t j = 0; j < hd; j++) {
                const float want = (j >= lo && j <= p) ? w : 0.0f;
                if (fabsf(out[t * hd + j] - want) > 1e-6f) {
                    fail_msg("query at %lld: weight of position %lld is %g, want %g", (long long)p, (long long)j,
                             (double)out[t * hd + j], (double)want);
                }
            }
        }
    }
    free(scratch);
    g4_kv_free(kv);
}

static void test_rewind(void **state) {
    (void)state;
    g4_hparams hp = make_hp(32, 64, 8);
    g4_kv_config cfg = {.n_ctx = 64, .n_batch = 3, .type = G4_TYPE_F16};
    g4_kv_cache *kv;
    g4_error err = {0};
    assert_int_equal(g4_kv_new(&hp, &cfg, &kv, &err), GEMMA4_OK);
    /* ring of 10: after 20 positions it holds 10..19; position p needs p-7..p-1 */
    g4_kv_advance(kv, 20);
    assert_false(g4_kv_can_rewind(kv, 21));
    assert_true(g4_kv_can_rewind(kv, 20));
    assert_true(g4_kv_can_rewind(kv, 17));
    assert_false(g4_kv_can_rewind(kv, 16));
    assert_false(g4_kv_can_rewind(kv, 5));
    assert_true(g4_kv_can_rewind(kv, 0));
    assert_int_equal(g4_kv_rewind(kv, 16, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "sliding"));
    assert_int_equal(kv->n_pos, 20);
    assert_int_equal(g4_kv_rewind(kv, 21, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_kv_rewind(kv, 18, &err), GEMMA4_OK);
    assert_int_equal(kv->n_pos, 18);
    /* a second rewind: positions 18 and 19 overwrote 8 and 9, so 16 (needing 9..15) is still out
     * of reach although 18 - 16 is within the slack */
    assert_false(g4_kv_can_rewind(kv, 16));
    assert_true(g4_kv_can_rewind(kv, 17));
    assert_int_equal(g4_kv_rewind(kv, 16, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "holds only positions 10.."));
    /* early on, nothing was overwritten yet */
    assert_int_equal(g4_kv_rewind(kv, 0, &err), GEMMA4_OK);
    g4_kv_advance(kv, 9);
    assert_true(g4_kv_can_rewind(kv, 1));
    g4_kv_free(kv);

    cfg.swa_full = true; /* keeps everything: any rewind */
    assert_int_equal(g4_kv_new(&hp, &cfg, &kv, &err), GEMMA4_OK);
    g4_kv_advance(kv, 50);
    assert_true(g4_kv_can_rewind(kv, 3));
    assert_int_equal(g4_kv_rewind(kv, 3, &err), GEMMA4_OK);
    g4_kv_free(kv);

    g4_hparams hpg = make_hp(32, 64, 8); /* only global layers: any rewind */
    for (int i = 0; i < 4; i++) hpg.is_swa[i] = false;
    cfg.swa_full = false;
    assert_int_equal(g4_kv_new(&hpg, &cfg, &kv, &err), GEMMA4_OK);
    g4_kv_advance(kv, 50);
    assert_true(g4_kv_can_rewind(kv, 3));
    g4_kv_free(kv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_shared_layers_view_source),
        cmocka_unit_test(test_ring_matches_naive),
        cmocka_unit_test(test_window_boundaries),
        cmocka_unit_test(test_rewind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
