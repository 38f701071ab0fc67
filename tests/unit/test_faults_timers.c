/* test_faults_timers.c -- forced timeouts and clock drift applied to a running world, and
 * the schedules that fl_faults_attach() refuses (an unknown timer, another cluster size). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "faults_fixture.h"

/* ---- timeouts and clocks ---- */

START_TEST(test_faults_forced_timeout_fires_the_named_timer)
{
    fl_world *w = tp_world(11, 3, 200 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"50ms\",\"kind\":\"crash\",\"node\":2},"
                               "{\"at\":\"100ms\",\"kind\":\"timeout\",\"node\":1,"
                               "\"timer\":\"other\"},"
                               "{\"at\":\"100ms\",\"kind\":\"timeout\",\"node\":2},"
                               "{\"at\":\"150ms\",\"kind\":\"restart\",\"node\":2}]",
                               200 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    ck_assert_int_eq(snap_int(w, 1, "others"), 1);
    ck_assert(fl_faults_took_effect(f, 1));
    ck_assert(!fl_faults_took_effect(f, 2)); /* node 2 was down */
    const rstep *t = find_step(&r, FL_STEP_TIMEOUT, 1);
    ck_assert_str_eq(t->detail, "other");
    ck_assert_int_eq(t->time_ns, 100 * MS);
    ck_assert_int_eq(metric(w, "faults.timeout.scheduled"), 2);
    ck_assert_int_eq(metric(w, "faults.timeout.effective"), 1);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_unknown_timer_is_refused)
{
    fl_world *w = tp_world(12, 3, 200 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"50ms\",\"kind\":\"heal\"},{\"at\":\"100ms\","
                               "\"kind\":\"timeout\",\"node\":1,\"timer\":\"election\"}]",
                               200 * MS);
    char err[256];
    ck_assert_ptr_null(fl_faults_attach(w, s, NULL, NULL, err, sizeof err));
    ck_assert_str_eq(err, "schedule[2].timer: the protocol tp has no timer \"election\"");
    fl_schedule_free(s);
    fl_world_free(w);
}
END_TEST

START_TEST(test_faults_schedule_for_other_cluster_is_refused)
{
    fl_world *w = tp_world(12, 3, 200 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    fl_schedule *s;
    char err[256];
    ck_assert_int_eq(fl_schedule_parse("[]", 2, 5, SEC, &s, err, sizeof err), 0);
    ck_assert_ptr_null(fl_faults_attach(w, s, NULL, NULL, err, sizeof err));
    ck_assert_str_eq(err, "schedule: written for 5 nodes, the run has 3");
    fl_schedule_free(s);
    fl_world_free(w);
}
END_TEST

START_TEST(test_faults_clock_drift_slows_timers)
{
    fl_world *w = tp_world(13, 3, 1 * SEC, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"0ms\",\"kind\":\"clock\",\"node\":1,"
                               "\"ppm\":500000}]",
                               1 * SEC);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int64_t slow = snap_int(w, 1, "ticks"), normal = snap_int(w, 2, "ticks");
    ck_assert_int_ge(normal, 99);
    ck_assert_int_le(slow, 70); /* 15 ms per tick instead of 10 */
    ck_assert_int_ge(slow, 60);
    ck_assert(fl_faults_took_effect(f, 0));
    ck_assert_str_eq(find_step(&r, FL_STEP_SCRIPT, 1)->detail, "clock 1 drift +500000ppm");
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults_timers");
    TCase *tc = tcase_create("nodes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_faults_forced_timeout_fires_the_named_timer);
    tcase_add_test(tc, test_faults_unknown_timer_is_refused);
    tcase_add_test(tc, test_faults_schedule_for_other_cluster_is_refused);
    tcase_add_test(tc, test_faults_clock_drift_slows_timers);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
