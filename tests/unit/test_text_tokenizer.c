/* Tokenizer (text -> ids) on the hand-made vocabulary of test_text_tokenizer_fixture.h: BPE merge
 * order, newline runs, spaces, byte fallback, special tokens with and without special parsing,
 * BOS/EOS, the llama.cpp reading of malformed UTF-8, the size-reporting API and bad arguments.
 * The same rules on the real 262k vocabulary are held against llama.cpp in tests/oracle/tokenizer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_text_tokenizer_fixture.h"
#include "testkit.h"
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

/* Tokenizes and compares with the expected ids (n of them), printing both on a mismatch. */
static void expect_ids_n(const g4_vocab *v, const char *text, size_t len, bool add_special, bool parse_special,
                         const int32_t *want, size_t n_want) {
    int32_t *ids = NULL;
    size_t n = 0;
    g4_error err = {0};
    assert_int_equal(g4_tokenize_alloc(v, text, len, add_special, parse_special, &ids, &n, &err), GEMMA4_OK);
    bool same = n == n_want && (n == 0 || memcmp(ids, want, n * sizeof *ids) == 0);
    if (!same) {
        printf("text \"%.*s\": got", (int)len, text);
        for (size_t i = 0; i < n; i++) printf(" %d", ids[i]);
        printf(", want");
        for (size_t i = 0; i < n_want; i++) printf(" %d", want[i]);
        printf("\n");
    }
    free(ids);
    assert_true(same);
}

#define EXPECT(v, text, add, parse, ...)                                                                               \
    do {                                                                                                               \
        const int32_t want_[] = {__VA_ARGS__};                                                                         \
        expect_ids_n(v, text, sizeof(text) - 1, add, parse, want_, sizeof want_ / sizeof want_[0]);                    \
    } while (0)

static void test_merge_order(void **state) {
    const g4_vocab *v = *state;
    /* "b c" has rank 0, "a b" rank 1: abc is a + bc, then "a bc" */
    EXPECT(v, "abc", false, true, T_ABC);
    EXPECT(v, "ab", false, true, T_AB);
    EXPECT(v, "bc", false, true, T_BC);
    /* equal ranks merge leftmost first */
    EXPECT(v, "aaa", false, true, T_AA, T_A);
    EXPECT(v, "aaaa", false, true, T_AA, T_AA);
    EXPECT(v, "abab", false, true, T_AB, T_AB);
    /* "he l", "hel l", "hell o" come before "l l" */
    EXPECT(v, "hello", false, true, T_HELLO);
    EXPECT(v, "hellllo", false, true, T_HELL, T_LL, T_O);
    EXPECT(v, "llo", false, true, T_LL, T_O);
}

static void test_spaces(void **state) {
    const g4_vocab *v = *state;
    /* spaces become U+2581 and no space is added in front */
    EXPECT(v, " a", false, true, T_SPACE_A);
    EXPECT(v, "a", false, true, T_A);
    /* "▁ a" (rank 9) wins over "▁ ▁" (rank 10) */
    EXPECT(v, "  a", false, true, T_SPACE, T_SPACE_A);
    EXPECT(v, "  ", false, true, T_SPACE2);
    EXPECT(v, " ", false, true, T_SPACE);
    /* a literal U+2581 in the input is the same as a space */
    EXPECT(v, FX_U2581 "a", false, true, T_SPACE_A);
    /* " world": w o -> wo -> wor -> worl -> world -> ▁world */
    EXPECT(v, " world", false, true, T_WORLD_SP);
    EXPECT(v, "hello world", false, true, T_HELLO, T_WORLD_SP);
    EXPECT(v, " w", false, true, T_SP_W);
}

static void test_merge_result_not_a_token(void **state) {
    const g4_vocab *v = *state;
    /* "worl d" makes "world", which is not a token: all its bytes fall back */
    EXPECT(v, "world", false, true, B('w'), B('o'), B('r'), B('l'), B('d'));
    /* "你好" is a token but no merge joins 你 and 好: each character falls back to bytes */
    EXPECT(v, "\xe4\xbd\xa0\xe5\xa5\xbd", false, true, B(0xe4), B(0xbd), B(0xa0), B(0xe5), B(0xa5), B(0xbd));
}

static void test_byte_fallback(void **state) {
    const g4_vocab *v = *state;
    EXPECT(v, "z", false, true, B('z'));
    EXPECT(v, "\xc3\xa9", false, true, B(0xc3), B(0xa9));
    EXPECT(v, "\r", false, true, B('\r'));
    EXPECT(v, "a\tb", false, true, T_A, B('\t'), T_B);
    /* NUL is an ordinary byte */
    EXPECT(v, "a\0b", false, true, T_A, B(0), T_B);
}

