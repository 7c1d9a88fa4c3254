/*
 * The Gemma 4 chat template (google-gemma-4-31B-it.jinja) rendered in C.
 *
 * The functions below follow the template's macros one to one (format_parameters,
 * format_function_declaration, format_argument, strip_thinking, format_tool_response_block and the
 * main message loop), so a reader can hold this file next to the .jinja. What the template gets from
 * Python and Jinja2 is emulated in the "Python values" section: a missing key is Jinja's Undefined
 * (NULL here) which prints as "" but fails when indexed or added to a string; None prints "None";
 * floats print the way repr() does; trim strips Unicode whitespace; dictsort ignores case.
 */
#include "text/chat_template.h"

#include "core/strbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* UTF-8                                                                                           */
/* ---------------------------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (1..4) and its code point, or 0 if malformed. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    if (n == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

static void utf8_encode(g4_strbuf *b, uint32_t cp) {
    unsigned char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    for (size_t i = n - 1; i > 0; i--) {
        u[i] = (unsigned char)(0x80 | (cp & 0x3F));
        cp >>= 6;
    }
    u[0] = (unsigned char)(lead[n] | cp);
    g4_strbuf_put(b, u, n);
}

/* ---------------------------------------------------------------------------------------------- */
/* JSON text to a tree with Python's json.loads semantics                                          */
/* ---------------------------------------------------------------------------------------------- */

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
            utf8_encode(b, cp);
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(p->s + p->i, p->n - p->i, &cp);
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

/* ---------------------------------------------------------------------------------------------- */
/* Python values: truthiness, str(), repr(), strip(), upper(), dictsort                             */
/* ---------------------------------------------------------------------------------------------- */

/* Undefined (a missing key) is NULL; JSON null is None. */
static int jtype(const cJSON *v) {
    return v ? (v->type & 0xFF) : cJSON_Invalid;
}
static bool is_num(const cJSON *v) {
    return jtype(v) == cJSON_Number || jtype(v) == cJSON_Raw;
}
static bool is_str(const cJSON *v) {
    return jtype(v) == cJSON_String;
}
static bool is_obj(const cJSON *v) {
    return jtype(v) == cJSON_Object;
}
static bool is_arr(const cJSON *v) {
    return jtype(v) == cJSON_Array;
}
static bool is_none(const cJSON *v) {
    return jtype(v) == cJSON_NULL;
}

/* Jinja's obj[key]: the member if obj is a mapping that has it, otherwise Undefined. */
static const cJSON *jget(const cJSON *obj, const char *key) {
    return is_obj(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static bool str_eq(const cJSON *v, const char *s) {
    return is_str(v) && strcmp(v->valuestring, s) == 0;
}

/* A number's literal is a float in Python when it has a fraction, an exponent or is NaN/Infinity. */
static bool raw_is_float(const char *lit) {
    return strpbrk(lit, ".eEIN") != NULL;
}

static double num_value(const cJSON *v) {
    return jtype(v) == cJSON_Raw ? strtod(v->valuestring, NULL) : v->valuedouble;
}

static bool py_truthy(const cJSON *v) {
    switch (jtype(v)) {
    case cJSON_True:
        return true;
    case cJSON_Number:
    case cJSON_Raw: {
        double d = num_value(v);
        return d != 0 || isnan(d);
    }
    case cJSON_String:
        return v->valuestring[0] != '\0';
    case cJSON_Array:
    case cJSON_Object:
        return v->child != NULL;
    default:
        return false; /* Undefined, None, False */
    }
}

/* repr(float): the shortest digits that read back to the same double, printed fixed for
 * 1e-4 <= |x| < 1e16 (with ".0" when integral) and as d.ddde+XX otherwise. */
static void py_float(g4_strbuf *b, double x) {
    if (isnan(x)) return g4_strbuf_puts(b, "nan");
    if (isinf(x)) return g4_strbuf_puts(b, x < 0 ? "-inf" : "inf");
    if (x == 0) return g4_strbuf_puts(b, signbit(x) ? "-0.0" : "0.0");
    char e[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, x);
        if (strtod(e, NULL) == x) break;
    }
    /* e is "[-]d[.ddd]e[+-]XX" */
    const char *q = e;
    if (*q == '-') g4_strbuf_put(b, q++, 1);
    char digits[24];
    size_t nd = 0;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') digits[nd++] = *q;
    int exp10 = atoi(q + 1);
    int decpt = exp10 + 1;
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            g4_strbuf_puts(b, "0.");
            for (int k = 0; k < -decpt; k++) g4_strbuf_put(b, "0", 1);
            g4_strbuf_put(b, digits, nd);
        } else if ((size_t)decpt >= nd) {
            g4_strbuf_put(b, digits, nd);
            for (size_t k = nd; k < (size_t)decpt; k++) g4_strbuf_put(b, "0", 1);
            g4_strbuf_puts(b, ".0");
        } else {
            g4_strbuf_put(b, digits, (size_t)decpt);
            g4_strbuf_put(b, ".", 1);
            g4_strbuf_put(b, digits + decpt, nd - (size_t)decpt);
        }
    } else {
        g4_strbuf_put(b, digits, 1);
        if (nd > 1) {
            g4_strbuf_put(b, ".", 1);
            g4_strbuf_put(b, digits + 1, nd - 1);
        }
        char ex[16];
        snprintf(ex, sizeof ex, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        g4_strbuf_puts(b, ex);
    }
}

