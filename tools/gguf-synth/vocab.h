/*
 * Gemma 4 vocabularies for synthetic models.
 *
 * Gemma 4 reuses Gemma 3's 262144-entry SentencePiece-BPE vocabulary and puts its chat and media
 * tokens on ids that Gemma 3 left unused (or used for its own turn/image markers). The table below
 * holds those ids and the token types llama.cpp's converter gives them: the seven tokens the
 * converter forces to USER_DEFINED (so they are always rendered for the chat parser) and CONTROL
 * for the rest. Sources: conversion/gemma.py (visible_tokens), transformers' Gemma4Config
 * (boi/eoi/boa/eoa/image/audio/video token ids) and published Gemma 4 tokenizer ids.
 */
#ifndef G4_SYNTH_VOCAB_H
#define G4_SYNTH_VOCAB_H

#include "synth.h"

typedef struct synth_special {
    const char *text;
    uint32_t id; /* id in the real 262144-token vocabulary */
    int32_t type;
    bool media; /* image/audio/video markers: above the tiny vocabularies' range */
} synth_special;

extern const synth_special synth_gemma4_specials[];
extern const size_t synth_gemma4_n_specials;

/* Deterministic BPE vocabulary of n tokens: the Gemma layout of ids 0..106 (specials, <unusedN>),
 * newline and U+2581 runs, the 256 byte tokens <0x00>..<0xFF>, printable ASCII, then merges
 * learned by BPE on a small built-in English corpus, then pseudo-random merges of existing tokens
 * until n is reached. The media tokens sit on their real ids when n is large enough, otherwise on
 * the last ids. The vocabulary does not depend on the weights' seed. */
gemma4_status synth_vocab_generate(synth_vocab *v, uint32_t n, g4_error *err);

/* A Hugging Face tokenizer.json with a BPE model (e.g. Gemma 3's): its vocabulary and merges, with
 * the Gemma 4 specials placed on their real ids when those hold <unusedN> or Gemma 3's turn/image
 * markers, otherwise on the first free <unusedN> ids. */
gemma4_status synth_vocab_import(synth_vocab *v, const char *path, g4_error *err);

/* The built-in text the generated vocabulary's merges are learned from. */
extern const char synth_corpus[];

#endif