static void test_newline_runs(void **state) {
    const g4_vocab *v = *state;
    EXPECT(v, "\n", false, true, T_NL);
    EXPECT(v, "\n\n", false, true, T_NL2);
    /* "\n\n\n" is not a token: BPE inside the run */
    EXPECT(v, "\n\n\n", false, true, T_NL2, T_NL);
    /* words never cross a newline: "a\nb" is a | \n | b, and " \n a" keeps its spaces apart */
    EXPECT(v, "a\nb", false, true, T_A, T_NL, T_B);
    EXPECT(v, "a\n\nab", false, true, T_A, T_NL2, T_AB);
    EXPECT(v, " \n a", false, true, T_SPACE, T_NL, T_SPACE_A);
}

static void test_newline_run_token_kept_whole(void **state) {
    (void)state;
    /* A vocabulary where "\n\n\n\n" is a token that no merge can build: as a run of its own it is
     * kept whole (llama.cpp's gemma4 fix), where merges alone would give "\n\n" "\n\n". */
    fx_spec f;
    fx_spec_init(&f);
    free(f.t.text[T_WEIRD_TYPE]);
    f.t.text[T_WEIRD_TYPE] = strdup("\n\n\n\n");
    f.tokens[T_WEIRD_TYPE] = (g4_str){f.t.text[T_WEIRD_TYPE], 4};
    f.t.type[T_WEIRD_TYPE] = G4_TOKEN_TYPE_NORMAL;
    g4_vocab *v;
    g4_error err = {0};
    assert_int_equal(g4_vocab_build(&f.spec, &v, &err), GEMMA4_OK);
    EXPECT(v, "\n\n\n\n", false, true, T_WEIRD_TYPE);
    EXPECT(v, "a\n\n\n\nb", false, true, T_A, T_WEIRD_TYPE, T_B);
    EXPECT(v, "\n\n\n\n\n", false, true, T_NL2, T_NL2, T_NL);
    g4_vocab_free(v);
    fx_spec_free(&f);
}

static void test_specials_parsed(void **state) {
    const g4_vocab *v = *state;
    EXPECT(v, "<|turn>a", false, true, T_TURN, T_A);
    EXPECT(v, "a<|turn><turn|>b", false, true, T_A, T_TURN, T_TURN_END, T_B);
    EXPECT(v, "<|turn><|turn>", false, true, T_TURN, T_TURN);
    EXPECT(v, " <eos> ", false, true, T_SPACE, T_EOS, T_SPACE);
    EXPECT(v, "<unk>", false, true, T_UNK);
    EXPECT(v, "<|tool_response>", false, true, T_TOOL_RESPONSE);
    /* longest first: <|turn> claims its text before the shorter user token "ab<" can */
    EXPECT(v, "ab<|turn>", false, true, T_AB, T_TURN);
    /* a partial special token is text */
    EXPECT(v, "<|turn", false, true, B('<'), B('|'), B('t'), B('u'), T_R, B('n'));
}

static void test_specials_not_parsed(void **state) {
    const g4_vocab *v = *state;
    /* control and unknown tokens are plain text without special parsing */
    EXPECT(v, "<|turn>a", false, false, B('<'), B('|'), B('t'), B('u'), T_R, B('n'), B('>'), T_A);
    EXPECT(v, "<unk>", false, false, B('<'), B('u'), B('n'), B('k'), B('>'));
    /* <|tool_response> is user-defined but llama.cpp marks it control as an end-of-generation token */
    EXPECT(v, "<|tool_response>", false, false, B('<'), B('|'), B('t'), T_O, T_O, T_L, B('_'), T_R, T_E, T_S, B('p'),
           T_O, B('n'), T_S, T_E, B('>'));
    /* user-defined tokens are matched either way */
    EXPECT(v, "x<|\"|>y", false, false, B('x'), T_QUOTE, B('y'));
    EXPECT(v, "x<|\"|>y", false, true, B('x'), T_QUOTE, B('y'));
    /* ... so "ab<" wins here, the control token being out of the race */
    EXPECT(v, "ab<|turn>", false, false, T_AB_LT, B('|'), B('t'), B('u'), T_R, B('n'), B('>'));
    /* a normal or undefined-type token is never matched as a whole */
    EXPECT(v, "</s>", false, true, B('<'), B('/'), T_S, B('>'));
    EXPECT(v, "weird", false, true, T_W, T_E, B('i'), T_R, T_D);
}

