/* test_raft_election.c -- Raft elections, scripted step by step: bootstrap at term 1, a
 * candidate winning a three-node cluster (with etcd's log lines), a leader ignoring its
 * election timeout, a candidate rejected by a majority stepping down, and a one-node
 * cluster electing and committing alone. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "raft_fixture.h"

/* ---- elections ---- */

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

static Suite *fr_suite(void)
{
    Suite *s = suite_create("raft_election");
    TCase *basic = tcase_create("basic");
    tcase_add_test(basic, test_raft_bootstrap_is_term_1_with_conf_entries);
    tcase_add_test(basic, test_raft_election_in_three_node_cluster);
    tcase_add_test(basic, test_raft_leader_ignores_election_timeout);
    tcase_add_test(basic, test_raft_candidate_rejected_by_majority_steps_down);
    tcase_add_test(basic, test_raft_single_node_cluster_commits_alone);
    suite_add_tcase(s, basic);
    return s;
}

FL_CHECK_MAIN(fr_suite)
