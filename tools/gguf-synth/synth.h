/*
 * gguf-synth: writes Gemma-4-architecture GGUF files with deterministic pseudo-random weights.
 *
 * The pieces, in the order main() uses them:
 *   config.c      presets (tiny, e2b, e4b), command-line overrides, the per-layer structure
 *   mmproj_*.c    the same for an mmproj file (--mmproj: vision and audio encoders)
 *   vocab*.c      the tokenizer: a generated BPE vocabulary or one imported from tokenizer.json
 *   plan.c        every metadata key and tensor of the file, in the order they are written
 *                 (plan_entries.c: the lists they are kept in)
 *   quant_mix.c   which type each tensor gets (llama.cpp's converter and llama-quantize rules)
 *   weights.c     the values of each tensor, generated and encoded chunk by chunk
 *   write.c       the GGUF writer fed from the plan; check.c re-reads a file and compares
 * Same arguments give the same bytes: nothing depends on time, thread count or memory layout.
 */
#ifndef G4_SYNTH_H
#define G4_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "gguf/gguf.h"
#include "gguf/gguf_types.h"

#define SYNTH_MAX_LAYERS 256
#define SYNTH_MAX_DIMS 4

/* The file types gguf-synth writes. f32/f16/bf16 follow convert_hf_to_gguf.py's --outtype;
 * q8_0/q4_0/q4_k_m follow llama-quantize run on the bf16 file (that is how the published
 * quantized files are made). */
typedef enum synth_ftype {
    SYNTH_F32,
    SYNTH_F16,
    SYNTH_BF16,
    SYNTH_Q8_0,
    SYNTH_Q4_0,
    SYNTH_Q4_K_M,
} synth_ftype;

bool synth_ftype_parse(const char *name, synth_ftype *out);
const char *synth_ftype_name(synth_ftype t);
uint32_t synth_ftype_llama_id(synth_ftype t); /* general.file_type (llama_ftype) */
bool synth_ftype_is_quantized(synth_ftype t); /* made by llama-quantize rather than the converter */

/* Model shape. Per-layer facts are derived (synth_layer_*), never stored twice. */
typedef struct synth_hparams {
    char preset[16]; /* "tiny", "e2b", "e4b" */
    uint32_t n_layer;
    uint32_t n_embd;
    uint32_t n_ff;        /* FFN width of the own-KV layers */
    bool double_wide_ffn; /* KV-shared layers use 2 * n_ff (E2B's use_double_wide_mlp) */
    uint32_t n_head;
    uint32_t n_head_kv;
    uint32_t head_dim;      /* global (full-attention) layers */
    uint32_t head_dim_swa;  /* sliding-window layers */
    uint32_t n_swa;         /* sliding window in tokens */
    uint32_t swa_period;    /* every swa_period-th layer is global: 5 gives [S,S,S,S,G] */
    uint32_t n_shared_kv;   /* the last n layers reuse the KV of earlier layers */
    bool shared_kv_weights; /* KV-shared layers still carry (unused) attn_k/attn_v/attn_k_norm, as the
                               published E2B/E4B checkpoints and GGUFs do */
    uint32_t n_ple;         /* per-layer embedding width (0 = no per-layer embeddings) */
    uint32_t n_vocab;
    uint32_t n_ctx;
    float rope_theta; /* global layers */
    float rope_theta_swa;
    float partial_rotary; /* fraction of a global head's dims that rotate ("proportional" RoPE) */
    float rms_eps;
    float logit_softcap;
} synth_hparams;

bool synth_hparams_preset(const char *name, synth_hparams *hp);
/* Checks that the shape is one llama.cpp and the quant formats can hold; names the offending
 * option in err. */
gemma4_status synth_hparams_validate(const synth_hparams *hp, g4_error *err);

bool synth_layer_is_swa(const synth_hparams *hp, uint32_t il);
bool synth_layer_has_kv(const synth_hparams *hp, uint32_t il);
uint32_t synth_layer_n_ff(const synth_hparams *hp, uint32_t il);
uint32_t synth_layer_head_dim(const synth_hparams *hp, uint32_t il);

/* The shape of an mmproj file (llama.cpp's converter with --mmproj on a Gemma 4 checkpoint:
 * GGUF architecture "clip", a gemma4v vision encoder and a gemma4a audio encoder). */
typedef struct synth_mmproj_hparams {
    char preset[16];    /* "tiny", "e2b" */
    uint32_t text_embd; /* width of the text model both projections feed (projection_dim) */
    /* vision: embedding width, heads, FFN width, blocks, patch side, positions per table */
    uint32_t v_embd, v_head, v_ff, v_layer, v_patch, v_pos;
    /* audio: conformer width, heads, FFN width, blocks, mel bins, the two subsampling convs'
     * channels, the output projection's width (HF output_proj_dims) */
    uint32_t a_embd, a_head, a_ff, a_layer, a_mel, a_conv0, a_conv1, a_out;
    float eps;
} synth_mmproj_hparams;

bool synth_mmproj_preset(const char *name, synth_mmproj_hparams *hp);
gemma4_status synth_mmproj_validate(const synth_mmproj_hparams *hp, g4_error *err);

/* Tokenizer contents, as they go into tokenizer.ggml.*. Token types use llama.cpp's numbering. */
enum {
    SYNTH_TOK_NORMAL = 1,
    SYNTH_TOK_UNKNOWN = 2,
    SYNTH_TOK_CONTROL = 3,
    SYNTH_TOK_USER_DEFINED = 4,
    SYNTH_TOK_UNUSED = 5,
    SYNTH_TOK_BYTE = 6,
};

