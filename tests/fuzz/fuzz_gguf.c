/*
 * libFuzzer target for the GGUF reader: open any bytes, and when they parse, walk everything the
 * reader hands out (every key, value, array element, typed getter and tensor), so ASan/UBSan see
 * each pointer the library gives its callers actually used.
 *   fuzz_gguf -max_total_time=60 -rss_limit_mb=2048 NEW_INPUTS_DIR tests/fuzz/corpus/gguf
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"

static volatile uint64_t g_sink; /* keeps the reads from being optimised away */

static void touch(const void *p, uint64_t n) {
    const uint8_t *b = p;
    if (n) g_sink += b[0] + b[n - 1];
}

static void walk_value(const g4_gguf_value *v) {
    switch (v->type) {
    case G4_GGUF_STRING:
        touch(v->v.str.ptr, v->v.str.len);
        return;
    case G4_GGUF_ARRAY:
        break;
    default:
        g_sink += v->v.u64;
        return;
    }
    for (uint64_t i = 0; i < v->count; i++) {
        switch (v->elem_type) {
        case G4_GGUF_STRING:
            touch(v->strs[i].ptr, v->strs[i].len);
            break;
        case G4_GGUF_ARRAY:
            walk_value(&v->items[i]);
            break;
        case G4_GGUF_FLOAT32:
        case G4_GGUF_FLOAT64:
            g_sink += (uint64_t)(g4_gguf_arr_f64(v, i) != 0);
            break;
        default:
            g_sink += g4_gguf_arr_u64(v, i) + (uint64_t)g4_gguf_arr_i64(v, i) + g4_gguf_arr_bool(v, i);
            break;
        }
    }
}

/* Every typed getter on a key: each either succeeds or fails with a message, never misbehaves. */
static void try_getters(const g4_gguf *f, const char *key) {
    g4_error err;
    uint32_t u32, per_layer[4];
    int32_t i32;
    uint64_t u64;
    float f32;
    bool b;
    g4_str s;
    const g4_gguf_value *arr;
    gemma4_status st[] = {
        g4_gguf_get_u32(f, key, &u32, &err),
        g4_gguf_get_i32(f, key, &i32, &err),
        g4_gguf_get_u64(f, key, &u64, &err),
        g4_gguf_get_f32(f, key, &f32, &err),
        g4_gguf_get_bool(f, key, &b, &err),
        g4_gguf_get_str(f, key, &s, &err),
        g4_gguf_get_arr(f, key, G4_GGUF_STRING, &arr, &err),
        g4_gguf_get_u32_per_layer(f, key, 4, per_layer, &err),
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        if (st[i] != GEMMA4_OK && st[i] != GEMMA4_ERR_FORMAT) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    g4_gguf *f = NULL;
    g4_error err = {0};
    if (g4_gguf_open_memory(data, size, &f, &err) != GEMMA4_OK) {
        if (f != NULL || err.msg[0] == '\0') __builtin_trap(); /* a failure always says why */
        return 0;
    }
    for (int64_t i = 0; i < g4_gguf_n_kv(f); i++) {
        const g4_gguf_kv *kv = g4_gguf_kv_at(f, i);
        if (g4_gguf_find(f, kv->key) != &kv->value) __builtin_trap();
        walk_value(&kv->value);
        try_getters(f, kv->key);
    }
    const uint8_t *end = data + size;
    for (int64_t i = 0; i < g4_gguf_n_tensors(f); i++) {
        const g4_gguf_tensor *t = g4_gguf_tensor_at(f, i);
        if (g4_gguf_find_tensor(f, t->name) != t) __builtin_trap();
        const uint8_t *p = t->data;
        if (p < data || p > end || t->nbytes > (size_t)(end - p)) __builtin_trap();
        if ((uint64_t)(p - data) % g4_gguf_alignment(f) != 0) __builtin_trap();
        touch(p, t->nbytes);
    }
    g4_gguf_close(f);
    return 0;
}
