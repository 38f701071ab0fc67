/*
 * run.c -- one run, start to finish (see run.h).
 *
 * Order matters for determinism only through the streams: the world, the fault
 * schedule and the workload each fork their own streams from the seed, so the order
 * in which they are set up here does not change any draw.
 */
#include "sim/run/run.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/digest.h"
#include "core/error.h"
#include "sim/run/driver.h"
#include "sim/run/swarm_params.h"

static int64_t wall_us(void)
{
    /* Wall time only for reporting (runs.wall_us), never seen by the run. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* wall_us: reporting only */
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static fl_world *make_world(const fl_run_job *job, char *err, size_t cap)
{
    const fl_scenario *sc = job->sc;
    fl_world_config cfg = {
        .seed = job->seed,
        .nodes = sc->nodes,
        .protocol = job->protocol,
        .params = sc->params,
        .latency = sc->latency,
        .links = sc->links,
        .nlinks = sc->nlinks,
        .disk_sync = sc->disk_sync,
        .unsynced = sc->faults.unsynced,
        .corrupt = sc->faults.corrupt,
        .corrupt_from_ns = sc->faults.window_from_ns,
        .corrupt_to_ns = sc->faults.window_to_ns,
        .until_ns = job->stop_ns > 0 && job->stop_ns < sc->until_ns ? job->stop_ns : sc->until_ns,
        .max_steps = sc->max_steps};
    return fl_world_new(&cfg, err, cap);
}

static void fill_result(fl_world *w, const fl_driver *d, int64_t wall, fl_run_result *res)
{
    const fl_violation *v = fl_world_violation(w);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    memset(res, 0, sizeof *res);
    res->outcome = fl_world_outcome(w);
    snprintf(res->check, sizeof res->check, "%s", v->check);
    snprintf(res->detail, sizeof res->detail, "%s", v->detail);
    int failed = res->outcome != FL_OUTCOME_OK;
    res->fail_step = failed ? (int64_t)fl_world_fail_step(w) : -1;
    res->fail_time_ns = failed ? fl_world_fail_time(w) : -1;
    res->steps = fl_world_steps(w);
    res->sim_time_ns = fl_world_now(w);
    res->msgs_sent = c.sent;
    res->msgs_delivered = c.delivered;
    res->msgs_dropped = c.dropped;
    res->faults = d->ops->faults_effective(d) + c.corrupt_reads;
    res->wall_us = wall;
    fl_digest_hex(fl_world_digest(w), res->digest);
    char more[sizeof res->faults_text];
    d->ops->faults_text(d, more, sizeof more);
    if (c.corrupt_reads)
        snprintf(res->faults_text, sizeof res->faults_text, "corrupt read %llu%s%.400s",
                 (unsigned long long)c.corrupt_reads, more[0] ? ", " : "", more);
    else
        memcpy(res->faults_text, more, sizeof more);
}

static void emit_metric(void *ctx, const char *name, int64_t v)
{
    fl_record r = {.kind = FL_REC_METRIC};
    r.u.metric = (fl_rec_metric){.name = name, .value = v};
    fl_stream_emit(ctx, &r);
}

static void emit_begin(fl_stream *s, const fl_run_job *job, const fl_driver *d)
{
    fl_record r = {.kind = FL_REC_RUN_BEGIN};
    r.u.begin = (fl_rec_run_begin){.seed = job->seed,
                                   .nodes = job->sc->nodes,
                                   .protocol = job->protocol->name,
                                   .schedule_json = d->ops->schedule_json(d)};
    fl_stream_emit(s, &r);
}

/* The run's end in the stream: faults, metrics (name order), the result. */
static void emit_end(fl_stream *s, fl_world *w, const fl_driver *d, const fl_run_result *res)
{
    d->ops->emit_faults(d, s);
    if (fl_stream_wants(s, FL_REC_METRIC))
        fl_world_metrics_each(w, emit_metric, s);
    fl_record r = {.kind = FL_REC_RUN_END};
    r.u.end = res;
    fl_stream_emit(s, &r);
}

static int add_sinks(fl_world *w, const fl_run_job *job, char *err, size_t cap)
{
    for (size_t i = 0; i < job->nsinks; i++)
        if (fl_stream_add(fl_world_stream(w), &job->sinks[i])) {
            snprintf(err, cap, "run: more than %d sinks", FL_STREAM_MAX_SINKS);
            return FL_ELIMIT;
        }
    return 0;
}

static int run_job(const fl_run_job *job, const fl_swarm_draw *drawn, fl_run_result *res, char *err,
                   size_t cap);

/* With "faults": {"swarm_params": true} the run is the scenario with this seed's params
 * and node count (sim/run/swarm_params.h); otherwise the scenario as it is. */
int fl_run(const fl_run_job *job, fl_run_result *res, char *err, size_t cap)
{
    fl_swarm_draw drawn;
    int rc = fl_swarm_params(job->sc, job->protocol, job->seed, &drawn, err, cap);
    if (rc == 0 && drawn.params) {
        fl_scenario sc = *job->sc; /* shallow: only nodes and params differ */
        fl_run_job j = *job;
        sc.nodes = drawn.nodes;
        sc.params = drawn.params;
        j.sc = &sc;
        rc = run_job(&j, &drawn, res, err, cap);
    } else if (rc == 0) {
        rc = run_job(job, &drawn, res, err, cap);
    } else if (rc == FL_ENOMEM) {
        snprintf(err, cap, "run: out of memory");
    }
    fl_swarm_draw_close(&drawn);
    return rc;
}

static int run_job(const fl_run_job *job, const fl_swarm_draw *drawn, fl_run_result *res, char *err,
                   size_t cap)
{
    fl_world *w = make_world(job, err, cap);
    if (!w)
        return FL_EINVAL;
    for (size_t k = 0; k < drawn->n; k++) /* what this seed drew, for SQL */
        fl_world_metric_add(w, drawn->names[k], drawn->values[k]);
    fl_driver d = {.ops = job->sc->scripted ? &fl_driver_script : &fl_driver_automatic};
    int rc =
        d.ops->init(&d, job->sc, w, job->seed, job->schedule_text, job->schedule_len, err, cap);
    if (rc == 0)
        rc = add_sinks(w, job, err, cap);
    if (rc == 0) {
        fl_stream *s = fl_world_stream(w);
        emit_begin(s, job, &d);
        int64_t t0 = wall_us();
        d.ops->run(&d, w);
        fill_result(w, &d, wall_us() - t0, res);
        res->nodes = fl_world_nodes(w); /* swarm_params may have drawn it */
        if (d.ops->finish)
            d.ops->finish(&d, w, res);
        emit_end(s, w, &d, res);
        const char *name = NULL;
        int serr = fl_stream_error(s, &name);
        if (serr) {
            snprintf(err, cap, "run: the %s failed: %s", name, fl_strerror(serr));
            rc = FL_EIO;
        }
    }
    d.ops->close(&d);
    fl_world_free(w);
    return rc;
}

static void print_time(FILE *out, int64_t ns)
{
    fprintf(out, "%" PRId64 ".%06" PRId64 "s", ns / 1000000000, ns % 1000000000 / 1000);
}

void fl_run_print_summary(FILE *out, const fl_scenario *sc, const char *protocol_name,
                          uint64_t seed, const fl_run_result *res)
{
    fprintf(out, "scenario: %s (%s, %d nodes)\n", sc->name[0] ? sc->name : "(unnamed)",
            protocol_name, res->nodes > 0 ? res->nodes : sc->nodes);
    fprintf(out, "seed:     %" PRIu64 "\n", seed);
    fprintf(out, "outcome:  %s", fl_outcome_name(res->outcome));
    if (res->outcome != FL_OUTCOME_OK)
        fprintf(out, " (%s: %s)", res->check, res->detail);
    fputc('\n', out);
    if (res->outcome == FL_OUTCOME_OK && res->detail[0]) /* an ok run's note */
        fprintf(out, "note:     %s\n", res->detail);
    if (res->fail_step >= 0) {
        fprintf(out, "at step:  %" PRId64 " (t=", res->fail_step);
        print_time(out, res->fail_time_ns);
        fputs(")\n", out);
    }
    fprintf(out, "steps:    %" PRIu64 "\n", res->steps);
    fputs("time:     ", out);
    print_time(out, res->sim_time_ns);
    fputs(" simulated\n", out);
    fprintf(out,
            "messages: %" PRIu64 " sent, %" PRIu64 " delivered, %" PRIu64 " dropped, %" PRIu64
            " in flight\n",
            res->msgs_sent, res->msgs_delivered, res->msgs_dropped,
            res->msgs_sent - res->msgs_delivered - res->msgs_dropped);
    /* what happened, per kind; runs.faults (res->faults) is their sum */
    fprintf(out, "faults:   %s\n", res->faults_text[0] ? res->faults_text : "none");
    fprintf(out, "digest:   %s\n", res->digest);
}
