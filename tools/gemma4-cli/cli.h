/* gemma4-cli: one file per subcommand; each parses its own flags and calls the public API only. */
#ifndef GEMMA4_CLI_H
#define GEMMA4_CLI_H

/* Each returns the process exit code: 0 success, 1 runtime failure (bad model, bad input), 2 usage error. */
int cli_info(int argc, char **argv);

#endif
