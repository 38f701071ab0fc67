/* test_raft.c -- the Raft protocol (sim/protocols/raft/): elections, replication,
 * forwarding, recovery from the WAL, torn tails, each known bug caught by the observer
 * in a targeted scripted situation, random chaos without violations, determinism, and
 * the seed document's harness as a script.
 *
 * Scripted tests drive a world created with scripted = 1 one step at a time (the
 * fixture's s_* helpers mirror the script verbs of DESIGN.md); random tests run a small
 * self-contained nemesis (drops, duplicates, delays, partitions, crashes with lost or
 * torn unsynced writes, forced timeouts) so that this suite does not depend on faults/. */
#include <check.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/world.h"
#include "sim/protocols/raft/raft.h"
#include "sim/script.h"
#include "sim/workload.h"

extern const struct fl_protocol fl_proto_raft;

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
    cJSON *p = cJSON_Parse(o->params ? o->params : "{}");
    ck_assert_msg(p != NULL, "bad params JSON %s", o->params);
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
        .scripted = o->scripted,
        .until_ns = o->until_ns ? o->until_ns : 10 * FL_S,
        .max_steps = 5000000};
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
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
    fl_world_free(w);
    cJSON_Delete(p);
}

/* ---- fixture: log capture ---- */

typedef struct logcap {
    char *text;
    size_t len, cap;
} logcap;

static void cap_log(void *ctx, uint64_t step, int64_t t, int node, int level, const char *text)
{
    logcap *c = ctx;
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
}

static void capture_logs(fl_world *w, logcap *c)
{
    memset(c, 0, sizeof *c);
    fl_world_hooks h = {.ctx = c, .on_log = cap_log};
    ck_assert_int_eq(fl_world_add_hooks(w, &h), 0);
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
    s_exec(w, FL_STEP_TIMEOUT, node, 0, act_timer, NULL, (uint64_t)node << 8 | RAFT_TIMER_ELECTION);
}

static void s_heartbeat(fl_world *w, int node)
{
    s_exec(w, FL_STEP_TIMEOUT, node, 0, act_timer, NULL,
           (uint64_t)node << 8 | RAFT_TIMER_HEARTBEAT);
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

/* ---- params ---- */

START_TEST(test_raft_configure_rejects_bad_params)
{
    static const struct {
        const char *json, *err;
    } bad[] = {
        {"{\"bugs\": [\"x\"]}",
         "params.bugs[0]: unknown bug \"x\" (expected quorum_off_by_one, forget_vote, "
         "accept_stale_term, keep_conflicts, vote_any_log, commit_old_term, ack_before_sync)"},
        {"{\"bugs\": \"forget_vote\"}", "params.bugs: expected an array"},
        {"{\"electon_timeout\": \"1s\"}", "params.electon_timeout: unknown key"},
        {"{\"election_timeout\": 150}", "params.election_timeout: expected a duration"},
        {"{\"election_timeout\": \"150\"}", "params.election_timeout: expected a duration"},
        {"{\"heartbeat\": \"200ms\"}", "params.heartbeat: must be shorter"},
        {"{\"max_entries_per_msg\": 0}", "params.max_entries_per_msg: expected an integer"},
        {"{\"max_entries_per_msg\": 1.5}", "params.max_entries_per_msg: expected an integer"},
        {"{\"initial\": {\"term\": 2, \"log_terms\": [1, 3]}}", "params.initial.log_terms[1]"},
        {"{\"initial\": {\"log_terms\": [2, 1]}}", "params.initial.log_terms[1]"},
        {"{\"initial\": {\"commit\": 5, \"log_terms\": [1]}}", "params.initial.commit"},
        {"{\"initial\": {\"x\": 1}}", "params.initial.x: unknown key"},
        {"[]", "params: expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *p = cJSON_Parse(bad[i].json);
        char err[512] = "";
        ck_assert_int_ne(fl_proto_raft.configure(p, err, sizeof err), 0);
        ck_assert_msg(strncmp(err, bad[i].err, strlen(bad[i].err)) == 0, "%s: got \"%s\"",
                      bad[i].json, err);
        cJSON_Delete(p);
    }
}
END_TEST

START_TEST(test_raft_configure_accepts_defaults_and_every_key)
{
    const char *good[] = {
        "{}", "null",
        "{\"election_timeout\": \"1.5s\", \"heartbeat\": \"100ms\", \"max_entries_per_msg\": 1,"
        " \"bugs\": [\"forget_vote\", \"ack_before_sync\"],"
        " \"initial\": {\"term\": 9, \"commit\": 10, \"log_terms\": [1,1,1,2,3,4,5,6,7,8,9]}}"};
    char err[256];
    ck_assert_int_eq(fl_proto_raft.configure(NULL, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cJSON *p = cJSON_Parse(good[i]);
        ck_assert_msg(fl_proto_raft.configure(p, err, sizeof err) == 0, "%s: %s", good[i], err);
        cJSON_Delete(p);
    }
    ck_assert_str_eq(fl_proto_raft.timers[0], "election");
    ck_assert_str_eq(fl_proto_raft.timers[1], "heartbeat");
    ck_assert_ptr_null(fl_proto_raft.timers[2]);
}
END_TEST

/* ---- messages and snapshots ---- */

START_TEST(test_raft_describe_names_type_first)
{
    struct raft_state s;
    memset(&s, 0, sizeof s);
    char buf[128];
    struct {
        struct raft_msg m;
        const char *want;
    } cases[] = {
        {{.type = RAFT_MSG_VOTE, .term = 10, .index = 11, .logterm = 9},
         "MsgVote term=10 lastlog=9/11"},
        {{.type = RAFT_MSG_VOTE_RESP, .term = 10, .reject = 1}, "MsgVoteResp term=10 reject"},
        {{.type = RAFT_MSG_APP_RESP, .term = 10, .index = 12}, "MsgAppResp term=10 index=12"},
        {{.type = RAFT_MSG_APP_RESP,
          .term = 10,
          .index = 12,
          .reject = 1,
          .hint = 11,
          .logterm = 9},
         "MsgAppResp term=10 reject hint=11 logterm=9 index=12"},
        {{.type = RAFT_MSG_HEARTBEAT, .term = 10, .commit = 12}, "MsgHeartbeat term=10 commit=12"},
        {{.type = RAFT_MSG_HEARTBEAT_RESP, .term = 10}, "MsgHeartbeatResp term=10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = raft_msg_encode(&s, &cases[i].m);
        ck_assert_uint_gt(len, 0);
        ck_assert_str_eq(fl_proto_raft.describe(s.mbuf, len, buf, sizeof buf), cases[i].want);
    }
    uint8_t ent[64];
    struct raft_msg prop = {.type = RAFT_MSG_PROP, .nent = 1, .ents = ent};
    prop.ents_len = raft_msg_entry_encode(ent, 0, RAFT_ENTRY_NORMAL, "set x 1", 7);
    size_t len = raft_msg_encode(&s, &prop);
    ck_assert_str_eq(fl_proto_raft.describe(s.mbuf, len, buf, sizeof buf), "MsgProp entries=1");
    /* A message cut short, or with garbage after it, is refused whole. */
    struct raft_msg m;
    ck_assert_int_ne(raft_msg_decode(s.mbuf, len - 1, &m), 0);
    ck_assert_str_eq(fl_proto_raft.describe("abc", 3, buf, sizeof buf), "MsgInvalid len=3");
    free(s.mbuf);
}
END_TEST

START_TEST(test_raft_snapshot_keys_are_the_contract)
{
    fl_world *w = scripted_world(3, NULL);
    s_boot(w);
    cJSON *s = fl_world_snapshot(w, 2);
    const char *keys[] = {"role",    "term",       "vote",      "leader", "commit",
                          "applied", "last_index", "last_term", "log"};
    int i = 0;
    for (const cJSON *k = s->child; k; k = k->next, i++)
        ck_assert_str_eq(k->string, keys[i]);
    ck_assert_int_eq(i, 9);
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "log"), 0);
    const char *ekeys[] = {"term", "index", "type", "data"};
    i = 0;
    for (const cJSON *k = e->child; k; k = k->next, i++)
        ck_assert_str_eq(k->string, ekeys[i]);
    ck_assert_str_eq(cJSON_GetObjectItem(e, "type")->valuestring, "conf");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "data")->valuestring, "add 1");
    cJSON_Delete(s);
    free_world(w);
}
END_TEST

