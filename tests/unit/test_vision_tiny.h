/*
 * Tiny Gemma 4 mmproj GGUFs for the vision tests: every key and tensor llama.cpp's clip loader
 * reads for gemma4v (GEMMA4-VISION.md sections 2-3) at toy sizes, with deterministic random
 * weights, written through src/gguf's writer. Knobs inject the faults the loader must refuse and
 * the optional parts it must accept (clip bounds, out_scale, standardisation, an audio half).
 *
 * Header-only (static functions), like test_model_tiny.h; needs the gguf writer and the kernels'
 * quantizers.
 */
#ifndef G4_TEST_VISION_TINY_H
#define G4_TEST_VISION_TINY_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gguf/gguf_writer.h"
#include "kernels/quants.h"

#define VT_MAX_TENSORS 512

typedef struct vt_cfg {
    uint32_t n_embd, n_head, n_ff, n_layer, patch, n_pos, n_out;
    uint32_t head_dim_key; /* > 0: write clip.vision.attention.head_dim (and size heads by it) */
    uint32_t n_head_kv;    /* > 0: write clip.vision.attention.head_count_kv */
    g4_type wtype;         /* the matrices (the patch embedding too) */
    bool clamps;           /* write the 28 clip bounds of every block */
    bool out_scale;        /* write v.blk.N.out_scale.weight */
    bool standardize;      /* write v.std_bias and v.std_scale */
    bool audio;            /* clip.has_audio_encoder and a few a.* / mm.a.* tensors */
    bool use_gelu;         /* write clip.use_gelu = true */

    /* fault injection */
    const char *omit_tensor, *omit_key;
    const char *bad_shape; /* this tensor gets ne[0] one block wider */
    const char *retype;    /* this tensor is written as retype_as */
    g4_type retype_as;
    const char *extra_tensor; /* an f32 {n_embd} tensor of this name is added */
    const char *projector;    /* clip.vision.projector_type (NULL: "gemma4v") */
    const char *arch;         /* general.architecture (NULL: "clip") */
    bool no_vision;           /* clip.has_vision_encoder = false */
    bool clamp_as_f16;        /* v.blk.0.attn_q.input_min written as f16 */
    bool clamp_two_values;    /* v.blk.0.attn_q.input_min written with 2 values */
} vt_cfg;

static inline vt_cfg vt_default(void) {
    vt_cfg c;
    memset(&c, 0, sizeof c);
    c.n_embd = 64;
    c.n_head = 2;
    c.n_ff = 128;
    c.n_layer = 2;
    c.patch = 4;
    c.n_pos = 32;
    c.n_out = 96;
    c.wtype = G4_TYPE_F32;
    return c;
}

/* The bounds written when cfg.clamps is set: a function of the block and linear, k and v sharing
 * theirs and gate and up sharing theirs, as in the Gemma 4 checkpoints. */
static inline float vt_clamp_value(uint32_t il, int lin, int which) {
    static const int shared[7] = {0, 1, 1, 2, 3, 3, 4}; /* q, k, v, out, gate, up, down */
    const float mag = 2.0f + 0.25f * (float)shared[lin] + 0.5f * (float)il + (which >= 2 ? 1.0f : 0.0f);
    return which % 2 == 0 ? -mag : mag; /* in_min, in_max, out_min, out_max */
}

typedef struct vt_tensor {
    char name[80];
    g4_type type;
    int n_dims;
    int64_t ne[4];
    float mean, std;
    bool constant; /* every value = mean */
} vt_tensor;

typedef struct vt_plan {
    const vt_cfg *cfg;
    int n;
    vt_tensor t[VT_MAX_TENSORS];
} vt_plan;

