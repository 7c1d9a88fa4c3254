/* Bicubic resize against Pillow: every case of tests/data/vision/resize/resize.txt (noise images
 * down and up, one pass only, 1-pixel sides, extreme aspect ratios) must give Pillow's bytes
 * exactly. Plus the copy for an unchanged size and the refused arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testkit.h"
#include "vision/image.h"
#include "vision/resize.h"

static void load(const char *dir, const char *name, g4_image *img) {
    char rel[256], path[512];
    snprintf(rel, sizeof rel, "vision/%s/%s", dir, name);
    g4_error err = {0};
    if (g4_image_load_file(g4t_data_path(path, sizeof path, rel), 0, img, &err) != GEMMA4_OK)
        fail_msg("%s: %s", path, err.msg);
}

static void expect_same(const g4_image *got, const g4_image *want, const char *what) {
    if (got->width != want->width || got->height != want->height)
        fail_msg("%s: %u x %u, want %u x %u", what, got->width, got->height, want->width, want->height);
    const size_t n = (size_t)got->width * got->height * 3;
    for (size_t i = 0; i < n; i++)
        if (got->rgb[i] != want->rgb[i])
            fail_msg("%s: byte %zu (pixel %zu, %zu; channel %zu) is %u, Pillow gives %u", what, i, i / 3 % got->width,
                     i / 3 / got->width, i % 3, got->rgb[i], want->rgb[i]);
}

static void test_matches_pillow(void **state) {
    (void)state;
    char path[512], line[512];
    FILE *f = fopen(g4t_data_path(path, sizeof path, "vision/resize/resize.txt"), "r");
    if (!f) fail_msg("cannot read %s", path);
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        char in[128], want_name[128];
        unsigned w, h;
        if (line[0] == '#') continue;
        if (sscanf(line, "%127s %u %u %127s", in, &w, &h, want_name) != 4) fail_msg("bad line in resize.txt: %s", line);
        g4_image src, want, got;
        load("resize", in, &src);
        load("resize", want_name, &want);
        g4_error err = {0};
        if (g4_resize_bicubic(&src, w, h, &got, &err) != GEMMA4_OK) fail_msg("%s -> %ux%u: %s", in, w, h, err.msg);
        char what[300];
        snprintf(what, sizeof what, "%s -> %u x %u", in, w, h);
        expect_same(&got, &want, what);
        g4_image_free(&src);
        g4_image_free(&want);
        g4_image_free(&got);
        cases++;
    }
    fclose(f);
    assert_true(cases >= 12);
}

static void test_same_size_is_a_copy(void **state) {
    (void)state;
    g4_image src, got;
    load("resize", "in_64x48.png", &src);
    g4_error err = {0};
    assert_int_equal(g4_resize_bicubic(&src, 64, 48, &got, &err), GEMMA4_OK);
    assert_ptr_not_equal(got.rgb, src.rgb);
    expect_same(&got, &src, "64x48 -> 64x48");
    g4_image_free(&got);
    g4_image_free(&src);
}

/* A flat image stays flat at any size: the rounded weights of an output sum to 2^22 within a few
 * units, far less than the half (2^21) a byte would need to move. */
static void test_flat_stays_flat(void **state) {
    (void)state;
    g4_image src, got;
    g4_error err = {0};
    assert_int_equal(g4_image_new(13, 7, &src, &err), GEMMA4_OK);
    for (size_t i = 0; i < 13 * 7 * 3; i++) src.rgb[i] = (uint8_t)(i % 3 == 0 ? 200 : i % 3 == 1 ? 17 : 255);
    const unsigned sizes[][2] = {{1, 1}, {5, 3}, {40, 90}, {13, 100}, {200, 7}};
    for (size_t s = 0; s < 5; s++) {
        assert_int_equal(g4_resize_bicubic(&src, sizes[s][0], sizes[s][1], &got, &err), GEMMA4_OK);
        for (size_t i = 0; i < (size_t)got.width * got.height * 3; i++)
            assert_int_equal(got.rgb[i], i % 3 == 0 ? 200 : i % 3 == 1 ? 17 : 255);
        g4_image_free(&got);
    }
    g4_image_free(&src);
}

static void test_bad_arguments(void **state) {
    (void)state;
    g4_image src, got;
    g4_error err = {0};
    assert_int_equal(g4_image_new(4, 4, &src, &err), GEMMA4_OK);
    assert_int_equal(g4_resize_bicubic(&src, 0, 4, &got, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(got.rgb);
    assert_int_equal(g4_resize_bicubic(&src, 4, 0, &got, &err), GEMMA4_ERR_INVALID_ARG);
    g4_image empty = {0};
    assert_int_equal(g4_resize_bicubic(&empty, 4, 4, &got, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "empty"));
    g4_image_free(&src);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_pillow),
        cmocka_unit_test(test_same_size_is_a_copy),
        cmocka_unit_test(test_flat_stays_flat),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
