/* test_faults_crashes.c -- crashes applied to a running world: a crashed node is idle until
 * its restart, and what its disk keeps of unsynced writes under each policy (lose, tear,
 * keep), with the account of what took effect. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "faults_fixture.h"

/* ---- crashes, disks ---- */

START_TEST(test_faults_crashed_node_is_idle_until_restart)
{
    fl_world *w = tp_world(8, 3, 500 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"crash\",\"node\":2},"
                               "{\"at\":\"300ms\",\"kind\":\"restart\",\"node\":2}]",
                               500 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int down_drops = 0, sent_after = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->src == 2)
            ck_assert(m->sent_ns <= 100 * MS || m->sent_ns >= 300 * MS);
        if (m->src == 2 && m->sent_ns >= 300 * MS)
            sent_after++;
        if (m->dst == 2 && m->end_ns > 100 * MS && m->end_ns < 300 * MS) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_DOWN);
            down_drops++;
        }
    }
    for (size_t i = 0; i < r.nsteps; i++)
        if (r.steps[i].node == 2 && r.steps[i].time_ns > 100 * MS && r.steps[i].time_ns < 300 * MS)
            ck_assert_int_eq(r.steps[i].kind, FL_STEP_DELIVER); /* arrivals only, dropped */
    ck_assert_int_gt(down_drops, 5);
    ck_assert_int_gt(sent_after, 5);
    const rstep *crash = find_step(&r, FL_STEP_CRASH, 2);
    ck_assert_str_eq(crash->detail, "crash 2");
    ck_assert_int_eq(crash->time_ns, 100 * MS);
    ck_assert(fl_faults_took_effect(f, 1)); /* the restart */
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

/* Node 2 writes 100 bytes and syncs them, then writes 50 more and crashes before any
 * sync: the world's unsynced policy decides what it finds at its restart. */
static fl_world *disk_run(uint64_t seed, int unsynced, fl_faults **f, fl_schedule **s, rec *r)
{
    fl_world *w = tp_world(seed, 3, 200 * MS, unsynced, (fl_latency){1 * MS, 2 * MS});
    rec_attach(r, w);
    fl_world_at(w, 20 * MS, FL_STEP_CLIENT, 2, client_action, "w100", 2);
    fl_world_at(w, 21 * MS, FL_STEP_CLIENT, 2, client_action, "s", 2);
    fl_world_at(w, 50 * MS, FL_STEP_CLIENT, 2, client_action, "w50", 2);
    *s = parse_for(w,
                   "[{\"at\":\"60ms\",\"kind\":\"crash\",\"node\":2},"
                   "{\"at\":\"70ms\",\"kind\":\"restart\",\"node\":2}]",
                   200 * MS);
    *f = attach(w, *s, NULL, NULL);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    return w;
}

START_TEST(test_faults_lose_discards_unsynced_bytes)
{
    fl_faults *f;
    fl_schedule *s;
    rec r;
    fl_world *w = disk_run(9, FL_UNSYNCED_LOSE, &f, &s, &r);
    ck_assert_int_eq(snap_int(w, 2, "disk_at_boot"), 100);
    ck_assert_int_eq(snap_int(w, 2, "prefix_ok"), 1);
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    ck_assert_uint_eq(st.bytes_lost, 50);
    ck_assert(fl_faults_took_effect(f, 0));
    ck_assert_uint_eq(st.effective[FL_FAULT_CRASH], 1);
    ck_assert_uint_eq(st.lost_writes, 1);
    ck_assert_int_eq(metric(w, "faults.crash.bytes_lost"), 50);
    ck_assert_int_eq(metric(w, "faults.crash.effective"), 1);
    ck_assert_int_eq(metric(w, "faults.crash.with_lost_writes"), 1);
    ck_assert_str_eq(find_step(&r, FL_STEP_CRASH, 2)->detail, "crash 2: lost 50 unsynced bytes");
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_tear_leaves_a_prefix)
{
    int partial = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fl_faults *f;
        fl_schedule *s;
        rec r;
        fl_world *w = disk_run(seed, FL_UNSYNCED_TEAR, &f, &s, &r);
        int64_t size = snap_int(w, 2, "disk_at_boot");
        ck_assert_msg(size >= 100 && size <= 150, "seed %llu: %lld", (unsigned long long)seed,
                      (long long)size);
        ck_assert_msg(snap_int(w, 2, "prefix_ok"), "seed %llu: not a prefix",
                      (unsigned long long)seed);
        fl_faults_stats st;
        fl_faults_stats_get(f, &st);
        ck_assert_uint_eq(st.bytes_lost, (uint64_t)(150 - size));
        partial += size > 100 && size < 150;
        fl_world_free(w);
        fl_faults_free(f);
        fl_schedule_free(s);
        rec_free(&r);
    }
    ck_assert_int_gt(partial, 5);
}
END_TEST