/* ---- elections, replication, forwarding ---- */

START_TEST(test_raft_bootstrap_is_term_1_with_conf_entries)
{
    fl_world *w = scripted_world(3, NULL);
    logcap lc;
    capture_logs(w, &lc);
    s_boot(w);
    for (int n = 1; n <= 3; n++) {
        ASSERT_ROLE(w, n, "follower");
        ASSERT_TERM(w, n, 1);
        ASSERT_COMMIT(w, n, 3);
        ASSERT_LAST(w, n, 3);
        ck_assert_int_eq(snap_int(w, n, "applied"), 3);
    }
    ck_assert(logged(&lc, "replaying WAL of member 1"));
    ck_assert(logged(&lc, "3 switched to configuration voters=(1 2 3)"));
    free(lc.text);
    free_world(w);
}
END_TEST

START_TEST(test_raft_election_in_three_node_cluster)
{
    fl_world *w = scripted_world(3, NULL);
    logcap lc;
    capture_logs(w, &lc);
    s_boot(w);
    s_timeout(w, 1);
    ASSERT_ROLE(w, 1, "candidate");
    ASSERT_TERM(w, 1, 2);
    ck_assert_int_eq(snap_int(w, 1, "vote"), 1);
    must_find(w, 1, 3, "MsgVote");
    s_deliver(w, 1, 2, "MsgVote");
    ck_assert_int_eq(snap_int(w, 2, "vote"), 1);
    s_deliver(w, 2, 1, "MsgVoteResp");
    ASSERT_LEADER(w, 1, 2);
    s_stabilize(w);
    for (int n = 1; n <= 3; n++) {
        ASSERT_TERM(w, n, 2);
        ASSERT_COMMIT(w, n, 4); /* the leader's empty entry */
        ck_assert_int_eq(snap_int(w, n, "leader"), 1);
    }
    ck_assert(logged(&lc, "1 is starting a new election at term 1"));
    ck_assert(logged(&lc, "1 became candidate at term 2"));
    ck_assert(logged(&lc, "1 [logterm: 1, index: 3] sent MsgVote request to 2 at term 2"));
    ck_assert(logged(&lc, "2 [logterm: 1, index: 3, vote: 0] cast MsgVote for 1 "
                          "[logterm: 1, index: 3] at term 2"));
    ck_assert(logged(&lc, "1 has received 2 MsgVoteResp votes and 0 vote rejections"));
    ck_assert(logged(&lc, "1 became leader at term 2"));
    ck_assert(logged(&lc, "3 [term: 1] received a MsgVote message with higher term from 1 "
                          "[term: 2]"));
    ASSERT_RUNNING(w);
    free(lc.text);
    free_world(w);
}
END_TEST

