/*
 * export_perfetto.c -- a recorded run as Chrome trace-event JSON (see export.h and
 * docs/export.md).
 *
 * Tracks: process 0 is the world (tid 0: the steps no node took, partitions and heals;
 * tid 1: the fault schedule), process N is node N (tid N).  Every step is a complete
 * event ("X") of 1 ns on its node's track, its args the step and, when the node's state
 * changed in it, the state.  A delivered message is a flow from the slice of the step
 * that sent it ("s") to the slice of the step that delivered it ("f", "bp": "e"), with
 * the message id as the flow id, so every id is paired; a dropped message is an instant
 * on the sender's track at the step that dropped it.  Crashes are instants on the
 * node's track; the schedule's entries that the run reached are instants on the
 * schedule track at their time, written after the steps in time order.  Timestamps are
 * microseconds of simulated time with nanosecond decimals, non-decreasing per track
 * because steps are.
 */
#include "sim/export.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/error.h"
#include "core/world.h"

typedef struct fault_ev {
    int64_t at_ns;
    uint64_t seq;
    char *json; /* the event, printed */
} fault_ev;

struct fl_perfetto {
    FILE *out;
    int events; /* written so far (for the commas) */
    fl_rec_step step;
    char *detail;
    cJSON *pending; /* this step's flows and instants, written after its slice */
    char *state;    /* the acting node's state after this step, or NULL */
    fault_ev *faults;
    size_t nfaults, faults_cap;
};

int fl_perfetto_new(FILE *out, fl_perfetto **p)
{
    *p = calloc(1, sizeof **p);
    if (!*p)
        return FL_ENOMEM;
    (*p)->out = out;
    (*p)->pending = cJSON_CreateArray();
    return (*p)->pending ? 0 : FL_ENOMEM;
}

void fl_perfetto_free(fl_perfetto *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nfaults; i++)
        free(p->faults[i].json);
    free(p->faults);
    free(p->detail);
    free(p->state);
    cJSON_Delete(p->pending);
    free(p);
}

/* Simulated nanoseconds as trace microseconds, exactly ("1234.567"). */
static cJSON *ts_of(int64_t ns)
{
    char num[32];
    snprintf(num, sizeof num, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
    return cJSON_CreateRaw(num);
}

static cJSON *event(const char *ph, const char *name, int pid, int tid, int64_t ns)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "ph", ph);
    cJSON_AddStringToObject(e, "name", name ? name : "");
    cJSON_AddNumberToObject(e, "pid", pid);
    cJSON_AddNumberToObject(e, "tid", tid);
    if (ns >= 0)
        cJSON_AddItemToObject(e, "ts", ts_of(ns));
    return e;
}

static int write_event(fl_perfetto *p, cJSON *e)
{
    char *text = e ? cJSON_PrintUnformatted(e) : NULL;
    cJSON_Delete(e);
    if (!text)
        return FL_ENOMEM;
    int bad = fprintf(p->out, "%s\n%s", p->events++ ? "," : "", text) < 0;
    cJSON_free(text);
    return bad ? FL_EIO : 0;
}

static cJSON *named(const char *what, const char *name)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, what, name);
    return a;
}

static int write_track(fl_perfetto *p, int pid, int tid, const char *proc, const char *thread)
{
    cJSON *e = event("M", "process_name", pid, tid, -1);
    cJSON_AddItemToObject(e, "args", named("name", proc));
    int rc = write_event(p, e);
    e = event("M", "thread_name", pid, tid, -1);
    cJSON_AddItemToObject(e, "args", named("name", thread));
    return rc ? rc : write_event(p, e);
}

