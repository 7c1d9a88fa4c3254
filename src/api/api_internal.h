/*
 * The objects behind include/gemma4.h's opaque handles, shared by the src/api files.
 *
 * The api layer is a one-way stack; each file uses only the ones above it:
 *   model.c       gemma4_model: the mapped GGUF, the bound text model, the vocabulary (immutable)
 *   threadpool.c  gemma4_threadpool: a core/pool with a reference count, shared by sessions
 *   media.c       gemma4_media: embeddings with their content hash (immutable)
 *   history.c     what a session's context holds: runs of tokens and of media embeddings
 *   session.c     gemma4_session: evaluate, sample, rewind, interrupt, sampling settings
 *   state.c       a session's context to a file and back
 *   generate.c    sample -> stream -> evaluate until a stop condition
 *   prompt.c      a rendered conversation as chunks (text tokens, media), and prefix reuse
 *   chat.c        gemma4_chat            chat_tools.c  gemma4_chat_tools
 *   json_api.c    the model-free JSON calls (template rendering, tool-call parsing)
 *   inspect.c     gemma4_inspect
 * Public entry points check their arguments and call the internal g4_* functions; internal code
 * never calls a public entry point.
 */
#ifndef G4_API_INTERNAL_H
#define G4_API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "api/history.h"
#include "core/error.h"
#include "core/log.h"
#include "core/pool.h"
#include "gemma4.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "sample/sampler.h"
#include "text/detokenizer.h"
#include "text/vocab.h"

struct g4_tc_vocab_index;

struct gemma4_model {
    g4_gguf *gguf;
    g4_model *model;
    g4_vocab *vocab;
    const struct g4_kernels *kernels; /* the kernel table every session computes with */
    g4_logger log;
    pthread_mutex_t lock; /* guards the two lazily made fields below */
    bool have_fingerprint;
    uint8_t fingerprint[16];               /* identity of the file's contents, for session state files */
    struct g4_tc_vocab_index *tools_index; /* the vocabulary as a trie for constrained tool calls, built
                                              by the first strict gemma4_chat_tools; toolcall frees it */
};

struct gemma4_threadpool {
    g4_pool *pool;
    atomic_int refs; /* the handle's reference plus one per session using it */
};

struct gemma4_media {
    const gemma4_model *model;
    gemma4_media_kind kind;
    int32_t n_tokens;
    int32_t n_embd;
    float *embd;   /* [n_tokens][n_embd] */
    uint64_t hash; /* of kind, shape and every float: how a context recognises it again */
};

struct gemma4_session {
    gemma4_model *model;
    int32_t n_ctx, n_batch;
    gemma4_kv_type kv_type;
    g4_ctx *ctx;
    gemma4_threadpool *threadpool; /* own or shared; one reference held */
    g4_sampler *sampler;
    g4_sampler_params sampling; /* the session's settings (a call may use others for a while) */
    g4_detok_stream *detok;
    g4_detok_stream *detok_special; /* renders control tokens, for render_special */
    int32_t n_vocab;

    g4_history history; /* what the KV cache holds, position by position */

    float *logits;        /* [n_vocab * logits_rows] of the last evaluation */
    int32_t logits_rows;  /* rows allocated */
    int32_t logits_first; /* index (in the last evaluation) of row 0: all rows, or just the last */
    int32_t logits_count; /* rows valid */
    int32_t last_eval_n;  /* positions in the last evaluation */

    atomic_int interrupt; /* set by gemma4_session_interrupt, cleared when a call starts */
    g4_error err;
};

/* The model file's fingerprint (g4_gguf_fingerprint), computed on first use: it reads a sample of
 * every tensor, which costs page faults on a cold file that a load should not pay for it. */
const uint8_t *g4_model_fingerprint(gemma4_model *m);

#endif
