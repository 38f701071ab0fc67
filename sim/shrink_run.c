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

static int first_failing(void *ctx, const uint8_t *const *cands, size_t n, long *first)
{
    phase *p = ctx;
    fl_shrink *s = p->s;
    size_t per = (size_t)(s->jobs > 0 ? s->jobs : 1) * 4;
    *first = -1;
    for (size_t from = 0; from < n && *first < 0;) {
        if (s->interrupted || fl_signals_caught())
            return FL_SHRINK_INTERRUPTED;
        if ((s->deadline_us && fl_sweep_now_us() >= s->deadline_us) ||
            (s->max_candidates && s->candidates >= s->max_candidates))
            return FL_SHRINK_BUDGET;
        size_t k = n - from < per ? n - from : per;
        if (s->max_candidates && k > s->max_candidates - s->candidates)
            k = (size_t)(s->max_candidates - s->candidates);
        int rc = test_batch(p, cands, from, k, first);
        if (rc)
            return rc;
        if (s->interrupted)
            return FL_SHRINK_INTERRUPTED;
        from += k;
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

/* ---- structured groups ---- */

/* Group g of the fixed list, as the mask of kept elements it leaves (1 when that differs
 * from keep and removes something, 0 when the group is empty): 0..2 the message faults
 * of one kind (delay, duplicate, drop), 3 every message fault, 4..7 the episodes that
 * start with a timeout, a clock change, a partition, a crash, then one directed link's
 * message faults each (from, to in order). */
#define GROUPS_FIXED 8
static int group_mask(const fl_shrink *s, size_t g, uint8_t *mask)
{
    static const int msg_kinds[] = {FL_FAULT_DELAY, FL_FAULT_DUPLICATE, FL_FAULT_DROP};
    static const int ep_kinds[] = {FL_FAULT_TIMEOUT, FL_FAULT_CLOCK, FL_FAULT_PARTITION,
                                   FL_FAULT_CRASH};
    int n = s->sc->nodes, from = 0, to = 0, removes = 0;
    if (g >= GROUPS_FIXED) {
        from = (int)((g - GROUPS_FIXED) / (size_t)n) + 1;
        to = (int)((g - GROUPS_FIXED) % (size_t)n) + 1;
    }
    for (size_t e = 0; e < s->nelems; e++) {
        const fl_shrink_elem *x = &s->elems[e];
        int in = 0;
        if (x->kind == FL_SHRINK_MESSAGE) {
            const fl_msg_fault *m = fl_schedule_msg(s->sched, x->first);
            in = g < 3               ? m->kind == msg_kinds[g]
                 : g == 3            ? 1
                 : g >= GROUPS_FIXED ? m->from == from && m->to == to
                                     : 0;
        } else if (x->kind == FL_SHRINK_EPISODE && g >= 4 && g < GROUPS_FIXED) {
            in = fl_schedule_entry(s->sched, x->first)->kind == ep_kinds[g - 4];
        }
        mask[e] = s->keep[e] && !in;
        removes |= s->keep[e] && in;
    }
    return removes;
}

/* Before ddmin, remove whole groups at a time (group_mask's list, in order): when the
 * failure does not depend on a kind or a link at all, one candidate removes what ddmin
 * would take many to find.  Each group is tried once, with what the earlier ones left.
 * 0, FL_SHRINK_BUDGET, FL_SHRINK_INTERRUPTED, or a negative FL_E code with err. */
int fl_shrink_groups(fl_shrink *s, char *err, size_t cap)
{
    size_t ngroups = GROUPS_FIXED + (size_t)s->sc->nodes * (size_t)s->sc->nodes;
    uint8_t **cands = calloc(ngroups, sizeof *cands);
    size_t *which = calloc(ngroups, sizeof *which);
    phase p = {.s = s, .kinds = ~0u, .err = err, .cap = cap};
    int rc = cands && which ? 0 : FL_ENOMEM;
    s->phase = "groups";
    for (size_t g = 0; rc == 0 && g < ngroups;) {
        size_t n = 0;
        for (; g < ngroups && rc == 0; g++) {
            if (!cands[n] && !(cands[n] = malloc(s->nelems ? s->nelems : 1)))
                rc = FL_ENOMEM;
            else if (group_mask(s, g, cands[n]))
                which[n++] = g;
        }
        long first = -1;
        if (rc == 0 && n)
            rc = first_failing(&p, (const uint8_t *const *)cands, n, &first);
        if (rc == 0 && first >= 0) {
            memcpy(s->keep, cands[first], s->nelems);
            g = which[first] + 1; /* the later groups again, with what this one left */
        }
    }
    if (rc == FL_ENOMEM)
        snprintf(err, cap, "shrink: out of memory");
    for (size_t i = 0; cands && i < ngroups; i++)
        free(cands[i]);
    free(cands);
    free(which);
    return rc;
}

void fl_shrink_free(fl_shrink *s)
{
    free(s->elems);
    free(s->keep);
    s->elems = NULL;
    s->keep = NULL;
}
