/* The shared UTF-8 rules (core/utf8.h): the boundaries of every sequence length, each way a sequence
 * can be invalid (out-of-place continuation bytes, overlong forms, surrogates, code points above
 * U+10FFFF, truncation), and the byte-at-a-time step agreeing with whole-sequence decoding on every
 * 1-, 2- and 3-byte input and on every 4-byte lead with every second byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "testkit.h"

/* decode on a literal: the length it reports, and the code point when valid. */
static size_t dec(const char *s, size_t n, uint32_t *cp) {
    *cp = 0xDEADBEEF;
    return g4_utf8_decode(s, n, cp);
}

static void test_decode_boundaries(void **state) {
    (void)state;
    static const struct {
        const char *s;
        size_t len;
        uint32_t cp;
    } ok[] = {
        {"\x00", 1, 0x00},
        {"A", 1, 0x41},
        {"\x7f", 1, 0x7F},
        {"\xc2\x80", 2, 0x80},
        {"\xc3\xa9", 2, 0xE9},
        {"\xdf\xbf", 2, 0x7FF},
        {"\xe0\xa0\x80", 3, 0x800},
        {"\xe2\x96\x81", 3, 0x2581},
        {"\xed\x9f\xbf", 3, 0xD7FF},
        {"\xee\x80\x80", 3, 0xE000},
        {"\xef\xbf\xbf", 3, 0xFFFF},
        {"\xf0\x90\x80\x80", 4, 0x10000},
        {"\xf0\x9f\x98\x80", 4, 0x1F600},
        {"\xf4\x8f\xbf\xbf", 4, 0x10FFFF},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint32_t cp;
        assert_int_equal(dec(ok[i].s, ok[i].len, &cp), ok[i].len);
        assert_int_equal(cp, ok[i].cp);
        /* bytes after the sequence do not matter */
        char buf[8];
        memcpy(buf, ok[i].s, ok[i].len);
        memcpy(buf + ok[i].len, "\xff\x80z", 3);
        assert_int_equal(dec(buf, ok[i].len + 3, &cp), ok[i].len);
        assert_int_equal(cp, ok[i].cp);
        /* the code point may be left out */
        assert_int_equal(g4_utf8_decode(ok[i].s, ok[i].len, NULL), ok[i].len);
    }
}

