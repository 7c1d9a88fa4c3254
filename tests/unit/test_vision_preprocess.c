/* The canvas step end to end against Pillow (tests/data/vision/fit: each rule's size, the
 * resize, llama.cpp's black letterbox; at 4-pixel patches pooled 2 x 2 so the canvases stay small),
 * the pixel step's formula and layout, and the whole preprocessing with its refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "vision/preprocess.h"

static void load(const char *name, g4_image *img) {
    char rel[256], path[512];
    snprintf(rel, sizeof rel, "vision/fit/%s", name);
    g4_error err = {0};
    if (g4_image_load_file(g4t_data_path(path, sizeof path, rel), 0, img, &err) != GEMMA4_OK)
        fail_msg("%s: %s", path, err.msg);
}

static g4_vision_hparams small_grid(void) {
    g4_vision_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.patch_size = 4;
    hp.pool = 2;
    hp.n_pos = 1024;
    hp.min_tokens = 70;
    hp.max_tokens = 1120;
    for (int c = 0; c < 3; c++) hp.image_mean[c] = 0.0f, hp.image_std[c] = 1.0f;
    return hp;
}

static void test_fit_matches_pillow(void **state) {
    (void)state;
    char path[512], line[512];
    FILE *f = fopen(g4t_data_path(path, sizeof path, "vision/fit/fit.txt"), "r");
    if (!f) fail_msg("cannot read %s", path);
    int cases = 0, letterboxed = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        char in[128], rule[32], want_name[128];
        unsigned a = 0, b = 0;
        g4_vision_size size;
        g4_error err = {0};
        g4_image src, want, got;
        if (sscanf(line, "%127s %31s", in, rule) != 2) fail_msg("bad line: %s", line);
        load(in, &src);
        gemma4_status st;
        if (strcmp(rule, "llama") == 0) {
            if (sscanf(line, "%*s %*s %u %u %127s", &a, &b, want_name) != 3) fail_msg("bad line: %s", line);
            st = g4_vision_size_llama(src.width, src.height, 4, 2, a, b, &size, &err);
        } else {
            if (sscanf(line, "%*s %*s %u %127s", &a, want_name) != 2) fail_msg("bad line: %s", line);
            st = g4_vision_size_transformers(src.width, src.height, 4, 2, a, &size, &err);
        }
        if (st != GEMMA4_OK) fail_msg("%s", err.msg);
        letterboxed += size.content_width != size.width || size.content_height != size.height;
        load(want_name, &want);
        if (g4_vision_fit(&src, &size, &got, &err) != GEMMA4_OK) fail_msg("%s: %s", in, err.msg);
        if (got.width != want.width || got.height != want.height)
            fail_msg("%s %s: canvas %u x %u, want %u x %u", in, rule, got.width, got.height, want.width, want.height);
        if (memcmp(got.rgb, want.rgb, (size_t)got.width * got.height * 3) != 0)
            fail_msg("%s %s %u: canvas differs from Pillow's", in, rule, a);
        g4_image_free(&src);
        g4_image_free(&want);
        g4_image_free(&got);
        cases++;
    }
    fclose(f);
    assert_true(cases >= 10);
    assert_true(letterboxed >= 3);
}

static void test_fit_refuses_outside(void **state) {
    (void)state;
    g4_image src, got;
    g4_error err = {0};
    assert_int_equal(g4_image_new(4, 4, &src, &err), GEMMA4_OK);
    g4_vision_size size = {.width = 8, .height = 8, .content_width = 6, .content_height = 6, .offset_x = 3};
    assert_int_equal(g4_vision_fit(&src, &size, &got, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(got.rgb);
    g4_image_free(&src);
}

static void test_pixels(void **state) {
    (void)state;
    g4_image img;
    g4_error err = {0};
    assert_int_equal(g4_image_new(2, 2, &img, &err), GEMMA4_OK);
    for (int i = 0; i < 12; i++) img.rgb[i] = (uint8_t)(i * 23);
    const float mean[3] = {0.5f, 0.25f, 0.0f}, std[3] = {0.5f, 2.0f, 1.0f};
    float out[12];
    g4_vision_pixels(&img, mean, std, out);
    for (int c = 0; c < 3; c++) {
        for (int p = 0; p < 4; p++) { /* planar: plane c, pixel p */
            const float x = (float)img.rgb[3 * p + c] / 255.0f;
            const float want = (x - mean[c]) / std[c];
            if (out[c * 4 + p] != want) fail_msg("channel %d pixel %d: %g, want %g", c, p, out[c * 4 + p], want);
        }
    }
    /* transformers' rescale (u8 * (1/255) in double, then float) gives the same 256 values */
    for (int v = 0; v < 256; v++) assert_true((float)v / 255.0f == (float)(v * (1.0 / 255.0)));
    g4_image_free(&img);
}

static void test_preprocess(void **state) {
    (void)state;
    g4_image src;
    load("in_37x23.png", &src);
    g4_vision_hparams hp = small_grid();
    g4_vision_prep_params p = {.rule = G4_VISION_SIZING_LLAMA_CPP};
    g4_vision_input in;
    g4_error err = {0};
    assert_int_equal(g4_vision_preprocess(&src, &hp, &p, &in, &err), GEMMA4_OK);
    assert_int_equal(in.n_patches_x * 4, in.size.width);
    assert_int_equal(in.n_patches_y * 4, in.size.height);
    /* the canvas, pixel for pixel, through the pixel step */
    g4_image canvas;
    assert_int_equal(g4_vision_fit(&src, &in.size, &canvas, &err), GEMMA4_OK);
    const size_t n = (size_t)canvas.width * canvas.height;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++) assert_true(in.pixels[c * n + i] == (float)canvas.rgb[3 * i + c] / 255.0f);
    g4_image_free(&canvas);
    g4_vision_input_free(&in);

    /* the transformers rule, default budget */
    p.rule = G4_VISION_SIZING_TRANSFORMERS;
    assert_int_equal(g4_vision_preprocess(&src, &hp, &p, &in, &err), GEMMA4_OK);
    assert_true(in.size.n_tokens <= 280 && in.size.n_tokens > 200);
    g4_vision_input_free(&in);
    p.token_budget = 100;
    assert_int_equal(g4_vision_preprocess(&src, &hp, &p, &in, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(in.pixels);

    /* a canvas wider than the position tables reach */
    hp.n_pos = 20;
    p.token_budget = 280;
    assert_int_equal(g4_vision_preprocess(&src, &hp, &p, &in, &err), GEMMA4_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "position tables hold 20"));
    assert_null(in.pixels);
    g4_image_free(&src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_matches_pillow),
        cmocka_unit_test(test_fit_refuses_outside),
        cmocka_unit_test(test_pixels),
        cmocka_unit_test(test_preprocess),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
