/* Sampler: greedy, each filter's cut-off, penalties as llama.cpp applies them, the mask hook,
 * reproducibility from the seed, and that draws follow the distribution. */
#include <math.h>
#include <string.h>

#include "sample/sampler.h"
#include "testkit.h"

static g4_sampler *make(g4_sampler_params p, int32_t n_vocab) {
    g4_sampler *s = NULL;
    g4_error err = {0};
    assert_int_equal(g4_sampler_new(&p, n_vocab, &s, &err), GEMMA4_OK);
    return s;
}

static g4_sampler_params greedy_params(void) {
    g4_sampler_params p = g4_sampler_default_params();
    p.temperature = 0.0f;
    return p;
}

static void test_greedy_picks_argmax(void **state) {
    (void)state;
    g4_sampler *s = make(greedy_params(), 5);
    float logits[5] = {0.1f, 3.0f, -1.0f, 2.9f, 0.0f};
    assert_int_equal(g4_sampler_sample(s, logits, NULL, NULL), 1);
    g4_sampler_free(s);
}

static void forbid_one(void *user, float *logits, int32_t n) {
    (void)n;
    logits[*(int *)user] = -INFINITY;
}

static void forbid_all(void *user, float *logits, int32_t n) {
    (void)user;
    for (int32_t i = 0; i < n; i++) logits[i] = -INFINITY;
}

static void test_mask_hook(void **state) {
    (void)state;
    g4_sampler *s = make(greedy_params(), 5);
    float logits[5] = {0.1f, 3.0f, -1.0f, 2.9f, 0.0f};
    int banned = 1;
    assert_int_equal(g4_sampler_sample(s, logits, forbid_one, &banned), 3);
    float l2[5] = {0};
    assert_int_equal(g4_sampler_sample(s, l2, forbid_all, NULL), -1);
    g4_sampler_free(s);
}

static void test_repeat_penalty_sign_rule(void **state) {
    (void)state;
    g4_sampler_params p = greedy_params();
    p.repeat_penalty = 2.0f;
    p.penalty_last_n = 4;
    g4_sampler *s = make(p, 4);
    g4_sampler_accept(s, 0);
    g4_sampler_accept(s, 1);
    g4_sampler_accept(s, 1);
    float logits[4] = {4.0f, -1.0f, 3.0f, 0.5f};
    /* 0: 4 / 2 = 2 ; 1: -1 * 2 = -2 (counted once though it occurs twice) ; 2 untouched = 3 -> argmax 2 */
    assert_int_equal(g4_sampler_sample(s, logits, NULL, NULL), 2);
    assert_true(fabsf(logits[0] - 2.0f) < 1e-6f);
    assert_true(fabsf(logits[1] + 2.0f) < 1e-6f);
    g4_sampler_free(s);
}

static void test_frequency_presence_and_window(void **state) {
    (void)state;
    g4_sampler_params p = greedy_params();
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.25f;
    p.penalty_last_n = 3;
    g4_sampler *s = make(p, 3);
    g4_sampler_accept(s, 2); /* falls out of the 3-token window below */
    g4_sampler_accept(s, 0);
    g4_sampler_accept(s, 0);
    g4_sampler_accept(s, 1);
    float logits[3] = {1.0f, 1.0f, 1.0f};
    g4_sampler_sample(s, logits, NULL, NULL);
    assert_true(fabsf(logits[0] - (1.0f - 2 * 0.5f - 0.25f)) < 1e-6f);
    assert_true(fabsf(logits[1] - (1.0f - 0.5f - 0.25f)) < 1e-6f);
    assert_true(fabsf(logits[2] - 1.0f) < 1e-6f);
    g4_sampler_free(s);
}

/* Draw many times and return how often each of n tokens came up. */
static void histogram(g4_sampler_params p, const float *base, int32_t n, int draws, int *hist) {
    g4_sampler *s = make(p, n);
    float logits[64];
    memset(hist, 0, sizeof(int) * (size_t)n);
    for (int d = 0; d < draws; d++) {
        memcpy(logits, base, sizeof(float) * (size_t)n);
        int32_t t = g4_sampler_sample(s, logits, NULL, NULL);
        assert_true(t >= 0 && t < n);
        hist[t]++;
    }
    g4_sampler_free(s);
}

