/*
 * script.c -- the scripted-mode driver (see script.h).
 *
 * The driver never schedules anything: each entry runs now, as one step through
 * fl_world_exec(), which first runs whatever is already due (self-sends) and after the
 * step runs what the step made due.  Time advances by FL_SCRIPT_STEP_NS after each
 * step, so the trace shows the script's steps 1 ms apart, and nothing is ever due at
 * a time earlier than now (time never runs backwards).
 *
 * Preconditions are checked before the step (is the node up, is there such a message),
 * so an entry that cannot be followed costs no step: the run ends as divergence at
 * the step that would have run.
 */
#include "sim/run/script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonout.h"
#include "sim/run/clients.h"
#include "sim/run/script_impl.h"

#define action_names fl_script_action_names

/* ---- the world's driver: hold everything until the script names it ---- */

static int hold_send(void *ctx, fl_world *w, const fl_msg *m)
{
    (void)ctx, (void)w, (void)m;
    return 1;
}

static int64_t timer_due(void *ctx, const fl_world *w, int node, int64_t after_ns)
{
    (void)ctx, (void)w, (void)node, (void)after_ns;
    return FL_TIME_NEVER; /* armed; fires only when a timeout entry forces it */
}

static int take_sync(void *ctx, fl_world *w, int node, uint64_t id)
{
    fl_script_syncs *s = ctx;
    (void)w;
    if (s->hold)
        return 1; /* pending on the disk until {"sync": node} */
    if (s->ndue == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        struct fl_script_sync *d = realloc(s->due, ncap * sizeof *d);
        if (!d)
            abort(); /* out of memory in the middle of a step: nothing sane to do */
        s->due = d;
        s->cap = ncap;
    }
    s->due[s->ndue++] = (struct fl_script_sync){node, id};
    return 1;
}

/* Immediate syncs complete before the step ends, in request order; one completed
 * sync's on_synced may ask for more, which complete in the same step. */
static void on_step_end(void *ctx, fl_world *w)
{
    fl_script_syncs *s = ctx;
    for (size_t i = 0; i < s->ndue; i++)
        fl_world_complete_sync(w, s->due[i].node, s->due[i].id);
    s->ndue = 0;
}

void fl_script_install(fl_world *w, fl_script_syncs *syncs)
{
    memset(syncs, 0, sizeof *syncs);
    fl_world_driver d = {.ctx = syncs,
                         .hold_send = hold_send,
                         .timer_due = timer_due,
                         .take_sync = take_sync,
                         .on_step_end = on_step_end};
    fl_world_set_driver(w, &d);
}

void fl_script_syncs_close(fl_script_syncs *syncs)
{
    free(syncs->due);
    memset(syncs, 0, sizeof *syncs);
}

/* ---- running ---- */

typedef struct srun {
    fl_world *w;
    fl_script_syncs *syncs;
    size_t idx;       /* the entry running, 1-based */
    char detail[300]; /* the next step's detail, set by the action */
    const char *op;   /* client: the request */
    int node, timer;
    fl_clients *clients; /* workload.model register or kv; else NULL */
    const cJSON *entry;  /* the client entry running */
    int timed;           /* the entry gave its time (at_ns): no 1 ms after its steps */
} srun;

/* End the run as divergence: "script[i]: <what>". */
static int diverge(srun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int diverge(srun *r, const char *fmt, ...)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "script[%zu]: ", r->idx);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    fl_world_finish(r->w, FL_OUTCOME_DIVERGENCE, msg);
    return -1;
}

static void act_deliver(fl_world *w, void *ctx, uint64_t id)
{
    (void)ctx;
    fl_world_deliver(w, id); /* found just before: cannot fail */
}

static void act_drop(fl_world *w, void *ctx, uint64_t id)
{
    srun *r = ctx;
    fl_world_set_detail(w, "%s", r->detail);
    fl_world_drop(w, id, FL_FATE_DROPPED_SCRIPT);
}

static void act_misc(fl_world *w, void *ctx, uint64_t what)
{
    srun *r = ctx;
    fl_world_set_detail(w, "%s", r->detail);
    if (what == A_TIMEOUT)
        fl_world_fire_timer(w, r->node, r->timer);
    else if (what == A_CRASH)
        fl_world_crash(w, r->node);
    else if (what == A_RESTART)
        fl_world_restart(w, r->node);
    else if (what == A_CLIENT && r->op)
        fl_world_client(w, r->node, r->op, strlen(r->op));
    else if (what == A_CLIENT) {
        int process;
        fl_client_op op;
        char err[160];
        fl_script_client_op(r->entry, &process, &op);
        fl_clients_script_invoke(r->clients, w, r->node, process, &op, err, sizeof err);
    }
    /* else: an ignored self-send, nothing to do */
}

