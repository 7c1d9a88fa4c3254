/*
 * The low-level commands that mirror ../shared/oracle's llama-oracle.mjs, with the same JSON, for
 * debugging and differential tests against llama.cpp:
 *   tokenize -m MODEL [--no-special] TEXT         {"tokens":[...]}   (no BOS added)
 *   logits   -m MODEL --tokens 2,17,99 [--all]    {"n_vocab":V,"rows":[{"pos":i,"logits":[...]}]}
 *   greedy   -m MODEL --tokens 2,17,99 [-n 64]    {"tokens":[...]}   (stops at end-of-generation)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

typedef struct token_args {
    const char *model_path;
    const char *text;
    const char *tokens;
    bool no_special;
    bool all;
    long n_predict;
    int32_t n_ctx;
} token_args;

static int parse_token_args(const char *cmd, int argc, char **argv, token_args *a, const char *usage) {
    memset(a, 0, sizeof *a);
    a->n_predict = 16;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        long l;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf("%s", usage);
            return 0;
        } else if (!strcmp(arg, "-m") || !strcmp(arg, "--model")) {
            if (!(a->model_path = cli_flag_value(cmd, argc, argv, &i))) return 2;
        } else if (!strcmp(arg, "--tokens")) {
            if (!(a->tokens = cli_flag_value(cmd, argc, argv, &i))) return 2;
        } else if (!strcmp(arg, "--no-special")) {
            a->no_special = true;
        } else if (!strcmp(arg, "--all")) {
            a->all = true;
        } else if (!strcmp(arg, "-n")) {
            const char *v = cli_flag_value(cmd, argc, argv, &i);
            if (!v || !cli_parse_int(cmd, "-n", v, 1, 1 << 20, &a->n_predict)) return 2;
        } else if (!strcmp(arg, "-c") || !strcmp(arg, "--ctx")) {
            const char *v = cli_flag_value(cmd, argc, argv, &i);
            if (!v || !cli_parse_int(cmd, arg, v, 1, INT32_MAX, &l)) return 2;
            a->n_ctx = (int32_t)l;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "gemma4-cli %s: unknown option '%s'\n%s", cmd, arg, usage);
            return 2;
        } else if (!a->text) {
            a->text = arg;
        } else {
            fprintf(stderr, "gemma4-cli %s: unexpected argument '%s'\n", cmd, arg);
            return 2;
        }
    }
    if (!a->model_path) {
        fprintf(stderr, "gemma4-cli %s: -m MODEL.gguf is required\n%s", cmd, usage);
        return 2;
    }
    return -1; /* go on */
}

/* parse_token_args, then the --tokens list that logits and greedy require. */
static int parse_token_ids(const char *cmd, int argc, char **argv, token_args *a, const char *usage, int32_t **ids,
                           size_t *n) {
    int rc = parse_token_args(cmd, argc, argv, a, usage);
    if (rc >= 0) return rc;
    if (!a->tokens) {
        fprintf(stderr, "gemma4-cli %s: --tokens is required\n%s", cmd, usage);
        return 2;
    }
    return cli_parse_token_list(cmd, a->tokens, ids, n) ? -1 : 2;
}

static void print_ids(const int32_t *ids, size_t n) {
    printf("{\"tokens\":[");
    for (size_t i = 0; i < n; i++) printf(i ? ",%d" : "%d", (int)ids[i]);
    printf("]}\n");
}

int cli_tokenize(int argc, char **argv) {
    static const char usage[] = "usage: gemma4-cli tokenize -m MODEL.gguf [--no-special] TEXT\n"
                                "Prints {\"tokens\":[...]} for TEXT (no BOS added), as llama-oracle.mjs does.\n"
                                "--no-special: control tokens written as text (\"<turn|>\") are not matched.\n";
    token_args a;
    int rc = parse_token_args("tokenize", argc, argv, &a, usage);
    if (rc >= 0) return rc;
    if (!a.text) {
        fprintf(stderr, "gemma4-cli tokenize: TEXT is required\n%s", usage);
        return 2;
    }
    gemma4_model *m = cli_load_model("tokenize", a.model_path);
    if (!m) return 1;
    int32_t *ids = NULL;
    size_t n = 0;
    gemma4_status st = gemma4_tokenize(m, a.text, strlen(a.text), false, !a.no_special, &ids, &n);
    if (st != GEMMA4_OK) {
        char err[512];
        gemma4_model_errmsg(m, err, sizeof err);
        fprintf(stderr, "gemma4-cli tokenize: %s\n", err);
        gemma4_model_free(m);
        return 1;
    }
    print_ids(ids, n);
    gemma4_free(ids);
    gemma4_model_free(m);
    return 0;
}

