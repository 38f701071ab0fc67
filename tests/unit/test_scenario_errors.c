/* test_scenario_errors.c -- every error message of a bad scenario file, exact text, so
 * that the path in it is checked: wrong types, ranges, unknown keys, duration limits,
 * malformed JSON with line and column, duplicate keys, links, the fault window. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "scenario_fixture.h"

/* ---- error messages ---- */

START_TEST(test_scenario_link_latency_not_a_duration)
{
    expect_error("{\"network\": {\"links\": [{\"from\": 1, \"to\": 2}, {\"from\": 2, \"to\": 1},"
                 " {\"from\": 1, \"to\": 3, \"latency\": {\"min\": 12}}]}}",
                 FL_EINVAL,
                 "network.links[2].latency.min: expected a duration such as \"150ms\", got 12");
}
END_TEST

START_TEST(test_scenario_drop_out_of_range)
{
    expect_error("{\"network\": {\"drop\": 1.5}}", FL_EINVAL,
                 "network.drop: expected a probability in [0,1], got 1.5");
    expect_error("{\"faults\": {\"corrupt\": \"0.1\"}}", FL_EINVAL,
                 "faults.corrupt: expected a probability in [0,1], got \"0.1\"");
}
END_TEST

START_TEST(test_scenario_nodes_out_of_range)
{
    expect_error("{\"nodes\": 0}", FL_EINVAL, "nodes: expected an integer in [1,10000], got 0");
    expect_error("{\"nodes\": 10001}", FL_EINVAL,
                 "nodes: expected an integer in [1,10000], got 10001");
    expect_error("{\"nodes\": 2.5}", FL_EINVAL,
                 "nodes: expected an integer in [1,10000], got 2.5");
    expect_error("{\"run\": {\"max_steps\": 0}}", FL_EINVAL,
                 "run.max_steps: expected an integer in [1,100000000000], got 0");
}
END_TEST

START_TEST(test_scenario_unknown_partition_kind)
{
    expect_error("{\"faults\": {\"partition\": {\"kinds\": [\"ring\", \"square\"]}}}", FL_EINVAL,
                 "faults.partition.kinds[1]: unknown partition kind \"square\" (expected "
                 "isolate, halves, oneway, bridge or ring)");
    expect_error("{\"faults\": {\"partition\": {\"kinds\": [\"ring\", \"ring\"]}}}", FL_EINVAL,
                 "faults.partition.kinds[1]: partition kind \"ring\" is listed twice");
    expect_error("{\"faults\": {\"partition\": {\"kinds\": []}}}", FL_EINVAL,
                 "faults.partition.kinds: expected a non-empty array of partition kinds, got []");
}
END_TEST

START_TEST(test_scenario_unknown_network_key)
{
    expect_error("{\"network\": {\"colour\": \"red\"}}", FL_EINVAL,
                 "network.colour: unknown key (expected mode, latency, drop, duplicate, spike, "
                 "spike_delay, fifo or links)");
}
END_TEST

START_TEST(test_scenario_unknown_top_level_key)
{
    expect_error("{\"nodes\": 3, \"nodez\": 5}", FL_EINVAL,
                 "nodez: unknown key (expected name, protocol, nodes, params, network, disk, "
                 "faults, workload, checks, run or script)");
}
END_TEST

START_TEST(test_scenario_wrong_type_names_path)
{
    expect_error("[]", FL_EINVAL, "expected an object at the top level, got []");
    expect_error("{\"network\": 3}", FL_EINVAL, "network: expected an object, got 3");
    expect_error("{\"params\": [1]}", FL_EINVAL, "params: expected an object, got [1]");
    expect_error("{\"run\": {\"until\": true}}", FL_EINVAL,
                 "run.until: expected a duration such as \"150ms\", got true");
    expect_error("{\"name\": 7}", FL_EINVAL, "name: expected a string of at most 127 bytes, got 7");
    expect_error("{\"network\": {\"fifo\": 1}}", FL_EINVAL,
                 "network.fifo: expected true or false, got 1");
    expect_error("{\"network\": {\"mode\": \"manual\"}}", FL_EINVAL,
                 "network.mode: unknown mode \"manual\" (expected auto or scripted)");
    expect_error("{\"faults\": {\"crash\": {\"unsynced\": 0}}}", FL_EINVAL,
                 "faults.crash.unsynced: expected a policy (keep, lose or tear), got 0");
    expect_error("{\"network\": {\"links\": {}}}", FL_EINVAL,
                 "network.links: expected an array of {\"from\", \"to\", \"latency\"}, got {}");
    expect_error("{\"disk\": {\"sync\": \"1ms\"}}", FL_EINVAL,
                 "disk.sync: expected an object, got \"1ms\"");
    expect_error("{\"faults\": {\"timeout\": {\"timer\": \"a-timer-name-longer-than-31-bytes\"}}}",
                 FL_EINVAL,
                 "faults.timeout.timer: expected a string of at most 31 bytes, got "
                 "\"a-timer-name-longer-than-31-bytes\"");
}
END_TEST

START_TEST(test_scenario_duration_limits)
{
    expect_error("{\"run\": {\"until\": \"0\"}}", FL_EINVAL,
                 "run.until: expected a duration of at least 1ns, got \"0\"");
    expect_error("{\"run\": {\"until\": \"525601m\"}}", FL_EINVAL,
                 "run.until: expected a duration of at most 525600m, got \"525601m\"");
    expect_error("{\"faults\": {\"crash\": {\"down\": 0}}}", FL_EINVAL,
                 "faults.crash.down: expected a duration of at least 1ns, got 0");
    expect_error("{\"network\": {\"latency\": {\"min\": \"-1ms\"}}}", FL_EINVAL,
                 "network.latency.min: expected a duration such as \"150ms\", got \"-1ms\"");
}
END_TEST

