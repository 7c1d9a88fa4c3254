/*
 * The session calls of the public API that serving builds on, end to end on a gguf-synth model:
 * interrupting a prompt and a generation from another thread, per-request sampling, media in the
 * history (prefix reuse across turns that hold an image), and session state saved and loaded.
 *   test_e2e_session MODEL.gguf OTHER_MODEL.gguf SCRATCH_DIR
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "gemma4.h"

static const char *g_model_path, *g_other_path, *g_scratch;

static gemma4_model *load(const char *path) {
    char err[512];
    gemma4_model *m = NULL;
    if (gemma4_model_load(path, NULL, &m, err, sizeof err) != GEMMA4_OK) fail_msg("loading %s: %s", path, err);
    return m;
}

static gemma4_session *session(gemma4_model *m, int n_ctx, int n_batch, const gemma4_sampling *sp) {
    gemma4_session_params p = gemma4_session_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_threads = 2;
    p.sampling = sp;
    gemma4_session *s = NULL;
    char err[512];
    if (gemma4_session_new(m, &p, &s, err, sizeof err) != GEMMA4_OK) fail_msg("session: %s", err);
    return s;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int32_t *prompt_tokens(gemma4_model *m, int n) {
    int32_t *t = malloc(sizeof *t * (size_t)n);
    t[0] = gemma4_token_bos(m);
    for (int i = 1; i < n; i++) t[i] = 100 + (i * 37) % 900;
    return t;
}

/* ---------------------------------------------------------------------------------------------- */
/* Interrupt                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

typedef struct interrupter {
    gemma4_session *s;
    atomic_int started; /* the main thread is in the call (or the callback says go) */
    atomic_int finished;
    int delay_ms;
} interrupter;

/* Waits for the call to start, lets it run a little, then interrupts until it has returned. */
static void *interrupt_main(void *arg) {
    interrupter *it = arg;
    while (!atomic_load(&it->started)) sleep_ms(1);
    sleep_ms(it->delay_ms);
    while (!atomic_load(&it->finished)) {
        gemma4_session_interrupt(it->s);
        sleep_ms(1);
    }
    return NULL;
}

static void test_interrupt_prompt_keeps_whole_batches(void **state) {
    (void)state;
    gemma4_model *m = load(g_model_path);
    const int n = 1500, n_batch = 8;
    int32_t *toks = prompt_tokens(m, n);
    gemma4_session *s = session(m, 2048, n_batch, NULL);

    interrupter it = {.s = s, .delay_ms = 20};
    pthread_t th;
    pthread_create(&th, NULL, interrupt_main, &it);
    atomic_store(&it.started, 1);
    gemma4_status st = gemma4_eval(s, toks, (size_t)n, false);
    atomic_store(&it.finished, 1);
    pthread_join(th, NULL);

    assert_int_equal(st, GEMMA4_ERR_INTERRUPTED);
    assert_non_null(strstr(gemma4_session_errmsg(s), "interrupted after"));
    int32_t kept = gemma4_session_n_past(s);
    print_message("interrupted after %d of %d positions\n", (int)kept, n);
    assert_true(kept < n);
    assert_int_equal(kept % n_batch, 0); /* whole micro-batches only */
    assert_null(gemma4_logits(s, -1));

    /* The session carries on from what it kept, exactly as a fresh one that evaluated only that. */
    assert_int_equal(gemma4_eval(s, toks + kept, 1, false), GEMMA4_OK);
    gemma4_session *fresh = session(m, 2048, n_batch, NULL);
    assert_int_equal(gemma4_eval(fresh, toks, (size_t)kept + 1, false), GEMMA4_OK);
    int32_t n_vocab = gemma4_model_n_vocab(m);
    assert_memory_equal(gemma4_logits(s, -1), gemma4_logits(fresh, -1), sizeof(float) * (size_t)n_vocab);

    /* An interrupt sent while no call runs does not reach the next call. */
    gemma4_session_interrupt(s);
    assert_int_equal(gemma4_eval(s, toks + kept + 1, 16, false), GEMMA4_OK);

    gemma4_session_free(fresh);
    gemma4_session_free(s);
    free(toks);
    gemma4_model_free(m);
}

typedef struct gen_log {
    int32_t ids[1024];
    int n;
    interrupter *it;
} gen_log;

static bool log_token(void *user, int32_t token, const char *piece, size_t len) {
    (void)piece;
    (void)len;
    gen_log *g = user;
    if (token < 0) return true;
    g->ids[g->n++] = token;
    if (g->it && g->n == 3) atomic_store(&g->it->started, 1);
    return true;
}

