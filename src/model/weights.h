/*
 * The tensors of a Gemma 4 text model, bound by name and checked against the shapes the
 * hyperparameters imply (llama.cpp's llama_model_gemma4::load_arch_tensors). Nothing is copied:
 * matrices point into the mmapped GGUF in their stored format, and f32 vectors (norm weights,
 * rope_freqs) are used as stored.
 */
#ifndef G4_MODEL_WEIGHTS_H
#define G4_MODEL_WEIGHTS_H

#include <stdbool.h>

#include "core/error.h"
#include "gguf/gguf.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

typedef struct g4_layer_weights {
    const float *attn_norm;           /* [n_embd] */
    g4_matrix wq;                     /* {n_embd, n_head * head_dim} */
    g4_matrix wk;                     /* {n_embd, n_head_kv * head_dim}; data NULL in KV-shared layers */
    g4_matrix wv;                     /* same shape as wk; data NULL when absent: V is computed from K's projection */
    g4_matrix wo;                     /* {n_head * head_dim, n_embd} */
    const float *attn_q_norm;         /* [head_dim] */
    const float *attn_k_norm;         /* [head_dim]; NULL in KV-shared layers */
    const float *post_attention_norm; /* [n_embd] */

    const float *ffn_norm;      /* [n_embd] */
    g4_matrix ffn_gate;         /* {n_embd, n_ff} */
    g4_matrix ffn_up;           /* {n_embd, n_ff} */
    g4_matrix ffn_down;         /* {n_ff, n_embd} */
    const float *post_ffw_norm; /* [n_embd] */

    /* per-layer embedding block (all NULL / data NULL when n_embd_per_layer == 0) */
    g4_matrix inp_gate;     /* {n_embd, n_embd_per_layer} */
    g4_matrix proj;         /* {n_embd_per_layer, n_embd} */
    const float *post_norm; /* [n_embd] */

    float out_scale;         /* blk.N.layer_output_scale, 1 when absent */
    const float *rope_freqs; /* global layers: [head_dim / 2] frequency divisors; NULL on sliding layers */
} g4_layer_weights;

typedef struct g4_weights {
    g4_matrix token_embd; /* {n_embd, n_vocab}: rows read one token at a time */
    g4_matrix output;     /* {n_embd, n_vocab}: output.weight, or token_embd when tied */
    bool output_tied;
    const float *output_norm; /* [n_embd] */

    g4_matrix per_layer_token_embd;   /* {n_layer * n_embd_per_layer, n_vocab}: read row by row, never whole */
    g4_matrix per_layer_model_proj;   /* {n_embd, n_layer * n_embd_per_layer} */
    const float *per_layer_proj_norm; /* [n_embd_per_layer] */

    const float *rope_freqs; /* rope_freqs.weight [head_dim / 2], shared by the global layers; NULL if absent */

    uint32_t n_layer;
    g4_layer_weights *layers; /* [n_layer], owned */
} g4_weights;

/* Binds every tensor. A missing required tensor, a wrong shape or a wrong type for an f32 vector
 * is GEMMA4_ERR_FORMAT naming the tensor, its shape and the expected one; a matrix of a type the
 * kernels cannot compute with (g4_matmul_supports false; for the embedding tables, which are only
 * read row by row, g4_can_dequantize false) is GEMMA4_ERR_UNSUPPORTED naming tensor and type. The
 * GGUF must outlive the weights. On failure nothing needs freeing. */
gemma4_status g4_weights_bind(const g4_gguf *f, const g4_hparams *hp, g4_weights *w, g4_error *err);

void g4_weights_free(g4_weights *w);

#endif
