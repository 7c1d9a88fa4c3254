/* gemma4_model: loading a GGUF into a model + vocabulary, and the calls that only need those. */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "kernels/dispatch.h"
#include "text/tokenizer.h"

GEMMA4_API gemma4_model_params gemma4_model_default_params(void) {
    gemma4_model_params p = {0};
    p.log_level = GEMMA4_LOG_INFO;
    return p;
}

gemma4_status g4_api_model_fail(gemma4_model *m, const g4_error *e) {
    pthread_mutex_lock(&m->err_lock);
    m->err = *e;
    pthread_mutex_unlock(&m->err_lock);
    return e->status;
}

static gemma4_status model_fail(const gemma4_model *cm, gemma4_status st, const char *msg) {
    gemma4_model *m = (gemma4_model *)cm; /* only the guarded error text changes */
    g4_error e;
    g4_fail(&e, st, "%s", msg);
    return g4_api_model_fail(m, &e);
}

GEMMA4_API void gemma4_model_free(gemma4_model *m) {
    if (!m) return;
    g4_vocab_free(m->vocab);
    g4_model_free(m->model);
    g4_gguf_close(m->gguf);
    g4_api_tools_index_free(m->tools_index);
    pthread_mutex_destroy(&m->tools_lock);
    pthread_mutex_destroy(&m->err_lock);
    free(m);
}

/* The kernel table: params->kernels when it names one, else GEMMA4_KERNELS when set, else the best
 * this CPU runs. Naming a table this build or CPU cannot run is an error, not a silent fallback:
 * someone measuring or debugging a path must get that path. */
static gemma4_status pick_kernels(const char *requested, const g4_kernels **out, g4_error *err) {
    const char *source = "gemma4_model_params.kernels";
    if (!requested || !*requested || !strcmp(requested, "auto")) {
        requested = getenv("GEMMA4_KERNELS");
        source = "GEMMA4_KERNELS";
    }
    if (!requested || !*requested || !strcmp(requested, "auto")) {
        *out = g4_kernels_best();
        return GEMMA4_OK;
    }
    *out = g4_kernels_by_name(requested);
    if (*out) return GEMMA4_OK;
    return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                   "%s is '%s': not a kernel table this build and CPU can run (choose auto, scalar, or %s)", source,
                   requested, g4_kernels_best()->name);
}

GEMMA4_API gemma4_status gemma4_model_load(const char *path, const gemma4_model_params *params, gemma4_model **out,
                                           char *errbuf, size_t errbuf_size) {
    g4_error err = {0};
    gemma4_status st;
    if (out) *out = NULL;
    if (!path || !out) {
        st = g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_model_load: path and out must not be NULL");
        g4_error_copy_out(&err, errbuf, errbuf_size);
        return st;
    }
    gemma4_model_params p = params ? *params : gemma4_model_default_params();
    gemma4_model *m = calloc(1, sizeof *m);
    if (!m) {
        st = g4_fail(&err, GEMMA4_ERR_NOMEM, "out of memory loading '%s'", path);
        g4_error_copy_out(&err, errbuf, errbuf_size);
        return st;
    }
    pthread_mutex_init(&m->err_lock, NULL);
    pthread_mutex_init(&m->tools_lock, NULL);
    m->log = (g4_logger){p.log_fn, p.log_user, p.log_level};

    st = pick_kernels(p.kernels, &m->kernels, &err);
    if (st == GEMMA4_OK) st = g4_gguf_open(path, &m->gguf, &err);
    if (st == GEMMA4_OK) st = g4_model_load(m->gguf, &m->model, &err);
    if (st == GEMMA4_OK) st = g4_vocab_load(m->gguf, &m->vocab, &err);
    if (st == GEMMA4_OK && g4_vocab_n_tokens(m->vocab) != (int32_t)m->model->hp.n_vocab)
        st = g4_fail(&err, GEMMA4_ERR_FORMAT, "the vocabulary has %d tokens but token_embd.weight has %u rows",
                     (int)g4_vocab_n_tokens(m->vocab), m->model->hp.n_vocab);
    if (st != GEMMA4_OK) {
        g4_error_prefix(&err, "%s: ", path);
        g4_error_copy_out(&err, errbuf, errbuf_size);
        gemma4_model_free(m);
        return st;
    }
    const g4_hparams *hp = &m->model->hp;
    g4_log(&m->log, GEMMA4_LOG_INFO, "loaded %s: %u layers, %u wide, vocab %u, trained context %u, kernels %s", path,
           hp->n_layer, hp->n_embd, hp->n_vocab, hp->n_ctx_train, m->kernels->name);
    *out = m;
    return GEMMA4_OK;
}

