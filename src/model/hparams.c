/*
 * Gemma 4 hyperparameters from the GGUF metadata, with llama.cpp's defaults for the optional keys
 * (llama-model.cpp load_hparams + models/gemma4.cpp load_arch_hparams), and the consistency checks
 * that the forward pass relies on: everything checked here is never checked again.
 */
#include "model/hparams.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define ARCH "gemma4"

/* Sizes past these are not a model but a hostile file; they keep every product in int64 range. */
#define MAX_DIM (1u << 20)
#define MAX_HEADS 4096u

static gemma4_status get_u32_opt(const g4_gguf *f, const char *key, uint32_t *out, uint32_t def, g4_error *err) {
    if (!g4_gguf_find(f, key)) {
        *out = def;
        return GEMMA4_OK;
    }
    return g4_gguf_get_u32(f, key, out, err);
}

static gemma4_status get_f32_opt(const g4_gguf *f, const char *key, float *out, float def, g4_error *err) {
    if (!g4_gguf_find(f, key)) {
        *out = def;
        return GEMMA4_OK;
    }
    return g4_gguf_get_f32(f, key, out, err);
}

static gemma4_status check_dim(const char *key, uint32_t v, uint32_t max, g4_error *err) {
    if (v == 0 || v > max) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' = %u is out of range (1..%u)", key, v, max);
    }
    return GEMMA4_OK;
}

/* attention.sliding_window_pattern: one entry per layer, bool (as the converter writes it) or integer. */
static gemma4_status load_swa_pattern(const g4_gguf *f, g4_hparams *hp, g4_error *err) {
    const char *key = ARCH ".attention.sliding_window_pattern";
    const g4_gguf_value *v = g4_gguf_find(f, key);
    if (!v) return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' missing", key);
    if (v->type != G4_GGUF_ARRAY) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' has type %s, want an array of bool", key,
                       g4_gguf_vtype_name(v->type));
    }
    bool is_bool = v->elem_type == G4_GGUF_BOOL;
    bool is_int = v->elem_type == G4_GGUF_UINT8 || v->elem_type == G4_GGUF_INT8 || v->elem_type == G4_GGUF_UINT16 ||
                  v->elem_type == G4_GGUF_INT16 || v->elem_type == G4_GGUF_UINT32 || v->elem_type == G4_GGUF_INT32 ||
                  v->elem_type == G4_GGUF_UINT64 || v->elem_type == G4_GGUF_INT64;
    if (!is_bool && !is_int) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' is an array of %s, want bool", key,
                       g4_gguf_vtype_name(v->elem_type));
    }
    if (v->count != hp->n_layer) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' has %llu entries, want one per layer (%u)", key,
                       (unsigned long long)v->count, hp->n_layer);
    }
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        hp->is_swa[il] = is_bool ? g4_gguf_arr_bool(v, il) : g4_gguf_arr_i64(v, il) != 0;
    }
    return GEMMA4_OK;
}

/* Rope scaling changes the angles of the global layers; none of the Gemma 4 releases use it, and
 * reproducing llama.cpp's variants (linear, yarn) is work for when a model needs it. */
static gemma4_status check_rope_scaling(const g4_gguf *f, g4_error *err) {
    const char *key_factor = ARCH ".rope.scaling.factor";
    if (g4_gguf_find(f, key_factor)) {
        float factor;
        gemma4_status st = g4_gguf_get_f32(f, key_factor, &factor, err);
        if (st != GEMMA4_OK) return st;
        if (factor != 0.0f && factor != 1.0f) {
            return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "RoPE scaling ('%s' = %g) is not supported", key_factor,
                           (double)factor);
        }
    }
    const char *key_type = ARCH ".rope.scaling.type";
    if (g4_gguf_find(f, key_type)) {
        g4_str type;
        gemma4_status st = g4_gguf_get_str(f, key_type, &type, err);
        if (st != GEMMA4_OK) return st;
        if (!g4_str_eq(type, "none") && !g4_str_eq(type, "linear")) {
            return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "RoPE scaling type '%.*s' ('%s') is not supported",
                           (int)(type.len > 32 ? 32 : type.len), type.ptr, key_type);
        }
    }
    return GEMMA4_OK;
}

