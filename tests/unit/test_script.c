/* test_script.c -- the scripted-mode driver: every entry kind, self-sends as ignored
 * steps, 1 ms per step, validation messages, and divergence when an entry cannot be
 * followed or an expect does not hold.
 *
 * The protocol under test is `sp`, a toy election defined here so that the tests depend
 * on nothing but the engine: an election timeout makes a node candidate of the next
 * term, voting for itself by a self-send; a vote request is always granted; a majority
 * of grants makes a leader.  "bounce" client ops start a message that bounces between
 * two nodes forever (for the stabilize bound). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/faultline.h"
#include "core/world.h"
#include "sim/run/script.h"
#include "tests/unit/script_fixture.h"
#include "check_main.h"

#define MS ((int64_t)1000000)

/* ---- the test protocol ---- */

static const char *const sp_timers[] = {"election", "heartbeat", NULL};

typedef struct sp_state {
    int term, votes, ops, recv, heartbeats;
    int leader;
} sp_state;

static void sp_start(fl_node *n, const cJSON *params)
{
    fl_timer_set(n, 0, 150 * MS);
}

static void sp_on_timer(fl_node *n, int timer)
{
    sp_state *s = fl_state(n);
    if (timer == 1) {
        s->heartbeats++;
        return;
    }
    s->term++;
    s->votes = 0;
    s->leader = 0;
    unsigned char msg[2] = {'V', (unsigned char)s->term};
    for (int to = 1; to <= fl_cluster_size(n); to++)
        fl_send(n, to, msg, sizeof msg); /* to itself too: a self-send */
}

static void sp_on_message(fl_node *n, int from, const void *msg, size_t len)
{
    sp_state *s = fl_state(n);
    const unsigned char *m = msg;
    s->recv++;
    if (m[0] == 'V') {
        fl_send(n, from, "R", 1);
    } else if (m[0] == 'R') {
        if (++s->votes > fl_cluster_size(n) / 2)
            s->leader = 1;
    } else if (m[0] == 'E') {
        fl_send(n, from, "E", 1);
    }
}

static void sp_on_client(fl_node *n, const void *op, size_t len)
{
    sp_state *s = fl_state(n);
    s->ops++;
    if (len == 6 && memcmp(op, "bounce", 6) == 0)
        fl_send(n, fl_node_id(n) % fl_cluster_size(n) + 1, "E", 1);
}

static cJSON *sp_snapshot(const fl_node *n)
{
    const sp_state *s = fl_state_const(n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "role", s->leader ? "leader" : s->term ? "candidate" : "follower");
    cJSON_AddNumberToObject(j, "term", s->term);
    cJSON_AddNumberToObject(j, "votes", s->votes);
    cJSON_AddNumberToObject(j, "ops", s->ops);
    cJSON_AddNumberToObject(j, "recv", s->recv);
    cJSON_AddNumberToObject(j, "heartbeats", s->heartbeats);
    return j;
}

static const char *sp_describe(const void *msg, size_t len, char *buf, size_t cap)
{
    const unsigned char *m = msg;
    if (m[0] == 'V')
        snprintf(buf, cap, "MsgVote term=%d", m[1]);
    else if (m[0] == 'R')
        snprintf(buf, cap, "MsgVoteResp");
    else
        snprintf(buf, cap, "MsgEcho");
    return buf;
}

static const struct fl_protocol sp = {
    .api_version = FL_API_VERSION,
    .name = "sp",
    .timers = sp_timers,
    .state_size = sizeof(sp_state),
    .start = sp_start,
    .on_message = sp_on_message,
    .on_timer = sp_on_timer,
    .on_client = sp_on_client,
    .snapshot = sp_snapshot,
    .describe = sp_describe,
};

/* ---- fixtures ---- */

typedef struct rstep {
    int kind, node, peer;
    int64_t time_ns;
    char detail[128];
} rstep;

typedef struct rec {
    rstep steps[256];
    int n;
    uint64_t fates[FL_FATE_COUNT];
} rec;

