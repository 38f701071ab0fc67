/*
 * shrink_out.c -- the result of a shrink (see shrink_out.h): the minimal schedule in
 * its file, re-executed once more with full recording as a run of origin 'shrink'
 * whose parent is the original, a `shrinks` row, and the summary.
 */
#include "sim/shrink_out.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/duration.h"
#include "core/error.h"
#include "core/world.h"
#include "sim/job.h"
#include "sim/run/trace.h"
#include "storage/db.h"
#include "storage/recorder.h"

/* The minimal schedule as the run will store it (fl_schedule_to_text). */
static int canonical_text(fl_shrink_job *j, char *err, size_t cap)
{
    char *text = fl_shrink_text(&j->s, j->s.keep);
    fl_schedule *sc = NULL;
    int rc =
        text ? fl_schedule_parse(text, strlen(text), j->L.sc.nodes, j->L.sc.until_ns, &sc, err, cap)
             : FL_ENOMEM;
    free(text);
    if (rc == 0 && !(j->minimal_text = fl_schedule_to_text(sc)))
        rc = FL_ENOMEM;
    if (rc == FL_ENOMEM)
        snprintf(err, cap, "shrink: out of memory");
    fl_schedule_free(sc);
    return rc;
}

static int write_file(const fl_shrink_job *j, char *err, size_t cap)
{
    FILE *f = fopen(j->out_path, "w");
    if (!f || fputs(j->minimal_text, f) < 0 || fclose(f) != 0) {
        snprintf(err, cap, "--out %s: %s", j->out_path, strerror(errno));
        if (f)
            fclose(f);
        return FL_EINVAL;
    }
    return 0;
}

/* A sink in front of the recorder that keeps the run's end. */
typedef struct keep_end {
    fl_sink inner;
    fl_shrink_result *r;
} keep_end;

static int keep_end_consume(void *ctx, const fl_record *rec)
{
    keep_end *k = ctx;
    if (rec->kind == FL_REC_RUN_END) {
        const fl_run_result *e = rec->u.end;
        *k->r = (fl_shrink_result){.outcome = e->outcome,
                                   .fail_step = e->outcome == FL_OUTCOME_OK ? -1 : e->fail_step,
                                   .fail_time_ns = e->fail_time_ns,
                                   .steps = e->steps};
        snprintf(k->r->check, sizeof k->r->check, "%s", e->check);
        snprintf(k->r->digest, sizeof k->r->digest, "%s", e->digest);
    }
    return k->inner.wants & FL_REC_BIT(rec->kind) ? k->inner.consume(k->inner.ctx, rec) : 0;
}

/* The minimal run, recorded in full, its trace into j->trace. */
static int record_run(fl_shrink_job *j, fl_db *db, char *err, size_t cap)
{
    fl_run_meta meta = {
        .scenario_id = j->rr.scenario_id, .origin = FL_ORIGIN_SHRINK, .parent_run = j->rr.run_id};
    fl_recorder *rec = NULL;
    int rc = fl_recorder_begin(db, &meta, FL_RECORD_ALL, &rec, err, cap);
    FILE *mem = rc == 0 ? open_memstream(&j->trace, &j->trace_len) : NULL;
    if (rc == 0 && !mem) {
        snprintf(err, cap, "shrink: out of memory");
        rc = FL_ENOMEM;
    }
    if (rc == 0) {
        fl_trace trace;
        fl_sink sinks[2];
        keep_end k = {.r = &j->shrunk};
        fl_recorder_sink(rec, &k.inner);
        sinks[0] = (fl_sink){.name = "recorder",
                             .wants = k.inner.wants | FL_REC_BIT(FL_REC_RUN_END),
                             .ctx = &k,
                             .consume = keep_end_consume};
        fl_trace_sink(&trace, mem, j->L.proto_name, &sinks[1]);
        fl_job_spec spec = {.sc = &j->L.sc,
                            .scenario_text = j->scenario_text,
                            .plugin_path = j->L.plugin_abs[0] ? j->L.plugin_abs : NULL,
                            .seed = j->rr.seed,
                            .schedule_text = j->minimal_text,
                            .schedule_len = strlen(j->minimal_text),
                            .sinks = sinks,
                            .nsinks = 2,
                            .protocol_name = j->L.proto_name,
                            .protocol_name_cap = sizeof j->L.proto_name};
        fl_run_result res;
        rc = fl_job_run(&spec, &res, err, cap);
        if (rc == 0)
            rc = fl_recorder_end(rec, &j->shrunk_run, err, cap);
    }
    if (mem)
        fclose(mem);
    fl_recorder_free(rec);
    return rc;
}

static uint64_t count_kept(const fl_shrink *s, int kind)
{
    uint64_t n = 0;
    for (size_t e = 0; e < s->nelems; e++)
        n += s->keep[e] && s->elems[e].kind == kind;
    return n;
}

/* Timed entries and message entries of the minimal schedule. */
static uint64_t decisions_after(const fl_shrink *s)
{
    uint64_t n = 0;
    for (size_t e = 0; e < s->nelems; e++)
        if (s->keep[e] && s->elems[e].kind != FL_SHRINK_OP)
            n += s->elems[e].second >= 0 ? 2 : 1;
    return n;
}

