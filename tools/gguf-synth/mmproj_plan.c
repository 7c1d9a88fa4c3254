/*
 * The mmproj file description: what llama.cpp's converter writes for a Gemma 4 checkpoint with
 * --mmproj (conversion/base.py MmprojModel, conversion/gemma.py Gemma4VisionAudioModel), read by
 * tools/mtmd/clip.cpp. GEMMA4-VISION.md sections 2-3 and GEMMA4-AUDIO.md sections 1-2 list the
 * keys and tensors; this file is the one place gguf-synth spells them out.
 *
 * Keys come in the converter's order (set_gguf_parameters: the generic vision and audio keys,
 * then Gemma 4's projector types and epsilons, then general.quantization_version). Tensors are
 * grouped by tower, non-block tensors first, blocks in order, each group sorted by name; llama.cpp
 * finds tensors by name, so the order is for readers of `gemma4-cli info`, not for the loader.
 *
 * Types follow the converter (prepare_tensors and the two tensor_force_quant): 1-D tensors and
 * *_norm.weight are f32; the position tables are f32; the patch embedding is f16 in an f16 file,
 * f32 otherwise; the audio tensors whose Hugging Face name contains ".conv" or "_conv" (the two
 * subsampling convolutions, their input projection, the depthwise convolutions) are f32; every
 * other matrix takes --type, falling back to f16 where a q8_0 row would not be whole blocks.
 *
 * Values aim at realistic activations, as plan.c does for the text model (the choices and why are
 * beside each tensor below): unit-RMS inputs to every matrix stay unit RMS (std 1/sqrt(fan_in)),
 * post-norms of 0.15 keep each sublayer's update small next to the residual stream, and the clip
 * bounds sit in the tails of the activations they bound, so that clamping is exercised on a few
 * values without deciding the result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "synth.h"

/* How the converter types a tensor. */
typedef enum kind {
    K_VECTOR, /* 1-D, norms, clip bounds: f32 */
    K_F32,    /* forced f32: the position tables, the audio convolutions */
    K_PATCH,  /* the patch embedding: f16 in an f16 file, else f32 */
    K_MATRIX, /* --type */
} kind;

typedef struct builder {
    synth_plan *p;
    bool ok;
} builder;

static g4_type type_of(kind k, synth_ftype ftype, int64_t ne0) {
    switch (k) {
    case K_VECTOR:
    case K_F32:
        return G4_TYPE_F32;
    case K_PATCH:
        return ftype == SYNTH_F16 ? G4_TYPE_F16 : G4_TYPE_F32;
    case K_MATRIX:
        break;
    }
    switch (ftype) {
    case SYNTH_F16:
        return G4_TYPE_F16;
    case SYNTH_BF16:
        return G4_TYPE_BF16;
    case SYNTH_Q8_0: /* gguf.quants raises QuantError for partial blocks; the converter then writes f16 */
        return ne0 % 32 == 0 ? G4_TYPE_Q8_0 : G4_TYPE_F16;
    default:
        return G4_TYPE_F32;
    }
}

static synth_tensor *add(builder *b, const char *name, kind k, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2,
                         int64_t ne3, float mean, float std) {
    const int64_t ne[4] = {ne0, ne1, ne2, ne3};
    synth_tensor *t = synth_plan_add_tensor(b->p, &b->ok, name, n_dims, ne, mean, std);
    if (t) t->type = type_of(k, b->p->ftype, ne0);
    return t;
}

static float inv_sqrt(double n) {
    return (float)(1.0 / sqrt(n));
}

/* A norm weight near 1 (the pre-norms) or near 0.15 (the post-norms, see the top of this file). */
static void add_norm(builder *b, const char *name, int64_t n, float mean) {
    add(b, name, K_VECTOR, 1, n, 1, 1, 1, mean, 0.1f * mean);
}

