/*
 * sweep.c -- the engine of `faultline sweep` (see sweep.h).
 *
 * Parent: one libevent loop over the workers' result pipes, SIGCHLD, SIGINT/SIGTERM and
 * a 100 ms timer (wall watchdogs, progress).  It hands each worker up to QD seeds, so a
 * worker always has the next seed waiting; the worker answers in order, so the seed a
 * worker is running is always the first of its queue -- that is the seed a crash or a
 * hang is charged to.  The parent is the only database writer.
 * The worker side is in sweep_worker.c; what the parent does with results, in
 * sweep_results.c.
 */
#include "sim/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/error.h"
#include "core/world.h"
#include "sim/run/frames.h"
#include "sim/run/wire.h"

#include "sim/cli.h"
#include "sim/sweep_impl.h"

int64_t fl_sweep_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the parent: seeds ---- */

static int is_done(const sweep *s, uint64_t seed)
{
    uint64_t i = seed - s->c->from;
    return s->c->done && (s->c->done[i / 8] >> (i % 8) & 1);
}

static int in_shard(const fl_sweep_cfg *c, uint64_t seed)
{
    return c->shard_n <= 1 || (seed - c->from) % c->shard_n == c->shard_k - 1;
}

/* The next seed of the range, or with c->items the next item's index: what retry keeps
 * too. */
static int next_seed(sweep *s, uint64_t *seed)
{
    if (s->nretry) {
        *seed = s->retry[--s->nretry];
        return 1;
    }
    if (s->c->items) {
        if (s->next >= s->c->nitems) {
            s->exhausted = 1;
            return 0;
        }
        *seed = s->next++;
        s->exhausted = s->next >= s->c->nitems;
        return 1;
    }
    while (!s->exhausted) {
        uint64_t v = s->next;
        if (v == s->c->to)
            s->exhausted = 1;
        else
            s->next++;
        if (in_shard(s->c, v) && !is_done(s, v)) {
            *seed = v;
            return 1;
        }
    }
    return 0;
}

static int push_retry(sweep *s, uint64_t seed)
{
    if (s->nretry == s->retry_cap) {
        size_t cap = s->retry_cap ? 2 * s->retry_cap : 16;
        uint64_t *p = realloc(s->retry, cap * sizeof *p);
        if (!p)
            return -1;
        s->retry = p;
        s->retry_cap = cap;
    }
    s->retry[s->nretry++] = seed;
    return 0;
}

static int more_seeds(sweep *s)
{
    return !s->stopping && (s->nretry || !s->exhausted);
}

/* ---- the parent: workers ---- */

/* A job back to where it came from: its worker will not run it. */
static void give_back(sweep *s, const qjob *j)
{
    if (j->run_id > 0)
        fl_sweep_requeue_full(s, j);
    else
        push_retry(s, s->c->items ? j->item : j->seed);
}

/* Full recordings first: a failure's recording should not wait for the rest of the range. */
static int next_job(sweep *s, qjob *j)
{
    memset(j, 0, sizeof *j);
    if (fl_sweep_next_full(s, j))
        return 1;
    uint64_t v;
    if (!more_seeds(s) || !next_seed(s, &v))
        return 0;
    j->item = v;
    j->seed = s->c->items ? s->c->items[v].seed : v;
    return 1;
}

/* A job's schedule rides the command pipe, written whole (blocking).  To a busy worker
 * only a small one goes: a worker that finishes its run writes its frames whole too, and
 * if both writes outgrew the two pipes, each would wait for the other forever (a
 * shrink's materialised schedules can be hundreds of kB). */
#define PIPELINE_SCHEDULE_MAX 16384

static int fits_behind(const sweep *s, const worker *w)
{
    uint64_t item = s->nretry ? s->retry[s->nretry - 1] : s->next;
    if (w->qn == 0 || !s->c->items || item >= s->c->nitems)
        return 1;
    const char *next = s->c->items[item].schedule;
    return !next || strlen(next) <= PIPELINE_SCHEDULE_MAX;
}

