/* test_evq.c -- the event queue: order, ties, cancellation, scale. */
#include <check.h>
#include <stdlib.h>

#include "core/evq.h"
#include "core/rng.h"
#include "check_main.h"

typedef struct popped {
    int64_t t;
    uint64_t seq;
    uint32_t tag;
} popped;

static int pop(fl_evq *q, popped *p)
{
    return fl_evq_pop_until(q, INT64_MAX, &p->t, &p->seq, &p->tag);
}

START_TEST(test_evq_pops_in_time_order)
{
    fl_evq *q = fl_evq_new();
    int64_t times[] = {50, 10, 40, 20, 30};
    for (uint32_t i = 0; i < 5; i++)
        ck_assert_int_eq(fl_evq_push(q, times[i], i, NULL), 0);
    popped p;
    for (int64_t want = 10; want <= 50; want += 10) {
        ck_assert_int_eq(pop(q, &p), 1);
        ck_assert_int_eq(p.t, want);
        ck_assert_int_eq(times[p.tag], want);
    }
    ck_assert_int_eq(pop(q, &p), 0);
    fl_evq_free(q);
}
END_TEST

START_TEST(test_evq_same_time_is_fifo)
{
    fl_evq *q = fl_evq_new();
    for (uint32_t i = 0; i < 1000; i++) {
        uint64_t seq;
        fl_evq_push(q, 7, 999 - i, &seq);
        ck_assert_uint_eq(seq, i);
    }
    popped p;
    for (uint32_t i = 0; i < 1000; i++) {
        ck_assert_int_eq(pop(q, &p), 1);
        ck_assert_uint_eq(p.seq, i);
        ck_assert_uint_eq(p.tag, 999 - i); /* the tag never decides the order */
    }
    fl_evq_free(q);
}
END_TEST

START_TEST(test_evq_pop_until_leaves_later_events)
{
    fl_evq *q = fl_evq_new();
    fl_evq_push(q, 10, 1, NULL);
    fl_evq_push(q, 20, 2, NULL);
    popped p;
    ck_assert_int_eq(fl_evq_pop_until(q, 9, &p.t, &p.seq, &p.tag), 0);
    ck_assert_uint_eq(fl_evq_pending(q), 2);
    ck_assert_int_eq(fl_evq_pop_until(q, 15, &p.t, &p.seq, &p.tag), 1);
    ck_assert_int_eq(fl_evq_pop_until(q, 15, &p.t, &p.seq, &p.tag), 0);
    ck_assert_int_eq(fl_evq_peek_time(q), 20);
    fl_evq_free(q);
}
END_TEST

START_TEST(test_evq_keeps_the_largest_tag)
{
    fl_evq *q = fl_evq_new();
    fl_evq_push(q, 1, FL_EVQ_MAX_TAG, NULL);
    popped p;
    ck_assert_int_eq(pop(q, &p), 1);
    ck_assert_uint_eq(p.tag, FL_EVQ_MAX_TAG);
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
    for (uint32_t i = 0; i < N; i++)
        ck_assert_int_eq(fl_evq_push(q, fl_rng_range(&r, 0, 1000000), i, NULL), 0);
    popped prev = {.t = -1}, p;
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(pop(q, &p), 1);
        ck_assert(p.t > prev.t || (p.t == prev.t && p.seq > prev.seq));
        /* reschedule later: the queue stays full while the clock advances */
        if (i < N / 2)
            ck_assert_int_eq(fl_evq_push(q, p.t + fl_rng_range(&r, 0, 1000000), p.tag, NULL), 0);
        prev = p;
    }
    fl_evq_free(q);
}
END_TEST

START_TEST(test_evq_orders_negative_and_extreme_times)
{
    /* The key keeps time in an unsigned word with the sign bit flipped: signed order must
     * survive at both ends of int64_t and across zero. */
    int64_t times[] = {INT64_MAX, -1, INT64_MIN, 0, 1, INT64_MIN + 1, INT64_MAX - 1, -1};
    int64_t sorted[] = {INT64_MIN, INT64_MIN + 1, -1, -1, 0, 1, INT64_MAX - 1, INT64_MAX};
    fl_evq *q = fl_evq_new();
    for (uint32_t i = 0; i < 8; i++)
        ck_assert_int_eq(fl_evq_push(q, times[i], i, NULL), 0);
    ck_assert_int_eq(fl_evq_peek_time(q), INT64_MIN);
    popped p;
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(fl_evq_pop_until(q, i < 4 ? -1 : INT64_MAX, &p.t, &p.seq, &p.tag), 1);
        ck_assert_int_eq(p.t, sorted[i]);
        ck_assert_int_eq(times[p.tag], p.t);
        if (i == 2)
            ck_assert_uint_eq(p.tag, 1); /* the earlier of the two -1s */
        if (i == 3) {
            ck_assert_uint_eq(p.tag, 7);
            ck_assert_int_eq(fl_evq_pop_until(q, -1, &p.t, &p.seq, &p.tag), 0);
        }
    }
    fl_evq_free(q);
}
END_TEST

/* The reference: the least (time, seq) of an unsorted array, by linear scan. */
static int ref_least(const popped *r, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (r[i].t < r[best].t || (r[i].t == r[best].t && r[i].seq < r[best].seq))
            best = i;
    return best;
}

START_TEST(test_evq_matches_a_linear_scan_under_churn_with_ties)
{
    /* Random pushes and pops at small sizes, so that every heap shape and every partial
     * last family occurs, with times from a range of eight so that most keys tie in time
     * and seq alone decides. */
    enum { MAX = 300, OPS = 20000 };
    static popped ref[MAX];
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fl_evq *q = fl_evq_new();
        fl_rng r;
        fl_rng_fork(&r, seed, "test", 0);
        int n = 0;
        int64_t now = 0;
        for (int op = 0; op < OPS; op++) {
            if (n < MAX && (n == 0 || fl_rng_below(&r, 100) < 52)) {
                popped e = {.t = now + fl_rng_range(&r, 0, 7), .tag = (uint32_t)op};
                ck_assert_int_eq(fl_evq_push(q, e.t, e.tag, &e.seq), 0);
                ref[n++] = e;
            } else {
                int b = ref_least(ref, n);
                popped p;
                ck_assert_int_eq(pop(q, &p), 1);
                ck_assert_msg(p.t == ref[b].t && p.seq == ref[b].seq && p.tag == ref[b].tag,
                              "seed %llu op %d: popped (%lld, %llu), want (%lld, %llu)",
                              (unsigned long long)seed, op, (long long)p.t,
                              (unsigned long long)p.seq, (long long)ref[b].t,
                              (unsigned long long)ref[b].seq);
                now = p.t;
                ref[b] = ref[--n];
            }
            ck_assert_uint_eq(fl_evq_pending(q), (uint32_t)n);
        }
        fl_evq_free(q);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("evq");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_evq_pops_in_time_order);
    tcase_add_test(tc, test_evq_same_time_is_fifo);
    tcase_add_test(tc, test_evq_pop_until_leaves_later_events);
    tcase_add_test(tc, test_evq_keeps_the_largest_tag);
    tcase_add_test(tc, test_evq_million_pending_matches_sorted_order);
    tcase_add_test(tc, test_evq_orders_negative_and_extreme_times);
    tcase_add_test(tc, test_evq_matches_a_linear_scan_under_churn_with_ties);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