/* The four clip bounds of a clipped linear "base". They sit at about +-4 for inputs and +-5 for
 * outputs of unit RMS: beyond 99.99% of a normal value, so clamping touches the tails only (the
 * trained E2B values were not available here). share names the linear whose bounds these copy, as
 * k and v share theirs in Gemma 4 (one einsum in the original), gate and up theirs; NULL for own. */
static void add_bounds(builder *b, const char *base, const char *share) {
    static const struct {
        const char *suffix;
        float mean;
    } bounds[4] = {{"input_min", -4.0f}, {"input_max", 4.0f}, {"output_min", -5.0f}, {"output_max", 5.0f}};
    char name[64], shared[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s.%s", base, bounds[i].suffix);
        synth_tensor *t = add(b, name, K_VECTOR, 1, 1, 1, 1, 1, bounds[i].mean, 0.25f);
        if (t && share) {
            snprintf(shared, sizeof shared, "%s.%s", share, bounds[i].suffix);
            t->key = synth_stream_key(b->p->seed, shared); /* the same stream, so the same value */
        }
    }
}

/* A clipped linear {n_in, n_out} with std 1/sqrt(n_in) x gain and its bounds. */
static void add_clipped(builder *b, const char *base, int64_t n_in, int64_t n_out, float gain, const char *share) {
    char name[64];
    snprintf(name, sizeof name, "%s.weight", base);
    add(b, name, K_MATRIX, 2, n_in, n_out, 1, 1, 0.0f, gain * inv_sqrt((double)n_in));
    add_bounds(b, base, share);
}

/* q/k norm weight w so that attention logits (q.k over head_dim dims, scale 1, q and k RMS-normed)
 * have a std of about 1: head_dim x w^4 = 1. Softmax weights then spread over e^+-2, so attention
 * picks out some patches rather than averaging thousands alike, while the logits stay small
 * enough that llama.cpp's f16 K/V (flash attention) moves them by well under 1e-3. */
static float vision_qk_norm_weight(int64_t head_dim) {
    return (float)pow((double)head_dim, -0.25);
}

static void vision_tensors(builder *b, const synth_mmproj_hparams *hp) {
    const int64_t e = hp->v_embd, d = e / hp->v_head, ff = hp->v_ff, p = hp->v_patch;
    /* pixels enter as 2x - 1 in [-1, 1], with a mean square of about 0.25 on photographs: std
     * 1/sqrt(0.25 fan_in) gives patch embeddings of unit RMS */
    add(b, "v.patch_embd.weight", K_PATCH, 4, p, p, 3, e, 0.0f, inv_sqrt(0.25 * 3.0 * (double)(p * p)));
    /* each table adds std 0.5: position matters, the patch content still dominates */
    add(b, "v.position_embd.weight", K_F32, 3, e, hp->v_pos, 2, 1, 0.0f, 0.5f);
    const float qk = vision_qk_norm_weight(d);
    char base[48], other[48], name[64];
    for (uint32_t il = 0; il < hp->v_layer; il++) {
#define BASE(s) (snprintf(base, sizeof base, "v.blk.%u." s, il), base)
#define NAME(s) (snprintf(name, sizeof name, "v.blk.%u." s, il), name)
        add_clipped(b, BASE("attn_k"), e, e, 1.0f, NULL);
        add(b, NAME("attn_k_norm.weight"), K_VECTOR, 1, d, 1, 1, 1, qk, 0.1f * qk);
        add_clipped(b, BASE("attn_out"), e, e, 1.0f, NULL);
        add(b, NAME("attn_post_norm.weight"), K_VECTOR, 1, e, 1, 1, 1, 0.15f, 0.015f);
        add_clipped(b, BASE("attn_q"), e, e, 1.0f, NULL);
        add(b, NAME("attn_q_norm.weight"), K_VECTOR, 1, d, 1, 1, 1, qk, 0.1f * qk);
        snprintf(other, sizeof other, "v.blk.%u.attn_k", il);
        add_clipped(b, BASE("attn_v"), e, e, 1.0f, other);
        add_clipped(b, BASE("ffn_down"), ff, e, 1.0f, NULL);
        add_clipped(b, BASE("ffn_gate"), e, ff, 1.0f, NULL);
        add(b, NAME("ffn_post_norm.weight"), K_VECTOR, 1, e, 1, 1, 1, 0.15f, 0.015f);
        snprintf(other, sizeof other, "v.blk.%u.ffn_gate", il);
        add_clipped(b, BASE("ffn_up"), e, ff, 1.0f, other);
        add_norm(b, NAME("ln1.weight"), e, 1.0f);
        add_norm(b, NAME("ln2.weight"), e, 1.0f);
#undef BASE
#undef NAME
    }
}

