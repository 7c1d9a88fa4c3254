/* Kernel tables with missing entries (dispatch.h, g4_kernels_with_fallback):
 *
 *  - a table that sets only one entry computes everything else with the scalar table's entries:
 *    the same function pointers, and the same bits through g4_matmul_with and the ops;
 *  - an entry with a dot product but no quantizer takes the base table's quantizer when the
 *    activation formats agree, and never one of another format;
 *  - the tables handed out (g4_kernels_by_name, g4_kernels_best) have no NULL where the scalar
 *    table has an entry, keep their own kernels, and take the scalar ones they leave out (avx2
 *    and neon: RoPE and the f32 copy; neon-dotprod: neon's for all but its integer dots).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "kernels/quants.h"
#include "kernels/simd.h"
#include "kernels/vec_dot.h"
#include "testkit.h"

static const char *const k_names[] = {"avx2", "neon", "neon-dotprod"};
#define N_NAMES (sizeof k_names / sizeof k_names[0])

/* Every op of a and b is the same function, and so is every dot entry. */
static void assert_same_entries(const g4_kernels *a, const g4_kernels *b) {
    for (int t = 0; t < G4_TYPE_COUNT; t++) {
        assert_int_equal(a->dot[t].act_type, b->dot[t].act_type);
        assert_ptr_equal(a->dot[t].quantize, b->dot[t].quantize);
        assert_ptr_equal(a->dot[t].vec_dot, b->dot[t].vec_dot);
        assert_ptr_equal(a->dot[t].tile, b->dot[t].tile);
    }
    assert_ptr_equal(a->rmsnorm, b->rmsnorm);
    assert_ptr_equal(a->rope_neox, b->rope_neox);
    assert_ptr_equal(a->rope_2d_neox, b->rope_2d_neox);
    assert_ptr_equal(a->softmax, b->softmax);
    assert_ptr_equal(a->gelu_tanh, b->gelu_tanh);
    assert_ptr_equal(a->softcap, b->softcap);
    assert_ptr_equal(a->gelu_quick, b->gelu_quick);
    assert_ptr_equal(a->clamp, b->clamp);
    assert_ptr_equal(a->attention, b->attention);
}

/* y = W x for n_tok tokens of a random n x n matrix of type t through table k. */
static void matmul_random(const g4_kernels *k, g4_type t, int64_t n, int64_t n_tok, float *y) {
    g4t_rng rng;
    g4t_rng_seed(&rng, 42);
    size_t rb = 0;
    assert_true(g4_type_row_bytes(t, n, &rb));
    uint8_t *data = malloc(rb * (size_t)n);
    float *row = malloc((size_t)n * sizeof(float)), *x = malloc((size_t)(n * n_tok) * sizeof(float));
    void *scratch = malloc(g4_matmul_scratch_bytes(t, n, n_tok));
    assert_non_null(data);
    assert_non_null(row);
    assert_non_null(x);
    assert_non_null(scratch);
    for (int64_t r = 0; r < n; r++) {
        for (int64_t i = 0; i < n; i++) row[i] = g4t_rng_uniform(&rng, -0.1f, 0.1f);
        g4_quantize_row(t, row, data + (size_t)r * rb, n);
    }
    for (int64_t i = 0; i < n * n_tok; i++) x[i] = g4t_rng_uniform(&rng, -1.0f, 1.0f);
    const g4_matrix w = {t, n, n, rb, data};
    g4_matmul_with(k, &w, x, n_tok, y, scratch, NULL);
    free(data);
    free(row);
    free(x);
    free(scratch);
}

static void test_missing_entries_are_scalar(void **state) {
    (void)state;
    const g4_kernels *s = g4_kernels_scalar();
    /* A table that does only Q8_0 itself (with the scalar's own functions, so that the bits of
     * every other type can be compared): everything else is left out. */
    g4_kernels partial = {.name = "partial"};
    partial.dot[G4_TYPE_Q8_0] = s->dot[G4_TYPE_Q8_0];
    const g4_kernels k = g4_kernels_with_fallback(&partial, s);
    assert_string_equal(k.name, "partial");
    assert_same_entries(&k, s);

    /* and it computes with them: Q4_K and F16 matmuls, RMSNorm and softmax give the scalar bits */
    const int64_t n = 256, n_tok = 3;
    float y_k[256 * 3], y_s[256 * 3];
    const g4_type types[] = {G4_TYPE_Q4_K, G4_TYPE_F16, G4_TYPE_Q8_0};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        matmul_random(&k, types[i], n, n_tok, y_k);
        matmul_random(s, types[i], n, n_tok, y_s);
        assert_memory_equal(y_k, y_s, sizeof y_k);
    }
    float x[64], w[64], out_k[64], out_s[64];
    for (int i = 0; i < 64; i++) x[i] = sinf(0.3f * (float)i), w[i] = 1.0f + 0.01f * (float)i;
    k.rmsnorm(out_k, x, w, 64, 1e-6f);
    s->rmsnorm(out_s, x, w, 64, 1e-6f);
    assert_memory_equal(out_k, out_s, sizeof out_k);
    memcpy(out_k, x, sizeof x);
    memcpy(out_s, x, sizeof x);
    k.softmax(out_k, 64);
    s->softmax(out_s, 64);
    assert_memory_equal(out_k, out_s, sizeof out_k);
}

