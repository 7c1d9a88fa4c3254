/*
 * A Gemma 4 mmproj file (llama.cpp's converter with --mmproj: GGUF architecture "clip", projector
 * "gemma4v"), its vision half bound: every key llama.cpp's clip loader reads for gemma4v, with its
 * defaults for the optional ones, and every tensor checked against the shape those keys imply.
 * Nothing is copied: matrices point into the mapped file in their stored type (f32, f16, bf16 or
 * q8_0), vectors are the file's f32 values. The audio half (clip.has_audio_encoder, "a." and
 * "mm.a." tensors) is noted and left alone.
 *
 * Names follow llama.cpp (tools/mtmd/clip-impl.h); shapes are ggml order {ne0, ne1, ...}, a
 * matrix {n_in, n_out} holding one output's weights per row.
 */
#ifndef G4_VISION_MMPROJ_H
#define G4_VISION_MMPROJ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "gguf/gguf.h"
#include "kernels/matmul.h"

/* The FFN activation llama.cpp picks from the file: clip.use_gelu true gives tanh GELU,
 * clip.use_silu true SiLU, neither (the converter writes neither) gelu_quick, x sigmoid(1.702 x).
 * transformers' Gemma 4 always uses tanh GELU (gelu_pytorch_tanh). */
typedef enum g4_vision_act {
    G4_VISION_ACT_GELU_QUICK,
    G4_VISION_ACT_GELU_TANH,
    G4_VISION_ACT_SILU,
} g4_vision_act;

typedef struct g4_vision_hparams {
    uint32_t n_embd;                   /* clip.vision.embedding_length: width E of the encoder */
    uint32_t n_head;                   /* clip.vision.attention.head_count */
    uint32_t n_head_kv;                /* clip.vision.attention.head_count_kv, n_head when absent */
    uint32_t head_dim;                 /* clip.vision.attention.head_dim, n_embd / n_head when absent */
    uint32_t n_ff;                     /* clip.vision.feed_forward_length */
    uint32_t n_layer;                  /* clip.vision.block_count */
    uint32_t patch_size;               /* clip.vision.patch_size (16) */
    uint32_t pool;                     /* clip.vision.projector.scale_factor, 3 when absent: k x k average pooling */
    uint32_t image_size;               /* clip.vision.image_size: required by llama.cpp, unused by gemma4v */
    uint32_t projection_dim;           /* clip.vision.projection_dim: required, unused (see n_embd_out) */
    float eps;                         /* clip.vision.attention.layer_norm_epsilon, every RMSNorm */
    float image_mean[3], image_std[3]; /* clip.vision.image_mean / image_std: x = (u8 / 255 - mean) / std */
    g4_vision_act act_llama;           /* the activation llama.cpp's rule picks (see above) */
    /* hard-wired for gemma4v in llama.cpp (clip.cpp load_hparams), not keys */
    float rope_theta;                /* 100 */
    uint32_t min_tokens, max_tokens; /* 70 and 1120 soft tokens (llama.cpp's sizing) */
    /* from tensor shapes */
    uint32_t n_pos;      /* rows of each position table: the largest patch column / row index + 1 */
    uint32_t n_embd_out; /* mm.input_projection ne1: the width of the embeddings, = the text model's n_embd */
} g4_vision_hparams;

/* A clipped linear layer (transformers' Gemma4ClippableLinear, llama.cpp's build_mm):
 * y = clamp(W clamp(x, in_min, in_max), out_min, out_max). Absent bounds are -FLT_MAX / FLT_MAX. */
typedef struct g4_vision_linear {
    g4_matrix w;
    float in_min, in_max, out_min, out_max;
} g4_vision_linear;

typedef struct g4_vision_block {
    const float *ln1;            /* v.blk.N.ln1.weight [E] */
    g4_vision_linear attn_q;     /* {E, n_head * head_dim} */
    g4_vision_linear attn_k;     /* {E, n_head_kv * head_dim} */
    g4_vision_linear attn_v;     /* {E, n_head_kv * head_dim} */
    g4_vision_linear attn_out;   /* {n_head * head_dim, E} */
    const float *attn_q_norm;    /* [head_dim] */
    const float *attn_k_norm;    /* [head_dim] */
    const float *attn_post_norm; /* [E] */
    const float *ln2;            /* [E] */
    g4_vision_linear ffn_gate;   /* {E, n_ff} */
    g4_vision_linear ffn_up;     /* {E, n_ff} */
    g4_vision_linear ffn_down;   /* {n_ff, E} */
    const float *ffn_post_norm;  /* [E] */
    bool has_out_scale;
    float out_scale; /* v.blk.N.out_scale.weight {1}: the stream is multiplied by it after the block */
} g4_vision_block;

typedef struct g4_mmproj {
    g4_vision_hparams hp;
    /* v.patch_embd.weight {p, p, 3, E} seen as a matrix {3 p p, E}: row o holds output o's kernel in
     * (channel, ky, kx) order, so a patch flattened the same way is one dot product per output */
    g4_matrix patch_embd;
    const float *pos_embd;   /* v.position_embd.weight {E, n_pos, 2}: [0] the x (column) table, [1] the y (row) table */
    g4_vision_block *blocks; /* [n_layer], owned */
    const float *std_bias, *std_scale; /* v.std_bias, v.std_scale [E]: both or neither (E2B: neither) */
    g4_vision_linear input_projection; /* mm.input_projection.weight {E, n_embd_out} */
    bool has_audio;                    /* clip.has_audio_encoder: the file also holds the audio encoder */
    uint32_t file_type;                /* general.file_type (llama_ftype), informative; UINT32_MAX if absent */
    g4_gguf *owned_file;               /* set by g4_mmproj_open, closed by g4_mmproj_free */
} g4_mmproj;

/* Binds the vision encoder of an opened GGUF, which must outlive the result. A file that is not an
 * mmproj, has no vision encoder or another projector type, misses a key or tensor, or holds one
 * of the wrong shape or type fails naming what and where (GEMMA4_ERR_FORMAT, or
 * GEMMA4_ERR_UNSUPPORTED for a well-formed file of something else). On failure *out is zeroed. */
gemma4_status g4_mmproj_load(const g4_gguf *f, g4_mmproj *out, g4_error *err);

/* Opens path (mmapped) and binds it; the file is closed by g4_mmproj_free. */
gemma4_status g4_mmproj_open(const char *path, g4_mmproj *out, g4_error *err);

void g4_mmproj_free(g4_mmproj *mm);

/* The embeddings must be as wide as the text model they are fed to (llama.cpp's mtmd_init checks
 * the same): GEMMA4_ERR_UNSUPPORTED naming both widths when they differ. */
gemma4_status g4_mmproj_check_text_width(const g4_mmproj *mm, uint32_t text_n_embd, g4_error *err);

#endif
