/*
 * Model loading and context lifetime: everything a context will ever need is sized and allocated
 * here, once.
 */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/pool.h"
#include "kernels/attention.h"
#include "model/context.h"

gemma4_status g4_model_load(const g4_gguf *f, g4_model **out, g4_error *err) {
    *out = NULL;
    g4_model *m = calloc(1, sizeof *m);
    if (!m) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory loading the model");
    gemma4_status st = g4_hparams_load(f, &m->hp, err);
    if (st == GEMMA4_OK) st = g4_weights_bind(f, &m->hp, &m->w, err);
    if (st == GEMMA4_OK && !(m->gelu = malloc(sizeof *m->gelu))) {
        st = g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory loading the model");
    }
    if (st != GEMMA4_OK) {
        g4_model_free(m);
        return st;
    }
    g4_gelu_table_init(m->gelu);
    m->gguf = f;
    *out = m;
    return GEMMA4_OK;
}

void g4_model_free(g4_model *m) {
    if (!m) return;
    g4_weights_free(&m->w);
    free(m->gelu);
    free(m);
}

g4_ctx_params g4_ctx_default_params(void) {
    g4_ctx_params p;
    memset(&p, 0, sizeof p);
    p.n_ctx = 0;
    p.n_batch = 64;
    p.kv_type = G4_TYPE_F16;
    p.swa_full = false;
    p.pool = NULL;
    p.kernels = NULL;
    return p;
}

/* ---- scratch layout --------------------------------------------------------------------------- */

#define ALIGN 64

typedef struct sizer {
    size_t total;
    bool overflow;
} sizer;

/* Reserves n bytes (64-byte aligned) and returns their offset. */
static size_t reserve(sizer *z, size_t n) {
    uint64_t start;
    size_t off = z->total;
    if (!g4_align_up_u64(z->total, ALIGN, &start) || start > SIZE_MAX || !g4_add_size((size_t)start, n, &z->total)) {
        z->overflow = true;
        return 0;
    }
    off = (size_t)start;
    return off;
}

static size_t floats(sizer *z, int64_t rows, int64_t width) {
    size_t n;
    if (!g4_mul_size((size_t)rows, (size_t)width, &n) || !g4_mul_size(n, sizeof(float), &n)) {
        z->overflow = true;
        return 0;
    }
    return reserve(z, n);
}

static size_t max_size(size_t a, size_t b) {
    return a > b ? a : b;
}

static size_t matmul_scratch(const g4_model *m, int64_t n_tok) {
    const g4_hparams *hp = &m->hp;
    const g4_weights *w = &m->w;
    size_t need = g4_matmul_scratch_bytes(w->output.type, w->output.n_in, n_tok);
    if (w->per_layer_model_proj.data) {
        need = max_size(need, g4_matmul_scratch_bytes(w->per_layer_model_proj.type, hp->n_embd, n_tok));
    }
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        const g4_layer_weights *L = &w->layers[il];
        const g4_matrix *mats[] = {&L->wq,     &L->wk,       &L->wv,       &L->wo,  &L->ffn_gate,
                                   &L->ffn_up, &L->ffn_down, &L->inp_gate, &L->proj};
        for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++) {
            if (mats[i]->data) need = max_size(need, g4_matmul_scratch_bytes(mats[i]->type, mats[i]->n_in, n_tok));
        }
    }
    return need;
}

