/* Vocabulary loading: from arrays and from a GGUF written in memory; llama.cpp's load-time rules
 * (forced add_bos, special roles found by text, the end-of-generation set and its exceptions, the
 * "unused" marking, renamed empty tokens, ignored out-of-range ids); and every kind of bad input,
 * each with the message it must give. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "test_text_tokenizer_fixture.h"
#include "testkit.h"
#include "text/detokenizer.h"
#include "text/tokenizer.h"

/* A vocabulary from a list of (text, type) pairs, no merges. */
static gemma4_status build_small(const char *const *texts, const int32_t *types, int n, g4_vocab **v, g4_error *err) {
    g4_str toks[64];
    for (int i = 0; i < n; i++) toks[i] = (g4_str){texts[i], strlen(texts[i])};
    g4_vocab_spec spec;
    g4_vocab_spec_init(&spec);
    spec.model = "gemma4";
    spec.n_tokens = (uint32_t)n;
    spec.tokens = toks;
    spec.token_types = types;
    return g4_vocab_build(&spec, v, err);
}

static void test_fixture_basics(void **state) {
    (void)state;
    g4_vocab *v = fx_vocab();
    assert_non_null(v);
    assert_int_equal(g4_vocab_n_tokens(v), T_COUNT);
    assert_int_equal(g4_vocab_n_merges(v), FX_N_MERGES);
    assert_int_equal(g4_vocab_bos(v), T_BOS);
    assert_int_equal(g4_vocab_eos(v), T_EOS);
    assert_int_equal(g4_vocab_special(v, G4_SPECIAL_UNK), T_UNK);
    assert_int_equal(g4_vocab_special(v, G4_SPECIAL_EOT), -1);
    assert_int_equal(g4_vocab_special(v, G4_SPECIAL_COUNT), -1);
    assert_true(g4_vocab_add_bos(v));
    assert_false(g4_vocab_add_eos(v));
    size_t len;
    assert_string_equal(g4_vocab_text(v, T_SPACE_A, &len), FX_U2581 "a");
    assert_int_equal(len, 4);
    assert_null(g4_vocab_text(v, T_COUNT, &len));
    assert_int_equal(len, 0);
    assert_null(g4_vocab_text(v, -1, NULL));
    assert_int_equal(g4_vocab_find(v, "abc", 3), T_ABC);
    assert_int_equal(g4_vocab_find(v, "ab", 2), T_AB);
    assert_int_equal(g4_vocab_find(v, "abcd", 4), -1);
    assert_int_equal(g4_vocab_find(v, "", 0), -1);
    assert_int_equal(g4_vocab_max_token_len(v), 16); /* <|tool_response> */
    assert_int_equal(g4_vocab_attr(v, T_TURN), G4_TOKEN_ATTR_CONTROL);
    assert_int_equal(g4_vocab_attr(v, T_QUOTE), G4_TOKEN_ATTR_USER_DEFINED);
    assert_int_equal(g4_vocab_attr(v, T_UNK), G4_TOKEN_ATTR_UNKNOWN);
    assert_int_equal(g4_vocab_attr(v, T_BYTE0 + 7), G4_TOKEN_ATTR_BYTE);
    assert_int_equal(g4_vocab_attr(v, T_WEIRD_TYPE), G4_TOKEN_ATTR_UNDEFINED); /* type 99 */
    assert_int_equal(g4_vocab_attr(v, T_COUNT), 0);
    g4_vocab_free(v);
    g4_vocab_free(NULL);
}

static void test_merge_ranks(void **state) {
    (void)state;
    g4_vocab *v = fx_vocab();
    assert_int_equal(g4_vocab_merge_rank(v, "b", 1, "c", 1), 0); /* the repeat at the end keeps rank 0 */
    assert_int_equal(g4_vocab_merge_rank(v, "a", 1, "b", 1), 1);
    assert_int_equal(g4_vocab_merge_rank(v, "a", 1, "bc", 2), 2);
    assert_int_equal(g4_vocab_merge_rank(v, "ab", 2, "c", 1), -1);
    assert_int_equal(g4_vocab_merge_rank(v, "x", 1, "y", 1), 18); /* halves that are no tokens still rank */
    assert_int_equal(g4_vocab_merge_rank(v, "\n", 1, "\n", 1), 17);
    assert_int_equal(g4_vocab_merge_rank(v, FX_U2581, 3, "world", 5), 16);
    assert_int_equal(g4_vocab_merge_rank(v, "nospace", 7, "", 0), -1);
    assert_int_equal(g4_vocab_merge_rank(v, "", 0, "lead", 4), -1);
    assert_int_equal(g4_vocab_merge_rank(v, " ", 1, "lead", 4), -1);
    g4_vocab_free(v);
}

