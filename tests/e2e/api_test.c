/*
 * End to end through the public API only (include/gemma4.h), on a gguf-synth tiny model:
 * load errors, tokenize round trip, eval/logits, sampling reproducibility, streaming generation
 * with a callback that stops, context-full and bad-token errors, rewind, and multi-turn chat that
 * reuses the cached prefix.
 *   test_e2e_api MODEL.gguf
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gemma4.h"

static const char *g_model_path;

static gemma4_model *load(void) {
    char err[512];
    gemma4_model *m = NULL;
    gemma4_status st = gemma4_model_load(g_model_path, NULL, &m, err, sizeof err);
    if (st != GEMMA4_OK) fail_msg("loading %s: %s", g_model_path, err);
    return m;
}

static gemma4_session *session(gemma4_model *m, int n_ctx, float temp, uint64_t seed) {
    gemma4_sampling sp = gemma4_sampling_default_params();
    sp.temperature = temp;
    sp.seed = seed;
    gemma4_session_params p = gemma4_session_default_params();
    p.n_ctx = n_ctx;
    p.n_threads = 2;
    p.sampling = &sp;
    gemma4_session *s = NULL;
    char err[512];
    if (gemma4_session_new(m, &p, &s, err, sizeof err) != GEMMA4_OK) fail_msg("session: %s", err);
    return s;
}

static void test_load_errors(void **state) {
    (void)state;
    char err[512] = "";
    gemma4_model *m = (gemma4_model *)1;
    assert_int_equal(gemma4_model_load("/nonexistent/model.gguf", NULL, &m, err, sizeof err), GEMMA4_ERR_IO);
    assert_null(m);
    assert_non_null(strstr(err, "/nonexistent/model.gguf"));
    assert_int_equal(gemma4_model_load(NULL, NULL, &m, err, sizeof err), GEMMA4_ERR_INVALID_ARG);
    assert_string_equal(gemma4_status_name(GEMMA4_ERR_CONTEXT_FULL), "GEMMA4_ERR_CONTEXT_FULL");
    assert_string_equal(gemma4_status_name(GEMMA4_ERR_INTERRUPTED), "GEMMA4_ERR_INTERRUPTED");
    assert_int_equal(gemma4_version_number(), GEMMA4_VERSION_NUMBER);
    assert_string_equal(gemma4_version(), GEMMA4_VERSION);

    /* A session's creation reports into the caller's buffer, not on the shared model. */
    m = load();
    gemma4_session_params p = gemma4_session_default_params();
    p.n_ctx = 1 << 30;
    gemma4_session *s = (gemma4_session *)1;
    assert_int_equal(gemma4_session_new(m, &p, &s, err, sizeof err), GEMMA4_ERR_INVALID_ARG);
    assert_null(s);
    assert_non_null(strstr(err, "exceeds the model"));
    p = gemma4_session_default_params();
    p.struct_size = 0; /* not from gemma4_session_default_params */
    assert_int_equal(gemma4_session_new(m, &p, &s, err, sizeof err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "struct_size"));
    gemma4_model_free(m);
}

static void test_tokenize_roundtrip(void **state) {
    (void)state;
    gemma4_model *m = load();
    const char *text = "Hello world, this is libgemma4!";
    int32_t *ids = NULL, *ids2 = NULL;
    size_t n = 0;
    char err[512];
    if (gemma4_tokenize(m, text, strlen(text), true, true, &ids, &n, err, sizeof err) != GEMMA4_OK)
        fail_msg("tokenize: %s", err);
    assert_true(n >= 2);
    assert_int_equal(ids[0], gemma4_token_bos(m));
    char *back = NULL;
    if (gemma4_detokenize(m, ids + 1, n - 1, false, &back, err, sizeof err) != GEMMA4_OK)
        fail_msg("detokenize: %s", err);
    assert_int_equal(gemma4_tokenize(m, NULL, 3, true, true, &ids2, &n, err, sizeof err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "gemma4_tokenize"));
    assert_string_equal(back, text);
    gemma4_free(back);
    gemma4_free(ids);
    gemma4_model_free(m);
}

