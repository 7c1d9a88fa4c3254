/*
 * gemma4_chat_tools: an assistant turn of an agent conversation, returned as an OpenAI message with
 * parsed and validated tool calls, optionally with schema-constrained decoding.
 *
 * The conversation renders with the Gemma 4 template (tools in the system turn, earlier calls and
 * their results as structured responses, as llama.cpp's server renders them) and reuses the cached
 * prefix like gemma4_chat. Generation keeps control tokens in the raw text, which the tool-call
 * parser turns into the message at the end; while generating, the same parser separates the
 * content that streams to the caller from thoughts and calls.
 *
 * Under tools_strict a mask runs before every sampling step: the constraint state (constrain.h),
 * advanced by each sampled token's piece, gives the allowed tokens through a walk of the model's
 * token trie. The trie is built once per model, under the model's lock, on first use. End-of-
 * generation tokens are left out of the trie and allowed exactly when the output may end there;
 * control tokens other than the tool-call and thought markers are never allowed.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/generate.h"
#include "api/json_api.h"
#include "api/params.h"
#include "api/prompt.h"
#include "api/session.h"
#include "core/clock.h"
#include "core/strbuf.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"
#include "toolcall/constrain.h"
#include "toolcall/tc_parser.h"
#include "toolcall/token_trie.h"
#include "toolcall/validate.h"
#include "toolcall/vocab_index.h"

/* The pieces the constraint may produce: every token's text with control tokens rendered, except
 * end-of-generation tokens (decided by the grammar's end) and control tokens that are not part of
 * the output grammar (<bos>, <pad>, media markers, unused slots). */
static const char *index_piece(void *user, int32_t id, size_t *len) {
    static const char *const grammar_controls[] = {"<|tool_call>", "<tool_call|>", "<|\"|>", "<|channel>",
                                                   "<channel|>"};
    const g4_vocab *v = user;
    if (g4_vocab_is_eog(v, id)) return NULL;
    const char *p = g4_token_piece(v, id, true, len);
    if (!p || !g4_vocab_is_control(v, id)) return p;
    for (size_t i = 0; i < sizeof grammar_controls / sizeof grammar_controls[0]; i++)
        if (*len == strlen(grammar_controls[i]) && !memcmp(p, grammar_controls[i], *len)) return p;
    return NULL;
}

