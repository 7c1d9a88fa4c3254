/* GGUF reader on broken files: a table of hand-built malformed files, each with the status and the
 * words of the message it must produce; every truncation of a valid file; every single-byte
 * corruption of one. None may crash, leak (run under ASan) or succeed where it should not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "gguf_bytes.h"
#include "testkit.h"

/* ---- the malformed files --------------------------------------------------------------------------- */

static const int64_t k_ne8[1] = {8}; /* an f32 tensor of 32 bytes */

/* A one-key file whose key has the given value type id and no value after it. */
static void key_with_type(gb *b, const char *key, uint32_t type) {
    gb_header(b, 3, 0, 1);
    gb_str(b, key);
    gb_u32(b, type);
}

/* A file with one tensor directory entry (no keys), padded, and `data` bytes of tensor data. */
static void one_tensor(gb *b, uint32_t n_dims, const int64_t *ne, uint32_t type, uint64_t offset, size_t data) {
    gb_header(b, 3, 1, 0);
    gb_tensor(b, "t", n_dims, ne, type, offset);
    gb_pad(b, 32);
    gb_zeros(b, data);
}

static void empty_file(gb *b) {
    (void)b;
}
static void short_header(gb *b) {
    gb_raw(b, "GGUF\3\0", 6);
}
static void bad_magic(gb *b) {
    gb_raw(b, "GGML", 4);
    gb_u32(b, 3);
    gb_u64(b, 0);
    gb_u64(b, 0);
}
static void version_0(gb *b) {
    gb_header(b, 0, 0, 0);
}
static void version_1(gb *b) {
    gb_header(b, 1, 0, 0);
}
static void version_4(gb *b) {
    gb_header(b, 4, 0, 0);
}
static void big_endian(gb *b) {
    gb_header(b, 0x03000000, 0, 0);
}
static void huge_tensor_count(gb *b) {
    gb_header(b, 3, 1ull << 60, 0);
}
static void huge_kv_count(gb *b) {
    gb_header(b, 3, 0, 1ull << 62);
}
static void key_past_eof(gb *b) {
    gb_header(b, 3, 0, 1);
    gb_u64(b, 1000);
    gb_zeros(b, 20);
}
static void key_length_max(gb *b) {
    gb_header(b, 3, 0, 1);
    gb_u64(b, UINT64_MAX);
    gb_zeros(b, 16);
}
static void empty_key(gb *b) {
    gb_header(b, 3, 0, 1);
    gb_str(b, "");
    gb_u32(b, GB_U8);
    gb_u8(b, 1);
    gb_u8(b, 0); /* an empty key's entry is shorter than the header check assumes */
}
static void key_with_nul(gb *b) {
    gb_header(b, 3, 0, 1);
    gb_strn(b, "a\0b", 3);
    gb_u32(b, GB_U8);
    gb_u8(b, 1);
}
static void duplicate_key(gb *b) {
    gb_header(b, 3, 0, 2);
    gb_kv_u32(b, "a", 1);
    gb_kv_u32(b, "a", 2);
}
static void unknown_value_type(gb *b) {
    key_with_type(b, "k", 13);
    gb_u32(b, 0);
}
static void value_type_truncated(gb *b) {
    gb_header(b, 3, 0, 1);
    gb_str(b, "key.name");
}
static void u32_truncated(gb *b) {
    key_with_type(b, "k", GB_U32);
    gb_le(b, 7, 2);
}
static void string_value_past_eof(gb *b) {
    key_with_type(b, "k", GB_STRING);
    gb_u64(b, 50);
    gb_raw(b, "short", 5);
}
/* An array value header: element type and count (the caller adds elements). */
static void array_of(gb *b, uint32_t elem, uint64_t count) {
    key_with_type(b, "arr", GB_ARRAY);
    gb_u32(b, elem);
    gb_u64(b, count);
}
static void array_2_60_u8(gb *b) {
    array_of(b, GB_U8, 1ull << 60);
    gb_zeros(b, 64);
}
static void array_2_61_u64(gb *b) {
    array_of(b, GB_U64, 1ull << 61); /* count * 8 wraps to 0 without checked arithmetic */
    gb_zeros(b, 64);
}
static void array_2_40_strings(gb *b) {
    array_of(b, GB_STRING, 1ull << 40);
    gb_zeros(b, 64);
}
static void array_short(gb *b) {
    array_of(b, GB_U32, 10);
    gb_zeros(b, 12);
}
static void array_unknown_elem(gb *b) {
    array_of(b, 77, 1);
}
static void arrays_nested_9(gb *b) {
    key_with_type(b, "deep", GB_ARRAY);
    for (int i = 0; i < 9; i++) {
        gb_u32(b, GB_ARRAY);
        gb_u64(b, 1);
    }
    gb_zeros(b, 32);
}
static void array_string_past_eof(gb *b) {
    array_of(b, GB_STRING, 2);
    gb_str(b, "ok");
    gb_u64(b, 1u << 20);
    gb_raw(b, "x", 1);
}
static void alignment_u64(gb *b) {
    key_with_type(b, "general.alignment", GB_U64);
    gb_u64(b, 32);
}
static void alignment_0(gb *b) {
    gb_header(b, 3, 0, 1);
    gb_kv_u32(b, "general.alignment", 0);
}
static void alignment_48(gb *b) {
    gb_header(b, 3, 0, 1);
    gb_kv_u32(b, "general.alignment", 48);
}
static void tensor_name_past_eof(gb *b) {
    gb_header(b, 3, 1, 0);
    gb_u64(b, 99);
    gb_zeros(b, 40);
}
static void tensor_name_with_nul(gb *b) {
    gb_header(b, 3, 1, 0);
    gb_strn(b, "w\0x", 3);
    gb_u32(b, 1);
    gb_u64(b, 8);
    gb_u32(b, 0);
    gb_u64(b, 0);
    gb_pad(b, 32);
    gb_zeros(b, 32);
}
static void duplicate_tensor(gb *b) {
    gb_header(b, 3, 2, 0);
    gb_tensor(b, "w", 1, k_ne8, 0, 0);
    gb_tensor(b, "w", 1, k_ne8, 0, 32);
    gb_pad(b, 32);
    gb_zeros(b, 64);
}
static void zero_dims(gb *b) {
    one_tensor(b, 0, k_ne8, 0, 0, 32);
}
static void five_dims(gb *b) {
    const int64_t ne[5] = {1, 1, 1, 1, 8};
    one_tensor(b, 5, ne, 0, 0, 32);
}
static void zero_dimension(gb *b) {
    const int64_t ne[2] = {8, 0};
    one_tensor(b, 2, ne, 0, 0, 32);
}
static void negative_dimension(gb *b) {
    const int64_t ne[2] = {-3, 8};
    one_tensor(b, 2, ne, 0, 0, 32);
}
static void element_count_overflow(gb *b) {
    const int64_t ne[2] = {1ll << 32, 1ll << 32};
    one_tensor(b, 2, ne, 0, 0, 32);
}
static void unknown_tensor_type(gb *b) {
    one_tensor(b, 1, k_ne8, 99, 0, 32);
}
static void removed_tensor_type(gb *b) {
    one_tensor(b, 1, k_ne8, 4, 0, 32);
} /* Q4_2, long gone from ggml */
static void partial_block(gb *b) {
    const int64_t ne[2] = {33, 2};
    one_tensor(b, 2, ne, 2 /* q4_0 */, 0, 64);
}
static void byte_size_overflow(gb *b) {
    const int64_t ne[1] = {1ll << 62};
    one_tensor(b, 1, ne, 0, 0, 32);
}
static void misaligned_offset(gb *b) {
    one_tensor(b, 1, k_ne8, 0, 16, 64);
}
static void misaligned_custom(gb *b) {
    gb_header(b, 3, 1, 1);
    gb_kv_u32(b, "general.alignment", 64);
    gb_tensor(b, "t", 1, k_ne8, 0, 32);
    gb_pad(b, 64);
    gb_zeros(b, 128);
}
static void data_past_eof(gb *b) {
    one_tensor(b, 1, k_ne8, 0, 0, 16);
}
static void offset_near_2_64(gb *b) {
    one_tensor(b, 1, k_ne8, 0, UINT64_MAX - 31, 32);
}
static void no_data_section(gb *b) {
    gb_header(b, 3, 1, 0);
    gb_tensor(b, "t", 1, k_ne8, 0, 0);
}
static void dims_truncated(gb *b) {
    gb_header(b, 3, 1, 0);
    gb_str(b, "tensor.name");
    gb_u32(b, 2);
    gb_u64(b, 8);
    gb_le(b, 1, 3);
}
static void control_chars_in_key(gb *b) {
    gb_header(b, 3, 0, 2);
    gb_kv_u32(b, "\x1b[2J", 1);
    gb_kv_u32(b, "\x1b[2J", 1);
}
static void long_key(gb *b) {
    char key[201];
    memset(key, 'k', 200);
    key[200] = '\0';
    key_with_type(b, key, 42);
}

