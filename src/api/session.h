/* The internal calls on a session that the upper api files (generate, prompt, chat, state) build on. */
#ifndef G4_API_SESSION_H
#define G4_API_SESSION_H

#include "api/api_internal.h"

/* The public sampling struct (any header version) as the sampler's settings. NULL: defaults. */
gemma4_status g4_sampling_read(const gemma4_sampling *user, g4_sampler_params *out, g4_error *err);

/* Clears a pending interrupt: every call that honours interrupts starts with it. */
void g4_session_begin_call(gemma4_session *s);
bool g4_session_interrupted(gemma4_session *s);

/* Evaluates tokens, or n media embeddings (embd [n][n_embd], hash their content), at the end of the
 * context in micro-batches of n_batch, checking for an interrupt before each: what was evaluated
 * stays (history and cache agree), GEMMA4_ERR_INTERRUPTED for the rest. Keeps the logits of the
 * last position, or of all with all_logits. */
gemma4_status g4_session_eval_tokens(gemma4_session *s, const int32_t *tokens, int32_t n, bool all_logits);
gemma4_status g4_session_eval_embd(gemma4_session *s, const float *embd, int32_t n, uint64_t hash, bool all_logits);

/* Samples from the last logits with an optional mask hook (constrained decoding may set logits to
 * -INFINITY), records the token in the sampler's history and consumes the logits. */
gemma4_status g4_session_sample(gemma4_session *s, g4_logit_mask_fn mask, void *mask_user, int32_t *token_out);
/* The logits row of position i of the last evaluation (-1: last), or NULL. */
const float *g4_session_logits(gemma4_session *s, int32_t i);

void g4_session_reset(gemma4_session *s);
gemma4_status g4_session_rewind(gemma4_session *s, int32_t n_past);
bool g4_session_can_rewind(const gemma4_session *s, int32_t n_past);

#endif
