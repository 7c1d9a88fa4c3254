/*
 * gemma4_session_save / gemma4_session_load: a session's context in a file.
 *
 * The file (numbers little-endian, as every host this library runs on):
 *   "G4SESS\0\0"  u32 version  u8 fingerprint[16] (the model file's, g4_gguf_fingerprint)
 *   u32 kv_type (gemma4_kv_type)  i32 n_vocab  i32 n_pos
 *   the history:  i32 n_runs, then per run {u8 is_media, u8 partial, u16 0, i32 pos, i32 n, u64 hash},
 *                 then n_pos i32 tokens (-1 at media positions)
 *   the sampler:  u64 random state, i32 n, n i32 tokens (the penalty history, oldest first)
 *   the logits:   i32 has_logits, then n_vocab floats of the last position if it has them
 *   the KV cache: the section of model/ctx_state.h
 *   u64 XXH64 of every byte before it
 * It is written to PATH.tmp and renamed, so a crash never leaves a half-written PATH. Loading
 * checks the header against the session before touching it, verifies the checksum at the end,
 * and on any error leaves the session empty.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/session.h"
#include "core/hash.h"
#include "model/ctx_state.h"

#define STATE_MAGIC "G4SESS\0\0"
#define STATE_VERSION 1u

typedef struct file_io {
    FILE *f;
    const char *path;
    uint64_t offset; /* bytes so far */
    g4_hash hash;    /* of those bytes */
} file_io;

static gemma4_status io_write(void *user, const void *p, size_t n, g4_error *err) {
    file_io *io = user;
    if (n && fwrite(p, 1, n, io->f) != n)
        return g4_fail(err, GEMMA4_ERR_IO, "%s: write failed at byte %llu: %s", io->path,
                       (unsigned long long)io->offset, strerror(errno));
    g4_hash_update(&io->hash, p, n);
    io->offset += n;
    return GEMMA4_OK;
}

static gemma4_status io_read(void *user, void *p, size_t n, g4_error *err) {
    file_io *io = user;
    size_t got = n ? fread(p, 1, n, io->f) : 0;
    if (got != n) {
        if (ferror(io->f))
            return g4_fail(err, GEMMA4_ERR_IO, "%s: read failed at byte %llu: %s", io->path,
                           (unsigned long long)(io->offset + got), strerror(errno));
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: the file ends after %llu bytes (truncated?)", io->path,
                       (unsigned long long)(io->offset + got));
    }
    g4_hash_update(&io->hash, p, n);
    io->offset += n;
    return GEMMA4_OK;
}

static gemma4_status put_u32(file_io *io, uint32_t v, g4_error *err) {
    return io_write(io, &v, sizeof v, err);
}
static gemma4_status put_i32(file_io *io, int32_t v, g4_error *err) {
    return io_write(io, &v, sizeof v, err);
}

static gemma4_status write_state(gemma4_session *s, file_io *io, g4_error *err) {
    const g4_history *h = &s->history;
    gemma4_status st = io_write(io, STATE_MAGIC, 8, err);
    if (st == GEMMA4_OK) st = put_u32(io, STATE_VERSION, err);
    if (st == GEMMA4_OK) st = io_write(io, g4_model_fingerprint(s->model), G4_GGUF_FINGERPRINT_BYTES, err);
    if (st == GEMMA4_OK) st = put_u32(io, (uint32_t)s->kv_type, err);
    if (st == GEMMA4_OK) st = put_i32(io, s->n_vocab, err);
    if (st == GEMMA4_OK) st = put_i32(io, h->n_pos, err);
    if (st == GEMMA4_OK) st = put_i32(io, h->n_runs, err);
    for (int32_t i = 0; st == GEMMA4_OK && i < h->n_runs; i++) {
        const g4_run *r = &h->runs[i];
        uint8_t flags[4] = {r->is_media, r->partial, 0, 0};
        st = io_write(io, flags, 4, err);
        if (st == GEMMA4_OK) st = put_i32(io, r->pos, err);
        if (st == GEMMA4_OK) st = put_i32(io, r->n, err);
        if (st == GEMMA4_OK) st = io_write(io, &r->hash, sizeof r->hash, err);
    }
    if (st == GEMMA4_OK) st = io_write(io, h->tokens, sizeof *h->tokens * (size_t)h->n_pos, err);

    int32_t *recent = malloc(sizeof *recent * G4_SAMPLER_MAX_WINDOW);
    if (!recent && st == GEMMA4_OK) st = g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory saving the session");
    uint64_t rng = g4_sampler_rng_state(s->sampler);
    int32_t n_recent = recent ? g4_sampler_history(s->sampler, recent, G4_SAMPLER_MAX_WINDOW) : 0;
    if (st == GEMMA4_OK) st = io_write(io, &rng, sizeof rng, err);
    if (st == GEMMA4_OK) st = put_i32(io, n_recent, err);
    if (st == GEMMA4_OK) st = io_write(io, recent, sizeof *recent * (size_t)n_recent, err);
    free(recent);

    const float *logits = g4_session_logits(s, -1);
    if (st == GEMMA4_OK) st = put_i32(io, logits != NULL, err);
    if (st == GEMMA4_OK && logits) st = io_write(io, logits, sizeof *logits * (size_t)s->n_vocab, err);
    if (st == GEMMA4_OK) st = g4_ctx_state_write(s->ctx, io_write, io, err);
    uint64_t sum = g4_hash_final(&io->hash);
    if (st == GEMMA4_OK) st = io_write(io, &sum, sizeof sum, err);
    return st;
}

