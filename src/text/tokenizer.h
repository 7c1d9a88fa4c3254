/*
 * Text -> token ids for a Gemma 4 vocabulary, identical to llama.cpp's llama_tokenize with the same
 * add_special / parse_special flags:
 *
 *  1. special tokens are cut out of the raw text first, longest text first (control and unknown
 *     tokens only when parse_special; user-defined tokens always);
 *  2. in each remaining piece spaces become U+2581 (no space prefix is added), the bytes are read as
 *     UTF-8 the way llama.cpp reads them (an invalid byte becomes U+FFFD), and the piece is split
 *     into runs of '\n' and runs of anything else; a run of newlines that is itself a token stays
 *     whole;
 *  3. each run is merged by BPE (lowest merge rank first, leftmost first among equals), and a
 *     resulting symbol that is not a token falls back to its bytes' <0xNN> tokens (bytes without
 *     one are dropped, as in llama.cpp);
 *  4. add_special puts BOS in front (llama.cpp always does for gemma4) and EOS at the end when the
 *     vocabulary says add_eos_token.
 *
 * Where llama.cpp aborts on malformed UTF-8 (a 4-byte sequence above U+10FFFF, an overlong space
 * meeting a merge lookup) this returns the deterministic result documented at the spot instead.
 * Tokenizing is O(n log n) in the text length and allocates only scratch memory per call; the
 * vocab is only read, so any number of threads may tokenize with one vocab at once.
 */
#ifndef G4_TEXT_TOKENIZER_H
#define G4_TEXT_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "text/vocab.h"

/* The longest text accepted (larger inputs are GEMMA4_ERR_INVALID_ARG). */
#define G4_TOKENIZE_MAX_BYTES ((size_t)1 << 28)

/* Tokenizes text[0..len) (any bytes; NUL is an ordinary byte). The first min(cap, total) ids go to
 * out (out may be NULL when cap is 0) and *n_total receives the number of ids the text needs, so
 * a caller can size a buffer with a first call of cap 0 or retry when *n_total > cap. */
gemma4_status g4_tokenize(const g4_vocab *v, const char *text, size_t len, bool add_special, bool parse_special,
                          int32_t *out, size_t cap, size_t *n_total, g4_error *err);

/* The same into a malloc'd array (*out, free with free(); NULL when there are no tokens). */
gemma4_status g4_tokenize_alloc(const g4_vocab *v, const char *text, size_t len, bool add_special, bool parse_special,
                                int32_t **out, size_t *n_tokens, g4_error *err);

#endif
