/*
 * The files a command reads: the model, prompt and text files, JSON files. Each command checks and
 * reads all of them before it loads the model, so a missing or malformed input is reported at once,
 * not after gigabytes of weights have been mapped. Messages go to stderr as
 * "gemma4-cli CMD: OPTION: ..." and name the file; "-" is standard input wherever a file is read.
 */
#ifndef GEMMA4_CLI_FILES_H
#define GEMMA4_CLI_FILES_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "gemma4.h"

/* True if path can be opened for reading and is not a directory; false after a message. */
bool cli_check_readable(const char *cmd, const char *option, const char *path);

/* The check every command makes of its -m argument before anything is loaded. Returns 0 if path is
 * readable, 2 (usage error, message printed) if no -m was given, 1 if the file cannot be read. */
int cli_check_model_path(const char *cmd, const char *path);

/* Reads a whole file (or stdin for "-") into a malloc'd NUL-terminated buffer; *len (if not NULL)
 * receives its length. NULL after a message naming option and path. */
char *cli_read_file(const char *cmd, const char *option, const char *path, size_t *len);

/* cli_read_file for text the library takes as a C string (a prompt): a NUL byte in it would cut the
 * text short without a word, so it is an error that gives its offset. */
char *cli_read_text(const char *cmd, const char *option, const char *path);

/* Reads and parses a JSON file. On a syntax error the message names the file, the line and column
 * (and byte) where the JSON broke, and shows that line with a caret under the spot. Returns the
 * parsed value (free with cJSON_Delete) and, in *text_out, the file's text (free with free()). */
cJSON *cli_read_json(const char *cmd, const char *option, const char *path, char **text_out);

/* Loads a model, printing the library's message on failure. */
gemma4_model *cli_load_model(const char *cmd, const char *path);

#endif
