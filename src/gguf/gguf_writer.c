/*
 * GGUF v3 writer. Keys are encoded as they are added (key, type, value bytes); the tensor
 * directory is laid out at write time, each tensor padded to the alignment as llama.cpp does
 * (its reader insists that offsets are exactly the running padded sizes). The add_* calls cannot
 * fail visibly: the first problem is remembered and returned by the write call.
 */
#include "gguf/gguf_writer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/checked.h"
#include "gguf/gguf_name_index.h"
#include "gguf/gguf_vtype.h"

/* llama.cpp keeps tensor names in a char[64] (GGML_MAX_NAME) and refuses longer ones. */
#define MAX_TENSOR_NAME 63

/* A growable byte buffer; a failed allocation is remembered instead of reported at each call. */
typedef struct bytes {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (b->oom || n == 0) return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) {
                b->oom = true;
                return;
            }
            cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_le(bytes *b, uint64_t v, size_t n) {
    uint8_t le[8];
    for (size_t i = 0; i < n; i++) le[i] = (uint8_t)(v >> (8 * i));
    put(b, le, n);
}

static void put_str(bytes *b, const char *s, size_t len) {
    put_le(b, len, 8);
    put(b, s, len);
}

typedef struct wkv {
    char *key;
    g4_gguf_vtype type;
    uint64_t scalar; /* the value's bits, kept to read general.alignment back */
    bytes value;     /* value type + encoded value, exactly as it goes in the file */
} wkv;

typedef struct wtensor {
    char *name;
    g4_type type;
    int n_dims;
    int64_t ne[G4_GGUF_MAX_DIMS];
    size_t nbytes;
    uint64_t offset;
} wtensor;

struct g4_gguf_writer {
    wkv *kvs;
    size_t n_kv, cap_kv;
    wtensor *tensors;
    size_t n_tensors, cap_tensors;
    g4_error error; /* the first problem while adding, reported by write */
};

static void record(g4_gguf_writer *w, gemma4_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void record(g4_gguf_writer *w, gemma4_status status, const char *fmt, ...) {
    if (!w || w->error.status != GEMMA4_OK) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->error.msg, sizeof w->error.msg, fmt, ap);
    va_end(ap);
    w->error.status = status;
}

/* Grows *items (of *cap elements of size elem) to hold one more; false when out of memory. */
static bool reserve_one(void **items, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return true;
    size_t new_cap = *cap ? *cap * 2 : 16, total;
    if (!g4_mul_size(new_cap, elem, &total)) return false;
    void *p = realloc(*items, total);
    if (!p) return false;
    *items = p;
    *cap = new_cap;
    return true;
}

g4_gguf_writer *g4_gguf_writer_new(void) {
    return calloc(1, sizeof(g4_gguf_writer));
}

void g4_gguf_writer_free(g4_gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kvs[i].key);
        free(w->kvs[i].value.p);
    }
    for (size_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
    free(w->kvs);
    free(w->tensors);
    free(w);
}

/* ---- metadata -------------------------------------------------------------------------------------- */

/* A new entry with its value type written; NULL (and the error recorded) when it cannot be added. */
static wkv *begin_kv(g4_gguf_writer *w, const char *key, g4_gguf_vtype type) {
    if (!w || w->error.status != GEMMA4_OK) return NULL; /* a NULL writer (failed _new) is reported by write */
    if (!key || !key[0]) {
        record(w, GEMMA4_ERR_INVALID_ARG, "metadata key #%zu is %s", w->n_kv, key ? "empty" : "NULL");
        return NULL;
    }
    char *copy = strdup(key);
    if (!copy || !reserve_one((void **)&w->kvs, &w->cap_kv, w->n_kv, sizeof *w->kvs)) {
        free(copy);
        record(w, GEMMA4_ERR_NOMEM, "out of memory adding key '%s'", key);
        return NULL;
    }
    wkv *kv = &w->kvs[w->n_kv++];
    memset(kv, 0, sizeof *kv);
    kv->key = copy;
    kv->type = type;
    put_le(&kv->value, (uint64_t)type, 4);
    return kv;
}

static void end_kv(g4_gguf_writer *w, wkv *kv) {
    if (kv->value.oom) record(w, GEMMA4_ERR_NOMEM, "out of memory adding key '%s'", kv->key);
}

static void add_scalar(g4_gguf_writer *w, const char *key, g4_gguf_vtype type, uint64_t bits) {
    wkv *kv = begin_kv(w, key, type);
    if (!kv) return;
    kv->scalar = bits;
    put_le(&kv->value, bits, g4_gguf_vtype_size(type));
    end_kv(w, kv);
}