static gemma4_status tools_index(gemma4_model *m, const g4_tc_vocab_index **out, g4_error *err) {
    gemma4_status st = GEMMA4_OK;
    pthread_mutex_lock(&m->lock);
    if (!m->tools_index) {
        double t0 = g4_now_seconds();
        int32_t n_eog = g4_vocab_n_eog(m->vocab);
        int32_t *eog = malloc(sizeof *eog * (size_t)(n_eog ? n_eog : 1));
        if (!eog) st = g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory indexing the vocabulary");
        for (int32_t i = 0; st == GEMMA4_OK && i < n_eog; i++) eog[i] = g4_vocab_eog_at(m->vocab, i);
        if (st == GEMMA4_OK)
            st = g4_tc_vocab_index_build(g4_vocab_n_tokens(m->vocab), index_piece, m->vocab, eog, n_eog,
                                         &m->tools_index, err);
        free(eog);
        if (st == GEMMA4_OK) {
            const g4_token_trie *trie = m->tools_index->trie;
            g4_log(&m->log, GEMMA4_LOG_INFO, "tool constraint: indexed %u tokens in %u trie nodes (%.1f MiB) in %.2f s",
                   trie->n_tokens, trie->n_nodes, (double)g4_token_trie_bytes(trie) / (1024.0 * 1024.0),
                   g4_now_seconds() - t0);
        }
    }
    *out = m->tools_index;
    pthread_mutex_unlock(&m->lock);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct tools_run {
    gemma4_session *s;
    const gemma4_chat_tools_params *params;
    const g4_gen *gen; /* the caller's generation settings and callback */
    /* constrained decoding (g NULL: off) */
    const g4_tc_vocab_index *ix;
    g4_tcc *g;
    g4_tcc_state st;
    g4_tcc_walker *walker;
    uint64_t *bits;
    bool constraint_broken;
    /* measurements */
    int32_t n_masks, n_masks_in_call;
    double mask_seconds, mask_seconds_in_call, mask_seconds_max;
    uint64_t steps, steps_max;
    /* output */
    g4_strbuf raw;
    /* streaming: the parser routes content (and thought) bytes of each token to the caller */
    g4_tc_parser route;
    bool route_failed;
    g4_strbuf piece;
    bool thought_started;
    int32_t calls_done;
} tools_run;

static void tools_mask(void *user, float *logits, int32_t n_vocab) {
    tools_run *r = user;
    double t0 = g4_now_seconds();
    bool in_call = g4_tcc_in_call(&r->st);
    g4_tcc_allowed(r->g, &r->st, r->walker, r->bits);
    if (g4_tcc_can_end(r->g, &r->st))
        for (int32_t i = 0; i < r->ix->n_eog; i++) g4_bitset_set(r->bits, r->ix->eog[i]);
    /* inside a call nearly every word of the set is all zeros: write those as a block */
    size_t words = (size_t)n_vocab / 64;
    for (size_t w = 0; w < words; w++) {
        uint64_t off = ~r->bits[w];
        float *row = logits + w * 64;
        if (off == ~(uint64_t)0) {
            for (int i = 0; i < 64; i++) row[i] = -INFINITY;
            continue;
        }
        while (off) {
            row[__builtin_ctzll(off)] = -INFINITY;
            off &= off - 1;
        }
    }
    for (size_t i = words * 64; i < (size_t)n_vocab; i++)
        if (!g4_bitset_get(r->bits, (int32_t)i)) logits[i] = -INFINITY;
    double dt = g4_now_seconds() - t0;
    r->n_masks++;
    r->mask_seconds += dt;
    uint64_t steps = g4_tcc_walker_steps(r->walker);
    r->steps += steps;
    if (steps > r->steps_max) r->steps_max = steps;
    if (dt > r->mask_seconds_max) r->mask_seconds_max = dt;
    if (in_call) {
        r->n_masks_in_call++;
        r->mask_seconds_in_call += dt;
    }
}

static int route_sink(void *user, g4_tc_event ev, const char *bytes, size_t len, uint64_t pos) {
    (void)pos;
    tools_run *r = user;
    if (ev == G4_TC_CALL_END) r->calls_done++;
    if (ev == G4_TC_TEXT) g4_strbuf_put(&r->piece, bytes, len);
    if (ev == G4_TC_THOUGHT && r->params->show_thinking) {
        /* the channel opens with its name's line ("thought\n"): the thought proper follows */
        if (!r->thought_started && len > 0 && bytes[0] == '\n') bytes++, len--;
        r->thought_started = true;
        g4_strbuf_put(&r->piece, bytes, len);
    }
    return 0;
}

static bool on_tools_token(void *user, int32_t token, const char *piece, size_t len) {
    tools_run *r = user;
    if (r->g && token >= 0 && !r->constraint_broken) {
        size_t n = 0;
        const char *p = g4_token_piece(r->s->model->vocab, token, true, &n);
        if (!p || !g4_tcc_feed(r->g, &r->st, p, n)) r->constraint_broken = true;
    }
    g4_strbuf_put(&r->raw, piece, len);
    r->piece.n = 0;
    if (!r->route_failed && !g4_tc_parser_feed(&r->route, piece, len)) r->route_failed = true;
    const g4_gen *gen = r->gen;
    bool go_on = !r->constraint_broken && !r->raw.oom && !r->piece.oom && !(r->params->one_call && r->calls_done > 0);
    if (gen->on_token && (token >= 0 || r->piece.n > 0))
        go_on = gen->on_token(gen->user, token, r->piece.n ? r->piece.p : "", r->piece.n) && go_on;
    return go_on;
}

/* ---------------------------------------------------------------------------------------------- */

static gemma4_chat_tools_params default_params(void) {
    gemma4_chat_tools_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.tool_choice = GEMMA4_TOOL_CHOICE_AUTO;
    return p;
}

static char *copy_text(const char *s, size_t n) {
    char *c = malloc(n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* The text the prompt ends with so that the answer is a call. */
static gemma4_status prefill_text(gemma4_session *s, const gemma4_chat_tools_params *p, const cJSON *tools,
                                  g4_strbuf *out) {
    if (p->tool_choice == GEMMA4_TOOL_CHOICE_AUTO) return GEMMA4_OK;
    if (p->tool_choice != GEMMA4_TOOL_CHOICE_REQUIRED)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_chat_tools: unknown tool_choice %d",
                       (int)p->tool_choice);
    if (!tools)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_chat_tools: a call is required but no tools are given");
    g4_strbuf_put(out, "<|tool_call>", 12);
    if (p->tool_name) {
        if (!g4_tc_find_tool(tools, p->tool_name))
            return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG,
                           "gemma4_chat_tools: tool_name '%.200s' is not a declared tool", p->tool_name);
        g4_strbuf_put(out, "call:", 5);
        g4_strbuf_put(out, p->tool_name, strlen(p->tool_name));
        g4_strbuf_put(out, "{", 1);
    }
    return out->oom ? g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory") : GEMMA4_OK;
}

/* The prompt: the conversation with the generation prompt, then the prefilled call opening. */
static gemma4_status render_prompt(gemma4_session *s, const char *messages_json, const char *tools_json,
                                   const gemma4_chat_tools_params *p, const g4_strbuf *prefill, g4_prompt *out) {
    char *text = NULL;
    size_t len = 0;
    unsigned flags = G4_CHAT_ADD_GENERATION_PROMPT | G4_CHAT_OMIT_BOS | G4_CHAT_LLAMA_COMPAT |
                     (p->n_media ? G4_CHAT_MEDIA_ALIASES : 0) | (p->enable_thinking ? G4_CHAT_ENABLE_THINKING : 0);
    gemma4_status st = g4_chat_render_json(messages_json, tools_json, flags, &text, &len, &s->err);
    g4_strbuf full = {0};
    if (st == GEMMA4_OK) {
        g4_strbuf_put(&full, text, len);
        g4_strbuf_put(&full, prefill->p, prefill->n);
        if (full.oom) st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
    }
    free(text);
    if (st == GEMMA4_OK) st = g4_prompt_build(s, full.p ? full.p : "", full.n, p->media, p->n_media, out);
    g4_strbuf_free(&full);
    return st;
}

static gemma4_status chat_tools(gemma4_session *s, const char *messages_json, const char *tools_json,
                                const gemma4_chat_tools_params *pp, const g4_gen *gen, char **message_json,
                                char **violations_json, char **raw_out, gemma4_generate_stats *stats) {
    const gemma4_chat_tools_params p = *pp;
    if (p.tools_strict && !tools_json)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_chat_tools: tools_strict needs tools");
    if (p.n_media && !p.media)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_chat_tools: n_media is %zu but media is NULL",
                       p.n_media);
    gemma4_model *m = s->model;

    tools_run r = {.s = s, .params = &p, .gen = gen};
    g4_strbuf prefill = {0};
    g4_prompt prompt = {0};
    cJSON *tools = NULL;
    gemma4_status st = GEMMA4_OK;
    if (tools_json) {
        tools = cJSON_Parse(tools_json);
        if (!cJSON_IsArray(tools))
            st = g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_chat_tools: tools_json is not a JSON array");
    }
    if (st == GEMMA4_OK) st = prefill_text(s, &p, tools, &prefill);
    if (st == GEMMA4_OK) st = render_prompt(s, messages_json, tools_json, &p, &prefill, &prompt);

    if (st == GEMMA4_OK && p.tools_strict) {
        st = tools_index(m, &r.ix, &s->err);
        if (st == GEMMA4_OK) st = g4_tcc_compile(tools, &r.g, &s->err);
        if (st == GEMMA4_OK) {
            r.walker = g4_tcc_walker_new(r.ix->trie);
            r.bits = malloc(sizeof *r.bits * (((size_t)r.ix->trie->n_vocab + 63) / 64));
            if (!r.walker || !r.bits) st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
        }
        if (st == GEMMA4_OK) {
            g4_tcc_start(r.g, &r.st, 0);
            if (prefill.n && !g4_tcc_feed(r.g, &r.st, prefill.p, prefill.n))
                st = g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG,
                             "gemma4_chat_tools: tool '%.200s' cannot be called under tools_strict (its name or "
                             "parameters cannot be written)",
                             p.tool_name ? p.tool_name : "?");
        }
    }

    if (st == GEMMA4_OK) st = g4_prompt_eval(s, &prompt, stats);
    if (st == GEMMA4_OK) {
        g4_strbuf_put(&r.raw, prefill.p, prefill.n);
        g4_tc_parser_init(&r.route, 0, route_sink, &r);
        if (prefill.n) g4_tc_parser_feed(&r.route, prefill.p, prefill.n);
        g4_gen g = *gen;
        g.render_special = true;
        g.on_token = on_tools_token;
        g.user = &r;
        st = g4_generate_loop(s, &g, r.g ? tools_mask : NULL, &r, stats);
        /* bytes the router held back (a '<' that never became a marker) are content too */
        r.piece.n = 0;
        if (st == GEMMA4_OK && !r.route_failed) g4_tc_parser_finish(&r.route);
        if (st == GEMMA4_OK && r.piece.n && gen->on_token) gen->on_token(gen->user, -1, r.piece.p, r.piece.n);
        if (st == GEMMA4_OK && r.constraint_broken)
            st = g4_fail(&s->err, GEMMA4_ERR_INTERNAL, "the tool-call constraint refused a token it had allowed");
        if (st == GEMMA4_OK && (r.raw.oom || r.piece.oom))
            st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory collecting the answer");
        if (r.g && r.n_masks)
            g4_log(&m->log, GEMMA4_LOG_DEBUG,
                   "tool constraint: %d masks, %.1f us each (%d inside calls, %.1f us each), %.1f trie steps "
                   "each; slowest %.1f us, most steps %llu",
                   (int)r.n_masks, 1e6 * r.mask_seconds / r.n_masks, (int)r.n_masks_in_call,
                   r.n_masks_in_call ? 1e6 * r.mask_seconds_in_call / r.n_masks_in_call : 0.0,
                   (double)r.steps / r.n_masks, 1e6 * r.mask_seconds_max, (unsigned long long)r.steps_max);
    }

    /* the answer, parsed and checked */
    if (st == GEMMA4_OK) {
        const char *text = r.raw.p ? r.raw.p : "";
        st = g4_toolcall_parse_json(text, r.raw.n, tools_json, 0, message_json, violations_json, &s->err);
        if (st == GEMMA4_OK && violations_json && !*violations_json) {
            *violations_json = copy_text("[]", 2);
            if (!*violations_json) st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
        }
    }
    if (raw_out && (st == GEMMA4_OK || st == GEMMA4_ERR_VALIDATION || st == GEMMA4_ERR_FORMAT)) {
        *raw_out = copy_text(r.raw.p ? r.raw.p : "", r.raw.n);
        if (!*raw_out) st = g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
    }
    if (st != GEMMA4_OK && st != GEMMA4_ERR_VALIDATION && message_json) {
        free(*message_json);
        *message_json = NULL;
    }
    g4_strbuf_free(&r.raw);
    g4_strbuf_free(&r.piece);
    g4_strbuf_free(&prefill);
    g4_prompt_free(&prompt);
    free(r.bits);
    g4_tcc_walker_free(r.walker);
    g4_tcc_free(r.g);
    cJSON_Delete(tools);
    return st;
}

GEMMA4_API gemma4_chat_tools_params gemma4_chat_tools_default_params(void) {
    return default_params();
}

GEMMA4_API gemma4_status gemma4_chat_tools(gemma4_session *s, const char *messages_json, const char *tools_json,
                                           const gemma4_chat_tools_params *params, char **message_json,
                                           char **violations_json, char **raw_out, gemma4_generate_stats *stats) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (message_json) *message_json = NULL;
    if (violations_json) *violations_json = NULL;
    if (raw_out) *raw_out = NULL;
    if (!messages_json || !message_json)
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG,
                       "gemma4_chat_tools: messages_json and message_json must not be NULL");
    gemma4_chat_tools_params p = default_params();
    g4_gen gen;
    gemma4_status st = g4_params_read(&p, sizeof p, params, "gemma4_chat_tools_params", &s->err);
    if (st == GEMMA4_OK) st = g4_generate_begin(s, p.generate, stats, &gen);
    if (st != GEMMA4_OK) return st;
    gemma4_generate_stats all = GEMMA4_GENERATE_STATS_INIT;
    st = chat_tools(s, messages_json, tools_json, &p, &gen, message_json, violations_json, raw_out, &all);
    g4_stats_copy_out(&all, stats);
    return st;
}
