/* gemma4_generate: prompt evaluation, then sample -> stream -> evaluate until a stop condition. */
#include <string.h>
#include <time.h>

#include "api/api_internal.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

GEMMA4_API gemma4_status gemma4_generate(gemma4_session *s, const int32_t *prompt, size_t n_prompt,
                                         const gemma4_generate_params *params, gemma4_generate_stats *stats) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    return g4_api_generate(s, prompt, n_prompt, params, NULL, NULL, stats);
}

gemma4_status g4_api_generate(gemma4_session *s, const int32_t *prompt, size_t n_prompt,
                              const gemma4_generate_params *params, g4_logit_mask_fn mask, void *mask_user,
                              gemma4_generate_stats *stats) {
    gemma4_generate_params gp = params ? *params : (gemma4_generate_params){0};
    gemma4_generate_stats local = {0};
    gemma4_generate_stats *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    if (gp.max_tokens < 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "max_tokens %d is negative", (int)gp.max_tokens);
    if (n_prompt == 0 && !gemma4_logits(s, -1))
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "empty prompt: give at least one token (e.g. <bos>)");
    if (!prompt && n_prompt > 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_generate: prompt is NULL");

    double t0 = now_seconds();
    if (n_prompt > 0) {
        gemma4_status status = g4_api_eval(s, prompt, n_prompt, false);
        if (status != GEMMA4_OK) return status;
        for (size_t i = 0; i < n_prompt; i++) g4_sampler_accept(s->sampler, prompt[i]);
    }
    st->n_prompt = (int32_t)n_prompt;
    double t1 = now_seconds();
    st->prompt_seconds = t1 - t0;

    g4_detok_stream *detok = gp.render_special ? s->detok_special : s->detok;
    g4_detok_stream_reset(detok);
    gemma4_status status = GEMMA4_OK;
    for (;;) {
        int32_t t;
        status = g4_api_sample(s, mask, mask_user, &t);
        if (status != GEMMA4_OK) break;
        if (gemma4_token_is_eog(s->model, t)) {
            st->stop_reason = 0;
            break;
        }
        const char *piece = NULL;
        size_t len = 0;
        status = g4_detok_stream_push(detok, t, &piece, &len, &s->err);
        if (status != GEMMA4_OK) break;
        st->n_generated++;
        bool go_on = gp.on_token ? gp.on_token(gp.user, t, piece, len) : true;
        if (s->n_tokens >= s->params.n_ctx) {
            st->stop_reason = 3;
            break;
        }
        /* The emitted token joins the context, so the conversation can continue from it. */
        status = g4_api_eval(s, &t, 1, false);
        if (status != GEMMA4_OK) break;
        if (!go_on) {
            st->stop_reason = 2;
            break;
        }
        if (gp.max_tokens > 0 && st->n_generated >= gp.max_tokens) {
            st->stop_reason = 1;
            break;
        }
    }
    const char *rest = NULL;
    size_t rest_len = 0;
    g4_detok_stream_flush(detok, &rest, &rest_len);
    if (rest_len > 0 && gp.on_token) gp.on_token(gp.user, -1, rest, rest_len);
    st->generate_seconds = now_seconds() - t1;
    return status;
}