static void test_eval_logits_and_errors(void **state) {
    (void)state;
    gemma4_model *m = load();
    gemma4_session *s = session(m, 32, 0.0f, 0);
    int32_t n_vocab = gemma4_model_n_vocab(m);
    int32_t toks[4] = {gemma4_token_bos(m), 10, 20, 30};
    assert_int_equal(gemma4_eval(s, toks, 4, true), GEMMA4_OK);
    assert_int_equal(gemma4_session_n_past(s), 4);
    for (int i = 0; i < 4; i++) {
        const float *row = gemma4_logits(s, i);
        assert_non_null(row);
        for (int32_t v = 0; v < n_vocab; v++) assert_true(isfinite(row[v]) && fabsf(row[v]) <= 30.0f);
    }
    assert_ptr_equal(gemma4_logits(s, -1), gemma4_logits(s, 3));
    assert_null(gemma4_logits(s, 4));

    int32_t bad = n_vocab;
    assert_int_equal(gemma4_eval(s, &bad, 1, false), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(gemma4_session_errmsg(s), "outside the vocabulary"));
    assert_int_equal(gemma4_session_n_past(s), 4); /* nothing happened */
    assert_int_equal(gemma4_eval(s, toks, 0, false), GEMMA4_ERR_INVALID_ARG);

    int32_t many[40] = {0};
    assert_int_equal(gemma4_eval(s, many, 40, false), GEMMA4_ERR_CONTEXT_FULL);
    assert_non_null(strstr(gemma4_session_errmsg(s), "do not fit"));
    assert_int_equal(gemma4_session_n_past(s), 4);

    /* Rewinding and evaluating the same tokens again gives the same logits. */
    float before[8];
    memcpy(before, gemma4_logits(s, 3), sizeof before);
    assert_int_equal(gemma4_session_rewind(s, 3), GEMMA4_OK);
    assert_int_equal(gemma4_eval(s, toks + 3, 1, false), GEMMA4_OK);
    assert_memory_equal(before, gemma4_logits(s, -1), sizeof before);
    assert_int_equal(gemma4_session_rewind(s, 9), GEMMA4_ERR_INVALID_ARG);
    gemma4_session_free(s);
    gemma4_model_free(m);
}

typedef struct collect {
    int32_t ids[256];
    int n;
    int stop_after;
    char text[4096];
    size_t text_len;
} collect;

static bool on_token(void *user, int32_t token, const char *piece, size_t len) {
    collect *c = user;
    if (token >= 0) c->ids[c->n++] = token;
    if (c->text_len + len < sizeof c->text) {
        memcpy(c->text + c->text_len, piece, len);
        c->text_len += len;
    }
    return c->stop_after == 0 || c->n < c->stop_after;
}

static void generate(gemma4_model *m, float temp, uint64_t seed, int max_tokens, int stop_after, collect *out,
                     gemma4_generate_stats *st) {
    gemma4_session *s = session(m, 256, temp, seed);
    int32_t prompt[3] = {gemma4_token_bos(m), 42, 43};
    memset(out, 0, sizeof *out);
    out->stop_after = stop_after;
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = max_tokens;
    gp.on_token = on_token;
    gp.user = out;
    assert_int_equal(gemma4_generate(s, prompt, 3, &gp, st), GEMMA4_OK);
    /* Every token passed to the callback is in the context. */
    assert_int_equal(gemma4_session_n_past(s), 3 + out->n);
    gemma4_session_free(s);
}

