/*
 * mmproj binding (see mmproj.h). The keys, their defaults and the tensor names are those of
 * llama.cpp's clip_model_loader (load_hparams, load_tensors, case PROJECTOR_TYPE_GEMMA4V) and of
 * the converter that writes them (conversion/gemma.py, Gemma4VisionAudioModel); the shapes are the
 * ones clip_graph_gemma4v::build multiplies with. Where llama.cpp would only fail later inside a
 * ggml op (a shape that does not match), or not at all (a tensor it does not know, a bias it would
 * silently add), the loader refuses the file here with the name of what is wrong.
 */
#include "vision/mmproj.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/dispatch.h"

#define MAX_BLOCKS 4096 /* far above any ViT; keeps a corrupt block_count from sizing an allocation */

/* ---- keys ------------------------------------------------------------------------------------ */

static gemma4_status opt_u32(const g4_gguf *f, const char *key, uint32_t fallback, uint32_t *out, g4_error *err) {
    if (!g4_gguf_find(f, key)) {
        *out = fallback;
        return GEMMA4_OK;
    }
    return g4_gguf_get_u32(f, key, out, err);
}

static gemma4_status opt_bool(const g4_gguf *f, const char *key, bool *out, g4_error *err) {
    *out = false;
    return g4_gguf_find(f, key) ? g4_gguf_get_bool(f, key, out, err) : GEMMA4_OK;
}

/* A positive count read from a required key, bounded so that it can size arrays. */
static gemma4_status positive_u32(const g4_gguf *f, const char *key, uint32_t max, uint32_t *out, g4_error *err) {
    gemma4_status st = g4_gguf_get_u32(f, key, out, err);
    if (st != GEMMA4_OK) return st;
    if (*out == 0 || *out > max)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' is %u: must be 1..%u", key, *out, max);
    return GEMMA4_OK;
}

/* image_mean / image_std: arrays of at least 3 floats, of which llama.cpp uses the first 3. */
static gemma4_status rgb_triple(const g4_gguf *f, const char *key, bool nonzero, float out[3], g4_error *err) {
    const g4_gguf_value *v = g4_gguf_find(f, key);
    if (!v) return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' missing", key);
    if (v->type != G4_GGUF_ARRAY || (v->elem_type != G4_GGUF_FLOAT32 && v->elem_type != G4_GGUF_FLOAT64) ||
        v->count < 3)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s' must be an array of 3 floats (R, G, B)", key);
    for (int c = 0; c < 3; c++) {
        out[c] = (float)g4_gguf_arr_f64(v, (uint64_t)c);
        if (!isfinite(out[c]) || (nonzero && out[c] == 0.0f))
            return g4_fail(err, GEMMA4_ERR_FORMAT, "key '%s'[%d] is %g: must be finite%s", key, c, (double)out[c],
                           nonzero ? " and not 0" : "");
    }
    return GEMMA4_OK;
}

/* The projector type as llama.cpp finds it: clip.projector_type, or when that is absent or empty,
 * the vision-specific clip.vision.projector_type (files holding vision and audio use the latter). */
static gemma4_status check_projector(const g4_gguf *f, g4_error *err) {
    const char *keys[2] = {"clip.projector_type", "clip.vision.projector_type"};
    for (int i = 0; i < 2; i++) {
        if (!g4_gguf_find(f, keys[i])) continue;
        g4_str s;
        gemma4_status st = g4_gguf_get_str(f, keys[i], &s, err);
        if (st != GEMMA4_OK) return st;
        if (s.len == 0) continue;
        if (g4_str_eq(s, "gemma4v")) return GEMMA4_OK;
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "projector type '%.*s' (key %s): libgemma4 runs Gemma 4's vision encoder, 'gemma4v', only",
                       (int)(s.len > 64 ? 64 : s.len), s.ptr, keys[i]);
    }
    return g4_fail(err, GEMMA4_ERR_FORMAT,
                   "no projector type: keys clip.projector_type and clip.vision.projector_type "
                   "are both missing or empty");
}