/* Run one step and let 1 ms pass.  Returns 0, or -1 when the run has ended. */
static int step(srun *r, int kind, int node, int peer, fl_action_fn fn, uint64_t arg)
{
    fl_world_exec(r->w, kind, node, peer, fn, r, arg);
    if (fl_world_outcome(r->w) != FL_OUTCOME_RUNNING)
        return -1;
    if (!r->timed)
        fl_world_advance(r->w, fl_world_now(r->w) + FL_SCRIPT_STEP_NS);
    return 0;
}

static int ignored(srun *r, int from, int to, const char *type)
{
    snprintf(r->detail, sizeof r->detail, "self-send %d -> %d%s%s (delivered automatically)", from,
             to, type ? " " : "", type ? type : "");
    return step(r, FL_STEP_IGNORED, to, from, act_misc, A_COUNT);
}

static void act_duplicate(fl_world *w, void *ctx, uint64_t id)
{
    srun *r = ctx;
    fl_world_set_detail(w, "%s", r->detail);
    fl_world_duplicate(w, id, r->timer); /* found just before: cannot fail */
}

/* A duplicate's copy number: one more than the copies of that message in flight (the
 * converter duplicates a message right after its send, as the network does). */
static int next_copy(srun *r, const fl_msg *m)
{
    int copy = 1;
    while (copy <= 3 && fl_world_find_msg_nth(r->w, m->src, m->dst, NULL, m->nth, copy))
        copy++;
    return copy;
}

static int no_match(srun *r, int act, int from, int to, const char *type, uint32_t nth, int copy)
{
    char fs[16] = "any node", ts[16] = "any node", id[48] = "";
    if (from)
        snprintf(fs, sizeof fs, "%d", from);
    if (to)
        snprintf(ts, sizeof ts, "%d", to);
    if (nth)
        snprintf(id, sizeof id, " (send %u on the link%s)", nth, copy > 0 ? ", a copy" : "");
    return diverge(r, "%s: no in-flight message from %s to %s%s%s%s", action_names[act], fs, ts,
                   type ? " of type " : "", type ? type : "", id);
}

static int run_match(srun *r, const cJSON *m, int act)
{
    const cJSON *jf = cJSON_GetObjectItemCaseSensitive(m, "from");
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(m, "to");
    const cJSON *jy = cJSON_GetObjectItemCaseSensitive(m, "type");
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(m, "nth");
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(m, "copy");
    int from = jf ? jf->valueint : 0, to = jt ? jt->valueint : 0;
    const char *type = jy ? jy->valuestring : NULL;
    uint32_t nth = jn ? (uint32_t)jn->valuedouble : 0;
    int copy = jc ? jc->valueint : act == A_DUPLICATE ? 0 : -1;
    if (from && from == to)
        return ignored(r, from, to, type);
    const fl_msg *msg = fl_world_find_msg_nth(r->w, from, to, type, nth, copy);
    if (!msg)
        return no_match(r, act, from, to, type, nth, copy);
    if (msg->src == msg->dst)
        return ignored(r, msg->src, msg->dst, type);
    int src = msg->src, dst = msg->dst;
    uint64_t id = msg->id;
    if (act == A_DELIVER)
        return step(r, FL_STEP_DELIVER, dst, src, act_deliver, id);
    char desc[256];
    fl_world_describe(r->w, msg, desc, sizeof desc);
    if (act == A_DUPLICATE) {
        r->timer = next_copy(r, msg);
        if (r->timer > 3)
            return diverge(r, "duplicate: message %llu has 3 copies in flight already",
                           (unsigned long long)id);
        snprintf(r->detail, sizeof r->detail, "duplicate %d -> %d %s (msg %llu, copy %d)", src, dst,
                 desc, (unsigned long long)id, r->timer);
        return step(r, FL_STEP_SCRIPT, src, dst, act_duplicate, id);
    }
    snprintf(r->detail, sizeof r->detail, "drop %d -> %d %s (msg %llu)", src, dst, desc,
             (unsigned long long)id);
    return step(r, FL_STEP_SCRIPT, dst, src, act_drop, id);
}

