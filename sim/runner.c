/*
 * runner.c -- one run, start to finish (see runner.h).
 *
 * Order matters for determinism only through the streams: the world, the fault
 * schedule and the workload each fork their own streams from the seed, so the order
 * in which they are set up here does not change any draw.
 */
#include "sim/runner.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/digest.h"
#include "core/error.h"
#include "sim/faults_glue.h"
#include "sim/trace.h"
#include "sim/workload.h"

static int64_t wall_us(void)
{
    /* Wall time only for reporting (runs.wall_us), never seen by the run. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static fl_world *make_world(const fl_scenario *sc, const struct fl_protocol *p, uint64_t seed,
                            char *err, size_t cap)
{
    fl_world_config cfg = {.seed = seed,
                           .nodes = sc->nodes,
                           .protocol = p,
                           .params = sc->params,
                           .latency = sc->latency,
                           .links = sc->links,
                           .nlinks = sc->nlinks,
                           .disk_sync = sc->disk_sync,
                           .unsynced = sc->faults.unsynced,
                           .corrupt = sc->faults.corrupt,
                           .corrupt_from_ns = sc->faults.window_from_ns,
                           .corrupt_to_ns = sc->faults.window_to_ns,
                           .scripted = sc->scripted,
                           .until_ns = sc->until_ns,
                           .max_steps = sc->max_steps};
    return fl_world_new(&cfg, err, cap);
}

static void fill_result(fl_world *w, const fl_faults_glue *g, int64_t wall, fl_run_result *res)
{
    static _Thread_local char check[64], detail[512];
    const fl_violation *v = fl_world_violation(w);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    memset(res, 0, sizeof *res);
    res->outcome = fl_world_outcome(w);
    snprintf(check, sizeof check, "%s", v->check);
    snprintf(detail, sizeof detail, "%s", v->detail);
    res->check_name = check;
    res->detail = detail;
    int failed = res->outcome != FL_OUTCOME_OK;
    res->fail_step = failed ? (int64_t)fl_world_fail_step(w) : -1;
    res->fail_time_ns = failed ? fl_world_fail_time(w) : -1;
    res->steps = fl_world_steps(w);
    res->sim_time_ns = fl_world_now(w);
    res->msgs_sent = c.sent;
    res->msgs_delivered = c.delivered;
    res->msgs_dropped = c.dropped;
    res->faults = fl_faults_glue_count(g) + c.corrupt_reads;
    res->wall_us = wall;
    fl_digest_hex(fl_world_digest(w), res->digest);
}

static _Thread_local char faults_text[512];

const char *fl_run_faults_text(void)
{
    return faults_text;
}

static void describe_faults(const fl_faults_glue *g, fl_world *w)
{
    faults_text[0] = '\0';
    if (!g->faults)
        return;
    fl_faults_stats st;
    fl_faults_stats_get(g->faults, &st);
    size_t off = 0;
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    if (c.corrupt_reads)
        off += (size_t)snprintf(faults_text, sizeof faults_text, "corrupt read %llu/%llu",
                                (unsigned long long)c.corrupt_reads,
                                (unsigned long long)c.corrupt_reads);
    for (int k = 0; k < FL_FAULT_STAT_COUNT && off < sizeof faults_text; k++) {
        if (!st.scheduled[k] && !st.effective[k])
            continue;
        off += (size_t)snprintf(faults_text + off, sizeof faults_text - off, "%s%s %llu/%llu",
                                off ? ", " : "", fl_fault_kind_name(k),
                                (unsigned long long)st.effective[k],
                                (unsigned long long)st.scheduled[k]);
    }
}

static void record_metric(void *ctx, const char *name, int64_t v)
{
    fl_rec_metric(ctx, name, v);
}

static int start_recorder(const fl_run_opts *o, const char *schedule_json, fl_recorder **rec,
                          char *err, size_t cap)
{
    if (!o->db)
        return 0;
    fl_run_meta meta = {.sweep_id = o->sweep_id,
                        .scenario_id = o->scenario_id,
                        .seed = o->seed,
                        .schedule_json = schedule_json};
    return fl_rec_begin(o->db, &meta, o->record, rec, err, cap);
}

/* Every metric of the run: message and node counters, then the world's (faults and
 * protocol) in name order. */
static void each_metric(fl_world *w, void (*fn)(void *ctx, const char *name, int64_t v),
                        void *ctx)
{
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    fn(ctx, "msgs.sent", (int64_t)c.sent);
    fn(ctx, "msgs.delivered", (int64_t)c.delivered);
    fn(ctx, "msgs.dropped", (int64_t)c.dropped);
    fn(ctx, "node.crashes", (int64_t)c.crashes);
    fn(ctx, "node.restarts", (int64_t)c.restarts);
    fn(ctx, "disk.unsynced_bytes_lost", (int64_t)c.unsynced_bytes_lost);
    fn(ctx, "disk.corrupt_reads", (int64_t)c.corrupt_reads);
    fl_world_metrics_each(w, fn, ctx);
}

static int finish_recorder(fl_recorder *rec, fl_world *w, const fl_faults_glue *g,
                           const fl_run_result *res, int64_t *run_id, char *err, size_t cap)
{
    each_metric(w, record_metric, rec);
    fl_faults_glue_record(g, rec);
    return fl_rec_end(rec, res, run_id, err, cap);
}

int fl_run_one(const fl_scenario *sc, const struct fl_protocol *p, const fl_run_opts *o,
               fl_run_result *res, int64_t *run_id, char *err, size_t cap)
{
    fl_world *w = make_world(sc, p, o->seed, err, cap);
    if (!w)
        return FL_EINVAL;
    fl_faults_glue g;
    int rc = fl_faults_glue_init(&g, sc, w, o->seed, o->schedule_text, o->schedule_len, err, cap);
    if (rc == 0 && o->write_schedule_path)
        rc = fl_faults_glue_write(&g, o->write_schedule_path, err, cap);
    fl_workload wl;
    if (rc == 0 && !sc->scripted)
        rc = fl_workload_install(&wl, w, o->seed, sc->workload_every_ns, sc->workload_ops);
    fl_recorder *rec = NULL;
    if (rc == 0)
        rc = start_recorder(o, fl_faults_glue_json(&g), &rec, err, cap);
    fl_trace trace;
    fl_world_hooks h;
    if (rc == 0 && o->trace) {
        fl_trace_hooks(&trace, o->trace, p->name, &h);
        fl_world_add_hooks(w, &h);
    }
    if (rc == 0 && rec && o->record == FL_RECORD_ALL) {
        /* record none has no per-step rows: no hooks, so nothing is formatted */
        fl_rec_hooks(rec, &h);
        fl_world_add_hooks(w, &h);
    }
    if (rc == 0 && o->extra)
        fl_world_add_hooks(w, o->extra);
    if (rc == 0) {
        int64_t t0 = wall_us();
        fl_faults_glue_run(&g, w);
        fill_result(w, &g, wall_us() - t0, res);
        describe_faults(&g, w);
        if (o->metric)
            each_metric(w, o->metric, o->metric_ctx);
        if (rec)
            rc = finish_recorder(rec, w, &g, res, run_id, err, cap);
    }
    fl_rec_free(rec);
    fl_faults_glue_close(&g);
    fl_world_free(w);
    return rc;
}

static void print_time(FILE *out, int64_t ns)
{
    fprintf(out, "%" PRId64 ".%06" PRId64 "s", ns / 1000000000, ns % 1000000000 / 1000);
}

void fl_run_print_summary(FILE *out, const fl_scenario *sc, const struct fl_protocol *p,
                          uint64_t seed, const fl_run_result *res)
{
    fprintf(out, "scenario: %s (%s, %d nodes)\n", sc->name[0] ? sc->name : "(unnamed)", p->name,
            sc->nodes);
    fprintf(out, "seed:     %" PRIu64 "\n", seed);
    fprintf(out, "outcome:  %s", fl_outcome_name(res->outcome));
    if (res->outcome != FL_OUTCOME_OK)
        fprintf(out, " (%s: %s)", res->check_name, res->detail);
    fputc('\n', out);
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
    fprintf(out, "faults:   %" PRIu64 " took effect", res->faults);
    if (fl_run_faults_text()[0])
        fprintf(out, " (%s: effective/scheduled)", fl_run_faults_text());
    fputc('\n', out);
    fprintf(out, "digest:   %s\n", res->digest);
}