START_TEST(test_raft_replication_commits_on_majority)
{
    fl_world *w = scripted_world(3, NULL);
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set x 1");
    ASSERT_LAST(w, 1, 5);
    ASSERT_COMMIT(w, 1, 4);
    s_deliver(w, 1, 2, "MsgApp");
    ASSERT_LAST(w, 2, 5);
    s_deliver(w, 2, 1, "MsgAppResp");
    ASSERT_COMMIT(w, 1, 5); /* leader + node 2: a majority */
    ASSERT_LAST(w, 3, 4);
    s_stabilize(w);
    for (int n = 1; n <= 3; n++) {
        ASSERT_COMMIT(w, n, 5);
        ck_assert_int_eq(snap_int(w, n, "applied"), 5);
    }
    cJSON *s = fl_world_snapshot(w, 3);
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "log"), 4);
    ck_assert_str_eq(cJSON_GetObjectItem(e, "data")->valuestring, "set x 1");
    ck_assert_int_eq(cJSON_GetObjectItem(e, "term")->valueint, 2);
    cJSON_Delete(s);
    ASSERT_RUNNING(w);
    free_world(w);
}
END_TEST

START_TEST(test_raft_follower_forwards_proposal_as_msgprop)
{
    fl_world *w = scripted_world(3, NULL);
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 3, "set y 2");
    ASSERT_LAST(w, 3, 4);
    char buf[64];
    ck_assert_str_eq(fl_world_describe(w, must_find(w, 3, 1, NULL), buf, sizeof buf),
                     "MsgProp entries=1");
    s_deliver(w, 3, 1, "MsgProp");
    ASSERT_LAST(w, 1, 5);
    s_stabilize(w);
    for (int n = 1; n <= 3; n++)
        ASSERT_COMMIT(w, n, 5);
    ASSERT_RUNNING(w);
    free_world(w);
}
END_TEST

START_TEST(test_raft_proposal_without_leader_is_dropped)
{
    fl_world *w = scripted_world(3, NULL);
    logcap lc;
    capture_logs(w, &lc);
    s_boot(w);
    s_client(w, 2, "set z 3");
    ck_assert_uint_eq(fl_world_in_flight(w), 0);
    ck_assert(logged(&lc, "2 no leader at term 1; dropping proposal"));
    free(lc.text);
    free_world(w);
}
END_TEST

START_TEST(test_raft_leader_ignores_election_timeout)
{
    fl_world *w = scripted_world(3, NULL);
    logcap lc;
    capture_logs(w, &lc);
    s_boot(w);
    s_elect(w, 1, 2);
    s_timeout(w, 1);
    ASSERT_LEADER(w, 1, 2);
    ck_assert_uint_eq(fl_world_in_flight(w), 0);
    ck_assert(logged(&lc, "1 ignoring MsgHup because already leader"));
    free(lc.text);
    free_world(w);
}
END_TEST

START_TEST(test_raft_heartbeat_commit_is_capped_by_match)
{
    fl_world *w = scripted_world(3, NULL);
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set x 1");
    s_drop(w, 1, 3, "MsgApp");
    s_deliver(w, 1, 2, "MsgApp");
    s_deliver(w, 2, 1, "MsgAppResp");
    ASSERT_COMMIT(w, 1, 5);
    s_drop_all(w, 0, 0);
    s_heartbeat(w, 1);
    char buf[64];
    ck_assert_str_eq(fl_world_describe(w, must_find(w, 1, 2, "MsgHeartbeat"), buf, sizeof buf),
                     "MsgHeartbeat term=2 commit=5");
    ck_assert_str_eq(fl_world_describe(w, must_find(w, 1, 3, "MsgHeartbeat"), buf, sizeof buf),
                     "MsgHeartbeat term=2 commit=4");
    s_deliver(w, 1, 3, "MsgHeartbeat");
    s_deliver(w, 3, 1, "MsgHeartbeatResp"); /* a lagging follower gets a MsgApp */
    must_find(w, 1, 3, "MsgApp");
    s_stabilize(w);
    ASSERT_COMMIT(w, 3, 5);
    ASSERT_RUNNING(w);
    free_world(w);
}
END_TEST

START_TEST(test_raft_candidate_rejected_by_majority_steps_down)
{
    fl_world *w = scripted_world(3, NULL);
    logcap lc;
    capture_logs(w, &lc);
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set x 1");
    s_drop(w, 1, 3, "MsgApp");
    s_deliver(w, 1, 2, "MsgApp");
    s_deliver(w, 2, 1, "MsgAppResp");
    s_drop_all(w, 0, 0); /* node 3 misses entry 5 */
    s_timeout(w, 3);
    s_deliver(w, 3, 1, "MsgVote");
    s_deliver(w, 1, 3, "MsgVoteResp");
    ASSERT_ROLE(w, 3, "candidate");
    s_deliver(w, 3, 2, "MsgVote");
    s_deliver(w, 2, 3, "MsgVoteResp");
    ASSERT_ROLE(w, 3, "follower");
    ASSERT_TERM(w, 3, 3);
    ck_assert(logged(&lc, "3 received MsgVoteResp rejection from 1 at term 3"));
    ck_assert(logged(&lc, "3 has received 1 MsgVoteResp votes and 2 vote rejections"));
    ASSERT_RUNNING(w);
    free(lc.text);
    free_world(w);
}
END_TEST

START_TEST(test_raft_rejection_hint_repairs_divergent_follower)
{
    /* Node 1 (old leader) keeps two uncommitted entries of term 2; node 2 wins term 3 and
     * must cut them: one rejection, one repair. */
    fl_world *w = scripted_world(3, "{\"max_entries_per_msg\": 1}");
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set a 1");
    s_client(w, 1, "set b 2");
    s_drop_all(w, 1, 0);
    s_timeout(w, 2);
    s_deliver(w, 2, 3, "MsgVote");
    s_deliver(w, 3, 2, "MsgVoteResp");
    s_client(w, 2, "set c 3");
    s_client(w, 2, "set d 4");
    s_client(w, 2, "set e 5");
    s_stabilize(w);
    for (int n = 1; n <= 3; n++) {
        ASSERT_COMMIT(w, n, 8);
        ASSERT_LAST(w, n, 8);
        ASSERT_TERM(w, n, 3);
    }
    ASSERT_RUNNING(w);
    free_world(w);
}
END_TEST

