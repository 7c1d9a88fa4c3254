/*
 * g4_tiny: writes a small Gemma 4 GGUF (tests/unit/test_model_tiny.h) for the llama.cpp
 * differential runs, shaped like E2B in miniature: sliding and global layers with different head
 * sizes, GQA, KV sharing, per-layer embeddings, proportional RoPE, softcap.
 *
 *   g4_tiny OUT.gguf [--wtype f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1] [--embd-type T] [--swa N]
 *                    [--layers N] [--shared N] [--period N] [--epl N] [--softcap X] [--seed N] [--tied] [--no-attn-v]
 *                    [--small]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_model_tiny.h"

static int usage(void) {
    fprintf(stderr, "usage: g4_tiny OUT.gguf [--wtype T] [--embd-type T] [--swa N] [--layers N] [--shared N] "
                    "[--period N] [--epl N] [--softcap X] [--seed N] [--tied] [--no-attn-v] [--small]\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    tiny_cfg c = tiny_default();
    /* 9 layers [S S G S S G | S S G], the last 3 sharing the KV of layers 4 (S) and 5 (G) */
    c.n_layer = 9;
    c.n_shared = 3;
    c.swa_period = 3;
    c.n_embd = 256;
    c.n_vocab = 1024;
    c.n_ctx_train = 4096;
    c.n_epl = 64;
    c.n_head = 4;
    c.n_head_kv = 2;
    c.head_dim = 128;
    c.head_dim_swa = 64;
    c.n_swa = 128;
    c.n_ff = 512;
    c.n_ff_shared = 1024;
    c.rot_pairs_global = 16; /* a quarter of the 64 pairs, as E2B's partial_rotary_factor 0.25 */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if ((strcmp(a, "--wtype") == 0 || strcmp(a, "--embd-type") == 0) && v) {
            g4_type t;
            if (!g4_type_from_name(v, &t)) return usage();
            if (strcmp(a, "--wtype") == 0) {
                c.wtype = t;
            } else {
                c.embd_type = t;
            }
            i++;
        } else if (strcmp(a, "--swa") == 0 && v) {
            c.n_swa = (uint32_t)atoi(v);
            i++;
        } else if (strcmp(a, "--layers") == 0 && v) {
            c.n_layer = (uint32_t)atoi(v);
            i++;
        } else if (strcmp(a, "--shared") == 0 && v) {
            c.n_shared = (uint32_t)atoi(v);
            i++;
        } else if (strcmp(a, "--period") == 0 && v) {
            c.swa_period = (uint32_t)atoi(v);
            i++;
        } else if (strcmp(a, "--epl") == 0 && v) {
            c.n_epl = (uint32_t)atoi(v);
            i++;
        } else if (strcmp(a, "--post-norm") == 0 && v) {
            c.post_norm = (float)atof(v);
            i++;
        } else if (strcmp(a, "--softcap") == 0 && v) {
            c.softcap = (float)atof(v);
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            c.seed = strtoull(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--tied") == 0) {
            c.tied = true;
        } else if (strcmp(a, "--no-attn-v") == 0) {
            c.no_attn_v = true;
        } else if (strcmp(a, "--small") == 0) { /* the unit tests' model */
            tiny_cfg d = tiny_default();
            d.wtype = c.wtype;
            d.embd_type = c.embd_type;
            d.seed = c.seed;
            c = d;
        } else {
            return usage();
        }
    }
    g4_error err = {0};
    if (tiny_write(&c, argv[1], NULL, NULL, &err) != GEMMA4_OK) {
        fprintf(stderr, "g4_tiny: %s\n", err.msg);
        return 1;
    }
    return 0;
}
