/* The --tools file of run and toolcall: OpenAI tool declarations, read and checked before any model
 * loads; and the report of the calls that break them. */
#ifndef GEMMA4_CLI_TOOLS_FILE_H
#define GEMMA4_CLI_TOOLS_FILE_H

/* Reads the tools file at path: it must be JSON (a syntax error names its line and column) holding an
 * array of declarations, and when tool_name is not NULL one of them must declare that function.
 * Returns the file's text for the library (free with free()), or NULL after a message. */
char *cli_read_tools(const char *cmd, const char *path, const char *tool_name);

/* One line on stderr per tool-call violation in violations_json (the library's array of
 * {tool_call_id, name, pointer, message}): "PREFIXID NAME: POINTER: MESSAGE". */
void cli_print_violations(const char *prefix, const char *violations_json);

#endif
