/*
 * Saving and loading a context's KV state (the format and the rules are in ctx_state.h).
 *
 * Writing walks each own-KV layer's stored positions in order and hands the rows to the callback
 * in runs that are contiguous in the ring (at most two per K or V). Reading first checks the whole
 * header against the target, then streams every row straight into the target's slot for its
 * position, so no buffer the size of the state is ever needed: where the target ring is smaller
 * than what was saved, the older rows land in slots that the newer ones overwrite, as they do
 * during evaluation.
 */
#include "model/ctx_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/context.h"

static const uint8_t MAGIC[4] = {'G', '4', 'K', 'V'};

#define HEADER_BYTES 32
#define LAYER_BYTES 40

/* One own-KV layer's entry of the layer table. */
typedef struct layer_entry {
    uint32_t layer, sliding, n_head_kv, head_dim;
    uint64_t row_bytes;
    int64_t first_pos, n_rows;
} layer_entry;

/* ---- little-endian fields ---------------------------------------------------------------------- */

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 8;
}

static uint32_t get_u32(const uint8_t **p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | (*p)[i];
    *p += 4;
    return v;
}

static uint64_t get_u64(const uint8_t **p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | (*p)[i];
    *p += 8;
    return v;
}

/* ---- what the context holds ---------------------------------------------------------------------- */

/* The positions own-KV layer il stores: all for a global layer, the ring's intact ones for a
 * sliding layer. */
static layer_entry entry_of(const g4_ctx *c, uint32_t il) {
    const g4_kv_cache *kv = c->kv;
    const g4_kv_layer *L = &kv->layers[il];
    const bool sliding = c->model->hp.is_swa[il];
    layer_entry e = {
        .layer = il,
        .sliding = sliding,
        .n_head_kv = (uint32_t)L->n_head_kv,
        .head_dim = (uint32_t)L->head_dim,
        .row_bytes = L->row_bytes,
    };
    /* (swa_from is left over when the cache was cleared or rewound to 0, so n_pos bounds it) */
    if (sliding) e.first_pos = kv->swa_from < kv->n_pos ? kv->swa_from : kv->n_pos;
    e.n_rows = kv->n_pos - e.first_pos;
    return e;
}

static uint32_t n_own_layers(const g4_ctx *c) {
    return c->model->hp.n_layer_kv;
}

size_t g4_ctx_state_bytes(const g4_ctx *c) {
    size_t total = HEADER_BYTES + (size_t)LAYER_BYTES * n_own_layers(c);
    for (uint32_t il = 0; il < n_own_layers(c); il++) {
        const layer_entry e = entry_of(c, il);
        total += 2 * (size_t)e.n_rows * e.row_bytes; /* no overflow: the cache holds these bytes */
    }
    return total;
}

/* ---- the stream, with where it is for messages ---------------------------------------------------- */

typedef struct stream {
    g4_state_write_fn write;
    g4_state_read_fn read;
    void *user;
    uint64_t offset; /* bytes passed so far */
    g4_error *err;
} stream;

/* Passes n bytes through the callback; a failure keeps its status and gets the byte offset and
 * the part of the state in front of the callback's message. */
static gemma4_status transfer(stream *s, void *p, size_t n, const char *what) {
    if (n == 0) return GEMMA4_OK;
    g4_error cb = {0};
    gemma4_status st = s->write ? s->write(s->user, p, n, &cb) : s->read(s->user, p, n, &cb);
    if (st != GEMMA4_OK) {
        return g4_fail(s->err, st, "%s the KV state at byte %llu (%s, %zu bytes): %s", s->write ? "writing" : "reading",
                       (unsigned long long)s->offset, what, n, cb.msg[0] ? cb.msg : "the callback failed");
    }
    s->offset += n;
    return GEMMA4_OK;
}

/* Moves the rows of the positions e names between the stream and one of L's rings (position p
 * at slot p % n_slots), in runs that do not cross the ring's end. */
static gemma4_status transfer_ring(stream *s, uint8_t *ring, const g4_kv_layer *L, const layer_entry *e,
                                   const char *what) {
    const int64_t end = e->first_pos + e->n_rows;
    for (int64_t p = e->first_pos; p < end;) {
        const int64_t slot = p % L->n_slots;
        const int64_t run = L->n_slots - slot < end - p ? L->n_slots - slot : end - p;
        gemma4_status st = transfer(s, ring + (size_t)slot * L->row_bytes, (size_t)run * L->row_bytes, what);
        if (st != GEMMA4_OK) return st;
        p += run;
    }
    return GEMMA4_OK;
}

