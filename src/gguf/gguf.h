/*
 * GGUF reader (v2 and v3): the file is mmapped read-only, the header, metadata and tensor directory
 * are parsed and bounds-checked once at open, and tensors are zero-copy views into the mapping.
 *
 * Nothing read from the file is trusted: every count, length, offset and shape is checked against
 * the file size with overflow-safe arithmetic before it is used, and a failure names the key or
 * tensor and the byte offset where the file went wrong.
 *
 * Strings in GGUF are not NUL-terminated; g4_str points into the mapping with an explicit length.
 * Keys and tensor names are copied NUL-terminated at open for convenience.
 */
#ifndef G4_GGUF_H
#define G4_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "gguf/gguf_types.h"

#define G4_GGUF_MAX_DIMS 4
#define G4_GGUF_DEFAULT_ALIGNMENT 32

/* Metadata value types, numbered as in the GGUF specification. */
typedef enum g4_gguf_vtype {
    G4_GGUF_UINT8 = 0,
    G4_GGUF_INT8 = 1,
    G4_GGUF_UINT16 = 2,
    G4_GGUF_INT16 = 3,
    G4_GGUF_UINT32 = 4,
    G4_GGUF_INT32 = 5,
    G4_GGUF_FLOAT32 = 6,
    G4_GGUF_BOOL = 7,
    G4_GGUF_STRING = 8,
    G4_GGUF_ARRAY = 9,
    G4_GGUF_UINT64 = 10,
    G4_GGUF_INT64 = 11,
    G4_GGUF_FLOAT64 = 12,
    G4_GGUF_VTYPE_COUNT
} g4_gguf_vtype;

/* "u32", "string", "array" ... as used in error messages and `gemma4-cli info`. */
const char *g4_gguf_vtype_name(g4_gguf_vtype t);

typedef struct g4_str {
    const char *ptr; /* into the mapping; NOT NUL-terminated */
    uint64_t len;
} g4_str;

/* One metadata value. Scalars are decoded; arrays keep a pointer to their raw little-endian
 * elements in the mapping (possibly unaligned: read them with g4_gguf_arr_* below). */
typedef struct g4_gguf_value {
    g4_gguf_vtype type;
    union {
        uint64_t u64; /* any unsigned integer type, widened */
        int64_t i64;  /* any signed integer type, widened */
        double f64;   /* FLOAT32 or FLOAT64, widened */
        bool b;
        g4_str str;
    } v;
    /* type == G4_GGUF_ARRAY: */
    g4_gguf_vtype elem_type;
    uint64_t count;
    const uint8_t *data;               /* scalar element types: count packed elements */
    const g4_str *strs;                /* elem_type == STRING: count strings */
    const struct g4_gguf_value *items; /* elem_type == ARRAY: count nested arrays */
} g4_gguf_value;

typedef struct g4_gguf_kv {
    const char *key; /* NUL-terminated copy */
    uint64_t offset; /* byte offset of the key in the file, for messages */
    g4_gguf_value value;
} g4_gguf_kv;

typedef struct g4_gguf_tensor {
    const char *name; /* NUL-terminated copy */
    g4_type type;
    int n_dims;
    int64_t ne[G4_GGUF_MAX_DIMS]; /* ggml order: ne[0] is the contiguous (input) dimension; unused = 1 */
    uint64_t offset;              /* relative to the start of the data section */
    size_t nbytes;
    const void *data; /* into the mapping, aligned to the file's alignment */
} g4_gguf_tensor;

typedef struct g4_gguf g4_gguf;

/* Opens and validates a file. On failure *out is NULL and err says what and where. */
gemma4_status g4_gguf_open(const char *path, g4_gguf **out, g4_error *err);

/* The same over a caller-owned buffer (tests, fuzzing); the buffer must outlive the handle. */
gemma4_status g4_gguf_open_memory(const void *data, size_t size, g4_gguf **out, g4_error *err);

void g4_gguf_close(g4_gguf *f);

uint32_t g4_gguf_version(const g4_gguf *f);
uint32_t g4_gguf_alignment(const g4_gguf *f);
size_t g4_gguf_file_size(const g4_gguf *f);
uint64_t g4_gguf_data_offset(const g4_gguf *f); /* where the tensor data section starts */

