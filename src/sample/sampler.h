/*
 * Token samplers: greedy, temperature, top-k, top-p, min-p, and repetition / frequency / presence
 * penalties over the last N tokens, seeded and reproducible.
 *
 * The chain runs in llama.cpp's default order: mask hook -> penalties -> top-k -> top-p -> min-p ->
 * temperature -> draw. All buffers are allocated once in g4_sampler_new, so sampling in the decode
 * loop never allocates.
 */
#ifndef G4_SAMPLE_SAMPLER_H
#define G4_SAMPLE_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

typedef struct g4_sampler_params {
    float temperature;       /* <= 0: greedy (argmax after the mask hook and the penalties) */
    int32_t top_k;           /* <= 0: off */
    float top_p;             /* >= 1: off */
    float min_p;             /* <= 0: off */
    float repeat_penalty;    /* 1: off. Positive logits are divided by it, negative ones multiplied */
    float frequency_penalty; /* 0: off. Subtracted once per occurrence in the window */
    float presence_penalty;  /* 0: off. Subtracted once if the token occurs in the window */
    int32_t penalty_last_n;  /* window of previous tokens the penalties look at (0..32767); 0: off */
    uint64_t seed;
} g4_sampler_params;

/* The largest penalty window; the sampler keeps this many of the last tokens whatever the window. */
#define G4_SAMPLER_MAX_WINDOW 32767

/* Defaults: Gemma's recommended temperature 1.0, top-k 64, top-p 0.95; penalties off; seed 0. */
g4_sampler_params g4_sampler_default_params(void);

/* A hook that may forbid tokens before sampling by setting their logits to -INFINITY (constrained
 * decoding). It sees the raw logits of the whole vocabulary. */
typedef void (*g4_logit_mask_fn)(void *user, float *logits, int32_t n_vocab);

typedef struct g4_sampler g4_sampler;

gemma4_status g4_sampler_new(const g4_sampler_params *params, int32_t n_vocab, g4_sampler **out, g4_error *err);
void g4_sampler_free(g4_sampler *s);

/* GEMMA4_ERR_INVALID_ARG naming the setting that is out of range. */
gemma4_status g4_sampler_check_params(const g4_sampler_params *p, g4_error *err);

/* New settings (checked): the random sequence restarts from p->seed, the token history is kept
 * (the penalties then look at the last p->penalty_last_n of it). Allocates nothing. */
gemma4_status g4_sampler_set_params(g4_sampler *s, const g4_sampler_params *p, g4_error *err);
g4_sampler_params g4_sampler_get_params(const g4_sampler *s);
/* The random generator's state, to put a sampler back where it was after a call with other settings. */
uint64_t g4_sampler_rng_state(const g4_sampler *s);
void g4_sampler_set_rng_state(g4_sampler *s, uint64_t state);
/* Copies the last min(cap, kept) accepted tokens, oldest first, into out; returns how many. */
int32_t g4_sampler_history(const g4_sampler *s, int32_t *out, int32_t cap);

/* Forgets the penalty history and restarts the random sequence from the seed. */
void g4_sampler_reset(g4_sampler *s);

/* Records a token in the penalty window (the prompt's tokens too, if they should count). */
void g4_sampler_accept(g4_sampler *s, int32_t token);

/* Picks the next token from logits[0..n_vocab), which it modifies. Returns -1 only when the mask
 * hook forbade every token. */
int32_t g4_sampler_sample(g4_sampler *s, float *logits, g4_logit_mask_fn mask, void *mask_user);

#endif