static int rec_consume(void *ctx, const fl_record *x)
{
    rec *r = ctx;
    if (x->kind == FL_REC_FATE) {
        r->fates[x->u.msg.fate]++;
        return 0;
    }
    const fl_rec_step *s = &x->u.step;
    if (r->n == 256)
        return 0;
    rstep *st = &r->steps[r->n++];
    *st = (rstep){s->kind, s->node, s->peer, s->time_ns, ""};
    snprintf(st->detail, sizeof st->detail, "%s", s->detail);
    return 0;
}

static fl_world *sp_world(rec *r)
{
    fl_world_config cfg = {.seed = 1,
                           .nodes = 3,
                           .protocol = &sp,
                           .latency = {1 * MS, 10 * MS},
                           .disk_sync = {1 * MS, 5 * MS},
                           .until_ns = 1000 * 1000 * MS,
                           .max_steps = 10000000};
    char err[256];
    fl_world *w = fl_world_new(&cfg, err, sizeof err);
    ck_assert_msg(w != NULL, "%s", err);
    fx_script_install(w);
    if (r) {
        memset(r, 0, sizeof *r);
        fx_add_sink(w, FL_REC_BIT(FL_REC_STEP_END) | FL_REC_BIT(FL_REC_FATE) | FL_REC_WANT_DESC, r,
                    rec_consume);
    }
    return w;
}

/* Run script text on a fresh world; returns the outcome.  *wp keeps the world. */
static int run_text(const char *text, rec *r, fl_world **wp)
{
    cJSON *script = cJSON_Parse(text);
    ck_assert_msg(script != NULL, "bad JSON in test: %s", text);
    char err[256];
    ck_assert_msg(fl_script_validate(script, 3, err, sizeof err) == 0, "%s", err);
    fl_world *w = sp_world(r);
    int outcome = fx_script_run(w, script);
    cJSON_Delete(script);
    *wp = w;
    return outcome;
}

static const char *snap_str(fl_world *w, int node, const char *key, char *buf, size_t cap)
{
    cJSON *j = fl_world_snapshot(w, node);
    ck_assert_ptr_nonnull(j);
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    char *t = cJSON_PrintUnformatted(v);
    snprintf(buf, cap, "%s", t);
    cJSON_free(t);
    cJSON_Delete(j);
    return buf;
}

#define ASSERT_SNAP(w, node, key, want)                                                            \
    do {                                                                                           \
        char b_[64];                                                                               \
        ck_assert_str_eq(snap_str(w, node, key, b_, sizeof b_), want);                             \
    } while (0)

static const rstep *last_step(const rec *r)
{
    ck_assert_int_gt(r->n, 0);
    return &r->steps[r->n - 1];
}

#define ASSERT_INVALID(text, message)                                                              \
    do {                                                                                           \
        cJSON *s_ = cJSON_Parse(text);                                                             \
        char err_[256] = "";                                                                       \
        ck_assert_ptr_nonnull(s_);                                                                 \
        ck_assert_int_eq(fl_script_validate(s_, 3, err_, sizeof err_), FL_EINVAL);                 \
        ck_assert_str_eq(err_, message);                                                           \
        cJSON_Delete(s_);                                                                          \
    } while (0)

/* ---- entries ---- */

