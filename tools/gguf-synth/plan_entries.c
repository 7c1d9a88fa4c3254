/*
 * The plan's lists: metadata entries, tensors, and the memory the entries point to. Shared by the
 * text-model plan (plan.c) and the mmproj plan (mmproj_plan.c); the writer and the checker read
 * only these lists, so one file description serves both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "synth.h"

void *synth_plan_own(synth_plan *p, void *ptr) {
    if (!ptr) return NULL;
    if (p->n_owned == p->cap_owned) {
        const size_t cap = p->cap_owned ? p->cap_owned * 2 : 16;
        void **o = realloc(p->owned, cap * sizeof *o);
        if (!o) {
            free(ptr);
            return NULL;
        }
        p->owned = o;
        p->cap_owned = cap;
    }
    p->owned[p->n_owned++] = ptr;
    return ptr;
}

static synth_kv *kv_new(synth_plan *p, const char *key, g4_gguf_vtype type) {
    if (p->n_kvs == p->cap_kvs) {
        const size_t cap = p->cap_kvs ? p->cap_kvs * 2 : 64;
        synth_kv *k = realloc(p->kvs, cap * sizeof *k);
        if (!k) return NULL;
        p->kvs = k;
        p->cap_kvs = cap;
    }
    synth_kv *kv = &p->kvs[p->n_kvs++];
    memset(kv, 0, sizeof *kv);
    snprintf(kv->key, sizeof kv->key, "%s", key);
    kv->type = type;
    return kv;
}

/* The synth_kv_* helpers record an allocation failure in *ok instead of returning it at each call. */
void synth_kv_u32(synth_plan *p, bool *ok, const char *key, uint32_t v) {
    synth_kv *kv = kv_new(p, key, G4_GGUF_UINT32);
    if (kv) kv->v.u32 = v;
    *ok &= kv != NULL;
}
void synth_kv_i32(synth_plan *p, bool *ok, const char *key, int32_t v) {
    synth_kv *kv = kv_new(p, key, G4_GGUF_INT32);
    if (kv) kv->v.i32 = v;
    *ok &= kv != NULL;
}
void synth_kv_f32(synth_plan *p, bool *ok, const char *key, float v) {
    synth_kv *kv = kv_new(p, key, G4_GGUF_FLOAT32);
    if (kv) kv->v.f32 = v;
    *ok &= kv != NULL;
}
void synth_kv_bool(synth_plan *p, bool *ok, const char *key, bool v) {
    synth_kv *kv = kv_new(p, key, G4_GGUF_BOOL);
    if (kv) kv->v.b = v;
    *ok &= kv != NULL;
}
void synth_kv_str(synth_plan *p, bool *ok, const char *key, const char *v) {
    synth_kv *kv = kv_new(p, key, G4_GGUF_STRING);
    if (kv) kv->v.str = v;
    *ok &= kv != NULL;
}
void synth_kv_arr(synth_plan *p, bool *ok, const char *key, g4_gguf_vtype elem, const void *data, uint64_t n) {
    synth_kv *kv = kv_new(p, key, G4_GGUF_ARRAY);
    if (kv) {
        kv->elem = elem;
        kv->arr = data;
        kv->n = n;
    }
    *ok &= kv != NULL && data != NULL;
}

synth_tensor *synth_plan_add_tensor(synth_plan *p, bool *ok, const char *name, int n_dims, const int64_t *ne,
                                    float mean, float std) {
    if (!*ok) return NULL;
    if (p->n_tensors == p->cap_tensors) {
        const size_t cap = p->cap_tensors ? p->cap_tensors * 2 : 64;
        synth_tensor *t = realloc(p->tensors, cap * sizeof *t);
        if (!t) {
            *ok = false;
            return NULL;
        }
        p->tensors = t;
        p->cap_tensors = cap;
    }
    synth_tensor *t = &p->tensors[p->n_tensors++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->n_dims = n_dims;
    for (int d = 0; d < SYNTH_MAX_DIMS; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    t->init = SYNTH_INIT_NORMAL;
    t->mean = mean;
    t->std = std;
    t->type = G4_TYPE_F32; /* the plan's type rules decide */
    t->key = synth_stream_key(p->seed, name);
    return t;
}

void synth_plan_free(synth_plan *p) {
    for (size_t i = 0; i < p->n_owned; i++) free(p->owned[i]);
    free(p->owned);
    free(p->kvs);
    free(p->tensors);
    memset(p, 0, sizeof *p);
}

uint64_t synth_plan_data_bytes(const synth_plan *p) {
    uint64_t total = 0;
    for (size_t i = 0; i < p->n_tensors; i++) total += synth_tensor_nbytes(&p->tensors[i]);
    return total;
}
