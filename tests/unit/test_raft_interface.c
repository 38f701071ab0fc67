/* test_raft_interface.c -- what the Raft protocol (sim/protocols/raft/) shows the engine:
 * params validation with exact error messages, message descriptions (type first), and the
 * snapshot keys that scenarios and queries rely on. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "raft_fixture.h"

/* ---- params ---- */

START_TEST(test_raft_configure_rejects_bad_params)
{
    static const struct {
        const char *json, *err;
    } bad[] = {
        {"{\"bugs\": [\"x\"]}",
         "params.bugs[0]: unknown bug \"x\" (expected quorum_off_by_one, forget_vote, "
         "accept_stale_term, keep_conflicts, vote_any_log, commit_old_term, ack_before_sync, "
         "stale_read, early_ack)"},
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
    struct fr_state s;
    memset(&s, 0, sizeof s);
    char buf[128];
    struct {
        struct fr_msg m;
        const char *want;
    } cases[] = {
        {{.type = FR_MSG_VOTE, .term = 10, .index = 11, .logterm = 9},
         "MsgVote term=10 lastlog=9/11"},
        {{.type = FR_MSG_VOTE_RESP, .term = 10, .reject = 1}, "MsgVoteResp term=10 reject"},
        {{.type = FR_MSG_APP_RESP, .term = 10, .index = 12}, "MsgAppResp term=10 index=12"},
        {{.type = FR_MSG_APP_RESP, .term = 10, .index = 12, .reject = 1, .hint = 11, .logterm = 9},
         "MsgAppResp term=10 reject hint=11 logterm=9 index=12"},
        {{.type = FR_MSG_HEARTBEAT, .term = 10, .commit = 12}, "MsgHeartbeat term=10 commit=12"},
        {{.type = FR_MSG_HEARTBEAT_RESP, .term = 10}, "MsgHeartbeatResp term=10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = fr_msg_encode(&s, &cases[i].m);
        ck_assert_uint_gt(len, 0);
        ck_assert_str_eq(fl_proto_raft.describe(s.mbuf, len, buf, sizeof buf), cases[i].want);
    }
    uint8_t ent[64];
    struct fr_msg prop = {.type = FR_MSG_PROP, .nent = 1, .ents = ent};
    prop.ents_len = fr_msg_entry_encode(ent, 0, FR_ENTRY_NORMAL, "set x 1", 7);
    size_t len = fr_msg_encode(&s, &prop);
    ck_assert_str_eq(fl_proto_raft.describe(s.mbuf, len, buf, sizeof buf), "MsgProp entries=1");
    /* A message cut short, or with garbage after it, is refused whole. */
    struct fr_msg m;
    ck_assert_int_ne(fr_msg_decode(s.mbuf, len - 1, &m), 0);
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

static Suite *fr_suite(void)
{
    Suite *s = suite_create("raft_interface");
    TCase *basic = tcase_create("basic");
    tcase_add_test(basic, test_raft_configure_rejects_bad_params);
    tcase_add_test(basic, test_raft_configure_accepts_defaults_and_every_key);
    tcase_add_test(basic, test_raft_describe_names_type_first);
    tcase_add_test(basic, test_raft_snapshot_keys_are_the_contract);
    suite_add_tcase(s, basic);
    return s;
}

FL_CHECK_MAIN(fr_suite)
