/*
 * g4_logits: libgemma4's side of the llama.cpp differential test. Prints the logits of a token
 * sequence as the same JSON that `llama-oracle.mjs MODEL logits TOKENS [--all]` prints:
 *   {"n_vocab": V, "rows": [{"pos": i, "logits": [...]}, ...]}
 *
 *   g4_logits MODEL.gguf TOKENS [--all] [--positions P,...] [--batch N] [--kv f16|q8_0|f32] [--threads N] [--ctx N]
 *             [--kernels scalar|avx2|neon|neon-dotprod]
 *
 * TOKENS is a comma-separated list, or @FILE holding one. Without --all only the last position's
 * row is printed; --positions P1,P2,... prints just those rows (big vocabularies make --all huge). The whole prompt is
 * evaluated in one call (split into micro-batches of --batch, default 64); --batch 1 makes it a token-by-token decode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "gguf/gguf.h"
#include "kernels/dispatch.h"
#include "model/forward.h"
#include "model/model.h"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

static int32_t *parse_tokens(const char *s, int *n_out) {
    int cap = 1024, n = 0;
    int32_t *t = malloc(sizeof *t * (size_t)cap);
    while (t && *s) {
        while (*s == ',' || *s == ' ' || *s == '\n' || *s == '[' || *s == ']') s++;
        if (!*s) break;
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || errno) {
            free(t);
            return NULL;
        }
        if (n == cap) {
            int32_t *g = realloc(t, sizeof *t * (size_t)(cap *= 2));
            if (!g) {
                free(t);
                return NULL;
            }
            t = g;
        }
        t[n++] = (int32_t)v;
        s = end;
    }
    *n_out = n;
    return t;
}

static int usage(void) {
    fprintf(stderr,
            "usage: g4_logits MODEL.gguf TOKENS|@FILE [--all] [--positions P,...] [--batch N] [--kv f16|q8_0|f32] "
            "[--threads N] [--ctx N] [--kernels NAME]\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    bool all = false;
    const char *positions = NULL;
    g4_ctx_params p = g4_ctx_default_params();
    int n_threads = 1;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--all") == 0) {
            all = true;
        } else if (strcmp(a, "--positions") == 0 && v) {
            positions = v, all = true, i++;
        } else if (strcmp(a, "--batch") == 0 && v) {
            p.n_batch = atoi(v), i++;
        } else if (strcmp(a, "--threads") == 0 && v) {
            n_threads = atoi(v), i++;
        } else if (strcmp(a, "--ctx") == 0 && v) {
            p.n_ctx = atoi(v), i++;
        } else if (strcmp(a, "--kernels") == 0 && v) {
            p.kernels = g4_kernels_by_name(v);
            if (!p.kernels) {
                fprintf(stderr, "g4_logits: kernel table '%s' is not available here\n", v);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--kv") == 0 && v) {
            if (!g4_type_from_name(v, &p.kv_type)) return usage();
            i++;
        } else {
            return usage();
        }
    }

    char *text = argv[2][0] == '@' ? slurp(argv[2] + 1) : strdup(argv[2]);
    int n = 0;
    int32_t *tokens = text ? parse_tokens(text, &n) : NULL;
    free(text);
    if (!tokens || n < 1) {
        fprintf(stderr, "g4_logits: cannot read the tokens\n");
        return 2;
    }

    g4_error err = {0};
    g4_gguf *f = NULL;
    g4_model *m = NULL;
    g4_ctx *c = NULL;
    g4_pool *pool = n_threads > 1 ? g4_pool_new(n_threads) : NULL;
    float *logits = NULL;
    int rc = 1;
    if (g4_gguf_open(argv[1], &f, &err) != GEMMA4_OK || g4_model_load(f, &m, &err) != GEMMA4_OK) goto done;
    if (p.n_ctx == 0) p.n_ctx = n + 64 < (int)m->hp.n_ctx_train ? n + 64 : (int)m->hp.n_ctx_train;
    p.pool = pool;
    if (g4_ctx_new(m, &p, &c, &err) != GEMMA4_OK) goto done;
    const size_t V = m->hp.n_vocab;
    logits = malloc(sizeof(float) * V * (all ? (size_t)n : 1));
    if (!logits) {
        snprintf(err.msg, sizeof err.msg, "out of memory");
        goto done;
    }
    if (g4_forward_tokens(c, tokens, n, logits, all, &err) != GEMMA4_OK) goto done;

    int n_pick = 0;
    int32_t *pick = positions ? parse_tokens(positions, &n_pick) : NULL;
    printf("{\"n_vocab\":%zu,\"rows\":[", V);
    bool first = true;
    for (int r = 0; r < (all ? n : 1); r++) {
        bool wanted = !positions;
        for (int j = 0; j < n_pick; j++) wanted |= pick[j] == r;
        if (!wanted) continue;
        printf("%s{\"pos\":%d,\"logits\":[", first ? "" : ",", all ? r : n - 1);
        for (size_t i = 0; i < V; i++) printf("%s%.9g", i ? "," : "", (double)logits[(size_t)r * V + i]);
        printf("]}");
        first = false;
    }
    printf("]}\n");
    free(pick);
    rc = 0;
done:
    if (rc) fprintf(stderr, "g4_logits: %s\n", err.msg);
    free(logits);
    free(tokens);
    g4_ctx_free(c);
    g4_model_free(m);
    g4_gguf_close(f);
    g4_pool_free(pool);
    return rc;
}
