/*
 * Tools and their JSON Schemas to the tables the constrained-decoding automaton follows
 * (constrain_internal.h). $ref and allOf are merged into the schema that uses them, anyOf / oneOf
 * branches each get the parent's other keywords, enum values are kept only when they satisfy the
 * whole schema and read back unchanged through the tool-call parser, and a part of a schema that
 * no value can satisfy is left out (a property that cannot be given is never offered; a tool
 * whose arguments cannot be written cannot be called).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text/gemma_value.h"
#include "toolcall/constrain_internal.h"
#include "toolcall/schema.h"
#include "toolcall/tc_message.h"
#include "toolcall/token_trie.h"

#define MAX_COMPILE_DEPTH 64

typedef struct memo_entry {
    const cJSON *schema;
    int32_t node;
} memo_entry;

typedef struct compiler {
    struct g4_tcc *g;
    const cJSON *doc; /* the tool's parameters, for "#/..." references */
    const char *tool;
    memo_entry *memo;
    int n_memo, cap_memo;
    cJSON **owned; /* merged schemas, freed at the end */
    int n_owned, cap_owned;
    int depth;
    g4_error *err;
    gemma4_status st;
} compiler;

static bool grow(void **p, int32_t *cap, int32_t need, size_t elem) {
    if (need <= *cap) return true;
    int32_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return false;
    *p = q;
    *cap = c;
    return true;
}

static bool oom(compiler *c) {
    if (c->st == GEMMA4_OK) c->st = g4_fail(c->err, GEMMA4_ERR_NOMEM, "out of memory compiling the tools");
    return false;
}

static int32_t new_node(compiler *c) {
    struct g4_tcc *g = c->g;
    if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes)) return oom(c), -1;
    tcc_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->enum_lit = n->key_lit = -1;
    n->max_len = n->max_props = n->max_items = TCC_UNBOUNDED;
    n->items = TCC_ANY;
    n->free_value = TCC_ANY;
    return g->n_nodes++;
}

static int32_t new_lit(compiler *c) {
    struct g4_tcc *g = c->g;
    if (!grow((void **)&g->lits, &g->cap_lits, g->n_lits + 1, sizeof *g->lits)) return oom(c), -1;
    g->lits[g->n_lits] = (tcc_lit){.child = -1, .sibling = -1, .term = -1};
    return g->n_lits++;
}

/* Adds text to the trie at root with entry `term` (bit `bit` in the masks when < 64); an entry
 * already there keeps its first term. */
static bool lit_insert(compiler *c, int32_t root, const char *text, size_t len, int32_t term, int bit) {
    struct g4_tcc *g = c->g;
    int32_t n = root;
    uint64_t m = bit >= 0 && bit < 64 ? (uint64_t)1 << bit : 0;
    g->lits[n].mask |= m;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)text[i];
        int32_t ch = tcc_lit_child(g, n, b);
        if (ch < 0) {
            ch = new_lit(c);
            if (ch < 0) return false;
            g->lits[ch].byte = b;
            g->lits[ch].sibling = g->lits[n].child;
            g->lits[n].child = ch;
        }
        n = ch;
        g->lits[n].mask |= m;
    }
    if (g->lits[n].term < 0) g->lits[n].term = term;
    return true;
}

static int32_t push_list(compiler *c, int32_t v) {
    struct g4_tcc *g = c->g;
    if (!grow((void **)&g->list, &g->cap_list, g->n_list + 1, sizeof *g->list)) return oom(c), -1;
    g->list[g->n_list] = v;
    return g->n_list++;
}

/* ---------------------------------------------------------------------------------------------- */
/* Schema documents: references, merging                                                          */

static const cJSON *kw(const cJSON *s, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(s, name);
}

static cJSON *own(compiler *c, cJSON *s) {
    if (!s) return oom(c), NULL;
    if (c->n_owned == c->cap_owned) {
        int cap = c->cap_owned ? c->cap_owned * 2 : 16;
        cJSON **o = realloc(c->owned, sizeof *o * (size_t)cap);
        if (!o) {
            cJSON_Delete(s);
            return oom(c), NULL;
        }
        c->owned = o;
        c->cap_owned = cap;
    }
    return c->owned[c->n_owned++] = s;
}