static void test_bos_eos(void **state) {
    const g4_vocab *v = *state;
    EXPECT(v, "a", true, true, T_BOS, T_A);
    EXPECT(v, "<bos>a", true, true, T_BOS, T_BOS, T_A); /* llama.cpp only warns about the double BOS */
    int32_t *ids = NULL;
    size_t n = 99;
    g4_error err = {0};
    assert_int_equal(g4_tokenize_alloc(v, "", 0, true, true, &ids, &n, &err), GEMMA4_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], T_BOS);
    free(ids);
    assert_int_equal(g4_tokenize_alloc(v, "", 0, false, true, &ids, &n, &err), GEMMA4_OK);
    assert_int_equal(n, 0);
    assert_null(ids);

    /* add_eos from the file; add_bos is forced on for gemma4 even when the file says false */
    fx_spec f;
    fx_spec_init(&f);
    f.spec.add_bos = 0;
    f.spec.add_eos = 1;
    g4_vocab *v2;
    assert_int_equal(g4_vocab_build(&f.spec, &v2, &err), GEMMA4_OK);
    assert_true(g4_vocab_add_bos(v2));
    assert_true(g4_vocab_add_eos(v2));
    EXPECT(v2, "a", true, true, T_BOS, T_A, T_EOS);
    EXPECT(v2, "a", false, true, T_A);
    g4_vocab_free(v2);

    /* no BOS id: tokenizing with add_special is an error (llama.cpp asserts), without it works */
    f.spec.special_ids[G4_SPECIAL_BOS] = -1;
    assert_int_equal(g4_vocab_build(&f.spec, &v2, &err), GEMMA4_OK);
    assert_int_equal(g4_tokenize_alloc(v2, "a", 1, true, true, &ids, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "BOS"));
    EXPECT(v2, "a", false, true, T_A);
    g4_vocab_free(v2);
    fx_spec_free(&f);
}

static void test_malformed_utf8(void **state) {
    const g4_vocab *v = *state;
    /* llama.cpp reads each invalid byte as U+FFFD (EF BF BD), which here has no token: its bytes */
    EXPECT(v, "\x80", false, true, B(0xef), B(0xbf), B(0xbd));
    EXPECT(v, "a\xff", false, true, T_A, B(0xef), B(0xbf), B(0xbd));
    /* a truncated sequence: only the lead byte is consumed, then the rest is read again */
    EXPECT(v, "\xe4\xbd", false, true, B(0xef), B(0xbf), B(0xbd), B(0xef), B(0xbf), B(0xbd));
    EXPECT(v,
           "\xc3"
           "a",
           false, true, B(0xef), B(0xbf), B(0xbd), T_A);
    /* a lead byte before a space: the space is still a space */
    EXPECT(v, "\xc3 a", false, true, B(0xef), B(0xbf), B(0xbd), T_SPACE_A);
    /* overlong forms come back short: C0 80 is NUL, C1 A1 is 'a' */
    EXPECT(v, "\xc0\x80", false, true, B(0));
    EXPECT(v, "\xc1\xa1\xc1\xa1", false, true, T_AA);
    /* an overlong newline splits words like a newline */
    EXPECT(v,
           "a\xc0\x8a"
           "b",
           false, true, T_A, T_NL, T_B);
    /* surrogates pass through as three bytes */
    EXPECT(v, "\xed\xa0\x80", false, true, B(0xed), B(0xa0), B(0x80));
    /* above U+10FFFF llama.cpp throws and aborts; here it is U+FFFD */
    EXPECT(v, "\xf4\x90\x80\x80", false, true, B(0xef), B(0xbf), B(0xbd));
    EXPECT(v,
           "\xf7\xbf\xbf\xbf"
           "a",
           false, true, B(0xef), B(0xbf), B(0xbd), T_A);
    /* an overlong space is a raw 0x20 inside a word: llama.cpp asserts on the merge lookup; here no
     * merge applies and the byte falls back */
    EXPECT(v, "a\xc0\xa0", false, true, T_A, B(' '));
    /* special tokens are cut out of the raw bytes first, so invalid bytes next to them stay apart */
    EXPECT(v, "\xe4<|turn>\xbd", false, true, B(0xef), B(0xbf), B(0xbd), T_TURN, B(0xef), B(0xbf), B(0xbd));
}

static void test_size_reporting(void **state) {
    const g4_vocab *v = *state;
    g4_error err = {0};
    size_t total = 0;
    /* cap 0 asks for the size */
    assert_int_equal(g4_tokenize(v, "abc abc", 7, true, true, NULL, 0, &total, &err), GEMMA4_OK);
    assert_int_equal(total, 4); /* <bos> abc ▁ abc: "▁ a" then "a b"... */
    int32_t ids[8];
    int32_t small[2] = {-7, -7};
    assert_int_equal(g4_tokenize(v, "abc abc", 7, true, true, small, 2, &total, &err), GEMMA4_OK);
    assert_int_equal(total, 4);
    assert_int_equal(g4_tokenize(v, "abc abc", 7, true, true, ids, 8, &total, &err), GEMMA4_OK);
    assert_int_equal(total, 4);
    assert_memory_equal(small, ids, sizeof small); /* a short buffer gets the first ids */
    assert_int_equal(ids[0], T_BOS);
    assert_int_equal(ids[1], T_ABC);
}

