/*
 * Private to src/model: the layout of a context, shared by model.c (creation, sizing) and
 * forward.c (which only reads the sizes and fills the buffers).
 */
#ifndef G4_MODEL_CONTEXT_H
#define G4_MODEL_CONTEXT_H

#include "kernels/dispatch.h"
#include "model/model.h"

/* Per-token activations of one micro-batch, each [n_batch][width]. */
typedef struct g4_ctx_scratch {
    float *x;       /* residual stream [n_embd] */
    float *h;       /* normed input of a block [n_embd] */
    float *q;       /* [n_head * head_dim], largest over layers */
    float *k;       /* [n_head_kv * head_dim] */
    float *v;       /* [n_head_kv * head_dim] */
    float *att;     /* attention output [n_head * head_dim] */
    float *o;       /* projection back to the residual width [n_embd] */
    float *gate;    /* [n_ff], largest over layers */
    float *up;      /* [n_ff] */
    float *ple;     /* per-layer inputs [n_layer * n_embd_per_layer] */
    float *pl_proj; /* projection of the embeddings onto the per-layer inputs [n_layer * n_embd_per_layer] */
    float *pl_act;  /* one layer's per-layer gate [n_embd_per_layer] */
    void *matmul;   /* activation conversion for g4_matmul */
    void *attn;     /* g4_attention scratch, one slice of attn_stride bytes per pool thread */
    size_t attn_stride;
} g4_ctx_scratch;

struct g4_ctx {
    const g4_model *model;
    const g4_kernels *k; /* the kernel table every op goes through */
    struct g4_pool *pool;
    int n_threads; /* g4_pool_size(pool) */
    int64_t n_batch;
    g4_kv_cache *kv;
    g4_ctx_scratch s;
    void *mem; /* all scratch, one allocation */
    size_t scratch_bytes;
};

#endif
