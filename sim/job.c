/*
 * job.c -- one run in a worker process (see job.h).
 *
 * The worker streams every kind a parent-side sink wants.  When protocol code crashes,
 * the worker's fatal-signal handler leaves the running step in a page it shares with
 * the parent (fl_worker_note) before it dies of the signal, so the parent reports the
 * crash at its step.  A hang is ended with SIGTERM, which the same handler notes, then
 * SIGKILL.
 *
 * --write-schedule: the schedule is written when the run begins (the one it follows),
 * and, for an automatic run that ends normally, written again at its end as a format-2
 * schedule with every per-message fault materialised ("messages": "only"), made of the
 * run's faults records: given back with --schedule, it reproduces the run exactly.
 */
#include "sim/job.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/world.h"
#include "faults/schedule.h"
#include "sim/run/frames.h"
#include "sim/run/wire.h"
#include "sim/sweep.h"

typedef struct job_state {
    const fl_job_spec *spec;
    fl_stream stream;   /* the parent's sinks */
    int64_t steps_done; /* step_end records seen */
    int64_t last_time_ns;
    int ended;
    fl_run_result res;
    char err[512];
    int err_rc;
    fl_worker_note *note; /* where the worker's crash handler leaves the step */
    char **specs;         /* --write-schedule: the faults records' entries, in order */
    size_t nspecs, specs_cap;
    char *ops; /* --write-schedule: the run's schedule's "ops" (JSON), or NULL: every op */
} job_state;

static int64_t mono_ms(void)
{
    /* wall time for the watchdog only: never seen by the run */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_schedule(job_state *j, const char *json)
{
    const char *path = j->spec->write_schedule_path;
    FILE *f = path && json ? fopen(path, "w") : NULL;
    if (!path || !json)
        return;
    int script = j->spec->sc->scripted;
    if (!f || fputs(json, f) < 0 || (script && fputc('\n', f) < 0) || fclose(f) != 0) {
        snprintf(j->err, sizeof j->err, "--write-schedule %s: %s", path, strerror(errno));
        j->err_rc = FL_EINVAL;
    }
}

/* Whether the run's end rewrites --write-schedule with its materialised schedule. */
static int materialises(const fl_job_spec *spec)
{
    return spec->write_schedule_path && !spec->sc->scripted;
}

static void keep_spec(job_state *j, const char *spec)
{
    if (!materialises(j->spec) || j->err_rc)
        return;
    if (j->nspecs == j->specs_cap) {
        size_t ncap = j->specs_cap ? 2 * j->specs_cap : 256;
        char **ns = realloc(j->specs, ncap * sizeof *ns);
        if (!ns)
            goto oom;
        j->specs = ns;
        j->specs_cap = ncap;
    }
    if (!(j->specs[j->nspecs] = strdup(spec ? spec : "{}")))
        goto oom;
    j->nspecs++;
    return;
oom:
    snprintf(j->err, sizeof j->err, "--write-schedule: out of memory");
    j->err_rc = FL_ENOMEM;
}

/* The "ops" of the schedule the run follows, kept for the materialised one (a shrunk
 * schedule names its ops: written out without them, it would issue every op). */
static void keep_ops(job_state *j, const char *schedule_json)
{
    cJSON *root = materialises(j->spec) && schedule_json ? cJSON_Parse(schedule_json) : NULL;
    const cJSON *ops = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "ops") : NULL;
    if (cJSON_IsArray(ops))
        j->ops = cJSON_PrintUnformatted(ops);
    cJSON_Delete(root);
}

/* text with "ops":<j->ops>, after its header (fl_schedule_join_only's); takes text. */
static char *with_ops(job_state *j, char *text)
{
    static const char head[] = "{\"version\":2,\"messages\":\"only\",";
    size_t n = sizeof head - 1;
    if (!text || !j->ops || strncmp(text, head, n) != 0)
        return text;
    size_t len = strlen(text) + strlen(j->ops) + 8;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s\"ops\":%s,%s", head, j->ops, text + n);
    free(text);
    return out;
}

static void write_materialised(job_state *j)
{
    if (!materialises(j->spec) || j->err_rc)
        return;
    char *text = with_ops(j, fl_schedule_join_only((const char *const *)j->specs, j->nspecs));
    if (!text) {
        snprintf(j->err, sizeof j->err, "--write-schedule: out of memory");
        j->err_rc = FL_ENOMEM;
        return;
    }
    write_schedule(j, text);
    free(text);
}

