/* A context's KV state to bytes and back (model/ctx_state.h) on tiny models: the same next logits,
 * bit for bit, after loading into contexts with the same parameters, another n_batch (a smaller
 * or larger sliding ring), a larger n_ctx or a full sliding cache, with f16, q8_0 and f32 KV, past
 * the sliding window; what rewinding reaches afterwards; and every refusal (another model shape,
 * another KV type, a state longer than the context, a corrupt header, a stream cut anywhere, a
 * failing writer), each leaving the target empty and usable. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/context.h"
#include "model/ctx_state.h"
#include "model/forward.h"
#include "model/model.h"
#include "test_model_fixture.h"
#include "testkit.h"

#define N_PROMPT 40 /* past the window (8) and the source's ring (8 + 16 - 1 = 23): the rings wrapped */
#define N_NEXT 12
#define SRC_CTX 64
#define SRC_BATCH 16

#define assert_msg_has(err, sub)                                                                                       \
    do {                                                                                                               \
        if (!strstr((err).msg, (sub))) fail_msg("message '%s' does not contain '%s'", (err).msg, (sub));               \
    } while (0)

static g4_ctx *new_ctx(const g4_model *m, int n_ctx, int n_batch, g4_type kv_type, bool swa_full) {
    g4_ctx_params p = g4_ctx_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.kv_type = kv_type;
    p.swa_full = swa_full;
    g4_ctx *c = NULL;
    g4_error err = {0};
    if (g4_ctx_new(m, &p, &c, &err) != GEMMA4_OK) fail_msg("context: %s", err.msg);
    return c;
}

static void tokens(int32_t *toks, int n, uint32_t n_vocab, uint64_t seed) {
    g4t_rng rng;
    g4t_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) toks[i] = (int32_t)(g4t_rng_u64(&rng) % n_vocab);
}

/* ---- a state in memory ----------------------------------------------------------------------------- */

typedef struct membuf {
    uint8_t *p;
    size_t len, cap;
    size_t pos;       /* read position */
    size_t fail_from; /* writing: bytes accepted before "disk full" (SIZE_MAX: never) */
} membuf;

