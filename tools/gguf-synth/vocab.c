/*
 * What both vocabulary builders share: the Gemma 4 special-token table, the text -> id index and
 * freeing.
 */
#include <stdlib.h>
#include <string.h>

#include "vocab.h"
#include "vocab_index.h"

const synth_special synth_gemma4_specials[] = {
    {"<pad>", 0, SYNTH_TOK_CONTROL, false},
    {"<eos>", 1, SYNTH_TOK_CONTROL, false},
    {"<bos>", 2, SYNTH_TOK_CONTROL, false},
    {"<unk>", 3, SYNTH_TOK_CONTROL, false},
    {"<mask>", 4, SYNTH_TOK_CONTROL, false},
    {"<|tool>", 46, SYNTH_TOK_CONTROL, false},
    {"<tool|>", 47, SYNTH_TOK_CONTROL, false},
    {"<|tool_call>", 48, SYNTH_TOK_USER_DEFINED, false},
    {"<tool_call|>", 49, SYNTH_TOK_USER_DEFINED, false},
    {"<|tool_response>", 50, SYNTH_TOK_USER_DEFINED, false},
    {"<tool_response|>", 51, SYNTH_TOK_USER_DEFINED, false},
    {"<|\"|>", 52, SYNTH_TOK_USER_DEFINED, false},
    {"<|think|>", 98, SYNTH_TOK_CONTROL, false},
    {"<|channel>", 100, SYNTH_TOK_USER_DEFINED, false},
    {"<channel|>", 101, SYNTH_TOK_USER_DEFINED, false},
    {"<|turn>", 105, SYNTH_TOK_CONTROL, false},
    {"<turn|>", 106, SYNTH_TOK_CONTROL, false},
    {"<|image>", 255999, SYNTH_TOK_CONTROL, true},
    {"<|audio>", 256000, SYNTH_TOK_CONTROL, true},
    {"<|image|>", 258880, SYNTH_TOK_CONTROL, true},
    {"<|audio|>", 258881, SYNTH_TOK_CONTROL, true},
    {"<image|>", 258882, SYNTH_TOK_CONTROL, true},
    {"<audio|>", 258883, SYNTH_TOK_CONTROL, true},
    {"<|video|>", 258884, SYNTH_TOK_CONTROL, true},
};
const size_t synth_gemma4_n_specials = sizeof synth_gemma4_specials / sizeof synth_gemma4_specials[0];

void synth_vocab_free(synth_vocab *v) {
    if (!v) return;
    if (v->tokens)
        for (uint32_t i = 0; i < v->n_tokens; i++) free(v->tokens[i]);
    if (v->merges)
        for (uint32_t i = 0; i < v->n_merges; i++) free(v->merges[i]);
    free(v->tokens);
    free(v->types);
    free(v->scores);
    free(v->merges);
    memset(v, 0, sizeof *v);
}

/* FNV-1a: the index only needs a fast, well-spread hash. */
static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

bool synth_vocab_index_init(synth_vocab_index *ix, char *const *tokens, uint32_t capacity) {
    uint32_t size = 16;
    while (size < capacity * 2u && size < (1u << 31)) size *= 2;
    ix->slots = calloc(size, sizeof *ix->slots);
    ix->mask = size - 1;
    ix->tokens = tokens;
    return ix->slots != NULL;
}

void synth_vocab_index_free(synth_vocab_index *ix) {
    free(ix->slots);
    ix->slots = NULL;
}

int64_t synth_vocab_index_find(const synth_vocab_index *ix, const char *text) {
    for (uint32_t i = hash_str(text) & ix->mask;; i = (i + 1) & ix->mask) {
        const uint32_t slot = ix->slots[i];
        if (slot == 0) return -1;
        if (strcmp(ix->tokens[slot - 1], text) == 0) return slot - 1;
    }
}

void synth_vocab_index_add(synth_vocab_index *ix, uint32_t id) {
    uint32_t i = hash_str(ix->tokens[id]) & ix->mask;
    while (ix->slots[i] != 0) i = (i + 1) & ix->mask;
    ix->slots[i] = id + 1;
}