static void test_interrupt_generation(void **state) {
    (void)state;
    gemma4_model *m = load(g_model_path);
    gemma4_sampling greedy = gemma4_sampling_default_params();
    greedy.temperature = 0.0f;
    gemma4_session *s = session(m, 1024, 64, &greedy);
    int32_t *toks = prompt_tokens(m, 12);

    interrupter it = {.s = s, .delay_ms = 0};
    gen_log g = {.it = &it};
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = 1000;
    gp.on_token = log_token;
    gp.user = &g;
    gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
    pthread_t th;
    pthread_create(&th, NULL, interrupt_main, &it);
    gemma4_status rc = gemma4_generate(s, toks, 12, &gp, &st);
    atomic_store(&it.finished, 1);
    pthread_join(th, NULL);

    assert_int_equal(rc, GEMMA4_OK);
    if (st.stop_reason == GEMMA4_STOP_EOG || st.stop_reason == GEMMA4_STOP_CONTEXT_FULL) {
        /* the random model ended its turn before the interrupt arrived: nothing to check here */
        print_message("generation ended (%s) before the interrupt, after %d tokens\n",
                      gemma4_stop_reason_name(st.stop_reason), g.n);
    } else {
        assert_int_equal(st.stop_reason, GEMMA4_STOP_INTERRUPTED);
        assert_true(g.n >= 3 && g.n < 1000);
    }
    /* Every token the callback saw is in the context, and the session goes on as a fresh one would. */
    assert_int_equal(gemma4_session_n_past(s), 12 + g.n);
    int32_t next = 77;
    assert_int_equal(gemma4_eval(s, &next, 1, false), GEMMA4_OK);
    gemma4_session *fresh = session(m, 1024, 64, &greedy);
    int32_t all[1100];
    memcpy(all, toks, sizeof(int32_t) * 12);
    memcpy(all + 12, g.ids, sizeof(int32_t) * (size_t)g.n);
    all[12 + g.n] = next;
    assert_int_equal(gemma4_eval(fresh, all, (size_t)(13 + g.n), false), GEMMA4_OK);
    const float *a = gemma4_logits(s, -1), *b = gemma4_logits(fresh, -1);
    double max_diff = 0;
    for (int32_t v = 0; v < gemma4_model_n_vocab(m); v++) max_diff = fmax(max_diff, fabs((double)a[v] - b[v]));
    print_message("decoded vs batched logits: max |diff| %.3g\n", max_diff);
    assert_true(max_diff < 1e-3);

    gemma4_session_free(fresh);
    gemma4_session_free(s);
    free(toks);
    gemma4_model_free(m);
}

/* ---------------------------------------------------------------------------------------------- */
/* Per-request sampling                                                                            */
/* ---------------------------------------------------------------------------------------------- */

static void run(gemma4_session *s, const int32_t *prompt, int n, const gemma4_sampling *call, gen_log *out) {
    memset(out, 0, sizeof *out);
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = 20;
    gp.on_token = log_token;
    gp.user = out;
    gp.sampling = call;
    assert_int_equal(gemma4_generate(s, prompt, (size_t)n, &gp, NULL), GEMMA4_OK);
}

static void test_per_request_sampling(void **state) {
    (void)state;
    gemma4_model *m = load(g_model_path);
    int32_t *toks = prompt_tokens(m, 6);
    gemma4_sampling hot = gemma4_sampling_default_params();
    hot.temperature = 1.3f;
    hot.seed = 99;
    gemma4_sampling cold = gemma4_sampling_default_params();
    cold.temperature = 0.7f;
    cold.seed = 5;

    gen_log ref_hot, ref_cold, a, b, c;
    gemma4_session *sh = session(m, 256, 64, &hot), *sc = session(m, 256, 64, &cold);
    run(sh, toks, 6, NULL, &ref_hot);
    run(sc, toks, 6, NULL, &ref_cold);

    /* One session serves a hot request, then a cold one, then its own settings again. */
    gemma4_session *s = session(m, 256, 64, &cold);
    run(s, toks, 6, &hot, &a);
    assert_int_equal(a.n, ref_hot.n);
    assert_memory_equal(a.ids, ref_hot.ids, sizeof(int32_t) * (size_t)a.n);
    gemma4_session_reset(s);
    run(s, toks, 6, NULL, &b);
    assert_int_equal(b.n, ref_cold.n);
    assert_memory_equal(b.ids, ref_cold.ids, sizeof(int32_t) * (size_t)b.n);
    /* gemma4_session_set_sampling changes them for good */
    gemma4_session_reset(s);
    assert_int_equal(gemma4_session_set_sampling(s, &hot), GEMMA4_OK);
    run(s, toks, 6, NULL, &c);
    assert_memory_equal(c.ids, ref_hot.ids, sizeof(int32_t) * (size_t)c.n);
    gemma4_sampling bad = gemma4_sampling_default_params();
    bad.penalty_last_n = 40000;
    assert_int_equal(gemma4_session_set_sampling(s, &bad), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(gemma4_session_errmsg(s), "penalty window"));

    gemma4_session_free(s);
    gemma4_session_free(sh);
    gemma4_session_free(sc);
    free(toks);
    gemma4_model_free(m);
}

