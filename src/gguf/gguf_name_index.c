#include "gguf/gguf_name_index.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: names are short and this needs no tuning; open addressing handles collisions. */
static uint64_t hash_name(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

bool g4_name_index_init(g4_name_index *ix, uint64_t n) {
    /* Keep the table at most two-thirds full so probe sequences stay short. */
    uint64_t want = n + n / 2 + 1, cap = 8;
    while (cap < want) {
        if (cap > (UINT64_MAX >> 1) / sizeof(g4_name_slot)) return false;
        cap <<= 1;
    }
    ix->slots = calloc((size_t)cap, sizeof *ix->slots);
    ix->mask = cap - 1;
    return ix->slots != NULL;
}

void g4_name_index_free(g4_name_index *ix) {
    free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
}

int64_t g4_name_index_insert(g4_name_index *ix, const char *name, int64_t index) {
    for (uint64_t i = hash_name(name) & ix->mask;; i = (i + 1) & ix->mask) {
        g4_name_slot *s = &ix->slots[i];
        if (!s->name) {
            s->name = name;
            s->index = index;
            return -1;
        }
        if (strcmp(s->name, name) == 0) return s->index;
    }
}

int64_t g4_name_index_find(const g4_name_index *ix, const char *name) {
    if (!ix->slots) return -1;
    for (uint64_t i = hash_name(name) & ix->mask;; i = (i + 1) & ix->mask) {
        const g4_name_slot *s = &ix->slots[i];
        if (!s->name) return -1;
        if (strcmp(s->name, name) == 0) return s->index;
    }
}