static void feed(sweep *s, worker *w)
{
    qjob j;
    while (w->pid > 0 && w->qn < QD && fits_behind(s, w) && next_job(s, &j)) {
        /* an item follows the schedule of the run it re-executes, and keeps it in its row */
        const char *schedule = s->c->items ? s->c->items[j.item].schedule : NULL;
        fl_sweep_job job = {
            .seed = j.seed,
            .wants = j.run_id > 0 ? FL_SWEEP_WANTS_FULL : FL_SWEEP_WANTS_BARE,
            .flags = j.run_id > 0 || (s->c->items && !s->c->items_lean) ? FL_FRAMES_SCHEDULE : 0,
            .schedule_len = schedule ? (uint32_t)strlen(schedule) : 0,
            .stop_ns = s->c->items ? s->c->items_stop_ns : 0};
        if (fl_sweep_job_send(w->cmd_fd, &job, schedule)) {
            give_back(s, &j); /* dying: SIGCHLD will replace it */
            return;
        }
        if (w->qn == 0)
            w->cur_start_us = fl_sweep_now_us();
        w->q[w->qn++] = j;
    }
}

static void feed_all(sweep *s)
{
    for (int i = 0; i < s->nw; i++)
        feed(s, &s->w[i]);
}

static void pop_job(worker *w)
{
    memmove(w->q, w->q + 1, (size_t)(--w->qn) * sizeof w->q[0]);
    w->cur_start_us = fl_sweep_now_us();
}

static void on_frame(sweep *s, worker *w, fl_sweep_frame *f)
{
    if (w->qn == 0 || w->q[0].seed != f->seed || w->q[0].run_id > 0) {
        fl_sweep_frame_close(f);
        fl_sweep_fail_stop(s, FL_EINTERNAL, "sweep: a worker answered for a seed it was not given");
        return;
    }
    uint64_t item = w->q[0].item;
    pop_job(w);
    fl_sweep_handle_result(s, item, f);
}

/* The whole runs in w->in, in order; a full job's records as they come. */
static void take_runs(sweep *s, worker *w)
{
    size_t off = 0;
    while (!s->rc) {
        if (w->qn > 0 && w->q[0].run_id > 0) {
            int finished;
            off += fl_sweep_take_full(s, w, w->in.p + off, w->in.len - off, &finished);
            if (!finished)
                break;
            pop_job(w);
            continue;
        }
        fl_sweep_frame f;
        size_t used = 0;
        int rc = fl_sweep_frame_take(w->in.p + off, w->in.len - off, &f, &used);
        if (rc == 0)
            break;
        if (rc < 0) {
            fl_sweep_fail_stop(s, FL_EINTERNAL, "sweep: malformed frames from a worker");
            w->in.len = 0;
            return;
        }
        off += used;
        on_frame(s, w, &f);
    }
    memmove(w->in.p, w->in.p + off, w->in.len - off);
    w->in.len -= off;
}

/* Read what the worker wrote, at most reads times (a full recording streams without
 * pause: the other workers and the tick must get their turn); 1 at EOF. */
