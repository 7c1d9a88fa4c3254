/*
 * Schema-constrained decoding of Gemma 4 tool calls: which next tokens keep the model's output a
 * well-formed answer whose every call names a declared tool with arguments valid for its schema.
 *
 * Outside calls the output is checked by the tool-call parser (tc_parser.h): text and thoughts are
 * free, only what would break the format (a stray closing marker, invalid UTF-8, a new turn) is
 * refused. Once "<|tool_call>" is complete (as one token or spelled in pieces) a schema-directed
 * automaton takes over until "<tool_call|>". It accepts the canonical compact form the chat
 * template writes, a subset of what the parser reads:
 *
 *   call:NAME{key:value,...}     no whitespace; NAME a declared tool (whose name the parser accepts)
 *   keys    declared properties, bare (key:) or, when a bare key cannot spell them, quoted
 *           (<|"|>key<|"|>:); each at most once; a required key must appear before '}' closes the
 *           object. Undeclared keys only where the schema allows them: additionalProperties true
 *           or a schema, or an object schema without "properties" (then up to 8 per object, bare
 *           [A-Za-z0-9_]+, not repeating). With "properties" and no additionalProperties, only
 *           declared keys are accepted, so that every completed call validates.
 *   values  by the schema: type (a name or a list; "integer" without fraction or exponent;
 *           nullable), enum / const (exactly one of the listed values, as the template writes it),
 *           strings <|"|>...<|"|> (minLength / maxLength in characters), numbers (minimum,
 *           maximum, exclusive bounds; no exponent when bounded; at most 40 characters), true,
 *           false, null / None, objects (properties, required, additionalProperties,
 *           minProperties, maxProperties), arrays (items, prefixItems / tuple items,
 *           additionalItems, minItems, maxItems), anyOf / oneOf (the first branch that can start
 *           with the value's first byte is followed), allOf and $ref ("#/...") merged in,
 *           nesting up to G4_TCC_MAX_DEPTH. A missing schema (or true, or {}) allows any value.
 *   Not enforced while decoding (the validator still reports them): pattern, format,
 *   multipleOf, uniqueItems, patternProperties, not, if/then/else, dependencies, and oneOf's
 *   "exactly one".
 * Every prefix the automaton accepts can still be completed (no dead ends), so masking tokens
 * with it never leaves the sampler without a choice, except in pathological schemas (an object
 * whose minProperties only undeclared keys can meet, recursion that needs more than
 * G4_TCC_MAX_DEPTH levels).
 *
 * The state is a plain struct (no pointers to owned memory): copy it to try a continuation. The
 * allowed set of a state is computed by walking the token trie (token_trie.h) with copies of it.
 */
#ifndef G4_TOOLCALL_CONSTRAIN_H
#define G4_TOOLCALL_CONSTRAIN_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/utf8.h"
#include "toolcall/tc_parser.h"
#include "toolcall/token_trie.h"

#define G4_TCC_MAX_DEPTH 16      /* nested objects / arrays inside one call's arguments */
#define G4_TCC_MAX_FREE 32       /* undeclared keys remembered at once (over all open objects) */
#define G4_TCC_FREE_PER_OBJECT 8 /* undeclared keys in one object */
#define G4_TCC_FREE_KEY_MAX 64   /* bytes of an undeclared key */
#define G4_TCC_NUM_CAP 40        /* characters of a number */

/* The tools, compiled (immutable; any number of states may use it). */
typedef struct g4_tcc g4_tcc;

typedef struct g4_tcc_level {
    uint64_t seen;  /* declared properties present (objects) */
    int32_t node;   /* the container's schema node */
    uint16_t count; /* members or items so far */
    uint8_t is_array;
    uint8_t nfree; /* this object's undeclared keys (the top entries of free_keys) */
} g4_tcc_level;

typedef struct g4_tcc_state {
    uint64_t nbytes;    /* bytes consumed */
    uint64_t key_hash;  /* the undeclared key being read */
    uint32_t ncalls;    /* calls completed */
    uint32_t committed; /* characters of the string being read */
    int32_t vnode;      /* schema node of the value being read */
    int32_t lit;        /* node in a literal trie (names, declared keys, enum values); -1: none */
    uint8_t mode, sub, depth, nfree;
    g4_utf8_state utf8; /* inside a string: where it stands in a UTF-8 character */
    uint8_t phase;
    uint8_t num_len, word, key_len, key_free;
    char num[G4_TCC_NUM_CAP];
    union {
        g4_tc_parser text; /* outside calls */
        struct {
            g4_tcc_level stack[G4_TCC_MAX_DEPTH];
            uint64_t free_keys[G4_TCC_MAX_FREE];
        } call;
    } u;
} g4_tcc_state;

/*
 * Compiles OpenAI-style tools ([{"type":"function","function":{"name","parameters"}}] or bare
 * {"name","parameters"} entries). GEMMA4_ERR_INVALID_ARG when tools is not an array or no tool can
 * be called (names the parser cannot read, parameters that allow no object), naming the tool;
 * GEMMA4_ERR_UNSUPPORTED for an object with more than 64 properties.
 */
gemma4_status g4_tcc_compile(const cJSON *tools, g4_tcc **out, g4_error *err);
void g4_tcc_free(g4_tcc *g);

/* The state at the start of the model's output (parser_flags: G4_TC_START_IN_THOUGHT). */
void g4_tcc_start(const g4_tcc *g, g4_tcc_state *st, unsigned parser_flags);

/* Consumes bytes; false (and the state is unusable) when they leave the constrained language. */
bool g4_tcc_feed(const g4_tcc *g, g4_tcc_state *st, const char *bytes, size_t n);

/* Whether the output may end here (outside any call, the parser content). */
bool g4_tcc_can_end(const g4_tcc *g, const g4_tcc_state *st);

/* Whether a call is open (the automaton, not the parser, decides). */
bool g4_tcc_in_call(const g4_tcc_state *st);

/* Scratch for g4_tcc_allowed (one state per trie level), so the decode loop never allocates. */
typedef struct g4_tcc_walker g4_tcc_walker;
g4_tcc_walker *g4_tcc_walker_new(const g4_token_trie *trie);
void g4_tcc_walker_free(g4_tcc_walker *w);

/* Trie nodes stepped by the last g4_tcc_allowed (for measurements and tests). */
uint64_t g4_tcc_walker_steps(const g4_tcc_walker *w);

/*
 * The tokens of the trie that st accepts whole: bit id of allowed[] (n_vocab bits, zeroed first)
 * is set when feeding the token's piece to a copy of st succeeds. Tokens left out of the trie are
 * never set (the caller decides end-of-generation tokens with g4_tcc_can_end).
 */
void g4_tcc_allowed(const g4_tcc *g, const g4_tcc_state *st, g4_tcc_walker *w, uint64_t *allowed);

#endif
