#include "api/history.h"

#include <stdlib.h>
#include <string.h>

gemma4_status g4_history_init(g4_history *h, int32_t cap, g4_error *err) {
    memset(h, 0, sizeof *h);
    h->tokens = malloc(sizeof *h->tokens * (size_t)cap);
    h->runs = malloc(sizeof *h->runs * (size_t)cap);
    if (!h->tokens || !h->runs) {
        g4_history_free(h);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "session: no memory for a history of %d positions", (int)cap);
    }
    h->cap = cap;
    return GEMMA4_OK;
}

void g4_history_free(g4_history *h) {
    free(h->tokens);
    free(h->runs);
    memset(h, 0, sizeof *h);
}

void g4_history_clear(g4_history *h) {
    h->n_pos = 0;
    h->n_runs = 0;
}

void g4_history_push_tokens(g4_history *h, const int32_t *tokens, int32_t n) {
    if (n <= 0) return;
    memcpy(h->tokens + h->n_pos, tokens, sizeof *tokens * (size_t)n);
    g4_run *last = h->n_runs ? &h->runs[h->n_runs - 1] : NULL;
    if (last && !last->is_media) {
        last->n += n;
    } else {
        h->runs[h->n_runs++] = (g4_run){.is_media = false, .pos = h->n_pos, .n = n};
    }
    h->n_pos += n;
}

void g4_history_push_media(g4_history *h, uint64_t hash, int32_t n, bool partial) {
    if (n <= 0) return;
    for (int32_t i = 0; i < n; i++) h->tokens[h->n_pos + i] = -1;
    h->runs[h->n_runs++] = (g4_run){.is_media = true, .partial = partial, .pos = h->n_pos, .n = n, .hash = hash};
    h->n_pos += n;
}

void g4_history_truncate(g4_history *h, int32_t n_pos) {
    if (n_pos >= h->n_pos) return;
    while (h->n_runs > 0 && h->runs[h->n_runs - 1].pos >= n_pos) h->n_runs--;
    if (h->n_runs > 0) {
        g4_run *last = &h->runs[h->n_runs - 1];
        if (last->pos + last->n > n_pos) {
            last->n = n_pos - last->pos;
            if (last->is_media) last->partial = true;
        }
    }
    h->n_pos = n_pos;
}

int32_t g4_history_common_prefix(const g4_history *h, const g4_chunk *chunks, int32_t n_chunks) {
    int32_t pos = 0, run = 0;
    for (int32_t c = 0; c < n_chunks; c++) {
        const g4_chunk *ch = &chunks[c];
        if (ch->is_media) {
            /* the run that starts here must be this very media, whole */
            while (run < h->n_runs && h->runs[run].pos + h->runs[run].n <= pos) run++;
            if (run >= h->n_runs) return pos;
            const g4_run *r = &h->runs[run];
            if (!r->is_media || r->partial || r->pos != pos || r->n != ch->n || r->hash != ch->hash) return pos;
            pos += ch->n;
            continue;
        }
        for (int32_t i = 0; i < ch->n; i++) {
            if (pos >= h->n_pos || h->tokens[pos] != ch->tokens[i] || h->tokens[pos] < 0) return pos;
            pos++;
        }
    }
    return pos;
}