static void test_generate_reproducible_and_stoppable(void **state) {
    (void)state;
    gemma4_model *m = load();
    collect a, b, c;
    gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
    generate(m, 0.8f, 7, 24, 0, &a, &st);
    assert_int_equal(st.n_prompt, 3);
    assert_true(st.stop_reason == GEMMA4_STOP_EOG || st.stop_reason == GEMMA4_STOP_MAX_TOKENS);
    generate(m, 0.8f, 7, 24, 0, &b, &st);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.ids, b.ids, sizeof(int32_t) * (size_t)a.n);
    generate(m, 0.8f, 7, 24, 5, &c, &st);
    if (a.n >= 5) {
        assert_int_equal(c.n, 5);
        assert_int_equal(st.stop_reason, GEMMA4_STOP_CALLBACK);
        assert_string_equal(gemma4_stop_reason_name(st.stop_reason), "callback");
        assert_memory_equal(a.ids, c.ids, sizeof(int32_t) * 5);
    }
    /* Greedy decoding continues with the argmax of the logits. */
    collect g;
    generate(m, 0.0f, 1, 8, 0, &g, &st);
    gemma4_session *s = session(m, 64, 0.0f, 0);
    int32_t prompt[3] = {gemma4_token_bos(m), 42, 43};
    assert_int_equal(gemma4_eval(s, prompt, 3, false), GEMMA4_OK);
    const float *row = gemma4_logits(s, -1);
    int32_t best = 0;
    for (int32_t v = 1; v < gemma4_model_n_vocab(m); v++)
        if (row[v] > row[best]) best = v;
    if (g.n > 0) assert_int_equal(g.ids[0], best);
    gemma4_session_free(s);
    gemma4_model_free(m);
}

static void test_generate_context_full_is_reported(void **state) {
    (void)state;
    gemma4_model *m = load();
    gemma4_session *s = session(m, 8, 0.0f, 0);
    int32_t prompt[3] = {gemma4_token_bos(m), 42, 43};
    collect c = {0};
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.on_token = on_token;
    gp.user = &c;
    gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
    assert_int_equal(gemma4_generate(s, prompt, 3, &gp, &st), GEMMA4_OK);
    if (st.stop_reason == GEMMA4_STOP_CONTEXT_FULL) assert_int_equal(gemma4_session_n_past(s), 8);
    int32_t too_long[9] = {0};
    gemma4_session_reset(s);
    assert_int_equal(gemma4_generate(s, too_long, 9, &gp, &st), GEMMA4_ERR_CONTEXT_FULL);
    assert_int_equal(gemma4_generate(s, NULL, 0, &gp, &st), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(gemma4_session_errmsg(s), "empty prompt"));
    gemma4_session_free(s);
    gemma4_model_free(m);
}

static void test_chat_reuses_prefix(void **state) {
    (void)state;
    gemma4_model *m = load();
    gemma4_session *s = session(m, 512, 0.0f, 0);
    gemma4_chat_message msgs[3] = {
        {"user", "Hi there", NULL, 0}, {"assistant", "", NULL, 0}, {"user", "And again?", NULL, 0}};
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = 6;
    gemma4_chat_params cp = gemma4_chat_default_params();
    cp.generate = &gp;
    char *reply = NULL, *thought = NULL;
    gemma4_generate_stats st1 = GEMMA4_GENERATE_STATS_INIT, st2 = GEMMA4_GENERATE_STATS_INIT;
    assert_int_equal(gemma4_chat(s, msgs, 1, &cp, &reply, &thought, &st1), GEMMA4_OK);
    assert_non_null(reply);
    assert_non_null(thought);
    msgs[1].content = reply;
    assert_int_equal(gemma4_chat(s, msgs, 3, &cp, NULL, NULL, &st2), GEMMA4_OK);
    /* The second turn evaluates only what follows the cached first prompt. */
    assert_true(st2.n_prompt < st1.n_prompt + 12 + st1.n_generated);
    assert_true(st2.n_prompt > 0);
    assert_int_equal(st1.n_reused, 0);
    print_message("turn 1: %d evaluated; turn 2: %d reused, %d evaluated\n", st1.n_prompt, st2.n_reused, st2.n_prompt);
    assert_true(st2.n_reused > 0);
    gemma4_free(reply);
    gemma4_free(thought);
    assert_int_equal(gemma4_chat(s, msgs, 0, &cp, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    gemma4_session_free(s);
    gemma4_model_free(m);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_e2e_api MODEL.gguf\n");
        return 2;
    }
    g_model_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_tokenize_roundtrip),
        cmocka_unit_test(test_eval_logits_and_errors),
        cmocka_unit_test(test_generate_reproducible_and_stoppable),
        cmocka_unit_test(test_generate_context_full_is_reported),
        cmocka_unit_test(test_chat_reuses_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
