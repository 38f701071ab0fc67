/*
 * shrink_run.c -- shrink's candidates in the worker pool, and its ddmin phases (see
 * shrink.h).  Candidates go to the pool a batch at a time; the first one of ddmin's
 * order that still fails ends the batch, so what is kept never depends on -j.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/world.h"
#include "results/ddmin.h"
#include "sim/cli.h"
#include "sim/run/wire.h"
#include "sim/shrink.h"
#include "sim/sweep.h"
#include "sim/sweep_impl.h"

/* ---- one batch in the pool ---- */

typedef struct batch {
    fl_shrink_result *res;
} batch;

static int capture_end(void *ctx, const fl_record *rec)
{
    fl_shrink_result *r = ctx;
    if (rec->kind == FL_REC_RUN_END) {
        const fl_run_result *e = rec->u.end;
        r->outcome = e->outcome;
        snprintf(r->check, sizeof r->check, "%s", e->check);
        r->fail_step = e->outcome == FL_OUTCOME_OK ? -1 : e->fail_step;
        r->fail_time_ns = e->fail_time_ns;
        r->steps = e->steps;
        snprintf(r->digest, sizeof r->digest, "%s", e->digest);
    }
    return 0;
}

static int on_result(void *ctx, size_t item, const fl_sweep_frame *f, char *err, size_t cap)
{
    batch *b = ctx;
    fl_shrink_result *r = &b->res[item];
    r->outcome = f->outcome;
    snprintf(r->digest, sizeof r->digest, "%s", f->digest);
    fl_sink k = {
        .name = "shrink", .wants = FL_REC_BIT(FL_REC_RUN_END), .ctx = r, .consume = capture_end};
    if (fl_wire_replay(f->bytes, f->len, &k) != 0) {
        snprintf(err, cap, "shrink: malformed frames from a worker");
        return FL_EINTERNAL;
    }
    return 0;
}

int fl_shrink_execute(fl_shrink *s, char *const *texts, size_t n, fl_shrink_result *res, char *err,
                      size_t cap)
{
    fl_sweep_item *items = calloc(n ? n : 1, sizeof *items);
    if (!items) {
        snprintf(err, cap, "shrink: out of memory");
        return FL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        items[i] = (fl_sweep_item){.seed = s->seed, .schedule = texts[i]};
        res[i] = (fl_shrink_result){.outcome = FL_OUTCOME_ERROR, .fail_step = -1};
    }
    batch b = {.res = res};
    fl_sweep_cfg c = {.sc = s->sc,
                      .scenario_text = s->scenario_text,
                      .plugin_path = s->plugin_path,
                      .jobs = s->jobs,
                      .items = items,
                      .nitems = n,
                      .on_result = on_result,
                      .ctx = &b,
                      .items_stop_ns = s->stop_ns,
                      .items_lean = 1};
    fl_sweep_stats st;
    int rc = fl_sweep_execute(&c, &st, err, cap);
    free(items);
    s->executed += st.ran;
    if (st.interrupted)
        s->interrupted = 1;
    return rc;
}

int64_t fl_shrink_stop_ns(int outcome, int64_t fail_time_ns)
{
    if (outcome != FL_OUTCOME_VIOLATION || fail_time_ns < 0)
        return 0;
    int64_t margin = fail_time_ns / 4 > FL_S ? fail_time_ns / 4 : FL_S;
    return fail_time_ns + margin;
}

int fl_shrink_fails(const fl_shrink *s, const fl_shrink_result *r)
{
    if (s->target.any_violation)
        return r->outcome == FL_OUTCOME_VIOLATION || r->outcome == FL_OUTCOME_LIVENESS;
    return r->outcome == s->target.outcome && strcmp(r->check, s->target.check) == 0;
}

/* ---- ddmin's candidates ---- */

static void show_progress(const fl_shrink *s)
{
    if (!s->progress)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < s->nelems; i++)
        kept += s->keep[i];
    fprintf(stderr, "\rshrink: %s: %zu of %zu elements kept, %llu candidates, %.1f s   ", s->phase,
            kept, s->nelems, (unsigned long long)s->candidates,
            (double)(fl_sweep_now_us() - s->t0_us) / 1e6);
}

/* What the phase's masks (over its own kinds) mean over every element. */
typedef struct phase {
    fl_shrink *s;
    unsigned kinds;
    char *err;
    size_t cap;
} phase;

static int in_phase(const phase *p, size_t e)
{
    return (p->kinds >> p->s->elems[e].kind) & 1u;
}