typedef struct bad_file {
    const char *what;
    void (*build)(gb *b);
    gemma4_status status;
    const char *message; /* must appear in the error text */
} bad_file;

#define F GEMMA4_ERR_FORMAT
#define U GEMMA4_ERR_UNSUPPORTED

static const bad_file k_bad_files[] = {
    {"empty", empty_file, F, "header at offset 0: file truncated: magic needs 4 bytes, 0 left"},
    {"short header", short_header, F, "header at offset 4: file truncated: version needs 4 bytes, 2 left"},
    {"bad magic", bad_magic, F, "header at offset 0: not a GGUF file (magic is 'GGML', want 'GGUF')"},
    {"version 0", version_0, F, "header at offset 4: GGUF version 0 is not supported"},
    {"version 1", version_1, U, "GGUF version 1 is obsolete"},
    {"version 4", version_4, U, "GGUF version 4 is not supported (this reader reads versions 2 and 3)"},
    {"big-endian", big_endian, U, "big-endian GGUF files are not supported"},
    {"2^60 tensors", huge_tensor_count, F, "header at offset 8: claims 1152921504606846976 tensors"},
    {"2^62 keys", huge_kv_count, F, "claims 0 tensors and 4611686018427387904 metadata keys"},
    {"key past EOF", key_past_eof, F, "key #0 at offset 24: key of 1000 bytes runs past the end of the file (20 left)"},
    {"key length 2^64-1", key_length_max, F, "key #0 at offset 24: key of 18446744073709551615 bytes runs past"},
    {"empty key", empty_key, F, "key '' at offset 24: empty key"},
    {"NUL in key", key_with_nul, F, "key #0 at offset 24: key contains a NUL byte"},
    {"duplicate key", duplicate_key, F, "key 'a' at offset 41: duplicate key (first at offset 24)"},
    {"unknown value type", unknown_value_type, F, "key 'k' at offset 33: unknown value type 13"},
    {"value type cut", value_type_truncated, F,
     "key 'key.name' at offset 40: file truncated: value type needs 4 bytes, 0 left"},
    {"u32 cut", u32_truncated, F, "key 'k' at offset 37: file truncated: u32 needs 4 bytes, 2 left"},
    {"string value past EOF", string_value_past_eof, F, "key 'k' at offset 37: string value of 50 bytes runs past"},
    {"2^60 u8 array", array_2_60_u8, F,
     "key 'arr' at offset 39: array of 1152921504606846976 u8 elements does not fit"},
    {"2^61 u64 array", array_2_61_u64, F, "array of 2305843009213693952 u64 elements does not fit"},
    {"2^40 string array", array_2_40_strings, F, "array of 1099511627776 string elements does not fit"},
    {"array cut short", array_short, F, "array of 10 u32 elements does not fit in the 12 bytes left in the file"},
    {"unknown element type", array_unknown_elem, F, "key 'arr' at offset 39: unknown array element type 77"},
    {"arrays 9 deep", arrays_nested_9, F, "key 'deep' at offset 136: arrays nested more than 8 deep"},
    {"array string past EOF", array_string_past_eof, F, "array string of 1048576 bytes runs past the end"},
    {"alignment u64", alignment_u64, F, "key 'general.alignment' at offset 24: has type u64, want u32"},
    {"alignment 0", alignment_0, F, "key 'general.alignment' at offset 24: alignment 0 is not a power of two"},
    {"alignment 48", alignment_48, F, "alignment 48 is not a power of two"},
    {"tensor name past EOF", tensor_name_past_eof, F, "tensor #0 at offset 24: tensor name of 99 bytes runs past"},
    {"NUL in tensor name", tensor_name_with_nul, F, "tensor #0 at offset 24: tensor name contains a NUL byte"},
    {"duplicate tensor", duplicate_tensor, F, "tensor 'w' at offset 57: duplicate tensor name (first is tensor #0)"},
    {"0 dimensions", zero_dims, F, "tensor 't' at offset 33: 0 dimensions, want 1 to 4"},
    {"5 dimensions", five_dims, F, "tensor 't' at offset 33: 5 dimensions, want 1 to 4"},
    {"zero dimension", zero_dimension, F, "tensor 't' at offset 45: dimension 1 is 0, want at least 1"},
    {"negative dimension", negative_dimension, F, "tensor 't' at offset 37: dimension 0 is -3, want at least 1"},
    {"element count overflow", element_count_overflow, F, "tensor 't' at offset 45: element count overflows"},
    {"unknown tensor type", unknown_tensor_type, U, "tensor 't' at offset 45: unknown tensor type id 99"},
    {"removed tensor type", removed_tensor_type, U, "unknown tensor type id 4"},
    {"partial block", partial_block, F, "rows of 33 elements are not a multiple of the q4_0 block size 32"},
    {"byte size overflow", byte_size_overflow, F, "tensor 't' at offset 45: size in bytes overflows"},
    {"misaligned offset", misaligned_offset, F,
     "tensor 't' at offset 49: data offset 16 is not a multiple of the alignment 32"},
    {"misaligned (alignment 64)", misaligned_custom, F, "data offset 32 is not a multiple of the alignment 64"},
    {"data past EOF", data_past_eof, F,
     "tensor 't' at offset 64: 32 bytes of data (relative offset 0) run past the end of the file (80 bytes)"},
    {"offset near 2^64", offset_near_2_64, F, "run past the end of the file"},
    {"no data section", no_data_section, F,
     "tensor data at offset 57: data section would start past the end of the file"},
    {"dimensions cut", dims_truncated, F,
     "tensor 'tensor.name' at offset 55: file truncated: dimension needs 8 bytes, 3 left"},
    {"control characters", control_chars_in_key, F, "key '?[2J' at offset 44: duplicate key"},
    {"200-byte key", long_key, F, "kkkk...' at offset 232: unknown value type 42"},
};

