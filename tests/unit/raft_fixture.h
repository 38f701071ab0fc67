/* raft_fixture.h -- the scripted fixture of the Raft unit tests (tests/unit/test_raft_*.c):
 * worlds running sim/protocols/raft/, log capture, snapshot assertions (ASSERT_LEADER,
 * ASSERT_COMMIT, ...) and the scripted steps s_* that mirror the script verbs of DESIGN.md.
 *
 * Scripted tests drive a world set up with fl_script_install one step at a time: each s_* helper
 * runs one step, then 1 ms of virtual time passes; once the world has left the running state
 * (a violation) the helpers do nothing, so a scenario can be replayed to its end.
 *
 * A header of static functions rather than a .c file: only tests/unit/test_*.c files
 * become programs, each its own; a test file may leave some helpers unused. */
#ifndef FL_TESTS_UNIT_RAFT_FIXTURE_H
#define FL_TESTS_UNIT_RAFT_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/world.h"
#include "sim/protocols/raft/raft.h"
#include "tests/unit/script_fixture.h"

extern const struct fl_protocol fl_proto_raft;

/* Each test file uses some of these helpers; the others are not an error. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

/* ---- fixture: worlds ---- */

typedef struct opts {
    int nodes;
    const char *params; /* JSON, NULL: {} */
    int scripted;
    int unsynced;
    int64_t until_ns;
    fl_latency latency, disk;
} opts;

static fl_world *make_world(uint64_t seed, const opts *o)
{
    const char *json = o->params ? o->params : "{}";
    cJSON *p = cJSON_Parse(json);
    ck_assert_msg(p != NULL, "bad params JSON %s", json);
    char err[256];
    ck_assert_msg(fl_proto_raft.configure(p, err, sizeof err) == 0, "%s", err);
    fl_world_config cfg = {
        .seed = seed,
        .nodes = o->nodes ? o->nodes : 3,
        .protocol = &fl_proto_raft,
        .params = p,
        .latency = o->latency.max_ns ? o->latency : (fl_latency){1 * FL_MS, 10 * FL_MS},
        .disk_sync = o->disk.max_ns ? o->disk : (fl_latency){1 * FL_MS, 5 * FL_MS},
        .unsynced = o->unsynced,
        .until_ns = o->until_ns ? o->until_ns : 10 * FL_S,
        .max_steps = 5000000};
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    if (o->scripted)
        fx_script_install(w);
    return w;
}

static fl_world *scripted_world(int nodes, const char *params)
{
    opts o = {.nodes = nodes, .params = params, .scripted = 1};
    return make_world(1, &o);
}

static void free_world(fl_world *w)
{
    cJSON *p = (cJSON *)fl_cluster_params(fl_world_cluster(w));
    fx_script_release(w);
    fl_world_free(w);
    cJSON_Delete(p);
}

/* ---- fixture: log capture ---- */

typedef struct logcap {
    char *text;
    size_t len, cap;
} logcap;

static int cap_log(void *ctx, const fl_record *r)
{
    logcap *c = ctx;
    const char *text = r->u.log.text;
    size_t n = strlen(text) + 1;
    if (c->len + n + 1 > c->cap) {
        c->cap = (c->len + n + 1) * 2;
        c->text = realloc(c->text, c->cap);
        ck_assert(c->text != NULL);
    }
    memcpy(c->text + c->len, text, n - 1);
    c->len += n - 1;
    c->text[c->len++] = '\n';
    c->text[c->len] = '\0';
    return 0;
}

static void capture_logs(fl_world *w, logcap *c)
{
    memset(c, 0, sizeof *c);
    fx_add_sink(w, FL_REC_BIT(FL_REC_LOG), c, cap_log);
}

static int logged(const logcap *c, const char *needle)
{
    return c->text && strstr(c->text, needle) != NULL;
}

/* ---- fixture: snapshots ---- */

static int64_t snap_int(fl_world *w, int node, const char *key)
{
    cJSON *s = fl_world_snapshot(w, node);
    ck_assert_msg(s != NULL, "node %d is down", node);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);
    ck_assert_msg(cJSON_IsNumber(v), "snapshot has no number %s", key);
    int64_t r = (int64_t)v->valuedouble;
    cJSON_Delete(s);
    return r;
}

static const char *snap_role(fl_world *w, int node, char *buf, size_t cap)
{
    cJSON *s = fl_world_snapshot(w, node);
    ck_assert_msg(s != NULL, "node %d is down", node);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, "role");
    ck_assert(cJSON_IsString(v));
    snprintf(buf, cap, "%s", v->valuestring);
    cJSON_Delete(s);
    return buf;
}

#define ASSERT_ROLE(w, node, role)                                                                 \
    do {                                                                                           \
        char rb_[16];                                                                              \
        ck_assert_str_eq(snap_role((w), (node), rb_, sizeof rb_), (role));                         \
    } while (0)
#define ASSERT_TERM(w, node, t) ck_assert_int_eq(snap_int((w), (node), "term"), (t))
#define ASSERT_LEADER(w, node, t)                                                                  \
    do {                                                                                           \
        ASSERT_ROLE((w), (node), "leader");                                                        \
        ASSERT_TERM((w), (node), (t));                                                             \
    } while (0)
