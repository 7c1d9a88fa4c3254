/*
 * Metadata values: type names and widths, element readers for arrays, and the typed look-ups
 * (g4_gguf_get_*) whose messages tell a user exactly which key is missing or mistyped.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gguf/gguf.h"
#include "gguf/gguf_vtype.h"

static const struct {
    const char *name;
    size_t size;
} k_vtypes[G4_GGUF_VTYPE_COUNT] = {
    [G4_GGUF_UINT8] = {"u8", 1},    [G4_GGUF_INT8] = {"i8", 1},    [G4_GGUF_UINT16] = {"u16", 2},
    [G4_GGUF_INT16] = {"i16", 2},   [G4_GGUF_UINT32] = {"u32", 4}, [G4_GGUF_INT32] = {"i32", 4},
    [G4_GGUF_FLOAT32] = {"f32", 4}, [G4_GGUF_BOOL] = {"bool", 1},  [G4_GGUF_STRING] = {"string", 0},
    [G4_GGUF_ARRAY] = {"array", 0}, [G4_GGUF_UINT64] = {"u64", 8}, [G4_GGUF_INT64] = {"i64", 8},
    [G4_GGUF_FLOAT64] = {"f64", 8},
};

const char *g4_gguf_vtype_name(g4_gguf_vtype t) {
    return (unsigned)t < G4_GGUF_VTYPE_COUNT ? k_vtypes[t].name : "unknown";
}

size_t g4_gguf_vtype_size(g4_gguf_vtype t) {
    return (unsigned)t < G4_GGUF_VTYPE_COUNT ? k_vtypes[t].size : 0;
}

bool g4_str_eq(g4_str s, const char *c) {
    size_t n = strlen(c);
    return s.len == n && memcmp(s.ptr, c, n) == 0;
}

/* ---- array elements: little-endian, possibly unaligned, so assembled byte by byte ---------------- */

static uint64_t load_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static const uint8_t *elem_ptr(const g4_gguf_value *arr, uint64_t i) {
    return arr->data + i * g4_gguf_vtype_size(arr->elem_type);
}

int64_t g4_gguf_arr_i64(const g4_gguf_value *arr, uint64_t i) {
    size_t n = g4_gguf_vtype_size(arr->elem_type);
    uint64_t raw = load_le(elem_ptr(arr, i), n);
    if (g4_gguf_vtype_is_signed(arr->elem_type) && n < 8) {
        uint64_t sign = 1ull << (8 * n - 1);
        raw = (raw ^ sign) - sign; /* sign-extend the n-byte value */
    }
    return (int64_t)raw;
}

uint64_t g4_gguf_arr_u64(const g4_gguf_value *arr, uint64_t i) {
    return (uint64_t)g4_gguf_arr_i64(arr, i);
}

