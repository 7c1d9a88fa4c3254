/* mmproj loading: every key and tensor of a tiny gemma4v file bound with llama.cpp's defaults, the
 * optional parts (clip bounds, out_scale, standardisation, head_dim / head_count_kv keys, an
 * audio half left alone), all four matrix types, the text-width check, and each way a file is
 * refused, with the message naming what is wrong. */
#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gguf/gguf.h"
#include "test_vision_tiny.h"
#include "testkit.h"
#include "vision/mmproj.h"

typedef struct opened {
    void *mem;
    g4_gguf *f;
} opened;

static gemma4_status load(const vt_cfg *c, opened *o, g4_mmproj *mm, g4_error *err) {
    size_t size;
    g4_error werr = {0};
    if (vt_write(c, &o->mem, &size, &werr) != GEMMA4_OK) fail_msg("writing the tiny mmproj: %s", werr.msg);
    if (g4_gguf_open_memory(o->mem, size, &o->f, &werr) != GEMMA4_OK) fail_msg("reading it back: %s", werr.msg);
    return g4_mmproj_load(o->f, mm, err);
}

static void close_opened(opened *o) {
    g4_gguf_close(o->f);
    free(o->mem);
}

/* Loads cfg and expects want, with both needles (when given) in the message. */
static void expect(const vt_cfg *c, gemma4_status want, const char *needle, const char *needle2) {
    opened o;
    g4_mmproj mm;
    g4_error err = {0};
    gemma4_status st = load(c, &o, &mm, &err);
    if (st != want) fail_msg("status %s, want %s (%s)", gemma4_status_name(st), gemma4_status_name(want), err.msg);
    if (needle && !strstr(err.msg, needle)) fail_msg("message '%s' does not mention '%s'", err.msg, needle);
    if (needle2 && !strstr(err.msg, needle2)) fail_msg("message '%s' does not mention '%s'", err.msg, needle2);
    if (st != GEMMA4_OK) assert_null(mm.blocks);
    g4_mmproj_free(&mm);
    close_opened(&o);
}

static void test_defaults(void **state) {
    (void)state;
    vt_cfg c = vt_default();
    opened o;
    g4_mmproj mm;
    g4_error err = {0};
    assert_int_equal(load(&c, &o, &mm, &err), GEMMA4_OK);
    const g4_vision_hparams *hp = &mm.hp;
    assert_int_equal(hp->n_embd, 64);
    assert_int_equal(hp->n_head, 2);
    assert_int_equal(hp->n_head_kv, 2); /* absent: = heads */
    assert_int_equal(hp->head_dim, 32); /* absent: width / heads */
    assert_int_equal(hp->pool, 3);      /* absent scale_factor */
    assert_int_equal(hp->patch_size, 4);
    assert_int_equal(hp->n_layer, 2);
    assert_int_equal(hp->n_ff, 128);
    assert_int_equal(hp->image_size, 224);
    assert_int_equal(hp->projection_dim, 96);
    assert_int_equal(hp->n_pos, 32);
    assert_int_equal(hp->n_embd_out, 96);
    assert_true(hp->eps == 1e-6f && hp->rope_theta == 100.0f);
    assert_int_equal(hp->min_tokens, 70);
    assert_int_equal(hp->max_tokens, 1120);
    assert_int_equal(hp->act_llama, G4_VISION_ACT_GELU_QUICK); /* no clip.use_gelu: gelu_quick */
    for (int i = 0; i < 3; i++) assert_true(hp->image_mean[i] == 0.0f && hp->image_std[i] == 1.0f);
    assert_false(mm.has_audio);
    assert_int_equal(mm.file_type, 1);
    assert_null(mm.std_bias);
    assert_null(mm.std_scale);

    /* views into the mapping, shaped as the encoder uses them */
    assert_int_equal(mm.patch_embd.n_in, 3 * 4 * 4);
    assert_int_equal(mm.patch_embd.n_out, 64);
    assert_ptr_equal(mm.patch_embd.data, g4_gguf_find_tensor(o.f, "v.patch_embd.weight")->data);
    assert_ptr_equal(mm.pos_embd, g4_gguf_find_tensor(o.f, "v.position_embd.weight")->data);
    assert_int_equal(mm.input_projection.w.n_in, 64);
    assert_int_equal(mm.input_projection.w.n_out, 96);
    for (uint32_t il = 0; il < 2; il++) {
        const g4_vision_block *b = &mm.blocks[il];
        assert_int_equal(b->attn_q.w.n_out, 64);
        assert_int_equal(b->attn_out.w.n_in, 64);
        assert_int_equal(b->ffn_down.w.n_in, 128);
        assert_int_equal(b->ffn_gate.w.n_out, 128);
        assert_non_null(b->ln1);
        assert_non_null(b->attn_q_norm);
        assert_non_null(b->ffn_post_norm);
        /* no bounds in the file: the widest float bounds, as llama.cpp */
        assert_true(b->attn_k.in_min == -FLT_MAX && b->attn_k.in_max == FLT_MAX);
        assert_true(b->ffn_down.out_min == -FLT_MAX && b->ffn_down.out_max == FLT_MAX);
        assert_false(b->has_out_scale);
        assert_true(b->out_scale == 1.0f);
    }
    assert_int_equal(g4_mmproj_check_text_width(&mm, 96, &err), GEMMA4_OK);
    assert_int_equal(g4_mmproj_check_text_width(&mm, 1536, &err), GEMMA4_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "96-wide"));
    assert_non_null(strstr(err.msg, "1536 wide"));
    g4_mmproj_free(&mm);
    close_opened(&o);
}

