/*
 * The file description: metadata in the order llama.cpp's converter writes it, and the tensor list
 * in the order llama-quantize writes it (non-layer tensors sorted by name, then layer by layer,
 * each layer's tensors sorted by name). One order for every type means a bf16 file run through
 * llama-quantize comes out tensor for tensor like gguf-synth's own quantized file.
 *
 * Value scales aim at realistic activations rather than at any trained checkpoint: matrices are
 * N(0, 1/fan_in) so every projection keeps unit RMS; q/k norm weights make attention logits
 * (scale 1.0) spread with std ~0.5; the post-norms (~0.15) keep each sublayer's contribution to
 * the residual stream small and layer_output_scale (~1.0) keeps the stream's RMS near 1, so that a
 * one-rounding difference between two correct implementations stays small at the logits. The
 * output norm's weights are centred on zero: with the tied LM head a positive output norm makes
 * every token predict itself (logit ~ |e_t|^2), and greedy decoding would only repeat its input.
 * See calibration notes at qk_norm_weight() and in tests/oracle/model/README.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth.h"

static void arch_key(char *buf, size_t cap, const char *suffix) {
    snprintf(buf, cap, "gemma4.%s", suffix);
}

/* A text-model tensor: 1-D or 2-D. */
static void add_tensor(synth_plan *p, bool *ok, const char *name, int n_dims, int64_t ne0, int64_t ne1, float mean,
                       float std) {
    const int64_t ne[2] = {ne0, ne1};
    synth_plan_add_tensor(p, ok, name, n_dims, ne, mean, std);
}

static float inv_sqrt(double n) {
    return (float)(1.0 / sqrt(n));
}

/* q/k norm weight w so that attention logits (sum over d of q_i k_i, scale 1) have std 0.5:
 * d * w^4 = 0.25. Sharper attention, larger post-norms or a fading input embedding make a random
 * network sensitive: its 8-bit activations re-round at every matmul, so a last-bit difference
 * flips roundings that grow layer by layer, and llama.cpp then disagrees with itself between its
 * own builds (AVX2 vs AVX-512: cosine 0.998 on q8_0 at std 2 and post-norms 0.5). Trained models
 * are not like that. At these scales llama.cpp's AVX2 and AVX-512 builds agree to cosine 0.99992
 * on q8_0 and 0.99979 on q4_k_m, and the model's next token still depends on context (on the tiny
 * preset, two positions holding the same token predict different tokens 71% of the time). */
static float qk_norm_weight(uint32_t head_dim) {
    return (float)sqrt(0.5 / sqrt((double)head_dim));
}

/* Non-layer tensors, sorted by name as llama-quantize orders them. */
static void global_tensors(synth_plan *p, bool *ok) {
    const synth_hparams *hp = &p->hp;
    const int64_t ple_all = (int64_t)hp->n_ple * hp->n_layer;
    /* Centred on zero (see the top of this file); std 4 gives logits a std of ~4. */
    add_tensor(p, ok, "output_norm.weight", 1, hp->n_embd, 1, 0.0f, 4.0f);
    if (hp->n_ple > 0) {
        add_tensor(p, ok, "per_layer_model_proj.weight", 2, hp->n_embd, ple_all, 0.0f, inv_sqrt(hp->n_embd));
        add_tensor(p, ok, "per_layer_proj_norm.weight", 1, hp->n_ple, 1, 1.0f, 0.1f);
        /* Scaled by sqrt(n_ple) at lookup, so rows of std 1/sqrt(n_ple) give unit RMS. */
        add_tensor(p, ok, "per_layer_token_embd.weight", 2, ple_all, hp->n_vocab, 0.0f, inv_sqrt(hp->n_ple));
    }
    add_tensor(p, ok, "rope_freqs.weight", 1, hp->head_dim / 2, 1, 0.0f, 0.0f);
    if (*ok) {
        synth_tensor *t = &p->tensors[p->n_tensors - 1];
        t->init = SYNTH_INIT_ROPE_FREQS;
        /* "proportional" RoPE: a global head rotates partial_rotary of its dims, i.e. that many
         * pairs get factor 1 and the rest an infinite wavelength (as conversion/gemma.py writes). */
        t->n_rot_pairs = (uint32_t)((double)hp->head_dim * hp->partial_rotary / 2.0);
    }
    /* Also the LM head (no output.weight): rows of std 1/sqrt(n_embd) give the embedding unit RMS
     * after the sqrt(n_embd) input scale, and logits of std ~ output_norm. */
    add_tensor(p, ok, "token_embd.weight", 2, hp->n_embd, hp->n_vocab, 0.0f, inv_sqrt(hp->n_embd));
}