/* A copy of s without the keyword `drop`. */
static cJSON *without(compiler *c, const cJSON *s, const char *drop) {
    cJSON *d = own(c, cJSON_Duplicate(s, true));
    if (d) cJSON_DeleteItemFromObjectCaseSensitive(d, drop);
    return d;
}

/* base with more's keywords laid over it: "properties" are merged name by name, "required"
 * lists joined, anything else replaced. base is modified (it is an owned copy). */
static bool merge_into(compiler *c, cJSON *base, const cJSON *more) {
    if (!cJSON_IsObject(more)) return true; /* true / {} add nothing; false is handled by the caller */
    for (const cJSON *m = more->child; m; m = m->next) {
        cJSON *have = cJSON_GetObjectItemCaseSensitive(base, m->string);
        if (have && cJSON_IsObject(have) && cJSON_IsObject(m) && !strcmp(m->string, "properties")) {
            for (const cJSON *p = m->child; p; p = p->next) {
                cJSON *dup = cJSON_Duplicate(p, true);
                if (!dup) return oom(c);
                if (cJSON_GetObjectItemCaseSensitive(have, p->string))
                    cJSON_ReplaceItemInObjectCaseSensitive(have, p->string, dup);
                else
                    cJSON_AddItemToObject(have, p->string, dup);
            }
        } else if (have && cJSON_IsArray(have) && cJSON_IsArray(m) && !strcmp(m->string, "required")) {
            for (const cJSON *r = m->child; r; r = r->next) {
                cJSON *dup = cJSON_Duplicate(r, true);
                if (!dup) return oom(c);
                cJSON_AddItemToArray(have, dup);
            }
        } else {
            cJSON *dup = cJSON_Duplicate(m, true);
            if (!dup) return oom(c);
            if (have)
                cJSON_ReplaceItemInObjectCaseSensitive(base, m->string, dup);
            else
                cJSON_AddItemToObject(base, m->string, dup);
        }
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------- */
/* Nodes                                                                                           */

static int32_t compile_schema(compiler *c, const cJSON *s);

static bool num_kw(const cJSON *s, const char *name, double *out) {
    const cJSON *v = kw(s, name);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return false;
    *out = v->valuedouble;
    return true;
}

static uint32_t count_kw(const cJSON *s, const char *name, uint32_t dflt, bool up) {
    double d;
    if (!num_kw(s, name, &d)) return dflt;
    if (d < 0) return 0;
    d = up ? ceil(d) : floor(d);
    return d >= (double)TCC_UNBOUNDED ? TCC_UNBOUNDED - 1 : (uint32_t)d;
}

/* Tightens a bound: a larger minimum (or smaller maximum) wins; at equal values exclusive wins. */
static void bound(bool *has, double *at, bool *excl, double v, bool v_excl, bool lower) {
    if (!*has || (lower ? v > *at : v < *at)) {
        *at = v;
        *excl = v_excl;
        *has = true;
    } else if (v == *at) {
        *excl = *excl || v_excl;
    }
}

static void kinds_of(const cJSON *s, tcc_node *n) {
    const cJSON *type = kw(s, "type");
    bool int_seen = false, num_seen = false;
    uint8_t k = 0;
    const cJSON *one = cJSON_IsString(type) ? type : NULL;
    const cJSON *list = cJSON_IsArray(type) ? type->child : NULL;
    for (const cJSON *t = one ? one : list; t; t = one ? NULL : t->next) {
        if (!cJSON_IsString(t)) continue;
        const char *name = t->valuestring;
        if (!strcasecmp(name, "string"))
            k |= TCC_STRING;
        else if (!strcasecmp(name, "number"))
            k |= TCC_NUMBER, num_seen = true;
        else if (!strcasecmp(name, "integer"))
            k |= TCC_NUMBER, int_seen = true;
        else if (!strcasecmp(name, "boolean"))
            k |= TCC_BOOL;
        else if (!strcasecmp(name, "null"))
            k |= TCC_NULL;
        else if (!strcasecmp(name, "object"))
            k |= TCC_OBJECT;
        else if (!strcasecmp(name, "array"))
            k |= TCC_ARRAY;
    }
    if (k == 0) {
        /* no type the validator knows: the keywords present say which kind is meant */
        if (kw(s, "properties") || kw(s, "additionalProperties") || kw(s, "required") || kw(s, "minProperties") ||
            kw(s, "maxProperties"))
            k = TCC_OBJECT;
        else if (kw(s, "items") || kw(s, "prefixItems") || kw(s, "minItems") || kw(s, "maxItems"))
            k = TCC_ARRAY;
        else if (kw(s, "minLength") || kw(s, "maxLength") || kw(s, "pattern"))
            k = TCC_STRING;
        else if (kw(s, "minimum") || kw(s, "maximum") || kw(s, "exclusiveMinimum") || kw(s, "exclusiveMaximum"))
            k = TCC_NUMBER;
        else
            k = TCC_ALL;
    }
    if (cJSON_IsTrue(kw(s, "nullable"))) k |= TCC_NULL;
    n->kinds = k;
    n->integer = int_seen && !num_seen;
}

/* A bare key is what tc_parser reads up to ':' (no : { } [ ] , < " or control bytes, no space at
 * either end); anything else is quoted, unless it holds the quote itself. */
static bool bare_key_ok(const char *k) {
    size_t n = strlen(k);
    if (n == 0 || k[0] == ' ' || k[n - 1] == ' ') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)k[i];
        if (ch < 0x20 || ch == 0x7F || strchr(":{}[],<\"", ch)) return false;
    }
    return true;
}

