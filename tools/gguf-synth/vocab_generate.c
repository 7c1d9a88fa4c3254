/*
 * The generated vocabulary (see vocab.h for its layout). Merges learned from the built-in corpus
 * make English text tokenize into realistic pieces ("▁the", "ing"), so tokenizer tests see real
 * BPE behaviour; the pseudo-random merges that fill large vocabularies only have to be
 * consistent: every merge joins two existing tokens into a new one, ranks follow creation order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "vocab.h"
#include "vocab_index.h"

#define SPACE_MARK "\xe2\x96\x81" /* U+2581, what SentencePiece writes for a space */
#define FIRST_GENERATED_PIECE 107 /* ids below follow the real Gemma layout */
#define MAX_PIECE_BYTES 24
#define MAX_LEARNED_BYTES 16 /* keeps long repeated corpus strings (JSON, code) from becoming tokens */

typedef struct gen {
    synth_vocab *v;
    uint32_t n;
    synth_vocab_index ix;
    bool *reserved; /* ids held for the media tokens */
    uint32_t next_id;
    uint32_t cap_merges;
    g4_error *err;
} gen;

static gemma4_status nomem(gen *g) {
    return g4_fail(g->err, GEMMA4_ERR_NOMEM, "out of memory building the vocabulary");
}

static gemma4_status set_token(gen *g, uint32_t id, const char *text, int32_t type) {
    if (synth_vocab_index_find(&g->ix, text) >= 0)
        return g4_fail(g->err, GEMMA4_ERR_INTERNAL, "token '%s' generated twice", text);
    g->v->tokens[id] = strdup(text);
    if (!g->v->tokens[id]) return nomem(g);
    g->v->types[id] = type;
    synth_vocab_index_add(&g->ix, id);
    return GEMMA4_OK;
}

/* The next free id, or -1 when the vocabulary is full. */
static int64_t next_free(gen *g) {
    while (g->next_id < g->n && (g->reserved[g->next_id] || g->v->tokens[g->next_id])) g->next_id++;
    return g->next_id < g->n ? (int64_t)g->next_id : -1;
}

static gemma4_status append_token(gen *g, const char *text, int32_t type, int64_t *id_out) {
    const int64_t id = next_free(g);
    *id_out = id;
    if (id < 0) return GEMMA4_OK;
    return set_token(g, (uint32_t)id, text, type);
}

static gemma4_status add_merge(gen *g, const char *a, const char *b) {
    synth_vocab *v = g->v;
    if (v->n_merges == g->cap_merges) {
        const uint32_t cap = g->cap_merges ? g->cap_merges * 2 : 1024;
        char **m = realloc(v->merges, cap * sizeof *m);
        if (!m) return nomem(g);
        v->merges = m;
        g->cap_merges = cap;
    }
    const size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return nomem(g);
    memcpy(s, a, la);
    s[la] = ' ';
    memcpy(s + la + 1, b, lb + 1);
    v->merges[v->n_merges++] = s;
    return GEMMA4_OK;
}

