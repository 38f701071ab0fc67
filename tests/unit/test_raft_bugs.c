/* test_raft_bugs.c -- each known Raft bug (params.bugs, docs/raft.md) caught by the
 * observer: a scripted situation that exposes it, run with the bug (a violation of the
 * expected check) and without (no violation); ack_before_sync needs random runs with disks
 * slower than the network. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "raft_fixture.h"
#include "raft_chaos.h"

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

static Suite *fr_suite(void)
{
    Suite *s = suite_create("raft_bugs");
    TCase *bugs = tcase_create("bugs");
    tcase_add_test(bugs, test_raft_bug_quorum_off_by_one);
    tcase_add_test(bugs, test_raft_bug_forget_vote);
    tcase_add_test(bugs, test_raft_bug_accept_stale_term);
    tcase_add_test(bugs, test_raft_bug_keep_conflicts);
    tcase_add_test(bugs, test_raft_bug_vote_any_log);
    tcase_add_test(bugs, test_raft_bug_commit_old_term);
    tcase_add_test(bugs, test_raft_bug_ack_before_sync);
    suite_add_tcase(s, bugs);
    return s;
}

FL_CHECK_MAIN(fr_suite)
