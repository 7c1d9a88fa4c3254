/* gemma4_session: a context on a model with its thread pool, sampler and token history; evaluating
 * tokens and reading logits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/cores.h"
#include "model/forward.h"

#define DEFAULT_N_CTX 4096
#define DEFAULT_N_BATCH 512

GEMMA4_API gemma4_session_params gemma4_session_default_params(void) {
    g4_sampler_params sp = g4_sampler_default_params();
    gemma4_session_params p = {0};
    p.n_threads = g4_physical_cores();
    p.kv_type = GEMMA4_KV_F16;
    p.sampling = (gemma4_sampling){
        .temperature = sp.temperature,
        .top_k = sp.top_k,
        .top_p = sp.top_p,
        .min_p = sp.min_p,
        .repeat_penalty = sp.repeat_penalty,
        .frequency_penalty = sp.frequency_penalty,
        .presence_penalty = sp.presence_penalty,
        .penalty_last_n = sp.penalty_last_n,
        .seed = sp.seed,
    };
    return p;
}

static g4_sampler_params sampler_params(const gemma4_sampling *s) {
    return (g4_sampler_params){
        .temperature = s->temperature,
        .top_k = s->top_k,
        .top_p = s->top_p,
        .min_p = s->min_p,
        .repeat_penalty = s->repeat_penalty,
        .frequency_penalty = s->frequency_penalty,
        .presence_penalty = s->presence_penalty,
        .penalty_last_n = s->penalty_last_n,
        .seed = s->seed,
    };
}

GEMMA4_API void gemma4_session_free(gemma4_session *s) {
    if (!s) return;
    g4_ctx_free(s->ctx);
    g4_pool_free(s->pool);
    g4_sampler_free(s->sampler);
    g4_detok_stream_free(s->detok);
    g4_detok_stream_free(s->detok_special);
    free(s->tokens);
    free(s->logits);
    free(s);
}

GEMMA4_API gemma4_status gemma4_session_new(gemma4_model *m, const gemma4_session_params *params,
                                            gemma4_session **out) {
    if (!m) return GEMMA4_ERR_INVALID_ARG;
    g4_error err = {0};
    if (!out) return g4_api_model_fail(m, (g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_session_new: out is NULL"), &err));
    *out = NULL;
    gemma4_session_params p = params ? *params : gemma4_session_default_params();
    const g4_hparams *hp = &m->model->hp;
    if (p.n_ctx < 0 || p.n_batch < 0 || p.n_threads < 0) {
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "session: n_ctx, n_batch and n_threads must not be negative");
        return g4_api_model_fail(m, &err);
    }
    if (p.n_ctx == 0) p.n_ctx = DEFAULT_N_CTX < (int32_t)hp->n_ctx_train ? DEFAULT_N_CTX : (int32_t)hp->n_ctx_train;
    if ((uint32_t)p.n_ctx > hp->n_ctx_train) {
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "session: context of %d tokens exceeds the model's %u", (int)p.n_ctx,
                hp->n_ctx_train);
        return g4_api_model_fail(m, &err);
    }
    if (p.n_batch == 0) p.n_batch = DEFAULT_N_BATCH;
    if (p.n_batch > p.n_ctx) p.n_batch = p.n_ctx;
    if (p.n_threads == 0) p.n_threads = g4_physical_cores();
    if (p.kv_type != GEMMA4_KV_F16 && p.kv_type != GEMMA4_KV_Q8_0) {
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "session: unknown KV cache type %d", (int)p.kv_type);
        return g4_api_model_fail(m, &err);
    }

    gemma4_session *s = calloc(1, sizeof *s);
    if (!s) return g4_api_model_fail(m, (g4_fail(&err, GEMMA4_ERR_NOMEM, "session: out of memory"), &err));
    s->model = m;
    s->params = p;
    s->n_vocab = (int32_t)hp->n_vocab;
    gemma4_status st = GEMMA4_OK;
    if (p.n_threads > 1 && !(s->pool = g4_pool_new(p.n_threads)))
        st = g4_fail(&err, GEMMA4_ERR_NOMEM, "session: cannot start %d threads", (int)p.n_threads);
    if (st == GEMMA4_OK) {
        g4_ctx_params cp = g4_ctx_default_params();
        cp.n_ctx = p.n_ctx;
        cp.n_batch = p.n_batch;
        cp.kv_type = p.kv_type == GEMMA4_KV_Q8_0 ? G4_TYPE_Q8_0 : G4_TYPE_F16;
        cp.pool = s->pool;
        cp.kernels = m->kernels;
        st = g4_ctx_new(m->model, &cp, &s->ctx, &err);
    }
    if (st == GEMMA4_OK) {
        g4_sampler_params sp = sampler_params(&p.sampling);
        st = g4_sampler_new(&sp, s->n_vocab, &s->sampler, &err);
    }
    if (st == GEMMA4_OK) st = g4_detok_stream_new(m->vocab, false, &s->detok, &err);
    if (st == GEMMA4_OK) st = g4_detok_stream_new(m->vocab, true, &s->detok_special, &err);
    if (st == GEMMA4_OK) {
        s->tokens = malloc(sizeof *s->tokens * (size_t)p.n_ctx);
        s->logits = malloc(sizeof *s->logits * (size_t)s->n_vocab);
        s->logits_rows = 1;
        if (!s->tokens || !s->logits) st = g4_fail(&err, GEMMA4_ERR_NOMEM, "session: out of memory");
    }
    if (st != GEMMA4_OK) {
        gemma4_session_free(s);
        return g4_api_model_fail(m, &err);
    }
    g4_log(&m->log, GEMMA4_LOG_INFO, "session: context %d, batch %d, %d threads, KV cache %.1f MiB", (int)p.n_ctx,
           (int)p.n_batch, (int)p.n_threads, (double)g4_ctx_kv_bytes(s->ctx) / (1024.0 * 1024.0));
    *out = s;
    return GEMMA4_OK;
}

GEMMA4_API const char *gemma4_session_errmsg(const gemma4_session *s) { return s ? s->err.msg : "no session"; }
GEMMA4_API int32_t gemma4_session_n_ctx(const gemma4_session *s) { return s ? s->params.n_ctx : 0; }
GEMMA4_API int32_t gemma4_session_n_past(const gemma4_session *s) { return s ? s->n_tokens : 0; }
GEMMA4_API size_t gemma4_session_kv_bytes(const gemma4_session *s) { return s ? g4_ctx_kv_bytes(s->ctx) : 0; }

GEMMA4_API void gemma4_session_reset(gemma4_session *s) {
    if (!s) return;
    g4_ctx_clear(s->ctx);
    g4_sampler_reset(s->sampler);
    s->n_tokens = 0;
    s->logits_count = 0;
    s->last_eval_n = 0;
    g4_error_clear(&s->err);
}

GEMMA4_API gemma4_status gemma4_session_rewind(gemma4_session *s, int32_t n_past) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (n_past < 0 || n_past > s->n_tokens)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "rewind to %d: the context holds %d tokens", (int)n_past,
                       (int)s->n_tokens);
    gemma4_status st = g4_ctx_rewind(s->ctx, n_past, &s->err);
    if (st != GEMMA4_OK) return st;
    s->n_tokens = n_past;
    s->logits_count = 0;
    return GEMMA4_OK;
}

gemma4_status g4_api_eval(gemma4_session *s, const int32_t *tokens, size_t n, bool all_logits) {
    if (n == 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "nothing to evaluate: the token list is empty");
    if (n > (size_t)(s->params.n_ctx - s->n_tokens))
        return g4_fail(&s->err, GEMMA4_ERR_CONTEXT_FULL,
                       "%zu tokens do not fit: the context holds %d of %d positions (raise n_ctx)", n,
                       (int)s->n_tokens, (int)s->params.n_ctx);
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= s->n_vocab)
            return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "token %zu is %d, outside the vocabulary (0..%d)", i,
                           (int)tokens[i], (int)s->n_vocab - 1);
    int32_t rows = all_logits ? (int32_t)n : 1;
    if (rows > s->logits_rows) {
        /* Only --all style evaluation of many rows grows this; the decode loop needs one row. */
        float *grown = realloc(s->logits, sizeof *grown * (size_t)s->n_vocab * (size_t)rows);
        if (!grown) return g4_fail(&s->err, GEMMA4_ERR_NOMEM, "no memory for %d rows of logits", (int)rows);
        s->logits = grown;
        s->logits_rows = rows;
    }
    s->logits_count = 0;
    gemma4_status st = g4_forward_tokens(s->ctx, tokens, (int32_t)n, s->logits, all_logits, &s->err);
    if (st != GEMMA4_OK) return st;
    memcpy(s->tokens + s->n_tokens, tokens, sizeof *tokens * n);
    s->n_tokens += (int32_t)n;
    s->last_eval_n = (int32_t)n;
    s->logits_count = rows;
    s->logits_first = all_logits ? 0 : (int32_t)n - 1;
    return GEMMA4_OK;
}

