/*
 * gemma4-cli chat: an interactive multi-turn conversation. The session's KV cache is kept across
 * turns (gemma4_chat only evaluates what is new). Ctrl-C stops the answer being written, not the
 * program; /reset starts over, /exit (or Ctrl-D) quits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig) {
    (void)sig;
    g_interrupted = 1;
}

static bool print_piece(void *user, int32_t token, const char *piece, size_t len) {
    (void)user;
    (void)token;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return !g_interrupted;
}

typedef struct history {
    gemma4_chat_message *msgs;
    size_t n, cap;
} history;

static bool history_push(history *h, const char *role, const char *content) {
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        gemma4_chat_message *grown = realloc(h->msgs, cap * sizeof *grown);
        if (!grown) return false;
        h->msgs = grown;
        h->cap = cap;
    }
    char *copy = strdup(content);
    if (!copy) return false;
    h->msgs[h->n++] = (gemma4_chat_message){role, copy};
    return true;
}

static void history_clear(history *h, size_t keep) {
    while (h->n > keep) free((char *)h->msgs[--h->n].content);
}

/* Reads one line of any length; NULL at end of input. */
static char *read_line(FILE *in) {
    size_t cap = 256, n = 0;
    char *buf = malloc(cap);
    int c;
    while (buf && (c = fgetc(in)) != EOF) {
        if (c == '\n') break;
        if (n + 1 == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
        }
        buf[n++] = (char)c;
    }
    if (!buf || (c == EOF && n == 0)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int cli_chat(int argc, char **argv) {
    static const char usage[] = "usage: gemma4-cli chat -m MODEL.gguf [--system TEXT] [--think] [--show-thinking] [-n N] [options]\n"
                                "Type a message and press Enter. /reset forgets the conversation, /exit quits.\n"
                                "  -n N   answer with at most N tokens (default: until the turn ends)\n";
    const char *model_path = NULL, *system = NULL;
    bool think = false, show_thinking = false;
    long n_predict = 0;
    gemma4_session_params sp = gemma4_session_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_parse_session_flag("chat", argc, argv, &i, &sp);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            printf("%s%s", usage, cli_session_flags_help);
            return 0;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--model")) {
            if (!(model_path = cli_flag_value("chat", argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--system")) {
            if (!(system = cli_flag_value("chat", argc, argv, &i))) return 2;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--n-predict")) {
            const char *v = cli_flag_value("chat", argc, argv, &i);
            if (!v || !cli_parse_int("chat", a, v, 0, INT32_MAX, &n_predict)) return 2;
        } else if (!strcmp(a, "--think")) {
            think = true;
        } else if (!strcmp(a, "--show-thinking")) {
            show_thinking = true;
        } else {
            fprintf(stderr, "gemma4-cli chat: unknown option '%s'\n%s", a, usage);
            return 2;
        }
    }
    gemma4_model *m = cli_load_model("chat", model_path);
    if (!m) return 1;
    gemma4_session *s = NULL;
    if (gemma4_session_new(m, &sp, &s) != GEMMA4_OK) {
        char err[512];
        gemma4_model_errmsg(m, err, sizeof err);
        fprintf(stderr, "gemma4-cli chat: %s\n", err);
        gemma4_model_free(m);
        return 1;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    history h = {0};
    if (system) history_push(&h, "system", system);
    size_t n_fixed = h.n;
    fprintf(stderr, "gemma4-cli chat: context %d tokens. /reset forgets, /exit quits, Ctrl-C stops an answer.\n",
            (int)gemma4_session_n_ctx(s));
    int ret = 0;
    for (;;) {
        fprintf(stdout, "\n> ");
        fflush(stdout);
        g_interrupted = 0;
        char *line = read_line(stdin);
        if (!line) break;
        if (!strcmp(line, "/exit") || !strcmp(line, "/quit")) {
            free(line);
            break;
        }
        if (!strcmp(line, "/reset")) {
            history_clear(&h, n_fixed);
            gemma4_session_reset(s);
            fprintf(stderr, "(conversation forgotten)\n");
            free(line);
            continue;
        }
        if (!*line) {
            free(line);
            continue;
        }
        bool pushed = history_push(&h, "user", line);
        free(line);
        if (!pushed) {
            ret = 1;
            break;
        }
        gemma4_chat_params cp = {.enable_thinking = think,
                                 .show_thinking = show_thinking,
                                 .generate = {.max_tokens = (int32_t)n_predict, .on_token = print_piece}};
        char *reply = NULL;
        gemma4_generate_stats st = {0};
        gemma4_status status = gemma4_chat(s, h.msgs, h.n, &cp, &reply, NULL, &st);
        printf("\n");
        if (status != GEMMA4_OK) {
            fprintf(stderr, "gemma4-cli chat: %s\n", gemma4_session_errmsg(s));
            history_clear(&h, h.n - 1); /* the turn did not happen */
            if (status == GEMMA4_ERR_CONTEXT_FULL) fprintf(stderr, "(use /reset to start over)\n");
            continue;
        }
        if (g_interrupted) fprintf(stderr, "(stopped)\n");
        if (st.stop_reason == 3) fprintf(stderr, "(the context is full: /reset to start over)\n");
        history_push(&h, "assistant", reply ? reply : "");
        gemma4_free(reply);
    }
    history_clear(&h, 0);
    free(h.msgs);
    gemma4_session_free(s);
    gemma4_model_free(m);
    return ret;
}
