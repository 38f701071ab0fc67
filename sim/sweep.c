/*
 * sweep.c -- the engine of `faultline sweep` (see sweep.h).
 *
 * Parent: one libevent loop over the workers' result pipes, SIGCHLD, SIGINT/SIGTERM and
 * a 100 ms timer (wall watchdogs, progress).  It hands each worker up to QD seeds, so a
 * worker always has the next seed waiting; the worker answers in order, so the seed a
 * worker is running is always the first of its queue -- that is the seed a crash or a
 * hang is charged to.  The parent is the only database writer.
 * The worker side is in sweep_worker.c.
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
#include "sim/run/run.h"
#include "sim/run/wire.h"
#include "storage/recorder.h"

#define QD 2 /* seeds in flight per worker */

typedef struct worker {
    pid_t pid; /* 0: slot empty */
    int cmd_fd, res_fd;
    struct event *ev;
    uint64_t q[QD];
    int qn;
    int64_t cur_start_us; /* when q[0] started (about) */
    int killed_hang;
    fl_wire_buf in; /* bytes read from the worker, not yet a whole run */
} worker;

typedef struct sweep {
    const fl_sweep_cfg *c;
    fl_sweep_stats *st;
    struct event_base *base;
    worker *w;
    int nw;
    uint64_t next;
    int exhausted;
    uint64_t *retry;
    size_t nretry, retry_cap;
    fl_sweep_frame *later; /* to re-execute with full recording */
    size_t nlater, later_cap;
    uint64_t done; /* results received */
    int stopping;
    int rc;
    char err[512];
    int64_t t0_us, last_progress_us;
    int progress_shown;
} sweep;

static int64_t now_us(void)
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

static int next_seed(sweep *s, uint64_t *seed)
{
    if (s->nretry) {
        *seed = s->retry[--s->nretry];
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

/* ---- the parent: results ---- */

static void fail_stop(sweep *s, int rc, const char *msg)
{
    if (s->rc == 0) {
        s->rc = rc;
        snprintf(s->err, sizeof s->err, "%s", msg);
    }
    s->stopping = 1;
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].pid > 0)
            kill(s->w[i].pid, SIGKILL);
}

static int insert_bare(sweep *s, const fl_sweep_frame *f, char *err, size_t cap)
{
    fl_run_meta meta = {
        .sweep_id = s->c->sweep_id, .scenario_id = s->c->scenario_id, .origin = FL_ORIGIN_SWEEP};
    fl_recorder *r = NULL;
    int rc = fl_recorder_begin(s->c->db, &meta, FL_RECORD_NONE, &r, err, cap);
    if (rc == 0) {
        fl_sink k;
        fl_recorder_sink(r, &k);
        rc = fl_wire_replay(f->bytes, f->len, &k);
        if (rc == FL_EPARSE)
            snprintf(err, cap, "sweep: seed %llu: malformed frames from the worker",
                     (unsigned long long)f->seed);
        else
            rc = fl_recorder_end(r, NULL, err, cap);
    }
    fl_recorder_free(r);
    return rc;
}

static int rerunnable(int outcome)
{
    /* crash, hang and error are not re-executed in the parent: it would crash or hang. */
    return outcome != FL_OUTCOME_CRASH && outcome != FL_OUTCOME_HANG && outcome != FL_OUTCOME_ERROR;
}

/* Takes ownership of f's bytes. */
static void handle_result(sweep *s, fl_sweep_frame *f)
{
    int failed = f->outcome != FL_OUTCOME_OK;
    s->done++;
    if ((unsigned)f->outcome < 16)
        s->st->by_outcome[f->outcome]++;
    if (failed)
        s->st->failed++;
    int later = rerunnable(f->outcome) &&
                (s->c->record == FL_SWEEP_RECORD_ALL || (s->c->record == FL_SWEEP_RECORD_FAILURES &&
                                                         failed && s->nlater < s->c->record_max));
    if (later) {
        if (s->nlater == s->later_cap) {
            size_t cap = s->later_cap ? 2 * s->later_cap : 16;
            fl_sweep_frame *p = realloc(s->later, cap * sizeof *p);
            if (!p) {
                fail_stop(s, FL_ENOMEM, "sweep: out of memory");
                return;
            }
            s->later = p;
            s->later_cap = cap;
        }
        s->later[s->nlater++] = *f;
        f->bytes = NULL;
    } else {
        char err[512];
        int rc = insert_bare(s, f, err, sizeof err);
        fl_sweep_frame_close(f);
        if (rc) {
            fail_stop(s, FL_EDB, err);
            return;
        }
        s->st->ran++;
    }
    if (failed && s->c->stop_after && s->st->failed >= s->c->stop_after && !s->stopping) {
        s->stopping = 1;
        s->st->stopped = 1;
    }
}