/* ---------------------------------------------------------------------------------------------- */
/* Media in the history                                                                            */
/* ---------------------------------------------------------------------------------------------- */

static gemma4_media *fake_image(gemma4_model *m, int n_tokens, unsigned seed) {
    int32_t n_embd = gemma4_model_n_embd(m);
    float *e = malloc(sizeof *e * (size_t)n_tokens * (size_t)n_embd);
    for (int i = 0; i < n_tokens * n_embd; i++) {
        seed = seed * 1103515245u + 12345u;
        e[i] = ((float)(seed >> 8) / 16777216.0f - 0.5f) * 0.2f;
    }
    gemma4_media *md = NULL;
    char err[512];
    if (gemma4_media_from_embeddings(m, GEMMA4_MEDIA_IMAGE, e, n_tokens, &md, err, sizeof err) != GEMMA4_OK)
        fail_msg("media: %s", err);
    free(e);
    return md;
}

static void test_media_prefix_reuse(void **state) {
    (void)state;
    gemma4_model *m = load(g_model_path);
    gemma4_sampling greedy = gemma4_sampling_default_params();
    greedy.temperature = 0.0f;
    gemma4_session *s = session(m, 1024, 16, &greedy);
    gemma4_media *photo = fake_image(m, 40, 1), *other = fake_image(m, 40, 2);
    assert_int_equal(gemma4_media_n_tokens(photo), 40);
    assert_int_equal(gemma4_media_kind_of(photo), GEMMA4_MEDIA_IMAGE);

    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = 4;
    gemma4_chat_params cp = gemma4_chat_default_params();
    cp.generate = &gp;
    gemma4_content_part parts[2] = {{GEMMA4_PART_MEDIA, NULL, photo},
                                    {GEMMA4_PART_TEXT, "What is on the gauge?", NULL}};
    gemma4_chat_message msgs[3] = {
        {"user", NULL, parts, 2}, {"assistant", "", NULL, 0}, {"user", "And the colour?", NULL, 0}};
    char *reply = NULL;
    gemma4_generate_stats st1 = GEMMA4_GENERATE_STATS_INIT, st2 = GEMMA4_GENERATE_STATS_INIT;
    assert_int_equal(gemma4_chat(s, msgs, 1, &cp, &reply, NULL, &st1), GEMMA4_OK);
    assert_true(st1.n_prompt > 40 + 2); /* the image's 40 positions and its two markers */
    msgs[1].content = reply;
    assert_int_equal(gemma4_chat(s, msgs, 3, &cp, NULL, NULL, &st2), GEMMA4_OK);
    /* the second question evaluates only the new turn: the image stays in the context */
    print_message("turn 1: %d evaluated; turn 2: %d reused, %d evaluated\n", st1.n_prompt, st2.n_reused, st2.n_prompt);
    /* (the first prompt's last few tokens, the empty thought of its generation prompt, are not in
     * the re-rendered history: the template drops it from earlier turns) */
    assert_true(st2.n_reused >= st1.n_prompt - 8);
    assert_true(st2.n_prompt < 40);

    /* the same conversation with another image shares only the text before it */
    parts[0].media = other;
    gemma4_generate_stats st3 = GEMMA4_GENERATE_STATS_INIT;
    assert_int_equal(gemma4_chat(s, msgs, 1, &cp, NULL, NULL, &st3), GEMMA4_OK);
    assert_true(st3.n_reused < 20);
    assert_true(st3.n_prompt >= 40);

    /* a media part without media, and a media object of another model, are refused */
    parts[0].media = NULL;
    assert_int_equal(gemma4_chat(s, msgs, 1, &cp, NULL, NULL, NULL), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(gemma4_session_errmsg(s), "without media"));

    /* evaluating media directly puts it in the context too */
    gemma4_session_reset(s);
    assert_int_equal(gemma4_eval_media(s, photo, false), GEMMA4_OK);
    assert_int_equal(gemma4_session_n_past(s), 40);
    assert_non_null(gemma4_logits(s, -1));

    gemma4_free(reply);
    gemma4_media_free(photo);
    gemma4_media_free(other);
    gemma4_session_free(s);
    gemma4_model_free(m);
}