static gemma4_status check_is_vision_mmproj(const g4_gguf *f, g4_error *err) {
    g4_str arch;
    gemma4_status st = g4_gguf_get_str(f, "general.architecture", &arch, err);
    if (st != GEMMA4_OK) return st;
    if (!g4_str_eq(arch, "clip"))
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "general.architecture is '%.*s', not 'clip': not an mmproj file (a text model?)",
                       (int)(arch.len > 64 ? 64 : arch.len), arch.ptr);
    bool has_vision;
    if ((st = opt_bool(f, "clip.has_vision_encoder", &has_vision, err)) != GEMMA4_OK) return st;
    if (!has_vision)
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "the file holds no vision encoder (clip.has_vision_encoder is false or missing)");
    return check_projector(f, err);
}

static gemma4_status load_hparams(const g4_gguf *f, g4_vision_hparams *hp, bool *has_audio, uint32_t *file_type,
                                  g4_error *err) {
    gemma4_status st;
#define TRY(call)                                                                                                      \
    do {                                                                                                               \
        if ((st = (call)) != GEMMA4_OK) return st;                                                                     \
    } while (0)
    TRY(positive_u32(f, "clip.vision.embedding_length", 1u << 16, &hp->n_embd, err));
    TRY(positive_u32(f, "clip.vision.attention.head_count", 1u << 12, &hp->n_head, err));
    TRY(opt_u32(f, "clip.vision.attention.head_count_kv", hp->n_head, &hp->n_head_kv, err));
    TRY(opt_u32(f, "clip.vision.attention.head_dim", 0, &hp->head_dim, err));
    TRY(positive_u32(f, "clip.vision.feed_forward_length", 1u << 20, &hp->n_ff, err));
    TRY(positive_u32(f, "clip.vision.block_count", MAX_BLOCKS, &hp->n_layer, err));
    TRY(g4_gguf_get_u32(f, "clip.vision.projection_dim", &hp->projection_dim, err));
    TRY(g4_gguf_get_u32(f, "clip.vision.image_size", &hp->image_size, err));
    TRY(positive_u32(f, "clip.vision.patch_size", 1u << 10, &hp->patch_size, err));
    TRY(opt_u32(f, "clip.vision.projector.scale_factor", 3, &hp->pool, err));
    TRY(g4_gguf_get_f32(f, "clip.vision.attention.layer_norm_epsilon", &hp->eps, err));
    TRY(rgb_triple(f, "clip.vision.image_mean", false, hp->image_mean, err));
    TRY(rgb_triple(f, "clip.vision.image_std", true, hp->image_std, err));
    bool use_gelu, use_silu;
    TRY(opt_bool(f, "clip.use_gelu", &use_gelu, err));
    TRY(opt_bool(f, "clip.use_silu", &use_silu, err));
    TRY(opt_bool(f, "clip.has_audio_encoder", has_audio, err));
    TRY(opt_u32(f, "general.file_type", UINT32_MAX, file_type, err));
#undef TRY

    if (use_gelu && use_silu)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "keys clip.use_gelu and clip.use_silu are both true");
    hp->act_llama = use_gelu ? G4_VISION_ACT_GELU_TANH : use_silu ? G4_VISION_ACT_SILU : G4_VISION_ACT_GELU_QUICK;
    if (!(hp->eps > 0.0f) || !isfinite(hp->eps))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'clip.vision.attention.layer_norm_epsilon' is %g: must be positive",
                       (double)hp->eps);
    if (hp->n_head_kv == 0 || hp->n_head % hp->n_head_kv != 0)
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "%u attention heads and %u KV heads: heads must be a multiple of KV heads", hp->n_head,
                       hp->n_head_kv);
    if (hp->head_dim == 0) {
        if (hp->n_embd % hp->n_head != 0)
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "width %u is not a multiple of %u heads (and clip.vision.attention.head_dim is absent)",
                           hp->n_embd, hp->n_head);
        hp->head_dim = hp->n_embd / hp->n_head;
    }
    /* 2D RoPE rotates two halves of each head, each in NEOX pairs */
    if (hp->head_dim % 4 != 0 || hp->head_dim > (1u << 12))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "head dim %u: the 2D RoPE needs a multiple of 4 (at most 4096)",
                       hp->head_dim);
    if (hp->pool == 0 || hp->pool > 64)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "key 'clip.vision.projector.scale_factor' is %u: must be 1..64",
                       hp->pool);
    hp->rope_theta = 100.0f;
    hp->min_tokens = 70;
    hp->max_tokens = 1120;
    return GEMMA4_OK;
}

