/* test_evq.c -- the event queue: order, ties, cancellation, scale. */
#include <check.h>
#include <stdlib.h>

#include "core/evq.h"
#include "core/rng.h"

static fl_event at(int64_t t, uint64_t ref)
{
    return (fl_event){.time_ns = t, .ref = ref};
}

START_TEST(test_evq_pops_in_time_order)
{
    fl_evq *q = fl_evq_new();
    int64_t times[] = {50, 10, 40, 20, 30};
    for (int i = 0; i < 5; i++) {
        fl_event e = at(times[i], (uint64_t)i);
        ck_assert_int_eq(fl_evq_push(q, &e, NULL), 0);
    }
    fl_event ev;
    for (int64_t want = 10; want <= 50; want += 10) {
        ck_assert_int_eq(fl_evq_pop(q, &ev), 1);
        ck_assert_int_eq(ev.time_ns, want);
    }
    ck_assert_int_eq(fl_evq_pop(q, &ev), 0);
    fl_evq_free(q);
}
END_TEST

START_TEST(test_evq_same_time_is_fifo)
{
    fl_evq *q = fl_evq_new();
    for (uint64_t i = 0; i < 1000; i++) {
        fl_event e = at(7, i);
        fl_evq_push(q, &e, NULL);
    }
    fl_event ev;
    for (uint64_t i = 0; i < 1000; i++) {
        ck_assert_int_eq(fl_evq_pop(q, &ev), 1);
        ck_assert_uint_eq(ev.ref, i);
        ck_assert_uint_eq(ev.seq, i);
    }
    fl_evq_free(q);
}
END_TEST

START_TEST(test_evq_cancelled_event_never_pops)
{
    fl_evq *q = fl_evq_new();
    fl_evq_id ids[10];
    for (int i = 0; i < 10; i++) {
        fl_event e = at(i, (uint64_t)i);
        fl_evq_push(q, &e, &ids[i]);
    }
    fl_evq_cancel(q, ids[0]);
    fl_evq_cancel(q, ids[5]);
    ck_assert_uint_eq(fl_evq_pending(q), 8);
    ck_assert_int_eq(fl_evq_peek_time(q), 1);
    fl_event ev;
    int n = 0;
    while (fl_evq_pop(q, &ev)) {
        ck_assert(ev.ref != 0 && ev.ref != 5);
        n++;
    }
    ck_assert_int_eq(n, 8);
    fl_evq_free(q);
}
END_TEST

START_TEST(test_evq_million_pending_matches_sorted_order)
{
    /* A hold-model churn at 10^6 pending events, checked against (time, seq) order. */
    enum { N = 1000000 };
    fl_evq *q = fl_evq_new();
    fl_rng r;
    fl_rng_fork(&r, 1, "test", 0);
    for (uint64_t i = 0; i < N; i++) {
        fl_event e = at(fl_rng_range(&r, 0, 1000000), i);
        ck_assert_int_eq(fl_evq_push(q, &e, NULL), 0);
    }
    fl_event prev = {.time_ns = -1}, ev;
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(fl_evq_pop(q, &ev), 1);
        ck_assert(ev.time_ns > prev.time_ns ||
                  (ev.time_ns == prev.time_ns && ev.seq > prev.seq));
        /* reschedule later: the queue stays full while the clock advances */
        if (i < N / 2) {
            fl_event e = at(ev.time_ns + fl_rng_range(&r, 0, 1000000), ev.ref);
            ck_assert_int_eq(fl_evq_push(q, &e, NULL), 0);
        }
        prev = ev;
    }
    fl_evq_free(q);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("evq");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_evq_pops_in_time_order);
    tcase_add_test(tc, test_evq_same_time_is_fifo);
    tcase_add_test(tc, test_evq_cancelled_event_never_pops);
    tcase_add_test(tc, test_evq_million_pending_matches_sorted_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