static int drain(sweep *s, worker *w, int reads)
{
    for (; reads > 0; reads--) {
        if (w->in.cap - w->in.len < 65536) {
            size_t ncap = w->in.cap ? w->in.cap * 2 : 131072;
            uint8_t *p = realloc(w->in.p, ncap);
            if (!p) {
                fl_sweep_fail_stop(s, FL_ENOMEM, "sweep: out of memory");
                return 1;
            }
            w->in.p = p;
            w->in.cap = ncap;
        }
        ssize_t n = read(w->res_fd, w->in.p + w->in.len, w->in.cap - w->in.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 0; /* EAGAIN */
        if (n == 0)
            return 1;
        w->in.len += (size_t)n;
        take_runs(s, w);
    }
    return 0;
}

static void check_finished(sweep *s);
static int spawn(sweep *s, worker *w);

/* libevent gives one arg; keep the sweep reachable from the worker. */
typedef struct wref {
    sweep *s;
    worker *w;
} wref;

static void on_readable_ref(evutil_socket_t fd, short what, void *arg)
{
    wref *r = arg;
    (void)fd;
    (void)what;
    if (drain(r->s, r->w, 16) && r->w->ev)
        event_del(r->w->ev); /* EOF: SIGCHLD does the rest */
    feed_all(r->s);          /* a failure's full job may go to any worker */
    check_finished(r->s);
}

static void close_worker(worker *w)
{
    if (w->ev) {
        wref *r = event_get_callback_arg(w->ev);
        event_free(w->ev);
        free(r);
    }
    w->ev = NULL;
    if (w->cmd_fd >= 0)
        close(w->cmd_fd);
    if (w->res_fd >= 0)
        close(w->res_fd);
    w->cmd_fd = w->res_fd = -1;
    w->pid = 0;
    fl_wire_buf_close(&w->in);
}

static int spawn(sweep *s, worker *w)
{
    pid_t pid;
    int cmd_fd, res_fd;
    char err[512];
    if (fl_sweep_worker_start(s->c, &pid, &cmd_fd, &res_fd, NULL, NULL, 0, err, sizeof err)) {
        /* a worker that cannot load the protocol: no seed can run */
        fl_sweep_fail_stop(s, FL_EINVAL, err);
        return -1;
    }
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->cmd_fd = cmd_fd;
    w->res_fd = res_fd;
    fcntl(w->res_fd, F_SETFL, fcntl(w->res_fd, F_GETFL) | O_NONBLOCK);
    wref *r = malloc(sizeof *r);
    if (r) {
        r->s = s;
        r->w = w;
        w->ev = event_new(s->base, w->res_fd, EV_READ | EV_PERSIST, on_readable_ref, r);
    }
    if (!w->ev || event_add(w->ev, NULL)) {
        free(r);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        w->ev = NULL;
        close_worker(w);
        return -1;
    }
    feed(s, w);
    return 0;
}

static int work_left(sweep *s)
{
    return !s->rc && !s->st->interrupted && (more_seeds(s) || fl_sweep_full_left(s));
}

static void check_finished(sweep *s)
{
    int alive = 0;
    for (int i = 0; i < s->nw; i++) {
        worker *w = &s->w[i];
        if (w->pid > 0 && (w->qn > 0 || (s->st->interrupted || s->rc)))
            return;
        alive += w->pid > 0;
    }
    if (work_left(s) && alive)
        return;
    if (work_left(s)) /* every worker died and none could be started */
        fl_sweep_fail_stop(s, FL_EINTERNAL, "sweep: no worker left (fork failed)");
    event_base_loopbreak(s->base);
}

/* w died running q[0]: a bare seed gets a crash, hang or error row; a full job keeps
 * its bare row.  In flight when the sweep stopped: a resume runs it. */
static void charge_death(sweep *s, worker *w, int status)
{
    char detail[256];
    int outcome;
    if (w->killed_hang) {
        snprintf(detail, sizeof detail, "wall-clock watchdog expired (%" PRId64 " ms)",
                 s->c->sc->watchdog_ms);
        outcome = FL_OUTCOME_HANG;
    } else if (WIFSIGNALED(status)) {
        snprintf(detail, sizeof detail, "%s (signal %d)", strsignal(WTERMSIG(status)),
                 WTERMSIG(status));
        outcome = FL_OUTCOME_CRASH;
    } else {
        snprintf(detail, sizeof detail, "worker exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        outcome = FL_OUTCOME_ERROR;
    }
    if (w->q[0].run_id > 0) {
        char why[300];
        snprintf(why, sizeof why, "the protocol %s while recorded: %s",
                 outcome == FL_OUTCOME_HANG    ? "hung"
                 : outcome == FL_OUTCOME_CRASH ? "crashed"
                                               : "failed",
                 detail);
        fl_sweep_full_lost(s, w, why);
        return;
    }
    if (s->st->interrupted || s->rc)
        return;
    fl_sweep_frame f = {0};
    fl_sweep_frame_failure(&f, w->q[0].seed, outcome, detail);
    fl_sweep_handle_result(s, w->q[0].item, &f);
    fl_sweep_frame_close(&f);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
    sweep *s = arg;
    int status;
    pid_t pid;
    (void)sig;
    (void)what;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        worker *w = NULL;
        for (int i = 0; i < s->nw; i++)
            if (s->w[i].pid == pid)
                w = &s->w[i];
        if (!w)
            continue;
        w->pid = -1; /* dead: feed() skips it */
        drain(s, w, INT32_MAX);
        if (w->qn > 0)
            charge_death(s, w, status);
        for (int i = 1; i < w->qn; i++)
            give_back(s, &w->q[i]);
        close_worker(w);
        if (work_left(s) && spawn(s, w) != 0)
            fprintf(stderr, "faultline: sweep: cannot start a worker: %s\n", strerror(errno));
    }
    check_finished(s);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    sweep *s = arg;
    (void)what;
    (void)sig;
    s->st->interrupted = 1;
    s->stopping = 1;
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].pid > 0)
            kill(s->w[i].pid, SIGKILL);
    check_finished(s);
}

