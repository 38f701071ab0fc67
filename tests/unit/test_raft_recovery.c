/* test_raft_recovery.c -- Raft after a crash: a restarted node recovers its term, vote and
 * log from the WAL, a torn WAL tail is cut (and a whole one kept), and a vote leaves only
 * after its sync. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "raft_fixture.h"

/* ---- recovery ---- */

static char *log_json(fl_world *w, int node)
{
    cJSON *s = fl_world_snapshot(w, node);
    char *t = cJSON_PrintUnformatted(cJSON_GetObjectItem(s, "log"));
    cJSON_Delete(s);
    return t;
}

/* CRC-32C: the standard check value, and chaining equals one pass over the whole. */
START_TEST(test_raft_crc32c_values)
{
    ck_assert_uint_eq(fr_crc32c(0, "123456789", 9), 0xe3069283u);
    ck_assert_uint_eq(fr_crc32c(0, "", 0), 0);
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 131 + 7);
    ck_assert_uint_eq(fr_crc32c(fr_crc32c(0, buf, 333), buf + 333, 667),
                      fr_crc32c(0, buf, sizeof buf));
}
END_TEST

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

static Suite *fr_suite(void)
{
    Suite *s = suite_create("raft_recovery");
    TCase *basic = tcase_create("basic");
    tcase_add_test(basic, test_raft_crc32c_values);
    tcase_add_test(basic, test_raft_restart_recovers_from_wal);
    tcase_add_test(basic, test_raft_torn_wal_tail_is_cut);
    tcase_add_test(basic, test_raft_vote_leaves_only_after_its_sync);
    suite_add_tcase(s, basic);
    return s;
}

FL_CHECK_MAIN(fr_suite)
