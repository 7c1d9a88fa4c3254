/* The two sizing rules: every row of GEMMA4-VISION.md's section 4 table for both, the edge cases
 * (tiny images, panoramas, portraits, the token budgets), and the ~330 sizes of
 * tests/data/vision/sizing.txt, which make_golden.py computed from transformers' and llama.cpp's
 * formulas in their own arithmetic. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "vision/sizing.h"

static g4_vision_size hf(uint32_t w, uint32_t h, uint32_t budget) {
    g4_vision_size s;
    g4_error err = {0};
    if (g4_vision_size_transformers(w, h, 16, 3, budget, &s, &err) != GEMMA4_OK)
        fail_msg("transformers %u x %u at %u: %s", w, h, budget, err.msg);
    return s;
}

static g4_vision_size llama(uint32_t w, uint32_t h) {
    g4_vision_size s;
    g4_error err = {0};
    if (g4_vision_size_llama(w, h, 16, 3, 0, 0, &s, &err) != GEMMA4_OK) fail_msg("llama %u x %u: %s", w, h, err.msg);
    return s;
}

/* GEMMA4-VISION.md section 4: image | llama.cpp target, tokens | transformers (280) target, tokens */
static void test_table_rows(void **state) {
    (void)state;
    static const struct {
        uint32_t w, h, lw, lh, ltok, hw, hh, htok;
    } rows[] = {
        {224, 224, 432, 432, 81, 768, 768, 256},       {100, 100, 432, 432, 81, 768, 768, 256},
        {317, 211, 528, 336, 77, 960, 624, 260},       {640, 480, 624, 480, 130, 912, 672, 266},
        {960, 672, 960, 672, 280, 960, 672, 280},      {1024, 768, 1008, 768, 336, 912, 672, 266},
        {1920, 1080, 1920, 1104, 920, 1056, 576, 264}, {4032, 3024, 1824, 1344, 1064, 912, 672, 266},
        {1600, 200, 1584, 192, 132, 2256, 240, 235},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const g4_vision_size l = llama(rows[i].w, rows[i].h), t = hf(rows[i].w, rows[i].h, 280);
        if (l.width != rows[i].lw || l.height != rows[i].lh || l.n_tokens != rows[i].ltok)
            fail_msg("llama %u x %u: %u x %u (%u tokens), want %u x %u (%u)", rows[i].w, rows[i].h, l.width, l.height,
                     l.n_tokens, rows[i].lw, rows[i].lh, rows[i].ltok);
        if (t.width != rows[i].hw || t.height != rows[i].hh || t.n_tokens != rows[i].htok)
            fail_msg("transformers %u x %u: %u x %u (%u tokens), want %u x %u (%u)", rows[i].w, rows[i].h, t.width,
                     t.height, t.n_tokens, rows[i].hw, rows[i].hh, rows[i].htok);
        /* transformers never pads */
        assert_int_equal(t.content_width, t.width);
        assert_int_equal(t.content_height, t.height);
        assert_int_equal(t.offset_x + t.offset_y, 0);
    }
    /* the table's letterbox example: 317x211 -> 528x336, content 505x336 at x = 11 */
    const g4_vision_size l = llama(317, 211);
    assert_int_equal(l.content_width, 505);
    assert_int_equal(l.content_height, 336);
    assert_int_equal(l.offset_x, 11);
    assert_int_equal(l.offset_y, 0);
    /* 960x672 is already a canvas: no resize */
    const g4_vision_size same = llama(960, 672);
    assert_int_equal(same.content_width, 960);
    assert_int_equal(same.offset_x + same.offset_y, 0);
}

static void test_edges(void **state) {
    (void)state;
    /* a 1-pixel image fills the budget as a square; llama.cpp blows it up to its minimum */
    g4_vision_size s = hf(1, 1, 280);
    assert_int_equal(s.width, 768);
    assert_int_equal(s.height, 768);
    s = llama(1, 1);
    assert_int_equal(s.width, 432);
    assert_int_equal(s.content_width, 432);

    /* panorama 4000x100: transformers 5040x96 (210 tokens); llama.cpp 3984x96, content 3840x96 at 72 */
    s = hf(4000, 100, 280);
    assert_int_equal(s.width, 5040);
    assert_int_equal(s.height, 96);
    assert_int_equal(s.n_tokens, 210);
    s = llama(4000, 100);
    assert_int_equal(s.width, 3984);
    assert_int_equal(s.height, 96);
    assert_int_equal(s.content_width, 3840);
    assert_int_equal(s.offset_x, 72);
    /* and its portrait twin */
    s = hf(100, 4000, 280);
    assert_int_equal(s.width, 96);
    assert_int_equal(s.height, 5040);

    /* too thin to get one 48-pixel row by scaling: transformers' special case, one row of at most
     * budget x 48 pixels */
    s = hf(40000, 100, 280);
    assert_int_equal(s.height, 48);
    assert_int_equal(s.width, 13440);
    assert_int_equal(s.n_tokens, 280);
    s = hf(100, 40000, 70);
    assert_int_equal(s.width, 48);
    assert_int_equal(s.height, 3360);

    /* portrait phone photo */
    s = hf(3024, 4032, 280);
    assert_int_equal(s.width, 672);
    assert_int_equal(s.height, 912);

    /* every budget stays within itself */
    const uint32_t budgets[] = {70, 140, 280, 560, 1120};
    for (int b = 0; b < 5; b++) {
        s = hf(1234, 567, budgets[b]);
        assert_true(s.n_tokens <= budgets[b]);
        assert_true(s.n_tokens * 10 > budgets[b] * 8); /* and uses most of it */
    }

    /* llama.cpp's own limits: custom min/max tokens */
    g4_error err = {0};
    assert_int_equal(g4_vision_size_llama(4032, 3024, 16, 3, 70, 280, &s, &err), GEMMA4_OK);
    assert_true(s.n_tokens <= 280);
    assert_int_equal(g4_vision_size_llama(10, 10, 16, 3, 560, 1120, &s, &err), GEMMA4_OK);
    assert_true(s.n_tokens >= 560);
}

