/*
 * GGUF reader. The layout of a v2/v3 file (all numbers little-endian):
 *
 *   "GGUF"  u32 version  u64 n_tensors  u64 n_kv
 *   n_kv      x  { string key, u32 value type, value }
 *   n_tensors x  { string name, u32 n_dims, n_dims x i64 ne, u32 ggml type, u64 data offset }
 *   padding to the alignment, then the tensor data section
 *
 * where a string is { u64 length, bytes } and an array value is { u32 element type, u64 count,
 * elements } (elements may themselves be arrays). Everything is validated here, once, so the rest
 * of the library can trust what it gets from gguf.h.
 */
#include "gguf/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checked.h"
#include "gguf/gguf_name_index.h"
#include "gguf/gguf_vtype.h"

/* Arrays of arrays are legal GGUF; the bound keeps the recursion (and the stack) small. */
#define MAX_ARRAY_DEPTH 8

/* The fewest bytes one metadata entry or tensor directory entry can occupy. Claimed counts are
 * checked against these before anything is allocated, so memory stays a small multiple of the
 * file size whatever the header claims. */
#define MIN_KV_BYTES 14     /* key length (8) + one key byte + value type (4) + a u8 value */
#define MIN_TENSOR_BYTES 32 /* name length (8) + n_dims (4) + one dimension (8) + type (4) + offset (8) */
#define MIN_STRING_BYTES 8  /* the length */
#define MIN_ARRAY_BYTES 12  /* element type (4) + count (8) */

#define TRY(expr)                                                                                                      \
    do {                                                                                                               \
        gemma4_status try_status_ = (expr);                                                                            \
        if (try_status_ != GEMMA4_OK) return try_status_;                                                              \
    } while (0)

struct g4_gguf {
    const uint8_t *base;
    size_t size;
    void *map; /* our own mapping (g4_gguf_open), NULL for a caller's buffer */
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    int64_t n_kv;
    g4_gguf_kv *kvs;
    int64_t n_tensors;
    g4_gguf_tensor *tensors;
    g4_name_index kv_index;
    g4_name_index tensor_index;
};

/* ---- the cursor: a read position plus what is being read, so every failure can name it -------- */

typedef struct cursor {
    const uint8_t *base;
    size_t size;
    size_t pos;
    char what[160]; /* "header", "key 'general.name'", "tensor #3" ... */
    g4_error *err;
} cursor;