START_TEST(test_raft_single_node_cluster_commits_alone)
{
    fl_world *w = scripted_world(1, NULL);
    s_boot(w);
    s_timeout(w, 1);
    ASSERT_LEADER(w, 1, 2);
    ASSERT_COMMIT(w, 1, 2);
    s_client(w, 1, "set k v");
    ASSERT_COMMIT(w, 1, 3);
    ASSERT_RUNNING(w);
    free_world(w);
}
END_TEST

/* ---- recovery ---- */

static char *log_json(fl_world *w, int node)
{
    cJSON *s = fl_world_snapshot(w, node);
    char *t = cJSON_PrintUnformatted(cJSON_GetObjectItem(s, "log"));
    cJSON_Delete(s);
    return t;
}

START_TEST(test_raft_restart_recovers_from_wal)
{
    fl_world *w = scripted_world(3, NULL);
    logcap lc;
    capture_logs(w, &lc);
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set x 1");
    s_client(w, 1, "set y 2");
    s_stabilize(w);
    char *before = log_json(w, 2);
    s_crash(w, 2);
    ck_assert_ptr_null(fl_world_snapshot(w, 2));
    s_restart(w, 2);
    char *after = log_json(w, 2);
    ck_assert_str_eq(after, before);
    ASSERT_ROLE(w, 2, "follower");
    ASSERT_TERM(w, 2, 2);
    ck_assert_int_eq(snap_int(w, 2, "vote"), 1);
    ASSERT_COMMIT(w, 2, 6);
    ck_assert_int_eq(snap_int(w, 2, "applied"), 6);
    ck_assert(logged(&lc, "replaying WAL of member 2"));
    ck_assert(logged(&lc, "loading WAL at term 0 and index 0"));
    ck_assert(logged(&lc, "newRaft 2 [peers: [], term: 2, commit: 6, applied: 0, "
                          "lastindex: 6, lastterm: 2]"));
    s_client(w, 1, "set z 3");
    s_stabilize(w);
    ASSERT_COMMIT(w, 2, 7);
    ASSERT_RUNNING(w);
    free(before);
    free(after);
    free(lc.text);
    free_world(w);
}
END_TEST

static void act_client_and_crash(fl_world *w, void *ctx, uint64_t node)
{
    ck_assert_int_eq(fl_world_client(w, (int)node, ctx, strlen(ctx)), 0);
    ck_assert_int_eq(fl_world_crash(w, (int)node), 0);
}

/* The leader writes a 2000-byte entry and crashes in the same step, before the sync:
 * `tear` keeps a prefix of the record, which replay must cut; `lose` keeps nothing;
 * `keep` keeps the whole record, which replay must accept. */
static int torn_run(uint64_t seed, int unsynced, int64_t *last, logcap *lc)
{
    static char op[2001];
    memset(op, 'v', 2000);
    memcpy(op, "set big ", 8);
    opts o = {.nodes = 3, .scripted = 1, .unsynced = unsynced};
    fl_world *w = make_world(seed, &o);
    capture_logs(w, lc);
    s_boot(w);
    s_elect(w, 1, 2);
    s_exec(w, FL_STEP_CRASH, 1, 0, act_client_and_crash, op, 1);
    s_restart(w, 1);
    *last = snap_int(w, 1, "last_index");
    int torn = logged(lc, "1 WAL: cut a torn tail");
    int outcome = fl_world_outcome(w);
    free(lc->text);
    free_world(w);
    ck_assert_int_eq(outcome, FL_OUTCOME_RUNNING);
    return torn;
}

START_TEST(test_raft_torn_wal_tail_is_cut)
{
    logcap lc;
    int64_t last;
    int torn = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        torn += torn_run(seed, FL_UNSYNCED_TEAR, &last, &lc);
        ck_assert_int_eq(last, 4); /* the torn entry is gone, nothing half-read */
    }
    ck_assert_int_ge(torn, 6);
    ck_assert_int_eq(torn_run(1, FL_UNSYNCED_LOSE, &last, &lc), 0);
    ck_assert_int_eq(last, 4);
    ck_assert_int_eq(torn_run(1, FL_UNSYNCED_KEEP, &last, &lc), 0);
    ck_assert_int_eq(last, 5);
}
END_TEST

static void act_deliver_and_crash(fl_world *w, void *ctx, uint64_t id)
{
    int node = *(int *)ctx;
    ck_assert_int_eq(fl_world_deliver(w, id), 0);
    ck_assert_int_eq(fl_world_crash(w, node), 0);
}

/* A vote is a promise: it leaves only after the term and vote are synced.  Node 2
 * crashes in the step where it votes, before its sync completes: no MsgVoteResp may
 * have left, and it comes back not remembering the vote. */
START_TEST(test_raft_vote_leaves_only_after_its_sync)
{
    opts o = {.nodes = 3, .scripted = 1, .unsynced = FL_UNSYNCED_LOSE};
    fl_world *w = make_world(1, &o);
    s_boot(w);
    s_timeout(w, 1);
    int node = 2;
    const fl_msg *m = must_find(w, 1, 2, "MsgVote");
    s_exec(w, FL_STEP_DELIVER, 2, 1, act_deliver_and_crash, &node, m->id);
    ck_assert_ptr_null(fl_world_find_msg(w, 2, 1, "MsgVoteResp"));
    s_restart(w, 2);
    ASSERT_TERM(w, 2, 1);
    ck_assert_int_eq(snap_int(w, 2, "vote"), 0);
    ASSERT_RUNNING(w);
    free_world(w);
}
END_TEST

