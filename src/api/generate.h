/* The generation loop under gemma4_generate, gemma4_chat and gemma4_chat_tools. */
#ifndef G4_API_GENERATE_H
#define G4_API_GENERATE_H

#include "api/api_internal.h"

/* gemma4_generate_params read from the caller's struct (any header version). */
typedef struct g4_gen {
    int32_t max_tokens;
    bool render_special;
    gemma4_token_fn on_token;
    void *user;
    bool own_sampling; /* sample this call with `sampling`, then give the session its own back */
    g4_sampler_params sampling;
} g4_gen;

gemma4_status g4_gen_read(const gemma4_generate_params *user, g4_gen *out, g4_error *err);

/* The library's full stats struct, and copying it into the caller's (any header version). */
gemma4_status g4_stats_check(const gemma4_generate_stats *user, g4_error *err);
void g4_stats_copy_out(const gemma4_generate_stats *st, gemma4_generate_stats *user);

/* The start of every generating call: the caller's generation settings read into gen, its stats
 * struct checked, a pending interrupt cleared. */
gemma4_status g4_generate_begin(gemma4_session *s, const gemma4_generate_params *user,
                                const gemma4_generate_stats *stats, g4_gen *gen);

/* Evaluates prompt tokens and records them in the sampler's penalty history. */
gemma4_status g4_generate_prompt_tokens(gemma4_session *s, const int32_t *tokens, int32_t n);

/* Samples (through the mask hook, if any), streams and evaluates tokens from the current logits
 * until a stop condition; fills stats' n_generated, generate_seconds and stop_reason. */
gemma4_status g4_generate_loop(gemma4_session *s, const g4_gen *gen, g4_logit_mask_fn mask, void *mask_user,
                               gemma4_generate_stats *stats);

#endif
