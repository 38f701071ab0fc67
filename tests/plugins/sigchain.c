/*
 * sigchain.c -- a plugin that behaves like a language runtime at load time (Go's
 * c-shared libraries do this): a constructor installs its own SIGSEGV handler, which
 * chains to whatever handler was there before.  That only works if faultline installed
 * its fatal-signal handlers before loading the plugin and never reinstalls them after
 * (issue 17).  Node 1 logs what it found at load and whether its handler is still the one
 * installed; with params {"segv": true} node 1 crashes at its first timer, and the
 * handler writes "sigchain: chained" to stderr before calling faultline's.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "faultline.h"

/* Process-wide by design: a signal handler reaches nothing else. */
static struct sigaction before; /* the handler this plugin found at load */
static int found_handler;       /* 1: a handler was installed before we loaded */

static void mine(int sig, siginfo_t *si, void *ctx)
{
    static const char msg[] = "sigchain: chained\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    if (before.sa_flags & SA_SIGINFO)
        before.sa_sigaction(sig, si, ctx);
    else if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN)
        before.sa_handler(sig);
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void install(void)
{
    sigaction(SIGSEGV, NULL, &before);
    found_handler = before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = mine;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
}

static const char *const sc_timers[] = {"tick", NULL};

static void sc_start(fl_node *n, const cJSON *params)
{
    if (fl_node_id(n) != 1)
        return;
    struct sigaction now;
    sigaction(SIGSEGV, NULL, &now);
    fl_log(n, FL_LOG_INFO, "at load: %s", found_handler ? "faultline's handler" : "no handler");
    fl_log(n, FL_LOG_INFO, "now: %s",
           (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == mine ? "ours" : "replaced");
    const cJSON *segv = cJSON_GetObjectItemCaseSensitive(params, "segv");
    if (cJSON_IsTrue(segv))
        fl_timer_set(n, 0, 1 * FL_MS);
}

static void sc_on_timer(fl_node *n, int timer)
{
    (void)n, (void)timer;
    raise(SIGSEGV);
}

static void sc_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    (void)n, (void)from, (void)msg, (void)len;
}

const struct fl_protocol faultline_protocol = {
    .api_version = 2,
    .name = "sigchain",
    .timers = sc_timers,
    .start = sc_start,
    .on_timer = sc_on_timer,
    .on_message = sc_on_message,
};
