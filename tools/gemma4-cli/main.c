/*
 * gemma4-cli: a thin command-line front end over libgemma4's public API.
 *   gemma4-cli <command> [options]      (gemma4-cli help lists the commands)
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gemma4.h"

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command k_commands[] = {
    {"run", cli_run, "answer one prompt (chat-formatted unless --raw), streaming"},
    {"chat", cli_chat, "interactive multi-turn chat"},
    {"bench", cli_bench, "measure prompt processing and generation speed (like llama-bench)"},
    {"info", cli_info, "print a GGUF file's metadata, tensors and what the engine makes of it"},
    {"toolcall", cli_toolcall, "parse raw model output into an OpenAI message; check tool calls with --tools"},
    {"tokenize", cli_tokenize, "print the token ids of a text as JSON"},
    {"logits", cli_logits, "print the logits after a token sequence as JSON"},
    {"greedy", cli_greedy, "print the greedy continuation of a token sequence as JSON"},
};

static void print_usage(FILE *out) {
    fprintf(out,
            "gemma4-cli %s: run Gemma 4 GGUF models on the CPU\n\nusage: gemma4-cli <command> [options]\n\ncommands:\n",
            gemma4_version());
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(out, "  %-10s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(out, "\n'gemma4-cli <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("gemma4-cli %s\n", gemma4_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        if (!strcmp(cmd, k_commands[i].name)) return k_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gemma4-cli: unknown command '%s' (see 'gemma4-cli help')\n", cmd);
    return 2;
}