/* ---- tensors ----------------------------------------------------------------------------------- */

static void format_shape(char *buf, size_t cap, int n_dims, const int64_t *ne) {
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < n_dims && at + 1 < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%" PRId64, i ? ", " : "{", ne[i]);
    if (at + 1 < cap) snprintf(buf + at, cap - at, "}");
}

/* The tensor called name, whose shape must be want[0..n_dims) (trailing dimensions 1). NULL in
 * *out when it is optional and absent. */
static gemma4_status lookup(const g4_gguf *f, const char *name, bool required, int n_dims, const int64_t *want,
                            const g4_gguf_tensor **out, g4_error *err) {
    char shape_want[96], shape_have[96];
    *out = g4_gguf_find_tensor(f, name);
    format_shape(shape_want, sizeof shape_want, n_dims, want);
    if (!*out)
        return required ? g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' %s missing", name, shape_want) : GEMMA4_OK;
    bool same = true;
    for (int i = 0; i < G4_GGUF_MAX_DIMS; i++) same &= (*out)->ne[i] == (i < n_dims ? want[i] : 1);
    if (same) return GEMMA4_OK;
    format_shape(shape_have, sizeof shape_have, (*out)->n_dims, (*out)->ne);
    return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' has shape %s, expected %s", name, shape_have, shape_want);
}

static gemma4_status need_f32(const g4_gguf_tensor *t, g4_error *err) {
    if (t->type == G4_TYPE_F32) return GEMMA4_OK;
    return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' has type %s, expected f32", t->name, g4_type_name(t->type));
}

/* An f32 vector of n values; *out NULL when optional and absent. */
static gemma4_status bind_vector(const g4_gguf *f, const char *name, bool required, int64_t n, const float **out,
                                 g4_error *err) {
    const g4_gguf_tensor *t;
    *out = NULL;
    gemma4_status st = lookup(f, name, required, 1, &n, &t, err);
    if (st != GEMMA4_OK || !t) return st;
    if ((st = need_f32(t, err)) != GEMMA4_OK) return st;
    *out = t->data;
    return GEMMA4_OK;
}

/* A one-element f32 tensor (a clip bound, out_scale); fallback when absent. llama.cpp's get_scalar
 * takes any shape holding exactly one f32. */
static gemma4_status bind_scalar(const g4_gguf *f, const char *name, float fallback, float *out, bool *present,
                                 g4_error *err) {
    const g4_gguf_tensor *t = g4_gguf_find_tensor(f, name);
    *out = fallback;
    if (present) *present = t != NULL;
    if (!t) return GEMMA4_OK;
    gemma4_status st = need_f32(t, err);
    if (st != GEMMA4_OK) return st;
    if (t->nbytes != sizeof(float))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' holds %zu values, expected one", name,
                       t->nbytes / sizeof(float));
    memcpy(out, t->data, sizeof(float));
    if (isnan(*out)) return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' is NaN", name);
    return GEMMA4_OK;
}

static bool matrix_type_ok(g4_type t) {
    return t == G4_TYPE_F32 || t == G4_TYPE_F16 || t == G4_TYPE_BF16 || t == G4_TYPE_Q8_0;
}

/* A tensor used as a matrix of n_out rows of n_in values in its stored type. */
static gemma4_status as_matrix(const g4_gguf_tensor *t, int64_t n_in, int64_t n_out, g4_matrix *m, g4_error *err) {
    if (!matrix_type_ok(t->type) || !g4_matmul_supports(t->type))
        return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                       "tensor '%s' has type %s; the vision encoder takes f32, f16, bf16 or q8_0 matrices", t->name,
                       g4_type_name(t->type));
    size_t row_bytes;
    if (!g4_type_row_bytes(t->type, n_in, &row_bytes))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s': rows of %" PRId64 " values are not whole %s blocks",
                       t->name, n_in, g4_type_name(t->type));
    m->type = t->type;
    m->n_in = n_in;
    m->n_out = n_out;
    m->row_bytes = row_bytes;
    m->data = t->data;
    return GEMMA4_OK;
}