/* ---- each known bug, in the situation that exposes it ---- */

typedef void (*scenario_fn)(fl_world *w);

/* Run the scenario with the bug and without: the bug must end the run with `check`, the
 * correct protocol must survive the same script. */
static void expect_bug(scenario_fn fn, const char *bug, const char *extra, const char *check)
{
    char params[256];
    snprintf(params, sizeof params, "{\"bugs\": [\"%s\"]%s%s}", bug, extra ? ", " : "",
             extra ? extra : "");
    fl_world *w = scripted_world(3, params);
    fn(w);
    ck_assert_msg(fl_world_outcome(w) == FL_OUTCOME_VIOLATION, "%s: no violation", bug);
    ck_assert_msg(strcmp(fl_world_violation(w)->check, check) == 0, "%s: %s: %s", bug,
                  fl_world_violation(w)->check, fl_world_violation(w)->detail);
    free_world(w);
    snprintf(params, sizeof params, "{%s}", extra ? extra : "");
    w = scripted_world(3, params);
    fn(w);
    ck_assert_msg(fl_world_outcome(w) == FL_OUTCOME_RUNNING, "%s without the bug: %s: %s", bug,
                  fl_world_violation(w)->check, fl_world_violation(w)->detail);
    free_world(w);
}

/* Two nodes time out together: with a quorum of n/2 = 1 each elects itself. */
static void sc_two_timeouts(fl_world *w)
{
    s_boot(w);
    s_timeout(w, 1);
    s_timeout(w, 2);
}

START_TEST(test_raft_bug_quorum_off_by_one)
{
    expect_bug(sc_two_timeouts, "quorum_off_by_one", NULL, "election_safety");
}
END_TEST

/* Node 2 votes for node 1 in term 2, restarts, and is asked again by node 3. */
static void sc_vote_after_restart(fl_world *w)
{
    s_boot(w);
    s_timeout(w, 1);
    s_deliver(w, 1, 2, "MsgVote");
    s_deliver(w, 2, 1, "MsgVoteResp");
    s_drop_all(w, 0, 0);
    s_crash(w, 2);
    s_restart(w, 2);
    s_timeout(w, 3);
    s_deliver(w, 3, 2, "MsgVote");
    s_deliver(w, 2, 3, "MsgVoteResp");
}

START_TEST(test_raft_bug_forget_vote)
{
    expect_bug(sc_vote_after_restart, "forget_vote", NULL, "election_safety");
}
END_TEST

/* Node 2 wins term 3 and commits entry 5 with node 3, which has not learnt the commit
 * yet; then the deposed leader 1 (term 2) sends node 3 its own entry 5. */
static void sc_stale_leader_append(fl_world *w)
{
    s_boot(w);
    s_elect(w, 1, 2);
    s_timeout(w, 2);
    s_deliver(w, 2, 3, "MsgVote");
    s_deliver(w, 3, 2, "MsgVoteResp");
    s_drop_all(w, 2, 1);
    s_deliver(w, 2, 3, "MsgApp");
    s_deliver(w, 3, 2, "MsgAppResp");
    ASSERT_COMMIT(w, 2, 5);
    s_drop_all(w, 2, 3);
    s_client(w, 1, "set z 9");
    s_deliver(w, 1, 3, "MsgApp");
}

START_TEST(test_raft_bug_accept_stale_term)
{
    expect_bug(sc_stale_leader_append, "accept_stale_term", NULL, "durability");
}
END_TEST

/* Node 1 keeps an uncommitted entry 5 of term 2 when node 2 wins term 3 with its own
 * entry 5; node 2's MsgApp must cut node 1's.  With the bug node 1 keeps it yet
 * acknowledges index 5, so the next heartbeat's commit (min(match, commit) = 5) makes
 * it commit and apply its own entry. */
static void sc_conflicting_suffix(fl_world *w)
{
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set a 1");
    s_drop_all(w, 1, 0);
    s_timeout(w, 2);
    s_deliver(w, 2, 3, "MsgVote");
    s_deliver(w, 3, 2, "MsgVoteResp");
    s_stabilize(w);
    s_heartbeat(w, 2);
    s_stabilize(w);
}

START_TEST(test_raft_bug_keep_conflicts)
{
    expect_bug(sc_conflicting_suffix, "keep_conflicts", NULL, "state_machine_safety");
}
END_TEST

/* Entry 5 commits on nodes 1 and 2; node 3, which lacks it, asks node 2 for a vote. */
static void sc_stale_candidate(fl_world *w)
{
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set a 1");
    s_drop(w, 1, 3, "MsgApp");
    s_deliver(w, 1, 2, "MsgApp");
    s_deliver(w, 2, 1, "MsgAppResp");
    ASSERT_COMMIT(w, 1, 5);
    s_drop_all(w, 0, 0);
    s_timeout(w, 3);
    s_deliver(w, 3, 2, "MsgVote");
    s_deliver(w, 2, 3, "MsgVoteResp");
}

START_TEST(test_raft_bug_vote_any_log)
{
    expect_bug(sc_stale_candidate, "vote_any_log", NULL, "leader_completeness");
}
END_TEST

/* Figure 8 with three nodes and one entry per MsgApp: node 1 (term 2) holds entry 5
 * alone; node 2 wins term 3 with its own entry 5; node 1 wins term 4 and copies its
 * term-2 entry 5 to node 3 -- a majority, but not of its term; then node 2 wins term 5
 * with node 3's vote and would overwrite it. */