static void test_malformed_table(void **state) {
    (void)state;
    size_t n = sizeof k_bad_files / sizeof k_bad_files[0];
    assert_true(n >= 25);
    for (size_t i = 0; i < n; i++) {
        const bad_file *c = &k_bad_files[i];
        gb b = {0};
        c->build(&b);
        g4_gguf *f = (g4_gguf *)&b; /* must be reset to NULL on failure */
        g4_error err = {0};
        gemma4_status st = g4_gguf_open_memory(b.len ? (const void *)b.p : "", b.len, &f, &err);
        if (st != c->status || !strstr(err.msg, c->message))
            fail_msg("%s: got %s '%s'\n  want %s '%s'", c->what, gemma4_status_name(st), err.msg,
                     gemma4_status_name(c->status), c->message);
        assert_null(f);
        gb_free(&b);
    }
}

/* ---- damage to a valid file ------------------------------------------------------------------------ */

/* A small file using most of the format: scalar, string and array keys, an alignment, three tensors
 * whose sizes are multiples of the alignment (so the file ends exactly where the last data ends). */
static void *valid_file(size_t *size) {
    const char *toks[] = {"<pad>", "<bos>", "a"};
    const float scores[] = {0, 0, -1.5f};
    const int64_t ne_a[2] = {8, 2}, ne_b[1] = {64}, ne_c[2] = {256, 1};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
    g4_gguf_writer_add_u32(w, "gemma4.block_count", 2);
    g4_gguf_writer_set_alignment(w, 16);
    g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", toks, 3);
    g4_gguf_writer_add_arr(w, "tokenizer.ggml.scores", G4_GGUF_FLOAT32, scores, 3);
    g4_gguf_writer_add_f32(w, "gemma4.attention.layer_norm_rms_eps", 1e-6f);
    g4_gguf_writer_add_tensor(w, "a", G4_TYPE_F32, 2, ne_a);
    g4_gguf_writer_add_tensor(w, "b", G4_TYPE_F16, 1, ne_b);
    g4_gguf_writer_add_tensor(w, "c", G4_TYPE_Q4_K, 2, ne_c);
    void *buf;
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write_memory(w, NULL, NULL, &buf, size, &err), GEMMA4_OK);
    g4_gguf_writer_free(w);
    return buf;
}

