/*
 * Which type each tensor gets, mirroring the tools that make the published files:
 *
 *  f32 / f16 / bf16: convert_hf_to_gguf.py --outtype: 1-D tensors and *_norm.weight stay F32,
 *    every other matrix takes the file type.
 *  q8_0 / q4_0 / q4_k_m: llama-quantize (no imatrix) run on that bf16 file (src/llama-quant.cpp):
 *    only matrices whose name ends in "weight" are quantized, never *_norm.weight or
 *    per_layer_model_proj (those stay as the converter left them: F32 and BF16);
 *    with no output.weight the embeddings are "tied", so token_embd and per_layer_token_embd get
 *    the output rule: Q6_K unless the type is Q8_0 (Q8_0 when a row is not a whole block);
 *    q4_k_m raises attn_v and ffn_down to Q6_K on the layers use_more_bits() picks, counting
 *    attn_v tensors and ffn_down tensors in file order;
 *    a row length the chosen type cannot hold falls back: Q4_K -> Q5_0, Q5_K -> Q5_1,
 *    Q6_K -> Q8_0, and F16 if even that does not fit.
 */
#include <string.h>

#include "kernels/quants.h"
#include "synth.h"

typedef enum category {
    CAT_OTHER,
    CAT_OUTPUT,
    CAT_TOKEN_EMBD,
    CAT_ATTN_V,
    CAT_FFN_DOWN,
} category;

static bool ends_with(const char *s, const char *suffix) {
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* llama-quant.cpp's tensor_get_category, reduced to the categories whose rules apply here. */
static category category_of(const char *name) {
    if (strcmp(name, "output.weight") == 0) return CAT_OUTPUT;
    if (strcmp(name, "token_embd.weight") == 0 || strcmp(name, "per_layer_token_embd.weight") == 0)
        return CAT_TOKEN_EMBD;
    if (strstr(name, "attn_qkv.weight") || strstr(name, "attn_kv_b.weight") || strstr(name, "attn_v.weight"))
        return CAT_ATTN_V;
    if (strstr(name, "ffn_down")) return CAT_FFN_DOWN;
    return CAT_OTHER;
}

static bool allows_quantization(const synth_tensor *t) {
    return t->n_dims >= 2 && ends_with(t->name, "weight") && !strstr(t->name, "_norm.weight") &&
           !strstr(t->name, "per_layer_model_proj");
}

static bool use_more_bits(int i_layer, int n_layers) {
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

static int64_t block_size(g4_type t) {
    return g4_type_get(t)->block_size;
}

static g4_type fallback(g4_type want, int64_t ncols) {
    if (ncols % block_size(want) == 0) return want;
    g4_type t = want;
    switch (want) {
    case G4_TYPE_Q4_K:
        t = G4_TYPE_Q5_0;
        break;
    case G4_TYPE_Q5_K:
        t = G4_TYPE_Q5_1;
        break;
    case G4_TYPE_Q6_K:
        t = G4_TYPE_Q8_0;
        break;
    default:
        break;
    }
    return ncols % block_size(t) == 0 ? t : G4_TYPE_F16;
}

gemma4_status synth_assign_types(synth_plan *p, g4_error *err) {
    g4_type file_type = G4_TYPE_F32, quant = G4_TYPE_COUNT;
    switch (p->ftype) {
    case SYNTH_F32:
        file_type = G4_TYPE_F32;
        break;
    case SYNTH_F16:
        file_type = G4_TYPE_F16;
        break;
    case SYNTH_BF16:
        file_type = G4_TYPE_BF16;
        break;
    case SYNTH_Q8_0:
        file_type = G4_TYPE_BF16;
        quant = G4_TYPE_Q8_0;
        break;
    case SYNTH_Q4_0:
        file_type = G4_TYPE_BF16;
        quant = G4_TYPE_Q4_0;
        break;
    case SYNTH_Q4_K_M:
        file_type = G4_TYPE_BF16;
        quant = G4_TYPE_Q4_K;
        break;
    }
    bool tied = true;
    int n_attn_v = 0;
    for (size_t i = 0; i < p->n_tensors; i++) {
        const category c = category_of(p->tensors[i].name);
        if (c == CAT_OUTPUT) tied = false;
        if (c == CAT_ATTN_V) n_attn_v++;
    }
    const int n_ffn_down = (int)p->hp.n_layer;
    int i_attn_v = 0, i_ffn_down = 0;

    for (size_t i = 0; i < p->n_tensors; i++) {
        synth_tensor *t = &p->tensors[i];
        /* The converter's choice. */
        t->type = t->n_dims <= 1 || ends_with(t->name, "_norm.weight") ? G4_TYPE_F32 : file_type;
        if (quant == G4_TYPE_COUNT || !allows_quantization(t)) continue;

        /* llama-quantize's choice. */
        g4_type type = quant;
        const category c = category_of(t->name);
        if (c == CAT_OUTPUT || (tied && c == CAT_TOKEN_EMBD)) {
            if (t->ne[0] % block_size(type) != 0)
                type = G4_TYPE_Q8_0;
            else if (type != G4_TYPE_Q8_0)
                type = G4_TYPE_Q6_K;
        } else if (c == CAT_ATTN_V) {
            if (p->ftype == SYNTH_Q4_K_M && use_more_bits(i_attn_v, n_attn_v)) type = G4_TYPE_Q6_K;
            i_attn_v++;
        } else if (c == CAT_FFN_DOWN) {
            if (p->ftype == SYNTH_Q4_K_M && use_more_bits(i_ffn_down, n_ffn_down)) type = G4_TYPE_Q6_K;
            i_ffn_down++;
        }
        t->type = fallback(type, t->ne[0]);
    }

    for (size_t i = 0; i < p->n_tensors; i++) {
        const synth_tensor *t = &p->tensors[i];
        const bool plain = t->type == G4_TYPE_F32 || t->type == G4_TYPE_F16 || t->type == G4_TYPE_BF16;
        if (!plain && !g4_can_quantize(t->type))
            return g4_fail(err, GEMMA4_ERR_UNSUPPORTED, "tensor '%s' needs type %s, which the kernels cannot produce",
                           t->name, g4_type_name(t->type));
    }
    return GEMMA4_OK;
}
