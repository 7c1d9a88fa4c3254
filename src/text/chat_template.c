/*
 * The Gemma 4 chat template (google-gemma-4-31B-it.jinja) rendered in C.
 *
 * The functions below follow the template's macros one to one (format_parameters,
 * format_function_declaration, strip_thinking and the main message loop), so a reader can hold this
 * file next to the .jinja. What the template gets from Python and Jinja2 (str(), trim, dictsort,
 * Undefined) is py_value.h; its format_argument macro, which writes tool-call arguments and tool
 * responses, is gemma_value.h, shared with the tool-call layer; the JSON reader is chat_json.h and
 * the reshaping of OpenAI messages before rendering is openai_messages.h.
 */
#include "text/chat_template.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/utf8.h"
#include "text/gemma_value.h"
#include "text/openai_messages.h"
#include "text/py_value.h"

enum prev_type { PREV_NONE, PREV_THINK, PREV_TOOL, PREV_TOOL_CALL, PREV_TOOL_RESPONSE, PREV_MEDIA };

typedef struct render_ctx {
    g4_strbuf out;
    unsigned flags;
    g4_error *err;
    bool failed;
} render_ctx;

static bool fail(render_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(render_ctx *c, const char *fmt, ...) {
    if (!c->failed) {
        c->failed = true;
        char what[G4_ERROR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        g4_fail(c->err, GEMMA4_ERR_INVALID_ARG, "chat template: %s", what);
    }
    return false;
}

static bool nomem(render_ctx *c) {
    if (!c->failed) {
        c->failed = true;
        g4_fail(c->err, GEMMA4_ERR_NOMEM, "chat template: out of memory");
    }
    return false;
}

/* The elements a Jinja for-loop visits: list items, a string's characters, a mapping's keys.
 * Each is printed with str() into `item` for the callback. Other values cannot be iterated. */
typedef bool (*iter_fn)(render_ctx *c, g4_strbuf *dst, const char *s, size_t n, bool first, void *user);

static bool py_iter_str(render_ctx *c, g4_strbuf *dst, const cJSON *v, iter_fn fn, void *user, const char *where) {
    bool first = true;
    if (g4_py_is_arr(v) || g4_py_is_obj(v)) {
        for (const cJSON *e = v->child; e; e = e->next) {
            g4_strbuf item = {0};
            if (g4_py_is_obj(v))
                g4_strbuf_puts(&item, e->string);
            else
                g4_py_str(&item, e);
            if (item.oom) return g4_strbuf_free(&item), nomem(c);
            bool ok = fn(c, dst, item.p ? item.p : "", item.n, first, user);
            g4_strbuf_free(&item);
            if (!ok) return false;
            first = false;
        }
        return true;
    }
    if (g4_py_is_str(v)) {
        const unsigned char *u = (const unsigned char *)v->valuestring;
        size_t n = strlen(v->valuestring);
        for (size_t i = 0; i < n;) {
            size_t l = g4_utf8_decode(u + i, n - i, NULL);
            if (l == 0) l = 1; /* not reachable for parsed input */
            if (!fn(c, dst, (const char *)u + i, l, first, user)) return false;
            first = false;
            i += l;
        }
        return true;
    }
    if (v == NULL) return true; /* iterating Undefined visits nothing */
    return fail(c, "%s is not a list", where);
}

/* <|"|>item<|"|> joined with ',' (the template's required:[...] lists). */
static bool put_quoted_item(render_ctx *c, g4_strbuf *dst, const char *s, size_t n, bool first, void *user) {
    (void)c;
    bool upper = user != NULL;
    if (!first) g4_strbuf_put(dst, ",", 1);
    g4_strbuf_puts(dst, "<|\"|>");
    size_t at = dst->n;
    g4_strbuf_put(dst, s, n);
    if (upper && !dst->oom) g4_py_upper_ascii(dst->p + at, n);
    g4_strbuf_puts(dst, "<|\"|>");
    return true;
}

/* format_argument(argument, escape_keys): the one Gemma value writer. */
static bool format_argument(render_ctx *c, g4_strbuf *b, const cJSON *v, bool escape_keys) {
    return g4_gemma_write_value(b, v, escape_keys) || nomem(c);
}

/* str(value) | upper into a fresh buffer. */
static bool upper_str(render_ctx *c, g4_strbuf *t, const cJSON *v) {
    g4_py_str(t, v);
    if (t->oom) return nomem(c);
    if (t->p) g4_py_upper_ascii(t->p, t->n);
    return true;
}

static bool t_eq(const g4_strbuf *t, const char *s) {
    return t->p ? strcmp(t->p, s) == 0 : s[0] == '\0';
}

static void comma(g4_strbuf *b, bool *add_comma) {
    if (*add_comma)
        g4_strbuf_put(b, ",", 1);
    else
        *add_comma = true;
}

static bool format_parameters(render_ctx *c, g4_strbuf *b, const cJSON *properties);

/* The items:{...} block of an ARRAY parameter. */
static bool format_items(render_ctx *c, g4_strbuf *b, const cJSON *items) {
    size_t n;
    const cJSON **kv = g4_py_dictsort(items, &n);
    if (!kv) return nomem(c);
    bool ok = true, first = true;
    g4_strbuf_puts(b, "items:{");
    for (size_t i = 0; ok && i < n; i++) {
        const cJSON *iv = kv[i];
        const char *ik = iv->string;
        if (g4_py_is_none(iv)) continue;
        if (!first) g4_strbuf_put(b, ",", 1);
        first = false;
        if (!strcmp(ik, "properties")) {
            g4_strbuf_puts(b, "properties:{");
            if (g4_py_is_obj(iv)) ok = format_parameters(c, b, iv);
            g4_strbuf_put(b, "}", 1);
        } else if (!strcmp(ik, "required")) {
            g4_strbuf_puts(b, "required:[");
            ok = py_iter_str(c, b, iv, put_quoted_item, NULL, "items.required");
            g4_strbuf_put(b, "]", 1);
        } else if (!strcmp(ik, "type")) {
            g4_strbuf_puts(b, "type:");
            if (g4_py_is_str(iv)) {
                g4_strbuf t = {0};
                ok = upper_str(c, &t, iv);
                g4_strbuf_puts(b, "<|\"|>");
                g4_strbuf_put(b, t.p, t.n);
                g4_strbuf_puts(b, "<|\"|>");
                g4_strbuf_free(&t);
            } else if (g4_py_is_arr(iv) || g4_py_is_obj(iv)) {
                g4_strbuf_put(b, "[", 1);
                ok = py_iter_str(c, b, iv, put_quoted_item, (void *)1, "items.type");
                g4_strbuf_put(b, "]", 1);
            } else {
                ok = fail(c, "an array schema's items.type is neither a string nor a list");
            }
        } else {
            g4_strbuf_puts(b, ik);
            g4_strbuf_put(b, ":", 1);
            ok = format_argument(c, b, iv, true);
        }
    }
    g4_strbuf_put(b, "}", 1);
    free(kv);
    return ok;
}

/* format_parameters(properties): every property except the schema's own keywords. */
static bool format_parameters(render_ctx *c, g4_strbuf *b, const cJSON *properties) {
    static const char *const standard_keys[] = {"description", "type", "properties", "required", "nullable"};
    if (!g4_py_is_obj(properties)) return fail(c, "a schema's properties is not an object");
    size_t n;
    const cJSON **kv = g4_py_dictsort(properties, &n);
    if (!kv) return nomem(c);
    bool ok = true, found_first = false;
    for (size_t i = 0; ok && i < n; i++) {
        const char *key = kv[i]->string;
        const cJSON *value = kv[i];
        bool standard = false;
        for (size_t s = 0; s < sizeof standard_keys / sizeof *standard_keys; s++)
            if (!strcmp(key, standard_keys[s])) standard = true;
        if (standard) continue;
        if (found_first) g4_strbuf_put(b, ",", 1);
        found_first = true;
        g4_strbuf_puts(b, key);
        g4_strbuf_puts(b, ":{");
        bool add_comma = false;
        const cJSON *desc = g4_py_get(value, "description");
        if (g4_py_truthy(desc)) {
            g4_strbuf_puts(b, "description:<|\"|>");
            g4_py_str(b, desc);
            g4_strbuf_puts(b, "<|\"|>");
            add_comma = true;
        }
        g4_strbuf type = {0};
        if (!upper_str(c, &type, g4_py_get(value, "type"))) {
            ok = false;
            break;
        }
        if (t_eq(&type, "STRING")) {
            const cJSON *en = g4_py_get(value, "enum");
            if (g4_py_truthy(en)) {
                comma(b, &add_comma);
                g4_strbuf_puts(b, "enum:");
                ok = format_argument(c, b, en, true);
            }
        } else if (t_eq(&type, "ARRAY")) {
            const cJSON *items = g4_py_get(value, "items");
            if (g4_py_is_obj(items) && g4_py_truthy(items)) {
                comma(b, &add_comma);
                ok = format_items(c, b, items);
            }
        }
        if (ok && g4_py_truthy(g4_py_get(value, "nullable"))) {
            comma(b, &add_comma);
            g4_strbuf_puts(b, "nullable:true");
        }
        if (ok && t_eq(&type, "OBJECT")) {
            const cJSON *props = g4_py_get(value, "properties");
            const cJSON *target = g4_py_is_obj(props) ? props : g4_py_is_obj(value) ? value : NULL;
            if (target) {
                comma(b, &add_comma);
                g4_strbuf_puts(b, "properties:{");
                ok = format_parameters(c, b, target);
                g4_strbuf_put(b, "}", 1);
            }
            const cJSON *req = g4_py_get(value, "required");
            if (ok && g4_py_truthy(req)) {
                comma(b, &add_comma);
                g4_strbuf_puts(b, "required:[");
                ok = py_iter_str(c, b, req, put_quoted_item, NULL, "required");
                g4_strbuf_put(b, "]", 1);
            }
        }
        comma(b, &add_comma);
        g4_strbuf_puts(b, "type:<|\"|>");
        g4_strbuf_put(b, type.p, type.n);
        g4_strbuf_puts(b, "<|\"|>}");
        g4_strbuf_free(&type);
    }
    free(kv);
    return ok;
}

/* 'response' in function: a key of a mapping, a substring of a string, an item of a list. */
static bool py_contains_response(render_ctx *c, const cJSON *fn, bool *out) {
    *out = false;
    if (g4_py_is_obj(fn))
        *out = g4_py_get(fn, "response") != NULL;
    else if (g4_py_is_str(fn))
        *out = strstr(fn->valuestring, "response") != NULL;
    else if (g4_py_is_arr(fn)) {
        for (const cJSON *e = fn->child; e; e = e->next)
            if (g4_py_str_eq(e, "response")) *out = true;
    } else
        return fail(c, "a tool's \"function\" is not an object");
    return true;
}

/* format_function_declaration(tool) | trim */
static bool format_function_declaration(render_ctx *c, const cJSON *tool, size_t index) {
    const cJSON *fn = g4_py_get(tool, "function");
    if (!fn)
        return fail(c, "tools[%zu] has no \"function\" (tools are {\"type\":\"function\",\"function\":{...}})", index);
    g4_strbuf d = {0};
    bool ok = true;
    g4_strbuf_puts(&d, "declaration:");
    g4_py_str(&d, g4_py_get(fn, "name"));
    g4_strbuf_puts(&d, "{description:<|\"|>");
    g4_py_str(&d, g4_py_get(fn, "description"));
    g4_strbuf_puts(&d, "<|\"|>");
    const cJSON *params = g4_py_get(fn, "parameters");
    if (g4_py_truthy(params)) {
        g4_strbuf_puts(&d, ",parameters:{");
        const cJSON *props = g4_py_get(params, "properties");
        if (g4_py_truthy(props)) {
            g4_strbuf_puts(&d, "properties:{");
            ok = format_parameters(c, &d, props);
            g4_strbuf_puts(&d, "},");
        }
        const cJSON *req = g4_py_get(params, "required");
        if (ok && g4_py_truthy(req)) {
            g4_strbuf_puts(&d, "required:[");
            ok = py_iter_str(c, &d, req, put_quoted_item, NULL, "parameters.required");
            g4_strbuf_puts(&d, "],");
        }
        const cJSON *type = g4_py_get(params, "type");
        if (ok && g4_py_truthy(type)) {
            g4_strbuf t = {0};
            ok = upper_str(c, &t, type);
            g4_strbuf_puts(&d, "type:<|\"|>");
            g4_strbuf_put(&d, t.p, t.n);
            g4_strbuf_puts(&d, "<|\"|>}");
            g4_strbuf_free(&t);
        }
    }
    bool has_response = false;
    if (ok) ok = py_contains_response(c, fn, &has_response);
    if (ok && has_response) {
        const cJSON *rd = g4_py_get(fn, "response");
        g4_strbuf_puts(&d, ",response:{");
        const cJSON *desc = g4_py_get(rd, "description");
        if (g4_py_truthy(desc)) {
            g4_strbuf_puts(&d, "description:<|\"|>");
            g4_py_str(&d, desc);
            g4_strbuf_puts(&d, "<|\"|>,");
        }
        g4_strbuf t = {0};
        ok = upper_str(c, &t, g4_py_get(rd, "type"));
        if (ok && t_eq(&t, "OBJECT")) {
            g4_strbuf_puts(&d, "type:<|\"|>");
            g4_strbuf_put(&d, t.p, t.n);
            g4_strbuf_puts(&d, "<|\"|>}");
        }
        g4_strbuf_free(&t);
    }
    g4_strbuf_put(&d, "}", 1);
    if (d.oom) ok = nomem(c);
    if (ok) g4_py_put_stripped(&c->out, d.p, d.n);
    g4_strbuf_free(&d);
    return ok;
}

/* strip_thinking(text): drops every "<|channel>...<channel|>" span, then trims. */
static void strip_thinking(g4_strbuf *out, const char *text) {
    static const char open[] = "<|channel>", close[] = "<channel|>";
    g4_strbuf r = {0};
    const char *part = text;
    for (;;) {
        const char *end = strstr(part, close);
        size_t len = end ? (size_t)(end - part) : strlen(part);
        const char *o = memmem(part, len, open, sizeof open - 1);
        g4_strbuf_put(&r, part, o ? (size_t)(o - part) : len);
        if (!end) break;
        part = end + sizeof close - 1;
    }
    if (r.oom)
        out->oom = true;
    else if (r.p)
        g4_py_put_stripped(out, r.p, r.n);
    g4_strbuf_free(&r);
}

/* format_tool_response_block(tool_name, response) */
static bool format_tool_response_block(render_ctx *c, const char *name, const cJSON *response) {
    return g4_gemma_write_response(&c->out, name, response) || nomem(c);
}

static const char *role_of(const cJSON *m) {
    const cJSON *r = g4_py_get(m, "role");
    return g4_py_is_str(r) ? r->valuestring : NULL;
}

/* The tool responses that follow an assistant's tool_calls (OpenAI role "tool" messages). */
static bool render_following_tool_messages(render_ctx *c, const cJSON *const *msgs, size_t n, size_t i,
                                           const cJSON *tool_calls, enum prev_type *prev, bool *tr_out) {
    for (size_t k = i + 1; k < n && !strcmp(role_of(msgs[k]), "tool"); k++) {
        const cJSON *follow = msgs[k];
        const cJSON *name = g4_py_get(follow, "name"); /* follow.get('name'): None when absent */
        for (const cJSON *tc = tool_calls->child; tc; tc = tc->next)
            if (g4_py_eq(g4_py_get(tc, "id"), g4_py_get(follow, "tool_call_id")))
                name = g4_py_get(g4_py_get(tc, "function"), "name");
        if (!g4_py_is_str(name))
            return fail(
                c, "messages[%zu]: a tool response needs a \"name\" or a \"tool_call_id\" that matches a tool call", k);
        const cJSON *body = g4_py_get(follow, "content");
        if (g4_py_is_str(body)) {
            if (!format_tool_response_block(c, name->valuestring, body)) return false;
        } else if (g4_py_is_arr(body)) {
            g4_strbuf t = {0};
            for (const cJSON *part = body->child; part; part = part->next) {
                if (!g4_py_is_obj(part))
                    return g4_strbuf_free(&t), fail(c, "messages[%zu]: a content part is not an object", k);
                if (!g4_py_str_eq(g4_py_get(part, "type"), "text")) continue;
                const cJSON *text = g4_py_get(part, "text");
                if (!g4_py_is_str(text))
                    return g4_strbuf_free(&t), fail(c, "messages[%zu]: a text part has no \"text\" string", k);
                g4_strbuf_puts(&t, text->valuestring);
            }
            if (t.oom) return g4_strbuf_free(&t), nomem(c);
            char empty[] = "";
            const cJSON joined = {.type = cJSON_String, .valuestring = t.p ? t.p : empty};
            bool ok = format_tool_response_block(c, name->valuestring, &joined);
            g4_strbuf_free(&t);
            if (!ok) return false;
        } else if (g4_py_is_obj(body)) {
            return fail(c, "messages[%zu]: a tool message's content must be a string or a list of parts", k);
        } else {
            static const cJSON none = {.type = cJSON_NULL}; /* follow.get('content') is None when absent */
            if (!format_tool_response_block(c, name->valuestring, body ? body : &none)) return false;
        }
        *tr_out = true;
        *prev = PREV_TOOL_RESPONSE;
    }
    return true;
}

static bool render_content(render_ctx *c, const cJSON *content, bool is_model, size_t index, enum prev_type *prev) {
    g4_strbuf *b = &c->out;
    if (g4_py_is_str(content)) {
        if (is_model)
            strip_thinking(b, content->valuestring);
        else
            g4_py_put_stripped(b, content->valuestring, strlen(content->valuestring));
        return true;
    }
    if (!g4_py_is_arr(content)) return true; /* None, a mapping or a number render nothing */
    bool aliases = c->flags & G4_CHAT_MEDIA_ALIASES;
    for (const cJSON *item = content->child; item; item = item->next) {
        const cJSON *type = g4_py_get(item, "type");
        if (g4_py_str_eq(type, "text")) {
            const cJSON *text = g4_py_get(item, "text");
            if (is_model) {
                if (!g4_py_is_str(text)) return fail(c, "messages[%zu]: a text part has no \"text\" string", index);
                strip_thinking(b, text->valuestring);
            } else {
                g4_strbuf t = {0};
                g4_py_str(&t, text);
                if (t.oom) return nomem(c);
                if (t.p) g4_py_put_stripped(b, t.p, t.n);
                g4_strbuf_free(&t);
            }
        } else if (g4_py_str_eq(type, "image") || (aliases && g4_py_str_eq(type, "image_url"))) {
            g4_strbuf_puts(b, "<|image|>");
            *prev = PREV_MEDIA;
        } else if (g4_py_str_eq(type, "audio") || (aliases && g4_py_str_eq(type, "input_audio"))) {
            g4_strbuf_puts(b, "<|audio|>");
            *prev = PREV_MEDIA;
        } else if (g4_py_str_eq(type, "video")) {
            g4_strbuf_puts(b, "<|video|>");
            *prev = PREV_MEDIA;
        }
    }
    return true;
}

static bool render_tool_calls(render_ctx *c, const cJSON *tool_calls, size_t index) {
    if (!g4_py_is_arr(tool_calls)) return fail(c, "messages[%zu]: tool_calls is not a list", index);
    for (const cJSON *tc = tool_calls->child; tc; tc = tc->next) {
        const cJSON *fn = g4_py_get(tc, "function");
        const cJSON *name = g4_py_get(fn, "name");
        if (!g4_py_is_str(name))
            return fail(c, "messages[%zu]: a tool call has no function name (tool_calls[i].function.name)", index);
        if (!g4_gemma_write_call(&c->out, name->valuestring, g4_py_get(fn, "arguments"))) return nomem(c);
    }
    return true;
}

static bool render_messages(render_ctx *c, const cJSON *const *msgs, size_t n, const cJSON *tools) {
    g4_strbuf *b = &c->out;
    bool thinking = c->flags & G4_CHAT_ENABLE_THINKING;
    if (n == 0) return fail(c, "no messages (the template needs at least one)");
    for (size_t i = 0; i < n; i++)
        if (!role_of(msgs[i])) return fail(c, "messages[%zu] has no \"role\" string", i);
    if (tools && !g4_py_is_arr(tools) && g4_py_truthy(tools)) return fail(c, "tools is not a list");
    bool have_tools = g4_py_truthy(tools);

    if (!(c->flags & G4_CHAT_OMIT_BOS)) g4_strbuf_puts(b, "<bos>");
    enum prev_type prev = PREV_NONE;
    const char *role0 = role_of(msgs[0]);
    bool first_is_system = !strcmp(role0, "system") || !strcmp(role0, "developer");
    size_t start = 0;
    if (thinking || have_tools || first_is_system) {
        g4_strbuf_puts(b, "<|turn>system\n");
        if (thinking) {
            g4_strbuf_puts(b, "<|think|>\n");
            prev = PREV_THINK;
        }
        if (first_is_system) {
            g4_strbuf t = {0};
            g4_py_str(&t, g4_py_get(msgs[0], "content"));
            if (t.oom) return nomem(c);
            if (t.p) g4_py_put_stripped(b, t.p, t.n);
            g4_strbuf_free(&t);
            start = 1;
        }
        if (have_tools) {
            size_t k = 0;
            for (const cJSON *tool = tools->child; tool; tool = tool->next, k++) {
                g4_strbuf_puts(b, "<|tool>");
                if (!format_function_declaration(c, tool, k)) return false;
                g4_strbuf_puts(b, "<tool|>");
            }
            prev = PREV_TOOL;
        }
        g4_strbuf_puts(b, "<turn|>\n");
    }

    long last_user = -1;
    for (size_t i = start; i < n; i++)
        if (!strcmp(role_of(msgs[i]), "user")) last_user = (long)(i - start);

    for (size_t i = start; i < n; i++) {
        const cJSON *m = msgs[i];
        const char *role = role_of(m);
        if (!strcmp(role, "tool")) continue;
        prev = PREV_NONE;
        const char *turn_role = !strcmp(role, "assistant") ? "model" : role;
        bool is_model = !strcmp(turn_role, "model");
        const char *prev_nt = NULL;
        for (size_t j = i; j-- > start;)
            if (strcmp(role_of(msgs[j]), "tool")) {
                prev_nt = role_of(msgs[j]);
                break;
            }
        if (!(is_model && prev_nt && !strcmp(prev_nt, "assistant"))) {
            g4_strbuf_puts(b, "<|turn>");
            g4_strbuf_puts(b, turn_role);
            g4_strbuf_put(b, "\n", 1);
        }

        const cJSON *tool_calls = g4_py_get(m, "tool_calls");
        const cJSON *thought = g4_py_get(m, "reasoning");
        if (!g4_py_truthy(thought)) thought = g4_py_get(m, "reasoning_content");
        if (g4_py_truthy(thought) && (long)(i - start) > last_user && g4_py_truthy(tool_calls)) {
            if (!g4_py_is_str(thought)) return fail(c, "messages[%zu]: reasoning_content is not a string", i);
            g4_strbuf_puts(b, "<|channel>thought\n");
            g4_strbuf_puts(b, thought->valuestring);
            g4_strbuf_puts(b, "\n<channel|>");
        }
        if (g4_py_truthy(tool_calls)) {
            if (!render_tool_calls(c, tool_calls, i)) return false;
            prev = PREV_TOOL_CALL;
        }

        bool tr_out = false;
        const cJSON *responses = g4_py_get(m, "tool_responses");
        if (g4_py_truthy(responses)) {
            if (!g4_py_is_arr(responses)) return fail(c, "messages[%zu]: tool_responses is not a list", i);
            for (const cJSON *r = responses->child; r; r = r->next) {
                const cJSON *name = g4_py_get(r, "name");
                if (name && !g4_py_is_str(name))
                    return fail(c, "messages[%zu]: a tool response's name is not a string", i);
                if (!format_tool_response_block(c, name ? name->valuestring : "unknown", g4_py_get(r, "response")))
                    return false;
                tr_out = true;
                prev = PREV_TOOL_RESPONSE;
            }
        } else if (g4_py_truthy(tool_calls)) {
            if (!render_following_tool_messages(c, msgs, n, i, tool_calls, &prev, &tr_out)) return false;
        }

        const cJSON *content = g4_py_get(m, "content");
        if (!render_content(c, content, is_model, i, &prev)) return false;

        if (prev == PREV_TOOL_CALL && !tr_out)
            g4_strbuf_puts(b, "<|tool_response>");
        else if (!(tr_out && !g4_py_truthy(content)))
            g4_strbuf_puts(b, "<turn|>\n");
    }

    if (c->flags & G4_CHAT_ADD_GENERATION_PROMPT) {
        if (prev != PREV_TOOL_RESPONSE && prev != PREV_TOOL_CALL) {
            g4_strbuf_puts(b, "<|turn>model\n");
            if (!thinking) g4_strbuf_puts(b, "<|channel>thought\n<channel|>");
        }
        static const char turn_end[] = "<turn|>\n";
        if ((c->flags & G4_CHAT_LLAMA_COMPAT) && b->n >= sizeof turn_end - 1 &&
            !memcmp(b->p + b->n - (sizeof turn_end - 1), turn_end, sizeof turn_end - 1))
            g4_strbuf_puts(b, "<|turn>model\n");
    }
    return true;
}

gemma4_status g4_chat_render(const cJSON *messages, const cJSON *tools, unsigned flags, char **out, size_t *out_len,
                             g4_error *err) {
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "chat template: NULL output pointer");
    if (!g4_py_is_arr(messages))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "chat template: messages is not a JSON array");

    cJSON *work = cJSON_Duplicate(messages, true); /* all or nothing: NULL on any failed allocation */
    if (!work || !g4_openai_decode_string_arguments(work)) {
        cJSON_Delete(work);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "chat template: out of memory");
    }
    if (flags & G4_CHAT_LLAMA_COMPAT) {
        cJSON *folded = g4_openai_fold_tool_responses(work);
        cJSON_Delete(work);
        if (!folded) return g4_fail(err, GEMMA4_ERR_NOMEM, "chat template: out of memory");
        work = folded;
    }

    size_t n = (size_t)cJSON_GetArraySize(work);
    const cJSON **msgs = malloc((n ? n : 1) * sizeof *msgs);
    if (!msgs) {
        cJSON_Delete(work);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "chat template: out of memory");
    }
    size_t i = 0;
    for (const cJSON *m = work->child; m; m = m->next) msgs[i++] = m;

    render_ctx c = {.flags = flags, .err = err};
    bool ok = render_messages(&c, msgs, n, tools);
    if (ok && c.out.oom) ok = nomem(&c);
    free(msgs);
    cJSON_Delete(work);
    if (!ok) {
        g4_strbuf_free(&c.out);
        return err ? err->status : GEMMA4_ERR_INVALID_ARG;
    }
    if (!c.out.p) {
        g4_strbuf_put(&c.out, "", 1);
        c.out.n = 0;
    }
    if (c.out.oom) return g4_fail(err, GEMMA4_ERR_NOMEM, "chat template: out of memory");
    *out = c.out.p;
    if (out_len) *out_len = c.out.n;
    return GEMMA4_OK;
}

gemma4_status g4_chat_render_json(const char *messages_json, const char *tools_json, unsigned flags, char **out,
                                  size_t *out_len, g4_error *err) {
    if (out) *out = NULL;
    if (!messages_json) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "chat template: NULL messages");
    g4_error local;
    g4_error *e = err ? err : &local;
    cJSON *messages = g4_chat_json_parse(messages_json, strlen(messages_json), "messages", e);
    if (!messages) return e->status;
    cJSON *tools = NULL;
    if (tools_json && tools_json[0]) {
        tools = g4_chat_json_parse(tools_json, strlen(tools_json), "tools", e);
        if (!tools) {
            cJSON_Delete(messages);
            return e->status;
        }
    }
    gemma4_status st = g4_chat_render(messages, tools, flags, out, out_len, err);
    cJSON_Delete(messages);
    cJSON_Delete(tools);
    return st;
}