static gemma4_status fail_at(const cursor *c, uint64_t offset, gemma4_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static gemma4_status fail_at(const cursor *c, uint64_t offset, gemma4_status status, const char *fmt, ...) {
    char detail[G4_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return g4_fail(c->err, status, "%s at offset %" PRIu64 ": %s", c->what, offset, detail);
}

static size_t bytes_left(const cursor *c) {
    return c->size - c->pos;
}

/* Names come from the file: show at most 96 bytes and no control characters in messages. */
static void set_what_named(cursor *c, const char *kind, const char *name, uint64_t len) {
    char shown[100];
    size_t n = len < 96 ? (size_t)len : 96;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        shown[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    shown[n] = '\0';
    snprintf(c->what, sizeof c->what, "%s '%s%s'", kind, shown, len > n ? "..." : "");
}

static gemma4_status need(cursor *c, uint64_t n, const char *field) {
    if (n > bytes_left(c))
        return fail_at(c, c->pos, GEMMA4_ERR_FORMAT, "file truncated: %s needs %" PRIu64 " bytes, %zu left", field, n,
                       bytes_left(c));
    return GEMMA4_OK;
}

static uint64_t load_le(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static gemma4_status read_u32(cursor *c, const char *field, uint32_t *out) {
    TRY(need(c, 4, field));
    *out = (uint32_t)load_le(c->base + c->pos, 4);
    c->pos += 4;
    return GEMMA4_OK;
}

static gemma4_status read_u64(cursor *c, const char *field, uint64_t *out) {
    TRY(need(c, 8, field));
    *out = load_le(c->base + c->pos, 8);
    c->pos += 8;
    return GEMMA4_OK;
}

static gemma4_status read_str(cursor *c, const char *field, g4_str *out) {
    uint64_t offset = c->pos, len;
    TRY(read_u64(c, field, &len));
    if (len > bytes_left(c))
        return fail_at(c, offset, GEMMA4_ERR_FORMAT, "%s of %" PRIu64 " bytes runs past the end of the file (%zu left)",
                       field, len, bytes_left(c));
    out->ptr = (const char *)c->base + c->pos;
    out->len = len;
    c->pos += (size_t)len;
    return GEMMA4_OK;
}

/* A key or tensor name: non-NUL bytes, copied NUL-terminated. */
static gemma4_status read_name(cursor *c, const char *kind, uint64_t offset, char **out) {
    g4_str s;
    TRY(read_str(c, kind, &s));
    if (memchr(s.ptr, 0, (size_t)s.len)) return fail_at(c, offset, GEMMA4_ERR_FORMAT, "%s contains a NUL byte", kind);
    set_what_named(c, kind, s.ptr, s.len);
    char *copy = malloc((size_t)s.len + 1);
    if (!copy) return fail_at(c, offset, GEMMA4_ERR_NOMEM, "out of memory copying the %s", kind);
    memcpy(copy, s.ptr, (size_t)s.len);
    copy[s.len] = '\0';
    *out = copy;
    return GEMMA4_OK;
}

/* ---- metadata values ----------------------------------------------------------------------------- */

static gemma4_status read_vtype(cursor *c, const char *field, g4_gguf_vtype *out) {
    uint64_t offset = c->pos;
    uint32_t t;
    TRY(read_u32(c, field, &t));
    if (t >= G4_GGUF_VTYPE_COUNT) return fail_at(c, offset, GEMMA4_ERR_FORMAT, "unknown %s %u", field, t);
    *out = (g4_gguf_vtype)t;
    return GEMMA4_OK;
}

/* Scalars are decoded with the array element readers, viewing the value as a one-element array. */
static void decode_scalar(g4_gguf_vtype type, const uint8_t *p, g4_gguf_value *out) {
    g4_gguf_value one = {.type = G4_GGUF_ARRAY, .elem_type = type, .count = 1, .data = p};
    if (g4_gguf_vtype_is_unsigned(type))
        out->v.u64 = g4_gguf_arr_u64(&one, 0);
    else if (g4_gguf_vtype_is_signed(type))
        out->v.i64 = g4_gguf_arr_i64(&one, 0);
    else if (g4_gguf_vtype_is_float(type))
        out->v.f64 = g4_gguf_arr_f64(&one, 0);
    else
        out->v.b = g4_gguf_arr_bool(&one, 0); /* any non-zero byte is true, as in llama.cpp */
}

static gemma4_status read_array(cursor *c, g4_gguf_value *out, int depth) {
    uint64_t offset = c->pos, count, min_bytes;
    g4_gguf_vtype elem = G4_GGUF_UINT8;
    if (depth >= MAX_ARRAY_DEPTH)
        return fail_at(c, offset, GEMMA4_ERR_FORMAT, "arrays nested more than %d deep", MAX_ARRAY_DEPTH);
    TRY(read_vtype(c, "array element type", &elem));
    TRY(read_u64(c, "array length", &count));
    uint64_t elem_min = elem == G4_GGUF_STRING  ? MIN_STRING_BYTES
                        : elem == G4_GGUF_ARRAY ? MIN_ARRAY_BYTES
                                                : g4_gguf_vtype_size(elem);
    if (!g4_mul_u64(count, elem_min, &min_bytes) || min_bytes > bytes_left(c))
        return fail_at(c, offset, GEMMA4_ERR_FORMAT,
                       "array of %" PRIu64 " %s elements does not fit in the %zu bytes left in the file", count,
                       g4_gguf_vtype_name(elem), bytes_left(c));
    out->type = G4_GGUF_ARRAY;
    out->elem_type = elem;
    out->count = count; /* set before the elements, so a partial array is freed correctly */
    if (elem == G4_GGUF_STRING) {
        g4_str *strs = count ? calloc((size_t)count, sizeof *strs) : NULL;
        if (count && !strs) return fail_at(c, offset, GEMMA4_ERR_NOMEM, "out of memory for %" PRIu64 " strings", count);
        out->strs = strs;
        for (uint64_t i = 0; i < count; i++) TRY(read_str(c, "array string", &strs[i]));
    } else if (elem == G4_GGUF_ARRAY) {
        g4_gguf_value *items = count ? calloc((size_t)count, sizeof *items) : NULL;
        if (count && !items) return fail_at(c, offset, GEMMA4_ERR_NOMEM, "out of memory for %" PRIu64 " arrays", count);
        out->items = items;
        for (uint64_t i = 0; i < count; i++) TRY(read_array(c, &items[i], depth + 1));
    } else {
        out->data = c->base + c->pos;
        c->pos += (size_t)min_bytes;
    }
    return GEMMA4_OK;
}

static gemma4_status read_value(cursor *c, g4_gguf_vtype type, g4_gguf_value *out) {
    if (type == G4_GGUF_ARRAY) return read_array(c, out, 0);
    out->type = type;
    if (type == G4_GGUF_STRING) return read_str(c, "string value", &out->v.str);
    size_t n = g4_gguf_vtype_size(type);
    TRY(need(c, n, g4_gguf_vtype_name(type)));
    decode_scalar(type, c->base + c->pos, out);
    c->pos += n;
    return GEMMA4_OK;
}

static void free_value(g4_gguf_value *v) {
    if (v->type != G4_GGUF_ARRAY) return;
    if (v->elem_type == G4_GGUF_ARRAY && v->items)
        for (uint64_t i = 0; i < v->count; i++) free_value((g4_gguf_value *)&v->items[i]);
    free((void *)v->strs);
    free((void *)v->items);
}

/* ---- the sections of the file, in order ---------------------------------------------------------- */

static gemma4_status parse_header(cursor *c, g4_gguf *f) {
    snprintf(c->what, sizeof c->what, "header");
    TRY(need(c, 4, "magic"));
    if (memcmp(c->base, "GGUF", 4) != 0) {
        char shown[5];
        for (int i = 0; i < 4; i++) shown[i] = (c->base[i] >= 0x20 && c->base[i] < 0x7f) ? (char)c->base[i] : '?';
        shown[4] = '\0';
        return fail_at(c, 0, GEMMA4_ERR_FORMAT, "not a GGUF file (magic is '%s', want 'GGUF')", shown);
    }
    c->pos = 4;
    TRY(read_u32(c, "version", &f->version));
    /* A big-endian file's version 2 or 3 reads as 0x02000000 or 0x03000000 here. */
    if (f->version != 0 && (f->version & 0xFFFF) == 0)
        return fail_at(c, 4, GEMMA4_ERR_UNSUPPORTED,
                       "version field 0x%08x looks byte-swapped: big-endian GGUF files are not supported", f->version);
    if (f->version == 1)
        return fail_at(c, 4, GEMMA4_ERR_UNSUPPORTED,
                       "GGUF version 1 is obsolete and not supported (convert the "
                       "model again with a current llama.cpp)");
    if (f->version < 2 || f->version > 3)
        return fail_at(c, 4, f->version == 0 ? GEMMA4_ERR_FORMAT : GEMMA4_ERR_UNSUPPORTED,
                       "GGUF version %u is not supported (this reader reads versions 2 and 3)", f->version);

    uint64_t n_tensors, n_kv, kv_bytes, tensor_bytes, total;
    TRY(read_u64(c, "tensor count", &n_tensors));
    TRY(read_u64(c, "metadata count", &n_kv));
    if (!g4_mul_u64(n_kv, MIN_KV_BYTES, &kv_bytes) || !g4_mul_u64(n_tensors, MIN_TENSOR_BYTES, &tensor_bytes) ||
        !g4_add_u64(kv_bytes, tensor_bytes, &total) || total > bytes_left(c))
        return fail_at(c, 8, GEMMA4_ERR_FORMAT,
                       "claims %" PRIu64 " tensors and %" PRIu64 " metadata keys, more than the %zu bytes left hold",
                       n_tensors, n_kv, bytes_left(c));
    f->n_tensors = (int64_t)n_tensors;
    f->n_kv = (int64_t)n_kv;
    return GEMMA4_OK;
}

static gemma4_status parse_metadata(cursor *c, g4_gguf *f) {
    if (f->n_kv && !(f->kvs = calloc((size_t)f->n_kv, sizeof *f->kvs)))
        return fail_at(c, c->pos, GEMMA4_ERR_NOMEM, "out of memory for %" PRId64 " metadata keys", f->n_kv);
    if (!g4_name_index_init(&f->kv_index, (uint64_t)f->n_kv))
        return fail_at(c, c->pos, GEMMA4_ERR_NOMEM, "out of memory for the key index");
    for (int64_t i = 0; i < f->n_kv; i++) {
        g4_gguf_kv *kv = &f->kvs[i];
        kv->offset = c->pos;
        snprintf(c->what, sizeof c->what, "key #%" PRId64, i);
        char *key;
        TRY(read_name(c, "key", kv->offset, &key));
        kv->key = key;
        if (key[0] == '\0') return fail_at(c, kv->offset, GEMMA4_ERR_FORMAT, "empty key");
        int64_t first = g4_name_index_insert(&f->kv_index, key, i);
        if (first >= 0)
            return fail_at(c, kv->offset, GEMMA4_ERR_FORMAT, "duplicate key (first at offset %" PRIu64 ")",
                           f->kvs[first].offset);
        g4_gguf_vtype type = G4_GGUF_UINT8;
        TRY(read_vtype(c, "value type", &type));
        TRY(read_value(c, type, &kv->value));
    }
    return GEMMA4_OK;
}

/* general.alignment: optional, a u32 power of two (llama.cpp's gguf.cpp accepts exactly these). */
static gemma4_status resolve_alignment(cursor *c, g4_gguf *f) {
    f->alignment = G4_GGUF_DEFAULT_ALIGNMENT;
    int64_t i = g4_name_index_find(&f->kv_index, "general.alignment");
    if (i < 0) return GEMMA4_OK;
    const g4_gguf_kv *kv = &f->kvs[i];
    snprintf(c->what, sizeof c->what, "key 'general.alignment'");
    if (kv->value.type != G4_GGUF_UINT32)
        return fail_at(c, kv->offset, GEMMA4_ERR_FORMAT, "has type %s, want u32", g4_gguf_vtype_name(kv->value.type));
    uint64_t a = kv->value.v.u64;
    if (a == 0 || (a & (a - 1)) != 0)
        return fail_at(c, kv->offset, GEMMA4_ERR_FORMAT, "alignment %" PRIu64 " is not a power of two", a);
    f->alignment = (uint32_t)a;
    return GEMMA4_OK;
}

static gemma4_status parse_tensor(cursor *c, g4_gguf *f, int64_t i) {
    g4_gguf_tensor *t = &f->tensors[i];
    uint64_t entry = c->pos;
    snprintf(c->what, sizeof c->what, "tensor #%" PRId64, i);
    char *name;
    TRY(read_name(c, "tensor name", entry, &name));
    t->name = name;
    set_what_named(c, "tensor", name, strlen(name));
    int64_t first = g4_name_index_insert(&f->tensor_index, name, i);
    if (first >= 0)
        return fail_at(c, entry, GEMMA4_ERR_FORMAT, "duplicate tensor name (first is tensor #%" PRId64 ")", first);

    uint64_t field = c->pos;
    uint32_t n_dims;
    TRY(read_u32(c, "dimension count", &n_dims));
    if (n_dims < 1 || n_dims > G4_GGUF_MAX_DIMS)
        return fail_at(c, field, GEMMA4_ERR_FORMAT, "%u dimensions, want 1 to %d", n_dims, G4_GGUF_MAX_DIMS);
    t->n_dims = (int)n_dims;
    int64_t n_elements = 1;
    for (int d = 0; d < G4_GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims) continue;
        uint64_t raw;
        field = c->pos;
        TRY(read_u64(c, "dimension", &raw));
        t->ne[d] = (int64_t)raw;
        if (t->ne[d] <= 0)
            return fail_at(c, field, GEMMA4_ERR_FORMAT, "dimension %d is %" PRId64 ", want at least 1", d, t->ne[d]);
        if (!g4_mul_i64(n_elements, t->ne[d], &n_elements))
            return fail_at(c, field, GEMMA4_ERR_FORMAT, "element count overflows 64 bits");
    }

    field = c->pos;
    uint32_t type_id;
    TRY(read_u32(c, "tensor type", &type_id));
    const g4_type_info *ti = g4_type_get(type_id);
    if (!ti) return fail_at(c, field, GEMMA4_ERR_UNSUPPORTED, "unknown tensor type id %u", type_id);
    t->type = (g4_type)type_id;
    if (t->ne[0] % ti->block_size != 0)
        return fail_at(c, field, GEMMA4_ERR_FORMAT,
                       "rows of %" PRId64 " elements are not a multiple of the %s block size %" PRId64, t->ne[0],
                       ti->name, ti->block_size);
    uint64_t nbytes;
    if (!g4_mul_u64((uint64_t)(n_elements / ti->block_size), ti->type_size, &nbytes) || nbytes > SIZE_MAX)
        return fail_at(c, field, GEMMA4_ERR_FORMAT, "size in bytes overflows");
    t->nbytes = (size_t)nbytes;

    field = c->pos;
    TRY(read_u64(c, "data offset", &t->offset));
    if (t->offset % f->alignment != 0)
        return fail_at(c, field, GEMMA4_ERR_FORMAT, "data offset %" PRIu64 " is not a multiple of the alignment %u",
                       t->offset, f->alignment);
    return GEMMA4_OK;
}

static gemma4_status parse_tensor_directory(cursor *c, g4_gguf *f) {
    if (f->n_tensors && !(f->tensors = calloc((size_t)f->n_tensors, sizeof *f->tensors)))
        return fail_at(c, c->pos, GEMMA4_ERR_NOMEM, "out of memory for %" PRId64 " tensors", f->n_tensors);
    if (!g4_name_index_init(&f->tensor_index, (uint64_t)f->n_tensors))
        return fail_at(c, c->pos, GEMMA4_ERR_NOMEM, "out of memory for the tensor index");
    for (int64_t i = 0; i < f->n_tensors; i++) TRY(parse_tensor(c, f, i));
    return GEMMA4_OK;
}

/* The data section starts at the next multiple of the alignment (no padding when there are no
 * tensors, as llama.cpp writes it); every tensor's bytes must lie inside the file. */
static gemma4_status locate_tensor_data(cursor *c, g4_gguf *f) {
    f->data_offset = c->pos;
    if (f->n_tensors == 0) return GEMMA4_OK;
    snprintf(c->what, sizeof c->what, "tensor data");
    if (!g4_align_up_u64(c->pos, f->alignment, &f->data_offset) || f->data_offset > c->size)
        return fail_at(c, c->pos, GEMMA4_ERR_FORMAT,
                       "data section would start past the end of the file (%zu bytes, alignment %u)", c->size,
                       f->alignment);
    for (int64_t i = 0; i < f->n_tensors; i++) {
        g4_gguf_tensor *t = &f->tensors[i];
        uint64_t start, end;
        set_what_named(c, "tensor", t->name, strlen(t->name));
        if (!g4_add_u64(f->data_offset, t->offset, &start) || !g4_add_u64(start, t->nbytes, &end) || end > c->size)
            return fail_at(c, start, GEMMA4_ERR_FORMAT,
                           "%zu bytes of data (relative offset %" PRIu64 ") run past the end of the file (%zu bytes)",
                           t->nbytes, t->offset, c->size);
        t->data = c->base + start;
    }
    return GEMMA4_OK;
}

static gemma4_status parse(g4_gguf *f, g4_error *err) {
    cursor c = {.base = f->base, .size = f->size, .pos = 0, .err = err};
    TRY(parse_header(&c, f));
    TRY(parse_metadata(&c, f));
    TRY(resolve_alignment(&c, f));
    TRY(parse_tensor_directory(&c, f));
    return locate_tensor_data(&c, f);
}

/* ---- opening and closing -------------------------------------------------------------------------- */

static gemma4_status open_parsed(g4_gguf *f, g4_gguf **out, g4_error *err) {
    gemma4_status st = parse(f, err);
    if (st != GEMMA4_OK) {
        g4_gguf_close(f);
        return st;
    }
    *out = f;
    return GEMMA4_OK;
}

gemma4_status g4_gguf_open_memory(const void *data, size_t size, g4_gguf **out, g4_error *err) {
    if (!out) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_gguf_open_memory: out is NULL");
    *out = NULL;
    if (!data && size) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_gguf_open_memory: data is NULL");
    g4_gguf *f = calloc(1, sizeof *f);
    if (!f) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory opening a GGUF");
    f->base = data;
    f->size = size;
    return open_parsed(f, out, err);
}

gemma4_status g4_gguf_open(const char *path, g4_gguf **out, g4_error *err) {
    if (!out || !path) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "g4_gguf_open: path or out is NULL");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return g4_fail(err, GEMMA4_ERR_IO, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return g4_fail(err, GEMMA4_ERR_IO, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return g4_fail(err, GEMMA4_ERR_IO, "not a regular file");
    }
    if (st.st_size == 0) {
        close(fd);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "empty file, not a GGUF");
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "file of %" PRId64 " bytes cannot be mapped", (int64_t)st.st_size);
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd); /* the mapping keeps the file open */
    if (map == MAP_FAILED) return g4_fail(err, GEMMA4_ERR_IO, "cannot map %zu bytes: %s", size, strerror(map_errno));
    g4_gguf *f = calloc(1, sizeof *f);
    if (!f) {
        munmap(map, size);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory opening a GGUF");
    }
    /* Decode streams every weight once per token: with 4 KiB pages that is a TLB miss every 4 KiB.
     * Asking for huge pages makes the kernel read the file into 2 MiB page-cache folios and map them
     * whole where it can (measured: E2B Q4_K_M generation 6.2 -> 8.1 tok/s on 2 cores). Only a
     * hint: kernels or filesystems without file THP ignore it, and nothing depends on it. */
    (void)madvise(map, size, MADV_HUGEPAGE);
    f->base = map;
    f->size = size;
    f->map = map;
    return open_parsed(f, out, err);
}

void g4_gguf_close(g4_gguf *f) {
    if (!f) return;
    for (int64_t i = 0; f->kvs && i < f->n_kv; i++) {
        free((void *)f->kvs[i].key);
        free_value(&f->kvs[i].value);
    }
    for (int64_t i = 0; f->tensors && i < f->n_tensors; i++) free((void *)f->tensors[i].name);
    free(f->kvs);
    free(f->tensors);
    g4_name_index_free(&f->kv_index);
    g4_name_index_free(&f->tensor_index);
    if (f->map) munmap(f->map, f->size);
    free(f);
}

/* ---- accessors ------------------------------------------------------------------------------------ */

uint32_t g4_gguf_version(const g4_gguf *f) {
    return f->version;
}
uint32_t g4_gguf_alignment(const g4_gguf *f) {
    return f->alignment;
}
size_t g4_gguf_file_size(const g4_gguf *f) {
    return f->size;
}
uint64_t g4_gguf_data_offset(const g4_gguf *f) {
    return f->data_offset;
}
const uint8_t *g4_gguf_bytes(const g4_gguf *f) {
    return f->base;
}

int64_t g4_gguf_n_kv(const g4_gguf *f) {
    return f->n_kv;
}

const g4_gguf_kv *g4_gguf_kv_at(const g4_gguf *f, int64_t i) {
    return i >= 0 && i < f->n_kv ? &f->kvs[i] : NULL;
}

const g4_gguf_value *g4_gguf_find(const g4_gguf *f, const char *key) {
    int64_t i = g4_name_index_find(&f->kv_index, key);
    return i >= 0 ? &f->kvs[i].value : NULL;
}

int64_t g4_gguf_n_tensors(const g4_gguf *f) {
    return f->n_tensors;
}

const g4_gguf_tensor *g4_gguf_tensor_at(const g4_gguf *f, int64_t i) {
    return i >= 0 && i < f->n_tensors ? &f->tensors[i] : NULL;
}

const g4_gguf_tensor *g4_gguf_find_tensor(const g4_gguf *f, const char *name) {
    int64_t i = g4_name_index_find(&f->tensor_index, name);
    return i >= 0 ? &f->tensors[i] : NULL;
}