/* The whole file as mapped (or the caller's buffer), g4_gguf_file_size bytes. Everything in it
 * past the directory is only as valid as the tensor views make it: read tensors through those. */
const uint8_t *g4_gguf_bytes(const g4_gguf *f);

/* The file's identity, cheap to compute: 16 bytes that (up to hash collisions) differ between two
 * files that differ in size, in any byte of the header, metadata or tensor directory, or in the
 * first or last G4_GGUF_FINGERPRINT_SAMPLE bytes of any tensor's data (so between two files of one
 * structure with different weights), and that are equal for copies of one file wherever they
 * live. It hashes the directory (which open has read already) and at most two samples per tensor,
 * never the whole data, so a change confined to the middle of a large tensor goes unseen. Two
 * XXH64 streams (core/hash.h) with different seeds, each stored little-endian (gguf_fingerprint.c). */
#define G4_GGUF_FINGERPRINT_BYTES 16
#define G4_GGUF_FINGERPRINT_SAMPLE 64
void g4_gguf_fingerprint(const g4_gguf *f, uint8_t out[G4_GGUF_FINGERPRINT_BYTES]);

/* Metadata, in file order. */
int64_t g4_gguf_n_kv(const g4_gguf *f);
const g4_gguf_kv *g4_gguf_kv_at(const g4_gguf *f, int64_t i);
const g4_gguf_value *g4_gguf_find(const g4_gguf *f, const char *key); /* NULL when missing */

/* Typed look-ups. A missing key fails with "key 'K' missing" (GEMMA4_ERR_FORMAT); a wrong type with
 * "key 'K' has type string, want u32". Integer getters accept any integer type whose value fits. */
gemma4_status g4_gguf_get_u32(const g4_gguf *f, const char *key, uint32_t *out, g4_error *err);
gemma4_status g4_gguf_get_i32(const g4_gguf *f, const char *key, int32_t *out, g4_error *err);
gemma4_status g4_gguf_get_u64(const g4_gguf *f, const char *key, uint64_t *out, g4_error *err);
gemma4_status g4_gguf_get_f32(const g4_gguf *f, const char *key, float *out, g4_error *err);
gemma4_status g4_gguf_get_bool(const g4_gguf *f, const char *key, bool *out, g4_error *err);
gemma4_status g4_gguf_get_str(const g4_gguf *f, const char *key, g4_str *out, g4_error *err);
/* An array whose elements have type `elem` (any integer type is accepted for an integer `elem`
 * request only if equal; keep it strict for arrays). */
gemma4_status g4_gguf_get_arr(const g4_gguf *f, const char *key, g4_gguf_vtype elem, const g4_gguf_value **out,
                              g4_error *err);
/* A per-layer integer: either one scalar for all n layers or an array of exactly n (as llama.cpp's
 * get_key_or_arr). Fills out[0..n). */
gemma4_status g4_gguf_get_u32_per_layer(const g4_gguf *f, const char *key, uint32_t n, uint32_t *out, g4_error *err);

/* Element readers for array values (bounds are the caller's: i < v->count). */
uint64_t g4_gguf_arr_u64(const g4_gguf_value *arr, uint64_t i); /* any unsigned/signed int/bool elem */
int64_t g4_gguf_arr_i64(const g4_gguf_value *arr, uint64_t i);
double g4_gguf_arr_f64(const g4_gguf_value *arr, uint64_t i); /* FLOAT32/FLOAT64 elem */
bool g4_gguf_arr_bool(const g4_gguf_value *arr, uint64_t i);

/* Tensors, in file order. */
int64_t g4_gguf_n_tensors(const g4_gguf *f);
const g4_gguf_tensor *g4_gguf_tensor_at(const g4_gguf *f, int64_t i);
const g4_gguf_tensor *g4_gguf_find_tensor(const g4_gguf *f, const char *name); /* NULL if absent */

/* Compares a g4_str with a C string. */
bool g4_str_eq(g4_str s, const char *c);

#endif