static void test_quantizer_fallback(void **state) {
    (void)state;
    const g4_kernels *s = g4_kernels_scalar();
    g4_kernels partial = {.name = "partial"};
    /* same activation format as the scalar entry: its quantizer is taken, the dot kept */
    partial.dot[G4_TYPE_Q4_0] = (g4_dot_kernel){G4_TYPE_Q8_0, NULL, g4_vec_dot_q8_0_ref, NULL};
    /* another format: no quantizer of the wrong format is ever filled in */
    partial.dot[G4_TYPE_Q4_1] = (g4_dot_kernel){G4_TYPE_Q8_0, NULL, g4_vec_dot_q8_0_ref, NULL};
    const g4_kernels k = g4_kernels_with_fallback(&partial, s);
    assert_int_equal(k.dot[G4_TYPE_Q4_0].act_type, G4_TYPE_Q8_0);
    assert_ptr_equal(k.dot[G4_TYPE_Q4_0].quantize, s->dot[G4_TYPE_Q4_0].quantize);
    assert_ptr_equal(k.dot[G4_TYPE_Q4_0].vec_dot, g4_vec_dot_q8_0_ref);
    assert_int_equal(k.dot[G4_TYPE_Q4_1].act_type, G4_TYPE_Q8_0);
    assert_null(k.dot[G4_TYPE_Q4_1].quantize);
    /* a complete table comes back unchanged */
    const g4_kernels same = g4_kernels_with_fallback(s, s);
    assert_same_entries(&same, s);
}

static void test_handed_out_tables(void **state) {
    (void)state;
    const g4_kernels *s = g4_kernels_scalar();
    int checked = 0;
    for (size_t i = 0; i < N_NAMES; i++) {
        const g4_kernels *k = g4_kernels_by_name(k_names[i]);
        if (!k) continue;
        checked++;
        assert_string_equal(k->name, k_names[i]);
        assert_ptr_equal(k, g4_kernels_by_name(k_names[i])); /* completed once: the same table */
        for (int t = 0; t < G4_TYPE_COUNT; t++) {
            if (!s->dot[t].vec_dot) continue;
            assert_non_null(k->dot[t].vec_dot);
            assert_non_null(k->dot[t].quantize);
            assert_int_equal(k->dot[t].act_type, s->dot[t].act_type);
        }
        assert_non_null(k->rmsnorm);
        assert_non_null(k->softmax);
        assert_non_null(k->gelu_tanh);
        assert_non_null(k->softcap);
        assert_non_null(k->attention);
        /* every SIMD table leaves RoPE and the f32 copy to the scalar table */
        assert_ptr_equal(k->rope_neox, s->rope_neox);
        assert_ptr_equal(k->dot[G4_TYPE_F32].quantize, s->dot[G4_TYPE_F32].quantize);
    }
#if defined(G4_HAVE_AVX2_KERNELS)
    const g4_kernels *avx2 = g4_kernels_by_name("avx2");
    if (avx2) {
        assert_ptr_equal(avx2->softmax, g4_softmax_avx2);
        assert_ptr_equal(avx2->dot[G4_TYPE_Q4_K].tile, g4_dot_tile_q4_K_avx2);
        assert_ptr_equal(avx2->dot[G4_TYPE_Q2_K].vec_dot, g4_vec_dot_q2_K_avx2);
        assert_null(avx2->dot[G4_TYPE_Q2_K].tile); /* no tile: per-pair vec_dot, not the scalar's */
        assert_ptr_equal(g4_kernels_best(), avx2);
    }
#endif
#if defined(G4_HAVE_NEON_KERNELS)
    const g4_kernels *dp = g4_kernels_by_name("neon-dotprod");
    if (dp) { /* neon-dotprod: its own integer dots, neon's quantizers and ops */
        assert_ptr_equal(dp->dot[G4_TYPE_Q4_0].vec_dot, g4_vec_dot_q4_0_dotprod);
        assert_ptr_equal(dp->dot[G4_TYPE_Q4_0].quantize, g4_quantize_act_q8_0_neon);
        assert_ptr_equal(dp->dot[G4_TYPE_F16].vec_dot, g4_vec_dot_f16_neon);
        assert_ptr_equal(dp->rmsnorm, g4_rmsnorm_neon);
    }
    const g4_kernels *neon = g4_kernels_by_name("neon");
    if (neon) assert_ptr_equal(neon->dot[G4_TYPE_Q4_0].vec_dot, g4_vec_dot_q4_0_neon);
#endif
    print_message("%d SIMD table(s) checked\n", checked);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_entries_are_scalar),
        cmocka_unit_test(test_quantizer_fallback),
        cmocka_unit_test(test_handed_out_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