typedef struct layer_tensor {
    const char *suffix;
    int n_dims;
    int64_t ne0, ne1;
    float mean, std;
} layer_tensor;

static int cmp_layer_tensor(const void *a, const void *b) {
    return strcmp(((const layer_tensor *)a)->suffix, ((const layer_tensor *)b)->suffix);
}

static void layer_tensors(synth_plan *p, bool *ok, uint32_t il) {
    const synth_hparams *hp = &p->hp;
    const int64_t hd = synth_layer_head_dim(hp, il), ff = synth_layer_n_ff(hp, il), embd = hp->n_embd;
    const int64_t q_dim = hd * hp->n_head, kv_dim = hd * hp->n_head_kv, ple = hp->n_ple;
    const float qk = qk_norm_weight((uint32_t)hd);
    layer_tensor lt[20];
    int n = 0;
    lt[n++] = (layer_tensor){"attn_norm.weight", 1, embd, 1, 1.0f, 0.1f};
    lt[n++] = (layer_tensor){"attn_q.weight", 2, embd, q_dim, 0.0f, inv_sqrt(embd)};
    lt[n++] = (layer_tensor){"attn_q_norm.weight", 1, hd, 1, qk, 0.1f * qk};
    if (synth_layer_has_kv(hp, il) || hp->shared_kv_weights) {
        lt[n++] = (layer_tensor){"attn_k.weight", 2, embd, kv_dim, 0.0f, inv_sqrt(embd)};
        lt[n++] = (layer_tensor){"attn_k_norm.weight", 1, hd, 1, qk, 0.1f * qk};
        lt[n++] = (layer_tensor){"attn_v.weight", 2, embd, kv_dim, 0.0f, inv_sqrt(embd)};
    }
    lt[n++] = (layer_tensor){"attn_output.weight", 2, q_dim, embd, 0.0f, inv_sqrt(q_dim)};
    lt[n++] = (layer_tensor){"post_attention_norm.weight", 1, embd, 1, 0.15f, 0.015f};
    lt[n++] = (layer_tensor){"ffn_norm.weight", 1, embd, 1, 1.0f, 0.1f};
    lt[n++] = (layer_tensor){"ffn_gate.weight", 2, embd, ff, 0.0f, inv_sqrt(embd)};
    lt[n++] = (layer_tensor){"ffn_up.weight", 2, embd, ff, 0.0f, inv_sqrt(embd)};
    lt[n++] = (layer_tensor){"ffn_down.weight", 2, ff, embd, 0.0f, inv_sqrt(ff)};
    lt[n++] = (layer_tensor){"post_ffw_norm.weight", 1, embd, 1, 0.15f, 0.015f};
    if (ple > 0) {
        lt[n++] = (layer_tensor){"inp_gate.weight", 2, embd, ple, 0.0f, inv_sqrt(embd)};
        lt[n++] = (layer_tensor){"proj.weight", 2, ple, embd, 0.0f, inv_sqrt(ple)};
        lt[n++] = (layer_tensor){"post_norm.weight", 1, embd, 1, 0.15f, 0.015f};
    }
    lt[n++] = (layer_tensor){"layer_output_scale.weight", 1, 1, 1, 1.0f, 0.02f};
    qsort(lt, (size_t)n, sizeof lt[0], cmp_layer_tensor);
    char name[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "blk.%u.%s", il, lt[i].suffix);
        add_tensor(p, ok, name, lt[i].n_dims, lt[i].ne0, lt[i].ne1, lt[i].mean, lt[i].std);
    }
}

