/*
 * sweep_results.c -- what the sweep parent does with a seed's result (see sweep.h): a
 * bare row from the worker's frames, or, for a seed to record in full, a re-execution
 * after the loop in a worker, whose stream of records goes into the recorder as it
 * arrives (protocol code never runs in the parent, and a recording never sits whole in
 * memory).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/error.h"
#include "core/world.h"
#include "sim/run/frames.h"
#include "sim/run/run.h"
#include "sim/sweep_impl.h"
#include "storage/recorder.h"

void fl_sweep_fail_stop(sweep *s, int rc, const char *msg)
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

/* The bare row of f (pending: a full recording of it is to come); its id to *run_id. */
static int insert_bare(sweep *s, const fl_sweep_frame *f, int pending, int64_t *run_id, char *err,
                       size_t cap)
{
    fl_run_meta meta = {.sweep_id = s->c->sweep_id,
                        .scenario_id = s->c->scenario_id,
                        .origin = FL_ORIGIN_SWEEP,
                        .pending = pending};
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
            rc = fl_recorder_end(r, run_id, err, cap);
    }
    fl_recorder_free(r);
    return rc;
}

/* Remember a seed whose pending row is to be recorded in full. */
static int keep_for_later(sweep *s, uint64_t seed, int64_t run_id, const char *digest)
{
    if (s->nlater == s->later_cap) {
        size_t cap = s->later_cap ? 2 * s->later_cap : 16;
        fl_sweep_frame *p = realloc(s->later, cap * sizeof *p);
        if (!p)
            return FL_ENOMEM;
        s->later = p;
        s->later_cap = cap;
    }
    fl_sweep_frame *f = &s->later[s->nlater++];
    memset(f, 0, sizeof *f);
    f->seed = seed;
    f->run_id = run_id;
    snprintf(f->digest, sizeof f->digest, "%s", digest ? digest : "");
    return 0;
}

static void on_pending(void *ctx, uint64_t seed, int64_t run_id, const char *digest)
{
    sweep *s = ctx;
    if (!s->rc && keep_for_later(s, seed, run_id, digest))
        fl_sweep_fail_stop(s, FL_ENOMEM, "sweep: out of memory");
}

int fl_sweep_load_pending(sweep *s, char *err, size_t cap)
{
    int rc = fl_db_sweep_pending(s->c->db, s->c->scenario_id, on_pending, s, err, cap);
    s->st->resumed_pending = s->nlater;
    return rc ? rc : s->rc;
}

static int rerunnable(int outcome)
{
    /* crash, hang and error are not re-executed in the parent: it would crash or hang. */
    return outcome != FL_OUTCOME_CRASH && outcome != FL_OUTCOME_HANG && outcome != FL_OUTCOME_ERROR;
}

/* Takes ownership of f's bytes. */
void fl_sweep_handle_result(sweep *s, fl_sweep_frame *f)
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
    /* The row goes in now, failures included, so a kill -9 or a query during the sweep
     * sees it; one to record in full is pending until its recording replaces it. */
    char err[512];
    int64_t run_id = 0;
    int rc = insert_bare(s, f, later, &run_id, err, sizeof err);
    if (rc == 0 && later)
        rc = keep_for_later(s, f->seed, run_id, f->digest);
    fl_sweep_frame_close(f);
    if (rc) {
        fl_sweep_fail_stop(s, rc == FL_ENOMEM ? FL_ENOMEM : FL_EDB, err);
        return;
    }
    s->st->ran++;
    if (failed && s->c->stop_after && s->st->failed >= s->c->stop_after && !s->stopping) {
        s->stopping = 1;
        s->st->stopped = 1;
    }
}

/* ---- after the loop: full recordings ---- */

static int cmp_frame(const void *a, const void *b)
{
    uint64_t x = ((const fl_sweep_frame *)a)->seed, y = ((const fl_sweep_frame *)b)->seed;
    return x < y ? -1 : x > y;
}

/* Re-execute seed with full recording into the sweep's database. */
/* ---- full recordings, in a worker: protocol code never runs in the parent ---- */

/* The worker that records seeds in full, started on first use (and again after one
 * died). */
typedef struct recorder_worker {
    pid_t pid;
    int cmd_fd, res_fd;
} recorder_worker;

static void stop_worker(recorder_worker *rw)
{
    if (rw->pid <= 0)
        return;
    close(rw->cmd_fd);
    kill(rw->pid, SIGKILL);
    waitpid(rw->pid, NULL, 0);
    close(rw->res_fd);
    rw->pid = 0;
}

/* Feed the complete frames of in to the recorder's sink; 1 once RUN_END was fed (its
 * result copied to *res), 0 for more, <0 on a malformed stream or the sink's error. */
static int feed_frames(fl_wire_buf *in, const fl_sink *k, fl_run_result *res)
{
    size_t off = 0;
    int done = 0, rc = 0;
    fl_wire_scratch sc;
    while (!done && rc == 0) {
        fl_record r;
        long n = fl_wire_get(in->p + off, in->len - off, &r, &sc);
        if (n <= 0) {
            rc = (int)n;
            break;
        }
        off += (size_t)n;
        if (k->wants & FL_REC_BIT(r.kind))
            rc = k->consume(k->ctx, &r);
        if (r.kind == FL_REC_RUN_END) {
            *res = *r.u.end;
            done = 1;
        }
    }
    memmove(in->p, in->p + off, in->len - off);
    in->len -= off;
    return rc < 0 ? rc : done;
}

static int say(char *err, size_t cap, int rc, const char *msg)
{
    snprintf(err, cap, "%s", msg);
    return rc;
}