/* KV sharing reads another layer's cache as it is: the source must have the same geometry. */
static gemma4_status check_kv_sharing(const g4_hparams *hp, g4_error *err) {
    if (hp->n_shared_kv == 0) return GEMMA4_OK;
    if (hp->n_shared_kv >= hp->n_layer || hp->n_layer_kv < 2) {
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "key '" ARCH ".attention.shared_kv_layers' = %u leaves %u layers with their own KV cache "
                       "(need at least 2 of %u)",
                       hp->n_shared_kv, hp->n_shared_kv >= hp->n_layer ? 0 : hp->n_layer_kv, hp->n_layer);
    }
    for (uint32_t il = hp->n_layer_kv; il < hp->n_layer; il++) {
        uint32_t src = g4_hparams_kv_source(hp, il);
        if (hp->is_swa[src] != hp->is_swa[il] || hp->n_head_kv[src] != hp->n_head_kv[il]) {
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "KV-shared layer %u (%s, %u KV heads) would read the cache of layer %u (%s, %u KV heads): "
                           "the layer types around the first shared layer do not follow Gemma 4's pattern",
                           il, hp->is_swa[il] ? "sliding" : "global", hp->n_head_kv[il], src,
                           hp->is_swa[src] ? "sliding" : "global", hp->n_head_kv[src]);
        }
    }
    return GEMMA4_OK;
}

