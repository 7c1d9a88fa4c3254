/*
 * libFuzzer target for the tokenizer and detokenizer (src/text): any bytes are tokenized, with and
 * without parse_special, against two vocabularies:
 *   - the unit tests' hand-made one (tests/unit/test_text_tokenizer_fixture.h), small enough that
 *     every rule shows (merge order, newline runs, byte fallback, user-defined and control tokens);
 *   - the 2048-token vocabulary of a gguf-synth model written at build time (Gemma 4's special
 *     tokens, merges learned from text), or the GGUF named by GEMMA4_FUZZ_VOCAB, e.g. a real model.
 * Besides "no crash, no leak, no UB" every input must keep the tokenizer's promises:
 *   - every id is inside the vocabulary;
 *   - add_special only puts BOS in front (and EOS behind when the vocabulary asks for it);
 *   - g4_tokenize's buffer protocol: a short buffer gets a prefix of the ids and the full count;
 *   - the streaming detokenizer gives back exactly the tokens' pieces, in order, holding back at
 *     most the 3 bytes of an incomplete character, and g4_detokenize's clean-up only drops spaces;
 *   - nothing is lost: for valid UTF-8 without U+2581 (which the tokenizer cannot tell from an
 *     escaped space) the pieces join to the input itself, the stream never splits a character,
 *     and g4_detokenize gives the input back whenever it holds no space.
 *   fuzz_tokenizer -max_total_time=60 -dict=tests/fuzz/tokenizer.dict NEW_INPUTS_DIR tests/fuzz/corpus/tokenizer
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "gguf/gguf.h"
#include "test_text_tokenizer_fixture.h"
#include "text/detokenizer.h"
#include "text/tokenizer.h"
#include "text/vocab.h"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_tokenizer: check failed at line %d: %s\n", __LINE__, #cond);                         \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* The vocabularies, built once for the whole run (libFuzzer calls the target millions of times). */
static g4_vocab *g_vocabs[2];

static g4_vocab *load_gguf_vocab(const char *path) {
    g4_gguf *f = NULL;
    g4_vocab *v = NULL;
    g4_error err = {0};
    if (g4_gguf_open(path, &f, &err) != GEMMA4_OK || g4_vocab_load(f, &v, &err) != GEMMA4_OK) {
        fprintf(stderr, "fuzz_tokenizer: cannot load the vocabulary of %s: %s\n", path, err.msg);
        exit(1);
    }
    g4_gguf_close(f);
    return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    g_vocabs[0] = fx_vocab();
    if (!g_vocabs[0]) exit(1);
    const char *path = getenv("GEMMA4_FUZZ_VOCAB");
    g_vocabs[1] = load_gguf_vocab(path && path[0] ? path : G4_FUZZ_VOCAB_GGUF);
    return 0;
}

static bool is_valid_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0, len; i < n; i += len)
        if ((len = g4_utf8_decode(s + i, n - i, NULL)) == 0) return false;
    return true;
}

/* The concatenated pieces of ids (special tokens as their text), malloc'd; *len its length. */
static char *join_pieces(const g4_vocab *v, const int32_t *ids, size_t n, size_t *len) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m;
        CHECK(g4_token_piece(v, ids[i], true, &m));
        total += m;
    }
    char *out = malloc(total + 1);
    CHECK(out);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m;
        const char *p = g4_token_piece(v, ids[i], true, &m);
        memcpy(out + at, p, m);
        at += m;
    }
    *len = at;
    return out;
}

/* The stream gives back the pieces in order, holding back at most an incomplete character; when the
 * pieces are valid UTF-8 (whole_chars), everything it shows ends on a character boundary. */
static void check_stream(const g4_vocab *v, const int32_t *ids, size_t n, const char *pieces, size_t pieces_len,
                         bool whole_chars) {
    g4_detok_stream *s = NULL;
    g4_error err = {0};
    CHECK(g4_detok_stream_new(v, true, &s, &err) == GEMMA4_OK);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const char *text;
        size_t len;
        CHECK(g4_detok_stream_push(s, ids[i], &text, &len, &err) == GEMMA4_OK);
        CHECK(at + len <= pieces_len && memcmp(text, pieces + at, len) == 0);
        at += len;
        if (whole_chars) CHECK(g4_utf8_complete_len(pieces, at) == at);
    }
    const char *text;
    size_t len;
    g4_detok_stream_flush(s, &text, &len);
    CHECK(len <= 3 && at + len == pieces_len && memcmp(text, pieces + at, len) == 0);
    g4_detok_stream_free(s);
}

static void check_vocab(const g4_vocab *v, const uint8_t *data, size_t size, bool parse_special, bool lossless) {
    const char *text = (const char *)data;
    g4_error err = {0};
    int32_t *ids = NULL;
    size_t n = 0;
    CHECK(g4_tokenize_alloc(v, text, size, false, parse_special, &ids, &n, &err) == GEMMA4_OK);
    for (size_t i = 0; i < n; i++) CHECK(ids[i] >= 0 && ids[i] < g4_vocab_n_tokens(v));

    /* add_special wraps the same ids */
    int32_t *with = NULL;
    size_t n_with = 0;
    CHECK(g4_tokenize_alloc(v, text, size, true, parse_special, &with, &n_with, &err) == GEMMA4_OK);
    size_t lead = g4_vocab_add_bos(v) ? 1 : 0, tail = g4_vocab_add_eos(v) ? 1 : 0;
    CHECK(n_with == lead + n + tail);
    if (lead) CHECK(with[0] == g4_vocab_bos(v));
    if (tail) CHECK(with[n_with - 1] == g4_vocab_eos(v));
    CHECK(n == 0 || memcmp(with + lead, ids, n * sizeof *ids) == 0);
    free(with);

    /* a buffer of half the size: the first ids and the full count */
    size_t half = n / 2, total = 0;
    int32_t *part = malloc((half ? half : 1) * sizeof *part);
    CHECK(part);
    CHECK(g4_tokenize(v, text, size, false, parse_special, part, half, &total, &err) == GEMMA4_OK);
    CHECK(total == n && (half == 0 || memcmp(part, ids, half * sizeof *ids) == 0));
    free(part);

    size_t pieces_len;
    char *pieces = join_pieces(v, ids, n, &pieces_len);
    if (lossless) CHECK(pieces_len == size && memcmp(pieces, data, size) == 0);
    check_stream(v, ids, n, pieces, pieces_len, lossless);
    char *back = NULL;
    size_t back_len = 0;
    CHECK(g4_detokenize_alloc(v, ids, n, false, true, &back, &back_len, &err) == GEMMA4_OK);
    CHECK(back_len <= pieces_len);
    if (lossless && !memchr(data, ' ', size)) CHECK(back_len == size && memcmp(back, data, size) == 0);
    free(back);
    free(pieces);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bool lossless = is_valid_utf8(data, size) && !memmem(data, size, FX_U2581, 3);
    for (size_t k = 0; k < sizeof g_vocabs / sizeof *g_vocabs; k++) {
        check_vocab(g_vocabs[k], data, size, false, lossless);
        check_vocab(g_vocabs[k], data, size, true, lossless);
    }
    return 0;
}
