/* test_schedule_generate.c -- fault schedules generated from a seed: determinism, one
 * stream per fault kind, every fault inside the window and everything healed at its end,
 * crash/restart consistency, swarm testing, and runaway rates refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "schedule_fixture.h"

START_TEST(test_schedule_same_seed_same_schedule)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 20; seed++) {
        char *a = gen_text(&c, 5, seed), *b = gen_text(&c, 5, seed);
        ck_assert_msg(strcmp(a, b) == 0, "seed %llu", (unsigned long long)seed);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_schedule_different_seeds_differ)
{
    fl_faults_config c = busy_config();
    char *a = gen_text(&c, 5, 1), *b = gen_text(&c, 5, 2);
    ck_assert_str_ne(a, b);
    free(a);
    free(b);
}
END_TEST

/* Drop the entries of one kind from a schedule's text (one entry per line), and the
 * commas that end lines, so that the rest compares equal. */
static void strip_kind(char *text, const char *kind)
{
    char needle[64], *out = text;
    snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kind);
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl); /* every line of the text ends with a newline */
        size_t len = (size_t)(nl - line);
        char *next = nl + 1;
        if (!memmem(line, len, needle, strlen(needle))) {
            if (len && line[len - 1] == ',')
                len--;
            memmove(out, line, len);
            out += len;
            *out++ = '\n';
        }
        line = next;
    }
    *out = '\0';
}

START_TEST(test_schedule_kinds_draw_from_independent_streams)
{
    /* Switching clock faults off must not move a single partition, crash or timeout. */
    fl_faults_config with = busy_config(), without = busy_config();
    without.clock_every_ns = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        char *a = gen_text(&with, 5, seed), *b = gen_text(&without, 5, seed);
        strip_kind(a, "clock");
        strip_kind(b, "clock");
        ck_assert_msg(strcmp(a, b) == 0, "seed %llu:\n%s\nvs\n%s", (unsigned long long)seed, a, b);
        free(a);
        free(b);
    }
}
END_TEST

START_TEST(test_schedule_every_fault_inside_window)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fl_schedule *s = gen(&c, 5, seed);
        ck_assert_uint_gt(fl_schedule_len(s), 10);
        for (size_t i = 0; i < fl_schedule_len(s); i++) {
            int64_t t = fl_schedule_entry(s, i)->at_ns;
            ck_assert_msg(t >= c.window_from_ns && t <= c.window_to_ns,
                          "seed %llu entry %zu at %lld", (unsigned long long)seed, i + 1,
                          (long long)t);
        }
        fl_schedule_free(s);
    }
}
END_TEST

START_TEST(test_schedule_window_end_heals_everything)
{
    fl_faults_config c = busy_config();
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fl_schedule *s = gen(&c, 5, seed);
        int down[6] = {0}, drift[6] = {0}, part = 0;
        for (size_t i = 0; i < fl_schedule_len(s); i++) {
            const fl_fault *f = fl_schedule_entry(s, i);
            if (f->kind == FL_FAULT_PARTITION)
                part = 1;
            else if (f->kind == FL_FAULT_HEAL)
                part = 0;
            else if (f->kind == FL_FAULT_CRASH)
                down[f->node] = 1;
            else if (f->kind == FL_FAULT_RESTART)
                down[f->node] = 0;
            else if (f->kind == FL_FAULT_CLOCK)
                drift[f->node] = f->ppm;
        }
        ck_assert_int_eq(part, 0);
        for (int id = 1; id <= 5; id++)
            ck_assert_msg(!down[id] && !drift[id], "seed %llu node %d", (unsigned long long)seed,
                          id);
        ck_assert_int_eq(fl_schedule_quiet_since(s, c.window_to_ns), c.window_to_ns);
        fl_schedule_free(s);
    }
}
END_TEST

