/* A token text -> id hash index over a vocabulary's token array (open addressing, no deletion). */
#ifndef G4_SYNTH_VOCAB_INDEX_H
#define G4_SYNTH_VOCAB_INDEX_H

#include <stdbool.h>
#include <stdint.h>

typedef struct synth_vocab_index {
    uint32_t *slots; /* id + 1; 0 = empty */
    uint32_t mask;
    char *const *tokens;
} synth_vocab_index;

/* capacity: the most ids that will ever be added. */
bool synth_vocab_index_init(synth_vocab_index *ix, char *const *tokens, uint32_t capacity);
void synth_vocab_index_free(synth_vocab_index *ix);
int64_t synth_vocab_index_find(const synth_vocab_index *ix, const char *text); /* -1 when absent */
/* tokens[id] must already be set and not yet indexed. */
void synth_vocab_index_add(synth_vocab_index *ix, uint32_t id);

#endif
