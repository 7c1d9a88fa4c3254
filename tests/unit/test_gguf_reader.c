/* GGUF reader on valid files: every value type round-trips through the writer, typed getters and
 * their messages, per-layer values, the tensor directory, alignment, v2 files, opening by path,
 * the file fingerprint. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "gguf_bytes.h"
#include "testkit.h"

#define assert_msg_has(err, sub)                                                                                       \
    do {                                                                                                               \
        if (!strstr((err).msg, (sub))) fail_msg("message '%s' does not contain '%s'", (err).msg, (sub));               \
    } while (0)

/* Each tensor's bytes are i*16 + k (mod 256), so a test can check where the data landed. */
static gemma4_status fill_pattern(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    (void)name;
    const size_t *sizes = user;
    for (size_t k = 0; k < sizes[index]; k++) {
        uint8_t b = (uint8_t)(index * 16 + k);
        gemma4_status st = g4_gguf_sink_write(sink, &b, 1);
        if (st != GEMMA4_OK) return st;
    }
    return GEMMA4_OK;
}

/* Writes w to memory and opens it; the caller frees *buf after closing. */
static g4_gguf *write_and_open(g4_gguf_writer *w, g4_gguf_tensor_fill_fn fill, void *user, void **buf) {
    size_t size;
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write_memory(w, fill, user, buf, &size, &err), GEMMA4_OK);
    g4_gguf_writer_free(w);
    g4_gguf *f = NULL;
    if (g4_gguf_open_memory(*buf, size, &f, &err) != GEMMA4_OK) fail_msg("open failed: %s", err.msg);
    return f;
}

static void test_scalars_round_trip(void **state) {
    (void)state;
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_u8(w, "u8", 255);
    g4_gguf_writer_add_i8(w, "i8", -128);
    g4_gguf_writer_add_u16(w, "u16", 65535);
    g4_gguf_writer_add_i16(w, "i16", -32768);
    g4_gguf_writer_add_u32(w, "u32", 4000000000u);
    g4_gguf_writer_add_i32(w, "i32", INT32_MIN);
    g4_gguf_writer_add_u64(w, "u64", UINT64_MAX - 1);
    g4_gguf_writer_add_i64(w, "i64", INT64_MIN);
    g4_gguf_writer_add_f32(w, "f32", 1e-6f);
    g4_gguf_writer_add_f64(w, "f64", -2.5e300);
    g4_gguf_writer_add_bool(w, "bool", true);
    g4_gguf_writer_add_bool(w, "bool.false", false);
    g4_gguf_writer_add_str(w, "str", "h\xc3\xa9llo \xe2\x96\x81world");
    g4_gguf_writer_add_str(w, "str.empty", "");
    void *buf;
    g4_gguf *f = write_and_open(w, NULL, NULL, &buf);

    assert_int_equal(g4_gguf_version(f), 3);
    assert_int_equal(g4_gguf_n_kv(f), 14);
    assert_int_equal(g4_gguf_n_tensors(f), 0);
    assert_string_equal(g4_gguf_kv_at(f, 0)->key, "u8");
    assert_int_equal(g4_gguf_kv_at(f, 0)->offset, 24);
    assert_string_equal(g4_gguf_kv_at(f, 13)->key, "str.empty");
    assert_null(g4_gguf_kv_at(f, 14));
    assert_null(g4_gguf_kv_at(f, -1));

    const g4_gguf_value *v;
    assert_non_null(v = g4_gguf_find(f, "u8"));
    assert_int_equal(v->type, G4_GGUF_UINT8);
    assert_int_equal(v->v.u64, 255);
    assert_int_equal(g4_gguf_find(f, "i8")->v.i64, -128);
    assert_int_equal(g4_gguf_find(f, "u16")->v.u64, 65535);
    assert_int_equal(g4_gguf_find(f, "i16")->v.i64, -32768);
    assert_int_equal(g4_gguf_find(f, "u32")->v.u64, 4000000000u);
    assert_int_equal(g4_gguf_find(f, "i32")->v.i64, INT32_MIN);
    assert_true(g4_gguf_find(f, "u64")->v.u64 == UINT64_MAX - 1);
    assert_true(g4_gguf_find(f, "i64")->v.i64 == INT64_MIN);
    assert_true(g4_gguf_find(f, "f32")->v.f64 == (double)1e-6f);
    assert_true(g4_gguf_find(f, "f64")->v.f64 == -2.5e300);
    assert_true(g4_gguf_find(f, "bool")->v.b);
    assert_false(g4_gguf_find(f, "bool.false")->v.b);
    assert_int_equal(g4_gguf_find(f, "str")->type, G4_GGUF_STRING);
    assert_true(g4_str_eq(g4_gguf_find(f, "str")->v.str, "h\xc3\xa9llo \xe2\x96\x81world"));
    assert_int_equal(g4_gguf_find(f, "str.empty")->v.str.len, 0);
    assert_null(g4_gguf_find(f, "missing"));

    /* Typed getters on the same values. */
    g4_error err = {0};
    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    float f32;
    bool b;
    g4_str s;
    assert_int_equal(g4_gguf_get_u32(f, "u32", &u32, &err), GEMMA4_OK);
    assert_int_equal(u32, 4000000000u);
    assert_int_equal(g4_gguf_get_u32(f, "u8", &u32, &err), GEMMA4_OK); /* any integer type that fits */
    assert_int_equal(u32, 255);
    assert_int_equal(g4_gguf_get_i32(f, "i32", &i32, &err), GEMMA4_OK);
    assert_int_equal(i32, INT32_MIN);
    assert_int_equal(g4_gguf_get_i32(f, "u16", &i32, &err), GEMMA4_OK);
    assert_int_equal(i32, 65535);
    assert_int_equal(g4_gguf_get_u64(f, "u64", &u64, &err), GEMMA4_OK);
    assert_true(u64 == UINT64_MAX - 1);
    assert_int_equal(g4_gguf_get_f32(f, "f32", &f32, &err), GEMMA4_OK);
    assert_true(f32 == 1e-6f);
    assert_int_equal(g4_gguf_get_bool(f, "bool", &b, &err), GEMMA4_OK);
    assert_true(b);
    assert_int_equal(g4_gguf_get_str(f, "str", &s, &err), GEMMA4_OK);
    assert_int_equal(s.len, strlen("h\xc3\xa9llo \xe2\x96\x81world"));
    g4_gguf_close(f);
    free(buf);
}