void g4_gguf_writer_add_u8(g4_gguf_writer *w, const char *key, uint8_t v) {
    add_scalar(w, key, G4_GGUF_UINT8, v);
}
void g4_gguf_writer_add_i8(g4_gguf_writer *w, const char *key, int8_t v) {
    add_scalar(w, key, G4_GGUF_INT8, (uint8_t)v);
}
void g4_gguf_writer_add_u16(g4_gguf_writer *w, const char *key, uint16_t v) {
    add_scalar(w, key, G4_GGUF_UINT16, v);
}
void g4_gguf_writer_add_i16(g4_gguf_writer *w, const char *key, int16_t v) {
    add_scalar(w, key, G4_GGUF_INT16, (uint16_t)v);
}
void g4_gguf_writer_add_u32(g4_gguf_writer *w, const char *key, uint32_t v) {
    add_scalar(w, key, G4_GGUF_UINT32, v);
}
void g4_gguf_writer_add_i32(g4_gguf_writer *w, const char *key, int32_t v) {
    add_scalar(w, key, G4_GGUF_INT32, (uint32_t)v);
}
void g4_gguf_writer_add_u64(g4_gguf_writer *w, const char *key, uint64_t v) {
    add_scalar(w, key, G4_GGUF_UINT64, v);
}
void g4_gguf_writer_add_i64(g4_gguf_writer *w, const char *key, int64_t v) {
    add_scalar(w, key, G4_GGUF_INT64, (uint64_t)v);
}
void g4_gguf_writer_add_bool(g4_gguf_writer *w, const char *key, bool v) {
    add_scalar(w, key, G4_GGUF_BOOL, v ? 1 : 0);
}

void g4_gguf_writer_add_f32(g4_gguf_writer *w, const char *key, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    add_scalar(w, key, G4_GGUF_FLOAT32, bits);
}

void g4_gguf_writer_add_f64(g4_gguf_writer *w, const char *key, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    add_scalar(w, key, G4_GGUF_FLOAT64, bits);
}

void g4_gguf_writer_add_str(g4_gguf_writer *w, const char *key, const char *v) {
    if (!v) {
        record(w, GEMMA4_ERR_INVALID_ARG, "key '%s': string value is NULL", key ? key : "(null)");
        return;
    }
    wkv *kv = begin_kv(w, key, G4_GGUF_STRING);
    if (!kv) return;
    put_str(&kv->value, v, strlen(v));
    end_kv(w, kv);
}

void g4_gguf_writer_set_alignment(g4_gguf_writer *w, uint32_t alignment) {
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        record(w, GEMMA4_ERR_INVALID_ARG, "alignment %u is not a power of two", alignment);
        return;
    }
    g4_gguf_writer_add_u32(w, "general.alignment", alignment);
}

/* Array elements are written little-endian whatever the host's byte order. */
void g4_gguf_writer_add_arr(g4_gguf_writer *w, const char *key, g4_gguf_vtype elem, const void *data, uint64_t n) {
    size_t size = g4_gguf_vtype_size(elem);
    if (size == 0) {
        record(w, GEMMA4_ERR_INVALID_ARG, "key '%s': add_arr takes scalar elements, not %s", key ? key : "(null)",
               g4_gguf_vtype_name(elem));
        return;
    }
    if (n && !data) {
        record(w, GEMMA4_ERR_INVALID_ARG, "key '%s': array data is NULL", key ? key : "(null)");
        return;
    }
    wkv *kv = begin_kv(w, key, G4_GGUF_ARRAY);
    if (!kv) return;
    put_le(&kv->value, (uint64_t)elem, 4);
    put_le(&kv->value, n, 8);
    const uint8_t *p = data;
    for (uint64_t i = 0; i < n && !kv->value.oom; i++, p += size) {
        uint64_t bits = 0;
        switch (size) {
        case 1:
            bits = *p;
            break;
        case 2: {
            uint16_t x;
            memcpy(&x, p, 2);
            bits = x;
        } break;
        case 4: {
            uint32_t x;
            memcpy(&x, p, 4);
            bits = x;
        } break;
        default:
            memcpy(&bits, p, 8);
            break;
        }
        put_le(&kv->value, bits, size);
    }
    end_kv(w, kv);
}

