/*
 * Developer tool (not built by CMake): llama.cpp's own tokenizer through its C API, for texts that
 * node strings cannot carry (invalid UTF-8). make_corpus.py uses it to freeze llama.cpp's answers
 * for the corpus' raw-byte entries. Build against a llama.cpp of the release node-llama-cpp ships
 * (its source is in the npm package, see docs/GEMMA4.md):
 *
 *   cc -O2 -I$LLAMA/include -I$LLAMA/ggml/include llama_ref_tok.c -L$LLAMA/build/bin -lllama \
 *      -Wl,-rpath,$LLAMA/build/bin -o llama_ref_tok
 *
 *   llama_ref_tok VOCAB.gguf tokenize [--add-special] [--no-special] < base64 lines > id lines
 *   llama_ref_tok VOCAB.gguf detokenize [--no-special] [--remove-special] < id lines > base64 lines
 *   llama_ref_tok VOCAB.gguf pieces|attrs|eog       one line per token / per end-of-generation id
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_decode(const char *s, char *out) {
    size_t m = 0;
    unsigned v = 0;
    int bits = 0;
    for (; *s; s++) {
        const char *c = strchr(b64, *s);
        if (!c) continue;
        v = v << 6 | (unsigned)(c - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[m++] = (char)(v >> bits & 0xFF);
        }
    }
    return m;
}

static void b64_print(const char *p, size_t n) {
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)p[i] << 16 | (i + 1 < n ? (unsigned)(unsigned char)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? (unsigned char)p[i + 2] : 0);
        putchar(b64[v >> 18 & 63]);
        putchar(b64[v >> 12 & 63]);
        putchar(i + 1 < n ? b64[v >> 6 & 63] : '=');
        putchar(i + 2 < n ? b64[v & 63] : '=');
    }
    putchar('\n');
}

static void quiet(enum ggml_log_level level, const char *text, void *user) {
    (void)level, (void)text, (void)user;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: llama_ref_tok VOCAB.gguf tokenize|detokenize|pieces|attrs|eog [flags]\n");
        return 2;
    }
    bool add_special = false, parse_special = true, remove_special = false;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--add-special")) add_special = true;
        if (!strcmp(argv[i], "--no-special")) parse_special = false;
        if (!strcmp(argv[i], "--remove-special")) remove_special = true;
    }
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        fprintf(stderr, "llama_ref_tok: cannot load %s\n", argv[1]);
        return 1;
    }
    const struct llama_vocab *v = llama_model_get_vocab(model);
    const char *mode = argv[2];
    int n_vocab = llama_vocab_n_tokens(v);
    if (!strcmp(mode, "pieces") || !strcmp(mode, "attrs") || !strcmp(mode, "eog")) {
        static char buf[1 << 16];
        for (llama_token t = 0; t < n_vocab; t++) {
            if (!strcmp(mode, "pieces")) {
                int k = llama_token_to_piece(v, t, buf, sizeof buf, 0, true);
                b64_print(buf, k < 0 ? 0 : (size_t)k);
            } else if (!strcmp(mode, "attrs")) {
                printf("%d\n", (int)llama_vocab_get_attr(v, t));
            } else if (llama_vocab_is_eog(v, t)) {
                printf("%d\n", t);
            }
        }
        llama_model_free(model);
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len && line[len - 1] == '\n') line[--len] = '\0';
        if (!strcmp(mode, "tokenize")) {
            char *text = malloc((size_t)len + 1);
            int n = (int)b64_decode(line, text);
            int max = 2 * n + 16;
            llama_token *ids = malloc(sizeof *ids * (size_t)max);
            int k = llama_tokenize(v, text, n, ids, max, add_special, parse_special);
            for (int i = 0; i < k; i++) printf(i ? " %d" : "%d", ids[i]);
            putchar('\n');
            free(ids);
            free(text);
        } else {
            int n = 0;
            llama_token *ids = malloc(sizeof *ids * ((size_t)len / 2 + 2));
            for (char *p = line, *end; *p; p = end) {
                long id = strtol(p, &end, 10);
                if (end == p) break;
                ids[n++] = (llama_token)id;
            }
            int max = 64 * n + 16;
            char *out = malloc((size_t)max);
            int k = llama_detokenize(v, ids, n, out, max, remove_special, parse_special);
            b64_print(out, k < 0 ? 0 : (size_t)k);
            free(out);
            free(ids);
        }
        fflush(stdout);
    }
    free(line);
    llama_model_free(model);
    return 0;
}
