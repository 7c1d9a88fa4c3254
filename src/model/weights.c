/*
 * Tensor binding: every tensor llama.cpp's Gemma 4 loader creates, looked up by name and checked
 * for shape and type before the forward pass ever touches it.
 */
#include "model/weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"
#include "kernels/quants.h"

enum { REQUIRED = 0, OPTIONAL = 1 };

static void shape_str(char *buf, size_t cap, int n_dims, const int64_t *ne) {
    size_t used = 0;
    used += (size_t)snprintf(buf + used, cap - used, "{");
    for (int i = 0; i < n_dims && used < cap; i++) {
        used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? ", " : "", (long long)ne[i]);
    }
    if (used < cap) snprintf(buf + used, cap - used, "}");
}

/* Finds `name` and checks its shape against ne[0..n_dims) (trailing dimensions must be 1).
 * *out is NULL when an optional tensor is absent. */
static gemma4_status find_shaped(const g4_gguf *f, const char *name, int flags, int n_dims, const int64_t *ne,
                                 const g4_gguf_tensor **out, g4_error *err) {
    *out = NULL;
    const g4_gguf_tensor *t = g4_gguf_find_tensor(f, name);
    if (!t) {
        if (flags == OPTIONAL) return GEMMA4_OK;
        char want[96];
        shape_str(want, sizeof want, n_dims, ne);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' %s missing", name, want);
    }
    bool ok = true;
    for (int i = 0; i < G4_GGUF_MAX_DIMS; i++) {
        int64_t want = i < n_dims ? ne[i] : 1;
        if (t->ne[i] != want) ok = false;
    }
    if (!ok) {
        char have[96], want[96];
        shape_str(have, sizeof have, t->n_dims, t->ne);
        shape_str(want, sizeof want, n_dims, ne);
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' has shape %s, expected %s", name, have, want);
    }
    *out = t;
    return GEMMA4_OK;
}

/* An f32 vector of n elements (norm weights, rope_freqs, scalars); *out NULL if optional and absent. */
static gemma4_status bind_vec(const g4_gguf *f, const char *name, int flags, int64_t n, const float **out,
                              g4_error *err) {
    const g4_gguf_tensor *t;
    *out = NULL;
    gemma4_status st = find_shaped(f, name, flags, 1, &n, &t, err);
    if (st != GEMMA4_OK || !t) return st;
    if (t->type != G4_TYPE_F32) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' has type %s, expected f32", name, g4_type_name(t->type));
    }
    *out = (const float *)t->data;
    return GEMMA4_OK;
}

/* How a matrix is used: as matmul weights, or only row by row (the embedding tables). */
enum { USE_MATMUL, USE_ROWS };

static gemma4_status matrix_from(const g4_gguf_tensor *t, int use, g4_matrix *m, g4_error *err) {
    if (use == USE_MATMUL ? !g4_matmul_supports(t->type) : !g4_can_dequantize(t->type)) {
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "tensor '%s' has type %s, which libgemma4 cannot compute with",
                       t->name, g4_type_name(t->type));
    }
    size_t row_bytes;
    if (!g4_type_row_bytes(t->type, t->ne[0], &row_bytes)) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s': rows of %lld elements are not whole %s blocks", t->name,
                       (long long)t->ne[0], g4_type_name(t->type));
    }
    m->type = t->type;
    m->n_in = t->ne[0];
    m->n_out = t->ne[1];
    m->row_bytes = row_bytes;
    m->data = t->data;
    return GEMMA4_OK;
}

/* A weight matrix {n_in, n_out} in any computable type; m->data stays NULL if optional and absent. */
static gemma4_status bind_mat_as(const g4_gguf *f, const char *name, int flags, int use, int64_t n_in, int64_t n_out,
                                 g4_matrix *m, g4_error *err) {
    memset(m, 0, sizeof *m);
    const int64_t ne[2] = {n_in, n_out};
    const g4_gguf_tensor *t;
    gemma4_status st = find_shaped(f, name, flags, 2, ne, &t, err);
    if (st != GEMMA4_OK || !t) return st;
    return matrix_from(t, use, m, err);
}

static gemma4_status bind_mat(const g4_gguf *f, const char *name, int flags, int64_t n_in, int64_t n_out, g4_matrix *m,
                              g4_error *err) {
    return bind_mat_as(f, name, flags, USE_MATMUL, n_in, n_out, m, err);
}