static gemma4_status get_i32(file_io *io, int32_t *v, g4_error *err) {
    return io_read(io, v, sizeof *v, err);
}

/* The history as saved, checked to describe n_pos positions exactly. */
static gemma4_status read_history(gemma4_session *s, file_io *io, int32_t n_pos, g4_error *err) {
    g4_history *h = &s->history;
    int32_t n_runs;
    gemma4_status st = get_i32(io, &n_runs, err);
    if (st != GEMMA4_OK) return st;
    if (n_runs < 0 || n_runs > n_pos)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: %d history runs for %d positions", io->path, (int)n_runs,
                       (int)n_pos);
    int32_t pos = 0;
    for (int32_t i = 0; i < n_runs; i++) {
        uint8_t flags[4];
        g4_run r = {0};
        st = io_read(io, flags, 4, err);
        if (st == GEMMA4_OK) st = get_i32(io, &r.pos, err);
        if (st == GEMMA4_OK) st = get_i32(io, &r.n, err);
        if (st == GEMMA4_OK) st = io_read(io, &r.hash, sizeof r.hash, err);
        if (st != GEMMA4_OK) return st;
        r.is_media = flags[0] != 0;
        r.partial = flags[1] != 0;
        if (r.pos != pos || r.n < 1 || r.n > n_pos - pos)
            return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: history run %d covers %d..%d, expected to start at %d",
                           io->path, (int)i, (int)r.pos, (int)(r.pos + r.n), (int)pos);
        h->runs[i] = r;
        pos += r.n;
    }
    if (pos != n_pos)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: the history covers %d of %d positions", io->path, (int)pos,
                       (int)n_pos);
    st = io_read(io, h->tokens, sizeof *h->tokens * (size_t)n_pos, err);
    if (st != GEMMA4_OK) return st;
    for (int32_t i = 0; i < n_runs; i++)
        for (int32_t p = h->runs[i].pos; p < h->runs[i].pos + h->runs[i].n; p++)
            if (h->runs[i].is_media ? h->tokens[p] != -1 : (h->tokens[p] < 0 || h->tokens[p] >= s->n_vocab))
                return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: position %d holds token %d", io->path, (int)p,
                               (int)h->tokens[p]);
    h->n_runs = n_runs;
    h->n_pos = n_pos;
    return GEMMA4_OK;
}

