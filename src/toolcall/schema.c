/* JSON Schema validation (keywords in schema.h). Every violation is collected with the JSON
 * pointer of the value it concerns; a missing required property points where it should be. */
#include "toolcall/schema.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"

#define MAX_REF_DEPTH 32
#define MAX_SCHEMA_DEPTH 200

typedef struct vctx {
    const cJSON *root; /* for $ref */
    cJSON *out;        /* violations (NULL: count only) */
    int count;
    bool oom;
    int depth;
    char *ptr; /* the current JSON pointer */
    size_t ptr_len, ptr_cap;
} vctx;

/* ---------------------------------------------------------------------------------------------- */
/* Reporting                                                                                       */

static void add(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(vctx *c, const char *fmt, ...) {
    c->count++;
    if (!c->out || c->oom) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *v = cJSON_CreateObject();
    if (!v || !cJSON_AddStringToObject(v, "pointer", c->ptr ? c->ptr : "") ||
        !cJSON_AddStringToObject(v, "message", msg) || !cJSON_AddItemToArray(c->out, v)) {
        cJSON_Delete(v);
        c->oom = true;
    }
}

/* Compact JSON of v, cut to fit (the messages quote values). */
static const char *snip(const cJSON *v, char *buf, size_t cap) {
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        snprintf(buf, cap, "(value)");
        return buf;
    }
    size_t n = strlen(s);
    if (n < cap)
        memcpy(buf, s, n + 1);
    else {
        memcpy(buf, s, cap - 4);
        memcpy(buf + cap - 4, "...", 4);
    }
    cJSON_free(s);
    return buf;
}

static const char *kind(const cJSON *v) {
    if (cJSON_IsString(v)) return "string";
    if (cJSON_IsNumber(v)) return "number";
    if (cJSON_IsBool(v)) return "boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsObject(v)) return "object";
    if (cJSON_IsArray(v)) return "array";
    return "value";
}

/* JSON pointer: push a member name (escaping ~ and /) or an index; pop back to a saved length. */
static bool ptr_put(vctx *c, const char *s, size_t n) {
    if (c->ptr_len + n + 1 > c->ptr_cap) {
        size_t cap = c->ptr_cap ? c->ptr_cap * 2 : 64;
        while (cap < c->ptr_len + n + 1) cap *= 2;
        char *p = realloc(c->ptr, cap);
        if (!p) return !(c->oom = true);
        c->ptr = p;
        c->ptr_cap = cap;
    }
    memcpy(c->ptr + c->ptr_len, s, n);
    c->ptr_len += n;
    c->ptr[c->ptr_len] = '\0';
    return true;
}

static size_t push_key(vctx *c, const char *key) {
    size_t saved = c->ptr_len;
    ptr_put(c, "/", 1);
    for (const char *k = key; *k; k++) {
        if (*k == '~')
            ptr_put(c, "~0", 2);
        else if (*k == '/')
            ptr_put(c, "~1", 2);
        else
            ptr_put(c, k, 1);
    }
    return saved;
}

static size_t push_index(vctx *c, int i) {
    size_t saved = c->ptr_len;
    char t[24];
    int n = snprintf(t, sizeof t, "/%d", i);
    ptr_put(c, t, (size_t)n);
    return saved;
}

static void pop(vctx *c, size_t saved) {
    c->ptr_len = saved;
    if (c->ptr) c->ptr[saved] = '\0';
}

/* ---------------------------------------------------------------------------------------------- */
/* Helpers                                                                                         */

static const cJSON *kw(const cJSON *schema, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(schema, name);
}

static bool json_equal(const cJSON *a, const cJSON *b) {
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return a->valuedouble == b->valuedouble;
    if (cJSON_IsBool(a) || cJSON_IsBool(b))
        return cJSON_IsBool(a) && cJSON_IsBool(b) && cJSON_IsTrue(a) == cJSON_IsTrue(b);
    if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!json_equal(x, y)) return false;
        return !x && !y;
    }
    if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return false;
        for (const cJSON *x = a->child; x; x = x->next) {
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
            if (!y || !json_equal(x, y)) return false;
        }
        return true;
    }
    return cJSON_Compare(a, b, true);
}

