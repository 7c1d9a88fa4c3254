/*
 * The forward pass, one micro-batch at a time, row-major [token][feature] activations throughout.
 * Each step names the llama.cpp graph node it reproduces (models/gemma4.cpp), with the constants
 * applied the way ggml applies them (a multiplication by 1/sqrt(n), not a division), so that our
 * rounding follows theirs.
 */
#include "model/forward.h"

#include <math.h>
#include <string.h>

#include "core/pool.h"
#include "kernels/attention.h"
#include "kernels/dispatch.h"
#include "kernels/ops.h"
#include "model/context.h"

/* y (n_tok x n_out) = x (n_tok x n_in) W^T with the context's kernel table, scratch and pool. */
static void matmul(g4_ctx *c, const g4_matrix *w, const float *x, int64_t n_tok, float *y) {
    g4_matmul_with(c->k, w, x, n_tok, y, c->s.matmul, c->pool);
}

static void scale_rows(float *x, int64_t n, float s) {
    for (int64_t i = 0; i < n; i++) x[i] *= s;
}

/* x += rmsnorm(y) * w, row by row; y is overwritten. */
static void add_normed(const g4_kernels *k, float *x, float *y, const float *w, int64_t rows, int64_t n, float eps) {
    for (int64_t t = 0; t < rows; t++) {
        float *yt = y + t * n, *xt = x + t * n;
        k->rmsnorm(yt, yt, w, n, eps);
        for (int64_t i = 0; i < n; i++) xt[i] += yt[i];
    }
}

static void norm_rows(const g4_kernels *k, float *out, const float *x, const float *w, int64_t rows, int64_t n,
                      float eps) {
    for (int64_t t = 0; t < rows; t++) k->rmsnorm(out + t * n, x + t * n, w, n, eps);
}

/* Input rows: token embeddings times sqrt(n_embd) (ggml_scale of the dequantized rows), or the
 * caller's embeddings as they are. */
static void embed(g4_ctx *c, const int32_t *tokens, const float *embd, int64_t B) {
    const g4_hparams *hp = &c->model->hp;
    const g4_matrix *te = &c->model->w.token_embd;
    const int64_t n_embd = hp->n_embd;
    if (!tokens) {
        memcpy(c->s.x, embd, sizeof(float) * (size_t)(B * n_embd));
        return;
    }
    const float scale = sqrtf((float)n_embd);
    for (int64_t t = 0; t < B; t++) {
        float *xt = c->s.x + t * n_embd;
        g4_get_row(te->type, te->data, n_embd, tokens[t], xt);
        scale_rows(xt, n_embd, scale);
    }
}

/* build_inp_per_layer + project_per_layer_inputs:
 *   ple[t][l] = (rmsnorm(per_layer_model_proj . x[t] / sqrt(n_embd))[l] * proj_norm
 *               + per_layer_token_embd[tok][l] * sqrt(n_embd_per_layer)) / sqrt(2)
 * with token 0's row for embedding inputs. */
static void per_layer_inputs(g4_ctx *c, const int32_t *tokens, int64_t B) {
    const g4_hparams *hp = &c->model->hp;
    const g4_weights *w = &c->model->w;
    const int64_t n_epl = hp->n_embd_per_layer, n_pl = n_epl * hp->n_layer;
    const float tok_scale = sqrtf((float)n_epl);
    const float proj_scale = 1.0f / sqrtf((float)hp->n_embd);
    const float sum_scale = 1.0f / sqrtf(2.0f);

    for (int64_t t = 0; t < B; t++) {
        float *pt = c->s.ple + t * n_pl;
        g4_get_row(w->per_layer_token_embd.type, w->per_layer_token_embd.data, n_pl, tokens ? tokens[t] : 0, pt);
        scale_rows(pt, n_pl, tok_scale);
    }
    matmul(c, &w->per_layer_model_proj, c->s.x, B, c->s.pl_proj);
    for (int64_t t = 0; t < B; t++) {
        float *proj = c->s.pl_proj + t * n_pl, *pt = c->s.ple + t * n_pl;
        scale_rows(proj, n_pl, proj_scale);
        for (uint32_t l = 0; l < hp->n_layer; l++) {
            c->k->rmsnorm(proj + l * n_epl, proj + l * n_epl, w->per_layer_proj_norm, n_epl, hp->norm_eps);
        }
        for (int64_t i = 0; i < n_pl; i++) pt[i] = (proj[i] + pt[i]) * sum_scale;
    }
}