static void test_refused(void **state) {
    (void)state;
    g4_vision_size s;
    g4_error err = {0};
    assert_int_equal(g4_vision_size_transformers(640, 480, 16, 3, 300, &s, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "70, 140, 280, 560, 1120"));
    assert_int_equal(g4_vision_size_transformers(0, 480, 16, 3, 280, &s, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_vision_size_llama(640, 0, 16, 3, 0, 0, &s, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_vision_size_llama(640, 480, 16, 3, 500, 100, &s, &err), GEMMA4_ERR_INVALID_ARG);
    /* an extreme panorama: llama.cpp's own resize would refuse the 160608-wide target */
    assert_int_equal(g4_vision_size_llama(100000, 10, 16, 3, 0, 0, &s, &err), GEMMA4_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "100000 x 10"));
    assert_true(g4_vision_budget_valid(70) && g4_vision_budget_valid(1120) && !g4_vision_budget_valid(0) &&
                !g4_vision_budget_valid(281));
}

/* A field of sizing.txt: "WxH" or "-" for transformers. */
static bool parse_hf(const char *tok, uint32_t *w, uint32_t *h) {
    if (strcmp(tok, "-") == 0) return false;
    if (sscanf(tok, "%ux%u", w, h) != 2) fail_msg("bad transformers field '%s'", tok);
    return true;
}

static void test_golden(void **state) {
    (void)state;
    char path[512], line[512];
    FILE *f = fopen(g4t_data_path(path, sizeof path, "vision/sizing.txt"), "r");
    if (!f) fail_msg("cannot read %s", path);
    const uint32_t budgets[5] = {70, 140, 280, 560, 1120};
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        uint32_t w, h;
        char hf_part[256], ll_part[128];
        if (sscanf(line, "%u %u | %255[^|]| %127[^\n]", &w, &h, hf_part, ll_part) != 4) fail_msg("bad line: %s", line);
        char *save = NULL, *tok = strtok_r(hf_part, " ", &save);
        for (int b = 0; b < 5; b++, tok = strtok_r(NULL, " ", &save)) {
            if (!tok) fail_msg("short line: %s", line);
            uint32_t ww, hh;
            g4_vision_size s;
            g4_error err = {0};
            const gemma4_status st = g4_vision_size_transformers(w, h, 16, 3, budgets[b], &s, &err);
            if (!parse_hf(tok, &ww, &hh)) {
                if (st == GEMMA4_OK)
                    fail_msg("transformers %u x %u at %u: want refused, got %u x %u", w, h, budgets[b], s.width,
                             s.height);
                continue;
            }
            if (st != GEMMA4_OK || s.width != ww || s.height != hh)
                fail_msg("transformers %u x %u at %u: got %u x %u (%s), want %u x %u", w, h, budgets[b], s.width,
                         s.height, err.msg, ww, hh);
        }
        g4_vision_size s;
        g4_error err = {0};
        const gemma4_status st = g4_vision_size_llama(w, h, 16, 3, 0, 0, &s, &err);
        uint32_t v[6];
        if (ll_part[0] == '-') {
            if (st != GEMMA4_ERR_UNSUPPORTED)
                fail_msg("llama %u x %u: want refused, got %s", w, h, gemma4_status_name(st));
        } else {
            if (sscanf(ll_part, "%u %u %u %u %u %u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
                fail_msg("bad llama field: %s", ll_part);
            if (st != GEMMA4_OK || s.width != v[0] || s.height != v[1] || s.content_width != v[2] ||
                s.content_height != v[3] || s.offset_x != v[4] || s.offset_y != v[5])
                fail_msg("llama %u x %u: got %u x %u, %u x %u at %u, %u (%s); want %s", w, h, s.width, s.height,
                         s.content_width, s.content_height, s.offset_x, s.offset_y, err.msg, ll_part);
        }
        rows++;
    }
    fclose(f);
    assert_true(rows >= 300);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