/* Read the worker's stream of one full run into the recorder, with the watchdog. */
static int stream_run(sweep *s, recorder_worker *rw, const fl_sink *k, fl_run_result *res,
                      char *err, size_t cap)
{
    fl_wire_buf in = {0};
    int64_t t0 = fl_sweep_now_us(), limit = s->c->sc->watchdog_ms * 1000;
    int rc = 0;
    for (;;) {
        struct pollfd pfd = {.fd = rw->res_fd, .events = POLLIN};
        int ready = poll(&pfd, 1, 100);
        event_base_loop(s->base, EVLOOP_NONBLOCK); /* SIGINT, SIGTERM */
        if (s->st->interrupted) {
            rc = say(err, cap, FL_EINTERNAL, "interrupted");
            break;
        }
        if (limit > 0 && fl_sweep_now_us() - t0 > limit) {
            rc = say(err, cap, FL_EINTERNAL, "wall-clock watchdog expired while recording");
            break;
        }
        if (ready <= 0)
            continue;
        if (in.cap - in.len < 65536) {
            uint8_t *p = realloc(in.p, in.cap ? in.cap * 2 : 131072);
            if (!p) {
                rc = say(err, cap, FL_ENOMEM, "out of memory");
                break;
            }
            in.p = p;
            in.cap = in.cap ? in.cap * 2 : 131072;
        }
        ssize_t n = read(rw->res_fd, in.p + in.len, in.cap - in.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = say(err, cap, FL_EINTERNAL, "the protocol crashed while the run was recorded");
            break;
        }
        in.len += (size_t)n;
        int got = feed_frames(&in, k, res);
        if (got < 0) {
            rc = say(err, cap, got, "malformed frames from the worker");
            break;
        }
        if (got == 1)
            break;
    }
    fl_wire_buf_close(&in);
    if (rc)
        stop_worker(rw); /* its state is unknown: the next run gets a new one */
    return rc;
}

/* Re-execute f's seed with full recording, in rw, replacing its pending row.  Returns
 * 0, FL_EDB when the database failed, or another code when the protocol did. */
static int record_full(sweep *s, recorder_worker *rw, const fl_sweep_frame *f, fl_run_result *res,
                       char *err, size_t cap)
{
    uint64_t seed = f->seed;
    if (rw->pid <= 0 && fl_sweep_worker_start(s->c, &rw->pid, &rw->cmd_fd, &rw->res_fd, NULL, NULL,
                                              0, err, cap) != 0)
        return FL_EINTERNAL;
    fl_run_meta meta = {.sweep_id = s->c->sweep_id,
                        .scenario_id = s->c->scenario_id,
                        .origin = FL_ORIGIN_SWEEP,
                        .replaces = f->run_id};
    fl_recorder *rec = NULL;
    int rc = fl_recorder_begin(s->c->db, &meta, FL_RECORD_ALL, &rec, err, cap);
    if (rc)
        return FL_EDB; /* the database, not the protocol */
    fl_sweep_job job = {.seed = seed, .wants = FL_SWEEP_WANTS_FULL, .flags = FL_FRAMES_SCHEDULE};
    if (rc == 0 && fl_sweep_job_send(rw->cmd_fd, &job, NULL)) {
        snprintf(err, cap, "the recording worker is gone");
        stop_worker(rw);
        rc = FL_EINTERNAL;
    }
    if (rc == 0) {
        fl_sink k;
        fl_recorder_sink(rec, &k);
        rc = stream_run(s, rw, &k, res, err, cap);
        if (rc != 0 && fl_recorder_error(rec, err, cap) != 0)
            rc = FL_EDB; /* a write failed (disk full), not the protocol */
    }
    if (rc == 0 && fl_recorder_end(rec, NULL, err, cap) != 0)
        rc = FL_EDB;
    fl_recorder_free(rec);
    return rc;
}

void fl_sweep_record_later(sweep *s)
{
    if (s->nlater)
        qsort(s->later, s->nlater, sizeof *s->later, cmp_frame);
    if (s->nlater && s->c->progress)
        fprintf(stderr, "faultline: sweep: recording %zu run%s in full\n", s->nlater,
                s->nlater == 1 ? "" : "s");
    recorder_worker rw = {0};
    size_t i = 0;
    for (; i < s->nlater && !s->st->interrupted && !s->rc; i++) {
        const fl_sweep_frame *f = &s->later[i];
        fl_run_result r;
        char err[512];
        int rc = record_full(s, &rw, f, &r, err, sizeof err);
        if (s->st->interrupted)
            break;          /* still pending: a resume records it */
        if (rc == FL_EDB) { /* an I/O failure: the row stays pending, the sweep fails */
            fl_sweep_fail_stop(s, FL_EIO, err);
            break;
        }
        if (rc == 0) {
            s->st->recorded++;
            if (strcmp(r.digest, f->digest) != 0) {
                s->st->mismatches++;
                fprintf(stderr,
                        "faultline: sweep: seed %" PRIu64 ": warning: digest %s when recorded,"
                        " %s in the worker: the protocol is not deterministic\n",
                        f->seed, r.digest, f->digest);
            }
        } else {
            /* the protocol crashed or hung while recorded: the bare row is what there is */
            fprintf(stderr, "faultline: sweep: seed %" PRIu64 ": full recording failed: %s\n",
                    f->seed, err);
            if (fl_db_run_set_recorded(s->c->db, f->run_id, "none", err, sizeof err)) {
                fl_sweep_fail_stop(s, FL_EIO, err);
                break;
            }
        }
        event_base_loop(s->base, EVLOOP_NONBLOCK); /* SIGINT? */
    }
    s->st->pending = s->nlater - i;
    stop_worker(&rw);
}
