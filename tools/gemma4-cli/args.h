/* Flag parsing shared by the subcommands: numbers are checked whole ("12x" is an error, not 12). */
#ifndef GEMMA4_CLI_ARGS_H
#define GEMMA4_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gemma4.h"

/* Each prints "gemma4-cli CMD: ..." to stderr and returns false on a bad value. */
bool cli_parse_int(const char *cmd, const char *flag, const char *text, long min, long max, long *out);
bool cli_parse_float(const char *cmd, const char *flag, const char *text, double min, double max, double *out);
bool cli_parse_u64(const char *cmd, const char *flag, const char *text, uint64_t *out);

/* The value after flag argv[*i] (advancing *i), or NULL with a message if there is none. */
const char *cli_flag_value(const char *cmd, int argc, char **argv, int *i);

/* "2,17,99" to a malloc'd id array. */
bool cli_parse_token_list(const char *cmd, const char *text, int32_t **ids, size_t *n);

/* Reads a whole file (or stdin for "-") into a malloc'd NUL-terminated buffer. */
char *cli_read_file(const char *cmd, const char *path, size_t *len);

/* One line on stderr per tool-call violation in violations_json (the library's array of
 * {tool_call_id, name, pointer, message}): "PREFIXID NAME: POINTER: MESSAGE". */
void cli_print_violations(const char *prefix, const char *violations_json);

/* Loads a model, printing the library's message on failure. */
gemma4_model *cli_load_model(const char *cmd, const char *path);

/* Sampling and session flags common to run, chat and greedy. Returns 1 if argv[*i] was one of them
 * (consumed, with its value), 0 if not, -1 on a bad value. */
int cli_parse_session_flag(const char *cmd, int argc, char **argv, int *i, gemma4_session_params *sp);
/* The help text for those flags. */
extern const char *const cli_session_flags_help;

#endif
