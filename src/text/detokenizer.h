/*
 * Token ids -> text for a Gemma 4 vocabulary, as llama.cpp does it:
 *
 *  - a token's piece (llama_token_to_piece with lstrip 0): normal tokens with U+2581 turned back
 *    into spaces, byte tokens <0xNN> as the byte itself, control / user-defined / unknown tokens as
 *    their text, except that control and unknown tokens are empty unless `special` is set;
 *  - a whole sequence (llama_detokenize): the pieces joined, then llama.cpp's clean-up of spaces
 *    before ? ! . , and around apostrophes (gemma4 vocabularies have clean_spaces on);
 *  - a stream: pieces as tokens arrive, never splitting a UTF-8 character across two outputs.
 *    A stream does not apply the sequence clean-up (llama.cpp's generation output does not either).
 */
#ifndef G4_TEXT_DETOKENIZER_H
#define G4_TEXT_DETOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "text/vocab.h"

/* The token's piece (not NUL-terminated in general; *len bytes, may contain NUL for <0x00>), valid
 * as long as the vocab. NULL (and *len 0) for an id out of range. */
const char *g4_token_piece(const g4_vocab *v, int32_t id, bool special, size_t *len);

/* The longest piece of any token, in bytes. */
size_t g4_vocab_max_piece_len(const g4_vocab *v);

/* llama_detokenize(vocab, ids, n, ..., remove_special, unparse_special): remove_special drops a
 * leading BOS (and a trailing EOS when the vocab adds EOS); unparse_special renders control tokens.
 * The first min(cap, total) bytes go to out (which is not NUL-terminated; out may be NULL when cap
 * is 0) and *n_total receives the full length. An id out of range is GEMMA4_ERR_INVALID_ARG. */
gemma4_status g4_detokenize(const g4_vocab *v, const int32_t *ids, size_t n, bool remove_special, bool unparse_special,
                            char *out, size_t cap, size_t *n_total, g4_error *err);

/* The same into a malloc'd, NUL-terminated string (*out, free with free()). */
gemma4_status g4_detokenize_alloc(const g4_vocab *v, const int32_t *ids, size_t n, bool remove_special,
                                  bool unparse_special, char **out, size_t *len, g4_error *err);

/* Streaming detokenizer: push ids one by one and show what each returns. Its buffer is allocated
 * once at creation, so pushing never allocates. */
typedef struct g4_detok_stream g4_detok_stream;

gemma4_status g4_detok_stream_new(const g4_vocab *v, bool special, g4_detok_stream **out, g4_error *err);
void g4_detok_stream_free(g4_detok_stream *s);

/* Adds a token; *text / *len receive the bytes that are now complete (possibly none), valid until
 * the next call on this stream. An id out of range is GEMMA4_ERR_INVALID_ARG and changes nothing. */
gemma4_status g4_detok_stream_push(g4_detok_stream *s, int32_t id, const char **text, size_t *len, g4_error *err);

/* Ends the stream: returns the bytes still held back (an incomplete character at the very end,
 * as raw bytes) and empties the stream for reuse. */
void g4_detok_stream_flush(g4_detok_stream *s, const char **text, size_t *len);

/* Drops anything held back. */
void g4_detok_stream_reset(g4_detok_stream *s);

#endif
