/* gemma4_session: a context on a model with its thread pool, sampler and history; evaluating
 * tokens and media, reading logits, sampling, rewinding, interrupting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/params.h"
#include "api/session.h"
#include "api/threadpool.h"
#include "core/cores.h"
#include "model/forward.h"

#define DEFAULT_N_CTX 4096
#define DEFAULT_N_BATCH 512

static gemma4_sampling public_sampling(const g4_sampler_params *sp) {
    return (gemma4_sampling){
        .struct_size = sizeof(gemma4_sampling),
        .temperature = sp->temperature,
        .top_k = sp->top_k,
        .top_p = sp->top_p,
        .min_p = sp->min_p,
        .repeat_penalty = sp->repeat_penalty,
        .frequency_penalty = sp->frequency_penalty,
        .presence_penalty = sp->presence_penalty,
        .penalty_last_n = sp->penalty_last_n,
        .seed = sp->seed,
    };
}

static gemma4_sampling default_sampling(void) {
    g4_sampler_params sp = g4_sampler_default_params();
    return public_sampling(&sp);
}

gemma4_status g4_sampling_read(const gemma4_sampling *user, g4_sampler_params *out, g4_error *err) {
    gemma4_sampling p = default_sampling();
    gemma4_status st = g4_params_read(&p, sizeof p, user, "gemma4_sampling", err);
    if (st != GEMMA4_OK) return st;
    *out = (g4_sampler_params){
        .temperature = p.temperature,
        .top_k = p.top_k,
        .top_p = p.top_p,
        .min_p = p.min_p,
        .repeat_penalty = p.repeat_penalty,
        .frequency_penalty = p.frequency_penalty,
        .presence_penalty = p.presence_penalty,
        .penalty_last_n = p.penalty_last_n,
        .seed = p.seed,
    };
    return g4_sampler_check_params(out, err);
}

static gemma4_session_params default_params(void) {
    gemma4_session_params p = {0};
    p.struct_size = sizeof p;
    p.n_threads = g4_physical_cores();
    p.kv_type = GEMMA4_KV_F16;
    return p;
}

static void session_free(gemma4_session *s) {
    if (!s) return;
    g4_ctx_free(s->ctx);
    g4_threadpool_release(s->threadpool);
    g4_sampler_free(s->sampler);
    g4_detok_stream_free(s->detok);
    g4_detok_stream_free(s->detok_special);
    g4_history_free(&s->history);
    free(s->logits);
    free(s);
}

static gemma4_status check_params(const g4_hparams *hp, gemma4_session_params *p, g4_error *err) {
    if (p->n_ctx < 0 || p->n_batch < 0 || p->n_threads < 0)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "session: n_ctx, n_batch and n_threads must not be negative");
    if (p->n_ctx == 0) p->n_ctx = DEFAULT_N_CTX < (int32_t)hp->n_ctx_train ? DEFAULT_N_CTX : (int32_t)hp->n_ctx_train;
    if ((uint32_t)p->n_ctx > hp->n_ctx_train)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "session: context of %d tokens exceeds the model's %u",
                       (int)p->n_ctx, hp->n_ctx_train);
    if (p->n_batch == 0) p->n_batch = DEFAULT_N_BATCH;
    if (p->n_batch > p->n_ctx) p->n_batch = p->n_ctx;
    if (p->n_threads == 0) p->n_threads = g4_physical_cores();
    if (p->kv_type != GEMMA4_KV_F16 && p->kv_type != GEMMA4_KV_Q8_0)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "session: unknown KV cache type %d", (int)p->kv_type);
    return GEMMA4_OK;
}

static gemma4_status session_new(gemma4_model *m, const gemma4_session_params *params, gemma4_session **out,
                                 g4_error *err) {
    gemma4_session_params p = default_params();
    gemma4_status st = g4_params_read(&p, sizeof p, params, "gemma4_session_params", err);
    const g4_hparams *hp = &m->model->hp;
    if (st == GEMMA4_OK) st = check_params(hp, &p, err);
    g4_sampler_params sampling;
    if (st == GEMMA4_OK) st = g4_sampling_read(p.sampling, &sampling, err);
    if (st != GEMMA4_OK) return st;

    gemma4_session *s = calloc(1, sizeof *s);
    if (!s) return g4_fail(err, GEMMA4_ERR_NOMEM, "session: out of memory");
    s->model = m;
    s->n_ctx = p.n_ctx;
    s->n_batch = p.n_batch;
    s->kv_type = p.kv_type;
    s->sampling = sampling;
    s->n_vocab = (int32_t)hp->n_vocab;
    atomic_init(&s->interrupt, 0);
    if (p.threadpool)
        s->threadpool = g4_threadpool_retain(p.threadpool);
    else
        st = g4_threadpool_new(p.n_threads, &s->threadpool, err);
    if (st == GEMMA4_OK) {
        g4_ctx_params cp = g4_ctx_default_params();
        cp.n_ctx = p.n_ctx;
        cp.n_batch = p.n_batch;
        cp.kv_type = p.kv_type == GEMMA4_KV_Q8_0 ? G4_TYPE_Q8_0 : G4_TYPE_F16;
        cp.pool = s->threadpool->pool;
        cp.kernels = m->kernels;
        st = g4_ctx_new(m->model, &cp, &s->ctx, err);
    }
    if (st == GEMMA4_OK) st = g4_sampler_new(&sampling, s->n_vocab, &s->sampler, err);
    if (st == GEMMA4_OK) st = g4_detok_stream_new(m->vocab, false, &s->detok, err);
    if (st == GEMMA4_OK) st = g4_detok_stream_new(m->vocab, true, &s->detok_special, err);
    if (st == GEMMA4_OK) st = g4_history_init(&s->history, p.n_ctx, err);
    if (st == GEMMA4_OK) {
        s->logits = malloc(sizeof *s->logits * (size_t)s->n_vocab);
        s->logits_rows = 1;
        if (!s->logits) st = g4_fail(err, GEMMA4_ERR_NOMEM, "session: out of memory");
    }
    if (st != GEMMA4_OK) {
        session_free(s);
        return st;
    }
    g4_log(&m->log, GEMMA4_LOG_INFO, "session: context %d, batch %d, %d threads%s, KV cache %.1f MiB", (int)p.n_ctx,
           (int)p.n_batch, g4_pool_size(s->threadpool->pool), p.threadpool ? " (shared pool)" : "",
           (double)g4_ctx_kv_bytes(s->ctx) / (1024.0 * 1024.0));
    *out = s;
    return GEMMA4_OK;
}

void g4_session_begin_call(gemma4_session *s) {
    atomic_store_explicit(&s->interrupt, 0, memory_order_relaxed);
}

bool g4_session_interrupted(gemma4_session *s) {
    return atomic_load_explicit(&s->interrupt, memory_order_relaxed) != 0;
}

void g4_session_reset(gemma4_session *s) {
    g4_ctx_clear(s->ctx);
    g4_sampler_reset(s->sampler);
    g4_history_clear(&s->history);
    s->logits_count = 0;
    s->last_eval_n = 0;
    g4_error_clear(&s->err);
}

bool g4_session_can_rewind(const gemma4_session *s, int32_t n_past) {
    return n_past >= 0 && n_past <= s->history.n_pos && g4_ctx_can_rewind(s->ctx, n_past);
}

gemma4_status g4_session_rewind(gemma4_session *s, int32_t n_past) {
    if (n_past < 0 || n_past > s->history.n_pos)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "rewind to %d: the context holds %d positions", (int)n_past,
                       (int)s->history.n_pos);
    gemma4_status st = g4_ctx_rewind(s->ctx, n_past, &s->err);
    if (st != GEMMA4_OK) return st;
    g4_history_truncate(&s->history, n_past);
    s->logits_count = 0;
    return GEMMA4_OK;
}

/* Room for rows of logits: only evaluation with all_logits over many positions grows it; the decode
 * loop needs one row. */
