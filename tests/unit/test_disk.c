/* test_disk.c -- simulated durable files: what survives a crash under each policy. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/disk.h"
#include "core/world.h"
#include "check_main.h"

static void put(fl_disk *d, const char *s)
{
    ck_assert_int_eq(fl_disk_do_write(d, 0, fl_disk_file_size(d, 0), s, strlen(s)), 0);
}

static void expect_content(fl_disk *d, const char *want)
{
    char buf[256] = {0};
    int64_t n = fl_disk_do_read(d, 0, 0, buf, sizeof buf - 1);
    ck_assert_int_eq(n, (int64_t)strlen(want));
    ck_assert_str_eq(buf, want);
}

START_TEST(test_disk_lose_keeps_only_completed_syncs)
{
    fl_disk d;
    fl_disk_init(&d);
    put(&d, "durable|");
    int64_t id = fl_disk_request_sync(&d, 0);
    fl_disk_complete_sync(&d, (uint64_t)id);
    put(&d, "requested|");
    fl_disk_request_sync(&d, 0); /* in flight at the crash: not durable */
    put(&d, "volatile");
    ck_assert_int_eq(fl_disk_unsynced_bytes(&d), 18);
    ck_assert_int_eq(fl_disk_crash(&d, FL_UNSYNCED_LOSE, 0.5), 18);
    expect_content(&d, "durable|");
    fl_disk_close(&d);
}
END_TEST

START_TEST(test_disk_keep_keeps_everything)
{
    fl_disk d;
    fl_disk_init(&d);
    put(&d, "abc");
    ck_assert_int_eq(fl_disk_crash(&d, FL_UNSYNCED_KEEP, 0.0), 0);
    expect_content(&d, "abc");
    fl_disk_close(&d);
}
END_TEST

START_TEST(test_disk_tear_leaves_exactly_a_prefix)
{
    fl_disk d;
    fl_disk_init(&d);
    put(&d, "sync|");
    fl_disk_complete_sync(&d, (uint64_t)fl_disk_request_sync(&d, 0));
    put(&d, "0123456789");
    ck_assert_int_eq(fl_disk_crash(&d, FL_UNSYNCED_TEAR, 0.4), 6);
    expect_content(&d, "sync|0123");
    fl_disk_close(&d);
}
END_TEST

START_TEST(test_disk_overwrite_and_truncate_are_durable_after_sync)
{
    fl_disk d;
    fl_disk_init(&d);
    put(&d, "aaaaaaaa");
    fl_disk_complete_sync(&d, (uint64_t)fl_disk_request_sync(&d, 0));
    ck_assert_int_eq(fl_disk_do_write(&d, 0, 2, "BB", 2), 0);
    ck_assert_int_eq(fl_disk_do_truncate(&d, 0, 6), 0);
    fl_disk_complete_sync(&d, (uint64_t)fl_disk_request_sync(&d, 0));
    put(&d, "zz"); /* unsynced */
    fl_disk_crash(&d, FL_UNSYNCED_LOSE, 0.0);
    expect_content(&d, "aaBBaa");
    fl_disk_close(&d);
}
END_TEST

START_TEST(test_disk_syncs_complete_in_order_and_cover_earlier_writes)
{
    fl_disk d;
    fl_disk_init(&d);
    put(&d, "one|");
    uint64_t a = (uint64_t)fl_disk_request_sync(&d, 0);
    put(&d, "two|");
    uint64_t b = (uint64_t)fl_disk_request_sync(&d, 0);
    ck_assert_uint_lt(a, b);
    fl_disk_complete_sync(&d, a);
    fl_disk_crash(&d, FL_UNSYNCED_LOSE, 0.0);
    expect_content(&d, "one|");
    fl_disk_close(&d);
}
END_TEST

START_TEST(test_disk_rejects_bad_arguments)
{
    fl_disk d;
    fl_disk_init(&d);
    ck_assert_int_lt(fl_disk_do_write(&d, FL_MAX_DISK_FILES, 0, "x", 1), 0);
    ck_assert_int_lt(fl_disk_do_write(&d, 0, 5, "x", 1), 0); /* past the end */
    ck_assert_int_lt(fl_disk_do_truncate(&d, 0, 1), 0);      /* grows */
    ck_assert_int_lt(fl_disk_request_sync(&d, -1), 0);
    fl_disk_close(&d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("disk");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_disk_lose_keeps_only_completed_syncs);
    tcase_add_test(tc, test_disk_keep_keeps_everything);
    tcase_add_test(tc, test_disk_tear_leaves_exactly_a_prefix);
    tcase_add_test(tc, test_disk_overwrite_and_truncate_are_durable_after_sync);
    tcase_add_test(tc, test_disk_syncs_complete_in_order_and_cover_earlier_writes);
    tcase_add_test(tc, test_disk_rejects_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