static void test_arrays_round_trip(void **state) {
    (void)state;
    const uint8_t u8[] = {0, 7, 255};
    const int8_t i8[] = {-128, 0, 127};
    const uint16_t u16[] = {1, 2, 65535};
    const int16_t i16[] = {-32768, -1, 32767};
    const uint32_t u32[] = {0, 12345, UINT32_MAX};
    const int32_t i32[] = {INT32_MIN, -7, INT32_MAX};
    const uint64_t u64[] = {0, 1ull << 40, UINT64_MAX};
    const int64_t i64[] = {INT64_MIN, -1, INT64_MAX};
    const float f32[] = {-1.5f, 0.0f, FLT_MAX};
    const double f64[] = {DBL_MIN, -0.25, 1e300};
    const bool bl[] = {true, false, true};
    const char *strs[] = {"<bos>", "", "\xe2\x96\x81the"};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_arr(w, "u8", G4_GGUF_UINT8, u8, 3);
    g4_gguf_writer_add_arr(w, "i8", G4_GGUF_INT8, i8, 3);
    g4_gguf_writer_add_arr(w, "u16", G4_GGUF_UINT16, u16, 3);
    g4_gguf_writer_add_arr(w, "i16", G4_GGUF_INT16, i16, 3);
    g4_gguf_writer_add_arr(w, "u32", G4_GGUF_UINT32, u32, 3);
    g4_gguf_writer_add_arr(w, "i32", G4_GGUF_INT32, i32, 3);
    g4_gguf_writer_add_arr(w, "u64", G4_GGUF_UINT64, u64, 3);
    g4_gguf_writer_add_arr(w, "i64", G4_GGUF_INT64, i64, 3);
    g4_gguf_writer_add_arr(w, "f32", G4_GGUF_FLOAT32, f32, 3);
    g4_gguf_writer_add_arr(w, "f64", G4_GGUF_FLOAT64, f64, 3);
    g4_gguf_writer_add_arr(w, "bool", G4_GGUF_BOOL, bl, 3);
    g4_gguf_writer_add_arr_str(w, "str", strs, 3);
    g4_gguf_writer_add_arr(w, "empty", G4_GGUF_UINT32, NULL, 0);
    g4_gguf_writer_add_arr_str(w, "empty.str", NULL, 0);
    void *buf;
    g4_gguf *f = write_and_open(w, NULL, NULL, &buf);
    g4_error err = {0};
    const g4_gguf_value *a;

    assert_int_equal(g4_gguf_get_arr(f, "u8", G4_GGUF_UINT8, &a, &err), GEMMA4_OK);
    assert_int_equal(a->count, 3);
    assert_int_equal(g4_gguf_arr_u64(a, 2), 255);
    assert_int_equal(g4_gguf_get_arr(f, "i8", G4_GGUF_INT8, &a, &err), GEMMA4_OK);
    assert_int_equal(g4_gguf_arr_i64(a, 0), -128);
    assert_int_equal(g4_gguf_arr_i64(a, 2), 127);
    assert_int_equal(g4_gguf_get_arr(f, "u16", G4_GGUF_UINT16, &a, &err), GEMMA4_OK);
    assert_int_equal(g4_gguf_arr_u64(a, 2), 65535);
    assert_int_equal(g4_gguf_get_arr(f, "i16", G4_GGUF_INT16, &a, &err), GEMMA4_OK);
    assert_int_equal(g4_gguf_arr_i64(a, 0), -32768);
    assert_int_equal(g4_gguf_arr_i64(a, 1), -1);
    assert_int_equal(g4_gguf_get_arr(f, "u32", G4_GGUF_UINT32, &a, &err), GEMMA4_OK);
    assert_int_equal(g4_gguf_arr_u64(a, 1), 12345);
    assert_int_equal(g4_gguf_arr_u64(a, 2), UINT32_MAX);
    assert_int_equal(g4_gguf_get_arr(f, "i32", G4_GGUF_INT32, &a, &err), GEMMA4_OK);
    assert_int_equal(g4_gguf_arr_i64(a, 0), INT32_MIN);
    assert_int_equal(g4_gguf_arr_i64(a, 1), -7);
    assert_int_equal(g4_gguf_get_arr(f, "u64", G4_GGUF_UINT64, &a, &err), GEMMA4_OK);
    assert_true(g4_gguf_arr_u64(a, 1) == 1ull << 40);
    assert_true(g4_gguf_arr_u64(a, 2) == UINT64_MAX);
    assert_int_equal(g4_gguf_get_arr(f, "i64", G4_GGUF_INT64, &a, &err), GEMMA4_OK);
    assert_true(g4_gguf_arr_i64(a, 0) == INT64_MIN);
    assert_true(g4_gguf_arr_i64(a, 2) == INT64_MAX);
    assert_int_equal(g4_gguf_get_arr(f, "f32", G4_GGUF_FLOAT32, &a, &err), GEMMA4_OK);
    assert_true(g4_gguf_arr_f64(a, 0) == -1.5);
    assert_true(g4_gguf_arr_f64(a, 2) == (double)FLT_MAX);
    assert_int_equal(g4_gguf_get_arr(f, "f64", G4_GGUF_FLOAT64, &a, &err), GEMMA4_OK);
    assert_true(g4_gguf_arr_f64(a, 0) == DBL_MIN);
    assert_true(g4_gguf_arr_f64(a, 2) == 1e300);
    assert_int_equal(g4_gguf_get_arr(f, "bool", G4_GGUF_BOOL, &a, &err), GEMMA4_OK);
    assert_true(g4_gguf_arr_bool(a, 0));
    assert_false(g4_gguf_arr_bool(a, 1));
    assert_int_equal(g4_gguf_get_arr(f, "str", G4_GGUF_STRING, &a, &err), GEMMA4_OK);
    assert_int_equal(a->count, 3);
    assert_true(g4_str_eq(a->strs[0], "<bos>"));
    assert_true(g4_str_eq(a->strs[1], ""));
    assert_true(g4_str_eq(a->strs[2], "\xe2\x96\x81the"));
    assert_int_equal(g4_gguf_get_arr(f, "empty", G4_GGUF_UINT32, &a, &err), GEMMA4_OK);
    assert_int_equal(a->count, 0);
    assert_int_equal(g4_gguf_get_arr(f, "empty.str", G4_GGUF_STRING, &a, &err), GEMMA4_OK);
    assert_int_equal(a->count, 0);
    g4_gguf_close(f);
    free(buf);
}

