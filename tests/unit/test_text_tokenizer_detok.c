/* Detokenizer: token pieces per type and the `special` flag, llama_detokenize's remove_special /
 * unparse_special / space clean-up, the streaming detokenizer's UTF-8 hold-back, and bad ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "test_text_tokenizer_fixture.h"
#include "testkit.h"
#include "text/detokenizer.h"
#include "text/tokenizer.h"

#define B(x) (T_BYTE0 + (x))

static int setup(void **state) {
    *state = fx_vocab();
    return *state ? 0 : -1;
}

static int teardown(void **state) {
    g4_vocab_free(*state);
    return 0;
}

static void expect_piece(const g4_vocab *v, int32_t id, bool special, const char *want, size_t want_len) {
    size_t len = 99;
    const char *p = g4_token_piece(v, id, special, &len);
    assert_non_null(p);
    assert_int_equal(len, want_len);
    assert_memory_equal(p, want, want_len);
}
#define PIECE(v, id, special, lit) expect_piece(v, id, special, lit, sizeof(lit) - 1)

static void test_pieces(void **state) {
    const g4_vocab *v = *state;
    PIECE(v, T_SPACE_A, false, " a");
    PIECE(v, T_SPACE2, true, "  ");
    PIECE(v, T_HELLO, false, "hello");
    PIECE(v, B('A'), false, "A");
    PIECE(v, B(0), false, "\0");
    PIECE(v, B(0xE4), true, "\xe4");
    /* control tokens only with special; user-defined always; unknown like control */
    PIECE(v, T_TURN, false, "");
    PIECE(v, T_TURN, true, "<|turn>");
    PIECE(v, T_QUOTE, false, "<|\"|>");
    PIECE(v, T_AB_LT, false, "ab<");
    PIECE(v, T_UNK, false, "");
    PIECE(v, T_UNK, true, "<unk>");
    /* <|tool_response> became control as an end-of-generation token */
    PIECE(v, T_TOOL_RESPONSE, false, "");
    PIECE(v, T_TOOL_RESPONSE, true, "<|tool_response>");
    /* a type llama.cpp does not know renders as nothing */
    PIECE(v, T_WEIRD_TYPE, true, "");
    PIECE(v, T_NIHAO, false, "\xe4\xbd\xa0\xe5\xa5\xbd");
    size_t len = 7;
    assert_null(g4_token_piece(v, -1, true, &len));
    assert_int_equal(len, 0);
    assert_null(g4_token_piece(v, T_COUNT, true, NULL));
    assert_int_equal(g4_vocab_max_piece_len(v), 16);
}

static void expect_detok(const g4_vocab *v, const int32_t *ids, size_t n, bool remove_special, bool unparse,
                         const char *want, size_t want_len) {
    char *text;
    size_t len;
    g4_error err = {0};
    assert_int_equal(g4_detokenize_alloc(v, ids, n, remove_special, unparse, &text, &len, &err), GEMMA4_OK);
    if (len != want_len || memcmp(text, want, len) != 0)
        printf("got \"%s\", want \"%.*s\"\n", text, (int)want_len, want);
    assert_int_equal(len, want_len);
    assert_memory_equal(text, want, len);
    assert_int_equal(text[len], '\0');
    free(text);
}
#define DETOK(v, rs, up, lit, ...)                                                                                     \
    do {                                                                                                               \
        const int32_t ids_[] = {__VA_ARGS__};                                                                          \
        expect_detok(v, ids_, sizeof ids_ / sizeof ids_[0], rs, up, lit, sizeof(lit) - 1);                             \
    } while (0)

static void test_detokenize(void **state) {
    const g4_vocab *v = *state;
    DETOK(v, false, true, "<bos>hello world", T_BOS, T_HELLO, T_WORLD_SP);
    DETOK(v, false, false, "hello world", T_BOS, T_HELLO, T_WORLD_SP);
    DETOK(v, true, true, "hello world", T_BOS, T_HELLO, T_WORLD_SP);
    /* only a leading BOS goes; EOS stays (the vocab does not add EOS) */
    DETOK(v, true, true, "a<bos><eos>", T_A, T_BOS, T_EOS);
    DETOK(v, true, true, "<bos>", T_BOS, T_BOS);
    /* byte tokens rejoin into characters */
    DETOK(v, false, true, "\xe4\xbd\xa0!", B(0xe4), B(0xbd), B(0xa0), B('!'));
    DETOK(v, false, true, "<|turn>user\n", T_TURN, B('u'), T_S, T_E, T_R, T_NL);
    char *text = NULL;
    size_t len = 5;
    g4_error err = {0};
    assert_int_equal(g4_detokenize_alloc(v, NULL, 0, false, true, &text, &len, &err), GEMMA4_OK);
    assert_int_equal(len, 0);
    assert_string_equal(text, "");
    free(text);
}