static int on_begin(fl_perfetto *p, const fl_rec_run_begin *b)
{
    if (fprintf(p->out,
                "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"seed\":\"%llu\"},"
                "\"traceEvents\":[",
                (unsigned long long)b->seed) < 0)
        return FL_EIO;
    int rc = write_track(p, 0, 0, "world", "steps without a node");
    if (rc == 0)
        rc = write_track(p, 0, 1, "world", "fault schedule");
    for (int n = 1; rc == 0 && n <= b->nodes; n++) {
        char name[32];
        snprintf(name, sizeof name, "node %d", n);
        rc = write_track(p, n, n, name, name);
    }
    return rc;
}

static int on_step_begin(fl_perfetto *p, const fl_rec_step *s)
{
    p->step = *s;
    free(p->detail);
    p->detail = strdup(s->detail ? s->detail : "");
    free(p->state);
    p->state = NULL;
    return p->detail ? 0 : FL_ENOMEM;
}

static void pend(fl_perfetto *p, cJSON *e)
{
    cJSON_AddItemToArray(p->pending, e);
}

static char *msg_name(const fl_rec_msg *m, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.*s", m->desc ? (int)strcspn(m->desc, " ") : 0, m->desc ? m->desc : "");
    if (!buf[0])
        snprintf(buf, cap, "message");
    return buf;
}

/* The flow's start at the send, for a message that will be delivered. */
static void on_send(fl_perfetto *p, const fl_rec_msg *m)
{
    char name[64];
    if (m->fate != FL_FATE_DELIVERED)
        return;
    cJSON *e = event("s", msg_name(m, name, sizeof name), m->src, m->src, p->step.time_ns);
    cJSON_AddStringToObject(e, "cat", "message");
    cJSON_AddNumberToObject(e, "id", (double)m->id);
    pend(p, e);
}

static void on_fate(fl_perfetto *p, const fl_rec_msg *m)
{
    char name[64];
    msg_name(m, name, sizeof name);
    cJSON *e;
    if (m->fate == FL_FATE_DELIVERED) {
        e = event("f", name, m->dst, m->dst, p->step.time_ns);
        cJSON_AddStringToObject(e, "cat", "message");
        cJSON_AddNumberToObject(e, "id", (double)m->id);
        cJSON_AddStringToObject(e, "bp", "e");
    } else if (m->fate != FL_FATE_IN_FLIGHT) {
        char what[96];
        snprintf(what, sizeof what, "%s %s", fl_fate_name(m->fate), name);
        e = event("i", what, m->src, m->src, p->step.time_ns);
        cJSON_AddStringToObject(e, "s", "t");
        cJSON *args = cJSON_AddObjectToObject(e, "args");
        cJSON_AddNumberToObject(args, "msg_id", (double)m->id);
        cJSON_AddNumberToObject(args, "dst", m->dst);
        cJSON_AddStringToObject(args, "body", m->desc ? m->desc : "");
    } else {
        return;
    }
    pend(p, e);
}

static int on_state(fl_perfetto *p, const fl_rec_state *s)
{
    if (s->node != p->step.node)
        return 0; /* only the acting node changes in a step */
    free(p->state);
    p->state = strdup(s->json ? s->json : "null");
    return p->state ? 0 : FL_ENOMEM;
}

/* The step's slice, then what happened in it. */
static int on_step_end(fl_perfetto *p, const fl_rec_step *s)
{
    int track = s->node > 0 ? s->node : 0;
    cJSON *e = event("X", fl_step_kind_name(s->kind), track, track, s->time_ns);
    cJSON_AddItemToObject(e, "dur", cJSON_CreateRaw("0.001"));
    cJSON_AddStringToObject(e, "cat", "step");
    cJSON *args = cJSON_AddObjectToObject(e, "args");
    cJSON_AddNumberToObject(args, "step", (double)s->step);
    cJSON_AddStringToObject(args, "detail", p->detail ? p->detail : "");
    char chain[17];
    snprintf(chain, sizeof chain, "%016llx", (unsigned long long)s->chain);
    cJSON_AddStringToObject(args, "chain", chain);
    if (p->state)
        cJSON_AddItemToObject(args, "state", cJSON_CreateRaw(p->state));
    int rc = write_event(p, e);
    if (rc == 0 && s->kind == FL_STEP_CRASH && s->node > 0) {
        e = event("i", "crash", s->node, s->node, s->time_ns);
        cJSON_AddStringToObject(e, "s", "t");
        rc = write_event(p, e);
    }
    cJSON *x;
    while (rc == 0 && (x = cJSON_DetachItemFromArray(p->pending, 0)) != NULL)
        rc = write_event(p, x);
    return rc;
}