gemma4_status g4_hparams_load(const g4_gguf *f, g4_hparams *hp, g4_error *err) {
    memset(hp, 0, sizeof *hp);
    gemma4_status st;

    g4_str arch;
    if ((st = g4_gguf_get_str(f, "general.architecture", &arch, err)) != GEMMA4_OK) return st;
    if (!g4_str_eq(arch, ARCH)) {
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "architecture '%.*s' is not supported (want '" ARCH "')",
                       (int)(arch.len > 64 ? 64 : arch.len), arch.ptr);
    }
    snprintf(hp->arch, sizeof hp->arch, "%s", ARCH);

    if ((st = get_u32_opt(f, ARCH ".expert_count", &hp->n_expert, 0, err)) != GEMMA4_OK) return st;
    if (hp->n_expert > 0) {
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "Gemma 4 MoE models are not supported yet (%s = %u)",
                       ARCH ".expert_count", hp->n_expert);
    }

    if ((st = g4_gguf_get_u32(f, ARCH ".block_count", &hp->n_layer, err)) != GEMMA4_OK) return st;
    if ((st = check_dim(ARCH ".block_count", hp->n_layer, G4_MAX_LAYERS, err)) != GEMMA4_OK) return st;
    if ((st = g4_gguf_get_u32(f, ARCH ".embedding_length", &hp->n_embd, err)) != GEMMA4_OK) return st;
    if ((st = check_dim(ARCH ".embedding_length", hp->n_embd, MAX_DIM, err)) != GEMMA4_OK) return st;
    if ((st = g4_gguf_get_u32(f, ARCH ".context_length", &hp->n_ctx_train, err)) != GEMMA4_OK) return st;
    if ((st = check_dim(ARCH ".context_length", hp->n_ctx_train, INT32_MAX, err)) != GEMMA4_OK) return st;
    if ((st = g4_gguf_get_u32(f, ARCH ".embedding_length_per_layer_input", &hp->n_embd_per_layer, err)) != GEMMA4_OK)
        return st;
    if (hp->n_embd_per_layer > MAX_DIM) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' = %u is out of range (0..%u)",
                       ARCH ".embedding_length_per_layer_input", hp->n_embd_per_layer, MAX_DIM);
    }

    const g4_gguf_value *tokens = NULL;
    if ((st = g4_gguf_get_arr(f, "tokenizer.ggml.tokens", G4_GGUF_STRING, &tokens, err)) != GEMMA4_OK) return st;
    if (tokens->count == 0 || tokens->count > INT32_MAX) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'tokenizer.ggml.tokens' has %llu entries (want 1..%d)",
                       (unsigned long long)tokens->count, INT32_MAX);
    }
    hp->n_vocab = (uint32_t)tokens->count;

    /* per-layer sizes */
    if ((st = g4_gguf_get_u32_per_layer(f, ARCH ".attention.head_count", hp->n_layer, hp->n_head, err)) != GEMMA4_OK)
        return st;
    if (g4_gguf_find(f, ARCH ".attention.head_count_kv")) {
        st = g4_gguf_get_u32_per_layer(f, ARCH ".attention.head_count_kv", hp->n_layer, hp->n_head_kv, err);
        if (st != GEMMA4_OK) return st;
    } else {
        memcpy(hp->n_head_kv, hp->n_head, sizeof hp->n_head);
    }
    if ((st = g4_gguf_get_u32_per_layer(f, ARCH ".feed_forward_length", hp->n_layer, hp->n_ff, err)) != GEMMA4_OK)
        return st;
    for (uint32_t il = 0; il < hp->n_layer; il++) {
        if (hp->n_head[il] == 0 || hp->n_head[il] > MAX_HEADS || hp->n_head_kv[il] == 0 ||
            hp->n_head[il] % hp->n_head_kv[il] != 0) {
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "layer %u: %u attention heads and %u KV heads (want 1..%u heads, a multiple of the "
                           "KV heads)",
                           il, hp->n_head[il], hp->n_head_kv[il], MAX_HEADS);
        }
        if (hp->n_ff[il] == 0 || hp->n_ff[il] > MAX_DIM) {
            return g4_fail(err, GEMMA4_ERR_FORMAT, "layer %u: feed_forward_length = %u is out of range (1..%u)", il,
                           hp->n_ff[il], MAX_DIM);
        }
    }
    if ((st = load_swa_pattern(f, hp, err)) != GEMMA4_OK) return st;

    /* head sizes: llama.cpp defaults key_length to n_embd / n_head, the SWA ones are required */
    uint32_t head_dim_v, head_dim_v_swa;
    uint32_t def_head = hp->n_embd / hp->n_head[0];
    if ((st = get_u32_opt(f, ARCH ".attention.key_length", &hp->head_dim, def_head, err)) != GEMMA4_OK) return st;
    if ((st = get_u32_opt(f, ARCH ".attention.value_length", &head_dim_v, def_head, err)) != GEMMA4_OK) return st;
    if ((st = g4_gguf_get_u32(f, ARCH ".attention.key_length_swa", &hp->head_dim_swa, err)) != GEMMA4_OK) return st;
    if ((st = g4_gguf_get_u32(f, ARCH ".attention.value_length_swa", &head_dim_v_swa, err)) != GEMMA4_OK) return st;
    if (hp->head_dim != head_dim_v || hp->head_dim_swa != head_dim_v_swa) {
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "Gemma 4 needs key and value heads of one size: key_length %u / value_length %u, "
                       "key_length_swa %u / value_length_swa %u",
                       hp->head_dim, head_dim_v, hp->head_dim_swa, head_dim_v_swa);
    }
    if ((st = check_dim(ARCH ".attention.key_length", hp->head_dim, MAX_DIM, err)) != GEMMA4_OK) return st;
    if ((st = check_dim(ARCH ".attention.key_length_swa", hp->head_dim_swa, MAX_DIM, err)) != GEMMA4_OK) return st;

    if ((st = g4_gguf_get_u32(f, ARCH ".attention.sliding_window", &hp->n_swa, err)) != GEMMA4_OK) return st;
    if ((st = check_dim(ARCH ".attention.sliding_window", hp->n_swa, INT32_MAX, err)) != GEMMA4_OK) return st;

    if ((st = get_u32_opt(f, ARCH ".attention.shared_kv_layers", &hp->n_shared_kv, 0, err)) != GEMMA4_OK) return st;
    hp->n_layer_kv = hp->n_shared_kv < hp->n_layer ? hp->n_layer - hp->n_shared_kv : 0;
    if ((st = check_kv_sharing(hp, err)) != GEMMA4_OK) return st;

    /* RoPE */
    if ((st = get_f32_opt(f, ARCH ".rope.freq_base", &hp->rope_base, 10000.0f, err)) != GEMMA4_OK) return st;
    if ((st = get_f32_opt(f, ARCH ".rope.freq_base_swa", &hp->rope_base_swa, 10000.0f, err)) != GEMMA4_OK) return st;
    if ((st = get_u32_opt(f, ARCH ".rope.dimension_count", &hp->n_rot, hp->head_dim, err)) != GEMMA4_OK) return st;
    /* as llama.cpp: the SWA rotation count defaults to the global one, not to the SWA head size */
    if ((st = get_u32_opt(f, ARCH ".rope.dimension_count_swa", &hp->n_rot_swa, hp->n_rot, err)) != GEMMA4_OK) return st;
    if (!(hp->rope_base > 0.0f) || !isfinite(hp->rope_base) || !(hp->rope_base_swa > 0.0f) ||
        !isfinite(hp->rope_base_swa)) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "RoPE bases %g (global) and %g (sliding) must be positive",
                       (double)hp->rope_base, (double)hp->rope_base_swa);
    }
    if (hp->n_rot > hp->head_dim || hp->n_rot % 2 || hp->n_rot_swa > hp->head_dim_swa || hp->n_rot_swa % 2) {
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "RoPE dimension counts %u (global, head %u) and %u (sliding, head %u) must be even and "
                       "no larger than the head",
                       hp->n_rot, hp->head_dim, hp->n_rot_swa, hp->head_dim_swa);
    }
    if ((st = check_rope_scaling(f, err)) != GEMMA4_OK) return st;

    if ((st = g4_gguf_get_f32(f, ARCH ".attention.layer_norm_rms_epsilon", &hp->norm_eps, err)) != GEMMA4_OK) return st;
    if (!(hp->norm_eps >= 0.0f) || !isfinite(hp->norm_eps)) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' = %g must be a non-negative number",
                       ARCH ".attention.layer_norm_rms_epsilon", (double)hp->norm_eps);
    }
    /* llama.cpp's default when the key is absent is 30 (llama_hparams::f_final_logit_softcapping) */
    if ((st = get_f32_opt(f, ARCH ".final_logit_softcapping", &hp->final_softcap, 30.0f, err)) != GEMMA4_OK) return st;
    if (!(hp->final_softcap >= 0.0f) || !isfinite(hp->final_softcap)) {
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' = %g must be a non-negative number",
                       ARCH ".final_logit_softcapping", (double)hp->final_softcap);
    }

    if (g4_gguf_find(f, ARCH ".attention.causal")) {
        bool causal;
        if ((st = g4_gguf_get_bool(f, ARCH ".attention.causal", &causal, err)) != GEMMA4_OK) return st;
        if (!causal) {
            return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "non-causal attention ('%s' = false) is not supported",
                           ARCH ".attention.causal");
        }
    }
    return GEMMA4_OK;
}

uint32_t g4_hparams_kv_source(const g4_hparams *hp, uint32_t layer) {
    if (layer < hp->n_layer_kv || hp->n_layer_kv < 2) return layer;
    /* llama.cpp's rule (llama-model.cpp, the `reuse` callback for GEMMA3N/GEMMA4): a shared sliding
     * layer reads layer n_layer_kv - 2, a shared global layer n_layer_kv - 1. The loader checks that
     * those have the matching type. */
    return hp->n_layer_kv - (hp->is_swa[layer] ? 2u : 1u);
}
