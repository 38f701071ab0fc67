/* test_ddmin.c -- delta debugging (results/ddmin.h) over synthetic failures: the
 * result is the failure's cause and 1-minimal, the search is the same whatever the
 * caller's batches, and a stop code keeps the smallest failing set so far. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/error.h"
#include "results/ddmin.h"

#define N 100

/* Fails when every element of need[] is kept; counts the candidates it saw. */
typedef struct pred {
    const size_t *need;
    size_t nneed;
    size_t tested, stop_after;
} pred;

static int fails(const pred *p, const uint8_t *m)
{
    for (size_t i = 0; i < p->nneed; i++)
        if (!m[p->need[i]])
            return 0;
    return 1;
}

static int first(void *ctx, const uint8_t *const *cands, size_t n, long *at)
{
    pred *p = ctx;
    *at = -1;
    for (size_t i = 0; i < n; i++) {
        if (p->stop_after && p->tested >= p->stop_after)
            return 1;
        p->tested++;
        if (fails(p, cands[i])) {
            *at = (long)i;
            return 0;
        }
    }
    return 0;
}

START_TEST(test_ddmin_finds_the_cause_and_is_1_minimal)
{
    static const size_t need[] = {3, 17, 40, 99};
    pred p = {.need = need, .nneed = 4};
    uint8_t keep[N];
    memset(keep, 1, N);
    int minimal = 0;
    ck_assert_int_eq(fl_ddmin(keep, N, first, &p, &minimal), 0);
    ck_assert_int_eq(minimal, 1);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(keep[i], i == 3 || i == 17 || i == 40 || i == 99);
    ck_assert_uint_lt(p.tested, 400); /* far fewer than the 2^100 subsets */
}
END_TEST

START_TEST(test_ddmin_only_searches_the_kept_elements)
{
    static const size_t need[] = {5};
    pred p = {.need = need, .nneed = 1};
    uint8_t keep[N] = {0};
    for (size_t i = 0; i < N; i += 5)
        keep[i] = 1;
    int minimal = 0;
    ck_assert_int_eq(fl_ddmin(keep, N, first, &p, &minimal), 0);
    ck_assert_int_eq(minimal, 1);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(keep[i], i == 5);
}
END_TEST

START_TEST(test_ddmin_empty_cause_empties_the_set)
{
    pred p = {.nneed = 0};
    uint8_t keep[N];
    memset(keep, 1, N);
    int minimal = 0;
    ck_assert_int_eq(fl_ddmin(keep, N, first, &p, &minimal), 0);
    ck_assert_int_eq(minimal, 1);
    for (size_t i = 0; i < N; i++)
        ck_assert_int_eq(keep[i], 0);
}
END_TEST

START_TEST(test_ddmin_stop_keeps_a_failing_set)
{
    static const size_t need[] = {10, 60};
    pred p = {.need = need, .nneed = 2, .stop_after = 12};
    uint8_t keep[N];
    memset(keep, 1, N);
    int minimal = 1;
    ck_assert_int_eq(fl_ddmin(keep, N, first, &p, &minimal), 1);
    ck_assert_int_eq(minimal, 0);
    ck_assert(fails(&p, keep)); /* what it kept still fails */
    size_t kept = 0;
    for (size_t i = 0; i < N; i++)
        kept += keep[i];
    ck_assert_uint_lt(kept, N);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ddmin");
    TCase *tc = tcase_create("ddmin");
    tcase_add_test(tc, test_ddmin_finds_the_cause_and_is_1_minimal);
    tcase_add_test(tc, test_ddmin_only_searches_the_kept_elements);
    tcase_add_test(tc, test_ddmin_empty_cause_empties_the_set);
    tcase_add_test(tc, test_ddmin_stop_keeps_a_failing_set);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