typedef struct synth_vocab {
    uint32_t n_tokens;
    char **tokens; /* NUL-terminated UTF-8 */
    int32_t *types;
    float *scores;
    uint32_t n_merges;
    char **merges; /* "left right", rank = index */
    uint32_t bos, eos, unk, pad;
} synth_vocab;

void synth_vocab_free(synth_vocab *v);

/* How a tensor's values are drawn (before rounding to the bf16 the checkpoints are stored in). */
typedef enum synth_init {
    SYNTH_INIT_NORMAL,     /* mean + std * N(0,1), element by element */
    SYNTH_INIT_ROPE_FREQS, /* 1 for the first n_rot pairs, 1e30 for the rest, exact f32 */
} synth_init;

typedef struct synth_tensor {
    char name[64];
    g4_type type;
    int n_dims;
    int64_t ne[SYNTH_MAX_DIMS]; /* unused dimensions are 1 */
    synth_init init;
    float mean, std;
    uint32_t n_rot_pairs;
    uint64_t key; /* PRNG stream: a hash of seed and name, so tensors do not depend on each other */
} synth_tensor;

/* One metadata entry, kept so that the writer and the checker see the same list. */
typedef struct synth_kv {
    char key[64];
    g4_gguf_vtype type;
    g4_gguf_vtype elem; /* type == ARRAY */
    union {
        uint32_t u32;
        int32_t i32;
        float f32;
        bool b;
        const char *str;
    } v;
    const void *arr; /* scalar arrays: packed elements; string arrays: const char *const * */
    uint64_t n;
} synth_kv;

typedef struct synth_plan {
    synth_hparams hp;
    synth_ftype ftype;
    uint64_t seed;
    synth_kv *kvs;
    size_t n_kvs, cap_kvs;
    synth_tensor *tensors;
    size_t n_tensors, cap_tensors;
    void **owned; /* arrays and strings the kvs point to */
    size_t n_owned, cap_owned;
} synth_plan;

/* The plan's lists (plan_entries.c). The synth_kv_* helpers record an allocation failure in *ok;
 * the plan keeps pointers to the values of strings and arrays, which must outlive it (or be handed
 * to synth_plan_own, which frees them with the plan). synth_plan_add_tensor gives a tensor of
 * n_dims dimensions ne[0..n_dims) with values mean + std N(0,1), type F32 until the plan's type
 * rules set it, and its own PRNG stream; NULL (and *ok false) when out of memory. */
void *synth_plan_own(synth_plan *p, void *ptr);
void synth_kv_u32(synth_plan *p, bool *ok, const char *key, uint32_t v);
void synth_kv_i32(synth_plan *p, bool *ok, const char *key, int32_t v);
void synth_kv_f32(synth_plan *p, bool *ok, const char *key, float v);
void synth_kv_bool(synth_plan *p, bool *ok, const char *key, bool v);
void synth_kv_str(synth_plan *p, bool *ok, const char *key, const char *v);
void synth_kv_arr(synth_plan *p, bool *ok, const char *key, g4_gguf_vtype elem, const void *data, uint64_t n);
synth_tensor *synth_plan_add_tensor(synth_plan *p, bool *ok, const char *name, int n_dims, const int64_t *ne,
                                    float mean, float std);

/* Builds the whole file description. vocab and chat_template must outlive the plan. */
gemma4_status synth_plan_build(synth_plan *p, const synth_hparams *hp, synth_ftype ftype, uint64_t seed,
                               const synth_vocab *vocab, const char *chat_template, g4_error *err);
void synth_plan_free(synth_plan *p);

uint64_t synth_plan_data_bytes(const synth_plan *p); /* sum of the tensors' sizes, unpadded */

/* The mmproj file description (mmproj_plan.c): keys, tensors and their types as the converter
 * writes them for ftype f32, f16, bf16 or q8_0 (its --outtype; another ftype is refused). */
gemma4_status synth_mmproj_plan_build(synth_plan *p, const synth_mmproj_hparams *hp, synth_ftype ftype, uint64_t seed,
                                      g4_error *err);

/* The type rules: fills t->type for every tensor of the plan, in plan order (the counters of
 * llama-quantize's attn_v/ffn_down rules depend on that order). */
gemma4_status synth_assign_types(synth_plan *p, g4_error *err);

/* Rows of a tensor: the product of its dimensions after the first. */
int64_t synth_tensor_rows(const synth_tensor *t);

/* Streams a tensor's bytes to emit in chunks of at most a few MiB. */
typedef gemma4_status (*synth_emit_fn)(void *ctx, const void *bytes, size_t n, g4_error *err);
gemma4_status synth_tensor_stream(const synth_tensor *t, synth_emit_fn emit, void *ctx, g4_error *err);
size_t synth_tensor_nbytes(const synth_tensor *t);

/* Writes the plan to path (atomically). progress != 0 prints one line per large tensor. */
gemma4_status synth_write(const synth_plan *p, const char *path, bool progress, g4_error *err);

/* Opens path with libgemma4's GGUF reader and compares every key, tensor header and tensor byte
 * with the plan. */
gemma4_status synth_check(const synth_plan *p, const char *path, g4_error *err);

/* The built-in chat template (see chat_template.c for what it covers). */
extern const char synth_builtin_chat_template[];

#endif
