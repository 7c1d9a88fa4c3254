/*
 * Argument parsing shared by the subcommands, so that every command follows one convention:
 *   - options and positional arguments may come in any order;
 *   - an option's value is the next argument, whatever it looks like ("-p -42" is the prompt "-42");
 *   - "--" ends the options: what follows is positional even if it starts with '-'
 *     ("tokenize -m M -- -42" tokenizes "-42");
 *   - a lone "-" is positional (standard input, where a file is expected).
 * Unknown options, missing values and bad numbers are usage errors (exit code 2) whose message names
 * the option and points to the command's --help. Numbers are checked whole ("12x" is an error, not 12).
 */
#ifndef GEMMA4_CLI_ARGS_H
#define GEMMA4_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemma4.h"

/* A walk over one command's arguments (argv[0] is the command's name). */
typedef struct cli_args {
    const char *cmd; /* "run", "tokenize", ...: names the command in messages */
    int argc;
    char **argv;
    int i;              /* index of the current argument */
    bool options_ended; /* "--" has been seen */
} cli_args;

typedef enum cli_arg_kind {
    CLI_ARG_END,       /* no arguments left */
    CLI_ARG_OPTION,    /* "-x" or "--xyz" before any "--" */
    CLI_ARG_POSITIONAL /* anything else */
} cli_arg_kind;

cli_args cli_args_start(const char *cmd, int argc, char **argv);

/* Moves to the next argument (skipping the first "--") and says what it is; *arg is its text. */
cli_arg_kind cli_args_next(cli_args *a, const char **arg);

/* True if the current option is short_name (may be NULL) or long_name. */
bool cli_args_is(const cli_args *a, const char *short_name, const char *long_name);

/* The current option's value (the next argument, consumed), or NULL after "OPTION needs a value". */
const char *cli_args_value(cli_args *a);
/* The value as a number in [min, max]; false after a message naming the option. */
bool cli_args_int(cli_args *a, long min, long max, long *out);
bool cli_args_float(cli_args *a, double min, double max, double *out);
/* The value as the index of one of names (NULL-terminated: {"md", "json", NULL}), or -1 after
 * "OPTION is md or json, got 'x'". */
int cli_args_choice(cli_args *a, const char *const *names);
/* --kv-type's value: "f16" or "q8_0"; false after a message. */
bool cli_args_kv_type(cli_args *a, gemma4_kv_type *out);

/* Rejects the current argument: "unknown option '--x'" or "unexpected argument 'x'". Returns 2. */
int cli_args_reject(const cli_args *a);

/* Prints "gemma4-cli CMD: MESSAGE (see 'gemma4-cli CMD --help')" to stderr; returns 2, the usage-error
 * exit code. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Each prints "gemma4-cli CMD: ..." to stderr and returns false on a bad value. */
bool cli_parse_int(const char *cmd, const char *flag, const char *text, long min, long max, long *out);
bool cli_parse_float(const char *cmd, const char *flag, const char *text, double min, double max, double *out);
bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out);

/* "2,17,99" to a malloc'd id array. */
bool cli_parse_token_list(const char *cmd, const char *text, int32_t **ids, size_t *n);

/* A session's settings as the command line gives them: the session params and the sampling they
 * point to (cli_session_params ties the two together before use). */
typedef struct cli_session_opts {
    gemma4_session_params params;
    gemma4_sampling sampling;
} cli_session_opts;

cli_session_opts cli_session_opts_default(void);
const gemma4_session_params *cli_session_params(cli_session_opts *o);

/* Sampling and session flags common to run and chat. Returns 1 if the current option was one of them
 * (consumed, with its value), 0 if not, -1 on a bad or missing value (message printed). */
int cli_parse_session_flag(cli_args *a, cli_session_opts *o);
/* The help text for those flags. */
extern const char *const cli_session_flags_help;

#endif