static void test_bad_arguments(void **state) {
    const g4_vocab *v = *state;
    g4_error err = {0};
    size_t n = 5;
    int32_t buf[4];
    int32_t *ids = buf;
    assert_int_equal(g4_tokenize(NULL, "a", 1, false, true, buf, 4, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(g4_tokenize(v, NULL, 3, false, true, buf, 4, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_tokenize(v, "a", 1, false, true, NULL, 4, &n, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_tokenize(v, "a", 1, false, true, buf, 4, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_tokenize_alloc(v, "a", G4_TOKENIZE_MAX_BYTES + 1, false, true, &ids, &n, &err),
                     GEMMA4_ERR_INVALID_ARG);
    assert_null(ids);
    assert_non_null(strstr(err.msg, "longer"));
    /* NULL text with length 0 is the empty text */
    assert_int_equal(g4_tokenize(v, NULL, 0, false, true, buf, 4, &n, &err), GEMMA4_OK);
    assert_int_equal(n, 0);
}

/* Long inputs: linear-ish time, and the result of a long word equals the merge rules (a run of n
 * 'a' is n/2 "aa" tokens). */
static void test_long_inputs(void **state) {
    const g4_vocab *v = *state;
    size_t len = 200001;
    char *text = malloc(len);
    memset(text, 'a', len);
    int32_t *ids;
    size_t n;
    g4_error err = {0};
    assert_int_equal(g4_tokenize_alloc(v, text, len, false, true, &ids, &n, &err), GEMMA4_OK);
    assert_int_equal(n, len / 2 + 1);
    for (size_t i = 0; i + 1 < n; i++) assert_int_equal(ids[i], T_AA);
    assert_int_equal(ids[n - 1], T_A);
    free(ids);
    /* many special tokens back to back */
    for (size_t i = 0; i + 7 <= len; i += 7) memcpy(text + i, "<|turn>", 7);
    assert_int_equal(g4_tokenize_alloc(v, text, len - len % 7, false, true, &ids, &n, &err), GEMMA4_OK);
    assert_int_equal(n, len / 7);
    free(ids);
    free(text);
}

/* Random byte strings over an alphabet rich in the fixture's tokens: the tokenizer never fails and
 * its output always detokenizes back to the input wherever the input is valid UTF-8 without
 * control/unknown tokens (special parsing off keeps those as text). */
static void test_random_roundtrip(void **state) {
    const g4_vocab *v = *state;
    static const char *const pieces[] = {"a",     "b",      "c",      " ",   "  ", "\n",       "\n\n",
                                         "hello", " world", "<|\"|>", "ab<", "l",  "\xc3\xa9", "\xe4\xbd\xa0",
                                         "z",     "\t",     "?",      "'"};
    g4t_rng rng;
    g4t_rng_seed(&rng, 42);
    char text[256];
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = 0;
        int k = (int)(g4t_rng_u64(&rng) % 12);
        for (int i = 0; i < k; i++) {
            const char *p = pieces[g4t_rng_u64(&rng) % (sizeof pieces / sizeof pieces[0])];
            memcpy(text + len, p, strlen(p));
            len += strlen(p);
        }
        int32_t *ids;
        size_t n;
        g4_error err = {0};
        assert_int_equal(g4_tokenize_alloc(v, text, len, false, false, &ids, &n, &err), GEMMA4_OK);
        /* concatenating the token texts (▁ -> space, bytes -> bytes) gives the input back */
        char back[1024];
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            size_t tl;
            const char *t = g4_vocab_text(v, ids[i], &tl);
            if (g4_vocab_attr(v, ids[i]) & G4_TOKEN_ATTR_BYTE) {
                back[m++] = (char)strtol(t + 3, NULL, 16);
                continue;
            }
            for (size_t j = 0; j < tl; j++) {
                if (j + 2 < tl && memcmp(t + j, FX_U2581, 3) == 0) {
                    back[m++] = ' ';
                    j += 2;
                } else {
                    back[m++] = t[j];
                }
            }
        }
        free(ids);
        assert_int_equal(m, len);
        assert_memory_equal(back, text, len);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_result_not_a_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newline_runs, setup, teardown),
        cmocka_unit_test(test_newline_run_token_kept_whole),
        cmocka_unit_test_setup_teardown(test_specials_parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_specials_not_parsed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bos_eos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_size_reporting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_roundtrip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