/* ---- the parent: workers ---- */

static void feed(sweep *s, worker *w)
{
    uint64_t seed;
    while (w->pid > 0 && w->qn < QD && more_seeds(s) && next_seed(s, &seed)) {
        if (fl_sweep_write_full(w->cmd_fd, &seed, sizeof seed)) {
            push_retry(s, seed); /* dying: SIGCHLD will replace it */
            return;
        }
        if (w->qn == 0)
            w->cur_start_us = now_us();
        w->q[w->qn++] = seed;
    }
}

static void on_frame(sweep *s, worker *w, fl_sweep_frame *f)
{
    if (w->qn == 0 || w->q[0] != f->seed) {
        fl_sweep_frame_close(f);
        fail_stop(s, FL_EINTERNAL, "sweep: a worker answered for a seed it was not given");
        return;
    }
    memmove(w->q, w->q + 1, (size_t)(--w->qn) * sizeof w->q[0]);
    w->cur_start_us = now_us();
    handle_result(s, f);
}

/* The whole runs in w->in, in order. */
static void take_runs(sweep *s, worker *w)
{
    size_t off = 0;
    for (;;) {
        fl_sweep_frame f;
        size_t used = 0;
        int rc = fl_sweep_frame_take(w->in.p + off, w->in.len - off, &f, &used);
        if (rc == 0)
            break;
        if (rc < 0) {
            fail_stop(s, FL_EINTERNAL, "sweep: malformed frames from a worker");
            w->in.len = 0;
            return;
        }
        off += used;
        on_frame(s, w, &f);
    }
    memmove(w->in.p, w->in.p + off, w->in.len - off);
    w->in.len -= off;
}