START_TEST(test_script_boots_every_node_first)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[]", &r, &w), FL_OUTCOME_OK);
    ck_assert_int_eq(r.n, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(r.steps[i].kind, FL_STEP_START);
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_timeout_fires_first_timer)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"timeout\": 1}]", &r, &w), FL_OUTCOME_OK);
    ASSERT_SNAP(w, 1, "term", "1");
    ASSERT_SNAP(w, 1, "role", "\"candidate\"");
    /* boot x3, the timeout, then the self-sent vote and its grant, automatically */
    ck_assert_int_eq(r.steps[3].kind, FL_STEP_TIMEOUT);
    ck_assert_int_eq(r.steps[3].node, 1);
    ck_assert_str_eq(r.steps[3].detail, "election");
    ck_assert_int_eq(r.steps[4].kind, FL_STEP_DELIVER);
    ck_assert_int_eq(r.steps[4].peer, 1);
    ASSERT_SNAP(w, 1, "votes", "1");
    ck_assert_uint_eq(fl_world_in_flight(w), 2); /* the votes to 2 and 3 wait */
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_timeout_fires_named_timer)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"timeout\": 2, \"timer\": \"heartbeat\"}]", &r, &w),
                     FL_OUTCOME_OK);
    ASSERT_SNAP(w, 2, "heartbeats", "1");
    ASSERT_SNAP(w, 2, "term", "0");
    ck_assert_str_eq(last_step(&r)->detail, "heartbeat");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_deliver_takes_oldest_matching_message)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"timeout\": 1},"
                              " {\"deliver\": {\"from\": 1, \"to\": 3, \"type\": \"MsgVote\"}}]",
                              &r, &w),
                     FL_OUTCOME_OK);
    ASSERT_SNAP(w, 3, "recv", "1");
    ASSERT_SNAP(w, 2, "recv", "0");
    const rstep *d = last_step(&r);
    ck_assert_int_eq(d->kind, FL_STEP_DELIVER);
    ck_assert_int_eq(d->node, 3);
    ck_assert_int_eq(d->peer, 1);
    ck_assert_str_eq(d->detail, "delivered MsgVote term=1");
    /* the grant from 3 now waits in the soup */
    ck_assert_ptr_nonnull(fl_world_find_msg(w, 3, 1, "MsgVoteResp"));
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_drop_removes_message)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(
        run_text("[{\"timeout\": 1}, {\"drop\": {\"to\": 2}}, {\"stabilize\": true}]", &r, &w),
        FL_OUTCOME_OK);
    ck_assert_uint_eq(r.fates[FL_FATE_DROPPED_SCRIPT], 1);
    ASSERT_SNAP(w, 2, "recv", "0");
    ASSERT_SNAP(w, 3, "recv", "1");
    const rstep *d = &r.steps[6]; /* boots, timeout, self vote, self grant, the drop */
    ck_assert_int_eq(d->kind, FL_STEP_SCRIPT);
    ck_assert_str_eq(d->detail, "drop 1 -> 2 MsgVote term=1 (msg 2)");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_crash_and_restart)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"timeout\": 2}, {\"crash\": 2}, {\"timeout\": 1},"
                              " {\"deliver\": {\"from\": 1, \"to\": 2}}, {\"restart\": 2}]",
                              &r, &w),
                     FL_OUTCOME_OK);
    ck_assert(fl_world_node_up(w, 2));
    ASSERT_SNAP(w, 2, "term", "0");                      /* memory did not survive the crash */
    ck_assert_uint_eq(r.fates[FL_FATE_DROPPED_DOWN], 1); /* the vote delivered while down */
    ck_assert_int_eq(last_step(&r)->kind, FL_STEP_START);
    ck_assert_int_eq(last_step(&r)->node, 2);
    int crashes = 0;
    for (int i = 0; i < r.n; i++)
        crashes += r.steps[i].kind == FL_STEP_CRASH && r.steps[i].node == 2;
    ck_assert_int_eq(crashes, 1);
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_client_request)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(
        run_text("[{\"client\": 1, \"op\": \"set x 1\", \"comment\": \"hi\"}]", &r, &w),
        FL_OUTCOME_OK);
    ASSERT_SNAP(w, 1, "ops", "1");
    ck_assert_int_eq(last_step(&r)->kind, FL_STEP_CLIENT);
    ck_assert_str_eq(last_step(&r)->detail, "set x 1");
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_stabilize_delivers_until_soup_is_empty)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"timeout\": 1}, {\"stabilize\": true},"
                              " {\"expect\": {\"node\": 1, \"role\": \"leader\", \"votes\": 3}}]",
                              &r, &w),
                     FL_OUTCOME_OK);
    ck_assert_uint_eq(fl_world_in_flight(w), 0);
    /* 2 votes out + 2 grants back, one step each, oldest first */
    int delivers = 0;
    for (int i = 6; i < r.n; i++)
        delivers += r.steps[i].kind == FL_STEP_DELIVER;
    ck_assert_int_eq(delivers, 4);
    ck_assert_int_eq(r.steps[6].node, 2);
    ck_assert_int_eq(r.steps[7].node, 3);
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_each_step_takes_one_ms_and_expect_none)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"timeout\": 2, \"timer\": \"heartbeat\"},"
                              " {\"expect\": {\"node\": 2, \"heartbeats\": 1}},"
                              " {\"timeout\": 3, \"timer\": \"heartbeat\"},"
                              " {\"client\": 1, \"op\": \"x\"}]",
                              &r, &w),
                     FL_OUTCOME_OK);
    ck_assert_int_eq(r.n, 6); /* boots, and three acting entries: the expect is no step */
    ck_assert_int_eq(r.steps[3].time_ns, 0);
    ck_assert_int_eq(r.steps[4].time_ns, 1 * MS);
    ck_assert_int_eq(r.steps[5].time_ns, 2 * MS);
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_self_send_entry_is_ignored_step)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text("[{\"timeout\": 1},"
                              " {\"deliver\": {\"from\": 1, \"to\": 1, \"type\": \"MsgVote\"}}]",
                              &r, &w),
                     FL_OUTCOME_OK);
    const rstep *s = last_step(&r);
    ck_assert_int_eq(s->kind, FL_STEP_IGNORED);
    ck_assert_int_eq(s->node, 1);
    ck_assert_int_eq(s->time_ns, 1 * MS);
    ck_assert_str_eq(s->detail, "self-send 1 -> 1 MsgVote (delivered automatically)");
    ck_assert_uint_eq(fl_world_in_flight(w), 2); /* nothing else moved */
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_same_script_same_digest)
{
    const char *text = "[{\"timeout\": 1}, {\"deliver\": {\"to\": 3}}, {\"client\": 2, "
                       "\"op\": \"a\"}, {\"stabilize\": true}, {\"crash\": 3}]";
    fl_world *a, *b;
    run_text(text, NULL, &a);
    run_text(text, NULL, &b);
    ck_assert(fl_world_digest(a) == fl_world_digest(b));
    ck_assert_uint_eq(fl_world_steps(a), fl_world_steps(b));
    fl_world_free(a);
    fl_world_free(b);
}
END_TEST

