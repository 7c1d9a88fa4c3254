#include "api/prompt.h"

#include <stdlib.h>
#include <string.h>

#include "api/generate.h"
#include "api/session.h"
#include "core/clock.h"
#include "text/tokenizer.h"

typedef struct media_tokens {
    int32_t placeholder, open, close; /* <|image|>, <|image>, <image|> (or the audio ones); -1 if absent */
} media_tokens;

static media_tokens find_media_tokens(const g4_vocab *v, gemma4_media_kind kind) {
    if (kind == GEMMA4_MEDIA_IMAGE)
        return (media_tokens){g4_vocab_find(v, "<|image|>", 9), g4_vocab_find(v, "<|image>", 8),
                              g4_vocab_find(v, "<image|>", 8)};
    return (media_tokens){g4_vocab_find(v, "<|audio|>", 9), g4_vocab_find(v, "<|audio>", 8),
                          g4_vocab_find(v, "<audio|>", 8)};
}

static const char *kind_name(gemma4_media_kind k) {
    return k == GEMMA4_MEDIA_IMAGE ? "image" : "audio";
}

void g4_prompt_free(g4_prompt *p) {
    free(p->tokens);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

gemma4_status g4_prompt_build(gemma4_session *s, const char *text, size_t len, const gemma4_media *const *media,
                              size_t n_media, g4_prompt *out) {
    memset(out, 0, sizeof *out);
    const g4_vocab *v = s->model->vocab;
    const media_tokens image = find_media_tokens(v, GEMMA4_MEDIA_IMAGE),
                       audio = find_media_tokens(v, GEMMA4_MEDIA_AUDIO);
    int32_t *raw = NULL;
    size_t n_raw = 0;
    gemma4_status st = g4_tokenize_alloc(v, text, len, true, true, &raw, &n_raw, &s->err);
    if (st != GEMMA4_OK) return st;

    /* Each placeholder becomes open + media + close: two more tokens and one more chunk per media. */
    size_t n_placeholders = 0;
    for (size_t i = 0; i < n_raw; i++)
        n_placeholders += (raw[i] >= 0 && (raw[i] == image.placeholder || raw[i] == audio.placeholder));
    if (n_placeholders != n_media) {
        free(raw);
        return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG,
                       "the conversation has %zu media placeholder%s (<|image|> / <|audio|>) but %zu media object%s "
                       "%s given",
                       n_placeholders, n_placeholders == 1 ? "" : "s", n_media, n_media == 1 ? "" : "s",
                       n_media == 1 ? "was" : "were");
    }
    out->tokens = malloc(sizeof *out->tokens * (n_raw + 2 * n_media + 1));
    out->chunks = malloc(sizeof *out->chunks * (2 * n_media + 1));
    if (!out->tokens || !out->chunks) {
        free(raw);
        g4_prompt_free(out);
        return g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory building the prompt");
    }
    size_t n_tok = 0, m = 0;
    int64_t n_pos = 0;
    g4_chunk *text_chunk = NULL;
    for (size_t i = 0; i < n_raw && st == GEMMA4_OK; i++) {
        const bool is_image = raw[i] == image.placeholder, is_audio = raw[i] == audio.placeholder;
        if (!is_image && !is_audio) {
            if (!text_chunk) {
                text_chunk = &out->chunks[out->n_chunks++];
                *text_chunk = (g4_chunk){.tokens = out->tokens + n_tok};
            }
            out->tokens[n_tok++] = raw[i];
            text_chunk->n++;
            n_pos++;
            continue;
        }
        const gemma4_media *md = media[m];
        const media_tokens mt = is_image ? image : audio;
        const gemma4_media_kind kind = is_image ? GEMMA4_MEDIA_IMAGE : GEMMA4_MEDIA_AUDIO;
        if (!md || md->model != s->model)
            st = g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "media %zu is %s", m, md ? "of another model" : "NULL");
        else if (md->kind != kind)
            st = g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "media %zu is %s but its place in the conversation is for %s",
                         m, kind_name(md->kind), kind_name(kind));
        else if (mt.open < 0 || mt.close < 0)
            st = g4_fail(&s->err, GEMMA4_ERR_UNSUPPORTED, "the vocabulary has no <|%s> / <%s|> tokens", kind_name(kind),
                         kind_name(kind));
        if (st != GEMMA4_OK) break;
        /* <|image> ends the text before, the embeddings are a chunk, <image|> starts the text after */
        if (!text_chunk) {
            text_chunk = &out->chunks[out->n_chunks++];
            *text_chunk = (g4_chunk){.tokens = out->tokens + n_tok};
        }
        out->tokens[n_tok++] = mt.open;
        text_chunk->n++;
        out->chunks[out->n_chunks++] =
            (g4_chunk){.is_media = true, .n = md->n_tokens, .embd = md->embd, .hash = md->hash};
        text_chunk = &out->chunks[out->n_chunks++];
        *text_chunk = (g4_chunk){.tokens = out->tokens + n_tok, .n = 1};
        out->tokens[n_tok++] = mt.close;
        n_pos += 2 + (int64_t)md->n_tokens;
        m++;
    }
    free(raw);
    if (st == GEMMA4_OK && n_pos > s->n_ctx)
        st = g4_fail(&s->err, GEMMA4_ERR_CONTEXT_FULL, "the conversation is %lld positions; the context holds %d",
                     (long long)n_pos, (int)s->n_ctx);
    if (st != GEMMA4_OK) {
        g4_prompt_free(out);
        return st;
    }
    out->n_pos = (int32_t)n_pos;
    return GEMMA4_OK;
}

/* The position where chunk c starts. */
static int32_t chunk_start(const g4_prompt *p, int32_t c) {
    int32_t pos = 0;
    for (int32_t i = 0; i < c; i++) pos += p->chunks[i].n;
    return pos;
}

/* How many positions to keep: the common prefix, at least one short of the prompt, never inside a
 * media chunk. Falls back to an empty context when the sliding window no longer holds what the
 * prefix needs. */
static int32_t reuse_prefix(gemma4_session *s, const g4_prompt *p) {
    int32_t keep = g4_history_common_prefix(&s->history, p->chunks, p->n_chunks);
    if (keep >= p->n_pos) keep = p->n_pos - 1;
    for (int32_t c = 0, pos = 0; c < p->n_chunks; pos += p->chunks[c].n, c++)
        if (p->chunks[c].is_media && keep > pos && keep < pos + p->chunks[c].n) keep = pos;
    if (keep > 0 && g4_session_can_rewind(s, keep) && g4_session_rewind(s, keep) == GEMMA4_OK) return keep;
    g4_session_reset(s);
    return 0;
}

gemma4_status g4_prompt_eval(gemma4_session *s, const g4_prompt *p, gemma4_generate_stats *stats) {
    double t0 = g4_now_seconds();
    const int32_t keep = reuse_prefix(s, p);
    gemma4_status st = GEMMA4_OK;
    for (int32_t c = 0; c < p->n_chunks && st == GEMMA4_OK; c++) {
        const g4_chunk *ch = &p->chunks[c];
        const int32_t start = chunk_start(p, c), end = start + ch->n;
        if (end <= keep) continue;
        const int32_t skip = keep > start ? keep - start : 0; /* only text chunks start mid-way */
        st = ch->is_media ? g4_session_eval_embd(s, ch->embd, ch->n, ch->hash, false)
                          : g4_generate_prompt_tokens(s, ch->tokens + skip, ch->n - skip);
    }
    stats->n_reused = keep;
    stats->n_prompt = s->history.n_pos - keep;
    stats->prompt_seconds = g4_now_seconds() - t0;
    return st;
}