/* ---- progress ---- */

static void show_progress(sweep *s, int final)
{
    const fl_sweep_cfg *c = s->c;
    int64_t t = fl_sweep_now_us();
    if (!c->progress)
        return;
    if (final) {
        if (c->progress == 1 && s->progress_shown)
            fputs("\r\033[K", stderr);
        return;
    }
    if (c->progress == 2 && t - s->last_progress_us < 10 * 1000000)
        return;
    s->last_progress_us = t;
    double el = (double)(t - s->t0_us) / 1e6;
    double rate = el > 0 ? (double)s->done / el : 0;
    uint64_t left = s->st->todo > s->done ? s->st->todo - s->done : 0;
    double eta = rate > 0 ? (double)left / rate : 0;
    char fails[256] = "";
    size_t n = 0;
    for (int o = FL_OUTCOME_OK + 1; o < FL_OUTCOME_COUNT && o < 16; o++)
        if (s->st->by_outcome[o] && n < sizeof fails - 1)
            n += (size_t)snprintf(fails + n, sizeof fails - n, "%s%s %" PRIu64, n ? ", " : " (",
                                  fl_outcome_name(o), s->st->by_outcome[o]);
    if (n && n < sizeof fails - 1)
        snprintf(fails + n, sizeof fails - n, ")");
    fprintf(stderr,
            "%ssweep: %" PRIu64 "/%" PRIu64 " seeds, %.1f seeds/s, ETA %d:%02d, %" PRIu64
            " failing%s%s",
            c->progress == 1 ? "\r" : "faultline: ", s->done, s->st->todo, rate, (int)(eta / 60),
            (int)eta % 60, s->st->failed, fails, c->progress == 1 ? "\033[K" : "\n");
    fflush(stderr);
    s->progress_shown = 1;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    sweep *s = arg;
    (void)fd;
    (void)what;
    int64_t t = fl_sweep_now_us();
    int64_t limit = s->c->sc->watchdog_ms * 1000;
    for (int i = 0; i < s->nw; i++) {
        worker *w = &s->w[i];
        if (w->pid > 0 && w->qn > 0 && !w->killed_hang && limit > 0 &&
            t - w->cur_start_us > limit) {
            w->killed_hang = 1;
            kill(w->pid, SIGKILL);
        }
    }
    fl_sweep_batch_commit(s, 0);
    if (s->c->progress == 1 && t - s->last_progress_us < 250000)
        return;
    show_progress(s, 0);
}

/* The loop's events: worker deaths, Ctrl-C and SIGTERM, the 100 ms tick. */
typedef struct loop_events {
    struct event *chld, *sigint, *sigterm, *tick;
} loop_events;

static void add_events(sweep *s, loop_events *e)
{
    e->chld = evsignal_new(s->base, SIGCHLD, on_sigchld, s);
    e->sigint = evsignal_new(s->base, SIGINT, on_stop_signal, s);
    e->sigterm = evsignal_new(s->base, SIGTERM, on_stop_signal, s);
    e->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    struct timeval tick = {0, 100000};
    evsignal_add(e->chld, NULL);
    evsignal_add(e->sigint, NULL);
    evsignal_add(e->sigterm, NULL);
    event_add(e->tick, &tick);
    if (fl_signals_caught()) { /* before libevent's handlers were in place */
        s->st->interrupted = 1;
        s->stopping = 1;
    }
}

