/*
 * ABI compatibility of the parameter structs: an application compiled against an older header,
 * whose structs lack the fields added since, keeps working (the missing fields take their
 * defaults and the library writes no further than the caller's stats struct); one compiled against
 * a newer header works when the fields this library does not know are left zero, and is refused
 * when it sets them.
 *   test_e2e_abi MODEL.gguf
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gemma4.h"

/* The structs as a header from before threadpool, per-call sampling and n_reused would declare
 * them: prefixes of today's. */
typedef struct old_session_params {
    size_t struct_size;
    int32_t n_ctx;
    int32_t n_batch;
    int32_t n_threads;
    gemma4_kv_type kv_type;
} old_session_params;

typedef struct old_generate_params {
    size_t struct_size;
    int32_t max_tokens;
    bool render_special;
    gemma4_token_fn on_token;
    void *user;
} old_generate_params;

typedef struct old_stats {
    size_t struct_size;
    int32_t n_prompt;
    int32_t n_reused;
    int32_t n_generated;
} old_stats;

/* A header from the future: today's struct and one more field. */
typedef struct new_generate_params {
    gemma4_generate_params now;
    int64_t field_from_the_future;
} new_generate_params;

static const char *g_model_path;

typedef struct tokens {
    int32_t ids[64];
    int n;
} tokens;

static bool collect(void *user, int32_t token, const char *piece, size_t len) {
    (void)piece;
    (void)len;
    tokens *t = user;
    if (token >= 0 && t->n < 64) t->ids[t->n++] = token;
    return true;
}

static void generate_with(gemma4_model *m, const gemma4_session_params *sp, const gemma4_generate_params *gp,
                          gemma4_generate_stats *stats, gemma4_status want) {
    gemma4_session *s = NULL;
    char err[512];
    if (gemma4_session_new(m, sp, &s, err, sizeof err) != GEMMA4_OK) fail_msg("session: %s", err);
    int32_t prompt[4] = {gemma4_token_bos(m), 11, 22, 33};
    gemma4_status st = gemma4_generate(s, prompt, 4, gp, stats);
    if (st != want) fail_msg("generate: %s (%s)", gemma4_status_name(st), gemma4_session_errmsg(s));
    gemma4_session_free(s);
}

static void test_older_smaller_structs(void **state) {
    (void)state;
    char err[512];
    gemma4_model *m = NULL;
    if (gemma4_model_load(g_model_path, NULL, &m, err, sizeof err) != GEMMA4_OK) fail_msg("%s", err);

    /* today's caller */
    tokens now = {0};
    gemma4_session_params sp = gemma4_session_default_params();
    sp.n_ctx = 128;
    sp.n_threads = 1;
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = 12;
    gp.on_token = collect;
    gp.user = &now;
    gemma4_generate_stats stats = GEMMA4_GENERATE_STATS_INIT;
    generate_with(m, &sp, &gp, &stats, GEMMA4_OK);
    assert_true(now.n > 0);

    /* the older caller gets the same: its missing fields (threadpool, sampling) are the defaults */
    tokens old = {0};
    old_session_params osp = {sizeof osp, 128, 0, 1, GEMMA4_KV_F16};
    old_generate_params ogp = {sizeof ogp, 12, false, collect, &old};
    struct {
        old_stats stats;
        int32_t guard[8];
    } out;
    memset(&out, 0x5a, sizeof out);
    out.stats.struct_size = sizeof out.stats;
    generate_with(m, (const gemma4_session_params *)&osp, (const gemma4_generate_params *)&ogp,
                  (gemma4_generate_stats *)&out.stats, GEMMA4_OK);
    assert_int_equal(old.n, now.n);
    assert_memory_equal(old.ids, now.ids, sizeof(int32_t) * (size_t)now.n);
    assert_int_equal(out.stats.n_prompt, 4);
    assert_int_equal(out.stats.n_generated, stats.n_generated);
    for (int i = 0; i < 8; i++) assert_int_equal(out.guard[i], 0x5a5a5a5a); /* nothing written past it */

    /* a newer caller: fine while its unknown field is zero, refused once it sets it */
    tokens newer = {0};
    new_generate_params ngp;
    memset(&ngp, 0, sizeof ngp);
    ngp.now = gp;
    ngp.now.user = &newer;
    ngp.now.struct_size = sizeof ngp;
    generate_with(m, &sp, &ngp.now, NULL, GEMMA4_OK);
    assert_memory_equal(newer.ids, now.ids, sizeof(int32_t) * (size_t)now.n);
    ngp.field_from_the_future = 1;
    generate_with(m, &sp, &ngp.now, NULL, GEMMA4_ERR_UNSUPPORTED);

    /* a struct that never came from *_default_params */
    gemma4_generate_params zero;
    memset(&zero, 0, sizeof zero);
    generate_with(m, &sp, &zero, NULL, GEMMA4_ERR_INVALID_ARG);
    gemma4_model_free(m);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_e2e_abi MODEL.gguf\n");
        return 2;
    }
    g_model_path = argv[1];
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_older_smaller_structs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