static bool text_ok(const char *k) {
    /* valid UTF-8 without NUL; '<' is fine inside quotes as long as the quote itself is absent */
    size_t n = strlen(k);
    if (n == 0 || n > 500) return false;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && k[j] != '<') j++;
        if (j > i && !g4_piece_is_plain(k + i, j - i)) return false;
        i = j + 1;
    }
    return !strstr(k, "<|\"|>");
}

static void compile_object(compiler *c, int32_t ni, const cJSON *s) {
    struct g4_tcc *g = c->g;
    const cJSON *props = kw(s, "properties"), *req = kw(s, "required"), *addl = kw(s, "additionalProperties");
    bool free_keys = cJSON_IsTrue(addl) || cJSON_IsObject(addl) || (!addl && !cJSON_IsObject(props));
    int32_t free_value = TCC_ANY;
    if (cJSON_IsObject(addl)) {
        free_value = compile_schema(c, addl);
        if (free_value < 0) return;
        if (!tcc_inhabited(g, free_value)) free_keys = false;
    }
    /* declared properties, then required names that only additionalProperties can give */
    const char *names[64];
    int32_t nodes[64];
    int n = 0;
    bool dead = false;
    const cJSON *p;
    cJSON_ArrayForEach(p, props) {
        if (!p->string) continue;
        bool required = false;
        const cJSON *r;
        cJSON_ArrayForEach(r, req) if (cJSON_IsString(r) && !strcmp(r->valuestring, p->string)) required = true;
        int32_t sub = compile_schema(c, p);
        if (sub < 0) return;
        if (!tcc_inhabited(g, sub) || !text_ok(p->string)) {
            dead |= required;
            continue;
        }
        if (n == 64) {
            c->st = g4_fail(c->err, GEMMA4_ERR_UNSUPPORTED,
                            "tool '%s': an object with more than 64 properties cannot be constrained", c->tool);
            return;
        }
        names[n] = p->string;
        nodes[n++] = sub;
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, req) {
        if (!cJSON_IsString(r)) continue;
        bool have = false;
        for (int i = 0; i < n; i++) have |= !strcmp(names[i], r->valuestring);
        if (have) continue;
        bool declared = cJSON_IsObject(props) && kw(props, r->valuestring);
        if (declared || !free_keys || !text_ok(r->valuestring) || n == 64) {
            dead = true; /* a required property no value can fill (or additionalProperties forbids) */
            continue;
        }
        names[n] = r->valuestring;
        nodes[n++] = free_value;
    }
    tcc_node *node = &g->nodes[ni];
    node->free_keys = free_keys;
    node->free_value = free_value;
    node->min_props = count_kw(s, "minProperties", 0, true);
    node->max_props = count_kw(s, "maxProperties", TCC_UNBOUNDED, false);
    if (n > 0) {
        int32_t root = new_lit(c);
        if (root < 0) return;
        g->nodes[ni].key_lit = root;
        if (!grow((void **)&g->props, &g->cap_props, g->n_props + n, sizeof *g->props)) {
            oom(c);
            return;
        }
        g->nodes[ni].first_prop = g->n_props;
        g->nodes[ni].n_props = n;
        for (int i = 0; i < n; i++) {
            g->props[g->n_props++] = nodes[i];
            /* the bare form the template writes, and the quoted one the parser also reads */
            char buf[600];
            const char *k = names[i];
            int len = snprintf(buf, sizeof buf, "<|\"|>%s<|\"|>:", k);
            if (!lit_insert(c, root, buf, (size_t)len, i, i)) return;
            len = snprintf(buf, sizeof buf, "%s:", k);
            if (bare_key_ok(k) && !lit_insert(c, root, buf, (size_t)len, i, i)) return;
            const cJSON *rr;
            cJSON_ArrayForEach(rr, req) if (cJSON_IsString(rr) && !strcmp(rr->valuestring, k)) {
                g->nodes[ni].required |= (uint64_t)1 << i;
            }
        }
    }
    node = &g->nodes[ni];
    node->n_required = __builtin_popcountll(node->required);
    uint32_t most = (uint32_t)n + (free_keys ? G4_TCC_FREE_PER_OBJECT : 0);
    if (dead || (uint32_t)node->n_required > node->max_props || node->min_props > most ||
        node->min_props > node->max_props)
        node->kinds &= (uint8_t)~TCC_OBJECT;
}

