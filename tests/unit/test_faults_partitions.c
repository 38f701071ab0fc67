/* test_faults_partitions.c -- partitions applied to a running world: nothing crosses a
 * cut while it lasts, messages on the wire when the link goes down are dropped at arrival,
 * and a one-way partition passes one direction only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "faults_fixture.h"

/* ---- partitions ---- */

START_TEST(test_faults_partitioned_pair_exchanges_nothing_while_cut)
{
    fl_world *w = tp_world(5, 3, 500 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"partition\",\"name\":\"isolate\","
                               "\"groups\":[[1],[2,3]]},{\"at\":\"300ms\",\"kind\":\"heal\"}]",
                               500 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int cut = 0, inside_23 = 0, after = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        int during = m->end_ns >= 100 * MS && m->end_ns < 300 * MS;
        if (between_1_and_others(m) && during) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_PARTITION);
            cut++;
        } else if (during && m->fate == FL_FATE_DELIVERED) {
            inside_23++;
        }
        if (between_1_and_others(m) && m->sent_ns >= 300 * MS && m->fate == FL_FATE_DELIVERED)
            after++;
    }
    ck_assert_int_gt(cut, 20);
    ck_assert_int_gt(inside_23, 20); /* the majority side keeps talking */
    ck_assert_int_gt(after, 20);     /* and node 1 is back after the heal */
    ck_assert(fl_faults_took_effect(f, 0) && fl_faults_took_effect(f, 1));
    ck_assert_str_eq(find_step(&r, FL_STEP_PARTITION, -1)->detail,
                     "partition(isolate) {1} | {2,3}");
    ck_assert_int_eq(find_step(&r, FL_STEP_PARTITION, -1)->time_ns, 100 * MS);
    ck_assert_str_eq(find_step(&r, FL_STEP_HEAL, -1)->detail, "heal");
    ck_assert_int_eq(metric(w, "faults.partition.effective"), 1);
    ck_assert_int_eq(metric(w, "faults.partition.with_cut_messages"), 1);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_partition_drops_messages_in_flight)
{
    /* 50 ms links; a 10 ms partition catches messages on the wire that arrive after the
     * heal: the link went down under them. */
    fl_world *w = tp_world(6, 3, 400 * MS, FL_UNSYNCED_KEEP, (fl_latency){50 * MS, 50 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"partition\",\"name\":\"isolate\","
                               "\"groups\":[[1],[2,3]]},{\"at\":\"110ms\",\"kind\":\"heal\"}]",
                               400 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int caught = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (!between_1_and_others(m))
            continue;
        if (m->sent_ns > 50 * MS && m->sent_ns < 100 * MS) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_PARTITION);
            ck_assert_int_ge(m->end_ns, 110 * MS); /* decided at arrival, after the heal */
            caught++;
        }
        if (m->sent_ns >= 110 * MS && m->end_ns < 400 * MS)
            ck_assert_int_eq(m->fate, FL_FATE_DELIVERED);
    }
    ck_assert_int_gt(caught, 5);
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_oneway_partition_passes_one_direction)
{
    fl_world *w = tp_world(7, 3, 400 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_schedule *s = parse_for(w,
                               "[{\"at\":\"100ms\",\"kind\":\"partition\",\"name\":\"oneway\","
                               "\"groups\":[[1],[2,3]],\"allow\":[[0,1]]},"
                               "{\"at\":\"300ms\",\"kind\":\"heal\"}]",
                               400 * MS);
    fl_faults *f = attach(w, s, NULL, NULL);
    fl_world_run(w);
    int out = 0, in = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->sent_ns < 110 * MS || m->end_ns >= 300 * MS || !between_1_and_others(m))
            continue;
        if (m->src == 1) {
            ck_assert_int_eq(m->fate, FL_FATE_DELIVERED);
            out++;
        } else {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_PARTITION);
            in++;
        }
    }
    ck_assert_int_gt(out, 5);
    ck_assert_int_gt(in, 5);
    ck_assert_str_eq(find_step(&r, FL_STEP_PARTITION, -1)->detail,
                     "partition(oneway) {1} | {2,3} allow 0->1");
    fl_world_free(w);
    fl_faults_free(f);
    fl_schedule_free(s);
    rec_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults_partitions");
    TCase *tc = tcase_create("network");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_faults_partitioned_pair_exchanges_nothing_while_cut);
    tcase_add_test(tc, test_faults_partition_drops_messages_in_flight);
    tcase_add_test(tc, test_faults_oneway_partition_passes_one_direction);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
