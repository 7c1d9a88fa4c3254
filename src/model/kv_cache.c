/*
 * KV cache storage and ring bookkeeping (see kv_cache.h for the sizing argument).
 */
#include "model/kv_cache.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "kernels/quants.h"

static int64_t swa_slots(const g4_kv_config *cfg, int64_t n_swa) {
    if (cfg->swa_full) return cfg->n_ctx;
    const int64_t ring = n_swa + cfg->n_batch - 1;
    return ring < cfg->n_ctx ? ring : cfg->n_ctx;
}

static gemma4_status layer_bytes(const g4_hparams *hp, const g4_kv_config *cfg, uint32_t il, int64_t n_slots,
                                 size_t *row_bytes, size_t *bytes, g4_error *err) {
    const int64_t hd = g4_hparams_head_dim(hp, il);
    size_t head_bytes, rb, b;
    if (!g4_type_row_bytes(cfg->type, hd, &head_bytes)) {
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "a %s KV cache needs head sizes that are whole blocks (layer %u: %lld)", g4_type_name(cfg->type),
                       il, (long long)hd);
    }
    if (!g4_mul_size(head_bytes, hp->n_head_kv[il], &rb) || !g4_mul_size(rb, (size_t)n_slots, &b) ||
        !g4_mul_size(b, 2, &b)) {
        return g4_fail(err, GEMMA4_ERR_NOMEM, "KV cache of layer %u for %lld positions overflows", il,
                       (long long)n_slots);
    }
    *row_bytes = rb;
    *bytes = b;
    return GEMMA4_OK;
}

gemma4_status g4_kv_size_of(const g4_hparams *hp, const g4_kv_config *cfg, g4_kv_size *out, g4_error *err) {
    memset(out, 0, sizeof *out);
    if (cfg->n_ctx < 1 || cfg->n_ctx > (int64_t)hp->n_ctx_train) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                       "context size %lld is out of range (1..%u, the model's training context)", (long long)cfg->n_ctx,
                       hp->n_ctx_train);
    }
    if (cfg->n_batch < 1 || cfg->n_batch > INT32_MAX) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "batch size %lld is out of range (1..%d)", (long long)cfg->n_batch,
                       INT32_MAX);
    }
    if (cfg->type != G4_TYPE_F16 && cfg->type != G4_TYPE_Q8_0 && cfg->type != G4_TYPE_F32) {
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "KV cache type %s is not supported (f16, q8_0 or f32)",
                       g4_type_name(cfg->type));
    }
    out->swa_slots = swa_slots(cfg, hp->n_swa);
    out->global_slots = cfg->n_ctx;
    for (uint32_t il = 0; il < hp->n_layer_kv; il++) {
        size_t rb = 0, bytes = 0;
        const int64_t n_slots = hp->is_swa[il] ? out->swa_slots : out->global_slots;
        gemma4_status st = layer_bytes(hp, cfg, il, n_slots, &rb, &bytes, err);
        if (st != GEMMA4_OK) return st;
        if (hp->is_swa[il]) {
            out->n_swa_layers++;
            if (bytes > out->bytes_swa_layer) out->bytes_swa_layer = bytes;
        } else {
            out->n_global_layers++;
            if (bytes > out->bytes_global_layer) out->bytes_global_layer = bytes;
        }
        if (!g4_add_size(out->total, bytes, &out->total)) {
            return g4_fail(err, GEMMA4_ERR_NOMEM, "KV cache size overflows");
        }
    }
    return GEMMA4_OK;
}

gemma4_status g4_kv_new(const g4_hparams *hp, const g4_kv_config *cfg, g4_kv_cache **out, g4_error *err) {
    *out = NULL;
    g4_kv_size size;
    gemma4_status st = g4_kv_size_of(hp, cfg, &size, err);
    if (st != GEMMA4_OK) return st;

    g4_kv_cache *kv = calloc(1, sizeof *kv);
    if (!kv) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for the KV cache");
    kv->layers = calloc(hp->n_layer, sizeof *kv->layers);
    /* calloc: stale slots are never read, but zeroed memory keeps tools like valgrind quiet and
     * the pages untouched until used */
    kv->mem = size.total ? calloc(1, size.total) : NULL;
    if (!kv->layers || (size.total && !kv->mem)) {
        g4_kv_free(kv);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for a %zu-byte KV cache (%lld positions)", size.total,
                       (long long)cfg->n_ctx);
    }
    kv->type = cfg->type;
    kv->n_ctx = cfg->n_ctx;
    kv->n_batch = cfg->n_batch;
    kv->n_swa = hp->n_swa;
    kv->swa_full = cfg->swa_full;
    kv->n_layer = hp->n_layer;
    kv->size = size;

    uint8_t *p = kv->mem;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        g4_kv_layer *L = &kv->layers[il];
        L->src = g4_hparams_kv_source(hp, il);
        L->n_head_kv = hp->n_head_kv[il];
        L->head_dim = g4_hparams_head_dim(hp, il);
        L->n_slots = hp->is_swa[il] ? size.swa_slots : size.global_slots;
        size_t bytes = 0;
        /* cannot fail: g4_kv_size_of sized the same layers */
        (void)layer_bytes(hp, cfg, L->src, L->n_slots, &L->row_bytes, &bytes, NULL);
        if (il < hp->n_layer_kv) {
            L->k = p;
            L->v = p + bytes / 2;
            p += bytes;
        }
    }
    *out = kv;
    return GEMMA4_OK;
}