static void compile_array(compiler *c, int32_t ni, const cJSON *s) {
    struct g4_tcc *g = c->g;
    const cJSON *items = kw(s, "items"), *prefix = kw(s, "prefixItems");
    const cJSON *tuple = cJSON_IsArray(prefix) ? prefix : cJSON_IsArray(items) ? items : NULL;
    const cJSON *rest = cJSON_IsArray(prefix) ? items : cJSON_IsArray(items) ? kw(s, "additionalItems") : items;
    int32_t rest_node = TCC_ANY;
    if (cJSON_IsFalse(rest))
        rest_node = TCC_NO_ITEMS;
    else if (cJSON_IsObject(rest)) {
        rest_node = compile_schema(c, rest);
        if (rest_node < 0) return;
        if (!tcc_inhabited(g, rest_node)) rest_node = TCC_NO_ITEMS;
    }
    uint32_t max = count_kw(s, "maxItems", TCC_UNBOUNDED, false);
    uint32_t min = count_kw(s, "minItems", 0, true);
    int32_t first = g->n_list, k = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, tuple) {
        int32_t sub = compile_schema(c, t);
        if (sub < 0 || push_list(c, sub) < 0) return;
        if (!tcc_inhabited(g, sub) && (uint32_t)k < max) max = (uint32_t)k; /* item k cannot be written */
        k++;
    }
    if (rest_node == TCC_NO_ITEMS && (uint32_t)k < max) max = (uint32_t)k;
    tcc_node *node = &g->nodes[ni];
    node->first_prefix = first;
    node->n_prefix = k;
    node->items = rest_node;
    node->min_items = min;
    node->max_items = max;
    if (min > max) node->kinds &= (uint8_t)~TCC_ARRAY;
}