static void py_number(g4_strbuf *b, const cJSON *v) {
    if (jtype(v) == cJSON_Raw) {
        const char *lit = v->valuestring;
        if (raw_is_float(lit)) return py_float(b, strtod(lit, NULL));
        if (strcmp(lit, "-0") == 0) return g4_strbuf_puts(b, "0");
        return g4_strbuf_puts(b, lit); /* Python ints are exact at any size */
    }
    double d = v->valuedouble;
    if (d == floor(d) && fabs(d) < 9007199254740992.0) {
        char t[32];
        snprintf(t, sizeof t, "%.0f", d == 0 ? 0.0 : d);
        return g4_strbuf_puts(b, t);
    }
    py_float(b, d);
}

static bool py_isspace(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* str.isprintable() for the characters a repr meets; exact for ASCII and Latin-1, the usual
 * invisible characters beyond that. */
static bool py_isprintable(uint32_t c) {
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x7F) return true;
    if (c <= 0xA0 || c == 0xAD) return false;
    if (c == 0x1680 || (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) ||
        c == 0x3000 || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000)
        return false;
    return true;
}

static void py_repr_str(g4_strbuf *b, const char *s) {
    char quote = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
    g4_strbuf_put(b, &quote, 1);
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(u + i, n - i, &cp);
        if (len == 0) cp = u[i], len = 1; /* not reachable for parsed input */
        char esc[16];
        if (cp == '\\' || cp == (uint32_t)quote) {
            esc[0] = '\\', esc[1] = (char)cp;
            g4_strbuf_put(b, esc, 2);
        } else if (cp == '\t')
            g4_strbuf_puts(b, "\\t");
        else if (cp == '\n')
            g4_strbuf_puts(b, "\\n");
        else if (cp == '\r')
            g4_strbuf_puts(b, "\\r");
        else if (py_isprintable(cp))
            g4_strbuf_put(b, u + i, len);
        else {
            if (cp < 0x100)
                snprintf(esc, sizeof esc, "\\x%02x", cp);
            else if (cp < 0x10000)
                snprintf(esc, sizeof esc, "\\u%04x", cp);
            else
                snprintf(esc, sizeof esc, "\\U%08x", cp);
            g4_strbuf_puts(b, esc);
        }
        i += len;
    }
    g4_strbuf_put(b, &quote, 1);
}

static void py_repr(g4_strbuf *b, const cJSON *v);

static void py_str(g4_strbuf *b, const cJSON *v) {
    switch (jtype(v)) {
    case cJSON_Invalid:
        return; /* Undefined prints as nothing */
    case cJSON_NULL:
        return g4_strbuf_puts(b, "None");
    case cJSON_True:
        return g4_strbuf_puts(b, "True");
    case cJSON_False:
        return g4_strbuf_puts(b, "False");
    case cJSON_Number:
    case cJSON_Raw:
        return py_number(b, v);
    case cJSON_String:
        return g4_strbuf_puts(b, v->valuestring);
    default:
        return py_repr(b, v);
    }
}

static void py_repr(g4_strbuf *b, const cJSON *v) {
    switch (jtype(v)) {
    case cJSON_String:
        return py_repr_str(b, v->valuestring);
    case cJSON_Array:
    case cJSON_Object: {
        bool obj = is_obj(v);
        g4_strbuf_put(b, obj ? "{" : "[", 1);
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child) g4_strbuf_puts(b, ", ");
            if (obj) {
                py_repr_str(b, c->string);
                g4_strbuf_puts(b, ": ");
            }
            py_repr(b, c);
        }
        g4_strbuf_put(b, obj ? "}" : "]", 1);
        return;
    }
    default:
        return py_str(b, v);
    }
}