static void audio_tensors(builder *b, const synth_mmproj_hparams *hp) {
    const int64_t w = hp->a_embd, d = w / hp->a_head, ff = hp->a_ff, c0 = hp->a_conv0, c1 = hp->a_conv1;
    const int64_t freq = ((hp->a_mel + 1) / 2 + 1) / 2; /* two stride-2 convolutions over the mel bins */
    /* the subsampling: each convolution is followed by a LayerNorm over channels, so only the
     * direction of its output matters; 1/sqrt(fan_in) keeps the numbers ordinary. The input
     * projection reads ReLU(LayerNorm(.)), of mean square 0.5: 1/sqrt(0.5 fan_in) for unit RMS. */
    add(b, "a.conv1d.0.norm.weight", K_VECTOR, 1, c0, 1, 1, 1, 1.0f, 0.1f);
    add(b, "a.conv1d.0.weight", K_F32, 4, 3, 3, 1, c0, 0.0f, inv_sqrt(9.0));
    add(b, "a.conv1d.1.norm.weight", K_VECTOR, 1, c1, 1, 1, 1, 1.0f, 0.1f);
    add(b, "a.conv1d.1.weight", K_F32, 4, 3, 3, c0, c1, 0.0f, inv_sqrt(9.0 * (double)c0));
    add(b, "a.input_projection.weight", K_F32, 2, freq * c1, w, 1, 1, 0.0f, inv_sqrt(0.5 * (double)(freq * c1)));
    /* the output projection (with bias) into the embedder, RMS-normed before mm.a.input_projection */
    add(b, "a.pre_encode.out.bias", K_VECTOR, 1, hp->a_out, 1, 1, 1, 0.0f, 0.02f);
    add(b, "a.pre_encode.out.weight", K_MATRIX, 2, w, hp->a_out, 1, 1, 0.0f, inv_sqrt((double)w));
    char base[48], name[64];
    for (uint32_t il = 0; il < hp->a_layer; il++) {
#define BASE(s) (snprintf(base, sizeof base, "a.blk.%u." s, il), base)
#define NAME(s) (snprintf(name, sizeof name, "a.blk.%u." s, il), name)
        add_clipped(b, BASE("attn_k"), w, w, 1.0f, NULL);
        /* the relative-position keys read sinusoids of mean square 0.5 */
        add(b, NAME("attn_k_rel.weight"), K_MATRIX, 2, w, w, 1, 1, 0.0f, inv_sqrt(0.5 * (double)w));
        add_clipped(b, BASE("attn_out"), w, w, 1.0f, NULL);
        add(b, NAME("attn_post_norm.weight"), K_VECTOR, 1, w, 1, 1, 1, 0.15f, 0.015f);
        add_norm(b, NAME("attn_pre_norm.weight"), w, 1.0f);
        add_clipped(b, BASE("attn_q"), w, w, 1.0f, NULL);
        add_clipped(b, BASE("attn_v"), w, w, 1.0f, NULL);
        /* depthwise kernel of 5 taps; the module's own RMSNorm follows it */
        add(b, NAME("conv_dw.weight"), K_F32, 2, 5, w, 1, 1, 0.0f, inv_sqrt(5.0));
        add_norm(b, NAME("conv_norm.weight"), w, 1.0f);
        add_clipped(b, BASE("conv_pw1"), w, 2 * w, 1.0f, NULL);
        /* the conv module's update enters the stream without a post-norm: gain 0.3 makes it about
         * as small as the post-normed sublayers' (0.15 x 2 halves of the FFNs, attention) */
        add_clipped(b, BASE("conv_pw2"), w, w, 0.3f, NULL);
        add_clipped(b, BASE("ffn_down"), ff, w, 1.0f, NULL);
        add_clipped(b, BASE("ffn_down_1"), ff, w, 1.0f, NULL);
        add_norm(b, NAME("ffn_norm.weight"), w, 1.0f);
        add_norm(b, NAME("ffn_norm_1.weight"), w, 1.0f);
        add(b, NAME("ffn_post_norm.weight"), K_VECTOR, 1, w, 1, 1, 1, 0.15f, 0.015f);
        add(b, NAME("ffn_post_norm_1.weight"), K_VECTOR, 1, w, 1, 1, 1, 0.15f, 0.015f);
        add_clipped(b, BASE("ffn_up"), w, ff, 1.0f, NULL);
        add_clipped(b, BASE("ffn_up_1"), w, ff, 1.0f, NULL);
        add_norm(b, NAME("ln2.weight"), w, 1.0f);
        add_norm(b, NAME("norm_conv.weight"), w, 1.0f);
        /* stored as softplus(p); HF initialises p = 0, softplus(0) = ln 2 makes the query scale the
         * plain 1/sqrt(head_dim) */
        add(b, NAME("per_dim_scale.weight"), K_VECTOR, 1, d, 1, 1, 1, 0.6931472f, 0.05f);
#undef BASE
#undef NAME
    }
}

