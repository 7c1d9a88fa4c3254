/* Internal to src/gguf: the byte width of the GGUF metadata value types, shared by reader and writer. */
#ifndef G4_GGUF_VTYPE_H
#define G4_GGUF_VTYPE_H

#include <stddef.h>

#include "gguf/gguf.h"

/* Bytes of one scalar of type t; 0 for STRING, ARRAY and ids that are not types. */
size_t g4_gguf_vtype_size(g4_gguf_vtype t);

static inline bool g4_gguf_vtype_is_unsigned(g4_gguf_vtype t) {
    return t == G4_GGUF_UINT8 || t == G4_GGUF_UINT16 || t == G4_GGUF_UINT32 || t == G4_GGUF_UINT64;
}
static inline bool g4_gguf_vtype_is_signed(g4_gguf_vtype t) {
    return t == G4_GGUF_INT8 || t == G4_GGUF_INT16 || t == G4_GGUF_INT32 || t == G4_GGUF_INT64;
}
static inline bool g4_gguf_vtype_is_float(g4_gguf_vtype t) {
    return t == G4_GGUF_FLOAT32 || t == G4_GGUF_FLOAT64;
}

#endif
