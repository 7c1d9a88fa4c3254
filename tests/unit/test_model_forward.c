/* Forward-pass consistency on tiny models: one batch == token-by-token decode == micro-batches of
 * 3 (the prompt is longer than the sliding window, so the rings wrap and the shared layers read
 * them), plus rewind, embedding input, threads, and the errors that must leave a context as it was.
 * Agreement with llama.cpp itself is tests/oracle/model's job. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "gguf/gguf.h"
#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "model/forward.h"
#include "model/model.h"
#include "test_model_fixture.h"
#include "testkit.h"

#define N_TOK 40

static const g4_kernels *g_kernels; /* NULL: the default (best) table */

static g4_ctx *new_ctx(const g4_model *m, int n_ctx, int n_batch, g4_type kv_type, g4_pool *pool) {
    g4_ctx_params p = g4_ctx_default_params();
    p.kernels = g_kernels;
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.kv_type = kv_type;
    p.pool = pool;
    g4_ctx *c = NULL;
    g4_error err = {0};
    if (g4_ctx_new(m, &p, &c, &err) != GEMMA4_OK) fail_msg("context: %s", err.msg);
    return c;
}

static void prompt(int32_t *toks, int n, uint32_t n_vocab) {
    g4t_rng rng;
    g4t_rng_seed(&rng, 1234);
    for (int i = 0; i < n; i++) toks[i] = (int32_t)(g4t_rng_u64(&rng) % n_vocab);
}

/* max |a - b| / max |b| over the row, per row */
static void expect_close(const float *a, const float *b, int rows, int n, float rel, const char *what) {
    for (int r = 0; r < rows; r++) {
        float mx = 0, diff = 0;
        for (int i = 0; i < n; i++) {
            const float x = a[r * n + i], y = b[r * n + i];
            if (!isfinite(x) || !isfinite(y)) fail_msg("%s: row %d has a non-finite logit", what, r);
            if (fabsf(y) > mx) mx = fabsf(y);
            if (fabsf(x - y) > diff) diff = fabsf(x - y);
        }
        if (diff > rel * mx) fail_msg("%s: row %d differs by %g (max |logit| %g)", what, r, (double)diff, (double)mx);
    }
}