static void general_keys(synth_plan *p, bool *ok) {
    const synth_hparams *hp = &p->hp;
    char *name = synth_plan_own(p, malloc(64));
    char *description = synth_plan_own(p, malloc(512));
    char *size_label = synth_plan_own(p, malloc(16));
    if (!name || !description || !size_label) {
        *ok = false;
        return;
    }
    snprintf(name, 64, "gemma-4-synth-%s", hp->preset);
    snprintf(size_label, 16, "%s",
             strcmp(hp->preset, "e2b") == 0   ? "E2B"
             : strcmp(hp->preset, "e4b") == 0 ? "E4B"
                                              : "tiny");
    snprintf(description, 512,
             "Synthetic Gemma 4 (not a trained model): deterministic pseudo-random weights written by gguf-synth, "
             "seed %llu, preset %s, layers %u, embd %u, ff %u%s, heads %u/%u, head dims %u/%u, swa %u, "
             "shared kv %u%s, ple %u, vocab %u",
             (unsigned long long)p->seed, hp->preset, hp->n_layer, hp->n_embd, hp->n_ff,
             hp->double_wide_ffn ? " (x2 in shared layers)" : "", hp->n_head, hp->n_head_kv, hp->head_dim,
             hp->head_dim_swa, hp->n_swa, hp->n_shared_kv, hp->shared_kv_weights ? " (with unused k/v weights)" : "",
             hp->n_ple, hp->n_vocab);
    synth_kv_str(p, ok, "general.architecture", "gemma4");
    synth_kv_str(p, ok, "general.type", "model");
    /* Gemma 4's generation_config.json sampling defaults, which the converter copies. */
    synth_kv_i32(p, ok, "general.sampling.top_k", 64);
    synth_kv_f32(p, ok, "general.sampling.top_p", 0.95f);
    synth_kv_f32(p, ok, "general.sampling.temp", 1.0f);
    synth_kv_str(p, ok, "general.name", name);
    synth_kv_str(p, ok, "general.basename", "gemma-4-synth");
    synth_kv_str(p, ok, "general.description", description);
    synth_kv_str(p, ok, "general.size_label", size_label);
}

static void model_keys(synth_plan *p, bool *ok) {
    const synth_hparams *hp = &p->hp;
    char k[64];
    const uint32_t nl = hp->n_layer;
#define KEY(s) (arch_key(k, sizeof k, s), k)
    synth_kv_u32(p, ok, KEY("block_count"), nl);
    synth_kv_u32(p, ok, KEY("context_length"), hp->n_ctx);
    synth_kv_u32(p, ok, KEY("embedding_length"), hp->n_embd);
    if (hp->double_wide_ffn) {
        int32_t *ff = synth_plan_own(p, malloc(nl * sizeof *ff));
        for (uint32_t il = 0; ff && il < nl; il++) ff[il] = (int32_t)synth_layer_n_ff(hp, il);
        synth_kv_arr(p, ok, KEY("feed_forward_length"), G4_GGUF_INT32, ff, nl);
    } else {
        synth_kv_u32(p, ok, KEY("feed_forward_length"), hp->n_ff);
    }
    synth_kv_u32(p, ok, KEY("attention.head_count"), hp->n_head);
    synth_kv_u32(p, ok, KEY("attention.head_count_kv"), hp->n_head_kv);
    synth_kv_f32(p, ok, KEY("rope.freq_base"), hp->rope_theta);
    synth_kv_f32(p, ok, KEY("rope.freq_base_swa"), hp->rope_theta_swa);
    synth_kv_f32(p, ok, KEY("attention.layer_norm_rms_epsilon"), hp->rms_eps);
    synth_kv_u32(p, ok, KEY("attention.key_length"), hp->head_dim);
    synth_kv_u32(p, ok, KEY("attention.value_length"), hp->head_dim);
    if (!synth_ftype_is_quantized(p->ftype)) synth_kv_u32(p, ok, "general.file_type", synth_ftype_llama_id(p->ftype));
    synth_kv_f32(p, ok, KEY("final_logit_softcapping"), hp->logit_softcap);
    synth_kv_u32(p, ok, KEY("attention.sliding_window"), hp->n_swa);
    synth_kv_u32(p, ok, KEY("attention.shared_kv_layers"), hp->n_shared_kv);
    synth_kv_u32(p, ok, KEY("embedding_length_per_layer_input"), hp->n_ple);
    bool *swa = synth_plan_own(p, malloc(nl * sizeof *swa));
    for (uint32_t il = 0; swa && il < nl; il++) swa[il] = synth_layer_is_swa(hp, il);
    synth_kv_arr(p, ok, KEY("attention.sliding_window_pattern"), G4_GGUF_BOOL, swa, nl);
    synth_kv_u32(p, ok, KEY("attention.key_length_swa"), hp->head_dim_swa);
    synth_kv_u32(p, ok, KEY("attention.value_length_swa"), hp->head_dim_swa);
    synth_kv_u32(p, ok, KEY("rope.dimension_count"), hp->head_dim);
    synth_kv_u32(p, ok, KEY("rope.dimension_count_swa"), hp->head_dim_swa);
#undef KEY
    if (!synth_ftype_is_quantized(p->ftype)) synth_kv_u32(p, ok, "general.quantization_version", 2);
}

