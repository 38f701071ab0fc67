/* rec_fixture.h -- feeding the recorder synthetic records in unit tests, through the
 * shapes the tests were first written in (a hook per kind).  Each call builds one
 * record (core/record.h) and gives it to the recorder's sink; a send's description is
 * kept here until its fate, the record that carries it to the messages row. */
#ifndef FL_TESTS_REC_FIXTURE_H
#define FL_TESTS_REC_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/record.h"
#include "core/world.h"
#include "storage/recorder.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

typedef struct fx_run_meta {
    int64_t sweep_id, scenario_id;
    uint64_t seed;
    const char *schedule_json;
    int origin;
} fx_run_meta;

typedef struct fx_hooks {
    void *ctx; /* the recorder */
    int want_states;
    void (*on_step_end)(void *ctx, const fl_rec_step *s);
    void (*on_send)(void *ctx, const fl_msg *m, const char *desc);
    void (*on_fate)(void *ctx, const fl_msg *m, uint64_t step);
    void (*on_log)(void *ctx, uint64_t step, int64_t time_ns, int node, int level,
                   const char *text);
    void (*on_state)(void *ctx, uint64_t step, int64_t time_ns, int node, const char *json);
} fx_hooks;

#define FX_MAX_DESCS 4096
static char fx_descs[FX_MAX_DESCS][64];

static void fx_give(fl_recorder *r, const fl_record *x)
{
    fl_sink k;
    fl_recorder_sink(r, &k);
    if (k.wants & FL_REC_BIT(x->kind))
        k.consume(k.ctx, x);
}

static int fx_rec_begin(fl_db *db, const fx_run_meta *m, int level, fl_recorder **r, char *err,
                        size_t cap)
{
    fl_run_meta meta = {
        .sweep_id = m->sweep_id, .scenario_id = m->scenario_id, .origin = m->origin};
    int rc = fl_recorder_begin(db, &meta, level, r, err, cap);
    if (rc)
        return rc;
    fl_record x = {.kind = FL_REC_RUN_BEGIN};
    x.u.begin = (fl_rec_run_begin){.seed = m->seed, .schedule_json = m->schedule_json};
    fx_give(*r, &x);
    return 0;
}

static void fx_step_end(void *ctx, const fl_rec_step *s)
{
    fl_record x = {.kind = FL_REC_STEP_END};
    x.u.step = *s;
    if (!x.u.step.detail)
        x.u.step.detail = "";
    fx_give(ctx, &x);
}

static void fx_send(void *ctx, const fl_msg *m, const char *desc)
{
    (void)ctx;
    ck_assert_uint_lt(m->id, FX_MAX_DESCS);
    snprintf(fx_descs[m->id], sizeof fx_descs[m->id], "%s", desc);
}

static void fx_fate(void *ctx, const fl_msg *m, uint64_t step)
{
    fl_record x = {.kind = FL_REC_FATE};
    ck_assert_uint_lt(m->id, FX_MAX_DESCS);
    x.u.msg = (fl_rec_msg){.id = m->id,
                           .src = m->src,
                           .dst = m->dst,
                           .sent_step = m->sent_step,
                           .sent_ns = m->sent_ns,
                           .deliver_ns = m->deliver_ns,
                           .fate = m->fate,
                           .fate_step = step,
                           .desc = fx_descs[m->id][0] ? fx_descs[m->id] : NULL};
    fx_give(ctx, &x);
}

static void fx_log(void *ctx, uint64_t step, int64_t time_ns, int node, int level, const char *text)
{
    fl_record x = {.kind = FL_REC_LOG};
    x.u.log =
        (fl_rec_log){.step = step, .time_ns = time_ns, .node = node, .level = level, .text = text};
    fx_give(ctx, &x);
}

static void fx_state(void *ctx, uint64_t step, int64_t time_ns, int node, const char *json)
{
    fl_record x = {.kind = FL_REC_STATE};
    x.u.state = (fl_rec_state){.step = step,
                               .time_ns = time_ns,
                               .node = node,
                               .json = json,
                               .scalars = json,
                               .keyframe = 1};
    fx_give(ctx, &x);
}

/* Hooks into r; like the recorder's sink, none at FL_RECORD_NONE. */
static void fx_rec_hooks(fl_recorder *r, fx_hooks *h)
{
    fl_sink k;
    fl_recorder_sink(r, &k);
    memset(h, 0, sizeof *h);
    memset(fx_descs, 0, sizeof fx_descs);
    h->ctx = r;
    if (!(k.wants & FL_REC_BIT(FL_REC_STATE)))
        return;
    h->want_states = 1;
    h->on_step_end = fx_step_end;
    h->on_send = fx_send;
    h->on_fate = fx_fate;
    h->on_log = fx_log;
    h->on_state = fx_state;
}

static void fx_rec_metric(fl_recorder *r, const char *name, int64_t value)
{
    fl_record x = {.kind = FL_REC_METRIC};
    x.u.metric = (fl_rec_metric){.name = name, .value = value};
    fx_give(r, &x);
}

static void fx_rec_fault(fl_recorder *r, int64_t seq, int64_t at_ns, const char *kind,
                         const char *spec, int took_effect)
{
    /* what took effect was reached; rows that were not reached are tested elsewhere */
    fl_record x = {.kind = FL_REC_FAULT};
    x.u.fault = (fl_rec_fault){.seq = (uint64_t)seq,
                               .at_ns = at_ns,
                               .kind = kind,
                               .spec = spec,
                               .reached = 1,
                               .took_effect = took_effect};
    fx_give(r, &x);
}

static int fx_rec_end(fl_recorder *r, const fl_run_result *res, int64_t *id, char *err, size_t cap)
{
    fl_record x = {.kind = FL_REC_RUN_END};
    x.u.end = res;
    fx_give(r, &x);
    return fl_recorder_end(r, id, err, cap);
}

#pragma GCC diagnostic pop

#endif /* FL_TESTS_REC_FIXTURE_H */
