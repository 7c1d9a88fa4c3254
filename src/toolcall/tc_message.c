/* Parser events to an OpenAI assistant message (see tc_message.h). */
#include "toolcall/tc_message.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tbuf {
    char *p;
    size_t n, cap;
} tbuf;

static bool tb_put(tbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) {
            if (cap > SIZE_MAX / 2) return false;
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) return false;
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
    return true;
}

static void tb_clear(tbuf *b) {
    if (b->p) b->p[0] = '\0';
    b->n = 0;
}

struct g4_tc_builder {
    tbuf content, reasoning, thought, name, key, scalar;
    cJSON *calls;                      /* array of finished calls */
    cJSON *args;                       /* the arguments object of the call being read */
    cJSON *stack[G4_TC_MAX_DEPTH + 1]; /* open containers; stack[0] is args */
    int depth;
    uint64_t key_pos;
    bool key_pending; /* a key was read and waits for its value */
    int ncalls;
    g4_error err;
};

g4_tc_builder *g4_tc_builder_new(void) {
    g4_tc_builder *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->calls = cJSON_CreateArray();
    if (!b->calls || !tb_put(&b->content, "", 0) || !tb_put(&b->reasoning, "", 0)) {
        g4_tc_builder_free(b);
        return NULL;
    }
    return b;
}

void g4_tc_builder_free(g4_tc_builder *b) {
    if (!b) return;
    tbuf *bufs[] = {&b->content, &b->reasoning, &b->thought, &b->name, &b->key, &b->scalar};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]->p);
    cJSON_Delete(b->calls);
    cJSON_Delete(b->args);
    free(b);
}

const g4_error *g4_tc_builder_error(const g4_tc_builder *b) {
    return &b->err;
}

