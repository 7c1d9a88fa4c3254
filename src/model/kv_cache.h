/*
 * The KV cache of one context (session). Only layers that compute their own K/V (the first
 * n_layer_kv) get storage; a KV-shared layer reads its source layer's (g4_hparams_kv_source).
 *
 * Global layers keep every position: n_ctx slots. Sliding layers keep a ring: position p lives in
 * slot p % n_slots with n_slots = n_swa + n_batch - 1, because a micro-batch of n_batch tokens
 * writes all its keys before any of its queries attend, and its first query still needs the
 * n_swa - 1 positions before it (fewer slots would let the batch overwrite them). With swa_full the
 * sliding layers keep every position too, which costs memory but allows rewinding anywhere.
 *
 * Storage is f16 by default (as llama.cpp's), q8_0 or f32 on request, the same type for K and V.
 * A row (slot) holds all KV heads of one position: n_head_kv * head_dim elements.
 */
#ifndef G4_MODEL_KV_CACHE_H
#define G4_MODEL_KV_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "kernels/attention.h"
#include "model/hparams.h"

typedef struct g4_kv_config {
    int64_t n_ctx;   /* positions the context can hold, 1..n_ctx_train */
    int64_t n_batch; /* largest micro-batch the forward pass will write at once, >= 1 */
    g4_type type;    /* G4_TYPE_F16 (default), G4_TYPE_Q8_0 or G4_TYPE_F32 */
    bool swa_full;   /* sliding layers keep all n_ctx positions (rewind to any position) */
} g4_kv_config;

/* Memory of a cache, per layer type (an "own" layer is one with storage). */
typedef struct g4_kv_size {
    uint32_t n_swa_layers;     /* own-KV sliding layers */
    uint32_t n_global_layers;  /* own-KV global layers */
    int64_t swa_slots;         /* positions kept by each sliding layer */
    int64_t global_slots;      /* positions kept by each global layer (= n_ctx) */
    size_t bytes_swa_layer;    /* K + V of one sliding layer */
    size_t bytes_global_layer; /* K + V of one global layer */
    size_t total;
} g4_kv_size;

typedef struct g4_kv_layer {
    uint32_t src; /* the layer whose storage this layer reads (itself if it owns one) */
    int64_t n_slots;
    int64_t n_head_kv;
    int64_t head_dim;
    size_t row_bytes; /* bytes per slot: n_head_kv * head_dim elements of the cache type */
    uint8_t *k, *v;   /* NULL for KV-shared layers */
} g4_kv_layer;

typedef struct g4_kv_cache {
    g4_type type;
    int64_t n_ctx;
    int64_t n_batch;
    int64_t n_swa;
    bool swa_full;
    int64_t n_pos; /* positions [0, n_pos) are stored */
    /* The sliding layers still hold intact rows for positions [swa_from, n_pos): the ring has
     * overwritten older ones, and a loaded state (ctx_state.h) may bring fewer than the ring holds.
     * Global layers hold all of [0, n_pos). */
    int64_t swa_from;
    uint32_t n_layer;
    g4_kv_layer *layers; /* [n_layer] */
    void *mem;           /* all K/V storage, one allocation */
    g4_kv_size size;
} g4_kv_cache;

/* What a cache with this configuration would take, without allocating it. Checks the config:
 * n_ctx out of 1..n_ctx_train or n_batch < 1 is GEMMA4_ERR_INVALID_ARG; a type other than f16,
 * q8_0, f32 (or q8_0 with head sizes that are not multiples of 32) GEMMA4_ERR_UNSUPPORTED; sizes
 * that overflow GEMMA4_ERR_NOMEM. */
gemma4_status g4_kv_size_of(const g4_hparams *hp, const g4_kv_config *cfg, g4_kv_size *out, g4_error *err);

gemma4_status g4_kv_new(const g4_hparams *hp, const g4_kv_config *cfg, g4_kv_cache **out, g4_error *err);
void g4_kv_free(g4_kv_cache *kv);

/* Stores the K and V rows (f32, [n][n_head_kv * head_dim]) of positions pos0 .. pos0 + n - 1 into
 * own-KV layer il, converting to the cache type. n <= n_batch and pos0 + n <= n_ctx (the caller's
 * checks). Does not move n_pos: the forward pass does that once all layers are written. */
void g4_kv_write(g4_kv_cache *kv, uint32_t il, int64_t pos0, int64_t n, const float *k, const float *v);

/* The storage that layer il attends over (its source's for a KV-shared layer). */
void g4_kv_view(const g4_kv_cache *kv, uint32_t il, g4_attn_cache *out);

/* Marks positions [n_pos, n_pos + n) as stored. */
void g4_kv_advance(g4_kv_cache *kv, int64_t n);

/* Marks positions [0, n_pos) as stored, the sliding layers' from swa_from on, after their rows were
 * placed directly into the storage (ctx_state.c loading a saved state). */
void g4_kv_restore(g4_kv_cache *kv, int64_t n_pos, int64_t swa_from);

/* True if the cache can be cut back to positions [0, pos): pos <= n_pos, and every sliding layer
 * still holds the window that position pos will attend to, positions pos - n_swa + 1 .. pos - 1
 * (swa_from <= them). Always true for pos = 0, and with swa_full unless a loaded state brought
 * fewer rows; after plain evaluation the ring lets a rewind go back n_batch positions (less after
 * an earlier rewind, whose successors overwrote older rows). */
bool g4_kv_can_rewind(const g4_kv_cache *kv, int64_t pos);

/* Drops positions [pos, n_pos). GEMMA4_ERR_INVALID_ARG when g4_kv_can_rewind is false (the
 * message says why; the caller can clear to 0 and evaluate the prefix again). */
gemma4_status g4_kv_rewind(g4_kv_cache *kv, int64_t pos, g4_error *err);

#endif
