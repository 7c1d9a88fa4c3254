/*
 * Tiny Gemma 4 GGUFs for the model tests and the llama.cpp differential driver: the full tensor
 * and metadata set that llama.cpp's gemma4 loader reads, at toy sizes, with deterministic random
 * weights. Knobs inject the faults the loader tests need (a tensor missing, a wrong shape or
 * type, a key missing, a bad pattern length, a MoE model).
 *
 * Header-only (static functions) so that each test program and tests/oracle/model/g4_tiny.c can
 * include it without a shared object. Needs the gguf writer and the kernels' quantizers.
 */
#ifndef G4_TEST_MODEL_TINY_H
#define G4_TEST_MODEL_TINY_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gguf/gguf_writer.h"
#include "kernels/quants.h"

#define TINY_MAX_LAYERS 64
#define TINY_MAX_TENSORS (16 + 20 * TINY_MAX_LAYERS)

typedef struct tiny_cfg {
    uint32_t n_layer, n_embd, n_vocab, n_ctx_train, n_epl;
    uint32_t n_head, n_head_kv, head_dim, head_dim_swa, n_swa, n_shared;
    uint32_t n_ff, n_ff_shared; /* FFN width of own-KV layers and of KV-shared layers */
    uint32_t swa_period;        /* every swa_period-th layer is global ([S,S,G] for 3) */
    uint32_t rot_pairs_global;  /* pairs that rotate in global layers (rope_freqs 1; the rest 1e30) */
    uint32_t n_rot_swa;         /* rope.dimension_count_swa (0: head_dim_swa) */
    float rope_base, rope_base_swa, eps, softcap;
    float post_norm;   /* mean of the post-block norm weights: < 1 keeps blocks' updates small
                        * next to the residual stream, as in trained models (less chaotic) */
    g4_type wtype;     /* the projection matrices */
    g4_type embd_type; /* token_embd and per_layer_token_embd */
    bool tied;         /* no output.weight */
    bool no_attn_v;    /* V = K's projection */
    bool out_scale;    /* write blk.N.layer_output_scale */
    bool raw_pattern;  /* do not force the last two own-KV layers to [sliding, global] */
    uint64_t seed;

    /* fault injection */
    const char *omit_tensor; /* leave this tensor out */
    const char *bad_shape;   /* write this tensor one element wider in ne[0] */
    const char *retype;      /* write this tensor with type retype_as */
    g4_type retype_as;
    const char *omit_key;  /* leave this metadata key out */
    int pattern_len;       /* entries in sliding_window_pattern (0: n_layer) */
    uint32_t expert_count; /* > 0: write gemma4.expert_count */
} tiny_cfg;

static inline tiny_cfg tiny_default(void) {
    tiny_cfg c;
    memset(&c, 0, sizeof c);
    c.n_layer = 6;
    c.n_embd = 64;
    c.n_vocab = 96;
    c.n_ctx_train = 512;
    c.n_epl = 16;
    c.n_head = 4;
    c.n_head_kv = 2;
    c.head_dim = 64;
    c.head_dim_swa = 32;
    c.n_swa = 8;
    c.n_shared = 2;
    c.n_ff = 96;
    c.n_ff_shared = 128;
    c.swa_period = 3; /* with the forcing in tiny_is_swa: [S S S G | S G], layers 4 and 5 read 2 and 3 */
    c.rot_pairs_global = 8;
    c.rope_base = 1000000.0f;
    c.rope_base_swa = 10000.0f;
    c.eps = 1e-6f;
    c.softcap = 30.0f;
    c.post_norm = 1.0f;
    c.wtype = G4_TYPE_F32;
    c.embd_type = G4_TYPE_F32;
    c.out_scale = true;
    c.seed = 42;
    return c;
}

/* The layer types: global every swa_period-th layer, except that the last two own-KV layers are
 * forced to [sliding, global] as in Gemma 4 (the shared layers read them by type). */
