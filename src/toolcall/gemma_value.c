/* JSON to Gemma 4 tool-call syntax (gemma_value.h). */
#include "toolcall/gemma_value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct obuf {
    char *p;
    size_t n, cap;
    bool oom;
} obuf;

static void put(obuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(obuf *b, const char *s) {
    put(b, s, strlen(s));
}

static char *done(obuf *b) {
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    if (!b->p) put(b, "", 0);
    return b->oom ? NULL : b->p;
}

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

static void number(obuf *b, double d) {
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
    puts_(b, t);
}

static void value(obuf *b, const cJSON *v, bool quote_keys);

static void members(obuf *b, const cJSON *obj, bool quote_keys) {
    size_t n;
    const cJSON **m = sorted_members(obj, &n);
    if (!m) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i) put(b, ",", 1);
        if (quote_keys) puts_(b, "<|\"|>");
        puts_(b, m[i]->string);
        if (quote_keys) puts_(b, "<|\"|>");
        put(b, ":", 1);
        value(b, m[i], quote_keys);
    }
    free(m);
}

static void value(obuf *b, const cJSON *v, bool quote_keys) {
    if (cJSON_IsString(v)) {
        puts_(b, "<|\"|>");
        puts_(b, v->valuestring);
        puts_(b, "<|\"|>");
    } else if (cJSON_IsTrue(v))
        puts_(b, "true");
    else if (cJSON_IsFalse(v))
        puts_(b, "false");
    else if (cJSON_IsNull(v))
        puts_(b, "None");
    else if (cJSON_IsNumber(v))
        number(b, v->valuedouble);
    else if (cJSON_IsRaw(v))
        puts_(b, v->valuestring);
    else if (cJSON_IsObject(v)) {
        put(b, "{", 1);
        members(b, v, quote_keys);
        put(b, "}", 1);
    } else if (cJSON_IsArray(v)) {
        put(b, "[", 1);
        for (const cJSON *e = v->child; e; e = e->next) {
            if (e != v->child) put(b, ",", 1);
            value(b, e, quote_keys);
        }
        put(b, "]", 1);
    }
}

char *g4_tc_format_value(const cJSON *v, bool quote_keys) {
    obuf b = {0};
    value(&b, v, quote_keys);
    return done(&b);
}

char *g4_tc_format_call(const char *name, const cJSON *arguments) {
    if (!name || !cJSON_IsObject(arguments)) return NULL;
    obuf b = {0};
    puts_(&b, "<|tool_call>call:");
    puts_(&b, name);
    put(&b, "{", 1);
    members(&b, arguments, false);
    puts_(&b, "}<tool_call|>");
    return done(&b);
}

char *g4_tc_format_response(const char *name, const cJSON *response) {
    if (!name) return NULL;
    obuf b = {0};
    puts_(&b, "<|tool_response>response:");
    puts_(&b, name);
    put(&b, "{", 1);
    if (cJSON_IsObject(response))
        members(&b, response, false);
    else {
        puts_(&b, "value:");
        value(&b, response, false);
    }
    puts_(&b, "}<tool_response|>");
    return done(&b);
}