static void test_eog_gemma4(void **state) {
    (void)state;
    g4_vocab *v = fx_vocab();
    /* <eos> (the EOS id and its text), <turn|>, <|tool_response>; "</s>" is dropped because
     * <|tool_response> is there, and goes back to a plain normal token */
    assert_int_equal(g4_vocab_n_eog(v), 3);
    assert_int_equal(g4_vocab_eog_at(v, 0), T_EOS);
    assert_int_equal(g4_vocab_eog_at(v, 1), T_TURN_END);
    assert_int_equal(g4_vocab_eog_at(v, 2), T_TOOL_RESPONSE);
    assert_int_equal(g4_vocab_eog_at(v, 3), -1);
    assert_true(g4_vocab_is_eog(v, T_EOS));
    assert_true(g4_vocab_is_eog(v, T_TURN_END));
    assert_true(g4_vocab_is_eog(v, T_TOOL_RESPONSE));
    assert_false(g4_vocab_is_eog(v, T_TURN));
    assert_false(g4_vocab_is_eog(v, T_STRIKE_END));
    assert_false(g4_vocab_is_eog(v, -1));
    assert_false(g4_vocab_is_eog(v, T_COUNT + 5));
    assert_int_equal(g4_vocab_attr(v, T_STRIKE_END), G4_TOKEN_ATTR_NORMAL);
    /* an end-of-generation text makes the token control as well */
    assert_int_equal(g4_vocab_attr(v, T_TOOL_RESPONSE), G4_TOKEN_ATTR_USER_DEFINED | G4_TOKEN_ATTR_CONTROL);
    assert_true(g4_vocab_is_control(v, T_TOOL_RESPONSE));
    g4_vocab_free(v);
}