/* Candidates cands[from..from+n): their texts (the elements outside the phase as kept),
 * executed; *first set to the first that fails, or left. */
static int test_batch(phase *p, const uint8_t *const *cands, size_t from, size_t n, long *first)
{
    fl_shrink *s = p->s;
    char **texts = calloc(n, sizeof *texts);
    fl_shrink_result *res = calloc(n, sizeof *res);
    uint8_t *mask = malloc(s->nelems ? s->nelems : 1);
    int rc = texts && res && mask ? 0 : FL_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t e = 0; e < s->nelems; e++)
            mask[e] = in_phase(p, e) ? cands[from + i][e] : s->keep[e];
        if (!(texts[i] = fl_shrink_text(s, mask)))
            rc = FL_ENOMEM;
    }
    if (rc == FL_ENOMEM)
        snprintf(p->err, p->cap, "shrink: out of memory");
    if (rc == 0)
        rc = fl_shrink_execute(s, texts, n, res, p->err, p->cap);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s->candidates++; /* counted as a one-at-a-time search would have run them */
        if (fl_shrink_fails(s, &res[i])) {
            *first = (long)(from + i);
            break;
        }
    }
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    free(res);
    free(mask);
    return rc;
}

/* Candidates per worker in a batch (fl_shrink.batch).  Measured on raft-figure8 seed 6
 * at -j2, faults in schedule order, 1,500 candidates: 16.5 s with 4 per worker, 14.0 s
 * with 16, 13.6 s with 32; latest first (more candidates fail, so more runs are wasted),
 * 2,000 candidates: 24.0 s with 4, 25.0 s with up to 32 -- within the noise of a shared
 * machine.  The batch size never changes which candidate is taken. */
#define BATCH_MIN 4
#define BATCH_MAX 32

static int first_failing(void *ctx, const uint8_t *const *cands, size_t n, long *first)
{
    phase *p = ctx;
    fl_shrink *s = p->s;
    size_t jobs = (size_t)(s->jobs > 0 ? s->jobs : 1);
    *first = -1;
    for (size_t from = 0; from < n && *first < 0;) {
        if (s->interrupted || fl_signals_caught())
            return FL_SHRINK_INTERRUPTED;
        if ((s->deadline_us && fl_sweep_now_us() >= s->deadline_us) ||
            (s->max_candidates && s->candidates >= s->max_candidates))
            return FL_SHRINK_BUDGET;
        size_t per = jobs * s->batch;
        if (s->deadline_us && fl_sweep_now_us() + (int64_t)s->batch * s->run_us > s->deadline_us)
            per = jobs * BATCH_MIN; /* near the deadline: a batch the budget's reserve covers */
        size_t k = n - from < per ? n - from : per;
        if (s->max_candidates && k > s->max_candidates - s->candidates)
            k = (size_t)(s->max_candidates - s->candidates);
        int rc = test_batch(p, cands, from, k, first);
        if (rc)
            return rc;
        if (s->interrupted)
            return FL_SHRINK_INTERRUPTED;
        from += k;
        /* a batch with no failing candidate: the next one twice as long (up to 32 per
         * worker), so the pool waits less often for its slowest run; after one that
         * fails, short again, since what follows it is run for nothing */
        s->batch = *first >= 0 ? BATCH_MIN : s->batch * 2 > BATCH_MAX ? BATCH_MAX : s->batch * 2;
        show_progress(s);
    }
    return 0;
}

int fl_shrink_phase(fl_shrink *s, const char *name, unsigned kinds, int *minimal, char *err,
                    size_t cap)
{
    phase p = {.s = s, .kinds = kinds, .err = err, .cap = cap};
    uint8_t *keep = malloc(s->nelems ? s->nelems : 1);
    if (!keep) {
        snprintf(err, cap, "shrink: out of memory");
        return FL_ENOMEM;
    }
    for (size_t e = 0; e < s->nelems; e++)
        keep[e] = in_phase(&p, e) && s->keep[e];
    s->phase = name;
    s->batch = BATCH_MIN;
    show_progress(s);
    int rc = fl_ddmin(keep, s->nelems, first_failing, &p, minimal);
    if (rc == FL_ENOMEM)
        snprintf(err, cap, "shrink: out of memory");
    for (size_t e = 0; e < s->nelems; e++)
        if (in_phase(&p, e))
            s->keep[e] = keep[e];
    free(keep);
    return rc;
}

void fl_shrink_free(fl_shrink *s)
{
    free(s->elems);
    free(s->keep);
    s->elems = NULL;
    s->keep = NULL;
}
