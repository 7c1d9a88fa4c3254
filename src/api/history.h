/*
 * What a session's context holds, position by position, as a sequence of runs: a run of text
 * tokens, or a run of media embeddings known by a hash of their content. A new prompt is the same
 * kind of sequence (g4_chunk), so finding how much of it is already in the KV cache compares
 * tokens one by one and media as a whole: an image that is already there is never encoded or
 * evaluated again.
 */
#ifndef G4_API_HISTORY_H
#define G4_API_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* One piece of a prompt to evaluate. */
typedef struct g4_chunk {
    bool is_media;
    int32_t n;             /* positions */
    const int32_t *tokens; /* text: n token ids */
    const float *embd;     /* media: n rows of the model's width */
    uint64_t hash;         /* media: content hash (see gemma4_media) */
} g4_chunk;

/* One run of the history. A media run that a rewind cut short keeps its hash but is marked
 * partial, so it never matches a whole media again. */
typedef struct g4_run {
    bool is_media;
    bool partial;
    int32_t pos; /* first position */
    int32_t n;
    uint64_t hash; /* media */
} g4_run;

typedef struct g4_history {
    int32_t cap;     /* positions: the context's n_ctx */
    int32_t n_pos;   /* positions held */
    int32_t *tokens; /* [cap]: the token at each position, -1 at media positions */
    g4_run *runs;    /* [cap] at most one run per position */
    int32_t n_runs;
} g4_history;

gemma4_status g4_history_init(g4_history *h, int32_t cap, g4_error *err);
void g4_history_free(g4_history *h);
void g4_history_clear(g4_history *h);
/* Appends n positions of tokens, or a media run (partial: only its first n positions). The caller
 * has checked that they fit. */
void g4_history_push_tokens(g4_history *h, const int32_t *tokens, int32_t n);
void g4_history_push_media(g4_history *h, uint64_t hash, int32_t n, bool partial);
/* Keeps positions [0, n_pos). */
void g4_history_truncate(g4_history *h, int32_t n_pos);
/* The number of leading positions of chunks[0..n_chunks) that the history already holds: equal
 * tokens, and media runs equal as a whole (hash and length) and not partial. */
int32_t g4_history_common_prefix(const g4_history *h, const g4_chunk *chunks, int32_t n_chunks);

#endif
