/* test_faults_messages.c -- per-message faults applied to a running world: drops never
 * delivered, duplicates delivered twice, delay spikes, fifo links that never reorder, and
 * message faults only inside the fault window. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "faults_fixture.h"

/* ---- per-message faults ---- */

START_TEST(test_faults_dropped_message_is_never_delivered)
{
    fl_world *w = tp_world(1, 3, 400 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    rec r;
    rec_attach(&r, w);
    fl_faults_config cfg = {.window_from_ns = 100 * MS, .window_to_ns = 200 * MS};
    fl_net_faults net = {.drop = 1.0};
    fl_faults *f = attach(w, NULL, &cfg, &net);
    ck_assert_int_eq(fl_world_run(w), FL_OUTCOME_OK);
    uint64_t dropped = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        int inside = m->sent_ns >= 100 * MS && m->sent_ns < 200 * MS;
        if (inside) {
            ck_assert_int_eq(m->fate, FL_FATE_DROPPED_LOSS);
            ck_assert_int_eq(m->end_ns, m->sent_ns); /* dropped at send: never arrives */
            dropped++;
        } else {
            ck_assert_int_ne(m->fate, FL_FATE_DROPPED_LOSS);
        }
    }
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    ck_assert_uint_gt(dropped, 20);
    ck_assert_uint_eq(st.effective[FL_FAULT_DROP], dropped);
    ck_assert_int_eq(metric(w, "faults.drop.effective"), (int64_t)dropped);
    ck_assert_int_eq(metric(w, "faults.drop.scheduled"), (int64_t)dropped);
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_duplicate_delivers_twice)
{
    fl_world *w = tp_world(2, 3, 300 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 2 * MS});
    fl_net_faults net = {.duplicate = 1.0};
    fl_faults *f = attach(w, NULL, NULL, &net);
    fl_world_run(w);
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    fl_world_counts c;
    fl_world_counts_get(w, &c);
    ck_assert_uint_gt(st.effective[FL_FAULT_DUPLICATE], 50);
    ck_assert_uint_eq(c.sent, 2 * st.effective[FL_FAULT_DUPLICATE]);
    /* every ping delivered twice is answered twice: receivers saw both copies */
    int64_t recv = snap_int(w, 1, "recv") + snap_int(w, 2, "recv") + snap_int(w, 3, "recv");
    ck_assert_int_eq(recv, (int64_t)c.fates[FL_FATE_DELIVERED]);
    fl_world_free(w);
    fl_faults_free(f);
}
END_TEST

START_TEST(test_faults_spike_delays_messages_inside_window)
{
    fl_world *w = tp_world(3, 3, 1 * SEC, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 1 * MS});
    rec r;
    rec_attach(&r, w);
    fl_faults_config cfg = {.window_from_ns = 0, .window_to_ns = 200 * MS};
    fl_net_faults net = {.spike = 1.0, .spike_delay = {300 * MS, 300 * MS}};
    fl_faults *f = attach(w, NULL, &cfg, &net);
    fl_world_run(w);
    int late = 0;
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->fate != FL_FATE_DELIVERED)
            continue;
        int64_t took = m->end_ns - m->sent_ns;
        if (m->sent_ns < 200 * MS) {
            ck_assert_int_eq(took, 301 * MS);
            late++;
        } else {
            ck_assert_int_eq(took, 1 * MS);
        }
    }
    ck_assert_int_gt(late, 10);
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_fifo_links_never_reorder)
{
    fl_world *w = tp_world(4, 3, 2 * SEC, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 60 * MS});
    rec r;
    rec_attach(&r, w);
    fl_net_faults net = {.fifo = 1, .duplicate = 0.5};
    fl_faults *f = attach(w, NULL, NULL, &net);
    fl_world_run(w);
    /* per directed link, arrival times never decrease with the send order */
    for (int a = 1; a <= 3; a++)
        for (int b = 1; b <= 3; b++) {
            int64_t last = -1;
            for (size_t i = 0; i < r.nmsgs; i++) {
                const rmsg *m = &r.msgs[i];
                if (m->src != a || m->dst != b || m->fate != FL_FATE_DELIVERED)
                    continue;
                ck_assert_msg(m->end_ns >= last, "link %d->%d: msg %zu overtook", a, b, i + 1);
                last = m->end_ns;
            }
        }
    fl_faults_stats st;
    fl_faults_stats_get(f, &st);
    ck_assert_uint_eq(st.effective[FL_FAULT_DUPLICATE], 0); /* a stream never duplicates */
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
}
END_TEST

START_TEST(test_faults_message_faults_only_inside_window)
{
    fl_world *w = tp_world(14, 3, 600 * MS, FL_UNSYNCED_KEEP, (fl_latency){1 * MS, 1 * MS});
    rec r;
    rec_attach(&r, w);
    fl_faults_config cfg = {.window_from_ns = 200 * MS, .window_to_ns = 400 * MS};
    fl_net_faults net = {
        .drop = 0.5, .duplicate = 0.5, .spike = 0.5, .spike_delay = {5 * MS, 5 * MS}};
    fl_faults *f = attach(w, NULL, &cfg, &net);
    fl_world_run(w);
    for (size_t i = 0; i < r.nmsgs; i++) {
        const rmsg *m = &r.msgs[i];
        if (m->sent_ns >= 200 * MS && m->sent_ns < 400 * MS)
            continue;
        ck_assert_int_ne(m->fate, FL_FATE_DROPPED_LOSS);
        if (m->fate == FL_FATE_DELIVERED)
            ck_assert_int_eq(m->end_ns - m->sent_ns, 1 * MS);
    }
    ck_assert_int_eq(fl_cluster_quiet_since(fl_world_cluster(w)), 400 * MS);
    fl_world_free(w);
    fl_faults_free(f);
    rec_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("faults_messages");
    TCase *tc = tcase_create("network");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_faults_dropped_message_is_never_delivered);
    tcase_add_test(tc, test_faults_duplicate_delivers_twice);
    tcase_add_test(tc, test_faults_spike_delays_messages_inside_window);
    tcase_add_test(tc, test_faults_fifo_links_never_reorder);
    tcase_add_test(tc, test_faults_message_faults_only_inside_window);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