static bool type_matches(const char *t, const cJSON *v, bool *known) {
    *known = true;
    if (!strcasecmp(t, "string")) return cJSON_IsString(v);
    if (!strcasecmp(t, "number")) return cJSON_IsNumber(v);
    if (!strcasecmp(t, "integer"))
        return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble);
    if (!strcasecmp(t, "boolean")) return cJSON_IsBool(v);
    if (!strcasecmp(t, "null")) return cJSON_IsNull(v);
    if (!strcasecmp(t, "object")) return cJSON_IsObject(v);
    if (!strcasecmp(t, "array")) return cJSON_IsArray(v);
    *known = false;
    return false;
}

static bool num_kw(const cJSON *schema, const char *name, double *out) {
    const cJSON *v = kw(schema, name);
    if (!cJSON_IsNumber(v)) return false;
    *out = v->valuedouble;
    return true;
}

/* %g that prints integers as integers (the messages quote schema bounds). */
static const char *num_text(double d, char *buf, size_t cap) {
    if (d == floor(d) && fabs(d) < 1e15)
        snprintf(buf, cap, "%.0f", d);
    else
        snprintf(buf, cap, "%.17g", d);
    return buf;
}

/* ECMA-262 classes that POSIX ERE lacks, rewritten; (?: groups become plain groups. */
static char *translate_pattern(const char *pat) {
    size_t n = strlen(pat);
    char *out = malloc(n * 16 + 1);
    if (!out) return NULL;
    size_t o = 0;
    bool in_class = false;
    for (size_t i = 0; i < n; i++) {
        char ch = pat[i];
        if (ch == '\\' && i + 1 < n) {
            char e = pat[++i];
            const char *rep = NULL;
            if (!in_class) {
                switch (e) {
                case 'd':
                    rep = "[0-9]";
                    break;
                case 'D':
                    rep = "[^0-9]";
                    break;
                case 'w':
                    rep = "[A-Za-z0-9_]";
                    break;
                case 'W':
                    rep = "[^A-Za-z0-9_]";
                    break;
                case 's':
                    rep = "[[:space:]]";
                    break;
                case 'S':
                    rep = "[^[:space:]]";
                    break;
                default:
                    break;
                }
                if (!rep) {
                    out[o++] = '\\';
                    out[o++] = e;
                    continue;
                }
            } else {
                switch (e) {
                case 'd':
                    rep = "0-9";
                    break;
                case 'w':
                    rep = "A-Za-z0-9_";
                    break;
                case 's':
                    rep = "[:space:]";
                    break;
                case 'n':
                    rep = "\n";
                    break;
                case 't':
                    rep = "\t";
                    break;
                default:
                    out[o++] = e;
                    continue; /* inside [...] a backslash is literal in POSIX */
                }
            }
            size_t rl = strlen(rep);
            memcpy(out + o, rep, rl);
            o += rl;
            continue;
        }
        if (!in_class && ch == '(' && i + 2 < n && pat[i + 1] == '?' && pat[i + 2] == ':') {
            out[o++] = '(';
            i += 2;
            continue;
        }
        if (ch == '[' && !in_class) {
            in_class = true;
            out[o++] = ch;
            if (i + 1 < n && pat[i + 1] == '^') out[o++] = pat[++i];
            if (i + 1 < n && pat[i + 1] == ']') out[o++] = pat[++i];
            continue;
        }
        if (ch == ']' && in_class) in_class = false;
        out[o++] = ch;
    }
    out[o] = '\0';
    return out;
}

/* 1 matches, 0 does not, -1 the pattern could not be compiled (not checked). */
static int pattern_match(const char *pattern, const char *s) {
    char *t = translate_pattern(pattern);
    if (!t) return -1;
    regex_t re;
    int rc = regcomp(&re, t, REG_EXTENDED | REG_NOSUB);
    free(t);
    if (rc != 0) return -1;
    int m = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return m;
}

const cJSON *g4_schema_resolve_ref(const cJSON *root, const char *ref) {
    if (ref[0] != '#') return NULL;
    const cJSON *cur = root;
    const char *p = ref + 1;
    while (*p == '/') {
        p++;
        char tok[256];
        size_t n = 0;
        while (*p && *p != '/' && n + 1 < sizeof tok) {
            if (p[0] == '~' && p[1] == '0')
                tok[n++] = '~', p += 2;
            else if (p[0] == '~' && p[1] == '1')
                tok[n++] = '/', p += 2;
            else
                tok[n++] = *p++;
        }
        tok[n] = '\0';
        if (cJSON_IsObject(cur))
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        else if (cJSON_IsArray(cur)) {
            char *end;
            long i = strtol(tok, &end, 10);
            cur = (*end || n == 0) ? NULL : cJSON_GetArrayItem(cur, (int)i);
        } else
            cur = NULL;
        if (!cur) return NULL;
    }
    return *p ? NULL : cur;
}