/* Layer il's K rows, then its V rows. */
static gemma4_status transfer_rows(stream *s, const g4_kv_layer *L, const layer_entry *e, uint32_t il) {
    char what[48];
    snprintf(what, sizeof what, "layer %u K rows", il);
    gemma4_status st = transfer_ring(s, L->k, L, e, what);
    snprintf(what, sizeof what, "layer %u V rows", il);
    return st == GEMMA4_OK ? transfer_ring(s, L->v, L, e, what) : st;
}

/* Layer il's entry of the layer table. */
static gemma4_status transfer_entry(stream *s, uint8_t raw[LAYER_BYTES], uint32_t il) {
    char what[48];
    snprintf(what, sizeof what, "layer table, layer %u", il);
    return transfer(s, raw, LAYER_BYTES, what);
}

/* ---- writing ---------------------------------------------------------------------------------------- */

gemma4_status g4_ctx_state_write(const g4_ctx *c, g4_state_write_fn w, void *user, g4_error *err) {
    const g4_kv_cache *kv = c->kv;
    const g4_hparams *hp = &c->model->hp;
    if (!w) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "writing the KV state: no write callback given");
    stream s = {.write = w, .user = user, .err = err};

    uint8_t head[HEADER_BYTES], *p = head;
    memcpy(p, MAGIC, 4);
    p = put_u32(p + 4, G4_CTX_STATE_VERSION);
    p = put_u32(p, (uint32_t)kv->type);
    p = put_u32(p, hp->n_layer);
    p = put_u32(p, n_own_layers(c));
    p = put_u32(p, hp->n_swa);
    put_u64(p, (uint64_t)kv->n_pos);
    gemma4_status st = transfer(&s, head, sizeof head, "header");

    for (uint32_t il = 0; il < n_own_layers(c) && st == GEMMA4_OK; il++) {
        const layer_entry e = entry_of(c, il);
        uint8_t ent[LAYER_BYTES];
        p = put_u32(ent, e.layer);
        p = put_u32(p, e.sliding);
        p = put_u32(p, e.n_head_kv);
        p = put_u32(p, e.head_dim);
        p = put_u64(p, e.row_bytes);
        p = put_u64(p, (uint64_t)e.first_pos);
        put_u64(p, (uint64_t)e.n_rows);
        st = transfer_entry(&s, ent, il);
    }
    for (uint32_t il = 0; il < n_own_layers(c) && st == GEMMA4_OK; il++) {
        const layer_entry e = entry_of(c, il);
        st = transfer_rows(&s, &kv->layers[il], &e, il);
    }
    return st;
}

/* ---- reading ---------------------------------------------------------------------------------------- */

/* Checks the fixed header against c; *n_pos gets the state's position. */
static gemma4_status check_header(const g4_ctx *c, const uint8_t *head, int64_t *n_pos, g4_error *err) {
    const g4_kv_cache *kv = c->kv;
    const g4_hparams *hp = &c->model->hp;
    if (memcmp(head, MAGIC, 4) != 0) {
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "not a KV state: it starts with bytes %02x %02x %02x %02x, a KV state with 'G4KV'", head[0],
                       head[1], head[2], head[3]);
    }
    const uint8_t *p = head + 4;
    const uint32_t version = get_u32(&p), type = get_u32(&p), n_layer = get_u32(&p), n_layer_kv = get_u32(&p),
                   n_swa = get_u32(&p);
    const uint64_t pos = get_u64(&p);
    if (version != G4_CTX_STATE_VERSION) {
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "KV state version %u is not supported (this build reads version %d)", version,
                       G4_CTX_STATE_VERSION);
    }
    if (type != (uint32_t)kv->type) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "KV state: KV cache type %s in the state, %s in this context",
                       g4_type_name(type), g4_type_name(kv->type));
    }
    if (n_layer != hp->n_layer) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "KV state: %u layers in the state, %u in this model", n_layer,
                       hp->n_layer);
    }
    if (n_layer_kv != hp->n_layer_kv) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                       "KV state: %u layers with their own KV in the state, %u in this model", n_layer_kv,
                       hp->n_layer_kv);
    }
    if (n_swa != hp->n_swa) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "KV state: sliding window %u in the state, %u in this model", n_swa,
                       hp->n_swa);
    }
    if (pos > (uint64_t)kv->n_ctx) {
        return g4_fail(err, GEMMA4_ERR_CONTEXT_FULL,
                       "KV state: it holds %llu positions, this context has room for %lld (n_ctx)",
                       (unsigned long long)pos, (long long)kv->n_ctx);
    }
    *n_pos = (int64_t)pos;
    return GEMMA4_OK;
}

