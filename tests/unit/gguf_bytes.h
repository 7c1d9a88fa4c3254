/*
 * Byte-level GGUF building for the reader tests: lets a test write exactly the (possibly broken)
 * bytes it wants, where the writer would refuse. Shared by tests/unit/test_gguf_*.c.
 */
#ifndef G4_TEST_GGUF_BYTES_H
#define G4_TEST_GGUF_BYTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct gb {
    uint8_t *p;
    size_t len, cap;
} gb;

static inline void gb_raw(gb *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

static inline void gb_le(gb *b, uint64_t v, int n) {
    for (int i = 0; i < n; i++) {
        uint8_t byte = (uint8_t)(v >> (8 * i));
        gb_raw(b, &byte, 1);
    }
}

static inline void gb_u8(gb *b, uint8_t v) {
    gb_le(b, v, 1);
}
static inline void gb_u32(gb *b, uint32_t v) {
    gb_le(b, v, 4);
}
static inline void gb_u64(gb *b, uint64_t v) {
    gb_le(b, v, 8);
}

static inline void gb_strn(gb *b, const char *s, size_t n) {
    gb_u64(b, n);
    gb_raw(b, s, n);
}
static inline void gb_str(gb *b, const char *s) {
    gb_strn(b, s, strlen(s));
}

static inline void gb_header(gb *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    gb_raw(b, "GGUF", 4);
    gb_u32(b, version);
    gb_u64(b, n_tensors);
    gb_u64(b, n_kv);
}

/* Value type ids as in the GGUF specification. */
enum { GB_U8 = 0, GB_I8, GB_U16, GB_I16, GB_U32, GB_I32, GB_F32, GB_BOOL, GB_STRING, GB_ARRAY, GB_U64, GB_I64, GB_F64 };

static inline void gb_kv_u32(gb *b, const char *key, uint32_t v) {
    gb_str(b, key);
    gb_u32(b, GB_U32);
    gb_u32(b, v);
}

static inline void gb_kv_str(gb *b, const char *key, const char *v) {
    gb_str(b, key);
    gb_u32(b, GB_STRING);
    gb_str(b, v);
}

/* A tensor directory entry. */
static inline void gb_tensor(gb *b, const char *name, uint32_t n_dims, const int64_t *ne, uint32_t type,
                             uint64_t offset) {
    gb_str(b, name);
    gb_u32(b, n_dims);
    for (uint32_t i = 0; i < n_dims; i++) gb_u64(b, (uint64_t)ne[i]);
    gb_u32(b, type);
    gb_u64(b, offset);
}

static inline void gb_pad(gb *b, size_t align) {
    while (b->len % align) gb_u8(b, 0);
}

static inline void gb_zeros(gb *b, size_t n) {
    for (size_t i = 0; i < n; i++) gb_u8(b, 0);
}

static inline void gb_free(gb *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

#endif
