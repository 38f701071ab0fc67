/* test_raft_replication.c -- Raft log replication, scripted step by step: commit on a
 * majority, proposals forwarded by followers or dropped without a leader, heartbeats that
 * never advance a follower's commit past what it holds, and the rejection hint repairing a
 * divergent follower. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "raft_fixture.h"

/* ---- replication, forwarding ---- */

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

static Suite *fr_suite(void)
{
    Suite *s = suite_create("raft_replication");
    TCase *basic = tcase_create("basic");
    tcase_add_test(basic, test_raft_replication_commits_on_majority);
    tcase_add_test(basic, test_raft_follower_forwards_proposal_as_msgprop);
    tcase_add_test(basic, test_raft_proposal_without_leader_is_dropped);
    tcase_add_test(basic, test_raft_heartbeat_commit_is_capped_by_match);
    tcase_add_test(basic, test_raft_rejection_hint_repairs_divergent_follower);
    suite_add_tcase(s, basic);
    return s;
}

FL_CHECK_MAIN(fr_suite)