/* ids 0..106 as in Gemma's vocabulary, newline and U+2581 runs, bytes, single characters. */
static gemma4_status layout_fixed(gen *g, uint32_t *first_piece) {
    gemma4_status st = GEMMA4_OK;
    char buf[128];
    for (uint32_t id = 0; id < FIRST_GENERATED_PIECE && st == GEMMA4_OK; id++) {
        const synth_special *sp = NULL;
        for (size_t k = 0; k < synth_gemma4_n_specials; k++)
            if (!synth_gemma4_specials[k].media && synth_gemma4_specials[k].id == id) sp = &synth_gemma4_specials[k];
        if (sp) {
            st = set_token(g, id, sp->text, sp->type);
        } else if (id == 5) {
            st = set_token(g, id, "[multimodal]", SYNTH_TOK_NORMAL);
        } else {
            snprintf(buf, sizeof buf, "<unused%u>", id - 6);
            st = set_token(g, id, buf, SYNTH_TOK_NORMAL);
        }
    }
    int64_t id;
    for (int k = 1; k <= 31 && st == GEMMA4_OK; k++) {
        memset(buf, '\n', (size_t)k);
        buf[k] = 0;
        st = append_token(g, buf, SYNTH_TOK_NORMAL, &id);
    }
    for (int k = 2; k <= 31 && st == GEMMA4_OK; k++) {
        buf[0] = 0;
        for (int j = 0; j < k; j++) strcat(buf, SPACE_MARK);
        st = append_token(g, buf, SYNTH_TOK_NORMAL, &id);
    }
    for (int b = 0; b < 256 && st == GEMMA4_OK; b++) {
        snprintf(buf, sizeof buf, "<0x%02X>", b);
        st = append_token(g, buf, SYNTH_TOK_BYTE, &id);
    }
    if (st == GEMMA4_OK) st = append_token(g, SPACE_MARK, SYNTH_TOK_NORMAL, &id);
    *first_piece = (uint32_t)id;
    if (st == GEMMA4_OK) st = append_token(g, "\t", SYNTH_TOK_NORMAL, &id);
    for (int c = 0x21; c <= 0x7e && st == GEMMA4_OK; c++) {
        buf[0] = (char)c;
        buf[1] = 0;
        st = append_token(g, buf, SYNTH_TOK_NORMAL, &id);
    }
    return st;
}

/* ---- BPE on the corpus ------------------------------------------------------------------- */

typedef struct word {
    uint32_t *sym; /* token ids */
    uint32_t n;
    uint32_t count;
} word;

typedef struct words {
    word *w;
    size_t n, cap;
} words;

static void words_free(words *ws) {
    for (size_t i = 0; i < ws->n; i++) free(ws->w[i].sym);
    free(ws->w);
}