static void test_optional_parts(void **state) {
    (void)state;
    vt_cfg c = vt_default();
    c.clamps = c.out_scale = c.standardize = c.audio = c.use_gelu = true;
    c.head_dim_key = 16; /* 2 heads of 16 in a 64-wide encoder */
    c.n_head_kv = 1;
    opened o;
    g4_mmproj mm;
    g4_error err = {0};
    if (load(&c, &o, &mm, &err) != GEMMA4_OK) fail_msg("%s", err.msg);
    assert_int_equal(mm.hp.head_dim, 16);
    assert_int_equal(mm.hp.n_head_kv, 1);
    assert_int_equal(mm.blocks[0].attn_q.w.n_out, 32);
    assert_int_equal(mm.blocks[0].attn_k.w.n_out, 16);
    assert_int_equal(mm.blocks[1].attn_out.w.n_in, 32);
    assert_int_equal(mm.hp.act_llama, G4_VISION_ACT_GELU_TANH);
    assert_true(mm.has_audio);
    assert_non_null(mm.std_bias);
    assert_non_null(mm.std_scale);
    for (uint32_t il = 0; il < 2; il++) {
        const g4_vision_block *b = &mm.blocks[il];
        const g4_vision_linear *lin[7] = {&b->attn_q,   &b->attn_k, &b->attn_v,  &b->attn_out,
                                          &b->ffn_gate, &b->ffn_up, &b->ffn_down};
        for (int l = 0; l < 7; l++) {
            assert_true(lin[l]->in_min == vt_clamp_value(il, l, 0));
            assert_true(lin[l]->in_max == vt_clamp_value(il, l, 1));
            assert_true(lin[l]->out_min == vt_clamp_value(il, l, 2));
            assert_true(lin[l]->out_max == vt_clamp_value(il, l, 3));
        }
        assert_true(b->attn_k.in_max == b->attn_v.in_max && b->ffn_gate.out_min == b->ffn_up.out_min);
        assert_true(b->has_out_scale);
        assert_true(b->out_scale == 0.75f + 0.125f * (float)il);
    }
    g4_mmproj_free(&mm);
    close_opened(&o);
}

