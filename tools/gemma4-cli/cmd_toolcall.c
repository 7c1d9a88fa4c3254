/*
 * gemma4-cli toolcall: raw Gemma 4 output to an OpenAI assistant message, with the tool calls
 * checked against the declared tools. For debugging prompts and for scripts that run the model
 * elsewhere.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "gemma4.h"

static const char k_usage[] =
    "usage: gemma4-cli toolcall [--tools TOOLS.json] [--thought-open] [--compact] [FILE|-]\n"
    "Parses raw model output (FILE, or standard input) into an OpenAI assistant message printed as JSON:\n"
    "content, reasoning_content (the thought channel) and tool_calls with JSON arguments.\n"
    "  --tools FILE     the tools the model was given (OpenAI format); each call is checked against them\n"
    "  --thought-open   the prompt ended inside the thought channel, so the text starts as thought\n"
    "  --compact        print the message on one line\n"
    "Exit status: 0 valid; 1 malformed output (error on stderr) or tool-call violations (message on\n"
    "stdout, one violation per line on stderr); 2 usage error.\n";

int cli_toolcall(int argc, char **argv) {
    const char *tools_path = NULL, *input_path = "-";
    bool thought_open = false, compact = false, have_input = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(k_usage, stdout);
            return 0;
        } else if (!strcmp(a, "--tools")) {
            if (!(tools_path = cli_flag_value("toolcall", argc, argv, &i))) return 2;
        } else if (!strcmp(a, "--thought-open")) {
            thought_open = true;
        } else if (!strcmp(a, "--compact")) {
            compact = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "gemma4-cli toolcall: unknown option '%s'\n%s", a, k_usage);
            return 2;
        } else if (have_input) {
            fprintf(stderr, "gemma4-cli toolcall: more than one input file\n%s", k_usage);
            return 2;
        } else {
            input_path = a;
            have_input = true;
        }
    }

    char *tools = NULL;
    if (tools_path && !(tools = cli_read_file("toolcall", tools_path, NULL))) return 1;
    size_t len = 0;
    char *text = cli_read_file("toolcall", input_path, &len);
    if (!text) {
        free(tools);
        return 1;
    }

    char *message = NULL, *violations = NULL, err[512];
    gemma4_status st = gemma4_toolcall_parse(text, len, tools, thought_open ? GEMMA4_TOOLCALL_THOUGHT_OPEN : 0,
                                             &message, &violations, err, sizeof err);
    int rc = 0;
    if (message) {
        cJSON *m = cJSON_Parse(message);
        char *out = m && !compact ? cJSON_Print(m) : NULL;
        puts(out ? out : message);
        cJSON_free(out);
        cJSON_Delete(m);
    }
    if (st == GEMMA4_ERR_VALIDATION) {
        cli_print_violations("gemma4-cli toolcall: ", violations);
        rc = 1;
    } else if (st != GEMMA4_OK) {
        fprintf(stderr, "gemma4-cli toolcall: %s: %s\n", strcmp(input_path, "-") ? input_path : "<stdin>", err);
        rc = 1;
    }
    gemma4_free(message);
    gemma4_free(violations);
    free(text);
    free(tools);
    return rc;
}