static void compile_number(const cJSON *s, tcc_node *n) {
    double v;
    const cJSON *exmin = kw(s, "exclusiveMinimum"), *exmax = kw(s, "exclusiveMaximum");
    if (num_kw(s, "minimum", &v)) bound(&n->has_lo, &n->lo, &n->lo_excl, v, cJSON_IsTrue(exmin), true);
    if (num_kw(s, "maximum", &v)) bound(&n->has_hi, &n->hi, &n->hi_excl, v, cJSON_IsTrue(exmax), false);
    if (num_kw(s, "exclusiveMinimum", &v)) bound(&n->has_lo, &n->lo, &n->lo_excl, v, true, true);
    if (num_kw(s, "exclusiveMaximum", &v)) bound(&n->has_hi, &n->hi, &n->hi_excl, v, true, false);
    bool empty = false;
    if (n->has_lo && n->has_hi) empty = n->lo > n->hi || (n->lo == n->hi && (n->lo_excl || n->hi_excl));
    if (!empty && n->integer) {
        double lo = n->has_lo ? (n->lo_excl ? floor(n->lo) + 1 : ceil(n->lo)) : -INFINITY;
        double hi = n->has_hi ? (n->hi_excl ? ceil(n->hi) - 1 : floor(n->hi)) : INFINITY;
        empty = lo > hi;
    }
    if (empty) n->kinds &= (uint8_t)~TCC_NUMBER;
}

/* Whether lit, written as an argument, reads back as v. */
static bool reads_back(const char *lit, const cJSON *v) {
    size_t n = strlen(lit);
    char *text = malloc(n + 48);
    if (!text) return false;
    int len = sprintf(text, "<|tool_call>call:f{v:%s}<tool_call|>", lit);
    cJSON *msg = NULL, *args = NULL, *want = cJSON_CreateObject();
    bool ok = false;
    if (want && cJSON_AddItemToObject(want, "const", cJSON_Duplicate(v, true)) &&
        g4_tc_parse(text, (size_t)len, 0, &msg, NULL) == GEMMA4_OK) {
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(calls, 0), "function");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        args = cJSON_IsString(a) ? cJSON_Parse(a->valuestring) : NULL;
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(args, "v");
        ok = got && cJSON_GetArraySize(args) == 1 && g4_schema_validate(want, got, NULL) == 0;
    }
    cJSON_Delete(msg);
    cJSON_Delete(args);
    cJSON_Delete(want);
    free(text);
    return ok;
}

static void compile_enum(compiler *c, int32_t ni, const cJSON *s) {
    const cJSON *en = kw(s, "enum"), *cn = kw(s, "const");
    if (!cJSON_IsArray(en) && !cn) return;
    int32_t root = new_lit(c);
    if (root < 0) return;
    c->g->nodes[ni].enum_lit = root;
    bool any = false;
    const cJSON *v = cn ? cn : en->child;
    for (; v; v = cn ? NULL : v->next) {
        if (g4_schema_validate(s, v, NULL) != 0) continue; /* listed, but the rest of the schema refuses it */
        char *lit = g4_gemma_format_value(v, false);
        if (!lit) {
            oom(c);
            return;
        }
        if (reads_back(lit, v)) {
            if (!lit_insert(c, root, lit, strlen(lit), 0, -1)) {
                free(lit);
                return;
            }
            any = true;
        }
        free(lit);
    }
    if (!any) c->g->nodes[ni].kinds = 0;
}

static bool memo_add(compiler *c, const cJSON *s, int32_t node) {
    if (c->n_memo == c->cap_memo) {
        int cap = c->cap_memo ? c->cap_memo * 2 : 32;
        memo_entry *m = realloc(c->memo, sizeof *m * (size_t)cap);
        if (!m) return oom(c);
        c->memo = m;
        c->cap_memo = cap;
    }
    c->memo[c->n_memo++] = (memo_entry){s, node};
    return true;
}

static int32_t compile_alternatives(compiler *c, const cJSON *s, const char *which) {
    cJSON *base = without(c, s, which);
    if (!base) return -1;
    int32_t ni = new_node(c);
    if (ni < 0 || !memo_add(c, s, ni)) return -1;
    int32_t first = -1, n = 0;
    int32_t subs[256];
    const cJSON *b;
    cJSON_ArrayForEach(b, kw(s, which)) {
        if (cJSON_IsFalse(b)) continue;
        cJSON *merged = own(c, cJSON_Duplicate(base, true));
        if (!merged || !merge_into(c, merged, b)) return -1;
        int32_t sub = compile_schema(c, merged);
        if (sub < 0) return -1;
        if (tcc_inhabited(c->g, sub) && n < 256) subs[n++] = sub;
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t at = push_list(c, subs[i]);
        if (at < 0) return -1;
        if (first < 0) first = at;
    }
    c->g->nodes[ni].first_alt = first;
    c->g->nodes[ni].n_alts = n;
    return ni;
}