static void test_matrix_types(void **state) {
    (void)state;
    const g4_type types[4] = {G4_TYPE_F32, G4_TYPE_F16, G4_TYPE_BF16, G4_TYPE_Q8_0};
    for (int i = 0; i < 4; i++) {
        vt_cfg c = vt_default();
        c.wtype = types[i];
        opened o;
        g4_mmproj mm;
        g4_error err = {0};
        if (load(&c, &o, &mm, &err) != GEMMA4_OK) fail_msg("%s: %s", g4_type_name(types[i]), err.msg);
        assert_int_equal(mm.blocks[1].ffn_up.w.type, types[i]);
        assert_int_equal(mm.input_projection.w.type, types[i]);
        assert_int_equal(mm.patch_embd.type, types[i] == G4_TYPE_Q8_0 ? G4_TYPE_F32 : types[i]);
        g4_mmproj_free(&mm);
        close_opened(&o);
    }
    vt_cfg c = vt_default();
    c.retype = "v.blk.1.ffn_up.weight";
    c.retype_as = G4_TYPE_Q4_0;
    expect(&c, GEMMA4_ERR_UNSUPPORTED, "'v.blk.1.ffn_up.weight' has type q4_0", "f32, f16, bf16 or q8_0");
    c.retype = "v.blk.0.ln2.weight";
    c.retype_as = G4_TYPE_F16;
    expect(&c, GEMMA4_ERR_FORMAT, "'v.blk.0.ln2.weight' has type f16, expected f32", NULL);
    c.retype = "v.position_embd.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "'v.position_embd.weight' has type f16, expected f32", NULL);
}

static void test_missing(void **state) {
    (void)state;
    vt_cfg c = vt_default();
    c.omit_tensor = "v.blk.1.attn_k_norm.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "tensor 'v.blk.1.attn_k_norm.weight' {32} missing", NULL);
    c.omit_tensor = "mm.input_projection.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "'mm.input_projection.weight'", "missing");
    c.omit_tensor = "v.patch_embd.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "tensor 'v.patch_embd.weight' {4, 4, 3, 64} missing", NULL);
    c.omit_tensor = "v.position_embd.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "'v.position_embd.weight' {64, 10240, 2} missing", NULL);
    c.omit_tensor = NULL;

    static const char *const required_keys[] = {"clip.vision.embedding_length",
                                                "clip.vision.attention.head_count",
                                                "clip.vision.feed_forward_length",
                                                "clip.vision.block_count",
                                                "clip.vision.projection_dim",
                                                "clip.vision.image_size",
                                                "clip.vision.patch_size",
                                                "clip.vision.attention.layer_norm_epsilon",
                                                "clip.vision.image_mean",
                                                "clip.vision.image_std",
                                                "general.architecture"};
    for (size_t i = 0; i < sizeof required_keys / sizeof required_keys[0]; i++) {
        c.omit_key = required_keys[i];
        expect(&c, GEMMA4_ERR_FORMAT, required_keys[i], "missing");
    }
    c.omit_key = "clip.vision.projector_type";
    expect(&c, GEMMA4_ERR_FORMAT, "no projector type", NULL);
    c.omit_key = "clip.has_vision_encoder";
    expect(&c, GEMMA4_ERR_UNSUPPORTED, "no vision encoder", NULL);
}

static void test_bad_shapes(void **state) {
    (void)state;
    vt_cfg c = vt_default();
    c.bad_shape = "v.blk.1.attn_q.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "tensor 'v.blk.1.attn_q.weight' has shape {65, 64}, expected {64, 64}", NULL);
    c.bad_shape = "v.blk.0.ffn_down.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "'v.blk.0.ffn_down.weight' has shape {129, 64}, expected {128, 64}", NULL);
    c.bad_shape = "v.patch_embd.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "has shape {5, 4, 3, 64}, expected {4, 4, 3, 64}", NULL);
    c.bad_shape = "v.position_embd.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "has shape {65, 32, 2}, expected {64, 32, 2}", NULL);
    c.bad_shape = "v.blk.1.attn_q_norm.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "has shape {33}, expected {32}", NULL);
    c.bad_shape = "mm.input_projection.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "'mm.input_projection.weight' has shape {65, 96}, expected {64, 96}", NULL);

    /* heads that do not divide, a head dim the 2D RoPE cannot split */
    c = vt_default();
    c.n_head = 3;
    expect(&c, GEMMA4_ERR_FORMAT, "not a multiple of 3 heads", NULL);
    c = vt_default();
    c.n_head = 32; /* head dim 2 */
    expect(&c, GEMMA4_ERR_FORMAT, "head dim 2", NULL);
    c = vt_default();
    c.n_head_kv = 3;
    expect(&c, GEMMA4_ERR_FORMAT, "multiple of KV heads", NULL);
}