int fl_shrink_record(fl_shrink_job *j, char *err, size_t cap)
{
    int rc = canonical_text(j, err, cap);
    if (rc == 0)
        rc = write_file(j, err, cap);
    fl_db *db = NULL;
    if (rc == 0)
        rc = fl_db_open(&db, j->db_path, FL_DB_CREATE, err, cap);
    if (rc == 0)
        rc = record_run(j, db, err, cap);
    if (rc == 0 && !fl_shrink_fails(&j->s, &j->shrunk)) {
        snprintf(err, cap,
                 "shrink: the minimal schedule did not fail again when recorded (%s): the "
                 "protocol is not deterministic",
                 fl_outcome_name(j->shrunk.outcome));
        rc = FL_EINTERNAL;
    }
    const fl_schedule *m = j->materialised;
    fl_db_shrink row = {.original_run = j->rr.run_id,
                        .shrunk_run = j->shrunk_run,
                        .check = j->s.target.any_violation ? NULL : j->s.target.check,
                        .any_violation = j->s.target.any_violation,
                        .decisions_before = fl_schedule_len(m) + fl_schedule_msg_len(m),
                        .decisions_after = decisions_after(&j->s),
                        .ops_before = j->ops_before,
                        .ops_after = count_kept(&j->s, FL_SHRINK_OP),
                        .steps_before = j->rr.steps,
                        .steps_after = j->shrunk.steps,
                        .candidates = j->s.candidates,
                        .wall_us = j->wall_us,
                        .minimal = j->minimal,
                        .schedule_json = j->minimal_text};
    if (rc == 0)
        rc = fl_db_shrink_insert(db, &row, NULL, err, cap);
    fl_db_close(db);
    return rc;
}

static void print_failure(const char *what, const fl_shrink_result *r)
{
    printf("shrink: %s: %s%s%s at step %" PRId64 "\n", what, fl_outcome_name(r->outcome),
           r->check[0] && strcmp(r->check, fl_outcome_name(r->outcome)) ? ": " : "",
           strcmp(r->check, fl_outcome_name(r->outcome)) ? r->check : "", r->fail_step);
}

/* The elements that remain, each as its schedule entries say it. */
static void print_remaining(const fl_shrink *s)
{
    printf("shrink: what remains:\n");
    for (size_t k = 0; k < s->nelems; k++) {
        size_t e = fl_shrink_in_order(s, k);
        const fl_shrink_elem *x = &s->elems[e];
        if (!s->keep[e])
            continue;
        if (x->kind == FL_SHRINK_OP) {
            printf("  op %" PRIu64 "\n", x->op);
            continue;
        }
        char *a = x->kind == FL_SHRINK_MESSAGE
                      ? fl_msg_fault_text(fl_schedule_msg(s->sched, x->first))
                      : fl_schedule_entry_text(s->sched, x->first);
        char *b = x->second >= 0 ? fl_schedule_entry_text(s->sched, (size_t)x->second) : NULL;
        printf("  %s %s%s%s\n", x->kind == FL_SHRINK_MESSAGE ? "message" : "episode", a ? a : "?",
               b ? " .. " : "", b ? b : "");
        free(a);
        free(b);
    }
}

/* The trace's lines from a few steps before the failure to its end. */
static void print_trace_tail(const fl_shrink_job *j)
{
    int64_t from = j->shrunk.fail_step > 8 ? j->shrunk.fail_step - 8 : 0;
    printf("shrink: the trace of run %" PRId64 " from step %" PRId64 ":\n", j->shrunk_run, from);
    const char *p = j->trace ? j->trace : "", *end = p + j->trace_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *hash = memchr(p, '#', len);
        if (hash && strtoll(hash + 1, NULL, 10) >= from)
            printf("  %.*s\n", (int)len, p);
        p += len + 1;
    }
}

void fl_shrink_print(const fl_shrink_job *j)
{
    const fl_shrink *s = &j->s;
    const fl_schedule *m = j->materialised;
    uint64_t entries = 0, msgs = count_kept(s, FL_SHRINK_MESSAGE);
    for (size_t e = 0; e < s->nelems; e++)
        if (s->keep[e] && s->elems[e].kind == FL_SHRINK_EPISODE)
            entries += s->elems[e].second >= 0 ? 2 : 1;
    printf("shrink: run %" PRId64 " (seed %" PRIu64 ")\n", j->rr.run_id, j->rr.seed);
    print_failure("before", &j->original);
    print_failure("after", &j->shrunk);
    printf("shrink: fault decisions %zu -> %" PRIu64 " (schedule entries %zu -> %" PRIu64
           ", message faults %zu -> %" PRIu64 "; %" PRIu64 " at or before the failing step)\n",
           fl_schedule_len(m) + fl_schedule_msg_len(m), entries + msgs, fl_schedule_len(m), entries,
           fl_schedule_msg_len(m), msgs, j->reached_before);
    if (s->with_ops)
        printf("shrink: workload ops %" PRIu64 " -> %" PRIu64 "\n", j->ops_before,
               count_kept(s, FL_SHRINK_OP));
    printf("shrink: steps %" PRIu64 " -> %" PRIu64 "\n", j->rr.steps, j->shrunk.steps);
    printf("shrink: %" PRIu64 " candidates, keeping %s; 1-minimal: %s\n", s->candidates,
           s->target.any_violation ? "any violation" : "the same check",
           j->minimal       ? "yes"
           : s->interrupted ? "no (interrupted)"
                            : "no (the budget ran out)");
    printf("shrink: minimal schedule written to %s\n", j->out_path);
    printf("shrink: recorded as run %" PRId64 " (origin shrink, parent run %" PRId64
           "), digest %s\n",
           j->shrunk_run, j->rr.run_id, j->shrunk.digest);
    print_remaining(s);
    print_trace_tail(j);
}