static void sc_figure_8(fl_world *w)
{
    s_boot(w);
    s_elect(w, 1, 2);
    s_client(w, 1, "set a 1");
    s_drop_all(w, 1, 0);
    s_timeout(w, 2);
    s_deliver(w, 2, 3, "MsgVote");
    s_deliver(w, 3, 2, "MsgVoteResp");
    s_deliver(w, 2, 1, "MsgVote"); /* node 1 steps down (and refuses the vote) */
    s_drop_all(w, 0, 0);
    s_timeout(w, 1);
    s_deliver(w, 1, 3, "MsgVote");
    s_deliver(w, 3, 1, "MsgVoteResp");
    ASSERT_LEADER(w, 1, 4);
    s_deliver(w, 1, 2, "MsgVote"); /* node 2 steps down too */
    s_drop_all(w, 2, 0);
    s_drop_all(w, 1, 2);
    s_deliver(w, 1, 3, "MsgApp"); /* prev 5/2: rejected, hint 4/2 */
    s_deliver(w, 3, 1, "MsgAppResp");
    s_deliver(w, 1, 3, "MsgApp"); /* entry 5 of term 2 alone */
    s_deliver(w, 3, 1, "MsgAppResp");
    s_drop_all(w, 0, 0);
    s_timeout(w, 2);
    s_deliver(w, 2, 3, "MsgVote");
    s_deliver(w, 3, 2, "MsgVoteResp");
}

START_TEST(test_raft_bug_commit_old_term)
{
    expect_bug(sc_figure_8, "commit_old_term", "\"max_entries_per_msg\": 1", "leader_completeness");
}
END_TEST

/* ---- random runs: a small nemesis of the test's own ---- */

#define CHAOS_MAX_NODES 9

typedef struct chaos {
    fl_rng rng;
    int n;
    int heavy;              /* frequent short crashes and forced timeouts */
    int64_t from_ns, to_ns; /* the fault window; then the liveness phase */
    double drop, dup, delay;
    int partitioned;
    int group[CHAOS_MAX_NODES + 1];
    fl_workload wl;
} chaos;

static int chaos_cut(const chaos *c, int a, int b)
{
    return c->partitioned && c->group[a] != c->group[b];
}

static void chaos_send(void *ctx, fl_world *w, const fl_msg *m, fl_net_verdict *v)
{
    chaos *c = ctx;
    double r = fl_rng_unit(&c->rng);
    int64_t now = fl_world_now(w);
    if (now < c->from_ns || now >= c->to_ns)
        return;
    if (chaos_cut(c, m->src, m->dst))
        v->drop = FL_FATE_DROPPED_PARTITION;
    else if (r < c->drop)
        v->drop = FL_FATE_DROPPED_LOSS;
    else if (r < c->drop + c->dup)
        v->duplicates = 1;
    else if (r < c->drop + c->dup + c->delay)
        v->extra_delay_ns = fl_rng_range(&c->rng, 5 * FL_MS, 300 * FL_MS);
}

static int chaos_deliver(void *ctx, fl_world *w, const fl_msg *m)
{
    return chaos_cut(ctx, m->src, m->dst);
}

static void act_c_crash(fl_world *w, void *ctx, uint64_t node)
{
    if (fl_world_node_up(w, (int)node))
        fl_world_crash(w, (int)node);
}

static void act_c_restart(fl_world *w, void *ctx, uint64_t node)
{
    if (!fl_world_node_up(w, (int)node))
        fl_world_restart(w, (int)node);
}

static void act_c_timeout(fl_world *w, void *ctx, uint64_t node)
{
    if (fl_world_node_up(w, (int)node))
        fl_world_fire_timer(w, (int)node, RAFT_TIMER_ELECTION);
}

static void act_c_partition(fl_world *w, void *ctx, uint64_t arg)
{
    chaos *c = ctx;
    c->partitioned = 1;
    for (int i = 1; i <= c->n; i++)
        c->group[i] = (int)fl_rng_below(&c->rng, 2);
}

static void act_c_heal(fl_world *w, void *ctx, uint64_t arg)
{
    ((chaos *)ctx)->partitioned = 0;
}

/* Crashes (one at a time per node), partitions and forced election timeouts at
 * exponential intervals inside [from, to); at `to` everything heals and restarts. */
static void chaos_schedule(chaos *c, fl_world *w)
{
    int64_t down_until[CHAOS_MAX_NODES + 1] = {0};
    int64_t every = c->heavy ? 60 * FL_MS : 200 * FL_MS;
    for (int64_t t = c->from_ns + fl_rng_exp(&c->rng, every); t < c->to_ns;
         t += fl_rng_exp(&c->rng, every)) {
        int node = 1 + (int)fl_rng_below(&c->rng, (uint64_t)c->n);
        int64_t d = c->heavy ? fl_rng_range(&c->rng, 5 * FL_MS, 120 * FL_MS)
                             : fl_rng_range(&c->rng, 50 * FL_MS, 800 * FL_MS);
        switch (fl_rng_below(&c->rng, 3)) {
        case 0:
            if (down_until[node] >= t || t + d >= c->to_ns)
                break;
            down_until[node] = t + d;
            fl_world_at(w, t, FL_STEP_CRASH, node, act_c_crash, c, (uint64_t)node);
            fl_world_at(w, t + d, FL_STEP_START, node, act_c_restart, c, (uint64_t)node);
            break;
        case 1:
            fl_world_at(w, t, FL_STEP_PARTITION, 0, act_c_partition, c, 0);
            fl_world_at(w, t + d < c->to_ns ? t + d : c->to_ns, FL_STEP_HEAL, 0, act_c_heal, c, 0);
            break;
        default:
            fl_world_at(w, t, FL_STEP_TIMEOUT, node, act_c_timeout, c, (uint64_t)node);
        }
    }
    fl_world_at(w, c->to_ns, FL_STEP_HEAL, 0, act_c_heal, c, 0);
    for (int i = 1; i <= c->n; i++)
        fl_world_at(w, c->to_ns, FL_STEP_START, i, act_c_restart, c, (uint64_t)i);
    fl_world_set_quiet_since(w, c->to_ns);
}