static gemma4_status mem_write(void *user, const void *p, size_t n, g4_error *err) {
    membuf *b = user;
    if (b->len + n > b->fail_from) return g4_fail(err, GEMMA4_ERR_IO, "disk full");
    if (b->len + n > b->cap) {
        b->cap = 2 * (b->len + n);
        b->p = realloc(b->p, b->cap);
        if (!b->p) return g4_fail(err, GEMMA4_ERR_NOMEM, "test buffer");
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return GEMMA4_OK;
}

static gemma4_status mem_read(void *user, void *p, size_t n, g4_error *err) {
    membuf *b = user;
    if (n > b->len - b->pos) return g4_fail(err, GEMMA4_ERR_FORMAT, "the stream ends after %zu bytes", b->len);
    memcpy(p, b->p + b->pos, n);
    b->pos += n;
    return GEMMA4_OK;
}

static membuf save(const g4_ctx *c) {
    membuf b = {.fail_from = SIZE_MAX};
    g4_error err = {0};
    if (g4_ctx_state_write(c, mem_write, &b, &err) != GEMMA4_OK) fail_msg("save: %s", err.msg);
    assert_int_equal(b.len, g4_ctx_state_bytes(c));
    return b;
}

/* Loads the first len bytes of b into c. */
static gemma4_status load_state(g4_ctx *c, const membuf *b, size_t len, g4_error *err) {
    membuf r = {.p = b->p, .len = len};
    gemma4_status st = g4_ctx_state_read(c, mem_read, &r, err);
    if (st == GEMMA4_OK) assert_int_equal(r.pos, len); /* it read what was written, nothing more */
    return st;
}

/* ---- round trips ------------------------------------------------------------------------------------- */

/* Evaluates toks one call per token (a batch of one whatever n_batch is, so that two contexts run
 * exactly the same arithmetic) and returns all their logits. */
static float *continue_by_one(g4_ctx *c, const int32_t *toks, int n) {
    const int V = (int)g4_ctx_model(c)->hp.n_vocab;
    float *logits = malloc(sizeof(float) * (size_t)(n * V));
    g4_error err = {0};
    for (int i = 0; i < n; i++) {
        if (g4_forward_tokens(c, &toks[i], 1, logits + i * V, false, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    }
    return logits;
}

static void expect_same_logits(const float *got, const float *want, int n, int V, const char *what) {
    for (int i = 0; i < n * V; i++) {
        if (memcmp(&got[i], &want[i], sizeof got[i]) != 0)
            fail_msg("%s: next token %d, logit %d: %.9g, want %.9g (bit for bit)", what, i / V, i % V, (double)got[i],
                     (double)want[i]);
    }
}

typedef struct target {
    int n_ctx, n_batch;
    bool swa_full;
    int rewind_reach; /* how far back g4_ctx_can_rewind must allow (no further) */
    const char *what;
} target;

static void check_round_trips(g4_type kv_type, bool src_swa_full) {
    tiny_cfg cfg = tiny_default();
    fixture fx;
    tiny_model_load(&cfg, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t prompt[N_PROMPT], next[N_NEXT];
    tokens(prompt, N_PROMPT, (uint32_t)V, 1234);
    tokens(next, N_NEXT, (uint32_t)V, 99);

    g4_error err = {0};
    g4_ctx *src = new_ctx(fx.m, SRC_CTX, SRC_BATCH, kv_type, src_swa_full);
    assert_int_equal(g4_forward_tokens(src, prompt, N_PROMPT, NULL, false, &err), GEMMA4_OK);
    membuf state = save(src);
    float *want = continue_by_one(src, next, N_NEXT); /* what the source says next */

    /* rewinding reaches back min(saved n_batch, target n_batch) positions, either one unlimited
     * with swa_full, both unlimited: anywhere */
    const int src_reach = src_swa_full ? N_PROMPT : SRC_BATCH;
    const target targets[] = {
        {SRC_CTX, SRC_BATCH, false, SRC_BATCH, "same parameters"},
        {SRC_CTX, 4, false, 4, "n_batch 4 (a smaller ring)"},
        {SRC_CTX, 1, false, 1, "n_batch 1 (the smallest ring, n_swa slots)"},
        {SRC_CTX, 48, false, src_reach, "n_batch 48 (a larger ring than the saved one)"},
        {256, SRC_BATCH, false, SRC_BATCH, "n_ctx 256"},
        {128, 8, true, src_reach, "a full sliding cache"},
        {N_PROMPT, 2, false, 2, "n_ctx just large enough"},
    };
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        const target *t = &targets[i];
        g4_ctx *dst = new_ctx(fx.m, t->n_ctx, t->n_batch, kv_type, t->swa_full);
        const int32_t junk[3] = {5, 6, 7}; /* something to replace */
        assert_int_equal(g4_forward_tokens(dst, junk, 3, NULL, false, &err), GEMMA4_OK);
        if (load_state(dst, &state, state.len, &err) != GEMMA4_OK) fail_msg("%s: load: %s", t->what, err.msg);
        assert_int_equal(g4_ctx_pos(dst), N_PROMPT);

        const int reach = t->rewind_reach < N_PROMPT ? t->rewind_reach : N_PROMPT;
        if (!g4_ctx_can_rewind(dst, N_PROMPT - reach)) fail_msg("%s: cannot rewind by %d", t->what, reach);
        if (reach < N_PROMPT && g4_ctx_can_rewind(dst, N_PROMPT - reach - 1))
            fail_msg("%s: claims to rewind by %d, past the rows it holds", t->what, reach + 1);

        if (N_PROMPT + N_NEXT <= t->n_ctx) {
            float *got = continue_by_one(dst, next, N_NEXT);
            expect_same_logits(got, want, N_NEXT, V, t->what);
            free(got);
        } else { /* loaded to the brim */
            assert_int_equal(g4_forward_tokens(dst, next, 1, NULL, false, &err), GEMMA4_ERR_CONTEXT_FULL);
        }
        g4_ctx_free(dst);
    }

    /* the furthest rewind it allows is real: re-evaluating from there gives the same next logits
     * (up to the rounding of one-token batches against the saved ones' 16) */
    g4_ctx *dst = new_ctx(fx.m, SRC_CTX, 48, kv_type, false);
    assert_int_equal(load_state(dst, &state, state.len, &err), GEMMA4_OK);
    const int back = N_PROMPT - (src_reach < N_PROMPT ? src_reach : N_PROMPT - 1);
    assert_int_equal(g4_ctx_rewind(dst, back, &err), GEMMA4_OK);
    float *redo = continue_by_one(dst, prompt + back, N_PROMPT - back);
    free(redo);
    float *got = continue_by_one(dst, next, N_NEXT);
    for (int i = 0; i < N_NEXT * V; i++) {
        if (fabsf(got[i] - want[i]) > 1e-3f * (1.0f + fabsf(want[i])))
            fail_msg("after rewinding to %d: logit %d is %g, want %g", back, i, (double)got[i], (double)want[i]);
    }
    free(got);
    g4_ctx_free(dst);

    free(want);
    free(state.p);
    g4_ctx_free(src);
    tiny_model_free(&fx);
}

static void test_round_trip_f16(void **state) {
    (void)state;
    check_round_trips(G4_TYPE_F16, false);
}

static void test_round_trip_q8_0(void **state) {
    (void)state;
    check_round_trips(G4_TYPE_Q8_0, false);
}

static void test_round_trip_f32_from_full_sliding_cache(void **state) {
    (void)state;
    check_round_trips(G4_TYPE_F32, true);
    check_round_trips(G4_TYPE_F16, true);
}

/* The stream is the documented layout, and short states (nothing yet; no wrap yet) load too. */
static void test_layout_and_short_states(void **state) {
    (void)state;
    tiny_cfg cfg = tiny_default(); /* own-KV layers [S S S G]: head_dim 32 / 64, 2 KV heads */
    fixture fx;
    tiny_model_load(&cfg, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t prompt[N_PROMPT];
    tokens(prompt, N_PROMPT, (uint32_t)V, 1234);
    g4_error err = {0};
    g4_ctx *src = new_ctx(fx.m, SRC_CTX, SRC_BATCH, G4_TYPE_F16, false);
    assert_int_equal(g4_forward_tokens(src, prompt, N_PROMPT, NULL, false, &err), GEMMA4_OK);
    membuf b = save(src);
    /* header, 4 layer entries, 3 sliding layers x K+V x 23 ring rows of 2*32 halves, 1 global
     * layer x K+V x 40 rows of 2*64 halves */
    assert_int_equal(b.len, 32 + 4 * 40 + 3 * 2 * 23 * 128 + 2 * 40 * 256);
    assert_memory_equal(b.p, "G4KV", 4);
    assert_int_equal(b.p[4], G4_CTX_STATE_VERSION);
    assert_int_equal(b.p[8], G4_TYPE_F16);
    assert_int_equal(b.p[12], 6); /* n_layer */
    assert_int_equal(b.p[16], 4); /* own-KV layers */
    assert_int_equal(b.p[20], 8); /* n_swa */
    assert_int_equal(b.p[24], N_PROMPT);
    const uint8_t *l3 = b.p + 32 + 3 * 40; /* the global layer: all 40 positions from 0 */
    assert_int_equal(l3[0], 3);
    assert_int_equal(l3[4], 0);
    assert_int_equal(l3[12], 64);
    assert_int_equal(l3[16] | l3[17] << 8, 256);
    assert_int_equal(l3[24], 0);
    assert_int_equal(l3[32], N_PROMPT);
    assert_int_equal(b.p[32 + 24], N_PROMPT - 23); /* a sliding layer: its ring's 23 */
    free(b.p);

    /* an empty context, and one that has not wrapped yet */
    g4_ctx_clear(src);
    b = save(src);
    assert_int_equal(b.len, 32 + 4 * 40);
    g4_ctx *dst = new_ctx(fx.m, 16, 4, G4_TYPE_F16, false);
    assert_int_equal(load_state(dst, &b, b.len, &err), GEMMA4_OK);
    assert_int_equal(g4_ctx_pos(dst), 0);
    free(b.p);
    assert_int_equal(g4_forward_tokens(src, prompt, 5, NULL, false, &err), GEMMA4_OK);
    b = save(src);
    assert_int_equal(load_state(dst, &b, b.len, &err), GEMMA4_OK);
    assert_int_equal(g4_ctx_pos(dst), 5);
    assert_true(g4_ctx_can_rewind(dst, 1)); /* nothing was overwritten anywhere */
    float *want = continue_by_one(src, prompt + 5, 6), *got = continue_by_one(dst, prompt + 5, 6);
    expect_same_logits(got, want, 6, V, "from 5 positions");
    free(want);
    free(got);
    free(b.p);
    g4_ctx_free(dst);
    g4_ctx_free(src);
    tiny_model_free(&fx);
}

static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The state b with each sliding layer cut down to its last `keep` positions: a valid state
 * that another writer (one with a smaller ring) could have made. */
static membuf trim_sliding(const membuf *b, int64_t keep) {
    const uint32_t n_own = b->p[16];
    const int64_t n_pos = (int64_t)get64(b->p + 24);
    membuf out = {.fail_from = SIZE_MAX};
    g4_error err = {0};
    const size_t table = 32 + 40 * (size_t)n_own;
    assert_int_equal(mem_write(&out, b->p, table, &err), GEMMA4_OK);
    size_t at = table;
    for (uint32_t il = 0; il < n_own; il++) {
        uint8_t *e = out.p + 32 + 40 * il;
        const size_t row = (size_t)get64(e + 16), rows = (size_t)get64(e + 32);
        const size_t drop = e[4] ? rows - (size_t)keep : 0;
        if (e[4]) {
            put64(e + 24, (uint64_t)(n_pos - keep));
            put64(e + 32, (uint64_t)keep);
        }
        for (int kv = 0; kv < 2; kv++) { /* K, then V */
            assert_int_equal(mem_write(&out, b->p + at + drop * row, (rows - drop) * row, &err), GEMMA4_OK);
            at += rows * row;
            e = out.p + 32 + 40 * il; /* mem_write may have moved the buffer */
        }
    }
    assert_int_equal(at, b->len);
    return out;
}

/* A sliding layer needs only the n_swa - 1 positions before the next one: a state with just
 * those gives the same next logits, and leaves no rewind. */
static void test_minimal_window_state(void **state) {
    (void)state;
    tiny_cfg cfg = tiny_default();
    fixture fx;
    tiny_model_load(&cfg, &fx);
    const int V = (int)fx.m->hp.n_vocab;
    int32_t prompt[N_PROMPT], next[N_NEXT];
    tokens(prompt, N_PROMPT, (uint32_t)V, 1234);
    tokens(next, N_NEXT, (uint32_t)V, 99);
    g4_error err = {0};
    g4_ctx *src = new_ctx(fx.m, SRC_CTX, SRC_BATCH, G4_TYPE_F16, false);
    assert_int_equal(g4_forward_tokens(src, prompt, N_PROMPT, NULL, false, &err), GEMMA4_OK);
    membuf full = save(src);
    membuf minimal = trim_sliding(&full, 8 - 1);
    assert_int_equal(minimal.len, full.len - 3 * 2 * 16 * 128);
    float *want = continue_by_one(src, next, N_NEXT);

    g4_ctx *dst = new_ctx(fx.m, SRC_CTX, 4, G4_TYPE_F16, false);
    if (load_state(dst, &minimal, minimal.len, &err) != GEMMA4_OK) fail_msg("load: %s", err.msg);
    assert_false(g4_ctx_can_rewind(dst, N_PROMPT - 1));
    assert_true(g4_ctx_can_rewind(dst, 0));
    assert_int_equal(g4_ctx_rewind(dst, N_PROMPT - 1, &err), GEMMA4_ERR_INVALID_ARG);
    assert_msg_has(err, "holds only positions 33..");
    membuf again = save(dst); /* saving it again writes what it holds: the window */
    assert_int_equal(again.len, minimal.len);
    assert_memory_equal(again.p, minimal.p, minimal.len);
    free(again.p);
    float *got = continue_by_one(dst, next, N_NEXT);
    expect_same_logits(got, want, N_NEXT, V, "the window alone");
    again = save(dst); /* 52 positions now, its ring of 11 holds 41.. */
    assert_int_equal(get64(again.p + 32 + 24), N_PROMPT + N_NEXT - 11);
    free(again.p);
    free(got);
    free(want);
    free(minimal.p);
    free(full.p);
    g4_ctx_free(dst);
    g4_ctx_free(src);
    tiny_model_free(&fx);
}

/* ---- refusals ---------------------------------------------------------------------------------------- */

/* After a refused load: empty, and evaluating from scratch gives a fresh context's bits. */
static void expect_empty_and_usable(g4_ctx *c, const g4_model *m, const char *what) {
    if (g4_ctx_pos(c) != 0) fail_msg("%s: the context holds %d positions after a failed load", what, g4_ctx_pos(c));
    const int V = (int)m->hp.n_vocab;
    int32_t toks[3];
    tokens(toks, 3, (uint32_t)V, 7);
    g4_ctx *fresh = new_ctx(m, g4_ctx_n_ctx(c), g4_ctx_n_batch(c), c->kv->type, c->kv->swa_full);
    float *got = continue_by_one(c, toks, 3), *want = continue_by_one(fresh, toks, 3);
    expect_same_logits(got, want, 3, V, what);
    free(got);
    free(want);
    g4_ctx_free(fresh);
    g4_ctx_rewind(c, 0, NULL);
}

/* Loads b into c (which first gets some content), expecting status and a message part. */
static void expect_refused(g4_ctx *c, const membuf *b, size_t len, gemma4_status want, const char *msg_part) {
    g4_error err = {0};
    const int32_t junk[4] = {9, 8, 7, 6};
    assert_int_equal(g4_forward_tokens(c, junk, 4, NULL, false, &err), GEMMA4_OK);
    const gemma4_status st = load_state(c, b, len, &err);
    if (st != want)
        fail_msg("loading (%zu bytes): %s, want %s (%s)", len, gemma4_status_name(st), gemma4_status_name(want),
                 err.msg);
    assert_msg_has(err, msg_part);
    expect_empty_and_usable(c, g4_ctx_model(c), msg_part);
}

/* A state of N_PROMPT positions from the default tiny model's context (n_ctx 64, n_batch 16). */
static membuf default_state(const fixture *fx, g4_type kv_type) {
    int32_t prompt[N_PROMPT];
    tokens(prompt, N_PROMPT, fx->m->hp.n_vocab, 1234);
    g4_ctx *src = new_ctx(fx->m, SRC_CTX, SRC_BATCH, kv_type, false);
    g4_error err = {0};
    assert_int_equal(g4_forward_tokens(src, prompt, N_PROMPT, NULL, false, &err), GEMMA4_OK);
    membuf b = save(src);
    g4_ctx_free(src);
    return b;
}

static void test_refuses_other_models_and_types(void **state) {
    (void)state;
    tiny_cfg cfg = tiny_default();
    fixture fx;
    tiny_model_load(&cfg, &fx);
    membuf b = default_state(&fx, G4_TYPE_F16);

    g4_ctx *c = new_ctx(fx.m, SRC_CTX, SRC_BATCH, G4_TYPE_Q8_0, false);
    expect_refused(c, &b, b.len, GEMMA4_ERR_INVALID_ARG, "KV cache type f16 in the state, q8_0 in this context");
    g4_ctx_free(c);
    c = new_ctx(fx.m, 32, SRC_BATCH, G4_TYPE_F16, false);
    expect_refused(c, &b, b.len, GEMMA4_ERR_CONTEXT_FULL, "it holds 40 positions, this context has room for 32");
    g4_ctx_free(c);

    struct other {
        const char *msg;
        uint32_t head_dim, n_head_kv, n_layer, n_swa, n_shared;
    } const shapes[] = {
        {"layer 3: head_dim 64 in the state, 128 in this model", 128, 2, 6, 8, 2},
        {"layer 0: n_head_kv 2 in the state, 1 in this model", 64, 1, 6, 8, 2},
        {"6 layers in the state, 7 in this model", 64, 2, 7, 8, 2},
        {"4 layers with their own KV in the state, 5 in this model", 64, 2, 6, 8, 1},
        {"sliding window 8 in the state, 16 in this model", 64, 2, 6, 16, 2},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tiny_cfg oc = tiny_default();
        oc.head_dim = shapes[i].head_dim;
        oc.n_head_kv = shapes[i].n_head_kv;
        oc.n_layer = shapes[i].n_layer;
        oc.n_swa = shapes[i].n_swa;
        oc.n_shared = shapes[i].n_shared;
        fixture other;
        tiny_model_load(&oc, &other);
        c = new_ctx(other.m, SRC_CTX, SRC_BATCH, G4_TYPE_F16, false);
        expect_refused(c, &b, b.len, GEMMA4_ERR_INVALID_ARG, shapes[i].msg);
        g4_ctx_free(c);
        tiny_model_free(&other);
    }

    /* a layer of another type at the same place */
    tiny_cfg oc = tiny_default();
    fixture other;
    oc.swa_period = 2; /* [S G S G | S G]: layer 1 global where the state has it sliding */
    tiny_model_load(&oc, &other);
    c = new_ctx(other.m, SRC_CTX, SRC_BATCH, G4_TYPE_F16, false);
    expect_refused(c, &b, b.len, GEMMA4_ERR_INVALID_ARG, "layer 1: sliding-window in the state, global in this model");
    g4_ctx_free(c);
    tiny_model_free(&other);

    free(b.p);
    tiny_model_free(&fx);
}

static void test_refuses_truncated_streams(void **state) {
    (void)state;
    tiny_cfg cfg = tiny_default();
    fixture fx;
    tiny_model_load(&cfg, &fx);
    membuf b = default_state(&fx, G4_TYPE_Q8_0);
    g4_ctx *c = new_ctx(fx.m, SRC_CTX, 4, G4_TYPE_Q8_0, false);
    /* Where each cut lands as this context reads: q8_0 rows of 2 x 34 bytes (sliding layers) and
     * 4 x 34 (the global layer 3); layer 0 brings positions 17..39, which this context's ring of
     * 8 + 4 - 1 = 11 takes in runs of 5, 11 and 7 rows (slots 6..10, 0..10, 0..6). */
    const size_t data = 32 + 4 * 40, k0 = 23 * 68, v3 = b.len - 40 * 136;
    const struct {
        size_t len;
        const char *where;
    } cuts[] = {
        {0, "at byte 0 (header, 32 bytes)"},
        {1, "at byte 0 (header, 32 bytes)"},
        {31, "at byte 0 (header, 32 bytes)"},
        {32, "at byte 32 (layer table, layer 0, 40 bytes)"},
        {32 + 2 * 40 + 17, "at byte 112 (layer table, layer 2, 40 bytes)"},
        {data, "at byte 192 (layer 0 K rows, 340 bytes)"},
        {data + 100, "at byte 192 (layer 0 K rows, 340 bytes)"},
        {data + 340 + 747, "at byte 532 (layer 0 K rows, 748 bytes)"},
        {data + k0 + 1, "at byte 1756 (layer 0 V rows, 340 bytes)"},
        {v3 + 5, NULL}, /* layer 3's V rows: one run of 40 rows */
        {b.len - 1, NULL},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char want[160], where[64];
        snprintf(where, sizeof where, "at byte %zu (layer 3 V rows, %d bytes)", v3, 40 * 136);
        snprintf(want, sizeof want, "reading the KV state %s: the stream ends after %zu bytes",
                 cuts[i].where ? cuts[i].where : where, cuts[i].len);
        expect_refused(c, &b, cuts[i].len, GEMMA4_ERR_FORMAT, want);
    }
    /* the whole stream still loads into the same context */
    g4_error err = {0};
    assert_int_equal(load_state(c, &b, b.len, &err), GEMMA4_OK);
    assert_int_equal(g4_ctx_pos(c), N_PROMPT);
    g4_ctx_free(c);
    free(b.p);
    tiny_model_free(&fx);
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void test_refuses_corrupt_headers(void **state) {
    (void)state;
    tiny_cfg cfg = tiny_default();
    fixture fx;
    tiny_model_load(&cfg, &fx);
    membuf b = default_state(&fx, G4_TYPE_F16);
    uint8_t *orig = malloc(b.len);
    memcpy(orig, b.p, b.len);
    g4_ctx *c = new_ctx(fx.m, SRC_CTX, SRC_BATCH, G4_TYPE_F16, false);
    const size_t l0 = 32, l3 = 32 + 3 * 40; /* sliding layer 0's entry, global layer 3's */
    const struct {
        size_t at;
        uint32_t value;
        gemma4_status want;
        const char *msg;
    } edits[] = {
        {0, 0x46554747, GEMMA4_ERR_FORMAT, "not a KV state: it starts with bytes 47 47 55 46"},
        {4, 2, GEMMA4_ERR_UNSUPPORTED, "KV state version 2 is not supported"},
        {24, 41, GEMMA4_ERR_FORMAT, "layer 0: 23 rows from position 17 do not end at the state's position 41"},
        {l0, 1, GEMMA4_ERR_FORMAT, "entry 0 of the layer table describes layer 1"},
        {l0 + 4, 2, GEMMA4_ERR_FORMAT, "layer 0: sliding flag 2 is neither 0 nor 1"},
        {l0 + 16, 129, GEMMA4_ERR_FORMAT, "layer 0: rows of 129 bytes in the state, 128 in this model"},
        {l0 + 24, 18, GEMMA4_ERR_FORMAT, "layer 0: 23 rows from position 18 do not end"},
        {l3 + 24, 1, GEMMA4_ERR_FORMAT, "layer 3: 40 rows from position 1 do not end"},
        {l3 + 32, 41, GEMMA4_ERR_FORMAT, "layer 3: 41 rows from position 0 do not end"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        memcpy(b.p, orig, b.len);
        put32(b.p + edits[i].at, edits[i].value);
        expect_refused(c, &b, b.len, edits[i].want, edits[i].msg);
    }
    /* consistent rows, but not what the layer needs */
    memcpy(b.p, orig, b.len);
    put32(b.p + l3 + 24, 1);
    put32(b.p + l3 + 32, 39);
    expect_refused(c, &b, b.len, GEMMA4_ERR_FORMAT, "global layer 3 starts at position 1, but must hold every");
    memcpy(b.p, orig, b.len);
    put32(b.p + l0 + 24, 34);
    put32(b.p + l0 + 32, 6);
    expect_refused(c, &b, b.len, GEMMA4_ERR_FORMAT,
                   "sliding layer 0 starts at position 34, but position 40 attends back to 33");

    g4_ctx_free(c);
    free(orig);
    free(b.p);
    tiny_model_free(&fx);
}

static void test_write_failure_and_no_callbacks(void **state) {
    (void)state;
    tiny_cfg cfg = tiny_default();
    fixture fx;
    tiny_model_load(&cfg, &fx);
    int32_t prompt[N_PROMPT];
    tokens(prompt, N_PROMPT, fx.m->hp.n_vocab, 1234);
    g4_ctx *c = new_ctx(fx.m, SRC_CTX, SRC_BATCH, G4_TYPE_F16, false);
    g4_error err = {0};
    assert_int_equal(g4_forward_tokens(c, prompt, N_PROMPT, NULL, false, &err), GEMMA4_OK);
    membuf b = {.fail_from = 1000};
    assert_int_equal(g4_ctx_state_write(c, mem_write, &b, &err), GEMMA4_ERR_IO);
    /* layer 0's ring of 23 holds 17..39 in slots 17..22 then 0..16: the first run (6 rows from byte
     * 192) went through, the second (17 rows of 128 bytes) did not */
    assert_msg_has(err, "writing the KV state at byte 960 (layer 0 K rows, 2176 bytes): disk full");
    assert_msg_has(err, "disk full");
    assert_int_equal(g4_ctx_pos(c), N_PROMPT); /* writing never changes the context */
    free(b.p);
    /* no callback at all */
    assert_int_equal(g4_ctx_state_write(c, NULL, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_msg_has(err, "no write callback");
    assert_int_equal(g4_ctx_state_read(c, NULL, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_msg_has(err, "no read callback");
    assert_int_equal(g4_ctx_pos(c), 0);
    g4_ctx_free(c);
    tiny_model_free(&fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_f16),
        cmocka_unit_test(test_round_trip_q8_0),
        cmocka_unit_test(test_round_trip_f32_from_full_sliding_cache),
        cmocka_unit_test(test_layout_and_short_states),
        cmocka_unit_test(test_minimal_window_state),
        cmocka_unit_test(test_refuses_other_models_and_types),
        cmocka_unit_test(test_refuses_truncated_streams),
        cmocka_unit_test(test_refuses_corrupt_headers),
        cmocka_unit_test(test_write_failure_and_no_callbacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