#define ASSERT_COMMIT(w, node, c) ck_assert_int_eq(snap_int((w), (node), "commit"), (c))
#define ASSERT_LAST(w, node, i) ck_assert_int_eq(snap_int((w), (node), "last_index"), (i))
#define ASSERT_RUNNING(w) ck_assert_int_eq(fl_world_outcome(w), FL_OUTCOME_RUNNING)
#define ASSERT_VIOLATION(w, name)                                                                  \
    do {                                                                                           \
        ck_assert_int_eq(fl_world_outcome(w), FL_OUTCOME_VIOLATION);                               \
        ck_assert_str_eq(fl_world_violation(w)->check, (name));                                    \
    } while (0)

/* ---- fixture: scripted steps (each one step, then 1 ms passes) ---- */

static int running(fl_world *w)
{
    return fl_world_outcome(w) == FL_OUTCOME_RUNNING;
}

static void s_exec(fl_world *w, int kind, int node, int peer, fl_action_fn fn, void *ctx,
                   uint64_t arg)
{
    if (!running(w))
        return;
    fl_world_exec(w, kind, node, peer, fn, ctx, arg);
    fl_world_advance(w, fl_world_now(w) + FL_MS);
}

static void act_timer(fl_world *w, void *ctx, uint64_t arg)
{
    ck_assert_int_eq(fl_world_fire_timer(w, (int)(arg >> 8), (int)(arg & 0xff)), 0);
}

static void s_timeout(fl_world *w, int node)
{
    s_exec(w, FL_STEP_TIMEOUT, node, 0, act_timer, NULL, (uint64_t)node << 8 | FR_TIMER_ELECTION);
}

static void s_heartbeat(fl_world *w, int node)
{
    s_exec(w, FL_STEP_TIMEOUT, node, 0, act_timer, NULL, (uint64_t)node << 8 | FR_TIMER_HEARTBEAT);
}

static void act_deliver(fl_world *w, void *ctx, uint64_t id)
{
    ck_assert_int_eq(fl_world_deliver(w, id), 0);
}

static void act_drop(fl_world *w, void *ctx, uint64_t id)
{
    ck_assert_int_eq(fl_world_drop(w, id, FL_FATE_DROPPED_SCRIPT), 0);
}

static const fl_msg *must_find(fl_world *w, int from, int to, const char *type)
{
    const fl_msg *m = fl_world_find_msg(w, from, to, type);
    ck_assert_msg(m != NULL, "no %s %d -> %d in the soup", type ? type : "message", from, to);
    return m;
}

static void s_deliver(fl_world *w, int from, int to, const char *type)
{
    if (!running(w))
        return;
    const fl_msg *m = must_find(w, from, to, type);
    s_exec(w, FL_STEP_DELIVER, m->dst, m->src, act_deliver, NULL, m->id);
}

static void s_drop(fl_world *w, int from, int to, const char *type)
{
    if (!running(w))
        return;
    const fl_msg *m = must_find(w, from, to, type);
    s_exec(w, FL_STEP_SCRIPT, m->dst, m->src, act_drop, NULL, m->id);
}

/* Drop every message matching (0 matches any node). */
static void s_drop_all(fl_world *w, int from, int to)
{
    const fl_msg *m;
    for (int k = 0; k < 1000 && running(w) && (m = fl_world_find_msg(w, from, to, NULL)); k++)
        s_exec(w, FL_STEP_SCRIPT, m->dst, m->src, act_drop, NULL, m->id);
}

static void s_stabilize(fl_world *w)
{
    const fl_msg *m;
    for (int k = 0; k < 10000 && running(w) && (m = fl_world_find_msg(w, 0, 0, NULL)); k++)
        s_exec(w, FL_STEP_DELIVER, m->dst, m->src, act_deliver, NULL, m->id);
    if (running(w))
        ck_assert_int_eq(fl_world_in_flight(w), 0);
}

static void act_client(fl_world *w, void *ctx, uint64_t node)
{
    ck_assert_int_eq(fl_world_client(w, (int)node, ctx, strlen(ctx)), 0);
}

static void s_client(fl_world *w, int node, const char *op)
{
    s_exec(w, FL_STEP_CLIENT, node, 0, act_client, (void *)op, (uint64_t)node);
}

static void act_crash(fl_world *w, void *ctx, uint64_t node)
{
    ck_assert_int_eq(fl_world_crash(w, (int)node), 0);
}

static void act_restart(fl_world *w, void *ctx, uint64_t node)
{
    ck_assert_int_eq(fl_world_restart(w, (int)node), 0);
}

static void s_crash(fl_world *w, int node)
{
    s_exec(w, FL_STEP_CRASH, node, 0, act_crash, NULL, (uint64_t)node);
}

static void s_restart(fl_world *w, int node)
{
    s_exec(w, FL_STEP_START, node, 0, act_restart, NULL, (uint64_t)node);
}

/* Node `node` wins an election with the vote of `voter`, then everything settles. */
static void s_elect(fl_world *w, int node, int voter)
{
    s_timeout(w, node);
    s_deliver(w, node, voter, "MsgVote");
    s_deliver(w, voter, node, "MsgVoteResp");
    s_stabilize(w);
}

/* Run the start steps (time 0) of a scripted world. */
static void s_boot(fl_world *w)
{
    for (int i = 0; i < fl_world_nodes(w); i++)
        ck_assert(fl_world_step(w));
}

#pragma GCC diagnostic pop

#endif