typedef struct chaos_result {
    int outcome;
    uint64_t digest;
    char check[64], detail[448];
} chaos_result;

/* faults: 0 none, 1 the nemesis, 2 the nemesis with frequent short crashes. */
static void run_chaos(uint64_t seed, int nodes, const char *params, int faults, const opts *base,
                      chaos_result *res)
{
    opts o = base ? *base : (opts){0};
    o.nodes = nodes;
    o.params = params;
    o.unsynced = seed % 2 ? FL_UNSYNCED_LOSE : FL_UNSYNCED_TEAR;
    o.until_ns = 8 * FL_S;
    fl_world *w = make_world(seed, &o);
    chaos *c = calloc(1, sizeof *c);
    ck_assert(c != NULL && nodes <= CHAOS_MAX_NODES);
    fl_rng_fork(&c->rng, seed, "test-chaos", 0);
    c->n = nodes;
    c->from_ns = 300 * FL_MS;
    c->to_ns = 5 * FL_S;
    c->heavy = faults == 2;
    if (faults) {
        c->drop = 0.05, c->dup = 0.02, c->delay = 0.05;
        fl_netpolicy p = {.ctx = c, .on_send = chaos_send, .on_deliver = chaos_deliver};
        fl_world_set_policy(w, &p);
        chaos_schedule(c, w);
    }
    ck_assert_int_eq(fl_workload_install(&c->wl, w, seed, 50 * FL_MS, 0), 0);
    res->outcome = fl_world_run(w);
    res->digest = fl_world_digest(w);
    snprintf(res->check, sizeof res->check, "%s", fl_world_violation(w)->check);
    snprintf(res->detail, sizeof res->detail, "%s", fl_world_violation(w)->detail);
    free_world(w);
    free(c);
}

/* RAFT_SOAK_SEEDS=N runs N seeds instead of the default (for soak runs). */
static uint64_t soak_seeds(uint64_t dflt)
{
    const char *e = getenv("RAFT_SOAK_SEEDS");
    return e && atoll(e) > 0 ? (uint64_t)atoll(e) : dflt;
}

static void expect_no_violation(int nodes, uint64_t seeds, const char *params, int faults)
{
    seeds = soak_seeds(seeds);
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        chaos_result r;
        run_chaos(seed, nodes, params, faults, NULL, &r);
        ck_assert_msg(r.outcome == FL_OUTCOME_OK, "seed %llu (%d nodes, %s): %s: %s: %s",
                      (unsigned long long)seed, nodes, params, fl_outcome_name(r.outcome), r.check,
                      r.detail);
    }
}

START_TEST(test_raft_random_seeds_3_nodes_no_violation)
{
    expect_no_violation(3, 200, "{}", 1);
    expect_no_violation(3, 50, "{\"max_entries_per_msg\": 1}", 1);
}
END_TEST

START_TEST(test_raft_random_seeds_5_nodes_no_violation)
{
    expect_no_violation(5, 100, "{}", 1);
}
END_TEST

/* Frequent short crashes: a node crashes between writing a vote or an entry and its
 * sync, and restarts while the messages around it are still in flight. */
START_TEST(test_raft_random_seeds_crash_heavy_no_violation)
{
    expect_no_violation(3, 200, "{}", 2);
    expect_no_violation(5, 50, "{}", 2);
}
END_TEST

START_TEST(test_raft_same_seed_same_digest)
{
    chaos_result a, b;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        run_chaos(seed, 3, "{}", 1, NULL, &a);
        run_chaos(seed, 3, "{}", 1, NULL, &b);
        ck_assert_msg(a.digest == b.digest, "seed %llu", (unsigned long long)seed);
    }
    run_chaos(2, 3, "{}", 1, NULL, &b);
    ck_assert(a.digest != b.digest);
}
END_TEST

/* Followers that answer before their (slow) disk has synced let a leader count
 * volatile copies: an entry is committed while a majority could still lose it. */
START_TEST(test_raft_bug_ack_before_sync)
{
    opts slow = {.latency = {1 * FL_MS, 2 * FL_MS}, .disk = {5 * FL_MS, 20 * FL_MS}};
    int found = 0;
    for (uint64_t seed = 1; seed <= 20 && !found; seed++) {
        chaos_result r;
        run_chaos(seed, 3, "{\"bugs\": [\"ack_before_sync\"]}", 0, &slow, &r);
        if (r.outcome == FL_OUTCOME_VIOLATION) {
            ck_assert_msg(strcmp(r.check, "durability") == 0, "%s: %s", r.check, r.detail);
            found = 1;
        }
    }
    ck_assert_msg(found, "ack_before_sync was not detected in 20 seeds");
    for (uint64_t seed = 1; seed <= 10; seed++) {
        chaos_result r;
        run_chaos(seed, 3, "{}", 0, &slow, &r);
        ck_assert_msg(r.outcome == FL_OUTCOME_OK, "seed %llu: %s: %s", (unsigned long long)seed,
                      r.check, r.detail);
    }
}
END_TEST

static void chaos_blackhole(void *ctx, fl_world *w, const fl_msg *m, fl_net_verdict *v)
{
    if (fl_world_now(w) >= FL_S)
        v->drop = FL_FATE_DROPPED_PARTITION;
}

/* A network that never heals: the liveness check at the end must say so. */
START_TEST(test_raft_liveness_fails_when_network_never_heals)
{
    opts o = {.nodes = 3, .until_ns = 6 * FL_S};
    fl_world *w = make_world(7, &o);
    fl_netpolicy p = {.on_send = chaos_blackhole};
    fl_world_set_policy(w, &p);
    fl_world_set_quiet_since(w, FL_S);
    fl_workload wl;
    ck_assert_int_eq(fl_workload_install(&wl, w, 7, 50 * FL_MS, 0), 0);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_LIVENESS);
    ck_assert_str_eq(fl_world_violation(w)->check, "liveness");
    free_world(w);
}
END_TEST

