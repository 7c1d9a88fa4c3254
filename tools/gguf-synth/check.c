/*
 * --check: opens a file with libgemma4's GGUF reader and compares it with what gguf-synth would
 * write for the same arguments: every key (name, order, type, value), every tensor header and
 * every tensor byte, regenerated on the fly. A pass means writer and reader agree on the format
 * and the file is exactly the deterministic model.
 */
#include <inttypes.h>
#include <string.h>

#include "synth.h"

static gemma4_status check_scalar(const synth_kv *kv, const g4_gguf_value *v, g4_error *err) {
    bool same = false;
    switch (kv->type) {
    case G4_GGUF_UINT32:
        same = v->v.u64 == kv->v.u32;
        break;
    case G4_GGUF_INT32:
        same = v->v.i64 == kv->v.i32;
        break;
    case G4_GGUF_FLOAT32:
        same = (float)v->v.f64 == kv->v.f32;
        break;
    case G4_GGUF_BOOL:
        same = v->v.b == kv->v.b;
        break;
    case G4_GGUF_STRING:
        same = g4_str_eq(v->v.str, kv->v.str);
        break;
    default:
        break;
    }
    return same ? GEMMA4_OK : g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' has a different value", kv->key);
}

static size_t elem_size(g4_gguf_vtype t) {
    switch (t) {
    case G4_GGUF_BOOL:
        return 1;
    case G4_GGUF_INT32:
    case G4_GGUF_UINT32:
    case G4_GGUF_FLOAT32:
        return 4;
    default:
        return 0;
    }
}

static gemma4_status check_array(const synth_kv *kv, const g4_gguf_value *v, g4_error *err) {
    if (v->elem_type != kv->elem)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s': array of %s, want %s", kv->key,
                       g4_gguf_vtype_name(v->elem_type), g4_gguf_vtype_name(kv->elem));
    if (v->count != kv->n)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s': %" PRIu64 " elements, want %" PRIu64, kv->key, v->count,
                       kv->n);
    if (kv->elem == G4_GGUF_STRING) {
        const char *const *want = kv->arr;
        for (uint64_t i = 0; i < kv->n; i++)
            if (!g4_str_eq(v->strs[i], want[i]))
                return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s': element %" PRIu64 " differs", kv->key, i);
        return GEMMA4_OK;
    }
    const size_t size = elem_size(kv->elem);
    if (size == 0 || memcmp(v->data, kv->arr, size * kv->n) != 0)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s': array contents differ", kv->key);
    return GEMMA4_OK;
}

typedef struct compare_ctx {
    const synth_tensor *t;
    const uint8_t *data;
    size_t offset;
} compare_ctx;

static gemma4_status compare_chunk(void *ctx, const void *bytes, size_t n, g4_error *err) {
    compare_ctx *c = ctx;
    if (memcmp(c->data + c->offset, bytes, n) != 0) {
        size_t at = 0;
        while (c->data[c->offset + at] == ((const uint8_t *)bytes)[at]) at++;
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s': data differs at byte %zu", c->t->name, c->offset + at);
    }
    c->offset += n;
    return GEMMA4_OK;
}

static gemma4_status check_tensor(const synth_tensor *t, const g4_gguf_tensor *ft, g4_error *err) {
    if (strcmp(ft->name, t->name) != 0)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' where '%s' was expected", ft->name, t->name);
    if (ft->type != t->type)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' has type %s, want %s", t->name, g4_type_name(ft->type),
                       g4_type_name(t->type));
    bool shape = ft->n_dims == t->n_dims;
    for (int d = 0; d < G4_GGUF_MAX_DIMS; d++) shape &= ft->ne[d] == t->ne[d];
    if (!shape) return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' has a different shape", t->name);
    if (ft->nbytes != synth_tensor_nbytes(t))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' has %zu bytes, want %zu", t->name, ft->nbytes,
                       synth_tensor_nbytes(t));
    compare_ctx c = {t, ft->data, 0};
    return synth_tensor_stream(t, compare_chunk, &c, err);
}

gemma4_status synth_check(const synth_plan *p, const char *path, g4_error *err) {
    g4_gguf *f = NULL;
    gemma4_status st = g4_gguf_open(path, &f, err);
    if (st != GEMMA4_OK) return st;
    if ((size_t)g4_gguf_n_kv(f) != p->n_kvs)
        st = g4_fail(err, GEMMA4_ERR_FORMAT, "%lld keys, want %zu", (long long)g4_gguf_n_kv(f), p->n_kvs);
    for (size_t i = 0; i < p->n_kvs && st == GEMMA4_OK; i++) {
        const synth_kv *kv = &p->kvs[i];
        const g4_gguf_kv *fk = g4_gguf_kv_at(f, (int64_t)i);
        if (strcmp(fk->key, kv->key) != 0)
            st = g4_fail(err, GEMMA4_ERR_FORMAT, "key %zu is '%s', want '%s'", i, fk->key, kv->key);
        else if (fk->value.type != kv->type)
            st = g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' has type %s, want %s", kv->key,
                         g4_gguf_vtype_name(fk->value.type), g4_gguf_vtype_name(kv->type));
        else
            st = kv->type == G4_GGUF_ARRAY ? check_array(kv, &fk->value, err) : check_scalar(kv, &fk->value, err);
    }
    if (st == GEMMA4_OK && (size_t)g4_gguf_n_tensors(f) != p->n_tensors)
        st = g4_fail(err, GEMMA4_ERR_FORMAT, "%lld tensors, want %zu", (long long)g4_gguf_n_tensors(f), p->n_tensors);
    for (size_t i = 0; i < p->n_tensors && st == GEMMA4_OK; i++)
        st = check_tensor(&p->tensors[i], g4_gguf_tensor_at(f, (int64_t)i), err);
    if (st != GEMMA4_OK) g4_error_prefix(err, "%s: ", path);
    g4_gguf_close(f);
    return st;
}