GEMMA4_API void gemma4_model_errmsg(const gemma4_model *cm, char *buf, size_t buf_size) {
    if (!buf || buf_size == 0) return;
    if (!cm) {
        buf[0] = '\0';
        return;
    }
    gemma4_model *m = (gemma4_model *)cm;
    pthread_mutex_lock(&m->err_lock);
    g4_error_copy_out(&m->err, buf, buf_size);
    pthread_mutex_unlock(&m->err_lock);
}

GEMMA4_API int32_t gemma4_model_n_vocab(const gemma4_model *m) { return m ? (int32_t)m->model->hp.n_vocab : 0; }
GEMMA4_API int32_t gemma4_model_n_ctx_train(const gemma4_model *m) { return m ? (int32_t)m->model->hp.n_ctx_train : 0; }
GEMMA4_API int32_t gemma4_model_n_layer(const gemma4_model *m) { return m ? (int32_t)m->model->hp.n_layer : 0; }
GEMMA4_API int32_t gemma4_model_n_embd(const gemma4_model *m) { return m ? (int32_t)m->model->hp.n_embd : 0; }
GEMMA4_API int32_t gemma4_token_bos(const gemma4_model *m) { return m ? g4_vocab_bos(m->vocab) : -1; }
GEMMA4_API int32_t gemma4_token_eos(const gemma4_model *m) { return m ? g4_vocab_eos(m->vocab) : -1; }
GEMMA4_API bool gemma4_token_is_eog(const gemma4_model *m, int32_t token) {
    return m && g4_vocab_is_eog(m->vocab, token);
}

GEMMA4_API gemma4_status gemma4_tokenize(const gemma4_model *m, const char *text, size_t len, bool add_bos,
                                         bool parse_special, int32_t **tokens_out, size_t *n_out) {
    if (!m) return GEMMA4_ERR_INVALID_ARG;
    if (!tokens_out || !n_out || (!text && len > 0))
        return model_fail(m, GEMMA4_ERR_INVALID_ARG, "gemma4_tokenize: text, tokens_out and n_out must not be NULL");
    *tokens_out = NULL;
    *n_out = 0;
    g4_error err = {0};
    gemma4_status st = g4_tokenize_alloc(m->vocab, text ? text : "", len, add_bos, parse_special, tokens_out, n_out, &err);
    if (st != GEMMA4_OK) return g4_api_model_fail((gemma4_model *)m, &err);
    return GEMMA4_OK;
}

GEMMA4_API gemma4_status gemma4_detokenize(const gemma4_model *m, const int32_t *tokens, size_t n, bool special,
                                           char **text_out) {
    if (!m) return GEMMA4_ERR_INVALID_ARG;
    if (!text_out || (!tokens && n > 0))
        return model_fail(m, GEMMA4_ERR_INVALID_ARG, "gemma4_detokenize: tokens and text_out must not be NULL");
    *text_out = NULL;
    g4_error err = {0};
    size_t len = 0;
    gemma4_status st = g4_detokenize_alloc(m->vocab, tokens, n, false, special, text_out, &len, &err);
    if (st != GEMMA4_OK) return g4_api_model_fail((gemma4_model *)m, &err);
    return GEMMA4_OK;
}
