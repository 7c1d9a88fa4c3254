#include "text/tokenizer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "text/vocab_internal.h"

/* ---------------------------------------------------------------------------------------------- */
/* Growable arrays                                                                                 */
/* ---------------------------------------------------------------------------------------------- */

typedef struct ids_vec {
    int32_t *ids;
    size_t n, cap;
    bool oom;
} ids_vec;

static void ids_push(ids_vec *a, int32_t id) {
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        int32_t *p = realloc(a->ids, cap * sizeof *p);
        if (!p) {
            a->oom = true;
            return;
        }
        a->ids = p;
        a->cap = cap;
    }
    a->ids[a->n++] = id;
}

/* Makes room for at least `need` elements of `size` bytes in *buf (capacity in *cap). */
static bool reserve(void **buf, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *p = realloc(*buf, c * size);
    if (!p) return false;
    *buf = p;
    *cap = c;
    return true;
}

/* ---------------------------------------------------------------------------------------------- */
/* 1. Special tokens: llama.cpp's tokenizer_st_partition                                           */
/* ---------------------------------------------------------------------------------------------- */

/* A piece of the input: a special token (token >= 0) or raw text still to be tokenized. */
typedef struct span {
    uint32_t pos, len;
    int32_t token;
} span;

typedef struct scratch {
    uint64_t *occ; /* special-token occurrences, (rank << 32 | position) */
    size_t occ_n, occ_cap;
    uint64_t *sorted; /* the same, ordered by rank then position */
    size_t sorted_cap;
    uint32_t *counts;
    uint8_t *claimed; /* one bit per input byte */
    span *matches;
    size_t match_n, match_cap;
    span *spans;
    size_t span_n, span_cap;
    uint8_t *escaped, *norm;
    size_t escaped_cap, norm_cap;
    struct bpe_sym *sym;
    size_t sym_cap;
    struct bpe_pair *heap;
    size_t heap_n, heap_cap;
} scratch;

static void scratch_free(scratch *s) {
    free(s->occ);
    free(s->sorted);
    free(s->counts);
    free(s->claimed);
    free(s->matches);
    free(s->spans);
    free(s->escaped);
    free(s->norm);
    free(s->sym);
    free(s->heap);
}

static inline uint32_t trie_child(const g4_special_trie *t, uint32_t node, uint8_t byte) {
    uint64_t key = (uint64_t)node << 8 | byte;
    uint32_t i = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & t->edge_mask;
    for (;; i = (i + 1) & t->edge_mask) {
        uint64_t e = t->edges[i];
        if (e == 0) return 0; /* the root is never a child, so 0 means "no edge" */
        if ((e >> 32) == key + 1) return (uint32_t)e;
    }
}

static int cmp_span_pos(const void *a, const void *b) {
    uint32_t x = ((const span *)a)->pos, y = ((const span *)b)->pos;
    return (x > y) - (x < y);
}

