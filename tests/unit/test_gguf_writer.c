/* GGUF writer: exact bytes of a small file, atomic file output, alignment, streaming checks and
 * every error it reports at write time. (That its files load in llama.cpp was checked with
 * llama-gguf; see the layout test for the format details that matter to it.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "gguf_bytes.h"
#include "testkit.h"

#define assert_msg_has(err, sub)                                                                                       \
    do {                                                                                                               \
        if (!strstr((err).msg, (sub))) fail_msg("message '%s' does not contain '%s'", (err).msg, (sub));               \
    } while (0)

static gemma4_status fill_two_floats(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    (void)user, (void)index, (void)name;
    const float v[2] = {1.0f, 2.0f};
    return g4_gguf_sink_write(sink, v, sizeof v);
}

static void test_exact_layout(void **state) {
    (void)state;
    const int64_t ne[1] = {2};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_u32(w, "a", 7);
    g4_gguf_writer_add_tensor(w, "t", G4_TYPE_F32, 1, ne);
    void *buf;
    size_t size;
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write_memory(w, fill_two_floats, NULL, &buf, &size, &err), GEMMA4_OK);
    g4_gguf_writer_free(w);

    gb want = {0};
    gb_header(&want, 3, 1, 1);
    gb_kv_u32(&want, "a", 7);
    gb_tensor(&want, "t", 1, ne, 0, 0);
    gb_pad(&want, 32); /* the data section starts aligned */
    gb_u32(&want, 0x3f800000);
    gb_u32(&want, 0x40000000);
    gb_pad(&want, 32); /* and every tensor, the last included, is padded (as llama.cpp writes) */
    assert_int_equal(size, 128);
    assert_int_equal(size, want.len);
    assert_memory_equal(buf, want.p, want.len);
    gb_free(&want);
    free(buf);
}

/* Writing to a path gives the same bytes as writing to memory, and leaves no .tmp behind. */
static void test_file_matches_memory(void **state) {
    (void)state;
    const int64_t ne[2] = {2, 1};
    char path[256], tmp[300];
    g4t_temp_path(path, sizeof path, ".gguf");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    void *mem = NULL;
    size_t mem_size = 0;
    for (int pass = 0; pass < 2; pass++) {
        g4_gguf_writer *w = g4_gguf_writer_new();
        g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
        g4_gguf_writer_set_alignment(w, 16);
        g4_gguf_writer_add_tensor(w, "x", G4_TYPE_F32, 2, ne);
        g4_gguf_writer_add_tensor(w, "y", G4_TYPE_F32, 2, ne);
        g4_error err = {0};
        if (pass == 0)
            assert_int_equal(g4_gguf_writer_write_memory(w, fill_two_floats, NULL, &mem, &mem_size, &err), GEMMA4_OK);
        else
            assert_int_equal(g4_gguf_writer_write(w, path, fill_two_floats, NULL, &err), GEMMA4_OK);
        g4_gguf_writer_free(w);
    }
    size_t file_size;
    void *file = g4t_read_file(path, &file_size);
    assert_non_null(file);
    assert_int_equal(file_size, mem_size);
    assert_memory_equal(file, mem, mem_size);
    assert_int_equal(access(tmp, F_OK), -1);

    g4_gguf *f = NULL;
    g4_error err = {0};
    assert_int_equal(g4_gguf_open_memory(mem, mem_size, &f, &err), GEMMA4_OK);
    assert_int_equal(g4_gguf_alignment(f), 16);
    assert_int_equal(g4_gguf_find_tensor(f, "y")->offset, 16);
    g4_gguf_close(f);
    free(file);
    free(mem);
    unlink(path);
}

/* Without a fill callback every tensor is zeros; big tensors go through in chunks. */
static void test_null_fill_writes_zeros(void **state) {
    (void)state;
    const int64_t ne[2] = {4096, 3};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_tensor(w, "z", G4_TYPE_F16, 2, ne);
    void *buf;
    size_t size;
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write_memory(w, NULL, NULL, &buf, &size, &err), GEMMA4_OK);
    g4_gguf_writer_free(w);
    g4_gguf *f = NULL;
    assert_int_equal(g4_gguf_open_memory(buf, size, &f, &err), GEMMA4_OK);
    const g4_gguf_tensor *t = g4_gguf_find_tensor(f, "z");
    assert_int_equal(t->nbytes, 4096 * 3 * 2);
    for (size_t i = 0; i < t->nbytes; i++) assert_int_equal(((const uint8_t *)t->data)[i], 0);
    g4_gguf_close(f);
    free(buf);
}

