/*
 * A rendered conversation as what the model evaluates: text tokens with each media placeholder
 * (<|image|>, <|audio|>, as the chat template writes them) replaced by its block (<|image>, the
 * media's embeddings, <image|>), and the evaluation of such a prompt reusing what the context
 * already holds.
 */
#ifndef G4_API_PROMPT_H
#define G4_API_PROMPT_H

#include "api/api_internal.h"

typedef struct g4_prompt {
    int32_t *tokens; /* the text tokens of every text chunk, one array */
    g4_chunk *chunks;
    int32_t n_chunks;
    int32_t n_pos; /* positions in all */
} g4_prompt;

/* Tokenizes text (with BOS, control tokens parsed) and puts media[i] at the i-th placeholder.
 * GEMMA4_ERR_INVALID_ARG when placeholders and media do not pair up (count or kind), naming which;
 * GEMMA4_ERR_CONTEXT_FULL when the whole prompt exceeds the context. */
gemma4_status g4_prompt_build(gemma4_session *s, const char *text, size_t len, const gemma4_media *const *media,
                              size_t n_media, g4_prompt *out);
void g4_prompt_free(g4_prompt *p);

/* Makes the context hold the longest prefix of the prompt it already has (at least one position
 * short of the whole, whose logits are needed; media as a whole or not at all), evaluates the rest
 * and records the text tokens in the sampler's penalty history. Sets stats' n_reused, n_prompt and
 * prompt_seconds. */
gemma4_status g4_prompt_eval(gemma4_session *s, const g4_prompt *p, gemma4_generate_stats *stats);

#endif