static void test_decode_refuses(void **state) {
    (void)state;
    static const struct {
        const char *s;
        size_t n;
        const char *why;
    } bad[] = {
        {"\x80", 1, "a continuation byte out of place"},
        {"\xbf\x80", 2, "a continuation byte out of place"},
        {"\xc0\x80", 2, "overlong NUL"},
        {"\xc1\xbf", 2, "overlong U+007F"},
        {"\xe0\x80\x80", 3, "overlong NUL in 3 bytes"},
        {"\xe0\x9f\xbf", 3, "overlong U+07FF"},
        {"\xf0\x80\x80\x80", 4, "overlong NUL in 4 bytes"},
        {"\xf0\x8f\xbf\xbf", 4, "overlong U+FFFF"},
        {"\xed\xa0\x80", 3, "surrogate U+D800"},
        {"\xed\xbf\xbf", 3, "surrogate U+DFFF"},
        {"\xf4\x90\x80\x80", 4, "U+110000"},
        {"\xf5\x80\x80\x80", 4, "F5 starts nothing"},
        {"\xf7\xbf\xbf\xbf", 4, "F7 starts nothing"},
        {"\xf8\x88\x80\x80\x80", 5, "5-byte forms do not exist"},
        {"\xfe", 1, "FE"},
        {"\xff", 1, "FF"},
        {"\xc3", 1, "truncated 2-byte"},
        {"\xe4\xbd", 2, "truncated 3-byte"},
        {"\xf0\x9f\x98", 3, "truncated 4-byte"},
        {"\xc3\x41", 2, "interrupted by ASCII"},
        {"\xe4\xbd\xc3\xa9", 4, "interrupted by a lead byte"},
        {"\xf0\x9f\x98\x20", 4, "interrupted in the last byte"},
        {"", 0, "nothing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t cp;
        if (dec(bad[i].s, bad[i].n, &cp) != 0) fail_msg("%s: accepted", bad[i].why);
        if (cp != 0xDEADBEEF) fail_msg("%s: *cp written", bad[i].why);
    }
    /* a valid sequence is cut short by n too */
    uint32_t cp;
    assert_int_equal(dec("\xe2\x96\x81", 2, &cp), 0);
    assert_int_equal(dec("\xf4\x8f\xbf\xbf", 3, &cp), 0);
}

static void test_encode(void **state) {
    (void)state;
    static const struct {
        uint32_t cp;
        const char *s;
        size_t len;
    } cases[] = {
        {0x00, "\x00", 1},
        {0x7F, "\x7f", 1},
        {0x80, "\xc2\x80", 2},
        {0x7FF, "\xdf\xbf", 2},
        {0x800, "\xe0\xa0\x80", 3},
        {0xFFFD, "\xef\xbf\xbd", 3},
        {0xFFFF, "\xef\xbf\xbf", 3},
        {0x10000, "\xf0\x90\x80\x80", 4},
        {0x10FFFF, "\xf4\x8f\xbf\xbf", 4},
        /* a surrogate is encoded as its bits say (the tokenizer passes them through) */
        {0xD800, "\xed\xa0\x80", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        unsigned char out[4] = {0xAA, 0xAA, 0xAA, 0xAA};
        assert_int_equal(g4_utf8_encode(cases[i].cp, out), cases[i].len);
        assert_memory_equal(out, cases[i].s, cases[i].len);
    }
    unsigned char out[4] = {0xAA, 0xAA, 0xAA, 0xAA};
    assert_int_equal(g4_utf8_encode(0x110000, out), 0);
    assert_int_equal(g4_utf8_encode(0xFFFFFFFF, out), 0);
    assert_int_equal(out[0], 0xAA);
}

/* Every scalar value encodes, decodes back to itself, and is one character. */
static void test_every_code_point_round_trips(void **state) {
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        unsigned char s[4];
        size_t n = g4_utf8_encode(cp, s);
        assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
        assert_int_equal(g4_utf8_lead_len(s[0]), n);
        assert_int_equal(g4_utf8_assemble(s, n), cp);
        uint32_t back = 0;
        if (g4_utf8_decode(s, n, &back) != n || back != cp) fail_msg("U+%04X does not decode back", cp);
        assert_int_equal(g4_utf8_count_chars((const char *)s, n), 1);
    }
}

/* Whether the step takes every byte of s[0..n) and ends on a character boundary. */
static bool step_accepts(const unsigned char *s, size_t n) {
    g4_utf8_state st = {0};
    for (size_t i = 0; i < n; i++)
        if (!g4_utf8_feed(&st, s[i])) return false;
    return st.need == 0;
}

/* The reference for a sequence of exactly n bytes: the canonical encoding of a scalar value. */
static bool is_encoding(const unsigned char *s, size_t n) {
    if (g4_utf8_lead_len(s[0]) != n) return false;
    for (size_t i = 1; i < n; i++)
        if (!g4_utf8_is_cont(s[i])) return false;
    uint32_t cp = g4_utf8_assemble(s, n);
    unsigned char again[4];
    if ((cp >= 0xD800 && cp <= 0xDFFF) || g4_utf8_encode(cp, again) != n) return false;
    return memcmp(again, s, n) == 0;
}

/* Whether s[0..n) is valid text by whole-sequence decoding. */
static bool text_decodes(const unsigned char *s, size_t n) {
    for (size_t i = 0, l; i < n; i += l)
        if ((l = g4_utf8_decode(s + i, n - i, NULL)) == 0) return false;
    return true;
}

static void check_sequence(const unsigned char *s, size_t n) {
    bool one = g4_utf8_decode(s, n, NULL) == n;
    if (one != is_encoding(s, n))
        fail_msg("%02X %02X %02X %02X (%zu bytes): decode says %d", s[0], s[1], s[2], s[3], n, one);
    if (step_accepts(s, n) != text_decodes(s, n))
        fail_msg("%02X %02X %02X %02X (%zu bytes): the step disagrees with decode", s[0], s[1], s[2], s[3], n);
}

static void test_step_agrees_with_decode_everywhere(void **state) {
    (void)state;
    unsigned char s[4] = {0};
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        check_sequence(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            check_sequence(s, 2);
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (unsigned char)c;
                check_sequence(s, 3);
            }
            /* 4 bytes: every lead and second byte, with tails at the ends of the continuation range and
             * one that is not a continuation byte */
            static const unsigned char tails[][2] = {
                {0x80, 0x80}, {0xBF, 0xBF}, {0x80, 0xBF}, {0x41, 0x80}, {0x80, 0xC3}};
            for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
                s[2] = tails[t][0], s[3] = tails[t][1];
                check_sequence(s, 4);
            }
        }
    }
}