/* ---------------------------------------------------------------------------------------------- */
/* Validation                                                                                      */

static void validate(vctx *c, const cJSON *schema, const cJSON *v);

/* Runs schema on v without reporting: the number of violations (and the first message). */
static int trial(vctx *c, const cJSON *schema, const cJSON *v, char *first, size_t cap) {
    vctx t = {.root = c->root, .depth = c->depth};
    cJSON *out = first ? cJSON_CreateArray() : NULL;
    t.out = out;
    if (c->ptr) ptr_put(&t, c->ptr, c->ptr_len);
    validate(&t, schema, v);
    if (first) {
        first[0] = '\0';
        const cJSON *f = cJSON_GetArrayItem(out, 0);
        if (f) {
            const char *ptr = cJSON_GetObjectItemCaseSensitive(f, "pointer")->valuestring;
            snprintf(first, cap, "%s%s%s", ptr, ptr[0] ? ": " : "",
                     cJSON_GetObjectItemCaseSensitive(f, "message")->valuestring);
        }
    }
    cJSON_Delete(out);
    free(t.ptr);
    if (t.oom) c->oom = true;
    return t.count;
}

static void validate_type(vctx *c, const cJSON *type, const cJSON *v) {
    char got[96];
    bool known, any_known = false;
    if (cJSON_IsString(type)) {
        if (!type_matches(type->valuestring, v, &known) && known)
            add(c, "expected %s, got %s %s", type->valuestring, kind(v), snip(v, got, sizeof got));
        return;
    }
    if (!cJSON_IsArray(type)) return;
    const cJSON *t;
    cJSON_ArrayForEach(t, type) {
        if (!cJSON_IsString(t)) continue;
        if (type_matches(t->valuestring, v, &known)) return;
        any_known |= known;
    }
    char names[128];
    if (any_known)
        add(c, "expected one of %s, got %s %s", snip(type, names, sizeof names), kind(v), snip(v, got, sizeof got));
}

static void validate_number(vctx *c, const cJSON *s, const cJSON *v) {
    double x = v->valuedouble, b;
    char vt[40], bt[40];
    num_text(x, vt, sizeof vt);
    const cJSON *exmin = kw(s, "exclusiveMinimum"), *exmax = kw(s, "exclusiveMaximum");
    if (num_kw(s, "minimum", &b)) {
        if (cJSON_IsTrue(exmin) && x <= b)
            add(c, "%s is not greater than %s (exclusive minimum)", vt, num_text(b, bt, sizeof bt));
        else if (x < b)
            add(c, "%s is less than minimum %s", vt, num_text(b, bt, sizeof bt));
    }
    if (num_kw(s, "maximum", &b)) {
        if (cJSON_IsTrue(exmax) && x >= b)
            add(c, "%s is not less than %s (exclusive maximum)", vt, num_text(b, bt, sizeof bt));
        else if (x > b)
            add(c, "%s is greater than maximum %s", vt, num_text(b, bt, sizeof bt));
    }
    if (num_kw(s, "exclusiveMinimum", &b) && x <= b)
        add(c, "%s is not greater than exclusiveMinimum %s", vt, num_text(b, bt, sizeof bt));
    if (num_kw(s, "exclusiveMaximum", &b) && x >= b)
        add(c, "%s is not less than exclusiveMaximum %s", vt, num_text(b, bt, sizeof bt));
    if (num_kw(s, "multipleOf", &b) && b > 0) {
        double q = x / b;
        if (!isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q)))
            add(c, "%s is not a multiple of %s", vt, num_text(b, bt, sizeof bt));
    }
}

