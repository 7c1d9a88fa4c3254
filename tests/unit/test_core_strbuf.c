/* Growable text buffer: bytes arrive in order and stay NUL-terminated across many regrowths, an empty
 * buffer owns no memory until finish hands out "", and a failed append is sticky and makes finish
 * return NULL (freeing what was there). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "testkit.h"

static void test_empty_owns_nothing_until_finish(void **state) {
    (void)state;
    g4_strbuf b = {0};
    g4_strbuf_put(&b, "ignored", 0);
    g4_strbuf_puts(&b, "");
    assert_null(b.p);
    assert_int_equal(b.n, 0);
    char *t = g4_strbuf_finish(&b);
    assert_non_null(t);
    assert_string_equal(t, "");
    assert_null(b.p);
    free(t);
}

static void test_appends_in_order_across_regrowth(void **state) {
    (void)state;
    g4_strbuf b = {0};
    char expect[5000];
    size_t n = 0;
    for (int i = 0; i < 1000; i++) {
        char piece[8];
        int len = snprintf(piece, sizeof piece, "%d,", i % 97);
        g4_strbuf_puts(&b, piece);
        memcpy(expect + n, piece, (size_t)len);
        n += (size_t)len;
        assert_int_equal(b.n, n);
        assert_int_equal(b.p[b.n], '\0');
        assert_true(b.cap > b.n);
    }
    expect[n] = '\0';
    assert_false(b.oom);
    char *t = g4_strbuf_finish(&b);
    assert_string_equal(t, expect);
    free(t);
}

static void test_embedded_nul_kept(void **state) {
    (void)state;
    g4_strbuf b = {0};
    g4_strbuf_put(&b, "a\0b", 3);
    assert_int_equal(b.n, 3);
    assert_memory_equal(b.p, "a\0b", 4);
    g4_strbuf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.cap, 0);
}

static void test_oversized_append_is_sticky_oom(void **state) {
    (void)state;
    g4_strbuf b = {0};
    g4_strbuf_puts(&b, "kept so far");
    g4_strbuf_put(&b, "x", SIZE_MAX / 2); /* refused before any copy: the size alone is impossible */
    assert_true(b.oom);
    assert_int_equal(b.n, strlen("kept so far"));
    g4_strbuf_puts(&b, "more");
    assert_int_equal(b.n, strlen("kept so far"));
    assert_null(g4_strbuf_finish(&b));
    assert_null(b.p);
    assert_false(b.oom);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_owns_nothing_until_finish),
        cmocka_unit_test(test_appends_in_order_across_regrowth),
        cmocka_unit_test(test_embedded_nul_kept),
        cmocka_unit_test(test_oversized_append_is_sticky_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
