/*
 * The objects behind include/gemma4.h's opaque handles, shared by the src/api files.
 *
 *   gemma4_model   = the mapped GGUF + the bound text model + the vocabulary. Immutable after load
 *                    except for its error text, which a mutex guards (models are shared by threads).
 *   gemma4_session = a context (KV cache + scratch) + a thread pool + a sampler + the token history
 *                    of what is in the cache (so a chat can reuse the prefix that still matches).
 */
#ifndef G4_API_INTERNAL_H
#define G4_API_INTERNAL_H

#include <pthread.h>

#include "core/error.h"
#include "core/log.h"
#include "core/pool.h"
#include "gemma4.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "sample/sampler.h"
#include "text/detokenizer.h"
#include "text/vocab.h"

struct gemma4_model {
    g4_gguf *gguf;
    g4_model *model;
    g4_vocab *vocab;
    const struct g4_kernels *kernels; /* the kernel table every session computes with */
    g4_logger log;
    pthread_mutex_t err_lock;
    g4_error err;
    pthread_mutex_t tools_lock;              /* guards tools_index */
    struct g4_api_tools_index *tools_index;  /* the vocabulary as a trie for constrained tool calls,
                                                built by the first strict gemma4_chat_tools */
};

struct gemma4_session {
    gemma4_model *model;
    gemma4_session_params params;
    g4_ctx *ctx;
    g4_pool *pool;
    g4_sampler *sampler;
    g4_detok_stream *detok;
    g4_detok_stream *detok_special; /* renders control tokens, for render_special */
    int32_t n_vocab;

    int32_t *tokens;      /* [n_ctx] the tokens now in the cache, in order */
    int32_t n_tokens;

    float *logits;        /* [n_vocab * logits_rows] of the last gemma4_eval */
    int32_t logits_rows;  /* rows allocated */
    int32_t logits_first; /* index (in the last eval) of row 0: all rows, or just the last token */
    int32_t logits_count; /* rows valid */
    int32_t last_eval_n;  /* tokens in the last eval */

    g4_error err;
};

/* Records an error on the model (thread-safe). Returns status. */
gemma4_status g4_api_model_fail(gemma4_model *m, const g4_error *e);

/* Evaluates tokens through the session's context, in chunks of its batch, keeping the token
 * history and the logits of the last token (or all, with all_logits). */
gemma4_status g4_api_eval(gemma4_session *s, const int32_t *tokens, size_t n, bool all_logits);

/* gemma4_sample with a mask hook (constrained decoding): the hook may set logits to -INFINITY. */
gemma4_status g4_api_sample(gemma4_session *s, g4_logit_mask_fn mask, void *mask_user, int32_t *token_out);

/* gemma4_generate with a mask hook applied before every sampling step. */
gemma4_status g4_api_generate(gemma4_session *s, const int32_t *prompt, size_t n_prompt,
                              const gemma4_generate_params *params, g4_logit_mask_fn mask, void *mask_user,
                              gemma4_generate_stats *stats);

/* Tokenizes a rendered chat prompt (adding BOS) into *tokens (free()) and makes the cache hold the
 * longest prefix of it that is already there, at least one token short of the whole (*keep);
 * the caller evaluates tokens[*keep..*n). GEMMA4_ERR_CONTEXT_FULL when the prompt cannot fit. */
gemma4_status g4_api_chat_prompt(gemma4_session *s, const char *prompt, size_t len, int32_t **tokens, size_t *n,
                                 int32_t *keep);

/* Frees a model's tools_index (chat_tools.c). */
void g4_api_tools_index_free(struct g4_api_tools_index *ix);

#endif