/* rmsnorm of each head_dim-long piece (every head of every token), weight w or none. */
static void heads_norm(const g4_kernels *k, float *x, int64_t n_heads_total, int64_t hd, const float *w, float eps) {
    for (int64_t i = 0; i < n_heads_total; i++) k->rmsnorm(x + i * hd, x + i * hd, w, hd, eps);
}

/* NEOX RoPE of every head, token t at position pos0 + t. */
static void heads_rope(const g4_kernels *k, float *x, int64_t B, int64_t n_head, int64_t hd, int64_t pos0,
                       int64_t n_rot, float base, const float *freq_factors) {
    for (int64_t t = 0; t < B; t++) {
        for (int64_t h = 0; h < n_head; h++)
            k->rope_neox(x + (t * n_head + h) * hd, hd, n_rot, pos0 + t, base, freq_factors);
    }
}

typedef struct attn_job {
    const g4_kernels *k;
    const g4_attn_args *args;
    uint8_t *scratch;
    size_t stride;
} attn_job;

/* Query heads split evenly over the pool's threads (each with its own scratch slice). */
static void attn_worker(void *ctx, int ith, int nth) {
    const attn_job *job = ctx;
    const int64_t n_head = job->args->n_head;
    const int64_t h0 = n_head * ith / nth, h1 = n_head * (ith + 1) / nth;
    job->k->attention(job->args, h0, h1, job->scratch + (size_t)ith * job->stride);
}

static void attention_block(g4_ctx *c, uint32_t il, int64_t B, int64_t pos0) {
    const g4_hparams *hp = &c->model->hp;
    const g4_layer_weights *L = &c->model->w.layers[il];
    g4_ctx_scratch *s = &c->s;
    const int64_t n_embd = hp->n_embd, hd = g4_hparams_head_dim(hp, il);
    const int64_t n_head = hp->n_head[il], n_head_kv = hp->n_head_kv[il];
    const bool swa = hp->is_swa[il];
    const float base = swa ? hp->rope_base_swa : hp->rope_base;
    const int64_t n_rot = swa ? hp->n_rot_swa : hp->n_rot;
    const float eps = hp->norm_eps;

    norm_rows(c->k, s->h, s->x, L->attn_norm, B, n_embd, eps);

    matmul(c, &L->wq, s->h, B, s->q);
    heads_norm(c->k, s->q, B * n_head, hd, L->attn_q_norm, eps);
    heads_rope(c->k, s->q, B, n_head, hd, pos0, n_rot, base, L->rope_freqs);

    if (L->wk.data) {
        matmul(c, &L->wk, s->h, B, s->k);
        if (L->wv.data) {
            matmul(c, &L->wv, s->h, B, s->v);
        } else { /* no attn_v: V is K's projection (before K's norm and RoPE) */
            memcpy(s->v, s->k, sizeof(float) * (size_t)(B * n_head_kv * hd));
        }
        heads_norm(c->k, s->k, B * n_head_kv, hd, L->attn_k_norm, eps);
        heads_rope(c->k, s->k, B, n_head_kv, hd, pos0, n_rot, base, L->rope_freqs);
        heads_norm(c->k, s->v, B * n_head_kv, hd, NULL, eps); /* V: rmsnorm without weight */
        g4_kv_write(c->kv, il, pos0, B, s->k, s->v);
    }

    g4_attn_cache cache;
    g4_kv_view(c->kv, il, &cache);
    const g4_attn_args args = {
        .cache = &cache,
        .n_head = n_head,
        .n_head_kv = n_head_kv,
        .head_dim = hd,
        .scale = 1.0f, /* Gemma 4: no 1/sqrt(head_dim); the q/k norms set the scale */
        .window = swa ? hp->n_swa : 0,
        .n_tok = B,
        .pos0 = pos0,
        .q = s->q,
        .out = s->att,
    };
    attn_job job = {c->k, &args, s->attn, s->attn_stride};
    g4_pool_run(c->pool, attn_worker, &job);

    matmul(c, &L->wo, s->att, B, s->o);
    add_normed(c->k, s->x, s->o, L->post_attention_norm, B, n_embd, eps);
}

static void ffn_block(g4_ctx *c, uint32_t il, int64_t B) {
    const g4_hparams *hp = &c->model->hp;
    const g4_layer_weights *L = &c->model->w.layers[il];
    g4_ctx_scratch *s = &c->s;
    const int64_t n_embd = hp->n_embd, n_ff = hp->n_ff[il];

    norm_rows(c->k, s->h, s->x, L->ffn_norm, B, n_embd, hp->norm_eps);
    matmul(c, &L->ffn_gate, s->h, B, s->gate);
    matmul(c, &L->ffn_up, s->h, B, s->up);
    g4_geglu_apply(c->model->gelu, s->gate, s->up, B * n_ff); /* ggml_geglu_split(gate, up) */
    matmul(c, &L->ffn_down, s->gate, B, s->o);
    add_normed(c->k, s->x, s->o, L->post_ffw_norm, B, n_embd, hp->norm_eps);
}

