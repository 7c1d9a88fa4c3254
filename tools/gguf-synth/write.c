/* Feeds the plan to libgemma4's GGUF writer; tensor bytes are produced while the file is written. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gguf/gguf_writer.h"
#include "synth.h"

typedef struct write_ctx {
    const synth_plan *p;
    bool progress;
    uint64_t done, total;
    int last_decile;
    struct timespec t0;
    g4_error err; /* the fill callback has no error slot of its own */
} write_ctx;

static double seconds_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static gemma4_status to_sink(void *sink, const void *bytes, size_t n, g4_error *err) {
    (void)err;
    return g4_gguf_sink_write(sink, bytes, n);
}

static gemma4_status fill(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    write_ctx *w = user;
    if (index < 0 || (size_t)index >= w->p->n_tensors || strcmp(name, w->p->tensors[index].name) != 0)
        return g4_fail(&w->err, GEMMA4_ERR_INTERNAL, "writer asked for tensor %lld '%s' out of plan order",
                       (long long)index, name);
    const synth_tensor *t = &w->p->tensors[index];
    gemma4_status st = synth_tensor_stream(t, to_sink, sink, &w->err);
    w->done += synth_tensor_nbytes(t);
    const int decile = w->total ? (int)(10 * w->done / w->total) : 10;
    if (st == GEMMA4_OK && w->progress) {
        char shape[96];
        int at = snprintf(shape, sizeof shape, "{%" PRId64, t->ne[0]);
        for (int d = 1; d < t->n_dims && at < (int)sizeof shape; d++)
            at += snprintf(shape + at, sizeof shape - (size_t)at, ", %" PRId64, t->ne[d]);
        if (t->n_dims < 2 && at < (int)sizeof shape) at += snprintf(shape + at, sizeof shape - (size_t)at, ", 1");
        snprintf(shape + at, sizeof shape - (size_t)at, "}");
        fprintf(stderr, "  %-36s %-5s %s  %.1fs\n", t->name, g4_type_name(t->type), shape, seconds_since(&w->t0));
    } else if (st == GEMMA4_OK && w->total > (256u << 20) && decile > w->last_decile) {
        fprintf(stderr, "  %3d%%  %.1fs\n", 10 * decile, seconds_since(&w->t0));
    }
    w->last_decile = decile;
    return st;
}

static void add_kv(g4_gguf_writer *gw, const synth_kv *kv) {
    switch (kv->type) {
    case G4_GGUF_UINT32:
        g4_gguf_writer_add_u32(gw, kv->key, kv->v.u32);
        break;
    case G4_GGUF_INT32:
        g4_gguf_writer_add_i32(gw, kv->key, kv->v.i32);
        break;
    case G4_GGUF_FLOAT32:
        g4_gguf_writer_add_f32(gw, kv->key, kv->v.f32);
        break;
    case G4_GGUF_BOOL:
        g4_gguf_writer_add_bool(gw, kv->key, kv->v.b);
        break;
    case G4_GGUF_STRING:
        g4_gguf_writer_add_str(gw, kv->key, kv->v.str);
        break;
    case G4_GGUF_ARRAY:
        if (kv->elem == G4_GGUF_STRING)
            g4_gguf_writer_add_arr_str(gw, kv->key, (const char *const *)kv->arr, kv->n);
        else
            g4_gguf_writer_add_arr(gw, kv->key, kv->elem, kv->arr, kv->n);
        break;
    default:
        break; /* the plan only makes the types above */
    }
}

gemma4_status synth_write(const synth_plan *p, const char *path, bool progress, g4_error *err) {
    g4_gguf_writer *gw = g4_gguf_writer_new();
    if (!gw) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory creating the GGUF writer");
    for (size_t i = 0; i < p->n_kvs; i++) add_kv(gw, &p->kvs[i]);
    for (size_t i = 0; i < p->n_tensors; i++) {
        const synth_tensor *t = &p->tensors[i];
        g4_gguf_writer_add_tensor(gw, t->name, t->type, t->n_dims, t->ne);
    }
    write_ctx w = {.p = p, .progress = progress, .total = synth_plan_data_bytes(p)};
    clock_gettime(CLOCK_MONOTONIC, &w.t0);
    gemma4_status st = g4_gguf_writer_write(gw, path, fill, &w, err);
    if (st != GEMMA4_OK && w.err.status != GEMMA4_OK && err) *err = w.err; /* the root cause, not its echo */
    g4_gguf_writer_free(gw);
    return st;
}
