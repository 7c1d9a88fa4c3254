/*
 * A recursive-descent JSON reader with Python's json.loads semantics (chat_json.h). Errors name the
 * byte offset and what was expected there.
 */
#include "text/chat_json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/utf8.h"

#define JP_MAX_DEPTH 256

typedef struct jparser {
    const unsigned char *s;
    size_t n, i;
    int depth;
    const char *what;
    g4_error *err;
    bool failed;
} jparser;

static cJSON *jp_fail(jparser *p, const char *expected) {
    if (!p->failed) {
        p->failed = true;
        if (p->i < p->n)
            g4_fail(p->err, GEMMA4_ERR_INVALID_ARG, "%s JSON: byte %zu: expected %s, got '%c'", p->what, p->i, expected,
                    p->s[p->i] >= 0x20 && p->s[p->i] < 0x7F ? p->s[p->i] : '?');
        else
            g4_fail(p->err, GEMMA4_ERR_INVALID_ARG, "%s JSON: byte %zu: expected %s, got the end of the text", p->what,
                    p->i, expected);
    }
    return NULL;
}

static cJSON *jp_nomem(jparser *p) {
    if (!p->failed) {
        p->failed = true;
        g4_fail(p->err, GEMMA4_ERR_NOMEM, "%s JSON: out of memory", p->what);
    }
    return NULL;
}

static bool jp_error(jparser *p, const char *expected) {
    jp_fail(p, expected);
    return false;
}

static void jp_ws(jparser *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int hexval(unsigned c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if (c >= 'a' && c <= 'f') return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return (int)(c - 'A' + 10);
    return -1;
}

static bool jp_hex4(jparser *p, uint32_t *out) {
    if (p->n - p->i < 4) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p->s[p->i + k]);
        if (h < 0) return false;
        v = v << 4 | (uint32_t)h;
    }
    p->i += 4;
    *out = v;
    return true;
}

/* Parses a string at p->i (on the opening quote) into b (NUL-terminated). */
static bool jp_string(jparser *p, g4_strbuf *b) {
    p->i++;
    for (;;) {
        if (p->i >= p->n) return jp_error(p, "'\"' to close the string");
        unsigned c = p->s[p->i];
        if (c == '"') {
            p->i++;
            if (!b->p) { /* an empty string still needs a buffer */
                g4_strbuf_put(b, "", 1);
                b->n = 0;
            }
            return true;
        }
        if (c < 0x20) return jp_error(p, "a character (control characters must be escaped in strings)");
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n) return jp_error(p, "an escape character");
            unsigned e = p->s[p->i++];
            const char *simple = NULL;
            switch (e) {
            case '"':
                simple = "\"";
                break;
            case '\\':
                simple = "\\";
                break;
            case '/':
                simple = "/";
                break;
            case 'b':
                simple = "\b";
                break;
            case 'f':
                simple = "\f";
                break;
            case 'n':
                simple = "\n";
                break;
            case 'r':
                simple = "\r";
                break;
            case 't':
                simple = "\t";
                break;
            case 'u':
                break;
            default:
                p->i--;
                return jp_error(p, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
            }
            if (simple) {
                g4_strbuf_puts(b, simple);
                continue;
            }
            uint32_t cp;
            if (!jp_hex4(p, &cp)) return jp_error(p, "4 hex digits after \\u");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
                    p->i += 2;
                    if (!jp_hex4(p, &lo)) return jp_error(p, "4 hex digits after \\u");
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        p->i -= 6;
                        return jp_error(p, "a low surrogate after a high surrogate");
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    return jp_error(p, "a low surrogate \\uDC00-\\uDFFF after a high surrogate");
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                p->i -= 6;
                return jp_error(p, "a character (a lone low surrogate cannot be encoded as UTF-8)");
            }
            if (cp == 0) {
                p->i -= 6;
                return jp_error(p, "a character other than \\u0000 (NUL is not supported)");
            }
            unsigned char u[4];
            g4_strbuf_put(b, u, g4_utf8_encode(cp, u));
            continue;
        }
        size_t len = g4_utf8_decode(p->s + p->i, p->n - p->i, NULL);
        if (len == 0) return jp_error(p, "valid UTF-8");
        g4_strbuf_put(b, p->s + p->i, len);
        p->i += len;
    }
}

static bool jp_match(jparser *p, const char *lit) {
    size_t n = strlen(lit);
    if (p->n - p->i >= n && memcmp(p->s + p->i, lit, n) == 0) {
        p->i += n;
        return true;
    }
    return false;
}