static void general_keys(builder *b, const synth_mmproj_hparams *hp) {
    char *name = synth_plan_own(b->p, malloc(64));
    char *description = synth_plan_own(b->p, malloc(384));
    if (!name || !description) {
        b->ok = false;
        return;
    }
    snprintf(name, 64, "gemma-4-synth-%s-mmproj", hp->preset);
    snprintf(description, 384,
             "Synthetic Gemma 4 mmproj (not a trained model): deterministic pseudo-random weights written by "
             "gguf-synth, seed %llu, preset %s; vision %u wide x %u blocks, audio %u wide x %u blocks, into text "
             "width %u",
             (unsigned long long)b->p->seed, hp->preset, hp->v_embd, hp->v_layer, hp->a_embd, hp->a_layer,
             hp->text_embd);
    synth_kv_str(b->p, &b->ok, "general.architecture", "clip");
    synth_kv_str(b->p, &b->ok, "general.type", "mmproj");
    synth_kv_str(b->p, &b->ok, "general.name", name);
    synth_kv_str(b->p, &b->ok, "general.basename", "gemma-4-synth");
    synth_kv_str(b->p, &b->ok, "general.description", description);
}

/* The Gemma 4 processor's image normalisation is the identity (do_normalize false). */
static const float image_mean[3] = {0.0f, 0.0f, 0.0f}, image_std[3] = {1.0f, 1.0f, 1.0f};