static void test_clean_spaces(void **state) {
    const g4_vocab *v = *state;
    /* gemma4 vocabularies have llama.cpp's clean_spaces on: " ?" " !" " ." " ," lose the space */
    DETOK(v, false, true, "hello?", T_HELLO, T_SPACE, T_QMARK);
    DETOK(v, false, true, "a.", T_A, T_SPACE, B('.'));
    DETOK(v, false, true, " ?", T_SPACE, T_SPACE, T_QMARK);
    DETOK(v, false, true, "?", T_SPACE, T_QMARK); /* a leading space goes too */
    /* " ' " between spaces loses both spaces */
    DETOK(v, false, true, "a'b", T_A, T_SPACE, T_APOS, T_SPACE, T_B);
    /* " 's" " 'm" " 're" " 've" lose the space; " 't" " 'd" " 'll" keep it */
    DETOK(v, false, true, "a's", T_A, T_SPACE, T_APOS, T_S);
    DETOK(v, false, true, "a'm", T_A, T_SPACE, T_APOS, B('m'));
    DETOK(v, false, true, "a're", T_A, T_SPACE, T_APOS, T_R, T_E);
    DETOK(v, false, true, "a've", T_A, T_SPACE, B('\''), B('v'), T_E);
    DETOK(v, false, true, "a 't", T_A, T_SPACE, T_APOS, B('t'));
    DETOK(v, false, true, "a 'd", T_A, T_SPACE, T_APOS, T_D);
    DETOK(v, false, true, "a 'll", T_A, T_SPACE, T_APOS, T_LL);
    /* the passes see each other's results: " ' ' " */
    DETOK(v, false, true, "a'' b", T_A, T_SPACE, T_APOS, T_SPACE, T_APOS, T_SPACE, T_B);
    /* ...which makes a detokenize differ from the joined pieces */
    size_t n;
    g4_error err = {0};
    const int32_t ids[] = {T_HELLO, T_SPACE, T_QMARK};
    assert_int_equal(g4_detokenize(v, ids, 3, false, true, NULL, 0, &n, &err), GEMMA4_OK);
    assert_int_equal(n, 6);
}

static void test_add_space_prefix(void **state) {
    (void)state;
    /* a vocabulary that says add_space_prefix strips one leading space from the first piece,
     * unless a removed BOS came first */
    fx_spec f;
    fx_spec_init(&f);
    f.spec.add_space_prefix = 1;
    f.spec.add_eos = 1;
    g4_vocab *v;
    g4_error err = {0};
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_OK);
    DETOK(v, false, true, "ab", T_SPACE_A, T_B);
    DETOK(v, false, true, " a", T_SPACE2, T_A);
    DETOK(v, true, true, " a", T_BOS, T_SPACE_A);
    /* with add_eos, remove_special drops a trailing EOS too */
    DETOK(v, true, true, "a", T_BOS, T_A, T_EOS);
    DETOK(v, false, true, "<bos>a<eos>", T_BOS, T_A, T_EOS);
    g4_vocab_free(v);
    fx_spec_free(&f);
}

