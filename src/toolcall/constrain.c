/*
 * The constrained-decoding automaton (constrain.h) and the walk that turns one of its states into
 * the set of allowed tokens.
 *
 * Outside calls the tool-call parser decides; inside, a byte-level automaton follows the compiled
 * schema (constrain_internal.h). Every check is made on the byte that would break it and looks
 * ahead as far as needed for the state after the byte to stay completable: a key is only begun
 * when some usable key starts with it, a number digit only when a number in bounds still starts
 * with the digits so far, a string byte only when the length limits can still be met, '}' only
 * when the required keys are there.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "toolcall/constrain_internal.h"

enum mode {
    MD_TEXT,     /* outside calls: the parser */
    MD_PREFIX,   /* sub bytes of "call:" */
    MD_NAME,     /* in the names trie at lit */
    MD_OBJ_OPEN, /* after '{': a key or '}' */
    MD_OBJ_NEXT, /* after ',' in an object: a key */
    MD_KEY,      /* in a key: declared trie at lit and/or an undeclared key (key_free) */
    MD_VALUE,    /* before a value of node vnode */
    MD_ARR_OPEN, /* after '[': an item or ']' */
    MD_ENUM,     /* in the enum trie at lit */
    MD_STR_OPEN, /* sub bytes of the opening quote */
    MD_STR,      /* string content: committed characters, sub bytes of a closing quote pending */
    MD_NUM,      /* num[0..num_len) in phase */
    MD_WORD,     /* sub bytes of k_words[word] */
    MD_AFTER,    /* after a value in the container on top */
    MD_CLOSE,    /* sub bytes of "<tool_call|>" */
    MD_FAILED
};

enum phase { P_MINUS, P_ZERO, P_INT, P_DOT, P_FRAC, P_E, P_ESIGN, P_EXP };

static const char QUOTE[] = "<|\"|>";
static const char CALL_PREFIX[] = "call:";
static const char CALL_CLOSE[] = "<tool_call|>";
static const char *const k_words[] = {"true", "false", "null", "None"};

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static bool fail(g4_tcc_state *st) {
    st->mode = MD_FAILED;
    return false;
}

static g4_tcc_level *top(g4_tcc_state *st) {
    return &st->u.call.stack[st->depth - 1];
}

static bool is_digit(unsigned c) {
    return c >= '0' && c <= '9';
}

/* ---------------------------------------------------------------------------------------------- */
/* Objects                                                                                         */

static uint64_t all_props(const tcc_node *n) {
    return n->n_props >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << n->n_props) - 1);
}

/* Room for one more optional key once the unseen required ones are counted. */
static bool room_for_optional(const tcc_node *n, const g4_tcc_level *l) {
    uint64_t unseen_req = n->required & ~l->seen;
    return (uint64_t)l->count + 1 + (uint64_t)__builtin_popcountll(unseen_req) <= n->max_props;
}

static uint64_t usable_keys(const struct g4_tcc *g, const g4_tcc_level *l) {
    const tcc_node *n = &g->nodes[l->node];
    uint64_t unseen = all_props(n) & ~l->seen;
    return room_for_optional(n, l) ? unseen : unseen & n->required;
}

static bool free_key_usable(const struct g4_tcc *g, const g4_tcc_state *st, const g4_tcc_level *l) {
    const tcc_node *n = &g->nodes[l->node];
    return n->free_keys && l->nfree < G4_TCC_FREE_PER_OBJECT && st->nfree < G4_TCC_MAX_FREE && room_for_optional(n, l);
}

static bool obj_can_close(const struct g4_tcc *g, const g4_tcc_level *l) {
    const tcc_node *n = &g->nodes[l->node];
    return (n->required & ~l->seen) == 0 && l->count >= n->min_props;
}

static bool obj_can_add(const struct g4_tcc *g, const g4_tcc_state *st, const g4_tcc_level *l) {
    return l->count < g->nodes[l->node].max_props && (usable_keys(g, l) != 0 || free_key_usable(g, st, l));
}