static void encoder_keys(builder *b, const synth_mmproj_hparams *hp) {
    synth_plan *p = b->p;
    bool *ok = &b->ok;
    synth_kv_u32(p, ok, "general.file_type", synth_ftype_llama_id(p->ftype));
    synth_kv_bool(p, ok, "clip.has_vision_encoder", true);
    synth_kv_u32(p, ok, "clip.vision.projection_dim", hp->text_embd);
    synth_kv_u32(p, ok, "clip.vision.image_size", 224); /* "unused, but set to avoid error" (gemma.py) */
    synth_kv_u32(p, ok, "clip.vision.patch_size", hp->v_patch);
    synth_kv_u32(p, ok, "clip.vision.embedding_length", hp->v_embd);
    synth_kv_u32(p, ok, "clip.vision.feed_forward_length", hp->v_ff);
    synth_kv_u32(p, ok, "clip.vision.block_count", hp->v_layer);
    synth_kv_u32(p, ok, "clip.vision.attention.head_count", hp->v_head);
    synth_kv_arr(p, ok, "clip.vision.image_mean", G4_GGUF_FLOAT32, image_mean, 3);
    synth_kv_arr(p, ok, "clip.vision.image_std", G4_GGUF_FLOAT32, image_std, 3);
    synth_kv_bool(p, ok, "clip.has_audio_encoder", true);
    synth_kv_u32(p, ok, "clip.audio.projection_dim", hp->text_embd);
    synth_kv_u32(p, ok, "clip.audio.embedding_length", hp->a_embd);
    synth_kv_u32(p, ok, "clip.audio.feed_forward_length", hp->a_ff);
    synth_kv_u32(p, ok, "clip.audio.block_count", hp->a_layer);
    synth_kv_u32(p, ok, "clip.audio.attention.head_count", hp->a_head);
    synth_kv_str(p, ok, "clip.vision.projector_type", "gemma4v");
    synth_kv_f32(p, ok, "clip.vision.attention.layer_norm_epsilon", hp->eps);
    synth_kv_str(p, ok, "clip.audio.projector_type", "gemma4a");
    synth_kv_u32(p, ok, "clip.audio.num_mel_bins", hp->a_mel);
    synth_kv_f32(p, ok, "clip.audio.attention.layer_norm_epsilon", hp->eps);
    synth_kv_u32(p, ok, "general.quantization_version", 2);
}

/* The order described at the top: tower (a., mm.a., mm., v.), then block (non-block first), then name. */
static void sort_key(const char *name, int *tower, long *block) {
    *tower = strncmp(name, "a.", 2) == 0      ? 0
             : strncmp(name, "mm.a.", 5) == 0 ? 1
             : strncmp(name, "mm.", 3) == 0   ? 2
                                              : 3;
    const char *blk = strstr(name, ".blk.");
    *block = blk ? strtol(blk + 5, NULL, 10) : -1;
}

static int cmp_tensors(const void *a, const void *b) {
    const synth_tensor *x = a, *y = b;
    int tx, ty;
    long bx, by;
    sort_key(x->name, &tx, &bx);
    sort_key(y->name, &ty, &by);
    if (tx != ty) return tx - ty;
    if (bx != by) return bx < by ? -1 : 1;
    return strcmp(x->name, y->name);
}

gemma4_status synth_mmproj_plan_build(synth_plan *p, const synth_mmproj_hparams *hp, synth_ftype ftype, uint64_t seed,
                                      g4_error *err) {
    memset(p, 0, sizeof *p);
    snprintf(p->hp.preset, sizeof p->hp.preset, "%s", hp->preset);
    p->ftype = ftype;
    p->seed = seed;
    if (ftype != SYNTH_F32 && ftype != SYNTH_F16 && ftype != SYNTH_BF16 && ftype != SYNTH_Q8_0)
        return g4_fail(err, GEMMA4_ERR_INVALID_ARG,
                       "--mmproj takes --type f32, f16, bf16 or q8_0 (the converter's "
                       "--outtype), not %s",
                       synth_ftype_name(ftype));
    builder b = {p, true};
    general_keys(&b, hp);
    encoder_keys(&b, hp);
    audio_tensors(&b, hp);
    /* the two embedders: audio (1536 in E2B) and vision (the ViT width) into the text width */
    add(&b, "mm.a.input_projection.weight", K_MATRIX, 2, hp->a_out, hp->text_embd, 1, 1, 0.0f,
        inv_sqrt((double)hp->a_out));
    add(&b, "mm.input_projection.weight", K_MATRIX, 2, hp->v_embd, hp->text_embd, 1, 1, 0.0f,
        inv_sqrt((double)hp->v_embd));
    vision_tensors(&b, hp);
    if (b.ok) qsort(p->tensors, p->n_tensors, sizeof *p->tensors, cmp_tensors);
    if (!b.ok) {
        synth_plan_free(p);
        return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory building the mmproj plan");
    }
    return GEMMA4_OK;
}