static void test_detokenize_buffers_and_errors(void **state) {
    const g4_vocab *v = *state;
    const int32_t ids[] = {T_HELLO, T_WORLD_SP};
    char buf[32];
    size_t n = 0;
    g4_error err = {0};
    assert_int_equal(g4_detokenize(v, ids, 2, false, true, buf, 5, &n, &err), GEMMA4_OK);
    assert_int_equal(n, 11);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(g4_detokenize(v, ids, 2, false, true, buf, sizeof buf, &n, &err), GEMMA4_OK);
    assert_memory_equal(buf, "hello world", 11);
    const int32_t bad[] = {T_A, T_COUNT};
    assert_int_equal(g4_detokenize(v, bad, 2, false, true, buf, sizeof buf, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "token 1"));
    const int32_t neg[] = {-3};
    assert_int_equal(g4_detokenize(v, neg, 1, false, true, buf, sizeof buf, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_detokenize(v, NULL, 2, false, true, buf, sizeof buf, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_detokenize(v, ids, 2, false, true, NULL, 4, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_detokenize(NULL, ids, 2, false, true, buf, 4, &n, &err), GEMMA4_ERR_INVALID_ARG);
    char *text = buf;
    size_t len;
    assert_int_equal(g4_detokenize_alloc(v, bad, 2, false, true, &text, &len, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(text);
}

/* Pushes ids, concatenating what comes out, and checks each step's length. */
static void push_expect(g4_detok_stream *s, int32_t id, const char *want, size_t want_len) {
    const char *text;
    size_t len;
    g4_error err = {0};
    assert_int_equal(g4_detok_stream_push(s, id, &text, &len, &err), GEMMA4_OK);
    assert_int_equal(len, want_len);
    if (want_len) assert_memory_equal(text, want, want_len);
}
#define PUSH(s, id, lit) push_expect(s, id, lit, sizeof(lit) - 1)

static void test_stream(void **state) {
    const g4_vocab *v = *state;
    g4_detok_stream *s;
    g4_error err = {0};
    assert_int_equal(g4_detok_stream_new(v, false, &s, &err), GEMMA4_OK);
    PUSH(s, T_HELLO, "hello");
    PUSH(s, T_WORLD_SP, " world");
    /* 你 as three byte tokens: nothing until the character is whole */
    PUSH(s, B(0xe4), "");
    PUSH(s, B(0xbd), "");
    PUSH(s, B(0xa0), "\xe4\xbd\xa0");
    /* a character split 1 + 3 and 2 + 2 across tokens, with text around it */
    PUSH(s, B(0xf0), "");
    PUSH(s, B(0x9f), "");
    PUSH(s, B(0x98), "");
    PUSH(s, B(0x80), "\xf0\x9f\x98\x80");
    PUSH(s, T_A, "a");
    PUSH(s, B(0xc3), "");
    PUSH(s, T_B,
         "\xc3"
         "b"); /* the lead byte is not continued: shown as it is */
    /* control tokens are silent without special, and do not disturb a held character */
    PUSH(s, B(0xe5), "");
    PUSH(s, T_TURN, "");
    PUSH(s, B(0xa5), "");
    PUSH(s, B(0xbd), "\xe5\xa5\xbd");
    /* a stray continuation byte comes out at once */
    PUSH(s, B(0x80), "\x80");
    /* a bad id is an error and changes nothing */
    PUSH(s, B(0xe4), "");
    const char *text;
    size_t len;
    assert_int_equal(g4_detok_stream_push(s, T_COUNT, &text, &len, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(len, 0);
    PUSH(s, B(0xbd), "");
    /* the end of the stream hands over what is held */
    g4_detok_stream_flush(s, &text, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(text, "\xe4\xbd", 2);
    g4_detok_stream_flush(s, &text, &len);
    assert_int_equal(len, 0);
    /* reset drops held bytes */
    PUSH(s, B(0xe4), "");
    g4_detok_stream_reset(s);
    PUSH(s, T_A, "a");
    g4_detok_stream_free(s);

    /* with special the control tokens show */
    assert_int_equal(g4_detok_stream_new(v, true, &s, &err), GEMMA4_OK);
    PUSH(s, T_TURN, "<|turn>");
    PUSH(s, B(0xc3), "");
    PUSH(s, T_TURN_END, "\xc3<turn|>");
    g4_detok_stream_free(s);
    g4_detok_stream_free(NULL);
    assert_int_equal(g4_detok_stream_new(NULL, true, &s, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(s);
}

/* The stream gives the same bytes as the joined pieces, whatever the split, for random byte-token
 * sequences (so characters are cut everywhere), and never ends an output inside a character that
 * a later token completes. */
static void test_stream_random(void **state) {
    const g4_vocab *v = *state;
    static const char *const chars[] = {"a", "\xc3\xa9", "\xe4\xbd\xa0", "\xf0\x9f\x98\x80", "\x80", "\xff"};
    g4t_rng rng;
    g4t_rng_seed(&rng, 7);
    g4_detok_stream *s;
    g4_error err = {0};
    assert_int_equal(g4_detok_stream_new(v, false, &s, &err), GEMMA4_OK);
    for (int iter = 0; iter < 500; iter++) {
        char in[256], out[256];
        size_t n_in = 0, n_out = 0;
        int k = 1 + (int)(g4t_rng_u64(&rng) % 20);
        for (int i = 0; i < k; i++) {
            const char *c = chars[g4t_rng_u64(&rng) % 6];
            memcpy(in + n_in, c, strlen(c));
            n_in += strlen(c);
        }
        for (size_t i = 0; i < n_in; i++) {
            const char *text;
            size_t len;
            assert_int_equal(g4_detok_stream_push(s, B((uint8_t)in[i]), &text, &len, &err), GEMMA4_OK);
            memcpy(out + n_out, text, len);
            n_out += len;
            /* what came out so far is a prefix of the input ending on a character boundary of it
             * whenever the input has a whole character there */
            assert_int_equal(g4_utf8_complete_len(out, n_out), n_out);
        }
        const char *text;
        size_t len;
        g4_detok_stream_flush(s, &text, &len);
        memcpy(out + n_out, text, len);
        n_out += len;
        assert_int_equal(n_out, n_in);
        assert_memory_equal(out, in, n_in);
    }
    g4_detok_stream_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detokenize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_spaces, setup, teardown),
        cmocka_unit_test(test_add_space_prefix),
        cmocka_unit_test_setup_teardown(test_detokenize_buffers_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_random, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