double g4_gguf_arr_f64(const g4_gguf_value *arr, uint64_t i) {
    const uint8_t *p = elem_ptr(arr, i);
    if (arr->elem_type == G4_GGUF_FLOAT32) {
        uint32_t bits = (uint32_t)load_le(p, 4);
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    if (arr->elem_type == G4_GGUF_FLOAT64) {
        uint64_t bits = load_le(p, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    return g4_gguf_vtype_is_signed(arr->elem_type) ? (double)g4_gguf_arr_i64(arr, i) : (double)g4_gguf_arr_u64(arr, i);
}

bool g4_gguf_arr_bool(const g4_gguf_value *arr, uint64_t i) {
    return g4_gguf_arr_u64(arr, i) != 0;
}

/* ---- typed look-ups ----------------------------------------------------------------------------- */

/* "u32", or "array of u32" for an array value. */
static const char *type_desc(const g4_gguf_value *v, char *buf, size_t cap) {
    if (v->type != G4_GGUF_ARRAY) return g4_gguf_vtype_name(v->type);
    snprintf(buf, cap, "array of %s", g4_gguf_vtype_name(v->elem_type));
    return buf;
}

static gemma4_status find_key(const g4_gguf *f, const char *key, const g4_gguf_value **out, g4_error *err) {
    *out = g4_gguf_find(f, key);
    if (!*out) return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' missing", key);
    return GEMMA4_OK;
}

static gemma4_status wrong_type(const char *key, const g4_gguf_value *v, const char *want, g4_error *err) {
    char buf[32];
    return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' has type %s, want %s", key, type_desc(v, buf, sizeof buf), want);
}

static bool is_integer(g4_gguf_vtype t) {
    return g4_gguf_vtype_is_unsigned(t) || g4_gguf_vtype_is_signed(t);
}

/* An integer value checked against [lo, hi]; a value of any integer type is fine if it fits. */
static gemma4_status get_int_in(const g4_gguf *f, const char *key, int64_t lo, uint64_t hi, const char *want,
                                const g4_gguf_value **out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = find_key(f, key, &v, err);
    if (st != GEMMA4_OK) return st;
    if (!is_integer(v->type)) return wrong_type(key, v, want, err);
    bool fits = g4_gguf_vtype_is_unsigned(v->type) ? v->v.u64 <= hi
                                                   : v->v.i64 >= lo && (v->v.i64 < 0 || (uint64_t)v->v.i64 <= hi);
    if (!fits) {
        if (g4_gguf_vtype_is_unsigned(v->type))
            return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' value %" PRIu64 " does not fit %s", key, v->v.u64, want);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' value %" PRId64 " does not fit %s", key, v->v.i64, want);
    }
    *out = v;
    return GEMMA4_OK;
}

gemma4_status g4_gguf_get_u32(const g4_gguf *f, const char *key, uint32_t *out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = get_int_in(f, key, 0, UINT32_MAX, "u32", &v, err);
    if (st == GEMMA4_OK) *out = (uint32_t)v->v.u64;
    return st;
}

gemma4_status g4_gguf_get_i32(const g4_gguf *f, const char *key, int32_t *out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = get_int_in(f, key, INT32_MIN, INT32_MAX, "i32", &v, err);
    if (st == GEMMA4_OK) *out = (int32_t)v->v.i64;
    return st;
}

gemma4_status g4_gguf_get_u64(const g4_gguf *f, const char *key, uint64_t *out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = get_int_in(f, key, 0, UINT64_MAX, "u64", &v, err);
    if (st == GEMMA4_OK) *out = v->v.u64;
    return st;
}

gemma4_status g4_gguf_get_f32(const g4_gguf *f, const char *key, float *out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = find_key(f, key, &v, err);
    if (st != GEMMA4_OK) return st;
    if (!g4_gguf_vtype_is_float(v->type)) return wrong_type(key, v, "f32", err);
    if (isfinite(v->v.f64) && fabs(v->v.f64) > FLT_MAX)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' value %g does not fit f32", key, v->v.f64);
    *out = (float)v->v.f64;
    return GEMMA4_OK;
}

gemma4_status g4_gguf_get_bool(const g4_gguf *f, const char *key, bool *out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = find_key(f, key, &v, err);
    if (st != GEMMA4_OK) return st;
    if (v->type != G4_GGUF_BOOL) return wrong_type(key, v, "bool", err);
    *out = v->v.b;
    return GEMMA4_OK;
}

gemma4_status g4_gguf_get_str(const g4_gguf *f, const char *key, g4_str *out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = find_key(f, key, &v, err);
    if (st != GEMMA4_OK) return st;
    if (v->type != G4_GGUF_STRING) return wrong_type(key, v, "string", err);
    *out = v->v.str;
    return GEMMA4_OK;
}

gemma4_status g4_gguf_get_arr(const g4_gguf *f, const char *key, g4_gguf_vtype elem, const g4_gguf_value **out,
                              g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = find_key(f, key, &v, err);
    if (st != GEMMA4_OK) return st;
    if (v->type != G4_GGUF_ARRAY || v->elem_type != elem) {
        char want[32];
        snprintf(want, sizeof want, "array of %s", g4_gguf_vtype_name(elem));
        return wrong_type(key, v, want, err);
    }
    *out = v;
    return GEMMA4_OK;
}

gemma4_status g4_gguf_get_u32_per_layer(const g4_gguf *f, const char *key, uint32_t n, uint32_t *out, g4_error *err) {
    const g4_gguf_value *v = NULL;
    gemma4_status st = find_key(f, key, &v, err);
    if (st != GEMMA4_OK) return st;
    if (v->type != G4_GGUF_ARRAY) {
        uint32_t x;
        st = g4_gguf_get_u32(f, key, &x, err);
        if (st != GEMMA4_OK) return st;
        for (uint32_t i = 0; i < n; i++) out[i] = x;
        return GEMMA4_OK;
    }
    if (!is_integer(v->elem_type)) return wrong_type(key, v, "u32 or array of u32", err);
    if (v->count != n)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' has %" PRIu64 " elements, want %u (one per layer)", key,
                       v->count, n);
    for (uint32_t i = 0; i < n; i++) {
        int64_t x = g4_gguf_arr_i64(v, i);
        bool fits = g4_gguf_vtype_is_unsigned(v->elem_type) ? (uint64_t)x <= UINT32_MAX : x >= 0 && x <= UINT32_MAX;
        if (!fits) {
            if (g4_gguf_vtype_is_unsigned(v->elem_type))
                return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' element %u value %" PRIu64 " does not fit u32", key, i,
                               (uint64_t)x);
            return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' element %u value %" PRId64 " does not fit u32", key, i, x);
        }
        out[i] = (uint32_t)x;
    }
    return GEMMA4_OK;
}
