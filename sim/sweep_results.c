/*
 * sweep_results.c -- what the sweep parent does with a seed's result (see sweep.h): a
 * bare row from the worker's frames, or, for a seed to record in full, a re-execution
 * with the recorder as a sink after the loop.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/error.h"
#include "core/world.h"
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
    if (later) {
        if (s->nlater == s->later_cap) {
            size_t cap = s->later_cap ? 2 * s->later_cap : 16;
            fl_sweep_frame *p = realloc(s->later, cap * sizeof *p);
            if (!p) {
                fl_sweep_fail_stop(s, FL_ENOMEM, "sweep: out of memory");
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
            fl_sweep_fail_stop(s, FL_EDB, err);
            return;
        }
        s->st->ran++;
    }
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

void fl_sweep_record_later(sweep *s)
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
                fl_sweep_fail_stop(s, FL_EDB, err);
                break;
            }
        }
        s->st->ran++;
        event_base_loop(s->base, EVLOOP_NONBLOCK); /* SIGINT? */
    }
}
