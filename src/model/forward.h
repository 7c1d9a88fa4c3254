/*
 * The Gemma 4 text transformer forward pass (llama.cpp's models/gemma4.cpp graph, done directly):
 * tokens (or ready-made embeddings from the vision/audio encoders) go in at the context's current
 * position, their K/V go into the cache, and the logits of the last token (or of every token) come
 * out. Long inputs are split into micro-batches of the context's n_batch; a single token is the
 * decode step. Nothing is allocated here.
 */
#ifndef G4_MODEL_FORWARD_H
#define G4_MODEL_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "model/model.h"

/* Evaluates n >= 1 tokens at positions g4_ctx_pos(c) .. + n - 1 and advances the position.
 *   logits: NULL (no logits: a prompt prefix), or room for n_vocab floats (the last token's
 *           logits) or, with all_logits, n * n_vocab floats (row t for token t).
 * Errors leave the context unchanged: a token outside the vocabulary or n < 1 is
 * GEMMA4_ERR_INVALID_ARG, no room for n more positions GEMMA4_ERR_CONTEXT_FULL. */
gemma4_status g4_forward_tokens(g4_ctx *c, const int32_t *tokens, int32_t n, float *logits, bool all_logits,
                                g4_error *err);

/* The same with input embeddings instead of tokens: embd is [n][n_embd], used as they are (no
 * sqrt(n_embd) scaling; the per-layer inputs take token 0's row, as llama.cpp does for media). */
gemma4_status g4_forward_embd(g4_ctx *c, const float *embd, int32_t n, float *logits, bool all_logits, g4_error *err);

#endif