static void per_layer_block(g4_ctx *c, uint32_t il, int64_t B) {
    const g4_hparams *hp = &c->model->hp;
    const g4_layer_weights *L = &c->model->w.layers[il];
    g4_ctx_scratch *s = &c->s;
    const int64_t n_embd = hp->n_embd, n_epl = hp->n_embd_per_layer, n_pl = n_epl * hp->n_layer;

    matmul(c, &L->inp_gate, s->x, B, s->pl_act);
    g4_gelu_apply(c->model->gelu, s->pl_act, B * n_epl);
    for (int64_t t = 0; t < B; t++) {
        float *a = s->pl_act + t * n_epl;
        const float *p = s->ple + t * n_pl + (int64_t)il * n_epl;
        for (int64_t i = 0; i < n_epl; i++) a[i] *= p[i];
    }
    matmul(c, &L->proj, s->pl_act, B, s->o);
    add_normed(c->k, s->x, s->o, L->post_norm, B, n_embd, hp->norm_eps);
}

/* Final norm, LM head and softcap for rows [r0, r0 + n) of the batch. */
static void head(g4_ctx *c, int64_t r0, int64_t n, float *logits) {
    const g4_hparams *hp = &c->model->hp;
    const g4_weights *w = &c->model->w;
    norm_rows(c->k, c->s.h, c->s.x + r0 * hp->n_embd, w->output_norm, n, hp->n_embd, hp->norm_eps);
    matmul(c, &w->output, c->s.h, n, logits);
    if (hp->final_softcap > 0.0f) c->k->softcap(logits, n * (int64_t)hp->n_vocab, hp->final_softcap);
}

static gemma4_status forward(g4_ctx *c, const int32_t *tokens, const float *embd, int32_t n, float *logits,
                             bool all_logits, g4_error *err) {
    const g4_hparams *hp = &c->model->hp;
    if (n < 1) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "nothing to evaluate (%d tokens)", n);
    if (!tokens && !embd) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "no input given");
    if (tokens) {
        for (int32_t i = 0; i < n; i++) {
            if (tokens[i] < 0 || (uint32_t)tokens[i] >= hp->n_vocab) {
                return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "token %d (input %d) is outside the vocabulary (0..%u)",
                               tokens[i], i, hp->n_vocab - 1);
            }
        }
    }
    const int64_t pos = c->kv->n_pos;
    if (pos + n > c->kv->n_ctx) {
        return g4_fail(err, GEMMA4_ERR_CONTEXT_FULL,
                       "context full: %lld positions used, %d more requested, room for %lld", (long long)pos, n,
                       (long long)c->kv->n_ctx);
    }

    for (int64_t b0 = 0; b0 < n; b0 += c->n_batch) {
        const int64_t B = n - b0 < c->n_batch ? n - b0 : c->n_batch;
        const int64_t pos0 = c->kv->n_pos;
        const int32_t *tok = tokens ? tokens + b0 : NULL;

        embed(c, tok, embd ? embd + b0 * hp->n_embd : NULL, B);
        if (hp->n_embd_per_layer > 0) per_layer_inputs(c, tok, B);

        for (uint32_t il = 0; il < hp->n_layer; il++) {
            attention_block(c, il, B, pos0);
            ffn_block(c, il, B);
            if (hp->n_embd_per_layer > 0) per_layer_block(c, il, B);
            const float scale = c->model->w.layers[il].out_scale;
            if (scale != 1.0f) scale_rows(c->s.x, B * hp->n_embd, scale);
        }

        if (logits && all_logits) {
            head(c, 0, B, logits + b0 * (int64_t)hp->n_vocab);
        } else if (logits && b0 + B == n) {
            head(c, B - 1, 1, logits);
        }
        g4_kv_advance(c->kv, B);
    }
    return GEMMA4_OK;
}

gemma4_status g4_forward_tokens(g4_ctx *c, const int32_t *tokens, int32_t n, float *logits, bool all_logits,
                                g4_error *err) {
    if (!tokens) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "no tokens given");
    return forward(c, tokens, NULL, n, logits, all_logits, err);
}

gemma4_status g4_forward_embd(g4_ctx *c, const float *embd, int32_t n, float *logits, bool all_logits, g4_error *err) {
    if (!embd) return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "no embeddings given");
    return forward(c, NULL, embd, n, logits, all_logits, err);
}
