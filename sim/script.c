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
#include "sim/script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/jsonout.h"

enum action {
    A_TIMEOUT,
    A_DELIVER,
    A_DROP,
    A_CRASH,
    A_RESTART,
    A_CLIENT,
    A_STABILIZE,
    A_EXPECT,
    A_COUNT
};
static const char *const action_names[A_COUNT] = {"timeout", "deliver", "drop",      "crash",
                                                  "restart", "client",  "stabilize", "expect"};

/* ---- validation ---- */

typedef struct vctx {
    int nodes;
    size_t idx; /* 1-based */
    char *err;
    size_t cap;
} vctx;

static int vfail(vctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int vfail(vctx *c, const char *field, const char *fmt, ...)
{
    int n =
        snprintf(c->err, c->cap, "script[%zu]%s%s: ", c->idx, field ? "." : "", field ? field : "");
    if (n >= 0 && (size_t)n < c->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return FL_EINVAL;
}

/* A node id in [1, nodes]: 0 when v is not one. */
static int node_id(const cJSON *v, int nodes)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > nodes ||
        v->valuedouble != (double)(int)v->valuedouble)
        return 0;
    return (int)v->valuedouble;
}

static int check_node(vctx *c, const cJSON *v, const char *field)
{
    char buf[64];
    if (!node_id(v, c->nodes))
        return vfail(c, field, "expected a node id in [1,%d], got %s", c->nodes,
                     fl_json_brief(v, buf, sizeof buf));
    return 0;
}

static int check_string(vctx *c, const cJSON *v, const char *field)
{
    char buf[64];
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return vfail(c, field, "expected a non-empty string, got %s",
                     fl_json_brief(v, buf, sizeof buf));
    return 0;
}

static int check_matcher(vctx *c, const cJSON *m, const char *name)
{
    char field[64], buf[64];
    if (!cJSON_IsObject(m))
        return vfail(c, name, "expected an object such as {\"from\": 1, \"to\": 2}, got %s",
                     fl_json_brief(m, buf, sizeof buf));
    for (const cJSON *k = m->child; k; k = k->next) {
        snprintf(field, sizeof field, "%s.%s", name, k->string);
        int rc = 0;
        for (const cJSON *d = k->next; d; d = d->next)
            if (strcmp(d->string, k->string) == 0)
                return vfail(c, field, "duplicate key");
        if (strcmp(k->string, "from") == 0 || strcmp(k->string, "to") == 0)
            rc = check_node(c, k, field);
        else if (strcmp(k->string, "type") == 0)
            rc = check_string(c, k, field);
        else
            rc = vfail(c, field, "unknown key (expected from, to or type)");
        if (rc)
            return rc;
    }
    return 0;
}

static int check_expect(vctx *c, const cJSON *x)
{
    char buf[64];
    if (!cJSON_IsObject(x))
        return vfail(c, "expect",
                     "expected an object such as {\"node\": 2, \"role\": "
                     "\"leader\"}, got %s",
                     fl_json_brief(x, buf, sizeof buf));
    const cJSON *node = cJSON_GetObjectItemCaseSensitive(x, "node");
    if (!node)
        return vfail(c, "expect", "missing \"node\"");
    int rc = check_node(c, node, "expect.node");
    if (rc)
        return rc;
    if (cJSON_GetArraySize(x) < 2)
        return vfail(c, "expect", "expected at least one field to check besides \"node\"");
    return 0;
}

/* The entry's action, or -1 with a message. */
static int entry_action(vctx *c, const cJSON *e, int *act)
{
    *act = -1;
    for (const cJSON *k = e->child; k; k = k->next)
        for (const cJSON *d = k->next; d; d = d->next)
            if (strcmp(d->string, k->string) == 0)
                return vfail(c, k->string, "duplicate key");
    for (const cJSON *k = e->child; k; k = k->next) {
        int a = -1;
        for (int i = 0; i < A_COUNT; i++)
            if (strcmp(k->string, action_names[i]) == 0)
                a = i;
        if (a < 0)
            continue;
        if (*act >= 0)
            return vfail(c, NULL, "more than one action (\"%s\" and \"%s\")", action_names[*act],
                         k->string);
        *act = a;
    }
    if (*act < 0)
        return vfail(c, NULL,
                     "expected one action: timeout, deliver, drop, crash, restart, "
                     "client, stabilize or expect");
    for (const cJSON *k = e->child; k; k = k->next) {
        int ok = strcmp(k->string, action_names[*act]) == 0 || strcmp(k->string, "comment") == 0 ||
                 (*act == A_TIMEOUT && strcmp(k->string, "timer") == 0) ||
                 (*act == A_CLIENT && strcmp(k->string, "op") == 0);
        if (!ok)
            return vfail(c, k->string, "unknown key for a %s entry", action_names[*act]);
    }
    return 0;
}