static void deliver(job_state *j, const fl_record *r)
{
    if (r->kind == FL_REC_STEP_END) {
        j->steps_done = (int64_t)r->u.step.step + 1;
        j->last_time_ns = r->u.step.time_ns;
    } else if (r->kind == FL_REC_RUN_BEGIN) {
        write_schedule(j, r->u.begin.schedule_json);
        keep_ops(j, r->u.begin.schedule_json);
    } else if (r->kind == FL_REC_FAULT) {
        keep_spec(j, r->u.fault.spec);
    } else if (r->kind == FL_REC_RUN_END) {
        write_materialised(j);
        /* held back until the worker has exited cleanly: stop() at the end of the run
         * and the teardown are protocol code too */
        j->res = *r->u.end;
        j->ended = 1;
        return;
    }
    fl_stream_emit(&j->stream, r);
}

/* Hand every complete frame of in to the sinks; <0 on a malformed stream. */
static int take_frames(job_state *j, fl_wire_buf *in)
{
    size_t off = 0;
    fl_wire_scratch sc;
    for (;;) {
        fl_record r;
        long n = fl_wire_get(in->p + off, in->len - off, &r, &sc);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;
        off += (size_t)n;
        deliver(j, &r);
    }
    memmove(in->p, in->p + off, in->len - off);
    in->len -= off;
    return 0;
}

/* While the worker streams, wait for its next frames by napping instead of blocking on
 * the pipe.  A pipe wakes its reader as a "synchronous" wakeup, and on a virtual
 * machine the scheduler then often moved the parent onto the worker's CPU, where the
 * two took turns while the other CPU idled: a recorded 30 s Raft run took 29 ms
 * instead of 15 in about a third of the runs (measured with sched_getcpu on both
 * sides).  A timer wakes the parent where it was.  After NAP_WINDOW_MS without data
 * (a slow protocol, a hang) it blocks in poll again.  1: nap, 0: block. */
#define NAP_NS 200000
#define NAP_WINDOW_MS 50

static int nap(int fd, int64_t last_data_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (mono_ms() - last_data_ms >= NAP_WINDOW_MS || poll(&pfd, 1, 0) != 0)
        return 0;
    struct timespec ts = {0, NAP_NS};
    nanosleep(&ts, NULL);
    return 1;
}

/* Read the worker's stream until its run ends, it dies (1) or the watchdog expires
 * (2).  0: the run ended. */
static int read_stream(job_state *j, int fd, int64_t watchdog_ms)
{
    fl_wire_buf in = {0};
    int64_t deadline = watchdog_ms > 0 ? mono_ms() + watchdog_ms : 0;
    int64_t last_data_ms = mono_ms();
    int rc = 0;
    while (!j->ended) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int wait = deadline ? (int)(deadline - mono_ms()) : 1000;
        if (deadline && wait <= 0) {
            rc = 2;
            break;
        }
        if (nap(fd, last_data_ms))
            continue;
        if (poll(&pfd, 1, wait > 1000 ? 1000 : wait) <= 0)
            continue;
        last_data_ms = mono_ms();
        if (in.cap - in.len < 65536) {
            uint8_t *p = realloc(in.p, in.cap ? in.cap * 2 : 131072);
            if (!p) {
                rc = 1;
                break;
            }
            in.p = p;
            in.cap = in.cap ? in.cap * 2 : 131072;
        }
        ssize_t n = read(fd, in.p + in.len, in.cap - in.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (in.len += (size_t)n, take_frames(j, &in) < 0)) {
            rc = 1;
            break;
        }
    }
    fl_wire_buf_close(&in);
    return rc;
}

/* The run's end when the worker could not finish it: outcome crash or hang, at the
 * step that was running. */
static void end_abnormally(job_state *j, int outcome, const char *detail)
{
    fl_run_result *r = &j->res;
    memset(r, 0, sizeof *r);
    r->outcome = outcome;
    snprintf(r->check, sizeof r->check, "%s", fl_outcome_name(outcome));
    snprintf(r->detail, sizeof r->detail, "%s", detail);
    int noted = j->note && j->note->crashed;
    r->fail_step = noted ? (int64_t)j->note->step : j->steps_done;
    r->fail_time_ns = noted ? j->note->time_ns : j->last_time_ns;
    r->steps = (uint64_t)r->fail_step;
    r->sim_time_ns = r->fail_time_ns;
    snprintf(r->digest, sizeof r->digest, "%016llx", 0ULL);
    fl_record end = {.kind = FL_REC_RUN_END};
    end.u.end = r;
    fl_stream_emit(&j->stream, &end);
    j->ended = 1;
}

static uint32_t wanted(const fl_job_spec *spec)
{
    uint32_t w = FL_REC_BIT(FL_REC_RUN_BEGIN) | FL_REC_BIT(FL_REC_RUN_END);
    if (materialises(spec))
        w |= FL_REC_BIT(FL_REC_FAULT);
    for (size_t i = 0; i < spec->nsinks; i++)
        w |= spec->sinks[i].wants;
    return w;
}

