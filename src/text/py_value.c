/*
 * Python's view of JSON values, as the chat template's Jinja code prints and compares them
 * (py_value.h). Each function is the C rendition of one Python built-in; the comments name it.
 */
#include "text/py_value.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/utf8.h"

/* A number's literal is a float in Python when it has a fraction, an exponent or is NaN/Infinity. */
static bool raw_is_float(const char *lit) {
    return strpbrk(lit, ".eEIN") != NULL;
}

static double num_value(const cJSON *v) {
    return g4_py_type(v) == cJSON_Raw ? strtod(v->valuestring, NULL) : v->valuedouble;
}

bool g4_py_truthy(const cJSON *v) {
    switch (g4_py_type(v)) {
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
    if (g4_py_type(v) == cJSON_Raw) {
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
        size_t len = g4_utf8_decode(u + i, n - i, &cp);
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

void g4_py_str(g4_strbuf *b, const cJSON *v) {
    switch (g4_py_type(v)) {
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
    switch (g4_py_type(v)) {
    case cJSON_String:
        return py_repr_str(b, v->valuestring);
    case cJSON_Array:
    case cJSON_Object: {
        bool obj = g4_py_is_obj(v);
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
        return g4_py_str(b, v);
    }
}

/* str.strip(): the [start, start+len) range of s without Unicode whitespace at either end. */
void g4_py_strip(const char *s, size_t n, size_t *start, size_t *len) {
    const unsigned char *u = (const unsigned char *)s;
    size_t a = 0, z = n;
    while (a < z) {
        uint32_t cp;
        size_t l = g4_utf8_decode(u + a, z - a, &cp);
        if (l == 0 || !py_isspace(cp)) break;
        a += l;
    }
    while (z > a) {
        size_t k = z - 1;
        while (k > a && g4_utf8_is_cont(u[k])) k--;
        uint32_t cp;
        size_t l = g4_utf8_decode(u + k, z - k, &cp);
        if (l != z - k || !py_isspace(cp)) break;
        z = k;
    }
    *start = a;
    *len = z - a;
}

void g4_py_put_stripped(g4_strbuf *b, const char *s, size_t n) {
    size_t a, len;
    g4_py_strip(s, n, &a, &len);
    g4_strbuf_put(b, s + a, len);
}

void g4_py_upper_ascii(char *s, size_t n) {
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
const cJSON **g4_py_dictsort(const cJSON *obj, size_t *count) {
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

/* Python's a == b for the JSON values the template compares (ids); NULL (no key) is None. */
bool g4_py_eq(const cJSON *a, const cJSON *b) {
    bool an = !a || g4_py_is_none(a), bn = !b || g4_py_is_none(b);
    if (an || bn) return an && bn;
    if (g4_py_is_num(a) && g4_py_is_num(b)) return num_value(a) == num_value(b);
    if (g4_py_type(a) == cJSON_Raw || g4_py_type(b) == cJSON_Raw) return false;
    return cJSON_Compare(a, b, true);
}