static void validate_string(vctx *c, const cJSON *s, const cJSON *v) {
    double b;
    size_t n = g4_utf8_count_chars(v->valuestring, strlen(v->valuestring));
    if (num_kw(s, "minLength", &b) && (double)n < b)
        add(c, "string has %zu character%s, fewer than minLength %.0f", n, n == 1 ? "" : "s", b);
    if (num_kw(s, "maxLength", &b) && (double)n > b)
        add(c, "string has %zu characters, more than maxLength %.0f", n, b);
    const cJSON *pat = kw(s, "pattern");
    if (cJSON_IsString(pat) && pattern_match(pat->valuestring, v->valuestring) == 0) {
        char got[96];
        add(c, "%s does not match pattern '%s'", snip(v, got, sizeof got), pat->valuestring);
    }
}

static void validate_array(vctx *c, const cJSON *s, const cJSON *v) {
    double b;
    int n = cJSON_GetArraySize(v);
    if (num_kw(s, "minItems", &b) && n < b)
        add(c, "array has %d item%s, fewer than minItems %.0f", n, n == 1 ? "" : "s", b);
    if (num_kw(s, "maxItems", &b) && n > b) add(c, "array has %d items, more than maxItems %.0f", n, b);
    if (cJSON_IsTrue(kw(s, "uniqueItems"))) {
        int i = 0;
        for (const cJSON *x = v->child; x; x = x->next, i++) {
            int j = i + 1;
            for (const cJSON *y = x->next; y; y = y->next, j++)
                if (json_equal(x, y)) {
                    add(c, "items %d and %d are equal (uniqueItems)", i, j);
                    goto unique_done;
                }
        }
    unique_done:;
    }
    const cJSON *items = kw(s, "items"), *prefix = kw(s, "prefixItems");
    const cJSON *tuple = cJSON_IsArray(prefix) ? prefix : cJSON_IsArray(items) ? items : NULL;
    const cJSON *rest = cJSON_IsArray(prefix) ? items : cJSON_IsArray(items) ? kw(s, "additionalItems") : items;
    int i = 0;
    const cJSON *t = tuple ? tuple->child : NULL;
    for (const cJSON *x = v->child; x; x = x->next, i++) {
        const cJSON *sub = t ? t : rest;
        if (t) t = t->next;
        if (!sub) continue;
        size_t saved = push_index(c, i);
        validate(c, sub, x);
        pop(c, saved);
    }
}

static void validate_object(vctx *c, const cJSON *s, const cJSON *v) {
    const cJSON *props = kw(s, "properties"), *pp = kw(s, "patternProperties"), *addl = kw(s, "additionalProperties");
    for (const cJSON *m = v->child; m; m = m->next) {
        const cJSON *ps = cJSON_IsObject(props) ? cJSON_GetObjectItemCaseSensitive(props, m->string) : NULL;
        bool pattern_hit = false;
        size_t saved = push_key(c, m->string);
        if (ps) validate(c, ps, m);
        if (cJSON_IsObject(pp)) {
            const cJSON *p;
            cJSON_ArrayForEach(p, pp) {
                if (pattern_match(p->string, m->string) == 1) {
                    pattern_hit = true;
                    validate(c, p, m);
                }
            }
        }
        if (!ps && !pattern_hit) {
            if (cJSON_IsFalse(addl)) {
                char allowed[160] = "";
                if (cJSON_IsObject(props) && props->child) {
                    cJSON *names = cJSON_CreateArray();
                    for (const cJSON *p = props->child; names && p; p = p->next)
                        cJSON_AddItemToArray(names, cJSON_CreateString(p->string));
                    snip(names, allowed, sizeof allowed);
                    cJSON_Delete(names);
                }
                if (allowed[0])
                    add(c, "property is not allowed (additionalProperties is false; allowed: %s)", allowed);
                else
                    add(c, "property is not allowed (additionalProperties is false)");
            } else if (cJSON_IsObject(addl)) {
                validate(c, addl, m);
            }
        }
        pop(c, saved);
    }
    const cJSON *req = kw(s, "required");
    const cJSON *r;
    if (cJSON_IsArray(req)) {
        cJSON_ArrayForEach(r, req) {
            if (!cJSON_IsString(r) || cJSON_GetObjectItemCaseSensitive(v, r->valuestring)) continue;
            size_t saved = push_key(c, r->valuestring);
            add(c, "required property is missing");
            pop(c, saved);
        }
    }
    double b;
    int n = cJSON_GetArraySize(v);
    if (num_kw(s, "minProperties", &b) && n < b)
        add(c, "object has %d propert%s, fewer than minProperties %.0f", n, n == 1 ? "y" : "ies", b);
    if (num_kw(s, "maxProperties", &b) && n > b) add(c, "object has %d properties, more than maxProperties %.0f", n, b);
}