static gemma4_status reserve_logits(gemma4_session *s, int32_t rows) {
    if (rows <= s->logits_rows) return GEMMA4_OK;
    float *grown = realloc(s->logits, sizeof *grown * (size_t)s->n_vocab * (size_t)rows);
    if (!grown) return g4_fail(&s->err, GEMMA4_ERR_NOMEM, "no memory for %d rows of logits", (int)rows);
    s->logits = grown;
    s->logits_rows = rows;
    return GEMMA4_OK;
}

/* The one evaluation loop for tokens and embeddings (exactly one of tokens / embd is set). */
static gemma4_status eval(gemma4_session *s, const int32_t *tokens, const float *embd, int32_t n, uint64_t hash,
                          bool all_logits) {
    if (n <= 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "nothing to evaluate: the input is empty");
    if (n > s->n_ctx - s->history.n_pos)
        return g4_fail(&s->err, GEMMA4_ERR_CONTEXT_FULL,
                       "%d positions do not fit: the context holds %d of %d (raise n_ctx)", (int)n,
                       (int)s->history.n_pos, (int)s->n_ctx);
    for (int32_t i = 0; tokens && i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= s->n_vocab)
            return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "token %d is %d, outside the vocabulary (0..%d)", (int)i,
                           (int)tokens[i], (int)s->n_vocab - 1);
    gemma4_status st = reserve_logits(s, all_logits ? n : 1);
    if (st != GEMMA4_OK) return st;
    s->logits_count = 0;
    const int32_t n_embd = (int32_t)s->model->model->hp.n_embd;
    const int32_t start = s->history.n_pos;
    for (int32_t b0 = 0; b0 < n; b0 += s->n_batch) {
        if (g4_session_interrupted(s)) {
            /* media cut short stays in the cache as a partial run: never taken for the whole media */
            if (!tokens && b0 > 0) g4_history_push_media(&s->history, hash, b0, true);
            return g4_fail(&s->err, GEMMA4_ERR_INTERRUPTED,
                           "interrupted after %d of %d positions (the context keeps positions 0..%d)", (int)b0, (int)n,
                           (int)(start + b0));
        }
        const int32_t B = n - b0 < s->n_batch ? n - b0 : s->n_batch;
        const bool last = b0 + B == n;
        float *rows = all_logits ? s->logits + (size_t)b0 * (size_t)s->n_vocab : (last ? s->logits : NULL);
        st = tokens ? g4_forward_tokens(s->ctx, tokens + b0, B, rows, all_logits, &s->err)
                    : g4_forward_embd(s->ctx, embd + (size_t)b0 * (size_t)n_embd, B, rows, all_logits, &s->err);
        if (st != GEMMA4_OK) return st;
        if (tokens) g4_history_push_tokens(&s->history, tokens + b0, B);
    }
    /* a media run is one run even when it took several micro-batches */
    if (!tokens) g4_history_push_media(&s->history, hash, n, false);
    s->last_eval_n = n;
    s->logits_count = all_logits ? n : 1;
    s->logits_first = all_logits ? 0 : n - 1;
    return GEMMA4_OK;
}

