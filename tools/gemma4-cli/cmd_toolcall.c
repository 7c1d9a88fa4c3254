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
#include "files.h"
#include "tools_file.h"
#include "gemma4.h"

static const char k_usage[] =
    "usage: gemma4-cli toolcall [--tools TOOLS.json] [--thought-open] [--compact] [FILE | -f FILE | -]\n"
    "Parses raw model output (FILE, or standard input) into an OpenAI assistant message printed as JSON:\n"
    "content, reasoning_content (the thought channel) and tool_calls with JSON arguments.\n"
    "  --tools FILE     the tools the model was given (OpenAI format); each call is checked against them\n"
    "  -f, --file FILE  the raw output to parse (FILE as a positional argument does the same; - is stdin)\n"
    "  --thought-open   the prompt ended inside the thought channel, so the text starts as thought\n"
    "  --compact        print the message on one line\n"
    "  --               ends the options: a FILE whose name starts with '-' goes after it\n"
    "Exit status: 0 valid; 1 malformed output (error on stderr) or tool-call violations (message on\n"
    "stdout, one violation per line on stderr); 2 usage error.\n";

int cli_toolcall(int argc, char **argv) {
    const char *tools_path = NULL, *input_path = NULL;
    bool thought_open = false, compact = false;
    cli_args a = cli_args_start("toolcall", argc, argv);
    const char *arg;
    cli_arg_kind kind;
    while ((kind = cli_args_next(&a, &arg)) != CLI_ARG_END) {
        if (kind == CLI_ARG_POSITIONAL || cli_args_is(&a, "-f", "--file")) {
            if (input_path) return cli_usage_error("toolcall", "more than one input file");
            if (kind == CLI_ARG_OPTION && !(arg = cli_args_value(&a))) return 2;
            input_path = arg;
        } else if (cli_args_is(&a, "-h", "--help")) {
            fputs(k_usage, stdout);
            return 0;
        } else if (cli_args_is(&a, NULL, "--tools")) {
            if (!(tools_path = cli_args_value(&a))) return 2;
        } else if (cli_args_is(&a, NULL, "--thought-open")) {
            thought_open = true;
        } else if (cli_args_is(&a, NULL, "--compact")) {
            compact = true;
        } else {
            return cli_args_reject(&a);
        }
    }
    if (!input_path) input_path = "-";
    if (tools_path && !strcmp(tools_path, "-") && !strcmp(input_path, "-"))
        return cli_usage_error("toolcall", "--tools and the input cannot both be standard input");

    char *tools = NULL;
    if (tools_path && !(tools = cli_read_tools("toolcall", tools_path, NULL))) return 1;
    size_t len = 0;
    char *text = cli_read_file("toolcall", "input", input_path, &len);
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