static void signal_detail(int status, char *buf, size_t cap)
{
    if (WIFSIGNALED(status))
        snprintf(buf, cap, "%s (signal %d)", strsignal(WTERMSIG(status)), WTERMSIG(status));
    else
        snprintf(buf, cap, "the worker exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Wait for the worker and give the sinks the run's end: the worker's own if it then
 * exited cleanly, else crash (or hang, when the watchdog fired). */
static void finish_worker(job_state *j, pid_t pid, int outcome_rc)
{
    int status = 0;
    char detail[256];
    if (outcome_rc == 2) {
        /* SIGTERM first: the worker's handler notes the step that is spinning */
        kill(pid, SIGTERM);
        for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
            usleep(10000);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        snprintf(detail, sizeof detail, "wall-clock watchdog expired (%lld ms)",
                 (long long)j->spec->sc->watchdog_ms);
        end_abnormally(j, FL_OUTCOME_HANG, detail);
        return;
    }
    waitpid(pid, &status, 0); /* after a clean end, EOF on its command pipe ends it */
    if (outcome_rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        fl_record end = {.kind = FL_REC_RUN_END};
        end.u.end = &j->res;
        fl_stream_emit(&j->stream, &end);
        return;
    }
    signal_detail(status, detail, sizeof detail);
    int outcome = WIFSIGNALED(status) ? FL_OUTCOME_CRASH : FL_OUTCOME_ERROR;
    if (outcome_rc == 0) {
        /* the run had ended (its digest and counts stand): the crash came in its
         * teardown, stop() */
        strncat(detail, " after the run's end (stop)", sizeof detail - strlen(detail) - 1);
        j->res.outcome = outcome;
        snprintf(j->res.check, sizeof j->res.check, "%s", fl_outcome_name(outcome));
        snprintf(j->res.detail, sizeof j->res.detail, "%s", detail);
        j->res.fail_step = (int64_t)j->res.steps;
        j->res.fail_time_ns = j->res.sim_time_ns;
        fl_record end = {.kind = FL_REC_RUN_END};
        end.u.end = &j->res;
        fl_stream_emit(&j->stream, &end);
        return;
    }
    end_abnormally(j, outcome, detail);
}

int fl_job_run(const fl_job_spec *spec, fl_run_result *res, char *err, size_t cap)
{
    job_state j = {.spec = spec};
    fl_stream_init(&j.stream);
    for (size_t i = 0; i < spec->nsinks; i++)
        if (fl_stream_add(&j.stream, &spec->sinks[i])) {
            snprintf(err, cap, "run: too many sinks");
            return FL_ELIMIT;
        }
    fl_sweep_cfg c = {
        .sc = spec->sc, .scenario_text = spec->scenario_text, .plugin_path = spec->plugin_path};
    pid_t pid;
    int cmd_fd, res_fd;
    if (fl_sweep_worker_start(&c, &pid, &cmd_fd, &res_fd, &j.note, spec->protocol_name,
                              spec->protocol_name_cap, err, cap))
        return FL_EINVAL;
    fl_sweep_job jb = {.seed = spec->seed,
                       .wants = wanted(spec),
                       .flags = FL_FRAMES_SCHEDULE,
                       .schedule_len = (uint32_t)spec->schedule_len};
    int rc = fl_sweep_job_send(cmd_fd, &jb, spec->schedule_text) ? 1 : 0;
    if (rc == 0)
        rc = read_stream(&j, res_fd, spec->sc->watchdog_ms);
    close(cmd_fd); /* the worker's loop ends at EOF */
    if (rc == 1) {
        /* The stream broke (a frame the reader refused): the worker may be blocked writing
         * the rest, and would never see EOF; closing our end ends it (EPIPE). */
        close(res_fd);
        res_fd = -1;
    }
    finish_worker(&j, pid, rc);
    if (res_fd >= 0)
        close(res_fd);
    fl_worker_note_free(j.note);
    for (size_t i = 0; i < j.nspecs; i++)
        free(j.specs[i]);
    free(j.specs);
    free(j.ops);
    *res = j.res;
    if (res->outcome == FL_OUTCOME_ERROR && strcmp(res->check, "setup") == 0 &&
        res->fail_step < 0) { /* the run could not start: the worker's reason */
        snprintf(err, cap, "%s", res->detail);
        return (int)res->fail_step;
    }
    const char *name = NULL;
    int serr = fl_stream_error(&j.stream, &name);
    if (j.err_rc) {
        snprintf(err, cap, "%s", j.err);
        return j.err_rc;
    }
    if (serr) {
        snprintf(err, cap, "run: the %s failed: %s", name, fl_strerror(serr));
        return FL_EIO;
    }
    return 0;
}