/* ---- fill callbacks that misbehave -------------------------------------------------------------- */

static gemma4_status fill_short(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    (void)user, (void)index, (void)name;
    const uint8_t b[4] = {0};
    return g4_gguf_sink_write(sink, b, sizeof b);
}

static gemma4_status fill_long(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    (void)user, (void)index, (void)name;
    const uint8_t b[12] = {0};
    return g4_gguf_sink_write(sink, b, sizeof b);
}

static gemma4_status fill_fails(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    (void)user, (void)index, (void)name, (void)sink;
    return GEMMA4_ERR_IO;
}

static gemma4_status try_fill(g4_gguf_tensor_fill_fn fill, const char *path, g4_error *err) {
    const int64_t ne[1] = {2};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_tensor(w, "t", G4_TYPE_F32, 1, ne);
    gemma4_status st;
    if (path) {
        st = g4_gguf_writer_write(w, path, fill, NULL, err);
    } else {
        void *buf = NULL;
        size_t size;
        st = g4_gguf_writer_write_memory(w, fill, NULL, &buf, &size, err);
        assert_true(st == GEMMA4_OK || buf == NULL);
        free(buf);
    }
    g4_gguf_writer_free(w);
    return st;
}

static void test_sink_checks(void **state) {
    (void)state;
    g4_error err = {0};
    assert_int_equal(try_fill(fill_short, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_string_equal(err.msg, "tensor 't': the fill callback wrote 4 of its 8 bytes");
    assert_int_equal(try_fill(fill_long, NULL, &err), GEMMA4_ERR_INVALID_ARG);
    assert_string_equal(err.msg, "tensor 't': 12 more bytes written after 0, but it has 8");
    assert_int_equal(try_fill(fill_fails, NULL, &err), GEMMA4_ERR_IO);
    assert_string_equal(err.msg, "tensor 't': the fill callback failed");

    /* A failed file write leaves neither the file nor its .tmp. */
    char path[256], tmp[300];
    g4t_temp_path(path, sizeof path, ".gguf");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(try_fill(fill_short, path, &err), GEMMA4_ERR_INVALID_ARG);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(try_fill(fill_two_floats, "/nonexistent-dir/x.gguf", &err), GEMMA4_ERR_IO);
    assert_msg_has(err, "cannot create '/nonexistent-dir/x.gguf.tmp'");
}

/* ---- mistakes while adding, reported by the write call ------------------------------------------- */

typedef struct bad_case {
    const char *what;
    void (*build)(g4_gguf_writer *w);
    const char *message;
} bad_case;

static void dup_key(g4_gguf_writer *w) {
    g4_gguf_writer_add_u32(w, "a", 1);
    g4_gguf_writer_add_str(w, "a", "again");
}
static void dup_tensor(g4_gguf_writer *w) {
    const int64_t ne[1] = {1};
    g4_gguf_writer_add_tensor(w, "t", G4_TYPE_F32, 1, ne);
    g4_gguf_writer_add_tensor(w, "t", G4_TYPE_F32, 1, ne);
}
static void bad_block(g4_gguf_writer *w) {
    const int64_t ne[2] = {33, 2};
    g4_gguf_writer_add_tensor(w, "q", G4_TYPE_Q4_0, 2, ne);
}
static void zero_dim(g4_gguf_writer *w) {
    const int64_t ne[2] = {4, 0};
    g4_gguf_writer_add_tensor(w, "z", G4_TYPE_F32, 2, ne);
}
static void five_dims(g4_gguf_writer *w) {
    const int64_t ne[5] = {1, 1, 1, 1, 1};
    g4_gguf_writer_add_tensor(w, "five", G4_TYPE_F32, 5, ne);
}
static void bad_type(g4_gguf_writer *w) {
    const int64_t ne[1] = {1};
    g4_gguf_writer_add_tensor(w, "u", (g4_type)4, 1, ne);
}
static void long_name(g4_gguf_writer *w) {
    const int64_t ne[1] = {1};
    char name[65];
    memset(name, 'n', 64);
    name[64] = '\0';
    g4_gguf_writer_add_tensor(w, name, G4_TYPE_F32, 1, ne);
}
static void bad_alignment(g4_gguf_writer *w) {
    g4_gguf_writer_set_alignment(w, 48);
}
static void alignment_by_hand(g4_gguf_writer *w) {
    g4_gguf_writer_add_u32(w, "general.alignment", 0);
}
static void alignment_wrong_type(g4_gguf_writer *w) {
    g4_gguf_writer_add_u64(w, "general.alignment", 32);
}
static void string_elems(g4_gguf_writer *w) {
    g4_gguf_writer_add_arr(w, "s", G4_GGUF_STRING, "x", 1);
}
static void null_string(g4_gguf_writer *w) {
    const char *strs[2] = {"a", NULL};
    g4_gguf_writer_add_arr_str(w, "toks", strs, 2);
}
static void empty_key(g4_gguf_writer *w) {
    g4_gguf_writer_add_u32(w, "", 1);
}
static void first_error_wins(g4_gguf_writer *w) {
    g4_gguf_writer_add_str(w, "k", NULL);
    g4_gguf_writer_add_u32(w, "", 1);
}

static void test_add_errors(void **state) {
    (void)state;
    const bad_case cases[] = {
        {"duplicate key", dup_key, "key 'a' added twice"},
        {"duplicate tensor", dup_tensor, "tensor 't' added twice"},
        {"row not whole blocks", bad_block,
         "tensor 'q': rows of 33 elements are not a multiple of the q4_0 block size 32"},
        {"zero dimension", zero_dim, "tensor 'z': dimension 1 is 0"},
        {"five dimensions", five_dims, "tensor 'five': 5 dimensions, want 1 to 4"},
        {"removed type id", bad_type, "tensor 'u': unknown type id 4"},
        {"64-byte name", long_name, "tensor name too long (llama.cpp allows at most 63 bytes)"},
        {"alignment 48", bad_alignment, "alignment 48 is not a power of two"},
        {"alignment 0 by hand", alignment_by_hand, "general.alignment must be a u32 power of two"},
        {"alignment as u64", alignment_wrong_type, "general.alignment must be a u32 power of two"},
        {"string elements via add_arr", string_elems, "key 's': add_arr takes scalar elements, not string"},
        {"NULL in a string array", null_string, "key 'toks': string #1 is NULL"},
        {"empty key", empty_key, "metadata key #0 is empty"},
        {"first error wins", first_error_wins, "key 'k': string value is NULL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        g4_gguf_writer *w = g4_gguf_writer_new();
        cases[i].build(w);
        void *buf = (void *)1;
        size_t size = 1;
        g4_error err = {0};
        gemma4_status st = g4_gguf_writer_write_memory(w, NULL, NULL, &buf, &size, &err);
        g4_gguf_writer_free(w);
        if (st != GEMMA4_ERR_INVALID_ARG || !strstr(err.msg, cases[i].message))
            fail_msg("%s: got %s '%s', want '%s'", cases[i].what, gemma4_status_name(st), err.msg, cases[i].message);
        assert_null(buf);
        assert_int_equal(size, 0);
    }
}

/* g4_gguf_writer_new can fail; the calls after it must not crash, and write says what happened. */
static void test_null_writer(void **state) {
    (void)state;
    const int64_t ne[1] = {1};
    g4_gguf_writer_add_u32(NULL, "a", 1);
    g4_gguf_writer_add_str(NULL, "s", NULL);
    g4_gguf_writer_set_alignment(NULL, 64);
    g4_gguf_writer_add_tensor(NULL, "t", G4_TYPE_F32, 1, ne);
    void *buf;
    size_t size;
    g4_error err = {0};
    assert_int_equal(g4_gguf_writer_write_memory(NULL, NULL, NULL, &buf, &size, &err), GEMMA4_ERR_INVALID_ARG);
    assert_string_equal(err.msg, "GGUF writer is NULL");
    g4_gguf_writer_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_layout),
        cmocka_unit_test(test_file_matches_memory),
        cmocka_unit_test(test_null_fill_writes_zeros),
        cmocka_unit_test(test_sink_checks),
        cmocka_unit_test(test_add_errors),
        cmocka_unit_test(test_null_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
