/*
 * UTF-8 for every layer that reads or writes text: the JSON readers, the tokenizer's
 * normalisation, the streaming detokenizer, the tool-call parser and its constrained decoding, the
 * GGUF inspector. Each of them used to carry its own copy of these few rules; one copy means one
 * place to get them right.
 *
 * "Valid" is RFC 3629's well-formed UTF-8: no overlong forms (C0 80 for NUL), no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no sequence cut short. NUL is a valid character here;
 * callers whose format cannot carry it (JSON strings) refuse it themselves.
 *
 * The validation rule itself is written once, as g4_utf8_feed: a byte-at-a-time step for parsers
 * that see their input in pieces (a token at a time). g4_utf8_decode runs the same step over a
 * whole sequence, so the two can never disagree about what is valid.
 */
#ifndef G4_CORE_UTF8_H
#define G4_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether b is a continuation byte (10xxxxxx). */
static inline bool g4_utf8_is_cont(unsigned char b) {
    return (b & 0xC0) == 0x80;
}

/* The length a lead byte announces by its bit pattern alone: 2 for 110xxxxx, 3 for 1110xxxx, 4 for
 * 11110xxx, and 1 for everything else (ASCII, continuation bytes, F8..FF). Whether the sequence it
 * starts is valid is g4_utf8_decode's question, not this one. */
size_t g4_utf8_lead_len(unsigned char lead);

/* The code point that the payload bits of s[0..len) spell, len being g4_utf8_lead_len(s[0]).
 * Nothing is checked: an overlong form or a surrogate comes out as what it spells (the tokenizer
 * reads text leniently this way, as llama.cpp does). */
uint32_t g4_utf8_assemble(const unsigned char *s, size_t len);

/* The valid sequence at s[0..n): its length (1..4) and, if cp is not NULL, its code point in *cp.
 * 0 when s does not start with a valid sequence (or n is 0); *cp is then left alone. */
size_t g4_utf8_decode(const void *s, size_t n, uint32_t *cp);

/* Writes code point cp (at most U+10FFFF) to out and returns the number of bytes (1..4). A surrogate
 * is encoded like any other code point (the tokenizer's lenient reading passes them through); cp
 * above U+10FFFF writes nothing and returns 0. */
size_t g4_utf8_encode(uint32_t cp, unsigned char out[4]);

/* How many leading bytes of s[0..n) can be handed on now: all of them unless they end in the first
 * bytes of a multi-byte character still to be completed (then up to 3 fewer). Only lead bytes are
 * looked at: invalid bytes are not held back, they can never become valid by waiting. */
size_t g4_utf8_complete_len(const char *s, size_t n);

/* The characters that start in s[0..n): the bytes that are not continuation bytes. */
size_t g4_utf8_count_chars(const char *s, size_t n);

/*
 * The incremental check. A zeroed state is at a character boundary; each byte either continues
 * valid UTF-8 (true) or cannot (false; the state is then meaningless until zeroed again). `need`
 * counts the continuation bytes still expected, so need == 0 means the text so far ends on a
 * character boundary. [lo, hi] is the range the next continuation byte must fall in (narrower than
 * 80..BF right after E0, ED, F0 and F4, which is how overlong forms, surrogates and code points
 * above U+10FFFF are refused without decoding anything).
 */
typedef struct g4_utf8_state {
    uint8_t need, lo, hi;
} g4_utf8_state;

bool g4_utf8_feed(g4_utf8_state *st, unsigned char byte);

#endif
