/* Hyperparameters and weight binding of Gemma 4 GGUFs: valid files, and every way a file can be
 * refused (missing keys, bad pattern, MoE, missing/misshapen/mistyped tensors). */
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "model/hparams.h"
#include "model/model.h"
#include "model/weights.h"
#include "test_model_tiny.h"
#include "testkit.h"

typedef struct loaded {
    void *mem;
    size_t size;
    g4_gguf *f;
} loaded;

static void open_tiny(const tiny_cfg *c, loaded *l) {
    g4_error err = {0};
    gemma4_status st = tiny_write(c, NULL, &l->mem, &l->size, &err);
    if (st != GEMMA4_OK) fail_msg("writing the tiny model: %s", err.msg);
    st = g4_gguf_open_memory(l->mem, l->size, &l->f, &err);
    if (st != GEMMA4_OK) fail_msg("reading the tiny model back: %s", err.msg);
}

static void close_tiny(loaded *l) {
    g4_gguf_close(l->f);
    free(l->mem);
}

/* Loads hparams from a tiny model with cfg and expects `want`, with `needle` in the message. */
static void expect_hparams(const tiny_cfg *c, gemma4_status want, const char *needle) {
    loaded l;
    open_tiny(c, &l);
    g4_hparams hp;
    g4_error err = {0};
    gemma4_status st = g4_hparams_load(l.f, &hp, &err);
    if (st != want) fail_msg("status %s, want %s (%s)", gemma4_status_name(st), gemma4_status_name(want), err.msg);
    if (needle && !strstr(err.msg, needle)) fail_msg("message '%s' does not mention '%s'", err.msg, needle);
    close_tiny(&l);
}

/* Loads the whole model and expects `want`, with every needle in the message. */
static void expect_model(const tiny_cfg *c, gemma4_status want, const char *needle, const char *needle2) {
    loaded l;
    open_tiny(c, &l);
    g4_model *m = NULL;
    g4_error err = {0};
    gemma4_status st = g4_model_load(l.f, &m, &err);
    if (st != want) fail_msg("status %s, want %s (%s)", gemma4_status_name(st), gemma4_status_name(want), err.msg);
    if (needle && !strstr(err.msg, needle)) fail_msg("message '%s' does not mention '%s'", err.msg, needle);
    if (needle2 && !strstr(err.msg, needle2)) fail_msg("message '%s' does not mention '%s'", err.msg, needle2);
    if (st == GEMMA4_OK) {
        assert_non_null(m);
    } else {
        assert_null(m);
    }
    g4_model_free(m);
    close_tiny(&l);
}

static void test_valid(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    loaded l;
    open_tiny(&c, &l);
    g4_hparams hp;
    g4_error err = {0};
    assert_int_equal(g4_hparams_load(l.f, &hp, &err), GEMMA4_OK);
    assert_string_equal(hp.arch, "gemma4");
    assert_int_equal(hp.n_layer, 6);
    assert_int_equal(hp.n_embd, 64);
    assert_int_equal(hp.n_vocab, 96);
    assert_int_equal(hp.n_ctx_train, 512);
    assert_int_equal(hp.n_embd_per_layer, 16);
    assert_int_equal(hp.head_dim, 64);
    assert_int_equal(hp.head_dim_swa, 32);
    assert_int_equal(hp.n_swa, 8);
    assert_int_equal(hp.n_shared_kv, 2);
    assert_int_equal(hp.n_layer_kv, 4);
    assert_int_equal(hp.n_rot, 64);
    assert_int_equal(hp.n_rot_swa, 32);
    assert_true(hp.rope_base == 1000000.0f && hp.rope_base_swa == 10000.0f);
    assert_true(hp.norm_eps == 1e-6f && hp.final_softcap == 30.0f);
    assert_int_equal(hp.n_expert, 0);
    const bool swa[6] = {true, true, true, false, true, false};
    const uint32_t ff[6] = {96, 96, 96, 96, 128, 128};
    for (uint32_t il = 0; il < 6; il++) {
        assert_int_equal(hp.is_swa[il], swa[il]);
        assert_int_equal(hp.n_ff[il], ff[il]);
        assert_int_equal(hp.n_head[il], 4);
        assert_int_equal(hp.n_head_kv[il], 2);
        assert_int_equal(g4_hparams_head_dim(&hp, il), swa[il] ? 32 : 64);
    }
    /* own-KV layers read themselves; shared ones the last own layer of their type */
    for (uint32_t il = 0; il < 4; il++) assert_int_equal(g4_hparams_kv_source(&hp, il), il);
    assert_int_equal(g4_hparams_kv_source(&hp, 4), 2);
    assert_int_equal(g4_hparams_kv_source(&hp, 5), 3);
    close_tiny(&l);
}