static void validate_combinators(vctx *c, const cJSON *s, const cJSON *v) {
    char got[96], first[400], best_msg[400];
    const cJSON *sub;
    const cJSON *all = kw(s, "allOf");
    if (cJSON_IsArray(all)) cJSON_ArrayForEach(sub, all) validate(c, sub, v);

    /* anyOf / oneOf: the branches are tried silently; a failure is one violation that quotes the
     * branch that came closest, which is usually the one the model meant. */
    static const char *const names[] = {"anyOf", "oneOf"};
    for (int k = 0; k < 2; k++) {
        const cJSON *list = kw(s, names[k]);
        if (!cJSON_IsArray(list) || !list->child) continue;
        int passed = 0, best = -1, best_i = 0, i = 0;
        best_msg[0] = '\0';
        cJSON_ArrayForEach(sub, list) {
            int n = trial(c, sub, v, first, sizeof first);
            if (n == 0)
                passed++;
            else if (best < 0 || n < best) {
                best = n;
                best_i = i;
                memcpy(best_msg, first, sizeof best_msg);
            }
            i++;
        }
        if (passed == 0)
            add(c, "%s does not match any of the %d schemas in %s (closest, #%d: %s)", snip(v, got, sizeof got), i,
                names[k], best_i, best_msg);
        else if (k == 1 && passed > 1)
            add(c, "%s matches %d of the schemas in oneOf, not exactly one", snip(v, got, sizeof got), passed);
    }
    const cJSON *not = kw(s, "not");
    if ((cJSON_IsObject(not ) || cJSON_IsBool(not )) && trial(c, not, v, NULL, 0) == 0)
        add(c, "%s matches the schema in 'not'", snip(v, got, sizeof got));
}

static void validate(vctx *c, const cJSON *s, const cJSON *v) {
    if (c->oom) return;
    if (cJSON_IsBool(s)) {
        if (cJSON_IsFalse(s)) add(c, "no value is allowed here (the schema is false)");
        return;
    }
    if (!cJSON_IsObject(s)) return;
    if (++c->depth > MAX_SCHEMA_DEPTH) {
        add(c, "schema nested deeper than %d levels (or a $ref cycle); not checked further", MAX_SCHEMA_DEPTH);
        c->depth--;
        return;
    }
    const cJSON *ref = kw(s, "$ref");
    if (cJSON_IsString(ref)) {
        const cJSON *target = g4_schema_resolve_ref(c->root, ref->valuestring);
        if (target)
            validate(c, target, v);
        else
            add(c, "cannot resolve $ref '%s' (only '#/...' inside the tool's schema is supported)", ref->valuestring);
    }
    if (cJSON_IsNull(v) && cJSON_IsTrue(kw(s, "nullable"))) {
        c->depth--;
        return;
    }
    const cJSON *type = kw(s, "type");
    if (type) validate_type(c, type, v);
    char got[96], allowed[200];
    const cJSON *en = kw(s, "enum");
    if (cJSON_IsArray(en)) {
        bool found = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, en) if (json_equal(e, v)) found = true;
        if (!found) add(c, "%s is not one of %s", snip(v, got, sizeof got), snip(en, allowed, sizeof allowed));
    }
    const cJSON *cn = kw(s, "const");
    if (cn && !json_equal(cn, v))
        add(c, "%s is not the constant %s", snip(v, got, sizeof got), snip(cn, allowed, sizeof allowed));
    if (cJSON_IsNumber(v))
        validate_number(c, s, v);
    else if (cJSON_IsString(v))
        validate_string(c, s, v);
    else if (cJSON_IsArray(v))
        validate_array(c, s, v);
    else if (cJSON_IsObject(v))
        validate_object(c, s, v);
    validate_combinators(c, s, v);
    c->depth--;
}

int g4_schema_validate(const cJSON *schema, const cJSON *instance, cJSON *violations) {
    vctx c = {.root = schema, .out = violations};
    ptr_put(&c, "", 0);
    validate(&c, schema, instance);
    free(c.ptr);
    return c.oom ? -1 : c.count;
}
