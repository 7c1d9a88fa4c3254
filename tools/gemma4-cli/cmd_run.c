/*
 * gemma4-cli run: one prompt in, the model's answer streamed out.
 * Chat-formatted (system + user turn, generation prompt) unless --raw, where the prompt text is
 * tokenized as it is (with <bos>) and continued. Timing goes to stderr so stdout holds the answer.
 * With --tools (or --json) the turn goes through gemma4_chat_tools: the tools are declared to the
 * model, its calls come back parsed and checked, and --json prints the whole assistant message.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli.h"
#include "files.h"
#include "tools_file.h"

static const char k_usage[] =
    "usage: gemma4-cli run -m MODEL.gguf (-p PROMPT | -f FILE | -f - | [--] PROMPT) [options]\n"
    "  -p, --prompt TEXT    the prompt (a value that starts with '-' is fine: -p -42)\n"
    "  -f, --file FILE      read the prompt from FILE; -f - reads it from standard input\n"
    "  --                   ends the options: the argument after it is the prompt, even if it starts with '-'\n"
    "  -n N                 generate at most N tokens (default: until the turn ends or the context is full)\n"
    "  --system TEXT        a system prompt\n"
    "  --system-file FILE   read the system prompt from FILE (- for standard input)\n"
    "  --think              let the model think first; the thought is not printed unless --show-thinking\n"
    "  --show-thinking      print the thought channel too (to stdout, before the answer)\n"
    "  --raw                no chat format: continue PROMPT as plain text (special tokens are parsed)\n"
    "  --special            print control tokens (<turn|>, <unused0>, ...) as text instead of dropping them\n"
    "  --no-stats           do not print timing to stderr\n"
    "  --tools FILE         tools the model may call (OpenAI JSON: [{\"type\":\"function\",\"function\":{...}}]);\n"
    "                       calls are parsed and checked against their schemas; a violation is printed to\n"
    "                       stderr and the exit status is 1\n"
    "  --tools-strict       constrained decoding: calls can only be written valid for their schemas\n"
    "  --tool-choice C      auto (default), required (the answer is a call) or a tool name (that call)\n"
    "  --one-call           end the turn after the first complete call\n"
    "  --json               print the assistant message as OpenAI JSON (content, reasoning_content,\n"
    "                       tool_calls) instead of streaming the text\n";

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
    fprintf(stderr,
            "\n\nload: %.2f s | prompt: %d tokens, %.2f s, %.1f tok/s | generation: %d tokens, %.2f s, %.1f tok/s\n",
            load_seconds, st->n_prompt, st->prompt_seconds,
            st->prompt_seconds > 0 ? st->n_prompt / st->prompt_seconds : 0.0, st->n_generated, st->generate_seconds,
            st->generate_seconds > 0 ? st->n_generated / st->generate_seconds : 0.0);
    if (st->stop_reason == GEMMA4_STOP_CONTEXT_FULL)
        fprintf(stderr, "stopped: the context is full (raise it with -c)\n");
    if (st->stop_reason == GEMMA4_STOP_INTERRUPTED) fprintf(stderr, "stopped: interrupted\n");
}

typedef struct tools_opts {
    const char *path, *choice;
    bool strict, json, one_call;
} tools_opts;

/* What run was asked, as parsed from the command line; texts read from files are owned here. */
typedef struct run_args {
    const char *model_path, *prompt, *prompt_file, *system, *system_file;
    bool think, show_thinking, raw, special, stats;
    long n_predict;
    tools_opts to;
    cli_session_opts so;
    char *prompt_text, *system_text; /* read from -f / --system-file */
    char *tools;                     /* the --tools file's text */
    char *conversation;              /* with tools: the messages as OpenAI JSON */
} run_args;

static void run_args_free(run_args *r) {
    free(r->prompt_text);
    free(r->system_text);
    free(r->tools);
    cJSON_free(r->conversation);
}

static bool with_tools(const run_args *r) {
    return r->to.path || r->to.json || r->to.strict || r->to.choice || r->to.one_call;
}