/* Logits of all N_TOK tokens evaluated with micro-batches of n_batch (1 = decode one at a time). */
static float *run(const g4_model *m, const int32_t *toks, int n_batch, g4_type kv_type, g4_pool *pool,
                  bool per_token_calls) {
    const int V = (int)m->hp.n_vocab;
    float *logits = malloc(sizeof(float) * (size_t)(N_TOK * V));
    g4_ctx *c = new_ctx(m, 64, n_batch, kv_type, pool);
    g4_error err = {0};
    if (per_token_calls) {
        for (int i = 0; i < N_TOK; i++) {
            if (g4_forward_tokens(c, &toks[i], 1, logits + i * V, false, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
            assert_int_equal(g4_ctx_pos(c), i + 1);
        }
    } else {
        if (g4_forward_tokens(c, toks, N_TOK, logits, true, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
        assert_int_equal(g4_ctx_pos(c), N_TOK);
    }
    g4_ctx_free(c);
    return logits;
}

static void check_consistency(const tiny_cfg *cfg, g4_type kv_type) {
    fixture fx;
    tiny_model_load(cfg, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t toks[N_TOK];
    prompt(toks, N_TOK, (uint32_t)V);

    float *batch = run(fx.m, toks, 64, kv_type, NULL, false);
    float *decode = run(fx.m, toks, 1, kv_type, NULL, true);
    float *micro = run(fx.m, toks, 3, kv_type, NULL, false);
    expect_close(decode, batch, N_TOK, V, 1e-4f, "decode vs one batch");
    expect_close(micro, batch, N_TOK, V, 1e-4f, "micro-batches of 3 vs one batch");

    /* the logits are not degenerate: they vary across positions and are softcapped */
    float spread = 0;
    for (int i = 0; i < V; i++) spread += fabsf(batch[i] - batch[(N_TOK - 1) * V + i]);
    assert_true(spread > 1e-2f * (float)V);
    for (int i = 0; i < N_TOK * V; i++) {
        if (cfg->softcap > 0) assert_true(fabsf(batch[i]) <= cfg->softcap);
    }
    free(batch);
    free(decode);
    free(micro);
    tiny_model_free(&fx);
}

static void test_consistency_f32(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    check_consistency(&c, G4_TYPE_F16);
    check_consistency(&c, G4_TYPE_F32);
}

static void test_consistency_quantized(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.n_epl = 32; /* rows of quantized matrices are whole 32-blocks */
    c.wtype = G4_TYPE_Q8_0;
    c.embd_type = G4_TYPE_Q8_0;
    check_consistency(&c, G4_TYPE_Q8_0);
    c.wtype = G4_TYPE_Q4_0;
    c.embd_type = G4_TYPE_F16;
    check_consistency(&c, G4_TYPE_F16);
}

static void test_consistency_variants(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.tied = true;
    c.no_attn_v = true;
    c.out_scale = false;
    check_consistency(&c, G4_TYPE_F16);

    c = tiny_default(); /* no per-layer embeddings, no KV sharing, no softcap */
    c.n_epl = 0;
    c.n_shared = 0;
    c.softcap = 0;
    check_consistency(&c, G4_TYPE_F16);
}

static void test_kv_type_changes_little(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    fixture fx;
    tiny_model_load(&c, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t toks[N_TOK];
    prompt(toks, N_TOK, (uint32_t)V);
    float *f32 = run(fx.m, toks, 8, G4_TYPE_F32, NULL, false);
    float *f16 = run(fx.m, toks, 8, G4_TYPE_F16, NULL, false);
    float *q8 = run(fx.m, toks, 8, G4_TYPE_Q8_0, NULL, false);
    expect_close(f16, f32, N_TOK, V, 1e-2f, "f16 KV vs f32 KV");
    expect_close(q8, f32, N_TOK, V, 5e-2f, "q8_0 KV vs f32 KV");
    free(f32);
    free(f16);
    free(q8);
    tiny_model_free(&fx);
}

static void test_threads_same_result(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    fixture fx;
    tiny_model_load(&c, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t toks[N_TOK];
    prompt(toks, N_TOK, (uint32_t)V);
    g4_pool *pool = g4_pool_new(3);
    assert_non_null(pool);
    float *one = run(fx.m, toks, 5, G4_TYPE_F16, NULL, false);
    float *three = run(fx.m, toks, 5, G4_TYPE_F16, pool, false);
    expect_close(three, one, N_TOK, V, 1e-5f, "3 threads vs 1");
    free(one);
    free(three);
    g4_pool_free(pool);
    tiny_model_free(&fx);
}

/* The scalar reference table and the best one this CPU runs give the same model, up to rounding
 * (which the f16 roundings in the model amplify somewhat). */
static void test_kernel_tables_agree(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.n_epl = 32;
    c.wtype = G4_TYPE_Q4_0;
    fixture fx;
    tiny_model_load(&c, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t toks[N_TOK];
    prompt(toks, N_TOK, (uint32_t)V);
    g_kernels = g4_kernels_scalar();
    float *ref = run(fx.m, toks, 8, G4_TYPE_F16, NULL, false);
    g_kernels = g4_kernels_best();
    float *best = run(fx.m, toks, 8, G4_TYPE_F16, NULL, false);
    g_kernels = NULL;
    expect_close(best, ref, N_TOK, V, 2e-2f, "best kernel table vs scalar");
    free(ref);
    free(best);
    tiny_model_free(&fx);
}

static void test_rewind_regenerates(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    fixture fx;
    tiny_model_load(&c, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t toks[N_TOK];
    prompt(toks, N_TOK, (uint32_t)V);
    float *ref = run(fx.m, toks, 4, G4_TYPE_F16, NULL, false);
    float *got = malloc(sizeof(float) * (size_t)V);
    g4_error err = {0};

    g4_ctx *ctx = new_ctx(fx.m, 64, 4, G4_TYPE_F16, NULL);
    assert_int_equal(g4_forward_tokens(ctx, toks, 30, NULL, false, &err), GEMMA4_OK);
    /* evaluate three wrong tokens, rewind them (within the ring's slack of n_batch), redo */
    const int32_t junk[3] = {5, 6, 7};
    assert_int_equal(g4_forward_tokens(ctx, junk, 3, got, false, &err), GEMMA4_OK);
    assert_true(g4_ctx_can_rewind(ctx, 30));
    assert_int_equal(g4_ctx_rewind(ctx, 30, &err), GEMMA4_OK);
    assert_int_equal(g4_ctx_pos(ctx), 30);
    assert_int_equal(g4_forward_tokens(ctx, toks + 30, 10, got, false, &err), GEMMA4_OK);
    expect_close(got, ref + (N_TOK - 1) * V, 1, V, 1e-5f, "after rewind");

    /* too far back for the ring: refused, position unchanged */
    assert_false(g4_ctx_can_rewind(ctx, 10));
    assert_int_equal(g4_ctx_rewind(ctx, 10, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_ctx_pos(ctx), N_TOK);

    /* clearing always works and starts afresh */
    g4_ctx_clear(ctx);
    assert_int_equal(g4_ctx_pos(ctx), 0);
    assert_int_equal(g4_forward_tokens(ctx, toks, 5, got, false, &err), GEMMA4_OK);
    expect_close(got, ref + 4 * V, 1, V, 1e-5f, "after clear");
    g4_ctx_free(ctx);
    free(got);
    free(ref);
    tiny_model_free(&fx);
}

static void test_embedding_input(void **state) {
    (void)state;
    /* token 0 given as its scaled embedding row == token 0 (the per-layer input of embeddings is
     * token 0's) */
    tiny_cfg c = tiny_default();
    fixture fx;
    tiny_model_load(&c, &fx);
    const int V = (int)fx.m->hp.n_vocab, E = (int)fx.m->hp.n_embd;
    float *embd = malloc(sizeof(float) * (size_t)E * 2);
    const g4_matrix *te = &fx.m->w.token_embd;
    for (int t = 0; t < 2; t++) {
        g4_get_row(te->type, te->data, E, 0, embd + t * E);
        for (int i = 0; i < E; i++) embd[t * E + i] *= sqrtf((float)E);
    }
    float *a = malloc(sizeof(float) * (size_t)V * 2), *b = malloc(sizeof(float) * (size_t)V * 2);
    g4_error err = {0};
    g4_ctx *ctx = new_ctx(fx.m, 16, 4, G4_TYPE_F16, NULL);
    const int32_t zeros[2] = {0, 0};
    assert_int_equal(g4_forward_tokens(ctx, zeros, 2, a, true, &err), GEMMA4_OK);
    g4_ctx_clear(ctx);
    assert_int_equal(g4_forward_embd(ctx, embd, 2, b, true, &err), GEMMA4_OK);
    expect_close(b, a, 2, V, 1e-6f, "embedding input vs token 0");
    g4_ctx_free(ctx);
    free(embd);
    free(a);
    free(b);
    tiny_model_free(&fx);
}

static void test_errors_leave_context_unchanged(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    fixture fx;
    tiny_model_load(&c, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    float *logits = malloc(sizeof(float) * (size_t)V);
    g4_error err = {0};
    g4_ctx *ctx = new_ctx(fx.m, 16, 4, G4_TYPE_F16, NULL);
    int32_t toks[17];
    prompt(toks, 17, (uint32_t)V);

    assert_int_equal(g4_forward_tokens(ctx, toks, 10, logits, false, &err), GEMMA4_OK);
    assert_int_equal(g4_forward_tokens(ctx, toks, 7, logits, false, &err), GEMMA4_ERR_CONTEXT_FULL);
    assert_non_null(strstr(err.msg, "context full"));
    assert_int_equal(g4_ctx_pos(ctx), 10);

    const int32_t bad[2] = {1, V};
    assert_int_equal(g4_forward_tokens(ctx, bad, 2, logits, false, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "outside the vocabulary"));
    const int32_t neg = -1;
    assert_int_equal(g4_forward_tokens(ctx, &neg, 1, logits, false, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_forward_tokens(ctx, toks, 0, logits, false, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_forward_tokens(ctx, NULL, 1, logits, false, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_ctx_pos(ctx), 10);

    assert_int_equal(g4_forward_tokens(ctx, toks, 6, logits, false, &err), GEMMA4_OK);
    assert_int_equal(g4_ctx_pos(ctx), 16);
    assert_int_equal(g4_forward_tokens(ctx, toks, 1, logits, false, &err), GEMMA4_ERR_CONTEXT_FULL);
    g4_ctx_free(ctx);

    /* context parameters */
    g4_ctx_params p = g4_ctx_default_params();
    p.n_ctx = 513; /* past n_ctx_train */
    assert_int_equal(g4_ctx_new(fx.m, &p, &ctx, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(ctx);
    p = g4_ctx_default_params();
    p.n_batch = 0;
    assert_int_equal(g4_ctx_new(fx.m, &p, &ctx, &err), GEMMA4_ERR_INVALID_ARG);
    p = g4_ctx_default_params();
    p.kv_type = G4_TYPE_Q4_K;
    assert_int_equal(g4_ctx_new(fx.m, &p, &ctx, &err), GEMMA4_ERR_UNSUPPORTED);
    p = g4_ctx_default_params(); /* default n_ctx: 4096 capped at the model's 512 */
    assert_int_equal(g4_ctx_new(fx.m, &p, &ctx, &err), GEMMA4_OK);
    assert_int_equal(g4_ctx_n_ctx(ctx), 512);
    assert_true(g4_ctx_kv_bytes(ctx) > 0 && g4_ctx_scratch_bytes(ctx) > 0);
    g4_ctx_free(ctx);
    free(logits);
    tiny_model_free(&fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_consistency_f32),
        cmocka_unit_test(test_consistency_quantized),
        cmocka_unit_test(test_consistency_variants),
        cmocka_unit_test(test_kv_type_changes_little),
        cmocka_unit_test(test_threads_same_result),
        cmocka_unit_test(test_kernel_tables_agree),
        cmocka_unit_test(test_rewind_regenerates),
        cmocka_unit_test(test_embedding_input),
        cmocka_unit_test(test_errors_leave_context_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