/* Read what the worker wrote; 1 at EOF. */
static int drain(sweep *s, worker *w)
{
    for (;;) {
        if (w->in.cap - w->in.len < 65536) {
            size_t ncap = w->in.cap ? w->in.cap * 2 : 131072;
            uint8_t *p = realloc(w->in.p, ncap);
            if (!p) {
                fail_stop(s, FL_ENOMEM, "sweep: out of memory");
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
    if (drain(r->s, r->w) && r->w->ev)
        event_del(r->w->ev); /* EOF: SIGCHLD does the rest */
    if (r->w->pid > 0)
        feed(r->s, r->w);
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
    int cmd[2], res[2];
    if (pipe(cmd))
        return -1;
    if (pipe(res)) {
        close(cmd[0]);
        close(cmd[1]);
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        fl_sweep_worker_main(s->c, cmd[0], res[1], parent);
    close(cmd[0]);
    close(res[1]);
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(cmd[1]);
        close(res[0]);
        return -1;
    }
    memset(w, 0, sizeof *w);
    w->pid = pid;
    w->cmd_fd = cmd[1];
    w->res_fd = res[0];
    fcntl(w->res_fd, F_SETFL, fcntl(w->res_fd, F_GETFL) | O_NONBLOCK);
    wref *r = malloc(sizeof *r);
    if (r) {
        r->s = s;
        r->w = w;
        w->ev = event_new(s->base, w->res_fd, EV_READ | EV_PERSIST, on_readable_ref, r);
    }
    if (!w->ev || event_add(w->ev, NULL)) {
        free(r);
        sigprocmask(SIG_SETMASK, &old, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        w->ev = NULL;
        close_worker(w);
        return -1;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    feed(s, w);
    return 0;
}

static void check_finished(sweep *s)
{
    for (int i = 0; i < s->nw; i++) {
        worker *w = &s->w[i];
        if (w->pid > 0 && (w->qn > 0 || (s->st->interrupted || s->rc)))
            return;
        if (w->pid > 0 && more_seeds(s))
            return;
    }
    if (more_seeds(s)) {
        /* every worker died and none could be started */
        for (int i = 0; i < s->nw; i++)
            if (s->w[i].pid > 0)
                return;
        fail_stop(s, FL_EINTERNAL, "sweep: no worker left (fork failed)");
    }
    event_base_loopbreak(s->base);
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
        drain(s, w);
        if (w->qn > 0) {
            uint64_t seed = w->q[0];
            fl_sweep_frame f = {0};
            char detail[256];
            int record = 1;
            if (w->killed_hang) {
                snprintf(detail, sizeof detail, "wall-clock watchdog expired (%" PRId64 " ms)",
                         s->c->sc->watchdog_ms);
                fl_sweep_frame_failure(&f, seed, FL_OUTCOME_HANG, detail);
            } else if (s->st->interrupted || s->rc) {
                record = 0; /* in flight when stopped: a resume runs it */
            } else if (WIFSIGNALED(status)) {
                snprintf(detail, sizeof detail, "%s (signal %d)", strsignal(WTERMSIG(status)),
                         WTERMSIG(status));
                fl_sweep_frame_failure(&f, seed, FL_OUTCOME_CRASH, detail);
            } else {
                snprintf(detail, sizeof detail, "worker exited with status %d",
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                fl_sweep_frame_failure(&f, seed, FL_OUTCOME_ERROR, detail);
            }
            if (record)
                handle_result(s, &f);
            fl_sweep_frame_close(&f);
            for (int i = 1; i < w->qn; i++)
                push_retry(s, w->q[i]);
        }
        close_worker(w);
        if (more_seeds(s) && spawn(s, w) != 0)
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
    int64_t t = now_us();
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
    int64_t t = now_us();
    int64_t limit = s->c->sc->watchdog_ms * 1000;
    for (int i = 0; i < s->nw; i++) {
        worker *w = &s->w[i];
        if (w->pid > 0 && w->qn > 0 && !w->killed_hang && limit > 0 &&
            t - w->cur_start_us > limit) {
            w->killed_hang = 1;
            kill(w->pid, SIGKILL);
        }
    }
    if (s->c->progress == 1 && t - s->last_progress_us < 250000)
        return;
    show_progress(s, 0);
}

/* ---- after the loop: full recordings ---- */

static int cmp_frame(const void *a, const void *b)
{
    uint64_t x = ((const fl_sweep_frame *)a)->seed, y = ((const fl_sweep_frame *)b)->seed;
    return x < y ? -1 : x > y;
}

/* Re-execute seed with full recording into the sweep's database. */
static int record_full(sweep *s, uint64_t seed, fl_run_result *res, char *err, size_t cap)
{
    fl_run_meta meta = {
        .sweep_id = s->c->sweep_id, .scenario_id = s->c->scenario_id, .origin = FL_ORIGIN_SWEEP};
    fl_recorder *rec = NULL;
    int rc = fl_recorder_begin(s->c->db, &meta, FL_RECORD_ALL, &rec, err, cap);
    if (rc == 0) {
        fl_sink k;
        fl_recorder_sink(rec, &k);
        fl_run_job job = {
            .sc = s->c->sc, .protocol = s->c->proto, .seed = seed, .sinks = &k, .nsinks = 1};
        rc = fl_run(&job, res, err, cap);
        if (rc == 0)
            rc = fl_recorder_end(rec, NULL, err, cap);
    }
    fl_recorder_free(rec);
    return rc;
}

static void record_later(sweep *s)
{
    if (s->nlater)
        qsort(s->later, s->nlater, sizeof *s->later, cmp_frame);
    if (s->nlater && s->c->progress)
        fprintf(stderr, "faultline: sweep: recording %zu run%s in full\n", s->nlater,
                s->nlater == 1 ? "" : "s");
    for (size_t i = 0; i < s->nlater && !s->st->interrupted && !s->rc; i++) {
        const fl_sweep_frame *f = &s->later[i];
        fl_run_result r;
        char err[512];
        if (record_full(s, f->seed, &r, err, sizeof err) == 0) {
            s->st->recorded++;
            if (strcmp(r.digest, f->digest) != 0) {
                s->st->mismatches++;
                fprintf(stderr,
                        "faultline: sweep: seed %" PRIu64 ": warning: digest %s when recorded,"
                        " %s in the worker: the protocol is not deterministic\n",
                        f->seed, r.digest, f->digest);
            }
        } else {
            fprintf(stderr, "faultline: sweep: seed %" PRIu64 ": full recording failed: %s\n",
                    f->seed, err);
            if (insert_bare(s, f, err, sizeof err)) {
                fail_stop(s, FL_EDB, err);
                break;
            }
        }
        s->st->ran++;
        event_base_loop(s->base, EVLOOP_NONBLOCK); /* SIGINT? */
    }
}

int fl_sweep_execute(const fl_sweep_cfg *c, fl_sweep_stats *st, char *err, size_t cap)
{
    sweep s = {.c = c, .st = st, .next = c->from};
    memset(st, 0, sizeof *st);
    for (uint64_t v = c->from;; v++) {
        if (in_shard(c, v) && !is_done(&s, v))
            st->todo++;
        if (v == c->to)
            break;
    }
    int jobs = c->jobs > 0 ? c->jobs : 1;
    if ((uint64_t)jobs > st->todo)
        jobs = (int)(st->todo ? st->todo : 0);
    s.nw = jobs;
    s.w = calloc((size_t)(jobs ? jobs : 1), sizeof *s.w);
    s.base = event_base_new();
    struct event *ev_chld = NULL, *ev_int = NULL, *ev_term = NULL, *ev_tick = NULL;
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
    ev_chld = evsignal_new(s.base, SIGCHLD, on_sigchld, &s);
    ev_int = evsignal_new(s.base, SIGINT, on_stop_signal, &s);
    ev_term = evsignal_new(s.base, SIGTERM, on_stop_signal, &s);
    ev_tick = event_new(s.base, -1, EV_PERSIST, on_tick, &s);
    struct timeval tick = {0, 100000};
    evsignal_add(ev_chld, NULL);
    evsignal_add(ev_int, NULL);
    evsignal_add(ev_term, NULL);
    event_add(ev_tick, &tick);
    s.t0_us = s.last_progress_us = now_us();
    if (c->progress == 2)
        s.last_progress_us = s.t0_us; /* first plain line after 10 s */
    int started = 0;
    for (int i = 0; i < s.nw; i++)
        if (spawn(&s, &s.w[i]) == 0)
            started++;
    if (s.nw > 0 && started == 0)
        fail_stop(&s, FL_EINTERNAL, "sweep: cannot start any worker (fork failed)");
    else if (s.nw > 0)
        event_base_dispatch(s.base);
    /* Idle workers: EOF on their command pipe ends them. */
    for (int i = 0; i < s.nw; i++) {
        worker *w = &s.w[i];
        if (w->pid > 0) {
            if (s.st->interrupted || s.rc)
                kill(w->pid, SIGKILL);
            close(w->cmd_fd);
            w->cmd_fd = -1;
            waitpid(w->pid, NULL, 0);
        }
        close_worker(w);
    }
    show_progress(&s, 1);
    if (!s.rc)
        record_later(&s);
    st->wall_s = (double)(now_us() - s.t0_us) / 1e6;
    event_free(ev_tick);
    event_free(ev_chld);
    event_free(ev_int);
    event_free(ev_term);
    event_base_free(s.base);
    signal(SIGPIPE, old_pipe);
    free(s.w);
    free(s.retry);
    for (size_t i = 0; i < s.nlater; i++)
        fl_sweep_frame_close(&s.later[i]);
    free(s.later);
    if (s.rc)
        snprintf(err, cap, "%s", s.err);
    return s.rc;
}