static cJSON *jp_number(jparser *p) {
    size_t start = p->i;
    if (jp_match(p, "NaN") || jp_match(p, "Infinity") || jp_match(p, "-Infinity")) goto done;
    if (p->i < p->n && p->s[p->i] == '-') p->i++;
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jp_fail(p, "a digit");
    if (p->s[p->i] == '0')
        p->i++;
    else
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jp_fail(p, "a digit after '.'");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jp_fail(p, "a digit in the exponent");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
done:;
    char lit[64];
    size_t len = p->i - start;
    char *heap = NULL, *text = lit;
    if (len >= sizeof lit) {
        heap = malloc(len + 1);
        if (!heap) return jp_nomem(p);
        text = heap;
    }
    memcpy(text, p->s + start, len);
    text[len] = '\0';
    cJSON *item = cJSON_CreateRaw(text);
    free(heap);
    return item ? item : jp_nomem(p);
}

static cJSON *jp_value(jparser *p);

static cJSON *jp_container(jparser *p, bool is_object) {
    if (++p->depth > JP_MAX_DEPTH) {
        p->failed = true;
        g4_fail(p->err, GEMMA4_ERR_INVALID_ARG, "%s JSON: byte %zu: nested deeper than %d levels", p->what, p->i,
                JP_MAX_DEPTH);
        return NULL;
    }
    p->i++;
    cJSON *c = is_object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!c) return jp_nomem(p);
    jp_ws(p);
    char close = is_object ? '}' : ']';
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        p->depth--;
        return c;
    }
    g4_strbuf key = {0};
    for (;;) {
        if (is_object) {
            jp_ws(p);
            if (p->i >= p->n || p->s[p->i] != '"') {
                jp_fail(p, "'\"' to start a key");
                goto fail;
            }
            if (!jp_string(p, &key)) goto fail;
            if (key.oom) {
                jp_nomem(p);
                goto fail;
            }
            jp_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') {
                jp_fail(p, "':' after a key");
                goto fail;
            }
            p->i++;
        }
        cJSON *v = jp_value(p);
        if (!v) goto fail;
        bool added;
        if (!is_object) added = cJSON_AddItemToArray(c, v);
        /* Python dicts: a repeated key keeps its first position and takes the last value. */
        else if (cJSON_GetObjectItemCaseSensitive(c, key.p))
            added = cJSON_ReplaceItemInObjectCaseSensitive(c, key.p, v);
        else
            added = cJSON_AddItemToObject(c, key.p, v);
        g4_strbuf_free(&key);
        if (!added) {
            cJSON_Delete(v);
            jp_nomem(p);
            goto fail;
        }
        jp_ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
            p->depth--;
            return c;
        }
        jp_fail(p, is_object ? "',' or '}'" : "',' or ']'");
        goto fail;
    }
fail:
    g4_strbuf_free(&key);
    cJSON_Delete(c);
    return NULL;
}

static cJSON *jp_value(jparser *p) {
    jp_ws(p);
    if (p->i >= p->n) return jp_fail(p, "a value");
    unsigned c = p->s[p->i];
    if (c == '{') return jp_container(p, true);
    if (c == '[') return jp_container(p, false);
    if (c == '"') {
        g4_strbuf b = {0};
        if (!jp_string(p, &b)) {
            g4_strbuf_free(&b);
            return NULL;
        }
        cJSON *item = b.oom ? NULL : cJSON_CreateString(b.p);
        g4_strbuf_free(&b);
        return item ? item : jp_nomem(p);
    }
    if (jp_match(p, "true")) return cJSON_CreateTrue();
    if (jp_match(p, "false")) return cJSON_CreateFalse();
    if (jp_match(p, "null")) return cJSON_CreateNull();
    if (c == '-' || (c >= '0' && c <= '9') || c == 'N' || c == 'I') return jp_number(p);
    return jp_fail(p, "a value");
}

cJSON *g4_chat_json_parse(const char *text, size_t len, const char *what, g4_error *err) {
    jparser p = {(const unsigned char *)text, len, 0, 0, what ? what : "input", err, false};
    if (!text) {
        g4_fail(err, GEMMA4_ERR_INVALID_ARG, "%s JSON: NULL text", p.what);
        return NULL;
    }
    cJSON *v = jp_value(&p);
    if (!v) return NULL;
    jp_ws(&p);
    if (p.i != p.n) {
        cJSON_Delete(v);
        return jp_fail(&p, "the end of the text after the value");
    }
    return v;
}
