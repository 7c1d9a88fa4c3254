/* Ctrl-C for run and chat: the signal handler asks the library to stop the running call
 * (gemma4_session_interrupt only sets an atomic flag, which is safe in a handler). The session the
 * handler reaches is the one piece of global state in the CLI: a signal handler has no other way
 * to find it. */
#include <signal.h>
#include <stddef.h>

#include "cli.h"
#include "gemma4.h"

static gemma4_session *volatile g_session;

static void on_sigint(int sig) {
    (void)sig;
    gemma4_session *s = g_session;
    if (s) gemma4_session_interrupt(s);
}

void cli_interrupt_on_sigint(gemma4_session *s) {
    struct sigaction sa = {0};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = s ? on_sigint : SIG_DFL;
    g_session = s;
    sigaction(SIGINT, &sa, NULL);
}