/* Arrays of arrays (the writer has no call for them, so the bytes are built by hand). */
static void test_nested_arrays(void **state) {
    (void)state;
    gb b = {0};
    gb_header(&b, 3, 0, 2);
    gb_str(&b, "matrix"); /* [[1, 2, 3], []] of u16 */
    gb_u32(&b, GB_ARRAY);
    gb_u32(&b, GB_ARRAY);
    gb_u64(&b, 2);
    gb_u32(&b, GB_U16);
    gb_u64(&b, 3);
    gb_le(&b, 1, 2);
    gb_le(&b, 2, 2);
    gb_le(&b, 3, 2);
    gb_u32(&b, GB_U16);
    gb_u64(&b, 0);
    gb_str(&b, "deep"); /* 8 levels (the limit), innermost a string array ["x"] */
    gb_u32(&b, GB_ARRAY);
    for (int level = 0; level < 7; level++) {
        gb_u32(&b, GB_ARRAY);
        gb_u64(&b, 1);
    }
    gb_u32(&b, GB_STRING);
    gb_u64(&b, 1);
    gb_str(&b, "x");

    g4_gguf *f = NULL;
    g4_error err = {0};
    if (g4_gguf_open_memory(b.p, b.len, &f, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    const g4_gguf_value *m = g4_gguf_find(f, "matrix");
    assert_int_equal(m->type, G4_GGUF_ARRAY);
    assert_int_equal(m->elem_type, G4_GGUF_ARRAY);
    assert_int_equal(m->count, 2);
    assert_int_equal(m->items[0].elem_type, G4_GGUF_UINT16);
    assert_int_equal(m->items[0].count, 3);
    assert_int_equal(g4_gguf_arr_u64(&m->items[0], 2), 3);
    assert_int_equal(m->items[1].count, 0);
    const g4_gguf_value *d = g4_gguf_find(f, "deep");
    for (int level = 0; level < 7; level++) {
        assert_int_equal(d->elem_type, G4_GGUF_ARRAY);
        d = &d->items[0];
    }
    assert_int_equal(d->elem_type, G4_GGUF_STRING);
    assert_true(g4_str_eq(d->strs[0], "x"));
    g4_gguf_close(f);
    gb_free(&b);
}

static void test_getter_messages(void **state) {
    (void)state;
    const int32_t layers[] = {1, 2};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_str(w, "general.name", "tiny");
    g4_gguf_writer_add_i32(w, "negative", -1);
    g4_gguf_writer_add_u64(w, "big", 1ull << 33);
    g4_gguf_writer_add_arr(w, "arr.i32", G4_GGUF_INT32, layers, 2);
    g4_gguf_writer_add_f64(w, "huge.f64", 1e300);
    void *buf;
    g4_gguf *f = write_and_open(w, NULL, NULL, &buf);
    g4_error err = {0};
    uint32_t u32;
    int32_t i32;
    float f32;
    bool b;
    g4_str s;
    const g4_gguf_value *a;

    assert_int_equal(g4_gguf_get_u32(f, "gemma4.block_count", &u32, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'gemma4.block_count' missing");
    assert_int_equal(g4_gguf_get_u32(f, "general.name", &u32, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'general.name' has type string, want u32");
    assert_int_equal(g4_gguf_get_u32(f, "negative", &u32, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'negative' value -1 does not fit u32");
    assert_int_equal(g4_gguf_get_u32(f, "big", &u32, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'big' value 8589934592 does not fit u32");
    assert_int_equal(g4_gguf_get_i32(f, "big", &i32, &err), GEMMA4_ERR_FORMAT);
    assert_msg_has(err, "does not fit i32");
    assert_int_equal(g4_gguf_get_u32(f, "arr.i32", &u32, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'arr.i32' has type array of i32, want u32");
    assert_int_equal(g4_gguf_get_f32(f, "negative", &f32, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'negative' has type i32, want f32");
    assert_int_equal(g4_gguf_get_f32(f, "huge.f64", &f32, &err), GEMMA4_ERR_FORMAT);
    assert_msg_has(err, "does not fit f32");
    assert_int_equal(g4_gguf_get_bool(f, "general.name", &b, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'general.name' has type string, want bool");
    assert_int_equal(g4_gguf_get_str(f, "big", &s, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'big' has type u64, want string");
    assert_int_equal(g4_gguf_get_arr(f, "arr.i32", G4_GGUF_UINT32, &a, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'arr.i32' has type array of i32, want array of u32");
    assert_int_equal(g4_gguf_get_arr(f, "big", G4_GGUF_UINT32, &a, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'big' has type u64, want array of u32");
    assert_int_equal(g4_gguf_get_arr(f, "nope", G4_GGUF_STRING, &a, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'nope' missing");
    assert_string_equal(g4_gguf_vtype_name(G4_GGUF_STRING), "string");
    assert_string_equal(g4_gguf_vtype_name(G4_GGUF_ARRAY), "array");
    assert_string_equal(g4_gguf_vtype_name((g4_gguf_vtype)99), "unknown");
    g4_gguf_close(f);
    free(buf);
}

static void test_u32_per_layer(void **state) {
    (void)state;
    const uint32_t ff[4] = {6144, 6144, 12288, 12288};
    const int16_t heads[4] = {8, 8, 4, 4};
    const int32_t negative[4] = {1, 2, -3, 4};
    const float floats[4] = {1, 2, 3, 4};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_u32(w, "scalar", 8);
    g4_gguf_writer_add_arr(w, "ff", G4_GGUF_UINT32, ff, 4);
    g4_gguf_writer_add_arr(w, "heads", G4_GGUF_INT16, heads, 4);
    g4_gguf_writer_add_arr(w, "short", G4_GGUF_UINT32, ff, 3);
    g4_gguf_writer_add_arr(w, "negative", G4_GGUF_INT32, negative, 4);
    g4_gguf_writer_add_arr(w, "floats", G4_GGUF_FLOAT32, floats, 4);
    g4_gguf_writer_add_str(w, "name", "x");
    void *buf;
    g4_gguf *f = write_and_open(w, NULL, NULL, &buf);
    g4_error err = {0};
    uint32_t out[4];

    assert_int_equal(g4_gguf_get_u32_per_layer(f, "scalar", 4, out, &err), GEMMA4_OK);
    for (int i = 0; i < 4; i++) assert_int_equal(out[i], 8);
    assert_int_equal(g4_gguf_get_u32_per_layer(f, "ff", 4, out, &err), GEMMA4_OK);
    assert_int_equal(out[0], 6144);
    assert_int_equal(out[3], 12288);
    assert_int_equal(g4_gguf_get_u32_per_layer(f, "heads", 4, out, &err), GEMMA4_OK);
    assert_int_equal(out[1], 8);
    assert_int_equal(out[2], 4);
    assert_int_equal(g4_gguf_get_u32_per_layer(f, "short", 4, out, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'short' has 3 elements, want 4 (one per layer)");
    assert_int_equal(g4_gguf_get_u32_per_layer(f, "negative", 4, out, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'negative' element 2 value -3 does not fit u32");
    assert_int_equal(g4_gguf_get_u32_per_layer(f, "floats", 4, out, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'floats' has type array of f32, want u32 or array of u32");
    assert_int_equal(g4_gguf_get_u32_per_layer(f, "name", 4, out, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'name' has type string, want u32");
    assert_int_equal(g4_gguf_get_u32_per_layer(f, "absent", 4, out, &err), GEMMA4_ERR_FORMAT);
    assert_string_equal(err.msg, "key 'absent' missing");
    g4_gguf_close(f);
    free(buf);
}

static void test_tensor_directory(void **state) {
    (void)state;
    const int64_t ne_a[2] = {8, 3}, ne_b[1] = {64}, ne_c[4] = {256, 2, 1, 3};
    size_t sizes[3] = {8 * 3 * 4, 64 / 32 * 34, 256 * 2 * 3 / 256 * 144};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
    g4_gguf_writer_set_alignment(w, 64);
    g4_gguf_writer_add_tensor(w, "a.weight", G4_TYPE_F32, 2, ne_a);
    g4_gguf_writer_add_tensor(w, "b.weight", G4_TYPE_Q8_0, 1, ne_b);
    g4_gguf_writer_add_tensor(w, "c.weight", G4_TYPE_Q4_K, 4, ne_c);
    void *buf;
    g4_gguf *f = write_and_open(w, fill_pattern, sizes, &buf);

    assert_int_equal(g4_gguf_alignment(f), 64);
    assert_int_equal(g4_gguf_data_offset(f) % 64, 0);
    assert_int_equal(g4_gguf_n_tensors(f), 3);
    const g4_gguf_tensor *t = g4_gguf_tensor_at(f, 0);
    assert_string_equal(t->name, "a.weight");
    assert_int_equal(t->type, G4_TYPE_F32);
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[0], 8);
    assert_int_equal(t->ne[1], 3);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->ne[3], 1);
    assert_int_equal(t->offset, 0);
    assert_int_equal(t->nbytes, 96);
    assert_ptr_equal(t->data, (const uint8_t *)buf + g4_gguf_data_offset(f));

    t = g4_gguf_find_tensor(f, "b.weight");
    assert_ptr_equal(t, g4_gguf_tensor_at(f, 1));
    assert_int_equal(t->type, G4_TYPE_Q8_0);
    assert_int_equal(t->offset, 128); /* 96 padded to 64 */
    assert_int_equal(t->nbytes, 68);
    assert_int_equal(((const uint8_t *)t->data)[5], 16 + 5);

    t = g4_gguf_find_tensor(f, "c.weight");
    assert_int_equal(t->n_dims, 4);
    assert_int_equal(t->ne[3], 3);
    assert_int_equal(t->offset, 256);
    assert_int_equal(t->nbytes, 6 * 144);
    assert_int_equal(((const uint8_t *)t->data)[t->nbytes - 1], (uint8_t)(32 + t->nbytes - 1));
    assert_int_equal(g4_gguf_file_size(f), g4_gguf_data_offset(f) + 256 + 6 * 144 + 32);

    assert_null(g4_gguf_find_tensor(f, "nope"));
    assert_null(g4_gguf_tensor_at(f, 3));
    g4_gguf_close(f);
    free(buf);
}

/* v2 has the same layout as v3 (only v1's 32-bit counts differ). */
static void test_version_2_accepted(void **state) {
    (void)state;
    gb b = {0};
    const int64_t ne[1] = {4};
    gb_header(&b, 2, 1, 1);
    gb_kv_str(&b, "general.architecture", "llama");
    gb_tensor(&b, "t", 1, ne, 0, 0);
    gb_pad(&b, 32);
    gb_zeros(&b, 16);
    g4_gguf *f = NULL;
    g4_error err = {0};
    if (g4_gguf_open_memory(b.p, b.len, &f, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    assert_int_equal(g4_gguf_version(f), 2);
    assert_int_equal(g4_gguf_data_offset(f), 128);
    assert_int_equal(g4_gguf_find_tensor(f, "t")->nbytes, 16);
    g4_gguf_close(f);
    gb_free(&b);
}

static void test_open_by_path(void **state) {
    (void)state;
    char path[256];
    g4t_temp_path(path, sizeof path, ".gguf");
    const int64_t ne[1] = {32};
    size_t sizes[1] = {128};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_u32(w, "gemma4.block_count", 35);
    g4_gguf_writer_add_tensor(w, "x", G4_TYPE_F32, 1, ne);
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write(w, path, fill_pattern, sizes, &err), GEMMA4_OK);
    g4_gguf_writer_free(w);

    g4_gguf *f = NULL;
    if (g4_gguf_open(path, &f, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    uint32_t n;
    assert_int_equal(g4_gguf_get_u32(f, "gemma4.block_count", &n, &err), GEMMA4_OK);
    assert_int_equal(n, 35);
    assert_int_equal(((const uint8_t *)g4_gguf_find_tensor(f, "x")->data)[127], 127);
    g4_gguf_close(f);
    unlink(path);

    assert_int_equal(g4_gguf_open(path, &f, &err), GEMMA4_ERR_IO);
    assert_null(f);
    assert_msg_has(err, "cannot open: No such file");
    assert_int_equal(g4_gguf_open("/", &f, &err), GEMMA4_ERR_IO);
    assert_msg_has(err, "not a regular file");
    FILE *empty = fopen(path, "wb");
    assert_non_null(empty);
    fclose(empty);
    assert_int_equal(g4_gguf_open(path, &f, &err), GEMMA4_ERR_FORMAT);
    assert_msg_has(err, "empty file");
    unlink(path);
}

/* Thousands of keys and tensors: look-ups go through the hash index, all must be found. */
static void test_many_names(void **state) {
    (void)state;
    enum { N_KEYS = 3000, N_TENSORS = 1500 };
    g4_gguf_writer *w = g4_gguf_writer_new();
    char name[64];
    const int64_t ne[1] = {1};
    for (int i = 0; i < N_KEYS; i++) {
        snprintf(name, sizeof name, "key.%d", i);
        g4_gguf_writer_add_u32(w, name, (uint32_t)i);
    }
    for (int i = 0; i < N_TENSORS; i++) {
        snprintf(name, sizeof name, "blk.%d.attn_q.weight", i);
        g4_gguf_writer_add_tensor(w, name, G4_TYPE_F32, 1, ne);
    }
    void *buf;
    g4_gguf *f = write_and_open(w, NULL, NULL, &buf);
    g4_error err = {0};
    for (int i = 0; i < N_KEYS; i++) {
        uint32_t v;
        snprintf(name, sizeof name, "key.%d", i);
        assert_int_equal(g4_gguf_get_u32(f, name, &v, &err), GEMMA4_OK);
        assert_int_equal(v, i);
    }
    for (int i = 0; i < N_TENSORS; i++) {
        snprintf(name, sizeof name, "blk.%d.attn_q.weight", i);
        assert_ptr_equal(g4_gguf_find_tensor(f, name), g4_gguf_tensor_at(f, i));
    }
    assert_null(g4_gguf_find(f, "key.3000"));
    g4_gguf_close(f);
    free(buf);
}

/* Fingerprint of a file's bytes, opened from memory; false if they are no longer a valid GGUF. */
static bool fingerprint_of(const void *bytes, size_t size, uint8_t out[G4_GGUF_FINGERPRINT_BYTES]) {
    g4_gguf *f = NULL;
    if (g4_gguf_open_memory(bytes, size, &f, NULL) != GEMMA4_OK) return false;
    g4_gguf_fingerprint(f, out);
    g4_gguf_close(f);
    return true;
}

typedef enum { CHANGE_SEEN, CHANGE_UNSEEN, CHANGE_BREAKS_FILE } change_effect;

/* What flipping the low bit of one byte does to the fingerprint. */
static change_effect flip_byte(const uint8_t *file, size_t size, size_t at, const uint8_t *orig_fp) {
    uint8_t *copy = malloc(size), fp[G4_GGUF_FINGERPRINT_BYTES];
    assert_non_null(copy);
    memcpy(copy, file, size);
    copy[at] ^= 0x01;
    const bool opens = fingerprint_of(copy, size, fp);
    free(copy);
    if (!opens) return CHANGE_BREAKS_FILE;
    return memcmp(fp, orig_fp, sizeof fp) != 0 ? CHANGE_SEEN : CHANGE_UNSEEN;
}

static void test_fingerprint(void **state) {
    (void)state;
    const int64_t ne_small[1] = {24}, ne_big[2] = {64, 8}; /* 96 bytes (hashed whole), 2048 (sampled) */
    size_t sizes[2] = {96, 2048};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
    g4_gguf_writer_add_u32(w, "gemma4.block_count", 35);
    g4_gguf_writer_add_tensor(w, "small.weight", G4_TYPE_F32, 1, ne_small);
    g4_gguf_writer_add_tensor(w, "big.weight", G4_TYPE_F32, 2, ne_big);
    char path[256], path2[256];
    g4t_temp_path(path, sizeof path, ".gguf");
    g4t_temp_path(path2, sizeof path2, ".gguf");
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write(w, path, fill_pattern, sizes, &err), GEMMA4_OK);
    g4_gguf_writer_free(w);
    size_t size = 0;
    uint8_t *file = g4t_read_file(path, &size);
    assert_non_null(file);
    FILE *out = fopen(path2, "wb"); /* a copy at another path */
    assert_non_null(out);
    assert_int_equal(fwrite(file, 1, size, out), size);
    assert_int_equal(fclose(out), 0);

    /* by path, twice, and the copy: all equal; and equal to the documented construction */
    g4_gguf *f = NULL, *f2 = NULL;
    if (g4_gguf_open(path, &f, &err) != GEMMA4_OK || g4_gguf_open(path2, &f2, &err) != GEMMA4_OK)
        fail_msg("open: %s", err.msg);
    uint8_t a[G4_GGUF_FINGERPRINT_BYTES], again[G4_GGUF_FINGERPRINT_BYTES], copy[G4_GGUF_FINGERPRINT_BYTES];
    g4_gguf_fingerprint(f, a);
    g4_gguf_fingerprint(f, again);
    g4_gguf_fingerprint(f2, copy);
    assert_memory_equal(a, again, sizeof a);
    assert_memory_equal(a, copy, sizeof a);
    const size_t data = (size_t)g4_gguf_data_offset(f);
    const size_t big = data + (size_t)g4_gguf_find_tensor(f, "big.weight")->offset;
    g4_gguf_close(f);
    g4_gguf_close(f2);
    unlink(path);
    unlink(path2);

    g4_hash h;
    g4_hash_init(&h, 0);
    const uint8_t size_le[8] = {(uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16), (uint8_t)(size >> 24)};
    g4_hash_update(&h, size_le, 8);
    g4_hash_update(&h, file, data);
    g4_hash_update(&h, file + data, 96);
    g4_hash_update(&h, file + big, 64);
    g4_hash_update(&h, file + big + 2048 - 64, 64);
    const uint64_t first = g4_hash_final(&h);
    for (int i = 0; i < 8; i++) assert_int_equal(a[i], (uint8_t)(first >> (8 * i)));

    /* any byte of the directory that leaves a valid file (the key and value bytes, the shapes,
     * the offsets' padding...), the small tensor, the big one's first and last 64 bytes */
    size_t n_valid = 0;
    for (size_t at = 0; at < data; at++) {
        const change_effect e = flip_byte(file, size, at, a);
        if (e == CHANGE_UNSEEN) fail_msg("a change at byte %zu of the header goes unseen", at);
        n_valid += e == CHANGE_SEEN;
    }
    assert_true(n_valid > 40); /* the two keys' names and values alone are 40 bytes */
    const size_t seen[] = {data, data + 95, big, big + 63, big + 2048 - 64, big + 2047};
    for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
        if (flip_byte(file, size, seen[i], a) != CHANGE_SEEN) fail_msg("a change at byte %zu goes unseen", seen[i]);
    }
    /* by design not the middle of a large tensor (which keeps it from reading gigabytes) */
    assert_int_equal(flip_byte(file, size, big + 1024, a), CHANGE_UNSEEN);

    /* the size: the same bytes with one more at the end */
    uint8_t *longer = malloc(size + 1), fp[G4_GGUF_FINGERPRINT_BYTES];
    assert_non_null(longer);
    memcpy(longer, file, size);
    longer[size] = 0;
    assert_true(fingerprint_of(longer, size + 1, fp));
    assert_true(memcmp(fp, a, sizeof fp) != 0);
    free(longer);
    free(file);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_round_trip), cmocka_unit_test(test_arrays_round_trip),
        cmocka_unit_test(test_nested_arrays),      cmocka_unit_test(test_getter_messages),
        cmocka_unit_test(test_u32_per_layer),      cmocka_unit_test(test_tensor_directory),
        cmocka_unit_test(test_version_2_accepted), cmocka_unit_test(test_open_by_path),
        cmocka_unit_test(test_many_names),         cmocka_unit_test(test_fingerprint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