static void test_eog_other_rules(void **state) {
    (void)state;
    g4_error err = {0};
    g4_vocab *v;
    /* without <|tool_response>, "</s>" ends generation and is control */
    {
        const char *t[] = {"a", "</s>", "<turn|>"};
        const int32_t ty[] = {1, 1, 1};
        assert_int_equal(build_small(t, ty, 3, &v, &err), GEMMA4_OK);
        assert_true(g4_vocab_is_eog(v, 1));
        assert_true(g4_vocab_is_eog(v, 2));
        assert_int_equal(g4_vocab_attr(v, 1), G4_TOKEN_ATTR_NORMAL | G4_TOKEN_ATTR_CONTROL);
        g4_vocab_free(v);
    }
    /* <|return|> + <|call|> + <|end|>: "<|end|>" is not an end of generation, and is user-defined */
    {
        const char *t[] = {"<|return|>", "<|call|>", "<|end|>", "<|channel|>", "<|message|>"};
        const int32_t ty[] = {3, 3, 3, 3, 1};
        assert_int_equal(build_small(t, ty, 5, &v, &err), GEMMA4_OK);
        assert_int_equal(g4_vocab_n_eog(v), 2);
        assert_false(g4_vocab_is_eog(v, 2));
        assert_int_equal(g4_vocab_attr(v, 2), G4_TOKEN_ATTR_USER_DEFINED);
        /* the gpt-oss tokens are always rendered: user-defined whatever the file says */
        assert_int_equal(g4_vocab_attr(v, 3), G4_TOKEN_ATTR_USER_DEFINED);
        assert_int_equal(g4_vocab_attr(v, 4), G4_TOKEN_ATTR_USER_DEFINED);
        g4_vocab_free(v);
    }
    /* <|end|> alone stays an end of generation (the EOT detected by text, too) */
    {
        const char *t[] = {"x", "<|end|>"};
        const int32_t ty[] = {1, 1};
        assert_int_equal(build_small(t, ty, 2, &v, &err), GEMMA4_OK);
        assert_true(g4_vocab_is_eog(v, 1));
        assert_int_equal(g4_vocab_special(v, G4_SPECIAL_EOT), 1);
        g4_vocab_free(v);
    }
    /* FIM roles found by text: pad/rep/sep end generation and become control; EOM likewise */
    {
        const char *t[] = {"<fim_prefix>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
                           "<|eom_id|>",   "<PAD>",       "<end_of_turn>", "<|endoftext|>"};
        const int32_t ty[] = {1, 1, 1, 1, 1, 1, 1, 1};
        assert_int_equal(build_small(t, ty, 8, &v, &err), GEMMA4_OK);
        assert_int_equal(g4_vocab_special(v, G4_SPECIAL_FIM_PRE), 0);
        assert_int_equal(g4_vocab_special(v, G4_SPECIAL_FIM_PAD), 1); /* the lower id of two candidates */
        assert_int_equal(g4_vocab_special(v, G4_SPECIAL_FIM_REP), 2);
        assert_int_equal(g4_vocab_special(v, G4_SPECIAL_FIM_SEP), 3);
        assert_int_equal(g4_vocab_special(v, G4_SPECIAL_EOM), 4);
        assert_int_equal(g4_vocab_special(v, G4_SPECIAL_EOT), 6);
        for (int id = 0; id < 8; id++) assert_true(g4_vocab_is_control(v, id) || id == 5);
        assert_false(g4_vocab_is_eog(v, 0));
        for (int id = 1; id <= 4; id++) assert_true(g4_vocab_is_eog(v, id));
        assert_false(g4_vocab_is_eog(v, 5));
        assert_true(g4_vocab_is_eog(v, 6));
        assert_true(g4_vocab_is_eog(v, 7));
        g4_vocab_free(v);
    }
    /* an EOS id of a token with no end-like text is added to the set; control tokens named
     * "unused" are marked unused */
    {
        const char *t[] = {"stop", "<unused3>", "<unused4>"};
        const int32_t ty[] = {1, 3, 1};
        g4_str toks[3];
        for (int i = 0; i < 3; i++) toks[i] = (g4_str){t[i], strlen(t[i])};
        g4_vocab_spec spec;
        g4_vocab_spec_init(&spec);
        spec.model = "gemma4";
        spec.n_tokens = 3;
        spec.tokens = toks;
        spec.token_types = ty;
        spec.special_ids[G4_SPECIAL_EOS] = 0;
        spec.special_ids[G4_SPECIAL_BOS] = 7; /* outside the vocabulary: ignored */
        assert_int_equal(g4_vocab_build(&spec, &v, &err), GEMMA4_OK);
        assert_true(g4_vocab_is_eog(v, 0));
        assert_int_equal(g4_vocab_bos(v), -1);
        assert_int_equal(g4_vocab_attr(v, 1), G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_UNUSED);
        assert_int_equal(g4_vocab_attr(v, 2), G4_TOKEN_ATTR_NORMAL);
        g4_vocab_free(v);
    }
}