static int32_t compile_schema(compiler *c, const cJSON *s) {
    if (c->st != GEMMA4_OK) return -1;
    if (!s || cJSON_IsTrue(s) || !cJSON_IsObject(s)) return cJSON_IsFalse(s) ? TCC_NONE : TCC_ANY;
    for (int i = 0; i < c->n_memo; i++)
        if (c->memo[i].schema == s) return c->memo[i].node;
    if (c->depth >= MAX_COMPILE_DEPTH) {
        c->st = g4_fail(c->err, GEMMA4_ERR_UNSUPPORTED,
                        "tool '%s': the parameters schema nests (or refers to itself) more than %d levels deep",
                        c->tool, MAX_COMPILE_DEPTH);
        return -1;
    }
    c->depth++;
    int32_t result = -1;
    const cJSON *ref = kw(s, "$ref"), *all = kw(s, "allOf");
    if (cJSON_IsString(ref)) {
        const cJSON *target = g4_schema_resolve_ref(c->doc, ref->valuestring);
        if (!target) {
            c->st = g4_fail(c->err, GEMMA4_ERR_INVALID_ARG,
                            "tool '%s': cannot resolve $ref '%s' (only '#/...' inside the parameters is supported)",
                            c->tool, ref->valuestring);
        } else if (cJSON_GetArraySize(s) == 1) {
            result = compile_schema(c, target);
        } else {
            cJSON *merged = cJSON_IsFalse(target) ? NULL : own(c, cJSON_Duplicate(target, true));
            cJSON *rest = without(c, s, "$ref");
            if (cJSON_IsFalse(target))
                result = TCC_NONE;
            else if (merged && rest && cJSON_IsObject(merged) && merge_into(c, merged, rest))
                result = compile_schema(c, merged);
            else if (merged && rest)
                result = compile_schema(c, rest);
        }
    } else if (cJSON_IsArray(all)) {
        cJSON *merged = without(c, s, "allOf");
        bool none = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, all) {
            if (cJSON_IsFalse(e)) none = true;
            const cJSON *er = cJSON_IsObject(e) && cJSON_IsString(kw(e, "$ref"))
                                  ? g4_schema_resolve_ref(c->doc, kw(e, "$ref")->valuestring)
                                  : e;
            if (merged && !merge_into(c, merged, er ? er : e)) merged = NULL;
        }
        result = none ? TCC_NONE : merged ? compile_schema(c, merged) : -1;
    } else if (cJSON_IsArray(kw(s, "anyOf"))) {
        result = compile_alternatives(c, s, "anyOf");
    } else if (cJSON_IsArray(kw(s, "oneOf"))) {
        result = compile_alternatives(c, s, "oneOf");
    } else {
        int32_t ni = new_node(c);
        if (ni >= 0 && memo_add(c, s, ni)) {
            kinds_of(s, &c->g->nodes[ni]);
            tcc_node *n = &c->g->nodes[ni];
            n->min_len = count_kw(s, "minLength", 0, true);
            n->max_len = count_kw(s, "maxLength", TCC_UNBOUNDED, false);
            if (n->min_len > n->max_len) n->kinds &= (uint8_t)~TCC_STRING;
            compile_number(s, n);
            if (c->g->nodes[ni].kinds & TCC_OBJECT) compile_object(c, ni, s);
            if (c->st == GEMMA4_OK && (c->g->nodes[ni].kinds & TCC_ARRAY)) compile_array(c, ni, s);
            if (c->st == GEMMA4_OK) compile_enum(c, ni, s);
            if (c->st == GEMMA4_OK) result = ni;
        }
    }
    c->depth--;
    return c->st == GEMMA4_OK ? result : -1;
}

/* ---------------------------------------------------------------------------------------------- */

static bool name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || !g4_piece_is_plain(name, n)) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                  ch == '-' || ch == '.' || ch == ':' || ch >= 0x80;
        if (!ok) return false;
    }
    return true;
}