static inline bool tiny_is_swa(const tiny_cfg *c, uint32_t il) {
    const uint32_t n_kv = c->n_layer - c->n_shared;
    if (!c->raw_pattern && c->n_shared > 0 && il == n_kv - 2) return true;
    if (!c->raw_pattern && c->n_shared > 0 && il == n_kv - 1) return false;
    return c->swa_period == 0 || (il + 1) % c->swa_period != 0;
}

static inline uint32_t tiny_head_dim(const tiny_cfg *c, uint32_t il) {
    return tiny_is_swa(c, il) ? c->head_dim_swa : c->head_dim;
}

/* ---- deterministic values --------------------------------------------------------------------- */

static inline uint64_t tiny_mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static inline uint64_t tiny_hash_str(uint64_t h, const char *s) {
    while (*s) h = tiny_mix(h ^ (uint8_t)*s++);
    return h;
}

/* Standard normal number `i` of stream `key` (Box-Muller on two hashed uniforms). */
static inline float tiny_normal(uint64_t key, uint64_t i) {
    const uint64_t a = tiny_mix(key ^ (2 * i)), b = tiny_mix(key ^ (2 * i + 1));
    const double u1 = ((double)(a >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = (double)(b >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

typedef enum { TINY_NORMAL, TINY_ROPE_FREQS } tiny_init;

typedef struct tiny_tensor {
    char name[64];
    g4_type type;
    int n_dims;
    int64_t ne[2];
    tiny_init init;
    float mean, std;
} tiny_tensor;

typedef struct tiny_plan {
    const tiny_cfg *cfg;
    int n;
    tiny_tensor t[TINY_MAX_TENSORS];
} tiny_plan;

static inline void tiny_add(tiny_plan *p, const char *name, g4_type type, int n_dims, int64_t ne0, int64_t ne1,
                            float mean, float std) {
    const tiny_cfg *c = p->cfg;
    if (c->omit_tensor && strcmp(c->omit_tensor, name) == 0) return;
    tiny_tensor *t = &p->t[p->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->n_dims = n_dims;
    t->ne[0] = ne0;
    t->ne[1] = ne1;
    t->init = TINY_NORMAL;
    t->mean = mean;
    t->std = std;
    if (c->bad_shape && strcmp(c->bad_shape, name) == 0)
        t->ne[0] += (type == G4_TYPE_F32 || type == G4_TYPE_F16) ? 1 : 32;
    if (c->retype && strcmp(c->retype, name) == 0) t->type = c->retype_as;
}

static inline void tiny_plan_build(const tiny_cfg *c, tiny_plan *p) {
    memset(p, 0, sizeof *p);
    p->cfg = c;
    const int64_t E = c->n_embd, V = c->n_vocab, n_pl = (int64_t)c->n_epl * c->n_layer;
    char nm[64];
    tiny_add(p, "token_embd.weight", c->embd_type, 2, E, V, 0.0f, 1.0f / sqrtf((float)E));
    if (!c->tied) tiny_add(p, "output.weight", c->wtype, 2, E, V, 0.0f, 1.0f / sqrtf((float)E));
    tiny_add(p, "output_norm.weight", G4_TYPE_F32, 1, E, 1, 1.0f, 0.1f);
    if (c->n_epl > 0) {
        tiny_add(p, "per_layer_token_embd.weight", c->embd_type, 2, n_pl, V, 0.0f, 1.0f / sqrtf((float)c->n_epl));
        tiny_add(p, "per_layer_model_proj.weight", c->wtype, 2, E, n_pl, 0.0f, 1.0f / sqrtf((float)E));
        tiny_add(p, "per_layer_proj_norm.weight", G4_TYPE_F32, 1, c->n_epl, 1, 1.0f, 0.1f);
    }
    bool any_global = false; /* llama.cpp refuses a rope_freqs that no layer uses */
    for (uint32_t il = 0; il < c->n_layer; il++) any_global |= !tiny_is_swa(c, il);
    if (any_global) {
        tiny_add(p, "rope_freqs.weight", G4_TYPE_F32, 1, c->head_dim / 2, 1, 0, 0);
        if (p->n && strcmp(p->t[p->n - 1].name, "rope_freqs.weight") == 0) p->t[p->n - 1].init = TINY_ROPE_FREQS;
    }

    for (uint32_t il = 0; il < c->n_layer; il++) {
        const int64_t hd = tiny_head_dim(c, il), q = hd * c->n_head, kv = hd * c->n_head_kv;
        const bool own = il < c->n_layer - c->n_shared;
        const int64_t ff = own ? c->n_ff : c->n_ff_shared;
#define N(s) (snprintf(nm, sizeof nm, "blk.%u." s ".weight", il), nm)
        tiny_add(p, N("attn_norm"), G4_TYPE_F32, 1, E, 1, 1.0f, 0.1f);
        tiny_add(p, N("attn_q"), c->wtype, 2, E, q, 0.0f, 1.0f / sqrtf((float)E));
        if (own) {
            tiny_add(p, N("attn_k"), c->wtype, 2, E, kv, 0.0f, 1.0f / sqrtf((float)E));
            if (!c->no_attn_v) tiny_add(p, N("attn_v"), c->wtype, 2, E, kv, 0.0f, 1.0f / sqrtf((float)E));
        }
        tiny_add(p, N("attn_output"), c->wtype, 2, q, E, 0.0f, 1.0f / sqrtf((float)q));
        /* q/k norms near 0.35: with attention scale 1 the scores get a spread of a few units */
        tiny_add(p, N("attn_q_norm"), G4_TYPE_F32, 1, hd, 1, 0.35f, 0.05f);
        if (own) tiny_add(p, N("attn_k_norm"), G4_TYPE_F32, 1, hd, 1, 0.35f, 0.05f);
        tiny_add(p, N("post_attention_norm"), G4_TYPE_F32, 1, E, 1, c->post_norm, 0.1f * c->post_norm);
        tiny_add(p, N("ffn_norm"), G4_TYPE_F32, 1, E, 1, 1.0f, 0.1f);
        tiny_add(p, N("ffn_gate"), c->wtype, 2, E, ff, 0.0f, 1.0f / sqrtf((float)E));
        tiny_add(p, N("ffn_up"), c->wtype, 2, E, ff, 0.0f, 1.0f / sqrtf((float)E));
        tiny_add(p, N("ffn_down"), c->wtype, 2, ff, E, 0.0f, 1.0f / sqrtf((float)ff));
        tiny_add(p, N("post_ffw_norm"), G4_TYPE_F32, 1, E, 1, c->post_norm, 0.1f * c->post_norm);
        if (c->n_epl > 0) {
            tiny_add(p, N("inp_gate"), c->wtype, 2, E, c->n_epl, 0.0f, 1.0f / sqrtf((float)E));
            tiny_add(p, N("proj"), c->wtype, 2, c->n_epl, E, 0.0f, 1.0f / sqrtf((float)c->n_epl));
            tiny_add(p, N("post_norm"), G4_TYPE_F32, 1, E, 1, c->post_norm, 0.1f * c->post_norm);
        }
        if (c->out_scale) tiny_add(p, N("layer_output_scale"), G4_TYPE_F32, 1, 1, 1, 0.8f, 0.05f);
#undef N
    }
}

/* Values of one tensor, row by row through the sink (quantized rows via the kernels' reference). */
static inline gemma4_status tiny_fill(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    const tiny_plan *p = user;
    const tiny_tensor *t = &p->t[index];
    const uint64_t key = tiny_hash_str(p->cfg->seed, name);
    const int64_t n0 = t->ne[0], rows = t->n_dims > 1 ? t->ne[1] : 1;
    float *row = malloc(sizeof(float) * (size_t)n0);
    size_t rb = 0;
    g4_type_row_bytes(t->type, n0, &rb);
    void *enc = malloc(rb ? rb : 1);
    gemma4_status st = (row && enc) ? GEMMA4_OK : GEMMA4_ERR_NOMEM;
    for (int64_t r = 0; r < rows && st == GEMMA4_OK; r++) {
        for (int64_t i = 0; i < n0; i++) {
            if (t->init == TINY_ROPE_FREQS) {
                row[i] = (uint64_t)i < p->cfg->rot_pairs_global ? 1.0f : 1e30f;
            } else {
                row[i] = t->mean + t->std * tiny_normal(key, (uint64_t)(r * n0 + i));
            }
        }
        if (t->type == G4_TYPE_F32) {
            st = g4_gguf_sink_write(sink, row, rb);
        } else if (!g4_can_quantize(t->type)) { /* a type we only need to be refused: any bytes do */
            memset(enc, 0, rb);
            st = g4_gguf_sink_write(sink, enc, rb);
        } else {
            g4_quantize_row(t->type, row, enc, n0);
            st = g4_gguf_sink_write(sink, enc, rb);
        }
    }
    free(row);
    free(enc);
    return st;
}

/* Writes the model to `path`, or (path NULL) into *mem / *size (free(*mem) afterwards). */
static inline gemma4_status tiny_write(const tiny_cfg *c, const char *path, void **mem, size_t *size, g4_error *err) {
    static tiny_plan plan; /* large; tests are single-threaded */
    g4_gguf_writer *w = g4_gguf_writer_new();
    if (!w) return g4_fail(err, GEMMA4_ERR_NOMEM, "writer");
    const char *omit = c->omit_key ? c->omit_key : "";
#define KEY(k) (strcmp(omit, (k)) != 0)
    g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
    g4_gguf_writer_add_str(w, "general.name", "tiny gemma4 (libgemma4 tests)");
    if (KEY("gemma4.block_count")) g4_gguf_writer_add_u32(w, "gemma4.block_count", c->n_layer);
    if (KEY("gemma4.context_length")) g4_gguf_writer_add_u32(w, "gemma4.context_length", c->n_ctx_train);
    if (KEY("gemma4.embedding_length")) g4_gguf_writer_add_u32(w, "gemma4.embedding_length", c->n_embd);
    if (KEY("gemma4.embedding_length_per_layer_input"))
        g4_gguf_writer_add_u32(w, "gemma4.embedding_length_per_layer_input", c->n_epl);
    if (KEY("gemma4.feed_forward_length")) {
        if (c->n_shared > 0 && c->n_ff_shared != c->n_ff) {
            uint32_t ff[TINY_MAX_LAYERS];
            for (uint32_t il = 0; il < c->n_layer; il++)
                ff[il] = il < c->n_layer - c->n_shared ? c->n_ff : c->n_ff_shared;
            g4_gguf_writer_add_arr(w, "gemma4.feed_forward_length", G4_GGUF_UINT32, ff, c->n_layer);
        } else {
            g4_gguf_writer_add_u32(w, "gemma4.feed_forward_length", c->n_ff);
        }
    }
    if (KEY("gemma4.attention.head_count")) g4_gguf_writer_add_u32(w, "gemma4.attention.head_count", c->n_head);
    if (KEY("gemma4.attention.head_count_kv"))
        g4_gguf_writer_add_u32(w, "gemma4.attention.head_count_kv", c->n_head_kv);
    if (KEY("gemma4.attention.key_length")) g4_gguf_writer_add_u32(w, "gemma4.attention.key_length", c->head_dim);
    if (KEY("gemma4.attention.value_length")) g4_gguf_writer_add_u32(w, "gemma4.attention.value_length", c->head_dim);
    if (KEY("gemma4.attention.key_length_swa"))
        g4_gguf_writer_add_u32(w, "gemma4.attention.key_length_swa", c->head_dim_swa);
    if (KEY("gemma4.attention.value_length_swa"))
        g4_gguf_writer_add_u32(w, "gemma4.attention.value_length_swa", c->head_dim_swa);
    if (KEY("gemma4.attention.sliding_window")) g4_gguf_writer_add_u32(w, "gemma4.attention.sliding_window", c->n_swa);
    if (KEY("gemma4.attention.sliding_window_pattern")) {
        uint8_t pat[TINY_MAX_LAYERS + 8];
        const int n = c->pattern_len > 0 ? c->pattern_len : (int)c->n_layer;
        for (int il = 0; il < n; il++) pat[il] = (uint32_t)il < c->n_layer ? tiny_is_swa(c, (uint32_t)il) : 1;
        g4_gguf_writer_add_arr(w, "gemma4.attention.sliding_window_pattern", G4_GGUF_BOOL, pat, (uint64_t)n);
    }
    if (KEY("gemma4.attention.shared_kv_layers"))
        g4_gguf_writer_add_u32(w, "gemma4.attention.shared_kv_layers", c->n_shared);
    if (KEY("gemma4.attention.layer_norm_rms_epsilon"))
        g4_gguf_writer_add_f32(w, "gemma4.attention.layer_norm_rms_epsilon", c->eps);
    if (KEY("gemma4.rope.freq_base")) g4_gguf_writer_add_f32(w, "gemma4.rope.freq_base", c->rope_base);
    if (KEY("gemma4.rope.freq_base_swa")) g4_gguf_writer_add_f32(w, "gemma4.rope.freq_base_swa", c->rope_base_swa);
    if (KEY("gemma4.rope.dimension_count")) g4_gguf_writer_add_u32(w, "gemma4.rope.dimension_count", c->head_dim);
    if (KEY("gemma4.rope.dimension_count_swa"))
        g4_gguf_writer_add_u32(w, "gemma4.rope.dimension_count_swa", c->n_rot_swa ? c->n_rot_swa : c->head_dim_swa);
    if (KEY("gemma4.final_logit_softcapping")) /* 0 is written: absent would mean 30 */
        g4_gguf_writer_add_f32(w, "gemma4.final_logit_softcapping", c->softcap);
    if (c->expert_count > 0) {
        g4_gguf_writer_add_u32(w, "gemma4.expert_count", c->expert_count);
        g4_gguf_writer_add_u32(w, "gemma4.expert_used_count", 1);
    }

    /* A minimal gemma4 BPE vocabulary that llama.cpp loads: specials, two letters, one merge. */
    g4_gguf_writer_add_str(w, "tokenizer.ggml.model", "gemma4");
    if (KEY("tokenizer.ggml.tokens")) {
        char **toks = calloc(c->n_vocab, sizeof *toks);
        int32_t *types = calloc(c->n_vocab, sizeof *types);
        float *scores = calloc(c->n_vocab, sizeof *scores);
        static const char *fixed[] = {"<pad>", "<eos>", "<bos>", "<unk>", "a", "b", "ab"};
        for (uint32_t i = 0; toks && types && scores && i < c->n_vocab; i++) {
            toks[i] = malloc(16);
            if (!toks[i]) break;
            if (i < 7) {
                snprintf(toks[i], 16, "%s", fixed[i]);
            } else {
                snprintf(toks[i], 16, "t%u", i);
            }
            types[i] = i < 4 ? 3 : 1;
            scores[i] = -(float)i;
        }
        g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", (const char *const *)toks, c->n_vocab);
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.token_type", G4_GGUF_INT32, types, c->n_vocab);
        g4_gguf_writer_add_arr(w, "tokenizer.ggml.scores", G4_GGUF_FLOAT32, scores, c->n_vocab);
        for (uint32_t i = 0; toks && i < c->n_vocab; i++) free(toks[i]);
        free(toks);
        free(types);
        free(scores);
    }
    const char *merges[] = {"a b"};
    g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", merges, 1);
    g4_gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 2);
    g4_gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 1);
    g4_gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", 3);
    g4_gguf_writer_add_u32(w, "tokenizer.ggml.padding_token_id", 0);
    g4_gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true);
#undef KEY

    tiny_plan_build(c, &plan);
    for (int i = 0; i < plan.n; i++) {
        const int64_t ne[2] = {plan.t[i].ne[0], plan.t[i].ne[1]};
        g4_gguf_writer_add_tensor(w, plan.t[i].name, plan.t[i].type, plan.t[i].n_dims, ne);
    }
    gemma4_status st = path ? g4_gguf_writer_write(w, path, tiny_fill, &plan, err)
                            : g4_gguf_writer_write_memory(w, tiny_fill, &plan, mem, size, err);
    g4_gguf_writer_free(w);
    return st;
}

#endif