/* ---- divergence ---- */

static void assert_divergence(const char *text, const char *detail, uint64_t fail_step)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(run_text(text, &r, &w), FL_OUTCOME_DIVERGENCE);
    ck_assert_str_eq(fl_world_violation(w)->check, "script");
    ck_assert_str_eq(fl_world_violation(w)->detail, detail);
    ck_assert_uint_eq(fl_world_fail_step(w), fail_step);
    ck_assert_uint_eq(fl_world_steps(w), fail_step); /* the entry ran no step */
    fx_world_free(w);
}

START_TEST(test_script_divergence_no_matching_message)
{
    /* steps: 3 boots, timeout + 2 self deliveries, deliver to 2 = 7 */
    assert_divergence("[{\"timeout\": 1}, {\"deliver\": {\"from\": 1, \"to\": 2}},"
                      " {\"deliver\": {\"from\": 1, \"to\": 2, \"type\": \"MsgVote\"}}]",
                      "script[3]: deliver: no in-flight message from 1 to 2 of type MsgVote", 7);
    assert_divergence("[{\"drop\": {\"from\": 2}}]",
                      "script[1]: drop: no in-flight message from 2 to any node", 3);
}
END_TEST

START_TEST(test_script_divergence_unknown_timer)
{
    assert_divergence("[{\"timeout\": 1, \"timer\": \"nap\"}]",
                      "script[1]: timeout: the protocol has no timer \"nap\"", 3);
}
END_TEST