/* str.strip(): the [start, start+len) range of s without Unicode whitespace at either end. */
static void py_strip(const char *s, size_t n, size_t *start, size_t *len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t a = 0, z = n;
    while (a < z) {
        uint32_t cp;
        size_t l = utf8_decode(u + a, z - a, &cp);
        if (l == 0 || !py_isspace(cp)) break;
        a += l;
    }
    while (z > a) {
        size_t k = z - 1;
        while (k > a && (u[k] & 0xC0) == 0x80) k--;
        uint32_t cp;
        size_t l = utf8_decode(u + k, z - k, &cp);
        if (l != z - k || !py_isspace(cp)) break;
        z = k;
    }
    *start = a;
    *len = z - a;
}

static void put_stripped(g4_strbuf *b, const char *s, size_t n) {
    size_t a, len;
    py_strip(s, n, &a, &len);
    g4_strbuf_put(b, s + a, len);
}

static void ascii_upper(char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'a' && s[i] <= 'z') s[i] = (char)(s[i] - 'a' + 'A');
}

/* dictsort's key: the key lower-cased (ASCII), compared by code point (= UTF-8 byte order). */
static int key_cmp_ci(const char *a, const char *b) {
    for (;; a++, b++) {
        unsigned ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') ca += 32;
        if (cb >= 'A' && cb <= 'Z') cb += 32;
        if (ca != cb || ca == 0) return (int)ca - (int)cb;
    }
}

/* The members of an object in dictsort order (stable merge sort, as Python's sorted()). */
static const cJSON **dictsort(const cJSON *obj, size_t *count) {
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next) n++;
    *count = n;
    const cJSON **a = malloc((n ? n : 1) * 2 * sizeof *a);
    if (!a) return NULL;
    size_t i = 0;
    for (const cJSON *c = obj->child; c; c = c->next) a[i++] = c;
    const cJSON **tmp = a + n;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, k = lo;
            while (x < mid && y < hi) tmp[k++] = key_cmp_ci(a[y]->string, a[x]->string) < 0 ? a[y++] : a[x++];
            while (x < mid) tmp[k++] = a[x++];
            while (y < hi) tmp[k++] = a[y++];
        }
        memcpy(a, tmp, n * sizeof *a);
    }
    return a;
}

/* ---------------------------------------------------------------------------------------------- */
/* Rendering                                                                                       */
/* ---------------------------------------------------------------------------------------------- */

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
    if (is_arr(v) || is_obj(v)) {
        for (const cJSON *e = v->child; e; e = e->next) {
            g4_strbuf item = {0};
            if (is_obj(v))
                g4_strbuf_puts(&item, e->string);
            else
                py_str(&item, e);
            if (item.oom) return g4_strbuf_free(&item), nomem(c);
            bool ok = fn(c, dst, item.p ? item.p : "", item.n, first, user);
            g4_strbuf_free(&item);
            if (!ok) return false;
            first = false;
        }
        return true;
    }
    if (is_str(v)) {
        const unsigned char *u = (const unsigned char *)v->valuestring;
        size_t n = strlen(v->valuestring);
        for (size_t i = 0; i < n;) {
            uint32_t cp;
            size_t l = utf8_decode(u + i, n - i, &cp);
            if (l == 0) l = 1;
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
    if (upper && !dst->oom) ascii_upper(dst->p + at, n);
    g4_strbuf_puts(dst, "<|\"|>");
    return true;
}

/* format_argument(argument, escape_keys) */
static bool format_argument(render_ctx *c, g4_strbuf *b, const cJSON *v, bool escape_keys) {
    switch (jtype(v)) {
    case cJSON_String:
        g4_strbuf_puts(b, "<|\"|>");
        g4_strbuf_puts(b, v->valuestring);
        g4_strbuf_puts(b, "<|\"|>");
        return true;
    case cJSON_True:
        g4_strbuf_puts(b, "true");
        return true;
    case cJSON_False:
        g4_strbuf_puts(b, "false");
        return true;
    case cJSON_Object: {
        size_t n;
        const cJSON **kv = dictsort(v, &n);
        if (!kv) return nomem(c);
        g4_strbuf_put(b, "{", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) g4_strbuf_put(b, ",", 1);
            if (escape_keys) g4_strbuf_puts(b, "<|\"|>");
            g4_strbuf_puts(b, kv[i]->string);
            if (escape_keys) g4_strbuf_puts(b, "<|\"|>");
            g4_strbuf_put(b, ":", 1);
            if (!format_argument(c, b, kv[i], escape_keys)) return free(kv), false;
        }
        g4_strbuf_put(b, "}", 1);
        free(kv);
        return true;
    }
    case cJSON_Array:
    case cJSON_Invalid: /* Undefined passes Jinja's "sequence" test and iterates as empty */
        g4_strbuf_put(b, "[", 1);
        for (const cJSON *e = v ? v->child : NULL; e; e = e->next) {
            if (e != v->child) g4_strbuf_put(b, ",", 1);
            if (!format_argument(c, b, e, escape_keys)) return false;
        }
        g4_strbuf_put(b, "]", 1);
        return true;
    default:
        py_str(b, v);
        return true; /* numbers, None */
    }
}