void g4_gguf_writer_add_arr_str(g4_gguf_writer *w, const char *key, const char *const *strs, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        if (!strs || !strs[i]) {
            record(w, GEMMA4_ERR_INVALID_ARG, "key '%s': string #%" PRIu64 " is NULL", key ? key : "(null)", i);
            return;
        }
    }
    wkv *kv = begin_kv(w, key, G4_GGUF_ARRAY);
    if (!kv) return;
    put_le(&kv->value, G4_GGUF_STRING, 4);
    put_le(&kv->value, n, 8);
    for (uint64_t i = 0; i < n && !kv->value.oom; i++) put_str(&kv->value, strs[i], strlen(strs[i]));
    end_kv(w, kv);
}

/* ---- tensors -------------------------------------------------------------------------------------- */

void g4_gguf_writer_add_tensor(g4_gguf_writer *w, const char *name, g4_type type, int n_dims, const int64_t *ne) {
    if (!w || w->error.status != GEMMA4_OK) return;
    if (!name || strlen(name) > MAX_TENSOR_NAME) {
        record(w, GEMMA4_ERR_INVALID_ARG, "tensor name %s (llama.cpp allows at most %d bytes)",
               name ? "too long" : "is NULL", MAX_TENSOR_NAME);
        return;
    }
    const g4_type_info *ti = g4_type_get((uint32_t)type);
    if (!ti) {
        record(w, GEMMA4_ERR_INVALID_ARG, "tensor '%s': unknown type id %d", name, (int)type);
        return;
    }
    if (n_dims < 1 || n_dims > G4_GGUF_MAX_DIMS || !ne) {
        record(w, GEMMA4_ERR_INVALID_ARG, "tensor '%s': %d dimensions, want 1 to %d", name, n_dims, G4_GGUF_MAX_DIMS);
        return;
    }
    wtensor t = {.type = type, .n_dims = n_dims, .ne = {1, 1, 1, 1}};
    int64_t n_elements = 1;
    for (int d = 0; d < n_dims; d++) {
        t.ne[d] = ne[d];
        if (ne[d] <= 0 || !g4_mul_i64(n_elements, ne[d], &n_elements)) {
            record(w, GEMMA4_ERR_INVALID_ARG, "tensor '%s': dimension %d is %" PRId64 " (or the count overflows)", name,
                   d, ne[d]);
            return;
        }
    }
    size_t row_bytes;
    if (!g4_type_row_bytes(type, t.ne[0], &row_bytes)) {
        record(w, GEMMA4_ERR_INVALID_ARG,
               "tensor '%s': rows of %" PRId64 " elements are not a multiple of the %s block size %" PRId64, name,
               t.ne[0], ti->name, ti->block_size);
        return;
    }
    if (!g4_mul_size(row_bytes, (size_t)(n_elements / t.ne[0]), &t.nbytes)) {
        record(w, GEMMA4_ERR_INVALID_ARG, "tensor '%s': size in bytes overflows", name);
        return;
    }
    t.name = strdup(name);
    if (!t.name || !reserve_one((void **)&w->tensors, &w->cap_tensors, w->n_tensors, sizeof *w->tensors)) {
        free(t.name);
        record(w, GEMMA4_ERR_NOMEM, "out of memory adding tensor '%s'", name);
        return;
    }
    w->tensors[w->n_tensors++] = t;
}

/* ---- laying the file out -------------------------------------------------------------------------- */

/* The index holds the names only while it checks them; *dup is the first repeated one. */
static bool names_unique(size_t n, const char *(*name_at)(const g4_gguf_writer *, size_t), const g4_gguf_writer *w,
                         const char **dup, bool *oom) {
    g4_name_index ix;
    *dup = NULL;
    *oom = !g4_name_index_init(&ix, n);
    for (size_t i = 0; i < n && !*oom && !*dup; i++)
        if (g4_name_index_insert(&ix, name_at(w, i), (int64_t)i) >= 0) *dup = name_at(w, i);
    g4_name_index_free(&ix);
    return !*oom && !*dup;
}

static const char *key_at(const g4_gguf_writer *w, size_t i) {
    return w->kvs[i].key;
}
static const char *tensor_name_at(const g4_gguf_writer *w, size_t i) {
    return w->tensors[i].name;
}

static gemma4_status check_unique(const g4_gguf_writer *w, g4_error *err) {
    const char *dup;
    bool oom;
    if (!names_unique(w->n_kv, key_at, w, &dup, &oom))
        return oom ? g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory checking keys")
                   : g4_fail(err, GEMMA4_ERR_INVALID_ARG, "key '%s' added twice", dup);
    if (!names_unique(w->n_tensors, tensor_name_at, w, &dup, &oom))
        return oom ? g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory checking tensor names")
                   : g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tensor '%s' added twice", dup);
    return GEMMA4_OK;
}

