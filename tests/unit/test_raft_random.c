/* test_raft_random.c -- Raft under the random nemesis of raft_chaos.h: no violation over
 * many seeds (3 and 5 nodes, crash-heavy runs), the same seed giving the same digest, and
 * the liveness check failing when the network never heals.  RAFT_SOAK_SEEDS=N runs N seeds
 * per case instead of the default. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "raft_fixture.h"
#include "raft_chaos.h"

/* ---- random runs ---- */

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
    ck_assert_int_eq(fl_workload_install(&wl, w, 7, 50 * FL_MS, 0, NULL, 0), 0);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_LIVENESS);
    ck_assert_str_eq(fl_world_violation(w)->check, "liveness");
    free_world(w);
}
END_TEST

static Suite *fr_suite(void)
{
    Suite *s = suite_create("raft_random");
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

FL_CHECK_MAIN(fr_suite)