static void test_not_gemma4v(void **state) {
    (void)state;
    vt_cfg c = vt_default();
    c.projector = "gemma3";
    expect(&c, GEMMA4_ERR_UNSUPPORTED, "projector type 'gemma3'", "clip.vision.projector_type");
    c.projector = "gemma4uv";
    expect(&c, GEMMA4_ERR_UNSUPPORTED, "'gemma4uv'", NULL);
    c = vt_default();
    c.arch = "gemma4";
    expect(&c, GEMMA4_ERR_UNSUPPORTED, "general.architecture is 'gemma4', not 'clip'", NULL);
    c = vt_default();
    c.no_vision = true;
    expect(&c, GEMMA4_ERR_UNSUPPORTED, "no vision encoder", NULL);
}

static void test_refused_tensors(void **state) {
    (void)state;
    vt_cfg c = vt_default();
    c.extra_tensor = "v.blk.0.attn_q.bias"; /* llama.cpp would add it; gemma4v has none */
    expect(&c, GEMMA4_ERR_FORMAT, "tensor 'v.blk.0.attn_q.bias' is not part of", NULL);
    c.extra_tensor = "v.blk.2.ln1.weight"; /* beyond block_count */
    expect(&c, GEMMA4_ERR_FORMAT, "'v.blk.2.ln1.weight' is not part of", "2 blocks");
    c.extra_tensor = "mm.soft_emb_norm.weight";
    expect(&c, GEMMA4_ERR_FORMAT, "'mm.soft_emb_norm.weight'", NULL);
    c.extra_tensor = "a.anything"; /* the audio half is not the vision loader's business */
    expect(&c, GEMMA4_OK, NULL, NULL);
    c.extra_tensor = "v.std_bias"; /* without v.std_scale */
    expect(&c, GEMMA4_ERR_FORMAT, "'v.std_bias' without 'v.std_scale'", NULL);

    c = vt_default();
    c.clamp_as_f16 = true;
    expect(&c, GEMMA4_ERR_FORMAT, "'v.blk.0.attn_q.input_min' has type f16, expected f32", NULL);
    c = vt_default();
    c.clamp_two_values = true;
    expect(&c, GEMMA4_ERR_FORMAT, "'v.blk.0.attn_q.input_min' holds 2 values, expected one", NULL);
}

static void test_open_file(void **state) {
    (void)state;
    vt_cfg c = vt_default();
    void *mem;
    size_t size;
    g4_error err = {0};
    assert_int_equal(vt_write(&c, &mem, &size, &err), GEMMA4_OK);
    char path[256];
    g4t_temp_path(path, sizeof path, ".gguf");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(mem, 1, size, f), size);
    fclose(f);
    free(mem);
    g4_mmproj mm;
    assert_int_equal(g4_mmproj_open(path, &mm, &err), GEMMA4_OK);
    assert_non_null(mm.owned_file);
    assert_int_equal(mm.hp.n_embd_out, 96);
    g4_mmproj_free(&mm);
    unlink(path);
    assert_int_equal(g4_mmproj_open(path, &mm, &err), GEMMA4_ERR_IO);
    assert_non_null(strstr(err.msg, path));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),        cmocka_unit_test(test_optional_parts),
        cmocka_unit_test(test_matrix_types),    cmocka_unit_test(test_missing),
        cmocka_unit_test(test_bad_shapes),      cmocka_unit_test(test_not_gemma4v),
        cmocka_unit_test(test_refused_tensors), cmocka_unit_test(test_open_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
