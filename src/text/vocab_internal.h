/*
 * Internal to src/text: the layout of a g4_vocab, shared by the vocabulary loader, the tokenizer and
 * the detokenizer. Nothing outside src/text includes this; everyone else uses text/vocab.h.
 */
#ifndef G4_TEXT_VOCAB_INTERNAL_H
#define G4_TEXT_VOCAB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "text/vocab.h"

/* An open-addressing hash index over strings held elsewhere. A slot is 0 when empty, otherwise
 * (tag << index_bits) | (index + 1), the tag being the top bits of the hash: 32-bit slots keep the
 * tables small (they are built at every load) while the tag still saves most string comparisons. */
typedef struct g4_str_index {
    uint32_t *slots;
    uint32_t mask;       /* slot count - 1 */
    uint32_t index_bits; /* enough bits for index + 1 */
} g4_str_index;

/* The special-token matcher: a byte trie over the texts of the control, user-defined and unknown
 * tokens. Edges live in a hash table keyed by (node << 8 | byte). */
typedef struct g4_special_trie {
    uint32_t n_nodes;
    int32_t *node_rank; /* [n_nodes]: rank in special_order of the token ending here, or -1 */
    uint64_t *edges;    /* slots: 0 empty, else (key + 1) << 32 | child */
    uint32_t edge_mask;
    bool first_byte[256]; /* bytes that start some special token: a cheap reject for the scan */
} g4_special_trie;

struct g4_vocab {
    int32_t n_tokens;
    char *texts;        /* every token text, each followed by a NUL */
    uint32_t *text_off; /* [n_tokens + 1]: text i spans texts[text_off[i] .. text_off[i+1] - 1) */
    float *scores;      /* [n_tokens] */
    uint16_t *attr;     /* [n_tokens] G4_TOKEN_ATTR_* */
    g4_str_index token_index;

    /* What llama_token_to_piece(special = true) returns for each token (its piece cache). */
    char *pieces;
    uint32_t *piece_off; /* [n_tokens + 1] */
    uint32_t max_piece_len;

    int32_t n_merges;
    char *merges;        /* every merge string "left right", each followed by a NUL */
    uint32_t *merge_off; /* [n_merges + 1] */
    g4_str_index merge_index;

    /* Control, user-defined and unknown tokens, longest text first: the order in which llama.cpp's
     * tokenizer_st_partition claims them in the input. */
    int32_t n_special;
    int32_t *special_order;
    g4_special_trie trie;

    /* The id of "<0xNN>" for each byte (byte fallback), or -1. */
    int32_t byte_token[256];

    int32_t special_id[G4_SPECIAL_COUNT];
    bool add_bos, add_eos, add_sep, add_space_prefix;

    int32_t n_eog;
    int32_t *eog; /* ascending */

    int32_t max_token_len;
};

static inline uint32_t g4_vocab_text_len(const struct g4_vocab *v, int32_t id) {
    return v->text_off[id + 1] - v->text_off[id] - 1;
}

#endif
