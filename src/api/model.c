/* gemma4_model: loading a GGUF into a model + vocabulary, and the calls that only need those.
 * A model is immutable once loaded and shared by threads, so it has no error slot: its calls that
 * can fail report into the caller's buffer. */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/params.h"
#include "kernels/dispatch.h"
#include "text/tokenizer.h"
#include "toolcall/vocab_index.h"

static gemma4_model_params default_params(void) {
    gemma4_model_params p = {0};
    p.struct_size = sizeof p;
    p.log_level = GEMMA4_LOG_INFO;
    return p;
}

static gemma4_status report(const g4_error *err, char *errbuf, size_t errbuf_size) {
    g4_error_copy_out(err->status == GEMMA4_OK ? NULL : err, errbuf, errbuf_size);
    return err->status;
}

static void model_free(gemma4_model *m) {
    if (!m) return;
    g4_vocab_free(m->vocab);
    g4_model_free(m->model);
    g4_gguf_close(m->gguf);
    g4_tc_vocab_index_free(m->tools_index);
    pthread_mutex_destroy(&m->lock);
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

static gemma4_status load(const char *path, const gemma4_model_params *p, gemma4_model **out, g4_error *err) {
    gemma4_model *m = calloc(1, sizeof *m);
    if (!m) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory loading '%s'", path);
    pthread_mutex_init(&m->lock, NULL);
    m->log = (g4_logger){p->log_fn, p->log_user, p->log_level};

    gemma4_status st = pick_kernels(p->kernels, &m->kernels, err);
    if (st == GEMMA4_OK) st = g4_gguf_open(path, &m->gguf, err);
    if (st == GEMMA4_OK) st = g4_model_load(m->gguf, &m->model, err);
    if (st == GEMMA4_OK) st = g4_vocab_load(m->gguf, &m->vocab, err);
    if (st == GEMMA4_OK && g4_vocab_n_tokens(m->vocab) != (int32_t)m->model->hp.n_vocab)
        st = g4_fail(err, GEMMA4_ERR_FORMAT, "the vocabulary has %d tokens but token_embd.weight has %u rows",
                     (int)g4_vocab_n_tokens(m->vocab), m->model->hp.n_vocab);
    if (st != GEMMA4_OK) {
        g4_error_prefix(err, "%s: ", path);
        model_free(m);
        return st;
    }
    const g4_hparams *hp = &m->model->hp;
    g4_log(&m->log, GEMMA4_LOG_INFO, "loaded %s: %u layers, %u wide, vocab %u, trained context %u, kernels %s", path,
           hp->n_layer, hp->n_embd, hp->n_vocab, hp->n_ctx_train, m->kernels->name);
    *out = m;
    return GEMMA4_OK;
}

GEMMA4_API gemma4_status gemma4_model_load(const char *path, const gemma4_model_params *params, gemma4_model **out,
                                           char *errbuf, size_t errbuf_size) {
    g4_error err = {0};
    if (out) *out = NULL;
    gemma4_model_params p = default_params();
    if (!path || !out)
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_model_load: path and out must not be NULL");
    else if (g4_params_read(&p, sizeof p, params, "gemma4_model_params", &err) == GEMMA4_OK)
        load(path, &p, out, &err);
    return report(&err, errbuf, errbuf_size);
}

const uint8_t *g4_model_fingerprint(gemma4_model *m) {
    pthread_mutex_lock(&m->lock);
    if (!m->have_fingerprint) g4_gguf_fingerprint(m->gguf, m->fingerprint);
    m->have_fingerprint = true;
    pthread_mutex_unlock(&m->lock);
    return m->fingerprint;
}

GEMMA4_API gemma4_model_params gemma4_model_default_params(void) {
    return default_params();
}
GEMMA4_API void gemma4_model_free(gemma4_model *m) {
    model_free(m);
}

GEMMA4_API int32_t gemma4_model_n_vocab(const gemma4_model *m) {
    return m ? (int32_t)m->model->hp.n_vocab : 0;
}
GEMMA4_API int32_t gemma4_model_n_ctx_train(const gemma4_model *m) {
    return m ? (int32_t)m->model->hp.n_ctx_train : 0;
}
GEMMA4_API int32_t gemma4_model_n_layer(const gemma4_model *m) {
    return m ? (int32_t)m->model->hp.n_layer : 0;
}
GEMMA4_API int32_t gemma4_model_n_embd(const gemma4_model *m) {
    return m ? (int32_t)m->model->hp.n_embd : 0;
}
GEMMA4_API int32_t gemma4_token_bos(const gemma4_model *m) {
    return m ? g4_vocab_bos(m->vocab) : -1;
}
GEMMA4_API int32_t gemma4_token_eos(const gemma4_model *m) {
    return m ? g4_vocab_eos(m->vocab) : -1;
}
GEMMA4_API bool gemma4_token_is_eog(const gemma4_model *m, int32_t token) {
    return m && g4_vocab_is_eog(m->vocab, token);
}

GEMMA4_API gemma4_status gemma4_tokenize(const gemma4_model *m, const char *text, size_t len, bool add_bos,
                                         bool parse_special, int32_t **tokens_out, size_t *n_out, char *errbuf,
                                         size_t errbuf_size) {
    g4_error err = {0};
    if (tokens_out) *tokens_out = NULL;
    if (n_out) *n_out = 0;
    if (!m || !tokens_out || !n_out || (!text && len > 0))
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_tokenize: model, text, tokens_out and n_out must not be NULL");
    else
        g4_tokenize_alloc(m->vocab, text ? text : "", len, add_bos, parse_special, tokens_out, n_out, &err);
    return report(&err, errbuf, errbuf_size);
}

GEMMA4_API gemma4_status gemma4_detokenize(const gemma4_model *m, const int32_t *tokens, size_t n, bool special,
                                           char **text_out, char *errbuf, size_t errbuf_size) {
    g4_error err = {0};
    if (text_out) *text_out = NULL;
    size_t len = 0;
    if (!m || !text_out || (!tokens && n > 0))
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_detokenize: model, tokens and text_out must not be NULL");
    else
        g4_detokenize_alloc(m->vocab, tokens, n, false, special, text_out, &len, &err);
    return report(&err, errbuf, errbuf_size);
}
