/*
 * A small hand-made Gemma-4-style vocabulary shared by the tokenizer unit tests: the chat control
 * tokens, user-defined tokens, all 256 byte tokens, a few words and merges chosen so that each
 * rule of the tokenizer (merge order, newline runs, byte fallback, special tokens) shows.
 */
#ifndef TEST_TEXT_TOKENIZER_FIXTURE_H
#define TEST_TEXT_TOKENIZER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/vocab.h"

enum {
    T_PAD = 0,
    T_EOS,
    T_BOS,
    T_UNK,
    T_TURN,
    T_TURN_END,
    T_TOOL_RESPONSE,
    T_QUOTE,
    T_STRIKE_END,
    T_WEIRD_TYPE,
    T_BYTE0,                 /* <0x00> .. <0xFF>: ids T_BYTE0 .. T_BYTE0 + 255 */
    T_SPACE = T_BYTE0 + 256, /* "▁" */
    T_A,
    T_B,
    T_C,
    T_AB,
    T_BC,
    T_ABC,
    T_SPACE_A,
    T_NL,
    T_NL2,
    T_AA,
    T_AB_LT,
    T_SPACE2,
    T_HELLO,
    T_WORLD_SP,
    T_H,
    T_E,
    T_L,
    T_O,
    T_HE,
    T_LL,
    T_HEL,
    T_HELL,
    T_W,
    T_R,
    T_D,
    T_WO,
    T_WOR,
    T_WORL,
    T_SP_W,
    T_QMARK,
    T_APOS,
    T_S,
    T_NIHAO,
    T_COUNT
};

#define FX_U2581 "\xe2\x96\x81"

typedef struct fx_vocab_texts {
    char *text[T_COUNT];
    int32_t type[T_COUNT];
} fx_vocab_texts;

static inline void fx_set(fx_vocab_texts *t, int id, const char *s, int32_t type) {
    t->text[id] = strdup(s);
    t->type[id] = type;
}

static inline void fx_fill(fx_vocab_texts *t) {
    fx_set(t, T_PAD, "<pad>", G4_TOKEN_TYPE_CONTROL);
    fx_set(t, T_EOS, "<eos>", G4_TOKEN_TYPE_CONTROL);
    fx_set(t, T_BOS, "<bos>", G4_TOKEN_TYPE_CONTROL);
    fx_set(t, T_UNK, "<unk>", G4_TOKEN_TYPE_UNKNOWN);
    fx_set(t, T_TURN, "<|turn>", G4_TOKEN_TYPE_CONTROL);
    fx_set(t, T_TURN_END, "<turn|>", G4_TOKEN_TYPE_CONTROL);
    fx_set(t, T_TOOL_RESPONSE, "<|tool_response>", G4_TOKEN_TYPE_USER_DEFINED);
    fx_set(t, T_QUOTE, "<|\"|>", G4_TOKEN_TYPE_USER_DEFINED);
    fx_set(t, T_STRIKE_END, "</s>", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_WEIRD_TYPE, "weird", 99); /* a type number llama.cpp does not know: "undefined" */
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        fx_set(t, T_BYTE0 + b, name, G4_TOKEN_TYPE_BYTE);
    }
    fx_set(t, T_SPACE, FX_U2581, G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_A, "a", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_B, "b", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_C, "c", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_AB, "ab", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_BC, "bc", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_ABC, "abc", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_SPACE_A, FX_U2581 "a", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_NL, "\n", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_NL2, "\n\n", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_AA, "aa", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_AB_LT, "ab<", G4_TOKEN_TYPE_USER_DEFINED);
    fx_set(t, T_SPACE2, FX_U2581 FX_U2581, G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_HELLO, "hello", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_WORLD_SP, FX_U2581 "world", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_H, "h", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_E, "e", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_L, "l", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_O, "o", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_HE, "he", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_LL, "ll", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_HEL, "hel", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_HELL, "hell", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_W, "w", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_R, "r", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_D, "d", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_WO, "wo", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_WOR, "wor", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_WORL, "worl", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_SP_W, FX_U2581 "w", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_QMARK, "?", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_APOS, "'", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_S, "s", G4_TOKEN_TYPE_NORMAL);
    fx_set(t, T_NIHAO, "\xe4\xbd\xa0\xe5\xa5\xbd", G4_TOKEN_TYPE_NORMAL); /* 你好 */
}

/* Merge ranks are the order here. "b c" before "a b": "abc" becomes a + bc, then "a bc". "worl d"
 * makes "world", which is not a token (its bytes fall back) unless "▁ world" goes on to "▁world". */
static const char *const fx_merges[] = {
    "b c",
    "a b",
    "a bc",
    "a a",
    "h e",
    "he l",
    "hel l",
    "hell o",
    "l l",
    FX_U2581 " a",
    FX_U2581 " " FX_U2581,
    "w o",
    "wo r",
    "wor l",
    FX_U2581 " w",
    "worl d",
    FX_U2581 " world",
    "\n \n",
    "x y",     /* names no tokens: never matters */
    "nospace", /* no space: never matches, as in llama.cpp */
    " lead",   /* no space after the first byte: never matches */
    "b c",     /* a repeat keeps the first rank */
};
#define FX_N_MERGES (sizeof fx_merges / sizeof fx_merges[0])

typedef struct fx_spec {
    fx_vocab_texts t;
    g4_str tokens[T_COUNT];
    g4_str merges[FX_N_MERGES];
    g4_vocab_spec spec;
} fx_spec;

/* Fills a spec for the fixture vocabulary: BOS 2, EOS 1, UNK 3, PAD 0, no add_eos. */
static inline void fx_spec_init(fx_spec *f) {
    memset(f, 0, sizeof *f);
    fx_fill(&f->t);
    for (int i = 0; i < T_COUNT; i++) f->tokens[i] = (g4_str){f->t.text[i], strlen(f->t.text[i])};
    for (size_t i = 0; i < FX_N_MERGES; i++) f->merges[i] = (g4_str){fx_merges[i], strlen(fx_merges[i])};
    g4_vocab_spec_init(&f->spec);
    f->spec.model = "gemma4";
    f->spec.n_tokens = T_COUNT;
    f->spec.tokens = f->tokens;
    f->spec.token_types = f->t.type;
    f->spec.n_merges = FX_N_MERGES;
    f->spec.merges = f->merges;
    f->spec.special_ids[G4_SPECIAL_BOS] = T_BOS;
    f->spec.special_ids[G4_SPECIAL_EOS] = T_EOS;
    f->spec.special_ids[G4_SPECIAL_UNK] = T_UNK;
    f->spec.special_ids[G4_SPECIAL_PAD] = T_PAD;
    f->spec.add_bos = 1;
    f->spec.add_eos = 0;
}

static inline void fx_spec_free(fx_spec *f) {
    for (int i = 0; i < T_COUNT; i++) free(f->t.text[i]);
}

/* The fixture vocabulary itself (asserts on failure). */
static inline g4_vocab *fx_vocab(void) {
    fx_spec f;
    fx_spec_init(&f);
    g4_vocab *v = NULL;
    g4_error err = {0};
    gemma4_status st = g4_vocab_build(&f.spec, &v, &err);
    if (st != GEMMA4_OK) fprintf(stderr, "fixture vocab: %s\n", err.msg);
    fx_spec_free(&f);
    return v;
}

#endif