static inline bool bit_get(const uint8_t *bits, uint32_t i) {
    return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void bit_set(uint8_t *bits, uint32_t i) {
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/*
 * llama.cpp takes the special tokens longest first and, for each, cuts every leftmost
 * non-overlapping occurrence out of the raw text that earlier tokens left. The same result comes
 * from listing all occurrences once (a trie walk from each position), ordering them by (token
 * rank, position) and accepting an occurrence when it does not overlap an accepted one. Because
 * every span accepted earlier is at least as long as the current token, an overlap always covers
 * the occurrence's first or last byte, so two bit tests decide it.
 */
static gemma4_status partition(const g4_vocab *v, const uint8_t *t, uint32_t n, bool parse_special, scratch *s,
                               g4_error *err) {
    const g4_special_trie *trie = &v->trie;
    s->occ_n = s->match_n = s->span_n = 0;
    for (uint32_t p = 0; p < n; p++) {
        if (!trie->first_byte[t[p]]) continue;
        uint32_t node = 0;
        for (uint32_t q = p; q < n; q++) {
            node = trie_child(trie, node, t[q]);
            if (node == 0) break;
            int32_t rank = trie->node_rank[node];
            if (rank < 0) continue;
            if (!parse_special && (v->attr[v->special_order[rank]] & (G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_UNKNOWN)))
                continue; /* control and unknown tokens are text unless special parsing is on */
            if (!reserve((void **)&s->occ, &s->occ_cap, s->occ_n + 1, sizeof *s->occ)) goto oom;
            s->occ[s->occ_n++] = (uint64_t)rank << 32 | p;
        }
    }

    if (s->occ_n) {
        /* counting sort by rank; positions stay ascending within a rank */
        uint32_t ns = (uint32_t)v->n_special;
        free(s->counts);
        s->counts = calloc((size_t)ns + 1, sizeof *s->counts);
        if (!s->counts || !reserve((void **)&s->sorted, &s->sorted_cap, s->occ_n, sizeof *s->sorted)) goto oom;
        for (size_t i = 0; i < s->occ_n; i++) s->counts[(s->occ[i] >> 32) + 1]++;
        for (uint32_t r = 1; r <= ns; r++) s->counts[r] += s->counts[r - 1];
        for (size_t i = 0; i < s->occ_n; i++) s->sorted[s->counts[s->occ[i] >> 32]++] = s->occ[i];

        free(s->claimed);
        s->claimed = calloc(((size_t)n + 7) / 8, 1);
        if (!s->claimed) goto oom;
        int64_t cur_rank = -1;
        uint32_t last_end = 0;
        for (size_t i = 0; i < s->occ_n; i++) {
            int32_t rank = (int32_t)(s->sorted[i] >> 32);
            uint32_t p = (uint32_t)s->sorted[i];
            int32_t id = v->special_order[rank];
            uint32_t len = g4_vocab_text_len(v, id);
            if (rank != cur_rank) {
                cur_rank = rank;
                last_end = 0;
            }
            if (p < last_end || bit_get(s->claimed, p) || bit_get(s->claimed, p + len - 1)) continue;
            for (uint32_t k = p; k < p + len; k++) bit_set(s->claimed, k);
            last_end = p + len;
            if (!reserve((void **)&s->matches, &s->match_cap, s->match_n + 1, sizeof *s->matches)) goto oom;
            s->matches[s->match_n++] = (span){p, len, id};
        }
        qsort(s->matches, s->match_n, sizeof *s->matches, cmp_span_pos);
    }

    if (!reserve((void **)&s->spans, &s->span_cap, 2 * s->match_n + 1, sizeof *s->spans)) goto oom;
    uint32_t at = 0;
    for (size_t i = 0; i < s->match_n; i++) {
        const span *m = &s->matches[i];
        if (m->pos > at) s->spans[s->span_n++] = (span){at, m->pos - at, -1};
        s->spans[s->span_n++] = *m;
        at = m->pos + m->len;
    }
    if (at < n) s->spans[s->span_n++] = (span){at, n - at, -1};
    return GEMMA4_OK;
oom:
    return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory matching special tokens in %" PRIu32 " bytes", n);
}

/* ---------------------------------------------------------------------------------------------- */
/* 2. Spaces and UTF-8, as llama.cpp's gemma4 path sees them                                       */
/* ---------------------------------------------------------------------------------------------- */

static size_t escape_spaces(const uint8_t *src, size_t n, uint8_t *dst) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i] == ' ') {
            dst[m++] = 0xE2;
            dst[m++] = 0x96;
            dst[m++] = 0x81;
        } else {
            dst[m++] = src[i];
        }
    }
    return m;
}

/*
 * llama.cpp splits the text on newlines after decoding it to code points and builds the words back
 * from them, so what BPE sees is the text re-encoded by its lenient reader: a byte that cannot start
 * a complete sequence becomes U+FFFD (and only that byte is consumed); overlong forms decode to
 * their code point and come back short (C0 80 -> 00); surrogates pass through. A 4-byte form above
 * U+10FFFF makes llama.cpp's encoder throw (the process aborts); here it becomes U+FFFD.
 * An escaped space (E2 96 81) is always read whole, so every byte of the original text yields at
 * most three bytes here: the output is at most three times the unescaped input.
 * (This reading is llama.cpp's, not UTF-8 validation: core/utf8.h supplies only the bit patterns.)
 */
static size_t normalize_utf8(const uint8_t *s, size_t n, uint8_t *out) {
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t len = g4_utf8_lead_len(s[i]);
        bool whole = len > 1 && len <= n - i;
        for (size_t k = 1; whole && k < len; k++) whole = g4_utf8_is_cont(s[i + k]);
        uint32_t cp = s[i];
        if (whole)
            cp = g4_utf8_assemble(s + i, len);
        else if (cp >= 0x80)
            cp = 0xFFFD, len = 1;
        i += len;
        if (cp > 0x10FFFF) cp = 0xFFFD;
        m += g4_utf8_encode(cp, out + m);
    }
    return m;
}