void g4_kv_free(g4_kv_cache *kv) {
    if (!kv) return;
    free(kv->mem);
    free(kv->layers);
    free(kv);
}

static void store_row(g4_type type, const float *src, uint8_t *dst, int64_t n) {
    if (type == G4_TYPE_F32) {
        memcpy(dst, src, sizeof(float) * (size_t)n);
    } else if (type == G4_TYPE_F16) {
        g4_half *h = (g4_half *)dst;
        for (int64_t i = 0; i < n; i++) h[i] = g4_float_to_half(src[i]);
    } else {
        g4_quantize_row(type, src, dst, n);
    }
}

void g4_kv_write(g4_kv_cache *kv, uint32_t il, int64_t pos0, int64_t n, const float *k, const float *v) {
    const g4_kv_layer *L = &kv->layers[il];
    const int64_t row = L->n_head_kv * L->head_dim;
    for (int64_t t = 0; t < n; t++) {
        const int64_t slot = (pos0 + t) % L->n_slots;
        store_row(kv->type, k + t * row, L->k + (size_t)slot * L->row_bytes, row);
        store_row(kv->type, v + t * row, L->v + (size_t)slot * L->row_bytes, row);
    }
}

void g4_kv_view(const g4_kv_cache *kv, uint32_t il, g4_attn_cache *out) {
    const g4_kv_layer *L = &kv->layers[kv->layers[il].src];
    out->type = kv->type;
    out->k = L->k;
    out->v = L->v;
    out->row_bytes = L->row_bytes;
    out->n_slots = L->n_slots;
}

static int64_t max64(int64_t a, int64_t b) {
    return a > b ? a : b;
}

void g4_kv_advance(g4_kv_cache *kv, int64_t n) {
    /* starting from 0, whatever the rings held before is gone (cleared or rewound to 0) */
    const int64_t kept_from = kv->n_pos == 0 ? 0 : kv->swa_from;
    kv->n_pos += n;
    /* the newest rows overwrote the slots of positions older than n_pos - swa_slots */
    kv->swa_from = max64(kept_from, kv->n_pos - kv->size.swa_slots);
}

void g4_kv_restore(g4_kv_cache *kv, int64_t n_pos, int64_t swa_from) {
    kv->n_pos = n_pos;
    kv->swa_from = swa_from;
}

/* The first position the query at pos > 0 attends to in a sliding layer. */
static int64_t window_start(const g4_kv_cache *kv, int64_t pos) {
    return max64(pos - kv->n_swa + 1, 0);
}

bool g4_kv_can_rewind(const g4_kv_cache *kv, int64_t pos) {
    if (pos < 0 || pos > kv->n_pos) return false;
    return pos == 0 || kv->size.n_swa_layers == 0 || window_start(kv, pos) >= kv->swa_from;
}

gemma4_status g4_kv_rewind(g4_kv_cache *kv, int64_t pos, g4_error *err) {
    if (pos < 0 || pos > kv->n_pos) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "cannot rewind to position %lld: the context holds %lld",
                       (long long)pos, (long long)kv->n_pos);
    }
    if (!g4_kv_can_rewind(kv, pos)) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                       "cannot rewind from position %lld to %lld: position %lld attends back to %lld, but the "
                       "sliding-window cache holds only positions %lld.. (rewind to %lld or later, to 0, or create "
                       "the context with a full sliding cache)",
                       (long long)kv->n_pos, (long long)pos, (long long)pos, (long long)window_start(kv, pos),
                       (long long)kv->swa_from, (long long)(kv->swa_from + kv->n_swa - 1));
    }
    kv->n_pos = pos;
    return GEMMA4_OK;
}
