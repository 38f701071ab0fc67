/*
 * sweep_worker.c -- the worker side of a sweep (see sweep.h): read seeds from the
 * command pipe until EOF, run each with fl_run_one (no database), answer each with one
 * fl_sweep_frame.  The worker dies with the parent (PR_SET_PDEATHSIG) and ignores SIGINT.
 */
#include "sim/sweep.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/world.h"
#include "sim/runner.h"

int fl_sweep_read_full(int fd, void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

int fl_sweep_write_full(int fd, const void *p, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r = write(fd, (const char *)p + put, n - put);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        put += (size_t)r;
    }
    return 0;
}

/* Append one metric line to the frame being built (ctx), if it fits. */
static void frame_metric(void *ctx, const char *name, int64_t v)
{
    fl_sweep_frame *f = ctx;
    size_t len = strlen(f->metrics), room = sizeof f->metrics - len;
    int n = snprintf(f->metrics + len, room, "%s=%lld\n", name, (long long)v);
    if (n < 0 || (size_t)n >= room) {
        f->metrics[len] = '\0';
        f->nmetrics_dropped++;
    }
}

void fl_sweep_frame_metrics(const fl_sweep_frame *f,
                            void (*fn)(void *ctx, const char *name, int64_t v), void *ctx)
{
    char name[128];
    for (const char *p = f->metrics; *p;) {
        const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
        if (!eq || !nl || eq > nl || (size_t)(eq - p) >= sizeof name)
            return;
        memcpy(name, p, (size_t)(eq - p));
        name[eq - p] = '\0';
        fn(ctx, name, strtoll(eq + 1, NULL, 10));
        p = nl + 1;
    }
}

/* Fill the result part of f (its metrics were filled during the run). */
static void frame_from_result(fl_sweep_frame *f, uint64_t seed, const fl_run_result *r)
{
    f->seed = seed;
    f->outcome = r->outcome;
    f->steps = r->steps;
    f->sim_time_ns = r->sim_time_ns;
    f->msgs_sent = r->msgs_sent;
    f->msgs_delivered = r->msgs_delivered;
    f->msgs_dropped = r->msgs_dropped;
    f->faults = r->faults;
    f->wall_us = r->wall_us;
    f->fail_step = r->fail_step;
    f->fail_time_ns = r->fail_time_ns;
    snprintf(f->digest, sizeof f->digest, "%s", r->digest);
    snprintf(f->check_name, sizeof f->check_name, "%s", r->check_name ? r->check_name : "");
    snprintf(f->detail, sizeof f->detail, "%s", r->detail ? r->detail : "");
}

void fl_sweep_result_of_frame(const fl_sweep_frame *f, fl_run_result *r)
{
    memset(r, 0, sizeof *r);
    r->outcome = f->outcome;
    r->check_name = f->check_name;
    r->detail = f->detail;
    r->fail_step = f->fail_step;
    r->fail_time_ns = f->fail_time_ns;
    r->steps = f->steps;
    r->sim_time_ns = f->sim_time_ns;
    r->msgs_sent = f->msgs_sent;
    r->msgs_delivered = f->msgs_delivered;
    r->msgs_dropped = f->msgs_dropped;
    r->faults = f->faults;
    r->wall_us = f->wall_us;
    memcpy(r->digest, f->digest, sizeof r->digest);
}

void fl_sweep_frame_failure(fl_sweep_frame *f, uint64_t seed, int outcome, const char *detail)
{
    memset(f, 0, sizeof *f);
    f->seed = seed;
    f->outcome = outcome;
    f->fail_step = f->fail_time_ns = -1;
    snprintf(f->detail, sizeof f->detail, "%s", detail);
}

_Noreturn void fl_sweep_worker_main(const fl_sweep_cfg *c, int cmd_fd, int res_fd, pid_t parent)
{
    /* Undo the parent's (libevent's) handlers; signals are still blocked here. */
    signal(SIGINT, SIG_IGN); /* Ctrl-C reaches the process group: the parent decides */
    signal(SIGTERM, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Keep only our two pipe ends: other workers' pipes must see EOF when they die. */
    long maxfd = sysconf(_SC_OPEN_MAX);
    if (maxfd < 0 || maxfd > 4096)
        maxfd = 4096;
    for (int fd = 3; fd < maxfd; fd++)
        if (fd != cmd_fd && fd != res_fd)
            close(fd);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    for (;;) {
        uint64_t seed;
        if (fl_sweep_read_full(cmd_fd, &seed, sizeof seed))
            _exit(0);
        fl_sweep_frame f;
        memset(&f, 0, sizeof f);
        fl_run_opts o = {.seed = seed, .metric = frame_metric, .metric_ctx = &f};
        fl_run_result r;
        char err[256];
        if (fl_run_one(c->sc, c->proto, &o, &r, NULL, err, sizeof err) == 0)
            frame_from_result(&f, seed, &r);
        else
            fl_sweep_frame_failure(&f, seed, FL_OUTCOME_ERROR, err);
        if (fl_sweep_write_full(res_fd, &f, sizeof f))
            _exit(0);
    }
}
