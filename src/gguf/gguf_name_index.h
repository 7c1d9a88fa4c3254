/*
 * A small hash index from a NUL-terminated name to its position in a list, for the reader's
 * metadata keys and tensor names: duplicate detection at open and look-ups afterwards both stay
 * linear in the number of names, even for a hostile file with a hundred thousand of them.
 * The index stores the name pointers it is given; the caller keeps the strings alive.
 */
#ifndef G4_GGUF_NAME_INDEX_H
#define G4_GGUF_NAME_INDEX_H

#include <stdbool.h>
#include <stdint.h>

typedef struct g4_name_slot {
    const char *name; /* NULL: empty slot */
    int64_t index;
} g4_name_slot;

typedef struct g4_name_index {
    g4_name_slot *slots;
    uint64_t mask; /* slot count - 1 (a power of two) */
} g4_name_index;

/* Room for up to n names; false when out of memory. */
bool g4_name_index_init(g4_name_index *ix, uint64_t n);
void g4_name_index_free(g4_name_index *ix);

/* Adds name -> index. If the name is already present nothing changes and the earlier index is
 * returned; otherwise -1. At most the n names given to init may be inserted. */
int64_t g4_name_index_insert(g4_name_index *ix, const char *name, int64_t index);

/* The index stored for name, or -1. */
int64_t g4_name_index_find(const g4_name_index *ix, const char *name);

#endif