static gemma4_status read_state(gemma4_session *s, file_io *io, g4_error *err) {
    char magic[8];
    uint32_t version, kv_type;
    uint8_t fingerprint[16];
    int32_t n_vocab, n_pos;
    gemma4_status st = io_read(io, magic, 8, err);
    if (st == GEMMA4_OK && memcmp(magic, STATE_MAGIC, 8))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: not a libgemma4 session state file", io->path);
    if (st == GEMMA4_OK) st = io_read(io, &version, sizeof version, err);
    if (st == GEMMA4_OK && version != STATE_VERSION)
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "%s: state format version %u; this library reads version %u",
                       io->path, version, STATE_VERSION);
    if (st == GEMMA4_OK) st = io_read(io, fingerprint, sizeof fingerprint, err);
    if (st == GEMMA4_OK && memcmp(fingerprint, g4_model_fingerprint(s->model), sizeof fingerprint))
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                       "%s: the state was saved with another model file (its fingerprint differs from this model's)",
                       io->path);
    if (st == GEMMA4_OK) st = io_read(io, &kv_type, sizeof kv_type, err);
    if (st == GEMMA4_OK && kv_type != (uint32_t)s->kv_type)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "%s: the state has a %s KV cache, this session %s", io->path,
                       kv_type == GEMMA4_KV_Q8_0 ? "q8_0" : "f16", s->kv_type == GEMMA4_KV_Q8_0 ? "q8_0" : "f16");
    if (st == GEMMA4_OK) st = get_i32(io, &n_vocab, err);
    if (st == GEMMA4_OK && n_vocab != s->n_vocab)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: vocabulary of %d in the state, %d in the model", io->path,
                       (int)n_vocab, (int)s->n_vocab);
    if (st == GEMMA4_OK) st = get_i32(io, &n_pos, err);
    if (st == GEMMA4_OK && n_pos < 0) return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: %d positions", io->path, (int)n_pos);
    if (st == GEMMA4_OK && n_pos > s->n_ctx)
        return g4_fail(err, GEMMA4_ERR_CONTEXT_FULL, "%s: the state holds %d positions; this session's context %d",
                       io->path, (int)n_pos, (int)s->n_ctx);
    if (st == GEMMA4_OK) st = read_history(s, io, n_pos, err);

    uint64_t rng;
    int32_t n_recent, has_logits;
    if (st == GEMMA4_OK) st = io_read(io, &rng, sizeof rng, err);
    if (st == GEMMA4_OK) st = get_i32(io, &n_recent, err);
    if (st == GEMMA4_OK && (n_recent < 0 || n_recent > G4_SAMPLER_MAX_WINDOW))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: a penalty history of %d tokens", io->path, (int)n_recent);
    for (int32_t i = 0; st == GEMMA4_OK && i < n_recent; i++) {
        int32_t t;
        st = get_i32(io, &t, err);
        if (st == GEMMA4_OK) g4_sampler_accept(s->sampler, t);
    }
    if (st == GEMMA4_OK) g4_sampler_set_rng_state(s->sampler, rng);
    if (st == GEMMA4_OK) st = get_i32(io, &has_logits, err);
    if (st == GEMMA4_OK && has_logits) {
        st = io_read(io, s->logits, sizeof *s->logits * (size_t)s->n_vocab, err);
        s->logits_count = 1;
        s->logits_first = 0;
        s->last_eval_n = 1;
    }
    if (st == GEMMA4_OK) st = g4_ctx_state_read(s->ctx, io_read, io, err);
    if (st == GEMMA4_OK && g4_ctx_pos(s->ctx) != n_pos)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: the KV cache holds %d positions, the history %d", io->path,
                       (int)g4_ctx_pos(s->ctx), (int)n_pos);
    uint64_t want = g4_hash_final(&io->hash), sum;
    if (st == GEMMA4_OK) st = io_read(io, &sum, sizeof sum, err);
    if (st == GEMMA4_OK && sum != want)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: checksum mismatch: the file is corrupt", io->path);
    if (st == GEMMA4_OK && fgetc(io->f) != EOF)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "%s: bytes after the end of the state", io->path);
    return st;
}

GEMMA4_API gemma4_status gemma4_session_save(gemma4_session *s, const char *path) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (!path) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_session_save: path is NULL");
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp) return g4_fail(&s->err, GEMMA4_ERR_NOMEM, "out of memory");
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    file_io io = {.f = fopen(tmp, "wb"), .path = path};
    gemma4_status st = GEMMA4_OK;
    if (!io.f) st = g4_fail(&s->err, GEMMA4_ERR_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    if (st == GEMMA4_OK) {
        g4_hash_init(&io.hash, 0);
        st = write_state(s, &io, &s->err);
        if (fclose(io.f) != 0 && st == GEMMA4_OK) st = g4_fail(&s->err, GEMMA4_ERR_IO, "%s: %s", path, strerror(errno));
        if (st == GEMMA4_OK && rename(tmp, path) != 0)
            st = g4_fail(&s->err, GEMMA4_ERR_IO, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        if (st != GEMMA4_OK) remove(tmp);
    }
    free(tmp);
    return st;
}

GEMMA4_API gemma4_status gemma4_session_load(gemma4_session *s, const char *path) {
    if (!s) return GEMMA4_ERR_INVALID_ARG;
    if (!path) return g4_fail(&s->err, GEMMA4_ERR_INVALID_ARG, "gemma4_session_load: path is NULL");
    g4_session_reset(s);
    file_io io = {.f = fopen(path, "rb"), .path = path};
    if (!io.f) return g4_fail(&s->err, GEMMA4_ERR_IO, "%s: %s", path, strerror(errno));
    g4_hash_init(&io.hash, 0);
    g4_error err = {0};
    gemma4_status st = read_state(s, &io, &err);
    fclose(io.f);
    if (st != GEMMA4_OK) {
        g4_session_reset(s);
        s->err = err;
    }
    return st;
}