/* ---------------------------------------------------------------------------------------------- */
/* 3. BPE over one word                                                                            */
/* ---------------------------------------------------------------------------------------------- */

typedef struct bpe_sym {
    uint32_t start, len; /* len 0: merged into its left neighbour */
    int32_t prev, next;
} bpe_sym;

/* A candidate merge of two adjacent symbols; `size` is their combined length when it was found,
 * which tells a stale entry (either side changed since) from a live one. */
typedef struct bpe_pair {
    int32_t rank, left, right;
    uint32_t size;
} bpe_pair;

static inline bool pair_before(const bpe_pair *a, const bpe_pair *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->left < b->left);
}

static bool heap_push(scratch *s, bpe_pair p) {
    if (!reserve((void **)&s->heap, &s->heap_cap, s->heap_n + 1, sizeof *s->heap)) return false;
    size_t i = s->heap_n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pair_before(&p, &s->heap[parent])) break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = p;
    return true;
}

static bpe_pair heap_pop(scratch *s) {
    bpe_pair top = s->heap[0], last = s->heap[--s->heap_n];
    size_t i = 0, n = s->heap_n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && pair_before(&s->heap[c + 1], &s->heap[c])) c++;
        if (!pair_before(&s->heap[c], &last)) break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (n) s->heap[i] = last;
    return top;
}

static bool try_pair(const g4_vocab *v, const uint8_t *w, scratch *s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return true;
    const bpe_sym *l = &s->sym[left], *r = &s->sym[right];
    int32_t rank = g4_vocab_merge_rank(v, (const char *)w + l->start, l->len, (const char *)w + r->start, r->len);
    if (rank < 0) return true;
    return heap_push(s, (bpe_pair){rank, left, right, l->len + r->len});
}

static void emit_symbol(const g4_vocab *v, const uint8_t *w, uint32_t len, ids_vec *out) {
    int32_t id = g4_vocab_find(v, (const char *)w, len);
    if (id >= 0) {
        ids_push(out, id);
        return;
    }
    for (uint32_t i = 0; i < len; i++) {
        int32_t b = v->byte_token[w[i]];
        if (b >= 0) ids_push(out, b); /* a byte with no <0xNN> token vanishes, as in llama.cpp */
    }
}

static bool bpe_word(const g4_vocab *v, const uint8_t *w, uint32_t n, scratch *s, ids_vec *out) {
    /* a run of newlines that is a token is kept whole (llama.cpp's gemma4 fix, PR 21343) */
    bool all_newlines = true;
    for (uint32_t i = 0; i < n && all_newlines; i++) all_newlines = w[i] == '\n';
    if (all_newlines && g4_vocab_find(v, (const char *)w, n) >= 0) {
        emit_symbol(v, w, n, out);
        return true;
    }

    /* one symbol per UTF-8 character, its length taken from the lead byte alone (the word is
     * normalized, so every lead byte is followed by the continuation bytes it announces) */
    if (!reserve((void **)&s->sym, &s->sym_cap, n, sizeof *s->sym)) return false;
    int32_t ns = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t len = (uint32_t)g4_utf8_lead_len(w[i]);
        if (len > n - i) len = n - i;
        s->sym[ns] = (bpe_sym){i, len, ns - 1, i + len < n ? ns + 1 : -1};
        ns++;
        i += len;
    }
    s->heap_n = 0;
    for (int32_t i = 1; i < ns; i++)
        if (!try_pair(v, w, s, i - 1, i)) return false;
    while (s->heap_n) {
        bpe_pair p = heap_pop(s);
        bpe_sym *l = &s->sym[p.left], *r = &s->sym[p.right];
        if (l->len == 0 || r->len == 0 || l->len + r->len != p.size) continue;
        l->len += r->len;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0) s->sym[r->next].prev = p.left;
        if (!try_pair(v, w, s, l->prev, p.left) || !try_pair(v, w, s, p.left, l->next)) return false;
    }
    for (int32_t i = 0; i >= 0; i = s->sym[i].next) emit_symbol(v, w + s->sym[i].start, s->sym[i].len, out);
    return true;
}

