/* The token-piece radix trie (token_trie.h). */
#include "toolcall/token_trie.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

bool g4_piece_is_plain(const char *s, size_t n) {
    if (n == 0) return false;
    for (size_t i = 0, len; i < n; i += len) {
        if (s[i] == '\0' || s[i] == '<') return false;
        if ((len = g4_utf8_decode(s + i, n - i, NULL)) == 0) return false; /* invalid or cut short */
    }
    return true;
}

unsigned g4_piece_classes(const char *s, size_t n) {
    if (!g4_piece_is_plain(s, n)) return 0;
    unsigned c = G4_PIECE_PLAIN | G4_PIECE_WORD;
    for (size_t i = 0; i < n && (c & G4_PIECE_WORD); i++) {
        unsigned char b = (unsigned char)s[i];
        if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_'))
            c &= ~(unsigned)G4_PIECE_WORD;
    }
    return c;
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct builder {
    g4_token_trie *t;
    uint32_t *off, *len; /* by sorted position */
    size_t cap_nodes;
    bool oom;
} builder;

typedef struct sort_ctx {
    const char *pool;
    const uint32_t *off, *len;
} sort_ctx;

static int piece_cmp(const sort_ctx *c, uint32_t a, uint32_t b) {
    uint32_t la = c->len[a], lb = c->len[b];
    int r = memcmp(c->pool + c->off[a], c->pool + c->off[b], la < lb ? la : lb);
    if (r) return r;
    return la < lb ? -1 : la > lb ? 1 : (a < b ? -1 : a > b);
}

/* Bottom-up merge sort of idx[0..n) (qsort has no context argument in C11). */
static bool sort_pieces(const sort_ctx *c, uint32_t *idx, uint32_t n) {
    uint32_t *tmp = malloc(sizeof *tmp * (n ? n : 1));
    if (!tmp) return false;
    uint32_t *src = idx, *dst = tmp;
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = piece_cmp(c, src[i], src[j]) <= 0 ? src[i++] : src[j++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        uint32_t *s = src;
        src = dst;
        dst = s;
    }
    if (src != idx) memcpy(idx, src, sizeof *idx * n);
    free(tmp);
    return true;
}

static uint32_t new_nodes(builder *b, uint32_t k) {
    g4_token_trie *t = b->t;
    if (t->n_nodes + k > b->cap_nodes) {
        size_t cap = b->cap_nodes * 2;
        while (cap < t->n_nodes + k) cap *= 2;
        g4_trie_node *grown = realloc(t->nodes, sizeof *grown * cap);
        if (!grown) {
            b->oom = true;
            return UINT32_MAX;
        }
        t->nodes = grown;
        b->cap_nodes = cap;
    }
    uint32_t first = t->n_nodes;
    memset(t->nodes + first, 0, sizeof *t->nodes * k);
    t->n_nodes += k;
    return first;
}

/* Fills in node ni, whose path is d bytes long, and its subtree (its has_other and max_chars).
 * Recursion depth is at most the longest piece. */
static void build_node(builder *b, uint32_t ni, uint32_t d, uint32_t depth) {
    g4_token_trie *t = b->t;
    if (depth > t->max_depth) t->max_depth = depth;
    uint32_t lo = t->nodes[ni].lo, hi = t->nodes[ni].hi, p = lo;
    unsigned other = 0, max_chars = 0;
    for (; p < hi && b->len[p] == d; p++) {
        other |= ~(unsigned)t->cls[p] & (G4_PIECE_PLAIN | G4_PIECE_WORD);
        if (t->chars[p] > max_chars) max_chars = t->chars[p];
    }
    t->nodes[ni].n_term = (uint16_t)(p - lo);
    uint32_t k = 0;
    for (uint32_t q = p; q < hi;) {
        char byte = t->pool[b->off[q] + d];
        while (q < hi && t->pool[b->off[q] + d] == byte) q++;
        k++;
    }
    uint32_t first = k ? new_nodes(b, k) : 0;
    if (first == UINT32_MAX) return;
    t->nodes[ni].first_child = first;
    t->nodes[ni].n_children = (uint16_t)k;
    uint32_t ci = first;
    for (uint32_t q = p; q < hi; ci++) {
        uint32_t r = q;
        char byte = t->pool[b->off[q] + d];
        while (r < hi && t->pool[b->off[r] + d] == byte) r++;
        /* the group's common prefix: sorted, so the first and last pieces bound it */
        const char *a = t->pool + b->off[q], *z = t->pool + b->off[r - 1];
        uint32_t e = d + 1, lim = b->len[q] < b->len[r - 1] ? b->len[q] : b->len[r - 1];
        while (e < lim && a[e] == z[e] && e - d < UINT16_MAX) e++;
        g4_trie_node *c = &t->nodes[ci];
        c->lo = q;
        c->hi = r;
        c->edge = b->off[q] + d;
        c->edge_len = (uint16_t)(e - d);
        c->edge_chars = (uint8_t)g4_utf8_count_chars(a + d, e - d);
        q = r;
    }
    for (uint32_t i = 0; i < k && !b->oom; i++) {
        uint32_t c = first + i;
        build_node(b, c, d + t->nodes[c].edge_len, depth + 1);
        other |= t->nodes[c].has_other;
        if (t->nodes[c].max_chars > max_chars) max_chars = t->nodes[c].max_chars;
    }
    t->nodes[ni].has_other = (uint8_t)other;
    t->nodes[ni].max_chars = (uint8_t)max_chars;
}

gemma4_status g4_token_trie_build(int32_t n_vocab, g4_token_piece_fn piece, void *user, g4_token_trie **out,
                                  g4_error *err) {
    *out = NULL;
    if (n_vocab <= 0 || !piece) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "token trie: no vocabulary");
    g4_token_trie *t = calloc(1, sizeof *t);
    uint32_t *off = malloc(sizeof *off * (size_t)n_vocab), *len = malloc(sizeof *len * (size_t)n_vocab);
    int32_t *id_of = malloc(sizeof *id_of * (size_t)n_vocab);
    uint32_t *idx = malloc(sizeof *idx * (size_t)n_vocab);
    builder b = {.t = t};
    size_t pool_len = 0;
    if (!t || !off || !len || !id_of || !idx) goto nomem;
    t->n_vocab = n_vocab;

    /* pieces into one pool */
    for (int32_t id = 0; id < n_vocab; id++) {
        size_t n = 0;
        if (piece(user, id, &n) && n > 0) pool_len += n;
    }
    if (pool_len > UINT32_MAX) {
        free(off), free(len), free(id_of), free(idx), free(t);
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "token trie: %zu bytes of pieces (at most 4 GiB)", pool_len);
    }
    t->pool = malloc(pool_len ? pool_len : 1);
    t->pool_len = pool_len;
    if (!t->pool) goto nomem;
    uint32_t n = 0, at = 0;
    for (int32_t id = 0; id < n_vocab; id++) {
        size_t pl = 0;
        const char *p = piece(user, id, &pl);
        if (!p || pl == 0 || pl > UINT16_MAX) continue;
        memcpy(t->pool + at, p, pl);
        off[n] = at;
        len[n] = (uint32_t)pl;
        id_of[n] = id;
        idx[n] = n;
        at += (uint32_t)pl;
        n++;
    }
    t->n_tokens = n;
    sort_ctx sc = {t->pool, off, len};
    if (!sort_pieces(&sc, idx, n)) goto nomem;

    /* per sorted position */
    b.off = malloc(sizeof *b.off * (n ? n : 1));
    b.len = malloc(sizeof *b.len * (n ? n : 1));
    t->ids = malloc(sizeof *t->ids * (n ? n : 1));
    t->chars = malloc(n ? n : 1);
    t->cls = malloc(n ? n : 1);
    for (int c = 1; c <= 2; c++) t->class_bits[c] = calloc(((size_t)n_vocab + 63) / 64, sizeof *t->class_bits[c]);
    if (!b.off || !b.len || !t->ids || !t->chars || !t->cls || !t->class_bits[1] || !t->class_bits[2]) goto nomem;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t e = idx[i];
        b.off[i] = off[e];
        b.len[i] = len[e];
        t->ids[i] = id_of[e];
        const char *s = t->pool + off[e];
        size_t ch = g4_utf8_count_chars(s, len[e]);
        t->chars[i] = (uint8_t)(ch > 255 ? 255 : ch);
        t->cls[i] = (uint8_t)g4_piece_classes(s, len[e]);
        for (int c = 1; c <= 2; c++) {
            if (!(t->cls[i] & c)) continue;
            g4_bitset_set(t->class_bits[c], id_of[e]);
            if (t->chars[i] > t->max_chars[c]) t->max_chars[c] = t->chars[i];
        }
    }
    free(off), free(len), free(id_of), free(idx);
    off = len = idx = NULL;
    id_of = NULL;
    size_t words = ((size_t)n_vocab + 63) / 64;
    for (int c = 1; c <= 2; c++) {
        for (int k = 0; k < G4_TRIE_SHORT; k++)
            if (!(t->class_upto[c][k] = calloc(words, sizeof(uint64_t)))) goto nomem;
        for (uint32_t i = 0; i < n; i++)
            if ((t->cls[i] & c) && t->chars[i] < G4_TRIE_SHORT) g4_bitset_set(t->class_upto[c][t->chars[i]], t->ids[i]);
        for (int k = 1; k < G4_TRIE_SHORT; k++)
            for (size_t w = 0; w < words; w++) t->class_upto[c][k][w] |= t->class_upto[c][k - 1][w];
    }

    b.cap_nodes = (size_t)n + 16;
    t->nodes = malloc(sizeof *t->nodes * b.cap_nodes);
    if (!t->nodes) goto nomem;
    uint32_t root = new_nodes(&b, 1);
    t->nodes[root].lo = 0;
    t->nodes[root].hi = n;
    build_node(&b, root, 0, 1);
    if (b.oom) goto nomem;
    free(b.off);
    free(b.len);
    *out = t;
    return GEMMA4_OK;

nomem:
    free(off), free(len), free(id_of), free(idx);
    free(b.off), free(b.len);
    g4_token_trie_free(t);
    return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory building the token trie of %d tokens", (int)n_vocab);
}

void g4_token_trie_free(g4_token_trie *t) {
    if (!t) return;
    free(t->nodes);
    free(t->pool);
    free(t->ids);
    free(t->chars);
    free(t->cls);
    for (int c = 1; c <= 2; c++) {
        free(t->class_bits[c]);
        for (int k = 0; k < G4_TRIE_SHORT; k++) free(t->class_upto[c][k]);
    }
    free(t);
}

size_t g4_token_trie_bytes(const g4_token_trie *t) {
    if (!t) return 0;
    return sizeof *t + sizeof *t->nodes * t->n_nodes + t->pool_len + (sizeof *t->ids + 2) * (size_t)t->n_tokens +
           2 * (1 + G4_TRIE_SHORT) * sizeof(uint64_t) * (((size_t)t->n_vocab + 63) / 64);
}