/* ---- the seed document ---- */

static cJSON *load_json(const char *rel)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    snprintf(path, sizeof path, "%s/%s", dirname(dir), rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "%s: malformed JSON", path);
    return j;
}

START_TEST(test_raft_seed_script_reproduces_the_seed)
{
    cJSON *script = load_json("../scripts/seed_000.json");
    fl_world *w = scripted_world(3, "{\"initial\": {\"term\": 9, \"commit\": 10, "
                                    "\"log_terms\": [1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9]}}");
    logcap lc;
    capture_logs(w, &lc);
    int outcome = fl_script_run(w, script);
    ck_assert_msg(outcome == FL_OUTCOME_OK, "%s: %s", fl_world_violation(w)->check,
                  fl_world_violation(w)->detail);
    ASSERT_LEADER(w, 2, 11);
    for (int n = 1; n <= 3; n++) {
        ASSERT_COMMIT(w, n, 14);
        ASSERT_LAST(w, n, 14);
    }
    static const char *lines[] = {
        "replaying WAL of member 1",
        "loading WAL at term 0 and index 0",
        "1 became follower at term 9",
        "newRaft 1 [peers: [], term: 9, commit: 10, applied: 0, lastindex: 11, lastterm: 9]",
        "1 switched to configuration voters=(1 2 3)",
        "1 is starting a new election at term 9",
        "1 became candidate at term 10",
        "1 received MsgVoteResp from 1 at term 10",
        "1 [logterm: 9, index: 11] sent MsgVote request to 2 at term 10",
        "2 [term: 9] received a MsgVote message with higher term from 1 [term: 10]",
        "2 [logterm: 9, index: 11, vote: 0] cast MsgVote for 1 [logterm: 9, index: 11] at "
        "term 10",
        "1 has received 2 MsgVoteResp votes and 0 vote rejections",
        "1 became leader at term 10",
        "raft.node: 2 elected leader 1 at term 10",
        "3 [term: 9] received a MsgApp message with higher term from 1 [term: 10]",
        "2 is starting a new election at term 10",
        "3 [term: 10] received a MsgVote message with higher term from 2 [term: 11]",
        "3 [logterm: 10, index: 12, vote: 0] cast MsgVote for 2 [logterm: 10, index: 12] at "
        "term 11",
        "raft.node: 3 lost leader 1 at term 11",
        "2 became leader at term 11",
        "1 [term: 10] received a MsgApp message with higher term from 2 [term: 11]",
        "raft.node: 1 changed leader from 1 to 2 at term 11",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_msg(logged(&lc, lines[i]), "missing log line: %s", lines[i]);
    free(lc.text);
    free_world(w);
    cJSON_Delete(script);
}
END_TEST

static Suite *raft_suite(void)
{
    Suite *s = suite_create("raft");
    TCase *basic = tcase_create("basic");
    tcase_add_test(basic, test_raft_configure_rejects_bad_params);
    tcase_add_test(basic, test_raft_configure_accepts_defaults_and_every_key);
    tcase_add_test(basic, test_raft_describe_names_type_first);
    tcase_add_test(basic, test_raft_snapshot_keys_are_the_contract);
    tcase_add_test(basic, test_raft_bootstrap_is_term_1_with_conf_entries);
    tcase_add_test(basic, test_raft_election_in_three_node_cluster);
    tcase_add_test(basic, test_raft_replication_commits_on_majority);
    tcase_add_test(basic, test_raft_follower_forwards_proposal_as_msgprop);
    tcase_add_test(basic, test_raft_proposal_without_leader_is_dropped);
    tcase_add_test(basic, test_raft_leader_ignores_election_timeout);
    tcase_add_test(basic, test_raft_heartbeat_commit_is_capped_by_match);
    tcase_add_test(basic, test_raft_candidate_rejected_by_majority_steps_down);
    tcase_add_test(basic, test_raft_rejection_hint_repairs_divergent_follower);
    tcase_add_test(basic, test_raft_single_node_cluster_commits_alone);
    tcase_add_test(basic, test_raft_restart_recovers_from_wal);
    tcase_add_test(basic, test_raft_torn_wal_tail_is_cut);
    tcase_add_test(basic, test_raft_vote_leaves_only_after_its_sync);
    tcase_add_test(basic, test_raft_seed_script_reproduces_the_seed);
    suite_add_tcase(s, basic);
    TCase *bugs = tcase_create("bugs");
    tcase_add_test(bugs, test_raft_bug_quorum_off_by_one);
    tcase_add_test(bugs, test_raft_bug_forget_vote);
    tcase_add_test(bugs, test_raft_bug_accept_stale_term);
    tcase_add_test(bugs, test_raft_bug_keep_conflicts);
    tcase_add_test(bugs, test_raft_bug_vote_any_log);
    tcase_add_test(bugs, test_raft_bug_commit_old_term);
    tcase_add_test(bugs, test_raft_bug_ack_before_sync);
    suite_add_tcase(s, bugs);
    TCase *random = tcase_create("random");
    tcase_set_timeout(random, 300);
    tcase_add_test(random, test_raft_same_seed_same_digest);
    tcase_add_test(random, test_raft_liveness_fails_when_network_never_heals);
    tcase_add_test(random, test_raft_random_seeds_3_nodes_no_violation);
    tcase_add_test(random, test_raft_random_seeds_5_nodes_no_violation);
    tcase_add_test(random, test_raft_random_seeds_crash_heavy_no_violation);
    suite_add_tcase(s, random);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(raft_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
