/*
 * The Gemma 4 value writer (gemma_value.h): the template's format_argument macro, and the call and
 * response blocks built from it.
 */
#include "text/gemma_value.h"

#include <stdlib.h>

#include "text/py_value.h"

#define QUOTE "<|\"|>"

static bool out_of_memory(g4_strbuf *b) {
    b->oom = true;
    return false;
}

bool g4_gemma_write_members(g4_strbuf *b, const cJSON *obj, bool quote_keys) {
    size_t n;
    const cJSON **kv = g4_py_dictsort(obj, &n);
    if (!kv) return out_of_memory(b);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        if (i) g4_strbuf_put(b, ",", 1);
        if (quote_keys) g4_strbuf_puts(b, QUOTE);
        g4_strbuf_puts(b, kv[i]->string);
        if (quote_keys) g4_strbuf_puts(b, QUOTE);
        g4_strbuf_put(b, ":", 1);
        ok = g4_gemma_write_value(b, kv[i], quote_keys);
    }
    free(kv);
    return ok;
}

bool g4_gemma_write_value(g4_strbuf *b, const cJSON *v, bool quote_keys) {
    switch (g4_py_type(v)) {
    case cJSON_String:
        g4_strbuf_puts(b, QUOTE);
        g4_strbuf_puts(b, v->valuestring);
        g4_strbuf_puts(b, QUOTE);
        return true;
    case cJSON_True:
        g4_strbuf_puts(b, "true");
        return true;
    case cJSON_False:
        g4_strbuf_puts(b, "false");
        return true;
    case cJSON_Object: {
        g4_strbuf_put(b, "{", 1);
        bool ok = g4_gemma_write_members(b, v, quote_keys);
        g4_strbuf_put(b, "}", 1);
        return ok;
    }
    case cJSON_Array:
    case cJSON_Invalid: /* Undefined passes Jinja's "sequence" test and iterates as empty */
        g4_strbuf_put(b, "[", 1);
        for (const cJSON *e = v ? v->child : NULL; e; e = e->next) {
            if (e != v->child) g4_strbuf_put(b, ",", 1);
            if (!g4_gemma_write_value(b, e, quote_keys)) return false;
        }
        g4_strbuf_put(b, "]", 1);
        return true;
    default:
        g4_py_str(b, v); /* numbers and None print as Python's str() */
        return true;
    }
}

bool g4_gemma_write_call(g4_strbuf *b, const char *name, const cJSON *arguments) {
    g4_strbuf_puts(b, "<|tool_call>call:");
    g4_strbuf_puts(b, name);
    g4_strbuf_put(b, "{", 1);
    bool ok = true;
    if (g4_py_is_obj(arguments))
        ok = g4_gemma_write_members(b, arguments, false);
    else if (g4_py_is_str(arguments))
        g4_strbuf_puts(b, arguments->valuestring);
    g4_strbuf_puts(b, "}<tool_call|>");
    return ok;
}

bool g4_gemma_write_response(g4_strbuf *b, const char *name, const cJSON *response) {
    g4_strbuf_puts(b, "<|tool_response>response:");
    g4_strbuf_puts(b, name);
    g4_strbuf_put(b, "{", 1);
    bool ok;
    if (g4_py_is_obj(response)) {
        ok = g4_gemma_write_members(b, response, false);
    } else {
        g4_strbuf_puts(b, "value:");
        ok = g4_gemma_write_value(b, response, false);
    }
    g4_strbuf_puts(b, "}<tool_response|>");
    return ok;
}

char *g4_gemma_format_value(const cJSON *v, bool quote_keys) {
    g4_strbuf b = {0};
    g4_gemma_write_value(&b, v, quote_keys);
    return g4_strbuf_finish(&b);
}

char *g4_gemma_format_call(const char *name, const cJSON *arguments) {
    if (!name || !g4_py_is_obj(arguments)) return NULL;
    g4_strbuf b = {0};
    g4_gemma_write_call(&b, name, arguments);
    return g4_strbuf_finish(&b);
}

char *g4_gemma_format_response(const char *name, const cJSON *response) {
    if (!name) return NULL;
    g4_strbuf b = {0};
    g4_gemma_write_response(&b, name, response);
    return g4_strbuf_finish(&b);
}