static void free_events(loop_events *e)
{
    event_free(e->tick);
    event_free(e->chld);
    event_free(e->sigint);
    event_free(e->sigterm);
}

/* Seeds of c's range and shard not done yet. */
static uint64_t count_todo(sweep *s)
{
    uint64_t n = 0;
    if (s->c->items)
        return s->c->nitems;
    for (uint64_t v = s->c->from;; v++) {
        n += in_shard(s->c, v) && !is_done(s, v);
        if (v == s->c->to)
            return n;
    }
}

/* Idle workers: EOF on their command pipe ends them; after a stop, SIGKILL. */
static void reap_workers(sweep *s)
{
    for (int i = 0; i < s->nw; i++) {
        worker *w = &s->w[i];
        if (w->pid > 0) {
            if (s->st->interrupted || s->rc)
                kill(w->pid, SIGKILL);
            close(w->cmd_fd);
            w->cmd_fd = -1;
            waitpid(w->pid, NULL, 0);
        }
        if (w->rec) /* a full recording the loop left (stopped on an error) */
            fl_sweep_full_lost(s, w, "the sweep stopped");
        close_worker(w);
    }
}

static void run_loop(sweep *s)
{
    int started = 0;
    for (int i = 0; i < s->nw; i++)
        if (spawn(s, &s->w[i]) == 0)
            started++;
    if (s->nw > 0 && started == 0 && !s->rc)
        fl_sweep_fail_stop(s, FL_EINTERNAL, "sweep: cannot start any worker (fork failed)");
    else if (s->nw > 0 && !s->rc)
        event_base_dispatch(s->base);
    reap_workers(s);
}

int fl_sweep_execute(const fl_sweep_cfg *c, fl_sweep_stats *st, char *err, size_t cap)
{
    sweep s = {.c = c, .st = st, .next = c->items ? 0 : c->from};
    memset(st, 0, sizeof *st);
    st->todo = count_todo(&s);
    int jobs = c->jobs > 0 ? c->jobs : 1;
    if ((uint64_t)jobs > st->todo)
        jobs = (int)st->todo;
    s.nw = jobs;
    s.w = calloc((size_t)(jobs ? jobs : 1), sizeof *s.w);
    s.base = event_base_new();
    if (!s.w || !s.base) {
        snprintf(err, cap, "sweep: out of memory");
        free(s.w);
        if (s.base)
            event_base_free(s.base);
        return FL_ENOMEM;
    }
    for (int i = 0; i < s.nw; i++)
        s.w[i].cmd_fd = s.w[i].res_fd = -1;
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    loop_events ev;
    add_events(&s, &ev);
    s.t0_us = s.last_progress_us = fl_sweep_now_us(); /* a plain line first after 10 s */
    char perr[512];
    if (!c->items && fl_sweep_load_pending(&s, perr, sizeof perr) && !s.rc)
        fl_sweep_fail_stop(&s, FL_EDB, perr);
    if (s.nw == 0 && s.nfull > s.full_next) {
        /* every seed is done but recordings are pending (a full disk stopped the last
         * invocation): one worker makes them; s.w has room for one */
        s.nw = 1;
        s.w[0].cmd_fd = s.w[0].res_fd = -1;
    }
    if (!s.rc)
        run_loop(&s);
    show_progress(&s, 1);
    fl_sweep_batch_commit(&s, 1);
    st->pending += s.nfull - s.full_next;
    st->wall_s = (double)(fl_sweep_now_us() - s.t0_us) / 1e6;
    free_events(&ev);
    event_base_free(s.base);
    signal(SIGPIPE, old_pipe);
    free(s.w);
    free(s.retry);
    free(s.full);
    if (s.rc)
        snprintf(err, cap, "%s", s.err);
    return s.rc;
}