/* Every proper prefix must fail cleanly, with a FORMAT error that says where. */
static void test_every_truncation(void **state) {
    (void)state;
    size_t size;
    uint8_t *full = valid_file(&size);
    g4_gguf *f = NULL;
    g4_error err = {0};
    assert_int_equal(g4_gguf_open_memory(full, size, &f, &err), GEMMA4_OK);
    const g4_gguf_tensor *last = g4_gguf_tensor_at(f, 2);
    assert_int_equal(g4_gguf_data_offset(f) + last->offset + last->nbytes, size);
    g4_gguf_close(f);

    for (size_t len = 0; len < size; len++) {
        /* A copy of exactly len bytes, so ASan catches any read past the prefix. */
        uint8_t *prefix = malloc(len ? len : 1);
        memcpy(prefix, full, len);
        err.msg[0] = '\0';
        gemma4_status st = g4_gguf_open_memory(prefix, len, &f, &err);
        if (st != GEMMA4_ERR_FORMAT || !strstr(err.msg, " at offset "))
            fail_msg("prefix of %zu/%zu bytes: got %s '%s'", len, size, gemma4_status_name(st), err.msg);
        assert_null(f);
        free(prefix);
    }
    free(full);
}

/* Each byte replaced by a few nasty values: either the file still parses or it fails with a message. */
static void test_every_byte_corrupted(void **state) {
    (void)state;
    static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    size_t size;
    uint8_t *full = valid_file(&size);
    uint8_t *copy = malloc(size);
    for (size_t pos = 0; pos < size; pos++) {
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(copy, full, size);
            copy[pos] = values[v];
            g4_gguf *f = NULL;
            g4_error err = {0};
            gemma4_status st = g4_gguf_open_memory(copy, size, &f, &err);
            if (st == GEMMA4_OK) {
                assert_non_null(f);
                g4_gguf_close(f);
            } else if (f != NULL || err.msg[0] == '\0' || st == GEMMA4_ERR_INTERNAL) {
                fail_msg("byte %zu = 0x%02x: %s with message '%s'", pos, values[v], gemma4_status_name(st), err.msg);
            }
        }
    }
    free(copy);
    free(full);
}

static void test_bad_arguments(void **state) {
    (void)state;
    g4_gguf *f = NULL;
    g4_error err = {0};
    assert_int_equal(g4_gguf_open_memory(NULL, 10, &f, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_gguf_open_memory("GGUF", 4, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(g4_gguf_open(NULL, &f, &err), GEMMA4_ERR_INVALID_ARG);
    g4_gguf_close(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_table),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_every_byte_corrupted),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