/* The node that reads the arguments object: the schema itself or the first anyOf / oneOf branch
 * that allows an object (an enum of whole argument objects is not followed). -1 if none. */
static int32_t args_object(const struct g4_tcc *g, int32_t n, int depth) {
    if (n < 0 || depth > MAX_COMPILE_DEPTH) return -1;
    const tcc_node *node = &g->nodes[n];
    if (node->n_alts > 0) {
        for (int32_t i = 0; i < node->n_alts; i++) {
            int32_t r = args_object(g, g->list[node->first_alt + i], depth + 1);
            if (r >= 0) return r;
        }
        return -1;
    }
    return (node->kinds & TCC_OBJECT) && node->enum_lit < 0 ? n : -1;
}

void g4_tcc_free(g4_tcc *g) {
    if (!g) return;
    free(g->nodes);
    free(g->lits);
    free(g->props);
    free(g->list);
    free(g->tool_node);
    free(g);
}

gemma4_status g4_tcc_compile(const cJSON *tools, g4_tcc **out, g4_error *err) {
    *out = NULL;
    if (!cJSON_IsArray(tools)) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tools: not a JSON array");
    g4_tcc *g = calloc(1, sizeof *g);
    if (!g) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory compiling the tools");
    compiler c = {.g = g, .err = err, .tool = "?"};
    /* node 0: any value; node 1: none */
    int32_t any = new_node(&c), none = new_node(&c);
    if (any == TCC_ANY && none == TCC_NONE) {
        g->nodes[TCC_ANY].kinds = TCC_ALL;
        g->nodes[TCC_ANY].free_keys = true;
        g->nodes[TCC_NONE].kinds = 0;
    }
    g->names_lit = new_lit(&c);
    int n_tools = cJSON_GetArraySize(tools);
    g->tool_node = malloc(sizeof *g->tool_node * (size_t)(n_tools ? n_tools : 1));
    if (!g->tool_node) oom(&c);
    int callable = 0;
    char why[400] = "";
    const cJSON *t;
    int ti = 0;
    cJSON_ArrayForEach(t, tools) {
        if (c.st != GEMMA4_OK) break;
        const cJSON *fn = cJSON_IsObject(kw(t, "function")) ? kw(t, "function") : t;
        const cJSON *name = kw(fn, "name"), *params = kw(fn, "parameters");
        g->tool_node[ti] = -1;
        g->n_tools = ti + 1;
        if (!cJSON_IsString(name) || !name_ok(name->valuestring)) {
            snprintf(why, sizeof why, "tool %d: %s", ti,
                     cJSON_IsString(name) ? "its name is not one a call can spell ([A-Za-z0-9_.:-] or non-ASCII)"
                                          : "no function name");
            ti++;
            continue;
        }
        c.tool = name->valuestring;
        c.doc = params;
        c.n_memo = 0;
        int32_t node;
        if (!params) {
            /* no parameters: the call's arguments are {} */
            node = new_node(&c);
            if (node >= 0) {
                g->nodes[node].kinds = TCC_OBJECT;
                g->nodes[node].free_keys = false;
            }
        } else {
            node = compile_schema(&c, params);
        }
        if (node < 0) break;
        node = args_object(g, node, 0);
        g->tool_node[ti] = node;
        char buf[600];
        int len = snprintf(buf, sizeof buf, "%s{", name->valuestring);
        if (len > 0 && (size_t)len < sizeof buf && node >= 0) {
            if (!lit_insert(&c, g->names_lit, buf, (size_t)len, ti, -1)) break;
            callable++;
        } else {
            snprintf(why, sizeof why, "tool '%.200s': its parameters allow no arguments object", c.tool);
        }
        ti++;
    }
    for (int i = 0; i < c.n_owned; i++) cJSON_Delete(c.owned[i]);
    free(c.owned);
    free(c.memo);
    if (c.st == GEMMA4_OK && callable == 0)
        c.st = g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tools: no tool can be called%s%s", why[0] ? " (" : "",
                       why[0] ? why : "");
    if (c.st != GEMMA4_OK) {
        g4_tcc_free(g);
        return c.st;
    }
    *out = g;
    return GEMMA4_OK;
}
