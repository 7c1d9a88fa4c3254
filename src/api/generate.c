/* Generation: sample -> stream -> evaluate until the model ends its turn, max_tokens, the callback
 * says stop, an interrupt, or a full context. */
#include <string.h>

#include "api/generate.h"
#include "api/params.h"
#include "api/session.h"
#include "core/clock.h"

static gemma4_generate_params default_params(void) {
    gemma4_generate_params p = {0};
    p.struct_size = sizeof p;
    return p;
}

gemma4_status g4_gen_read(const gemma4_generate_params *user, g4_gen *out, g4_error *err) {
    gemma4_generate_params p = default_params();
    gemma4_status st = g4_params_read(&p, sizeof p, user, "gemma4_generate_params", err);
    if (st != GEMMA4_OK) return st;
    if (p.max_tokens < 0) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "max_tokens %d is negative", (int)p.max_tokens);
    *out = (g4_gen){.max_tokens = p.max_tokens,
                    .render_special = p.render_special,
                    .on_token = p.on_token,
                    .user = p.user,
                    .own_sampling = p.sampling != NULL};
    return p.sampling ? g4_sampling_read(p.sampling, &out->sampling, err) : GEMMA4_OK;
}

gemma4_status g4_stats_check(const gemma4_generate_stats *user, g4_error *err) {
    size_t n;
    return g4_params_writable(user, sizeof *user, "gemma4_generate_stats", &n, err);
}

void g4_stats_copy_out(const gemma4_generate_stats *st, gemma4_generate_stats *user) {
    size_t n;
    if (!user || g4_params_writable(user, sizeof *user, "", &n, NULL) != GEMMA4_OK) return;
    gemma4_generate_stats copy = *st;
    copy.struct_size = user->struct_size;
    memcpy(user, &copy, n);
}

gemma4_status g4_generate_begin(gemma4_session *s, const gemma4_generate_params *user,
                                const gemma4_generate_stats *stats, g4_gen *gen) {
    gemma4_status st = g4_gen_read(user, gen, &s->err);
    if (st == GEMMA4_OK) st = g4_stats_check(stats, &s->err);
    if (st == GEMMA4_OK) g4_session_begin_call(s);
    return st;
}

gemma4_status g4_generate_prompt_tokens(gemma4_session *s, const int32_t *tokens, int32_t n) {
    gemma4_status st = g4_session_eval_tokens(s, tokens, n, false);
    if (st != GEMMA4_OK) return st;
    for (int32_t i = 0; i < n; i++) g4_sampler_accept(s->sampler, tokens[i]);
    return GEMMA4_OK;
}

static gemma4_status loop(gemma4_session *s, const g4_gen *gen, g4_logit_mask_fn mask, void *mask_user,
                          gemma4_generate_stats *st) {
    g4_detok_stream *detok = gen->render_special ? s->detok_special : s->detok;
    g4_detok_stream_reset(detok);
    gemma4_status status = GEMMA4_OK;
    for (;;) {
        if (g4_session_interrupted(s)) {
            st->stop_reason = GEMMA4_STOP_INTERRUPTED;
            break;
        }
        int32_t t;
        status = g4_session_sample(s, mask, mask_user, &t);
        if (status != GEMMA4_OK) break;
        if (g4_vocab_is_eog(s->model->vocab, t)) {
            st->stop_reason = GEMMA4_STOP_EOG;
            break;
        }
        const char *piece = NULL;
        size_t len = 0;
        status = g4_detok_stream_push(detok, t, &piece, &len, &s->err);
        if (status != GEMMA4_OK) break;
        st->n_generated++;
        bool go_on = gen->on_token ? gen->on_token(gen->user, t, piece, len) : true;
        if (s->history.n_pos >= s->n_ctx) {
            st->stop_reason = GEMMA4_STOP_CONTEXT_FULL;
            break;
        }
        /* The emitted token joins the context, so the conversation can continue from it. A single
         * token is one micro-batch: an interrupt is seen at the top of the loop, not here. */
        status = g4_session_eval_tokens(s, &t, 1, false);
        if (status != GEMMA4_OK) break;
        if (!go_on) {
            st->stop_reason = GEMMA4_STOP_CALLBACK;
            break;
        }
        if (gen->max_tokens > 0 && st->n_generated >= gen->max_tokens) {
            st->stop_reason = GEMMA4_STOP_MAX_TOKENS;
            break;
        }
    }
    const char *rest = NULL;
    size_t rest_len = 0;
    g4_detok_stream_flush(detok, &rest, &rest_len);
    if (rest_len > 0 && gen->on_token) gen->on_token(gen->user, -1, rest, rest_len);
    return status;
}

gemma4_status g4_generate_loop(gemma4_session *s, const g4_gen *gen, g4_logit_mask_fn mask, void *mask_user,
                               gemma4_generate_stats *st) {
    double t0 = g4_now_seconds();
    g4_sampler_params saved = s->sampling;
    uint64_t saved_rng = g4_sampler_rng_state(s->sampler);
    if (gen->own_sampling) {
        gemma4_status status = g4_sampler_set_params(s->sampler, &gen->sampling, &s->err);
        if (status != GEMMA4_OK) return status;
    }
    gemma4_status status = loop(s, gen, mask, mask_user, st);
    if (gen->own_sampling) {
        g4_sampler_set_params(s->sampler, &saved, NULL); /* checked when they were set */
        g4_sampler_set_rng_state(s->sampler, saved_rng);
    }
    st->generate_seconds = g4_now_seconds() - t0;
    return status;
}

GEMMA4_API gemma4_generate_params gemma4_generate_default_params(void) {
    return default_params();
}

GEMMA4_API const char *gemma4_stop_reason_name(gemma4_stop_reason reason) {
    switch (reason) {
    case GEMMA4_STOP_EOG:
        return "eog";
    case GEMMA4_STOP_MAX_TOKENS:
        return "max_tokens";
    case GEMMA4_STOP_CALLBACK:
        return "callback";
    case GEMMA4_STOP_CONTEXT_FULL:
        return "context_full";
    case GEMMA4_STOP_INTERRUPTED:
        return "interrupted";
    }
    return "unknown";
}

GEMMA4_API gemma4_status gemma4_generate(gemma4_session *s, const int32_t *prompt, size_t n_prompt,
                                         const gemma4_generate_params *params, gemma4_generate_stats *stats) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (!prompt && n_prompt > 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_generate: prompt is NULL");
    if (n_prompt == 0 && !g4_session_logits(s, -1))
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "empty prompt: give at least one token (e.g. <bos>)");
    if (n_prompt > (size_t)s->n_ctx)
        return g4_fail(&s->err, GEMMA4_ERR_CONTEXT_FULL, "a prompt of %zu tokens does not fit a context of %d",
                       n_prompt, (int)s->n_ctx);
    g4_gen gen;
    gemma4_status status = g4_generate_begin(s, params, stats, &gen);
    if (status != GEMMA4_OK) return status;
    gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
    double t0 = g4_now_seconds();
    const int32_t n_before = s->history.n_pos;
    if (n_prompt > 0) status = g4_generate_prompt_tokens(s, prompt, (int32_t)n_prompt);
    st.n_prompt = s->history.n_pos - n_before; /* all of it, or what an interrupt left */
    st.prompt_seconds = g4_now_seconds() - t0;
    if (status == GEMMA4_OK) status = g4_generate_loop(s, &gen, NULL, NULL, &st);
    g4_stats_copy_out(&st, stats);
    return status;
}