/* Decodes layer table entry i and checks it against c's layer i and the state's position. */
static gemma4_status check_entry(const g4_ctx *c, uint32_t il, const uint8_t *raw, int64_t n_pos, layer_entry *e,
                                 g4_error *err) {
    const g4_kv_layer *L = &c->kv->layers[il];
    const bool sliding = c->model->hp.is_swa[il];
    const uint8_t *p = raw;
    e->layer = get_u32(&p);
    e->sliding = get_u32(&p);
    e->n_head_kv = get_u32(&p);
    e->head_dim = get_u32(&p);
    e->row_bytes = get_u64(&p);
    const uint64_t first = get_u64(&p), n_rows = get_u64(&p);

    if (e->layer != il) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "KV state: entry %u of the layer table describes layer %u", il,
                       e->layer);
    }
    if (e->sliding > 1) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "KV state: layer %u: sliding flag %u is neither 0 nor 1", il,
                       e->sliding);
    }
    if (e->sliding != (uint32_t)sliding) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "KV state: layer %u: %s in the state, %s in this model", il,
                       e->sliding ? "sliding-window" : "global", sliding ? "sliding-window" : "global");
    }
    if (e->n_head_kv != (uint64_t)L->n_head_kv) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "KV state: layer %u: n_head_kv %u in the state, %lld in this model",
                       il, e->n_head_kv, (long long)L->n_head_kv);
    }
    if (e->head_dim != (uint64_t)L->head_dim) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "KV state: layer %u: head_dim %u in the state, %lld in this model",
                       il, e->head_dim, (long long)L->head_dim);
    }
    /* same type and shape, so the same row size unless the state is corrupt */
    if (e->row_bytes != L->row_bytes) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "KV state: layer %u: rows of %llu bytes in the state, %zu in this model",
                       il, (unsigned long long)e->row_bytes, L->row_bytes);
    }
    /* the rows end at the state's position (first + n_rows == n_pos, first <= n_pos) */
    if (first > (uint64_t)n_pos || n_rows != (uint64_t)n_pos - first) {
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "KV state: layer %u: %llu rows from position %llu do not end at the state's position %lld", il,
                       (unsigned long long)n_rows, (unsigned long long)first, (long long)n_pos);
    }
    e->first_pos = (int64_t)first;
    e->n_rows = (int64_t)n_rows;
    if (!sliding && e->first_pos != 0) {
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "KV state: global layer %u starts at position %lld, but must hold every position from 0", il,
                       (long long)e->first_pos);
    }
    /* a sliding layer must bring the window that the next position attends to */
    const int64_t need_from = n_pos - (int64_t)c->kv->n_swa + 1 > 0 ? n_pos - (int64_t)c->kv->n_swa + 1 : 0;
    if (sliding && e->first_pos > need_from) {
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "KV state: sliding layer %u starts at position %lld, but position %lld attends back to %lld", il,
                       (long long)e->first_pos, (long long)n_pos, (long long)need_from);
    }
    return GEMMA4_OK;
}

static gemma4_status read_state(g4_ctx *c, stream *s, layer_entry *entries) {
    g4_kv_cache *kv = c->kv;
    const uint32_t n_own = n_own_layers(c);
    uint8_t head[HEADER_BYTES];
    int64_t n_pos = 0;
    gemma4_status st = transfer(s, head, sizeof head, "header");
    if (st == GEMMA4_OK) st = check_header(c, head, &n_pos, s->err);
    for (uint32_t il = 0; il < n_own && st == GEMMA4_OK; il++) {
        uint8_t raw[LAYER_BYTES];
        st = transfer_entry(s, raw, il);
        if (st == GEMMA4_OK) st = check_entry(c, il, raw, n_pos, &entries[il], s->err);
    }

    /* every row into this cache's slot for its position: a sliding ring then holds the last
     * min(n_rows, n_slots) positions */
    int64_t swa_from = 0;
    for (uint32_t il = 0; il < n_own && st == GEMMA4_OK; il++) {
        const g4_kv_layer *L = &kv->layers[il];
        const layer_entry *e = &entries[il];
        st = transfer_rows(s, L, e, il);
        if (e->sliding) {
            const int64_t kept_from = e->first_pos > n_pos - L->n_slots ? e->first_pos : n_pos - L->n_slots;
            if (kept_from > swa_from) swa_from = kept_from;
        }
    }
    if (st == GEMMA4_OK) g4_kv_restore(kv, n_pos, swa_from);
    return st;
}

gemma4_status g4_ctx_state_read(g4_ctx *c, g4_state_read_fn r, void *user, g4_error *err) {
    /* empty from the start: whatever goes wrong below, nothing half-loaded is ever in use */
    g4_kv_restore(c->kv, 0, 0);
    if (!r) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "reading the KV state: no read callback given");
    layer_entry *entries = calloc(n_own_layers(c) ? n_own_layers(c) : 1, sizeof *entries);
    if (!entries) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory reading a KV state");
    stream s = {.read = r, .user = user, .err = err};
    gemma4_status st = read_state(c, &s, entries);
    free(entries);
    return st;
}
