/*
 * sweep_results.c -- what the sweep parent does with a seed's result (see sweep.h): a
 * bare row from the worker's frames; for a seed to record in full, a pending row and a
 * full job that any worker takes next, whose stream of records goes into a recorder as
 * it arrives (protocol code never runs in the parent, and a recording never sits whole
 * in memory).  Rows go in batches: one transaction, committed every BATCH_US, so that a
 * kill -9 loses at most that much and a reader sees failures as they are found.
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
#include "storage/db.h"
#include "storage/recorder.h"

#define BATCH_US 200000   /* a batch stays open at most this long (about: the 100 ms tick) */
#define BATCH_GAP_US 3000 /* the write lock stays free this long after a commit */

void fl_sweep_fail_stop(sweep *s, int rc, const char *msg)
{
    if (s->rc == 0) {
        s->rc = rc;
        snprintf(s->err, sizeof s->err, "%s", msg);
    }
    s->stopping = 1;
    if (rc == FL_EDB || rc == FL_EIO) { /* the batch's rows are not to be trusted */
        fl_db_batch_rollback(s->c->db);
        s->batch_us = 0;
    }
    for (int i = 0; i < s->nw; i++)
        if (s->w[i].pid > 0)
            kill(s->w[i].pid, SIGKILL);
}

/* ---- batches ---- */

int fl_sweep_batch_open(sweep *s)
{
    char err[512];
    if (s->batch_us)
        return 0;
    /* Leave the write lock free a moment after a commit: another sweep into the same
     * file polls for it every millisecond (db.c) and would otherwise never get it
     * while recordings stream in without pause. */
    int64_t gap = fl_sweep_now_us() - s->commit_us;
    if (s->commit_us && gap < BATCH_GAP_US)
        usleep((useconds_t)(BATCH_GAP_US - gap));
    if (fl_db_batch_begin(s->c->db, err, sizeof err) != 0) {
        fl_sweep_fail_stop(s, FL_EIO, err);
        return -1;
    }
    s->batch_us = fl_sweep_now_us();
    return 0;
}

void fl_sweep_batch_commit(sweep *s, int force)
{
    char err[512];
    if (!s->batch_us || (!force && fl_sweep_now_us() - s->batch_us < BATCH_US))
        return;
    s->batch_us = 0;
    s->commit_us = fl_sweep_now_us();
    if (fl_db_batch_commit(s->c->db, err, sizeof err) != 0)
        fl_sweep_fail_stop(s, FL_EIO, err);
}

/* ---- bare rows ---- */

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

/* ---- the full jobs ---- */

static int push_full(sweep *s, uint64_t seed, int64_t run_id, const char *digest)
{
    if (s->full_next == s->nfull)
        s->full_next = s->nfull = 0; /* all taken: start over at the front */
    if (s->nfull == s->full_cap) {
        size_t cap = s->full_cap ? 2 * s->full_cap : 16;
        qjob *p = realloc(s->full, cap * sizeof *p);
        if (!p)
            return FL_ENOMEM;
        s->full = p;
        s->full_cap = cap;
    }
    qjob *j = &s->full[s->nfull++];
    memset(j, 0, sizeof *j);
    j->seed = seed;
    j->run_id = run_id;
    snprintf(j->digest, sizeof j->digest, "%s", digest ? digest : "");
    return 0;
}

static void on_pending(void *ctx, uint64_t seed, int64_t run_id, const char *digest)
{
    sweep *s = ctx;
    if (!s->rc && push_full(s, seed, run_id, digest))
        fl_sweep_fail_stop(s, FL_ENOMEM, "sweep: out of memory");
}

int fl_sweep_load_pending(sweep *s, char *err, size_t cap)
{
    int rc = fl_db_sweep_pending(s->c->db, s->c->scenario_id, on_pending, s, err, cap);
    s->st->resumed_pending = s->nfull;
    return rc ? rc : s->rc;
}

int fl_sweep_next_full(sweep *s, qjob *j)
{
    if (s->rc || s->st->interrupted || s->full_next == s->nfull)
        return 0;
    *j = s->full[s->full_next++];
    return 1;
}

void fl_sweep_requeue_full(sweep *s, const qjob *j)
{
    if (push_full(s, j->seed, j->run_id, j->digest))
        fl_sweep_fail_stop(s, FL_ENOMEM, "sweep: out of memory");
}

int fl_sweep_full_left(const sweep *s)
{
    if (s->full_next < s->nfull)
        return 1;
    for (int i = 0; i < s->nw; i++)
        for (int k = 0; k < s->w[i].qn; k++)
            if (s->w[i].q[k].run_id > 0)
                return 1;
    return 0;
}

static int rerunnable(int outcome)
{
    /* crash, hang and error would only crash or hang again: their bare row is the record */
    return outcome != FL_OUTCOME_CRASH && outcome != FL_OUTCOME_HANG && outcome != FL_OUTCOME_ERROR;
}

static int to_record(sweep *s, const fl_sweep_frame *f)
{
    int failed = f->outcome != FL_OUTCOME_OK;
    if (!rerunnable(f->outcome))
        return 0;
    if (s->c->record == FL_SWEEP_RECORD_ALL)
        return 1;
    return s->c->record == FL_SWEEP_RECORD_FAILURES && failed && s->full_kept < s->c->record_max;
}

