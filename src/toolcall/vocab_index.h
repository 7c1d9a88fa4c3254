/*
 * A model's vocabulary indexed for constrained tool-call decoding: the token trie the constraint
 * walks, and the end-of-generation tokens it allows exactly where the output may end. Built once
 * per model (the model keeps it and frees it with g4_tc_vocab_index_free).
 */
#ifndef G4_TOOLCALL_VOCAB_INDEX_H
#define G4_TOOLCALL_VOCAB_INDEX_H

#include <stdint.h>

#include "core/error.h"
#include "toolcall/token_trie.h"

typedef struct g4_tc_vocab_index {
    g4_token_trie *trie;
    int32_t *eog; /* end-of-generation ids */
    int32_t n_eog;
} g4_tc_vocab_index;

/* piece(user, id, &len) gives token id's bytes as the constraint sees them, or NULL to leave the
 * token out of the trie (end-of-generation tokens and control tokens outside the output grammar). */
gemma4_status g4_tc_vocab_index_build(int32_t n_vocab, g4_token_piece_fn piece, void *user, const int32_t *eog,
                                      int32_t n_eog, g4_tc_vocab_index **out, g4_error *err);
void g4_tc_vocab_index_free(g4_tc_vocab_index *ix);

#endif