/* A session sized for the given tokens, as the oracle sizes its context. */
static gemma4_session *open_session(const char *cmd, gemma4_model *m, size_t n_tokens, int32_t n_ctx, bool greedy) {
    gemma4_session_params sp = gemma4_session_default_params();
    sp.n_ctx = n_ctx > 0 ? n_ctx : (int32_t)(n_tokens + 64 > 256 ? n_tokens + 64 : 256);
    if (greedy) sp.sampling.temperature = 0.0f;
    gemma4_session *s = NULL;
    if (gemma4_session_new(m, &sp, &s) != GEMMA4_OK) {
        char err[512];
        gemma4_model_errmsg(m, err, sizeof err);
        fprintf(stderr, "gemma4-cli %s: %s\n", cmd, err);
        return NULL;
    }
    return s;
}

int cli_logits(int argc, char **argv) {
    static const char usage[] = "usage: gemma4-cli logits -m MODEL.gguf --tokens 2,17,99 [--all] [-c N_CTX]\n"
                                "Prints the raw logits after the last token (after every token with --all) as\n"
                                "{\"n_vocab\":V,\"rows\":[{\"pos\":i,\"logits\":[...]}]}, as llama-oracle.mjs does.\n";
    token_args a;
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = parse_token_ids("logits", argc, argv, &a, usage, &ids, &n);
    if (rc >= 0) return rc;
    gemma4_model *m = cli_load_model("logits", a.model_path);
    gemma4_session *s = m ? open_session("logits", m, n, a.n_ctx, true) : NULL;
    if (!s) {
        free(ids);
        gemma4_model_free(m);
        return 1;
    }
    int ret = 0;
    if (gemma4_eval(s, ids, n, a.all) != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli logits: %s\n", gemma4_session_errmsg(s));
        ret = 1;
    } else {
        int32_t n_vocab = gemma4_model_n_vocab(m);
        printf("{\"n_vocab\":%d,\"rows\":[", (int)n_vocab);
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            if (!a.all && i + 1 != n) continue;
            const float *row = gemma4_logits(s, (int32_t)i);
            printf("%s{\"pos\":%zu,\"logits\":[", first ? "" : ",", i);
            for (int32_t v = 0; v < n_vocab; v++) printf(v ? ",%.9g" : "%.9g", (double)row[v]);
            printf("]}");
            first = false;
        }
        printf("]}\n");
    }
    gemma4_session_free(s);
    gemma4_model_free(m);
    free(ids);
    return ret;
}

typedef struct collected {
    int32_t *ids;
    size_t n;
} collected;

static bool collect_token(void *user, int32_t token, const char *piece, size_t len) {
    (void)piece;
    (void)len;
    collected *c = user;
    if (token >= 0) c->ids[c->n++] = token; /* token -1 only carries held-back bytes at the end */
    return true;
}

int cli_greedy(int argc, char **argv) {
    static const char usage[] = "usage: gemma4-cli greedy -m MODEL.gguf --tokens 2,17,99 [-n 16] [-c N_CTX]\n"
                                "Prints the greedy continuation's token ids as {\"tokens\":[...]}; it stops at an\n"
                                "end-of-generation token (not printed), as llama-oracle.mjs does.\n";
    token_args a;
    int32_t *ids = NULL;
    size_t n = 0;
    int rc = parse_token_ids("greedy", argc, argv, &a, usage, &ids, &n);
    if (rc >= 0) return rc;
    gemma4_model *m = cli_load_model("greedy", a.model_path);
    gemma4_session *s = m ? open_session("greedy", m, n + (size_t)a.n_predict, a.n_ctx, true) : NULL;
    collected out = {malloc(sizeof(int32_t) * (size_t)a.n_predict), 0};
    int ret = 0;
    if (!s || !out.ids) {
        ret = 1;
    } else {
        gemma4_generate_params gp = {.max_tokens = (int32_t)a.n_predict, .on_token = collect_token, .user = &out};
        if (gemma4_generate(s, ids, n, &gp, NULL) != GEMMA4_OK) {
            fprintf(stderr, "gemma4-cli greedy: %s\n", gemma4_session_errmsg(s));
            ret = 1;
        } else {
            print_ids(out.ids, out.n);
        }
    }
    free(out.ids);
    gemma4_session_free(s);
    gemma4_model_free(m);
    free(ids);
    return ret;
}