/* An item's result goes to the caller, which writes what it wants. */
static void hand_over(sweep *s, uint64_t item, fl_sweep_frame *f)
{
    char err[512];
    int rc = s->c->on_result(s->c->ctx, (size_t)item, f, err, sizeof err);
    fl_sweep_frame_close(f);
    if (rc)
        fl_sweep_fail_stop(s, rc, err);
    else
        s->st->ran++;
}

/* Takes ownership of f's bytes. */
void fl_sweep_handle_result(sweep *s, uint64_t item, fl_sweep_frame *f)
{
    int failed = f->outcome != FL_OUTCOME_OK;
    if (failed && s->st->stopped) {
        /* in flight when --stop-after was reached: not kept, so that exactly N failing
         * seeds are; a resume runs it again */
        fl_sweep_frame_close(f);
        return;
    }
    s->done++;
    if ((unsigned)f->outcome < 16)
        s->st->by_outcome[f->outcome]++;
    if (failed)
        s->st->failed++;
    if (s->c->items) {
        hand_over(s, item, f);
        return;
    }
    int full = to_record(s, f);
    /* The row goes in now, failures included, so a kill -9 or a query during the sweep
     * sees it; one to record in full is pending until its recording replaces it. */
    char err[512];
    int64_t run_id = 0;
    int rc = fl_sweep_batch_open(s) ? FL_EIO : insert_bare(s, f, full, &run_id, err, sizeof err);
    if (rc == 0 && full) {
        rc = push_full(s, f->seed, run_id, f->digest);
        s->full_kept += failed;
    }
    fl_sweep_frame_close(f);
    if (rc) {
        if (!s->rc)
            fl_sweep_fail_stop(s, rc == FL_ENOMEM ? FL_ENOMEM : FL_EIO, err);
        return;
    }
    s->st->ran++;
    if (failed && s->c->stop_after && s->st->failed >= s->c->stop_after && !s->stopping) {
        s->stopping = 1;
        s->st->stopped = 1;
    }
}

/* ---- a full job's stream ---- */

static int begin_full(sweep *s, worker *w)
{
    char err[512];
    fl_run_meta meta = {.sweep_id = s->c->sweep_id,
                        .scenario_id = s->c->scenario_id,
                        .origin = FL_ORIGIN_SWEEP,
                        .replaces = w->q[0].run_id};
    if (fl_recorder_begin(s->c->db, &meta, FL_RECORD_ALL, &w->rec, err, sizeof err) != 0) {
        fl_sweep_fail_stop(s, FL_EIO, err);
        return -1;
    }
    return 0;
}

static void end_full(sweep *s, worker *w, const fl_run_result *res)
{
    char err[512];
    const qjob *j = &w->q[0];
    int rc = fl_recorder_end(w->rec, NULL, err, sizeof err);
    fl_recorder_free(w->rec);
    w->rec = NULL;
    if (rc || res == NULL) {
        fl_sweep_fail_stop(s, FL_EIO, err); /* an I/O failure: the row stays pending */
        return;
    }
    s->st->recorded++;
    if (strcmp(res->digest, j->digest) != 0) {
        s->st->mismatches++;
        fprintf(stderr,
                "faultline: sweep: seed %" PRIu64 ": warning: digest %s when recorded, %s when"
                " run bare: the protocol is not deterministic\n",
                j->seed, res->digest, j->digest);
    }
}

size_t fl_sweep_take_full(sweep *s, worker *w, const uint8_t *p, size_t len, int *finished)
{
    size_t off = 0;
    *finished = 0;
    if (fl_sweep_batch_open(s) || (!w->rec && begin_full(s, w)))
        return len;
    fl_sink k;
    fl_recorder_sink(w->rec, &k);
    fl_wire_scratch sc;
    while (!s->rc) {
        fl_record r;
        long n = fl_wire_get(p + off, len - off, &r, &sc);
        if (n == 0)
            break; /* the rest of the record is still to come */
        if (n < 0) {
            fl_sweep_fail_stop(s, FL_EINTERNAL, "sweep: malformed frames from a worker");
            return len;
        }
        off += (size_t)n;
        if ((k.wants & FL_REC_BIT(r.kind)) && k.consume(k.ctx, &r) != 0) {
            end_full(s, w, NULL); /* the recorder kept its error: fl_recorder_end says it */
            *finished = 1;
            return len;
        }
        if (r.kind == FL_REC_RUN_END) {
            end_full(s, w, r.u.end);
            *finished = 1;
            break;
        }
    }
    return off;
}

void fl_sweep_full_lost(sweep *s, worker *w, const char *why)
{
    char err[512];
    const qjob *j = &w->q[0];
    fl_recorder_free(w->rec); /* in the batch: its rows are dropped below */
    w->rec = NULL;
    if (s->rc == FL_EIO || s->rc == FL_EDB)
        return; /* the batch was rolled back: the row is pending as it was */
    if (fl_sweep_batch_open(s) || fl_db_run_drop_rows(s->c->db, j->run_id, 1, err, sizeof err)) {
        if (!s->rc)
            fl_sweep_fail_stop(s, FL_EIO, err);
        return;
    }
    if (s->st->interrupted || s->rc) {
        s->st->pending++; /* still pending: a resume records it */
        return;
    }
    fprintf(stderr, "faultline: sweep: seed %" PRIu64 ": full recording failed: %s\n", j->seed,
            why);
    if (fl_db_run_set_recorded(s->c->db, j->run_id, "none", err, sizeof err))
        fl_sweep_fail_stop(s, FL_EIO, err);
}
