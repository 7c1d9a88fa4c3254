#include "text/detokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "text/vocab_internal.h"

const char *g4_token_piece(const g4_vocab *v, int32_t id, bool special, size_t *len) {
    size_t dummy;
    if (!len) len = &dummy;
    *len = 0;
    if (!v || id < 0 || id >= v->n_tokens) return NULL;
    const char *p = v->pieces + v->piece_off[id];
    if (!special && (v->attr[id] & (G4_TOKEN_ATTR_CONTROL | G4_TOKEN_ATTR_UNKNOWN))) return p; /* empty */
    *len = v->piece_off[id + 1] - v->piece_off[id] - 1;
    return p;
}

size_t g4_vocab_max_piece_len(const g4_vocab *v) {
    return v ? v->max_piece_len : 0;
}

/*
 * llama.cpp's clean_spaces, done in place exactly as it does it, because its passes read the
 * buffer they are compacting: (1) drop a space before ? ! . , ; (2) " ' " loses both spaces and
 * the second one reads as NUL to the next step; (3) drop the space before 's 'm 're 've.
 */
static size_t clean_spaces(char *t, size_t total) {
    size_t n = total, w = total ? 1 : 0;
    for (size_t i = 1; i < n; i++) {
        char x = t[i];
        if (t[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) w--;
        t[w++] = x;
    }
    n = w;
    w = n ? 1 : 0;
    for (size_t i = 1; i < n; i++) {
        char x = t[i];
        if (x == '\'' && i + 1 < n && t[i - 1] == ' ' && t[i + 1] == ' ') {
            w--;
            t[++i] = '\0';
        }
        t[w++] = x;
    }
    n = w;
    w = n ? 1 : 0;
    for (size_t i = 1; i < n; i++) {
        char x = t[i];
        if (t[i - 1] == ' ' && x == '\'' && i + 1 < n) {
            char x1 = t[i + 1];
            if (x1 == 's' || x1 == 'm')
                w--;
            else if (x1 != 't' && x1 != 'd' && i + 2 < n) {
                char x2 = t[i + 2];
                if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) w--;
            }
        }
        t[w++] = x;
    }
    return w;
}

/* Joins the pieces into a malloc'd buffer (room for a NUL) and cleans it up. */
static gemma4_status detokenize_into(const g4_vocab *v, const int32_t *ids, size_t n, bool remove_special,
                                     bool unparse_special, char **out, size_t *len, g4_error *err) {
    *out = NULL;
    *len = 0;
    if (!v) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detokenize: vocab is NULL");
    if (!ids && n) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detokenize: ids is NULL");
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= v->n_tokens)
            return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detokenize: token %zu is %d, outside the vocabulary of %d", i,
                           ids[i], v->n_tokens);

    bool strip_space = v->add_space_prefix;
    if (remove_special && v->add_bos && n > 0 && ids[0] == v->special_id[G4_SPECIAL_BOS]) {
        strip_space = false;
        ids++;
        n--;
    }
    if (remove_special && v->add_eos && n > 0 && ids[n - 1] == v->special_id[G4_SPECIAL_EOS]) n--;

    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m;
        g4_token_piece(v, ids[i], unparse_special, &m);
        total += m; /* each piece is < 4 GiB and n is bounded by memory: no overflow in practice */
    }
    char *buf = malloc(total + 1);
    if (!buf) return g4_fail(err, GEMMA4_ERR_NOMEM, "detokenize: out of memory for %zu bytes", total + 1);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m;
        const char *p = g4_token_piece(v, ids[i], unparse_special, &m);
        if (strip_space && m && p[0] == ' ') { /* llama.cpp strips one leading space (lstrip = 1) */
            p++;
            m--;
        }
        strip_space = false;
        memcpy(buf + at, p, m);
        at += m;
    }
    at = clean_spaces(buf, at);
    buf[at] = '\0';
    *out = buf;
    *len = at;
    return GEMMA4_OK;
}

gemma4_status g4_detokenize(const g4_vocab *v, const int32_t *ids, size_t n, bool remove_special, bool unparse_special,
                            char *out, size_t cap, size_t *n_total, g4_error *err) {
    if (!n_total) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detokenize: n_total is NULL");
    *n_total = 0;
    if (!out && cap) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detokenize: out is NULL but cap is %zu", cap);
    char *text;
    size_t len;
    gemma4_status st = detokenize_into(v, ids, n, remove_special, unparse_special, &text, &len, err);
    if (st != GEMMA4_OK) return st;
    if (cap) memcpy(out, text, len < cap ? len : cap);
    *n_total = len;
    free(text);
    return GEMMA4_OK;
}

gemma4_status g4_detokenize_alloc(const g4_vocab *v, const int32_t *ids, size_t n, bool remove_special,
                                  bool unparse_special, char **out, size_t *len, g4_error *err) {
    if (!out || !len) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detokenize: out or len is NULL");
    return detokenize_into(v, ids, n, remove_special, unparse_special, out, len, err);
}

struct g4_detok_stream {
    const g4_vocab *v;
    bool special;
    char *buf;    /* held bytes + the new piece */
    size_t held;  /* bytes of an incomplete character kept at buf[0..held) */
    size_t shown; /* bytes handed out by the last call, now at buf[0..shown) */
};

gemma4_status g4_detok_stream_new(const g4_vocab *v, bool special, g4_detok_stream **out, g4_error *err) {
    if (!out) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detok stream: out is NULL");
    *out = NULL;
    if (!v) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detok stream: vocab is NULL");
    g4_detok_stream *s = calloc(1, sizeof *s);
    char *buf = malloc(v->max_piece_len + 4);
    if (!s || !buf) {
        free(s);
        free(buf);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "detok stream: out of memory");
    }
    s->v = v;
    s->special = special;
    s->buf = buf;
    *out = s;
    return GEMMA4_OK;
}

void g4_detok_stream_free(g4_detok_stream *s) {
    if (!s) return;
    free(s->buf);
    free(s);
}

gemma4_status g4_detok_stream_push(g4_detok_stream *s, int32_t id, const char **text, size_t *len, g4_error *err) {
    if (!s || !text || !len) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detok stream: NULL argument");
    *text = NULL;
    *len = 0;
    size_t m;
    const char *p = g4_token_piece(s->v, id, s->special, &m);
    if (!p)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "detok stream: token %d is outside the vocabulary of %d", id,
                       s->v->n_tokens);
    /* the held bytes (at most 3) move to the front, the piece follows */
    if (s->shown) memmove(s->buf, s->buf + s->shown, s->held);
    memcpy(s->buf + s->held, p, m);
    size_t total = s->held + m;
    size_t ready = g4_utf8_complete_len(s->buf, total);
    s->held = total - ready;
    s->shown = ready;
    *text = s->buf;
    *len = ready;
    return GEMMA4_OK;
}

void g4_detok_stream_flush(g4_detok_stream *s, const char **text, size_t *len) {
    if (text) *text = NULL;
    if (len) *len = 0;
    if (!s) return;
    if (s->shown) memmove(s->buf, s->buf + s->shown, s->held);
    if (text) *text = s->buf;
    if (len) *len = s->held;
    s->held = 0;
    s->shown = 0;
}

void g4_detok_stream_reset(g4_detok_stream *s) {
    if (!s) return;
    s->held = 0;
    s->shown = 0;
}