static bool free_key_seen(const g4_tcc_state *st, const g4_tcc_level *l, uint64_t h) {
    for (int i = st->nfree - l->nfree; i < st->nfree; i++)
        if (st->u.call.free_keys[i] == h) return true;
    return false;
}

static bool free_key_char(unsigned c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

/* ---------------------------------------------------------------------------------------------- */
/* Arrays                                                                                          */

static int32_t item_node(const struct g4_tcc *g, const tcc_node *n, uint32_t i) {
    return i < (uint32_t)n->n_prefix ? g->list[n->first_prefix + (int32_t)i] : n->items;
}

/* ---------------------------------------------------------------------------------------------- */
/* Numbers: can the digits so far still become a number within the bounds?                        */

static bool real_meets(const tcc_node *n, double lo, bool lo_in, double hi, bool hi_in) {
    if (n->has_lo) {
        if (n->lo > lo)
            lo = n->lo, lo_in = !n->lo_excl;
        else if (n->lo == lo)
            lo_in = lo_in && !n->lo_excl;
    }
    if (n->has_hi) {
        if (n->hi < hi)
            hi = n->hi, hi_in = !n->hi_excl;
        else if (n->hi == hi)
            hi_in = hi_in && !n->hi_excl;
    }
    return lo < hi || (lo == hi && lo_in && hi_in);
}

static bool int_meets(const tcc_node *n, double lo, double hi) {
    if (n->has_lo) lo = fmax(lo, n->lo_excl ? floor(n->lo) + 1 : ceil(n->lo));
    if (n->has_hi) hi = fmin(hi, n->hi_excl ? ceil(n->hi) - 1 : floor(n->hi));
    return lo <= hi;
}

static double num_value(const char *text, size_t len) {
    char buf[G4_TCC_NUM_CAP + 1];
    memcpy(buf, text, len);
    buf[len] = '\0';
    return strtod(buf, NULL);
}

static bool num_complete(unsigned phase) {
    return phase == P_ZERO || phase == P_INT || phase == P_FRAC || phase == P_EXP;
}

/* The finished number against the bounds, compared as the validator compares: as doubles. */
static bool num_final_ok(const tcc_node *n, const char *text, size_t len) {
    double v = num_value(text, len);
    if (n->has_lo && (n->lo_excl ? !(v > n->lo) : !(v >= n->lo))) return false;
    if (n->has_hi && (n->hi_excl ? !(v < n->hi) : !(v <= n->hi))) return false;
    return !n->integer || (isfinite(v) && v == floor(v));
}

static bool num_viable(const tcc_node *n, const char *text, size_t len, unsigned phase) {
    if (len >= G4_TCC_NUM_CAP) return num_complete(phase) && num_final_ok(n, text, len);
    if (!n->has_lo && !n->has_hi) return true;
    bool neg = text[0] == '-';
    const char *digits = text + neg;
    size_t room = G4_TCC_NUM_CAP - len;
    switch (phase) {
    case P_MINUS:
        return n->integer ? int_meets(n, -INFINITY, 0) : real_meets(n, -INFINITY, false, 0, true);
    case P_ZERO:
        if (n->integer) return int_meets(n, 0, 0);
        return neg ? real_meets(n, -1, false, 0, true) : real_meets(n, 0, true, 1, false);
    case P_INT: {
        /* more digits scale the value by 10^k: the candidates are [d*10^k, (d+1)*10^k) */
        double d = fabs(num_value(text, len)), a = d, b = d + 1;
        for (size_t k = 0; k <= room && isfinite(b); k++, a *= 10, b *= 10) {
            bool hit;
            if (n->integer)
                hit = neg ? int_meets(n, -(b - 1), -a) : int_meets(n, a, b - 1);
            else
                hit = neg ? real_meets(n, -b, false, -a, true) : real_meets(n, a, true, b, false);
            if (hit) return true;
            if ((!neg && n->has_hi && a > n->hi) || (neg && n->has_lo && -a < n->lo)) break;
        }
        return false;
    }
    case P_DOT: {
        double d = fabs(num_value(digits, len - 1 - neg));
        return neg ? real_meets(n, -(d + 1), false, -d, true) : real_meets(n, d, true, d + 1, false);
    }
    case P_FRAC: {
        double a = fabs(num_value(text, len));
        const char *dot = memchr(text, '.', len);
        double w = pow(10.0, -(double)(len - (size_t)(dot - text) - 1));
        return neg ? real_meets(n, -(a + w), false, -a, true) : real_meets(n, a, true, a + w, false);
    }
    default:
        return true; /* exponents only appear in unbounded numbers */
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Values                                                                                          */

/* The node (n itself or an anyOf/oneOf branch) that lets a value begin with byte c, or -1. */
static int32_t start_node(const struct g4_tcc *g, const g4_tcc_state *st, int32_t ni, unsigned c, int guard) {
    if (ni < 0 || guard > 64) return -1;
    const tcc_node *n = &g->nodes[ni];
    if (n->n_alts > 0) {
        for (int32_t i = 0; i < n->n_alts; i++) {
            int32_t r = start_node(g, st, g->list[n->first_alt + i], c, guard + 1);
            if (r >= 0) return r;
        }
        return -1;
    }
    if (n->enum_lit >= 0) return tcc_lit_child(g, n->enum_lit, (unsigned char)c) >= 0 ? ni : -1;
    uint8_t k = n->kinds;
    switch (c) {
    case '<':
        return (k & TCC_STRING) ? ni : -1;
    case 't':
    case 'f':
        return (k & TCC_BOOL) ? ni : -1;
    case 'n':
    case 'N':
        return (k & TCC_NULL) ? ni : -1;
    case '{':
        return (k & TCC_OBJECT) && st->depth < G4_TCC_MAX_DEPTH ? ni : -1;
    case '[':
        return (k & TCC_ARRAY) && st->depth < G4_TCC_MAX_DEPTH ? ni : -1;
    default:
        if (c != '-' && !is_digit(c)) return -1;
        if (!(k & TCC_NUMBER)) return -1;
        char t = (char)c;
        return num_viable(n, &t, 1, c == '-' ? P_MINUS : c == '0' ? P_ZERO : P_INT) ? ni : -1;
    }
}

static bool push(g4_tcc_state *st, int32_t node, bool array) {
    if (st->depth >= G4_TCC_MAX_DEPTH) return false;
    st->u.call.stack[st->depth++] = (g4_tcc_level){.node = node, .is_array = array};
    st->mode = array ? MD_ARR_OPEN : MD_OBJ_OPEN;
    return true;
}

static void pop(g4_tcc_state *st) {
    st->nfree = (uint8_t)(st->nfree - top(st)->nfree);
    st->depth--;
    st->mode = st->depth ? MD_AFTER : MD_CLOSE;
    st->sub = 0;
}

static bool begin_value(const struct g4_tcc *g, g4_tcc_state *st, int32_t node, unsigned c) {
    int32_t ni = start_node(g, st, node, c, 0);
    if (ni < 0) return fail(st);
    const tcc_node *n = &g->nodes[ni];
    st->vnode = ni;
    if (n->enum_lit >= 0) {
        st->lit = tcc_lit_child(g, n->enum_lit, (unsigned char)c);
        st->mode = MD_ENUM;
        return true;
    }
    switch (c) {
    case '<':
        st->mode = MD_STR_OPEN;
        st->sub = 1;
        return true;
    case 't':
    case 'f':
    case 'n':
    case 'N':
        st->word = c == 't' ? 0 : c == 'f' ? 1 : c == 'n' ? 2 : 3;
        st->mode = MD_WORD;
        st->sub = 1;
        return true;
    case '{':
        return push(st, ni, false) || fail(st);
    case '[':
        return push(st, ni, true) || fail(st);
    default:
        st->num[0] = (char)c;
        st->num_len = 1;
        st->phase = c == '-' ? P_MINUS : c == '0' ? P_ZERO : P_INT;
        st->mode = MD_NUM;
        return true;
    }
}

/* String content (no closing quote pending before c). */
static bool string_byte(g4_tcc_state *st, const tcc_node *n, unsigned c) {
    /* valid UTF-8 without NUL, the parser's rule */
    if (c == 0 || !g4_utf8_feed(&st->utf8, (unsigned char)c)) return fail(st);
    if (c == '<') {
        /* either the closing quote (needs min_len met) or content (needs one more character) */
        if (!(st->committed >= n->min_len || (uint64_t)st->committed + 1 <= n->max_len)) return fail(st);
        st->sub = 1;
        return true;
    }
    if ((c & 0xC0) != 0x80) {
        if (st->committed >= n->max_len) return fail(st);
        st->committed++;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------- */
/* One byte inside a call                                                                          */

static void enter_text(g4_tcc_state *st) {
    g4_tc_parser_init(&st->u.text, 0, NULL, NULL);
    st->u.text.pos = st->nbytes + 1; /* not the start of the output: "<|turn>" is no longer allowed */
    st->mode = MD_TEXT;
}

static bool key_byte(const struct g4_tcc *g, g4_tcc_state *st, unsigned c) {
    g4_tcc_level *l = top(st);
    const tcc_node *n = &g->nodes[l->node];
    int32_t next = st->lit >= 0 ? tcc_lit_child(g, st->lit, (unsigned char)c) : -1;
    if (next >= 0 && g->lits[next].term >= 0) {
        /* "key:" of a declared property: it is that property, usable or not */
        int32_t p = g->lits[next].term;
        uint64_t bit = (uint64_t)1 << p;
        if (!(usable_keys(g, l) & bit)) return fail(st);
        l->seen |= bit;
        l->count++;
        st->vnode = g->props[n->first_prop + p];
        st->mode = MD_VALUE;
        return true;
    }
    bool free_alive = st->key_free;
    if (free_alive) {
        if (c == ':') {
            if (st->key_len == 0 || free_key_seen(st, l, st->key_hash)) return fail(st);
            st->u.call.free_keys[st->nfree++] = st->key_hash;
            l->nfree++;
            l->count++;
            st->vnode = n->free_value;
            st->mode = MD_VALUE;
            return true;
        }
        if (free_key_char(c) && st->key_len < G4_TCC_FREE_KEY_MAX) {
            st->key_len++;
            st->key_hash = (st->key_hash ^ c) * FNV_PRIME;
        } else {
            free_alive = false;
        }
    }
    st->lit = next;
    st->key_free = free_alive;
    bool declared_ok = next >= 0 && (g->lits[next].mask & usable_keys(g, l)) != 0;
    bool free_ok = free_alive;
    if (free_ok && st->key_len == G4_TCC_FREE_KEY_MAX) {
        /* only ':' can follow: the key must be new and not a declared one */
        int32_t colon = next >= 0 ? tcc_lit_child(g, next, ':') : -1;
        free_ok = !free_key_seen(st, l, st->key_hash) && (colon < 0 || g->lits[colon].term < 0);
    }
    return declared_ok || free_ok || fail(st);
}

static bool begin_key(const struct g4_tcc *g, g4_tcc_state *st, unsigned c) {
    g4_tcc_level *l = top(st);
    const tcc_node *n = &g->nodes[l->node];
    if (l->count >= n->max_props) return fail(st);
    st->lit = n->key_lit;
    st->key_free = free_key_usable(g, st, l);
    st->key_len = 0;
    st->key_hash = FNV_OFFSET;
    st->mode = MD_KEY;
    return key_byte(g, st, c);
}

static bool call_byte(const struct g4_tcc *g, g4_tcc_state *st, unsigned c) {
    for (;;) {
        switch (st->mode) {
        case MD_PREFIX:
            if ((unsigned char)CALL_PREFIX[st->sub] != c) return fail(st);
            if (CALL_PREFIX[++st->sub] == '\0') {
                st->mode = MD_NAME;
                st->lit = g->names_lit;
            }
            return true;
        case MD_NAME: {
            int32_t next = tcc_lit_child(g, st->lit, (unsigned char)c);
            if (next < 0) return fail(st);
            if (g->lits[next].term >= 0) return push(st, g->tool_node[g->lits[next].term], false) || fail(st);
            st->lit = next;
            return true;
        }
        case MD_OBJ_OPEN:
            if (c == '}') {
                if (!obj_can_close(g, top(st))) return fail(st);
                pop(st);
                return true;
            }
            return begin_key(g, st, c);
        case MD_OBJ_NEXT:
            return begin_key(g, st, c);
        case MD_KEY:
            return key_byte(g, st, c);
        case MD_VALUE:
            return begin_value(g, st, st->vnode, c);
        case MD_ARR_OPEN: {
            g4_tcc_level *l = top(st);
            const tcc_node *n = &g->nodes[l->node];
            if (c == ']') {
                if (n->min_items > 0) return fail(st);
                pop(st);
                return true;
            }
            int32_t item = item_node(g, n, 0);
            if (n->max_items == 0 || item == TCC_NO_ITEMS) return fail(st);
            l->count = 1;
            return begin_value(g, st, item, c);
        }
        case MD_ENUM: {
            int32_t next = tcc_lit_child(g, st->lit, (unsigned char)c);
            if (next >= 0) {
                st->lit = next;
                return true;
            }
            if (g->lits[st->lit].term < 0) return fail(st);
            st->mode = MD_AFTER; /* the value is complete: c belongs to what follows */
            continue;
        }
        case MD_STR_OPEN:
            if ((unsigned char)QUOTE[st->sub] != c) return fail(st);
            if (QUOTE[++st->sub] == '\0') {
                st->mode = MD_STR;
                st->sub = 0;
                st->committed = 0;
                st->utf8 = (g4_utf8_state){0};
            }
            return true;
        case MD_STR: {
            const tcc_node *n = &g->nodes[st->vnode];
            if (st->sub == 0) return string_byte(st, n, c);
            if ((unsigned char)QUOTE[st->sub] == c) {
                if (QUOTE[++st->sub] == '\0') {
                    if (st->committed < n->min_len) return fail(st);
                    st->mode = MD_AFTER;
                    return true;
                }
                /* closing now, or the pending bytes turn out to be content */
                return st->committed >= n->min_len || (uint64_t)st->committed + st->sub <= n->max_len || fail(st);
            }
            /* "<|..." that is not the quote: the held bytes are content */
            if ((uint64_t)st->committed + st->sub > n->max_len) return fail(st);
            st->committed += st->sub;
            st->sub = 0;
            return string_byte(st, n, c);
        }
        case MD_NUM: {
            const tcc_node *n = &g->nodes[st->vnode];
            bool exp_ok = !n->integer && !n->has_lo && !n->has_hi;
            int next = -1;
            switch (st->phase) {
            case P_MINUS:
                next = c == '0' ? P_ZERO : is_digit(c) ? P_INT : -2;
                break;
            case P_ZERO:
            case P_INT:
            case P_FRAC:
                if (is_digit(c))
                    next = st->phase == P_ZERO ? -2 : st->phase;
                else if (c == '.' && st->phase != P_FRAC)
                    next = n->integer ? -2 : P_DOT;
                else if (c == 'e' || c == 'E')
                    next = exp_ok ? P_E : -2;
                break;
            case P_DOT:
                next = is_digit(c) ? P_FRAC : -2;
                break;
            case P_E:
                next = (c == '+' || c == '-') ? P_ESIGN : is_digit(c) ? P_EXP : -2;
                break;
            case P_ESIGN:
                next = is_digit(c) ? P_EXP : -2;
                break;
            case P_EXP:
                if (is_digit(c)) next = P_EXP;
                break;
            }
            if (next == -2) return fail(st);
            if (next < 0) {
                /* c ends the number */
                if (!num_complete(st->phase) || !num_final_ok(n, st->num, st->num_len)) return fail(st);
                st->mode = MD_AFTER;
                continue;
            }
            if (st->num_len >= G4_TCC_NUM_CAP) return fail(st);
            st->num[st->num_len++] = (char)c;
            st->phase = (uint8_t)next;
            return num_viable(n, st->num, st->num_len, st->phase) || fail(st);
        }
        case MD_WORD:
            if ((unsigned char)k_words[st->word][st->sub] != c) return fail(st);
            if (k_words[st->word][++st->sub] == '\0') st->mode = MD_AFTER;
            return true;
        case MD_AFTER: {
            g4_tcc_level *l = top(st);
            const tcc_node *n = &g->nodes[l->node];
            if (c == ',') {
                if (l->is_array) {
                    int32_t item = item_node(g, n, l->count);
                    if (l->count >= n->max_items || item == TCC_NO_ITEMS) return fail(st);
                    st->vnode = item;
                    l->count++;
                    st->mode = MD_VALUE;
                    return true;
                }
                if (!obj_can_add(g, st, l)) return fail(st);
                st->mode = MD_OBJ_NEXT;
                return true;
            }
            if (c == (l->is_array ? ']' : '}')) {
                if (l->is_array ? l->count < n->min_items : !obj_can_close(g, l)) return fail(st);
                pop(st);
                return true;
            }
            return fail(st);
        }
        case MD_CLOSE:
            if ((unsigned char)CALL_CLOSE[st->sub] != c) return fail(st);
            if (CALL_CLOSE[++st->sub] == '\0') {
                st->ncalls++;
                enter_text(st);
            }
            return true;
        default:
            return fail(st);
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */

void g4_tcc_start(const g4_tcc *g, g4_tcc_state *st, unsigned parser_flags) {
    (void)g;
    memset(st, 0, offsetof(g4_tcc_state, u));
    st->lit = -1;
    st->mode = MD_TEXT;
    g4_tc_parser_init(&st->u.text, parser_flags, NULL, NULL);
}

/* The parser reads any prefix that could still become valid text, except in one corner: after a
 * stray "<channel|>" only whitespace and the end markers may follow, so a pending marker there
 * must be on its way to one of those. */
static bool text_viable(const g4_tc_parser *p) {
    static const char *const after_stray[] = {"<turn|>", "<|tool_response>", "<channel|>"};
    if (!p->stray_pos || !p->mark_len || g4_tc_parser_position(p) != G4_TC_POS_TEXT) return true;
    for (int i = 0; i < 3; i++)
        if (strlen(after_stray[i]) > p->mark_len && !memcmp(after_stray[i], p->mark, p->mark_len)) return true;
    return false;
}

static bool text_byte(g4_tcc_state *st, const char *b) {
    g4_tc_parser *p = &st->u.text;
    uint32_t calls = p->ncalls;
    if (!g4_tc_parser_feed(p, b, 1) || !text_viable(p)) return fail(st);
    if (p->ncalls != calls) {
        /* "<|tool_call>" is complete: the automaton reads the call */
        st->mode = MD_PREFIX;
        st->sub = 0;
        st->depth = 0;
        st->nfree = 0;
    }
    return true;
}

bool g4_tcc_feed(const g4_tcc *g, g4_tcc_state *st, const char *bytes, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (st->mode == MD_FAILED) return false;
        if (st->mode == MD_TEXT) {
            /* text goes to the parser in one piece unless a call begins in it */
            g4_tc_parser save = st->u.text;
            if (g4_tc_parser_feed(&st->u.text, bytes + i, n - i) && st->u.text.ncalls == save.ncalls &&
                text_viable(&st->u.text)) {
                st->nbytes += n - i;
                return true;
            }
            st->u.text = save;
            while (i < n && st->mode == MD_TEXT) {
                if (!text_byte(st, bytes + i)) return false;
                i++;
                st->nbytes++;
            }
            continue;
        }
        if (!call_byte(g, st, (unsigned char)bytes[i])) return false;
        i++;
        st->nbytes++;
    }
    return st->mode != MD_FAILED;
}

bool g4_tcc_can_end(const g4_tcc *g, const g4_tcc_state *st) {
    (void)g;
    return st->mode == MD_TEXT && g4_tc_parser_can_end(&st->u.text);
}

bool g4_tcc_in_call(const g4_tcc_state *st) {
    return st->mode != MD_TEXT && st->mode != MD_FAILED;
}

/* ---------------------------------------------------------------------------------------------- */
/* The allowed set                                                                                 */

struct g4_tcc_walker {
    const g4_token_trie *trie;
    g4_tcc_state *scratch; /* one per trie level */
    uint64_t steps;
};

g4_tcc_walker *g4_tcc_walker_new(const g4_token_trie *trie) {
    g4_tcc_walker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->trie = trie;
    w->scratch = malloc(sizeof *w->scratch * ((size_t)trie->max_depth + 1));
    if (!w->scratch) {
        free(w);
        return NULL;
    }
    return w;
}

void g4_tcc_walker_free(g4_tcc_walker *w) {
    if (!w) return;
    free(w->scratch);
    free(w);
}

uint64_t g4_tcc_walker_steps(const g4_tcc_walker *w) {
    return w ? w->steps : 0;
}

/* Only the parts of the state in use are copied: the walk copies once per trie node it steps. */
static void state_copy(g4_tcc_state *d, const g4_tcc_state *s) {
    memcpy(d, s, offsetof(g4_tcc_state, u));
    if (s->mode == MD_TEXT) {
        d->u.text = s->u.text;
    } else {
        memcpy(d->u.call.stack, s->u.call.stack, sizeof *s->u.call.stack * s->depth);
        memcpy(d->u.call.free_keys, s->u.call.free_keys, sizeof *s->u.call.free_keys * s->nfree);
    }
}

/* The class of tokens st accepts wholesale (0: none) and up to how many characters (*limit,
 * UINT32_MAX: any). *exact: the class's longer tokens are refused too (else they must be tried). */
static unsigned wholesale(const struct g4_tcc *g, const g4_tcc_state *st, uint32_t *limit, bool *exact) {
    *exact = true;
    *limit = UINT32_MAX;
    if (st->mode == MD_STR) {
        /* content takes any plain bytes, as many characters as maxLength leaves */
        if (st->sub || st->utf8.need) return 0;
        uint32_t max = g->nodes[st->vnode].max_len;
        if (max != TCC_UNBOUNDED) *limit = max - st->committed;
        return G4_PIECE_PLAIN;
    }
    if (st->mode == MD_KEY) {
        /* an undeclared key takes word characters; the last one is checked against the others */
        if (!st->key_free || st->key_len + 1 >= G4_TCC_FREE_KEY_MAX) return 0;
        *limit = G4_TCC_FREE_KEY_MAX - 1 - st->key_len;
        *exact = false;
        return G4_PIECE_WORD;
    }
    if (st->mode != MD_TEXT) return 0;
    const g4_tc_parser *p = &st->u.text;
    g4_tc_position pos = g4_tc_parser_position(p);
    if ((pos != G4_TC_POS_TEXT && pos != G4_TC_POS_THOUGHT) || p->mark_len || p->utf8.need || p->stray_pos) return 0;
    /* text and thought take any plain byte, except right after "<|turn>" or "<|channel>" */
    g4_tc_parser copy = *p;
    return g4_tc_parser_feed(&copy, "x", 1) ? G4_PIECE_PLAIN : 0;
}

typedef struct walk_ctx {
    const struct g4_tcc *g;
    g4_tcc_walker *w;
    uint64_t *bits;
} walk_ctx;

/* What an ancestor decided wholesale for its subtree. */
typedef struct decided {
    unsigned cls;   /* 0: nothing */
    uint32_t limit; /* characters after the deciding node */
    uint32_t at;    /* characters consumed up to the deciding node */
    bool exact;
} decided;

static bool is_decided(const g4_token_trie *t, const decided *d, uint32_t pos) {
    if (!(t->cls[pos] & d->cls)) return false;
    /* chars[] saturates at 255: such a piece only fits an unlimited count */
    uint32_t ch = t->chars[pos];
    bool fits = d->limit == UINT32_MAX || (ch < 255 && ch - d->at <= d->limit);
    return fits || d->exact;
}

static void mark_class(walk_ctx *c, uint32_t lo, uint32_t hi, const decided *d) {
    const g4_token_trie *t = c->w->trie;
    for (uint32_t pos = lo; pos < hi; pos++) {
        if (!(t->cls[pos] & d->cls)) continue;
        uint32_t ch = t->chars[pos];
        if (d->limit == UINT32_MAX || (ch < 255 && ch - d->at <= d->limit)) g4_bitset_set(c->bits, t->ids[pos]);
    }
}

/* Whether a subtree holds a token the decision leaves open. */
static bool undecided_below(const g4_trie_node *n, const decided *d) {
    if (!d->cls) return true;
    if (n->has_other & d->cls) return true;
    return !d->exact && d->limit != UINT32_MAX && (n->max_chars == 255 || n->max_chars - d->at > d->limit);
}

static void walk(walk_ctx *c, uint32_t ni, const g4_tcc_state *st, uint32_t chars_in, decided d, uint32_t depth) {
    const g4_token_trie *t = c->w->trie;
    const g4_trie_node *n = &t->nodes[ni];
    if (!d.cls) {
        uint32_t limit;
        bool exact;
        unsigned cls = wholesale(c->g, st, &limit, &exact);
        if (cls) {
            d = (decided){cls, limit, chars_in, exact};
            const uint64_t *all = ni != 0                      ? NULL
                                  : limit >= t->max_chars[cls] ? t->class_bits[cls]
                                  : limit < G4_TRIE_SHORT      ? t->class_upto[cls][limit]
                                                               : NULL;
            if (all) {
                size_t words = ((size_t)t->n_vocab + 63) / 64;
                for (size_t i = 0; i < words; i++) c->bits[i] |= all[i];
            } else {
                mark_class(c, n->lo, n->hi, &d);
            }
        }
    }
    for (uint32_t pos = n->lo; pos < n->lo + n->n_term; pos++)
        if (!d.cls || !is_decided(t, &d, pos)) g4_bitset_set(c->bits, t->ids[pos]);
    if (depth >= t->max_depth) return;
    g4_tcc_state *next = &c->w->scratch[depth];
    for (uint32_t k = 0; k < n->n_children; k++) {
        uint32_t ci = n->first_child + k;
        const g4_trie_node *child = &t->nodes[ci];
        if (!undecided_below(child, &d)) continue;
        state_copy(next, st);
        c->w->steps++;
        if (g4_tcc_feed(c->g, next, t->pool + child->edge, child->edge_len))
            walk(c, ci, next, chars_in + child->edge_chars, d, depth + 1);
    }
}

void g4_tcc_allowed(const g4_tcc *g, const g4_tcc_state *st, g4_tcc_walker *w, uint64_t *allowed) {
    const g4_token_trie *t = w->trie;
    memset(allowed, 0, sizeof *allowed * (((size_t)t->n_vocab + 63) / 64));
    w->steps = 0;
    if (st->mode == MD_FAILED || t->n_nodes == 0) return;
    walk_ctx c = {g, w, allowed};
    walk(&c, 0, st, 0, (decided){0}, 1);
}
