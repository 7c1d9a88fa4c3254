/*
 * Test driver for the tokenizer oracle comparison (run.mjs): loads a vocabulary from a GGUF and
 * tokenizes / detokenizes a batch given as JSON, printing JSON. Texts travel as base64 so that any
 * byte sequence (invalid UTF-8 included) reaches the tokenizer unchanged.
 *
 *   tok_driver VOCAB.gguf tokenize TEXTS.json [--no-special] [--add-special]
 *       TEXTS.json: ["<base64>", ...]          prints {"tokens": [[id, ...], ...]}
 *   tok_driver VOCAB.gguf detokenize IDS.json [--no-special] [--remove-special]
 *       IDS.json:   [[id, ...], ...]           prints {"b64": ["<base64>", ...]}
 *   tok_driver VOCAB.gguf pieces               prints {"b64": [piece of every id, special = true]}
 *   tok_driver VOCAB.gguf info                 prints counts, special ids, the EOG set, load time
 *   tok_driver VOCAB.gguf bench FILE           tokenizes FILE (raw bytes) and prints timings
 *
 * Detokenize defaults to what the oracle's model.detokenize(ids, true) does: remove_special off,
 * unparse_special on (--no-special turns the latter off).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gguf/gguf.h"
#include "text/detokenizer.h"
#include "text/tokenizer.h"
#include "text/vocab.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *p, size_t n) {
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = b64_chars[v >> 18 & 63];
        *o++ = b64_chars[v >> 12 & 63];
        *o++ = i + 1 < n ? b64_chars[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64_chars[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static unsigned char *b64_decode(const char *s, size_t *n) {
    *n = 0;
    size_t len = strlen(s);
    unsigned char *out = malloc(len / 4 * 3 + 3);
    if (!out) return NULL;
    size_t m = 0;
    unsigned v = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        const char *c = strchr(b64_chars, s[i]);
        if (!c || !s[i]) continue; /* '=' and anything else ends no group early */
        v = v << 6 | (unsigned)(c - b64_chars);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[m++] = (unsigned char)(v >> bits & 0xFF);
        }
    }
    *n = m;
    return out;
}

static char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[sz] = '\0';
    if (n) *n = (size_t)sz;
    return buf;
}

static int die(const char *what, const g4_error *err) {
    fprintf(stderr, "tok_driver: %s: %s\n", what, err ? err->msg : "");
    return 1;
}

static bool has_flag(int argc, char **argv, const char *flag) {
    for (int i = 3; i < argc; i++)
        if (strcmp(argv[i], flag) == 0) return true;
    return false;
}

static int cmd_tokenize(const g4_vocab *v, cJSON *in, bool parse_special, bool add_special) {
    cJSON *all = cJSON_CreateArray();
    cJSON *item;
    g4_error err = {0};
    cJSON_ArrayForEach(item, in) {
        size_t n = 0;
        unsigned char *bytes = b64_decode(cJSON_GetStringValue(item) ? cJSON_GetStringValue(item) : "", &n);
        int32_t *ids;
        size_t n_ids;
        if (g4_tokenize_alloc(v, (const char *)bytes, n, add_special, parse_special, &ids, &n_ids, &err) != GEMMA4_OK)
            return die("tokenize", &err);
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n_ids; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(ids[i]));
        cJSON_AddItemToArray(all, arr);
        free(ids);
        free(bytes);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "tokens", all);
    char *s = cJSON_PrintUnformatted(root);
    puts(s);
    free(s);
    cJSON_Delete(root);
    return 0;
}

static int cmd_detokenize(const g4_vocab *v, cJSON *in, bool unparse_special, bool remove_special) {
    cJSON *all = cJSON_CreateArray();
    cJSON *seq;
    g4_error err = {0};
    cJSON_ArrayForEach(seq, in) {
        int n = cJSON_GetArraySize(seq);
        int32_t *ids = malloc(sizeof *ids * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++) ids[i] = (int32_t)cJSON_GetArrayItem(seq, i)->valuedouble;
        char *text;
        size_t len;
        if (g4_detokenize_alloc(v, ids, (size_t)n, remove_special, unparse_special, &text, &len, &err) != GEMMA4_OK)
            return die("detokenize", &err);
        char *b = b64_encode((const unsigned char *)text, len);
        cJSON_AddItemToArray(all, cJSON_CreateString(b));
        free(b);
        free(text);
        free(ids);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "b64", all);
    char *s = cJSON_PrintUnformatted(root);
    puts(s);
    free(s);
    cJSON_Delete(root);
    return 0;
}

static int cmd_pieces(const g4_vocab *v) {
    fputs("{\"b64\":[", stdout);
    for (int32_t id = 0; id < g4_vocab_n_tokens(v); id++) {
        size_t len;
        const char *p = g4_token_piece(v, id, true, &len);
        char *b = b64_encode((const unsigned char *)p, len);
        printf("%s\"%s\"", id ? "," : "", b);
        free(b);
    }
    puts("]}");
    return 0;
}

