/* test_schedule_ops.c -- format 2's "ops" (faults/schedule.h): the workload ops a
 * schedule issues, read, written back, and refused with the entry and field named. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "schedule_fixture.h"

static int parse3(const char *text, fl_schedule **s, char *err, size_t cap)
{
    *s = NULL;
    return fl_schedule_parse(text, strlen(text), 3, 30 * SEC, s, err, cap);
}

START_TEST(test_schedule_ops_are_read_and_written_back)
{
    static const char text[] =
        "{\"version\": 2, \"messages\": \"only\", \"ops\": [2, 5, 9], \"entries\": []}";
    fl_schedule *s, *t;
    char err[256];
    const uint64_t *ops;
    size_t n;
    ck_assert_int_eq(parse3(text, &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_ops(s, &ops, &n), 1);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(ops[0], 2);
    ck_assert_uint_eq(ops[2], 9);
    char *back = fl_schedule_to_text(s);
    ck_assert_str_eq(back, "{\"version\":2,\"messages\":\"only\",\"ops\":[2,5,9],\"entries\":[]}\n");
    ck_assert_int_eq(parse3(back, &t, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_ops(t, &ops, &n), 1);
    ck_assert_uint_eq(n, 3);
    free(back);
    fl_schedule_free(s);
    fl_schedule_free(t);
}
END_TEST

START_TEST(test_schedule_without_ops_issues_every_op)
{
    fl_schedule *s;
    char err[256];
    const uint64_t *ops;
    size_t n;
    ck_assert_int_eq(parse3("{\"version\": 2, \"entries\": []}", &s, err, sizeof err), 0);
    ck_assert_int_eq(fl_schedule_ops(s, &ops, &n), 0);
    fl_schedule_free(s);
    ck_assert_int_eq(parse3("{\"version\": 2, \"ops\": [], \"entries\": []}", &s, err, sizeof err),
                     0);
    ck_assert_int_eq(fl_schedule_ops(s, &ops, &n), 1); /* an empty list: no op at all */
    ck_assert_uint_eq(n, 0);
    fl_schedule_free(s);
}
END_TEST

#define ASSERT_OPS_ERROR(text, message)                                                            \
    do {                                                                                           \
        char err_[320] = "";                                                                       \
        fl_schedule *s_;                                                                           \
        ck_assert_int_eq(parse3(text, &s_, err_, sizeof err_), FL_EINVAL);                         \
        ck_assert_ptr_null(s_);                                                                    \
        ck_assert_str_eq(err_, message);                                                           \
    } while (0)

START_TEST(test_schedule_ops_errors_name_the_field)
{
    ASSERT_OPS_ERROR("{\"version\": 2, \"ops\": 3, \"entries\": []}",
                     "schedule.ops: expected an array of workload op numbers, got 3");
    ASSERT_OPS_ERROR("{\"version\": 2, \"ops\": [1, 4, 4], \"entries\": []}",
                     "schedule.ops[3]: expected an op number >= 5 (ascending), got 4");
    ASSERT_OPS_ERROR("{\"version\": 2, \"ops\": [0], \"entries\": []}",
                     "schedule.ops[1]: expected an op number >= 1 (ascending), got 0");
    ASSERT_OPS_ERROR("{\"version\": 2, \"ops\": [\"x\"], \"entries\": []}",
                     "schedule.ops[1]: expected an op number >= 1 (ascending), got \"x\"");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule_ops");
    TCase *tc = tcase_create("ops");
    tcase_add_test(tc, test_schedule_ops_are_read_and_written_back);
    tcase_add_test(tc, test_schedule_without_ops_issues_every_op);
    tcase_add_test(tc, test_schedule_ops_errors_name_the_field);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
