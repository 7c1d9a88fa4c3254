/*
 * Model shapes: the presets and the per-layer structure derived from them.
 *
 * e2b and e4b are the shapes of google/gemma-4-E2B-it and -E4B-it as llama.cpp's converter writes
 * them (HF config: hidden 1536/2560, intermediate 6144/10240, 35/42 layers, 8 heads, 1/2 KV heads,
 * head_dim 256, global_head_dim 512, 20/18 KV-shared layers, per-layer input 256, sliding window
 * 512, layer_types [S,S,S,S,G] / [S,S,S,S,S,G] repeated, use_double_wide_mlp on E2B only).
 * tiny keeps E2B's structure (5-layer pattern, KV sharing with a sliding and a global source,
 * per-layer embeddings, double-wide FFN in the shared layers, partial RoPE on global layers) at a
 * size that loads in milliseconds, with every matrix row a multiple of 256 so that every quant
 * type (K-quants included) applies without fallbacks.
 */
#include <stdio.h>
#include <string.h>

#include "synth.h"

static const struct {
    const char *name;
    synth_ftype type;
    uint32_t llama_id;
    bool quantized;
} ftypes[] = {
    {"f32", SYNTH_F32, 0, false},  {"f16", SYNTH_F16, 1, false},  {"bf16", SYNTH_BF16, 32, false},
    {"q8_0", SYNTH_Q8_0, 7, true}, {"q4_0", SYNTH_Q4_0, 2, true}, {"q4_k_m", SYNTH_Q4_K_M, 15, true},
};

bool synth_ftype_parse(const char *name, synth_ftype *out) {
    for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++) {
        if (strcmp(name, ftypes[i].name) == 0) {
            *out = ftypes[i].type;
            return true;
        }
    }
    return false;
}

const char *synth_ftype_name(synth_ftype t) {
    return ftypes[t].name;
}
uint32_t synth_ftype_llama_id(synth_ftype t) {
    return ftypes[t].llama_id;
}
bool synth_ftype_is_quantized(synth_ftype t) {
    return ftypes[t].quantized;
}

bool synth_hparams_preset(const char *name, synth_hparams *hp) {
    memset(hp, 0, sizeof *hp);
    hp->rope_theta = 1000000.0f;
    hp->rope_theta_swa = 10000.0f;
    hp->partial_rotary = 0.25f;
    hp->rms_eps = 1e-6f;
    hp->logit_softcap = 30.0f;
    hp->n_ctx = 131072;
    hp->n_vocab = 262144;
    hp->n_swa = 512;
    hp->n_head = 8;
    hp->head_dim = 512;
    hp->head_dim_swa = 256;
    hp->n_ple = 256;
    /* The published checkpoints keep k_proj/v_proj/k_norm in the KV-shared layers (unused: those
     * layers read an earlier layer's cache) and the converter writes them: llama-bench's parameter
     * counts for the ggml-org GGUFs (E2B 4,647,450,147; E4B 7.52 B) are exactly the shapes here
     * plus those tensors. */
    hp->shared_kv_weights = true;
    if (strcmp(name, "e2b") == 0) {
        hp->n_layer = 35;
        hp->n_embd = 1536;
        hp->n_ff = 6144;
        hp->double_wide_ffn = true;
        hp->n_head_kv = 1;
        hp->swa_period = 5;
        hp->n_shared_kv = 20;
    } else if (strcmp(name, "e4b") == 0) {
        hp->n_layer = 42;
        hp->n_embd = 2560;
        hp->n_ff = 10240;
        hp->double_wide_ffn = false;
        hp->n_head_kv = 2;
        hp->swa_period = 6;
        hp->n_shared_kv = 18;
    } else if (strcmp(name, "tiny") == 0) {
        /* Two periods of [S,S,S,S,G]; the second period shares KV: its sliding layers read layer
         * 3's cache, its global layer reads layer 4's, so both kinds of source are exercised. */
        hp->n_layer = 10;
        hp->n_embd = 256;
        hp->n_ff = 512;
        hp->double_wide_ffn = true;
        hp->n_head = 4;
        hp->n_head_kv = 1;
        hp->head_dim = 128;
        hp->head_dim_swa = 64;
        hp->n_swa = 32;
        hp->swa_period = 5;
        hp->n_shared_kv = 5;
        hp->n_ple = 256;
        hp->n_vocab = 2048;
        hp->n_ctx = 4096;
    } else {
        return false;
    }
    snprintf(hp->preset, sizeof hp->preset, "%s", name);
    return true;
}