/* Splits the corpus SentencePiece-style: words within a line get a U+2581 prefix except the first. */
static gemma4_status corpus_words(gen *g, words *ws) {
    const char *p = synth_corpus;
    bool line_start = true;
    char piece[256];
    while (*p) {
        if (*p == '\n') {
            line_start = true;
            p++;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t len = strcspn(p, " \n");
        if (len > 200) len = 200;
        const bool mark = !line_start;
        line_start = false;
        uint32_t sym[256];
        uint32_t n = 0;
        bool ok = true;
        if (mark) {
            const int64_t id = synth_vocab_index_find(&g->ix, SPACE_MARK);
            sym[n++] = (uint32_t)id;
        }
        for (size_t i = 0; i < len && ok; i++) {
            piece[0] = p[i];
            piece[1] = 0;
            const int64_t id = synth_vocab_index_find(&g->ix, piece);
            if (id < 0)
                ok = false; /* the corpus is printable ASCII; anything else is skipped */
            else
                sym[n++] = (uint32_t)id;
        }
        p += len;
        if (!ok || n < 2) continue;
        size_t i;
        for (i = 0; i < ws->n; i++)
            if (ws->w[i].n == n && memcmp(ws->w[i].sym, sym, n * sizeof *sym) == 0) break;
        if (i < ws->n) {
            ws->w[i].count++;
            continue;
        }
        if (ws->n == ws->cap) {
            const size_t cap = ws->cap ? ws->cap * 2 : 256;
            word *w = realloc(ws->w, cap * sizeof *w);
            if (!w) return nomem(g);
            ws->w = w;
            ws->cap = cap;
        }
        uint32_t *copy = malloc(n * sizeof *copy);
        if (!copy) return nomem(g);
        memcpy(copy, sym, n * sizeof *sym);
        ws->w[ws->n++] = (word){copy, n, 1};
    }
    return GEMMA4_OK;
}

typedef struct pair_count {
    uint64_t key; /* left << 32 | right, +1 so that 0 means empty */
    uint32_t count;
} pair_count;

/* True when pair x should be merged before pair y of the same count: the shorter text first,
 * then byte order, so the choice never depends on hash-table order. */
static bool pair_before(const synth_vocab *v, uint64_t x, uint64_t y) {
    const char *xl = v->tokens[x >> 32], *xr = v->tokens[x & 0xffffffffu];
    const char *yl = v->tokens[y >> 32], *yr = v->tokens[y & 0xffffffffu];
    const size_t lx = strlen(xl) + strlen(xr), ly = strlen(yl) + strlen(yr);
    if (lx != ly) return lx < ly;
    int c = strcmp(xl, yl);
    if (c != 0) return c < 0;
    return strcmp(xr, yr) < 0;
}

static gemma4_status learn_corpus_merges(gen *g) {
    words ws = {0};
    gemma4_status st = corpus_words(g, &ws);
    size_t total = 0;
    for (size_t i = 0; i < ws.n; i++) total += ws.w[i].n;
    uint32_t size = 1024;
    while (size < 4 * total) size *= 2;
    pair_count *table = st == GEMMA4_OK ? malloc(size * sizeof *table) : NULL;
    if (st == GEMMA4_OK && !table) st = nomem(g);
    char text[2 * MAX_PIECE_BYTES * 8 + 1];

    while (st == GEMMA4_OK) {
        memset(table, 0, size * sizeof *table);
        for (size_t i = 0; i < ws.n; i++) {
            const word *w = &ws.w[i];
            for (uint32_t j = 0; j + 1 < w->n; j++) {
                const uint64_t key = ((uint64_t)w->sym[j] << 32 | w->sym[j + 1]) + 1;
                uint32_t h = (uint32_t)(synth_mix64(key) & (size - 1));
                while (table[h].key != 0 && table[h].key != key) h = (h + 1) & (size - 1);
                table[h].key = key;
                table[h].count += w->count;
            }
        }
        uint64_t best = 0;
        uint32_t best_count = 0;
        for (uint32_t h = 0; h < size; h++) {
            if (table[h].key == 0) continue;
            const uint64_t pair = table[h].key - 1;
            if (strlen(g->v->tokens[pair >> 32]) + strlen(g->v->tokens[pair & 0xffffffffu]) > MAX_LEARNED_BYTES)
                continue;
            if (table[h].count > best_count || (table[h].count == best_count && pair_before(g->v, pair, best))) {
                best = pair;
                best_count = table[h].count;
            }
        }
        if (best_count < 2) break;
        const uint32_t left = (uint32_t)(best >> 32), right = (uint32_t)(best & 0xffffffffu);
        const char *lt = g->v->tokens[left], *rt = g->v->tokens[right];
        const size_t ll = strlen(lt), lr = strlen(rt);
        if (ll + lr >= sizeof text) break;
        memcpy(text, lt, ll);
        memcpy(text + ll, rt, lr + 1);
        int64_t merged = synth_vocab_index_find(&g->ix, text);
        if (merged < 0) {
            st = append_token(g, text, SYNTH_TOK_NORMAL, &merged);
            if (st != GEMMA4_OK || merged < 0) break; /* full */
        }
        st = add_merge(g, g->v->tokens[left], g->v->tokens[right]);
        for (size_t i = 0; i < ws.n && st == GEMMA4_OK; i++) {
            word *w = &ws.w[i];
            uint32_t out = 0;
            for (uint32_t j = 0; j < w->n; j++) {
                if (j + 1 < w->n && w->sym[j] == left && w->sym[j + 1] == right) {
                    w->sym[out++] = (uint32_t)merged;
                    j++;
                } else {
                    w->sym[out++] = w->sym[j];
                }
            }
            w->n = out;
        }
    }
    free(table);
    words_free(&ws);
    return st;
}

/* ---- pseudo-random merges up to the requested size ---------------------------------------- */

static gemma4_status fill_random_merges(gen *g, uint32_t first_piece) {
    synth_vocab *v = g->v;
    /* Pool of mergeable pieces: single characters and every merged token so far. Right-hand
     * sides come from the part learned from the corpus only, so pieces grow like words with
     * suffixes and U+2581 only ever starts a piece. */
    uint32_t *pool = malloc(g->n * sizeof *pool);
    if (!pool) return nomem(g);
    uint32_t n_pool = 0;
    for (uint32_t id = first_piece; id < g->n; id++)
        if (v->tokens[id] && v->types[id] == SYNTH_TOK_NORMAL && !g->reserved[id]) pool[n_pool++] = id;
    const uint32_t n_right = n_pool;
    const uint64_t key = synth_stream_key(0x67656d6d61ull, "gguf-synth vocabulary");
    uint64_t draw = 0;
    gemma4_status st = GEMMA4_OK;
    char text[2 * MAX_PIECE_BYTES + 1];
    uint64_t attempts_left = 64ull * g->n + 1000000;
    while (st == GEMMA4_OK && next_free(g) >= 0) {
        if (attempts_left-- == 0) {
            st = g4_fail(g->err, GEMMA4_ERR_INTERNAL, "could not generate %u distinct tokens", g->n);
            break;
        }
        const uint32_t a = pool[synth_below_at(key, draw++, n_pool)];
        const uint32_t b = pool[synth_below_at(key, draw++, n_right)];
        const char *at = v->tokens[a], *bt = v->tokens[b];
        const size_t la = strlen(at), lb = strlen(bt);
        if (la + lb > MAX_PIECE_BYTES || strncmp(bt, SPACE_MARK, 3) == 0) continue;
        memcpy(text, at, la);
        memcpy(text + la, bt, lb + 1);
        if (synth_vocab_index_find(&g->ix, text) >= 0) continue;
        int64_t id;
        st = append_token(g, text, SYNTH_TOK_NORMAL, &id);
        if (st == GEMMA4_OK) st = add_merge(g, at, bt);
        if (st == GEMMA4_OK) pool[n_pool++] = (uint32_t)id;
    }
    free(pool);
    return st;
}

gemma4_status synth_vocab_generate(synth_vocab *v, uint32_t n, g4_error *err) {
    memset(v, 0, sizeof *v);
    gen g = {.v = v, .n = n, .err = err};
    v->n_tokens = n;
    v->tokens = calloc(n, sizeof *v->tokens);
    v->types = calloc(n, sizeof *v->types);
    v->scores = malloc(n * sizeof *v->scores);
    g.reserved = calloc(n, sizeof *g.reserved);
    gemma4_status st = GEMMA4_OK;
    if (!v->tokens || !v->types || !v->scores || !g.reserved || !synth_vocab_index_init(&g.ix, v->tokens, n))
        st = nomem(&g);

    /* The converter gives every token the same placeholder score; llama.cpp's BPE ignores it. */
    for (uint32_t i = 0; st == GEMMA4_OK && i < n; i++) v->scores[i] = -1000.0f;

    /* Media tokens: their real ids when the vocabulary reaches them, else the last ids in table
     * order. They go in first so that no merge can produce their text. */
    uint32_t n_media = 0;
    for (size_t k = 0; k < synth_gemma4_n_specials; k++) n_media += synth_gemma4_specials[k].media;
    const bool real_ids = n > 258884;
    for (size_t k = 0, m = 0; st == GEMMA4_OK && k < synth_gemma4_n_specials; k++) {
        const synth_special *sp = &synth_gemma4_specials[k];
        if (!sp->media) continue;
        const uint32_t id = real_ids ? sp->id : n - n_media + (uint32_t)m++;
        g.reserved[id] = true;
        st = set_token(&g, id, sp->text, sp->type);
    }

    uint32_t first_piece = 0;
    if (st == GEMMA4_OK) st = layout_fixed(&g, &first_piece);
    if (st == GEMMA4_OK) st = learn_corpus_merges(&g);
    if (st == GEMMA4_OK) st = fill_random_merges(&g, first_piece);
    for (uint32_t i = 0; st == GEMMA4_OK && i < n; i++)
        if (!v->tokens[i]) st = g4_fail(err, GEMMA4_ERR_INTERNAL, "vocabulary id %u left empty", i);

    v->pad = 0;
    v->eos = 1;
    v->bos = 2;
    v->unk = 3;
    synth_vocab_index_free(&g.ix);
    free(g.reserved);
    if (st != GEMMA4_OK) synth_vocab_free(v);
    return st;
}
