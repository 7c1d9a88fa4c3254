/* JSON to Gemma 4 tool-call syntax (gemma_value.h). */
#include "toolcall/gemma_value.h"

#include "core/strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_cmp(const char *a, const char *b) {
    for (;; a++, b++) {
        unsigned ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') ca += 32;
        if (cb >= 'A' && cb <= 'Z') cb += 32;
        if (ca != cb || ca == 0) return (int)ca - (int)cb;
    }
}

/* The members in the template's dictsort order (stable insertion sort: objects are small, and the
 * cost stays quadratic only in the number of keys of one object). */
static const cJSON **sorted_members(const cJSON *obj, size_t *count) {
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next) n++;
    const cJSON **a = malloc((n ? n : 1) * sizeof *a);
    if (!a) return NULL;
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next, i++) {
        size_t j = i;
        while (j > 0 && key_cmp(a[j - 1]->string, c->string) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = c;
    }
    *count = n;
    return a;
}

static void number(g4_strbuf *b, double d) {
    char t[40];
    if (!isfinite(d))
        snprintf(t, sizeof t, "null"); /* JSON has no inf/nan; cJSON does not produce them */
    else if (d == floor(d) && fabs(d) < 9007199254740992.0)
        snprintf(t, sizeof t, "%.0f", d == 0 ? 0.0 : d);
    else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(t, sizeof t, "%.*g", prec, d);
            if (strtod(t, NULL) == d) break;
        }
    }
    g4_strbuf_puts(b, t);
}

static void value(g4_strbuf *b, const cJSON *v, bool quote_keys);

static void members(g4_strbuf *b, const cJSON *obj, bool quote_keys) {
    size_t n;
    const cJSON **m = sorted_members(obj, &n);
    if (!m) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i) g4_strbuf_put(b, ",", 1);
        if (quote_keys) g4_strbuf_puts(b, "<|\"|>");
        g4_strbuf_puts(b, m[i]->string);
        if (quote_keys) g4_strbuf_puts(b, "<|\"|>");
        g4_strbuf_put(b, ":", 1);
        value(b, m[i], quote_keys);
    }
    free(m);
}

static void value(g4_strbuf *b, const cJSON *v, bool quote_keys) {
    if (cJSON_IsString(v)) {
        g4_strbuf_puts(b, "<|\"|>");
        g4_strbuf_puts(b, v->valuestring);
        g4_strbuf_puts(b, "<|\"|>");
    } else if (cJSON_IsTrue(v))
        g4_strbuf_puts(b, "true");
    else if (cJSON_IsFalse(v))
        g4_strbuf_puts(b, "false");
    else if (cJSON_IsNull(v))
        g4_strbuf_puts(b, "None");
    else if (cJSON_IsNumber(v))
        number(b, v->valuedouble);
    else if (cJSON_IsRaw(v))
        g4_strbuf_puts(b, v->valuestring);
    else if (cJSON_IsObject(v)) {
        g4_strbuf_put(b, "{", 1);
        members(b, v, quote_keys);
        g4_strbuf_put(b, "}", 1);
    } else if (cJSON_IsArray(v)) {
        g4_strbuf_put(b, "[", 1);
        for (const cJSON *e = v->child; e; e = e->next) {
            if (e != v->child) g4_strbuf_put(b, ",", 1);
            value(b, e, quote_keys);
        }
        g4_strbuf_put(b, "]", 1);
    }
}

char *g4_tc_format_value(const cJSON *v, bool quote_keys) {
    g4_strbuf b = {0};
    value(&b, v, quote_keys);
    return g4_strbuf_finish(&b);
}

char *g4_tc_format_call(const char *name, const cJSON *arguments) {
    if (!name || !cJSON_IsObject(arguments)) return NULL;
    g4_strbuf b = {0};
    g4_strbuf_puts(&b, "<|tool_call>call:");
    g4_strbuf_puts(&b, name);
    g4_strbuf_put(&b, "{", 1);
    members(&b, arguments, false);
    g4_strbuf_puts(&b, "}<tool_call|>");
    return g4_strbuf_finish(&b);
}

char *g4_tc_format_response(const char *name, const cJSON *response) {
    if (!name) return NULL;
    g4_strbuf b = {0};
    g4_strbuf_puts(&b, "<|tool_response>response:");
    g4_strbuf_puts(&b, name);
    g4_strbuf_put(&b, "{", 1);
    if (cJSON_IsObject(response))
        members(&b, response, false);
    else {
        g4_strbuf_puts(&b, "value:");
        value(&b, response, false);
    }
    g4_strbuf_puts(&b, "}<tool_response|>");
    return g4_strbuf_finish(&b);
}