static gemma4_status bind_layer(const g4_gguf *f, const g4_hparams *hp, uint32_t il, const float *rope_freqs,
                                g4_layer_weights *lw, g4_error *err) {
    char name[96];
    gemma4_status st;
    const int64_t n_embd = hp->n_embd;
    const int64_t hd = g4_hparams_head_dim(hp, il);
    const int64_t q_dim = hd * hp->n_head[il];
    const int64_t kv_dim = hd * hp->n_head_kv[il];
    const bool own_kv = il < hp->n_layer_kv;
    const int kv_flags = own_kv ? REQUIRED : OPTIONAL;

#define NAME(suffix) (snprintf(name, sizeof name, "blk.%u." suffix ".weight", il), name)
#define TRY(call)                                                                                                      \
    do {                                                                                                               \
        if ((st = (call)) != GEMMA4_OK) return st;                                                                     \
    } while (0)

    TRY(bind_vec(f, NAME("attn_norm"), REQUIRED, n_embd, &lw->attn_norm, err));

    TRY(bind_mat(f, NAME("attn_q"), REQUIRED, n_embd, q_dim, &lw->wq, err));
    TRY(bind_mat(f, NAME("attn_k"), kv_flags, n_embd, kv_dim, &lw->wk, err));
    TRY(bind_mat(f, NAME("attn_v"), OPTIONAL, n_embd, kv_dim, &lw->wv, err));
    if (!own_kv) { /* shared layers read another layer's cache: their K/V weights go unused */
        memset(&lw->wk, 0, sizeof lw->wk);
        memset(&lw->wv, 0, sizeof lw->wv);
    }
    TRY(bind_mat(f, NAME("attn_output"), REQUIRED, q_dim, n_embd, &lw->wo, err));
    TRY(bind_vec(f, NAME("attn_q_norm"), REQUIRED, hd, &lw->attn_q_norm, err));
    TRY(bind_vec(f, NAME("attn_k_norm"), kv_flags, hd, &lw->attn_k_norm, err));
    if (!own_kv) lw->attn_k_norm = NULL;
    TRY(bind_vec(f, NAME("post_attention_norm"), REQUIRED, n_embd, &lw->post_attention_norm, err));

    TRY(bind_vec(f, NAME("ffn_norm"), REQUIRED, n_embd, &lw->ffn_norm, err));
    TRY(bind_mat(f, NAME("ffn_gate"), REQUIRED, n_embd, hp->n_ff[il], &lw->ffn_gate, err));
    TRY(bind_mat(f, NAME("ffn_up"), REQUIRED, n_embd, hp->n_ff[il], &lw->ffn_up, err));
    TRY(bind_mat(f, NAME("ffn_down"), REQUIRED, hp->n_ff[il], n_embd, &lw->ffn_down, err));
    TRY(bind_vec(f, NAME("post_ffw_norm"), REQUIRED, n_embd, &lw->post_ffw_norm, err));

    if (hp->n_embd_per_layer > 0) {
        TRY(bind_mat(f, NAME("inp_gate"), REQUIRED, n_embd, hp->n_embd_per_layer, &lw->inp_gate, err));
        TRY(bind_mat(f, NAME("proj"), REQUIRED, hp->n_embd_per_layer, n_embd, &lw->proj, err));
        TRY(bind_vec(f, NAME("post_norm"), REQUIRED, n_embd, &lw->post_norm, err));
    }

    const float *scale;
    TRY(bind_vec(f, NAME("layer_output_scale"), OPTIONAL, 1, &scale, err));
    if (scale) {
        memcpy(&lw->out_scale, scale, sizeof(float)); /* the mapping is aligned, but stay strict */
    } else {
        lw->out_scale = 1.0f;
    }

    lw->rope_freqs = hp->is_swa[il] ? NULL : rope_freqs;
#undef NAME
#undef TRY
    return GEMMA4_OK;
}

gemma4_status g4_weights_bind(const g4_gguf *f, const g4_hparams *hp, g4_weights *w, g4_error *err) {
    memset(w, 0, sizeof *w);
    gemma4_status st;
    const int64_t n_embd = hp->n_embd, n_vocab = hp->n_vocab;

    if ((st = bind_mat(f, "output.weight", OPTIONAL, n_embd, n_vocab, &w->output, err)) != GEMMA4_OK) return st;
    w->output_tied = w->output.data == NULL;
    /* tied: token_embd is also the LM head, so it must be a matmul type, not just dequantizable */
    st = bind_mat_as(f, "token_embd.weight", REQUIRED, w->output_tied ? USE_MATMUL : USE_ROWS, n_embd, n_vocab,
                     &w->token_embd, err);
    if (st != GEMMA4_OK) return st;
    if (w->output_tied) w->output = w->token_embd;
    if ((st = bind_vec(f, "output_norm.weight", REQUIRED, n_embd, &w->output_norm, err)) != GEMMA4_OK) return st;

    if (hp->n_embd_per_layer > 0) {
        const int64_t n_pl = (int64_t)hp->n_embd_per_layer * hp->n_layer;
        st = bind_mat_as(f, "per_layer_token_embd.weight", REQUIRED, USE_ROWS, n_pl, n_vocab, &w->per_layer_token_embd,
                         err);
        if (st != GEMMA4_OK) return st;
        st = bind_mat(f, "per_layer_model_proj.weight", REQUIRED, n_embd, n_pl, &w->per_layer_model_proj, err);
        if (st != GEMMA4_OK) return st;
        st = bind_vec(f, "per_layer_proj_norm.weight", REQUIRED, hp->n_embd_per_layer, &w->per_layer_proj_norm, err);
        if (st != GEMMA4_OK) return st;
    }

    bool any_global = false;
    for (uint32_t il = 0; il < hp->n_layer; il++) any_global |= !hp->is_swa[il];
    if (any_global) {
        if ((st = bind_vec(f, "rope_freqs.weight", OPTIONAL, hp->head_dim / 2, &w->rope_freqs, err)) != GEMMA4_OK)
            return st;
    }

    w->layers = calloc(hp->n_layer, sizeof *w->layers);
    if (!w->layers) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory binding %u layers", hp->n_layer);
    w->n_layer = hp->n_layer;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        if ((st = bind_layer(f, hp, il, w->rope_freqs, &w->layers[il], err)) != GEMMA4_OK) {
            g4_weights_free(w);
            return st;
        }
    }
    return GEMMA4_OK;
}

void g4_weights_free(g4_weights *w) {
    if (!w) return;
    free(w->layers);
    w->layers = NULL;
    w->n_layer = 0;
}
