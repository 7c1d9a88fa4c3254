/*
 * Hyperparameters of a Gemma 4 text model, read from the GGUF's `gemma4.*` keys (never hard-coded:
 * E2B, E4B and the larger dense models differ only in these numbers).
 */
#ifndef G4_MODEL_HPARAMS_H
#define G4_MODEL_HPARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "gguf/gguf.h"

#define G4_MAX_LAYERS 256

typedef struct g4_hparams {
    char arch[32];             /* general.architecture, "gemma4" */
    uint32_t n_layer;          /* block_count */
    uint32_t n_embd;           /* embedding_length */
    uint32_t n_vocab;          /* length of tokenizer.ggml.tokens */
    uint32_t n_ctx_train;      /* context_length */
    uint32_t n_embd_per_layer; /* embedding_length_per_layer_input; 0 = no per-layer embeddings */

    uint32_t n_head[G4_MAX_LAYERS];    /* attention.head_count (scalar or per layer) */
    uint32_t n_head_kv[G4_MAX_LAYERS]; /* attention.head_count_kv (scalar or per layer) */
    uint32_t n_ff[G4_MAX_LAYERS];      /* feed_forward_length (scalar or per layer) */
    bool is_swa[G4_MAX_LAYERS];        /* attention.sliding_window_pattern: true = sliding layer */

    uint32_t head_dim;     /* attention.key_length (= value_length): global layers */
    uint32_t head_dim_swa; /* attention.key_length_swa (= value_length_swa): sliding layers */
    uint32_t n_swa;        /* attention.sliding_window */
    uint32_t n_shared_kv;  /* attention.shared_kv_layers: the last n layers compute no K/V */
    uint32_t n_layer_kv;   /* n_layer - n_shared_kv: layers [0, n_layer_kv) own a KV cache */

    float rope_base;     /* rope.freq_base (global layers) */
    float rope_base_swa; /* rope.freq_base_swa (sliding layers) */
    uint32_t n_rot;      /* rope.dimension_count (global layers) */
    uint32_t n_rot_swa;  /* rope.dimension_count_swa (sliding layers) */
    float norm_eps;      /* attention.layer_norm_rms_epsilon */
    float final_softcap; /* final_logit_softcapping (30 when absent, as llama.cpp); 0 = none */
    uint32_t n_expert;   /* expert_count; > 0 is a MoE model (refused for now) */
} g4_hparams;

/* Reads and checks the hyperparameters (missing keys, zero sizes, n_layer > G4_MAX_LAYERS, a
 * pattern array of the wrong length ... are GEMMA4_ERR_FORMAT; a MoE model GEMMA4_ERR_UNSUPPORTED). */
gemma4_status g4_hparams_load(const g4_gguf *f, g4_hparams *hp, g4_error *err);

/* For a KV-shared layer, the earlier layer whose cache it reads; for an own-KV layer, the layer
 * itself. llama.cpp's rule: n_layer_kv - 2 for a sliding layer, n_layer_kv - 1 for a global one,
 * which g4_hparams_load checks are the last own-KV layers of those types (as in every Gemma 4). */
uint32_t g4_hparams_kv_source(const g4_hparams *hp, uint32_t layer);

static inline uint32_t g4_hparams_head_dim(const g4_hparams *hp, uint32_t layer) {
    return hp->is_swa[layer] ? hp->head_dim_swa : hp->head_dim;
}

#endif
