/*
 * GGUF v3 writer, for gguf-synth and the tests. Metadata and the tensor directory are collected in
 * memory; tensor data is streamed at write time through a callback, so multi-gigabyte models are
 * written without holding them in memory. The files it writes load in llama.cpp.
 */
#ifndef G4_GGUF_WRITER_H
#define G4_GGUF_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "gguf/gguf.h"

typedef struct g4_gguf_writer g4_gguf_writer;

g4_gguf_writer *g4_gguf_writer_new(void); /* NULL on allocation failure */
void g4_gguf_writer_free(g4_gguf_writer *w);

/* Metadata, written in the order added. Adding a key twice is an error at write time. The
 * alignment written as general.alignment (if set with this call) is also used for the data. */
void g4_gguf_writer_set_alignment(g4_gguf_writer *w, uint32_t alignment);
void g4_gguf_writer_add_u8(g4_gguf_writer *w, const char *key, uint8_t v);
void g4_gguf_writer_add_i8(g4_gguf_writer *w, const char *key, int8_t v);
void g4_gguf_writer_add_u16(g4_gguf_writer *w, const char *key, uint16_t v);
void g4_gguf_writer_add_i16(g4_gguf_writer *w, const char *key, int16_t v);
void g4_gguf_writer_add_u32(g4_gguf_writer *w, const char *key, uint32_t v);
void g4_gguf_writer_add_i32(g4_gguf_writer *w, const char *key, int32_t v);
void g4_gguf_writer_add_u64(g4_gguf_writer *w, const char *key, uint64_t v);
void g4_gguf_writer_add_i64(g4_gguf_writer *w, const char *key, int64_t v);
void g4_gguf_writer_add_f32(g4_gguf_writer *w, const char *key, float v);
void g4_gguf_writer_add_f64(g4_gguf_writer *w, const char *key, double v);
void g4_gguf_writer_add_bool(g4_gguf_writer *w, const char *key, bool v);
void g4_gguf_writer_add_str(g4_gguf_writer *w, const char *key, const char *v);
/* An array of scalar elements (elem is not STRING or ARRAY): n packed little-endian values. */
void g4_gguf_writer_add_arr(g4_gguf_writer *w, const char *key, g4_gguf_vtype elem, const void *data, uint64_t n);
/* An array of n NUL-terminated strings. */
void g4_gguf_writer_add_arr_str(g4_gguf_writer *w, const char *key, const char *const *strs, uint64_t n);

/* Declares a tensor; its data is asked for at write time, in the order declared. */
void g4_gguf_writer_add_tensor(g4_gguf_writer *w, const char *name, g4_type type, int n_dims, const int64_t *ne);

/* Where a tensor's bytes go: the callback calls g4_gguf_sink_write as often as it likes; the
 * writer checks that exactly the tensor's size arrives. */
typedef struct g4_gguf_sink g4_gguf_sink;
gemma4_status g4_gguf_sink_write(g4_gguf_sink *sink, const void *bytes, size_t n);

typedef gemma4_status (*g4_gguf_tensor_fill_fn)(void *user, int64_t tensor_index, const char *name, g4_gguf_sink *sink);

/* Writes the file (atomically: to path.tmp, then renamed). fill may be NULL: tensors are then
 * zero-filled (handy for tests of the loader). Any error recorded while adding keys or
 * tensors (out of memory, a duplicate, a bad shape) is reported here. */
gemma4_status g4_gguf_writer_write(g4_gguf_writer *w, const char *path, g4_gguf_tensor_fill_fn fill, void *user,
                                   g4_error *err);

/* The same into a malloc'd memory buffer (tests, fuzz seeds); *out freed by the caller. */
gemma4_status g4_gguf_writer_write_memory(g4_gguf_writer *w, g4_gguf_tensor_fill_fn fill, void *user, void **out,
                                          size_t *out_size, g4_error *err);

#endif
