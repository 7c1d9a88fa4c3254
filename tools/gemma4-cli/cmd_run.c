/*
 * gemma4-cli run: one prompt in, the model's answer streamed out.
 * Chat-formatted (system + user turn, generation prompt) unless --raw, where the prompt text is
 * tokenized as it is (with <bos>) and continued. Timing goes to stderr so stdout holds the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"

static const char k_usage[] =
    "usage: gemma4-cli run -m MODEL.gguf (-p PROMPT | -f FILE) [options]\n"
    "  -n N                 generate at most N tokens (default: until the turn ends or the context is full)\n"
    "  --system TEXT        a system prompt\n"
    "  --think              let the model think first; the thought is not printed unless --show-thinking\n"
    "  --show-thinking      print the thought channel too (to stdout, before the answer)\n"
    "  --raw                no chat format: continue PROMPT as plain text (special tokens are parsed)\n"
    "  --no-stats           do not print timing to stderr\n";

double cli_now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool print_piece(void *user, int32_t token, const char *piece, size_t len) {
    (void)user;
    (void)token;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return true;
}

void cli_print_stats(double load_seconds, const gemma4_generate_stats *st) {
    fprintf(stderr, "\n\nload: %.2f s | prompt: %d tokens, %.2f s, %.1f tok/s | generation: %d tokens, %.2f s, %.1f tok/s\n",
            load_seconds, st->n_prompt, st->prompt_seconds,
            st->prompt_seconds > 0 ? st->n_prompt / st->prompt_seconds : 0.0, st->n_generated, st->generate_seconds,
            st->generate_seconds > 0 ? st->n_generated / st->generate_seconds : 0.0);
    if (st->stop_reason == 3) fprintf(stderr, "stopped: the context is full (raise it with -c)\n");
}

int cli_run(int argc, char **argv) {
    const char *model_path = NULL, *prompt = NULL, *prompt_file = NULL, *system = NULL;
    bool think = false, show_thinking = false, raw = false, stats = true;
    long n_predict = 0;
    gemma4_session_params sp = gemma4_session_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_parse_session_flag("run", argc, argv, &i, &sp);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("%s%s", k_usage, cli_session_flags_help);
            return 0;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (!(model_path = cli_flag_value("run", argc, argv, &i))) return 2;
        } else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) {
            if (!(prompt = cli_flag_value("run", argc, argv, &i))) return 2;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--file")) {
            if (!(prompt_file = cli_flag_value("run", argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--system")) {
            if (!(system = cli_flag_value("run", argc, argv, &i))) return 2;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) {
            const char *v = cli_flag_value("run", argc, argv, &i);
            if (!v || !cli_parse_int("run", a, v, 0, INT32_MAX, &n_predict)) return 2;
        } else if (!strcmp(a, "--think")) {
            think = true;
        } else if (!strcmp(a, "--show-thinking")) {
            show_thinking = true;
        } else if (!strcmp(a, "--raw")) {
            raw = true;
        } else if (!strcmp(a, "--no-stats")) {
            stats = false;
        } else {
            fprintf(stderr, "gemma4-cli run: unknown option '%s'\n%s", a, k_usage);
            return 2;
        }
    }
    char *file_text = NULL;
    if (prompt_file) {
        if (!(file_text = cli_read_file("run", prompt_file, NULL))) return 1;
        prompt = file_text;
    }
    if (!prompt) {
        fprintf(stderr, "gemma4-cli run: a prompt is required (-p TEXT or -f FILE)\n%s", k_usage);
        return 2;
    }

    double t0 = cli_now_seconds();
    gemma4_model *m = cli_load_model("run", model_path);
    if (!m) {
        free(file_text);
        return 1;
    }
    double load_seconds = cli_now_seconds() - t0;
    gemma4_session *s = NULL;
    if (gemma4_session_new(m, &sp, &s) != GEMMA4_OK) {
        char err[512];
        gemma4_model_errmsg(m, err, sizeof err);
        fprintf(stderr, "gemma4-cli run: %s\n", err);
        gemma4_model_free(m);
        free(file_text);
        return 1;
    }

    gemma4_generate_stats st = {0};
    gemma4_generate_params gp = {.max_tokens = (int32_t)n_predict, .on_token = print_piece};
    gemma4_status status;
    if (raw) {
        int32_t *ids = NULL;
        size_t n = 0;
        status = gemma4_tokenize(m, prompt, strlen(prompt), true, true, &ids, &n);
        if (status == GEMMA4_OK) status = gemma4_generate(s, ids, n, &gp, &st);
        gemma4_free(ids);
    } else {
        gemma4_chat_message msgs[2];
        size_t n_msgs = 0;
        if (system) msgs[n_msgs++] = (gemma4_chat_message){"system", system};
        msgs[n_msgs++] = (gemma4_chat_message){"user", prompt};
        gemma4_chat_params cp = {.enable_thinking = think, .show_thinking = show_thinking, .generate = gp};
        status = gemma4_chat(s, msgs, n_msgs, &cp, NULL, NULL, &st);
    }
    int ret = 0;
    if (status != GEMMA4_OK) {
        char err[512];
        const char *msg = gemma4_session_errmsg(s);
        if (!msg || !*msg) {
            gemma4_model_errmsg(m, err, sizeof err);
            msg = err;
        }
        fprintf(stderr, "\ngemma4-cli run: %s\n", msg);
        ret = 1;
    } else {
        if (stats) cli_print_stats(load_seconds, &st);
        else printf("\n");
    }
    gemma4_session_free(s);
    gemma4_model_free(m);
    free(file_text);
    return ret;
}
