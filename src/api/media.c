/* gemma4_media: embeddings ready for the text model, known by a hash of their content so that a
 * context holding them recognises them in a later prompt. */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "api/media.h"
#include "core/hash.h"

gemma4_status g4_media_new(const gemma4_model *m, gemma4_media_kind kind, const float *embd, int32_t n_tokens,
                           gemma4_media **out, g4_error *err) {
    *out = NULL;
    if (kind != GEMMA4_MEDIA_IMAGE && kind != GEMMA4_MEDIA_AUDIO)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "media: kind %d is neither image nor audio", (int)kind);
    const int32_t n_embd = (int32_t)m->model->hp.n_embd;
    if (n_tokens < 1 || n_tokens > (int32_t)m->model->hp.n_ctx_train)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "media: %d tokens (1..%u)", (int)n_tokens,
                       m->model->hp.n_ctx_train);
    size_t bytes = sizeof(float) * (size_t)n_tokens * (size_t)n_embd;
    gemma4_media *md = calloc(1, sizeof *md);
    if (md) md->embd = malloc(bytes);
    if (!md || !md->embd) {
        free(md);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "media: no memory for %d x %d embeddings", (int)n_tokens, (int)n_embd);
    }
    memcpy(md->embd, embd, bytes);
    md->model = m;
    md->kind = kind;
    md->n_tokens = n_tokens;
    md->n_embd = n_embd;
    g4_hash h;
    g4_hash_init(&h, 0);
    int32_t shape[3] = {(int32_t)kind, n_tokens, n_embd};
    g4_hash_update(&h, shape, sizeof shape);
    g4_hash_update(&h, md->embd, bytes);
    md->hash = g4_hash_final(&h);
    *out = md;
    return GEMMA4_OK;
}

GEMMA4_API gemma4_status gemma4_media_from_embeddings(const gemma4_model *m, gemma4_media_kind kind, const float *embd,
                                                      int32_t n_tokens, gemma4_media **out, char *errbuf,
                                                      size_t errbuf_size) {
    g4_error err = {0};
    if (out) *out = NULL;
    if (!m || !embd || !out)
        g4_fail(&err, GEMMA4_ERR_INVALID_ARG, "gemma4_media_from_embeddings: model, embd and out must not be NULL");
    else
        g4_media_new(m, kind, embd, n_tokens, out, &err);
    g4_error_copy_out(err.status == GEMMA4_OK ? NULL : &err, errbuf, errbuf_size);
    return err.status;
}

GEMMA4_API void gemma4_media_free(gemma4_media *md) {
    if (!md) return;
    free(md->embd);
    free(md);
}

GEMMA4_API gemma4_media_kind gemma4_media_kind_of(const gemma4_media *md) {
    return md ? md->kind : (gemma4_media_kind)0;
}
GEMMA4_API int32_t gemma4_media_n_tokens(const gemma4_media *md) {
    return md ? md->n_tokens : 0;
}
GEMMA4_API const float *gemma4_media_embeddings(const gemma4_media *md) {
    return md ? md->embd : NULL;
}