static int nomem(g4_tc_builder *b) {
    g4_fail(&b->err, GEMMA4_ERR_NOMEM, "tool-call parser: out of memory");
    return 1;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends s without its surrounding ASCII whitespace, separated from what is there by sep. */
static bool put_trimmed(tbuf *dst, const char *s, size_t n, const char *sep) {
    while (n && is_space(*s)) s++, n--;
    while (n && is_space(s[n - 1])) n--;
    if (!n) return true;
    if (dst->n && !tb_put(dst, sep, strlen(sep))) return false;
    return tb_put(dst, s, n);
}

/* Places a finished value in the open container (under the pending key in an object). */
static int attach(g4_tc_builder *b, cJSON *v) {
    if (!v) return nomem(b);
    cJSON *parent = b->depth ? b->stack[b->depth - 1] : NULL;
    if (!parent) {
        cJSON_Delete(v);
        g4_fail(&b->err, GEMMA4_ERR_INTERNAL, "tool-call parser: value outside arguments");
        return 1;
    }
    bool ok;
    if (cJSON_IsObject(parent)) {
        ok = b->key_pending && cJSON_AddItemToObject(parent, b->key.p ? b->key.p : "", v);
        b->key_pending = false;
        tb_clear(&b->key);
    } else {
        ok = cJSON_AddItemToArray(parent, v);
    }
    if (!ok) {
        cJSON_Delete(v);
        return nomem(b);
    }
    return 0;
}

static int finish_call(g4_tc_builder *b) {
    char *args = cJSON_PrintUnformatted(b->args);
    if (!args) return nomem(b);
    char id[32];
    snprintf(id, sizeof id, "call_%d", b->ncalls);
    cJSON *call = cJSON_CreateObject(), *fn = cJSON_CreateObject();
    bool ok = call && fn && cJSON_AddStringToObject(call, "id", id) &&
              cJSON_AddStringToObject(call, "type", "function") &&
              cJSON_AddStringToObject(fn, "name", b->name.p ? b->name.p : "") &&
              cJSON_AddStringToObject(fn, "arguments", args);
    cJSON_free(args);
    if (ok && cJSON_AddItemToObject(call, "function", fn))
        fn = NULL;
    else
        ok = false;
    if (ok && !cJSON_AddItemToArray(b->calls, call)) ok = false;
    cJSON_Delete(fn);
    if (!ok) {
        cJSON_Delete(call);
        return nomem(b);
    }
    cJSON_Delete(b->args);
    b->args = NULL;
    b->ncalls++;
    return 0;
}

int g4_tc_builder_sink(void *user, g4_tc_event ev, const char *bytes, size_t len, uint64_t pos) {
    g4_tc_builder *b = user;
    switch (ev) {
    case G4_TC_TEXT:
        return tb_put(&b->content, bytes, len) ? 0 : nomem(b);
    case G4_TC_THOUGHT_BEGIN:
        tb_clear(&b->thought);
        return tb_put(&b->thought, "", 0) ? 0 : nomem(b);
    case G4_TC_THOUGHT:
        return tb_put(&b->thought, bytes, len) ? 0 : nomem(b);
    case G4_TC_THOUGHT_END:
        return put_trimmed(&b->reasoning, b->thought.p ? b->thought.p : "", b->thought.n, "\n") ? 0 : nomem(b);
    case G4_TC_CALL_BEGIN:
        tb_clear(&b->name);
        b->depth = 0;
        b->key_pending = false;
        return 0;
    case G4_TC_NAME:
        return tb_put(&b->name, bytes, len) ? 0 : nomem(b);
    case G4_TC_OBJECT_BEGIN:
    case G4_TC_ARRAY_BEGIN: {
        cJSON *c = ev == G4_TC_OBJECT_BEGIN ? cJSON_CreateObject() : cJSON_CreateArray();
        if (!c) return nomem(b);
        if (b->depth == 0) {
            cJSON_Delete(b->args);
            b->args = c;
        } else if (attach(b, c)) {
            return 1;
        }
        b->stack[b->depth++] = c;
        return 0;
    }
    case G4_TC_OBJECT_END:
    case G4_TC_ARRAY_END:
        b->depth--;
        return 0;
    case G4_TC_KEY:
        if (b->key.n == 0) b->key_pos = pos;
        return tb_put(&b->key, bytes, len) ? 0 : nomem(b);
    case G4_TC_KEY_END:
        if (b->key.n == 0) b->key_pos = pos;
        if (!tb_put(&b->key, "", 0)) return nomem(b);
        if (cJSON_GetObjectItemCaseSensitive(b->stack[b->depth - 1], b->key.p)) {
            g4_fail(&b->err, GEMMA4_ERR_FORMAT, "byte %llu: key '%.40s' appears twice in the arguments of '%.64s'",
                    (unsigned long long)b->key_pos, b->key.p, b->name.p ? b->name.p : "");
            return 1;
        }
        b->key_pending = true;
        return 0;
    case G4_TC_STRING_BEGIN:
        tb_clear(&b->scalar);
        return tb_put(&b->scalar, "", 0) ? 0 : nomem(b);
    case G4_TC_NUMBER: /* a number has no BEGIN: scalar is empty after the previous value */
    case G4_TC_STRING:
        return tb_put(&b->scalar, bytes, len) ? 0 : nomem(b);
    case G4_TC_STRING_END: {
        int r = attach(b, cJSON_CreateString(b->scalar.p));
        tb_clear(&b->scalar);
        return r;
    }
    case G4_TC_NUMBER_END: {
        /* Raw keeps the literal: big integers and trailing zeros survive the trip to JSON text. */
        int r = attach(b, cJSON_CreateRaw(b->scalar.p));
        tb_clear(&b->scalar);
        return r;
    }
    case G4_TC_TRUE:
        return attach(b, cJSON_CreateTrue());
    case G4_TC_FALSE:
        return attach(b, cJSON_CreateFalse());
    case G4_TC_NULL:
        return attach(b, cJSON_CreateNull());
    case G4_TC_CALL_END:
        return finish_call(b);
    case G4_TC_END_OF_TURN:
        return 0;
    }
    return 0;
}

cJSON *g4_tc_builder_message(const g4_tc_builder *b) {
    cJSON *m = cJSON_CreateObject();
    if (!m) return NULL;
    tbuf content = {0};
    bool ok = cJSON_AddStringToObject(m, "role", "assistant") != NULL;
    ok = ok && put_trimmed(&content, b->content.p ? b->content.p : "", b->content.n, "");
    bool has_calls = cJSON_GetArraySize(b->calls) > 0;
    if (ok) {
        if (content.n == 0 && has_calls)
            ok = cJSON_AddNullToObject(m, "content") != NULL;
        else
            ok = cJSON_AddStringToObject(m, "content", content.p ? content.p : "") != NULL;
    }
    free(content.p);
    if (ok && b->reasoning.n) ok = cJSON_AddStringToObject(m, "reasoning_content", b->reasoning.p) != NULL;
    if (ok && has_calls) {
        cJSON *calls = cJSON_Duplicate(b->calls, true);
        ok = calls && cJSON_AddItemToObject(m, "tool_calls", calls);
        if (!ok) cJSON_Delete(calls);
    }
    if (!ok) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

gemma4_status g4_tc_parse(const char *text, size_t len, unsigned flags, cJSON **message, g4_error *err) {
    if (message) *message = NULL;
    if (!message || (!text && len)) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tool-call parser: NULL argument");
    g4_tc_builder *b = g4_tc_builder_new();
    if (!b) return g4_fail(err, GEMMA4_ERR_NOMEM, "tool-call parser: out of memory");
    g4_tc_parser p;
    g4_tc_parser_init(&p, flags, g4_tc_builder_sink, b);
    bool ok = g4_tc_parser_feed(&p, text ? text : "", len) && g4_tc_parser_finish(&p);
    gemma4_status st = GEMMA4_OK;
    if (!ok) {
        if (g4_tc_parser_error_kind(&p) == G4_TC_ERR_SINK) {
            st = g4_fail(err, b->err.status, "%s", b->err.msg);
        } else {
            char msg[G4_ERROR_MAX];
            g4_tc_parser_error(&p, msg, sizeof msg);
            st = g4_fail(err, GEMMA4_ERR_FORMAT, "%s", msg);
        }
    } else {
        *message = g4_tc_builder_message(b);
        if (!*message) st = g4_fail(err, GEMMA4_ERR_NOMEM, "tool-call parser: out of memory");
    }
    g4_tc_builder_free(b);
    return st;
}