/* Raw text between special tokens: escape, normalize, split into newline runs, BPE each run. */
static bool tokenize_raw(const g4_vocab *v, const uint8_t *t, uint32_t n, scratch *s, ids_vec *out) {
    if (!reserve((void **)&s->escaped, &s->escaped_cap, 3 * (size_t)n, 1) ||
        !reserve((void **)&s->norm, &s->norm_cap, 3 * (size_t)n, 1))
        return false;
    size_t m = escape_spaces(t, n, s->escaped);
    m = normalize_utf8(s->escaped, m, s->norm);
    const uint8_t *w = s->norm;
    for (size_t i = 0; i < m;) {
        bool nl = w[i] == '\n';
        size_t j = i + 1;
        while (j < m && (w[j] == '\n') == nl) j++;
        if (!bpe_word(v, w + i, (uint32_t)(j - i), s, out)) return false;
        i = j;
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------- */
/* Entry points                                                                                    */
/* ---------------------------------------------------------------------------------------------- */

static gemma4_status tokenize_into(const g4_vocab *v, const char *text, size_t len, bool add_special,
                                   bool parse_special, ids_vec *out, g4_error *err) {
    if (!v) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: vocab is NULL");
    if (!text && len) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: text is NULL");
    if (len > G4_TOKENIZE_MAX_BYTES)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: text of %zu bytes is longer than the %zu accepted", len,
                       G4_TOKENIZE_MAX_BYTES);
    if (add_special && v->add_bos) {
        if (v->special_id[G4_SPECIAL_BOS] < 0)
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: the vocabulary adds BOS but has no BOS token");
        ids_push(out, v->special_id[G4_SPECIAL_BOS]);
    }
    gemma4_status st = GEMMA4_OK;
    if (len) {
        scratch s = {0};
        const uint8_t *t = (const uint8_t *)text;
        st = partition(v, t, (uint32_t)len, parse_special, &s, err);
        for (size_t i = 0; st == GEMMA4_OK && i < s.span_n; i++) {
            const span *sp = &s.spans[i];
            if (sp->token >= 0)
                ids_push(out, sp->token);
            else if (!tokenize_raw(v, t + sp->pos, sp->len, &s, out))
                st = g4_fail(err, GEMMA4_ERR_NOMEM, "tokenize: out of memory at byte %" PRIu32, sp->pos);
        }
        scratch_free(&s);
        if (st != GEMMA4_OK) return st;
    }
    if (add_special && v->add_eos) {
        if (v->special_id[G4_SPECIAL_EOS] < 0)
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: the vocabulary adds EOS but has no EOS token");
        ids_push(out, v->special_id[G4_SPECIAL_EOS]);
    }
    if (out->oom) return g4_fail(err, GEMMA4_ERR_NOMEM, "tokenize: out of memory for %zu token ids", out->n);
    return GEMMA4_OK;
}

gemma4_status g4_tokenize(const g4_vocab *v, const char *text, size_t len, bool add_special, bool parse_special,
                          int32_t *out, size_t cap, size_t *n_total, g4_error *err) {
    if (!n_total) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: n_total is NULL");
    *n_total = 0;
    if (!out && cap) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: out is NULL but cap is %zu", cap);
    ids_vec ids = {0};
    gemma4_status st = tokenize_into(v, text, len, add_special, parse_special, &ids, err);
    if (st == GEMMA4_OK) {
        *n_total = ids.n;
        if (ids.n && cap) memcpy(out, ids.ids, (ids.n < cap ? ids.n : cap) * sizeof *ids.ids);
    }
    free(ids.ids);
    return st;
}

gemma4_status g4_tokenize_alloc(const g4_vocab *v, const char *text, size_t len, bool add_special, bool parse_special,
                                int32_t **out, size_t *n_tokens, g4_error *err) {
    if (!out || !n_tokens) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "tokenize: out or n_tokens is NULL");
    *out = NULL;
    *n_tokens = 0;
    ids_vec ids = {0};
    gemma4_status st = tokenize_into(v, text, len, add_special, parse_special, &ids, err);
    if (st != GEMMA4_OK || ids.n == 0) {
        free(ids.ids);
        return st;
    }
    *out = ids.ids;
    *n_tokens = ids.n;
    return GEMMA4_OK;
}