static int cmd_info(const g4_vocab *v, double open_ms, double vocab_ms) {
    static const char *const roles[G4_SPECIAL_COUNT] = {"bos",     "eos",     "eot",     "eom",     "unk",
                                                        "sep",     "pad",     "mask",    "fim_pre", "fim_suf",
                                                        "fim_mid", "fim_pad", "fim_rep", "fim_sep"};
    printf("{\"n_tokens\":%d,\"n_merges\":%d,\"gguf_open_ms\":%.2f,\"vocab_load_ms\":%.2f,\"add_bos\":%s,"
           "\"add_eos\":%s",
           g4_vocab_n_tokens(v), g4_vocab_n_merges(v), open_ms, vocab_ms, g4_vocab_add_bos(v) ? "true" : "false",
           g4_vocab_add_eos(v) ? "true" : "false");
    for (int r = 0; r < G4_SPECIAL_COUNT; r++) printf(",\"%s\":%d", roles[r], g4_vocab_special(v, (g4_special)r));
    printf(",\"eog\":[");
    for (int32_t i = 0; i < g4_vocab_n_eog(v); i++) printf("%s%d", i ? "," : "", g4_vocab_eog_at(v, i));
    printf("],\"attrs\":[");
    for (int32_t id = 0; id < g4_vocab_n_tokens(v); id++) printf("%s%u", id ? "," : "", g4_vocab_attr(v, id));
    puts("]}");
    return 0;
}

static int cmd_bench(const g4_vocab *v, const char *path) {
    size_t n;
    char *text = read_all(path, &n);
    if (!text) return die("cannot read the bench file", NULL);
    g4_error err = {0};
    int32_t *ids = NULL;
    size_t n_ids = 0;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        free(ids);
        double t0 = now_ms();
        if (g4_tokenize_alloc(v, text, n, true, true, &ids, &n_ids, &err) != GEMMA4_OK) return die("tokenize", &err);
        double dt = now_ms() - t0;
        if (dt < best) best = dt;
    }
    char *back;
    size_t back_len;
    double t0 = now_ms();
    if (g4_detokenize_alloc(v, ids, n_ids, true, true, &back, &back_len, &err) != GEMMA4_OK)
        return die("detokenize", &err);
    double detok_ms = now_ms() - t0;
    printf("{\"bytes\":%zu,\"tokens\":%zu,\"tokenize_ms\":%.3f,\"mb_per_s\":%.2f,\"detokenize_ms\":%.3f}\n", n, n_ids,
           best, n / 1e3 / best, detok_ms);
    free(back);
    free(ids);
    free(text);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: tok_driver VOCAB.gguf tokenize|detokenize|pieces|info|bench ARG [flags]\n");
        return 2;
    }
    g4_error err = {0};
    g4_gguf *f;
    double t0 = now_ms();
    if (g4_gguf_open(argv[1], &f, &err) != GEMMA4_OK) return die("open", &err);
    double open_ms = now_ms() - t0;
    g4_vocab *v;
    if (g4_vocab_load(f, &v, &err) != GEMMA4_OK) return die("load vocab", &err);
    double load_ms = now_ms() - t0;
    double vocab_ms = load_ms - open_ms;
    g4_gguf_close(f);

    const char *cmd = argv[2];
    int rc;
    if (strcmp(cmd, "pieces") == 0) {
        rc = cmd_pieces(v);
    } else if (strcmp(cmd, "info") == 0) {
        rc = cmd_info(v, open_ms, vocab_ms);
    } else if (argc < 4) {
        fprintf(stderr, "tok_driver: %s needs an argument\n", cmd);
        rc = 2;
    } else if (strcmp(cmd, "bench") == 0) {
        rc = cmd_bench(v, argv[3]);
    } else {
        char *json = read_all(argv[3], NULL);
        cJSON *in = json ? cJSON_Parse(json) : NULL;
        free(json);
        if (!cJSON_IsArray(in)) {
            fprintf(stderr, "tok_driver: %s is not a JSON array\n", argv[3]);
            rc = 2;
        } else if (strcmp(cmd, "tokenize") == 0) {
            rc = cmd_tokenize(v, in, !has_flag(argc, argv, "--no-special"), has_flag(argc, argv, "--add-special"));
        } else if (strcmp(cmd, "detokenize") == 0) {
            rc = cmd_detokenize(v, in, !has_flag(argc, argv, "--no-special"), has_flag(argc, argv, "--remove-special"));
        } else {
            fprintf(stderr, "tok_driver: unknown command %s\n", cmd);
            rc = 2;
        }
        cJSON_Delete(in);
    }
    g4_vocab_free(v);
    return rc;
}