START_TEST(test_scenario_latency_min_above_max)
{
    expect_error("{\"network\": {\"latency\": {\"min\": \"20ms\"}}}", FL_EINVAL,
                 "network.latency: min (20ms) is greater than max (10ms)");
    expect_error("{\"network\": {\"spike_delay\": {\"max\": \"1ms\"}}}", FL_EINVAL,
                 "network.spike_delay: min (50ms) is greater than max (1ms)");
}
END_TEST

START_TEST(test_scenario_trailing_garbage)
{
    expect_error("{\"nodes\": 3}\n\n  x", FL_EPARSE,
                 "trailing characters after the JSON at line 3, column 3");
    expect_error("{} {}", FL_EPARSE, "trailing characters after the JSON at line 1, column 4");
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "  {}  \n\t\r\n"), 0); /* trailing whitespace is fine */
    fl_scenario_close(&sc);
    /* a NUL byte inside the given length is garbage too */
    ck_assert_int_eq(fl_scenario_parse(&sc, "{}\0x", 4, NULL, 0, err, sizeof err), FL_EPARSE);
}
END_TEST

START_TEST(test_scenario_malformed_json_has_line_and_column)
{
    expect_error("{\n  \"nodes\": 3,\n  \"name\": }", FL_EPARSE,
                 "malformed JSON at line 3, column 11");
    expect_error("", FL_EPARSE, "malformed JSON at line 1, column 1");
}
END_TEST

START_TEST(test_scenario_duplicate_key)
{
    expect_error("{\"nodes\": 3, \"nodes\": 5}", FL_EINVAL, "duplicate key \"nodes\"");
    expect_error("{\"params\": {\"x\": {\"a\": 1, \"a\": 2}}}", FL_EINVAL,
                 "params.x: duplicate key \"a\"");
}
END_TEST

START_TEST(test_scenario_links_node_out_of_range)
{
    expect_error("{\"network\": {\"links\": [{\"from\": 1, \"to\": 4}]}}", FL_EINVAL,
                 "network.links[0].to: expected an integer in [1,3], got 4");
    expect_error("{\"nodes\": 5, \"network\": {\"links\": [{\"from\": 0, \"to\": 4}]}}", FL_EINVAL,
                 "network.links[0].from: expected an integer in [1,5], got 0");
    expect_error("{\"network\": {\"links\": [{\"to\": 2}]}}", FL_EINVAL,
                 "network.links[0]: missing key \"from\"");
    expect_error("{\"network\": {\"links\": [{\"from\": 2, \"to\": 2}]}}", FL_EINVAL,
                 "network.links[0]: a link joins two different nodes, got from = to = 2");
    expect_error("{\"network\": {\"links\": [{\"from\": 2, \"to\": 1}, {\"from\": 1, \"to\": 2},"
                 " {\"from\": 2, \"to\": 1}]}}",
                 FL_EINVAL,
                 "network.links[2]: a second link 2 -> 1 (the first is "
                 "network.links[0])");
}
END_TEST

START_TEST(test_scenario_window_outside_run)
{
    expect_error("{\"faults\": {\"window\": [\"1s\", \"40s\"]}}", FL_EINVAL,
                 "faults.window: the window [\"1s\", \"40s\"] ends after run.until (30s)");
    expect_error("{\"faults\": {\"window\": [\"5s\", \"2s\"]}}", FL_EINVAL,
                 "faults.window: the window must end after it starts, got [\"5s\", \"2s\"]");
    expect_error("{\"faults\": {\"window\": [\"5s\"]}}", FL_EINVAL,
                 "faults.window: expected [FROM, TO] (two durations such as \"1s\"), got [\"5s\"]");
    expect_error("{\"faults\": {\"window\": [\"5s\", 7]}}", FL_EINVAL,
                 "faults.window[1]: expected a duration such as \"150ms\", got 7");
    fl_scenario sc;
    ck_assert_int_eq(parse(&sc, "{\"faults\": {\"window\": [0, \"30s\"]}}"), 0);
    ck_assert_int_eq(sc.faults.window_from_ns, 0);
    ck_assert_int_eq(sc.faults.window_to_ns, 30 * SEC);
    fl_scenario_close(&sc);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario_errors");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_scenario_link_latency_not_a_duration);
    tcase_add_test(tc, test_scenario_drop_out_of_range);
    tcase_add_test(tc, test_scenario_nodes_out_of_range);
    tcase_add_test(tc, test_scenario_unknown_partition_kind);
    tcase_add_test(tc, test_scenario_unknown_network_key);
    tcase_add_test(tc, test_scenario_unknown_top_level_key);
    tcase_add_test(tc, test_scenario_wrong_type_names_path);
    tcase_add_test(tc, test_scenario_duration_limits);
    tcase_add_test(tc, test_scenario_latency_min_above_max);
    tcase_add_test(tc, test_scenario_trailing_garbage);
    tcase_add_test(tc, test_scenario_malformed_json_has_line_and_column);
    tcase_add_test(tc, test_scenario_duplicate_key);
    tcase_add_test(tc, test_scenario_links_node_out_of_range);
    tcase_add_test(tc, test_scenario_window_outside_run);
    suite_add_tcase(s, tc);
    return s;
}

FL_CHECK_MAIN(scenario_suite)