static int on_fault(fl_perfetto *p, const fl_rec_fault *f)
{
    if (!f->reached)
        return 0;
    cJSON *e = event("i", f->kind, 0, 1, f->at_ns);
    cJSON_AddStringToObject(e, "s", "p");
    cJSON *args = cJSON_AddObjectToObject(e, "args");
    cJSON_AddNumberToObject(args, "entry", (double)f->seq);
    cJSON_AddBoolToObject(args, "took_effect", f->took_effect);
    cJSON *spec = f->spec ? cJSON_Parse(f->spec) : NULL;
    if (spec)
        cJSON_AddItemToObject(args, "spec", spec);
    char *text = cJSON_PrintUnformatted(e);
    cJSON_Delete(e);
    if (!text)
        return FL_ENOMEM;
    if (p->nfaults == p->faults_cap) {
        size_t ncap = p->faults_cap ? 2 * p->faults_cap : 16;
        fault_ev *q = realloc(p->faults, ncap * sizeof *q);
        if (!q) {
            cJSON_free(text);
            return FL_ENOMEM;
        }
        p->faults = q;
        p->faults_cap = ncap;
    }
    p->faults[p->nfaults++] = (fault_ev){f->at_ns, f->seq, text};
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const fault_ev *x = a, *y = b;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The schedule's instants in time order (entries are numbered, not sorted), then the
 * end of the document. */
static int on_end(fl_perfetto *p)
{
    if (p->nfaults > 0) /* qsort wants a valid pointer even for none */
        qsort(p->faults, p->nfaults, sizeof *p->faults, by_time);
    for (size_t i = 0; i < p->nfaults; i++)
        if (fprintf(p->out, "%s\n%s", p->events++ ? "," : "", p->faults[i].json) < 0)
            return FL_EIO;
    return fputs("\n]}\n", p->out) < 0 ? FL_EIO : 0;
}

static int consume(void *ctx, const fl_record *r)
{
    fl_perfetto *p = ctx;
    switch (r->kind) {
    case FL_REC_RUN_BEGIN:
        return on_begin(p, &r->u.begin);
    case FL_REC_STEP_BEGIN:
        return on_step_begin(p, &r->u.step);
    case FL_REC_SEND:
        on_send(p, &r->u.msg);
        return 0;
    case FL_REC_FATE:
        on_fate(p, &r->u.msg);
        return 0;
    case FL_REC_STATE:
        return on_state(p, &r->u.state);
    case FL_REC_STEP_END:
        return on_step_end(p, &r->u.step);
    case FL_REC_FAULT:
        return on_fault(p, &r->u.fault);
    case FL_REC_RUN_END:
        return on_end(p);
    default:
        return 0;
    }
}

void fl_perfetto_sink(fl_perfetto *p, fl_sink *k)
{
    uint32_t wants = FL_REC_BIT(FL_REC_RUN_BEGIN) | FL_REC_BIT(FL_REC_STEP_BEGIN) |
                     FL_REC_BIT(FL_REC_SEND) | FL_REC_BIT(FL_REC_FATE) | FL_REC_BIT(FL_REC_STATE) |
                     FL_REC_BIT(FL_REC_STEP_END) | FL_REC_BIT(FL_REC_FAULT) |
                     FL_REC_BIT(FL_REC_RUN_END) | FL_REC_WANT_DESC | FL_REC_WANT_STATE_TEXT;
    *k = (fl_sink){.name = "perfetto export", .wants = wants, .ctx = p, .consume = consume};
}
