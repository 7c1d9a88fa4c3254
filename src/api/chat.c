/*
 * gemma4_chat: one assistant turn of a conversation held in a session.
 *
 * The whole conversation is rendered with the Gemma 4 template each turn, tokenized, and its media
 * parts put in place (prompt.c); the part of it already in the KV cache is kept, so a multi-turn
 * chat only evaluates what is new, images included. The answer streams through the caller's
 * callback with the thought channel (<|channel>thought ... <channel|>) separated out.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api/generate.h"
#include "api/params.h"
#include "api/prompt.h"
#include "api/session.h"
#include "core/strbuf.h"
#include "text/chat_template.h"

static gemma4_chat_params default_params(void) {
    gemma4_chat_params p = {0};
    p.struct_size = sizeof p;
    return p;
}

/* Routes each generated piece to the answer or the thought, and on to the caller. */
typedef struct chat_stream {
    const gemma4_chat_params *params;
    const g4_gen *gen;
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
    if (!cs->gen->on_token || (cs->in_thought && !cs->params->show_thinking)) return true;
    return cs->gen->on_token(cs->gen->user, token, piece, len);
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

/* One message's content for the template: a string, or parts [{type:text,text}, {type:image}, ...].
 * Media parts are collected in order into media[]. */
static cJSON *message_content(const gemma4_chat_message *msg, size_t i, const gemma4_media **media, size_t *n_media,
                              g4_error *err) {
    if (msg->n_parts == 0) {
        if (!msg->content) {
            g4_fail(err, GEMMA4_ERR_INVALID_ARG, "message %zu has neither content nor parts", i);
            return NULL;
        }
        return cJSON_CreateString(msg->content);
    }
    if (!msg->parts) {
        g4_fail(err, GEMMA4_ERR_INVALID_ARG, "message %zu: n_parts is %zu but parts is NULL", i, msg->n_parts);
        return NULL;
    }
    cJSON *parts = cJSON_CreateArray();
    for (size_t j = 0; parts && j < msg->n_parts; j++) {
        const gemma4_content_part *part = &msg->parts[j];
        cJSON *item = cJSON_CreateObject();
        if (!item) break;
        cJSON_AddItemToArray(parts, item);
        if (part->type == GEMMA4_PART_TEXT && part->text) {
            cJSON_AddStringToObject(item, "type", "text");
            cJSON_AddStringToObject(item, "text", part->text);
        } else if (part->type == GEMMA4_PART_MEDIA && part->media) {
            cJSON_AddStringToObject(item, "type", part->media->kind == GEMMA4_MEDIA_IMAGE ? "image" : "audio");
            media[(*n_media)++] = part->media;
        } else {
            g4_fail(err, GEMMA4_ERR_INVALID_ARG, "message %zu, part %zu: %s", i, j,
                    part->type == GEMMA4_PART_TEXT    ? "a text part without text"
                    : part->type == GEMMA4_PART_MEDIA ? "a media part without media"
                                                      : "unknown part type");
            cJSON_Delete(parts);
            return NULL;
        }
    }
    if (!parts) g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory building the conversation");
    return parts;
}

static cJSON *messages_json(const gemma4_chat_message *messages, size_t n, const gemma4_media **media, size_t *n_media,
                            g4_error *err) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        const char *role = messages[i].role;
        if (!role) {
            g4_fail(err, GEMMA4_ERR_INVALID_ARG, "message %zu has no role", i);
            cJSON_Delete(arr);
            return NULL;
        }
        if (!strcmp(role, "model")) role = "assistant";
        cJSON *content = message_content(&messages[i], i, media, n_media, err);
        if (!content) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON *m = cJSON_CreateObject();
        if (!m || !cJSON_AddStringToObject(m, "role", role)) {
            cJSON_Delete(content);
            cJSON_Delete(m);
            cJSON_Delete(arr);
            arr = NULL;
            break;
        }
        cJSON_AddItemToObject(m, "content", content);
        cJSON_AddItemToArray(arr, m);
    }
    if (!arr) g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory building the conversation");
    return arr;
}

static gemma4_status chat(gemma4_session *s, const gemma4_chat_message *messages, size_t n_messages,
                          const gemma4_chat_params *cp, const g4_gen *gen, char **reply_out, char **thought_out,
                          gemma4_generate_stats *stats) {
    size_t n_parts = 0;
    for (size_t i = 0; i < n_messages; i++) n_parts += messages[i].n_parts;
    const gemma4_media **media = malloc(sizeof *media * (n_parts ? n_parts : 1));
    if (!media) return g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
    size_t n_media = 0;
    cJSON *msgs = messages_json(messages, n_messages, media, &n_media, &s->err);
    char *text = NULL;
    size_t text_len = 0;
    gemma4_status st = msgs ? GEMMA4_OK : s->err.status;
    unsigned flags =
        G4_CHAT_ADD_GENERATION_PROMPT | G4_CHAT_OMIT_BOS | (cp->enable_thinking ? G4_CHAT_ENABLE_THINKING : 0);
    if (st == GEMMA4_OK) st = g4_chat_render(msgs, NULL, flags, &text, &text_len, &s->err);
    cJSON_Delete(msgs);
    g4_prompt prompt = {0};
    if (st == GEMMA4_OK) st = g4_prompt_build(s, text, text_len, media, n_media, &prompt);
    free(text);
    free(media);
    if (st == GEMMA4_OK) st = g4_prompt_eval(s, &prompt, stats);
    g4_prompt_free(&prompt);
    if (st != GEMMA4_OK) return st;

    const g4_vocab *vocab = s->model->vocab;
    chat_stream cs = {.params = cp,
                      .gen = gen,
                      .channel_open = g4_vocab_find(vocab, "<|channel>", 10),
                      .channel_close = g4_vocab_find(vocab, "<channel|>", 10)};
    g4_gen g = *gen;
    g.on_token = on_chat_token;
    g.user = &cs;
    st = g4_generate_loop(s, &g, NULL, NULL, stats);
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

GEMMA4_API gemma4_chat_params gemma4_chat_default_params(void) {
    return default_params();
}

GEMMA4_API gemma4_status gemma4_chat(gemma4_session *s, const gemma4_chat_message *messages, size_t n_messages,
                                     const gemma4_chat_params *params, char **reply_out, char **thought_out,
                                     gemma4_generate_stats *stats) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (reply_out) *reply_out = NULL;
    if (thought_out) *thought_out = NULL;
    if (!messages || n_messages == 0) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "the conversation is empty");
    gemma4_chat_params cp = default_params();
    g4_gen gen;
    gemma4_status st = g4_params_read(&cp, sizeof cp, params, "gemma4_chat_params", &s->err);
    if (st == GEMMA4_OK) st = g4_generate_begin(s, cp.generate, stats, &gen);
    if (st != GEMMA4_OK) return st;
    gemma4_generate_stats st_all = GEMMA4_GENERATE_STATS_INIT;
    st = chat(s, messages, n_messages, &cp, &gen, reply_out, thought_out, &st_all);
    g4_stats_copy_out(&st_all, stats);
    return st;
}