static void test_empty_and_odd_tokens(void **state) {
    (void)state;
    g4_error err = {0};
    g4_vocab *v;
    /* an empty text becomes "[EMPTY_<id>]" */
    const char *t[] = {"a", "", "b"};
    const int32_t ty[] = {1, 1, 1};
    assert_int_equal(build_small(t, ty, 3, &v, &err), GEMMA4_OK);
    assert_string_equal(g4_vocab_text(v, 1, NULL), "[EMPTY_1]");
    assert_int_equal(g4_vocab_find(v, "[EMPTY_1]", 9), 1);
    g4_vocab_free(v);
    /* ... which can then clash with a real token of that text, as in llama.cpp */
    const char *t2[] = {"[EMPTY_1]", ""};
    assert_int_equal(build_small(t2, ty, 2, &v, &err), GEMMA4_ERR_FORMAT);
    assert_null(v);
    /* no scores and no types: all normal, score 0 */
    g4_str toks[2] = {{"x", 1}, {"y", 1}};
    g4_vocab_spec spec;
    g4_vocab_spec_init(&spec);
    spec.model = "gemma4";
    spec.n_tokens = 2;
    spec.tokens = toks;
    assert_int_equal(g4_vocab_build(&spec, &v, &err), GEMMA4_OK);
    assert_int_equal(g4_vocab_attr(v, 1), G4_TOKEN_ATTR_NORMAL);
    assert_true(g4_vocab_score(v, 1) == 0.0f);
    /* no byte tokens: bytes without a token vanish from the output, as in llama.cpp */
    int32_t *ids;
    size_t n;
    assert_int_equal(g4_tokenize_alloc(v, "xzy", 3, false, true, &ids, &n, &err), GEMMA4_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    free(ids);
    g4_vocab_free(v);
    /* byte tokens with odd texts decode as llama.cpp's strtol(text.substr(3, 2), 16) does */
    const char *t3[] = {"<0x4", "<0xZZ>", "<0x-1>", "<0x41"};
    const int32_t ty3[] = {6, 6, 6, 6};
    assert_int_equal(build_small(t3, ty3, 4, &v, &err), GEMMA4_OK);
    size_t len;
    const char *p = g4_token_piece(v, 0, true, &len);
    assert_int_equal(len, 1);
    assert_int_equal((unsigned char)p[0], 0x4);
    p = g4_token_piece(v, 1, true, &len);
    assert_int_equal((unsigned char)p[0], 0);
    p = g4_token_piece(v, 2, true, &len);
    assert_int_equal((unsigned char)p[0], 0xFF);
    p = g4_token_piece(v, 3, true, &len);
    assert_int_equal((unsigned char)p[0], 0x41);
    g4_vocab_free(v);
}

static void test_bad_specs(void **state) {
    (void)state;
    g4_error err = {0};
    g4_vocab *v = (g4_vocab *)&err;
    fx_spec f;
    fx_spec_init(&f);

    /* duplicate token texts: llama.cpp aborts; here a format error naming both ids */
    free(f.t.text[T_C]);
    f.t.text[T_C] = strdup("b");
    f.tokens[T_C] = (g4_str){f.t.text[T_C], 1};
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_ERR_FORMAT);
    assert_null(v);
    char want[64];
    snprintf(want, sizeof want, "token %d has the same text as token %d", T_C, T_B);
    assert_non_null(strstr(err.msg, want));
    free(f.t.text[T_C]);
    f.t.text[T_C] = strdup("c");
    f.tokens[T_C] = (g4_str){f.t.text[T_C], 1};

    f.spec.model = "llama";
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "'llama'"));
    f.spec.model = NULL;
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_ERR_FORMAT);
    f.spec.model = "gemma4";

    f.spec.n_tokens = 0;
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "empty"));
    f.spec.n_tokens = T_COUNT;

    /* a byte token whose text is too short for llama.cpp's substr(3, 2) */
    free(f.t.text[T_BYTE0 + 5]);
    f.t.text[T_BYTE0 + 5] = strdup("<0");
    f.tokens[T_BYTE0 + 5] = (g4_str){f.t.text[T_BYTE0 + 5], 2};
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "byte token"));
    free(f.t.text[T_BYTE0 + 5]);
    f.t.text[T_BYTE0 + 5] = strdup("<0x05>");
    f.tokens[T_BYTE0 + 5] = (g4_str){f.t.text[T_BYTE0 + 5], 6};

    /* a token with a length but no text */
    f.tokens[T_A] = (g4_str){NULL, 3};
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_ERR_INVALID_ARG);
    f.tokens[T_A] = (g4_str){f.t.text[T_A], 1};

    f.spec.merges = NULL;
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_vocab_build(NULL, &v, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_vocab_build(&f.spec, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    fx_spec_free(&f);
}

/* ---- GGUF ------------------------------------------------------------------------------------- */

typedef struct gguf_mem {
    void *data;
    size_t size;
    g4_gguf *f;
} gguf_mem;

/* Which keys to break when writing the fixture vocabulary as a GGUF. */
enum {
    BREAK_NONE = 0,
    BREAK_NO_MODEL,
    BREAK_MODEL_LLAMA,
    BREAK_MODEL_TYPE,
    BREAK_NO_TOKENS,
    BREAK_TOKENS_U32,
    BREAK_NO_MERGES,
    BREAK_TYPES_U32,
    BREAK_TYPES_SHORT,
    BREAK_SCORES_SHORT,
    BREAK_SCORES_STR,
    BREAK_BOS_I32,
    BREAK_BOS_OUT_OF_RANGE,
    BREAK_ADD_BOS_U8,
    BREAK_PRE_U32,
    BREAK_SUPPRESS_F32,
    INT_SCORES,
    DEPRECATED_FIM,
};

static void write_fixture_gguf(gguf_mem *m, int brk) {
    fx_spec f;
    fx_spec_init(&f);
    g4_gguf_writer *w = g4_gguf_writer_new();
    assert_non_null(w);
    g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
    if (brk == BREAK_MODEL_TYPE)
        g4_gguf_writer_add_u32(w, "tokenizer.ggml.model", 4);
    else if (brk != BREAK_NO_MODEL)
        g4_gguf_writer_add_str(w, "tokenizer.ggml.model", brk == BREAK_MODEL_LLAMA ? "llama" : "gemma4");
    if (brk == BREAK_PRE_U32) g4_gguf_writer_add_u32(w, "tokenizer.ggml.pre", 1);
    if (brk == BREAK_TOKENS_U32) {
        uint32_t x[3] = {1, 2, 3};
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.tokens", G4_GGUF_UINT32, x, 3);
    } else if (brk != BREAK_NO_TOKENS) {
        g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)f.t.text, T_COUNT);
    }
    float scores[T_COUNT];
    int32_t iscores[T_COUNT];
    for (int i = 0; i < T_COUNT; i++) scores[i] = (float)(iscores[i] = -i);
    if (brk == BREAK_SCORES_STR)
        g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.scores", (const char *const *)f.t.text, T_COUNT);
    else if (brk == INT_SCORES)
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.scores", G4_GGUF_INT32, iscores, T_COUNT);
    else
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.scores", G4_GGUF_FLOAT32, scores,
                               brk == BREAK_SCORES_SHORT ? T_COUNT - 1 : T_COUNT);
    if (brk == BREAK_TYPES_U32)
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.token_type", G4_GGUF_UINT32, f.t.type, T_COUNT);
    else
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.token_type", G4_GGUF_INT32, f.t.type,
                               brk == BREAK_TYPES_SHORT ? 10 : T_COUNT);
    if (brk != BREAK_NO_MERGES) g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", fx_merges, FX_N_MERGES);
    if (brk == BREAK_BOS_I32)
        g4_gguf_writer_add_i32(w, "tokenizer.ggml.bos_token_id", T_BOS);
    else
        g4_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", brk == BREAK_BOS_OUT_OF_RANGE ? T_COUNT + 3 : T_BOS);
    g4_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", T_EOS);
    g4_gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", T_UNK);
    g4_gguf_writer_add_u32(w, "tokenizer.ggml.padding_token_id", T_PAD);
    if (brk == DEPRECATED_FIM) {
        g4_gguf_writer_add_u32(w, "tokenizer.ggml.fim_pre_token_id", T_A);
        g4_gguf_writer_add_u32(w, "tokenizer.ggml.prefix_token_id", T_B); /* read later: wins */
        g4_gguf_writer_add_u32(w, "tokenizer.ggml.fim_suf_token_id", T_C);
        g4_gguf_writer_add_u32(w, "tokenizer.ggml.suffix_token_id", T_COUNT); /* out of range: ignored */
    }
    if (brk == BREAK_ADD_BOS_U8)
        g4_gguf_writer_add_u8(w, "tokenizer.ggml.add_bos_token", 1);
    else
        g4_gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", false); /* forced true anyway */
    g4_gguf_writer_add_bool(w, "tokenizer.ggml.add_space_prefix", false);
    if (brk == BREAK_SUPPRESS_F32)
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.suppress_tokens", G4_GGUF_FLOAT32, scores, 2);
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write_memory(w, NULL, NULL, &m->data, &m->size, &err), GEMMA4_OK);
    g4_gguf_writer_free(w);
    assert_int_equal(g4_gguf_open_memory(m->data, m->size, &m->f, &err), GEMMA4_OK);
    fx_spec_free(&f);
}