/* The command line into r. Returns -1 to go on, or the exit code (0 after --help). */
static int parse_run_args(int argc, char **argv, run_args *r) {
    cli_args a = cli_args_start("run", argc, argv);
    const char *arg, *positional = NULL;
    cli_arg_kind kind;
    while ((kind = cli_args_next(&a, &arg)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL) {
            if (positional) return cli_args_reject(&a);
            positional = arg;
            continue;
        }
        int took = cli_parse_session_flag(&a, &r->so);
        if (took < 0) return 2;
        if (took > 0) continue;
        if (cli_args_is(&a, "-h", "--help")) {
            printf("%s%s", k_usage, cli_session_flags_help);
            return 0;
        } else if (cli_args_is(&a, "-m", "--model")) {
            if (!(r->model_path = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, "-p", "--prompt")) {
            if (!(r->prompt = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, "-f", "--file")) {
            if (!(r->prompt_file = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--system")) {
            if (!(r->system = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--system-file")) {
            if (!(r->system_file = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, "-n", "--n-predict")) {
            if (!cli_args_int(&a, 0, INT32_MAX, &r->n_predict)) return 2;
        } else if (cli_args_is(&a, NULL, "--think")) {
            r->think = true;
        } else if (cli_args_is(&a, NULL, "--show-thinking")) {
            r->show_thinking = true;
        } else if (cli_args_is(&a, NULL, "--raw")) {
            r->raw = true;
        } else if (cli_args_is(&a, NULL, "--special")) {
            r->special = true;
        } else if (cli_args_is(&a, NULL, "--no-stats")) {
            r->stats = false;
        } else if (cli_args_is(&a, NULL, "--tools")) {
            if (!(r->to.path = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--tools-strict")) {
            r->to.strict = true;
        } else if (cli_args_is(&a, NULL, "--tool-choice")) {
            if (!(r->to.choice = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--json")) {
            r->to.json = true;
        } else if (cli_args_is(&a, NULL, "--one-call")) {
            r->to.one_call = true;
        } else {
            return cli_args_reject(&a);
        }
    }

    int n_prompts = (r->prompt != NULL) + (r->prompt_file != NULL) + (positional != NULL);
    if (n_prompts == 0) return cli_usage_error("run", "a prompt is required (-p TEXT, -f FILE, -f - or -- TEXT)");
    if (n_prompts > 1) return cli_usage_error("run", "give the prompt once (-p TEXT, -f FILE or -- TEXT)");
    if (positional) r->prompt = positional;
    if (r->system && r->system_file) return cli_usage_error("run", "give --system or --system-file, not both");
    int n_stdin = (r->prompt_file && !strcmp(r->prompt_file, "-")) + (r->system_file && !strcmp(r->system_file, "-")) +
                  (r->to.path && !strcmp(r->to.path, "-"));
    if (n_stdin > 1) return cli_usage_error("run", "only one of -f, --system-file and --tools can read standard input");
    if (with_tools(r) && r->raw)
        return cli_usage_error("run", "--raw cannot be combined with the tool options or --json");
    if ((r->to.strict || r->to.choice || r->to.one_call) && !r->to.path)
        return cli_usage_error("run", "--tools-strict, --tool-choice and --one-call need --tools FILE");
    return -1;
}

/* The conversation of a tools run as OpenAI JSON messages. */
static char *conversation_json(const char *system, const char *prompt) {
    cJSON *msgs = cJSON_CreateArray();
    if (system) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", system);
        cJSON_AddItemToArray(msgs, m);
    }
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "role", "user");
    cJSON_AddStringToObject(u, "content", prompt);
    cJSON_AddItemToArray(msgs, u);
    char *json = cJSON_PrintUnformatted(msgs);
    cJSON_Delete(msgs);
    return json;
}

/* Everything that can be checked without the model: the model file is readable, the prompt files
 * are read, the tools file parses and the chat template accepts it. Returns -1 to go on, or the
 * exit code. */
static int check_run_inputs(run_args *r) {
    int rc = cli_check_model_path("run", r->model_path);
    if (rc) return rc;
    if (r->prompt_file) {
        if (!(r->prompt_text = cli_read_text("run", "-f", r->prompt_file))) return 1;
        r->prompt = r->prompt_text;
    }
    if (r->system_file) {
        if (!(r->system_text = cli_read_text("run", "--system-file", r->system_file))) return 1;
        r->system = r->system_text;
    }
    if (!with_tools(r)) return -1;
    const char *tool_name =
        r->to.choice && strcmp(r->to.choice, "auto") && strcmp(r->to.choice, "required") ? r->to.choice : NULL;
    if (r->to.path && !(r->tools = cli_read_tools("run", r->to.path, tool_name))) return 1;
    if (!(r->conversation = conversation_json(r->system, r->prompt))) {
        fprintf(stderr, "gemma4-cli run: out of memory\n");
        return 1;
    }
    /* the template renders the tools into the system turn: a declaration it cannot render fails here */
    char *rendered = NULL, err[512];
    unsigned flags = GEMMA4_CHAT_ADD_GENERATION_PROMPT | GEMMA4_CHAT_OMIT_BOS | GEMMA4_CHAT_LLAMA_COMPAT |
                     (r->think ? GEMMA4_CHAT_ENABLE_THINKING : 0);
    gemma4_status st = gemma4_chat_render(r->conversation, r->tools, flags, &rendered, err, sizeof err);
    gemma4_free(rendered);
    if (st != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli run: --tools: '%s': %s\n", r->to.path ? r->to.path : "", err);
        return 1;
    }
    return -1;
}

/* The calls of a message as lines "call NAME ARGUMENTS" (after streamed text). */
static void print_calls(const char *message_json) {
    cJSON *m = cJSON_Parse(message_json);
    const cJSON *call;
    cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(m, "tool_calls")) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(fn, "name");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        printf("\ncall %s %s", cJSON_IsString(name) ? name->valuestring : "?",
               cJSON_IsString(args) ? args->valuestring : "{}");
    }
    cJSON_Delete(m);
}

/* One turn through gemma4_chat_tools. The timing line is printed (with stats) only when the model
 * did generate, and before any error, so that nothing but the error follows a failure. Returns the
 * exit status. */
static int run_with_tools(gemma4_session *s, const run_args *r, double load_seconds) {
    const tools_opts *to = &r->to;
    gemma4_generate_params gp = gemma4_generate_default_params();
    gemma4_chat_tools_params p = gemma4_chat_tools_default_params();
    p.generate = &gp;
    p.enable_thinking = r->think;
    p.show_thinking = r->show_thinking;
    p.tools_strict = to->strict;
    p.one_call = to->one_call;
    gp.max_tokens = (int32_t)r->n_predict;
    if (!to->json) gp.on_token = print_piece;
    if (to->choice && strcmp(to->choice, "auto")) {
        p.tool_choice = GEMMA4_TOOL_CHOICE_REQUIRED;
        if (strcmp(to->choice, "required")) p.tool_name = to->choice;
    }
    char *message = NULL, *violations = NULL, *raw = NULL;
    gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
    gemma4_status status = gemma4_chat_tools(s, r->conversation, r->tools, &p, &message, &violations, &raw, &st);
    if (message) {
        if (to->json) {
            cJSON *m = cJSON_Parse(message);
            char *pretty = m ? cJSON_Print(m) : NULL;
            puts(pretty ? pretty : message);
            cJSON_free(pretty);
            cJSON_Delete(m);
        } else {
            print_calls(message);
            printf("\n");
        }
        fflush(stdout);
    }
    /* a call that breaks its schema or the format is the model's output failing, after a whole turn */
    bool generated = status == GEMMA4_OK || status == GEMMA4_ERR_VALIDATION || status == GEMMA4_ERR_FORMAT;
    if (generated && r->stats) cli_print_stats(load_seconds, &st);
    int rc = 0;
    if (status == GEMMA4_ERR_VALIDATION) {
        cli_print_violations("gemma4-cli run: invalid call: ", violations);
        rc = 1;
    } else if (status != GEMMA4_OK) {
        fprintf(stderr, "\ngemma4-cli run: %s\n", gemma4_session_errmsg(s));
        if (status == GEMMA4_ERR_FORMAT && raw) fprintf(stderr, "gemma4-cli run: the model wrote: %s\n", raw);
        rc = 1;
    }
    gemma4_free(message);
    gemma4_free(violations);
    gemma4_free(raw);
    return rc;
}

int cli_run(int argc, char **argv) {
    run_args r = {.stats = true, .so = cli_session_opts_default()};
    int rc = parse_run_args(argc, argv, &r);
    if (rc < 0) rc = check_run_inputs(&r);
    if (rc >= 0) {
        run_args_free(&r);
        return rc;
    }
    double t0 = cli_now_seconds();
    gemma4_model *m = cli_load_model("run", r.model_path);
    if (!m) {
        run_args_free(&r);
        return 1;
    }
    double load_seconds = cli_now_seconds() - t0;
    gemma4_session *s = NULL;
    char err[512];
    if (gemma4_session_new(m, cli_session_params(&r.so), &s, err, sizeof err) != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli run: %s\n", err);
        gemma4_model_free(m);
        run_args_free(&r);
        return 1;
    }

    if (r.stats)
        fprintf(stderr, "context: %d tokens, KV cache %.1f MiB, %d threads\n", (int)gemma4_session_n_ctx(s),
                (double)gemma4_session_kv_bytes(s) / (1024.0 * 1024.0), (int)r.so.params.n_threads);
    cli_interrupt_on_sigint(s);

    if (with_tools(&r)) {
        rc = run_with_tools(s, &r, load_seconds);
        cli_interrupt_on_sigint(NULL);
        gemma4_session_free(s);
        gemma4_model_free(m);
        run_args_free(&r);
        return rc;
    }
    gemma4_generate_stats st = GEMMA4_GENERATE_STATS_INIT;
    gemma4_generate_params gp = gemma4_generate_default_params();
    gp.max_tokens = (int32_t)r.n_predict;
    gp.render_special = r.special;
    gp.on_token = print_piece;
    gemma4_status status;
    if (r.raw) {
        int32_t *ids = NULL;
        size_t n = 0;
        status = gemma4_tokenize(m, r.prompt, strlen(r.prompt), true, true, &ids, &n, err, sizeof err);
        if (status == GEMMA4_OK)
            status = gemma4_generate(s, ids, n, &gp, &st);
        else
            fprintf(stderr, "gemma4-cli run: %s\n", err);
        gemma4_free(ids);
    } else {
        gemma4_chat_message msgs[2];
        size_t n_msgs = 0;
        if (r.system) msgs[n_msgs++] = (gemma4_chat_message){.role = "system", .content = r.system};
        msgs[n_msgs++] = (gemma4_chat_message){.role = "user", .content = r.prompt};
        gemma4_chat_params cp = gemma4_chat_default_params();
        cp.enable_thinking = r.think;
        cp.show_thinking = r.show_thinking;
        cp.generate = &gp;
        status = gemma4_chat(s, msgs, n_msgs, &cp, NULL, NULL, &st);
    }
    cli_interrupt_on_sigint(NULL);
    int ret = 0;
    if (status != GEMMA4_OK) {
        /* a tokenizer failure was reported above; everything else is on the session */
        if (!r.raw || st.n_prompt > 0 || status != GEMMA4_ERR_INVALID_ARG || *gemma4_session_errmsg(s))
            fprintf(stderr, "\ngemma4-cli run: %s\n", gemma4_session_errmsg(s));
        ret = status == GEMMA4_ERR_INTERRUPTED ? 130 : 1;
    } else {
        if (r.stats)
            cli_print_stats(load_seconds, &st);
        else
            printf("\n");
    }
    gemma4_session_free(s);
    gemma4_model_free(m);
    run_args_free(&r);
    return ret;
}