gemma4_status g4_session_eval_tokens(gemma4_session *s, const int32_t *tokens, int32_t n, bool all_logits) {
    return eval(s, tokens, NULL, n, 0, all_logits);
}

gemma4_status g4_session_eval_embd(gemma4_session *s, const float *embd, int32_t n, uint64_t hash, bool all_logits) {
    return eval(s, NULL, embd, n, hash, all_logits);
}

const float *g4_session_logits(gemma4_session *s, int32_t i) {
    if (s->logits_count == 0) return NULL;
    if (i < 0) i = s->last_eval_n - 1;
    int32_t row = i - s->logits_first;
    if (row < 0 || row >= s->logits_count) return NULL;
    return s->logits + (size_t)row * (size_t)s->n_vocab;
}

gemma4_status g4_session_sample(gemma4_session *s, g4_logit_mask_fn mask, void *mask_user, int32_t *token_out) {
    const float *row = g4_session_logits(s, -1);
    if (!row) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "nothing to sample from: evaluate tokens first");
    /* The sampler modifies its input, and sampling consumes the logits: nobody reads this row again. */
    int32_t t = g4_sampler_sample(s->sampler, (float *)row, mask, mask_user);
    if (t < 0)
        return g4_fail(&s->err, mask ? GEMMA4_ERR_VALIDATION : GEMMA4_ERR_INTERNAL, "no token is allowed here%s",
                       mask ? " (the constraint rejects every token)" : "");
    g4_sampler_accept(s->sampler, t);
    s->logits_count = 0;
    *token_out = t;
    return GEMMA4_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* The public calls                                                                                */
