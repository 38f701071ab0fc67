/*
 * sweep_worker.c -- the worker side of a sweep (see sweep.h): read jobs from the
 * command pipe until EOF, run each with fl_run (no database) and stream its records
 * back in the wire encoding; a bare run's frames go in one write.  The worker dies with the
 * parent (PR_SET_PDEATHSIG) and ignores SIGINT.
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
#include "core/error.h"
#include "sim/run/run.h"
#include "sim/run/frames.h"
#include "sim/run/wire.h"

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

int fl_sweep_job_send(int cmd_fd, const fl_sweep_job *j, const char *schedule)
{
    if (fl_sweep_write_full(cmd_fd, j, sizeof *j))
        return -1;
    return j->schedule_len ? fl_sweep_write_full(cmd_fd, schedule, j->schedule_len) : 0;
}

int fl_sweep_frame_take(const uint8_t *buf, size_t len, fl_sweep_frame *f, size_t *used)
{
    fl_wire_scratch sc;
    size_t off = 0;
    memset(f, 0, sizeof *f);
    for (;;) {
        fl_record r;
        long n = fl_wire_get(buf + off, len - off, &r, &sc);
        if (n <= 0)
            return (int)n; /* 0: not complete yet */
        off += (size_t)n;
        if (r.kind == FL_REC_RUN_BEGIN)
            f->seed = r.u.begin.seed;
        if (r.kind != FL_REC_RUN_END)
            continue;
        f->outcome = r.u.end->outcome;
        memcpy(f->digest, r.u.end->digest, sizeof f->digest);
        if (!(f->bytes = malloc(off)))
            return FL_ENOMEM;
        memcpy(f->bytes, buf, off);
        f->len = off;
        *used = off;
        return 1;
    }
}

/* A frame of just a run's begin and its end, with result res. */
static int frame_of_result(fl_sweep_frame *f, uint64_t seed, const fl_run_result *res)
{
    fl_wire_buf b = {0};
    fl_record begin = {.kind = FL_REC_RUN_BEGIN}, end = {.kind = FL_REC_RUN_END};
    begin.u.begin.seed = seed;
    end.u.end = res;
    memset(f, 0, sizeof *f);
    if (fl_wire_put(&b, &begin) || fl_wire_put(&b, &end)) {
        fl_wire_buf_close(&b);
        return FL_ENOMEM;
    }
    f->seed = seed;
    f->outcome = res->outcome;
    f->bytes = b.p;
    f->len = b.len;
    return 0;
}

int fl_sweep_frame_failure(fl_sweep_frame *f, uint64_t seed, int outcome, const char *detail)
{
    fl_run_result res;
    memset(&res, 0, sizeof res);
    res.outcome = outcome;
    res.fail_step = res.fail_time_ns = -1;
    snprintf(res.detail, sizeof res.detail, "%s", detail);
    return frame_of_result(f, seed, &res);
}

int fl_sweep_frame_setup_error(fl_sweep_frame *f, uint64_t seed, int code, const char *detail)
{
    fl_run_result res;
    memset(&res, 0, sizeof res);
    res.outcome = FL_OUTCOME_ERROR;
    res.fail_step = code;
    res.fail_time_ns = -1;
    snprintf(res.check, sizeof res.check, "setup");
    snprintf(res.detail, sizeof res.detail, "%s", detail);
    return frame_of_result(f, seed, &res);
}

void fl_sweep_frame_close(fl_sweep_frame *f)
{
    free(f->bytes);
    memset(f, 0, sizeof *f);
}

/* Run jobs from cmd_fd until EOF: bare jobs stream their run-level records, full jobs
 * every record (with descriptions), flushed as they grow so that a long recording
 * never sits whole in the worker. */
_Noreturn void fl_sweep_worker_loop(const fl_scenario *sc, const struct fl_protocol *p, int cmd_fd,
                                    int res_fd)
{
    fl_frames fr = {0};
    fl_sink sink;
    for (;;) {
        fl_sweep_job j;
        if (fl_sweep_read_full(cmd_fd, &j, sizeof j) || j.schedule_len > (64u << 20))
            _exit(0);
        char *schedule = NULL;
        if (j.schedule_len) {
            schedule = malloc(j.schedule_len);
            if (!schedule || fl_sweep_read_full(cmd_fd, schedule, j.schedule_len))
                _exit(0);
        }
        fl_frames_sink(&fr, res_fd, j.wants, j.flags, &sink);
        fl_run_job job = {.sc = sc,
                          .protocol = p,
                          .seed = j.seed,
                          .schedule_text = schedule,
                          .schedule_len = j.schedule_len,
                          .sinks = &sink,
                          .nsinks = 1,
                          .stop_ns = j.stop_ns};
        fl_run_result r;
        char err[256];
        int rc = fl_run(&job, &r, err, sizeof err);
        free(schedule);
        if (rc != 0) {
            /* the run could not start (a bad schedule): check "setup", the FL_E code as
             * fail_step, so that a single run's parent reports it as the input error it is */
            fl_sweep_frame f;
            if (fl_sweep_frame_setup_error(&f, j.seed, rc, err) ||
                fl_sweep_write_full(res_fd, f.bytes, f.len))
                _exit(0);
            fl_sweep_frame_close(&f);
        }
    }
}
