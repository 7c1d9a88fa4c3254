#include "toolcall/vocab_index.h"

#include <stdlib.h>
#include <string.h>

gemma4_status g4_tc_vocab_index_build(int32_t n_vocab, g4_token_piece_fn piece, void *user, const int32_t *eog,
                                      int32_t n_eog, g4_tc_vocab_index **out, g4_error *err) {
    *out = NULL;
    g4_tc_vocab_index *ix = calloc(1, sizeof *ix);
    if (!ix) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory indexing the vocabulary");
    gemma4_status st = g4_token_trie_build(n_vocab, piece, user, &ix->trie, err);
    if (st == GEMMA4_OK) {
        ix->eog = malloc(sizeof *ix->eog * (size_t)(n_eog > 0 ? n_eog : 1));
        if (!ix->eog)
            st = g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory indexing the vocabulary");
        else if (n_eog > 0)
            memcpy(ix->eog, eog, sizeof *eog * (size_t)n_eog);
        ix->n_eog = n_eog;
    }
    if (st != GEMMA4_OK) {
        g4_tc_vocab_index_free(ix);
        return st;
    }
    *out = ix;
    return GEMMA4_OK;
}

void g4_tc_vocab_index_free(g4_tc_vocab_index *ix) {
    if (!ix) return;
    g4_token_trie_free(ix->trie);
    free(ix->eog);
    free(ix);
}
