/*
 * The tokenizer vocabulary of a Gemma 4 GGUF (`tokenizer.ggml.model` = "gemma4"), loaded exactly as
 * llama.cpp's llama_vocab loads it: token texts, types (as llama.cpp's attribute bits), BPE merge
 * ranks, the special ids, the BOS/EOS flags and the end-of-generation set that llama.cpp derives
 * from token texts.
 *
 * A vocab is immutable once built and may be shared by any number of threads. Everything is copied
 * out of the GGUF, so the file may be closed afterwards.
 *
 * Where llama.cpp aborts or throws on a bad vocabulary (duplicate token texts, a byte token whose
 * text is too short, arrays shorter than the token list, keys of the wrong type), loading fails
 * with GEMMA4_ERR_FORMAT and a message naming the key and index. Where llama.cpp tolerates it
 * (a token type out of range becomes "undefined", a special id out of range is ignored, an empty
 * token text is renamed "[EMPTY_<id>]", a merge without a space or naming no tokens simply never
 * matches), so does this loader.
 */
#ifndef G4_TEXT_VOCAB_H
#define G4_TEXT_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "gguf/gguf.h"

/* Token types as stored in tokenizer.ggml.token_type (llama_token_type). */
enum {
    G4_TOKEN_TYPE_UNDEFINED = 0,
    G4_TOKEN_TYPE_NORMAL = 1,
    G4_TOKEN_TYPE_UNKNOWN = 2,
    G4_TOKEN_TYPE_CONTROL = 3,
    G4_TOKEN_TYPE_USER_DEFINED = 4,
    G4_TOKEN_TYPE_UNUSED = 5,
    G4_TOKEN_TYPE_BYTE = 6,
};

/* Token attributes (llama_token_attr bits): what the tokenizer and detokenizer act on. */
enum {
    G4_TOKEN_ATTR_UNDEFINED = 0,
    G4_TOKEN_ATTR_UNKNOWN = 1 << 0,
    G4_TOKEN_ATTR_UNUSED = 1 << 1,
    G4_TOKEN_ATTR_NORMAL = 1 << 2,
    G4_TOKEN_ATTR_CONTROL = 1 << 3,
    G4_TOKEN_ATTR_USER_DEFINED = 1 << 4,
    G4_TOKEN_ATTR_BYTE = 1 << 5,
};

/* The special token roles llama.cpp reads from tokenizer.ggml.<role>_token_id. */
typedef enum g4_special {
    G4_SPECIAL_BOS = 0,
    G4_SPECIAL_EOS,
    G4_SPECIAL_EOT,
    G4_SPECIAL_EOM,
    G4_SPECIAL_UNK,
    G4_SPECIAL_SEP,
    G4_SPECIAL_PAD,
    G4_SPECIAL_MASK,
    G4_SPECIAL_FIM_PRE,
    G4_SPECIAL_FIM_SUF,
    G4_SPECIAL_FIM_MID,
    G4_SPECIAL_FIM_PAD,
    G4_SPECIAL_FIM_REP,
    G4_SPECIAL_FIM_SEP,
    G4_SPECIAL_COUNT
} g4_special;

/* The in-memory form of a vocabulary, as the GGUF keys hold it (tests build vocabs from this). */
typedef struct g4_vocab_spec {
    const char *model; /* tokenizer.ggml.model; only "gemma4" is supported */
    uint32_t n_tokens;
    const g4_str *tokens;       /* [n_tokens] token texts */
    const float *scores;        /* [n_tokens] or NULL (all 0) */
    const int32_t *token_types; /* [n_tokens] G4_TOKEN_TYPE_* or NULL (all normal) */
    uint32_t n_merges;
    const g4_str *merges;                               /* [n_merges] "left right"; the rank is the index */
    int64_t special_ids[G4_SPECIAL_COUNT];              /* -1: key absent */
    int8_t add_bos, add_eos, add_sep, add_space_prefix; /* -1: key absent, else 0/1 */
} g4_vocab_spec;

typedef struct g4_vocab g4_vocab;

/* A spec with no tokens, every special id absent and every flag absent. */
void g4_vocab_spec_init(g4_vocab_spec *spec);

/* Builds a vocabulary from a spec (the spec's memory is not referenced afterwards). */
gemma4_status g4_vocab_build(const g4_vocab_spec *spec, g4_vocab **out, g4_error *err);

/* Reads tokenizer.ggml.* from an open GGUF. */
gemma4_status g4_vocab_load(const g4_gguf *f, g4_vocab **out, g4_error *err);

void g4_vocab_free(g4_vocab *v);

int32_t g4_vocab_n_tokens(const g4_vocab *v);
int32_t g4_vocab_n_merges(const g4_vocab *v);

/* The token's text as stored (U+2581 for spaces, "<0x0A>" for byte tokens), NUL-terminated;
 * NULL for an id out of range. *len (if given) receives its length. */
const char *g4_vocab_text(const g4_vocab *v, int32_t id, size_t *len);

/* Attribute bits (G4_TOKEN_ATTR_*) after llama.cpp's load-time adjustments; 0 if out of range. */
uint32_t g4_vocab_attr(const g4_vocab *v, int32_t id);
float g4_vocab_score(const g4_vocab *v, int32_t id);

/* The id whose text is exactly text[0..len), or -1. */
int32_t g4_vocab_find(const g4_vocab *v, const char *text, size_t len);

/* The rank of merge "left right", or -1. */
int32_t g4_vocab_merge_rank(const g4_vocab *v, const char *left, size_t left_len, const char *right, size_t right_len);

/* The id in a special role (after llama.cpp's text-based detection of EOT/EOM/FIM), or -1. */
int32_t g4_vocab_special(const g4_vocab *v, g4_special role);
static inline int32_t g4_vocab_bos(const g4_vocab *v) {
    return g4_vocab_special(v, G4_SPECIAL_BOS);
}
static inline int32_t g4_vocab_eos(const g4_vocab *v) {
    return g4_vocab_special(v, G4_SPECIAL_EOS);
}

/* Whether tokenizing with add_special prepends BOS (always true for gemma4, as in llama.cpp) and
 * appends EOS (tokenizer.ggml.add_eos_token). */
bool g4_vocab_add_bos(const g4_vocab *v);
bool g4_vocab_add_eos(const g4_vocab *v);

/* End of generation: the set llama.cpp builds (for Gemma 4: <eos>, <turn|>, <|tool_response>). */
bool g4_vocab_is_eog(const g4_vocab *v, int32_t id);
int32_t g4_vocab_n_eog(const g4_vocab *v);
int32_t g4_vocab_eog_at(const g4_vocab *v, int32_t i); /* ascending ids, i < g4_vocab_n_eog */

/* Whether an id is a control token (rendered only when asked for special tokens). */
static inline bool g4_vocab_is_control(const g4_vocab *v, int32_t id) {
    return (g4_vocab_attr(v, id) & G4_TOKEN_ATTR_CONTROL) != 0;
}

/* The longest token text in bytes. */
int32_t g4_vocab_max_token_len(const g4_vocab *v);

#endif