/* ---------------------------------------------------------------------------------------------- */
/* State to disk                                                                                   */
/* ---------------------------------------------------------------------------------------------- */

static void path_in_scratch(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", g_scratch, name);
}

static void test_state_round_trip(void **state) {
    (void)state;
    gemma4_model *m = load(g_model_path);
    int32_t n_vocab = gemma4_model_n_vocab(m);
    gemma4_sampling sp = gemma4_sampling_default_params();
    sp.seed = 3;
    gemma4_session *s = session(m, 512, 32, &sp);
    int32_t *toks = prompt_tokens(m, 300);
    gemma4_media *photo = fake_image(m, 20, 9);
    assert_int_equal(gemma4_eval(s, toks, 200, false), GEMMA4_OK);
    assert_int_equal(gemma4_eval_media(s, photo, false), GEMMA4_OK);
    assert_int_equal(gemma4_eval(s, toks + 200, 100, false), GEMMA4_OK);
    char path[1024];
    path_in_scratch(path, sizeof path, "state.g4s");
    assert_int_equal(gemma4_session_save(s, path), GEMMA4_OK);

    /* loaded into another session (other batch size, larger context) it continues identically */
    gemma4_session *t = session(m, 1024, 8, &sp);
    if (gemma4_session_load(t, path) != GEMMA4_OK) fail_msg("load: %s", gemma4_session_errmsg(t));
    assert_int_equal(gemma4_session_n_past(t), 320);
    assert_memory_equal(gemma4_logits(s, -1), gemma4_logits(t, -1), sizeof(float) * (size_t)n_vocab);
    gen_log a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = 16;
    gp.on_token = log_token;
    gp.user = &a;
    assert_int_equal(gemma4_generate(s, NULL, 0, &gp, NULL), GEMMA4_OK);
    gp.user = &b;
    assert_int_equal(gemma4_generate(t, NULL, 0, &gp, NULL), GEMMA4_OK);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.ids, b.ids, sizeof(int32_t) * (size_t)a.n);

    /* the loaded history knows the image: a chat holding it reuses it (checked through n_past) */
    assert_int_equal(gemma4_session_n_past(t), 320 + b.n);

    /* refused: a truncated file, a file of another model, a context too small; each leaves the
     * session empty */
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = malloc((size_t)size);
    assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    char cut[1024];
    path_in_scratch(cut, sizeof cut, "cut.g4s");
    const long cuts[] = {0, 10, 100, size / 2, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        f = fopen(cut, "wb");
        fwrite(bytes, 1, (size_t)cuts[i], f);
        fclose(f);
        gemma4_status rc = gemma4_session_load(t, cut);
        if (rc != GEMMA4_ERR_FORMAT)
            fail_msg("cut at %ld: %s: %s", cuts[i], gemma4_status_name(rc), gemma4_session_errmsg(t));
        assert_int_equal(gemma4_session_n_past(t), 0);
    }
    gemma4_model *other = load(g_other_path);
    gemma4_session *o = session(other, 512, 32, NULL);
    assert_int_equal(gemma4_session_load(o, path), GEMMA4_ERR_INVALID_ARG);
    assert_non_null(strstr(gemma4_session_errmsg(o), "another model"));
    gemma4_session *small = session(m, 128, 32, NULL);
    assert_int_equal(gemma4_session_load(small, path), GEMMA4_ERR_CONTEXT_FULL);
    assert_int_equal(gemma4_session_n_past(small), 0);
    assert_int_equal(gemma4_session_load(small, "/nonexistent/state.g4s"), GEMMA4_ERR_IO);

    unlink(cut);
    unlink(path);
    free(bytes);
    free(toks);
    gemma4_media_free(photo);
    gemma4_session_free(small);
    gemma4_session_free(o);
    gemma4_session_free(t);
    gemma4_session_free(s);
    gemma4_model_free(other);
    gemma4_model_free(m);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: test_e2e_session MODEL.gguf OTHER_MODEL.gguf SCRATCH_DIR\n");
        return 2;
    }
    g_model_path = argv[1];
    g_other_path = argv[2];
    g_scratch = argv[3];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interrupt_prompt_keeps_whole_batches),
        cmocka_unit_test(test_interrupt_generation),
        cmocka_unit_test(test_per_request_sampling),
        cmocka_unit_test(test_media_prefix_reuse),
        cmocka_unit_test(test_state_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