static void test_e2b_layout_kv_source(void **state) {
    (void)state;
    /* E2B: 35 layers [S,S,S,S,G] x 7, the last 20 share: sliding ones read 13, global ones 14 */
    g4_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.n_layer = 35;
    hp.n_shared_kv = 20;
    hp.n_layer_kv = 15;
    for (uint32_t il = 0; il < 35; il++) hp.is_swa[il] = (il % 5) != 4;
    for (uint32_t il = 0; il < 15; il++) assert_int_equal(g4_hparams_kv_source(&hp, il), il);
    for (uint32_t il = 15; il < 35; il++) assert_int_equal(g4_hparams_kv_source(&hp, il), hp.is_swa[il] ? 13 : 14);
}

static void test_defaults(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.omit_key = "gemma4.rope.freq_base";
    loaded l;
    open_tiny(&c, &l);
    g4_hparams hp;
    g4_error err = {0};
    assert_int_equal(g4_hparams_load(l.f, &hp, &err), GEMMA4_OK);
    assert_true(hp.rope_base == 10000.0f);
    close_tiny(&l);

    c = tiny_default();
    c.omit_key = "gemma4.attention.head_count_kv"; /* defaults to head_count */
    open_tiny(&c, &l);
    assert_int_equal(g4_hparams_load(l.f, &hp, &err), GEMMA4_OK);
    assert_int_equal(hp.n_head_kv[0], 4);
    close_tiny(&l);

    c = tiny_default();
    c.omit_key = "gemma4.final_logit_softcapping"; /* llama.cpp's default: 30 */
    c.softcap = 0;
    open_tiny(&c, &l);
    assert_int_equal(g4_hparams_load(l.f, &hp, &err), GEMMA4_OK);
    assert_true(hp.final_softcap == 30.0f);
    close_tiny(&l);

    c = tiny_default();
    c.softcap = 0; /* written as 0: none */
    open_tiny(&c, &l);
    assert_int_equal(g4_hparams_load(l.f, &hp, &err), GEMMA4_OK);
    assert_true(hp.final_softcap == 0.0f);
    close_tiny(&l);

    c = tiny_default();
    c.n_shared = 0;
    c.omit_key = "gemma4.attention.shared_kv_layers";
    open_tiny(&c, &l);
    assert_int_equal(g4_hparams_load(l.f, &hp, &err), GEMMA4_OK);
    assert_int_equal(hp.n_shared_kv, 0);
    assert_int_equal(hp.n_layer_kv, 6);
    for (uint32_t il = 0; il < 6; il++) assert_int_equal(g4_hparams_kv_source(&hp, il), il);
    close_tiny(&l);
}

static void test_missing_keys(void **state) {
    (void)state;
    const char *required[] = {
        "gemma4.block_count",
        "gemma4.embedding_length",
        "gemma4.context_length",
        "gemma4.embedding_length_per_layer_input",
        "gemma4.attention.head_count",
        "gemma4.feed_forward_length",
        "gemma4.attention.sliding_window_pattern",
        "gemma4.attention.key_length_swa",
        "gemma4.attention.sliding_window",
        "gemma4.attention.layer_norm_rms_epsilon",
        "tokenizer.ggml.tokens",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        tiny_cfg c = tiny_default();
        c.omit_key = required[i];
        expect_hparams(&c, GEMMA4_ERR_FORMAT, required[i]);
    }
}

static void test_bad_pattern_length(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.pattern_len = 5;
    expect_hparams(&c, GEMMA4_ERR_FORMAT, "sliding_window_pattern");
    c.pattern_len = 7;
    expect_hparams(&c, GEMMA4_ERR_FORMAT, "7 entries");
}

static void test_moe_refused(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.expert_count = 4;
    expect_hparams(&c, GEMMA4_ERR_UNSUPPORTED, "Gemma 4 MoE models are not supported yet");
    expect_model(&c, GEMMA4_ERR_UNSUPPORTED, "MoE", NULL);
}

static void test_shared_kv_type_mismatch(void **state) {
    (void)state;
    /* [S,S,G,S,S,G] with 2 shared layers: shared sliding layer 4 would read layer 2, a global one */
    tiny_cfg c = tiny_default();
    c.raw_pattern = true;
    expect_hparams(&c, GEMMA4_ERR_FORMAT, "layer 4");
}