/* The step on text arriving in pieces: need counts what is still to come. */
static void test_step_across_pieces(void **state) {
    (void)state;
    const unsigned char text[] = "a\xe2\x82\xac\xf0\x9f\x98\x80z";
    const uint8_t need_after[] = {0, 2, 1, 0, 3, 2, 1, 0, 0};
    g4_utf8_state st = {0};
    for (size_t i = 0; i < sizeof need_after; i++) {
        assert_true(g4_utf8_feed(&st, text[i]));
        assert_int_equal(st.need, need_after[i]);
    }
    /* after E0 only A0..BF may follow; after F4 only 80..8F */
    g4_utf8_state e0 = {0}, f4 = {0};
    assert_true(g4_utf8_feed(&e0, 0xE0));
    g4_utf8_state e0_low = e0;
    assert_false(g4_utf8_feed(&e0_low, 0x9F));
    assert_true(g4_utf8_feed(&e0, 0xA0));
    assert_true(g4_utf8_feed(&f4, 0xF4));
    g4_utf8_state f4_high = f4;
    assert_false(g4_utf8_feed(&f4_high, 0x90));
    assert_true(g4_utf8_feed(&f4, 0x8F));
}

static void test_lead_len_and_assemble(void **state) {
    (void)state;
    assert_int_equal(g4_utf8_lead_len(0x00), 1);
    assert_int_equal(g4_utf8_lead_len(0x7F), 1);
    assert_int_equal(g4_utf8_lead_len(0x80), 1);
    assert_int_equal(g4_utf8_lead_len(0xBF), 1);
    assert_int_equal(g4_utf8_lead_len(0xC0), 2);
    assert_int_equal(g4_utf8_lead_len(0xDF), 2);
    assert_int_equal(g4_utf8_lead_len(0xE0), 3);
    assert_int_equal(g4_utf8_lead_len(0xEF), 3);
    assert_int_equal(g4_utf8_lead_len(0xF0), 4);
    assert_int_equal(g4_utf8_lead_len(0xF7), 4);
    assert_int_equal(g4_utf8_lead_len(0xF8), 1);
    assert_int_equal(g4_utf8_lead_len(0xFF), 1);
    /* assemble checks nothing: overlong forms and surrogates spell their code points */
    assert_int_equal(g4_utf8_assemble((const unsigned char *)"\xc0\x80", 2), 0);
    assert_int_equal(g4_utf8_assemble((const unsigned char *)"\xe0\x81\x81", 3), 0x41);
    assert_int_equal(g4_utf8_assemble((const unsigned char *)"\xed\xa0\x80", 3), 0xD800);
    assert_int_equal(g4_utf8_assemble((const unsigned char *)"\xf7\xbf\xbf\xbf", 4), 0x1FFFFF);
}

static void test_complete_len(void **state) {
    (void)state;
    assert_int_equal(g4_utf8_complete_len("", 0), 0);
    assert_int_equal(g4_utf8_complete_len("abc", 3), 3);
    assert_int_equal(g4_utf8_complete_len("a\xe4", 2), 1);
    assert_int_equal(g4_utf8_complete_len("a\xe4\xbd", 3), 1);
    assert_int_equal(g4_utf8_complete_len("a\xe4\xbd\xa0", 4), 4);
    assert_int_equal(g4_utf8_complete_len("\xf0\x9f\x98", 3), 0);
    assert_int_equal(g4_utf8_complete_len("\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(g4_utf8_complete_len("\xc3", 1), 0);
    assert_int_equal(g4_utf8_complete_len("\xc3\xa9", 2), 2);
    /* stray continuation bytes and bytes that start nothing are handed on at once */
    assert_int_equal(g4_utf8_complete_len("\x80\x80\x80\x80", 4), 4);
    assert_int_equal(g4_utf8_complete_len("a\x80", 2), 2);
    assert_int_equal(g4_utf8_complete_len("\xff", 1), 1);
    /* a complete 2-byte character after a lead that was cut short */
    assert_int_equal(g4_utf8_complete_len("\xe4\xc3\xa9", 3), 3);
    /* only the last character can be held back: earlier text is never looked at */
    assert_int_equal(g4_utf8_complete_len("\xe4xyz\xf0\x9f", 6), 4);
}

static void test_count_chars(void **state) {
    (void)state;
    assert_int_equal(g4_utf8_count_chars("", 0), 0);
    assert_int_equal(g4_utf8_count_chars("abc", 3), 3);
    assert_int_equal(g4_utf8_count_chars("a\xc3\xa9\xe4\xbd\xa0\xf0\x9f\x98\x80", 10), 4);
    /* a character cut short counts where it starts; stray continuation bytes do not count */
    assert_int_equal(g4_utf8_count_chars("\xe4\xbd", 2), 1);
    assert_int_equal(g4_utf8_count_chars("\x80\xbf", 2), 0);
    assert_int_equal(g4_utf8_count_chars("a\0b", 3), 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_boundaries),
        cmocka_unit_test(test_decode_refuses),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_every_code_point_round_trips),
        cmocka_unit_test(test_step_agrees_with_decode_everywhere),
        cmocka_unit_test(test_step_across_pieces),
        cmocka_unit_test(test_lead_len_and_assemble),
        cmocka_unit_test(test_complete_len),
        cmocka_unit_test(test_count_chars),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