static int run_timeout(srun *r, const cJSON *e)
{
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(e, "timer");
    r->node = cJSON_GetObjectItemCaseSensitive(e, "timeout")->valueint;
    if (jt) {
        r->timer = fl_world_timer_index(r->w, jt->valuestring);
        if (r->timer < 0)
            return diverge(r, "timeout: the protocol has no timer \"%s\"", jt->valuestring);
    } else {
        const char *const *t = fl_world_protocol(r->w)->timers;
        if (!t || !t[0])
            return diverge(r, "timeout: the protocol has no timers");
        r->timer = 0;
    }
    if (!fl_world_node_up(r->w, r->node))
        return diverge(r, "timeout: node %d is down", r->node);
    r->detail[0] = '\0'; /* fl_world_fire_timer names the timer */
    return step(r, FL_STEP_TIMEOUT, r->node, 0, act_misc, A_TIMEOUT);
}

static int run_node_action(srun *r, const cJSON *e, int act)
{
    r->node = cJSON_GetObjectItemCaseSensitive(e, action_names[act])->valueint;
    int up = fl_world_node_up(r->w, r->node);
    if (act == A_CRASH && !up)
        return diverge(r, "crash: node %d is already down", r->node);
    if (act == A_RESTART && up)
        return diverge(r, "restart: node %d is up", r->node);
    if (act == A_CLIENT && !up)
        return diverge(r, "client: node %d is down", r->node);
    if (act == A_CLIENT && cJSON_GetObjectItemCaseSensitive(e, "f")) {
        int process;
        fl_client_op op;
        char err[160];
        fl_script_client_op(e, &process, &op);
        if (fl_clients_script_check(r->clients, r->w, r->node, process, &op, err, sizeof err))
            return diverge(r, "%s", err);
        r->op = NULL;
        r->entry = e;
        r->detail[0] = '\0'; /* the clients show the operation */
        return step(r, FL_STEP_CLIENT, r->node, 0, act_misc, A_CLIENT);
    }
    if (act == A_CLIENT) {
        r->op = cJSON_GetObjectItemCaseSensitive(e, "op")->valuestring;
        r->detail[0] = '\0'; /* fl_world_client shows the request */
        return step(r, FL_STEP_CLIENT, r->node, 0, act_misc, A_CLIENT);
    }
    snprintf(r->detail, sizeof r->detail, act == A_CRASH ? "crash %d" : "restart", r->node);
    return step(r, act == A_CRASH ? FL_STEP_CRASH : FL_STEP_START, r->node, 0, act_misc,
                (uint64_t)act);
}

static int run_stabilize(srun *r)
{
    for (int n = 0;; n++) {
        const fl_msg *m = fl_world_find_msg(r->w, 0, 0, NULL);
        if (!m)
            return 0;
        if (n == FL_SCRIPT_MAX_STABILIZE)
            return diverge(r, "stabilize: messages still in flight after %d deliveries",
                           FL_SCRIPT_MAX_STABILIZE);
        int rc = m->src == m->dst ? ignored(r, m->src, m->dst, NULL)
                                  : step(r, FL_STEP_DELIVER, m->dst, m->src, act_deliver, m->id);
        if (rc)
            return rc;
    }
}

/* Numbers and strings compare exactly; anything else structurally. */
static int same_value(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsNumber(a) || cJSON_IsNumber(b))
        return cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a) || cJSON_IsString(b))
        return cJSON_IsString(a) && cJSON_IsString(b) &&
               strcmp(a->valuestring, b->valuestring) == 0;
    return cJSON_Compare(a, b, 1);
}

static int run_expect_reply(srun *r, const cJSON *want)
{
    int process = (int)cJSON_GetObjectItemCaseSensitive(want, "process")->valuedouble;
    const fl_rec_client *got = r->clients ? fl_clients_last_reply(r->clients, process) : NULL;
    char msg[400];
    if (!got)
        return diverge(r, "expect reply of process %d: it has no completed operation", process);
    if (fl_script_match_reply(got, want, msg, sizeof msg) != 0)
        return diverge(r, "%s", msg);
    return 0;
}

static int run_expect(srun *r, const cJSON *x)
{
    const cJSON *reply = cJSON_GetObjectItemCaseSensitive(x, "reply");
    if (reply)
        return run_expect_reply(r, reply);
    int node = cJSON_GetObjectItemCaseSensitive(x, "node")->valueint;
    if (!fl_world_node_up(r->w, node))
        return diverge(r, "expect node %d: the node is down", node);
    cJSON *snap = fl_world_snapshot(r->w, node);
    if (!snap)
        return diverge(r, "expect node %d: the protocol has no snapshot", node);
    int rc = 0;
    for (const cJSON *k = x->child; k && rc == 0; k = k->next) {
        if (strcmp(k->string, "node") == 0)
            continue;
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(snap, k->string);
        if (got && same_value(k, got))
            continue;
        char want[128], have[128];
        fl_json_brief(k, want, sizeof want);
        fl_json_brief(got, have, sizeof have);
        rc = diverge(r, "expect node %d %s: expected %s, got %s", node, k->string, want,
                     got ? have : "nothing (no such field in the snapshot)");
    }
    cJSON_Delete(snap);
    return rc;
}