bool synth_layer_is_swa(const synth_hparams *hp, uint32_t il) {
    /* HF's Gemma4TextConfig forces the last layer to full attention whatever the pattern says. */
    if (il + 1 == hp->n_layer) return false;
    return (il + 1) % hp->swa_period != 0;
}

bool synth_layer_has_kv(const synth_hparams *hp, uint32_t il) {
    return il < hp->n_layer - hp->n_shared_kv;
}

uint32_t synth_layer_n_ff(const synth_hparams *hp, uint32_t il) {
    return hp->double_wide_ffn && !synth_layer_has_kv(hp, il) ? 2 * hp->n_ff : hp->n_ff;
}

uint32_t synth_layer_head_dim(const synth_hparams *hp, uint32_t il) {
    return synth_layer_is_swa(hp, il) ? hp->head_dim_swa : hp->head_dim;
}

gemma4_status synth_hparams_validate(const synth_hparams *hp, g4_error *err) {
    const gemma4_status bad = GEMMA4_ERR_INVALID_ARG;
    if (hp->n_layer == 0 || hp->n_layer > SYNTH_MAX_LAYERS)
        return g4_fail(err, bad, "--layers %u: must be 1..%d", hp->n_layer, SYNTH_MAX_LAYERS);
    if (hp->swa_period == 0) return g4_fail(err, bad, "--swa-period must be at least 1");
    if (hp->n_embd == 0 || hp->n_embd % 32 != 0)
        return g4_fail(err, bad, "--embd %u: must be a positive multiple of 32 (quant block size)", hp->n_embd);
    if (hp->n_ff == 0 || hp->n_ff % 32 != 0)
        return g4_fail(err, bad, "--ff %u: must be a positive multiple of 32", hp->n_ff);
    if (hp->n_head == 0 || hp->n_head_kv == 0 || hp->n_head % hp->n_head_kv != 0)
        return g4_fail(err, bad, "--heads %u / --kv-heads %u: heads must be a positive multiple of KV heads",
                       hp->n_head, hp->n_head_kv);
    if (hp->head_dim == 0 || hp->head_dim % 2 != 0 || hp->head_dim_swa == 0 || hp->head_dim_swa % 2 != 0)
        return g4_fail(err, bad, "--head-dim %u / --head-dim-swa %u: must be positive and even", hp->head_dim,
                       hp->head_dim_swa);
    if ((hp->n_head * hp->head_dim) % 32 != 0 || (hp->n_head * hp->head_dim_swa) % 32 != 0)
        return g4_fail(err, bad, "heads x head dim must be a multiple of 32 (attn_output rows)");
    if (hp->n_ple % 32 != 0) return g4_fail(err, bad, "--ple %u: must be a multiple of 32", hp->n_ple);
    if (hp->n_swa == 0) return g4_fail(err, bad, "--swa must be at least 1");
    if (hp->n_ctx == 0) return g4_fail(err, bad, "--ctx must be at least 1");
    if (hp->n_shared_kv >= hp->n_layer)
        return g4_fail(err, bad, "--shared-kv %u: must be less than --layers %u", hp->n_shared_kv, hp->n_layer);
    /* llama.cpp (llama-model.cpp, the Gemma 4 layer_reuse_cb) lets a KV-shared layer read layer
     * own-1 if it is global and layer own-2 if it is sliding, whatever the pattern, and asserts
     * own >= 2 even without sharing. HF reads "the last own-KV layer of the same kind"; the two
     * agree only when layer own-1 is global and layer own-2 sliding. */
    const uint32_t own = hp->n_layer - hp->n_shared_kv;
    if (own < 2) return g4_fail(err, bad, "--layers minus --shared-kv must be at least 2 (llama.cpp asserts it)");
    if (hp->n_shared_kv > 0 && (synth_layer_is_swa(hp, own - 1) || !synth_layer_is_swa(hp, own - 2)))
        return g4_fail(err, bad,
                       "--shared-kv %u: the last own-KV layer (%u) must be global and the one before sliding, as "
                       "llama.cpp's KV reuse assumes",
                       hp->n_shared_kv, own - 1);
    if (hp->n_vocab < 600 || hp->n_vocab > 16u * 1024 * 1024)
        return g4_fail(err, bad, "--vocab-size %u: must be 600..16777216 (room for the byte and special tokens)",
                       hp->n_vocab);
    return GEMMA4_OK;
}
