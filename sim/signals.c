/*
 * signals.c -- SIGINT and SIGTERM from the first instruction on: main() installs a
 * handler that only remembers the signal, so that one arriving while a command is still
 * opening its database or loading its scenario is not lost to the default action (a
 * sweep killed before its loop started would leave a running row behind).  A command
 * that stops cleanly (sweep) asks fl_signals_caught() when its own handlers take over;
 * for every other command main() gives the signals back their default action before
 * the command starts, delivering one that came early.
 *
 * The flag is the one process-wide state of sim/: a signal handler can reach nothing
 * else.
 */
#include "sim/cli.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t caught;

static void remember(int sig)
{
    caught = sig;
}

void fl_signals_early(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = remember;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int fl_signals_caught(void)
{
    return caught;
}

void fl_signals_release(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (caught)
        raise(caught);
}