static int check_entry(vctx *c, const cJSON *e)
{
    char buf[64];
    int act, rc;
    if (!cJSON_IsObject(e))
        return vfail(c, NULL, "expected an object, got %s", fl_json_brief(e, buf, sizeof buf));
    if ((rc = entry_action(c, e, &act)) != 0)
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, action_names[act]);
    const cJSON *comment = cJSON_GetObjectItemCaseSensitive(e, "comment");
    if (comment && !cJSON_IsString(comment))
        return vfail(c, "comment", "expected a string");
    switch (act) {
    case A_TIMEOUT:
        rc = check_node(c, v, "timeout");
        if (rc == 0 && cJSON_GetObjectItemCaseSensitive(e, "timer"))
            rc = check_string(c, cJSON_GetObjectItemCaseSensitive(e, "timer"), "timer");
        return rc;
    case A_DELIVER:
    case A_DROP:
        return check_matcher(c, v, action_names[act]);
    case A_CRASH:
    case A_RESTART:
        return check_node(c, v, action_names[act]);
    case A_CLIENT:
        rc = check_node(c, v, "client");
        return rc ? rc : check_string(c, cJSON_GetObjectItemCaseSensitive(e, "op"), "op");
    case A_STABILIZE:
        if (!cJSON_IsTrue(v))
            return vfail(c, "stabilize", "expected true, got %s",
                         fl_json_brief(v, buf, sizeof buf));
        return 0;
    default:
        return check_expect(c, v);
    }
}

int fl_script_validate(const cJSON *script, int nodes, char *err, size_t cap)
{
    if (!cJSON_IsArray(script)) {
        snprintf(err, cap, "script: expected a JSON array of entries");
        return FL_EINVAL;
    }
    vctx c = {.nodes = nodes, .err = err, .cap = cap};
    for (const cJSON *e = script->child; e; e = e->next) {
        c.idx++;
        int rc = check_entry(&c, e);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- running ---- */

typedef struct srun {
    fl_world *w;
    size_t idx;       /* the entry running, 1-based */
    char detail[300]; /* the next step's detail, set by the action */
    const char *op;   /* client: the request */
    int node, timer;
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
    else if (what == A_CLIENT)
        fl_world_client(w, r->node, r->op, strlen(r->op));
    /* else: an ignored self-send, nothing to do */
}

/* Run one step and let 1 ms pass.  Returns 0, or -1 when the run has ended. */
static int step(srun *r, int kind, int node, int peer, fl_action_fn fn, uint64_t arg)
{
    fl_world_exec(r->w, kind, node, peer, fn, r, arg);
    if (fl_world_outcome(r->w) != FL_OUTCOME_RUNNING)
        return -1;
    fl_world_advance(r->w, fl_world_now(r->w) + FL_SCRIPT_STEP_NS);
    return 0;
}

static int ignored(srun *r, int from, int to, const char *type)
{
    snprintf(r->detail, sizeof r->detail, "self-send %d -> %d%s%s (delivered automatically)", from,
             to, type ? " " : "", type ? type : "");
    return step(r, FL_STEP_IGNORED, to, from, act_misc, A_COUNT);
}

static int run_match(srun *r, const cJSON *m, int drop)
{
    const cJSON *jf = cJSON_GetObjectItemCaseSensitive(m, "from");
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(m, "to");
    const cJSON *jy = cJSON_GetObjectItemCaseSensitive(m, "type");
    int from = jf ? jf->valueint : 0, to = jt ? jt->valueint : 0;
    const char *type = jy ? jy->valuestring : NULL;
    if (from && from == to)
        return ignored(r, from, to, type);
    const fl_msg *msg = fl_world_find_msg(r->w, from, to, type);
    if (!msg) {
        char fs[16] = "any node", ts[16] = "any node";
        if (from)
            snprintf(fs, sizeof fs, "%d", from);
        if (to)
            snprintf(ts, sizeof ts, "%d", to);
        return diverge(r, "%s: no in-flight message from %s to %s%s%s", drop ? "drop" : "deliver",
                       fs, ts, type ? " of type " : "", type ? type : "");
    }
    if (msg->src == msg->dst)
        return ignored(r, msg->src, msg->dst, type);
    int src = msg->src, dst = msg->dst;
    uint64_t id = msg->id;
    if (!drop)
        return step(r, FL_STEP_DELIVER, dst, src, act_deliver, id);
    char desc[256];
    fl_world_describe(r->w, msg, desc, sizeof desc);
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

static int run_expect(srun *r, const cJSON *x)
{
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

static int run_entry(srun *r, const cJSON *e)
{
    vctx c = {.nodes = fl_world_nodes(r->w), .idx = r->idx};
    char err[8];
    c.err = err, c.cap = sizeof err;
    int act;
    entry_action(&c, e, &act); /* validated already */
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, action_names[act]);
    switch (act) {
    case A_TIMEOUT:
        return run_timeout(r, e);
    case A_DELIVER:
    case A_DROP:
        return run_match(r, v, act == A_DROP);
    case A_CRASH:
    case A_RESTART:
    case A_CLIENT:
        return run_node_action(r, e, act);
    case A_STABILIZE:
        return run_stabilize(r);
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

int fl_script_run(fl_world *w, const cJSON *script)
{
    char err[512];
    if (fl_script_validate(script, fl_world_nodes(w), err, sizeof err) != 0) {
        fl_world_finish(w, FL_OUTCOME_ERROR, err);
        return fl_world_outcome(w);
    }
    if (fl_world_steps(w) == 0)
        boot(w);
    srun r = {.w = w};
    for (const cJSON *e = script->child; e; e = e->next) {
        r.idx++;
        if (fl_world_outcome(w) != FL_OUTCOME_RUNNING || run_entry(&r, e) != 0)
            break;
    }
    if (fl_world_outcome(w) == FL_OUTCOME_RUNNING)
        fl_world_finish(w, FL_OUTCOME_OK, NULL);
    return fl_world_outcome(w);
}
