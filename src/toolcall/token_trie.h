/*
 * The vocabulary's token pieces as a radix trie, built once per model, so that constrained
 * decoding can find every token a grammar state accepts without feeding 262144 pieces one by one:
 * a walk feeds each edge's bytes to a copy of the state and drops the whole subtree at the first
 * byte the state rejects.
 *
 * Tokens are sorted by their bytes, so every node's subtree is a contiguous range of sorted
 * positions [lo, hi), the tokens that end exactly at the node coming first.
 *
 * Tokens fall into classes that some grammar states accept wholesale, which is what makes the walk
 * cheap. A piece is "plain" when it is non-empty, valid UTF-8 (core/utf8.h, as the tool-call parser
 * requires: no overlong forms, no surrogates, nothing above U+10FFFF, nothing cut short), without
 * NUL and without '<': plain pieces
 * can never start, finish or disturb a marker or a <|"|> quote, so in a "content" state (text, a
 * thought, the inside of a free string) every plain token is accepted. A piece is a "word" when it
 * is nothing but [A-Za-z0-9_] (the characters of an undeclared key). In such a state the walk marks
 * the whole class over a subtree's range and only steps into subtrees that hold other tokens
 * (has_other), which are few: about 500 of Gemma's 262144 tokens are not plain.
 *
 * The layer knows nothing about vocabularies: the caller supplies the pieces (and leaves out, by
 * returning NULL, the tokens a grammar must never produce, such as end-of-generation tokens it
 * handles itself).
 */
#ifndef G4_TOOLCALL_TOKEN_TRIE_H
#define G4_TOOLCALL_TOKEN_TRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct g4_trie_node {
    uint32_t edge;        /* offset of the edge's bytes in pool */
    uint32_t first_child; /* children are nodes[first_child .. first_child + n_children), by first byte */
    uint32_t lo, hi;      /* the subtree's tokens: sorted positions [lo, hi) */
    uint16_t edge_len;
    uint16_t n_children;
    uint16_t n_term;    /* tokens whose piece ends here: positions [lo, lo + n_term) */
    uint8_t edge_chars; /* UTF-8 characters that start in the edge */
    uint8_t has_other;  /* bit c set: the subtree holds a token outside class c (G4_PIECE_*) */
    uint8_t max_chars;  /* the most characters of a piece in the subtree (saturates at 255) */
} g4_trie_node;

enum {
    G4_PIECE_PLAIN = 1, /* class bits */
    G4_PIECE_WORD = 2,
};

#define G4_TRIE_SHORT 32

typedef struct g4_token_trie {
    int32_t n_vocab;   /* ids are 0 .. n_vocab-1; the allowed-set bitsets have this many bits */
    uint32_t n_tokens; /* tokens in the trie (the others were left out) */
    uint32_t n_nodes;
    uint32_t max_depth;    /* nodes on the longest root-to-leaf path */
    uint32_t max_chars[3]; /* [class] the most characters of a piece of the class */
    g4_trie_node *nodes;   /* nodes[0] is the root (empty edge) */
    char *pool;            /* the pieces, concatenated */
    size_t pool_len;
    int32_t *ids;            /* [n_tokens] token id at each sorted position */
    uint8_t *chars;          /* [n_tokens] UTF-8 characters of the piece (capped at 255) */
    uint8_t *cls;            /* [n_tokens] G4_PIECE_* bits */
    uint64_t *class_bits[3]; /* [class] [(n_vocab + 63) / 64] the class's tokens as a bitset over ids */
    /* [class][k] the class's tokens of at most k characters (k < G4_TRIE_SHORT), for a string
     * nearing its maxLength */
    uint64_t *class_upto[3][G4_TRIE_SHORT];
} g4_token_trie;

/* The piece of token id (*len bytes), or NULL to leave the token out of the trie. */
typedef const char *(*g4_token_piece_fn)(void *user, int32_t id, size_t *len);

gemma4_status g4_token_trie_build(int32_t n_vocab, g4_token_piece_fn piece, void *user, g4_token_trie **out,
                                  g4_error *err);
void g4_token_trie_free(g4_token_trie *t);

/* Heap bytes the trie holds. */
size_t g4_token_trie_bytes(const g4_token_trie *t);

/* Whether s[0..n) is plain (see above). */
bool g4_piece_is_plain(const char *s, size_t n);

/* The G4_PIECE_* classes of s[0..n). */
unsigned g4_piece_classes(const char *s, size_t n);

static inline void g4_bitset_set(uint64_t *bits, int32_t i) {
    bits[(uint32_t)i >> 6] |= (uint64_t)1 << ((uint32_t)i & 63);
}
static inline bool g4_bitset_get(const uint64_t *bits, int32_t i) {
    return (bits[(uint32_t)i >> 6] >> ((uint32_t)i & 63)) & 1u;
}

#endif