gemma4_status g4_ctx_new(const g4_model *m, const g4_ctx_params *p, g4_ctx **out, g4_error *err) {
    *out = NULL;
    const g4_hparams *hp = &m->hp;
    g4_ctx_params prm = p ? *p : g4_ctx_default_params();
    if (prm.n_ctx == 0) {
        prm.n_ctx = 4096;
        if ((uint32_t)prm.n_ctx > hp->n_ctx_train) prm.n_ctx = (int32_t)hp->n_ctx_train;
    }
    if (prm.n_batch < 1) {
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "batch size %d must be at least 1", prm.n_batch);
    }
    if (prm.n_batch > prm.n_ctx) prm.n_batch = prm.n_ctx > 0 ? prm.n_ctx : 1;

    g4_ctx *c = calloc(1, sizeof *c);
    if (!c) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for a context");
    c->model = m;
    c->k = prm.kernels ? prm.kernels : g4_kernels_best();
    c->pool = prm.pool;
    c->n_threads = g4_pool_size(prm.pool);
    c->n_batch = prm.n_batch;

    const g4_kv_config kc = {.n_ctx = prm.n_ctx, .n_batch = prm.n_batch, .type = prm.kv_type, .swa_full = prm.swa_full};
    gemma4_status st = g4_kv_new(hp, &kc, &c->kv, err);
    if (st != GEMMA4_OK) {
        free(c);
        return st;
    }

    int64_t q_max = 0, kv_max = 0, ff_max = 0, hd_max = 0, head_max = 0;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        const int64_t hd = g4_hparams_head_dim(hp, il);
        if (hd * hp->n_head[il] > q_max) q_max = hd * hp->n_head[il];
        if (hd * hp->n_head_kv[il] > kv_max) kv_max = hd * hp->n_head_kv[il];
        if (hp->n_ff[il] > ff_max) ff_max = hp->n_ff[il];
        if (hd > hd_max) hd_max = hd;
        if (hp->n_head[il] > head_max) head_max = hp->n_head[il];
    }
    const int64_t B = c->n_batch, n_pl = (int64_t)hp->n_embd_per_layer * hp->n_layer;

    sizer z = {0, false};
    size_t o_x = floats(&z, B, hp->n_embd), o_h = floats(&z, B, hp->n_embd);
    size_t o_q = floats(&z, B, q_max), o_k = floats(&z, B, kv_max), o_v = floats(&z, B, kv_max);
    size_t o_att = floats(&z, B, q_max), o_o = floats(&z, B, hp->n_embd);
    size_t o_gate = floats(&z, B, ff_max), o_up = floats(&z, B, ff_max);
    size_t o_ple = floats(&z, B, n_pl), o_plp = floats(&z, B, n_pl), o_pla = floats(&z, B, hp->n_embd_per_layer);
    size_t o_mm = reserve(&z, matmul_scratch(m, B));
    /* attention runs its heads split over the pool: one scratch slice per thread */
    uint64_t attn_stride;
    if (!g4_align_up_u64(g4_attention_scratch_bytes(hd_max, head_max, B), ALIGN, &attn_stride)) z.overflow = true;
    size_t attn_bytes = 0;
    if (!g4_mul_size((size_t)attn_stride, (size_t)c->n_threads, &attn_bytes)) z.overflow = true;
    size_t o_attn = reserve(&z, attn_bytes);
    if (z.overflow) {
        g4_ctx_free(c);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "scratch for a batch of %lld tokens overflows", (long long)B);
    }
    uint64_t total64;
    size_t total = 0;
    if (g4_align_up_u64(z.total, ALIGN, &total64) && total64 <= SIZE_MAX) total = (size_t)total64;
    if (!total || !(c->mem = aligned_alloc(ALIGN, total))) {
        g4_ctx_free(c);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %zu bytes of scratch (batch %lld)", z.total,
                       (long long)B);
    }
    c->scratch_bytes = total;
    uint8_t *base = c->mem;
    c->s.x = (float *)(base + o_x);
    c->s.h = (float *)(base + o_h);
    c->s.q = (float *)(base + o_q);
    c->s.k = (float *)(base + o_k);
    c->s.v = (float *)(base + o_v);
    c->s.att = (float *)(base + o_att);
    c->s.o = (float *)(base + o_o);
    c->s.gate = (float *)(base + o_gate);
    c->s.up = (float *)(base + o_up);
    c->s.ple = (float *)(base + o_ple);
    c->s.pl_proj = (float *)(base + o_plp);
    c->s.pl_act = (float *)(base + o_pla);
    c->s.matmul = base + o_mm;
    c->s.attn = base + o_attn;
    c->s.attn_stride = (size_t)attn_stride;
    *out = c;
    return GEMMA4_OK;
}

void g4_ctx_free(g4_ctx *c) {
    if (!c) return;
    g4_kv_free(c->kv);
    free(c->mem);
    free(c);
}

const g4_model *g4_ctx_model(const g4_ctx *c) {
    return c->model;
}
int32_t g4_ctx_n_ctx(const g4_ctx *c) {
    return (int32_t)c->kv->n_ctx;
}
int32_t g4_ctx_n_batch(const g4_ctx *c) {
    return (int32_t)c->n_batch;
}
int32_t g4_ctx_pos(const g4_ctx *c) {
    return (int32_t)c->kv->n_pos;
}
size_t g4_ctx_kv_bytes(const g4_ctx *c) {
    return c->kv->size.total;
}
size_t g4_ctx_scratch_bytes(const g4_ctx *c) {
    return c->scratch_bytes;
}
bool g4_ctx_can_rewind(const g4_ctx *c, int32_t pos) {
    return g4_kv_can_rewind(c->kv, pos);
}
gemma4_status g4_ctx_rewind(g4_ctx *c, int32_t pos, g4_error *err) {
    return g4_kv_rewind(c->kv, pos, err);
}
void g4_ctx_clear(g4_ctx *c) {
    c->kv->n_pos = 0;
}