START_TEST(test_script_divergence_node_in_wrong_state)
{
    assert_divergence("[{\"restart\": 2}]", "script[1]: restart: node 2 is up", 3);
    assert_divergence("[{\"crash\": 2}, {\"crash\": 2}]",
                      "script[2]: crash: node 2 is already down", 4);
    assert_divergence("[{\"crash\": 3}, {\"timeout\": 3}]", "script[2]: timeout: node 3 is down",
                      4);
    assert_divergence("[{\"crash\": 1}, {\"client\": 1, \"op\": \"x\"}]",
                      "script[2]: client: node 1 is down", 4);
    assert_divergence("[{\"crash\": 1}, {\"expect\": {\"node\": 1, \"term\": 0}}]",
                      "script[2]: expect node 1: the node is down", 4);
}
END_TEST

START_TEST(test_script_divergence_failed_expect)
{
    assert_divergence("[{\"timeout\": 1}, {\"expect\": {\"node\": 1, \"term\": 1}},"
                      " {\"expect\": {\"node\": 1, \"term\": 1, \"role\": \"leader\"}}]",
                      "script[3]: expect node 1 role: expected \"leader\", got \"candidate\"", 6);
    assert_divergence("[{\"expect\": {\"node\": 2, \"commit\": 13}}]",
                      "script[1]: expect node 2 commit: expected 13, got nothing (no such field "
                      "in the snapshot)",
                      3);
    assert_divergence("[{\"expect\": {\"node\": 2, \"term\": \"0\"}}]",
                      "script[1]: expect node 2 term: expected \"0\", got 0", 3);
}
END_TEST

START_TEST(test_script_stabilize_is_bounded)
{
    rec r;
    fl_world *w;
    ck_assert_int_eq(
        run_text("[{\"client\": 1, \"op\": \"bounce\"}, {\"stabilize\": true}]", &r, &w),
        FL_OUTCOME_DIVERGENCE);
    ck_assert_str_eq(fl_world_violation(w)->detail,
                     "script[2]: stabilize: messages still in flight after 100000 deliveries");
    ck_assert_uint_eq(fl_world_steps(w), 4 + FL_SCRIPT_MAX_STABILIZE);
    fx_world_free(w);
}
END_TEST

START_TEST(test_script_invalid_script_ends_as_error)
{
    cJSON *s = cJSON_Parse("[{\"crash\": 9}]");
    fl_world *w = sp_world(NULL);
    ck_assert_int_eq(fx_script_run(w, s), FL_OUTCOME_ERROR);
    ck_assert_str_eq(fl_world_violation(w)->detail,
                     "script[1].crash: expected a node id in [1,3], got 9");
    cJSON_Delete(s);
    fx_world_free(w);
}
END_TEST

/* ---- validation ---- */

START_TEST(test_script_validate_accepts_every_entry_kind)
{
    cJSON *s = cJSON_Parse("[{\"timeout\": 1}, {\"timeout\": 1, \"timer\": \"heartbeat\"},"
                           " {\"deliver\": {\"from\": 1, \"to\": 2, \"type\": \"MsgVote\"}},"
                           " {\"deliver\": {}}, {\"drop\": {\"to\": 3}}, {\"crash\": 2},"
                           " {\"restart\": 2}, {\"client\": 1, \"op\": \"set x 1\"},"
                           " {\"stabilize\": true, \"comment\": \"settle\"},"
                           " {\"expect\": {\"node\": 2, \"role\": \"leader\", \"term\": 11}}]");
    char err[256] = "";
    ck_assert_int_eq(fl_script_validate(s, 3, err, sizeof err), 0);
    cJSON_Delete(s);
}
END_TEST