static void test_top_k_limits_support(void **state) {
    (void)state;
    g4_sampler_params p = g4_sampler_default_params();
    p.top_k = 2;
    p.top_p = 1.0f;
    float base[6] = {1.0f, 5.0f, 2.0f, 4.9f, 0.0f, 3.0f};
    int hist[6];
    histogram(p, base, 6, 2000, hist);
    assert_int_equal(hist[0] + hist[2] + hist[4] + hist[5], 0);
    assert_true(hist[1] > 800 && hist[3] > 800); /* e^0.1 ratio: roughly 52% / 48% */
}

static void test_top_p_cuts_tail(void **state) {
    (void)state;
    g4_sampler_params p = g4_sampler_default_params();
    p.top_k = 0;
    p.top_p = 0.7f;
    /* probabilities 0.5, 0.3, 0.2 (as logits of log p): cumulative 0.5, 0.8 -> keep the first two */
    float base[3] = {logf(0.5f), logf(0.3f), logf(0.2f)};
    int hist[3];
    histogram(p, base, 3, 4000, hist);
    assert_int_equal(hist[2], 0);
    double ratio = (double)hist[0] / hist[1]; /* expected 5/3 */
    assert_true(ratio > 1.4 && ratio < 1.95);
}

static void test_min_p_cuts_relative(void **state) {
    (void)state;
    g4_sampler_params p = g4_sampler_default_params();
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.5f;
    float base[3] = {logf(0.5f), logf(0.3f), logf(0.2f)}; /* 0.2 < 0.5 * 0.5 is dropped, 0.3 kept */
    int hist[3];
    histogram(p, base, 3, 2000, hist);
    assert_int_equal(hist[2], 0);
    assert_true(hist[1] > 0);
}

static void test_temperature_sharpens(void **state) {
    (void)state;
    g4_sampler_params p = g4_sampler_default_params();
    p.top_k = 0;
    p.top_p = 1.0f;
    float base[2] = {1.0f, 0.0f};
    int hot[2], cold[2];
    p.temperature = 1.0f;
    histogram(p, base, 2, 4000, hot);
    p.temperature = 0.25f;
    histogram(p, base, 2, 4000, cold);
    /* expected share of token 0: 1/(1+e^-1) = 0.73 at T=1, 1/(1+e^-4) = 0.98 at T=0.25 */
    assert_true(hot[0] > 2700 && hot[0] < 3150);
    assert_true(cold[0] > 3850);
}

static void test_seed_reproducible(void **state) {
    (void)state;
    g4_sampler_params p = g4_sampler_default_params();
    p.seed = 1234;
    float base[8] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    int32_t a[50], b[50];
    for (int round = 0; round < 2; round++) {
        g4_sampler *s = make(p, 8);
        for (int i = 0; i < 50; i++) {
            float logits[8];
            memcpy(logits, base, sizeof logits);
            (round ? b : a)[i] = g4_sampler_sample(s, logits, NULL, NULL);
        }
        g4_sampler_free(s);
    }
    assert_memory_equal(a, b, sizeof a);
}

static void test_bad_params(void **state) {
    (void)state;
    g4_sampler *s = NULL;
    g4_error err = {0};
    assert_int_equal(g4_sampler_new(NULL, 0, &s, &err), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(err.msg, "vocabulary size"));
    g4_sampler_params p = g4_sampler_default_params();
    p.repeat_penalty = 0.0f;
    assert_int_equal(g4_sampler_new(&p, 10, &s, &err), GEMMA4_ERR_INVALID_ARG);
    assert_null(s);
    p = g4_sampler_default_params();
    p.penalty_last_n = 40000;
    assert_int_equal(g4_sampler_new(&p, 10, &s, &err), GEMMA4_ERR_INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_picks_argmax),      cmocka_unit_test(test_mask_hook),
        cmocka_unit_test(test_repeat_penalty_sign_rule), cmocka_unit_test(test_frequency_presence_and_window),
        cmocka_unit_test(test_top_k_limits_support),     cmocka_unit_test(test_top_p_cuts_tail),
        cmocka_unit_test(test_min_p_cuts_relative),      cmocka_unit_test(test_temperature_sharpens),
        cmocka_unit_test(test_seed_reproducible),        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