GEMMA4_API gemma4_status gemma4_eval(gemma4_session *s, const int32_t *tokens, size_t n, bool all_logits) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (!tokens && n > 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_eval: tokens is NULL");
    return g4_api_eval(s, tokens, n, all_logits);
}

GEMMA4_API const float *gemma4_logits(gemma4_session *s, int32_t i) {
    if (!s || s->logits_count == 0) return NULL;
    if (i < 0) i = s->last_eval_n - 1;
    int32_t row = i - s->logits_first;
    if (row < 0 || row >= s->logits_count) return NULL;
    return s->logits + (size_t)row * (size_t)s->n_vocab;
}

GEMMA4_API gemma4_status gemma4_sample(gemma4_session *s, int32_t *token_out) {
    if (!s || !token_out) return GEMMA4_ERR_INVALID_ARG;
    return g4_api_sample(s, NULL, NULL, token_out);
}

gemma4_status g4_api_sample(gemma4_session *s, g4_logit_mask_fn mask, void *mask_user, int32_t *token_out) {
    const float *row = gemma4_logits(s, -1);
    if (!row) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "nothing to sample from: evaluate tokens first");
    /* The sampler modifies its input; the session keeps the model's logits readable. The copy goes
     * into the row itself only when it is the single kept row (decode), which nobody reads again. */
    float *work = (float *)row;
    int32_t t = g4_sampler_sample(s->sampler, work, mask, mask_user);
    if (t < 0) return g4_fail(&s->err, mask ? GEMMA4_ERR_VALIDATION : GEMMA4_ERR_INTERNAL, "no token is allowed here%s",
                              mask ? " (the constraint rejects every token)" : "");
    g4_sampler_accept(s->sampler, t);
    s->logits_count = 0;
    *token_out = t;
    return GEMMA4_OK;
}