static void gguf_mem_free(gguf_mem *m) {
    g4_gguf_close(m->f);
    free(m->data);
}

static void test_gguf_load(void **state) {
    (void)state;
    gguf_mem m;
    write_fixture_gguf(&m, BREAK_NONE);
    g4_vocab *v;
    g4_error err = {0};
    assert_int_equal(g4_vocab_load(m.f, &v, &err), GEMMA4_OK);
    gguf_mem_free(&m); /* everything was copied */
    g4_vocab *ref = fx_vocab();
    assert_int_equal(g4_vocab_n_tokens(v), T_COUNT);
    assert_int_equal(g4_vocab_n_merges(v), FX_N_MERGES);
    assert_true(g4_vocab_add_bos(v));
    assert_int_equal(g4_vocab_bos(v), T_BOS);
    assert_true(g4_vocab_score(v, 7) == -7.0f);
    for (int32_t id = 0; id < T_COUNT; id++) {
        assert_string_equal(g4_vocab_text(v, id, NULL), g4_vocab_text(ref, id, NULL));
        assert_int_equal(g4_vocab_attr(v, id), g4_vocab_attr(ref, id));
        assert_int_equal(g4_vocab_is_eog(v, id), g4_vocab_is_eog(ref, id));
    }
    static const char *const texts[] = {"hello world", "<|turn>abc abc<turn|>", "\n\n\n", "z\xc3\xa9", "  a"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int32_t a[64], b[64];
        size_t na, nb;
        assert_int_equal(g4_tokenize(v, texts[i], strlen(texts[i]), true, true, a, 64, &na, &err), GEMMA4_OK);
        assert_int_equal(g4_tokenize(ref, texts[i], strlen(texts[i]), true, true, b, 64, &nb, &err), GEMMA4_OK);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof *a);
    }
    g4_vocab_free(ref);
    g4_vocab_free(v);

    write_fixture_gguf(&m, INT_SCORES);
    assert_int_equal(g4_vocab_load(m.f, &v, &err), GEMMA4_OK);
    assert_true(g4_vocab_score(v, 9) == -9.0f);
    g4_vocab_free(v);
    gguf_mem_free(&m);

    write_fixture_gguf(&m, DEPRECATED_FIM);
    assert_int_equal(g4_vocab_load(m.f, &v, &err), GEMMA4_OK);
    assert_int_equal(g4_vocab_special(v, G4_SPECIAL_FIM_PRE), T_B);
    assert_int_equal(g4_vocab_special(v, G4_SPECIAL_FIM_SUF), T_C);
    g4_vocab_free(v);
    gguf_mem_free(&m);

    write_fixture_gguf(&m, BREAK_BOS_OUT_OF_RANGE);
    assert_int_equal(g4_vocab_load(m.f, &v, &err), GEMMA4_OK);
    assert_int_equal(g4_vocab_bos(v), -1);
    g4_vocab_free(v);
    gguf_mem_free(&m);
}