/* A crash that loses nothing is still a crash: it happened (effective), it did not bite
 * (lost_writes 0).  Until schema 3 it was counted as not having taken effect. */
START_TEST(test_faults_keep_loses_nothing_but_the_crash_happened)
{
    fl_faults *f;
    fl_schedule *s;
    rec r;
    fl_world *w = disk_run(10, FL_UNSYNCED_KEEP, &f, &s, &r);
    ck_assert_int_eq(snap_int(w, 2, "disk_at_boot"), 150);
    ck_assert(fl_faults_reached(f, 0));
    ck_assert(fl_faults_took_effect(f, 0));
    ck_assert_int_eq(metric(w, "faults.crash.scheduled"), 1);
    ck_assert_int_eq(metric(w, "faults.crash.reached"), 1);
    ck_assert_int_eq(metric(w, "faults.crash.effective"), 1);
    ck_assert_int_eq(metric(w, "faults.crash.with_lost_writes"), 0);
    ck_assert_int_eq(metric(w, "faults.crash.bytes_lost"), 0);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

/* The run ends at 500 ms: the entries after it are not reached, which is not the same as
 * having had no effect (the timeout at 150 ms found node 2 down: reached, no effect). */
START_TEST(test_faults_entries_after_the_end_are_not_reached)
{
    fl_world *w = tp_world(8, 3, 500 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"crash\",\"node\":2},"
                               "{\"at\":\"150ms\",\"kind\":\"timeout\",\"node\":2},"
                               "{\"at\":\"200ms\",\"kind\":\"restart\",\"node\":2},"
                               "{\"at\":\"800ms\",\"kind\":\"crash\",\"node\":3},"
                               "{\"at\":\"900ms\",\"kind\":\"restart\",\"node\":3}]",
                               1 * SEC);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    const int reached[] = {1, 1, 1, 0, 0}, effective[] = {1, 0, 1, 0, 0};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(fl_faults_reached(f, i), reached[i]);
        ck_assert_int_eq(fl_faults_took_effect(f, i), effective[i]);
    }
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    ck_assert_uint_eq(st.scheduled[FL_FAULT_CRASH], 2);
    ck_assert_uint_eq(st.reached[FL_FAULT_CRASH], 1);
    ck_assert_uint_eq(st.effective[FL_FAULT_CRASH], 1);
    ck_assert_uint_eq(st.scheduled[FL_FAULT_RESTART], 2);
    ck_assert_uint_eq(st.reached[FL_FAULT_RESTART], 1);
    ck_assert_uint_eq(st.effective[FL_FAULT_RESTART], 1);
    ck_assert_uint_eq(st.reached[FL_FAULT_TIMEOUT], 1);
    ck_assert_uint_eq(st.effective[FL_FAULT_TIMEOUT], 0);
    ck_assert_int_eq(metric(w, "faults.restart.reached"), 1);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults_crashes");
    TCase *tc = tcase_create("nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_faults_crashed_node_is_idle_until_restart);
    tcase_add_test(tc, test_faults_lose_discards_unsynced_bytes);
    tcase_add_test(tc, test_faults_tear_leaves_a_prefix);
    tcase_add_test(tc, test_faults_keep_loses_nothing_but_the_crash_happened);
    tcase_add_test(tc, test_faults_entries_after_the_end_are_not_reached);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
