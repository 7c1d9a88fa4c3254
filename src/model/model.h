/*
 * A loaded Gemma 4 text model and the contexts (sessions) that run it.
 *
 *   g4_model : hyperparameters + weights bound into a GGUF mapping. Immutable after load, so one
 *              model can serve any number of contexts on any threads.
 *   g4_ctx   : one sequence being evaluated: its KV cache, its position, and every scratch buffer
 *              the forward pass needs (allocated at creation: evaluating tokens never mallocs).
 *              One thread at a time.
 *
 * Typical use (forward.h evaluates tokens):
 *
 *   g4_model *m;   g4_model_load(gguf, &m, &err);
 *   g4_ctx_params p = g4_ctx_default_params();  p.n_ctx = 8192;
 *   g4_ctx *c;     g4_ctx_new(m, &p, &c, &err);
 *   g4_forward_tokens(c, prompt, n_prompt, logits, false, &err);   // logits of the last token
 *   ... sample t ...; g4_forward_tokens(c, &t, 1, logits, false, &err);
 */
#ifndef G4_MODEL_MODEL_H
#define G4_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "gguf/gguf.h"
#include "model/gelu.h"
#include "model/hparams.h"
#include "model/kv_cache.h"
#include "model/weights.h"

struct g4_pool;
struct g4_kernels;

typedef struct g4_model {
    const g4_gguf *gguf; /* borrowed: must outlive the model */
    g4_hparams hp;
    g4_weights w;
    g4_gelu_table *gelu; /* llama.cpp's f16-table GELU (gelu.h) */
} g4_model;

/* Reads the hyperparameters and binds the weights of a Gemma 4 GGUF (errors as g4_hparams_load and
 * g4_weights_bind). The GGUF stays owned by the caller and must outlive the model. */
gemma4_status g4_model_load(const g4_gguf *f, g4_model **out, g4_error *err);
void g4_model_free(g4_model *m);

typedef struct g4_ctx_params {
    int32_t n_ctx;        /* positions the context holds, 1..n_ctx_train; 0 (default) = 4096 or n_ctx_train if less */
    int32_t n_batch;      /* micro-batch: tokens evaluated together in one pass over the weights (default 64) */
    g4_type kv_type;      /* G4_TYPE_F16 (default), G4_TYPE_Q8_0 or G4_TYPE_F32 */
    bool swa_full;        /* keep every position in the sliding layers too (arbitrary rewind; more memory) */
    struct g4_pool *pool; /* borrowed; NULL = run on the calling thread */
    const struct g4_kernels *kernels; /* kernel table (kernels/dispatch.h); NULL = g4_kernels_best() */
} g4_ctx_params;

g4_ctx_params g4_ctx_default_params(void);

typedef struct g4_ctx g4_ctx;

/* A context for `m` (which must outlive it); p NULL = defaults. n_batch is capped at n_ctx. An
 * n_ctx past n_ctx_train or n_batch < 1 is GEMMA4_ERR_INVALID_ARG, an unsupported kv_type
 * GEMMA4_ERR_UNSUPPORTED, out of memory GEMMA4_ERR_NOMEM. */
gemma4_status g4_ctx_new(const g4_model *m, const g4_ctx_params *p, g4_ctx **out, g4_error *err);
void g4_ctx_free(g4_ctx *c);

const g4_model *g4_ctx_model(const g4_ctx *c);
int32_t g4_ctx_n_ctx(const g4_ctx *c);
int32_t g4_ctx_n_batch(const g4_ctx *c);

/* Tokens evaluated so far: the position the next token gets. */
int32_t g4_ctx_pos(const g4_ctx *c);

/* Bytes of the KV cache and of the scratch buffers this context allocated. */
size_t g4_ctx_kv_bytes(const g4_ctx *c);
size_t g4_ctx_scratch_bytes(const g4_ctx *c);

/* Whether g4_ctx_rewind(c, pos) would succeed (see g4_kv_can_rewind). */
bool g4_ctx_can_rewind(const g4_ctx *c, int32_t pos);

/* Forgets positions [pos, g4_ctx_pos) so evaluation continues at pos (regenerating a reply).
 * GEMMA4_ERR_INVALID_ARG if pos is past the current position or the sliding-window ring no longer
 * holds what pos needs; rewinding to 0 always works. */
gemma4_status g4_ctx_rewind(g4_ctx *c, int32_t pos, g4_error *err);

/* Same as g4_ctx_rewind(c, 0). */
void g4_ctx_clear(g4_ctx *c);

#endif