/* ---------------------------------------------------------------------------------------------- */

GEMMA4_API gemma4_sampling gemma4_sampling_default_params(void) {
    return default_sampling();
}
GEMMA4_API gemma4_session_params gemma4_session_default_params(void) {
    return default_params();
}
GEMMA4_API void gemma4_session_free(gemma4_session *s) {
    session_free(s);
}

GEMMA4_API gemma4_status gemma4_session_new(gemma4_model *m, const gemma4_session_params *params, gemma4_session **out,
                                            char *errbuf, size_t errbuf_size) {
    g4_error err = {0};
    if (out) *out = NULL;
    if (!m || !out)
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_session_new: model and out must not be NULL");
    else
        session_new(m, params, out, &err);
    g4_error_copy_out(err.status == GEMMA4_OK ? NULL : &err, errbuf, errbuf_size);
    return err.status;
}

GEMMA4_API const char *gemma4_session_errmsg(const gemma4_session *s) {
    return s ? s->err.msg : "no session";
}
GEMMA4_API int32_t gemma4_session_n_ctx(const gemma4_session *s) {
    return s ? s->n_ctx : 0;
}
GEMMA4_API int32_t gemma4_session_n_past(const gemma4_session *s) {
    return s ? s->history.n_pos : 0;
}
GEMMA4_API size_t gemma4_session_kv_bytes(const gemma4_session *s) {
    return s ? g4_ctx_kv_bytes(s->ctx) : 0;
}

GEMMA4_API void gemma4_session_interrupt(gemma4_session *s) {
    if (s) atomic_store_explicit(&s->interrupt, 1, memory_order_relaxed);
}

GEMMA4_API gemma4_status gemma4_session_set_sampling(gemma4_session *s, const gemma4_sampling *sampling) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    g4_sampler_params p;
    gemma4_status st = g4_sampling_read(sampling, &p, &s->err);
    if (st == GEMMA4_OK) st = g4_sampler_set_params(s->sampler, &p, &s->err);
    if (st == GEMMA4_OK) s->sampling = p;
    return st;
}

GEMMA4_API void gemma4_session_reset(gemma4_session *s) {
    if (s) g4_session_reset(s);
}

GEMMA4_API gemma4_status gemma4_session_rewind(gemma4_session *s, int32_t n_past) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    return g4_session_rewind(s, n_past);
}

GEMMA4_API gemma4_status gemma4_eval(gemma4_session *s, const int32_t *tokens, size_t n, bool all_logits) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (!tokens && n > 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_eval: tokens is NULL");
    if (n > (size_t)INT32_MAX) return g4_fail(&s->err, GEMMA4_ERR_CONTEXT_FULL, "gemma4_eval: %zu tokens", n);
    g4_session_begin_call(s);
    return g4_session_eval_tokens(s, tokens, (int32_t)n, all_logits);
}

GEMMA4_API gemma4_status gemma4_eval_media(gemma4_session *s, const gemma4_media *md, bool all_logits) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (!md) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_eval_media: media is NULL");
    if (md->model != s->model)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_eval_media: the media was made for another model");
    g4_session_begin_call(s);
    return g4_session_eval_embd(s, md->embd, md->n_tokens, md->hash, all_logits);
}

GEMMA4_API const float *gemma4_logits(gemma4_session *s, int32_t i) {
    return s ? g4_session_logits(s, i) : NULL;
}

GEMMA4_API gemma4_status gemma4_sample(gemma4_session *s, int32_t *token_out) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (!token_out) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_sample: token_out is NULL");
    return g4_session_sample(s, NULL, NULL, token_out);
}
