/*
 * test_duration.c -- durations of scenario and schedule files: "150ms", "1.5s", "3m".
 * Parsing is exact (no rounding) and formatting gives the shortest string that parses
 * back to the same value.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sim/run/scenario.h"
#include "check_main.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)

START_TEST(test_duration_parse_table)
{
    static const struct {
        const char *s;
        int64_t ns;
    } t[] = {
        {"0", 0},
        {"0ns", 0},
        {"0.0s", 0},
        {"1ns", 1},
        {"150ms", 150 * MS},
        {"1.5s", 1500 * MS},
        {"20us", 20000},
        {"3m", 180 * SEC},
        {"1.5m", 90 * SEC},
        {"0.001ms", 1000},
        {"1.000000001s", SEC + 1},
        {"2.50s", 2500 * MS},
        {"007ms", 7 * MS},
        {"9223372036854775807ns", INT64_MAX},
        {"153722867m", 153722867LL * 60 * SEC},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t ns = -1;
        ck_assert_msg(fl_parse_duration(t[i].s, &ns) == 0, "%s rejected", t[i].s);
        ck_assert_msg(ns == t[i].ns, "%s: %lld, want %lld", t[i].s, (long long)ns,
                      (long long)t[i].ns);
    }
}
END_TEST

START_TEST(test_duration_parse_rejects)
{
    static const char *const bad[] = {
        "",
        "ms",
        "-1ms",
        "+1ms",
        "1",
        "12",
        "1.5",
        "1 ms",
        " 1ms",
        "1ms ",
        "1h",
        "1MS",
        "1.ms",
        ".5s",
        "0.5ns",
        "1e3ms",
        "1..2ms",
        "1.0000000001s",
        "00",
        "1.5us5",
        "9223372036854775808ns",
        "153722868m",
        "99999999999999999999ns",
        "0.00000000000000000000001s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns = 42;
        ck_assert_msg(fl_parse_duration(bad[i], &ns) == FL_EINVAL, "\"%s\" accepted", bad[i]);
        ck_assert_int_eq(ns, 42);
    }
    ck_assert_int_eq(fl_parse_duration(NULL, NULL), FL_EINVAL);
}
END_TEST

START_TEST(test_duration_format_table)
{
    static const struct {
        int64_t ns;
        const char *s;
    } t[] = {
        {0, "0"},
        {1, "1ns"},
        {1500 * MS, "1.5s"},
        {150 * MS, "150ms"},
        {SEC, "1s"},
        {60 * SEC, "1m"},
        {90 * SEC, "90s"},
        {150 * SEC, "150s"},
        {20 * SEC, "20s"},
        {1500000, "1.5ms"},
        {1234567, "1234567ns"},
        {1001, "1001ns"},
        {SEC + 1, "1000000001ns"},
        {100 * MS, "100ms"},
        {2500 * MS, "2.5s"},
        {-150 * MS, "-150ms"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[48];
        fl_duration_format(t[i].ns, buf, sizeof buf);
        ck_assert_msg(strcmp(buf, t[i].s) == 0, "%lld: \"%s\", want \"%s\"", (long long)t[i].ns,
                      buf, t[i].s);
    }
}
END_TEST

START_TEST(test_duration_format_parses_back)
{
    uint64_t x = 0x9e3779b97f4a7c15u; /* fixed LCG: the values are the same every run */
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        int shift = (int)(x >> 58);                /* 0..63 */
        int64_t ns = (int64_t)((x >> 1) >> shift); /* all magnitudes */
        if (i % 3 == 0)
            ns -= ns % (i % 2 ? MS : SEC); /* round values, the common case */
        char buf[48];
        int64_t back = -1;
        fl_duration_format(ns, buf, sizeof buf);
        ck_assert_msg(fl_parse_duration(buf, &back) == 0 && back == ns, "%lld -> \"%s\" -> %lld",
                      (long long)ns, buf, (long long)back);
    }
    char buf[48];
    int64_t back = 0;
    fl_duration_format(INT64_MAX, buf, sizeof buf);
    ck_assert_int_eq(fl_parse_duration(buf, &back), 0);
    ck_assert_int_eq(back, INT64_MAX);
}
END_TEST

static Suite *duration_suite(void)
{
    Suite *s = suite_create("duration");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_duration_parse_table);
    tcase_add_test(tc, test_duration_parse_rejects);
    tcase_add_test(tc, test_duration_format_table);
    tcase_add_test(tc, test_duration_format_parses_back);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(duration_suite)