static void act_sync(fl_world *w, void *ctx, uint64_t id)
{
    srun *r = ctx;
    fl_world_set_detail(w, "sync %llu", (unsigned long long)id);
    fl_world_complete_sync(w, r->node, id);
}

/* {"sync": 2}: node 2's oldest held sync completes, as its own step. */
static int run_sync(srun *r, int node)
{
    r->node = node;
    if (!fl_world_node_up(r->w, node))
        return diverge(r, "sync: node %d is down", node);
    uint64_t id = fl_world_oldest_sync(r->w, node);
    if (!id || !r->syncs->hold)
        return diverge(r, "sync: node %d has no held sync", node);
    return step(r, FL_STEP_SYNCED, node, 0, act_sync, id);
}

/* {"...": ..., "at_ns": T}: the entry's steps run at virtual time T, as in the run a
 * timed script was converted from (for protocols that read the clock). */
static int run_at(srun *r, const cJSON *e)
{
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(e, "at_ns");
    r->timed = at != NULL;
    if (!at)
        return 0;
    int64_t t = (int64_t)at->valuedouble, now = fl_world_now(r->w);
    if (t < now)
        return diverge(r, "at_ns %lld is before the current time %lld", (long long)t,
                       (long long)now);
    fl_world_advance(r->w, t);
    return 0;
}

static void act_clock(fl_world *w, void *ctx, uint64_t ppm)
{
    srun *r = ctx;
    fl_world_set_detail(w, "clock %d drift %+dppm", r->node, (int)(int64_t)ppm);
    fl_world_set_drift(w, r->node, (int32_t)(int64_t)ppm);
}

/* {"clock": 2, "ppm": -13065}: node 2's clock drifts from now on, as a clock fault's
 * (a step of kind script, as that fault is). */
static int run_clock(srun *r, const cJSON *e)
{
    r->node = cJSON_GetObjectItemCaseSensitive(e, "clock")->valueint;
    int64_t ppm = (int64_t)cJSON_GetObjectItemCaseSensitive(e, "ppm")->valuedouble;
    return step(r, FL_STEP_SCRIPT, r->node, 0, act_clock, (uint64_t)ppm);
}

static int run_entry(srun *r, const cJSON *e)
{
    int act = fl_script_entry_action(e); /* validated already */
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, action_names[act]);
    if (run_at(r, e) != 0)
        return -1;
    switch (act) {
    case A_TIMEOUT:
        return run_timeout(r, e);
    case A_DELIVER:
    case A_DROP:
    case A_DUPLICATE:
        return run_match(r, v, act);
    case A_CRASH:
    case A_RESTART:
    case A_CLIENT:
        return run_node_action(r, e, act);
    case A_STABILIZE:
        return run_stabilize(r);
    case A_SYNC:
        return run_sync(r, v->valueint);
    case A_SYNCS:
        r->syncs->hold = strcmp(v->valuestring, "hold") == 0;
        return 0;
    case A_CLOCK:
        return run_clock(r, e);
    default:
        return run_expect(r, v);
    }
}

/* Run the start steps at time 0: node i boots in step i - 1 (self-sends they make stay
 * due, and run before the first entry's step). */
static void boot(fl_world *w)
{
    for (int id = 1; id <= fl_world_nodes(w); id++)
        while (!fl_world_node_up(w, id) && fl_world_outcome(w) == FL_OUTCOME_RUNNING)
            if (!fl_world_step(w))
                return;
}

int fl_script_run(fl_world *w, const cJSON *script, fl_script_syncs *syncs, fl_clients *clients)
{
    char err[512];
    if (fl_script_validate(script, fl_world_nodes(w), err, sizeof err) != 0) {
        fl_world_finish(w, FL_OUTCOME_ERROR, err);
        return fl_world_outcome(w);
    }
    if (fl_world_steps(w) == 0) {
        const cJSON *first = script->child;
        if (first && cJSON_GetObjectItemCaseSensitive(first, "from")) /* validated: boot */
            syncs->hold = 1;
        boot(w);
    }
    srun r = {.w = w, .syncs = syncs, .clients = clients};
    for (const cJSON *e = script->child; e; e = e->next) {
        r.idx++;
        if (fl_world_outcome(w) != FL_OUTCOME_RUNNING || run_entry(&r, e) != 0)
            break;
    }
    if (fl_world_outcome(w) == FL_OUTCOME_RUNNING)
        fl_world_finish(w, FL_OUTCOME_OK, NULL);
    return fl_world_outcome(w);
}