/* A clipped linear: base.weight {n_in, n_out} and the optional bounds base.input_min, .input_max,
 * .output_min, .output_max (llama.cpp reads them for every loaded *.weight). */
static gemma4_status bind_linear(const g4_gguf *f, const char *base, int64_t n_in, int64_t n_out, g4_vision_linear *l,
                                 g4_error *err) {
    char name[128];
    const int64_t ne[2] = {n_in, n_out};
    const g4_gguf_tensor *t;
    gemma4_status st;
    snprintf(name, sizeof name, "%s.weight", base);
    if ((st = lookup(f, name, true, 2, ne, &t, err)) != GEMMA4_OK) return st;
    if ((st = as_matrix(t, n_in, n_out, &l->w, err)) != GEMMA4_OK) return st;
    const struct {
        const char *suffix;
        float fallback;
        float *out;
    } bounds[4] = {
        {"input_min", -FLT_MAX, &l->in_min},
        {"input_max", FLT_MAX, &l->in_max},
        {"output_min", -FLT_MAX, &l->out_min},
        {"output_max", FLT_MAX, &l->out_max},
    };
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s.%s", base, bounds[i].suffix);
        if ((st = bind_scalar(f, name, bounds[i].fallback, bounds[i].out, NULL, err)) != GEMMA4_OK) return st;
    }
    return GEMMA4_OK;
}

/* The linear layers of a block, by their GGUF name; shared by binding and by the unknown-tensor
 * check below. */
static const char *const block_linears[] = {"attn_q", "attn_k", "attn_v", "attn_out", "ffn_gate", "ffn_up", "ffn_down"};
static const char *const block_vectors[] = {"ln1", "attn_q_norm",   "attn_k_norm", "attn_post_norm",
                                            "ln2", "ffn_post_norm", "out_scale"};
#define N_BLOCK_LINEARS (sizeof block_linears / sizeof block_linears[0])
#define N_BLOCK_VECTORS (sizeof block_vectors / sizeof block_vectors[0])

static gemma4_status bind_block(const g4_gguf *f, const g4_vision_hparams *hp, uint32_t il, g4_vision_block *b,
                                g4_error *err) {
    const int64_t e = hp->n_embd, d = hp->head_dim, ff = hp->n_ff;
    const int64_t q_dim = d * hp->n_head, kv_dim = d * hp->n_head_kv;
    /* in the order of block_linears */
    g4_vision_linear *lin[N_BLOCK_LINEARS] = {&b->attn_q,   &b->attn_k, &b->attn_v,  &b->attn_out,
                                              &b->ffn_gate, &b->ffn_up, &b->ffn_down};
    const int64_t lin_in[N_BLOCK_LINEARS] = {e, e, e, q_dim, e, e, ff};
    const int64_t lin_out[N_BLOCK_LINEARS] = {q_dim, kv_dim, kv_dim, e, ff, ff, e};
    /* in the order of block_vectors, out_scale (a scalar) last */
    const float **vec[N_BLOCK_VECTORS - 1] = {&b->ln1, &b->attn_q_norm,  &b->attn_k_norm, &b->attn_post_norm,
                                              &b->ln2, &b->ffn_post_norm};
    const int64_t vec_n[N_BLOCK_VECTORS - 1] = {e, d, d, e, e, e};
    char name[96];
    gemma4_status st;
    for (size_t i = 0; i < N_BLOCK_LINEARS; i++) {
        snprintf(name, sizeof name, "v.blk.%u.%s", il, block_linears[i]);
        if ((st = bind_linear(f, name, lin_in[i], lin_out[i], lin[i], err)) != GEMMA4_OK) return st;
    }
    for (size_t i = 0; i + 1 < N_BLOCK_VECTORS; i++) {
        snprintf(name, sizeof name, "v.blk.%u.%s.weight", il, block_vectors[i]);
        if ((st = bind_vector(f, name, true, vec_n[i], vec[i], err)) != GEMMA4_OK) return st;
    }
    snprintf(name, sizeof name, "v.blk.%u.out_scale.weight", il);
    return bind_scalar(f, name, 1.0f, &b->out_scale, &b->has_out_scale, err);
}

