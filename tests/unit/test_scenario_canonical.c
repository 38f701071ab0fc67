/* test_scenario_canonical.c -- the canonical form of a scenario: parsing its own text (or
 * an indented print of it) gives the same text back, whatever the key order of the file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "scenario_fixture.h"

/* ---- canonical form ---- */

static void check_round_trip(const char *text)
{
    fl_scenario a, b;
    ck_assert_msg(parse(&a, text) == 0, "%s", err);
    char *s1 = canonical(&a);
    ck_assert_msg(parse(&b, s1) == 0, "%s: %s", s1, err);
    char *s2 = canonical(&b);
    ck_assert_str_eq(s1, s2);
    ck_assert_int_eq(a.until_ns, b.until_ns);
    ck_assert_int_eq(a.faults.partition_kinds, b.faults.partition_kinds);
    ck_assert_uint_eq(a.nlinks, b.nlinks);
    /* formatted (indented) text parses to the same canonical text too */
    char *pretty = cJSON_Print(a.json);
    fl_scenario_close(&b);
    ck_assert_int_eq(parse(&b, pretty), 0);
    char *s3 = canonical(&b);
    ck_assert_str_eq(s1, s3);
    free(s1);
    free(s2);
    free(s3);
    free(pretty);
    fl_scenario_close(&a);
    fl_scenario_close(&b);
}

START_TEST(test_scenario_round_trip)
{
    check_round_trip("{}");
    check_round_trip(design_example);
    check_round_trip("{\"nodes\": 2, \"faults\": {\"window\": [\"0\", \"30s\"]}, "
                     "\"network\": {\"latency\": {\"min\": \"0.5ms\", \"max\": \"1.25s\"}}}");
}
END_TEST

START_TEST(test_scenario_round_trip_every_key)
{
    check_round_trip(
        "{\"name\": \"all\", \"protocol\": \"echo\", \"nodes\": 7, \"params\": {\"z\": 1, "
        "\"a\": {\"y\": [1, {\"q\": 2, \"b\": 3}], \"c\": null}},"
        " \"network\": {\"mode\": \"scripted\", \"latency\": {\"min\": \"0.5ms\", \"max\": "
        "\"1.25s\"}, \"drop\": 0.3, \"duplicate\": 0.125, \"spike\": 1, \"spike_delay\": "
        "{\"min\": 0, \"max\": \"90s\"}, \"fifo\": true, \"links\": [{\"from\": 7, \"to\": 1}]},"
        " \"disk\": {\"sync\": {\"min\": \"1001ns\", \"max\": \"2m\"}},"
        " \"faults\": {\"window\": [\"0\", \"1m\"], \"swarm\": true, \"partition\": {\"every\": "
        "\"0\", \"kinds\": [\"bridge\"]}, \"crash\": {\"unsynced\": \"keep\"}, \"timeout\": "
        "{\"timer\": \"heartbeat\"}, \"clock\": {\"max_drift\": 100}, \"corrupt\": 0.001},"
        " \"workload\": {\"every\": 0, \"ops\": 1000000000000},"
        " \"run\": {\"until\": \"1m\", \"max_steps\": 100000000000, \"liveness\": 0, "
        "\"watchdog\": \"2.5s\"}, \"script\": [{\"crash\": 2}, {\"stabilize\": true}]}");
}
END_TEST

START_TEST(test_scenario_canonical_ignores_key_order)
{
    fl_scenario a, b;
    ck_assert_int_eq(parse(&a, "{\"run\": {\"liveness\": \"5s\", \"until\": \"20s\"}, \"nodes\": 5,"
                               " \"params\": {\"b\": 1, \"a\": {\"d\": 1, \"c\": 2}}}"),
                     0);
    ck_assert_int_eq(parse(&b, "{\"params\": {\"a\": {\"c\": 2, \"d\": 1}, \"b\": 1}, \"nodes\": 5,"
                               " \"run\": {\"until\": \"20000ms\", \"liveness\": \"5000ms\"}}"),
                     0);
    char *s1 = canonical(&a), *s2 = canonical(&b);
    ck_assert_str_eq(s1, s2);
    free(s1);
    free(s2);
    fl_scenario_close(&a);
    fl_scenario_close(&b);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario_canonical");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scenario_round_trip);
    tcase_add_test(tc, test_scenario_round_trip_every_key);
    tcase_add_test(tc, test_scenario_canonical_ignores_key_order);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(scenario_suite)
