/*
 * gemma4-cli chat: an interactive multi-turn conversation. The session's KV cache is kept across
 * turns (gemma4_chat only evaluates what is new). Ctrl-C stops the answer being written, not the
 * program; /reset starts over, /exit (or Ctrl-D) quits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "files.h"

static bool print_piece(void *user, int32_t token, const char *piece, size_t len) {
    (void)user;
    (void)token;
    fwrite(piece, 1, len, stdout);
    fflush(stdout);
    return true;
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
    h->msgs[h->n++] = (gemma4_chat_message){.role = role, .content = copy};
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
    static const char usage[] =
        "usage: gemma4-cli chat -m MODEL.gguf [--system TEXT | --system-file FILE] [--think] [--show-thinking]\n"
        "                       [-n N] [options]\n"
        "Type a message and press Enter. /reset forgets the conversation, /exit quits.\n"
        "  --system TEXT        a system prompt\n"
        "  --system-file FILE   read the system prompt from FILE\n"
        "  -n N                 answer with at most N tokens (default: until the turn ends)\n";
    const char *model_path = NULL, *system = NULL, *system_file = NULL;
    bool think = false, show_thinking = false;
    long n_predict = 0;
    cli_session_opts so = cli_session_opts_default();
    cli_args a = cli_args_start("chat", argc, argv);
    const char *arg;
    cli_arg_kind kind;
    while ((kind = cli_args_next(&a, &arg)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL) return cli_args_reject(&a);
        int took = cli_parse_session_flag(&a, &so);
        if (took < 0) return 2;
        if (took > 0) continue;
        if (cli_args_is(&a, "-h", "--help")) {
            printf("%s%s", usage, cli_session_flags_help);
            return 0;
        } else if (cli_args_is(&a, "-m", "--model")) {
            if (!(model_path = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--system")) {
            if (!(system = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--system-file")) {
            if (!(system_file = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, "-n", "--n-predict")) {
            if (!cli_args_int(&a, 0, INT32_MAX, &n_predict)) return 2;
        } else if (cli_args_is(&a, NULL, "--think")) {
            think = true;
        } else if (cli_args_is(&a, NULL, "--show-thinking")) {
            show_thinking = true;
        } else {
            return cli_args_reject(&a);
        }
    }
    if (system && system_file) return cli_usage_error("chat", "give --system or --system-file, not both");
    if (system_file && !strcmp(system_file, "-"))
        return cli_usage_error("chat", "--system-file cannot be standard input: chat reads the conversation from it");
    int rc = cli_check_model_path("chat", model_path);
    if (rc) return rc;
    char *system_text = NULL;
    if (system_file && !(system = system_text = cli_read_text("chat", "--system-file", system_file))) return 1;

    gemma4_model *m = cli_load_model("chat", model_path);
    if (!m) {
        free(system_text);
        return 1;
    }
    gemma4_session *s = NULL;
    char err[512];
    if (gemma4_session_new(m, cli_session_params(&so), &s, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli chat: %s\n", err);
        gemma4_model_free(m);
        free(system_text);
        return 1;
    }

    cli_interrupt_on_sigint(s);

    history h = {0};
    if (system) history_push(&h, "system", system);
    size_t n_fixed = h.n;
    fprintf(stderr, "gemma4-cli chat: context %d tokens. /reset forgets, /exit quits, Ctrl-C stops an answer.\n",
            (int)gemma4_session_n_ctx(s));
    int ret = 0;
    for (;;) {
        fprintf(stdout, "\n> ");
        fflush(stdout);
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
        gemma4_generate_params gp = gemma4_generate_default_params();
        gp.max_tokens = (int32_t)n_predict;
        gp.on_token = print_piece;
        gemma4_chat_params cp = gemma4_chat_default_params();
        cp.enable_thinking = think;
        cp.show_thinking = show_thinking;
        cp.generate = &gp;
        char *reply = NULL;
        gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
        gemma4_status status = gemma4_chat(s, h.msgs, h.n, &cp, &reply, NULL, &st);
        printf("\n");
        if (status == GEMMA4_ERR_INTERRUPTED) {
            fprintf(stderr, "(stopped before the answer began)\n");
            history_clear(&h, h.n - 1);
            continue;
        }
        if (status != GEMMA4_OK) {
            fprintf(stderr, "gemma4-cli chat: %s\n", gemma4_session_errmsg(s));
            history_clear(&h, h.n - 1); /* the turn did not happen */
            if (status == GEMMA4_ERR_CONTEXT_FULL) fprintf(stderr, "(use /reset to start over)\n");
            continue;
        }
        if (st.stop_reason == GEMMA4_STOP_INTERRUPTED) fprintf(stderr, "(stopped)\n");
        if (st.stop_reason == GEMMA4_STOP_CONTEXT_FULL)
            fprintf(stderr, "(the context is full: /reset to start over)\n");
        history_push(&h, "assistant", reply ? reply : "");
        gemma4_free(reply);
    }
    cli_interrupt_on_sigint(NULL);
    history_clear(&h, 0);
    free(h.msgs);
    free(system_text);
    gemma4_session_free(s);
    gemma4_model_free(m);
    return ret;
}