static inline void vt_add(vt_plan *p, const char *name, g4_type type, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2,
                          int64_t ne3, float mean, float std) {
    const vt_cfg *c = p->cfg;
    if (c->omit_tensor && strcmp(c->omit_tensor, name) == 0) return;
    if (p->n == VT_MAX_TENSORS) abort();
    vt_tensor *t = &p->t[p->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->n_dims = n_dims;
    t->ne[0] = ne0, t->ne[1] = ne1, t->ne[2] = ne2, t->ne[3] = ne3;
    t->mean = mean;
    t->std = std;
    t->constant = std == 0.0f;
    if (c->retype && strcmp(c->retype, name) == 0) t->type = c->retype_as;
    if (c->bad_shape && strcmp(c->bad_shape, name) == 0) t->ne[0] += t->type == G4_TYPE_Q8_0 ? 32 : 1;
}

static inline void vt_plan_build(const vt_cfg *c, vt_plan *p) {
    memset(p, 0, sizeof *p);
    p->cfg = c;
    const int64_t e = c->n_embd, ff = c->n_ff;
    const int64_t hd = c->head_dim_key ? c->head_dim_key : e / c->n_head;
    const int64_t q = hd * c->n_head, kv = hd * (c->n_head_kv ? c->n_head_kv : c->n_head);
    const float se = 1.0f / sqrtf((float)e);
    vt_add(p, "mm.input_projection.weight", c->wtype, 2, e, c->n_out, 1, 1, 0.0f, se);
    /* ne0 is the kernel's width, never whole q8_0 blocks: the converter keeps it f16 or f32 */
    vt_add(p, "v.patch_embd.weight", c->wtype == G4_TYPE_Q8_0 ? G4_TYPE_F32 : c->wtype, 4, c->patch, c->patch, 3, e,
           0.0f, 0.07f);
    vt_add(p, "v.position_embd.weight", G4_TYPE_F32, 3, e, c->n_pos, 2, 1, 0.0f, 0.5f);
    if (c->standardize) {
        vt_add(p, "v.std_bias", G4_TYPE_F32, 1, e, 1, 1, 1, 0.0f, 0.1f);
        vt_add(p, "v.std_scale", G4_TYPE_F32, 1, e, 1, 1, 1, 1.0f, 0.1f);
    }
    static const char *const lin[7] = {"attn_q", "attn_k", "attn_v", "attn_out", "ffn_gate", "ffn_up", "ffn_down"};
    const int64_t lin_in[7] = {e, e, e, q, e, e, ff}, lin_out[7] = {q, kv, kv, e, ff, ff, e};
    static const char *const bound[4] = {"input_min", "input_max", "output_min", "output_max"};
    char nm[80];
    for (uint32_t il = 0; il < c->n_layer; il++) {
        for (int l = 0; l < 7; l++) {
            snprintf(nm, sizeof nm, "v.blk.%u.%s.weight", il, lin[l]);
            vt_add(p, nm, c->wtype, 2, lin_in[l], lin_out[l], 1, 1, 0.0f, 1.0f / sqrtf((float)lin_in[l]));
            for (int b = 0; c->clamps && b < 4; b++) {
                snprintf(nm, sizeof nm, "v.blk.%u.%s.%s", il, lin[l], bound[b]);
                vt_add(p, nm, G4_TYPE_F32, 1, 1, 1, 1, 1, vt_clamp_value(il, l, b), 0.0f);
            }
        }
        static const char *const vec_e[4] = {"ln1", "attn_post_norm", "ln2", "ffn_post_norm"};
        for (int v = 0; v < 4; v++) {
            snprintf(nm, sizeof nm, "v.blk.%u.%s.weight", il, vec_e[v]);
            vt_add(p, nm, G4_TYPE_F32, 1, e, 1, 1, 1, v % 2 ? 0.15f : 1.0f, 0.05f);
        }
        snprintf(nm, sizeof nm, "v.blk.%u.attn_q_norm.weight", il);
        vt_add(p, nm, G4_TYPE_F32, 1, hd, 1, 1, 1, 0.3f, 0.03f);
        snprintf(nm, sizeof nm, "v.blk.%u.attn_k_norm.weight", il);
        vt_add(p, nm, G4_TYPE_F32, 1, hd, 1, 1, 1, 0.3f, 0.03f);
        if (c->out_scale) {
            snprintf(nm, sizeof nm, "v.blk.%u.out_scale.weight", il);
            vt_add(p, nm, G4_TYPE_F32, 1, 1, 1, 1, 1, 0.75f + 0.125f * (float)il, 0.0f);
        }
    }
    if (c->audio) { /* left alone by the vision loader: shapes that mean nothing to it */
        vt_add(p, "a.conv1d.0.weight", G4_TYPE_F32, 4, 3, 3, 1, 8, 0.0f, 0.3f);
        vt_add(p, "a.blk.0.attn_q.weight", G4_TYPE_F32, 2, 32, 32, 1, 1, 0.0f, 0.2f);
        vt_add(p, "mm.a.input_projection.weight", G4_TYPE_F32, 2, 32, c->n_out, 1, 1, 0.0f, 0.2f);
    }
    if (c->extra_tensor) vt_add(p, c->extra_tensor, G4_TYPE_F32, 1, e, 1, 1, 1, 0.0f, 1.0f);
    if (c->clamp_as_f16) vt_add(p, "v.blk.0.attn_q.input_min", G4_TYPE_F16, 1, 1, 1, 1, 1, -1.0f, 0.0f);
    if (c->clamp_two_values) vt_add(p, "v.blk.0.attn_q.input_min", G4_TYPE_F32, 1, 2, 1, 1, 1, -1.0f, 0.0f);
}

static inline uint64_t vt_mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Value i of tensor t: mean + std x a unit-variance triangular number (two hashed uniforms). */
static inline float vt_value(const vt_tensor *t, uint64_t i) {
    if (t->constant) return t->mean;
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *s = t->name; *s; s++) h = vt_mix(h ^ (uint8_t)*s);
    const uint64_t r = vt_mix(h + i);
    const double u = (double)(r >> 40) / 16777216.0 + (double)((r >> 16) & 0xffffff) / 16777216.0 - 1.0;
    return t->mean + t->std * (float)(u * 2.449489742783178); /* variance 1/6 -> 1 */
}

