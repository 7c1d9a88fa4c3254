/*
 * gemma4_chat: one assistant turn of a conversation held in a session.
 *
 * The whole conversation is rendered with the Gemma 4 template each turn and tokenized; the part of
 * it that is already in the KV cache (the common token prefix) is kept, so a multi-turn chat only
 * evaluates what is new (g4_api_chat_prompt, which gemma4_chat_tools shares). The answer streams
 * through the caller's callback with the thought channel (<|channel>thought ... <channel|>)
 * separated out.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/strbuf.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

/* Routes each generated piece to the answer or the thought, and on to the caller. */
typedef struct chat_stream {
    const gemma4_chat_params *params;
    int32_t channel_open, channel_close; /* <|channel> and <channel|>, -1 if the vocab lacks them */
    bool in_thought;
    g4_strbuf reply, thought;
} chat_stream;

static bool on_chat_token(void *user, int32_t token, const char *piece, size_t len) {
    chat_stream *cs = user;
    if (token >= 0 && token == cs->channel_open) {
        cs->in_thought = true;
        return true;
    }
    if (token >= 0 && token == cs->channel_close) {
        cs->in_thought = false;
        return true;
    }
    g4_strbuf *dst = cs->in_thought ? &cs->thought : &cs->reply;
    g4_strbuf_put(dst, piece, len);
    if (dst->oom) return false;
    const gemma4_generate_params *gp = &cs->params->generate;
    if (!gp->on_token || (cs->in_thought && !cs->params->show_thinking)) return true;
    return gp->on_token(gp->user, token, piece, len);
}

/* The thought channel opens with its name and a newline ("thought\n"): keep only what follows. */
static char *thought_text(g4_strbuf *t) {
    static const char header[] = "thought\n";
    size_t skip = (t->n >= sizeof header - 1 && !memcmp(t->p, header, sizeof header - 1)) ? sizeof header - 1 : 0;
    char *out = malloc(t->n - skip + 1);
    if (out) {
        memcpy(out, t->p ? t->p + skip : "", t->n - skip);
        out[t->n - skip] = '\0';
    }
    return out;
}

static cJSON *messages_json(const gemma4_chat_message *messages, size_t n, g4_error *err) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        const char *role = messages[i].role, *content = messages[i].content;
        if (!role || !content) {
            g4_fail(err, GEMMA4_ERR_INVALID_ARG, "message %zu has no %s", i, role ? "content" : "role");
            cJSON_Delete(arr);
            return NULL;
        }
        if (!strcmp(role, "model")) role = "assistant";
        cJSON *m = cJSON_CreateObject();
        if (!m || !cJSON_AddStringToObject(m, "role", role) || !cJSON_AddStringToObject(m, "content", content)) {
            cJSON_Delete(m);
            cJSON_Delete(arr);
            arr = NULL;
            break;
        }
        cJSON_AddItemToArray(arr, m);
    }
    if (!arr) g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory building the conversation");
    return arr;
}

/* Makes the cache hold exactly tokens[0..keep) of the new prompt and returns keep: the longest
 * common prefix with what is cached, but at least one token short of the prompt (its last token
 * must be evaluated to get logits). Falls back to an empty cache when the sliding window no
 * longer holds what the prefix needs. */
static int32_t reuse_prefix(gemma4_session *s, const int32_t *tokens, size_t n) {
    int32_t keep = 0;
    while (keep < s->n_tokens && (size_t)keep < n && s->tokens[keep] == tokens[keep]) keep++;
    if ((size_t)keep == n) keep--;
    if (keep > 0 && g4_ctx_can_rewind(s->ctx, keep) && gemma4_session_rewind(s, keep) == GEMMA4_OK) return keep;
    gemma4_session_reset(s);
    return 0;
}

gemma4_status g4_api_chat_prompt(gemma4_session *s, const char *prompt, size_t len, int32_t **tokens_out,
                                 size_t *n_out, int32_t *keep) {
    int32_t *tokens = NULL;
    size_t n_tokens = 0;
    *tokens_out = NULL;
    gemma4_status st = g4_tokenize_alloc(s->model->vocab, prompt, len, true, true, &tokens, &n_tokens, &s->err);
    if (st != GEMMA4_OK) return st;
    if (n_tokens > (size_t)s->params.n_ctx) {
        free(tokens);
        return g4_fail(&s->err, GEMMA4_ERR_CONTEXT_FULL, "the conversation is %zu tokens; the context holds %d",
                       n_tokens, (int)s->params.n_ctx);
    }
    *keep = reuse_prefix(s, tokens, n_tokens);
    *tokens_out = tokens;
    *n_out = n_tokens;
    return GEMMA4_OK;
}

GEMMA4_API gemma4_status gemma4_chat(gemma4_session *s, const gemma4_chat_message *messages, size_t n_messages,
                                     const gemma4_chat_params *params, char **reply_out, char **thought_out,
                                     gemma4_generate_stats *stats) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (reply_out) *reply_out = NULL;
    if (thought_out) *thought_out = NULL;
    if (!messages || n_messages == 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "the conversation is empty");
    gemma4_chat_params cp = params ? *params : (gemma4_chat_params){0};
    const g4_vocab *vocab = s->model->vocab;

    cJSON *msgs = messages_json(messages, n_messages, &s->err);
    if (!msgs) return s->err.status;
    unsigned flags = G4_CHAT_ADD_GENERATION_PROMPT | G4_CHAT_OMIT_BOS | (cp.enable_thinking ? G4_CHAT_ENABLE_THINKING : 0);
    char *prompt = NULL;
    size_t prompt_len = 0;
    gemma4_status st = g4_chat_render(msgs, NULL, flags, &prompt, &prompt_len, &s->err);
    cJSON_Delete(msgs);
    if (st != GEMMA4_OK) return st;

    int32_t *tokens = NULL, keep = 0;
    size_t n_tokens = 0;
    st = g4_api_chat_prompt(s, prompt, prompt_len, &tokens, &n_tokens, &keep);
    free(prompt);
    if (st != GEMMA4_OK) return st;

    chat_stream cs = {.params = &cp,
                      .channel_open = g4_vocab_find(vocab, "<|channel>", 10),
                      .channel_close = g4_vocab_find(vocab, "<channel|>", 10)};
    gemma4_generate_params gp = cp.generate;
    gp.on_token = on_chat_token;
    gp.user = &cs;
    st = gemma4_generate(s, tokens + keep, n_tokens - (size_t)keep, &gp, stats);
    free(tokens);
    if (st == GEMMA4_OK && (cs.reply.oom || cs.thought.oom))
        st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory collecting the answer");
    if (st == GEMMA4_OK && reply_out) {
        *reply_out = g4_strbuf_finish(&cs.reply);
        if (!*reply_out) st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
    }
    if (st == GEMMA4_OK && thought_out) {
        *thought_out = thought_text(&cs.thought);
        if (!*thought_out) st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
    }
    g4_strbuf_free(&cs.reply);
    g4_strbuf_free(&cs.thought);
    return st;
}
