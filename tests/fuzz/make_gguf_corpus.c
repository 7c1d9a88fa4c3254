/*
 * Writes the seed corpus for fuzz_gguf: small valid files covering the format (every value type,
 * string arrays, nested arrays, several tensor types, a custom alignment, v2) and a few broken ones,
 * a few KB in all. Tensor data is zeros. The files have no .gguf suffix (the repository ignores *.gguf).
 *   make_gguf_corpus tests/fuzz/corpus/gguf
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf_writer.h"
#include "gguf_bytes.h"

static const char *g_dir;

static int save(const char *name, const void *data, size_t size) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
        fprintf(stderr, "make_gguf_corpus: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int save_writer(const char *name, g4_gguf_writer *w, void **keep, size_t *keep_size) {
    void *buf;
    size_t size;
    g4_error err = {0};
    if (g4_gguf_writer_write_memory(w, NULL, NULL, &buf, &size, &err) != GEMMA4_OK) {
        fprintf(stderr, "make_gguf_corpus: %s: %s\n", name, err.msg);
        g4_gguf_writer_free(w);
        return 1;
    }
    g4_gguf_writer_free(w);
    int rc = save(name, buf, size);
    if (keep) {
        *keep = buf;
        *keep_size = size;
    } else {
        free(buf);
    }
    return rc;
}

/* One key of every scalar type and two small f32 tensors. */
static g4_gguf_writer *small_model(void) {
    const int64_t ne_a[2] = {4, 2}, ne_b[1] = {8};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
    g4_gguf_writer_add_u8(w, "t.u8", 200);
    g4_gguf_writer_add_i8(w, "t.i8", -100);
    g4_gguf_writer_add_u16(w, "t.u16", 60000);
    g4_gguf_writer_add_i16(w, "t.i16", -30000);
    g4_gguf_writer_add_u32(w, "gemma4.block_count", 2);
    g4_gguf_writer_add_i32(w, "t.i32", -2);
    g4_gguf_writer_add_u64(w, "t.u64", 1ull << 40);
    g4_gguf_writer_add_i64(w, "t.i64", -(1ll << 40));
    g4_gguf_writer_add_f32(w, "gemma4.attention.layer_norm_rms_eps", 1e-6f);
    g4_gguf_writer_add_f64(w, "t.f64", 0.125);
    g4_gguf_writer_add_bool(w, "t.bool", true);
    g4_gguf_writer_add_tensor(w, "token_embd.weight", G4_TYPE_F32, 2, ne_a);
    g4_gguf_writer_add_tensor(w, "output_norm.weight", G4_TYPE_F32, 1, ne_b);
    return w;
}

/* Tokenizer-like arrays, per-layer arrays, quantized tensors and a 64-byte alignment. */
static g4_gguf_writer *tokenizer_model(void) {
    const char *toks[] = {"<pad>", "<eos>", "<bos>", "\xe2\x96\x81the", "<0x0A>", "a"};
    const float scores[] = {0, 0, 0, -1, -2, -3};
    const int32_t types[] = {3, 3, 3, 1, 6, 1};
    const uint32_t ff[2] = {64, 128};
    const char *merges[] = {"\xe2\x96\x81 t",
                            "h e",
                            "\xe2\x96\x81 a",
                            "\xe2\x96\x81t he",
                            "i n",
                            "e r",
                            "a n",
                            "o n",
                            "r e",
                            "e n",
                            "a t",
                            "o r"};
    const bool swa[2] = {true, false};
    const int64_t ne_q4[2] = {32, 2}, ne_q8[1] = {64}, ne_k[1] = {256};
    g4_gguf_writer *w = g4_gguf_writer_new();
    g4_gguf_writer_add_str(w, "general.architecture", "gemma4");
    g4_gguf_writer_set_alignment(w, 64);
    g4_gguf_writer_add_str(w, "tokenizer.ggml.model", "gemma4");
    g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.tokens", toks, 6);
    g4_gguf_writer_add_arr(w, "tokenizer.ggml.scores", G4_GGUF_FLOAT32, scores, 6);
    g4_gguf_writer_add_arr(w, "tokenizer.ggml.token_type", G4_GGUF_INT32, types, 6);
    g4_gguf_writer_add_arr_str(w, "tokenizer.ggml.merges", merges, 12);
    g4_gguf_writer_add_arr(w, "gemma4.feed_forward_length", G4_GGUF_UINT32, ff, 2);
    g4_gguf_writer_add_arr(w, "gemma4.attention.sliding_window_pattern", G4_GGUF_BOOL, swa, 2);
    g4_gguf_writer_add_tensor(w, "blk.0.attn_q.weight", G4_TYPE_Q4_0, 2, ne_q4);
    g4_gguf_writer_add_tensor(w, "blk.0.ffn_up.weight", G4_TYPE_Q8_0, 1, ne_q8);
    g4_gguf_writer_add_tensor(w, "blk.1.ffn_down.weight", G4_TYPE_Q4_K, 1, ne_k);
    return w;
}

/* Arrays of arrays, which the writer has no call for. */
static void nested_arrays(gb *b) {
    gb_header(b, 3, 0, 2);
    gb_str(b, "nested");
    gb_u32(b, GB_ARRAY);
    gb_u32(b, GB_ARRAY);
    gb_u64(b, 2);
    gb_u32(b, GB_I16);
    gb_u64(b, 2);
    gb_le(b, 0xfffe, 2);
    gb_le(b, 7, 2);
    gb_u32(b, GB_STRING);
    gb_u64(b, 1);
    gb_str(b, "s");
    gb_kv_str(b, "general.name", "nested");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_gguf_corpus OUT_DIR\n");
        return 2;
    }
    g_dir = argv[1];
    int rc = 0;
    void *small;
    size_t small_size;
    gb b = {0};

    gb_header(&b, 3, 0, 0);
    rc |= save("valid_empty", b.p, b.len);
    gb_free(&b);

    rc |= save_writer("valid_small", small_model(), &small, &small_size);
    rc |= save_writer("valid_tokenizer", tokenizer_model(), NULL, NULL);

    uint8_t *v2 = malloc(small_size);
    memcpy(v2, small, small_size);
    v2[4] = 2;
    rc |= save("valid_v2", v2, small_size);
    free(v2);

    nested_arrays(&b);
    rc |= save("valid_nested", b.p, b.len);
    gb_free(&b);

    rc |= save("broken_truncated", small, small_size / 2);
    uint8_t *bad = malloc(small_size);
    memcpy(bad, small, small_size);
    bad[4] = 1;
    rc |= save("broken_v1", bad, small_size);
    memcpy(bad, small, small_size);
    memset(bad + 8, 0xff, 8); /* tensor count 2^64-1 */
    rc |= save("broken_count", bad, small_size);
    free(bad);

    const int64_t ne[1] = {8};
    gb_header(&b, 3, 1, 0);
    gb_tensor(&b, "misaligned", 1, ne, 0, 8);
    gb_pad(&b, 32);
    gb_zeros(&b, 64);
    rc |= save("broken_misaligned", b.p, b.len);
    gb_free(&b);

    free(small);
    return rc;
}