static inline gemma4_status vt_fill(void *user, int64_t index, const char *name, g4_gguf_sink *sink) {
    (void)name;
    const vt_tensor *t = &((const vt_plan *)user)->t[index];
    const int64_t ne0 = t->ne[0], rows = t->ne[1] * t->ne[2] * t->ne[3];
    size_t row_bytes;
    if (!g4_type_row_bytes(t->type, ne0, &row_bytes)) return GEMMA4_ERR_INTERNAL;
    float *src = malloc((size_t)ne0 * sizeof *src);
    uint8_t *dst = malloc(row_bytes);
    gemma4_status st = src && dst ? GEMMA4_OK : GEMMA4_ERR_NOMEM;
    for (int64_t r = 0; r < rows && st == GEMMA4_OK; r++) {
        for (int64_t j = 0; j < ne0; j++) src[j] = vt_value(t, (uint64_t)(r * ne0 + j));
        if (t->type == G4_TYPE_F32)
            memcpy(dst, src, row_bytes);
        else if (t->type == G4_TYPE_F16)
            for (int64_t j = 0; j < ne0; j++) ((g4_half *)dst)[j] = g4_float_to_half(src[j]);
        else if (t->type == G4_TYPE_BF16)
            for (int64_t j = 0; j < ne0; j++) ((g4_bf16 *)dst)[j] = g4_float_to_bf16(src[j]);
        else
            g4_quantize_row(t->type, src, dst, ne0);
        st = g4_gguf_sink_write(sink, dst, row_bytes);
    }
    free(src);
    free(dst);
    return st;
}

static inline bool vt_key_kept(const vt_cfg *c, const char *key) {
    return !c->omit_key || strcmp(c->omit_key, key) != 0;
}

/* Writes the mmproj into memory (*out malloc'd); the plan must outlive nothing after this. */
static inline gemma4_status vt_write(const vt_cfg *c, void **out, size_t *size, g4_error *err) {
    vt_plan *p = malloc(sizeof *p);
    if (!p) return GEMMA4_ERR_NOMEM;
    vt_plan_build(c, p);
    g4_gguf_writer *w = g4_gguf_writer_new();
    const float mean[3] = {0.0f, 0.0f, 0.0f}, std[3] = {1.0f, 1.0f, 1.0f};
#define KEY(k) if (vt_key_kept(c, k))
    KEY("general.architecture") g4_gguf_writer_add_str(w, "general.architecture", c->arch ? c->arch : "clip");
    KEY("general.type") g4_gguf_writer_add_str(w, "general.type", "mmproj");
    KEY("general.file_type") g4_gguf_writer_add_u32(w, "general.file_type", 1);
    KEY("clip.has_vision_encoder") g4_gguf_writer_add_bool(w, "clip.has_vision_encoder", !c->no_vision);
    KEY("clip.vision.projection_dim") g4_gguf_writer_add_u32(w, "clip.vision.projection_dim", c->n_out);
    KEY("clip.vision.image_size") g4_gguf_writer_add_u32(w, "clip.vision.image_size", 224);
    KEY("clip.vision.patch_size") g4_gguf_writer_add_u32(w, "clip.vision.patch_size", c->patch);
    KEY("clip.vision.embedding_length") g4_gguf_writer_add_u32(w, "clip.vision.embedding_length", c->n_embd);
    KEY("clip.vision.feed_forward_length") g4_gguf_writer_add_u32(w, "clip.vision.feed_forward_length", c->n_ff);
    KEY("clip.vision.block_count") g4_gguf_writer_add_u32(w, "clip.vision.block_count", c->n_layer);
    KEY("clip.vision.attention.head_count") g4_gguf_writer_add_u32(w, "clip.vision.attention.head_count", c->n_head);
    KEY("clip.vision.image_mean") g4_gguf_writer_add_arr(w, "clip.vision.image_mean", G4_GGUF_FLOAT32, mean, 3);
    KEY("clip.vision.image_std") g4_gguf_writer_add_arr(w, "clip.vision.image_std", G4_GGUF_FLOAT32, std, 3);
    if (c->audio) g4_gguf_writer_add_bool(w, "clip.has_audio_encoder", true);
    KEY("clip.vision.projector_type")
    g4_gguf_writer_add_str(w, "clip.vision.projector_type", c->projector ? c->projector : "gemma4v");
    KEY("clip.vision.attention.layer_norm_epsilon")
    g4_gguf_writer_add_f32(w, "clip.vision.attention.layer_norm_epsilon", 1e-6f);
    if (c->audio) g4_gguf_writer_add_str(w, "clip.audio.projector_type", "gemma4a");
    if (c->head_dim_key) g4_gguf_writer_add_u32(w, "clip.vision.attention.head_dim", c->head_dim_key);
    if (c->n_head_kv) g4_gguf_writer_add_u32(w, "clip.vision.attention.head_count_kv", c->n_head_kv);
    if (c->use_gelu) g4_gguf_writer_add_bool(w, "clip.use_gelu", true);
#undef KEY
    for (int i = 0; i < p->n; i++) g4_gguf_writer_add_tensor(w, p->t[i].name, p->t[i].type, p->t[i].n_dims, p->t[i].ne);
    gemma4_status st = g4_gguf_writer_write_memory(w, vt_fill, p, out, size, err);
    g4_gguf_writer_free(w);
    free(p);
    return st;
}

#endif