static void test_bind_valid(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    loaded l;
    open_tiny(&c, &l);
    g4_model *m = NULL;
    g4_error err = {0};
    if (g4_model_load(l.f, &m, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    const g4_weights *w = &m->w;
    assert_false(w->output_tied);
    assert_non_null(w->rope_freqs);
    assert_true(w->rope_freqs[0] == 1.0f && w->rope_freqs[8] == 1e30f);
    assert_int_equal(w->per_layer_token_embd.n_in, 6 * 16);
    assert_int_equal(w->per_layer_token_embd.n_out, 96);
    for (uint32_t il = 0; il < 6; il++) {
        const g4_layer_weights *L = &w->layers[il];
        const bool own = il < 4;
        assert_true((L->wk.data != NULL) == own);
        assert_true((L->wv.data != NULL) == own);
        assert_true((L->attn_k_norm != NULL) == own);
        assert_true((L->rope_freqs != NULL) == !m->hp.is_swa[il]);
        assert_true(L->out_scale > 0.5f && L->out_scale < 1.1f);
        assert_int_equal(L->wq.n_in, 64);
        assert_int_equal(L->wq.n_out, 4 * g4_hparams_head_dim(&m->hp, il));
        assert_int_equal(L->ffn_down.n_in, m->hp.n_ff[il]);
        assert_int_equal(L->inp_gate.n_out, 16);
    }
    g4_model_free(m);
    close_tiny(&l);
}

static void test_bind_optional(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.tied = true;
    c.no_attn_v = true;
    c.out_scale = false;
    loaded l;
    open_tiny(&c, &l);
    g4_model *m = NULL;
    g4_error err = {0};
    if (g4_model_load(l.f, &m, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    assert_true(m->w.output_tied);
    assert_ptr_equal(m->w.output.data, m->w.token_embd.data);
    for (uint32_t il = 0; il < 6; il++) {
        assert_null(m->w.layers[il].wv.data);
        assert_true(m->w.layers[il].out_scale == 1.0f);
    }
    g4_model_free(m);
    close_tiny(&l);

    /* no per-layer embeddings: none of their tensors are needed */
    c = tiny_default();
    c.n_epl = 0;
    open_tiny(&c, &l);
    if (g4_model_load(l.f, &m, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    assert_null(m->w.per_layer_token_embd.data);
    assert_null(m->w.layers[0].inp_gate.data);
    g4_model_free(m);
    close_tiny(&l);
}

static void test_bind_errors(void **state) {
    (void)state;
    tiny_cfg c = tiny_default();
    c.omit_tensor = "blk.1.ffn_up.weight";
    expect_model(&c, GEMMA4_ERR_FORMAT, "blk.1.ffn_up.weight", "missing");

    c = tiny_default();
    c.omit_tensor = "blk.0.attn_k.weight"; /* required in own-KV layers */
    expect_model(&c, GEMMA4_ERR_FORMAT, "blk.0.attn_k.weight", "missing");

    c = tiny_default();
    c.omit_tensor = "per_layer_token_embd.weight";
    expect_model(&c, GEMMA4_ERR_FORMAT, "per_layer_token_embd.weight", "{96, 96}");

    c = tiny_default();
    c.bad_shape = "blk.0.attn_q.weight";
    expect_model(&c, GEMMA4_ERR_FORMAT, "has shape {65, 128}", "expected {64, 128}");

    c = tiny_default();
    c.bad_shape = "blk.2.attn_norm.weight";
    expect_model(&c, GEMMA4_ERR_FORMAT, "blk.2.attn_norm.weight", "expected {64}");

    c = tiny_default();
    c.retype = "blk.3.ffn_norm.weight";
    c.retype_as = G4_TYPE_F16;
    expect_model(&c, GEMMA4_ERR_FORMAT, "blk.3.ffn_norm.weight", "expected f32");

    c = tiny_default();
    c.retype = "blk.2.ffn_down.weight";
    c.retype_as = G4_TYPE_IQ4_NL;
    expect_model(&c, GEMMA4_ERR_UNSUPPORTED, "blk.2.ffn_down.weight", "iq4_nl");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_e2b_layout_kv_source),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_bad_pattern_length),
        cmocka_unit_test(test_moe_refused),
        cmocka_unit_test(test_shared_kv_type_mismatch),
        cmocka_unit_test(test_bind_valid),
        cmocka_unit_test(test_bind_optional),
        cmocka_unit_test(test_bind_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