/* Whether name is one of the tensors above: "v.blk.N.<linear>.{weight,input_min,...}",
 * "v.blk.N.<vector>.weight", or a top-level one. */
static bool known_vision_tensor(const char *name, uint32_t n_layer) {
    static const char *const top[] = {"v.patch_embd.weight",
                                      "v.position_embd.weight",
                                      "v.std_bias",
                                      "v.std_scale",
                                      "mm.input_projection.weight",
                                      "mm.input_projection.input_min",
                                      "mm.input_projection.input_max",
                                      "mm.input_projection.output_min",
                                      "mm.input_projection.output_max"};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        if (strcmp(name, top[i]) == 0) return true;
    unsigned il;
    int used = 0;
    if (sscanf(name, "v.blk.%u.%n", &il, &used) != 1 || used == 0 || il >= n_layer) return false;
    char canonical[96];
    snprintf(canonical, sizeof canonical, "v.blk.%u.", il);
    if (strncmp(name, canonical, strlen(canonical)) != 0) return false; /* "v.blk.007." is not block 7 */
    const char *rest = name + strlen(canonical);
    static const char *const linear_suffixes[] = {".weight", ".input_min", ".input_max", ".output_min", ".output_max"};
    for (size_t i = 0; i < N_BLOCK_LINEARS; i++) {
        const size_t n = strlen(block_linears[i]);
        if (strncmp(rest, block_linears[i], n) != 0) continue;
        for (size_t j = 0; j < sizeof linear_suffixes / sizeof linear_suffixes[0]; j++)
            if (strcmp(rest + n, linear_suffixes[j]) == 0) return true;
    }
    for (size_t i = 0; i < N_BLOCK_VECTORS; i++) {
        const size_t n = strlen(block_vectors[i]);
        if (strncmp(rest, block_vectors[i], n) == 0 && strcmp(rest + n, ".weight") == 0) return true;
    }
    return false;
}

/* A vision tensor the encoder would not use (a bias, a block beyond block_count, a misspelling)
 * means the file is not what the keys say: refused rather than silently ignored. */
static gemma4_status check_no_unknown_tensors(const g4_gguf *f, uint32_t n_layer, g4_error *err) {
    for (int64_t i = 0; i < g4_gguf_n_tensors(f); i++) {
        const char *name = g4_gguf_tensor_at(f, i)->name;
        const bool vision =
            strncmp(name, "v.", 2) == 0 || (strncmp(name, "mm.", 3) == 0 && strncmp(name, "mm.a.", 5) != 0);
        if (vision && !known_vision_tensor(name, n_layer))
            return g4_fail(err, GEMMA4_ERR_FORMAT,
                           "tensor '%s' is not part of Gemma 4's vision encoder (gemma4v, %u blocks)", name, n_layer);
    }
    return GEMMA4_OK;
}