static void tokenizer_keys(synth_plan *p, bool *ok, const synth_vocab *v, const char *chat_template) {
    synth_kv_str(p, ok, "tokenizer.ggml.model", "gemma4");
    synth_kv_arr(p, ok, "tokenizer.ggml.tokens", G4_GGUF_STRING, v->tokens, v->n_tokens);
    synth_kv_arr(p, ok, "tokenizer.ggml.scores", G4_GGUF_FLOAT32, v->scores, v->n_tokens);
    synth_kv_arr(p, ok, "tokenizer.ggml.token_type", G4_GGUF_INT32, v->types, v->n_tokens);
    synth_kv_arr(p, ok, "tokenizer.ggml.merges", G4_GGUF_STRING, v->merges, v->n_merges);
    synth_kv_u32(p, ok, "tokenizer.ggml.bos_token_id", v->bos);
    synth_kv_u32(p, ok, "tokenizer.ggml.eos_token_id", v->eos);
    synth_kv_u32(p, ok, "tokenizer.ggml.unknown_token_id", v->unk);
    synth_kv_u32(p, ok, "tokenizer.ggml.padding_token_id", v->pad);
    synth_kv_bool(p, ok, "tokenizer.ggml.add_bos_token", true);
    synth_kv_bool(p, ok, "tokenizer.ggml.add_eos_token", false);
    synth_kv_str(p, ok, "tokenizer.chat_template", chat_template);
    synth_kv_bool(p, ok, "tokenizer.ggml.add_space_prefix", false);
}

gemma4_status synth_plan_build(synth_plan *p, const synth_hparams *hp, synth_ftype ftype, uint64_t seed,
                               const synth_vocab *vocab, const char *chat_template, g4_error *err) {
    memset(p, 0, sizeof *p);
    p->hp = *hp;
    p->ftype = ftype;
    p->seed = seed;
    if (vocab->n_tokens != hp->n_vocab)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG, "vocabulary has %u tokens but the model is sized for %u",
                       vocab->n_tokens, hp->n_vocab);
    bool ok = true;
    general_keys(p, &ok);
    model_keys(p, &ok);
    tokenizer_keys(p, &ok, vocab, chat_template);
    /* llama-quantize moves these two to the end when it rewrites them. */
    if (synth_ftype_is_quantized(ftype)) {
        synth_kv_u32(p, &ok, "general.quantization_version", 2);
        synth_kv_u32(p, &ok, "general.file_type", synth_ftype_llama_id(ftype));
    }
    global_tensors(p, &ok);
    for (uint32_t il = 0; il < hp->n_layer; il++) layer_tensors(p, &ok, il);
    if (!ok) {
        synth_plan_free(p);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory building the plan");
    }
    gemma4_status st = synth_assign_types(p, err);
    if (st != GEMMA4_OK) synth_plan_free(p);
    return st;
}