START_TEST(test_script_validate_errors_name_the_entry)
{
    ASSERT_INVALID("{}", "script: expected a JSON array of entries");
    ASSERT_INVALID("[{\"timeout\": 1}, 7]", "script[2]: expected an object, got 7");
    ASSERT_INVALID("[{\"timeout\": 1, \"why\": 2}]",
                   "script[1].why: unknown key for a timeout entry");
    ASSERT_INVALID("[{\"crash\": 1, \"timer\": \"x\"}]",
                   "script[1].timer: unknown key for a crash entry");
    ASSERT_INVALID("[{\"crash\": 1, \"restart\": 1}]",
                   "script[1]: more than one action (\"crash\" and \"restart\")");
    ASSERT_INVALID("[{\"comment\": \"nothing\"}]",
                   "script[1]: expected one action: timeout, deliver, drop, crash, restart, "
                   "client, stabilize, expect, sync, syncs, duplicate or clock");
    ASSERT_INVALID("[{\"timeout\": 1}, {\"timeout\": 1}, {\"crash\": 4}]",
                   "script[3].crash: expected a node id in [1,3], got 4");
    ASSERT_INVALID("[{\"deliver\": {\"from\": 1, \"to\": 7}}]",
                   "script[1].deliver.to: expected a node id in [1,3], got 7");
    ASSERT_INVALID("[{\"drop\": {\"src\": 1}}]",
                   "script[1].drop.src: unknown key (expected from, to, type, nth or copy)");
    ASSERT_INVALID("[{\"deliver\": {\"from\": 1, \"nth\": 2}}]",
                   "script[1].deliver: nth counts sends on one link: it needs from and to");
    ASSERT_INVALID("[{\"deliver\": {\"from\": 1, \"to\": 2, \"nth\": 0}}]",
                   "script[1].deliver.nth: expected a send count in [1, 4294967295], got 0");
    ASSERT_INVALID("[{\"duplicate\": {\"from\": 1, \"to\": 2, \"copy\": 4}}]",
                   "script[1].duplicate.copy: expected a copy number in [0, 3], got 4");
    ASSERT_INVALID("[{\"deliver\": 2}]",
                   "script[1].deliver: expected an object such as {\"from\": 1, \"to\": 2}, got 2");
    ASSERT_INVALID("[{\"stabilize\": false}]", "script[1].stabilize: expected true, got false");
    ASSERT_INVALID("[{\"client\": 1}]", "script[1].op: expected a non-empty string, got nothing");
    ASSERT_INVALID("[{\"timeout\": 1, \"timer\": 3}]",
                   "script[1].timer: expected a non-empty string, got 3");
    ASSERT_INVALID("[{\"expect\": {\"role\": \"leader\"}}]", "script[1].expect: missing \"node\"");
    ASSERT_INVALID("[{\"expect\": {\"node\": 1}}]",
                   "script[1].expect: expected at least one field to check besides \"node\"");
    ASSERT_INVALID("[{\"crash\": 1, \"crash\": 2}]", "script[1].crash: duplicate key");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("script");
    TCase *tc = tcase_create("entries");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_script_boots_every_node_first);
    tcase_add_test(tc, test_script_timeout_fires_first_timer);
    tcase_add_test(tc, test_script_timeout_fires_named_timer);
    tcase_add_test(tc, test_script_deliver_takes_oldest_matching_message);
    tcase_add_test(tc, test_script_drop_removes_message);
    tcase_add_test(tc, test_script_crash_and_restart);
    tcase_add_test(tc, test_script_client_request);
    tcase_add_test(tc, test_script_stabilize_delivers_until_soup_is_empty);
    tcase_add_test(tc, test_script_each_step_takes_one_ms_and_expect_none);
    tcase_add_test(tc, test_script_self_send_entry_is_ignored_step);
    tcase_add_test(tc, test_script_same_script_same_digest);
    suite_add_tcase(s, tc);
    tc = tcase_create("divergence");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_script_divergence_no_matching_message);
    tcase_add_test(tc, test_script_divergence_unknown_timer);
    tcase_add_test(tc, test_script_divergence_node_in_wrong_state);
    tcase_add_test(tc, test_script_divergence_failed_expect);
    tcase_add_test(tc, test_script_stabilize_is_bounded);
    tcase_add_test(tc, test_script_invalid_script_ends_as_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("validate");
    tcase_add_test(tc, test_script_validate_accepts_every_entry_kind);
    tcase_add_test(tc, test_script_validate_errors_name_the_entry);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