/* str(value) | upper into a fresh buffer. */
static bool upper_str(render_ctx *c, g4_strbuf *t, const cJSON *v) {
    py_str(t, v);
    if (t->oom) return nomem(c);
    if (t->p) ascii_upper(t->p, t->n);
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
    const cJSON **kv = dictsort(items, &n);
    if (!kv) return nomem(c);
    bool ok = true, first = true;
    g4_strbuf_puts(b, "items:{");
    for (size_t i = 0; ok && i < n; i++) {
        const cJSON *iv = kv[i];
        const char *ik = iv->string;
        if (is_none(iv)) continue;
        if (!first) g4_strbuf_put(b, ",", 1);
        first = false;
        if (!strcmp(ik, "properties")) {
            g4_strbuf_puts(b, "properties:{");
            if (is_obj(iv)) ok = format_parameters(c, b, iv);
            g4_strbuf_put(b, "}", 1);
        } else if (!strcmp(ik, "required")) {
            g4_strbuf_puts(b, "required:[");
            ok = py_iter_str(c, b, iv, put_quoted_item, NULL, "items.required");
            g4_strbuf_put(b, "]", 1);
        } else if (!strcmp(ik, "type")) {
            g4_strbuf_puts(b, "type:");
            if (is_str(iv)) {
                g4_strbuf t = {0};
                ok = upper_str(c, &t, iv);
                g4_strbuf_puts(b, "<|\"|>");
                g4_strbuf_put(b, t.p, t.n);
                g4_strbuf_puts(b, "<|\"|>");
                g4_strbuf_free(&t);
            } else if (is_arr(iv) || is_obj(iv)) {
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
    if (!is_obj(properties)) return fail(c, "a schema's properties is not an object");
    size_t n;
    const cJSON **kv = dictsort(properties, &n);
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
        const cJSON *desc = jget(value, "description");
        if (py_truthy(desc)) {
            g4_strbuf_puts(b, "description:<|\"|>");
            py_str(b, desc);
            g4_strbuf_puts(b, "<|\"|>");
            add_comma = true;
        }
        g4_strbuf type = {0};
        if (!upper_str(c, &type, jget(value, "type"))) {
            ok = false;
            break;
        }
        if (t_eq(&type, "STRING")) {
            const cJSON *en = jget(value, "enum");
            if (py_truthy(en)) {
                comma(b, &add_comma);
                g4_strbuf_puts(b, "enum:");
                ok = format_argument(c, b, en, true);
            }
        } else if (t_eq(&type, "ARRAY")) {
            const cJSON *items = jget(value, "items");
            if (is_obj(items) && py_truthy(items)) {
                comma(b, &add_comma);
                ok = format_items(c, b, items);
            }
        }
        if (ok && py_truthy(jget(value, "nullable"))) {
            comma(b, &add_comma);
            g4_strbuf_puts(b, "nullable:true");
        }
        if (ok && t_eq(&type, "OBJECT")) {
            const cJSON *props = jget(value, "properties");
            const cJSON *target = is_obj(props) ? props : is_obj(value) ? value : NULL;
            if (target) {
                comma(b, &add_comma);
                g4_strbuf_puts(b, "properties:{");
                ok = format_parameters(c, b, target);
                g4_strbuf_put(b, "}", 1);
            }
            const cJSON *req = jget(value, "required");
            if (ok && py_truthy(req)) {
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
    if (is_obj(fn))
        *out = jget(fn, "response") != NULL;
    else if (is_str(fn))
        *out = strstr(fn->valuestring, "response") != NULL;
    else if (is_arr(fn)) {
        for (const cJSON *e = fn->child; e; e = e->next)
            if (str_eq(e, "response")) *out = true;
    } else
        return fail(c, "a tool's \"function\" is not an object");
    return true;
}

/* format_function_declaration(tool) | trim */
static bool format_function_declaration(render_ctx *c, const cJSON *tool, size_t index) {
    const cJSON *fn = jget(tool, "function");
    if (!fn)
        return fail(c, "tools[%zu] has no \"function\" (tools are {\"type\":\"function\",\"function\":{...}})", index);
    g4_strbuf d = {0};
    bool ok = true;
    g4_strbuf_puts(&d, "declaration:");
    py_str(&d, jget(fn, "name"));
    g4_strbuf_puts(&d, "{description:<|\"|>");
    py_str(&d, jget(fn, "description"));
    g4_strbuf_puts(&d, "<|\"|>");
    const cJSON *params = jget(fn, "parameters");
    if (py_truthy(params)) {
        g4_strbuf_puts(&d, ",parameters:{");
        const cJSON *props = jget(params, "properties");
        if (py_truthy(props)) {
            g4_strbuf_puts(&d, "properties:{");
            ok = format_parameters(c, &d, props);
            g4_strbuf_puts(&d, "},");
        }
        const cJSON *req = jget(params, "required");
        if (ok && py_truthy(req)) {
            g4_strbuf_puts(&d, "required:[");
            ok = py_iter_str(c, &d, req, put_quoted_item, NULL, "parameters.required");
            g4_strbuf_puts(&d, "],");
        }
        const cJSON *type = jget(params, "type");
        if (ok && py_truthy(type)) {
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
        const cJSON *rd = jget(fn, "response");
        g4_strbuf_puts(&d, ",response:{");
        const cJSON *desc = jget(rd, "description");
        if (py_truthy(desc)) {
            g4_strbuf_puts(&d, "description:<|\"|>");
            py_str(&d, desc);
            g4_strbuf_puts(&d, "<|\"|>,");
        }
        g4_strbuf t = {0};
        ok = upper_str(c, &t, jget(rd, "type"));
        if (ok && t_eq(&t, "OBJECT")) {
            g4_strbuf_puts(&d, "type:<|\"|>");
            g4_strbuf_put(&d, t.p, t.n);
            g4_strbuf_puts(&d, "<|\"|>}");
        }
        g4_strbuf_free(&t);
    }
    g4_strbuf_put(&d, "}", 1);
    if (d.oom) ok = nomem(c);
    if (ok) put_stripped(&c->out, d.p, d.n);
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
        put_stripped(out, r.p, r.n);
    g4_strbuf_free(&r);
}

/* format_tool_response_block(tool_name, response): response is a value, or text when `text` is set. */
static bool format_tool_response_block(render_ctx *c, const char *name, const cJSON *response, const char *text) {
    g4_strbuf *b = &c->out;
    g4_strbuf_puts(b, "<|tool_response>");
    if (!text && is_obj(response)) {
        g4_strbuf_puts(b, "response:");
        g4_strbuf_puts(b, name);
        g4_strbuf_put(b, "{", 1);
        size_t n;
        const cJSON **kv = dictsort(response, &n);
        if (!kv) return nomem(c);
        for (size_t i = 0; i < n; i++) {
            g4_strbuf_puts(b, kv[i]->string);
            g4_strbuf_put(b, ":", 1);
            if (!format_argument(c, b, kv[i], false)) return free(kv), false;
            if (i + 1 < n) g4_strbuf_put(b, ",", 1);
        }
        free(kv);
        g4_strbuf_put(b, "}", 1);
    } else {
        g4_strbuf_puts(b, "response:");
        g4_strbuf_puts(b, name);
        g4_strbuf_puts(b, "{value:");
        if (text) {
            g4_strbuf_puts(b, "<|\"|>");
            g4_strbuf_puts(b, text);
            g4_strbuf_puts(b, "<|\"|>");
        } else if (!format_argument(c, b, response, false)) {
            return false;
        }
        g4_strbuf_put(b, "}", 1);
    }
    g4_strbuf_puts(b, "<tool_response|>");
    return true;
}

/* Python's a == b for the JSON values the template compares (ids); NULL (no key) is None. */
static bool py_eq(const cJSON *a, const cJSON *b) {
    bool an = !a || is_none(a), bn = !b || is_none(b);
    if (an || bn) return an && bn;
    if (is_num(a) && is_num(b)) return num_value(a) == num_value(b);
    if (jtype(a) == cJSON_Raw || jtype(b) == cJSON_Raw) return false;
    return cJSON_Compare(a, b, true);
}

static const char *role_of(const cJSON *m) {
    const cJSON *r = jget(m, "role");
    return is_str(r) ? r->valuestring : NULL;
}

/* The tool responses that follow an assistant's tool_calls (OpenAI role "tool" messages). */
static bool render_following_tool_messages(render_ctx *c, const cJSON *const *msgs, size_t n, size_t i,
                                           const cJSON *tool_calls, enum prev_type *prev, bool *tr_out) {
    for (size_t k = i + 1; k < n && !strcmp(role_of(msgs[k]), "tool"); k++) {
        const cJSON *follow = msgs[k];
        const cJSON *name = jget(follow, "name"); /* follow.get('name'): None when absent */
        for (const cJSON *tc = tool_calls->child; tc; tc = tc->next)
            if (py_eq(jget(tc, "id"), jget(follow, "tool_call_id"))) name = jget(jget(tc, "function"), "name");
        if (!is_str(name))
            return fail(
                c, "messages[%zu]: a tool response needs a \"name\" or a \"tool_call_id\" that matches a tool call", k);
        const cJSON *body = jget(follow, "content");
        if (is_str(body)) {
            if (!format_tool_response_block(c, name->valuestring, NULL, body->valuestring)) return false;
        } else if (is_arr(body)) {
            g4_strbuf t = {0};
            for (const cJSON *part = body->child; part; part = part->next) {
                if (!is_obj(part))
                    return g4_strbuf_free(&t), fail(c, "messages[%zu]: a content part is not an object", k);
                if (!str_eq(jget(part, "type"), "text")) continue;
                const cJSON *text = jget(part, "text");
                if (!is_str(text))
                    return g4_strbuf_free(&t), fail(c, "messages[%zu]: a text part has no \"text\" string", k);
                g4_strbuf_puts(&t, text->valuestring);
            }
            if (t.oom) return nomem(c);
            bool ok = format_tool_response_block(c, name->valuestring, NULL, t.p ? t.p : "");
            g4_strbuf_free(&t);
            if (!ok) return false;
        } else if (is_obj(body)) {
            return fail(c, "messages[%zu]: a tool message's content must be a string or a list of parts", k);
        } else {
            static const cJSON none = {.type = cJSON_NULL}; /* follow.get('content') is None when absent */
            if (!format_tool_response_block(c, name->valuestring, body ? body : &none, NULL)) return false;
        }
        *tr_out = true;
        *prev = PREV_TOOL_RESPONSE;
    }
    return true;
}

static bool render_content(render_ctx *c, const cJSON *content, bool is_model, size_t index, enum prev_type *prev) {
    g4_strbuf *b = &c->out;
    if (is_str(content)) {
        if (is_model)
            strip_thinking(b, content->valuestring);
        else
            put_stripped(b, content->valuestring, strlen(content->valuestring));
        return true;
    }
    if (!is_arr(content)) return true; /* None, a mapping or a number render nothing */
    bool aliases = c->flags & G4_CHAT_MEDIA_ALIASES;
    for (const cJSON *item = content->child; item; item = item->next) {
        const cJSON *type = jget(item, "type");
        if (str_eq(type, "text")) {
            const cJSON *text = jget(item, "text");
            if (is_model) {
                if (!is_str(text)) return fail(c, "messages[%zu]: a text part has no \"text\" string", index);
                strip_thinking(b, text->valuestring);
            } else {
                g4_strbuf t = {0};
                py_str(&t, text);
                if (t.oom) return nomem(c);
                if (t.p) put_stripped(b, t.p, t.n);
                g4_strbuf_free(&t);
            }
        } else if (str_eq(type, "image") || (aliases && str_eq(type, "image_url"))) {
            g4_strbuf_puts(b, "<|image|>");
            *prev = PREV_MEDIA;
        } else if (str_eq(type, "audio") || (aliases && str_eq(type, "input_audio"))) {
            g4_strbuf_puts(b, "<|audio|>");
            *prev = PREV_MEDIA;
        } else if (str_eq(type, "video")) {
            g4_strbuf_puts(b, "<|video|>");
            *prev = PREV_MEDIA;
        }
    }
    return true;
}

static bool render_tool_calls(render_ctx *c, const cJSON *tool_calls, size_t index) {
    g4_strbuf *b = &c->out;
    if (!is_arr(tool_calls)) return fail(c, "messages[%zu]: tool_calls is not a list", index);
    for (const cJSON *tc = tool_calls->child; tc; tc = tc->next) {
        const cJSON *fn = jget(tc, "function");
        const cJSON *name = jget(fn, "name");
        if (!is_str(name))
            return fail(c, "messages[%zu]: a tool call has no function name (tool_calls[i].function.name)", index);
        g4_strbuf_puts(b, "<|tool_call>call:");
        g4_strbuf_puts(b, name->valuestring);
        g4_strbuf_put(b, "{", 1);
        const cJSON *args = jget(fn, "arguments");
        if (is_obj(args)) {
            size_t n;
            const cJSON **kv = dictsort(args, &n);
            if (!kv) return nomem(c);
            for (size_t i = 0; i < n; i++) {
                if (i) g4_strbuf_put(b, ",", 1);
                g4_strbuf_puts(b, kv[i]->string);
                g4_strbuf_put(b, ":", 1);
                if (!format_argument(c, b, kv[i], false)) return free(kv), false;
            }
            free(kv);
        } else if (is_str(args)) {
            g4_strbuf_puts(b, args->valuestring);
        }
        g4_strbuf_puts(b, "}<tool_call|>");
    }
    return true;
}

static bool render_messages(render_ctx *c, const cJSON *const *msgs, size_t n, const cJSON *tools) {
    g4_strbuf *b = &c->out;
    bool thinking = c->flags & G4_CHAT_ENABLE_THINKING;
    if (n == 0) return fail(c, "no messages (the template needs at least one)");
    for (size_t i = 0; i < n; i++)
        if (!role_of(msgs[i])) return fail(c, "messages[%zu] has no \"role\" string", i);
    if (tools && !is_arr(tools) && py_truthy(tools)) return fail(c, "tools is not a list");
    bool have_tools = py_truthy(tools);

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
            py_str(&t, jget(msgs[0], "content"));
            if (t.oom) return nomem(c);
            if (t.p) put_stripped(b, t.p, t.n);
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

        const cJSON *tool_calls = jget(m, "tool_calls");
        const cJSON *thought = jget(m, "reasoning");
        if (!py_truthy(thought)) thought = jget(m, "reasoning_content");
        if (py_truthy(thought) && (long)(i - start) > last_user && py_truthy(tool_calls)) {
            if (!is_str(thought)) return fail(c, "messages[%zu]: reasoning_content is not a string", i);
            g4_strbuf_puts(b, "<|channel>thought\n");
            g4_strbuf_puts(b, thought->valuestring);
            g4_strbuf_puts(b, "\n<channel|>");
        }
        if (py_truthy(tool_calls)) {
            if (!render_tool_calls(c, tool_calls, i)) return false;
            prev = PREV_TOOL_CALL;
        }

        bool tr_out = false;
        const cJSON *responses = jget(m, "tool_responses");
        if (py_truthy(responses)) {
            if (!is_arr(responses)) return fail(c, "messages[%zu]: tool_responses is not a list", i);
            for (const cJSON *r = responses->child; r; r = r->next) {
                const cJSON *name = jget(r, "name");
                if (name && !is_str(name)) return fail(c, "messages[%zu]: a tool response's name is not a string", i);
                if (!format_tool_response_block(c, name ? name->valuestring : "unknown", jget(r, "response"), NULL))
                    return false;
                tr_out = true;
                prev = PREV_TOOL_RESPONSE;
            }
        } else if (py_truthy(tool_calls)) {
            if (!render_following_tool_messages(c, msgs, n, i, tool_calls, &prev, &tr_out)) return false;
        }

        const cJSON *content = jget(m, "content");
        if (!render_content(c, content, is_model, i, &prev)) return false;

        if (prev == PREV_TOOL_CALL && !tr_out)
            g4_strbuf_puts(b, "<|tool_response>");
        else if (!(tr_out && !py_truthy(content)))
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

/* ---------------------------------------------------------------------------------------------- */
/* Normalisation before rendering                                                                  */
/* ---------------------------------------------------------------------------------------------- */

/* Arguments given as a string holding a JSON object become that object. False only when memory ran
 * out (a string that is not a JSON object stays as it is). */
static bool decode_string_arguments(cJSON *messages) {
    for (cJSON *m = messages->child; m; m = m->next) {
        cJSON *calls = is_obj(m) ? cJSON_GetObjectItemCaseSensitive(m, "tool_calls") : NULL;
        if (!is_arr(calls)) continue;
        for (cJSON *tc = calls->child; tc; tc = tc->next) {
            cJSON *fn = is_obj(tc) ? cJSON_GetObjectItemCaseSensitive(tc, "function") : NULL;
            cJSON *args = is_obj(fn) ? cJSON_GetObjectItemCaseSensitive(fn, "arguments") : NULL;
            if (!is_str(args)) continue;
            g4_error e = {0};
            cJSON *decoded = g4_chat_json_parse(args->valuestring, strlen(args->valuestring), "arguments", &e);
            if (!decoded && e.status == GEMMA4_ERR_NOMEM) return false;
            if (is_obj(decoded))
                cJSON_ReplaceItemInObjectCaseSensitive(fn, "arguments", decoded);
            else
                cJSON_Delete(decoded);
        }
    }
    return true;
}

static bool has_nonempty_calls(const cJSON *m) {
    const cJSON *tc = jget(m, "tool_calls");
    return is_arr(tc) && tc->child;
}

static bool has_content(const cJSON *m) {
    const cJSON *c = jget(m, "content");
    return (is_str(c) && c->valuestring[0]) || (is_arr(c) && c->child);
}

static bool role_is(const cJSON *m, const char *role) {
    const char *r = role_of(m);
    return r && !strcmp(r, role);
}

/* Adds item to a container, taking ownership; false (and item freed) if either is missing. */
static bool put_item(cJSON *container, const char *key, cJSON *item) {
    if (!container || !item) {
        cJSON_Delete(item);
        return false;
    }
    bool ok = key ? cJSON_AddItemToObject(container, key, item) : cJSON_AddItemToArray(container, item);
    if (!ok) cJSON_Delete(item);
    return ok;
}

/* One role "tool" message as llama.cpp passes it on: {"name", "response"} with JSON content decoded. */
static cJSON *folded_response(const cJSON *m, const cJSON *calls, int idx) {
    cJSON *response;
    const cJSON *content = jget(m, "content");
    if (!content)
        response = cJSON_CreateNull();
    else if (is_str(content)) {
        g4_error e = {0};
        response = g4_chat_json_parse(content->valuestring, strlen(content->valuestring), "tool content", &e);
        if (!response && e.status != GEMMA4_ERR_NOMEM) response = cJSON_CreateString(content->valuestring);
    } else
        response = cJSON_Duplicate(content, true);
    const char *name = "";
    const cJSON *nm = jget(jget(cJSON_GetArrayItem(calls, idx), "function"), "name");
    if (is_str(nm)) name = nm->valuestring;
    if (!name[0] && is_str(jget(m, "tool_call_id"))) name = jget(m, "tool_call_id")->valuestring;
    cJSON *r = cJSON_CreateObject();
    bool ok = put_item(r, "name", cJSON_CreateString(name));
    ok = put_item(r, "response", response) && ok;
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}

/* llama.cpp's convert_tool_responses_gemma4 (common/parsers/gemma4.cpp): a new message array, NULL
 * when memory ran out. */
static cJSON *fold_tool_responses(const cJSON *messages) {
    cJSON *out = cJSON_CreateArray();
    bool ok = out != NULL;
    const cJSON *m = messages->child;
    while (ok && m) {
        if (!role_is(m, "assistant") || !has_nonempty_calls(m)) {
            ok = put_item(out, NULL, cJSON_Duplicate(m, true));
            m = m->next;
            continue;
        }
        const cJSON *calls = jget(m, "tool_calls");
        const cJSON *reasoning = jget(m, "reasoning_content");
        cJSON *msg = cJSON_CreateObject(), *responses = cJSON_CreateArray();
        ok = put_item(msg, "role", cJSON_CreateString("assistant"));
        ok = put_item(msg, "tool_calls", cJSON_Duplicate(calls, true)) && ok;
        int idx = 0;
        for (m = m->next; ok && m && role_is(m, "tool"); m = m->next, idx++)
            ok = put_item(responses, NULL, folded_response(m, calls, idx));
        if (ok && m && role_is(m, "assistant") && !has_nonempty_calls(m) && has_content(m)) {
            ok = put_item(msg, "content", cJSON_Duplicate(jget(m, "content"), true));
            m = m->next;
        }
        if (ok && responses && responses->child)
            ok = put_item(msg, "tool_responses", responses);
        else
            cJSON_Delete(responses);
        if (ok && is_str(reasoning))
            ok = put_item(msg, "reasoning_content", cJSON_CreateString(reasoning->valuestring));
        ok = put_item(out, NULL, msg) && ok;
    }
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

gemma4_status g4_chat_render(const cJSON *messages, const cJSON *tools, unsigned flags, char **out, size_t *out_len,
                             g4_error *err) {
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!out) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "chat template: NULL output pointer");
    if (!is_arr(messages)) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "chat template: messages is not a JSON array");

    cJSON *work = cJSON_Duplicate(messages, true); /* all or nothing: NULL on any failed allocation */
    if (!work || !decode_string_arguments(work)) {
        cJSON_Delete(work);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "chat template: out of memory");
    }
    if (flags & G4_CHAT_LLAMA_COMPAT) {
        cJSON *folded = fold_tool_responses(work);
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