START_TEST(test_schedule_never_crashes_down_or_restarts_up)
{
    fl_faults_config c = busy_config();
    c.crash_every_ns = 200 * MS; /* several nodes down at once, often */
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fl_schedule *s = gen(&c, 3, seed);
        int down[4] = {0}, crashes = 0;
        for (size_t i = 0; i < fl_schedule_len(s); i++) {
            const fl_fault *f = fl_schedule_entry(s, i);
            if (f->kind == FL_FAULT_CRASH) {
                ck_assert_msg(!down[f->node], "seed %llu entry %zu", (unsigned long long)seed,
                              i + 1);
                down[f->node] = 1;
                crashes++;
            } else if (f->kind == FL_FAULT_RESTART) {
                ck_assert_msg(down[f->node], "seed %llu entry %zu", (unsigned long long)seed,
                              i + 1);
                down[f->node] = 0;
            } else if (f->kind == FL_FAULT_TIMEOUT) {
                ck_assert_msg(!down[f->node], "timeout on a down node: seed %llu",
                              (unsigned long long)seed);
            }
        }
        ck_assert_int_gt(crashes, 10);
        fl_schedule_free(s);
    }
}
END_TEST

START_TEST(test_schedule_swarm_varies_kinds_by_seed)
{
    fl_faults_config c = busy_config();
    c.swarm = 1;
    int with_crash = 0, with_clock = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        fl_schedule *s = gen(&c, 5, seed);
        uint64_t n[FL_FAULT_KIND_COUNT];
        fl_schedule_count(s, n);
        with_crash += n[FL_FAULT_CRASH] > 0;
        with_clock += n[FL_FAULT_CLOCK] > 0;
        fl_schedule_free(s);
        char *a = gen_text(&c, 5, seed), *b = gen_text(&c, 5, seed);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
    }
    /* on in about 2 seeds of 3: clearly some on and some off */
    ck_assert_int_gt(with_crash, 25);
    ck_assert_int_lt(with_crash, 55);
    ck_assert_int_gt(with_clock, 25);
    ck_assert_int_lt(with_clock, 55);
    /* the caller's config is never changed */
    ck_assert_int_eq(c.swarm, 1);
}
END_TEST

START_TEST(test_schedule_swarm_keeps_off_kinds_off)
{
    fl_faults_config c;
    memset(&c, 0, sizeof c);
    c.swarm = 1;
    c.crash_every_ns = SEC;
    c.crash_down_ns = SEC;
    fl_net_faults net = {.drop = 0.0, .duplicate = 0.5};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        fl_faults_config x = c;
        fl_net_faults y = net;
        fl_faults_swarm(&x, &y, seed);
        ck_assert_int_eq(x.swarm, 0);
        ck_assert_int_eq(x.partition_every_ns, 0);
        ck_assert(y.drop == 0.0);
        ck_assert(y.duplicate >= 0.0 && y.duplicate <= 1.0);
    }
}
END_TEST

START_TEST(test_schedule_runaway_rates_are_a_limit)
{
    fl_faults_config c = busy_config();
    c.timeout_every_ns = 1; /* a timeout every nanosecond */
    fl_schedule *s;
    char err[256];
    ck_assert_int_eq(fl_schedule_generate(&c, 3, 1, 30 * SEC, &s, err, sizeof err), FL_ELIMIT);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "lower the fault rates"));
}
END_TEST

START_TEST(test_schedule_no_window_means_the_whole_run)
{
    fl_faults_config c = busy_config();
    c.window_from_ns = 0;
    c.window_to_ns = 0;
    fl_schedule *s = gen(&c, 3, 7);
    int64_t last = 0;
    for (size_t i = 0; i < fl_schedule_len(s); i++)
        last = fl_schedule_entry(s, i)->at_ns;
    ck_assert_int_gt(last, 25 * SEC);
    ck_assert_int_lt(last, 30 * SEC);
    ck_assert_int_eq(fl_schedule_quiet_since(s, 0), -1);
    fl_schedule_free(s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("schedule_generate");
    TCase *tc = tcase_create("generate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_schedule_same_seed_same_schedule);
    tcase_add_test(tc, test_schedule_different_seeds_differ);
    tcase_add_test(tc, test_schedule_kinds_draw_from_independent_streams);
    tcase_add_test(tc, test_schedule_every_fault_inside_window);
    tcase_add_test(tc, test_schedule_window_end_heals_everything);
    tcase_add_test(tc, test_schedule_never_crashes_down_or_restarts_up);
    tcase_add_test(tc, test_schedule_swarm_varies_kinds_by_seed);
    tcase_add_test(tc, test_schedule_swarm_keeps_off_kinds_off);
    tcase_add_test(tc, test_schedule_runaway_rates_are_a_limit);
    tcase_add_test(tc, test_schedule_no_window_means_the_whole_run);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(suite)