/* general.alignment if present (set_alignment checked it; a plain add_u32 may not have). */
static gemma4_status find_alignment(const g4_gguf_writer *w, uint32_t *out, g4_error *err) {
    *out = G4_GGUF_DEFAULT_ALIGNMENT;
    for (size_t i = 0; i < w->n_kv; i++) {
        const wkv *kv = &w->kvs[i];
        if (strcmp(kv->key, "general.alignment") != 0) continue;
        if (kv->type != G4_GGUF_UINT32 || kv->scalar == 0 || (kv->scalar & (kv->scalar - 1)) != 0)
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "general.alignment must be a u32 power of two");
        *out = (uint32_t)kv->scalar;
    }
    return GEMMA4_OK;
}

/* Everything before the tensor data, padded; assigns each tensor its offset. *data_bytes is the
 * size of the (padded) data section. */
static gemma4_status build_head(g4_gguf_writer *w, uint32_t alignment, bytes *head, uint64_t *data_bytes,
                                g4_error *err) {
    put(head, "GGUF", 4);
    put_le(head, 3, 4);
    put_le(head, w->n_tensors, 8);
    put_le(head, w->n_kv, 8);
    for (size_t i = 0; i < w->n_kv; i++) {
        put_str(head, w->kvs[i].key, strlen(w->kvs[i].key));
        put(head, w->kvs[i].value.p, w->kvs[i].value.len);
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        wtensor *t = &w->tensors[i];
        t->offset = offset;
        put_str(head, t->name, strlen(t->name));
        put_le(head, (uint64_t)t->n_dims, 4);
        for (int d = 0; d < t->n_dims; d++) put_le(head, (uint64_t)t->ne[d], 8);
        put_le(head, (uint64_t)t->type, 4);
        put_le(head, t->offset, 8);
        uint64_t padded;
        if (!g4_align_up_u64(t->nbytes, alignment, &padded) || !g4_add_u64(offset, padded, &offset))
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tensor data exceeds 2^64 bytes at tensor '%s'", t->name);
    }
    static const uint8_t zeros[64];
    while (!head->oom && head->len % alignment != 0) {
        size_t n = alignment - head->len % alignment;
        put(head, zeros, n < sizeof zeros ? n : sizeof zeros);
    }
    if (head->oom) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory laying out the GGUF header");
    *data_bytes = offset;
    return GEMMA4_OK;
}

/* ---- streaming the data ------------------------------------------------------------------------- */

typedef struct out_stream {
    FILE *fp;     /* writing a file, or */
    uint8_t *mem; /* filling a buffer sized in advance */
    size_t mem_len;
    const char *path; /* for messages */
} out_stream;

struct g4_gguf_sink {
    out_stream *out;
    const wtensor *tensor;
    size_t written;
    g4_error *err;
};

static gemma4_status emit(out_stream *out, const void *p, size_t n, g4_error *err) {
    if (out->fp) {
        if (n && fwrite(p, 1, n, out->fp) != n)
            return g4_fail(err, GEMMA4_ERR_IO, "writing '%s': %s", out->path, strerror(errno));
    } else if (n) {
        memcpy(out->mem + out->mem_len, p, n);
        out->mem_len += n;
    }
    return GEMMA4_OK;
}

static gemma4_status emit_zeros(out_stream *out, uint64_t n, g4_error *err) {
    static const uint8_t zeros[4096];
    while (n) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        gemma4_status st = emit(out, zeros, k, err);
        if (st != GEMMA4_OK) return st;
        n -= k;
    }
    return GEMMA4_OK;
}

gemma4_status g4_gguf_sink_write(g4_gguf_sink *sink, const void *bytes_in, size_t n) {
    const wtensor *t = sink->tensor;
    if (n > t->nbytes - sink->written)
        return g4_fail(sink->err, GEMMA4_ERR_INVALID_ARG,
                       "tensor '%s': %zu more bytes written after %zu, but it has %zu", t->name, n, sink->written,
                       t->nbytes);
    if (n && !bytes_in) return g4_fail(sink->err, GEMMA4_ERR_INVALID_ARG, "tensor '%s': NULL bytes", t->name);
    sink->written += n;
    return emit(sink->out, bytes_in, n, sink->err);
}