static void test_gguf_bad(void **state) {
    (void)state;
    static const struct {
        int brk;
        gemma4_status st;
        const char *words;
    } cases[] = {
        {BREAK_NO_MODEL, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.model' missing"},
        {BREAK_MODEL_LLAMA, GEMMA4_ERR_UNSUPPORTED, "'llama' is not supported"},
        {BREAK_MODEL_TYPE, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.model' has type u32, want string"},
        {BREAK_NO_TOKENS, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.tokens' missing"},
        {BREAK_TOKENS_U32, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.tokens' is an array of u32, want string"},
        {BREAK_NO_MERGES, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.merges' missing"},
        {BREAK_TYPES_U32, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.token_type' is an array of u32, want i32"},
        {BREAK_TYPES_SHORT, GEMMA4_ERR_FORMAT, "token_type has 10 entries"},
        {BREAK_SCORES_SHORT, GEMMA4_ERR_FORMAT, "scores has"},
        {BREAK_SCORES_STR, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.scores' is an array of string"},
        {BREAK_BOS_I32, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.bos_token_id' has type i32, want u32"},
        {BREAK_ADD_BOS_U8, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.add_bos_token' has type u8, want bool"},
        {BREAK_PRE_U32, GEMMA4_ERR_FORMAT, "'tokenizer.ggml.pre' has type u32"},
        {BREAK_SUPPRESS_F32, GEMMA4_ERR_FORMAT, "suppress_tokens' is an array of f32"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gguf_mem m;
        write_fixture_gguf(&m, cases[i].brk);
        g4_vocab *v = (g4_vocab *)&m;
        g4_error err = {0};
        gemma4_status st = g4_vocab_load(m.f, &v, &err);
        if (st != cases[i].st || !strstr(err.msg, cases[i].words))
            printf("case %zu: status %d, message \"%s\"; want %d with \"%s\"\n", i, st, err.msg, cases[i].st,
                   cases[i].words);
        assert_int_equal(st, cases[i].st);
        assert_non_null(strstr(err.msg, cases[i].words));
        assert_null(v);
        gguf_mem_free(&m);
    }
    g4_error err = {0};
    g4_vocab *v;
    assert_int_equal(g4_vocab_load(NULL, &v, &err), GEMMA4_ERR_INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_basics),
        cmocka_unit_test(test_merge_ranks),
        cmocka_unit_test(test_eog_gemma4),
        cmocka_unit_test(test_eog_other_rules),
        cmocka_unit_test(test_empty_and_odd_tokens),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_gguf_load),
        cmocka_unit_test(test_gguf_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
