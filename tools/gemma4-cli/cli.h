/* gemma4-cli: one file per subcommand; each parses its own flags and calls the public API only. */
#ifndef GEMMA4_CLI_H
#define GEMMA4_CLI_H

/* Each returns the process exit code: 0 success, 1 runtime failure (bad model, bad input), 2 usage error. */
int cli_info(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_chat(int argc, char **argv);
int cli_tokenize(int argc, char **argv);
int cli_logits(int argc, char **argv);
int cli_greedy(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_toolcall(int argc, char **argv);

/* Shared by run, chat and bench. */
double cli_now_seconds(void);
struct gemma4_generate_stats;
void cli_print_stats(double load_seconds, const struct gemma4_generate_stats *stats);

/* Ctrl-C interrupts what the session is doing (gemma4_session_interrupt, which is safe in a signal
 * handler); NULL puts the default action back. */
struct gemma4_session;
void cli_interrupt_on_sigint(struct gemma4_session *s);

#endif