static gemma4_status write_all(g4_gguf_writer *w, out_stream *out, const bytes *head, uint32_t alignment,
                               g4_gguf_tensor_fill_fn fill, void *user, g4_error *err) {
    gemma4_status st = emit(out, head->p, head->len, err);
    for (size_t i = 0; i < w->n_tensors && st == GEMMA4_OK; i++) {
        const wtensor *t = &w->tensors[i];
        g4_gguf_sink sink = {.out = out, .tensor = t, .written = 0, .err = err};
        if (fill) {
            g4_error_clear(err);
            st = fill(user, (int64_t)i, t->name, &sink);
            if (st != GEMMA4_OK) {
                if (err && err->msg[0] == '\0') g4_fail(err, st, "tensor '%s': the fill callback failed", t->name);
                return st;
            }
            if (sink.written != t->nbytes)
                return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tensor '%s': the fill callback wrote %zu of its %zu bytes",
                               t->name, sink.written, t->nbytes);
        } else {
            st = emit_zeros(out, t->nbytes, err); /* no callback: an all-zero tensor */
        }
        uint64_t padded;
        g4_align_up_u64(t->nbytes, alignment, &padded);
        if (st == GEMMA4_OK) st = emit_zeros(out, padded - t->nbytes, err);
    }
    return st;
}

/* Everything both write calls share: the recorded error, uniqueness, alignment and the head. */
static gemma4_status prepare(g4_gguf_writer *w, uint32_t *alignment, bytes *head, uint64_t *data_bytes, g4_error *err) {
    if (!w) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "GGUF writer is NULL");
    if (w->error.status != GEMMA4_OK) return g4_fail(err, w->error.status, "%s", w->error.msg);
    gemma4_status st = check_unique(w, err);
    if (st == GEMMA4_OK) st = find_alignment(w, alignment, err);
    if (st == GEMMA4_OK) st = build_head(w, *alignment, head, data_bytes, err);
    return st;
}

gemma4_status g4_gguf_writer_write(g4_gguf_writer *w, const char *path, g4_gguf_tensor_fill_fn fill, void *user,
                                   g4_error *err) {
    if (!path) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "GGUF output path is NULL");
    uint32_t alignment;
    uint64_t data_bytes;
    bytes head = {0};
    gemma4_status st = prepare(w, &alignment, &head, &data_bytes, err);
    if (st != GEMMA4_OK) {
        free(head.p);
        return st;
    }
    /* Write beside the target and rename, so a reader never sees a half-written model. */
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp) {
        free(head.p);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory");
    }
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    out_stream out = {.fp = fopen(tmp, "wb"), .path = tmp};
    if (!out.fp) {
        st = g4_fail(err, GEMMA4_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    } else {
        st = write_all(w, &out, &head, alignment, fill, user, err);
        if (st == GEMMA4_OK && (fflush(out.fp) != 0 || fsync(fileno(out.fp)) != 0))
            st = g4_fail(err, GEMMA4_ERR_IO, "writing '%s': %s", tmp, strerror(errno));
        if (fclose(out.fp) != 0 && st == GEMMA4_OK)
            st = g4_fail(err, GEMMA4_ERR_IO, "closing '%s': %s", tmp, strerror(errno));
        if (st == GEMMA4_OK && rename(tmp, path) != 0)
            st = g4_fail(err, GEMMA4_ERR_IO, "renaming '%s' to '%s': %s", tmp, path, strerror(errno));
        if (st != GEMMA4_OK) unlink(tmp);
    }
    free(tmp);
    free(head.p);
    return st;
}

gemma4_status g4_gguf_writer_write_memory(g4_gguf_writer *w, g4_gguf_tensor_fill_fn fill, void *user, void **out_buf,
                                          size_t *out_size, g4_error *err) {
    if (!out_buf || !out_size) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "output pointers are NULL");
    *out_buf = NULL;
    *out_size = 0;
    uint32_t alignment;
    uint64_t data_bytes, total;
    bytes head = {0};
    gemma4_status st = prepare(w, &alignment, &head, &data_bytes, err);
    if (st == GEMMA4_OK && (!g4_add_u64(head.len, data_bytes, &total) || total > SIZE_MAX))
        st = g4_fail(err, GEMMA4_ERR_NOMEM, "a GGUF of %" PRIu64 " data bytes does not fit in memory", data_bytes);
    out_stream out = {.path = "(memory)"};
    if (st == GEMMA4_OK && !(out.mem = malloc(total ? (size_t)total : 1)))
        st = g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for a %" PRIu64 "-byte GGUF", total);
    if (st == GEMMA4_OK) st = write_all(w, &out, &head, alignment, fill, user, err);
    free(head.p);
    if (st != GEMMA4_OK) {
        free(out.mem);
        return st;
    }
    *out_buf = out.mem;
    *out_size = out.mem_len;
    return GEMMA4_OK;
}