static gemma4_status bind_tensors(const g4_gguf *f, g4_mmproj *mm, g4_error *err) {
    g4_vision_hparams *hp = &mm->hp;
    const int64_t e = hp->n_embd, p = hp->patch_size;
    const g4_gguf_tensor *t;
    gemma4_status st;

    const int64_t patch_ne[4] = {p, p, 3, e};
    if ((st = lookup(f, "v.patch_embd.weight", true, 4, patch_ne, &t, err)) != GEMMA4_OK) return st;
    if ((st = as_matrix(t, 3 * p * p, e, &mm->patch_embd, err)) != GEMMA4_OK) return st;

    /* the position tables: their length comes from the file (10240 in E2B), the rest from the keys */
    t = g4_gguf_find_tensor(f, "v.position_embd.weight");
    const int64_t n_pos = t ? t->ne[1] : 10240;
    const int64_t pos_ne[3] = {e, n_pos, 2};
    if ((st = lookup(f, "v.position_embd.weight", true, 3, pos_ne, &t, err)) != GEMMA4_OK) return st;
    if ((st = need_f32(t, err)) != GEMMA4_OK) return st;
    if (n_pos < 1 || n_pos > (1 << 20))
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "tensor 'v.position_embd.weight' has %" PRId64 " positions: must be 1..2^20", n_pos);
    mm->pos_embd = t->data;
    hp->n_pos = (uint32_t)n_pos;

    mm->blocks = calloc(hp->n_layer, sizeof *mm->blocks);
    if (!mm->blocks) return g4_fail(err, GEMMA4_ERR_NOMEM, "out of memory for %u vision blocks", hp->n_layer);
    for (uint32_t il = 0; il < hp->n_layer; il++)
        if ((st = bind_block(f, hp, il, &mm->blocks[il], err)) != GEMMA4_OK) return st;

    if ((st = bind_vector(f, "v.std_bias", false, e, &mm->std_bias, err)) != GEMMA4_OK) return st;
    if ((st = bind_vector(f, "v.std_scale", false, e, &mm->std_scale, err)) != GEMMA4_OK) return st;
    if ((mm->std_bias == NULL) != (mm->std_scale == NULL))
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor '%s' without '%s': the standardisation needs both",
                       mm->std_bias ? "v.std_bias" : "v.std_scale", mm->std_bias ? "v.std_scale" : "v.std_bias");

    /* the output width is the projection's, whatever clip.vision.projection_dim says */
    t = g4_gguf_find_tensor(f, "mm.input_projection.weight");
    if (!t)
        return g4_fail(err, GEMMA4_ERR_FORMAT, "tensor 'mm.input_projection.weight' {%" PRId64 ", n_embd} missing", e);
    const int64_t n_out = t->ne[1];
    if (n_out < 1 || n_out > (1 << 20))
        return g4_fail(err, GEMMA4_ERR_FORMAT,
                       "tensor 'mm.input_projection.weight' is %" PRId64 " wide: must be 1..2^20", n_out);
    if ((st = bind_linear(f, "mm.input_projection", e, n_out, &mm->input_projection, err)) != GEMMA4_OK) return st;
    hp->n_embd_out = (uint32_t)n_out;
    return check_no_unknown_tensors(f, hp->n_layer, err);
}

gemma4_status g4_mmproj_load(const g4_gguf *f, g4_mmproj *out, g4_error *err) {
    memset(out, 0, sizeof *out);
    gemma4_status st = check_is_vision_mmproj(f, err);
    if (st == GEMMA4_OK) st = load_hparams(f, &out->hp, &out->has_audio, &out->file_type, err);
    if (st == GEMMA4_OK) st = bind_tensors(f, out, err);
    if (st != GEMMA4_OK) g4_mmproj_free(out);
    return st;
}

gemma4_status g4_mmproj_open(const char *path, g4_mmproj *out, g4_error *err) {
    memset(out, 0, sizeof *out);
    g4_gguf *f = NULL;
    gemma4_status st = g4_gguf_open(path, &f, err);
    if (st == GEMMA4_OK) st = g4_mmproj_load(f, out, err);
    if (st != GEMMA4_OK) {
        g4_gguf_close(f);
        g4_error_prefix(err, "mmproj '%s': ", path);
        return st;
    }
    out->owned_file = f;
    return GEMMA4_OK;
}

void g4_mmproj_free(g4_mmproj *mm) {
    if (!mm) return;
    free(mm->blocks);
    if (mm->owned_file) g4_gguf_close(mm->owned_file);
    memset(mm, 0, sizeof *mm);
}

gemma4_status g4_mmproj_check_text_width(const g4_mmproj *mm, uint32_t text_n_embd, g4_error *err) {
    if (mm->hp.n_embd_out == text_n_embd) return GEMMA4_OK;
    return g4_fail(err, GEMMA4_ERR_UNSUPPORTED,
                   "the mmproj makes %u-wide embeddings (mm.input_projection) but the text model is %u wide "
                   "(n_embd): they are not a pair",
                   mm->hp.n_embd_out, text_n_embd);
}
