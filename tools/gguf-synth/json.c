/*
 * Recursive-descent JSON parser (RFC 8259) building an arena-allocated tree. Children of an
 * array or object are gathered on one shared stack and copied into the arena when the container
 * closes, so a 262144-entry vocabulary object costs one copy, not a realloc per member.
 */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SJ_MAX_DEPTH 128
#define SJ_BLOCK (1u << 20)

typedef struct block {
    struct block *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
} block;

typedef struct entry {
    sj_value value;
    const char *key;
    size_t key_len;
} entry;

struct sj_doc {
    block *blocks;
    sj_value root;
};

typedef struct parser {
    const char *s;
    size_t len, pos;
    sj_doc *doc;
    entry *stack;
    size_t n_stack, cap_stack;
    g4_error *err;
    bool failed;
} parser;

static void *arena_alloc(parser *p, size_t n) {
    n = (n + 15) & ~(size_t)15;
    block *b = p->doc->blocks;
    if (!b || b->cap - b->used < n) {
        const size_t cap = n > SJ_BLOCK ? n : SJ_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->next = p->doc->blocks;
        b->used = 0;
        b->cap = cap;
        p->doc->blocks = b;
    }
    void *r = b->data + b->used;
    b->used += n;
    return r;
}

static bool fail(parser *p, gemma4_status st, const char *what) {
    if (!p->failed) g4_fail(p->err, st, "JSON at byte %zu: %s", p->pos, what);
    p->failed = true;
    return false;
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        const char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static bool literal(parser *p, const char *word) {
    const size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return fail(p, GEMMA4_ERR_FORMAT, "bad literal");
    p->pos += n;
    return true;
}

static int hex4(const char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        const char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t put_utf8(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* At the opening quote. The decoded text is never longer than the raw one. */
static bool parse_string(parser *p, const char **out, size_t *out_len) {
    p->pos++;
    size_t end = p->pos;
    while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len) return fail(p, GEMMA4_ERR_FORMAT, "unterminated string");
    char *buf = arena_alloc(p, end - p->pos + 1);
    if (!buf) return fail(p, GEMMA4_ERR_NOMEM, "out of memory");
    size_t n = 0;
    while (p->pos < end) {
        const unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) return fail(p, GEMMA4_ERR_FORMAT, "control character in string");
        if (c != '\\') {
            buf[n++] = (char)c;
            p->pos++;
            continue;
        }
        const char e = p->s[p->pos + 1];
        p->pos += 2;
        switch (e) {
        case '"':
            buf[n++] = '"';
            break;
        case '\\':
            buf[n++] = '\\';
            break;
        case '/':
            buf[n++] = '/';
            break;
        case 'b':
            buf[n++] = '\b';
            break;
        case 'f':
            buf[n++] = '\f';
            break;
        case 'n':
            buf[n++] = '\n';
            break;
        case 'r':
            buf[n++] = '\r';
            break;
        case 't':
            buf[n++] = '\t';
            break;
        case 'u': {
            if (end - p->pos < 4) return fail(p, GEMMA4_ERR_FORMAT, "short \\u escape");
            int cp = hex4(p->s + p->pos);
            if (cp < 0) return fail(p, GEMMA4_ERR_FORMAT, "bad \\u escape");
            p->pos += 4;
            uint32_t code = (uint32_t)cp;
            if (code >= 0xd800 && code < 0xdc00) {
                int lo =
                    end - p->pos >= 6 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u' ? hex4(p->s + p->pos + 2) : -1;
                if (lo < 0xdc00 || lo >= 0xe000) return fail(p, GEMMA4_ERR_FORMAT, "unpaired surrogate");
                p->pos += 6;
                code = 0x10000 + ((code - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
            } else if (code >= 0xdc00 && code < 0xe000) {
                return fail(p, GEMMA4_ERR_FORMAT, "unpaired surrogate");
            }
            n += put_utf8(buf + n, code);
            break;
        }
        default:
            return fail(p, GEMMA4_ERR_FORMAT, "bad escape");
        }
    }
    p->pos = end + 1;
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    return true;
}

static bool parse_number(parser *p, double *out) {
    const size_t start = p->pos;
    if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
    size_t digits = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++, digits++;
    if (digits == 0) return fail(p, GEMMA4_ERR_FORMAT, "bad number");
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        digits = 0;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++, digits++;
        if (digits == 0) return fail(p, GEMMA4_ERR_FORMAT, "bad number");
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        digits = 0;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++, digits++;
        if (digits == 0) return fail(p, GEMMA4_ERR_FORMAT, "bad number");
    }
    char buf[64];
    const size_t n = p->pos - start;
    if (n >= sizeof buf) return fail(p, GEMMA4_ERR_FORMAT, "number too long");
    memcpy(buf, p->s + start, n);
    buf[n] = 0;
    *out = strtod(buf, NULL);
    return true;
}

static bool push(parser *p, const sj_value *v, const char *key, size_t key_len) {
    if (p->n_stack == p->cap_stack) {
        const size_t cap = p->cap_stack ? p->cap_stack * 2 : 1024;
        entry *s = realloc(p->stack, cap * sizeof *s);
        if (!s) return fail(p, GEMMA4_ERR_NOMEM, "out of memory");
        p->stack = s;
        p->cap_stack = cap;
    }
    p->stack[p->n_stack++] = (entry){*v, key, key_len};
    return true;
}

/* Moves stack[base..] into the arena as the container's children. */
static bool close_container(parser *p, sj_value *v, size_t base, bool object) {
    const size_t n = p->n_stack - base;
    v->n = n;
    v->items = arena_alloc(p, n * sizeof *v->items + 1);
    if (object) {
        v->keys = arena_alloc(p, n * sizeof *v->keys + 1);
        v->key_lens = arena_alloc(p, n * sizeof *v->key_lens + 1);
    }
    if (!v->items || (object && (!v->keys || !v->key_lens))) return fail(p, GEMMA4_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        v->items[i] = p->stack[base + i].value;
        if (object) {
            v->keys[i] = p->stack[base + i].key;
            v->key_lens[i] = p->stack[base + i].key_len;
        }
    }
    p->n_stack = base;
    return true;
}

static bool parse_value(parser *p, sj_value *v, int depth) {
    memset(v, 0, sizeof *v);
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, GEMMA4_ERR_FORMAT, "unexpected end");
    if (depth > SJ_MAX_DEPTH) return fail(p, GEMMA4_ERR_FORMAT, "nesting too deep");
    const char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        const bool object = c == '{';
        v->kind = object ? SJ_OBJECT : SJ_ARRAY;
        p->pos++;
        const size_t base = p->n_stack;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == (object ? '}' : ']')) {
            p->pos++;
            return close_container(p, v, base, object);
        }
        for (;;) {
            const char *key = NULL;
            size_t key_len = 0;
            if (object) {
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, GEMMA4_ERR_FORMAT, "expected a key");
                if (!parse_string(p, &key, &key_len)) return false;
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':') return fail(p, GEMMA4_ERR_FORMAT, "expected ':'");
                p->pos++;
            }
            sj_value child;
            if (!parse_value(p, &child, depth + 1) || !push(p, &child, key, key_len)) return false;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == (object ? '}' : ']')) {
                p->pos++;
                return close_container(p, v, base, object);
            }
            return fail(p, GEMMA4_ERR_FORMAT, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    if (c == '"') {
        v->kind = SJ_STRING;
        return parse_string(p, &v->str, &v->len);
    }
    if (c == 't') {
        v->kind = SJ_BOOL;
        v->b = true;
        return literal(p, "true");
    }
    if (c == 'f') {
        v->kind = SJ_BOOL;
        return literal(p, "false");
    }
    if (c == 'n') {
        v->kind = SJ_NULL;
        return literal(p, "null");
    }
    v->kind = SJ_NUMBER;
    return parse_number(p, &v->num);
}

sj_doc *sj_parse(const char *text, size_t len, g4_error *err) {
    parser p = {.s = text, .len = len, .err = err};
    p.doc = calloc(1, sizeof *p.doc);
    if (!p.doc) {
        g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory parsing JSON");
        return NULL;
    }
    bool ok = parse_value(&p, &p.doc->root, 0);
    if (ok) {
        skip_ws(&p);
        if (p.pos != p.len) ok = fail(&p, GEMMA4_ERR_FORMAT, "trailing characters after the document");
    }
    free(p.stack);
    if (!ok) {
        sj_free(p.doc);
        return NULL;
    }
    return p.doc;
}

void sj_free(sj_doc *doc) {
    if (!doc) return;
    for (block *b = doc->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(doc);
}

const sj_value *sj_root(const sj_doc *doc) {
    return &doc->root;
}

const sj_value *sj_get(const sj_value *v, const char *key) {
    if (!v || v->kind != SJ_OBJECT) return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], key) == 0) return &v->items[i];
    return NULL;
}
