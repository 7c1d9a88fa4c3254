/*
 * The low-level commands that mirror ../shared/oracle's llama-oracle.mjs, with the same JSON, for
 * debugging and differential tests against llama.cpp:
 *   tokenize -m MODEL [--no-special] TEXT         {"tokens":[...]}   (no BOS added; -f FILE, -- -TEXT)
 *   logits   -m MODEL --tokens 2,17,99 [--all]    {"n_vocab":V,"rows":[{"pos":i,"logits":[...]}]}
 *   greedy   -m MODEL --tokens 2,17,99 [-n 64]    {"tokens":[...]}   (stops at end-of-generation)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "files.h"

typedef struct token_args {
    const char *model_path;
    const char *tokens;
    bool all;
    long n_predict;
    int32_t n_ctx;
} token_args;

/* The arguments of logits (--all) and greedy (-n), which both take a --tokens list. Returns -1 to go
 * on with *ids, or the exit code (0 after --help). */
static int parse_token_ids(const char *cmd, int argc, char **argv, const char *usage, token_args *t, int32_t **ids,
                           size_t *n) {
    bool greedy = !strcmp(cmd, "greedy");
    memset(t, 0, sizeof *t);
    t->n_predict = 16;
    cli_args a = cli_args_start(cmd, argc, argv);
    const char *arg;
    long l;
    while (cli_args_next(&a, &arg) == CLI_ARG_OPTION) {
        if (cli_args_is(&a, "-h", "--help")) {
            printf("%s", usage);
            return 0;
        } else if (cli_args_is(&a, "-m", "--model")) {
            if (!(t->model_path = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--tokens")) {
            if (!(t->tokens = cli_args_value(&a))) return 2;
        } else if (!greedy && cli_args_is(&a, NULL, "--all")) {
            t->all = true;
        } else if (greedy && cli_args_is(&a, "-n", "--n-predict")) {
            if (!cli_args_int(&a, 1, 1 << 20, &t->n_predict)) return 2;
        } else if (cli_args_is(&a, "-c", "--ctx")) {
            if (!cli_args_int(&a, 1, INT32_MAX, &l)) return 2;
            t->n_ctx = (int32_t)l;
        } else {
            return cli_args_reject(&a);
        }
    }
    if (arg) return cli_args_reject(&a); /* neither command takes a positional argument */
    if (!t->tokens) return cli_usage_error(cmd, "--tokens is required");
    int rc = cli_check_model_path(cmd, t->model_path);
    if (rc) return rc;
    return cli_parse_token_list(cmd, t->tokens, ids, n) ? -1 : 2;
}

static void print_ids(const int32_t *ids, size_t n) {
    printf("{\"tokens\":[");
    for (size_t i = 0; i < n; i++) printf(i ? ",%d" : "%d", (int)ids[i]);
    printf("]}\n");
}

int cli_tokenize(int argc, char **argv) {
    static const char usage[] =
        "usage: gemma4-cli tokenize -m MODEL.gguf [--no-special] (TEXT | -f FILE | -f -)\n"
        "Prints {\"tokens\":[...]} for TEXT (no BOS added), as llama-oracle.mjs does.\n"
        "  -f, --file FILE  tokenize the bytes of FILE (- for standard input) instead of TEXT\n"
        "  --no-special     control tokens written as text (\"<turn|>\") are not matched\n"
        "  --               ends the options: a TEXT that starts with '-' goes after it (-- -42)\n";
    const char *model_path = NULL, *text = NULL, *file = NULL;
    bool no_special = false;
    cli_args a = cli_args_start("tokenize", argc, argv);
    const char *arg;
    cli_arg_kind kind;
    while ((kind = cli_args_next(&a, &arg)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL) {
            if (text) return cli_args_reject(&a);
            text = arg;
        } else if (cli_args_is(&a, "-h", "--help")) {
            printf("%s", usage);
            return 0;
        } else if (cli_args_is(&a, "-m", "--model")) {
            if (!(model_path = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, "-f", "--file")) {
            if (!(file = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--no-special")) {
            no_special = true;
        } else {
            return cli_args_reject(&a);
        }
    }
    if (!text && !file) return cli_usage_error("tokenize", "TEXT or -f FILE is required");
    if (text && file) return cli_usage_error("tokenize", "give TEXT or -f FILE, not both");
    int rc = cli_check_model_path("tokenize", model_path);
    if (rc) return rc;
    size_t len = text ? strlen(text) : 0;
    char *file_text = NULL;
    if (file && !(text = file_text = cli_read_file("tokenize", "-f", file, &len))) return 1;

    gemma4_model *m = cli_load_model("tokenize", model_path);
    if (!m) {
        free(file_text);
        return 1;
    }
    int32_t *ids = NULL;
    size_t n = 0;
    char err[512];
    gemma4_status st = gemma4_tokenize(m, text, len, false, !no_special, &ids, &n, err, sizeof err);
    if (st != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli tokenize: %s\n", err);
    } else {
        print_ids(ids, n);
    }
    gemma4_free(ids);
    gemma4_model_free(m);
    free(file_text);
    return st == GEMMA4_OK ? 0 : 1;
}

/* A session sized for the given tokens, as the oracle sizes its context. */
static gemma4_session *open_session(const char *cmd, gemma4_model *m, size_t n_tokens, int32_t n_ctx, bool greedy) {
    gemma4_session_params sp = gemma4_session_default_params();
    sp.n_ctx = n_ctx > 0 ? n_ctx : (int32_t)(n_tokens + 64 > 256 ? n_tokens + 64 : 256);
    gemma4_sampling greedy_sampling = gemma4_sampling_default_params();
    greedy_sampling.temperature = 0.0f;
    if (greedy) sp.sampling = &greedy_sampling;
    gemma4_session *s = NULL;
    char err[512];
    if (gemma4_session_new(m, &sp, &s, err, sizeof err) != GEMMA4_OK) {
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
    int rc = parse_token_ids("logits", argc, argv, usage, &a, &ids, &n);
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
    int rc = parse_token_ids("greedy", argc, argv, usage, &a, &ids, &n);
    if (rc >= 0) return rc;
    gemma4_model *m = cli_load_model("greedy", a.model_path);
    gemma4_session *s = m ? open_session("greedy", m, n + (size_t)a.n_predict, a.n_ctx, true) : NULL;
    collected out = {malloc(sizeof(int32_t) * (size_t)a.n_predict), 0};
    int ret = 0;
    if (!s || !out.ids) {
        ret = 1;
    } else {
        gemma4_generate_params gp = gemma4_generate_default_params();
        gp.max_tokens = (int32_t)a.n_predict;
        gp.on_token = collect_token;
        gp.user = &out;
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
